//! API keys: their types, the secret format, hashing and the checks shared by every backend.
//!
//! A secret is a prefix naming the key's kind (`sk_live_`, `sk_op_` or `sk_demo_`) followed by
//! 32 random bytes from the operating system, encoded as unpadded base64url (43 characters). The
//! store keeps only the SHA-256 of the secret and a short display prefix, so a copy of the
//! database does not let anyone call the service. A plain hash is enough because a generated
//! secret carries 256 random bits, which no dictionary or brute-force search can cover, unlike
//! a password.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

use crate::error::{shorten, StoreError};
pub use crate::ids::KeyId;
use crate::time::Millis;

/// The public secret of the built-in demo key, which the service creates at start-up with
/// [`Store::ensure_key_with_secret`](crate::Store::ensure_key_with_secret). It is published, so
/// the demo key's limits are all that protects the service from it.
pub const DEMO_KEY_SECRET: &str = "DEMO_MILMED_2025_50_PATIENTS";

/// Number of random bytes in a generated secret.
const SECRET_RANDOM_BYTES: usize = 32;
/// Minimum characters in a fixed secret given to `ensure_key_with_secret`.
pub const MIN_FIXED_SECRET_CHARS: usize = 24;
/// Maximum characters in any secret; longer texts are rejected without hashing.
pub const MAX_SECRET_CHARS: usize = 256;
/// Maximum characters in a key or configuration name.
pub const MAX_NAME_CHARS: usize = 100;
/// Maximum characters of a secret kept as its display prefix.
const DISPLAY_PREFIX_CHARS: usize = 12;

/// The role of a key, which decides what the service lets it do and the prefix of its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// Manages the service and its keys.
    Operator,
    /// An exercise planner who generates casualties.
    User,
    /// The public demonstration key, with small limits.
    Demo,
}

impl KeyKind {
    /// Every kind, in the order used by listings.
    pub const ALL: [KeyKind; 3] = [KeyKind::Operator, KeyKind::User, KeyKind::Demo];

    /// Returns the stored name: `operator`, `user` or `demo`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Operator => "operator",
            KeyKind::User => "user",
            KeyKind::Demo => "demo",
        }
    }

    /// Returns the prefix of the secrets generated for this kind: `sk_op_`, `sk_live_` or
    /// `sk_demo_`. The prefix lets secret scanners and people recognize a leaked key.
    pub fn secret_prefix(self) -> &'static str {
        match self {
            KeyKind::Operator => "sk_op_",
            KeyKind::User => "sk_live_",
            KeyKind::Demo => "sk_demo_",
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for KeyKind {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        KeyKind::ALL.into_iter().find(|kind| kind.as_str() == text).ok_or_else(|| StoreError::InvalidInput {
            field: "kind",
            value: format!("{:?}", shorten(text)),
            expected: "operator, user or demo".to_string(),
        })
    }
}

/// Request rate limits over sliding windows of one minute, one hour and one day. `None` means
/// no limit in that window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimits {
    /// Maximum requests in any 60-second window.
    pub per_minute: Option<NonZeroU32>,
    /// Maximum requests in any 3,600-second window.
    pub per_hour: Option<NonZeroU32>,
    /// Maximum requests in any 86,400-second window.
    pub per_day: Option<NonZeroU32>,
}

impl RateLimits {
    /// No limit in any window.
    pub const UNLIMITED: RateLimits = RateLimits { per_minute: None, per_hour: None, per_day: None };
}

/// The limits stored with a key. The service decides how to apply them: for example `rate` to
/// generation requests and a fixed allowance to reads, each passed to
/// [`Store::admit`](crate::Store::admit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyLimits {
    /// Maximum patients in one generation request; `None` for the service's own maximum.
    pub patients_per_request: Option<NonZeroU32>,
    /// Request rate limits.
    pub rate: RateLimits,
}

