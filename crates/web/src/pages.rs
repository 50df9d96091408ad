//! Site-wide pages: the home page, health check, stylesheet and the not-found page.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::error::Error;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/static/postern.css", get(stylesheet))
}

struct ProjectLink {
    name: String,
    description: Option<String>,
    path: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home {
    title: String,
    projects: Vec<ProjectLink>,
}

async fn home(State(state): State<AppState>) -> Home {
    let projects = state
        .projects()
        .iter()
        .enumerate()
        .map(|(i, p)| ProjectLink {
            name: p.policy.project.name.clone(),
            description: p.policy.project.description.clone(),
            path: if i == 0 {
                String::new()
            } else {
                format!("/projects/{}", p.slug())
            },
        })
        .collect();
    Home {
        title: "Report a security vulnerability".to_owned(),
        projects,
    }
}

async fn healthz() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "status": "ok" })),
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../static/postern.css"),
    )
}

/// The answer for every address no route knows.
pub async fn not_found() -> Error {
    Error::NotFound
}
