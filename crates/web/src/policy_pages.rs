//! The policy as the world reads it: security.txt, SECURITY.md and the HTML policy page.
//!
//! The default project lives at the root; every project (the default too) also lives under
//! `/projects/{slug}/`. Each rendering names the address it was served at (Canonical, Policy).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use postern_core::export::csaf_directory::provider_metadata_url;
use postern_core::render::{RenderContext, ServedKey, security_md, security_txt};

use crate::error::Error;
use crate::markdown::policy_html;
use crate::nav::{Nav, Section};
use crate::state::{AppState, Project};

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/.well-known/security.txt", default_security_txt)
        .get("/security.txt", default_security_txt)
        .get("/security-policy", default_policy_page)
        .get("/SECURITY.md", default_security_md)
        .get(
            "/projects/{slug}/.well-known/security.txt",
            project_security_txt,
        )
        .get("/projects/{slug}/security.txt", project_security_txt)
        .get("/projects/{slug}/security-policy", project_policy_page)
        .get("/projects/{slug}/SECURITY.md", project_security_md)
}

/// A project and the address it is being served under.
struct Served<'a> {
    project: &'a Project,
    base_url: String,
}

impl Served<'_> {
    /// The rendering's context: the moment, the address, and the project's served OpenPGP
    /// key (named by `Encryption:` and SECURITY.md unless the policy names one itself).
    async fn context(&self, state: &AppState) -> Result<RenderContext, Error> {
        let slug = self.project.slug();
        let served_openpgp_key = match state.app().project_public_key(slug).await? {
            Some(key) => Some(ServedKey {
                fingerprint: key.fingerprint().to_string(),
                url: format!("{}/openpgp.asc", self.base_url),
                address: state.app().project_security_address(slug)?,
            }),
            None => None,
        };
        Ok(RenderContext {
            now: state.now(),
            base_url: Some(self.base_url.clone()),
            report_form: true,
            csaf_provider: Some(provider_metadata_url(state.public_url())),
            served_openpgp_key,
        })
    }
}

fn default_served(state: &AppState) -> Served<'_> {
    Served {
        project: state.default_project(),
        base_url: state.public_url().to_owned(),
    }
}

fn project_served<'a>(state: &'a AppState, slug: &str) -> Result<Served<'a>, Error> {
    let project = state.project(slug).ok_or(Error::NotFound)?;
    Ok(Served {
        project,
        base_url: format!("{}/projects/{}", state.public_url(), project.slug()),
    })
}

fn text(body: String, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn txt(state: &AppState, served: &Served<'_>) -> Result<Response, Error> {
    let body = security_txt(&served.project.policy, &served.context(state).await?);
    Ok(text(body, "text/plain; charset=utf-8"))
}

async fn md(state: &AppState, served: &Served<'_>) -> Result<Response, Error> {
    let body = security_md(&served.project.policy, &served.context(state).await?);
    Ok(text(body, "text/markdown; charset=utf-8"))
}

#[derive(Template, WebTemplate)]
#[template(path = "policy.html")]
struct PolicyPage {
    title: String,
    nav: Nav,
    body_html: String,
    markdown_url: String,
    security_txt_url: String,
}

async fn page(state: &AppState, served: &Served<'_>) -> Result<PolicyPage, Error> {
    let markdown = security_md(&served.project.policy, &served.context(state).await?);
    Ok(PolicyPage {
        title: format!("Security policy of {}", served.project.policy.project.name),
        nav: Nav::new(state, Section::Policy, Some(served.project.slug())),
        body_html: policy_html(
            &markdown,
            served.project.policy.project.repository.as_deref(),
        ),
        markdown_url: format!("{}/SECURITY.md", served.base_url),
        security_txt_url: format!("{}/.well-known/security.txt", served.base_url),
    })
}

async fn default_security_txt(State(state): State<AppState>) -> Result<Response, Error> {
    txt(&state, &default_served(&state)).await
}

async fn default_security_md(State(state): State<AppState>) -> Result<Response, Error> {
    md(&state, &default_served(&state)).await
}

async fn default_policy_page(State(state): State<AppState>) -> Result<PolicyPage, Error> {
    page(&state, &default_served(&state)).await
}

async fn project_security_txt(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    txt(&state, &project_served(&state, &slug)?).await
}

async fn project_security_md(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    md(&state, &project_served(&state, &slug)?).await
}

async fn project_policy_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<PolicyPage, Error> {
    page(&state, &project_served(&state, &slug)?).await
}
