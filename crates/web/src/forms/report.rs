//! The report form: rendered from the project's policy (fields, scope, supported versions),
//! read from multipart (attachments included, strictly UTF-8 text), checked for bots, and
//! submitted through the use case; then the page that shows the case key once.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use postern_app::intake::Upload;
use postern_app::reporter::NewReport;
use postern_core::intake::{FieldError, OTHER_CATEGORY, Submission};
use postern_core::policy::{FieldKind, Within};

use super::token::{check_token, issue_token};
use super::{deadline_rows, no_store};
use crate::error::Error;
use crate::intake::{
    ATTACHMENTS_PER_REQUEST_MAX, ClientIp, SUBMISSION_BODY_BYTES_MAX, reporter_deadlines,
};
use crate::nav::{Nav, Section};
use crate::state::{AppState, Project};

/// Name of the honeypot input: plausible to a bot, hidden from people.
const HONEYPOT: &str = "website";

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
    nav: Nav,
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
    /// The project's served OpenPGP key, when it has one: the form then takes an encrypted
    /// report in place of the fields.
    openpgp: Option<ServedKeyView>,
    encrypted_message: String,
    encrypted_message_error: Option<String>,
    openpgp_key: String,
    openpgp_key_error: Option<String>,
}

/// The key a reporter encrypts to, as the form names it.
struct ServedKeyView {
    fingerprint: String,
    url: String,
    address: String,
}

#[derive(Default)]
struct Entered {
    fields: Vec<(String, String)>,
    scope: String,
    contact_email: String,
    credit_name: String,
    encrypted_message: String,
    openpgp_key: String,
}

/// The project's served key for the form, if it has one.
async fn served_key(state: &AppState, project: &Project) -> Result<Option<ServedKeyView>, Error> {
    let slug = project.slug();
    let Some(key) = state.app().project_public_key(slug).await? else {
        return Ok(None);
    };
    Ok(Some(ServedKeyView {
        fingerprint: postern_core::render::grouped_fingerprint(key.fingerprint().as_str()),
        url: format!("{}/openpgp.asc", project_path(state, project)),
        address: state.app().project_security_address(slug)?,
    }))
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
    openpgp: Option<ServedKeyView>,
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
    // Completes "We acknowledge reports ...": the promised limit, or the policy's own words.
    let acknowledge = policy
        .response
        .acknowledge
        .as_ref()
        .and_then(|p| match &p.within {
            Within::Time(t) => Some(format!("within {}", t.limit)),
            Within::Untimed(words) => words.clone(),
        });
    ReportForm {
        title: format!("Report a vulnerability in {}", policy.project.name),
        nav: Nav::new(state, Section::Report, Some(project.slug())),
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
        openpgp,
        encrypted_message: entered.encrypted_message.clone(),
        encrypted_message_error: error_for("encrypted_message"),
        openpgp_key: entered.openpgp_key.clone(),
        openpgp_key_error: error_for("openpgp_key"),
    }
}

/// The project whose form is asked for, if its policy takes reports through Postern's form;
/// otherwise a 404 that names the channels it does offer (the use cases decide which).
fn form_project(state: &AppState, slug: Option<&str>) -> Result<Project, Error> {
    if let Some(slug) = slug
        && state.project(slug).is_none()
    {
        return Err(Error::NotFound);
    }
    Ok(state.app().report_form(slug)?.clone())
}

pub(super) async fn default_form(State(state): State<AppState>) -> Result<Response, Error> {
    empty_form(&state, None).await
}

pub(super) async fn project_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    empty_form(&state, Some(&slug)).await
}

/// The form as first shown.
async fn empty_form(state: &AppState, slug: Option<&str>) -> Result<Response, Error> {
    let project = form_project(state, slug)?;
    let key = served_key(state, &project).await?;
    Ok(no_store(
        render_form(state, &project, &Entered::default(), &[], None, key).into_response(),
    ))
}

pub(super) async fn default_submit(
    State(state): State<AppState>,
    client: ClientIp,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, Error> {
    let project = form_project(&state, None)?;
    submit(state, client, project, multipart).await
}

pub(super) async fn project_submit(
    State(state): State<AppState>,
    client: ClientIp,
    Path(slug): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, Error> {
    let project = form_project(&state, Some(&slug))?;
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
    nav: Nav,
    project_name: String,
    case_key: String,
    report_id: String,
    deadlines: Vec<super::DeadlineRow>,
    email_given: bool,
    mail_on: bool,
    /// What became of an encrypted report, in words for the reporter.
    encryption: Option<String>,
}

/// What the reporter is told of how their encrypted report (or their key) arrived.
fn arrival_words(arrival: &postern_store::openpgp::EncryptedArrival) -> String {
    use postern_store::openpgp::ArrivalState;
    match arrival.state {
        ArrivalState::Decrypted => format!("Your encrypted report was decrypted and is stored encrypted again here ({}).", arrival.detail),
        ArrivalState::Undecryptable => format!("Your report arrived, but it could not be decrypted: {}. It is kept sealed as you sent it, and the team has been told; please send it again encrypted to the project's current key (on the report form) as a message on your case page.", arrival.detail),
        ArrivalState::Plain => "Your OpenPGP key was kept with your report: mail from the team to you will be encrypted to it.".into(),
    }
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
            "encrypted_message" => entered.encrypted_message = text,
            "openpgp_key" => entered.openpgp_key = text,
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
    // A browser cannot be given files back: say so when the form returns with an error.
    let attach_again = |names: &[String]| {
        (!names.is_empty()).then(|| {
            format!(
                "Nothing was sent. Your text is kept below, but browsers cannot keep files: attach {} again before you send.",
                names.join(", ")
            )
        })
    };
    let attached: Vec<String> = uploads
        .iter()
        .map(|u| postern_app::intake::clean_filename(&u.filename))
        .collect();
    if let Err(message) = check_token(&state, project.slug(), &token) {
        let message = match attach_again(&attached) {
            Some(again) => format!("{message} {again}"),
            None => message,
        };
        let key = served_key(&state, &project).await?;
        let page = render_form(&state, &project, &entered, &[], Some(message), key);
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
        encrypted_message: Some(entered.encrypted_message.clone()),
        reporter_key: Some(entered.openpgp_key.clone()),
    };
    let done = match state.app().submit_report(report).await {
        Ok(done) => done,
        Err(postern_app::Error::Invalid(errors)) => {
            let key = served_key(&state, &project).await?;
            let page = render_form(
                &state,
                &project,
                &entered,
                &errors,
                attach_again(&attached),
                key,
            );
            return Ok(no_store(
                (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    let page = ReportDone {
        title: "Report received".into(),
        nav: Nav::new(&state, Section::Report, Some(project.slug())),
        project_name: project.policy.project.name.clone(),
        case_key: done.case_key.reveal(),
        report_id: done.id.to_string(),
        deadlines: deadline_rows(
            &project,
            &reporter_deadlines(&done.clocks, &project.policy, done.received_at),
            done.received_at,
        ),
        email_given: done.contact_given,
        mail_on: state.mail_on(),
        encryption: done.encrypted.as_ref().map(arrival_words),
    };
    Ok(no_store((StatusCode::CREATED, page).into_response()))
}
