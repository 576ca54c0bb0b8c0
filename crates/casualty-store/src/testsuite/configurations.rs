//! Tests of saved configurations: versions, names, validation and tenant isolation.

use serde_json::json;

use super::{at, user_key, T0};
use crate::{ConfigurationId, Store, StoreError};

/// Checks that a new configuration is version 1 of itself.
pub async fn create_configuration_starts_at_version_one(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let body = json!({"name": "Baltic brigade", "count": 2_000, "days_of_fighting": 5});
    let created = store.create_configuration(owner.id, "Baltic brigade", body.clone(), T0).await.expect("a configuration is saved");
    assert_eq!(created.owner, owner.id);
    assert_eq!(created.name, "Baltic brigade");
    assert_eq!((created.version, created.latest_version), (1, 1));
    assert_eq!(created.body, body);
    assert_eq!((created.created_at, created.version_created_at), (T0, T0));

    let stored = store.get_configuration(owner.id, created.id, None).await.expect("get works").expect("the owner sees it");
    assert_eq!(stored, created);
}

/// Checks that each update adds a version and every earlier version stays readable.
pub async fn update_configuration_keeps_versions(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let created = store.create_configuration(owner.id, "versions", json!({"count": 1}), T0).await.expect("saved");
    let second = store.update_configuration(owner.id, created.id, json!({"count": 2}), at(10)).await.expect("version 2");
    assert_eq!((second.version, second.latest_version), (2, 2));
    assert_eq!(second.created_at, T0, "the configuration keeps its creation time");
    assert_eq!(second.version_created_at, at(10));
    let third = store.update_configuration(owner.id, created.id, json!({"count": 3}), at(20)).await.expect("version 3");
    assert_eq!(third.version, 3);

    for version in 1..=3 {
        let stored = store.get_configuration(owner.id, created.id, Some(version)).await.expect("get works").expect("the version exists");
        assert_eq!(stored.version, version);
        assert_eq!(stored.latest_version, 3);
        assert_eq!(stored.body, json!({"count": version}));
    }
    let latest = store.get_configuration(owner.id, created.id, None).await.expect("get works").expect("the newest");
    assert_eq!(latest.version, 3);
    assert_eq!(store.get_configuration(owner.id, created.id, Some(4)).await.expect("get works"), None);

    let listed = store.list_configurations(owner.id).await.expect("list works");
    assert_eq!(listed.len(), 1, "one entry per configuration");
    assert_eq!(listed[0].version, 3);
    assert_eq!(listed[0].body, json!({"count": 3}));
}

/// Checks that names are unique per owner, but another owner may reuse one.
pub async fn create_configuration_rejects_taken_name(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let other = user_key(store, "other").await;
    store.create_configuration(owner.id, "shared name", json!({}), T0).await.expect("saved");
    let error = store.create_configuration(owner.id, "shared name", json!({}), at(1)).await.expect_err("taken");
    assert!(matches!(&error, StoreError::NameTaken { entity: "configuration", name } if name == "shared name"), "{error}");
    store.create_configuration(other.id, "shared name", json!({}), at(2)).await.expect("another owner may use the name");

    let zulu = store.create_configuration(owner.id, "Zulu", json!({}), at(3)).await.expect("saved");
    let listed: Vec<String> = store.list_configurations(owner.id).await.expect("list works").into_iter().map(|c| c.name).collect();
    assert_eq!(listed, vec!["Zulu".to_string(), "shared name".to_string()], "sorted by name");
    assert_eq!(zulu.version, 1);
}

/// Checks that blank names, non-object bodies and bodies holding a password are rejected.
pub async fn configuration_rejects_invalid_input(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let error = store.create_configuration(owner.id, " ", json!({}), T0).await.expect_err("a blank name");
    assert!(matches!(error, StoreError::InvalidInput { field: "name", .. }), "{error}");
    let error = store.create_configuration(owner.id, "list", json!(["a"]), T0).await.expect_err("not an object");
    assert!(matches!(error, StoreError::InvalidInput { field: "body", .. }), "{error}");
    let with_password = json!({"configuration": {"name": "x"}, "encryption_password": "open sesame 123"});
    let error = store.create_configuration(owner.id, "secret", with_password.clone(), T0).await.expect_err("a password");
    assert!(matches!(error, StoreError::InvalidInput { field: "body", .. }), "{error}");
    assert!(!error.to_string().contains("open sesame"), "{error}");

    let saved = store.create_configuration(owner.id, "valid", json!({}), T0).await.expect("saved");
    let error = store.update_configuration(owner.id, saved.id, with_password, at(1)).await.expect_err("a password");
    assert!(matches!(error, StoreError::InvalidInput { field: "body", .. }), "{error}");
    let stored = store.get_configuration(owner.id, saved.id, None).await.expect("get works").expect("the configuration");
    assert_eq!(stored.version, 1, "no version was added");
}

/// Checks that deleting a configuration removes every version.
pub async fn delete_configuration_removes_versions(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let saved = store.create_configuration(owner.id, "short-lived", json!({"count": 1}), T0).await.expect("saved");
    store.update_configuration(owner.id, saved.id, json!({"count": 2}), at(1)).await.expect("version 2");
    store.delete_configuration(owner.id, saved.id).await.expect("deleted");
    for version in [None, Some(1), Some(2)] {
        assert_eq!(store.get_configuration(owner.id, saved.id, version).await.expect("get works"), None);
    }
    assert!(store.list_configurations(owner.id).await.expect("list works").is_empty());
    let error = store.delete_configuration(owner.id, saved.id).await.expect_err("deleted once");
    assert!(matches!(error, StoreError::NotFound { entity: "configuration", .. }), "{error}");
    let error = store.update_configuration(owner.id, ConfigurationId::random(), json!({}), at(2)).await.expect_err("unknown");
    assert!(matches!(error, StoreError::NotFound { entity: "configuration", .. }), "{error}");
}

/// Checks that another key cannot get, list, update or delete a configuration.
pub async fn configuration_tenant_isolation(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let other = user_key(store, "other").await;
    let saved = store.create_configuration(owner.id, "private", json!({"count": 1}), T0).await.expect("saved");

    assert_eq!(store.get_configuration(other.id, saved.id, None).await.expect("get works"), None);
    assert_eq!(store.get_configuration(other.id, saved.id, Some(1)).await.expect("get works"), None);
    assert!(store.list_configurations(other.id).await.expect("list works").is_empty());
    let error = store.update_configuration(other.id, saved.id, json!({"count": 2}), at(1)).await.expect_err("not the owner");
    assert!(matches!(error, StoreError::NotFound { entity: "configuration", .. }), "{error}");
    let error = store.delete_configuration(other.id, saved.id).await.expect_err("not the owner");
    assert!(matches!(error, StoreError::NotFound { entity: "configuration", .. }), "{error}");

    let unchanged = store.get_configuration(owner.id, saved.id, None).await.expect("get works").expect("still there");
    assert_eq!(unchanged, saved);
}
