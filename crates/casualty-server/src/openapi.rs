//! The OpenAPI 3.1 document of the service, served at `GET /openapi.json`, and an API reference
//! that renders it, served at `GET /docs`.
//!
//! The handlers take `serde_json::Value` bodies and check them field by field, so that one
//! response can list every invalid field. Their Rust types therefore do not describe the wire
//! format, and this module describes the API separately, with documentation-only types: schema
//! structs that derive [`utoipa::ToSchema`] and are never built, and functions under
//! `#[utoipa::path]` that are never called. The attribute keeps each operation's parameters,
//! bodies and responses in one place next to its doc comment, which becomes the operation's
//! summary and description, and a misspelled schema or response name fails to compile. What
//! many operations share (the `X-API-Key` scheme, the `X-Request-Id` response header and the
//! quota headers of admitted requests) is added once by `SharedParts`. `tests/openapi.rs`
//! checks that the documented paths are the ones the router serves and validates the document
//! with openapi-spec-validator.
//!
//! The viewer is Swagger UI, vendored unmodified under `assets/docs/swagger-ui/` (its README
//! gives the package version) and embedded in the binary, so `/docs` works without internet
//! access. The page and the script that starts the viewer are `assets/docs/index.html` and
//! `assets/docs/docs.js`.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, RefOr, Type};
use utoipa::OpenApi;

use crate::error::ApiError;
use crate::state::AppState;

/// Cache policy of the document and the page: browsers may keep them but must revalidate with
/// the entity tag before each use, so a new version of the server shows at once.
const REVALIDATE: &str = "no-cache";

/// Cache policy of the viewer's assets. Their URLs carry no version, so a browser can use an
/// outdated copy for at most this hour after the server is upgraded, then revalidates.
const ASSET_CACHE: &str = "public, max-age=3600";

/// Content security policy of the page: everything comes from this server. Swagger UI sets
/// inline styles and its stylesheet uses `data:` images.
const PAGE_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Builds the router of `GET /openapi.json`, `GET /docs` and the viewer's files under `/docs/`.
/// None of them needs a key.
pub fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(serve_document)).route("/docs", get(serve_page)).route("/docs/{file}", get(serve_asset))
}

/// Returns the OpenAPI document that `GET /openapi.json` serves.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// A static file with its media type and its entity tag, computed on first use.
pub(crate) struct StaticFile {
    pub(crate) name: &'static str,
    pub(crate) content_type: &'static str,
    pub(crate) bytes: &'static [u8],
    entity_tag: OnceLock<String>,
}

impl StaticFile {
    pub(crate) const fn new(name: &'static str, content_type: &'static str, bytes: &'static [u8]) -> StaticFile {
        StaticFile { name, content_type, bytes, entity_tag: OnceLock::new() }
    }

    pub(crate) fn entity_tag(&self) -> &str {
        self.entity_tag.get_or_init(|| entity_tag(self.bytes))
    }
}

/// The page of `GET /docs`.
static PAGE: StaticFile = StaticFile::new("index.html", "text/html; charset=utf-8", include_bytes!("../assets/docs/index.html"));

/// The files under `/docs/`. Their names are also the `file` values of the document.
static ASSETS: [StaticFile; 3] = [
    StaticFile::new("swagger-ui-bundle.js", "text/javascript; charset=utf-8", include_bytes!("../assets/docs/swagger-ui/swagger-ui-bundle.js")),
    StaticFile::new("swagger-ui.css", "text/css; charset=utf-8", include_bytes!("../assets/docs/swagger-ui/swagger-ui.css")),
    StaticFile::new("docs.js", "text/javascript; charset=utf-8", include_bytes!("../assets/docs/docs.js")),
];

/// The serialized document and its entity tag, built on first use.
static DOCUMENT: OnceLock<Result<(String, String), String>> = OnceLock::new();

async fn serve_document(headers: HeaderMap) -> Result<Response, ApiError> {
    let built = DOCUMENT.get_or_init(|| document().to_pretty_json().map(|json| (entity_tag(json.as_bytes()), json)).map_err(|error| error.to_string()));
    match built {
        Ok((tag, json)) => Ok(respond(&headers, json.as_bytes(), "application/json", REVALIDATE, tag, &[])),
        Err(error) => Err(ApiError::internal(&format!("the OpenAPI document could not be serialized: {error}"))),
    }
}

async fn serve_page(headers: HeaderMap) -> Response {
    respond(&headers, PAGE.bytes, PAGE.content_type, REVALIDATE, PAGE.entity_tag(), &[(header::CONTENT_SECURITY_POLICY, PAGE_POLICY)])
}

async fn serve_asset(headers: HeaderMap, Path(file): Path<String>) -> Result<Response, ApiError> {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == file) else {
        let names: Vec<&str> = ASSETS.iter().map(|asset| asset.name).collect();
        let shortened: String = file.chars().take(40).collect();
        return Err(ApiError::not_found(format!("no documentation file `{shortened}`; the files are {}", names.join(", "))));
    };
    Ok(respond(&headers, asset.bytes, asset.content_type, ASSET_CACHE, asset.entity_tag(), &[]))
}

