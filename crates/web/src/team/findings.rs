//! `/team/findings`: what the scanners found, per project, with filters (severity, state,
//! package, overdue); a finding's page with "accept risk" and "false positive" (a reason, and
//! an expiry for an accepted risk); and the team's API tokens for CI imports (made here, shown
//! once; revoked here); "draft an advisory" from a finding the project ships. Every action is
//! one use case of `postern_app`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use postern_app::scan::{Decision, parse_severity, parse_state};
use postern_app::tokens::{NewToken, SCANS_WRITE, TOKEN_DAYS_DEFAULT};
use postern_core::scan::{FindingSeverity, FindingState};
use postern_store::scans::{FindingFilter, StoredFinding};
use serde::Deserialize;

use super::{CsrfForm, Member, check_post, private, see_other};
use crate::error::Error;
use crate::state::AppState;

/// Findings one page lists.
const FINDINGS_PER_PAGE: usize = 500;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/findings", list)
        .get("/team/findings/{id}", show)
        .post("/team/findings/{id}/decide", decide)
        .post("/team/findings/{id}/advisory", draft_advisory)
        .post("/team/tokens", create_token)
        .post("/team/tokens/revoke", revoke_token)
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct Row {
    id: String,
    title: String,
    vuln_id: String,
    project: String,
    product: String,
    package: String,
    severity: &'static str,
    state: &'static str,
    due: String,
    overdue: bool,
    unsupported: bool,
}

