//! The JSON API for reporters and their tools: submit a report, follow it with the case key,
//! talk to the team. `/api/openapi.json` describes exactly these routes.
//!
//! The case key travels only in the `Authorization: Bearer` header, never in a URL. A wrong key
//! and a missing report both answer 404, so neither can be told from the other.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use postern_app::intake::Upload;
use postern_app::reporter::NewReport;
use postern_core::intake::{FieldError, Submission};
use postern_core::report::{CaseKey, ReportId};
use postern_store::{AttachmentInfo, ReporterView};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::intake::{ClientIp, SUBMISSION_BODY_BYTES_MAX, reporter_deadlines};
use crate::state::{AppState, Project};

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .post("/api/v1/reports", create_report)
        .get("/api/v1/reports/{id}", show_report)
        .post("/api/v1/reports/{id}/messages", add_message)
        .post("/api/v1/reports/{id}/attachments", add_attachments)
        .post(
            "/api/v1/reports/{id}/disclosure-requests",
            request_disclosure_date,
        )
        .get(
            "/api/v1/reports/{id}/attachments/{attachment}",
            download_attachment,
        )
        .get("/api/v1/reports/{id}/export", export_report)
        .post("/api/v1/reports/{id}/erasure-requests", request_erasure)
        .map(|r| r.layer(DefaultBodyLimit::max(SUBMISSION_BODY_BYTES_MAX)))
        .get("/api/openapi.json", openapi)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReportBody {
    project: Option<String>,
    #[serde(deserialize_with = "postern_core::intake::fields_once")]
    fields: Vec<(String, String)>,
    scope_category: Option<String>,
    contact_email: Option<String>,
    credit_name: Option<String>,
    #[serde(default)]
    attachments: Vec<AttachmentBody>,
    encrypted_message: Option<String>,
    openpgp_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentBody {
    filename: String,
    content_type: Option<String>,
    content_base64: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisclosureBody {
    date: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErasureBody {
    what: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentsBody {
    attachments: Vec<AttachmentBody>,
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the request body is larger than the {} MiB limit; send large files as several requests to /attachments",
        SUBMISSION_BODY_BYTES_MAX / 1024 / 1024
    ))
}

/// Parses a JSON body with errors that say where it is wrong.
fn json_body<T: for<'de> Deserialize<'de>>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::BadRequest("the request body could not be read".into())
        }
    })?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let media = v.split(';').next().unwrap_or_default().trim();
            media.eq_ignore_ascii_case("application/json")
        });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    if std::str::from_utf8(&body).is_err() {
        return Err(ApiError::BadRequest(
            "the request body is not valid UTF-8".into(),
        ));
    }
    serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!("the request body is not the expected JSON: {e}"))
    })
}

/// The attachments' base64 decoded; the use case checks their count, sizes and names.
fn decode_attachments(bodies: Vec<AttachmentBody>) -> Result<Vec<Upload>, ApiError> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, a) in bodies.into_iter().enumerate() {
        match data_encoding::BASE64.decode(a.content_base64.as_bytes()) {
            Ok(bytes) => out.push(Upload {
                filename: a.filename,
                content_type: a.content_type,
                bytes,
            }),
            Err(_) => errors.push(FieldError {
                field: format!("attachments[{i}].content_base64"),
                message: "is not valid base64 (RFC 4648, with padding)".into(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::Unprocessable(errors))
    }
}

/// Takes one case-key look-up (a read with the key) from the client's allowance, which is
/// apart from its submissions, so that following a case never uses up sending to it.
fn lookup_limit(state: &AppState, client: &ClientIp) -> Result<(), ApiError> {
    state
        .take_lookup(client.0)
        .map_err(ApiError::TooManyRequests)
}

fn rate_limit(state: &AppState, client: &ClientIp) -> Result<(), ApiError> {
    state
        .take_submission(client.0)
        .map_err(ApiError::TooManyRequests)
}

/// Every moment the JSON API writes: RFC 3339 in UTC with exactly three fractional digits, the
/// millisecond precision the store keeps, so that an answer never mixes precisions and a moment
/// reads the same before and after it is stored (finer input is cut, as the store cuts it).
pub(crate) fn moment(at: Timestamp) -> String {
    Timestamp::from_millisecond(at.as_millisecond())
        .unwrap_or(at)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn deadlines_json(
    project: &Project,
    clocks: &postern_core::clock::Clocks,
    received_at: Timestamp,
) -> Vec<Value> {
    reporter_deadlines(clocks, &project.policy, received_at)
        .into_iter()
        .map(|d| {
            json!({
                "kind": d.kind,
                "description": d.what,
                "promised": d.promised,
                "starts": d.starts.name(),
                "started_at": moment(d.started_at),
                "target": d.target.map(moment),
                "due": d.due.map(moment),
                "status": d.outcome.unwrap_or("open"),
                "resolved_at": d.resolved_at.map(moment),
            })
        })
        .collect()
}

async fn create_report(
    State(state): State<AppState>,
    client: ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    rate_limit(&state, &client)?;
    let body: NewReportBody = json_body(&headers, body)?;
    let report = NewReport {
        project: body.project,
        submission: Submission {
            fields: body.fields,
            scope_category: body.scope_category,
            contact_email: body.contact_email,
            credit_name: body.credit_name,
        },
        uploads: decode_attachments(body.attachments)?,
        encrypted_message: body.encrypted_message,
        reporter_key: body.openpgp_key,
    };
    let done = state.app().submit_report(report).await?;
    let project = state.project(&done.project).ok_or(ApiError::NotFound)?;
    let location = format!("/api/v1/reports/{}", done.id);
    let body = json!({
        "id": done.id.as_str(),
        "case_key": done.case_key.reveal(),
        "project": done.project,
        "status": "received",
        "received_at": moment(done.received_at),
        "deadlines": deadlines_json(project, &done.clocks, done.received_at),
        "track_url": format!("{}/track", state.public_url()),
        "encryption": done.encrypted.as_ref().map(|e| json!({
            "state": e.state.name(),
            "signature": e.signature,
            "detail": e.detail,
        })),
    });
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        axum::Json(body),
    )
        .into_response())
}

/// The case key from `Authorization: Bearer`; anything else is treated as a wrong key.
fn bearer(headers: &HeaderMap) -> Result<CaseKey, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(CaseKey::parse)
        .ok_or(ApiError::NotFound)
}

