//! Published advisories for the world: the list, each advisory's page, and its OSV, CSAF 2.0
//! and CVE JSON 5 documents (the CSAF provider directory is `csaf.rs`). A draft is not found here (404), exactly like a missing id.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_core::advisory::{Advisory, AdvisoryId};
use postern_core::export::{ExportContext, csaf, cve, osv};
use postern_core::policy::Severity;
use postern_store::advisories::{PublishedQuery, StoredAdvisory};
use serde::Deserialize;

use crate::error::{ApiError, Error};
use crate::forms::token::issue_token;
use crate::nav::{Nav, Section};
use crate::state::AppState;

/// Advisories on the list page.
pub const ADVISORY_PAGE_ROWS: usize = 200;

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/advisories", list)
        .get("/advisories.atom", feed)
        .get("/hall-of-fame", hall_of_fame)
        .get("/projects/{slug}/hall-of-fame", project_hall_of_fame)
        .get("/advisories/{id}", page)
        .get("/advisories/{id}/{format}", document)
}

struct Row {
    id: String,
    project: String,
    severity: &'static str,
    published: String,
    summary: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "advisories.html")]
struct ListPage {
    title: String,
    nav: Nav,
    rows: Vec<Row>,
    /// (slug, name, selected) of every project, for the filter.
    projects: Vec<(String, String, bool)>,
    /// (value, title, selected) of every severity, for the filter.
    severities: Vec<(&'static str, &'static str, bool)>,
    /// The query string of the next page, when there is one.
    next: Option<String>,
    /// What an empty list says.
    empty: &'static str,
    /// The signed token of the "new advisories by email" form.
    subscribe_token: String,
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    project: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    before: String,
}

fn day(at: Option<jiff::Timestamp>) -> String {
    at.map_or_else(String::new, |t| t.strftime("%Y-%m-%d").to_string())
}

async fn list(
    State(state): State<AppState>,
    Query(filters): Query<Filters>,
) -> Result<Response, Error> {
    let project = (!filters.project.is_empty()).then_some(filters.project.as_str());
    let severity = Severity::ALL
        .iter()
        .find(|(name, _)| *name == filters.severity)
        .map(|(name, _)| *name);
    let before = AdvisoryId::parse(&filters.before);
    let query = PublishedQuery {
        project,
        severity,
        before: before.as_ref(),
    };
    // One more than a page tells whether there is a next page.
    let mut found = state
        .store()
        .published_page(&query, ADVISORY_PAGE_ROWS + 1)
        .await?;
    let next = (found.len() > ADVISORY_PAGE_ROWS).then(|| {
        found.truncate(ADVISORY_PAGE_ROWS);
        let last = found
            .last()
            .map(|s| s.advisory.id.to_string())
            .unwrap_or_default();
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(p) = project {
            pairs.append_pair("project", p);
        }
        if let Some(s) = severity {
            pairs.append_pair("severity", s);
        }
        pairs.append_pair("before", &last);
        pairs.finish()
    });
    let rows = found
        .into_iter()
        .map(|s| Row {
            id: s.advisory.id.to_string(),
            project: state.project(&s.advisory.project).map_or_else(
                || s.advisory.project.clone(),
                |p| p.policy.project.name.clone(),
            ),
            severity: s.advisory.severity.map_or("", Severity::title),
            published: day(s.advisory.published),
            summary: s.advisory.summary,
        })
        .collect();
    let projects = state
        .projects()
        .iter()
        .map(|p| {
            (
                p.slug().to_owned(),
                p.policy.project.name.clone(),
                Some(p.slug()) == project,
            )
        })
        .collect();
    let severities = Severity::ALL
        .iter()
        .rev()
        .map(|(name, s)| (*name, s.title(), Some(*name) == severity))
        .collect();
    Ok(ListPage {
        title: "Security advisories".into(),
        nav: Nav::new(&state, Section::Advisories, project),
        rows,
        projects,
        severities,
        next,
        empty: if before.is_some() {
            "No more advisories."
        } else if project.is_some() || severity.is_some() {
            "No published advisory matches."
        } else {
            "No advisories have been published yet."
        },
        subscribe_token: issue_token(&state, crate::subscriptions::FORM_PURPOSE),
    }
    .into_response())
}