/// Builds a 200 response with `body`, or a 304 without it when the request's `If-None-Match`
/// already names `tag`.
pub(crate) fn respond(request: &HeaderMap, body: &'static [u8], content_type: &'static str, cache_control: &'static str, tag: &str, extra: &[(header::HeaderName, &'static str)]) -> Response {
    let not_modified = request.get_all(header::IF_NONE_MATCH).iter().filter_map(|value| value.to_str().ok()).any(|value| matches_entity_tag(value, tag));
    let mut response = if not_modified { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let headers = response.headers_mut();
    if !not_modified {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(tag) {
        headers.insert(header::ETAG, value);
    }
    for (name, value) in extra {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    response
}

/// Returns whether an `If-None-Match` value (`*` or a list of tags, weak or strong) names `tag`.
/// The comparison is weak, as RFC 9110 prescribes for `If-None-Match`.
fn matches_entity_tag(value: &str, tag: &str) -> bool {
    value.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
}

/// Returns a strong entity tag for `bytes`. The hash only has to differ when the bytes do within
/// one build, so the standard library's hasher is enough.
fn entity_tag(bytes: &[u8]) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    format!("\"{:016x}\"", hasher.finish())
}

/// The description at the top of the document.
const API_DESCRIPTION: &str = "\
Generates synthetic military medical casualties. A client posts a scenario as a generation job, \
polls the job, pages through its patients and downloads its outputs, or streams patients as they \
are generated.

**Keys.** Every operation except the health checks, the metrics, the reference lists, the presets \
and this documentation needs an API key in the `X-API-Key` header. The demo key \
`DEMO_MILMED_2025_50_PATIENTS` allows 50 patients per request and 10 generating requests per \
minute, 50 per hour and 100 per day, unless the operator changed or disabled it. A key sees only \
its own jobs and configurations.

**Limits.** Generating requests and reads (polling, pages, downloads) are counted separately over \
sliding windows. A request that a limit admitted gets `X-RateLimit-Limit`, \
`X-RateLimit-Remaining`, `X-RateLimit-Reset` and `X-RateLimit-Window` for the window with the \
fewest requests left; a request above a rate limit gets 429 with `Retry-After` and the same \
headers. A request for more patients than the key allows gets 403.

**Errors.** Every failure returns `{\"error\", \"detail\", \"timestamp\", \"request_id\"}`; a 422 \
also lists every invalid field in `errors`. Every response carries an `X-Request-Id` header: the \
client's own value when the request sent one, else a new UUID. It equals the `request_id` of an \
error body and appears in the server's log line of the request.

**Paths.** Each path is also accepted with a trailing slash.";

#[derive(OpenApi)]
#[openapi(
    info(title = "casualty generation service", description = API_DESCRIPTION),
    paths(
        operations::health,
        operations::live,
        operations::ready,
        operations::create_generation,
        operations::list_jobs,
        operations::get_job,
        operations::delete_job,
        operations::cancel_job,
        operations::job_events,
        operations::job_report,
        operations::job_results,
        operations::job_patient,
        operations::download,
        operations::stream_saved,
        operations::stream_posted,
        operations::list_configurations,
        operations::create_configuration,
        operations::validate_configuration,
        operations::reference_list,
        operations::get_configuration,
        operations::update_configuration,
        operations::delete_configuration,
        operations::list_presets,
        operations::get_preset,
        operations::openapi_document,
        operations::docs_page,
        operations::docs_asset,
        operations::planner_page,
        operations::planner_file,
        operations::metrics,
    ),
    // utoipa registers the schemas of bodies, but not those of parameters or of the reusable
    // responses, so these are listed here.
    components(
        schemas(
            schemas::ErrorBody,
            schemas::ValidationErrorBody,
            schemas::JobStatus,
            schemas::OutputFormat,
            schemas::StreamFormat,
            schemas::ReferenceList,
            schemas::DocsFile,
            schemas::WebFile,
        ),
        responses(
            responses::BadRequest,
            responses::Unauthorized,
            responses::Forbidden,
            responses::NotFound,
            responses::Conflict,
            responses::PayloadTooLarge,
            responses::UnsupportedMediaType,
            responses::ValidationFailed,
            responses::RateLimited,
            responses::InternalError,
            responses::Unavailable,
        ),
    ),
    modifiers(&SharedParts),
    tags(
        (name = "health", description = "Liveness, readiness and the full health report, for probes and operators. No key needed."),
        (name = "metrics", description = "Prometheus metrics for monitoring. No key needed."),
        (name = "generation", description = "Queue a generation job."),
        (name = "jobs", description = "The caller's jobs: status, cancellation, deletion and pages of patients."),
        (name = "downloads", description = "The outputs of a completed job."),
        (name = "streaming", description = "Patients streamed while they are generated, without a job."),
        (name = "configurations", description = "Saved, versioned scenarios of the caller, scenario validation and reference lists."),
        (name = "presets", description = "Preset scenarios shipped with the generator. No key needed."),
        (name = "documentation", description = "This document and the page that renders it."),
        (name = "planner page", description = "The browser page for planners and its files. No key needed to load them; the page asks for a key."),
    )
)]
struct ApiDoc;

/// Name of the security scheme of the `X-API-Key` header.
const API_KEY_SCHEME: &str = "api_key";

/// Adds what many operations share: the key scheme, the `X-Request-Id` header of every response,
/// and the quota headers of the successful responses of operations that need a key.
struct SharedParts;

impl utoipa::Modify for SharedParts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description("X-API-Key", "The secret of an API key: the demo key, a key created with `casualty keys`, or the operator key."))),
        );
        for response in components.responses.values_mut() {
            if let RefOr::T(response) = response {
                add_request_id(response);
            }
        }
        // `SecurityRequirement` hides its scheme names, so operations are compared with the
        // requirement that `security(("api_key" = []))` creates.
        let key_requirement = SecurityRequirement::new(API_KEY_SCHEME, Vec::<String>::new());
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head, &mut item.options, &mut item.trace];
            for operation in operations.into_iter().flatten() {
                let needs_key = operation.security.iter().flatten().any(|requirement| *requirement == key_requirement);
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    add_request_id(response);
                    if needs_key && status.starts_with('2') {
                        add_quota_headers(response);
                    }
                }
            }
        }
    }
}

fn header(schema_type: Type, description: &str) -> RefOr<utoipa::openapi::Header> {
    RefOr::T(HeaderBuilder::new().schema(Some(ObjectBuilder::new().schema_type(schema_type))).description(Some(description)).build())
}

fn add_request_id(response: &mut utoipa::openapi::Response) {
    let description = "The request id: the request's own `X-Request-Id` when it sent one, else a new UUID. Error bodies repeat it in `request_id`.";
    response.headers.insert("X-Request-Id".into(), header(Type::String, description));
}

/// Adds the headers that describe the quota left after a rate limit admitted the request. A
/// request that no limit counted, such as a generating request of a key without generation
/// limits, gets none of them.
fn add_quota_headers(response: &mut utoipa::openapi::Response) {
    let headers = [
        ("X-RateLimit-Limit", Type::Integer, "The limit of the window with the fewest requests left, in requests per window."),
        ("X-RateLimit-Remaining", Type::Integer, "Requests still admitted in that window."),
        ("X-RateLimit-Reset", Type::String, "Time the oldest request counted in that window leaves it, RFC 3339 in UTC."),
        ("X-RateLimit-Window", Type::String, "That window: `minute`, `hour` or `day`."),
    ];
    for (name, schema_type, description) in headers {
        response.headers.insert(name.into(), header(schema_type, description));
    }
}