/// The request of [`Store::create_key`](crate::Store::create_key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    /// A name for people, such as the exercise or the team: 1 to 100 characters, no control
    /// characters. Names need not be unique.
    pub name: String,
    /// The role, which also sets the secret's prefix.
    pub kind: KeyKind,
    /// The limits.
    pub limits: KeyLimits,
    /// When the key stops working; `None` for never. It must be later than `now`.
    pub expires_at: Option<Millis>,
}

/// A stored API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The id, which is not secret.
    pub id: KeyId,
    /// The name given at creation.
    pub name: String,
    /// The role.
    pub kind: KeyKind,
    /// The first characters of the secret, to recognize a key in a listing: 12 characters, but
    /// never more than a third of the secret. Not enough to use the key.
    pub display_prefix: String,
    /// The limits.
    pub limits: KeyLimits,
    /// When the key stops working, if ever.
    pub expires_at: Option<Millis>,
    /// False while an operator has disabled the key; it can be enabled again.
    pub enabled: bool,
    /// When the key was revoked, which is final.
    pub revoked_at: Option<Millis>,
    /// When the key was created.
    pub created_at: Millis,
    /// When the key last authenticated successfully.
    pub last_used_at: Option<Millis>,
    /// When the secret was last replaced by `rotate_key`.
    pub rotated_at: Option<Millis>,
}

/// Whether a key can be used at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// The key authenticates.
    Active,
    /// Disabled by an operator; it can be enabled again.
    Disabled,
    /// Revoked, for good.
    Revoked,
    /// Past its expiry time.
    Expired,
}

impl KeyStatus {
    /// Returns the name used in listings: `active`, `disabled`, `revoked` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Disabled => "disabled",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Expired => "expired",
        }
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl ApiKey {
    /// Returns the key's status at `now`. A key that is several things at once reports the most
    /// lasting one: revoked, then expired, then disabled. A key expires at `expires_at` itself.
    pub fn status(&self, now: Millis) -> KeyStatus {
        if self.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if self.expires_at.is_some_and(|expiry| now >= expiry) {
            KeyStatus::Expired
        } else if !self.enabled {
            KeyStatus::Disabled
        } else {
            KeyStatus::Active
        }
    }
}

/// A key's secret in plain text, returned once by `create_key` and `rotate_key`.
///
/// Its `Debug` output is redacted, so logging a value that contains it does not leak it. Call
/// [`KeySecret::expose`] to show it to the key's owner.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySecret(String);

impl KeySecret {
    /// Returns the secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Returns the secret's text, consuming the value.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for KeySecret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("KeySecret(redacted)")
    }
}

/// The result of [`Store::ensure_key_with_secret`](crate::Store::ensure_key_with_secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnsuredKey {
    /// The key that has the secret.
    pub key: ApiKey,
    /// True when the key was created by this call, false when it existed already.
    pub created: bool,
}

/// Generates a new secret for a key of `kind`.
pub(crate) fn generate_secret(kind: KeyKind) -> Result<KeySecret, StoreError> {
    let mut bytes = [0u8; SECRET_RANDOM_BYTES];
    OsRng.try_fill_bytes(&mut bytes)?;
    Ok(KeySecret(format!("{}{}", kind.secret_prefix(), URL_SAFE_NO_PAD.encode(bytes))))
}

/// Returns the SHA-256 of a secret's UTF-8 bytes, which is what the store keeps.
pub(crate) fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Returns the display prefix of a secret: its first 12 characters, but never more than a third
/// of it, so that a short fixed secret is not mostly given away.
pub(crate) fn display_prefix(secret: &str) -> String {
    let count = secret.chars().count();
    secret.chars().take(DISPLAY_PREFIX_CHARS.min(count / 3)).collect()
}

/// Checks a fixed secret given to `ensure_key_with_secret`: 24 to 256 printable ASCII
/// characters without spaces. The secret itself never appears in the error.
pub(crate) fn validate_fixed_secret(secret: &str) -> Result<(), StoreError> {
    let count = secret.chars().count();
    let printable = secret.chars().all(|c| c.is_ascii_graphic());
    if (MIN_FIXED_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&count) && printable {
        return Ok(());
    }
    Err(StoreError::InvalidInput {
        field: "secret",
        value: format!("(a text of {count} characters, not shown)"),
        expected: format!("{MIN_FIXED_SECRET_CHARS} to {MAX_SECRET_CHARS} printable ASCII characters without spaces"),
    })
}

