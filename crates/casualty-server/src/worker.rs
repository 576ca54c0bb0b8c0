//! The worker pool: claims queued jobs in priority order and runs each on blocking threads, so
//! the async runtime keeps serving requests during a long generation.
//!
//! A job's outputs go to `<data dir>/jobs/<job id>/`. The folder is built under a temporary name
//! and renamed when whole, so a cancelled, failed or interrupted job leaves no partial output.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides};
use casualty_output::encryption::EncryptWriterBuilder;
use casualty_output::{Compression, Encryption, Format, Metadata, OutputError, Packaging, Progress, RunOptions};
use casualty_store::{Job, JobControl, JobId, JobStatus, Millis, OutputFile};

use crate::config::Config;
use crate::metrics::{ErrorType, Metrics};
use crate::state::AppState;

/// How often a running job samples its progress for the metrics. The store is updated every
/// `job_lease_renew_ms`, which also renews the job's lease and reads cancellations made
/// through other instances.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// How long an idle worker waits before looking for jobs again, besides being woken.
const IDLE_POLL: Duration = Duration::from_secs(2);

/// The output folder of a job.
pub fn job_folder(config: &Config, job: JobId) -> PathBuf {
    config.data_dir.join("jobs").join(job.to_string())
}

/// Starts `config.workers` workers on the runtime.
pub fn spawn_workers(state: &AppState) {
    for worker in 0..state.config.workers {
        let state = state.clone();
        tokio::spawn(async move {
            tracing::info!(worker, "worker started");
            loop {
                // A job claimed during shutdown would run on after the server stopped serving.
                if state.jobs.is_shutting_down() {
                    tracing::info!(worker, "worker stopped for shutdown");
                    return;
                }
                match state.store.claim_next_job(&state.lease, Millis::now()).await {
                    Ok(Some(job)) => {
                        state.metrics.record_transition(Some(JobStatus::Pending), JobStatus::Running);
                        run_job(&state, job).await;
                    }
                    Ok(None) => {
                        tokio::select! {
                            _ = state.queued.notified() => {}
                            _ = tokio::time::sleep(IDLE_POLL) => {}
                        }
                    }
                    Err(error) => {
                        tracing::error!(worker, error = %error, "failed to claim a job; retrying");
                        tokio::time::sleep(IDLE_POLL).await;
                    }
                }
            }
        });
    }
}

/// Runs one claimed job to its end: completed, failed or cancelled.
async fn run_job(state: &AppState, job: Job) {
    let id = job.id;
    let (cancel, written, password) = state.jobs.with(id, |memory| (Arc::clone(&memory.cancel), Arc::clone(&memory.written), memory.password.take()));
    tracing::info!(job.id = %id, record.count = job.total_patients, "job started");
    let started = Instant::now();
    if job.attempts > 1 {
        remove_earlier_attempt(state, id).await;
    }
    let renew_interval = Duration::from_millis(state.config.job_lease_renew_ms);
    let mut last_renewal = Instant::now();
    // Set when this instance lost the job: its lease expired and the job went back to the queue
    // or to another instance, which now records the job's outcome.
    let mut abandoned = false;

    let outcome = match prepare(state, &job, password) {
        Ok(run) => {
            let cancel_flag = Arc::clone(&cancel);
            let written_counter = Arc::clone(&written);
            let metrics = Arc::clone(&state.metrics);
            let mut task = tokio::task::spawn_blocking(move || run.execute(&cancel_flag, &written_counter, &metrics));
            loop {
                tokio::select! {
                    result = &mut task => break result.unwrap_or_else(|error| Err(JobFailure::Failed(ErrorType::Internal, format!("the generation thread stopped: {error}")))),
                    _ = tokio::time::sleep(PROGRESS_INTERVAL) => {
                        state.metrics.sample_process();
                        if last_renewal.elapsed() < renew_interval {
                            continue;
                        }
                        last_renewal = Instant::now();
                        let done = written.load(Ordering::Relaxed);
                        let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
                        match state.store.update_progress(id, &state.lease.instance, "generating", done, Some(rate), Millis::now()).await {
                            Ok(JobControl::Cancel) => cancel.store(true, Ordering::SeqCst),
                            Ok(JobControl::Continue) => {}
                            Ok(JobControl::Abandon) | Err(casualty_store::StoreError::InvalidTransition { .. }) => {
                                tracing::warn!(job.id = %id, "job abandoned: its lease expired and it was queued again");
                                abandoned = true;
                                cancel.store(true, Ordering::SeqCst);
                            }
                            Err(error) => tracing::warn!(job.id = %id, error = %error, "failed to record job progress"),
                        }
                    }
                }
            }
        }
        Err(failure) => Err(failure),
    };

    if abandoned {
        // The generation stopped at the cancel flag and removed its temporary folder. A run that
        // finished anyway before seeing the flag left a whole output folder, which the next
        // attempt removes before it starts.
        state.jobs.remove(id);
        return;
    }
    let now = Millis::now();
    let metrics = &state.metrics;
    let (recorded, status) = match outcome {
        Ok((outputs, summary)) => {
            let duration = started.elapsed();
            tracing::info!(job.id = %id, duration_ms = duration.as_millis() as u64, "job completed");
            record_completed_run(metrics, &job, &outputs, duration);
            (state.store.complete_job(id, outputs, summary, now).await.map(|_| ()), JobStatus::Completed)
        }
        Err(JobFailure::Cancelled) if state.jobs.is_shutting_down() => {
            tracing::warn!(job.id = %id, "job interrupted by shutdown");
            metrics.record_error(ErrorType::Interrupted);
            (state.store.fail_job(id, "interrupted by a server shutdown; submit the job again", now).await.map(|_| ()), JobStatus::Failed)
        }
        Err(JobFailure::Cancelled) => {
            tracing::info!(job.id = %id, "job cancelled");
            (state.store.mark_cancelled(id, now).await.map(|_| ()), JobStatus::Cancelled)
        }
        Err(JobFailure::Failed(error_type, message)) => {
            tracing::warn!(job.id = %id, error = %message, error_type = error_type.as_str(), "job failed");
            metrics.record_error(error_type);
            (state.store.fail_job(id, &message, now).await.map(|_| ()), JobStatus::Failed)
        }
    };
    match recorded {
        Ok(()) => {
            metrics.record_transition(Some(JobStatus::Running), status);
            metrics.record_job_end(status, started.elapsed());
        }
        Err(error) => tracing::error!(job.id = %id, error = %error, "failed to record the end of a job"),
    }
    metrics.sample_process();
    state.jobs.remove(id);
}