/// Documentation-only schemas of the request and response bodies. Nothing builds them.
#[allow(dead_code)]
mod schemas {
    use serde_json::json;
    use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};
    use utoipa::ToSchema;

    /// The body of every failure. It has no example because the reusable responses of every
    /// status share it.
    #[derive(ToSchema)]
    #[schema(as = Error)]
    pub(super) struct ErrorBody {
        /// Short machine-readable name of the failure, such as `not_found`, `unauthorized`,
        /// `rate_limited` or `validation_failed`.
        error: String,
        /// A sentence for people: what failed and what to do next.
        detail: String,
        /// Time of the response, RFC 3339 in UTC.
        #[schema(format = DateTime)]
        timestamp: String,
        /// The request id, also sent in the `X-Request-Id` header and written to the server log.
        request_id: String,
    }

    /// The body of a 422: the common error body with every invalid field.
    #[derive(ToSchema)]
    #[schema(as = ValidationError, example = json!({"error": "validation_failed", "detail": "the generation request is invalid (1 error)", "timestamp": "2026-12-05T00:31:53.719Z", "request_id": "7d98e341-a219-42f1-9aa6-69672059d2a0", "errors": [{"path": "configuration.count", "value": 0, "message": "invalid value", "accepted": "a whole number from 1 to 100000000"}]}))]
    pub(super) struct ValidationErrorBody {
        /// `validation_failed`.
        error: String,
        /// A sentence with the number of invalid fields.
        detail: String,
        /// Time of the response, RFC 3339 in UTC.
        #[schema(format = DateTime)]
        timestamp: String,
        /// The request id, also sent in the `X-Request-Id` header.
        request_id: String,
        /// Every invalid field, in the order found.
        errors: Vec<FieldError>,
    }

    /// One invalid field of a request.
    #[derive(ToSchema)]
    pub(super) struct FieldError {
        /// Path of the field, with list positions from 0, such as
        /// `configuration.front_configs[0].id`, or `(body)` for the whole body.
        path: String,
        /// The value received, `null` when the field is missing, or `"(hidden)"` for a password.
        value: serde_json::Value,
        /// The problem with the value.
        message: String,
        /// Description of the accepted values.
        accepted: String,
    }

    /// A scenario: how many casualties to generate, over what period, on which fronts and under
    /// what conditions. It derives `Deserialize`, as the enums below do, only because the request
    /// schemas use `#[serde(deny_unknown_fields)]`, which utoipa turns into
    /// `additionalProperties: false`.
    #[derive(serde::Deserialize)]
    pub(super) struct Scenario;

    /// Description of [`Scenario`] in the document.
    const SCENARIO_DESCRIPTION: &str = "\
A scenario: how many casualties to generate, over what period, on which fronts and under what \
conditions. Every key is optional, so `{}` generates 1,000 casualties with the defaults. The keys \
are `name`, `description`, `count` (alias `total_patients`, 1 to 100,000,000, default 1,000), \
`seed` (default 1), `base_date`, `days_of_fighting` (1 to 365, default 8), `injury_distribution` \
(shares of Disease, Non-Battle Injury and Battle Injury), `front_configs` (fronts with their \
relative casualty rates and nationality shares), `facility_configs` (POI to Role 4 with \
capacities), `warfare_types`, `intensity` (low, medium, high or extreme), `tempo` (sustained, \
escalating, surge, declining or intermittent), `special_events`, `environmental_conditions` and \
`overrides` (dotted model parameter names to values). Unknown keys are errors, `null` means the \
default, and every problem is reported at once. The repository's docs/scenario.md describes every \
key and its accepted values; the schema here is deliberately loose because the server checks the \
scenario itself and reports each problem as a field error.";

    impl utoipa::PartialSchema for Scenario {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(SCENARIO_DESCRIPTION))
                .examples([json!({
                    "name": "Northern exercise",
                    "count": 2000,
                    "seed": 7,
                    "base_date": "2026-03-02",
                    "days_of_fighting": 10,
                    "injury_distribution": {"Disease": 40, "Non-Battle Injury": 30, "Battle Injury": 30},
                    "front_configs": [{
                        "id": "north",
                        "name": "Northern Front",
                        "casualty_rate": 2,
                        "nationality_distribution": [{"nationality_code": "POL", "percentage": 60}, {"nationality_code": "LTU", "percentage": 40}]
                    }],
                    "intensity": "high",
                    "tempo": "escalating"
                })])
                .into()
        }
    }

    impl ToSchema for Scenario {}

    /// One generated casualty record.
    pub(super) struct PatientRecord;

    /// Description of [`PatientRecord`] in the document.
    const PATIENT_DESCRIPTION: &str = "\
One generated casualty: identity (`id`, a UUID, and `sequence`, its position from 0), \
demographics, `front`, `injury_type`, `mechanism`, `injuries` with ISS and NISS, \
`triage_category`, `injury_timestamp`, `movement_timeline` (events with `event_type`, \
`facility`, `timestamp` and `hours_since_injury`), `treatments`, `medications`, `vital_signs`, \
`final_status` (KIA, DOW, DNBI_death, RTD or Remains_Role4), `last_facility` and \
`outcome_timestamp`. It is the same record, byte for byte, as in the job's JSON and NDJSON \
outputs. The repository's docs/record.schema.json is its full JSON Schema. Optional fields are \
left out rather than sent as null, and every time is UTC in whole seconds.";

    impl utoipa::PartialSchema for PatientRecord {
        fn schema() -> RefOr<Schema> {
            let required = ["id", "sequence", "injury_type", "triage_category", "injury_timestamp", "movement_timeline", "final_status", "last_facility"];
            let mut object = ObjectBuilder::new().schema_type(Type::Object).description(Some(PATIENT_DESCRIPTION));
            for field in required {
                object = object.required(field);
            }
            object.into()
        }
    }

    impl ToSchema for PatientRecord {}

    // utoipa drops the doc comments of unit enum variants, so each enum's doc comment describes
    // its values.

    /// An output format of a job: `json` (`patients.json`, one document), `ndjson`
    /// (`patients.ndjson`, one record per line), `csv` (`patients.csv` and `events.csv`), `xml`
    /// (`patients.xml`), `xlsx` (`patients.xlsx`) or `fhir` (FHIR R4: `patients.fhir.ndjson`
    /// and Bulk Data files under `fhir/`).
    #[derive(ToSchema, serde::Deserialize)]
    #[schema(rename_all = "lowercase")]
    pub(super) enum OutputFormat {
        Json,
        Ndjson,
        Csv,
        Xml,
        Xlsx,
        Fhir,
    }

    /// Queue priority of a job: `high` jobs start before `normal` ones, which start before `low`
    /// ones.
    #[derive(ToSchema, serde::Deserialize)]
    #[schema(rename_all = "lowercase")]
    pub(super) enum Priority {
        Low,
        Normal,
        High,
    }

    /// State of a job: `pending` (queued), `running`, `completed` (every output written),
    /// `failed` (including a job interrupted by a server stop) or `cancelled` (by its owner, with
    /// partial output removed).
    #[derive(ToSchema)]
    #[schema(rename_all = "lowercase")]
    pub(super) enum JobStatus {
        Pending,
        Running,
        Completed,
        Failed,
        Cancelled,
    }

    /// A generation request. Exactly one of `configuration` and `configuration_id` is required,
    /// and any other top-level key is an error. For the other fields, `null` means the default.
    #[derive(ToSchema, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[schema(example = json!({"configuration": {"name": "Small Test", "count": 500}, "total_patients": 800, "output_formats": ["json", "csv"], "priority": "high"}))]
    pub(super) struct GenerationRequest {
        /// The id of a saved configuration of this key, whose latest version is the scenario.
        #[schema(format = "uuid", nullable = false)]
        configuration_id: Option<String>,
        /// The scenario, inline. Error paths inside it start with `configuration.`.
        #[schema(nullable = false)]
        configuration: Option<Scenario>,
        /// The number of patients, which takes precedence over the scenario's `count`.
        #[schema(minimum = 1, maximum = 100_000_000)]
        total_patients: Option<u64>,
        /// Output formats, without repeats; the default is `["json"]`.
        #[schema(min_items = 1, default = json!(["json"]))]
        output_formats: Option<Vec<OutputFormat>>,
        /// Compress each output file with gzip.
        #[schema(default = false)]
        use_compression: Option<bool>,
        /// Encrypt each output file with `encryption_password` (AES-256-GCM, key derived with
        /// Argon2id).
        #[schema(default = false)]
        use_encryption: Option<bool>,
        /// Password of the encrypted outputs, at least 8 characters, required when and only when
        /// `use_encryption` is true. The server keeps it in memory until the job starts and never
        /// stores, logs or returns it, so an encrypted job that was pending when the server
        /// restarted fails and must be submitted again.
        #[schema(min_length = 8, write_only)]
        encryption_password: Option<String>,
        /// Queue priority; the default is `normal`.
        priority: Option<Priority>,
    }

    /// A queued job.
    #[derive(ToSchema)]
    #[schema(example = json!({"job_id": "6a1c6f1e-3b4d-4a57-9d5e-2f0b8c1d9e77", "status": "pending", "message": "generation of 800 patients queued", "estimated_duration": 2}))]
    pub(super) struct JobCreated {
        /// The job's id.
        #[schema(format = "uuid")]
        job_id: String,
        /// `pending`.
        status: JobStatus,
        /// A sentence with the number of patients queued.
        message: String,
        /// Estimated run time in seconds, from measured rates of each format; queueing time is
        /// not included.
        estimated_duration: u64,
    }

    /// A job as its owner sees it. It never contains a server path or a secret.
    #[derive(ToSchema)]
    pub(super) struct Job {
        /// The job's id.
        #[schema(format = "uuid")]
        job_id: String,
        /// The job's state.
        status: JobStatus,
        /// Queue priority.
        priority: Priority,
        /// Time the job was queued, RFC 3339 in UTC.
        #[schema(format = DateTime)]
        created_at: String,
        /// Time the job started, or null while it is pending.
        #[schema(format = DateTime, required = true)]
        started_at: Option<String>,
        /// Time the job finished (completed, failed or cancelled), or null before.
        #[schema(format = DateTime, required = true)]
        completed_at: Option<String>,
        /// Percent done: 100 only when completed, at most 99 before.
        #[schema(minimum = 0, maximum = 100)]
        progress: u8,
        /// Details of the progress.
        progress_details: ProgressDetails,
        /// The reason the job failed, or null.
        #[schema(required = true)]
        error: Option<String>,
        /// The formats requested.
        output_formats: Vec<OutputFormat>,
        /// Whether the outputs are compressed with gzip.
        use_compression: bool,
        /// Whether the outputs are encrypted.
        use_encryption: bool,
        /// The files written, once completed, with paths relative to the job's output.
        output_files: Vec<OutputFile>,
        /// Counts of the generated patients, once completed; null before.
        #[schema(required = true)]
        summary: Option<JobSummary>,
        /// The generation request as stored: the scenario in `configuration` (also when the job
        /// was created from a `configuration_id`), the count and the service options, without the
        /// encryption password.
        #[schema(value_type = Object)]
        config: serde_json::Value,
    }

    /// Progress of a job.
    #[derive(ToSchema)]
    pub(super) struct ProgressDetails {
        /// The step that the job's worker last reported (`generating`), or the job's status before
        /// the first report. It is not reset when the job finishes.
        phase: String,
        /// Patients written so far.
        patients_done: u64,
        /// Patients requested.
        total_patients: u64,
        /// Patients per second at the last report, or null before the first one.
        #[schema(required = true)]
        rate_per_second: Option<f64>,
        /// Estimated seconds left while running, or null when the job is not running.
        #[schema(required = true)]
        eta_seconds: Option<u64>,
    }

    /// An output file of a job.
    #[derive(ToSchema)]
    pub(super) struct OutputFile {
        /// Path relative to the job's output, such as `patients.json` or `fhir/Patient.ndjson`,
        /// with `.gz` appended when compressed and then `.enc` when encrypted.
        name: String,
        /// Size in bytes.
        size_bytes: u64,
    }

    /// Counts of a completed job's patients.
    #[derive(ToSchema)]
    pub(super) struct JobSummary {
        /// Patients generated.
        total: u64,
        /// Patients by injury category name.
        by_category: std::collections::BTreeMap<String, u64>,
        /// Patients by triage category.
        by_triage: std::collections::BTreeMap<String, u64>,
        /// Patients by final status.
        by_final_status: std::collections::BTreeMap<String, u64>,
    }

    /// One page of the caller's jobs, newest first.
    #[derive(ToSchema)]
    pub(super) struct JobList {
        /// The jobs of this page.
        jobs: Vec<Job>,
        /// Page number, from 1.
        page: u32,
        /// Jobs per page.
        per_page: u32,
        /// Jobs matching the filter, on all pages.
        total: u64,
    }

    /// One page of a completed job's patients.
    #[derive(ToSchema)]
    pub(super) struct ResultsPage {
        /// The job's id.
        #[schema(format = "uuid")]
        job_id: String,
        /// Page number, from 1.
        page: u32,
        /// Patients per page.
        per_page: u32,
        /// Patients of the job, on all pages.
        total: u64,
        /// The patients of this page, in sequence order; empty past the last page.
        patients: Vec<PatientRecord>,
    }

    /// A streamed JSON document. It ends with `"complete": true`, or, when encoding fails after
    /// streaming began, with `"complete": false` and `error`.
    #[derive(ToSchema)]
    pub(super) struct StreamDocument {
        /// Patients that the stream will send.
        total_patients: u64,
        /// The patients, in sequence order.
        patients: Vec<PatientRecord>,
        /// Whether every patient was sent.
        complete: bool,
        /// Present only when the stream stopped early.
        error: Option<StreamError>,
    }

    /// The reason a stream stopped early. In NDJSON it is the last line.
    #[derive(ToSchema)]
    pub(super) struct StreamError {
        /// `internal_error`.
        error: String,
        /// What failed.
        detail: String,
        /// Patients sent before the failure.
        patients_sent: u64,
    }

    /// The body format of a stream: `json` (`application/json`, one document with every
    /// patient) or `ndjson` (`application/x-ndjson`, one record per line).
    #[derive(ToSchema)]
    #[schema(rename_all = "lowercase")]
    pub(super) enum StreamFormat {
        Json,
        Ndjson,
    }

    /// A new saved configuration. Any other key is an error.
    #[derive(ToSchema, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[schema(example = json!({"name": "Northern exercise", "configuration": {"count": 2000, "days_of_fighting": 10}}))]
    pub(super) struct NewConfiguration {
        /// A name of 1 to 200 characters; surrounding spaces are removed.
        #[schema(min_length = 1, max_length = 200)]
        name: String,
        /// The scenario, which must be valid.
        configuration: Scenario,
    }

    /// A new version of a saved configuration. Any other key is an error.
    #[derive(ToSchema, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ConfigurationUpdate {
        /// Checked like the name of a new configuration, but not applied: the name is set when the
        /// configuration is created.
        #[schema(min_length = 1, max_length = 200)]
        name: Option<String>,
        /// The scenario of the new version, which must be valid.
        configuration: Scenario,
    }

    /// One version of a saved configuration.
    #[derive(ToSchema)]
    pub(super) struct Configuration {
        /// The configuration's id.
        #[schema(format = "uuid")]
        id: String,
        /// Its name.
        name: String,
        /// This version, from 1.
        version: u32,
        /// The newest version.
        latest_version: u32,
        /// Time the configuration was created, RFC 3339 in UTC.
        #[schema(format = DateTime)]
        created_at: String,
        /// Time this version was saved, RFC 3339 in UTC.
        #[schema(format = DateTime)]
        version_created_at: String,
        /// The scenario of this version.
        configuration: Scenario,
    }

    /// The caller's configurations, each at its latest version.
    #[derive(ToSchema)]
    pub(super) struct ConfigurationList {
        /// The configurations.
        configurations: Vec<Configuration>,
    }

    /// The result of checking a scenario.
    #[derive(ToSchema)]
    #[schema(example = json!({"valid": false, "errors": [{"path": "days_of_fighting", "value": 0, "message": "invalid value", "accepted": "a whole number from 1 to 365"}]}))]
    pub(super) struct ValidationResult {
        /// Whether the scenario is valid.
        valid: bool,
        /// Every problem found; empty when valid.
        errors: Vec<FieldError>,
    }

    /// A reference list: `nationalities` (the ISO 3166-1 alpha-3 codes accepted in
    /// `nationality_distribution`), `condition-types` (the casualty categories of
    /// `injury_distribution`) or `facility-types` (the facility roles of `facility_configs`).
    #[derive(ToSchema)]
    #[schema(rename_all = "kebab-case")]
    pub(super) enum ReferenceList {
        Nationalities,
        ConditionTypes,
        FacilityTypes,
    }

    /// The items of a reference list.
    #[derive(ToSchema)]
    #[schema(example = json!({"items": [{"code": "POL", "name": "Poland"}, {"code": "LTU", "name": "Lithuania"}]}))]
    pub(super) struct ReferenceItems {
        /// The items, in the order the scenario documentation uses.
        items: Vec<ReferenceItem>,
    }

    /// An item of a reference list.
    #[derive(ToSchema)]
    pub(super) struct ReferenceItem {
        /// The value a scenario uses.
        code: String,
        /// A name for people.
        name: String,
    }

    /// `GET /api/v1/health/live`.
    #[derive(ToSchema)]
    #[schema(example = json!({"status": "alive"}))]
    pub(super) struct Liveness {
        /// `alive`.
        status: String,
    }

    /// `GET /api/v1/health/ready`.
    #[derive(ToSchema)]
    #[schema(example = json!({"status": "ready", "database": "ok", "workers": 1}))]
    pub(super) struct Readiness {
        /// `ready`.
        status: String,
        /// `ok`.
        database: String,
        /// Jobs that run at once.
        workers: u32,
    }

    /// `GET /api/v1/health`: the full health report.
    #[derive(ToSchema)]
    pub(super) struct HealthReport {
        /// `healthy`; `warning` when memory or disk use is at or above its threshold or cannot be
        /// read; `unhealthy` when the database does not respond (status 503).
        #[schema(example = "healthy")]
        status: String,
        /// The server's version.
        version: String,
        /// Time of the report, RFC 3339 UTC.
        timestamp: String,
        /// Host memory and the process's resident memory.
        memory: HealthMemory,
        /// The file system of the data folder.
        disk: HealthDisk,
        /// The worker pool and its queue.
        workers: HealthWorkers,
        /// The database round trip.
        database: HealthDatabase,
        /// One sentence per threshold reached or reading that failed; empty when healthy.
        warnings: Vec<String>,
        /// `unavailable`, only with status 503.
        error: Option<String>,
        /// Description of the failure, only with status 503.
        detail: Option<String>,
    }

    /// Memory in the health report; a value that cannot be read is null.
    #[derive(ToSchema)]
    pub(super) struct HealthMemory {
        /// Host memory in bytes.
        total_bytes: Option<u64>,
        /// Host memory available to new allocations, in bytes.
        available_bytes: Option<u64>,
        /// Host memory in use, in percent.
        percent_used: Option<f64>,
        /// Resident memory of the server process, in bytes.
        process_rss_bytes: Option<u64>,
    }

    /// Disk space of the data folder's file system; null when it cannot be read.
    #[derive(ToSchema)]
    pub(super) struct HealthDisk {
        /// Size in bytes.
        total_bytes: Option<u64>,
        /// Bytes the server can still write.
        available_bytes: Option<u64>,
        /// Space in use, in percent.
        percent_used: Option<f64>,
    }

    /// The worker pool in the health report.
    #[derive(ToSchema)]
    pub(super) struct HealthWorkers {
        /// Jobs running now; null when the database does not respond.
        active_jobs: Option<u64>,
        /// Jobs that run at once (`--workers`).
        max_concurrent_jobs: u32,
        /// Jobs waiting for a worker; null when the database does not respond.
        queue_length: Option<u64>,
        /// Whether new jobs will run; false while the server shuts down.
        accepting_jobs: bool,
        /// Limits of each job.
        job_limits: HealthJobLimits,
    }

    /// Limits of each job in the health report.
    #[derive(ToSchema)]
    pub(super) struct HealthJobLimits {
        /// Maximum patients in one job.
        max_patients_per_job: u64,
        /// Generation threads of each job (`--job-threads`).
        threads_per_job: u32,
        /// Patients per request of the demo key; null when the demo key is disabled.
        demo_patients_per_request: Option<u32>,
    }

    /// The database in the health report.
    #[derive(ToSchema)]
    pub(super) struct HealthDatabase {
        /// `ok` or `unavailable`.
        status: String,
        /// Time of one round trip in milliseconds; null when it failed.
        round_trip_ms: Option<f64>,
    }

    /// A preset scenario, without the scenario itself.
    #[derive(ToSchema)]
    pub(super) struct PresetSummary {
        /// The preset's id: lowercase words joined by hyphens, such as `training-exercise`.
        id: String,
        /// Its name.
        name: String,
        /// A description of the situation it models.
        description: String,
    }

    /// The preset scenarios.
    #[derive(ToSchema)]
    pub(super) struct PresetList {
        /// The presets, ordered by id.
        presets: Vec<PresetSummary>,
    }

    /// A preset scenario.
    #[derive(ToSchema)]
    pub(super) struct Preset {
        /// The preset's id: lowercase words joined by hyphens.
        id: String,
        /// Its name.
        name: String,
        /// A description of the situation it models.
        description: String,
        /// The scenario, ready to send as the `configuration` of a generation request.
        scenario: Scenario,
    }

    /// A file of the documentation page: Swagger UI's script `swagger-ui-bundle.js` and
    /// stylesheet `swagger-ui.css`, and `docs.js`, which starts Swagger UI on the page.
    #[derive(ToSchema)]
    pub(super) enum DocsFile {
        #[schema(rename = "swagger-ui-bundle.js")]
        SwaggerUiBundle,
        #[schema(rename = "swagger-ui.css")]
        SwaggerUiCss,
        #[schema(rename = "docs.js")]
        DocsScript,
    }

    /// A file of the planner page: its stylesheet and its ES modules, compiled from TypeScript.
    #[derive(ToSchema)]
    pub(super) enum WebFile {
        #[schema(rename = "main.js")]
        Main,
        #[schema(rename = "app.css")]
        Stylesheet,
        #[schema(rename = "api.js")]
        Api,
        #[schema(rename = "dom.js")]
        Dom,
        #[schema(rename = "form.js")]
        Form,
        #[schema(rename = "jobs.js")]
        Jobs,
        #[schema(rename = "replay.js")]
        Replay,
    }
}

