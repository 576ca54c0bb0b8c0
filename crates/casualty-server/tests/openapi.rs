//! The OpenAPI document and the API reference page over real HTTP on loopback. The document lists
//! exactly the router's paths, and every documented operation is routed and returns a documented
//! status. The key requirement of each operation matches the server's. The page loads only files
//! that this server serves, and openapi-spec-validator accepts the document.
//!
//! openapi-spec-validator runs in the Python interpreter named by `CASUALTY_PYTHON` (default
//! `python3`), which needs the packages of validators/requirements.txt. A missing validator
//! fails the test with the command that installs it; it never skips.

use std::collections::BTreeSet;
use std::process::Command;

use casualty_server::{Config, RunningServer};
use casualty_store::{KeyKind, KeyLimits, Millis, NewKey};
use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Value};

/// Every path template that the router serves, as the document must list them. Update this list
/// together with the router and `src/openapi.rs`.
const ROUTER_PATHS: [&str; 25] = [
    "/api/v1/health",
    "/api/v1/health/live",
    "/api/v1/health/ready",
    "/api/v1/generation",
    "/api/v1/jobs",
    "/api/v1/jobs/{id}",
    "/api/v1/jobs/{id}/cancel",
    "/api/v1/jobs/{id}/events",
    "/api/v1/jobs/{id}/report",
    "/api/v1/jobs/{id}/results",
    "/api/v1/jobs/{id}/patients/{patient_id}",
    "/api/v1/downloads/{id}",
    "/api/v1/streaming/generate",
    "/api/v1/configurations",
    "/api/v1/configurations/validate",
    "/api/v1/configurations/reference/{list}",
    "/api/v1/configurations/{id}",
    "/api/v1/presets",
    "/api/v1/presets/{id}",
    "/openapi.json",
    "/docs",
    "/docs/{file}",
    "/",
    "/web/{file}",
    "/metrics",
];

/// The `detail` of the router's fallback, which handles paths that no route serves.
const NO_ROUTE_DETAIL: &str = "no such route; the API is under /api/v1";

/// Methods that an OpenAPI path item can hold, as they appear in the document.
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/// A server on a free loopback port with its own data folder.
struct TestServer {
    server: RunningServer,
    origin: Url,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { port: 0, data_dir: dir.path().join("data"), job_threads: 2, ..Config::default() };
        let server = casualty_server::start(config).await.expect("the server starts");
        let origin = Url::parse(&format!("http://{}/", server.address)).unwrap();
        TestServer { server, origin, client: reqwest::Client::new(), _dir: dir }
    }

    /// Creates a key without limits and returns its secret.
    async fn user_key(&self) -> String {
        let new = NewKey { name: "documentation reader".into(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None };
        let (_, secret) = self.server.state.store.create_key(new, Millis::now()).await.unwrap();
        secret.expose().to_string()
    }

    fn url(&self, path: &str) -> Url {
        self.origin.join(path).unwrap()
    }

    /// Fetches and parses `/openapi.json`, without a key.
    async fn document(&self) -> Value {
        let response = self.client.get(self.url("/openapi.json")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET /openapi.json");
        assert_eq!(media_type(&response), "application/json", "the document's content type");
        let text = response.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("/openapi.json is not JSON: {error}"))
    }

    async fn stop(self) {
        self.server.stop().await.unwrap();
    }
}

/// Returns the media type of a response without its parameters, such as `text/html`.
fn media_type(response: &reqwest::Response) -> String {
    let value = response.headers().get(reqwest::header::CONTENT_TYPE).map(|value| value.to_str().unwrap().to_string()).unwrap_or_default();
    value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Follows a local `$ref` such as `#/components/schemas/ReferenceList`, or returns `value` itself.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("{reference} is not a local reference"));
            document.pointer(pointer).unwrap_or_else(|| panic!("{reference} does not resolve"))
        }
        None => value,
    }
}

/// Returns a value for a parameter: the first of its schema's enum, its example, or a nil UUID.
/// A nil UUID names no job or configuration, so the handler, not the fallback, returns 404.
fn sample_value(document: &Value, parameter: &Value) -> String {
    let schema = resolve(document, &parameter["schema"]);
    let candidate = schema["enum"].get(0).or_else(|| parameter.get("example")).or_else(|| schema.get("example"));
    match candidate {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => uuid::Uuid::nil().to_string(),
    }
}

