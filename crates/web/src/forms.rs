//! The reporter's pages, made for a browser without JavaScript (Tor Browser at its safest):
//! the report form, the page that shows the case key once, and the tracking pages where the
//! case key is posted (never put in a URL) to see the case and answer the team.
//!
//! Bots are kept out without scripts or third parties: a honeypot field people never see, a
//! signed form token that must be at least a few seconds old, and a per-client rate limit.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{Hmac, KeyInit as _, Mac as _};
use jiff::Timestamp;
use postern_app::intake::Upload;
use postern_app::reporter::NewReport;
use postern_core::intake::{FieldError, OTHER_CATEGORY, Submission};
use postern_core::policy::FieldKind;
use postern_core::report::{CaseKey, ReportId};
use postern_store::ReporterView;
use serde::Deserialize;
use sha2::Sha256;

use crate::error::Error;
use crate::intake::{
    ATTACHMENTS_PER_REQUEST_MAX, ClientIp, PromisedDeadline, SUBMISSION_BODY_BYTES_MAX, human_time,
    reporter_deadlines,
};
use crate::state::{AppState, Project};

/// Largest tracking-page post (a message plus the case key).
const TRACK_BODY_BYTES_MAX: usize = 256 * 1024;
/// Name of the honeypot input: plausible to a bot, hidden from people.
const HONEYPOT: &str = "website";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/report", get(default_form).post(default_submit))
        .route(
            "/projects/{slug}/report",
            get(project_form).post(project_submit),
        )
        .layer(DefaultBodyLimit::max(SUBMISSION_BODY_BYTES_MAX))
        .merge(
            Router::new()
                .route("/track", get(track_page).post(track))
                .route("/track/message", post(track_message))
                .route("/track/attachment", post(track_attachment))
                .route("/track/disclosure", post(track_disclosure))
                .layer(DefaultBodyLimit::max(TRACK_BODY_BYTES_MAX)),
        )
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

// ---- form tokens ------------------------------------------------------------------------

fn token_mac(state: &AppState, project: &str, issued_ms: i64) -> Vec<u8> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(state.form_secret()).expect("any key length");
    mac.update(format!("postern form v1\0{project}\0{issued_ms}").as_bytes());
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn issue_token(state: &AppState, project: &str) -> String {
    let issued = state.now().as_millisecond();
    format!(
        "{issued}.{}",
        data_encoding::HEXLOWER.encode(&token_mac(state, project, issued))
    )
}

/// Checks a form token; the error is shown to the person, whose text is kept.
fn check_token(state: &AppState, project: &str, token: &str) -> Result<(), String> {
    check_token_aged(state, project, token, state.limits().form_seconds_min)
}

/// Checks a form token that must be at least `seconds_min` old.
pub(crate) fn check_token_aged(
    state: &AppState,
    project: &str,
    token: &str,
    seconds_min: i64,
) -> Result<(), String> {
    let reload = "This form has expired. Your text is kept below: check it and send it again.";
    let (issued, mac) = token.split_once('.').ok_or(reload)?;
    let issued: i64 = issued.parse().map_err(|_| reload)?;
    let mac = data_encoding::HEXLOWER
        .decode(mac.as_bytes())
        .map_err(|_| reload)?;
    let expected = token_mac(state, project, issued);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&mac[..], &expected[..])) {
        return Err(reload.to_owned());
    }
    let age = (state.now().as_millisecond() - issued) / 1000;
    let limits = state.limits();
    if age < seconds_min {
        return Err("That was very fast. Please check your report and send it again.".into());
    }
    if age > limits.form_seconds_max {
        return Err(reload.to_owned());
    }
    Ok(())
}

// ---- the report form -------------------------------------------------------------------

struct FieldView {
    id: String,
    label: String,
    help: Option<String>,
    required: bool,
    multiline: bool,
    versions: bool,
    value: String,
    error: Option<String>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "report_form.html")]
struct ReportForm {
    title: String,
    project_name: String,
    action: String,
    policy_url: String,
    token: String,
    fields: Vec<FieldView>,
    scopes: Vec<Choice>,
    scope_error: Option<String>,
    versions: Vec<String>,
    contact_email: String,
    contact_email_error: Option<String>,
    credit_offered: bool,
    credit_name: String,
    credit_name_error: Option<String>,
    attachments_error: Option<String>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    attachments_max: usize,
    attachment_mib_max: usize,
    acknowledge: Option<String>,
}

#[derive(Default)]
struct Entered {
    fields: Vec<(String, String)>,
    scope: String,
    contact_email: String,
    credit_name: String,
}

