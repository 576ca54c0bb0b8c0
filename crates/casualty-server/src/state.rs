//! The state shared by every handler and worker: settings, store, and the jobs running now.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

use casualty_store::{JobId, Lease, Store};
use tokio::sync::Notify;

use crate::config::Config;
use crate::metrics::Metrics;

/// Shared state, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The settings.
    pub config: Arc<Config>,
    /// The persistent state.
    pub store: Arc<dyn Store>,
    /// Jobs in memory: passwords of pending encrypted jobs and the controls of running jobs.
    pub jobs: Arc<JobRegistry>,
    /// Wakes a worker when a job is queued.
    pub queued: Arc<Notify>,
    /// Threads that encode streamed patients, shared by every streaming request so that many
    /// clients cannot start more threads than the machine has.
    pub streaming_pool: Arc<rayon::ThreadPool>,
    /// The Prometheus series of this server.
    pub metrics: Arc<Metrics>,
    /// The lease that this instance takes on the jobs it claims, with its instance id.
    pub lease: Arc<Lease>,
}

/// Memory-only state of a job, never stored in the database.
#[derive(Default)]
pub struct JobMemory {
    /// The encryption password of a job that encrypts its outputs, until the job starts.
    pub password: Option<zeroize::Zeroizing<String>>,
    /// Set to stop the job at its next batch.
    pub cancel: Arc<AtomicBool>,
    /// Patients written so far, updated by the generation thread.
    pub written: Arc<AtomicU64>,
}

/// Jobs in memory, by id.
#[derive(Default)]
pub struct JobRegistry {
    jobs: Mutex<HashMap<JobId, JobMemory>>,
    shutting_down: AtomicBool,
    /// Cancelled when the server starts to stop, so that open job event streams end and let the
    /// graceful shutdown finish.
    streams_closing: tokio_util::sync::CancellationToken,
}

impl JobRegistry {
    /// Runs `action` on the memory of `job`, creating it when missing.
    pub fn with<T>(&self, job: JobId, action: impl FnOnce(&mut JobMemory) -> T) -> T {
        let mut jobs = self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        action(jobs.entry(job).or_default())
    }

    /// Sets the cancel flag of a running job, if it runs here.
    pub fn cancel(&self, job: JobId) {
        let jobs = self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(memory) = jobs.get(&job) {
            memory.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Stops every running job at shutdown; their workers record them as failed, not cancelled.
    pub fn shut_down(&self) {
        self.shutting_down.store(true, std::sync::atomic::Ordering::SeqCst);
        let jobs = self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for memory in jobs.values() {
            memory.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Ends every open job event stream; called first when the server stops.
    pub fn close_streams(&self) {
        self.streams_closing.cancel();
    }

    /// Completes when [`JobRegistry::close_streams`] was called.
    pub async fn streams_closed(&self) {
        self.streams_closing.cancelled().await;
    }

    /// Whether the service is shutting down.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether no job is in memory.
    pub fn is_empty(&self) -> bool {
        self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).is_empty()
    }

    /// Forgets a finished job.
    pub fn remove(&self, job: JobId) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        jobs.remove(&job);
    }

    /// Patients written so far by a running job.
    pub fn written(&self, job: JobId) -> Option<u64> {
        let jobs = self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        jobs.get(&job).map(|memory| memory.written.load(std::sync::atomic::Ordering::Relaxed))
    }
}
