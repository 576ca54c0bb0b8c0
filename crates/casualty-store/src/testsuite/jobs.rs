//! Tests of jobs: the state machine and its events, claim order, progress, cancellation,
//! deletion, restarts, retention and tenant isolation.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

use super::{at, lease, new_job, user_key, T0, LEASE_MS};
use crate::jobs::INTERRUPTED_ERROR;
use crate::{Job, JobControl, JobId, JobStatus, KeyId, Lease, OutputFile, Priority, RecoveredJob, Store, StoreError};

/// Creates a normal-priority job of `owner` at `now`.
async fn create(store: &dyn Store, owner: KeyId, now: crate::Millis) -> Job {
    store.create_job(new_job(owner, Priority::Normal), now).await.expect("a valid job is created")
}

/// Creates a job and claims it, so that it is running; the store must hold no other pending job.
async fn running(store: &dyn Store, owner: KeyId) -> Job {
    let job = create(store, owner, T0).await;
    let claimed = store.claim_next_job(&lease("instance-a"), at(1_000)).await.expect("claim works").expect("a pending job");
    assert_eq!(claimed.id, job.id);
    claimed
}

fn outputs() -> Vec<OutputFile> {
    vec![OutputFile { name: "patients.ndjson.enc".to_string(), size_bytes: 245_000 }, OutputFile { name: "metadata.json".to_string(), size_bytes: 1_200 }]
}

/// Returns the `(from, to)` pairs of a job's events.
async fn transitions(store: &dyn Store, owner: KeyId, id: JobId) -> Vec<(Option<JobStatus>, JobStatus)> {
    let events = store.get_job_events(owner, id).await.expect("get_job_events works").expect("the owner sees the events");
    events.into_iter().map(|event| (event.from, event.to)).collect()
}

fn assert_invalid_transition(error: StoreError, from: JobStatus, to: JobStatus) {
    match error {
        StoreError::InvalidTransition { from: actual_from, to: actual_to, .. } => {
            assert_eq!((actual_from, actual_to), (from, to), "the transition named in the error");
        }
        other => panic!("an invalid transition from {from} to {to} is rejected as such, but: {other}"),
    }
}

/// Checks that a new job is pending, keeps what was asked and records its creation.
pub async fn create_job_starts_pending(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let mut new = new_job(owner.id, Priority::High);
    new.formats = vec!["csv".to_string(), "fhir".to_string()];
    new.use_compression = true;
    let job = store.create_job(new.clone(), T0).await.expect("a valid job is created");

    assert_eq!(job.owner, owner.id);
    assert_eq!(job.status, JobStatus::Pending);
    assert_eq!(job.priority, Priority::High);
    assert_eq!(job.total_patients, 100);
    assert_eq!(job.formats, new.formats);
    assert!(job.use_compression);
    assert!(job.use_encryption);
    assert_eq!(job.config, new.config);
    assert_eq!(job.patients_done, 0);
    assert_eq!((job.created_at, job.updated_at), (T0, T0));
    assert_eq!((job.started_at, job.finished_at), (None, None));
    assert!(job.outputs.is_empty());

    let stored = store.get_job(owner.id, job.id).await.expect("get_job works").expect("the owner sees the job");
    assert_eq!(stored, job);
    let events = store.get_job_events(owner.id, job.id).await.expect("get_job_events works").expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].at, events[0].from, events[0].to), (T0, None, JobStatus::Pending));
}

/// Checks that jobs without patients or formats, with a non-object config or one holding a
/// password, or of an unknown owner are rejected.
pub async fn create_job_rejects_invalid_input(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let mut cases = Vec::new();
    let mut no_patients = new_job(owner.id, Priority::Normal);
    no_patients.total_patients = 0;
    cases.push(("total_patients", no_patients));
    let mut no_formats = new_job(owner.id, Priority::Normal);
    no_formats.formats.clear();
    cases.push(("formats", no_formats));
    let mut array = new_job(owner.id, Priority::Normal);
    array.config = json!([1, 2, 3]);
    cases.push(("config", array));
    let mut password = new_job(owner.id, Priority::Normal);
    password.config = json!({"configuration": {"name": "x"}, "encryption_password": "correct horse battery"});
    cases.push(("config", password));

    for (field, new) in cases {
        let error = store.create_job(new, T0).await.expect_err("an invalid job is rejected");
        assert!(matches!(error, StoreError::InvalidInput { field: actual, .. } if actual == field), "{field}: {error}");
        assert!(!error.to_string().contains("correct horse"), "a password never reaches a message: {error}");
    }
    let error = store.create_job(new_job(KeyId::random(), Priority::Normal), T0).await.expect_err("an unknown owner is rejected");
    assert!(matches!(error, StoreError::NotFound { entity: "API key", .. }), "{error}");
    assert_eq!(store.list_jobs(owner.id, None, 1, 100).await.expect("list_jobs works").1, 0, "nothing was stored");
}

