//! Typed ids of API keys, jobs and saved configurations: random UUIDs (version 4), written in
//! their hyphenated lowercase form.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A text that is not an id of the expected kind.
#[derive(Debug, thiserror::Error)]
#[error("invalid {entity} id {shown}: expected a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e")]
pub struct ParseIdError {
    entity: &'static str,
    shown: String,
}

impl ParseIdError {
    fn new(entity: &'static str, text: &str) -> ParseIdError {
        // A key's secret given by mistake where its id belongs must not reach an error message,
        // so only texts that look like a mistyped UUID are repeated.
        let uuid_like = text.len() <= 45 && text.chars().all(|c| c.is_ascii_hexdigit() || matches!(c, '-' | '{' | '}' | ' '));
        let shown = if uuid_like { format!("{text:?}") } else { format!("(a text of {} characters, not shown)", text.chars().count()) };
        ParseIdError { entity, shown }
    }
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $entity:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// Makes a new random id.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// Returns the UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), formatter)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(text.trim()).map(Self).map_err(|_| ParseIdError::new($entity, text))
            }
        }
    };
}

define_id!(
    /// The id of an API key. It is not secret: it appears in logs and URLs.
    KeyId,
    "API key"
);
define_id!(
    /// The id of a generation job.
    JobId,
    "job"
);
define_id!(
    /// The id of a saved configuration, shared by all its versions.
    ConfigurationId,
    "configuration"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_str_round_trips() {
        let id = JobId::random();
        let parsed: JobId = id.to_string().parse().expect("an id parses back");
        assert_eq!(parsed, id);
    }

    #[test]
    fn from_str_rejects_other_text() {
        let error = "0f8fad5b-d9cb-469f".parse::<KeyId>().expect_err("too short");
        assert_eq!(error.to_string(), "invalid API key id \"0f8fad5b-d9cb-469f\": expected a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e");
    }

    #[test]
    fn from_str_hides_secret_like_text() {
        let error = "sk_live_abcdefghijklmnop".parse::<KeyId>().expect_err("not a UUID");
        let message = error.to_string();
        assert!(!message.contains("sk_live"), "{message}");
        assert!(message.contains("(a text of 24 characters, not shown)"), "{message}");
    }
}