/// Removes what an earlier attempt of a re-queued job left in the jobs folder: its temporary
/// folders, and its output folder when that attempt renamed it but stopped before recording the
/// completion. The lease makes this instance the only one running the job now.
async fn remove_earlier_attempt(state: &AppState, id: JobId) {
    let jobs = state.config.data_dir.join("jobs");
    let partial_prefix = format!(".{id}.");
    let Ok(mut entries) = tokio::fs::read_dir(&jobs).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let earlier = name == id.to_string() || (name.starts_with(&partial_prefix) && name.ends_with(".partial"));
        if !earlier {
            continue;
        }
        match tokio::fs::remove_dir_all(entry.path()).await {
            Ok(()) => tracing::info!(job.id = %id, folder = %name, "removed the output of an earlier attempt"),
            Err(error) => tracing::warn!(job.id = %id, folder = %name, error = %error, "failed to remove the output of an earlier attempt"),
        }
    }
}

/// Records a completed job's duration and size class, and the bytes of its files by format.
fn record_completed_run(metrics: &Metrics, job: &Job, outputs: &[OutputFile], duration: Duration) {
    let formats: Vec<Format> = job.formats.iter().filter_map(|name| Format::parse(name).ok()).collect();
    metrics.record_completed_run(&formats, job.total_patients, duration);
    for file in outputs {
        // A packaged file keeps its format's name and adds `.gz` or `.enc`. The file
        // metadata.json belongs to no format.
        let format = formats.iter().find(|format| format.file_names().iter().any(|name| file.name == *name || file.name.starts_with(&format!("{name}."))));
        if let Some(format) = format {
            metrics.add_output_bytes(*format, file.size_bytes);
        }
    }
}

/// The reason a job did not complete.
enum JobFailure {
    Cancelled,
    Failed(ErrorType, String),
}

/// The generation thread's progress: patients written, shared with the progress loop, and the
/// per-format counters of the metrics, which advance after every written batch and chunk.
struct RunProgress<'a> {
    written: &'a std::sync::atomic::AtomicU64,
    metrics: &'a Metrics,
    formats: &'a [Format],
    counted: u64,
}

impl Progress for RunProgress<'_> {
    fn written(&mut self, patients: u64) {
        self.written.store(patients, Ordering::Relaxed);
        let added = patients.saturating_sub(self.counted);
        self.counted = patients.max(self.counted);
        for format in self.formats {
            self.metrics.add_patients(*format, added);
        }
    }

    fn chunk_written(&mut self, _patients: u64) {
        for format in self.formats {
            self.metrics.add_chunk(*format);
        }
    }
}

/// Everything a job's generation thread needs.
struct PreparedRun {
    scenario: casualty_core::scenario::Scenario,
    formats: Vec<Format>,
    packaging: Packaging,
    folder: PathBuf,
    threads: usize,
}

