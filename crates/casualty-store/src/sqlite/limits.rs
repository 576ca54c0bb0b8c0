//! Rate-limit queries of `SqliteStore`: the sliding-window check with its record, usage counts
//! and the purge of old request records.

use sqlx::sqlite::SqlitePool;
use sqlx::Row;

use crate::rows::{missing_reference, to_i64};
use crate::error::{AdmitError, StoreError};
use crate::keys::{KeyId, RateLimits};
use crate::limits::{excess, latest, limited_windows, rejection, tightest, Quota, RequestKind, Usage, Window, WindowCounts};
use crate::time::Millis;

/// Counts a key's requests of one kind after the starts of the minute (`?3`), hour (`?4`) and
/// day (`?5`) windows. Records later than `now` count too (see `crate::limits`).
const COUNT_WINDOWS: &str = "SELECT COALESCE(SUM(at > ?3), 0) AS minute, COALESCE(SUM(at > ?4), 0) AS hour, COUNT(*) AS day \
     FROM api_requests WHERE key_id = ?1 AND kind = ?2 AND at > ?5";

/// Returns the time of the request at position `?4` (from 0, oldest first) after a window's
/// start `?3`.
const NTH_OLDEST: &str = "SELECT at FROM api_requests WHERE key_id = ?1 AND kind = ?2 AND at > ?3 ORDER BY at, id LIMIT 1 OFFSET ?4";

pub(super) async fn admit(pool: &SqlitePool, key: KeyId, kind: RequestKind, patients: u64, limits: RateLimits, now: Millis) -> Result<Option<Quota>, AdmitError> {
    let patients = to_i64(patients, "patients")?;
    let key_text = key.to_string();
    let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;

    let windows: Vec<(Window, u32)> = limited_windows(&limits).collect();
    // Each limited window with its count before this request and its oldest request's time.
    let mut admitted_windows = Vec::with_capacity(windows.len());
    if !windows.is_empty() {
        let row = sqlx::query(COUNT_WINDOWS)
            .bind(&key_text)
            .bind(kind.as_str())
            .bind(Window::Minute.start(now).as_unix_millis())
            .bind(Window::Hour.start(now).as_unix_millis())
            .bind(Window::Day.start(now).as_unix_millis())
            .fetch_one(&mut *transaction)
            .await?;
        let mut rejections = Vec::new();
        for (window, limit) in windows {
            let count: i64 = row.try_get(window.as_str())?;
            let Some(must_leave) = excess(count.unsigned_abs(), limit) else {
                let oldest_at = if count == 0 {
                    now
                } else {
                    let at: i64 = sqlx::query_scalar(NTH_OLDEST).bind(&key_text).bind(kind.as_str()).bind(window.start(now).as_unix_millis()).bind(0_i64).fetch_one(&mut *transaction).await?;
                    Millis::from_unix_millis(at)
                };
                admitted_windows.push((window, limit, count.unsigned_abs(), oldest_at));
                continue;
            };
            let leaving_at: i64 = sqlx::query_scalar(NTH_OLDEST)
                .bind(&key_text)
                .bind(kind.as_str())
                .bind(window.start(now).as_unix_millis())
                .bind(to_i64(must_leave - 1, "offset")?)
                .fetch_one(&mut *transaction)
                .await?;
            rejections.push(rejection(kind, window, limit, Millis::from_unix_millis(leaving_at), now));
        }
        if let Some(rejected) = latest(rejections) {
            transaction.rollback().await?;
            return Err(AdmitError::Rejected(rejected));
        }
    }

    sqlx::query("INSERT INTO api_requests (key_id, kind, at, patients) VALUES (?1, ?2, ?3, ?4)")
        .bind(&key_text)
        .bind(kind.as_str())
        .bind(now.as_unix_millis())
        .bind(patients)
        .execute(&mut *transaction)
        .await
        .map_err(|error| missing_reference(error, "API key", key_text.clone()))?;
    sqlx::query("UPDATE api_keys SET requests_total = requests_total + 1, patients_total = patients_total + ?2 WHERE id = ?1")
        .bind(&key_text)
        .bind(patients)
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(tightest(admitted_windows))
}

pub(super) async fn usage(pool: &SqlitePool, key: KeyId, now: Millis) -> Result<Usage, StoreError> {
    let key_text = key.to_string();
    // One read transaction, so the window counts and the totals describe the same moment.
    let mut transaction = pool.begin().await?;
    let totals = sqlx::query("SELECT requests_total, patients_total FROM api_keys WHERE id = ?1")
        .bind(&key_text)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or_else(|| StoreError::NotFound { entity: "API key", id: key_text.clone() })?;

    let rows = sqlx::query(
        "SELECT kind, \
         COALESCE(SUM(at > ?2), 0) AS minute, COALESCE(SUM(at > ?3), 0) AS hour, COUNT(*) AS day, \
         COALESCE(SUM(CASE WHEN at > ?2 THEN patients ELSE 0 END), 0) AS patients_minute, \
         COALESCE(SUM(CASE WHEN at > ?3 THEN patients ELSE 0 END), 0) AS patients_hour, \
         COALESCE(SUM(patients), 0) AS patients_day \
         FROM api_requests WHERE key_id = ?1 AND at > ?4 GROUP BY kind",
    )
    .bind(&key_text)
    .bind(Window::Minute.start(now).as_unix_millis())
    .bind(Window::Hour.start(now).as_unix_millis())
    .bind(Window::Day.start(now).as_unix_millis())
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;

    let mut usage = Usage {
        total_requests: non_negative(totals.try_get("requests_total")?),
        total_patients: non_negative(totals.try_get("patients_total")?),
        ..Usage::default()
    };
    for row in rows {
        let kind: String = row.try_get("kind")?;
        let counts = WindowCounts { minute: non_negative(row.try_get("minute")?), hour: non_negative(row.try_get("hour")?), day: non_negative(row.try_get("day")?) };
        if kind == RequestKind::Generate.as_str() {
            usage.generate = counts;
        } else {
            usage.read = counts;
        }
        usage.patients.minute += non_negative(row.try_get("patients_minute")?);
        usage.patients.hour += non_negative(row.try_get("patients_hour")?);
        usage.patients.day += non_negative(row.try_get("patients_day")?);
    }
    Ok(usage)
}

pub(super) async fn purge_request_records(pool: &SqlitePool, now: Millis) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM api_requests WHERE at <= ?1").bind(Window::Day.start(now).as_unix_millis()).execute(pool).await?;
    Ok(result.rows_affected())
}

/// Converts a `COUNT` or `SUM` of non-negative columns, which the table's checks keep at 0 or
/// more.
fn non_negative(value: i64) -> u64 {
    value.max(0).unsigned_abs()
}
