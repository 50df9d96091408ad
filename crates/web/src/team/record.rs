//! `/team/reports/new`: a team member records a report that reached them through another
//! channel of the policy (a chat, a pull request, a call...), with the moment the reporter
//! wrote, so that its deadlines run from then. The page only reads the form and shows the
//! outcome: `postern_app::App::record_report` checks the role, the channel, the moment and the
//! fields, and stores the report with its audit events.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use postern_app::intake::{Upload, clean_filename};
use postern_app::recorded::RecordedReport;
use postern_core::intake::{FieldError, OTHER_CATEGORY, Submission};
use postern_core::policy::{ChannelKind, FieldKind, Policy};
use postern_store::team::Role;
use serde::Deserialize;

use super::queue::Choice;
use super::{Member, check_post, private, refused, see_other};
use crate::error::Error;
use crate::intake::{ATTACHMENTS_PER_REQUEST_MAX, SUBMISSION_BODY_BYTES_MAX, human_time};
use crate::state::{AppState, Project};

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new().route(
        "/team/reports/new",
        &[Method::GET, Method::POST],
        get(page)
            .post(record)
            // Files come with it, as with the public form.
            .layer(DefaultBodyLimit::max(SUBMISSION_BODY_BYTES_MAX)),
    )
}

struct FieldView {
    id: String,
    label: String,
    help: Option<String>,
    /// The public form requires it; here it may stay empty if the reporter did not say.
    required: bool,
    multiline: bool,
    value: String,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/record.html")]
struct RecordPage {
    title: String,
    me: Option<String>,
    csrf: String,
    /// The projects the member may record for (their policies name another channel).
    projects: Vec<Choice>,
    project: String,
    project_name: String,
    time_zone: String,
    channels: Vec<Choice>,
    channel_error: Option<String>,
    received_at: String,
    received_at_error: Option<String>,
    fields: Vec<FieldView>,
    scopes: Vec<Choice>,
    contact_email: String,
    contact_email_error: Option<String>,
    credit_offered: bool,
    credit_name: String,
    give_case_key: bool,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    attachments_max: usize,
    attachment_mib_max: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/recorded.html")]
struct RecordedPage {
    title: String,
    me: Option<String>,
    csrf: String,
    id: String,
    project_name: String,
    channel: &'static str,
    received: String,
    case_key: String,
    track_url: String,
}

/// What was typed, kept when the page comes back with errors.
#[derive(Default)]
struct Entered {
    project: String,
    channel: String,
    received_at: String,
    fields: Vec<(String, String)>,
    scope: String,
    contact_email: String,
    credit_name: String,
    give_case_key: bool,
}

#[derive(Deserialize, Default)]
struct Wanted {
    #[serde(default)]
    project: String,
}

/// The projects the member may record a report for: those they see whose policies name a
/// channel besides Postern's form.
fn candidates<'a>(state: &'a AppState, member: &Member) -> Vec<&'a Project> {
    state
        .projects()
        .iter()
        .filter(|p| member.session.user.can_see(p.slug()))
        .filter(|p| !p.policy.recordable_channels().is_empty())
        .collect()
}

/// A kind of channel as the policy names it: "Chat (Matrix, Discord)".
fn channel_label(policy: &Policy, kind: ChannelKind) -> String {
    let names: Vec<&str> = policy
        .channels
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| c.display_name())
        .filter(|n| *n != kind.title())
        .collect();
    if names.is_empty() {
        kind.title().to_owned()
    } else {
        format!("{} ({})", kind.title(), names.join(", "))
    }
}

fn render(
    member: &Member,
    candidates: &[&Project],
    project: &Project,
    entered: &Entered,
    errors: &[FieldError],
    notice: Option<String>,
) -> RecordPage {
    let policy = &project.policy;
    let error_for = |id: &str| {
        errors
            .iter()
            .find(|e| e.field == id)
            .map(|e| e.message.clone())
    };
    let value_of = |id: &str| {
        entered
            .fields
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
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
    RecordPage {
        title: "Record a report".into(),
        me: Some(member.session.user.email.clone()),
        csrf: member.csrf.clone(),
        projects: Choice::projects(candidates.iter().copied(), project.slug()),
        project: project.slug().to_owned(),
        project_name: policy.project.name.clone(),
        time_zone: policy.response.time_zone.clone(),
        channels: policy
            .recordable_channels()
            .into_iter()
            .map(|kind| Choice {
                value: kind.name().to_owned(),
                label: channel_label(policy, kind),
                selected: entered.channel == kind.name(),
            })
            .collect(),
        channel_error: error_for("channel"),
        received_at: entered.received_at.clone(),
        received_at_error: error_for("received_at"),
        fields: policy
            .form
            .fields
            .iter()
            .map(|f| FieldView {
                id: f.id.clone(),
                label: f.label.clone(),
                help: f.help.clone(),
                required: f.required,
                multiline: f.kind == FieldKind::Text,
                value: value_of(&f.id),
                error: error_for(&f.id),
            })
            .collect(),
        scopes,
        contact_email: entered.contact_email.clone(),
        contact_email_error: error_for("contact_email"),
        credit_offered: policy.credit.offered,
        credit_name: entered.credit_name.clone(),
        give_case_key: entered.give_case_key,
        errors: errors
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        notice,
        attachments_max: ATTACHMENTS_PER_REQUEST_MAX,
        attachment_mib_max: postern_store::ATTACHMENT_BYTES_MAX / 1024 / 1024,
    }
}

/// The project asked for, if the member may record for it; else the first they may.
fn chosen<'a>(candidates: &[&'a Project], slug: &str) -> Result<&'a Project, Error> {
    match candidates.iter().find(|p| p.slug() == slug) {
        Some(p) => Ok(p),
        None if !slug.is_empty() => Err(Error::NotFound),
        None => candidates.first().copied().ok_or_else(|| {
            Error::BadRequest(
                "None of your projects' policies names a channel besides Postern's form, so every report reaches Postern by itself; there is nothing to record by hand.".into(),
            )
        }),
    }
}