fn prepare(state: &AppState, job: &Job, password: Option<zeroize::Zeroizing<String>>) -> Result<PreparedRun, JobFailure> {
    let request = parse_scenario_value(&job.config, CommandLineOverrides::default())
        .map_err(|error| JobFailure::Failed(ErrorType::InvalidRequest, format!("the stored scenario is no longer valid for this version: {error}")))?;
    let formats = job
        .formats
        .iter()
        .map(|name| Format::parse(name))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| JobFailure::Failed(ErrorType::InvalidRequest, format!("the stored formats are invalid: {error}")))?;
    let encryption = match (job.use_encryption, password) {
        (false, _) => None,
        (true, Some(password)) => Some(Encryption { builder: EncryptWriterBuilder::new(), password: zeroize::Zeroizing::new(password.as_bytes().to_vec()) }),
        // Claims prefer the instance that received an encrypted job (`NewJob::received_by`), but
        // another one takes it after it waited for a lease's duration, for example when that
        // instance stopped or its workers stayed busy for that long.
        (true, None) => {
            return Err(JobFailure::Failed(
                ErrorType::Interrupted,
                "the encryption password is kept only in the memory of the server that received the job, which restarted or is not the server that claimed it; submit the job again".into(),
            ))
        }
    };
    let packaging = Packaging { compression: job.use_compression.then_some(Compression::Gzip), encryption };
    let folder = job_folder(&state.config, job.id);
    Ok(PreparedRun { scenario: request.scenario, formats, packaging, folder, threads: state.config.job_threads })
}

impl PreparedRun {
    /// Generates and writes the outputs; returns the files written and the summary.
    fn execute(self, cancel: &AtomicBool, written: &std::sync::atomic::AtomicU64, metrics: &Metrics) -> Result<(Vec<OutputFile>, serde_json::Value), JobFailure> {
        let parent = self.folder.parent().expect("a job folder has a parent");
        std::fs::create_dir_all(parent).map_err(|error| JobFailure::Failed(ErrorType::of_io(&error), format!("failed to create the jobs folder: {error}")))?;
        let generator = Generator::new(&self.scenario);
        let range = 0..self.scenario.count;
        let metadata_of = |format: Format| Metadata::new(&self.scenario, format, range.clone(), None);
        let options = RunOptions::new(self.threads, range.clone());
        let mut progress = RunProgress { written, metrics, formats: &self.formats, counted: 0 };
        let result = casualty_output::write_folder(&generator, &self.formats, &metadata_of, &self.folder, &options, &self.packaging, &mut progress, cancel);
        match result {
            Ok((summary, _)) => {
                let outputs = list_files(&self.folder).map_err(|error| JobFailure::Failed(ErrorType::of_io(&error), format!("failed to list the outputs: {error}")))?;
                let summary = serde_json::to_value(summary.report()).map_err(|error| JobFailure::Failed(ErrorType::Internal, error.to_string()))?;
                Ok((outputs, summary))
            }
            Err(OutputError::Interrupted { .. }) => Err(JobFailure::Cancelled),
            Err(error) => {
                let error_type = match &error {
                    OutputError::Io { source, .. } => ErrorType::of_io(source),
                    OutputError::Encode(_) => ErrorType::Internal,
                    // The job folder is new, so finding it taken means another writer or a defect.
                    _ => ErrorType::Io,
                };
                let mut message = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    message.push_str(": ");
                    message.push_str(&cause.to_string());
                    source = cause.source();
                }
                // Server paths stay on the server: the caller sees the file name only.
                let shown = message.replace(&self.folder.display().to_string(), "<job output>");
                Err(JobFailure::Failed(error_type, shown))
            }
        }
    }
}

/// Lists the files of a finished job folder with their sizes, by name relative to the folder.
pub(crate) fn list_files(folder: &std::path::Path) -> std::io::Result<Vec<OutputFile>> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let relative = entry.path().strip_prefix(folder).map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default();
                files.push(OutputFile { name: relative, size_bytes: entry.metadata()?.len() });
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Removes the outputs of finished jobs older than the retention time, and their records.
pub fn spawn_retention(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(600));
        loop {
            interval.tick().await;
            let retention_millis = i64::try_from(state.config.retention_hours.saturating_mul(3_600_000)).unwrap_or(i64::MAX);
            let cutoff = Millis::now().plus_millis(retention_millis.saturating_neg());
            match state.store.jobs_finished_before(cutoff).await {
                Ok(jobs) => {
                    for job in jobs {
                        let folder = job_folder(&state.config, job.id);
                        match tokio::fs::remove_dir_all(&folder).await {
                            Ok(()) => {}
                            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                            Err(error) => {
                                tracing::warn!(job.id = %job.id, error = %error, "failed to remove expired outputs");
                                continue;
                            }
                        }
                        if let Err(error) = state.store.delete_job(job.owner, job.id).await {
                            tracing::warn!(job.id = %job.id, error = %error, "failed to remove an expired job");
                        } else {
                            tracing::info!(job.id = %job.id, "expired job removed");
                        }
                    }
                }
                Err(error) => tracing::warn!(error = %error, "failed to list expired jobs"),
            }
            if let Err(error) = state.store.purge_request_records(Millis::now()).await {
                tracing::warn!(error = %error, "failed to purge old request records");
            }
        }
    });
}