fn report_id(text: &str) -> Result<ReportId, ApiError> {
    ReportId::parse(text).ok_or(ApiError::NotFound)
}

fn attachment_json(a: &AttachmentInfo) -> Value {
    json!({ "id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size })
}

/// The reporter's view as JSON.
pub fn view_json(state: &AppState, view: &ReporterView) -> Value {
    let deadlines = state
        .project(&view.project)
        .map(|p| deadlines_json(p, &view.clocks, view.received_at))
        .unwrap_or_default();
    let fields: serde_json::Map<String, Value> = view
        .submission
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "id": view.id.as_str(),
        "project": view.project,
        "status": view.status.name(),
        "status_description": view.status.describe(),
        "received_at": moment(view.received_at),
        "deadlines": deadlines,
        "fields": fields,
        "scope_category": view.submission.scope_category,
        "contact_email": view.submission.contact_email,
        "credit_name": view.submission.credit_name,
        "messages": view.messages.iter().map(|m| json!({
            "author": m.author.name(), "at": moment(m.at), "body": m.body,
        })).collect::<Vec<_>>(),
        "attachments": view.attachments.iter().map(attachment_json).collect::<Vec<_>>(),
    })
}

fn private_json(body: Value, status: StatusCode) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

async fn show_report(
    State(state): State<AppState>,
    client: ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (id, key) = reporter_get(&state, &client, &id, &headers)?;
    let view = state.store().reporter_view(Some(&id), &key).await?;
    let mut body = view_json(&state, &view);
    body["disclosure"] = match &view.disclosure {
        Some(d) => json!({
            "advisory": d.advisory.as_str(),
            "scheduled_for": d.scheduled_for.map(moment),
            "published_at": d.published_at.map(moment),
            "url": d.published_at.map(|_| format!("{}/advisories/{}", state.public_url(), d.advisory)),
        }),
        None => Value::Null,
    };
    body["disclosure_terms"] = json!({
        "agreed": view.terms.agreed.map(moment),
        "requests": view.terms.requests.iter().map(request_json).collect::<Vec<_>>(),
    });
    Ok(private_json(body, StatusCode::OK))
}

fn request_json(r: &postern_store::disclosure::DisclosureRequest) -> Value {
    json!({
        "asked_for": moment(r.asked_for),
        "asked_at": moment(r.asked_at),
        "state": match r.state {
            postern_store::disclosure::RequestState::Open => "open",
            postern_store::disclosure::RequestState::Accepted => "accepted",
            postern_store::disclosure::RequestState::Declined => "declined",
        },
        "decided_at": r.decided_at.map(moment),
    })
}

/// The reporter proposes a disclosure date; the team accepts or declines it on the record.
async fn request_disclosure_date(
    State(state): State<AppState>,
    client: ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (id, key, body): (_, _, DisclosureBody) =
        reporter_post(&state, &client, &id, &headers, body)?;
    let open = state
        .app()
        .propose_disclosure_date(Some(&id), &key, &body.date, &body.reason)
        .await?;
    Ok(private_json(request_json(&open), StatusCode::CREATED))
}

