//! `/team/webhooks`: a project's webhooks, for admins, doing what `postern webhook
//! add|remove|test` does from the terminal, through the same use cases (audited by the store).
//! A generic webhook's signing secret is shown once, on the answer to the post that made it;
//! addresses are sealed and never shown again (a Slack or Discord address is a credential).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use postern_store::team::Role;
use postern_store::webhooks::{WebhookEvent, WebhookKind};
use serde::Deserialize;

use super::queue::Choice;
use super::{CsrfForm, Member, check_post, private, see_other};
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/webhooks", list)
        .post("/team/webhooks", add)
        .post("/team/webhooks/{id}/test", test)
        .post("/team/webhooks/{id}/remove", remove)
}

struct Row {
    id: String,
    project: String,
    kind: &'static str,
    events: String,
    added: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/webhooks.html")]
struct ListPage {
    title: String,
    me: Option<String>,
    csrf: String,
    rows: Vec<Row>,
    notice: Option<String>,
    error: Option<String>,
    projects: Vec<Choice>,
    kinds: Vec<Choice>,
    events: Vec<Choice>,
    url: String,
    /// After an add: the signing secret of a generic webhook, shown once.
    secret: Option<String>,
    /// After an add: the address is plain http.
    plain_http: bool,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    done: String,
}

/// The form as posted: `events` repeats.
#[derive(Default)]
struct Posted {
    csrf: String,
    project: String,
    kind: String,
    url: String,
    events: Vec<String>,
}

fn posted(pairs: &[(String, String)]) -> Posted {
    let mut p = Posted::default();
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => p.csrf = v.clone(),
            "project" => p.project = v.trim().to_owned(),
            "kind" => p.kind = v.trim().to_owned(),
            "url" => p.url = v.trim().to_owned(),
            "events" => p.events.push(v.trim().to_owned()),
            _ => {}
        }
    }
    p
}

fn choices<'a>(items: impl Iterator<Item = (&'a str, &'a str)>, chosen: &[String]) -> Vec<Choice> {
    items
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: chosen.iter().any(|c| c == value),
        })
        .collect()
}

async fn page(
    state: &AppState,
    member: &Member,
    typed: &Posted,
    notice: Option<String>,
    error: Option<String>,
) -> Result<ListPage, Error> {
    let hooks = state.app().webhooks(&member.as_actor()).await?;
    let rows = hooks
        .iter()
        .map(|w| Row {
            id: w.id.clone(),
            project: w.project.clone(),
            kind: w.kind.name(),
            events: if w.events.is_empty() {
                "every event".into()
            } else {
                w.events
                    .iter()
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            added: format!("{} by {}", w.created_at.strftime("%Y-%m-%d"), w.created_by),
        })
        .collect();
    let projects: Vec<(String, String)> = state
        .projects()
        .iter()
        .map(|p| (p.slug().to_owned(), p.policy.project.name.clone()))
        .collect();
    Ok(ListPage {
        title: "Webhooks".into(),
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        rows,
        notice,
        error,
        projects: choices(
            projects.iter().map(|(s, n)| (s.as_str(), n.as_str())),
            std::slice::from_ref(&typed.project),
        ),
        kinds: choices(
            WebhookKind::ALL.iter().map(|k| (k.name(), k.name())),
            std::slice::from_ref(&typed.kind),
        ),
        events: choices(
            WebhookEvent::ALL.iter().map(|e| (e.name(), e.name())),
            &typed.events,
        ),
        url: typed.url.clone(),
        secret: None,
        plain_http: false,
    })
}

fn done_words(done: &str) -> Option<String> {
    Some(
        match done {
            "removed" => "Removed. Nothing more is posted to it.",
            "tested" => "A test event is queued; it goes out within seconds (see Notices given up if it fails).",
            _ => return None,
        }
        .to_owned(),
    )
}

async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let typed = Posted {
        kind: "generic".into(),
        ..Posted::default()
    };
    let page = page(&state, &member, &typed, done_words(&query.done), None).await?;
    Ok(private(page.into_response()))
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let form = posted(&pairs);
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Admin)?;
    let outcome = match WebhookKind::parse(&form.kind) {
        None => Err(postern_app::Error::field(
            "kind",
            "choose slack, discord or generic",
        )),
        Some(kind) => {
            let new = postern_app::admin::NewWebhook {
                project: form.project.clone(),
                kind,
                url: form.url.clone(),
                events: form.events.clone(),
            };
            state.app().add_webhook(&member.as_actor(), new).await
        }
    };
    match outcome {
        Ok(added) => {
            let blank = Posted {
                kind: "generic".into(),
                ..Posted::default()
            };
            let notice = format!(
                "Added webhook {} to {}.",
                added.webhook.id, added.webhook.project
            );
            let mut done = page(&state, &member, &blank, Some(notice), None).await?;
            done.secret = added.secrets.signing_secret.clone();
            done.plain_http = added.plain_http;
            Ok(private(done.into_response()))
        }
        Err(e @ (postern_app::Error::Invalid(_) | postern_app::Error::Refused(_))) => {
            let m = match e {
                postern_app::Error::Invalid(errors) => crate::error::messages(errors),
                other => other.to_string(),
            };
            let again = page(&state, &member, &form, None, Some(m)).await?;
            Ok(private(
                (StatusCode::UNPROCESSABLE_ENTITY, again).into_response(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// "Send a test" and "Remove" on a webhook of a project the member sees (others do not exist
/// for them).
async fn act_on(
    state: &AppState,
    headers: &HeaderMap,
    member: &Member,
    id: &str,
    csrf: &str,
    remove: bool,
) -> Result<Response, Error> {
    check_post(state, headers, &member.csrf, csrf)?;
    let actor = member.as_actor();
    let hooks = state.app().webhooks(&actor).await?;
    if !hooks.iter().any(|w| w.id == id) {
        return Err(Error::NotFound);
    }
    if remove {
        state.app().remove_webhook(&actor, id).await?;
        Ok(see_other("/team/webhooks?done=removed"))
    } else {
        state.app().test_webhook(&actor, id).await?;
        Ok(see_other("/team/webhooks?done=tested"))
    }
}

async fn test(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Error> {
    act_on(&state, &headers, &member, &id, &form.csrf, false).await
}

async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Error> {
    act_on(&state, &headers, &member, &id, &form.csrf, true).await
}
