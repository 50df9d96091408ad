//! `/team/subscribers`: who follows each project's advisories by mail, for admins. Addresses
//! are sealed and shown masked (`j•••@example.org`): enough to tell entries apart, not to
//! write to anyone. An admin removes a subscriber from the list, or by project and the whole
//! address when someone asks by mail; each removal is audited (`subscription.removed`, the
//! row's id, never the address).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use postern_app::admin::SubscriberRef;
use postern_store::team::Role;
use serde::Deserialize;

use super::queue::Choice;
use super::{Member, check_post, private, refused, see_other};
use crate::error::Error;
use crate::intake::human_time;
use crate::state::AppState;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/subscribers", list)
        .post("/team/subscribers/remove", remove)
}

struct Row {
    id: String,
    project: String,
    email: String,
    state: &'static str,
    since: String,
}

struct Count {
    project: String,
    confirmed: u64,
    waiting: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/subscribers.html")]
struct ListPage {
    title: String,
    me: Option<String>,
    csrf: String,
    counts: Vec<Count>,
    rows: Vec<Row>,
    full: bool,
    notice: Option<&'static str>,
    error: Option<String>,
    projects: Vec<Choice>,
    email: String,
}

#[derive(Deserialize, Default)]
struct Posted {
    #[serde(default)]
    csrf: String,
    /// A row's id (the list's buttons).
    #[serde(default)]
    id: String,
    /// Or a project and a whole address (the form).
    #[serde(default)]
    project: String,
    #[serde(default)]
    email: String,
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
    let actor = member.as_actor();
    let listed = state.app().subscribers(&actor, None).await?;
    let mut counts = Vec::new();
    for project in state.projects().iter().filter(|p| actor.can_see(p.slug())) {
        let (confirmed, waiting) = state.store().count_subscribers(project.slug()).await?;
        counts.push(Count {
            project: project.policy.project.name.clone(),
            confirmed,
            waiting,
        });
    }
    let policy_of = |slug: &str| {
        &state
            .project(slug)
            .unwrap_or_else(|| state.default_project())
            .policy
    };
    Ok(ListPage {
        title: "Advisory subscribers".into(),
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        counts,
        full: listed.len() as i64 == postern_store::subscriptions::SUBSCRIBER_LISTING_MAX,
        rows: listed
            .into_iter()
            .map(|s| Row {
                since: human_time(
                    policy_of(&s.project),
                    s.confirmed_at.unwrap_or(s.requested_at),
                ),
                state: if s.confirmed_at.is_some() {
                    "confirmed"
                } else {
                    "waiting for confirmation"
                },
                id: s.id,
                project: state
                    .project(&s.project)
                    .map_or(s.project.clone(), |p| p.policy.project.name.clone()),
                email: s.masked_email,
            })
            .collect(),
        notice,
        error,
        projects: Choice::projects(
            state.projects().iter().filter(|p| actor.can_see(p.slug())),
            &typed.project,
        ),
        email: typed.email.clone(),
    })
}

async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let notice = match query.done.as_str() {
        "removed" => Some("Removed. They get no more advisories by mail."),
        _ => None,
    };
    let page = page(&state, &member, &Posted::default(), notice, None).await?;
    Ok(private(page.into_response()))
}

async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(form): Form<Posted>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Admin)?;
    let which = if form.id.is_empty() {
        SubscriberRef::Address {
            project: form.project.trim(),
            email: &form.email,
        }
    } else {
        SubscriberRef::Id(form.id.trim())
    };
    match state
        .app()
        .remove_subscriber(&member.as_actor(), &which)
        .await
    {
        Ok(()) => Ok(see_other("/team/subscribers?done=removed")),
        Err(postern_app::Error::Invalid(errors)) => {
            let message = crate::error::messages(errors);
            let again = page(&state, &member, &form, None, Some(message)).await?;
            Ok(refused(again))
        }
        Err(e) => Err(e.into()),
    }
}
