//! API key queries of `SqliteStore`.

use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use subtle::ConstantTimeEq;

use crate::rows::{key_from_row, limit_value, KEY_COLUMNS};
use crate::error::{AuthError, StoreError};
use crate::keys::{
    display_prefix, generate_secret, hash_secret, validate_fixed_secret, validate_new_key, ApiKey, EnsuredKey, KeyId, KeyLimits, KeySecret, KeyStatus,
    NewKey, MAX_SECRET_CHARS,
};
use crate::time::Millis;

pub(super) async fn create_key(pool: &SqlitePool, new: NewKey, now: Millis) -> Result<(ApiKey, KeySecret), StoreError> {
    validate_new_key(&new, now)?;
    let secret = generate_secret(new.kind)?;
    let key = key_of(new, display_prefix(secret.expose()), now);
    insert_key(pool, &key, &hash_secret(secret.expose()), false).await?;
    Ok((key, secret))
}

pub(super) async fn ensure_key_with_secret(pool: &SqlitePool, new: NewKey, secret: &str, now: Millis) -> Result<EnsuredKey, StoreError> {
    validate_fixed_secret(secret)?;
    validate_new_key(&new, now)?;
    let hash = hash_secret(secret);
    let key = key_of(new, display_prefix(secret), now);
    // The insert does nothing when the hash exists, so instances starting together create one
    // key between them.
    let created = insert_key(pool, &key, &hash, true).await?;
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_sha256 = ?1");
    let row = sqlx::query(&sql).bind(&hash[..]).fetch_one(pool).await?;
    Ok(EnsuredKey { key: key_from_row(&row)?, created })
}

pub(super) async fn authenticate(pool: &SqlitePool, secret: &str, now: Millis) -> Result<ApiKey, AuthError> {
    if secret.is_empty() || secret.chars().count() > MAX_SECRET_CHARS {
        return Err(AuthError::Unknown);
    }
    let hash = hash_secret(secret);
    let sql = format!("SELECT {KEY_COLUMNS}, secret_sha256 FROM api_keys WHERE secret_sha256 = ?1");
    let Some(row) = sqlx::query(&sql).bind(&hash[..]).fetch_optional(pool).await? else {
        return Err(AuthError::Unknown);
    };
    // The index lookup above is not constant-time, but it compares hashes, whose timing reveals
    // nothing about any secret. The comparison of the full stored hash is constant-time, so the
    // accept decision never depends on how many bytes matched.
    let stored: Vec<u8> = row.try_get("secret_sha256")?;
    if !bool::from(stored.as_slice().ct_eq(&hash[..])) {
        return Err(AuthError::Unknown);
    }

    let mut key = key_from_row(&row)?;
    match key.status(now) {
        KeyStatus::Revoked => return Err(AuthError::Revoked { key: key.id, at: key.revoked_at.unwrap_or(now) }),
        KeyStatus::Expired => return Err(AuthError::Expired { key: key.id, at: key.expires_at.unwrap_or(now) }),
        KeyStatus::Disabled => return Err(AuthError::Disabled { key: key.id }),
        KeyStatus::Active => {}
    }
    sqlx::query("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)")
        .bind(key.id.to_string())
        .bind(now.as_unix_millis())
        .execute(pool)
        .await?;
    key.last_used_at = key.last_used_at.max(Some(now));
    Ok(key)
}

pub(super) async fn get_key(pool: &SqlitePool, id: KeyId) -> Result<Option<ApiKey>, StoreError> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1");
    let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(pool).await?;
    row.as_ref().map(key_from_row).transpose()
}

pub(super) async fn list_keys(pool: &SqlitePool) -> Result<Vec<ApiKey>, StoreError> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id");
    let rows = sqlx::query(&sql).fetch_all(pool).await?;
    rows.iter().map(key_from_row).collect()
}

pub(super) async fn set_key_enabled(pool: &SqlitePool, id: KeyId, enabled: bool) -> Result<ApiKey, StoreError> {
    let sql = format!("UPDATE api_keys SET enabled = ?2 WHERE id = ?1 AND revoked_at IS NULL RETURNING {KEY_COLUMNS}");
    let row = sqlx::query(&sql).bind(id.to_string()).bind(enabled).fetch_optional(pool).await?;
    changed_key(pool, id, row).await
}

