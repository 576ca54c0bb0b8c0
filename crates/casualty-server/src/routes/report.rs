//! `GET /api/v1/jobs/{id}/report`: the HTML report of casualty-report for a completed job.
//!
//! A job's records are a pure function of its stored scenario, so the report regenerates them
//! instead of reading the output files. That gives every job a report, whatever its formats,
//! compression or encryption, and never reads a file that retention may be deleting. The
//! records are serialized to NDJSON lines one at a time and counted by casualty-report's own
//! reader, so memory stays flat and the page equals what `casualty report` shows for the
//! job's NDJSON output. Time grows with the job's size.

use std::io::{BufReader, Read};

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides};
use casualty_output::{Format, Metadata};
use casualty_report::{InputFormat, MetadataSource, Run, Statistics};
use casualty_store::JobStatus;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::jobs::find_job;
use crate::state::AppState;

/// Content security policy of the report: it is self-contained, with inline styles and SVG, and
/// runs no script.
const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// Handles `GET /api/v1/jobs/{id}/report`.
pub async fn job_report(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    caller.admit_read(&state).await?;
    let job = find_job(&state, &caller, &id).await?;
    if job.status != JobStatus::Completed {
        return Err(ApiError::conflict(format!("job {} is {}; its report is available when it is completed", job.id, job.status.as_str())));
    }
    let config = job.config.clone();
    let input_name = format!("job {}", job.id);
    let page = tokio::task::spawn_blocking(move || render(&config, input_name)).await.map_err(|error| ApiError::internal(&error))?.map_err(|error| ApiError::internal(&error))?;

    let mut response = Html(page).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(REPORT_POLICY));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Regenerates the records of a stored request and renders their report.
fn render(config: &serde_json::Value, input_name: String) -> Result<String, String> {
    let request = parse_scenario_value(config, CommandLineOverrides::default()).map_err(|error| format!("the stored scenario is no longer valid for this version: {error}"))?;
    let scenario = &request.scenario;
    let generator = Generator::new(scenario);
    let mut statistics = Statistics::default();
    let lines = GeneratedLines { generator: &generator, next: 0, end: scenario.count, line: Vec::new(), position: 0 };
    casualty_report::read_ndjson(BufReader::new(lines), &input_name, &mut statistics).map_err(|error| error.to_string())?;

    let metadata = Metadata::new(scenario, Format::Ndjson, 0..scenario.count, None);
    let metadata = serde_json::to_value(&metadata).and_then(serde_json::from_value).map_err(|error| format!("the run metadata could not be converted: {error}"))?;
    let run = Run {
        input_name,
        format: InputFormat::Ndjson,
        compressed: false,
        statistics,
        metadata: MetadataSource::Found { origin: "the job's stored scenario".into(), metadata: Box::new(metadata) },
    };
    Ok(casualty_report::render_html(&run))
}

/// The NDJSON lines of a run, generated while they are read. Hand-written because the records
/// go straight from the generator into casualty-report's reader, which takes any `BufRead`,
/// without a file or the whole run in memory.
struct GeneratedLines<'a> {
    generator: &'a Generator<'a>,
    next: u64,
    end: u64,
    line: Vec<u8>,
    position: usize,
}

impl Read for GeneratedLines<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.position == self.line.len() {
            if self.next == self.end {
                return Ok(0);
            }
            self.line.clear();
            self.position = 0;
            serde_json::to_writer(&mut self.line, &self.generator.patient(self.next)).map_err(std::io::Error::other)?;
            self.line.push(b'\n');
            self.next += 1;
        }
        let count = buffer.len().min(self.line.len() - self.position);
        buffer[..count].copy_from_slice(&self.line[self.position..self.position + count]);
        self.position += count;
        Ok(count)
    }
}