/// Checks that pending jobs are claimed by priority, then age, then creation order.
pub async fn claim_next_job_follows_priority(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let plan = [
        ("low", Priority::Low, 0),
        ("normal-old", Priority::Normal, 1),
        ("high-late", Priority::High, 5),
        ("normal-new", Priority::Normal, 3),
        ("high-early", Priority::High, 2),
        ("high-same-millisecond", Priority::High, 5),
    ];
    let mut names = std::collections::HashMap::new();
    for (name, priority, offset) in plan {
        let job = store.create_job(new_job(owner.id, priority), at(offset)).await.expect("a job");
        names.insert(job.id, name);
    }

    let mut order = Vec::new();
    while let Some(job) = store.claim_next_job(&lease("instance-a"), at(100)).await.expect("claim works") {
        assert_eq!(job.status, JobStatus::Running);
        assert_eq!(job.started_at, Some(at(100)));
        order.push(names[&job.id]);
    }
    assert_eq!(order, vec!["high-early", "high-late", "high-same-millisecond", "normal-old", "normal-new", "low"]);
    assert!(store.claim_next_job(&lease("instance-a"), at(200)).await.expect("claim works").is_none(), "nothing is left");
}

/// Checks that a job runs, reports progress and completes, with an event for each change.
pub async fn job_lifecycle_completes(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let job = running(store, owner.id).await;
    let control = store.update_progress(job.id, "instance-a", "generating", 40, Some(1_250.5), at(2_000)).await.expect("progress is recorded");
    assert_eq!(control, JobControl::Continue);
    let progressing = store.get_job(owner.id, job.id).await.expect("get_job").expect("the job");
    assert_eq!(progressing.phase.as_deref(), Some("generating"));
    assert_eq!(progressing.patients_done, 40);
    assert_eq!(progressing.rate_per_second, Some(1_250.5));
    assert_eq!(progressing.updated_at, at(2_000));

    let summary = json!({"total": 100, "by_triage": {"T1": 20}});
    let completed = store.complete_job(job.id, outputs(), summary.clone(), at(3_000)).await.expect("the job completes");
    assert_eq!(completed.status, JobStatus::Completed);
    assert_eq!(completed.outputs, outputs());
    assert_eq!(completed.summary, Some(summary));
    assert_eq!(completed.patients_done, 100);
    assert_eq!(completed.finished_at, Some(at(3_000)));
    assert_eq!(store.get_job(owner.id, job.id).await.expect("get_job").expect("the job"), completed);

    let events = store.get_job_events(owner.id, job.id).await.expect("events").expect("the owner's job");
    let times: Vec<_> = events.iter().map(|event| event.at).collect();
    assert_eq!(times, vec![T0, at(1_000), at(3_000)]);
    assert_eq!(
        transitions(store, owner.id, job.id).await,
        vec![(None, JobStatus::Pending), (Some(JobStatus::Pending), JobStatus::Running), (Some(JobStatus::Running), JobStatus::Completed)]
    );
}

