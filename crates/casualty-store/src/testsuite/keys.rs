//! Tests of API keys: creation, authentication in every state, rotation, limits and the
//! built-in keys.

use std::num::NonZeroU32;

use super::{at, rate, user_key, T0};
use crate::keys::DEMO_KEY_SECRET;
use crate::{AuthError, KeyId, KeyKind, KeyLimits, KeyStatus, Millis, NewKey, RateLimits, RequestKind, Store, StoreError};

fn new_key(name: &str, kind: KeyKind) -> NewKey {
    NewKey { name: name.to_string(), kind, limits: KeyLimits::default(), expires_at: None }
}

/// Checks that a new key's secret has its kind's prefix and authenticates.
pub async fn create_key_returns_secret_once(store: &dyn Store) {
    let limits = KeyLimits { patients_per_request: NonZeroU32::new(500), rate: rate(5, 100, 1000) };
    let new = NewKey { name: "Cold Response planning".to_string(), kind: KeyKind::User, limits, expires_at: Some(at(Millis::DAY)) };
    let (key, secret) = store.create_key(new, T0).await.expect("a valid key is created");

    assert!(secret.expose().starts_with("sk_live_"), "the user prefix");
    assert!(secret.expose().len() >= 8 + 43, "32 random bytes in base64url after the prefix");
    assert_eq!(key.display_prefix, secret.expose()[..12]);
    assert_eq!(key.name, "Cold Response planning");
    assert_eq!(key.kind, KeyKind::User);
    assert_eq!(key.limits, limits);
    assert_eq!(key.expires_at, Some(at(Millis::DAY)));
    assert!(key.enabled);
    assert_eq!(key.revoked_at, None);
    assert_eq!(key.created_at, T0);
    assert_eq!(key.last_used_at, None);
    assert_eq!(key.status(T0), KeyStatus::Active);

    let stored = store.get_key(key.id).await.expect("get_key works").expect("the key exists");
    assert_eq!(stored, key);

    let authenticated = store.authenticate(secret.expose(), at(5_000)).await.expect("the new secret authenticates");
    assert_eq!(authenticated.id, key.id);
    assert_eq!(authenticated.last_used_at, Some(at(5_000)));
    let stored = store.get_key(key.id).await.expect("get_key works").expect("the key exists");
    assert_eq!(stored.last_used_at, Some(at(5_000)), "the last use is recorded");

    let (operator, operator_secret) = store.create_key(new_key("ops", KeyKind::Operator), T0).await.expect("an operator key");
    assert!(operator_secret.expose().starts_with("sk_op_"));
    assert_eq!(operator.kind, KeyKind::Operator);
    let (_, demo_secret) = store.create_key(new_key("demo", KeyKind::Demo), T0).await.expect("a demo key");
    assert!(demo_secret.expose().starts_with("sk_demo_"));
    assert_ne!(secret, operator_secret, "secrets differ");
}

/// Checks that invalid names and expiry times are rejected before anything is stored.
pub async fn create_key_rejects_invalid_input(store: &dyn Store) {
    for name in ["", "   ", "line\nbreak"] {
        let error = store.create_key(new_key(name, KeyKind::User), T0).await.expect_err("an invalid name is rejected");
        assert!(matches!(error, StoreError::InvalidInput { field: "name", .. }), "{name:?}: {error}");
    }
    let mut expired = new_key("expired", KeyKind::User);
    expired.expires_at = Some(T0);
    let error = store.create_key(expired, T0).await.expect_err("an expiry at now is rejected");
    assert!(matches!(error, StoreError::InvalidInput { field: "expires_at", .. }), "{error}");
    assert!(store.list_keys().await.expect("list_keys works").is_empty(), "nothing was stored");
}

/// Checks that unknown, empty, oversized and altered secrets are all `Unknown`.
pub async fn authenticate_rejects_unknown_secret(store: &dyn Store) {
    let (_, secret) = store.create_key(new_key("k", KeyKind::User), T0).await.expect("a key");
    let mut altered = secret.expose().to_string();
    let last = altered.pop().expect("a secret is not empty");
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let long = "x".repeat(10_000);
    for candidate in ["", "sk_live_unknown", altered.as_str(), long.as_str(), DEMO_KEY_SECRET] {
        let error = store.authenticate(candidate, T0).await.expect_err("not a known secret");
        assert!(matches!(error, AuthError::Unknown), "{}: {error}", candidate.len());
    }
}

