//! `GET /api/v1/jobs/{id}/events`: a job's progress as Server-Sent Events, for the planner page
//! and any client that wants updates without polling.
//!
//! A task reads the job from the store every [`POLL_INTERVAL`] and sends a `progress` event
//! whenever the job view changed. When the job is completed, failed or cancelled it sends one
//! `end` event with the final view and closes the stream. A client that disconnects closes the
//! channel, which stops the task, and so does the start of a server shutdown. The stream counts as one read against the key's limits.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::jobs::{find_job, job_view};
use crate::state::AppState;

/// How often the job is read. Running jobs record their progress every 250 ms.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Interval of the keep-alive comments that stop proxies from closing an idle stream.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(15);

/// Handles `GET /api/v1/jobs/{id}/events`.
pub async fn job_events(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    caller.admit_read(&state).await?;
    let job = find_job(&state, &caller, &id).await?;
    let (sender, receiver) = mpsc::channel(4);
    let owner = caller.key.id;
    let job_id = job.id;

    tokio::spawn(async move {
        let mut last_sent: Option<serde_json::Value> = None;
        loop {
            let job = match state.store.get_job(owner, job_id).await {
                Ok(Some(job)) => job,
                Ok(None) => {
                    let deleted = serde_json::json!({"error": "not_found", "detail": format!("job {job_id} was deleted")});
                    let _ = sender.send(Ok(Event::default().event("error").data(deleted.to_string()))).await;
                    return;
                }
                Err(error) => {
                    tracing::warn!(job.id = %job_id, error = %error, "failed to read a job for its event stream");
                    let failed = serde_json::json!({"error": "internal_error", "detail": "the server failed to read the job; the failure is logged"});
                    let _ = sender.send(Ok(Event::default().event("error").data(failed.to_string()))).await;
                    return;
                }
            };

            let view = job_view(&state, &job);
            if job.status.is_finished() {
                let _ = sender.send(Ok(Event::default().event("end").data(view.to_string()))).await;
                return;
            }
            if last_sent.as_ref() != Some(&view) {
                if sender.send(Ok(Event::default().event("progress").data(view.to_string()))).await.is_err() {
                    return;
                }
                last_sent = Some(view);
            }

            tokio::select! {
                _ = sender.closed() => return,
                _ = state.jobs.streams_closed() => return,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    });

    let stream: ReceiverStream<Result<Event, Infallible>> = ReceiverStream::new(receiver);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE_INTERVAL)).into_response())
}
