//! The tracking pages: the case key is posted (never put in a URL) to see the case, write to
//! the team, download an attachment and propose a disclosure date. A wrong key reads the same
//! as a missing report.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use postern_core::report::{CaseKey, ReportId};
use postern_store::ReporterView;
use serde::Deserialize;

use super::{deadline_rows, no_store};
use crate::error::Error;
use crate::intake::{ClientIp, human_time, reporter_deadlines};
use crate::markdown::{Source, render};
use crate::nav::{Nav, Section};
use crate::state::{AppState, Project};

/// Largest tracking-page post (a message plus the case key).
pub(super) const TRACK_BODY_BYTES_MAX: usize = 256 * 1024;

#[derive(Template, WebTemplate)]
#[template(path = "track.html")]
struct TrackPage {
    title: String,
    nav: Nav,
    error: Option<String>,
}

pub(super) async fn track_page(State(state): State<AppState>) -> Response {
    no_store(
        TrackPage {
            title: "Follow your report".into(),
            nav: Nav::new(&state, Section::Track, None),
            error: None,
        }
        .into_response(),
    )
}

#[derive(Deserialize)]
pub(super) struct TrackForm {
    case_key: String,
}

#[derive(Deserialize)]
pub(super) struct MessageForm {
    case_key: String,
    body: String,
}