/// Checks that a disabled key is rejected until it is enabled again.
pub async fn authenticate_rejects_disabled_key(store: &dyn Store) {
    let (key, secret) = store.create_key(new_key("k", KeyKind::User), T0).await.expect("a key");
    let disabled = store.set_key_enabled(key.id, false).await.expect("the key is disabled");
    assert!(!disabled.enabled);
    assert_eq!(disabled.status(T0), KeyStatus::Disabled);

    let error = store.authenticate(secret.expose(), at(1)).await.expect_err("a disabled key is rejected");
    assert!(matches!(error, AuthError::Disabled { key: id } if id == key.id), "{error}");

    store.set_key_enabled(key.id, true).await.expect("the key is enabled");
    store.authenticate(secret.expose(), at(2)).await.expect("an enabled key authenticates again");
}

/// Checks that a revoked key is rejected for good and cannot be changed, and that revoking it
/// again keeps the first revocation time.
pub async fn authenticate_rejects_revoked_key(store: &dyn Store) {
    let (key, secret) = store.create_key(new_key("k", KeyKind::User), T0).await.expect("a key");
    let revoked = store.revoke_key(key.id, at(10)).await.expect("the key is revoked");
    assert_eq!(revoked.revoked_at, Some(at(10)));

    let error = store.authenticate(secret.expose(), at(20)).await.expect_err("a revoked key is rejected");
    let AuthError::Revoked { key: rejected, at: revoked_at } = error else {
        panic!("a revoked key is reported as revoked, but: {error}");
    };
    assert_eq!(rejected, key.id);
    assert_eq!(revoked_at, at(10));

    let again = store.revoke_key(key.id, at(30)).await.expect("revoking twice is allowed");
    assert_eq!(again.revoked_at, Some(at(10)), "the first revocation time stays");

    let error = store.set_key_enabled(key.id, true).await.expect_err("a revoked key cannot be enabled");
    assert!(matches!(error, StoreError::KeyRevoked { .. }), "{error}");
    let error = store.rotate_key(key.id, at(40)).await.expect_err("a revoked key cannot be rotated");
    assert!(matches!(error, StoreError::KeyRevoked { .. }), "{error}");
    let error = store.update_key_limits(key.id, KeyLimits::default()).await.expect_err("a revoked key keeps its limits");
    assert!(matches!(error, StoreError::KeyRevoked { .. }), "{error}");
    let error = store.authenticate(secret.expose(), at(50)).await.expect_err("still revoked");
    assert!(matches!(error, AuthError::Revoked { .. }), "{error}");
}

/// Checks that a key works until the millisecond before `expires_at` and not from then on.
pub async fn authenticate_rejects_expired_key(store: &dyn Store) {
    let mut new = new_key("k", KeyKind::User);
    new.expires_at = Some(at(Millis::HOUR));
    let (key, secret) = store.create_key(new, T0).await.expect("a key");

    store.authenticate(secret.expose(), at(Millis::HOUR - 1)).await.expect("valid just before expiry");
    let error = store.authenticate(secret.expose(), at(Millis::HOUR)).await.expect_err("expired at expires_at");
    let AuthError::Expired { key: rejected, at: expired_at } = error else {
        panic!("an expired key is reported as expired, but: {error}");
    };
    assert_eq!(rejected, key.id);
    assert_eq!(expired_at, at(Millis::HOUR));
}

/// Checks that rotation keeps the id, name and limits and replaces the secret.
pub async fn rotate_key_replaces_secret(store: &dyn Store) {
    let limits = KeyLimits { patients_per_request: NonZeroU32::new(50), rate: rate(2, 0, 0) };
    let new = NewKey { name: "rotating".to_string(), kind: KeyKind::User, limits, expires_at: None };
    let (key, old_secret) = store.create_key(new, T0).await.expect("a key");
    store.admit(key.id, RequestKind::Generate, 7, RateLimits::UNLIMITED, at(1)).await.expect("a request is admitted");

    let (rotated, new_secret) = store.rotate_key(key.id, at(100)).await.expect("the key is rotated");
    assert_ne!(new_secret, old_secret);
    assert!(new_secret.expose().starts_with("sk_live_"));
    assert_eq!(rotated.id, key.id);
    assert_eq!(rotated.name, key.name);
    assert_eq!(rotated.limits, limits);
    assert_eq!(rotated.rotated_at, Some(at(100)));
    assert_eq!(rotated.display_prefix, new_secret.expose()[..12]);

    let error = store.authenticate(old_secret.expose(), at(200)).await.expect_err("the old secret stops working");
    assert!(matches!(error, AuthError::Unknown), "{error}");
    let authenticated = store.authenticate(new_secret.expose(), at(200)).await.expect("the new secret works");
    assert_eq!(authenticated.id, key.id);
    let usage = store.usage(key.id, at(300)).await.expect("usage of the rotated key");
    assert_eq!(usage.total_patients, 7, "usage stays with the key");
}