fn project_path(state: &AppState, project: &Project) -> String {
    if project.slug() == state.default_project().slug() {
        String::new()
    } else {
        format!("/projects/{}", project.slug())
    }
}

fn render_form(
    state: &AppState,
    project: &Project,
    entered: &Entered,
    errors: &[FieldError],
    notice: Option<String>,
) -> ReportForm {
    let policy = &project.policy;
    let error_for = |id: &str| {
        errors
            .iter()
            .find(|e| e.field == id)
            .map(|e| e.message.clone())
    };
    let fields = policy
        .form
        .fields
        .iter()
        .map(|f| FieldView {
            id: f.id.clone(),
            label: f.label.clone(),
            help: f.help.clone(),
            required: f.required,
            multiline: f.kind == FieldKind::Text,
            versions: f.kind == FieldKind::Version,
            value: entered
                .fields
                .iter()
                .find(|(k, _)| *k == f.id)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            error: error_for(&f.id),
        })
        .collect();
    let mut scopes: Vec<Choice> = policy
        .scope
        .in_scope
        .iter()
        .chain(&policy.scope.out_of_scope)
        .map(|i| Choice {
            selected: entered.scope == i.category,
            value: i.category.clone(),
            label: i.title.clone(),
        })
        .collect();
    if !scopes.is_empty() {
        scopes.push(Choice {
            value: OTHER_CATEGORY.into(),
            label: "Something else / not sure".into(),
            selected: entered.scope == OTHER_CATEGORY,
        });
    }
    let path = project_path(state, project);
    let acknowledge = policy.response.acknowledge.map(|t| t.limit.to_string());
    ReportForm {
        title: format!("Report a vulnerability in {}", policy.project.name),
        project_name: policy.project.name.clone(),
        action: format!("{path}/report"),
        policy_url: format!("{path}/security-policy"),
        token: issue_token(state, project.slug()),
        fields,
        scopes,
        scope_error: error_for("scope"),
        versions: policy
            .supported_versions
            .iter()
            .map(|v| v.versions.clone())
            .collect(),
        contact_email: entered.contact_email.clone(),
        contact_email_error: error_for("contact_email"),
        credit_offered: policy.credit.offered,
        credit_name: entered.credit_name.clone(),
        credit_name_error: error_for("credit_name"),
        attachments_error: errors
            .iter()
            .find(|e| e.field.starts_with("attachments"))
            .map(|e| e.message.clone()),
        errors: errors
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        notice,
        attachments_max: ATTACHMENTS_PER_REQUEST_MAX,
        attachment_mib_max: postern_store::ATTACHMENT_BYTES_MAX / 1024 / 1024,
        acknowledge,
    }
}

async fn default_form(State(state): State<AppState>) -> Response {
    let project = state.default_project().clone();
    no_store(render_form(&state, &project, &Entered::default(), &[], None).into_response())
}

async fn project_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let project = state.project(&slug).ok_or(Error::NotFound)?.clone();
    Ok(no_store(
        render_form(&state, &project, &Entered::default(), &[], None).into_response(),
    ))
}