#[derive(Deserialize)]
pub(super) struct DisclosureForm {
    case_key: String,
    date: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
pub(super) struct ErasureForm {
    case_key: String,
    #[serde(default)]
    what: String,
}

#[derive(Deserialize)]
pub(super) struct AttachmentForm {
    case_key: String,
    attachment_id: String,
}

struct MessageView {
    from_team: bool,
    at: String,
    /// The body as sanitized HTML (`markdown::Source::Typed`).
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
    nav: Nav,
    /// The report's title (`core::report::title`); the browser's title says only "Your
    /// report", so that it stays out of the history of a shared computer.
    heading: String,
    /// The report's id.
    id: String,
    case_key: String,
    status: String,
    received: String,
    deadlines: Vec<super::DeadlineRow>,
    /// (label, value as sanitized HTML).
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
    /// What of the report was erased, and when, in words.
    erased: Vec<String>,
    /// (what, asked, state) of the reporter's erasure requests, oldest first.
    erasure_requests: Vec<(&'static str, String, String)>,
}

fn wrong_key(state: &AppState, status: StatusCode) -> Response {
    no_store(
        (
            status,
            TrackPage {
                title: "Follow your report".into(),
                nav: Nav::new(state, Section::Track, None),
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
        title: "Your report".into(),
        heading: postern_core::report::title(&view.submission.fields),
        id: view.id.to_string(),
        nav: Nav::new(state, Section::Track, None),
        case_key: key.reveal(),
        status: view.status.describe().to_owned(),
        received: time(view.received_at),
        deadlines: project
            .map(|p| {
                deadline_rows(
                    p,
                    &reporter_deadlines(&view.clocks, &p.policy, view.received_at),
                    state.now(),
                )
            })
            .unwrap_or_default(),
        fields: view
            .submission
            .fields
            .iter()
            .map(|(k, v)| (label(k), render(v, Source::Typed)))
            .collect(),
        messages: view
            .messages
            .iter()
            .map(|m| MessageView {
                from_team: m.author == postern_core::report::Author::Team,
                at: time(m.at),
                body: render(&m.body, Source::Typed),
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
        erased: postern_core::privacy::Erasure::ALL
            .into_iter()
            .filter_map(|what| {
                view.privacy
                    .erased_at(what)
                    .map(|at| format!("Erased: {}, {}.", what.describe(), time(at)))
            })
            .collect(),
        erasure_requests: view
            .erasure_requests
            .iter()
            .map(|r| {
                (
                    r.what.describe(),
                    time(r.asked_at),
                    match (r.state.as_str(), r.decided_at) {
                        ("done", Some(at)) => format!("carried out {}", time(at)),
                        ("refused", Some(at)) => format!(
                            "refused {}; the team's reason is in the conversation",
                            time(at)
                        ),
                        _ => "waiting for the team's answer".to_owned(),
                    },
                )
            })
            .collect(),
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
            (Some(at), _) => {
                let early = match view.terms.agreed.filter(|&agreed| agreed > at) {
                    Some(agreed) => format!(
                        ", before the date agreed with you ({}); the team's reason is in the conversation",
                        time(agreed)
                    ),
                    None => String::new(),
                };
                format!(
                    "The advisory {} was published {}{early}: {base}/advisories/{}",
                    d.advisory,
                    time(at),
                    d.advisory
                )
            }
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
        .and_then(|c| c.limit_at());
    promised.map(|at| {
        format!(
            "Under the policy, the vulnerability will be disclosed by {} unless another date is agreed.",
            time(at)
        )
    })
}

async fn open_case(state: &AppState, key_text: &str) -> Result<(CaseKey, ReporterView), Response> {
    let key = CaseKey::parse(key_text).ok_or_else(|| wrong_key(state, StatusCode::NOT_FOUND))?;
    match state.store().reporter_view(None, &key).await {
        Ok(view) => Ok((key, view)),
        Err(postern_store::StoreError::NotFound) => Err(wrong_key(state, StatusCode::NOT_FOUND)),
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

pub(super) async fn track(
    State(state): State<AppState>,
    client: ClientIp,
    form: Result<Form<TrackForm>, FormRejection>,
) -> Response {
    // Opening the case is a look-up, not a submission: reading it again and again never
    // uses up the allowance for writing to the team.
    if let Err(seconds) = state.take_lookup(client.0) {
        return Error::TooManyRequests(seconds).into_response();
    }
    let form = match form {
        Ok(Form(f)) => f,
        Err(r) => return bad_form(r).into_response(),
    };
    match open_case(&state, &form.case_key).await {
        Ok((key, view)) => {
            no_store(case_page(&state, &view, &key, String::new(), None, None).into_response())
        }
        Err(response) => response,
    }
}

pub(super) async fn track_message(
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
            let page = case_page(
                &state,
                &view,
                &key,
                form.body,
                Some(crate::error::messages(errors)),
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

pub(super) async fn track_attachment(
    State(state): State<AppState>,
    client: ClientIp,
    form: Result<Form<AttachmentForm>, FormRejection>,
) -> Response {
    let (form, key) = match looked_up(&state, &client, form, |f: &AttachmentForm| &f.case_key) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    match state
        .store()
        .reporter_attachment(None, &key, &form.attachment_id)
        .await
    {
        Ok((info, bytes)) => crate::api::download(&info, bytes.to_vec()),
        Err(postern_store::StoreError::NotFound) => wrong_key(&state, StatusCode::NOT_FOUND),
        Err(e) => Error::from(e).into_response(),
    }
}

/// A look-up by case key that reads no page (a download): takes one from the client's look-up
/// allowance, reads the form and parses its key; a key that cannot be one is the same 404.
fn looked_up<T>(
    state: &AppState,
    client: &ClientIp,
    form: Result<Form<T>, FormRejection>,
    key_of: impl Fn(&T) -> &String,
) -> Result<(T, CaseKey), Box<Response>> {
    if let Err(seconds) = state.take_lookup(client.0) {
        return Err(Box::new(Error::TooManyRequests(seconds).into_response()));
    }
    let form = form
        .map(|Form(f)| f)
        .map_err(|r| Box::new(bad_form(r).into_response()))?;
    let key = CaseKey::parse(key_of(&form))
        .ok_or_else(|| Box::new(wrong_key(state, StatusCode::NOT_FOUND)))?;
    Ok((form, key))
}

/// The reporter proposes a disclosure date; the team answers on the record.
pub(super) async fn track_disclosure(
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
            page.date_error = Some(crate::error::messages(errors));
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

/// The reporter downloads everything held about their case, as JSON (the same document as the
/// API's export).
pub(super) async fn track_export(
    State(state): State<AppState>,
    client: ClientIp,
    form: Result<Form<TrackForm>, FormRejection>,
) -> Response {
    let (_, key) = match looked_up(&state, &client, form, |f: &TrackForm| &f.case_key) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    match state.app().export_case(None, &key).await {
        Ok(export) => crate::api::export_download(&state, &export),
        Err(postern_app::Error::NotFound) => wrong_key(&state, StatusCode::NOT_FOUND),
        Err(e) => Error::from(e).into_response(),
    }
}

/// The reporter asks the team to erase their contact or their report's contents.
pub(super) async fn track_erasure(
    State(state): State<AppState>,
    client: ClientIp,
    form: Result<Form<ErasureForm>, FormRejection>,
) -> Response {
    let form = match limited_form(&state, &client, form) {
        Ok(form) => form,
        Err(error) => return error.into_response(),
    };
    let (key, view) = match open_case(&state, &form.case_key).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let notice = match state
        .app()
        .request_erasure(Some(&view.id), &key, &form.what)
        .await
    {
        Ok(_) => "Your request was sent to the team; its answer will appear here.".to_owned(),
        Err(postern_app::Error::Invalid(errors)) => crate::error::messages(errors),
        Err(postern_app::Error::Refused(m) | postern_app::Error::Conflict(m)) => {
            format!("Not sent: {m}.")
        }
        Err(e) => return Error::from(e).into_response(),
    };
    reopened(&state, &view.id, &key, &notice).await
}