/// Reusable error responses, referenced from the operations.
#[allow(dead_code)]
mod responses {
    use utoipa::ToResponse;

    use super::schemas::{ErrorBody, ValidationErrorBody};

    /// The request cannot be read: malformed JSON, or an invalid query parameter such as
    /// `page=abc`.
    #[derive(ToResponse)]
    pub(super) struct BadRequest(ErrorBody);

    /// The `X-API-Key` header is missing, or the key is unknown, disabled, revoked or expired.
    #[derive(ToResponse)]
    pub(super) struct Unauthorized(ErrorBody);

    /// The key may not do this: the request is for more patients than the key's
    /// patients-per-request limit.
    #[derive(ToResponse)]
    pub(super) struct Forbidden(ErrorBody);

    /// No such resource for this key: the id is unknown, malformed, or belongs to another key.
    #[derive(ToResponse)]
    pub(super) struct NotFound(ErrorBody);

    /// The resource's state does not allow this, such as results of a job that is not completed
    /// or cancelling a finished job.
    #[derive(ToResponse)]
    pub(super) struct Conflict(ErrorBody);

    /// The body is larger than the server's `max_body_bytes` setting (1 MiB by default).
    #[derive(ToResponse)]
    pub(super) struct PayloadTooLarge(ErrorBody);

