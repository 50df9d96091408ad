//! `/stats`: how fast each project answered and how well it kept its policy's promises over the
//! last `WINDOW_DAYS` days, computed by `postern_core::stats` from the reports' audit events and
//! clocks. Withholds figures from too few reports, and says how every figure is counted.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;
use postern_core::stats::{
    Durations, REPORTS_MIN, WINDOW_DAYS, compute, compute_findings, human, window_start,
};

use crate::error::Error;
use crate::nav::{Nav, Section};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/stats", stats)
}

struct ProjectRows {
    name: String,
    reports: usize,
    times: Vec<(String, usize, String, String)>,
    kept: Vec<(&'static str, usize, usize, String)>,
    untimed: Vec<(String, usize, String, String)>,
}

/// A project's dependency findings: how fast they were fixed, and the deadlines kept.
struct FindingRows {
    name: String,
    findings: usize,
    fixed: usize,
    times: Vec<(String, usize, String, String)>,
    kept: (usize, usize, String),
}

#[derive(Template, WebTemplate)]
#[template(path = "stats.html")]
struct StatsPage {
    title: String,
    nav: Nav,
    min: usize,
    window_days: i64,
    since: String,
    until: String,
    projects: Vec<ProjectRows>,
    findings: Vec<FindingRows>,
}

fn cells(what: String, d: Durations) -> (String, usize, String, String) {
    let show = |v: Option<SignedDuration>| v.map_or_else(|| "—".to_owned(), human);
    (what, d.count, show(d.median), show(d.p90))
}

async fn stats(State(state): State<AppState>) -> Result<Response, Error> {
    let now = state.now();
    let since = window_start(now);
    let mut projects = Vec::new();
    let mut findings = Vec::new();
    for project in state.projects() {
        let measured = state
            .store()
            .finding_measures(project.slug(), since)
            .await?;
        if !measured.is_empty() {
            let f = compute_findings(&measured, now);
            findings.push(FindingRows {
                name: project.policy.project.name.clone(),
                findings: f.findings,
                fixed: f.fixed,
                times: f
                    .fix
                    .iter()
                    .filter(|(_, d)| d.count > 0)
                    .map(|(severity, d)| cells(format!("fixed ({})", severity.title()), *d))
                    .collect(),
                kept: (
                    f.resolved,
                    f.missed,
                    f.met_percent
                        .map_or_else(|| "—".to_owned(), |p| format!("{p} %")),
                ),
            });
        }
        let reports = state.store().report_measures(project.slug(), since).await?;
        let s = compute(&reports, now);
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
                    k.missed,
                    k.met_percent
                        .map_or_else(|| "—".to_owned(), |p| format!("{p} %")),
                )
            })
            .collect();
        let untimed = s
            .kept
            .iter()
            .filter(|k| k.untimed.count > 0)
            .map(|k| cells(k.kind.describe().to_owned(), k.untimed))
            .collect();
        projects.push(ProjectRows {
            name: project.policy.project.name.clone(),
            reports: s.reports,
            times,
            kept,
            untimed,
        });
    }
    Ok(StatsPage {
        title: "Response statistics".into(),
        nav: Nav::new(&state, Section::Statistics, None),
        min: REPORTS_MIN,
        window_days: WINDOW_DAYS,
        since: since.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        until: now.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        projects,
        findings,
    }
    .into_response())
}