async fn default_submit(
    State(state): State<AppState>,
    client: ClientIp,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, Error> {
    let project = state.default_project().clone();
    submit(state, client, project, multipart).await
}

async fn project_submit(
    State(state): State<AppState>,
    client: ClientIp,
    Path(slug): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, Error> {
    let project = state.project(&slug).ok_or(Error::NotFound)?.clone();
    submit(state, client, project, multipart).await
}

fn too_large() -> Error {
    Error::PayloadTooLarge(format!(
        "The report is larger than the {} MiB limit. Attach at most {ATTACHMENTS_PER_REQUEST_MAX} files of at most {} MiB each; you can add more later from the tracking page.",
        SUBMISSION_BODY_BYTES_MAX / 1024 / 1024,
        postern_store::ATTACHMENT_BYTES_MAX / 1024 / 1024
    ))
}

fn multipart_error(error: axum::extract::multipart::MultipartError) -> Error {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        Error::BadRequest("The form data could not be read; please send the form again.".into())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "report_done.html")]
struct ReportDone {
    title: String,
    project_name: String,
    case_key: String,
    report_id: String,
    deadlines: Vec<(String, String)>,
    email_given: bool,
}

fn deadline_rows(project: &Project, deadlines: &[PromisedDeadline]) -> Vec<(String, String)> {
    deadlines
        .iter()
        .map(|d| {
            let when = human_time(&project.policy, d.due);
            let what = match d.outcome {
                None => format!("{} by", d.what),
                Some("met") => format!("Done, as promised: {} by", d.what),
                Some(_) => format!("Late: {}, promised by", d.what),
            };
            (what, when)
        })
        .collect()
}

async fn submit(
    state: AppState,
    client: ClientIp,
    project: Project,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, Error> {
    state
        .take_submission(client.0)
        .map_err(Error::TooManyRequests)?;
    let mut multipart = multipart.map_err(|_| {
        Error::BadRequest("Send the form as multipart/form-data, as the report page does.".into())
    })?;
    let mut entered = Entered::default();
    let mut token = String::new();
    let mut honeypot = String::new();
    let mut uploads: Vec<Upload> = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachments" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(multipart_error)?;
            if filename.is_empty() && bytes.is_empty() {
                continue; // the empty file input of a form sent without files
            }
            uploads.push(Upload {
                filename,
                content_type,
                bytes: bytes.to_vec(),
            });
            continue;
        }
        // Strictly UTF-8: a lossy decoding would silently change what the reporter wrote.
        let bytes = field.bytes().await.map_err(multipart_error)?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            Error::BadRequest(format!(
                "The form field \"{}\" is not valid UTF-8 text; please send the form again from a current browser.",
                name.chars().take(60).collect::<String>()
            ))
        })?;
        match name.as_str() {
            "form_token" => token = text,
            HONEYPOT => honeypot = text,
            "scope" => entered.scope = text,
            "contact_email" => entered.contact_email = text,
            "credit_name" => entered.credit_name = text,
            other => {
                if let Some(id) = other.strip_prefix("field.") {
                    entered.fields.push((id.to_owned(), text));
                }
            }
        }
    }
    if !honeypot.trim().is_empty() {
        tracing::info!(
            project = project.slug(),
            "a form with a filled honeypot was refused"
        );
        return Err(Error::BadRequest("This submission looks automated and was not accepted. If you are a person, leave the field marked \"leave empty\" blank and try again.".into()));
    }
    if let Err(message) = check_token(&state, project.slug(), &token) {
        let page = render_form(&state, &project, &entered, &[], Some(message));
        return Ok(no_store(
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        ));
    }
    let report = NewReport {
        project: Some(project.slug().to_owned()),
        submission: Submission {
            fields: entered
                .fields
                .iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .cloned()
                .collect(),
            scope_category: Some(entered.scope.clone()).filter(|s| !s.is_empty()),
            contact_email: Some(entered.contact_email.clone()),
            credit_name: Some(entered.credit_name.clone()),
        },
        uploads,
    };
    let done = match state.app().submit_report(report).await {
        Ok(done) => done,
        Err(postern_app::Error::Invalid(errors)) => {
            let page = render_form(&state, &project, &entered, &errors, None);
            return Ok(no_store(
                (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    let page = ReportDone {
        title: "Report received".into(),
        project_name: project.policy.project.name.clone(),
        case_key: done.case_key.reveal(),
        report_id: done.id.to_string(),
        deadlines: deadline_rows(
            &project,
            &reporter_deadlines(&done.clocks, &project.policy, done.received_at),
        ),
        email_given: done.contact_given,
    };
    Ok(no_store((StatusCode::CREATED, page).into_response()))
}

// ---- tracking ---------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "track.html")]
struct TrackPage {
    title: String,
    error: Option<String>,
}

async fn track_page() -> Response {
    no_store(
        TrackPage {
            title: "Follow your report".into(),
            error: None,
        }
        .into_response(),
    )
}

#[derive(Deserialize)]
struct TrackForm {
    case_key: String,
}

#[derive(Deserialize)]
struct MessageForm {
    case_key: String,
    body: String,
}

#[derive(Deserialize)]
struct DisclosureForm {
    case_key: String,
    date: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct AttachmentForm {
    case_key: String,
    attachment_id: String,
}

struct MessageView {
    from_team: bool,
    at: String,
    body: String,
}

struct AttachmentView {
    id: String,
    filename: String,
    size: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
struct CasePage {
    title: String,
    case_key: String,
    status: String,
    received: String,
    deadlines: Vec<(String, String)>,
    fields: Vec<(String, String)>,
    messages: Vec<MessageView>,
    attachments: Vec<AttachmentView>,
    message_error: Option<String>,
    message_draft: String,
    notice: Option<String>,
    disclosure: Option<String>,
    /// (proposed date, asked, answer) of the reporter's proposals, oldest first.
    requests: Vec<(String, String, &'static str)>,
    /// Whether the reporter may propose a disclosure date now.
    can_propose: bool,
    /// The latest date the policy allows, if it sets a maximum.
    latest_date: Option<String>,
    date_error: Option<String>,
    date_draft: String,
    reason_draft: String,
}

fn wrong_key(status: StatusCode) -> Response {
    no_store(
        (
            status,
            TrackPage {
                title: "Follow your report".into(),
                error: Some("No report matches this case key. Check it and try again.".into()),
            },
        )
            .into_response(),
    )
}

fn case_page(
    state: &AppState,
    view: &ReporterView,
    key: &CaseKey,
    draft: String,
    message_error: Option<String>,
    notice: Option<String>,
) -> CasePage {
    let project = state.project(&view.project);
    let label = |id: &str| {
        project
            .and_then(|p| p.policy.form.fields.iter().find(|f| f.id == id))
            .map_or(id.to_owned(), |f| f.label.clone())
    };
    let time = |t: Timestamp| project.map_or(t.to_string(), |p| human_time(&p.policy, t));
    CasePage {
        title: format!("Report {}", view.id),
        case_key: key.reveal(),
        status: view.status.describe().to_owned(),
        received: time(view.received_at),
        deadlines: project
            .map(|p| {
                deadline_rows(
                    p,
                    &reporter_deadlines(&view.clocks, &p.policy, view.received_at),
                )
            })
            .unwrap_or_default(),
        fields: view
            .submission
            .fields
            .iter()
            .map(|(k, v)| (label(k), v.clone()))
            .collect(),
        messages: view
            .messages
            .iter()
            .map(|m| MessageView {
                from_team: m.author == postern_core::report::Author::Team,
                at: time(m.at),
                body: m.body.clone(),
            })
            .collect(),
        attachments: view
            .attachments
            .iter()
            .map(|a| AttachmentView {
                id: a.id.clone(),
                filename: a.filename.clone(),
                size: format!("{} KiB", a.size.div_ceil(1024)),
            })
            .collect(),
        message_error,
        message_draft: draft,
        notice,
        disclosure: disclosure_words(view, project, &time, state.public_url()),
        requests: view
            .terms
            .requests
            .iter()
            .map(|r| (time(r.asked_for), time(r.asked_at), r.state.words()))
            .collect(),
        can_propose: postern_core::embargo::may_propose(
            view.status,
            view.disclosure
                .as_ref()
                .is_some_and(|d| d.published_at.is_some()),
            view.terms.open().is_some(),
        )
        .is_ok(),
        latest_date: project
            .and_then(|p| postern_core::embargo::latest(&p.policy, view.received_at))
            .map(|at| at.strftime("%Y-%m-%d").to_string()),
        date_error: None,
        date_draft: String::new(),
        reason_draft: String::new(),
    }
}

/// What the reporter is told of the disclosure date: the advisory's publication or schedule,
/// else the date agreed, else the policy's promise (the disclose clock).
fn disclosure_words(
    view: &ReporterView,
    project: Option<&Project>,
    time: &dyn Fn(Timestamp) -> String,
    base: &str,
) -> Option<String> {
    if let Some(d) = &view.disclosure {
        return Some(match (d.published_at, d.scheduled_for) {
            (Some(at), _) => format!(
                "The advisory {} was published {}: {base}/advisories/{}",
                d.advisory,
                time(at),
                d.advisory
            ),
            (None, Some(at)) => format!(
                "The advisory {} is scheduled to be published {}.",
                d.advisory,
                time(at)
            ),
            (None, None) => match view.terms.agreed {
                Some(at) => format!(
                    "The team is drafting the advisory {}; the disclosure date agreed with you is {}.",
                    d.advisory,
                    time(at)
                ),
                None => format!(
                    "The team is drafting the advisory {}; no disclosure date is set yet.",
                    d.advisory
                ),
            },
        });
    }
    if let Some(at) = view.terms.agreed {
        return Some(format!(
            "The disclosure date agreed with you is {}.",
            time(at)
        ));
    }
    let promised = view
        .clocks
        .open(postern_core::clock::ClockKind::Disclose)
        .filter(|_| project.is_some())
        .map(|c| c.limit_at);
    promised.map(|at| {
        format!(
            "Under the policy, the vulnerability will be disclosed by {} unless another date is agreed.",
            time(at)
        )
    })
}

async fn open_case(state: &AppState, key_text: &str) -> Result<(CaseKey, ReporterView), Response> {
    let key = CaseKey::parse(key_text).ok_or_else(|| wrong_key(StatusCode::NOT_FOUND))?;
    match state.store().reporter_view(None, &key).await {
        Ok(view) => Ok((key, view)),
        Err(postern_store::StoreError::NotFound) => Err(wrong_key(StatusCode::NOT_FOUND)),
        Err(other) => Err(Error::from(other).into_response()),
    }
}

fn bad_form(rejection: FormRejection) -> Error {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge(format!(
            "The message is larger than the {} KiB limit.",
            TRACK_BODY_BYTES_MAX / 1024
        ))
    } else {
        Error::BadRequest("The form could not be read; please send it again.".into())
    }
}

/// A tracking post: takes one from the client's allowance, then reads the form.
fn limited_form<T>(
    state: &AppState,
    client: &ClientIp,
    form: Result<Form<T>, FormRejection>,
) -> Result<T, Error> {
    state
        .take_submission(client.0)
        .map_err(Error::TooManyRequests)?;
    form.map(|Form(f)| f).map_err(bad_form)
}

async fn track(
    State(state): State<AppState>,
    client: ClientIp,
    form: Result<Form<TrackForm>, FormRejection>,
) -> Response {
    let form = match limited_form(&state, &client, form) {
        Ok(form) => form,
        Err(error) => return error.into_response(),
    };
    match open_case(&state, &form.case_key).await {
        Ok((key, view)) => {
            no_store(case_page(&state, &view, &key, String::new(), None, None).into_response())
        }
        Err(response) => response,
    }
}

async fn track_message(
    State(state): State<AppState>,
    client: ClientIp,
    form: Result<Form<MessageForm>, FormRejection>,
) -> Response {
    let form = match limited_form(&state, &client, form) {
        Ok(form) => form,
        Err(error) => return error.into_response(),
    };
    let (key, view) = match open_case(&state, &form.case_key).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match state
        .app()
        .reporter_message(Some(&view.id), &key, &form.body)
        .await
    {
        Ok(_) => {}
        Err(postern_app::Error::Invalid(errors)) => {
            let message = errors.into_iter().map(|e| e.message).collect::<Vec<_>>();
            let page = case_page(
                &state,
                &view,
                &key,
                form.body,
                Some(message.join("; ")),
                None,
            );
            return no_store((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Error::from(e).into_response(),
    }
    reopened(&state, &view.id, &key, "Your message was sent to the team.").await
}

/// The case page after a change the reporter made, read again, with a notice on top.
async fn reopened(state: &AppState, id: &ReportId, key: &CaseKey, notice: &str) -> Response {
    match state.store().reporter_view(Some(id), key).await {
        Ok(view) => no_store(
            case_page(state, &view, key, String::new(), None, Some(notice.into())).into_response(),
        ),
        Err(e) => Error::from(e).into_response(),
    }
}

async fn track_attachment(
    State(state): State<AppState>,
    form: Result<Form<AttachmentForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(f)) => f,
        Err(r) => return bad_form(r).into_response(),
    };
    let Some(key) = CaseKey::parse(&form.case_key) else {
        return wrong_key(StatusCode::NOT_FOUND);
    };
    match state
        .store()
        .reporter_attachment(None, &key, &form.attachment_id)
        .await
    {
        Ok((info, bytes)) => crate::api::download(&info, bytes.to_vec()),
        Err(postern_store::StoreError::NotFound) => wrong_key(StatusCode::NOT_FOUND),
        Err(e) => Error::from(e).into_response(),
    }
}

/// The reporter proposes a disclosure date; the team answers on the record.
async fn track_disclosure(
    State(state): State<AppState>,
    client: ClientIp,
    form: Result<Form<DisclosureForm>, FormRejection>,
) -> Response {
    let form = match limited_form(&state, &client, form) {
        Ok(form) => form,
        Err(error) => return error.into_response(),
    };
    let (key, view) = match open_case(&state, &form.case_key).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match state
        .app()
        .propose_disclosure_date(Some(&view.id), &key, &form.date, &form.reason)
        .await
    {
        Ok(_) => {}
        Err(postern_app::Error::Invalid(errors)) => {
            let mut page = case_page(&state, &view, &key, String::new(), None, None);
            page.date_error = Some(
                errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            page.date_draft = form.date.clone();
            page.reason_draft = form.reason.clone();
            return no_store((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Error::from(e).into_response(),
    }
    reopened(
        &state,
        &view.id,
        &key,
        "Your proposed disclosure date was sent to the team; its answer will appear here.",
    )
    .await
}
