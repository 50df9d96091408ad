//! `POST /api/v1/projects/{slug}/scans`: a CI job imports a scanner's report with an API
//! token (`Authorization: Bearer pst_...`, scope `scans:write`). The token is checked before
//! the body is read, so a request without one never makes the server hold a large body.
//!
//! The report is the body itself with `?product=NAME&version=V`, or a JSON object
//! `{"product", "version", "report"}` (the report then parsed twice: handy for small ones).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_app::tokens::SCANS_WRITE;
use postern_core::scan::REPORT_BYTES_MAX;
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;

/// The largest report body, in bytes: the parser's own limit (128 MiB). A 15,000-finding Trivy
/// report with descriptions is about 30 MiB; larger bodies are refused with 413 before they
/// are read when they say their length, else as soon as they pass it.
pub const SCAN_BODY_BYTES_MAX: usize = REPORT_BYTES_MAX;

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new().post("/api/v1/projects/{slug}/scans", import_scan)
}

#[derive(Deserialize)]
struct ScanQuery {
    product: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanEnvelope {
    product: String,
    version: String,
    report: serde_json::Value,
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the report is larger than the {} MiB limit; split it (by target) into several imports",
        SCAN_BODY_BYTES_MAX / 1024 / 1024
    ))
}

fn token(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "send an API token as Authorization: Bearer pst_... (postern token create)".into(),
            )
        })
}

/// The body, read frame by frame into one buffer sized from its `Content-Length` (at most
/// the limit), so that the report is held once: collecting the frames first and joining them
/// after would hold it twice at the peak.
async fn read_body(body: Body, declared: Option<u64>) -> Result<Vec<u8>, ApiError> {
    use axum::body::HttpBody as _;
    let mut body = body;
    let expected = declared.map_or(0, |n| n as usize).min(SCAN_BODY_BYTES_MAX);
    let mut bytes = Vec::with_capacity(expected);
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|_| {
            ApiError::BadRequest("the request body could not be read to its end".into())
        })?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > SCAN_BODY_BYTES_MAX {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

async fn import_scan(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<ScanQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let app = state.app();
    let actor = app
        .token_actor(token(&headers)?, &slug, SCANS_WRITE)
        .await
        .map_err(|e| match e {
            postern_app::Error::Forbidden(m) => ApiError::Forbidden(m),
            other => other.into(),
        })?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > SCAN_BODY_BYTES_MAX as u64) {
        return Err(too_large());
    }
    let bytes = read_body(body, declared).await?;
    // The report is the body itself: a 20 MiB report is not copied, and the use case lets it
    // go once it is parsed.
    let (product, version, report): (String, String, Vec<u8>) = match (query.product, query.version)
    {
        (Some(product), Some(version)) => (product, version, bytes),
        (None, None) => {
            let envelope: ScanEnvelope = serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::BadRequest(format!(
                    "give ?product=NAME&version=V with the report as the body, or a JSON body {{\"product\", \"version\", \"report\"}}: {e}"
                ))
            })?;
            let report = serde_json::to_vec(&envelope.report)
                .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)))?;
            (envelope.product, envelope.version, report)
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give both product and version in the query".into(),
            ));
        }
    };
    let outcome = app
        .import_scan(&actor, &slug, &product, &version, report)
        .await
        .map_err(|e| match e {
            postern_app::Error::Forbidden(m) => ApiError::Forbidden(m),
            other => other.into(),
        })?;
    Ok((
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(outcome.to_json()),
    )
        .into_response())
}
