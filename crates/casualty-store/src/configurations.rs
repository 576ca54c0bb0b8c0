//! Saved configurations: scenarios that a key stores by name and reuses. Each update adds a
//! version and keeps the earlier ones readable.

use serde_json::Value;

pub use crate::ids::ConfigurationId;
use crate::keys::KeyId;
use crate::time::Millis;

/// One version of a saved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Configuration {
    /// The id, shared by every version.
    pub id: ConfigurationId,
    /// The key that owns it; only this key can read, update or delete it.
    pub owner: KeyId,
    /// The name, unique among the owner's configurations.
    pub name: String,
    /// This version's number, from 1.
    pub version: u32,
    /// The newest version's number.
    pub latest_version: u32,
    /// This version's document, a JSON object.
    pub body: Value,
    /// When version 1 was saved.
    pub created_at: Millis,
    /// When this version was saved.
    pub version_created_at: Millis,
}