/// Checks a key or configuration name: 1 to 100 characters, not only spaces, and no control
/// characters.
pub(crate) fn validate_name(field: &'static str, name: &str) -> Result<(), StoreError> {
    let count = name.chars().count();
    let valid = !name.trim().is_empty() && count <= MAX_NAME_CHARS && !name.chars().any(char::is_control);
    if valid {
        return Ok(());
    }
    Err(StoreError::InvalidInput {
        field,
        value: format!("{:?}", shorten(name)),
        expected: format!("1 to {MAX_NAME_CHARS} characters, not only spaces, without control characters"),
    })
}

/// Checks a new key's name and expiry time against `now`.
pub(crate) fn validate_new_key(new: &NewKey, now: Millis) -> Result<(), StoreError> {
    validate_name("name", &new.name)?;
    match new.expires_at {
        Some(expiry) if expiry <= now => Err(StoreError::InvalidInput {
            field: "expires_at",
            value: expiry.to_rfc3339(),
            expected: format!("a time after now ({})", now.to_rfc3339()),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_secret_has_prefix_and_32_bytes() {
        for kind in KeyKind::ALL {
            let secret = generate_secret(kind).expect("the OS random generator works");
            let body = secret.expose().strip_prefix(kind.secret_prefix()).expect("the kind's prefix");
            let bytes = URL_SAFE_NO_PAD.decode(body).expect("base64url without padding");
            assert_eq!(bytes.len(), 32);
        }
    }

    #[test]
    fn generate_secret_differs_each_time() {
        let first = generate_secret(KeyKind::User).expect("a secret");
        let second = generate_secret(KeyKind::User).expect("a secret");
        assert_ne!(first, second);
    }

    #[test]
    fn display_prefix_is_at_most_a_third() {
        let generated = generate_secret(KeyKind::User).expect("a secret");
        assert_eq!(display_prefix(generated.expose()).len(), 12);
        assert!(generated.expose().starts_with(&display_prefix(generated.expose())));
        assert_eq!(display_prefix(DEMO_KEY_SECRET), "DEMO_MILM");
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = generate_secret(KeyKind::Operator).expect("a secret");
        let debug = format!("{secret:?}");
        assert_eq!(debug, "KeySecret(redacted)");
    }

    #[test]
    fn validate_fixed_secret_checks_length_and_characters() {
        assert!(validate_fixed_secret(DEMO_KEY_SECRET).is_ok());
        let short = "short_secret_123";
        let error = validate_fixed_secret(short).expect_err("16 characters are too few");
        assert!(!error.to_string().contains(short), "the secret is not repeated: {error}");
        assert!(validate_fixed_secret("with a space inside the secret text").is_err());
        assert!(validate_fixed_secret(&"x".repeat(257)).is_err());
    }

    #[test]
    fn validate_name_rejects_blank_and_control() {
        assert!(validate_name("name", "Exercise Cold Response").is_ok());
        for name in ["", "   ", "tab\there", &"n".repeat(101)] {
            assert!(validate_name("name", name).is_err(), "{name:?} is rejected");
        }
    }

    #[test]
    fn status_prefers_lasting_states() {
        let now = Millis::from_unix_millis(10_000);
        let mut key = ApiKey {
            id: KeyId::random(),
            name: "k".into(),
            kind: KeyKind::User,
            display_prefix: "sk_live_abcd".into(),
            limits: KeyLimits::default(),
            expires_at: Some(now),
            enabled: false,
            revoked_at: None,
            created_at: Millis::from_unix_millis(0),
            last_used_at: None,
            rotated_at: None,
        };
        assert_eq!(key.status(now), KeyStatus::Expired);
        assert_eq!(key.status(now.plus_millis(-1)), KeyStatus::Disabled);
        key.revoked_at = Some(now);
        assert_eq!(key.status(now), KeyStatus::Revoked);
    }
}
