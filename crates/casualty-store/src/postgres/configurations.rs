//! Saved configuration queries of `PgStore`.

use serde_json::Value;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

use crate::configurations::{Configuration, ConfigurationId};
use crate::error::StoreError;
use crate::jobs::validate_document;
use crate::keys::{validate_name, KeyId};
use crate::rows::configuration_from_row;
use crate::time::Millis;

/// Selects a configuration with one of its versions: `$1` is the id, `$2` the owner and `$3`
/// the version, or `NULL` for the newest.
const SELECT_ONE: &str = "SELECT c.id, c.owner_key_id, c.name, c.latest_version, c.created_at, \
     v.version, v.body, v.created_at AS version_created_at \
     FROM configurations c JOIN configuration_versions v ON v.configuration_id = c.id AND v.version = COALESCE($3, c.latest_version) \
     WHERE c.id = $1 AND c.owner_key_id = $2";

pub(super) async fn create_configuration(pool: &PgPool, owner: KeyId, name: &str, body: Value, now: Millis) -> Result<Configuration, StoreError> {
    validate_name("name", name)?;
    validate_document("body", &body)?;
    let id = ConfigurationId::random();
    let mut transaction = pool.begin().await?;
    sqlx::query("INSERT INTO configurations (id, owner_key_id, name, latest_version, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $4)")
        .bind(id.to_string())
        .bind(owner.to_string())
        .bind(name)
        .bind(now.as_unix_millis())
        .execute(&mut *transaction)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(database) if database.is_unique_violation() => StoreError::NameTaken { entity: "configuration", name: name.to_string() },
            sqlx::Error::Database(database) if database.is_foreign_key_violation() => StoreError::NotFound { entity: "API key", id: owner.to_string() },
            _ => StoreError::Database(error),
        })?;
    insert_version(&mut transaction, id, 1, &body, now).await?;
    let configuration = select_latest(&mut transaction, owner, id).await?;
    transaction.commit().await?;
    configuration.ok_or_else(|| configuration_not_found(id))
}

pub(super) async fn update_configuration(pool: &PgPool, owner: KeyId, id: ConfigurationId, body: Value, now: Millis) -> Result<Configuration, StoreError> {
    validate_document("body", &body)?;
    let mut transaction = pool.begin().await?;
    let latest: Option<i64> = sqlx::query_scalar("SELECT latest_version FROM configurations WHERE id = $1 AND owner_key_id = $2 FOR UPDATE")
        .bind(id.to_string())
        .bind(owner.to_string())
        .fetch_optional(&mut *transaction)
        .await?;
    let latest = latest.ok_or_else(|| configuration_not_found(id))?;
    let next = latest + 1;
    if u32::try_from(next).is_err() {
        return Err(StoreError::InvalidInput { field: "version", value: next.to_string(), expected: format!("at most {} versions", u32::MAX) });
    }
    insert_version(&mut transaction, id, next, &body, now).await?;
    sqlx::query("UPDATE configurations SET latest_version = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(next)
        .bind(now.as_unix_millis())
        .execute(&mut *transaction)
        .await?;
    let configuration = select_latest(&mut transaction, owner, id).await?;
    transaction.commit().await?;
    configuration.ok_or_else(|| configuration_not_found(id))
}

pub(super) async fn get_configuration(pool: &PgPool, owner: KeyId, id: ConfigurationId, version: Option<u32>) -> Result<Option<Configuration>, StoreError> {
    let row = sqlx::query(SELECT_ONE).bind(id.to_string()).bind(owner.to_string()).bind(version.map(i64::from)).fetch_optional(pool).await?;
    row.as_ref().map(configuration_from_row).transpose()
}

pub(super) async fn list_configurations(pool: &PgPool, owner: KeyId) -> Result<Vec<Configuration>, StoreError> {
    let rows = sqlx::query(
        "SELECT c.id, c.owner_key_id, c.name, c.latest_version, c.created_at, \
         v.version, v.body, v.created_at AS version_created_at \
         FROM configurations c JOIN configuration_versions v ON v.configuration_id = c.id AND v.version = c.latest_version \
         WHERE c.owner_key_id = $1 ORDER BY c.name COLLATE \"C\", c.id",
    )
    .bind(owner.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter().map(configuration_from_row).collect()
}

pub(super) async fn delete_configuration(pool: &PgPool, owner: KeyId, id: ConfigurationId) -> Result<(), StoreError> {
    // The versions go with it through `ON DELETE CASCADE`.
    let result =
        sqlx::query("DELETE FROM configurations WHERE id = $1 AND owner_key_id = $2").bind(id.to_string()).bind(owner.to_string()).execute(pool).await?;
    if result.rows_affected() == 0 {
        return Err(configuration_not_found(id));
    }
    Ok(())
}

async fn insert_version(
    transaction: &mut Transaction<'static, Postgres>,
    id: ConfigurationId,
    version: i64,
    body: &Value,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO configuration_versions (configuration_id, version, body, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id.to_string())
        .bind(version)
        .bind(body.to_string())
        .bind(now.as_unix_millis())
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

async fn select_latest(transaction: &mut Transaction<'static, Postgres>, owner: KeyId, id: ConfigurationId) -> Result<Option<Configuration>, StoreError> {
    let row = sqlx::query(SELECT_ONE).bind(id.to_string()).bind(owner.to_string()).bind(None::<i64>).fetch_optional(&mut **transaction).await?;
    row.as_ref().map(configuration_from_row).transpose()
}

fn configuration_not_found(id: ConfigurationId) -> StoreError {
    StoreError::NotFound { entity: "configuration", id: id.to_string() }
}