/// Checks that changes that the state machine forbids fail and leave the job as it was.
pub async fn job_invalid_transitions_rejected(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let pending = create(store, owner.id, T0).await;
    let error = store.complete_job(pending.id, outputs(), json!({}), at(1)).await.expect_err("a pending job cannot complete");
    assert_invalid_transition(error, JobStatus::Pending, JobStatus::Completed);
    let error = store.fail_job(pending.id, "boom", at(1)).await.expect_err("a pending job cannot fail");
    assert_invalid_transition(error, JobStatus::Pending, JobStatus::Failed);
    let error = store.mark_cancelled(pending.id, at(1)).await.expect_err("only a worker's running job is marked cancelled");
    assert_invalid_transition(error, JobStatus::Pending, JobStatus::Cancelled);
    let error = store.update_progress(pending.id, "instance-a", "generating", 1, None, at(1)).await.expect_err("a pending job has no progress");
    assert_invalid_transition(error, JobStatus::Pending, JobStatus::Running);
    assert_eq!(store.get_job(owner.id, pending.id).await.expect("get_job").expect("the job"), pending, "unchanged");

    let cancelled = store.request_cancel(owner.id, pending.id, at(2)).await.expect("a pending job is cancelled");
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    let error = store.complete_job(pending.id, outputs(), json!({}), at(3)).await.expect_err("a cancelled job cannot complete");
    assert_invalid_transition(error, JobStatus::Cancelled, JobStatus::Completed);
    let error = store.fail_job(pending.id, "late", at(3)).await.expect_err("a cancelled job cannot fail");
    assert_invalid_transition(error, JobStatus::Cancelled, JobStatus::Failed);
    assert!(store.claim_next_job(&lease("instance-a"), at(4)).await.expect("claim works").is_none(), "a cancelled job is never claimed");
    let after = store.get_job(owner.id, pending.id).await.expect("get_job").expect("the job");
    assert_eq!(after, cancelled, "unchanged by the rejected calls");

    let job = running(store, owner.id).await;
    store.complete_job(job.id, outputs(), json!({}), at(5)).await.expect("the job completes");
    let error = store.fail_job(job.id, "late", at(6)).await.expect_err("a completed job cannot fail");
    assert_invalid_transition(error, JobStatus::Completed, JobStatus::Failed);
    let error = store.request_cancel(owner.id, job.id, at(6)).await.expect_err("a completed job cannot be cancelled");
    assert_invalid_transition(error, JobStatus::Completed, JobStatus::Cancelled);
    let error = store.complete_job(job.id, outputs(), json!({}), at(6)).await.expect_err("a job completes once");
    assert_invalid_transition(error, JobStatus::Completed, JobStatus::Completed);
    assert_eq!(transitions(store, owner.id, job.id).await.len(), 3, "no event for a rejected change");

    let error = store.fail_job(JobId::random(), "x", at(7)).await.expect_err("an unknown job");
    assert!(matches!(error, StoreError::NotFound { entity: "job", .. }), "{error}");
}

/// Checks that a pending job is cancelled at once, and that asking again changes nothing.
pub async fn request_cancel_cancels_pending_job(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let job = create(store, owner.id, T0).await;
    let cancelled = store.request_cancel(owner.id, job.id, at(10)).await.expect("cancelled");
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert_eq!(cancelled.cancel_requested_at, Some(at(10)));
    assert_eq!(cancelled.finished_at, Some(at(10)));

    let again = store.request_cancel(owner.id, job.id, at(20)).await.expect("asking again is allowed");
    assert_eq!(again, cancelled);
    assert_eq!(transitions(store, owner.id, job.id).await, vec![(None, JobStatus::Pending), (Some(JobStatus::Pending), JobStatus::Cancelled)]);
}

/// Checks that a cancel request reaches a running job's worker, which marks it cancelled.
pub async fn request_cancel_signals_running_job(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let job = running(store, owner.id).await;
    let requested = store.request_cancel(owner.id, job.id, at(2_000)).await.expect("the request is recorded");
    assert_eq!(requested.status, JobStatus::Running, "the worker has not stopped yet");
    assert_eq!(requested.cancel_requested_at, Some(at(2_000)));
    let again = store.request_cancel(owner.id, job.id, at(2_500)).await.expect("asking again is allowed");
    assert_eq!(again.cancel_requested_at, Some(at(2_000)), "the first request time stays");

    let control = store.update_progress(job.id, "instance-a", "generating", 50, None, at(3_000)).await.expect("progress");
    assert_eq!(control, JobControl::Cancel);
    let cancelled = store.mark_cancelled(job.id, at(4_000)).await.expect("the worker stopped");
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert_eq!(cancelled.finished_at, Some(at(4_000)));
    assert_eq!(cancelled.patients_done, 50);
    assert_eq!(
        transitions(store, owner.id, job.id).await,
        vec![(None, JobStatus::Pending), (Some(JobStatus::Pending), JobStatus::Running), (Some(JobStatus::Running), JobStatus::Cancelled)]
    );
}

