//! The team's advisory pages: every advisory of the member's projects (drafts, scheduled,
//! published), a draft from an accepted report, a blank one, and the page that edits every
//! field of the record, schedules it within the policy's maximum embargo or publishes it now.
//!
//! Without JavaScript, repeated groups (affected packages and their version ranges,
//! references, credits) are rows of one form: the stored rows plus one empty row, and "add
//! another" submit buttons that re-render the form, with everything typed kept, with one more
//! empty row. A row left empty is dropped on save. Problems are shown next to their field and
//! nothing stored changes; an edit of an advisory that changed since the form was shown is
//! refused (`Store::update_advisory` compares `modified`), never applied over the other.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use postern_app::advisory::PastMoment;
use postern_core::advisory::{
    Advisory, AdvisoryError, AdvisoryId, Affected, Credit, CreditRole, ITEMS_MAX, Reference,
    ReferenceKind, VersionRange,
};
use postern_core::case::parse_severity;
use postern_core::deadline::Calendar;
use postern_core::policy::{Policy, Severity};
use postern_core::report::ReportId;
use postern_core::supported::LineStatus;
use postern_store::advisories::{ADVISORY_LIST_MAX, StoredAdvisory};
use postern_store::team::Role;
use serde::Deserialize;

use super::queue::Choice;
use super::{Member, check_post, private, see_other};
use crate::error::Error;
use crate::intake::human_time;
use crate::state::{AppState, Project};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/team/advisories", get(list))
        .route("/team/advisories/new", get(new_form).post(create))
        .route("/team/advisories/{id}", get(show).post(save))
        .route("/team/advisories/{id}/schedule", post(schedule))
        .route("/team/advisories/{id}/publish", post(publish))
        .route("/team/reports/{id}/advisory", post(draft))
}

const REFERENCE_KINDS: [(&str, ReferenceKind); 10] = [
    ("ADVISORY", ReferenceKind::Advisory),
    ("ARTICLE", ReferenceKind::Article),
    ("DETECTION", ReferenceKind::Detection),
    ("DISCUSSION", ReferenceKind::Discussion),
    ("REPORT", ReferenceKind::Report),
    ("FIX", ReferenceKind::Fix),
    ("INTRODUCED", ReferenceKind::Introduced),
    ("PACKAGE", ReferenceKind::Package),
    ("EVIDENCE", ReferenceKind::Evidence),
    ("WEB", ReferenceKind::Web),
];

const CREDIT_ROLES: [(&str, &str, CreditRole); 10] = [
    ("FINDER", "Finder", CreditRole::Finder),
    ("REPORTER", "Reporter", CreditRole::Reporter),
    ("ANALYST", "Analyst", CreditRole::Analyst),
    ("COORDINATOR", "Coordinator", CreditRole::Coordinator),
    (
        "REMEDIATION_DEVELOPER",
        "Wrote the fix",
        CreditRole::RemediationDeveloper,
    ),
    (
        "REMEDIATION_REVIEWER",
        "Reviewed the fix",
        CreditRole::RemediationReviewer,
    ),
    (
        "REMEDIATION_VERIFIER",
        "Verified the fix",
        CreditRole::RemediationVerifier,
    ),
    ("TOOL", "Tool", CreditRole::Tool),
    ("SPONSOR", "Sponsor", CreditRole::Sponsor),
    ("OTHER", "Other", CreditRole::Other),
];

/// Rows one form may carry per group, beyond which input is refused (the record's own limits
/// are lower; this bounds what a post can make the server allocate).
const FORM_ROWS_MAX: usize = ITEMS_MAX + 10;

fn choice(value: &str, label: &str, selected: bool) -> Choice {
    Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected,
    }
}

// ---------------------------------------------------------------------------------------------
// The form as typed: every field as text, rows as shown (empty ones included).

#[derive(Debug, Clone, Default)]
struct RangeRow {
    introduced: String,
    fixed: String,
    last_affected: String,
    error: Option<String>,
}

