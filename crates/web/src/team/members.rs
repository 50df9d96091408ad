//! `/team/members`: the team's accounts, for admins, doing what `postern user add|reset` does
//! from the terminal, and what only a page does: change a member's role and projects, disable
//! and enable an account. Each is one use case of `postern-app` (audited by the store in the
//! same transaction); a setup code is shown once, on the answer to the post that made it, and
//! never stored but as a hash.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use postern_store::team::{Role, SETUP_LINK_TTL, User, UserChange};
use serde::Deserialize;

use super::queue::Choice;
use super::{CsrfForm, Member, check_post, private, refused, see_other};
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/members", list)
        .post("/team/members", add)
        .get("/team/members/{id}", edit)
        .post("/team/members/{id}", change)
        .post("/team/members/{id}/reset", reset)
}

/// One account in the list.
struct Row {
    id: String,
    email: String,
    role: &'static str,
    projects: String,
    second_factor: &'static str,
    state: &'static str,
}

/// A project as a checkbox.
struct ProjectBox {
    slug: String,
    name: String,
    checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/members.html")]
struct ListPage {
    title: String,
    me: Option<String>,
    csrf: String,
    rows: Vec<Row>,
    notice: Option<&'static str>,
    /// The add form: what was typed, and the problem with it.
    email: String,
    roles: Vec<Choice>,
    projects: Vec<ProjectBox>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/member.html")]
struct EditPage {
    title: String,
    me: Option<String>,
    csrf: String,
    id: String,
    email: String,
    roles: Vec<Choice>,
    projects: Vec<ProjectBox>,
    disabled: bool,
    second_factor: &'static str,
    error: Option<String>,
    /// Whether this is the member's own account (a warning before demoting oneself).
    own: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/member_code.html")]
struct CodePage {
    title: String,
    me: Option<String>,
    csrf: String,
    email: String,
    link: String,
    code: String,
    until: String,
}

fn roles(current: Role) -> Vec<Choice> {
    [
        (Role::Viewer, "Viewer: reads reports and advisories"),
        (Role::Triager, "Triager: works reports, writes advisories"),
        (Role::Admin, "Admin: also manages the team"),
    ]
    .into_iter()
    .map(|(role, label)| Choice {
        value: role.name().to_owned(),
        label: label.to_owned(),
        selected: role == current,
    })
    .collect()
}

fn project_boxes(state: &AppState, chosen: &[String]) -> Vec<ProjectBox> {
    state
        .projects()
        .iter()
        .map(|p| ProjectBox {
            slug: p.slug().to_owned(),
            name: p.policy.project.name.clone(),
            checked: chosen.iter().any(|c| c == p.slug()),
        })
        .collect()
}

fn row(user: &User) -> Row {
    Row {
        id: user.id.clone(),
        email: user.email.clone(),
        role: user.role.name(),
        projects: if user.projects.is_empty() {
            "every project".into()
        } else {
            user.projects.join(", ")
        },
        second_factor: if user.totp_enabled { "on" } else { "off" },
        state: match (user.disabled, user.password_hash.is_some()) {
            (true, _) => "disabled",
            (false, true) => "active",
            (false, false) => "not set up yet",
        },
    }
}

/// What the list says once after a change (`?done=...`).
fn done_words(done: &str) -> Option<&'static str> {
    Some(match done {
        "changed" => "Saved. A disabled account's sessions have ended.",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    done: String,
}

async fn list_page(
    state: &AppState,
    member: &Member,
    notice: Option<&'static str>,
    typed: (String, Role, Vec<String>),
    error: Option<String>,
) -> Result<ListPage, Error> {
    let users = state.app().members(&member.as_actor()).await?;
    let (email, role, projects) = typed;
    Ok(ListPage {
        title: "Team members".into(),
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        rows: users.iter().map(row).collect(),
        notice,
        email,
        roles: roles(role),
        projects: project_boxes(state, &projects),
        error,
    })
}

async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let typed = (String::new(), Role::Triager, Vec::new());
    let page = list_page(&state, &member, done_words(&query.done), typed, None).await?;
    Ok(private(page.into_response()))
}

/// The fields of the add and change forms: checkboxes repeat `projects`.
struct Posted {
    csrf: String,
    email: String,
    role: Option<Role>,
    projects: Vec<String>,
    disabled: bool,
}

fn posted(pairs: &[(String, String)]) -> Posted {
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    Posted {
        csrf: value("csrf"),
        email: value("email").trim().to_owned(),
        role: Role::parse(value("role").trim()),
        projects: pairs
            .iter()
            .filter(|(k, _)| k == "projects")
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect(),
        disabled: value("disabled") == "1",
    }
}

fn code_page(state: &AppState, member: &Member, email: &str, code: String) -> Response {
    let until = state
        .now()
        .saturating_add(SETUP_LINK_TTL)
        .unwrap_or_else(|_| state.now());
    private(
        CodePage {
            title: format!("Setup code for {email}"),
            me: Some(member.actor().to_owned()),
            csrf: member.csrf.clone(),
            email: email.to_owned(),
            link: format!("{}/team/setup", state.public_url().trim_end_matches('/')),
            code,
            until: until.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        }
        .into_response(),
    )
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
    let refuse = |message: String| {
        let typed = (
            form.email.clone(),
            form.role.unwrap_or(Role::Triager),
            form.projects.clone(),
        );
        let (state, member) = (&state, &member);
        async move {
            let page = list_page(state, member, None, typed, Some(message)).await?;
            Ok::<_, Error>(refused(page))
        }
    };
    let Some(role) = form.role else {
        return refuse("choose a role".into()).await;
    };
    if let Some(unknown) = form
        .projects
        .iter()
        .find(|p| state.projects().iter().all(|s| s.slug() != p.as_str()))
    {
        return refuse(format!("{unknown:?} is not a project this server serves")).await;
    }
    match state
        .app()
        .add_member(&member.as_actor(), &form.email, role, &form.projects)
        .await
    {
        Ok((user, code)) => Ok(code_page(&state, &member, &user.email, code)),
        Err(postern_app::Error::Invalid(errors)) => refuse(crate::error::messages(errors)).await,
        Err(postern_app::Error::Refused(m)) => refuse(m).await,
        Err(e) => Err(e.into()),
    }
}

fn edit_page(
    state: &AppState,
    member: &Member,
    user: &User,
    typed: Option<&Posted>,
    error: Option<String>,
) -> EditPage {
    let (role, projects, disabled) = match typed {
        Some(t) => (t.role.unwrap_or(user.role), t.projects.clone(), t.disabled),
        None => (user.role, user.projects.clone(), user.disabled),
    };
    EditPage {
        title: format!("Member {}", user.email),
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        id: user.id.clone(),
        email: user.email.clone(),
        roles: roles(role),
        projects: project_boxes(state, &projects),
        disabled,
        second_factor: if user.totp_enabled { "on" } else { "off" },
        error,
        own: user.id == member.session.user.id,
    }
}

async fn edit(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let user = state.app().member(&member.as_actor(), &id).await?;
    let page = edit_page(&state, &member, &user, None, None);
    Ok(private(page.into_response()))
}

async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let form = posted(&pairs);
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let app = state.app();
    let actor = member.as_actor();
    let user = app.member(&actor, &id).await?;
    let outcome = match form.role {
        None => Err(postern_app::Error::Refused("choose a role".into())),
        Some(role) => {
            let change = UserChange {
                role,
                projects: form.projects.clone(),
                disabled: form.disabled,
            };
            app.change_member(&actor, &user.id, change).await
        }
    };
    match outcome {
        Ok(_) => Ok(see_other("/team/members?done=changed")),
        Err(postern_app::Error::Refused(m)) => {
            let page = edit_page(&state, &member, &user, Some(&form), Some(m));
            Ok(refused(page))
        }
        Err(postern_app::Error::Invalid(errors)) => {
            let m = crate::error::messages(errors);
            let page = edit_page(&state, &member, &user, Some(&form), Some(m));
            Ok(refused(page))
        }
        Err(e) => Err(e.into()),
    }
}

/// A new setup code for the account: its password, second factor and sessions are gone.
async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let app = state.app();
    let actor = member.as_actor();
    let user = app.member(&actor, &id).await?;
    let code = app.reset_member(&actor, &user.email).await?;
    Ok(code_page(&state, &member, &user.email, code))
}