/// Checks that a failed job keeps its error, cut to 2,000 characters, in the job and its event.
pub async fn fail_job_records_error(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let job = running(store, owner.id).await;
    let long_error = format!("write failed: {}", "x".repeat(5_000));
    let failed = store.fail_job(job.id, &long_error, at(2_000)).await.expect("the job fails");
    assert_eq!(failed.status, JobStatus::Failed);
    let error = failed.error.expect("the error is kept");
    assert_eq!(error.chars().count(), 2_000);
    assert!(error.starts_with("write failed: xxx"));
    assert_eq!(failed.finished_at, Some(at(2_000)));
    let events = store.get_job_events(owner.id, job.id).await.expect("events").expect("the owner's job");
    let last = events.last().expect("events exist");
    assert_eq!(last.to, JobStatus::Failed);
    assert_eq!(last.message.as_deref(), Some(error.as_str()));
}

/// Checks that progress with an empty phase, an invalid rate or too many patients is rejected.
pub async fn update_progress_rejects_invalid_input(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let job = running(store, owner.id).await;
    let cases: [(&str, u64, Option<f64>, &str); 4] = [
        ("", 1, None, "phase"),
        ("generating", 101, None, "patients_done"),
        ("generating", 1, Some(-1.0), "rate_per_second"),
        ("generating", 1, Some(f64::NAN), "rate_per_second"),
    ];
    for (phase, done, rate, field) in cases {
        let error = store.update_progress(job.id, "instance-a", phase, done, rate, at(2_000)).await.expect_err("invalid progress");
        assert!(matches!(error, StoreError::InvalidInput { field: actual, .. } if actual == field), "{field}: {error}");
    }
    let unchanged = store.get_job(owner.id, job.id).await.expect("get_job").expect("the job");
    assert_eq!(unchanged.patients_done, 0);
    let control = store.update_progress(job.id, "instance-a", "writing", 100, Some(0.0), at(3_000)).await.expect("all patients done is valid");
    assert_eq!(control, JobControl::Continue);
}

/// Checks that jobs are listed newest first in pages, with the total, and filtered by status.
pub async fn list_jobs_pages_and_filters(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let mut created = Vec::new();
    for offset in 0..5 {
        created.push(create(store, owner.id, at(offset)).await.id);
    }
    let claimed = store.claim_next_job(&lease("instance-a"), at(10)).await.expect("claim").expect("a job");
    assert_eq!(claimed.id, created[0], "the oldest normal job");

    let (first_page, total) = store.list_jobs(owner.id, None, 1, 2).await.expect("page 1");
    assert_eq!(total, 5);
    assert_eq!(first_page.iter().map(|job| job.id).collect::<Vec<_>>(), vec![created[4], created[3]]);
    let (last_page, total) = store.list_jobs(owner.id, None, 3, 2).await.expect("page 3");
    assert_eq!(total, 5);
    assert_eq!(last_page.iter().map(|job| job.id).collect::<Vec<_>>(), vec![created[0]]);
    let (beyond, total) = store.list_jobs(owner.id, None, 4, 2).await.expect("page 4");
    assert!(beyond.is_empty());
    assert_eq!(total, 5);

    let (running, total) = store.list_jobs(owner.id, Some(JobStatus::Running), 1, 10).await.expect("running jobs");
    assert_eq!(total, 1);
    assert_eq!(running[0].id, created[0]);
    let (pending, total) = store.list_jobs(owner.id, Some(JobStatus::Pending), 1, 10).await.expect("pending jobs");
    assert_eq!(total, 4);
    assert!(pending.iter().all(|job| job.status == JobStatus::Pending));

    for (page, per_page, field) in [(0, 10, "page"), (1, 0, "per_page"), (1, 101, "per_page")] {
        let error = store.list_jobs(owner.id, None, page, per_page).await.expect_err("invalid paging");
        assert!(matches!(error, StoreError::InvalidInput { field: actual, .. } if actual == field), "{field}: {error}");
    }
}