impl RangeRow {
    fn is_blank(&self) -> bool {
        [&self.introduced, &self.fixed, &self.last_affected]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

#[derive(Debug, Clone, Default)]
struct PackageRow {
    ecosystem: String,
    package: String,
    versions: String,
    ranges: Vec<RangeRow>,
    error: Option<String>,
}

impl PackageRow {
    fn is_blank(&self) -> bool {
        [&self.ecosystem, &self.package, &self.versions]
            .iter()
            .all(|v| v.trim().is_empty())
            && self.ranges.iter().all(RangeRow::is_blank)
    }
}

#[derive(Debug, Clone)]
struct ReferenceRow {
    kind: String,
    url: String,
    error: Option<String>,
}

impl Default for ReferenceRow {
    fn default() -> Self {
        ReferenceRow {
            kind: "WEB".into(),
            url: String::new(),
            error: None,
        }
    }
}

#[derive(Debug, Clone)]
struct CreditRow {
    name: String,
    anonymous: bool,
    role: String,
    contact: String,
    error: Option<String>,
}

impl Default for CreditRow {
    fn default() -> Self {
        CreditRow {
            name: String::new(),
            anonymous: false,
            role: "FINDER".into(),
            contact: String::new(),
            error: None,
        }
    }
}

impl CreditRow {
    fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && !self.anonymous && self.contact.trim().is_empty()
    }
}

/// Problems by field id (`title`, `cvss_v3`, `affected`, ...); row problems live in the rows.
#[derive(Debug, Clone, Default)]
struct Errors(Vec<(String, String)>);

impl Errors {
    fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn add(&mut self, field: &str, message: String) {
        if self.get(field).is_none() {
            self.0.push((field.to_owned(), message));
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Typed {
    /// `modified` of the stored advisory when the form was shown (RFC 3339); empty for new.
    seen_modified: String,
    /// The project of a new advisory.
    project: String,
    title: String,
    summary: String,
    details: String,
    severity: String,
    cvss_v3: String,
    cvss_v4: String,
    cwes: String,
    aliases: String,
    packages: Vec<PackageRow>,
    references: Vec<ReferenceRow>,
    credits: Vec<CreditRow>,
    errors: Errors,
}

fn lines(items: &[String]) -> String {
    items.join("\n")
}

/// Splits a list typed one per line or comma-separated.
fn split_list(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl Typed {
    /// The stored record as a form, with one empty row per group to type into.
    fn from_advisory(a: &Advisory) -> Typed {
        let mut packages: Vec<PackageRow> = a
            .affected
            .iter()
            .map(|p| {
                let mut ranges: Vec<RangeRow> = p
                    .ranges
                    .iter()
                    .map(|r| RangeRow {
                        introduced: r.introduced.clone(),
                        fixed: r.fixed.clone().unwrap_or_default(),
                        last_affected: r.last_affected.clone().unwrap_or_default(),
                        error: None,
                    })
                    .collect();
                ranges.push(RangeRow::default());
                PackageRow {
                    ecosystem: p.ecosystem.clone(),
                    package: p.package.clone(),
                    versions: p.versions.join(", "),
                    ranges,
                    error: None,
                }
            })
            .collect();
        if packages.is_empty() {
            packages.push(PackageRow {
                ranges: vec![RangeRow::default()],
                ..PackageRow::default()
            });
        }
        let mut references: Vec<ReferenceRow> = a
            .references
            .iter()
            .map(|r| ReferenceRow {
                kind: REFERENCE_KINDS
                    .iter()
                    .find(|(_, k)| *k == r.kind)
                    .map_or("WEB", |(n, _)| n)
                    .to_owned(),
                url: r.url.clone(),
                error: None,
            })
            .collect();
        references.push(ReferenceRow::default());
        let mut credits: Vec<CreditRow> = a
            .credits
            .iter()
            .map(|c| CreditRow {
                name: c.name.clone().unwrap_or_default(),
                anonymous: c.name.is_none(),
                role: CREDIT_ROLES
                    .iter()
                    .find(|(_, _, r)| *r == c.role)
                    .map_or("OTHER", |(n, _, _)| n)
                    .to_owned(),
                contact: lines(&c.contact),
                error: None,
            })
            .collect();
        credits.push(CreditRow::default());
        Typed {
            seen_modified: a.modified.to_string(),
            project: a.project.clone(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            details: a.details.clone(),
            severity: a
                .severity
                .and_then(|s| Severity::ALL.iter().find(|(_, v)| *v == s))
                .map_or("", |(n, _)| n)
                .to_owned(),
            cvss_v3: a.cvss_v3.clone().unwrap_or_default(),
            cvss_v4: a.cvss_v4.clone().unwrap_or_default(),
            cwes: a.cwes.join(", "),
            aliases: a.aliases.join(", "),
            packages,
            references,
            credits,
            errors: Errors::default(),
        }
    }

    /// A blank advisory for `policy`'s project: its first package, affected from "0".
    fn blank(policy: &Policy) -> Typed {
        let (ecosystem, package) = policy
            .products
            .iter()
            .find_map(|p| Some((p.ecosystem.clone()?, p.package.clone()?)))
            .unwrap_or_default();
        Typed {
            project: policy.project.slug.clone(),
            packages: vec![PackageRow {
                ecosystem,
                package,
                ranges: vec![
                    RangeRow {
                        introduced: "0".into(),
                        ..RangeRow::default()
                    },
                    RangeRow::default(),
                ],
                ..PackageRow::default()
            }],
            references: vec![ReferenceRow::default()],
            credits: vec![CreditRow::default()],
            ..Typed::default()
        }
    }

    /// The form as posted: fields by name, rows by their numbers (`a0-r1-fixed`). Rows are
    /// kept as typed, empty ones included, so that a re-rendered form looks as it was.
    fn from_pairs(pairs: &[(String, String)]) -> Result<Typed, Error> {
        let mut t = Typed::default();
        let too_many = || Error::BadRequest(format!("at most {FORM_ROWS_MAX} rows per group"));
        let index = |text: &str| -> Result<usize, Error> {
            let n: usize = text
                .parse()
                .map_err(|_| Error::BadRequest(format!("{text:?} is not a row number")))?;
            if n >= FORM_ROWS_MAX {
                return Err(too_many());
            }
            Ok(n)
        };
        fn row<T: Default>(rows: &mut Vec<T>, i: usize) -> &mut T {
            if rows.len() <= i {
                rows.resize_with(i + 1, T::default);
            }
            &mut rows[i]
        }
        for (name, value) in pairs {
            let value = value.clone();
            match name.as_str() {
                "modified" => t.seen_modified = value,
                "project" => t.project = value,
                "title" => t.title = value,
                "summary" => t.summary = value,
                "details" => t.details = value.replace("\r\n", "\n"),
                "severity" => t.severity = value,
                "cvss_v3" => t.cvss_v3 = value,
                "cvss_v4" => t.cvss_v4 = value,
                "cwes" => t.cwes = value,
                "aliases" => t.aliases = value,
                _ => {
                    let parts: Vec<&str> = name.split('-').collect();
                    match parts.as_slice() {
                        [a, field] if a.starts_with('a') => {
                            let p = row(&mut t.packages, index(&a[1..])?);
                            match *field {
                                "ecosystem" => p.ecosystem = value,
                                "package" => p.package = value,
                                "versions" => p.versions = value,
                                _ => {}
                            }
                        }
                        [a, r, field] if a.starts_with('a') && r.starts_with('r') => {
                            let p = row(&mut t.packages, index(&a[1..])?);
                            let range = row(&mut p.ranges, index(&r[1..])?);
                            match *field {
                                "introduced" => range.introduced = value,
                                "fixed" => range.fixed = value,
                                "last_affected" => range.last_affected = value,
                                _ => {}
                            }
                        }
                        ["ref", i, field] => {
                            let r = row(&mut t.references, index(i)?);
                            match *field {
                                "kind" => r.kind = value,
                                "url" => r.url = value,
                                _ => {}
                            }
                        }
                        ["credit", i, field] => {
                            let c = row(&mut t.credits, index(i)?);
                            match *field {
                                "name" => c.name = value,
                                "anonymous" => c.anonymous = !value.is_empty(),
                                "role" => c.role = value,
                                "contact" => c.contact = value,
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(t)
    }

    /// The record the form describes, or the problems, each noted next to its field. The
    /// record is also run through `Advisory::check`, whose error is placed by the field it
    /// names.
    fn checked_advisory(
        &mut self,
        id: AdvisoryId,
        project: &str,
        published: Option<Timestamp>,
        modified: Timestamp,
    ) -> Option<Advisory> {
        let mut errors = Errors::default();
        let severity = match self.severity.trim() {
            "" => None,
            s => match parse_severity(s) {
                Some(s) => Some(s),
                None => {
                    errors.add(
                        "severity",
                        format!("{s:?} is not a severity: choose critical, high, medium or low"),
                    );
                    None
                }
            },
        };
        // Where each kept row came from, to put check()'s errors by the right row.
        let mut package_rows = Vec::new();
        let mut range_rows: Vec<Vec<usize>> = Vec::new();
        let mut affected = Vec::new();
        for (i, p) in self.packages.iter_mut().enumerate() {
            p.error = None;
            if p.is_blank() {
                continue;
            }
            let ecosystem = p.ecosystem.trim().to_owned();
            if !ecosystem.is_empty()
                && let Err(problem) = postern_core::versions::check_ecosystem(&ecosystem)
            {
                p.error = Some(problem);
            }
            let mut ranges = Vec::new();
            let mut kept = Vec::new();
            for (j, r) in p.ranges.iter_mut().enumerate() {
                r.error = None;
                if r.is_blank() {
                    continue;
                }
                let range = VersionRange {
                    introduced: r.introduced.trim().to_owned(),
                    fixed: non_empty(&r.fixed),
                    last_affected: non_empty(&r.last_affected),
                };
                if let Err(problem) = range.check_order() {
                    r.error = Some(problem);
                }
                ranges.push(range);
                kept.push(j);
            }
            package_rows.push(i);
            range_rows.push(kept);
            affected.push(Affected {
                ecosystem,
                package: p.package.trim().to_owned(),
                ranges,
                versions: split_list(&p.versions),
            });
        }
        let mut reference_rows = Vec::new();
        let mut references = Vec::new();
        for (i, r) in self.references.iter_mut().enumerate() {
            r.error = None;
            let url = r.url.trim();
            if url.is_empty() {
                continue;
            }
            let kind = match REFERENCE_KINDS.iter().find(|(n, _)| *n == r.kind) {
                Some((_, k)) => *k,
                None => {
                    r.error = Some(format!("{:?} is not a kind of reference", r.kind));
                    continue;
                }
            };
            if !url.starts_with("https://") && !url.starts_with("http://") {
                r.error = Some(format!("{url:?} is not a web address (https://...)"));
            }
            reference_rows.push(i);
            references.push(Reference {
                kind,
                url: url.to_owned(),
            });
        }
        let mut credit_rows = Vec::new();
        let mut credits = Vec::new();
        for (i, c) in self.credits.iter_mut().enumerate() {
            c.error = None;
            if c.is_blank() {
                continue;
            }
            let Some((_, _, role)) = CREDIT_ROLES.iter().find(|(n, _, _)| *n == c.role) else {
                c.error = Some(format!("{:?} is not a role", c.role));
                continue;
            };
            let name = non_empty(&c.name);
            let contact = split_list(&c.contact);
            if c.anonymous && name.is_some() {
                c.error = Some(
                    "an anonymous credit shows no name: clear the name or untick anonymous".into(),
                );
            } else if !c.anonymous && name.is_none() {
                c.error = Some("give a name, or tick anonymous".into());
            } else if c.anonymous && !contact.is_empty() {
                c.error = Some("an anonymous credit cannot have contacts".into());
            }
            credit_rows.push(i);
            credits.push(Credit {
                name: if c.anonymous { None } else { name },
                role: *role,
                contact,
            });
        }
        let advisory = Advisory {
            id,
            project: project.to_owned(),
            title: self.title.trim().to_owned(),
            summary: self.summary.trim().to_owned(),
            details: self.details.clone(),
            severity,
            cvss_v3: non_empty(&self.cvss_v3),
            cvss_v4: non_empty(&self.cvss_v4),
            cwes: split_list(&self.cwes),
            affected,
            references,
            credits,
            aliases: split_list(&self.aliases),
            published,
            modified,
        };
        let row_errors = self
            .packages
            .iter()
            .any(|p| p.error.is_some() || p.ranges.iter().any(|r| r.error.is_some()))
            || self.references.iter().any(|r| r.error.is_some())
            || self.credits.iter().any(|c| c.error.is_some());
        if errors.0.is_empty()
            && !row_errors
            && let Err(AdvisoryError(message)) = advisory.check()
        {
            self.place(&message, &package_rows, &range_rows, &mut errors);
        }
        let failed = !errors.0.is_empty() || row_errors;
        self.errors = errors;
        (!failed).then_some(advisory)
    }

    /// Puts one of `Advisory::check`'s messages by the field it names.
    fn place(
        &mut self,
        message: &str,
        package_rows: &[usize],
        range_rows: &[Vec<usize>],
        errors: &mut Errors,
    ) {
        let (head, rest) = message.split_once(':').unwrap_or(("", message));
        let rest = rest.trim().to_owned();
        // "affected[1].ranges[0]" or "affected[1] (name)"
        if let Some(tail) = head.strip_prefix("affected[") {
            let number = |t: &str| t.split(']').next().and_then(|n| n.parse::<usize>().ok());
            if let Some(i) = number(tail)
                && let Some(&row) = package_rows.get(i)
            {
                if let Some(r) = tail.split_once(".ranges[").and_then(|(_, r)| number(r))
                    && let Some(&range) = range_rows.get(i).and_then(|k| k.get(r))
                {
                    self.packages[row].ranges[range].error = Some(rest);
                } else {
                    self.packages[row].error = Some(rest);
                }
                return;
            }
        }
        let field = match head {
            "title" | "summary" | "details" | "cvss_v3" | "cvss_v4" | "cwes" | "aliases" => head,
            "affected" => "affected",
            "references" => "references",
            "credits" => "credits",
            _ if message.contains("aliases") => "aliases",
            _ if message.contains("CWE") => "cwes",
            _ if message.contains("references") => "references",
            _ if message.contains("credits") => "credits",
            _ if message.contains("affected") => "affected",
            _ => "form",
        };
        let text = if field == head {
            rest
        } else {
            message.to_owned()
        };
        errors.add(field, text);
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

// ---------------------------------------------------------------------------------------------
// Pages.

struct ListRow {
    id: String,
    title: String,
    severity: &'static str,
    project: String,
    state: String,
    report: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/advisories.html")]
struct ListPage {
    title: String,
    me: Option<String>,
    csrf: String,
    rows: Vec<ListRow>,
    projects: Vec<Choice>,
    can_edit: bool,
}

async fn list(State(state): State<AppState>, member: Member) -> Result<Response, Error> {
    let user = &member.session.user;
    let rows = state
        .store()
        .team_advisories(|p| user.can_see(p), ADVISORY_LIST_MAX)
        .await?;
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
                report: s.report.as_ref().map(ReportId::to_string),
            }
        })
        .collect();
    let projects = state
        .projects()
        .iter()
        .filter(|p| user.can_see(p.slug()))
        .map(|p| choice(p.slug(), &p.policy.project.name, false))
        .collect();
    let page = ListPage {
        title: "Advisories".into(),
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        rows,
        projects,
        can_edit: user.role >= Role::Triager,
    };
    Ok(private(page.into_response()))
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
struct EditPage {
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
    report: Option<String>,
    published: Option<String>,
    public_url: Option<String>,
    scheduled: Option<String>,
    schedule_default: String,
    schedule_limit: Option<String>,
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
/// reporter (the default).
#[derive(Default, Clone, Copy)]
struct Embargo {
    scheduled: Option<Timestamp>,
    received: Option<Timestamp>,
    agreed: Option<Timestamp>,
}

async fn embargo_of(state: &AppState, stored: &StoredAdvisory) -> Result<Embargo, Error> {
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
    })
}

/// What the page needs besides the form.
struct PageContext<'a> {
    project: &'a Project,
    stored: Option<&'a StoredAdvisory>,
    embargo: Embargo,
    notice: Option<String>,
    saved: bool,
}

fn edit_page(state: &AppState, member: &Member, t: Typed, cx: PageContext<'_>) -> EditPage {
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
        report: cx
            .stored
            .and_then(|s| s.report.as_ref().map(ReportId::to_string)),
        published: cx
            .stored
            .and_then(|s| s.published_at)
            .map(|at| human_time(policy, at)),
        public_url: cx
            .stored
            .filter(|s| s.published_at.is_some())
            .map(|s| format!("/advisories/{}", s.advisory.id)),
        scheduled: cx.embargo.scheduled.map(|at| human_time(policy, at)),
        schedule_default: default_at.map(local).unwrap_or_default(),
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

fn respond(status: StatusCode, page: EditPage) -> Response {
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

/// The advisory and its project, if the member may see it; otherwise it does not exist for
/// them (404, the same as a wrong id).
async fn visible_advisory(
    state: &AppState,
    member: &Member,
    id: &str,
) -> Result<(StoredAdvisory, Project), Error> {
    let id = AdvisoryId::parse(id).ok_or(Error::NotFound)?;
    let stored = state
        .app()
        .visible_advisory(&member.as_actor(), &id)
        .await?;
    let project = state
        .project(&stored.advisory.project)
        .cloned()
        .ok_or_else(|| {
            Error::BadRequest(format!(
                "project {} is not served by this instance; start it with its policy",
                stored.advisory.project
            ))
        })?;
    Ok((stored, project))
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    saved: String,
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, Error> {
    let (stored, project) = visible_advisory(&state, &member, &id).await?;
    let embargo = embargo_of(&state, &stored).await?;
    let t = Typed::from_advisory(&stored.advisory);
    let page = edit_page(
        &state,
        &member,
        t,
        PageContext {
            project: &project,
            stored: Some(&stored),
            embargo,
            notice: None,
            saved: !query.saved.is_empty(),
        },
    );
    Ok(respond(StatusCode::OK, page))
}

#[derive(Deserialize, Default)]
struct NewQuery {
    #[serde(default)]
    project: String,
}

/// The project a new advisory is for: the one asked for, if the member may see it.
fn new_project(state: &AppState, member: &Member, slug: &str) -> Result<Project, Error> {
    let user = &member.session.user;
    let visible: Vec<&Project> = state
        .projects()
        .iter()
        .filter(|p| user.can_see(p.slug()))
        .collect();
    let project = if slug.is_empty() && visible.len() == 1 {
        visible[0]
    } else {
        visible
            .into_iter()
            .find(|p| p.slug() == slug)
            .ok_or(Error::NotFound)?
    };
    Ok(project.clone())
}

async fn new_form(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<NewQuery>,
) -> Result<Response, Error> {
    member.require(Role::Triager)?;
    let project = new_project(&state, &member, query.project.trim())?;
    let t = Typed::blank(&project.policy);
    let page = edit_page(
        &state,
        &member,
        t,
        PageContext {
            project: &project,
            stored: None,
            embargo: Embargo::default(),
            notice: None,
            saved: false,
        },
    );
    Ok(respond(StatusCode::OK, page))
}

/// What the post asks for: save, or re-render with one more row or a fresh preview.
enum Intent {
    Save,
    Preview,
    AddPackage,
    AddRange(usize),
    AddReference,
    AddCredit,
}

fn intent(pairs: &[(String, String)]) -> Intent {
    let value = pairs
        .iter()
        .find(|(k, _)| k == "do")
        .map_or("save", |(_, v)| v.as_str());
    match value {
        "preview" => Intent::Preview,
        "add-package" => Intent::AddPackage,
        "add-reference" => Intent::AddReference,
        "add-credit" => Intent::AddCredit,
        other => match other
            .strip_prefix("add-range-")
            .and_then(|i| i.parse().ok())
        {
            Some(i) => Intent::AddRange(i),
            None => Intent::Save,
        },
    }
}

/// Applies a re-render intent to the typed form; `false` for a save.
fn grow(t: &mut Typed, intent: &Intent) -> bool {
    match intent {
        Intent::Save => return false,
        Intent::Preview => {}
        Intent::AddPackage if t.packages.len() < FORM_ROWS_MAX => t.packages.push(PackageRow {
            ranges: vec![RangeRow::default()],
            ..PackageRow::default()
        }),
        Intent::AddRange(i) => {
            if let Some(p) = t.packages.get_mut(*i)
                && p.ranges.len() < FORM_ROWS_MAX
            {
                p.ranges.push(RangeRow::default());
            }
        }
        Intent::AddReference if t.references.len() < FORM_ROWS_MAX => {
            t.references.push(ReferenceRow::default())
        }
        Intent::AddCredit if t.credits.len() < FORM_ROWS_MAX => {
            t.credits.push(CreditRow::default())
        }
        _ => {}
    }
    true
}

fn csrf_of(pairs: &[(String, String)]) -> &str {
    pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str())
}

async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, csrf_of(&pairs))?;
    member.require(Role::Triager)?;
    let (stored, project) = visible_advisory(&state, &member, &id).await?;
    let embargo = embargo_of(&state, &stored).await?;
    let mut t = Typed::from_pairs(&pairs)?;
    let intent = intent(&pairs);
    let page = |t: Typed, notice: Option<String>| {
        edit_page(
            &state,
            &member,
            t,
            PageContext {
                project: &project,
                stored: Some(&stored),
                embargo,
                notice,
                saved: false,
            },
        )
    };
    if grow(&mut t, &intent) {
        return Ok(respond(StatusCode::OK, page(t, None)));
    }
    let stale = || {
        format!(
            "Not saved: {} was changed (last at {}) since this form was shown. What you typed is kept below; open the advisory again to see the current version, then make your changes there.",
            stored.advisory.id,
            human_time(&project.policy, stored.advisory.modified)
        )
    };
    let Ok(seen) = t.seen_modified.trim().parse::<Timestamp>() else {
        return Ok(respond(StatusCode::CONFLICT, page(t, Some(stale()))));
    };
    let Some(advisory) = t.checked_advisory(
        stored.advisory.id.clone(),
        &stored.advisory.project,
        stored.advisory.published,
        state.now(),
    ) else {
        return Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, page(t, None)));
    };
    match state
        .app()
        .edit_advisory(&member.as_actor(), advisory, seen)
        .await
    {
        Ok(saved) => Ok(see_other(&format!("/team/advisories/{}?saved=1", saved.id))),
        Err(postern_app::Error::Conflict(_)) => {
            Ok(respond(StatusCode::CONFLICT, page(t, Some(stale()))))
        }
        Err(postern_app::Error::Refused(m)) => {
            Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, page(t, Some(m))))
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, csrf_of(&pairs))?;
    member.require(Role::Triager)?;
    let mut t = Typed::from_pairs(&pairs)?;
    let project = new_project(&state, &member, t.project.trim())?;
    let page = |t: Typed, notice: Option<String>| {
        edit_page(
            &state,
            &member,
            t,
            PageContext {
                project: &project,
                stored: None,
                embargo: Embargo::default(),
                notice,
                saved: false,
            },
        )
    };
    if grow(&mut t, &intent(&pairs)) {
        return Ok(respond(StatusCode::OK, page(t, None)));
    }
    let slug = project.slug().to_owned();
    // The number is given when it is stored; the form's own checks need an id meanwhile.
    let placeholder = AdvisoryId::new(&project.policy.project.advisory_prefix, 2000, 0);
    let Some(checked) = t.checked_advisory(placeholder, &slug, None, state.now()) else {
        return Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, page(t, None)));
    };
    match state
        .app()
        .create_advisory(&member.as_actor(), checked)
        .await
    {
        Ok(made) => Ok(see_other(&format!("/team/advisories/{}?saved=1", made.id))),
        Err(postern_app::Error::Refused(m)) => {
            Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, page(t, Some(m))))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The report page again, with why no draft was made.
async fn report_refusal(
    state: &AppState,
    member: &Member,
    report: &ReportId,
    message: String,
) -> Result<Response, Error> {
    super::report::render(
        state,
        member,
        report,
        Some(message),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// "Draft advisory" on the report page: a checked draft from the report, as
/// `postern advisory draft --from-report` makes it.
async fn draft(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Triager)?;
    let report = ReportId::parse(&id).ok_or(Error::NotFound)?;
    match state
        .app()
        .draft_advisory_from_report(&member.as_actor(), &report)
        .await
    {
        Ok(draft) => Ok(see_other(&format!("/team/advisories/{}", draft.id))),
        Err(postern_app::Error::Refused(m)) if m.starts_with("an advisory is drafted") => {
            report_refusal(&state, &member, &report, m).await
        }
        Err(postern_app::Error::Refused(m)) => {
            report_refusal(&state, &member, &report, format!("no draft: {m}")).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct ScheduleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    at: String,
}

/// A moment typed as RFC 3339, or as a local date and time (a `datetime-local` input) in the
/// policy's time zone.
fn parse_moment(text: &str, calendar: &Calendar) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at);
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    civil
        .to_zoned(calendar.time_zone().clone())
        .ok()
        .map(|z| z.timestamp())
}

async fn refuse_on_page(
    state: &AppState,
    member: &Member,
    stored: &StoredAdvisory,
    project: &Project,
    status: StatusCode,
    message: String,
) -> Result<Response, Error> {
    let embargo = embargo_of(state, stored).await?;
    let page = edit_page(
        state,
        member,
        Typed::from_advisory(&stored.advisory),
        PageContext {
            project,
            stored: Some(stored),
            embargo,
            notice: Some(message),
            saved: false,
        },
    );
    Ok(respond(status, page))
}

async fn schedule(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Triager)?;
    let (stored, project) = visible_advisory(&state, &member, &id).await?;
    let policy = &project.policy;
    let calendar = Calendar::of(&policy.response);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if stored.published_at.is_some() {
        let m = format!("{} is published already", stored.advisory.id);
        return refuse_on_page(&state, &member, &stored, &project, unprocessable, m).await;
    }
    let Some(at) = parse_moment(&form.at, &calendar) else {
        let m = format!(
            "Not scheduled: {:?} is not a date and time; write one such as 2026-12-01T09:00 ({})",
            form.at, policy.response.time_zone
        );
        return refuse_on_page(&state, &member, &stored, &project, unprocessable, m).await;
    };
    match state
        .app()
        .schedule_advisory(
            &member.as_actor(),
            &stored.advisory.id,
            Some(at),
            PastMoment::Refused,
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/team/advisories/{}",
            stored.advisory.id
        ))),
        Err(postern_app::Error::Refused(problem)) => {
            let m = format!("Not scheduled: {problem}; choose another moment, or publish now");
            refuse_on_page(&state, &member, &stored, &project, unprocessable, m).await
        }
        Err(postern_app::Error::Conflict(m)) => {
            refuse_on_page(&state, &member, &stored, &project, StatusCode::CONFLICT, m).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Triager)?;
    let (stored, project) = visible_advisory(&state, &member, &id).await?;
    match state
        .app()
        .publish_advisory(&member.as_actor(), &stored.advisory.id)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/team/advisories/{}",
            stored.advisory.id
        ))),
        Err(postern_app::Error::Conflict(m) | postern_app::Error::Refused(m)) => {
            refuse_on_page(&state, &member, &stored, &project, StatusCode::CONFLICT, m).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_carries_at_most_form_rows_max_rows_per_group() {
        let last = FORM_ROWS_MAX - 1;
        let pairs = |i: usize| vec![(format!("a0-r{i}-introduced"), "0".to_owned())];
        let t = Typed::from_pairs(&pairs(last)).unwrap();
        assert_eq!(t.packages[0].ranges.len(), FORM_ROWS_MAX);
        assert!(Typed::from_pairs(&pairs(FORM_ROWS_MAX)).is_err());
        let credit = vec![(format!("credit-{FORM_ROWS_MAX}-name"), "Ada".to_owned())];
        assert!(Typed::from_pairs(&credit).is_err());
    }
}