    /// The body was not sent with `Content-Type: application/json`.
    #[derive(ToResponse)]
    pub(super) struct UnsupportedMediaType(ErrorBody);

    /// The body is JSON but some fields are invalid; `errors` lists every one.
    #[derive(ToResponse)]
    pub(super) struct ValidationFailed(ValidationErrorBody);

    /// A rate limit of the key is used up.
    #[derive(ToResponse)]
    #[response(headers(
        ("Retry-After" = u64, description = "Seconds to wait before retrying, at least 1."),
        ("X-RateLimit-Limit" = u64, description = "The limit that was reached, in requests per window."),
        ("X-RateLimit-Remaining" = u64, description = "0."),
        ("X-RateLimit-Reset" = String, description = "Time the request would be admitted, RFC 3339 in UTC."),
        ("X-RateLimit-Window" = String, description = "The window whose limit was reached: `minute`, `hour` or `day`."),
    ))]
    pub(super) struct RateLimited(ErrorBody);

    /// The server failed; the cause is in its log under the request id, never in the response.
    #[derive(ToResponse)]
    pub(super) struct InternalError(ErrorBody);

    /// The database does not respond.
    #[derive(ToResponse)]
    pub(super) struct Unavailable(ErrorBody);
}

/// Documentation-only operations: each function carries one operation of the document and is
/// never called. The handlers are in `crate::routes`.
#[allow(dead_code)]
mod operations {
    use super::responses::{BadRequest, Conflict, Forbidden, InternalError, NotFound, PayloadTooLarge, RateLimited, Unauthorized, Unavailable, UnsupportedMediaType, ValidationFailed};
    use super::schemas::{
        Configuration, ConfigurationList, ConfigurationUpdate, DocsFile, WebFile, GenerationRequest, HealthReport, Job, JobCreated, JobList, JobStatus, Liveness, NewConfiguration, OutputFormat, PatientRecord, Preset,
        PresetList, Readiness, ReferenceItems, ReferenceList, ResultsPage, Scenario, StreamDocument, StreamFormat, ValidationResult,
    };