struct TokenRow {
    id: String,
    name: String,
    projects: String,
    scopes: String,
    state: &'static str,
    expires: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/findings.html")]
struct ListPage {
    title: String,
    me: Option<String>,
    csrf: String,
    projects: Vec<Choice>,
    severities: Vec<Choice>,
    states: Vec<Choice>,
    package: String,
    overdue: bool,
    rows: Vec<Row>,
    full: bool,
    tokens: Vec<TokenRow>,
    token_projects: Vec<String>,
    new_token: Option<String>,
    notice: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/finding.html")]
struct FindingPage {
    title: String,
    me: Option<String>,
    csrf: String,
    f: StoredFinding,
    due: String,
    overdue: bool,
    decided_until: String,
    open: bool,
    /// Whether "draft an advisory" is offered: a dependency's vulnerability, not called a
    /// false positive, none drafted yet, and a triager looking.
    draftable: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    project: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    package: String,
    #[serde(default)]
    overdue: String,
}

/// A use case's input errors as one sentence for the page.
fn in_words(errors: &[postern_core::intake::FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn day(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn choices<'a>(all: impl Iterator<Item = (&'a str, String)>, chosen: &str) -> Vec<Choice> {
    all.map(|(value, label)| Choice {
        selected: value == chosen,
        value: value.to_owned(),
        label,
    })
    .collect()
}

async fn render_list(
    state: &AppState,
    member: &Member,
    filters: &Filters,
    new_token: Option<String>,
    notice: Option<String>,
) -> Result<Response, Error> {
    let app = state.app();
    let actor = member.as_actor();
    let now = app.now();
    let severity = match filters.severity.as_str() {
        "" => None,
        s => Some(parse_severity(s)?),
    };
    let finding_state = match filters.state.as_str() {
        "" => None,
        s => Some(parse_state(s)?),
    };
    let overdue = filters.overdue == "1";
    let findings = app
        .findings(
            &actor,
            FindingFilter {
                project: Some(filters.project.clone()).filter(|p| !p.is_empty()),
                severity,
                state: finding_state,
                package: Some(filters.package.clone()).filter(|p| !p.is_empty()),
                overdue_at: overdue.then_some(now),
                limit: FINDINGS_PER_PAGE,
                ..FindingFilter::default()
            },
        )
        .await?;
    let full = findings.len() >= FINDINGS_PER_PAGE;
    let rows = findings
        .into_iter()
        .map(|f| Row {
            overdue: f.state == FindingState::Open && f.due_at.is_some_and(|d| d < now),
            due: f.due_at.map(day).unwrap_or_else(|| "none".into()),
            unsupported: f.support == "unsupported",
            severity: f.finding.severity.name(),
            state: f.state.name(),
            title: if f.finding.title.is_empty() {
                f.finding.vuln_id.clone()
            } else {
                f.finding.title.clone()
            },
            package: if f.finding.package.is_empty() {
                f.finding.location.clone()
            } else {
                format!("{} {}", f.finding.package, f.finding.installed_version)
            },
            vuln_id: f.finding.vuln_id,
            project: f.project,
            product: format!("{} {}", f.product, f.version),
            id: f.id,
        })
        .collect();
    let visible: Vec<String> = app
        .projects()
        .all()
        .iter()
        .map(|p| p.slug().to_owned())
        .filter(|p| actor.can_see(p))
        .collect();
    let tokens = if member.require(postern_store::team::Role::Triager).is_ok() {
        app.tokens(&actor)
            .await?
            .into_iter()
            .map(|t| TokenRow {
                state: if t.revoked_at.is_some() {
                    "revoked"
                } else if t.is_live(now) {
                    "live"
                } else {
                    "expired"
                },
                expires: day(t.expires_at),
                projects: t.projects.join(", "),
                scopes: t.scopes.join(", "),
                name: t.name,
                id: t.id,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(private(
        ListPage {
            title: "Findings".into(),
            me: Some(member.actor().to_owned()),
            csrf: member.csrf.clone(),
            projects: choices(
                visible.iter().map(|p| (p.as_str(), p.clone())),
                &filters.project,
            ),
            severities: choices(
                FindingSeverity::ALL
                    .iter()
                    .map(|s| (s.name(), s.name().to_owned())),
                &filters.severity,
            ),
            states: choices(
                FindingState::ALL
                    .iter()
                    .map(|s| (s.name(), s.name().replace('-', " "))),
                &filters.state,
            ),
            package: filters.package.clone(),
            overdue,
            rows,
            full,
            tokens,
            token_projects: visible,
            new_token,
            notice,
        }
        .into_response(),
    ))
}

async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(filters): Query<Filters>,
) -> Result<Response, Error> {
    render_list(&state, &member, &filters, None, None).await
}

async fn render_finding(
    state: &AppState,
    member: &Member,
    id: &str,
    error: Option<String>,
) -> Result<Response, Error> {
    let app = state.app();
    let f = app.finding(&member.as_actor(), id).await?;
    let now = app.now();
    Ok(private(
        FindingPage {
            title: format!("Finding {}", f.finding.vuln_id),
            me: Some(member.actor().to_owned()),
            csrf: member.csrf.clone(),
            due: f.due_at.map(day).unwrap_or_else(|| "none".into()),
            overdue: f.state == FindingState::Open && f.due_at.is_some_and(|d| d < now),
            decided_until: f.decided_until.map(day).unwrap_or_default(),
            open: f.state == FindingState::Open,
            draftable: f.finding.kind == postern_core::scan::FindingKind::Dependency
                && !f.finding.package.is_empty()
                && f.state != FindingState::FalsePositive
                && f.advisory_id.is_none()
                && member.require(postern_store::team::Role::Triager).is_ok(),
            error,
            f,
        }
        .into_response(),
    ))
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    render_finding(&state, &member, &id, None).await
}

#[derive(Deserialize, Default)]
struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    until: String,
}

async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let decision = match form.decision.as_str() {
        "accept-risk" => {
            let Ok(date) = form.until.trim().parse::<jiff::civil::Date>() else {
                return render_finding(
                    &state,
                    &member,
                    &id,
                    Some("Until: give a date as YYYY-MM-DD.".into()),
                )
                .await;
            };
            let until = date
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|e| Error::BadRequest(e.to_string()))?
                .timestamp();
            Decision::AcceptRisk {
                reason: form.reason.clone(),
                until,
            }
        }
        _ => Decision::FalsePositive {
            reason: form.reason.clone(),
        },
    };
    match state
        .app()
        .decide_finding(&member.as_actor(), &id, decision)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/team/findings/{id}"))),
        Err(postern_app::Error::Invalid(errors)) => {
            render_finding(&state, &member, &id, Some(in_words(&errors))).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Drafts an advisory about the project's product from the finding, then opens it to edit.
async fn draft_advisory(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    match state
        .app()
        .draft_advisory_from_finding(&member.as_actor(), &id)
        .await
    {
        Ok(advisory) => Ok(see_other(&format!("/team/advisories/{}", advisory.id))),
        Err(postern_app::Error::Refused(message)) => {
            render_finding(&state, &member, &id, Some(message)).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    id: String,
}

async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<TokenForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let days = form.days.trim().parse().unwrap_or(TOKEN_DAYS_DEFAULT);
    let made = state
        .app()
        .create_token(
            &member.as_actor(),
            NewToken {
                name: form.name.clone(),
                projects: vec![form.project.clone()],
                scopes: vec![SCANS_WRITE.into()],
                days,
            },
        )
        .await;
    let filters = Filters::default();
    match made {
        Ok((token, value)) => {
            let notice = format!(
                "Token \"{}\" made for {}, until {}. Copy it now: it is shown only this once.",
                token.name,
                token.projects.join(", "),
                day(token.expires_at)
            );
            render_list(
                &state,
                &member,
                &filters,
                Some(value.to_string()),
                Some(notice),
            )
            .await
        }
        Err(postern_app::Error::Invalid(errors)) => {
            render_list(&state, &member, &filters, None, Some(in_words(&errors))).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<TokenForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    state
        .app()
        .revoke_token(&member.as_actor(), &form.id)
        .await?;
    Ok(see_other("/team/findings#tokens"))
}
