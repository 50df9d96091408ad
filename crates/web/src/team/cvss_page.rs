//! The CVSS calculator: one select per base metric, submitted as a GET form (no JavaScript),
//! scored by the core (the RustSec `cvss` crate). A vector can also be pasted to be scored, and
//! pre-fills the selects.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use postern_core::cvss::{CvssVersion, build_vector, chosen_values, metrics, rate};
use std::collections::HashMap;

use super::queue::Choice;
use super::{Member, private};
use crate::state::AppState;

/// Query parameters the calculator reads, at most (a version, a vector and 11 metrics).
const PARAMS_MAX: usize = 16;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/team/cvss", calculator)
}

struct MetricRow {
    code: &'static str,
    name: &'static str,
    choices: Vec<Choice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/cvss.html")]
struct CalculatorPage {
    title: String,
    me: Option<String>,
    csrf: String,
    versions: Vec<(&'static str, &'static str, bool)>,
    version: &'static str,
    metrics: Vec<MetricRow>,
    error: Option<String>,
    result: Option<(String, String, String)>,
    vector: String,
}

async fn calculator(
    State(_state): State<AppState>,
    member: Member,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let vector = params
        .get("vector")
        .map(|v| v.trim().chars().take(200).collect::<String>())
        .unwrap_or_default();
    let mut version = match params.get("version").map(String::as_str) {
        Some("4.0") => CvssVersion::V4,
        _ => CvssVersion::V3,
    };
    let mut error = None;
    let mut result = None;
    let mut chosen: Vec<(String, String)> = params
        .iter()
        .take(PARAMS_MAX)
        .filter(|(k, _)| k.as_str() != "version" && k.as_str() != "vector")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let scored = if !vector.is_empty() {
        chosen = chosen_values(&vector);
        Some(rate(&vector))
    } else if chosen.iter().any(|(_, v)| !v.is_empty()) {
        Some(build_vector(version, &chosen).and_then(|v| rate(&v)))
    } else {
        None
    };
    match scored {
        Some(Ok(rating)) => {
            version = rating.version;
            result = Some((
                rating.vector,
                format!("{:.1}", rating.score),
                rating.severity.map_or("None", |s| s.title()).to_owned(),
            ));
        }
        Some(Err(e)) => error = Some(e),
        None => {}
    }
    let metrics = metrics(version)
        .iter()
        .map(|m| MetricRow {
            code: m.code,
            name: m.name,
            choices: m
                .values
                .iter()
                .map(|v| Choice {
                    value: v.code.to_owned(),
                    label: format!("{} ({})", v.label, v.code),
                    selected: chosen.iter().any(|(k, c)| k == m.code && c == v.code),
                })
                .collect(),
        })
        .collect();
    private(
        CalculatorPage {
            title: "CVSS calculator".into(),
            me: Some(member.actor().to_owned()),
            csrf: member.csrf.clone(),
            versions: vec![
                ("3.1", "CVSS v3.1", version == CvssVersion::V3),
                ("4.0", "CVSS v4.0", version == CvssVersion::V4),
            ],
            version: if version == CvssVersion::V4 {
                "4.0"
            } else {
                "3.1"
            },
            metrics,
            error,
            result,
            vector,
        }
        .into_response(),
    )
}