/// Checks that only a finished job can be deleted, and it goes with its events.
pub async fn delete_job_requires_finished_job(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let job = running(store, owner.id).await;
    let error = store.delete_job(owner.id, job.id).await.expect_err("a running job stays");
    assert!(matches!(error, StoreError::JobNotFinished { status: JobStatus::Running, .. }), "{error}");

    store.complete_job(job.id, outputs(), json!({}), at(2_000)).await.expect("completes");
    let deleted = store.delete_job(owner.id, job.id).await.expect("a completed job is deleted");
    assert_eq!(deleted.outputs, outputs(), "the caller learns which files to remove");
    assert_eq!(store.get_job(owner.id, job.id).await.expect("get_job works"), None);
    assert_eq!(store.get_job_events(owner.id, job.id).await.expect("get_job_events works"), None);
    let error = store.delete_job(owner.id, job.id).await.expect_err("deleted once");
    assert!(matches!(error, StoreError::NotFound { entity: "job", .. }), "{error}");

    let pending = create(store, owner.id, at(3_000)).await;
    let error = store.delete_job(owner.id, pending.id).await.expect_err("a pending job stays");
    assert!(matches!(error, StoreError::JobNotFinished { status: JobStatus::Pending, .. }), "{error}");
}

/// Checks that a claim records the instance, the lease and the attempt, and that progress
/// renews the lease.
pub async fn claim_next_job_takes_lease(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let job = create(store, owner.id, at(0)).await;
    assert_eq!((job.claimed_by.as_deref(), job.lease_expires_at, job.attempts), (None, None, 0), "a pending job has no lease");

    let claimed = store.claim_next_job(&lease("instance-a"), at(10)).await.expect("claim").expect("a job");
    assert_eq!(claimed.id, job.id);
    assert_eq!(claimed.claimed_by.as_deref(), Some("instance-a"));
    assert_eq!(claimed.lease_expires_at, Some(at(10 + LEASE_MS)));
    assert_eq!(claimed.attempts, 1);
    let events = store.get_job_events(owner.id, job.id).await.expect("events").expect("the job");
    assert_eq!(events.last().and_then(|event| event.message.as_deref()), Some("claimed by instance instance-a (attempt 1)"));

    store.update_progress(job.id, "instance-a", "generating", 10, None, at(500)).await.expect("progress");
    let renewed = store.get_job(owner.id, job.id).await.expect("get_job").expect("the job");
    assert_eq!(renewed.lease_expires_at, Some(at(500 + LEASE_MS)), "progress renews the lease");
    assert!(store.recover_expired_jobs(3, at(10 + LEASE_MS)).await.expect("recover").is_empty(), "the renewed lease has not expired");

    let completed = store.complete_job(job.id, outputs(), json!({}), at(600)).await.expect("completes");
    assert_eq!(completed.lease_expires_at, None, "a finished job holds no lease");
    assert_eq!(completed.claimed_by.as_deref(), Some("instance-a"), "the instance that ran it stays recorded");

    let invalid = [Lease { instance: String::new(), duration_ms: 1_000 }, Lease { instance: "a b".into(), duration_ms: 1_000 }, Lease { instance: "a".into(), duration_ms: 0 }];
    for lease in invalid {
        let error = store.claim_next_job(&lease, at(700)).await.expect_err("an invalid lease is rejected");
        assert!(matches!(error, StoreError::InvalidInput { .. }), "{lease:?}: {error}");
    }
}

/// Checks that a job received by one instance waits for that instance for a lease's duration,
/// and any instance may claim it after that.
pub async fn claim_next_job_prefers_receiving_instance(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let mut request = new_job(owner.id, Priority::Normal);
    request.received_by = Some("instance-a".to_string());
    let kept = store.create_job(request.clone(), at(0)).await.expect("a job");

    assert!(store.claim_next_job(&lease("instance-b"), at(1)).await.expect("claim").is_none(), "another instance leaves the job alone");
    let claimed = store.claim_next_job(&lease("instance-a"), at(2)).await.expect("claim").expect("the receiving instance claims it");
    assert_eq!(claimed.id, kept.id);

    let waiting = store.create_job(request, at(10)).await.expect("a job");
    assert!(store.claim_next_job(&lease("instance-b"), at(10 + LEASE_MS - 1)).await.expect("claim").is_none(), "the job still waits for its instance");
    let taken = store.claim_next_job(&lease("instance-b"), at(10 + LEASE_MS)).await.expect("claim").expect("after a lease's duration any instance claims it");
    assert_eq!(taken.id, waiting.id);
}