/// Checks that new limits replace all the old ones, including clearing a limit.
pub async fn update_key_limits_replaces_limits(store: &dyn Store) {
    let key = user_key(store, "limits").await;
    let limits = KeyLimits { patients_per_request: NonZeroU32::new(1000), rate: rate(10, 100, 0) };
    let updated = store.update_key_limits(key.id, limits).await.expect("limits are set");
    assert_eq!(updated.limits, limits);
    assert_eq!(store.get_key(key.id).await.expect("get_key works").expect("the key").limits, limits);

    let cleared = KeyLimits { patients_per_request: None, rate: rate(0, 0, 3) };
    let updated = store.update_key_limits(key.id, cleared).await.expect("limits are replaced");
    assert_eq!(updated.limits, cleared);
}

/// Checks that the built-in demo key is created once and then left as it is.
pub async fn ensure_key_with_secret_is_idempotent(store: &dyn Store) {
    let demo = NewKey {
        name: "Demo".to_string(),
        kind: KeyKind::Demo,
        limits: KeyLimits { patients_per_request: NonZeroU32::new(50), rate: rate(2, 20, 100) },
        expires_at: None,
    };
    let first = store.ensure_key_with_secret(demo.clone(), DEMO_KEY_SECRET, T0).await.expect("the demo key is created");
    assert!(first.created);
    assert_eq!(first.key.kind, KeyKind::Demo);
    assert_eq!(first.key.display_prefix, "DEMO_MILM");

    store.update_key_limits(first.key.id, KeyLimits::default()).await.expect("an operator changes the limits");
    let second = store.ensure_key_with_secret(demo, DEMO_KEY_SECRET, at(1_000)).await.expect("ensuring again works");
    assert!(!second.created);
    assert_eq!(second.key.id, first.key.id);
    assert_eq!(second.key.limits, KeyLimits::default(), "an existing key is left as it is");
    assert_eq!(store.list_keys().await.expect("list_keys works").len(), 1);

    let authenticated = store.authenticate(DEMO_KEY_SECRET, at(2_000)).await.expect("the demo secret authenticates");
    assert_eq!(authenticated.id, first.key.id);

    let error = store.ensure_key_with_secret(new_key("ops", KeyKind::Operator), "too-short-secret", T0).await.expect_err("a short secret is rejected");
    assert!(matches!(error, StoreError::InvalidInput { field: "secret", .. }), "{error}");
    assert!(!error.to_string().contains("too-short-secret"), "the secret is not repeated: {error}");
}

/// Checks that every key operation on an unknown id reports `NotFound`.
pub async fn key_operations_reject_unknown_id(store: &dyn Store) {
    let unknown = KeyId::random();
    assert_eq!(store.get_key(unknown).await.expect("get_key works"), None);
    let errors = [
        store.set_key_enabled(unknown, false).await.expect_err("unknown"),
        store.revoke_key(unknown, T0).await.expect_err("unknown"),
        store.rotate_key(unknown, T0).await.map(|(key, _)| key).expect_err("unknown"),
        store.update_key_limits(unknown, KeyLimits::default()).await.expect_err("unknown"),
        store.usage(unknown, T0).await.expect_err("unknown"),
    ];
    for error in errors {
        assert!(matches!(&error, StoreError::NotFound { entity: "API key", id } if *id == unknown.to_string()), "{error}");
    }
}

/// Checks that keys are listed oldest first, whatever their status.
pub async fn list_keys_returns_oldest_first(store: &dyn Store) {
    let (second, _) = store.create_key(new_key("second", KeyKind::User), at(2)).await.expect("a key");
    let (first, _) = store.create_key(new_key("first", KeyKind::User), at(1)).await.expect("a key");
    store.revoke_key(second.id, at(3)).await.expect("revoked");
    let names: Vec<String> = store.list_keys().await.expect("list_keys works").into_iter().map(|key| key.name).collect();
    assert_eq!(names, vec!["first", "second"]);
    assert_eq!(first.name, "first");
}

/// Checks that the readiness check reaches the database.
pub async fn ping_succeeds(store: &dyn Store) {
    store.ping().await.expect("the database responds");
}
