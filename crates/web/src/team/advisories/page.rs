//! The team's advisory pages as shown: the list, and the edit page with its rows numbered for
//! the form, the preview, the supported-versions lines against the affected ranges, and the
//! disclosure date (schedule, the default, the policy's maximum embargo). What a handler needs
//! to show a page is built here; what the person typed is read in form.rs.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use postern_core::advisory::Advisory;
use postern_core::deadline::Calendar;
use postern_core::policy::{Policy, Severity};
use postern_core::report::ReportId;
use postern_core::supported::LineStatus;
use postern_store::advisories::StoredAdvisory;
use postern_store::team::Role;

use super::form::{CREDIT_ROLES, CreditRow, REFERENCE_KINDS, RangeRow, ReferenceRow, Typed};
use crate::error::Error;
use crate::intake::human_time;
use crate::state::{AppState, Project};
use crate::team::queue::Choice;
use crate::team::{Member, private};

fn choice(value: &str, label: &str, selected: bool) -> Choice {
    Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected,
    }
}

struct VersionLine {
    versions: String,
    supported: &'static str,
    cells: Vec<(String, &'static str)>,
}

fn version_lines(policy: &Policy, advisory: Option<&Advisory>) -> Vec<VersionLine> {
    let Some(advisory) = advisory else {
        return Vec::new();
    };
    policy
        .supported_versions
        .iter()
        .map(|line| VersionLine {
            versions: line.versions.clone(),
            supported: if line.supported { "yes" } else { "no" },
            cells: advisory
                .affected
                .iter()
                .map(|a| {
                    let status = postern_core::supported::line_status(&line.versions, a);
                    let class = match status {
                        LineStatus::AffectedWithoutFix => "overdue",
                        LineStatus::FixedIn(_) => "fixed",
                        LineStatus::NotAffected | LineStatus::ByHand => "",
                    };
                    (status.words(), class)
                })
                .collect(),
        })
        .collect()
}

struct ListRow {
    id: String,
    title: String,
    severity: &'static str,
    project: String,
    state: String,
    /// (id, title) of the report it was drafted from.
    report: Option<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/advisories.html")]
pub(super) struct ListPage {
    title: String,
    me: Option<String>,
    csrf: String,
    rows: Vec<ListRow>,
    projects: Vec<Choice>,
    can_edit: bool,
}

/// The list page: each advisory with its state (draft, scheduled, published) in its project's
/// time, and the projects a new one may be written for.
pub(super) fn list_page(
    state: &AppState,
    member: &Member,
    rows: Vec<(StoredAdvisory, Option<Timestamp>)>,
    report_titles: &std::collections::HashMap<ReportId, String>,
) -> ListPage {
    let user = &member.session.user;
    let policy_of = |slug: &str| state.project(slug).map(|p| &p.policy);
    let when = |slug: &str, at: Timestamp| match policy_of(slug) {
        Some(policy) => human_time(policy, at),
        None => at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    };
    let rows = rows
        .into_iter()
        .map(|(s, publish_at)| {
            let a = &s.advisory;
            let state = match (s.published_at, publish_at) {
                (Some(at), _) => format!("published {}", when(&a.project, at)),
                (None, Some(at)) => format!("scheduled for {}", when(&a.project, at)),
                (None, None) => "draft".into(),
            };
            ListRow {
                id: a.id.to_string(),
                title: a.title.clone(),
                severity: a.severity.map_or("not rated", Severity::title),
                project: policy_of(&a.project)
                    .map_or_else(|| a.project.clone(), |p| p.project.name.clone()),
                state,
                report: s.report.as_ref().map(|r| {
                    (
                        r.to_string(),
                        report_titles
                            .get(r)
                            .cloned()
                            .unwrap_or_else(|| format!("Report {r}")),
                    )
                }),
            }
        })
        .collect();
    let projects = state
        .projects()
        .iter()
        .filter(|p| user.can_see(p.slug()))
        .map(|p| choice(p.slug(), &p.policy.project.name, false))
        .collect();
    ListPage {
        title: "Advisories".into(),
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        rows,
        projects,
        can_edit: user.role >= Role::Triager,
    }
}

struct Row<T> {
    i: usize,
    row: T,
}

struct PackageView {
    i: usize,
    ecosystem: String,
    package: String,
    versions: String,
    error: Option<String>,
    ranges: Vec<Row<RangeRow>>,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/advisory.html")]
pub(super) struct EditPage {
    title: String,
    me: Option<String>,
    csrf: String,
    /// The advisory's id; `None` for a new one.
    id: Option<String>,
    project_name: String,
    /// Where the form posts.
    action: String,
    /// A message above the form (stale edit, schedule refused...).
    notice: Option<String>,
    saved: bool,
    can_edit: bool,
    /// (id, title) of the report it was drafted from.
    report: Option<(String, String)>,
    published: Option<String>,
    public_url: Option<String>,
    scheduled: Option<String>,
    schedule_default: String,
    schedule_limit: Option<String>,
    /// The disclosure date agreed with the reporter, while it is ahead: publishing before it
    /// needs a reason.
    agreed: Option<String>,
    early_reason_max: usize,
    time_zone: String,
    t: Typed,
    severities: Vec<Choice>,
    packages: Vec<PackageView>,
    references: Vec<Row<ReferenceRow>>,
    credits: Vec<Row<CreditRow>>,
    reference_kinds: Vec<&'static str>,
    credit_roles: Vec<(&'static str, &'static str)>,
    ecosystems: &'static [&'static str],
    preview_html: String,
    versions: Vec<VersionLine>,
    package_names: Vec<String>,
    has_errors: bool,
}

/// What decides an advisory's disclosure date: its schedule, and for one drafted from a report,
/// the report's receipt (the maximum embargo counts from it) and the date agreed with the
/// reporter (the default); and the report's title, which its link shows.
#[derive(Default, Clone)]
pub(super) struct Embargo {
    scheduled: Option<Timestamp>,
    received: Option<Timestamp>,
    agreed: Option<Timestamp>,
    report_title: Option<String>,
}

pub(super) async fn embargo_of(
    state: &AppState,
    stored: &StoredAdvisory,
) -> Result<Embargo, Error> {
    let store = state.store();
    let scheduled = store.advisory_schedule(&stored.advisory.id).await?;
    let Some(report) = &stored.report else {
        return Ok(Embargo {
            scheduled,
            ..Embargo::default()
        });
    };
    Ok(Embargo {
        scheduled,
        received: Some(store.case_row(report).await?.received_at),
        agreed: store.disclosure_terms(report).await?.agreed,
        report_title: store
            .report_titles(std::slice::from_ref(report))
            .await?
            .remove(report),
    })
}

/// What the page needs besides the form.
pub(super) struct PageContext<'a> {
    pub(super) project: &'a Project,
    pub(super) stored: Option<&'a StoredAdvisory>,
    pub(super) embargo: Embargo,
    pub(super) notice: Option<String>,
    pub(super) saved: bool,
}

pub(super) fn edit_page(
    state: &AppState,
    member: &Member,
    t: Typed,
    cx: PageContext<'_>,
) -> EditPage {
    let policy = &cx.project.policy;
    let now = state.now();
    let calendar = Calendar::of(&policy.response);
    let tz = calendar.time_zone().clone();
    let local = |at: Timestamp| {
        at.to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let default_at = cx
        .embargo
        .scheduled
        .or(cx.embargo.agreed)
        .or_else(|| postern_core::embargo::default_date(policy, now));
    let id = cx.stored.map(|s| s.advisory.id.to_string());
    let severities = {
        let mut c = vec![choice("", "Not rated", t.severity.is_empty())];
        c.extend(
            Severity::ALL
                .iter()
                .map(|(n, s)| choice(n, s.title(), t.severity == *n)),
        );
        c
    };
    let packages = t
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| PackageView {
            i,
            ecosystem: p.ecosystem.clone(),
            package: p.package.clone(),
            versions: p.versions.clone(),
            error: p.error.clone(),
            ranges: rows(&p.ranges),
        })
        .collect();
    let has_errors = !t.errors.0.is_empty()
        || t.packages
            .iter()
            .any(|p| p.error.is_some() || p.ranges.iter().any(|r| r.error.is_some()))
        || t.references.iter().any(|r| r.error.is_some())
        || t.credits.iter().any(|c| c.error.is_some());
    let references = rows(&t.references);
    let credits = rows(&t.credits);
    EditPage {
        title: match &id {
            Some(id) => format!("Advisory {id}"),
            None => "New advisory".into(),
        },
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        action: match &id {
            Some(id) => format!("/team/advisories/{id}"),
            None => "/team/advisories/new".into(),
        },
        id,
        project_name: policy.project.name.clone(),
        notice: cx.notice,
        saved: cx.saved,
        can_edit: member.session.user.role >= Role::Triager,
        report: cx.stored.and_then(|s| {
            s.report.as_ref().map(|r| {
                (
                    r.to_string(),
                    cx.embargo
                        .report_title
                        .clone()
                        .unwrap_or_else(|| format!("Report {r}")),
                )
            })
        }),
        published: cx
            .stored
            .and_then(|s| s.published_at)
            .map(|at| human_time(policy, at)),
        public_url: cx
            .stored
            .filter(|s| s.published_at.is_some())
            .map(|s| format!("/advisories/{}", s.advisory.id)),
        scheduled: cx.embargo.scheduled.map(|at| human_time(policy, at)),
        schedule_default: if t.publish_at.trim().is_empty() {
            default_at.map(local).unwrap_or_default()
        } else {
            t.publish_at.clone()
        },
        agreed: cx
            .embargo
            .agreed
            .filter(|&at| at > now)
            .map(|at| human_time(policy, at)),
        early_reason_max: postern_app::advisory::EARLY_REASON_MAX,
        schedule_limit: policy.disclosure.max_embargo.map(|max| {
            let from = cx.embargo.received.unwrap_or(now);
            let until = postern_core::embargo::latest(policy, from).unwrap_or(from);
            format!(
                "{max} from the report's receipt (until {})",
                human_time(policy, until)
            )
        }),
        time_zone: policy.response.time_zone.clone(),
        severities,
        packages,
        references,
        credits,
        reference_kinds: REFERENCE_KINDS.iter().map(|(n, _)| *n).collect(),
        credit_roles: CREDIT_ROLES.iter().map(|(n, l, _)| (*n, *l)).collect(),
        ecosystems: postern_core::versions::OSV_ECOSYSTEMS,
        preview_html: crate::markdown::to_safe_html(&t.details),
        versions: version_lines(policy, cx.stored.map(|s| &s.advisory)),
        package_names: cx
            .stored
            .map(|s| {
                s.advisory
                    .affected
                    .iter()
                    .map(|a| format!("{} ({})", a.package, a.ecosystem))
                    .collect()
            })
            .unwrap_or_default(),
        has_errors,
        t,
    }
}

pub(super) fn respond(status: StatusCode, page: EditPage) -> Response {
    private((status, page).into_response())
}

fn rows<T: Clone>(items: &[T]) -> Vec<Row<T>> {
    items
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, row)| Row { i, row })
        .collect()
}