/// Checks that jobs whose lease expired go back to pending until their last attempt, then fail,
/// and that jobs with a live lease and other statuses are left alone.
pub async fn recover_expired_jobs_requeues_then_fails(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let job = create(store, owner.id, at(0)).await;
    store.claim_next_job(&lease("instance-a"), at(10)).await.expect("claim").expect("a job");
    store.update_progress(job.id, "instance-a", "generating", 30, Some(100.0), at(20)).await.expect("progress");
    let live = create(store, owner.id, at(1)).await;
    let completed = create(store, owner.id, at(2)).await;
    let other = create(store, owner.id, at(3)).await;

    // Just before the expiry nothing happens.
    assert!(store.recover_expired_jobs(2, at(20 + LEASE_MS - 1)).await.expect("recover").is_empty());

    // The second job is claimed later, so its lease outlives the first one's.
    store.claim_next_job(&lease("instance-b"), at(5_000)).await.expect("claim").expect("a job");
    store.claim_next_job(&lease("instance-b"), at(5_000)).await.expect("claim").expect("a job");
    store.complete_job(completed.id, outputs(), json!({}), at(5_001)).await.expect("completes");

    let expired_at = at(20 + LEASE_MS);
    let recovered = store.recover_expired_jobs(2, expired_at).await.expect("recover");
    assert_eq!(recovered, vec![RecoveredJob { id: job.id, status: JobStatus::Pending }]);
    let queued = store.get_job(owner.id, job.id).await.expect("get_job").expect("the job");
    assert_eq!(queued.status, JobStatus::Pending);
    assert_eq!(queued.patients_done, 0, "the next attempt starts again");
    assert_eq!(queued.lease_expires_at, None);
    assert_eq!(queued.finished_at, None);
    let events = store.get_job_events(owner.id, job.id).await.expect("events").expect("the job");
    let last = events.last().expect("an event");
    assert_eq!((last.from, last.to), (Some(JobStatus::Running), JobStatus::Pending));
    assert_eq!(last.message.as_deref(), Some("lease expired after attempt 1; queued again"));
    assert_eq!(store.get_job(owner.id, live.id).await.expect("get_job").expect("the job").status, JobStatus::Running, "a live lease is kept");
    assert_eq!(store.get_job(owner.id, other.id).await.expect("get_job").expect("the job").status, JobStatus::Pending, "a pending job is left alone");

    // The re-queued job comes first again (it is the oldest), and its second attempt is the last.
    let second = store.claim_next_job(&lease("instance-b"), at(LEASE_MS + 100)).await.expect("claim").expect("a job");
    assert_eq!(second.id, job.id);
    assert_eq!(second.attempts, 2);
    assert_eq!(second.claimed_by.as_deref(), Some("instance-b"));
    let stale = store.update_progress(job.id, "instance-a", "generating", 90, None, at(LEASE_MS + 200)).await.expect("progress of the first attempt");
    assert_eq!(stale, JobControl::Abandon, "the instance whose lease expired learns that it lost the job");
    let unchanged = store.get_job(owner.id, job.id).await.expect("get_job").expect("the job");
    assert_eq!(unchanged.patients_done, 0, "the first attempt records nothing more");
    assert_eq!(unchanged.lease_expires_at, Some(at(LEASE_MS + 100 + LEASE_MS)), "nor renews the new lease");
    let failed_at = at(LEASE_MS + 100 + LEASE_MS);
    let recovered = store.recover_expired_jobs(2, failed_at).await.expect("recover");
    assert!(recovered.contains(&RecoveredJob { id: job.id, status: JobStatus::Failed }), "{recovered:?}");
    let failed = store.get_job(owner.id, job.id).await.expect("get_job").expect("the job");
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some(INTERRUPTED_ERROR));
    assert_eq!(failed.finished_at, Some(failed_at));
    assert!(store.recover_expired_jobs(2, failed_at.plus_millis(1)).await.expect("recover").iter().all(|recovered| recovered.id != job.id), "a failed job stays failed");
    assert!(store.recover_expired_jobs(2, failed_at.plus_millis(1)).await.expect("recover").is_empty(), "each job is recovered once");
}

