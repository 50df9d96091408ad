//! `/privacy`: the privacy notice, rendered from each project's policy: what is collected, why,
//! for how long (`[privacy]`), who sees it, and how to get or erase it. Linked from the public
//! navigation, the report form and /track.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::nav::{Nav, Section};
use crate::state::AppState;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/privacy", page)
}

struct ProjectNotice {
    name: String,
    /// The form's fields by label.
    fields: Vec<String>,
    /// The retention promises, one sentence each.
    kept: Vec<String>,
    /// Whether the policy says nothing of retention.
    silent: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    title: String,
    nav: Nav,
    projects: Vec<ProjectNotice>,
}

async fn page(State(state): State<AppState>) -> Response {
    let projects = state
        .projects()
        .iter()
        .map(|p| {
            let policy = &p.policy;
            let (kept, silent) = match &policy.privacy {
                Some(privacy) => (postern_core::render::privacy_sentences(privacy), false),
                None => (Vec::new(), true),
            };
            ProjectNotice {
                name: policy.project.name.clone(),
                fields: policy.form.fields.iter().map(|f| f.label.clone()).collect(),
                kept,
                silent,
            }
        })
        .collect();
    PrivacyPage {
        title: "Privacy notice".into(),
        nav: Nav::new(&state, Section::Privacy, None),
        projects,
    }
    .into_response()
}