/// Builds the URL of an operation: path parameters and required query parameters filled in with
/// sample values.
fn operation_url(server: &TestServer, document: &Value, path: &str, operation: &Value) -> Url {
    let mut filled = path.to_string();
    let mut query = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let parameter = resolve(document, parameter);
        let name = parameter["name"].as_str().unwrap();
        match parameter["in"].as_str() {
            Some("path") => filled = filled.replace(&format!("{{{name}}}"), &sample_value(document, parameter)),
            Some("query") if parameter["required"] == true => query.push((name.to_string(), sample_value(document, parameter))),
            _ => {}
        }
    }
    assert!(!filled.contains('{'), "{path}: a path parameter is not declared in the operation");
    let mut url = server.url(&filled);
    for (name, value) in query {
        url.query_pairs_mut().append_pair(&name, &value);
    }
    url
}

/// Sends one documented operation, with a JSON body `{}` when it takes a body, and returns the
/// status, the media type and the body.
async fn call(server: &TestServer, method: &str, url: &Url, operation: &Value, key: Option<&str>) -> (StatusCode, String, Vec<u8>) {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    let mut request = server.client.request(method, url.clone());
    if let Some(key) = key {
        request = request.header("X-API-Key", key);
    }
    if operation.get("requestBody").is_some() {
        request = request.json(&json!({}));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let media = media_type(&response);
    let body = response.bytes().await.unwrap().to_vec();
    (status, media, body)
}

/// Returns every `src` and `href` attribute value of an HTML page.
fn referenced_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            let value_start = start + attribute.len();
            let length = rest[value_start..].find('"').expect("an attribute value ends with a quote");
            urls.push(rest[value_start..value_start + length].to_string());
            rest = &rest[value_start + length..];
        }
    }
    urls
}