async fn page(
    State(state): State<AppState>,
    member: Member,
    Query(wanted): Query<Wanted>,
) -> Result<Response, Error> {
    member.require(Role::Triager)?;
    let candidates = candidates(&state, &member);
    let project = chosen(&candidates, &wanted.project)?;
    let entered = Entered {
        project: project.slug().to_owned(),
        ..Entered::default()
    };
    let page = render(&member, &candidates, project, &entered, &[], None);
    Ok(private(page.into_response()))
}

fn multipart_error(error: axum::extract::multipart::MultipartError) -> Error {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge(format!(
            "The report is larger than the {} MiB limit; attach at most {ATTACHMENTS_PER_REQUEST_MAX} files of at most {} MiB each.",
            SUBMISSION_BODY_BYTES_MAX / 1024 / 1024,
            postern_store::ATTACHMENT_BYTES_MAX / 1024 / 1024
        ))
    } else {
        Error::BadRequest("The form data could not be read; please send the form again.".into())
    }
}

async fn record(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, Error> {
    // Checked before the body is read: a viewer is refused whatever it holds.
    member.require(Role::Triager)?;
    let mut multipart = multipart.map_err(|_| {
        Error::BadRequest("Send the form as multipart/form-data, as the page does.".into())
    })?;
    let mut entered = Entered::default();
    let mut csrf = String::new();
    let mut uploads: Vec<Upload> = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachments" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(multipart_error)?;
            if !(filename.is_empty() && bytes.is_empty()) {
                uploads.push(Upload {
                    filename,
                    content_type,
                    bytes: bytes.to_vec(),
                });
            }
            continue;
        }
        let bytes = field.bytes().await.map_err(multipart_error)?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            Error::BadRequest("A field of the form is not valid UTF-8 text.".into())
        })?;
        match name.as_str() {
            "csrf" => csrf = text,
            "project" => entered.project = text,
            "channel" => entered.channel = text,
            "received_at" => entered.received_at = text,
            "scope" => entered.scope = text,
            "contact_email" => entered.contact_email = text,
            "credit_name" => entered.credit_name = text,
            "give_case_key" => entered.give_case_key = !text.is_empty(),
            other => {
                if let Some(id) = other.strip_prefix("field.") {
                    entered.fields.push((id.to_owned(), text));
                }
            }
        }
    }
    check_post(&state, &headers, &member.csrf, &csrf)?;
    let report = RecordedReport {
        project: Some(entered.project.clone()),
        channel: entered.channel.clone(),
        received_at: entered.received_at.clone(),
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
        give_case_key: entered.give_case_key,
    };
    let attached: Vec<String> = report
        .uploads
        .iter()
        .map(|u| clean_filename(&u.filename))
        .collect();
    let done = match state.app().record_report(&member.as_actor(), report).await {
        Ok(done) => done,
        Err(postern_app::Error::Invalid(errors)) => {
            let candidates = candidates(&state, &member);
            let project = chosen(&candidates, &entered.project)?;
            // A browser cannot be given files back: say which to attach again.
            let notice = (!attached.is_empty()).then(|| {
                format!(
                    "Nothing was recorded. Browsers cannot keep files: attach {} again before you send.",
                    attached.join(", ")
                )
            });
            let page = render(&member, &candidates, project, &entered, &errors, notice);
            return Ok(refused(page));
        }
        Err(other) => return Err(other.into()),
    };
    let Some(key) = done.case_key else {
        return Ok(see_other(&format!("/team/reports/{}", done.id)));
    };
    let project = state.project(&done.project).ok_or(Error::NotFound)?;
    let page = RecordedPage {
        title: "Report recorded".into(),
        me: Some(member.session.user.email.clone()),
        csrf: member.csrf.clone(),
        id: done.id.to_string(),
        project_name: project.policy.project.name.clone(),
        channel: done.channel.title(),
        received: human_time(&project.policy, done.received_at),
        case_key: key.reveal(),
        track_url: format!("{}/track", state.public_url()),
    };
    Ok(private((StatusCode::CREATED, page).into_response()))
}
