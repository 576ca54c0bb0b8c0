//! The planner page at `GET /` and its files under `/web/`: a browser front end for the whole
//! job, from building a scenario to replaying its casualties.
//!
//! The page is plain HTML and CSS with ES modules compiled by `tsc` from `web/src/*.ts` into
//! `assets/web/`. The compiled files are committed and embedded here with `include_bytes!`, so
//! building the server never needs npm. The page carries no key: it asks the planner for one,
//! keeps it in `sessionStorage` and sends it in the `X-API-Key` header of each request. Neither
//! route needs a key.

use axum::extract::Path;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::openapi::{respond, StaticFile};
use crate::state::AppState;

/// Cache policy of the page and its files: revalidate before each use, so a new version of the
/// server shows at once and the modules always match each other.
const REVALIDATE: &str = "no-cache";

/// Content security policy of the page: scripts, styles and requests go to this server only.
/// Reports are shown in a sandboxed frame from `srcdoc` and carry inline styles, and downloads
/// are `blob:` URLs.
const PAGE_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page of `GET /`.
static PAGE: StaticFile = StaticFile::new("index.html", "text/html; charset=utf-8", include_bytes!("../assets/web/index.html"));

/// The files under `/web/`. Their names are also the `file` values of the OpenAPI document.
static FILES: [StaticFile; 7] = [
    StaticFile::new("app.css", "text/css; charset=utf-8", include_bytes!("../assets/web/app.css")),
    StaticFile::new("main.js", "text/javascript; charset=utf-8", include_bytes!("../assets/web/main.js")),
    StaticFile::new("api.js", "text/javascript; charset=utf-8", include_bytes!("../assets/web/api.js")),
    StaticFile::new("form.js", "text/javascript; charset=utf-8", include_bytes!("../assets/web/form.js")),
    StaticFile::new("jobs.js", "text/javascript; charset=utf-8", include_bytes!("../assets/web/jobs.js")),
    StaticFile::new("replay.js", "text/javascript; charset=utf-8", include_bytes!("../assets/web/replay.js")),
    StaticFile::new("dom.js", "text/javascript; charset=utf-8", include_bytes!("../assets/web/dom.js")),
];

/// Builds the router of `GET /` and `GET /web/{file}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(serve_page)).route("/web/{file}", get(serve_file))
}

/// Names of the files under `/web/`.
pub fn file_names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|file| file.name)
}

async fn serve_page(headers: HeaderMap) -> Response {
    respond(&headers, PAGE.bytes, PAGE.content_type, REVALIDATE, PAGE.entity_tag(), &[(header::CONTENT_SECURITY_POLICY, PAGE_POLICY)])
}

async fn serve_file(headers: HeaderMap, Path(file): Path<String>) -> Result<Response, ApiError> {
    let Some(found) = FILES.iter().find(|candidate| candidate.name == file) else {
        let names: Vec<&str> = file_names().collect();
        let shortened: String = file.chars().take(40).collect();
        return Err(ApiError::not_found(format!("no page file `{shortened}`; the files are {}", names.join(", "))));
    };
    Ok(respond(&headers, found.bytes, found.content_type, REVALIDATE, found.entity_tag(), &[]))
}
