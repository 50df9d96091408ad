//! The work queue: open reports ordered by the next deadline (closed or all reports newest
//! first), each under its title, filtered by project, state, severity, overdue and assignee,
//! and searched by words of the reports (title, text, credit name) or an id's beginning, as a
//! plain GET form so that it works without JavaScript and a filtered view can be bookmarked.
//! Filters and search words are not secret: the words are the team's own, in the team's
//! history at most, never the reporter's key.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use postern_core::case::parse_severity;
use postern_core::policy::Severity;
use postern_core::report::ReportStatus;
use postern_store::team::{QueueFilter, QueueOrder, QueueState};
use serde::Deserialize;

use super::{Member, private};
use crate::error::Error;
use crate::intake::human_time;
use crate::state::AppState;

/// Reports shown on one page of the queue.
pub const QUEUE_ROWS: usize = 100;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/team", queue)
}

pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    /// A select's options of projects (by name, valued by slug), `selected` chosen.
    pub(crate) fn projects<'a>(
        projects: impl IntoIterator<Item = &'a crate::state::Project>,
        selected: &str,
    ) -> Vec<Choice> {
        projects
            .into_iter()
            .map(|p| Choice {
                value: p.slug().to_owned(),
                label: p.policy.project.name.clone(),
                selected: p.slug() == selected,
            })
            .collect()
    }
}

struct Row {
    id: String,
    title: String,
    project: String,
    status: &'static str,
    severity: &'static str,
    due: String,
    overdue: bool,
    received: String,
    assignee: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/queue.html")]
struct QueuePage {
    title: String,
    me: Option<String>,
    csrf: String,
    projects: Vec<Choice>,
    statuses: Vec<Choice>,
    severities: Vec<Choice>,
    overdue: bool,
    /// "", "me" or "nobody".
    assigned: Vec<Choice>,
    /// The orders to choose from.
    sorts: Vec<Choice>,
    rows: Vec<Row>,
    /// How the rows are ordered, in words ("next deadline first").
    order: &'static str,
    /// Whether the page is full (more reports may match).
    full: bool,
    /// Whether deadlines are shown (closed reports have none).
    show_due: bool,
    /// Notices given up on, shown to admins.
    dead_jobs: u64,
    /// Mail waiting in screening, of the projects the member sees.
    screening: i64,
    /// The search as typed.
    search: String,
    /// What is wrong with the search, shown at its field.
    search_error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    project: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    overdue: String,
    /// "me" (the member's reports), "nobody" (unassigned), or "" (anyone's).
    #[serde(default)]
    assigned: String,
    /// deadline, newest, oldest or severity; "" for the state's own order.
    #[serde(default)]
    sort: String,
    /// Words of the reports, or the beginning of an id.
    #[serde(default)]
    q: String,
}

async fn queue(
    State(state): State<AppState>,
    member: Member,
    Query(filters): Query<Filters>,
) -> Result<Response, Error> {
    let user = &member.session.user;
    let now = state.now();
    let visible: Vec<&crate::state::Project> = state
        .projects()
        .iter()
        .filter(|p| user.can_see(p.slug()))
        .collect();
    let projects = (!filters.project.is_empty()).then(|| vec![filters.project.clone()]);
    let state_filter = QueueState::parse(&filters.status).map_err(Error::BadRequest)?;
    let severity = match filters.severity.as_str() {
        "" => None,
        s => Some(
            parse_severity(s)
                .ok_or_else(|| Error::BadRequest(format!("{s:?} is not a severity")))?,
        ),
    };
    let overdue = !filters.overdue.is_empty();
    let assignee = match filters.assigned.as_str() {
        "" => None,
        "me" => Some(Some(user.email.clone())),
        "nobody" => Some(None),
        other => {
            return Err(Error::BadRequest(format!(
                "{other:?} is not an assignment filter: write me or nobody"
            )));
        }
    };
    let order = match filters.sort.as_str() {
        "" => None,
        words => Some(QueueOrder::parse(words).map_err(Error::BadRequest)?),
    };
    let filter = QueueFilter {
        projects,
        state: state_filter,
        severity,
        overdue_at: overdue.then_some(now),
        assignee,
        order,
        search: None,
    };
    let (found, search_error) = match state
        .app()
        .queue(&member.as_actor(), filter, &filters.q, QUEUE_ROWS)
        .await
    {
        Ok(found) => (found, None),
        Err(postern_app::Error::Invalid(errors)) => {
            (Vec::new(), Some(crate::error::messages(errors)))
        }
        Err(other) => return Err(other.into()),
    };
    let policy_of = |slug: &str| {
        state
            .project(slug)
            .unwrap_or_else(|| state.default_project())
    };
    let rows: Vec<Row> = found
        .into_iter()
        .map(|r| {
            let policy = &policy_of(&r.project).policy;
            Row {
                id: r.id.to_string(),
                title: r.title,
                status: r.status.name(),
                severity: r.severity.map_or("", Severity::title),
                due: r
                    .next_due_at
                    .map_or_else(|| "none running".to_owned(), |d| human_time(policy, d)),
                overdue: r.next_due_at.is_some_and(|d| d < now),
                received: human_time(policy, r.received_at),
                assignee: r.assignee.unwrap_or_default(),
                project: r.project,
            }
        })
        .collect();
    let dead_jobs = if user.role == postern_store::team::Role::Admin {
        state
            .store()
            .count_jobs(postern_store::jobs::JobState::Dead)
            .await?
            + state.store().count_untold_jobs().await?
    } else {
        0
    };
    let screening = state
        .store()
        .count_screening()
        .await?
        .into_iter()
        .filter(|(project, _)| user.can_see(project))
        .map(|(_, n)| n)
        .sum();
    let page = QueuePage {
        title: if filters.q.trim().is_empty() {
            "Work queue".into()
        } else {
            "Search the queue".into()
        },
        search: filters.q.trim().to_owned(),
        search_error,
        dead_jobs,
        screening,
        me: Some(user.email.clone()),
        csrf: member.csrf.clone(),
        projects: Choice::projects(visible.iter().copied(), &filters.project),
        statuses: std::iter::once(("all", "All"))
            .chain(ReportStatus::ALL.iter().map(|(name, _)| (*name, *name)))
            .map(|(value, label)| Choice {
                value: value.to_owned(),
                label: label.to_owned(),
                selected: value == filters.status,
            })
            .collect(),
        severities: Severity::ALL
            .iter()
            .map(|(name, s)| Choice {
                value: (*name).to_owned(),
                label: s.title().to_owned(),
                selected: *name == filters.severity,
            })
            .collect(),
        overdue,
        assigned: [("", "Anyone"), ("me", "Me"), ("nobody", "Nobody")]
            .into_iter()
            .map(|(value, label)| Choice {
                value: value.to_owned(),
                label: label.to_owned(),
                selected: value == filters.assigned,
            })
            .collect(),
        full: rows.len() == QUEUE_ROWS,
        show_due: state_filter != QueueState::Only(ReportStatus::Closed),
        rows,
        order: order.unwrap_or(state_filter.order()).words(),
        sorts: [
            ("deadline", "By deadline"),
            ("severity", "By severity"),
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
        ]
        .into_iter()
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == filters.sort,
        })
        .collect(),
    };
    if page.search_error.is_some() {
        return Ok(super::refused(page));
    }
    Ok(private(page.into_response()))
}