/// Everything held about a case, as the reporter downloads it (the API and /track alike).
pub fn export_json(state: &AppState, export: &postern_app::privacy::CaseExport) -> Value {
    let view = &export.view;
    let mut body = view_json(state, view);
    body["format"] = json!("postern case export v1");
    body["attachments"] = export
        .attachments
        .iter()
        .map(|(info, bytes)| {
            let mut a = attachment_json(info);
            a["content_base64"] = json!(data_encoding::BASE64.encode(bytes));
            a
        })
        .collect();
    body["disclosure_terms"] = json!({
        "agreed": view.terms.agreed.map(moment),
        "requests": view.terms.requests.iter().map(request_json).collect::<Vec<_>>(),
    });
    body["erased"] = json!({
        "contact": view.privacy.contact_erased_at.map(moment),
        "contents": view.privacy.contents_erased_at.map(moment),
    });
    body["erasure_requests"] = view.erasure_requests.iter().map(erasure_json).collect();
    body["history"] = export
        .events
        .iter()
        .map(|(at, action)| json!({"at": moment(*at), "event": action}))
        .collect();
    body
}

fn erasure_json(r: &postern_store::privacy::ErasureRequest) -> Value {
    json!({
        "id": r.id,
        "what": r.what.name(),
        "asked_at": moment(r.asked_at),
        "state": r.state,
        "decided_at": r.decided_at.map(moment),
    })
}

/// A file name for a case's export.
pub fn export_filename(id: &ReportId) -> String {
    format!("postern-case-{id}.json")
}

/// The export as a download: JSON, never cached.
pub fn export_download(state: &AppState, export: &postern_app::privacy::CaseExport) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    export_filename(&export.view.id)
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        export_json(state, export).to_string(),
    )
        .into_response()
}

async fn export_report(
    State(state): State<AppState>,
    client: ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (id, key) = reporter_get(&state, &client, &id, &headers)?;
    let export = state.app().export_case(Some(&id), &key).await?;
    Ok(export_download(&state, &export))
}

async fn request_erasure(
    State(state): State<AppState>,
    client: ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (id, key, body): (_, _, ErasureBody) = reporter_post(&state, &client, &id, &headers, body)?;
    let request = state
        .app()
        .request_erasure(Some(&id), &key, &body.what)
        .await?;
    Ok(private_json(erasure_json(&request), StatusCode::CREATED))
}

/// What every reporter GET starts with: the case key, the report id, then the client's
/// allowance of look-ups. A bad key or id is a 404 before anything else is looked at.
fn reporter_get(
    state: &AppState,
    client: &ClientIp,
    id: &str,
    headers: &HeaderMap,
) -> Result<(ReportId, CaseKey), ApiError> {
    let key = bearer(headers)?;
    let id = report_id(id)?;
    lookup_limit(state, client)?;
    Ok((id, key))
}

/// What every reporter POST starts with: the case key, the report id, the client's allowance,
/// then the JSON body. A bad key or id is a 404 before anything else is looked at.
fn reporter_post<T: for<'de> Deserialize<'de>>(
    state: &AppState,
    client: &ClientIp,
    id: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(ReportId, CaseKey, T), ApiError> {
    let key = bearer(headers)?;
    let id = report_id(id)?;
    rate_limit(state, client)?;
    Ok((id, key, json_body(headers, body)?))
}

async fn add_message(
    State(state): State<AppState>,
    client: ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (id, key, body): (_, _, MessageBody) = reporter_post(&state, &client, &id, &headers, body)?;
    let message = state
        .app()
        .reporter_message(Some(&id), &key, &body.body)
        .await?;
    Ok(private_json(
        json!({ "author": "reporter", "at": moment(message.at), "body": message.body }),
        StatusCode::CREATED,
    ))
}

async fn add_attachments(
    State(state): State<AppState>,
    client: ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (id, key, body): (_, _, AttachmentsBody) =
        reporter_post(&state, &client, &id, &headers, body)?;
    let uploads = decode_attachments(body.attachments)?;
    let infos = state
        .app()
        .reporter_attach(Some(&id), &key, uploads)
        .await?;
    Ok(private_json(
        json!({ "attachments": infos.iter().map(attachment_json).collect::<Vec<_>>() }),
        StatusCode::CREATED,
    ))
}

/// An attachment as a download: never rendered inline, never sniffed.
pub fn download(info: &AttachmentInfo, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    info.filename.replace(|c: char| !c.is_ascii(), "_")
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn download_attachment(
    State(state): State<AppState>,
    client: ClientIp,
    Path((id, attachment_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (id, key) = reporter_get(&state, &client, &id, &headers)?;
    let (info, bytes) = state
        .store()
        .reporter_attachment(Some(&id), &key, &attachment_id)
        .await?;
    Ok(download(&info, bytes.to_vec()))
}

async fn openapi(State(state): State<AppState>) -> axum::Json<Value> {
    axum::Json(crate::openapi::document(state.projects()))
}
