//! `/team/early-access`: the early-access list of each project (distributors and others who
//! get an advisory under embargo, the policy's `[updates.early_access]` lead before it
//! publishes), for admins, doing what `postern early-access add|remove|list` does, through the
//! same use cases (audited by the store).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use postern_store::team::Role;
use serde::Deserialize;

use super::queue::Choice;
use super::{Member, check_post, private, refused, see_other};
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/early-access", list)
        .post("/team/early-access", add)
        .post("/team/early-access/remove", remove)
}

struct Row {
    project: String,
    email: String,
    name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/early_access.html")]
struct ListPage {
    title: String,
    me: Option<String>,
    csrf: String,
    rows: Vec<Row>,
    notice: Option<&'static str>,
    error: Option<String>,
    projects: Vec<Choice>,
    email: String,
    name: String,
}

#[derive(Deserialize, Default)]
struct Posted {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    done: String,
}

async fn page(
    state: &AppState,
    member: &Member,
    typed: &Posted,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<ListPage, Error> {
    let members = state
        .app()
        .early_access_list(&member.as_actor(), None)
        .await?;
    Ok(ListPage {
        title: "Early access".into(),
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        rows: members
            .into_iter()
            .map(|m| Row {
                project: m.project,
                email: m.email,
                name: m.name.unwrap_or_default(),
            })
            .collect(),
        notice,
        error,
        projects: Choice::projects(state.projects(), &typed.project),
        email: typed.email.clone(),
        name: typed.name.clone(),
    })
}

async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let notice = match query.done.as_str() {
        "added" => Some("Added. They get the project's next embargoed advisories."),
        "removed" => Some("Removed. They get no more embargoed advisories."),
        _ => None,
    };
    let page = page(&state, &member, &Posted::default(), notice, None).await?;
    Ok(private(page.into_response()))
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<Posted>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Admin)?;
    let name = Some(form.name.trim()).filter(|n| !n.is_empty());
    match state
        .app()
        .add_early_access(&member.as_actor(), form.project.trim(), &form.email, name)
        .await
    {
        Ok(_) => Ok(see_other("/team/early-access?done=added")),
        Err(e @ (postern_app::Error::Invalid(_) | postern_app::Error::Refused(_))) => {
            let m = match e {
                postern_app::Error::Invalid(errors) => crate::error::messages(errors),
                other => other.to_string(),
            };
            let again = page(&state, &member, &form, None, Some(m)).await?;
            Ok(refused(again))
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<Posted>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Admin)?;
    let removed = state
        .app()
        .remove_early_access(&member.as_actor(), form.project.trim(), &form.email)
        .await?;
    if !removed {
        return Err(Error::NotFound);
    }
    Ok(see_other("/team/early-access?done=removed"))
}