pub(super) async fn revoke_key(pool: &SqlitePool, id: KeyId, now: Millis) -> Result<ApiKey, StoreError> {
    let sql = format!("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1 RETURNING {KEY_COLUMNS}");
    let row = sqlx::query(&sql).bind(id.to_string()).bind(now.as_unix_millis()).fetch_optional(pool).await?;
    match row {
        Some(row) => key_from_row(&row),
        None => Err(key_not_found(id)),
    }
}

pub(super) async fn rotate_key(pool: &SqlitePool, id: KeyId, now: Millis) -> Result<(ApiKey, KeySecret), StoreError> {
    let Some(current) = get_key(pool, id).await? else {
        return Err(key_not_found(id));
    };
    let secret = generate_secret(current.kind)?;
    let hash = hash_secret(secret.expose());
    let sql = format!(
        "UPDATE api_keys SET secret_sha256 = ?2, display_prefix = ?3, rotated_at = ?4 WHERE id = ?1 AND revoked_at IS NULL RETURNING {KEY_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(&hash[..])
        .bind(display_prefix(secret.expose()))
        .bind(now.as_unix_millis())
        .fetch_optional(pool)
        .await?;
    Ok((changed_key(pool, id, row).await?, secret))
}

pub(super) async fn update_key_limits(pool: &SqlitePool, id: KeyId, limits: KeyLimits) -> Result<ApiKey, StoreError> {
    let sql = format!(
        "UPDATE api_keys SET patients_per_request = ?2, per_minute = ?3, per_hour = ?4, per_day = ?5 \
         WHERE id = ?1 AND revoked_at IS NULL RETURNING {KEY_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(limit_value(limits.patients_per_request))
        .bind(limit_value(limits.rate.per_minute))
        .bind(limit_value(limits.rate.per_hour))
        .bind(limit_value(limits.rate.per_day))
        .fetch_optional(pool)
        .await?;
    changed_key(pool, id, row).await
}

/// Builds the row of a new key.
fn key_of(new: NewKey, display_prefix: String, now: Millis) -> ApiKey {
    ApiKey {
        id: KeyId::random(),
        name: new.name,
        kind: new.kind,
        display_prefix,
        limits: new.limits,
        expires_at: new.expires_at,
        enabled: true,
        revoked_at: None,
        created_at: now,
        last_used_at: None,
        rotated_at: None,
    }
}

/// Inserts a key and returns whether a row was added. With `skip_existing`, a key with the same
/// secret hash is left as it is and nothing is added.
async fn insert_key(pool: &SqlitePool, key: &ApiKey, hash: &[u8; 32], skip_existing: bool) -> Result<bool, StoreError> {
    let conflict = if skip_existing { " ON CONFLICT (secret_sha256) DO NOTHING" } else { "" };
    let sql = format!(
        "INSERT INTO api_keys (id, name, kind, secret_sha256, display_prefix, patients_per_request, per_minute, per_hour, per_day, \
         expires_at, enabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11){conflict}"
    );
    let result = sqlx::query(&sql)
        .bind(key.id.to_string())
        .bind(&key.name)
        .bind(key.kind.as_str())
        .bind(&hash[..])
        .bind(&key.display_prefix)
        .bind(limit_value(key.limits.patients_per_request))
        .bind(limit_value(key.limits.rate.per_minute))
        .bind(limit_value(key.limits.rate.per_hour))
        .bind(limit_value(key.limits.rate.per_day))
        .bind(key.expires_at.map(Millis::as_unix_millis))
        .bind(key.created_at.as_unix_millis())
        .execute(pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Returns the key updated by a statement limited to unrevoked keys, or the reason no row
/// matched: no such key, or a revoked one.
async fn changed_key(pool: &SqlitePool, id: KeyId, row: Option<sqlx::sqlite::SqliteRow>) -> Result<ApiKey, StoreError> {
    if let Some(row) = row {
        return key_from_row(&row);
    }
    match get_key(pool, id).await? {
        Some(_) => Err(StoreError::KeyRevoked { key: id }),
        None => Err(key_not_found(id)),
    }
}

fn key_not_found(id: KeyId) -> StoreError {
    StoreError::NotFound { entity: "API key", id: id.to_string() }
}