/// Returns every absolute http or https URL in a text.
fn absolute_urls(text: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for scheme in ["http://", "https://"] {
        let mut rest = text;
        while let Some(start) = rest.find(scheme) {
            let length = rest[start..].find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')')).unwrap_or(rest.len() - start);
            urls.push(rest[start..start + length].to_string());
            rest = &rest[start + length..];
        }
    }
    urls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_match_router() {
    let server = TestServer::start().await;
    let document = server.document().await;

    let version = document["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "the document is OpenAPI 3.x, found openapi = {:?}", document["openapi"]);
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"), "the document carries the crate version");

    let documented: BTreeSet<&str> = document["paths"].as_object().expect("the document has paths").keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = ROUTER_PATHS.into_iter().collect();
    let missing: Vec<&&str> = expected.difference(&documented).collect();
    let extra: Vec<&&str> = documented.difference(&expected).collect();
    assert!(missing.is_empty(), "paths that the router serves but the document lacks: {missing:?}");
    assert!(extra.is_empty(), "paths in the document that the router does not serve: {extra:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_operations_are_routed() {
    let server = TestServer::start().await;
    let key = server.user_key().await;
    let document = server.document().await;
    let mut checked = 0;

    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let name = format!("{} {path}", method.to_ascii_uppercase());
            let url = operation_url(&server, &document, path, operation);
            let responses = operation["responses"].as_object().unwrap_or_else(|| panic!("{name}: no responses"));

            let (status, media, body) = call(&server, method, &url, operation, Some(&key)).await;
            let error: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{name}: the router has no such method at {url}");
            if status == StatusCode::NOT_FOUND {
                assert_ne!(error["detail"], NO_ROUTE_DETAIL, "{name}: the router has no such path ({url})");
            }
            let documented = resolve(&document, responses.get(status.as_str()).unwrap_or_else(|| panic!("{name}: status {status} is not documented; body: {}", String::from_utf8_lossy(&body))));
            if let Some(content) = documented["content"].as_object() {
                assert!(content.contains_key(&media), "{name}: content type {media} is not documented for {status}; documented: {:?}", content.keys().collect::<Vec<_>>());
            }

            // Operations that declare a key scheme must reject a request without a key, and the
            // others must not.
            let needs_key = operation["security"].as_array().is_some_and(|requirements| requirements.iter().any(|requirement| requirement.get("api_key").is_some()));
            let (status, _, body) = call(&server, method, &url, operation, None).await;
            if needs_key {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: documented as needing a key, but answered without one: {}", String::from_utf8_lossy(&body));
            } else {
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{name}: documented without a key, but requires one");
            }
            checked += 1;
        }
    }
    assert!(checked >= ROUTER_PATHS.len(), "only {checked} operations were checked");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_scheme_is_api_key_header() {
    let server = TestServer::start().await;
    let document = server.document().await;
    let scheme = &document["components"]["securitySchemes"]["api_key"];
    assert_eq!(scheme["type"], "apiKey", "the key scheme: {scheme}");
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], "X-API-Key");

    let rate_limited = &document["components"]["responses"]["RateLimited"]["headers"];
    for header in ["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-Id"] {
        assert!(rate_limited.get(header).is_some(), "the 429 response documents {header}: {rate_limited}");
    }
    let validation = resolve(&document, &document["components"]["responses"]["ValidationFailed"]["content"]["application/json"]["schema"]);
    let required: Vec<&str> = validation["required"].as_array().unwrap().iter().map(|field| field.as_str().unwrap()).collect();
    assert_eq!(required, ["error", "detail", "timestamp", "request_id", "errors"], "the 422 body");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_page_served_offline() {
    let server = TestServer::start().await;
    let page_url = server.url("/docs");
    let response = server.client.get(page_url.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET /docs without a key");
    assert_eq!(media_type(&response), "text/html");
    let policy = response.headers().get("content-security-policy").map(|value| value.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(policy.contains("default-src 'self'"), "the page allows only this server's files: {policy:?}");
    let html = response.text().await.unwrap();

    let references = referenced_urls(&html);
    assert!(references.iter().any(|reference| reference.ends_with(".js")), "the page loads a script: {references:?}");
    assert!(references.iter().any(|reference| reference.ends_with(".css")), "the page loads a stylesheet: {references:?}");
    let mut texts = vec![("/docs".to_string(), html.clone())];
    for reference in &references {
        let url = page_url.join(reference).unwrap();
        assert_eq!(url.origin(), server.origin.origin(), "{reference} is served by another host");
        let response = server.client.get(url.clone()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{reference} ({url}) does not resolve");
        let media = media_type(&response);
        if reference.ends_with(".js") {
            assert_eq!(media, "text/javascript", "{reference}");
        } else if reference.ends_with(".css") {
            assert_eq!(media, "text/css", "{reference}");
        }
        // Our own files, not the vendored bundle, must not name other hosts either.
        if !reference.contains("swagger-ui") {
            texts.push((reference.clone(), response.text().await.unwrap()));
        }
    }
    for (name, text) in &texts {
        for absolute in absolute_urls(text) {
            let url = Url::parse(&absolute).unwrap_or_else(|error| panic!("{name}: {absolute} does not parse: {error}"));
            assert_eq!(url.origin(), server.origin.origin(), "{name} refers to another host: {absolute}");
        }
    }
    let script = texts.iter().find(|(name, _)| name.ends_with("docs.js")).map(|(_, text)| text).expect("the page loads docs.js");
    assert!(script.contains("\"/openapi.json\""), "docs.js loads the server's document");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_files_revalidate() {
    let server = TestServer::start().await;
    for (path, cache_control) in [("/openapi.json", "no-cache"), ("/docs", "no-cache"), ("/docs/swagger-ui-bundle.js", "public, max-age=3600")] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["cache-control"], cache_control, "{path}: Cache-Control");
        let tag = response.headers().get("etag").unwrap_or_else(|| panic!("{path}: no ETag")).clone();
        let again = server.client.get(server.url(path)).header("If-None-Match", tag.clone()).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}: a matching If-None-Match");
        assert!(again.bytes().await.unwrap().is_empty(), "{path}: a 304 has no body");
        let other = server.client.get(server.url(path)).header("If-None-Match", "\"another\"").send().await.unwrap();
        assert_eq!(other.status(), StatusCode::OK, "{path}: an If-None-Match with another tag");
    }

    let response = server.client.get(server.url("/docs/missing.js")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "an unknown documentation file");
    let error: Value = response.json().await.unwrap();
    assert!(error["detail"].as_str().unwrap().contains("swagger-ui-bundle.js"), "the error lists the files: {error}");
    server.stop().await;
}

/// Returns the Python interpreter of the validators. Fails, naming the install command, when
/// openapi-spec-validator is missing, so a machine without it never passes silently.
fn python_with_openapi_spec_validator() -> String {
    let python = std::env::var("CASUALTY_PYTHON").unwrap_or_else(|_| "python3".into());
    let check = Command::new(&python).args(["-c", "import openapi_spec_validator"]).output();
    match check {
        Ok(output) if output.status.success() => python,
        _ => panic!(
            "{python} cannot import openapi_spec_validator, which validates the OpenAPI document; install it with \
             `python3 -m pip install -r validators/requirements.txt` or set CASUALTY_PYTHON to an interpreter that has it"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_passes_openapi_spec_validator() {
    let python = python_with_openapi_spec_validator();
    let server = TestServer::start().await;
    let document = server.document().await;
    server.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
    let output = Command::new(&python).args(["-m", "openapi_spec_validator", "--validation-errors", "all"]).arg(&path).output().expect("openapi-spec-validator runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The validator prints the whole document with some errors, so each line is shortened.
    let shorten = |text: &str| text.lines().map(|line| line.chars().take(400).collect::<String>()).collect::<Vec<_>>().join("\n");
    assert!(output.status.success(), "openapi-spec-validator rejects the document:\n{}\n{}", shorten(&stdout), shorten(&stderr));
    assert!(stdout.contains("OK"), "openapi-spec-validator printed no verdict: {stdout}");
}
