//! `/team/jobs`: the notices Postern gave up on (dead outbox jobs: a mail server that refused,
//! a webhook that answered 404, attempts used up), for admins to see and send again. The
//! queue shows their count to admins, so none goes unnoticed.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use postern_core::report::ReportId;
use postern_store::StoreError;
use postern_store::jobs::JobState;
use postern_store::team::Role;
use serde::Deserialize;

use super::{Member, check_post, private, see_other};
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/jobs", page)
        .post("/team/jobs/retry", retry)
        .post("/team/jobs/retell", retell)
}

struct Row {
    id: String,
    kind: String,
    project: String,
    /// (id, title) of the report it is about.
    report: Option<(String, String)>,
    attempts: String,
    failed: String,
    error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/jobs.html")]
struct JobsPage {
    title: String,
    me: Option<String>,
    csrf: String,
    rows: Vec<Row>,
    untold: Vec<Row>,
    notice: Option<String>,
    mail_on: bool,
}

fn row_of(j: postern_store::jobs::Job, titles: &HashMap<ReportId, String>) -> Row {
    let report = j.report_id.map(|id| {
        let title = ReportId::parse(&id)
            .and_then(|r| titles.get(&r).cloned())
            .unwrap_or_else(|| format!("Report {id}"));
        (id, title)
    });
    Row {
        report,
        attempts: format!("{}/{}", j.attempts, j.max_attempts),
        failed: j
            .done_at
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        error: j.last_error.unwrap_or_default(),
        id: j.id,
        kind: j.kind,
        project: j.project,
    }
}

async fn render(
    state: &AppState,
    member: &Member,
    notice: Option<String>,
) -> Result<Response, Error> {
    member.require(Role::Admin)?;
    let visible = |jobs: Vec<postern_store::jobs::Job>| -> Vec<postern_store::jobs::Job> {
        jobs.into_iter()
            .filter(|j| member.session.user.can_see(&j.project))
            .collect()
    };
    let dead = visible(state.store().jobs(Some(JobState::Dead)).await?);
    let untold = visible(state.store().untold_jobs().await?);
    // The reports they are about, by title (a list: not a view of those reports).
    let mut reports: Vec<ReportId> = dead
        .iter()
        .chain(&untold)
        .filter_map(|j| j.report_id.as_deref().and_then(ReportId::parse))
        .collect();
    reports.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    reports.dedup();
    reports.truncate(postern_store::team::TITLES_PER_CALL_MAX);
    let titles = state.store().report_titles(&reports).await?;
    let rows = dead.into_iter().map(|j| row_of(j, &titles)).collect();
    let untold = untold.into_iter().map(|j| row_of(j, &titles)).collect();
    Ok(private(
        JobsPage {
            title: "Notices given up".into(),
            me: Some(member.actor().to_owned()),
            csrf: member.csrf.clone(),
            rows,
            untold,
            notice,
            mail_on: state.mail_on(),
        }
        .into_response(),
    ))
}

async fn page(State(state): State<AppState>, member: Member) -> Result<Response, Error> {
    render(&state, &member, None).await
}

#[derive(Deserialize, Default)]
struct RetryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    job: String,
}

/// Sends a given-up notice again.
async fn retry(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<RetryForm>,
) -> Result<Response, Error> {
    revive(&state, &headers, &member, &form, Revival::Retry).await
}

/// Tells a report event nobody of the team was told of again.
async fn retell(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<RetryForm>,
) -> Result<Response, Error> {
    revive(&state, &headers, &member, &form, Revival::Retell).await
}

#[derive(Clone, Copy)]
enum Revival {
    Retry,
    Retell,
}

/// Runs a job of a project the admin sees again; a job revived meanwhile says so.
async fn revive(
    state: &AppState,
    headers: &HeaderMap,
    member: &Member,
    form: &RetryForm,
    how: Revival,
) -> Result<Response, Error> {
    check_post(state, headers, &member.csrf, &form.csrf)?;
    member.require(Role::Admin)?;
    let visible = state
        .store()
        .job(&form.job)
        .await?
        .is_some_and(|j| member.session.user.can_see(&j.project));
    if !visible {
        return Err(Error::NotFound);
    }
    let (result, meanwhile) = match how {
        Revival::Retry => (
            state.store().retry_job(&form.job, state.now()).await,
            "That notice is no longer given up: it was sent again meanwhile.",
        ),
        Revival::Retell => (
            state.store().retell_job(&form.job, state.now()).await,
            "That event is being told again already.",
        ),
    };
    match result {
        Ok(()) => Ok(see_other("/team/jobs")),
        Err(StoreError::NotFound) => render(state, member, Some(meanwhile.into())).await,
        Err(e) => Err(e.into()),
    }
}
