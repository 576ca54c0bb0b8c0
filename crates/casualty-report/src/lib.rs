//! The run report: reads generated casualty records (NDJSON or JSON, plain or gzip) and renders
//! one self-contained HTML page with inline SVG charts, for a planner who wants to see what a
//! run contains at a glance.
//!
//! Reading streams the records and keeps only counts and minute histograms, so memory does not
//! grow with the number of records (see [`Statistics`]). The page is a pure function of the
//! records and metadata: no time stamps and no hash-map order, so the same input gives the same
//! bytes. Every string from the input is escaped, and the page loads nothing from the network.
//!
//! # Example
//! ```no_run
//! use std::path::Path;
//!
//! let run = casualty_report::read_run(Path::new("patients.ndjson"), &Default::default())?;
//! std::fs::write("report.html", casualty_report::render_html(&run)).expect("the report is written");
//! # Ok::<(), casualty_report::ReportError>(())
//! ```

mod charts;
mod data;
mod error;
mod html;
mod input;
mod metadata;
mod record;
mod statistics;
mod svg;

pub use data::{report_data, REPORT_DATA_VERSION};
pub use error::{Location, Problem, ReportError};
pub use html::escape;
pub use input::{read_json, read_metadata, read_ndjson, read_run, InputFormat, MetadataSource, ReadOptions, Run, MAX_LINE_BYTES};
pub use metadata::{FrontTargets, RunMetadata, ScenarioTargets, ShardInfo};
pub use statistics::{MinuteHistogram, Statistics, Tally, TallyEntry, ARRIVAL_ROLES, DEATHS, MAX_KINDS, PERCENTILES_PER_MILLE};

/// Renders the report of a run as one HTML page.
pub fn render_html(run: &Run) -> String {
    html::render_page(run)
}
