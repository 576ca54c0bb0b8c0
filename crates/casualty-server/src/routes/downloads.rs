//! `GET /api/v1/downloads/{id}`: a job's outputs as one ZIP archive built while it is sent, or one
//! format's files with `?format=X`.

use std::io::Write;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::Response;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides};
use casualty_output::{Format, Sink};
use casualty_store::JobStatus;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::jobs::find_job;
use crate::state::AppState;
use crate::worker::job_folder;

/// Chunks of the archive in flight between the thread that builds it and the client. A slow
/// client fills the channel and so pauses the thread, which keeps memory flat.
const CHUNKS_IN_FLIGHT: usize = 8;

/// Bytes per chunk sent to the client.
const CHUNK_BYTES: usize = 256 * 1024;

/// Query of a download.
#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    /// One format only.
    format: Option<String>,
}

/// Handles `GET /api/v1/downloads/{id}`.
pub async fn download(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, Query(query): Query<DownloadQuery>) -> Result<Response, ApiError> {
    caller.admit_read(&state).await?;
    let job = find_job(&state, &caller, &id).await?;
    if job.status != JobStatus::Completed {
        return Err(ApiError::conflict(format!("job {} is {}; outputs can be downloaded when it is completed", job.id, job.status.as_str())));
    }
    let mut names: Vec<String> = job.outputs.iter().map(|file| file.name.clone()).collect();
    if let Some(format) = &query.format {
        let format = Format::parse(format).map_err(|error| ApiError::bad_request(format!("invalid format: {error}")))?;
        if !job.formats.iter().any(|name| name == format.as_str()) {
            return Err(ApiError::not_found(format!("job {} has no {} output; it has {}", job.id, format.as_str(), job.formats.join(", "))));
        }
        let wanted: Vec<&str> = format.file_names().to_vec();
        names.retain(|name| wanted.iter().any(|file| name == file || name.starts_with(&format!("{file}."))));
    }
    let folder = job_folder(&state.config, job.id);

    if query.format.is_some() && names.len() == 1 {
        let name = names.remove(0);
        let file = tokio::fs::File::open(folder.join(&name)).await.map_err(|error| ApiError::internal(&error))?;
        let stream = tokio_util::io::ReaderStream::with_capacity(file, CHUNK_BYTES);
        let download_name = name.rsplit('/').next().unwrap_or(&name).to_string();
        return Ok(attachment(Body::from_stream(stream), &download_name, "application/octet-stream"));
    }

    // Entries carry the scenario's base date, as the command line's archives do.
    let base_date = parse_scenario_value(&job.config, CommandLineOverrides::default()).map(|request| request.scenario.base_time).unwrap_or(0);
    let (sender, receiver) = mpsc::channel::<std::io::Result<Vec<u8>>>(CHUNKS_IN_FLIGHT);
    let job_id = job.id;
    tokio::task::spawn_blocking(move || {
        let sink = ChannelSink { sender: sender.clone(), buffer: Vec::with_capacity(CHUNK_BYTES) };
        if let Err(error) = casualty_output::package::write_zip(&folder, &names, base_date, Box::new(sink)) {
            // The client has the status line already; an error chunk ends the body early, so
            // the archive is recognisably incomplete.
            tracing::warn!(job.id = %job_id, error = %error, "download stopped");
            let _ = sender.blocking_send(Err(error));
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(receiver);
    Ok(attachment(Body::from_stream(stream), &format!("casualties-{job_id}.zip"), "application/zip"))
}

fn attachment(body: Body, file_name: &str, content_type: &str) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\""))
        .body(body)
        .expect("static headers are valid")
}

/// Sends what is written to it through a channel, in chunks, waiting while the channel is full.
struct ChannelSink {
    sender: mpsc::Sender<std::io::Result<Vec<u8>>>,
    buffer: Vec<u8>,
}

impl ChannelSink {
    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        self.sender.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client disconnected"))
    }
}

impl Write for ChannelSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink for ChannelSink {
    fn finish(mut self: Box<Self>) -> std::io::Result<()> {
        self.send_buffer()
    }
}