    /// Reports the service's health in full
    ///
    /// Makes one database round trip and reads host memory, the data folder's disk space and the
    /// job queue. The status is `warning` when memory or disk use reaches its configured
    /// threshold, and `unhealthy` with 503 when the database does not respond.
    #[utoipa::path(
        get,
        path = "/api/v1/health",
        tag = "health",
        responses(
            (status = 200, description = "The database responds; `status` is `healthy` or `warning`.", body = HealthReport),
            (status = 503, description = "The database does not respond; `status` is `unhealthy`.", body = HealthReport),
        )
    )]
    pub(super) fn health() {}

    /// Reports whether the process serves requests
    ///
    /// Touches nothing else, so it suits a liveness probe.
    #[utoipa::path(get, path = "/api/v1/health/live", tag = "health", responses((status = 200, description = "The process serves requests.", body = Liveness)))]
    pub(super) fn live() {}

    /// Reports whether the service can take requests
    ///
    /// Makes one database round trip, so it suits a readiness probe.
    #[utoipa::path(
        get,
        path = "/api/v1/health/ready",
        tag = "health",
        responses((status = 200, description = "The database responds.", body = Readiness), (status = 503, response = Unavailable))
    )]
    pub(super) fn ready() {}

    /// Queues a generation job
    ///
    /// Checks the whole request first and returns 422 with every invalid field. Then the key's
    /// patients-per-request limit (403) and its generation rate limits (429) apply. A job that
    /// names an unknown `configuration_id` gets 404. Poll the job with `GET /api/v1/jobs/{id}`.
    #[utoipa::path(
        post,
        path = "/api/v1/generation",
        tag = "generation",
        security(("api_key" = [])),
        request_body = GenerationRequest,
        responses(
            (status = 201, description = "The job is queued.", body = JobCreated),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 403, response = Forbidden),
            (status = 404, response = NotFound),
            (status = 413, response = PayloadTooLarge),
            (status = 415, response = UnsupportedMediaType),
            (status = 422, response = ValidationFailed),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn create_generation() {}

    /// Lists the caller's jobs
    ///
    /// Newest first, one page at a time.
    #[utoipa::path(
        get,
        path = "/api/v1/jobs",
        tag = "jobs",
        security(("api_key" = [])),
        params(
            ("page" = Option<u32>, Query, minimum = 1, description = "Page number, from 1; the default is 1."),
            ("per_page" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Jobs per page, 1 to 1000; the default is 20."),
            ("status" = Option<JobStatus>, Query, description = "Only jobs in this state."),
        ),
        responses(
            (status = 200, description = "One page of jobs.", body = JobList),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn list_jobs() {}

    /// Shows a job
    ///
    /// Its status, progress, times, error, output files and summary, and the request without
    /// secrets.
    #[utoipa::path(
        get,
        path = "/api/v1/jobs/{id}",
        tag = "jobs",
        security(("api_key" = [])),
        params(("id" = String, Path, format = "uuid", description = "The job's id.")),
        responses(
            (status = 200, description = "The job.", body = Job),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn get_job() {}

    /// Deletes a job and its files
    ///
    /// Only a finished job (completed, failed or cancelled) can be deleted. Deleting a pending
    /// or running job gets 409 and changes nothing; cancel it first.
    #[utoipa::path(
        delete,
        path = "/api/v1/jobs/{id}",
        tag = "jobs",
        security(("api_key" = [])),
        params(("id" = String, Path, format = "uuid", description = "The job's id.")),
        responses(
            (status = 204, description = "The job and its files are deleted."),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 409, response = Conflict),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn delete_job() {}

    /// Cancels a job
    ///
    /// A pending job is cancelled at once; a running job stops at its next batch, and its partial
    /// output is removed. A finished job gets 409.
    #[utoipa::path(
        post,
        path = "/api/v1/jobs/{id}/cancel",
        tag = "jobs",
        security(("api_key" = [])),
        params(("id" = String, Path, format = "uuid", description = "The job's id.")),
        responses(
            (status = 200, description = "The job, cancelled or with its cancellation requested.", body = Job),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 409, response = Conflict),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn cancel_job() {}

    /// Streams a job's progress as Server-Sent Events
    ///
    /// A `progress` event whenever the job changes, with the job as `GET /api/v1/jobs/{id}`
    /// returns it in `data`, read every 250 ms; then one `end` event with the final job when it is
    /// completed, failed or cancelled, and the stream closes. An `error` event with an error
    /// body ends the stream when the job is deleted or cannot be read. Comments keep an idle
    /// stream open every 15 s. Browsers' `EventSource` cannot send the `X-API-Key` header, so
    /// browser clients read the stream with `fetch`.
    #[utoipa::path(
        get,
        path = "/api/v1/jobs/{id}/events",
        tag = "jobs",
        security(("api_key" = [])),
        params(("id" = String, Path, format = "uuid", description = "The job's id.")),
        responses(
            (status = 200, description = "The event stream.", content(("text/event-stream"))),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn job_events() {}

    /// Returns the HTML report of a completed job
    ///
    /// The self-contained page of `casualty report`, with the summary charts of the job's
    /// patients. The records are generated again from the job's stored request, so every
    /// completed job has a report, whatever its output formats, compression or encryption; the
    /// time taken grows with the job's size. A job that is not completed gets 409.
    #[utoipa::path(
        get,
        path = "/api/v1/jobs/{id}/report",
        tag = "jobs",
        security(("api_key" = [])),
        params(("id" = String, Path, format = "uuid", description = "The job's id.")),
        responses(
            (status = 200, description = "The report page.", content(("text/html"))),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 409, response = Conflict),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn job_report() {}

    /// Returns a page of a completed job's patients
    ///
    /// The page is generated again from the job's stored request, and each record equals the one
    /// in the job's outputs. A job that is not completed gets 409.
    #[utoipa::path(
        get,
        path = "/api/v1/jobs/{id}/results",
        tag = "jobs",
        security(("api_key" = [])),
        params(
            ("id" = String, Path, format = "uuid", description = "The job's id."),
            ("page" = Option<u32>, Query, minimum = 1, description = "Page number, from 1; the default is 1."),
            ("per_page" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Patients per page, 1 to 1000; the default is 100."),
        ),
        responses(
            (status = 200, description = "One page of patients.", body = ResultsPage),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 409, response = Conflict),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn job_results() {}

    /// Returns one patient of a completed job
    ///
    /// By patient id or by sequence number. Finding an id derives the job's ids in order, so it
    /// takes time in proportion to the job's size.
    #[utoipa::path(
        get,
        path = "/api/v1/jobs/{id}/patients/{patient_id}",
        tag = "jobs",
        security(("api_key" = [])),
        params(
            ("id" = String, Path, format = "uuid", description = "The job's id."),
            ("patient_id" = String, Path, description = "The patient's id (a UUID) or its sequence number, from 0.", example = "0"),
        ),
        responses(
            (status = 200, description = "The patient's record.", body = PatientRecord),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 409, response = Conflict),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn job_patient() {}

    /// Downloads a completed job's outputs
    ///
    /// Without `format`, every output file in one ZIP archive, built while it is sent, with the
    /// file names of `casualty generate`. With `format`, that format's only file as it is stored,
    /// or a ZIP archive of its files when it has several (CSV and FHIR). If the server fails
    /// after the status line was sent, the body ends early and the archive is incomplete.
    #[utoipa::path(
        get,
        path = "/api/v1/downloads/{id}",
        tag = "downloads",
        security(("api_key" = [])),
        params(
            ("id" = String, Path, format = "uuid", description = "The job's id."),
            ("format" = Option<OutputFormat>, Query, description = "Only this format, which the job must have."),
        ),
        responses(
            (
                status = 200,
                description = "The outputs, as an attachment.",
                headers(("Content-Disposition" = String, description = "`attachment` with the file name: `casualties-<job id>.zip`, or the name of the single file.")),
                content(("application/zip"), ("application/octet-stream")),
            ),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 409, response = Conflict),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn download() {}

    /// Streams the patients of a saved configuration
    ///
    /// Patients are sent while they are generated, in batches of `batch_size`. The body is JSON,
    /// or NDJSON (one record per line) with `format=ndjson` or, when `format` is absent, with
    /// `Accept: application/x-ndjson`. A slow client slows generation, and a disconnect stops
    /// it. The request counts against the key's generation limits.
    #[utoipa::path(
        get,
        path = "/api/v1/streaming/generate",
        tag = "streaming",
        security(("api_key" = [])),
        params(
            ("configuration_id" = String, Query, format = "uuid", description = "The id of a saved configuration of this key; its latest version is streamed."),
            ("count" = Option<u64>, Query, minimum = 1, maximum = 100_000_000, description = "Patients to stream, replacing the scenario's count."),
            ("batch_size" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Patients per batch sent, 1 to 1000; the default is 100."),
            ("format" = Option<StreamFormat>, Query, description = "The body format; when absent, `Accept: application/x-ndjson` selects NDJSON, and JSON is the default."),
        ),
        responses(
            (
                status = 200,
                description = "The patients, streamed. An NDJSON stream that stops early ends with a line holding `error`.",
                headers(("X-Patient-Count" = u64, description = "Patients the stream will send."), ("X-Batch-Size" = u32, description = "Patients per batch.")),
                content((StreamDocument = "application/json"), (PatientRecord = "application/x-ndjson")),
            ),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 403, response = Forbidden),
            (status = 404, response = NotFound),
            (status = 422, response = ValidationFailed),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn stream_saved() {}

    /// Streams the patients of a posted scenario
    ///
    /// Like the `GET` form, for a scenario in the body, bare or as a generation request with the
    /// scenario in `configuration`. The service options of a generation request are accepted but
    /// unused.
    #[utoipa::path(
        post,
        path = "/api/v1/streaming/generate",
        tag = "streaming",
        security(("api_key" = [])),
        params(
            ("count" = Option<u64>, Query, minimum = 1, maximum = 100_000_000, description = "Patients to stream, replacing the scenario's count."),
            ("batch_size" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Patients per batch sent, 1 to 1000; the default is 100."),
            ("format" = Option<StreamFormat>, Query, description = "The body format; when absent, `Accept: application/x-ndjson` selects NDJSON, and JSON is the default."),
        ),
        request_body(content = Scenario, description = "A scenario, bare or as `{\"configuration\": ...}` with an optional `total_patients`. The job options `output_formats`, `use_compression`, `use_encryption`, `encryption_password`, `priority` and `configuration_id` get 422."),
        responses(
            (
                status = 200,
                description = "The patients, streamed. An NDJSON stream that stops early ends with a line holding `error`.",
                headers(("X-Patient-Count" = u64, description = "Patients the stream will send."), ("X-Batch-Size" = u32, description = "Patients per batch.")),
                content((StreamDocument = "application/json"), (PatientRecord = "application/x-ndjson")),
            ),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 403, response = Forbidden),
            (status = 413, response = PayloadTooLarge),
            (status = 415, response = UnsupportedMediaType),
            (status = 422, response = ValidationFailed),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn stream_posted() {}

    /// Lists the caller's configurations
    ///
    /// Each at its latest version.
    #[utoipa::path(
        get,
        path = "/api/v1/configurations",
        tag = "configurations",
        security(("api_key" = [])),
        responses(
            (status = 200, description = "The configurations.", body = ConfigurationList),
            (status = 401, response = Unauthorized),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn list_configurations() {}

    /// Saves a configuration
    ///
    /// The scenario is checked first; the configuration is saved as version 1.
    #[utoipa::path(
        post,
        path = "/api/v1/configurations",
        tag = "configurations",
        security(("api_key" = [])),
        request_body = NewConfiguration,
        responses(
            (status = 201, description = "The saved configuration.", body = Configuration),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 409, response = Conflict),
            (status = 413, response = PayloadTooLarge),
            (status = 415, response = UnsupportedMediaType),
            (status = 422, response = ValidationFailed),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn create_configuration() {}

    /// Checks a scenario without saving it
    ///
    /// An invalid scenario still gets 200, with `valid: false` and every problem.
    #[utoipa::path(
        post,
        path = "/api/v1/configurations/validate",
        tag = "configurations",
        security(("api_key" = [])),
        request_body(content = Scenario, description = "A scenario, bare or as a generation request with the scenario in `configuration`."),
        responses(
            (status = 200, description = "Whether the scenario is valid, with every problem.", body = ValidationResult),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 413, response = PayloadTooLarge),
            (status = 415, response = UnsupportedMediaType),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn validate_configuration() {}

    /// Returns a reference list
    ///
    /// The values that a scenario accepts for nationalities, casualty categories or facility
    /// roles. No key needed.
    #[utoipa::path(
        get,
        path = "/api/v1/configurations/reference/{list}",
        tag = "configurations",
        params(("list" = ReferenceList, Path, description = "The list.")),
        responses((status = 200, description = "The list's items.", body = ReferenceItems), (status = 404, response = NotFound))
    )]
    pub(super) fn reference_list() {}

    /// Shows a saved configuration
    ///
    /// The latest version, or the one named by `version`.
    #[utoipa::path(
        get,
        path = "/api/v1/configurations/{id}",
        tag = "configurations",
        security(("api_key" = [])),
        params(
            ("id" = String, Path, format = "uuid", description = "The configuration's id."),
            ("version" = Option<u32>, Query, minimum = 1, description = "A version; the default is the latest."),
        ),
        responses(
            (status = 200, description = "The configuration at that version.", body = Configuration),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn get_configuration() {}

    /// Saves a new version of a configuration
    ///
    /// Earlier versions stay readable.
    #[utoipa::path(
        put,
        path = "/api/v1/configurations/{id}",
        tag = "configurations",
        security(("api_key" = [])),
        params(("id" = String, Path, format = "uuid", description = "The configuration's id.")),
        request_body = ConfigurationUpdate,
        responses(
            (status = 200, description = "The new version.", body = Configuration),
            (status = 400, response = BadRequest),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 413, response = PayloadTooLarge),
            (status = 415, response = UnsupportedMediaType),
            (status = 422, response = ValidationFailed),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn update_configuration() {}

    /// Deletes a configuration
    ///
    /// Removes every version. Jobs created from it keep their own copy of the scenario.
    #[utoipa::path(
        delete,
        path = "/api/v1/configurations/{id}",
        tag = "configurations",
        security(("api_key" = [])),
        params(("id" = String, Path, format = "uuid", description = "The configuration's id.")),
        responses(
            (status = 204, description = "The configuration and all its versions are deleted."),
            (status = 401, response = Unauthorized),
            (status = 404, response = NotFound),
            (status = 429, response = RateLimited),
            (status = 500, response = InternalError),
        )
    )]
    pub(super) fn delete_configuration() {}

    /// Lists the preset scenarios
    ///
    /// The scenarios shipped with the generator, ordered by id. No key needed.
    #[utoipa::path(get, path = "/api/v1/presets", tag = "presets", responses((status = 200, description = "The presets.", body = PresetList)))]
    pub(super) fn list_presets() {}

    /// Shows a preset scenario
    ///
    /// Its summary and the whole scenario, which a client can send as the `configuration` of a
    /// generation request. No key needed.
    #[utoipa::path(
        get,
        path = "/api/v1/presets/{id}",
        tag = "presets",
        params(("id" = String, Path, description = "The preset's id, as listed by `GET /api/v1/presets`.", example = "training-exercise")),
        responses((status = 200, description = "The preset with its scenario.", body = Preset), (status = 404, response = NotFound))
    )]
    pub(super) fn get_preset() {}

    /// Returns this OpenAPI document
    ///
    /// No key needed. Revalidate with `If-None-Match` and the `ETag` of an earlier response.
    #[utoipa::path(
        get,
        path = "/openapi.json",
        tag = "documentation",
        responses(
            (
                status = 200,
                description = "The OpenAPI 3.1 document.",
                headers(("ETag" = String, description = "Entity tag of the document."), ("Cache-Control" = String, description = "`no-cache`: revalidate before each use.")),
                content(("application/json")),
            ),
            (status = 304, description = "The document has not changed since the `If-None-Match` tag."),
        )
    )]
    pub(super) fn openapi_document() {}

    /// Shows the API reference
    ///
    /// An HTML page that renders this document with Swagger UI, served with every file it needs,
    /// so it works without internet access. No key needed; operations that need one can be tried
    /// after entering it under "Authorize".
    #[utoipa::path(
        get,
        path = "/docs",
        tag = "documentation",
        responses(
            (
                status = 200,
                description = "The page.",
                headers(("ETag" = String, description = "Entity tag of the page."), ("Cache-Control" = String, description = "`no-cache`: revalidate before each use.")),
                content(("text/html")),
            ),
            (status = 304, description = "The page has not changed since the `If-None-Match` tag."),
        )
    )]
    pub(super) fn docs_page() {}

    /// Returns a file of the API reference page
    #[utoipa::path(
        get,
        path = "/docs/{file}",
        tag = "documentation",
        params(("file" = DocsFile, Path, description = "The file.")),
        responses(
            (
                status = 200,
                description = "The file.",
                headers(("ETag" = String, description = "Entity tag of the file."), ("Cache-Control" = String, description = "Cacheable for one hour.")),
                content(("text/javascript"), ("text/css")),
            ),
            (status = 304, description = "The file has not changed since the `If-None-Match` tag."),
            (status = 404, response = NotFound),
        )
    )]
    pub(super) fn docs_asset() {}

    /// Shows the planner page
    ///
    /// A page where planners build a scenario, run a job, watch its progress, download its
    /// outputs, read its report and replay its casualties. No key needed to load it; it asks for
    /// one and keeps it for the browser session.
    #[utoipa::path(
        get,
        path = "/",
        tag = "planner page",
        responses(
            (
                status = 200,
                description = "The page.",
                headers(("ETag" = String, description = "Entity tag of the page."), ("Cache-Control" = String, description = "`no-cache`: revalidate before each use.")),
                content(("text/html")),
            ),
            (status = 304, description = "The page has not changed since the `If-None-Match` tag."),
        )
    )]
    pub(super) fn planner_page() {}

    /// Returns a file of the planner page
    #[utoipa::path(
        get,
        path = "/web/{file}",
        tag = "planner page",
        params(("file" = WebFile, Path, description = "The file.")),
        responses(
            (
                status = 200,
                description = "The file.",
                headers(("ETag" = String, description = "Entity tag of the file."), ("Cache-Control" = String, description = "`no-cache`: revalidate before each use.")),
                content(("text/javascript"), ("text/css")),
            ),
            (status = 304, description = "The file has not changed since the `If-None-Match` tag."),
            (status = 404, response = NotFound),
        )
    )]
    pub(super) fn planner_file() {}

    /// Returns the Prometheus metrics
    ///
    /// Every series of the service, described in docs/operations.md. The Prometheus text format
    /// by default; the OpenMetrics text format when `Accept` lists `application/openmetrics-text`.
    #[utoipa::path(
        get,
        path = "/metrics",
        tag = "metrics",
        params(("Accept" = Option<String>, Header, description = "`application/openmetrics-text` selects OpenMetrics.")),
        responses((status = 200, description = "The series.", content(("text/plain"), ("application/openmetrics-text")))),
    )]
    pub(super) fn metrics() {}
}
