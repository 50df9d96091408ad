//! Published advisories for the world: the list, each advisory's page, and its OSV, CSAF 2.0
//! and CVE JSON 5 documents. A draft is not found here (404), exactly like a missing id.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use postern_core::advisory::{Advisory, AdvisoryId};
use postern_core::export::{ExportContext, csaf, cve, osv};
use postern_core::policy::Severity;
use postern_store::advisories::StoredAdvisory;
use serde::Deserialize;

use crate::error::{ApiError, Error};
use crate::state::AppState;

/// Advisories on the list page.
pub const ADVISORY_PAGE_ROWS: usize = 200;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/advisories", get(list))
        .route("/advisories.atom", get(feed))
        .route("/hall-of-fame", get(hall_of_fame))
        .route("/advisories/{id}", get(page))
        .route("/advisories/{id}/{format}", get(document))
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
    rows: Vec<Row>,
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    project: String,
}

fn day(at: Option<jiff::Timestamp>) -> String {
    at.map_or_else(String::new, |t| t.strftime("%Y-%m-%d").to_string())
}

async fn list(
    State(state): State<AppState>,
    Query(filters): Query<Filters>,
) -> Result<Response, Error> {
    let project = (!filters.project.is_empty()).then_some(filters.project.as_str());
    let found = state
        .store()
        .published_advisories(project, ADVISORY_PAGE_ROWS)
        .await?;
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
    Ok(ListPage {
        title: "Security advisories".into(),
        rows,
    }
    .into_response())
}

/// A published advisory, or 404.
async fn published(state: &AppState, id: &str) -> Result<StoredAdvisory, Error> {
    let id = AdvisoryId::parse(id).ok_or(Error::NotFound)?;
    match state.store().advisory(&id).await? {
        Some(stored) if stored.published_at.is_some() => Ok(stored),
        _ => Err(Error::NotFound),
    }
}

/// What the exports need to know about the publisher, from the project's policy.
fn context(state: &AppState, advisory: &Advisory) -> ExportContext {
    let project = state.project(&advisory.project);
    let name = project.map_or_else(
        || advisory.project.clone(),
        |p| p.policy.project.name.clone(),
    );
    ExportContext {
        base_url: state.public_url().to_owned(),
        publisher: format!("{name} security team"),
        publisher_url: project
            .and_then(|p| p.policy.project.homepage.clone())
            .unwrap_or_else(|| state.public_url().to_owned()),
        project_name: name,
        now: state.now(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "advisory.html")]
struct AdvisoryPage {
    title: String,
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

/// A credited name and the ids of the advisories that credit it.
type NameWithIds = (String, Vec<String>);

#[derive(Template, WebTemplate)]
#[template(path = "hall_of_fame.html")]
struct HallOfFame {
    title: String,
    years: Vec<(i16, Vec<NameWithIds>)>,
}

/// Who is credited in published advisories, by year (named credits only).
async fn hall_of_fame(
    State(state): State<AppState>,
    Query(filters): Query<Filters>,
) -> Result<Response, Error> {
    let project = (!filters.project.is_empty()).then_some(filters.project.as_str());
    let advisories: Vec<Advisory> = state
        .store()
        .published_advisories(project, postern_store::advisories::ADVISORY_LIST_MAX)
        .await?
        .into_iter()
        .map(|s| s.advisory)
        .collect();
    let name = project
        .and_then(|p| state.project(p))
        .unwrap_or_else(|| state.default_project())
        .policy
        .project
        .name
        .clone();
    let years = postern_core::credits::hall_of_fame(&advisories)
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
    Ok(HallOfFame {
        title: format!("Hall of fame: {name}"),
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