/// Checks that retention finds every key's jobs that finished before the cutoff, oldest first.
pub async fn jobs_finished_before_returns_old_jobs(store: &dyn Store) {
    let first = user_key(store, "first").await;
    let second = user_key(store, "second").await;
    let mut finished = Vec::new();
    for (owner, finished_at) in [(first.id, 100), (second.id, 200), (first.id, 300)] {
        let job = create(store, owner, at(finished_at - 50)).await;
        store.claim_next_job(&lease("instance-a"), at(finished_at - 10)).await.expect("claim").expect("a job");
        store.fail_job(job.id, "boom", at(finished_at)).await.expect("fails");
        finished.push(job.id);
    }
    create(store, first.id, at(400)).await;

    let old = store.jobs_finished_before(at(300)).await.expect("jobs_finished_before works");
    assert_eq!(old.iter().map(|job| job.id).collect::<Vec<_>>(), vec![finished[0], finished[1]], "300 is not before 300");
    let all = store.jobs_finished_before(at(10_000)).await.expect("works");
    assert_eq!(all.len(), 3, "a pending job has not finished");
}

/// Checks that job counts cover every key and every status, with zeros for unused statuses.
pub async fn count_jobs_by_status_counts_every_key(store: &dyn Store) {
    let first = user_key(store, "first").await;
    let second = user_key(store, "second").await;
    let count_of = |counts: &[(JobStatus, u64)], status: JobStatus| counts.iter().find(|(known, _)| *known == status).map(|(_, count)| *count);

    let empty = store.count_jobs_by_status().await.expect("count_jobs_by_status works");
    for status in JobStatus::ALL {
        assert_eq!(count_of(&empty, status), Some(0), "{status} is listed at zero in an empty store");
    }

    create(store, first.id, T0).await;
    store.claim_next_job(&lease("instance-a"), at(1_000)).await.expect("claim").expect("a job");
    create(store, first.id, at(2_000)).await;
    create(store, second.id, at(3_000)).await;
    let counts = store.count_jobs_by_status().await.expect("works");
    assert_eq!(count_of(&counts, JobStatus::Running), Some(1));
    assert_eq!(count_of(&counts, JobStatus::Pending), Some(2), "pending jobs of both keys");
    assert_eq!(count_of(&counts, JobStatus::Completed), Some(0));
}

/// Checks that another key cannot see, list, cancel, delete or read the events of a job.
pub async fn job_tenant_isolation(store: &dyn Store) {
    let owner = user_key(store, "owner").await;
    let other = user_key(store, "other").await;
    let job = create(store, owner.id, T0).await;

    assert_eq!(store.get_job(other.id, job.id).await.expect("get_job works"), None);
    assert_eq!(store.get_job_events(other.id, job.id).await.expect("get_job_events works"), None);
    let (jobs, total) = store.list_jobs(other.id, None, 1, 100).await.expect("list_jobs works");
    assert!(jobs.is_empty());
    assert_eq!(total, 0);
    let error = store.request_cancel(other.id, job.id, at(1)).await.expect_err("another key cannot cancel");
    assert!(matches!(error, StoreError::NotFound { entity: "job", .. }), "{error}");

    store.request_cancel(owner.id, job.id, at(2)).await.expect("the owner cancels");
    let error = store.delete_job(other.id, job.id).await.expect_err("another key cannot delete");
    assert!(matches!(error, StoreError::NotFound { entity: "job", .. }), "{error}");
    let still_there = store.get_job(owner.id, job.id).await.expect("get_job works");
    assert!(still_there.is_some(), "the owner's job is untouched");
}

/// Checks that ten workers claiming at once never get the same job.
pub async fn claim_next_job_concurrent_claims_once(store: Arc<dyn Store>) {
    let owner = user_key(&*store, "owner").await;
    let mut created = HashSet::new();
    for offset in 0..6 {
        created.insert(create(&*store, owner.id, at(offset)).await.id);
    }
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let store = Arc::clone(&store);
        workers.spawn(async move { store.claim_next_job(&lease("instance-a"), at(100)).await });
    }
    let mut claimed = Vec::new();
    while let Some(result) = workers.join_next().await {
        if let Some(job) = result.expect("the task finished").expect("claim works") {
            claimed.push(job.id);
        }
    }
    assert_eq!(claimed.len(), 6, "six jobs for ten workers");
    assert_eq!(claimed.into_iter().collect::<HashSet<_>>(), created, "each job claimed once");
}