/// A published advisory, or 404.
pub(crate) async fn published(state: &AppState, id: &str) -> Result<StoredAdvisory, Error> {
    let id = AdvisoryId::parse(id).ok_or(Error::NotFound)?;
    match state.store().advisory(&id).await? {
        Some(stored) if stored.published_at.is_some() => Ok(stored),
        _ => Err(Error::NotFound),
    }
}

/// What the exports need to know about the publisher, from the project's policy.
pub(crate) fn context(state: &AppState, advisory: &Advisory) -> ExportContext {
    ExportContext::for_project(
        state.project(&advisory.project).map(|p| &p.policy),
        &advisory.project,
        state.public_url(),
        state.now(),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "advisory.html")]
struct AdvisoryPage {
    title: String,
    nav: Nav,
    id: String,
    summary: String,
    project: String,
    severity: &'static str,
    vectors: Vec<String>,
    cwes: String,
    aliases: String,
    published: String,
    modified: String,
    affected: Vec<(String, String, String)>,
    details_html: String,
    credits: Vec<String>,
    references: Vec<String>,
    has_cve: bool,
}

async fn page(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Error> {
    let stored = published(&state, &id).await?;
    let a = stored.advisory;
    let context = context(&state, &a);
    let affected = a
        .affected
        .iter()
        .map(|p| {
            let mut ranges: Vec<String> = p
                .ranges
                .iter()
                .map(|r| match (&r.fixed, &r.last_affected) {
                    (Some(fixed), _) if r.introduced == "0" => format!("< {fixed}"),
                    (Some(fixed), _) => format!(">= {}, < {fixed}", r.introduced),
                    (None, Some(last)) if r.introduced == "0" => format!("<= {last}"),
                    (None, Some(last)) => format!(">= {}, <= {last}", r.introduced),
                    (None, None) => format!(">= {}", r.introduced),
                })
                .collect();
            ranges.extend(p.versions.iter().cloned());
            let fixed: Vec<&str> = p.ranges.iter().filter_map(|r| r.fixed.as_deref()).collect();
            (
                format!("{} ({})", p.package, p.ecosystem),
                ranges.join("; "),
                if fixed.is_empty() {
                    "no fix yet".into()
                } else {
                    fixed.join(", ")
                },
            )
        })
        .collect();
    let page = AdvisoryPage {
        title: format!("{}: {}", a.id, a.title),
        nav: Nav::new(&state, Section::Advisories, Some(a.project.as_str())),
        summary: a.summary.clone(),
        project: context.project_name.clone(),
        severity: a.severity.map_or("not rated", Severity::title),
        vectors: a.cvss_v3.iter().chain(&a.cvss_v4).cloned().collect(),
        cwes: a.cwes.join(", "),
        aliases: a.aliases.join(", "),
        published: day(a.published),
        modified: day(Some(a.modified)),
        affected,
        details_html: crate::markdown::to_safe_html(&a.details),
        // Anonymous credits show no name: `shown_name` says "Anonymous".
        credits: a
            .credits
            .iter()
            .map(|c| format!("{} ({})", c.shown_name(), role_words(c.role)))
            .collect(),
        references: a.references.iter().map(|r| r.url.clone()).collect(),
        has_cve: a.aliases.iter().any(|x| x.starts_with("CVE-")),
        id: a.id.to_string(),
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "hall_of_fame.html")]
struct HallOfFame {
    title: String,
    nav: Nav,
    years: std::sync::Arc<crate::state::HallYears>,
}

/// Who is credited in the published advisories of every project (or `?project=`), by year
/// (named credits only).
async fn hall_of_fame(
    State(state): State<AppState>,
    Query(filters): Query<Filters>,
) -> Result<Response, Error> {
    let project = (!filters.project.is_empty()).then_some(filters.project.as_str());
    hall_page(&state, project).await
}

/// One project's hall of fame, where its security.txt's Acknowledgments points.
async fn project_hall_of_fame(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    if state.project(&slug).is_none() {
        return Err(Error::NotFound);
    }
    hall_page(&state, Some(&slug)).await
}

async fn hall_page(state: &AppState, project: Option<&str>) -> Result<Response, Error> {
    // Reading every published advisory is the costly part: the result is kept until one is
    // published or edited (a cheap count and maximum tell).
    let key = project.unwrap_or("");
    let stamp = state.store().published_stamp(project).await?;
    let years = match state.cached_hall(key, stamp) {
        Some(years) => years,
        None => {
            let advisories: Vec<Advisory> = state
                .store()
                .all_published(project)
                .await?
                .into_iter()
                .map(|s| s.advisory)
                .collect();
            let years: crate::state::HallYears = postern_core::credits::hall_of_fame(&advisories)
                .into_iter()
                .map(|(year, people)| {
                    let people = people
                        .into_iter()
                        .map(|p| {
                            (
                                p.name,
                                p.advisories.iter().map(ToString::to_string).collect(),
                            )
                        })
                        .collect();
                    (year, people)
                })
                .collect();
            let years = std::sync::Arc::new(years);
            state.keep_hall(key, stamp, years.clone());
            years
        }
    };
    let title = match project.and_then(|p| state.project(p)) {
        Some(p) => format!("Hall of fame: {}", p.policy.project.name),
        None if state.projects().len() == 1 => format!(
            "Hall of fame: {}",
            state.default_project().policy.project.name
        ),
        None => "Hall of fame".to_owned(),
    };
    Ok(HallOfFame {
        title,
        nav: Nav::new(state, Section::HallOfFame, project),
        years,
    }
    .into_response())
}

/// Entries in the Atom feed.
pub const FEED_ENTRIES: usize = 50;

fn atom_time(at: jiff::Timestamp) -> atom_syndication::FixedDateTime {
    // jiff writes RFC 3339 in UTC, which chrono (atom_syndication's clock type) reads back.
    atom_syndication::FixedDateTime::parse_from_rfc3339(&at.to_string()).unwrap_or_default()
}

/// The Atom feed of published advisories, newest first.
async fn feed(
    State(state): State<AppState>,
    Query(filters): Query<Filters>,
) -> Result<Response, Error> {
    use atom_syndication::{Entry, Feed, Link, Person, Text};
    let project = (!filters.project.is_empty()).then_some(filters.project.as_str());
    let found = state
        .store()
        .published_advisories(project, FEED_ENTRIES)
        .await?;
    let base = state.public_url();
    let link = |href: String, rel: &str| Link {
        href,
        rel: rel.to_owned(),
        ..Link::default()
    };
    let entries: Vec<Entry> = found
        .iter()
        .map(|s| {
            let a = &s.advisory;
            let url = format!("{base}/advisories/{}", a.id);
            Entry {
                id: url.clone(),
                title: Text::plain(format!("{}: {}", a.id, a.title)),
                updated: atom_time(a.modified),
                published: a.published.map(atom_time),
                summary: Some(Text::plain(&a.summary)),
                links: vec![link(url, "alternate")],
                ..Entry::default()
            }
        })
        .collect();
    let updated = found
        .iter()
        .map(|s| s.advisory.modified)
        .max()
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let feed = Feed {
        id: format!("{base}/advisories.atom"),
        title: Text::plain("Security advisories"),
        updated: atom_time(updated),
        authors: vec![Person {
            name: state.default_project().policy.project.name.clone(),
            ..Person::default()
        }],
        links: vec![
            link(format!("{base}/advisories.atom"), "self"),
            link(format!("{base}/advisories"), "alternate"),
        ],
        entries,
        ..Feed::default()
    };
    let mut response = feed.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    Ok(response)
}

/// "RemediationDeveloper" as "remediation developer".
fn role_words(role: postern_core::advisory::CreditRole) -> String {
    let mut words = String::new();
    for (i, c) in format!("{role:?}").chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            words.push(' ');
        }
        words.extend(c.to_lowercase());
    }
    words
}

async fn document(
    State(state): State<AppState>,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let stored = published(&state, &id)
        .await
        .map_err(|_| ApiError::NotFound)?;
    let a = &stored.advisory;
    let context = context(&state, a);
    let (body, content_type) = match format.as_str() {
        "osv.json" => (osv::osv(a, &context), "application/json"),
        "csaf.json" => (csaf::csaf(a, &context), "application/json"),
        "cve.json" => (
            cve::cve(a, &context).map_err(|_| ApiError::NotFound)?,
            "application/json",
        ),
        _ => return Err(ApiError::NotFound),
    };
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}
