//! `/stats`: how well each project kept its policy's promises over the last 12 months, computed
//! by `postern_core::stats` from the reports' clocks. Withholds figures from too few reports.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::SignedDuration;
use postern_core::stats::{Durations, REPORTS_MIN, compute, human};

use crate::error::Error;
use crate::state::AppState;

/// The period the statistics cover.
pub const STATS_PERIOD: SignedDuration = SignedDuration::from_hours(365 * 24);

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/stats", get(stats))
}

struct ProjectRows {
    name: String,
    reports: usize,
    times: Vec<(String, usize, String, String)>,
    kept: Vec<(&'static str, usize, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "stats.html")]
struct StatsPage {
    title: String,
    min: usize,
    projects: Vec<ProjectRows>,
}

fn cells(what: String, d: Durations) -> (String, usize, String, String) {
    let show = |v: Option<SignedDuration>| v.map_or_else(|| "—".to_owned(), human);
    (what, d.count, show(d.median), show(d.p90))
}

async fn stats(State(state): State<AppState>) -> Result<Response, Error> {
    let now = state.now();
    let since = now - STATS_PERIOD;
    let mut projects = Vec::new();
    for project in state.projects() {
        let facts = state.store().report_facts(project.slug(), since).await?;
        let s = compute(&facts);
        let mut times = vec![
            cells("acknowledge".into(), s.acknowledge),
            cells("triage".into(), s.triage),
        ];
        times.extend(
            s.fix
                .iter()
                .filter(|(_, d)| d.count > 0)
                .map(|(severity, d)| cells(format!("fix ({})", severity.title()), *d)),
        );
        let kept = s
            .kept
            .iter()
            .filter(|k| k.resolved > 0)
            .map(|k| {
                (
                    k.kind.describe(),
                    k.resolved,
                    k.met_percent
                        .map_or_else(|| "—".to_owned(), |p| format!("{p} %")),
                )
            })
            .collect();
        projects.push(ProjectRows {
            name: project.policy.project.name.clone(),
            reports: s.reports,
            times,
            kept,
        });
    }
    Ok(StatsPage {
        title: "Response statistics".into(),
        min: REPORTS_MIN,
        projects,
    }
    .into_response())
}
