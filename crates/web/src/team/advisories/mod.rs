//! The team's advisory pages: every advisory of the member's projects (drafts, scheduled,
//! published), a draft from an accepted report, a blank one, and the page that edits every
//! field of the record, schedules it within the policy's maximum embargo or publishes it now.
//!
//! Without JavaScript, repeated groups (affected packages and their version ranges,
//! references, credits) are rows of one form: the stored rows plus one empty row, and "add
//! another" submit buttons that re-render the form, with everything typed kept, with one more
//! empty row. A row left empty is dropped on save. Problems are shown next to their field and
//! nothing stored changes; an edit of an advisory that changed since the form was shown is
//! refused (`Store::update_advisory` compares `modified`), never applied over the other.
//!
//! Here are the routes and the handlers, which read the request, call the use case and answer;
//! the typed form is in form.rs, the pages in page.rs.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use postern_app::advisory::PastMoment;
use postern_core::advisory::{Advisory, AdvisoryId};
use postern_core::deadline::Calendar;
use postern_core::report::ReportId;
use postern_store::advisories::{ADVISORY_LIST_MAX, StoredAdvisory};
use postern_store::team::Role;
use serde::Deserialize;

use super::{CsrfForm, Member, check_post, private, see_other};
use crate::error::Error;
use crate::intake::human_time;
use crate::state::{AppState, Project};

mod form;
mod page;

use form::{Intent, Typed, grow, intent, parse_moment};
use page::{Embargo, PageContext, edit_page, embargo_of, list_page, respond};

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/advisories", list)
        .get("/team/advisories/new", new_form)
        .post("/team/advisories/new", create)
        .get("/team/advisories/{id}", show)
        .post("/team/advisories/{id}", save)
        .post("/team/advisories/{id}/schedule", schedule)
        .post("/team/advisories/{id}/publish", publish)
        .post("/team/reports/{id}/advisory", draft)
}

async fn list(State(state): State<AppState>, member: Member) -> Result<Response, Error> {
    let user = &member.session.user;
    let rows = state
        .store()
        .team_advisories(|p| user.can_see(p), ADVISORY_LIST_MAX)
        .await?;
    // The reports they were drafted from, by title (a list: not a view of those reports).
    let reports: Vec<ReportId> = rows
        .iter()
        .filter_map(|(s, _)| s.report.clone())
        .take(postern_store::team::TITLES_PER_CALL_MAX)
        .collect();
    let titles = state.store().report_titles(&reports).await?;
    Ok(private(
        list_page(&state, &member, rows, &titles).into_response(),
    ))
}

/// The advisory and its project, if the member may see it; otherwise it does not exist for
/// them (404, the same as a wrong id).
async fn visible_advisory(
    state: &AppState,
    member: &Member,
    id: &str,
) -> Result<(StoredAdvisory, Project), Error> {
    let id = AdvisoryId::parse(id).ok_or(Error::NotFound)?;
    let stored = state
        .app()
        .visible_advisory(&member.as_actor(), &id)
        .await?;
    let project = state
        .project(&stored.advisory.project)
        .cloned()
        .ok_or_else(|| {
            Error::BadRequest(format!(
                "project {} is not served by this instance; start it with its policy",
                stored.advisory.project
            ))
        })?;
    Ok((stored, project))
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    saved: String,
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, Error> {
    let (stored, project) = visible_advisory(&state, &member, &id).await?;
    let embargo = embargo_of(&state, &stored).await?;
    let t = Typed::from_advisory(&stored.advisory);
    let page = edit_page(
        &state,
        &member,
        t,
        PageContext {
            project: &project,
            stored: Some(&stored),
            embargo,
            notice: None,
            saved: !query.saved.is_empty(),
        },
    );
    Ok(respond(StatusCode::OK, page))
}

#[derive(Deserialize, Default)]
struct NewQuery {
    #[serde(default)]
    project: String,
}

/// The project a new advisory is for: the one asked for, if the member may see it.
fn new_project(state: &AppState, member: &Member, slug: &str) -> Result<Project, Error> {
    let user = &member.session.user;
    let visible: Vec<&Project> = state
        .projects()
        .iter()
        .filter(|p| user.can_see(p.slug()))
        .collect();
    let project = if slug.is_empty() && visible.len() == 1 {
        visible[0]
    } else {
        visible
            .into_iter()
            .find(|p| p.slug() == slug)
            .ok_or(Error::NotFound)?
    };
    Ok(project.clone())
}

async fn new_form(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<NewQuery>,
) -> Result<Response, Error> {
    member.require(Role::Triager)?;
    let project = new_project(&state, &member, query.project.trim())?;
    let t = Typed::blank(&project.policy);
    let page = edit_page(
        &state,
        &member,
        t,
        PageContext {
            project: &project,
            stored: None,
            embargo: Embargo::default(),
            notice: None,
            saved: false,
        },
    );
    Ok(respond(StatusCode::OK, page))
}

fn csrf_of(pairs: &[(String, String)]) -> &str {
    pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str())
}

async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, csrf_of(&pairs))?;
    member.require(Role::Triager)?;
    let (stored, project) = visible_advisory(&state, &member, &id).await?;
    let embargo = embargo_of(&state, &stored).await?;
    let mut t = Typed::from_pairs(&pairs)?;
    let intent = intent(&pairs);
    let page = |t: Typed, notice: Option<String>| {
        edit_page(
            &state,
            &member,
            t,
            PageContext {
                project: &project,
                stored: Some(&stored),
                embargo,
                notice,
                saved: false,
            },
        )
    };
    if grow(&mut t, &intent) {
        return Ok(respond(StatusCode::OK, page(t, None)));
    }
    let stale = || {
        format!(
            "Not saved: {} was changed (last at {}) since this form was shown. What you typed is kept below; open the advisory again to see the current version, then make your changes there.",
            stored.advisory.id,
            human_time(&project.policy, stored.advisory.modified)
        )
    };
    let Ok(seen) = t.seen_modified.trim().parse::<Timestamp>() else {
        return Ok(respond(StatusCode::CONFLICT, page(t, Some(stale()))));
    };
    let Some(advisory) = t.checked_advisory(
        stored.advisory.id.clone(),
        &stored.advisory.project,
        stored.advisory.published,
        state.now(),
    ) else {
        return Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, page(t, None)));
    };
    let publication = matches!(intent, Intent::SaveAndSchedule | Intent::SaveAndPublish);
    // "Save and publish" with nothing changed saves nothing (no empty edit in the history).
    let unchanged = Advisory {
        modified: stored.advisory.modified,
        published: stored.advisory.published,
        ..advisory.clone()
    } == stored.advisory;
    let saved = if publication && unchanged {
        false
    } else {
        match state
            .app()
            .edit_advisory(&member.as_actor(), advisory, seen)
            .await
        {
            Ok(_) => true,
            Err(postern_app::Error::Conflict(_)) => {
                return Ok(respond(StatusCode::CONFLICT, page(t, Some(stale()))));
            }
            Err(postern_app::Error::Refused(m)) => {
                return Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, page(t, Some(m))));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let done = format!("/team/advisories/{}?saved=1", stored.advisory.id);
    if !publication {
        return Ok(see_other(&done));
    }
    let actor = member.as_actor();
    let outcome = if matches!(intent, Intent::SaveAndPublish) {
        state
            .app()
            .publish_advisory(&actor, &stored.advisory.id, Some(&t.early_reason))
            .await
            .map(|_| ())
    } else {
        let calendar = Calendar::of(&project.policy.response);
        match parse_moment(&t.publish_at, &calendar) {
            Some(at) => state
                .app()
                .schedule_advisory(&actor, &stored.advisory.id, Some(at), PastMoment::Refused)
                .await
                .map(|_| ()),
            None => Err(postern_app::Error::Refused(format!(
                "{:?} is not a date and time; write one such as 2026-12-01T09:00 ({})",
                t.publish_at, project.policy.response.time_zone
            ))),
        }
    };
    let what = match intent {
        Intent::SaveAndPublish => "published",
        _ => "scheduled",
    };
    match outcome {
        Ok(()) => Ok(see_other(&done)),
        Err(postern_app::Error::Refused(m) | postern_app::Error::Conflict(m)) => {
            // The page again, from what is stored now, with what was typed for the publication.
            let (fresh, _) = visible_advisory(&state, &member, &id).await?;
            let mut again = Typed::from_advisory(&fresh.advisory);
            again.publish_at = t.publish_at;
            again.early_reason = t.early_reason;
            let saved_words = if saved {
                "Your edits are saved, but it is not "
            } else {
                "Not "
            };
            let notice = format!("{saved_words}{what}: {m}.");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            refuse_on_page(&state, &member, &fresh, &project, status, notice, again).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, csrf_of(&pairs))?;
    member.require(Role::Triager)?;
    let mut t = Typed::from_pairs(&pairs)?;
    let project = new_project(&state, &member, t.project.trim())?;
    let page = |t: Typed, notice: Option<String>| {
        edit_page(
            &state,
            &member,
            t,
            PageContext {
                project: &project,
                stored: None,
                embargo: Embargo::default(),
                notice,
                saved: false,
            },
        )
    };
    if grow(&mut t, &intent(&pairs)) {
        return Ok(respond(StatusCode::OK, page(t, None)));
    }
    let slug = project.slug().to_owned();
    // The number is given when it is stored; the form's own checks need an id meanwhile.
    let placeholder = AdvisoryId::new(&project.policy.project.advisory_prefix, 2000, 0);
    let Some(checked) = t.checked_advisory(placeholder, &slug, None, state.now()) else {
        return Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, page(t, None)));
    };
    match state
        .app()
        .create_advisory(&member.as_actor(), checked)
        .await
    {
        Ok(made) => Ok(see_other(&format!("/team/advisories/{}?saved=1", made.id))),
        Err(postern_app::Error::Refused(m)) => {
            Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, page(t, Some(m))))
        }
        Err(e) => Err(e.into()),
    }
}

/// The report page again, with why no draft was made.
async fn report_refusal(
    state: &AppState,
    member: &Member,
    report: &ReportId,
    message: String,
) -> Result<Response, Error> {
    super::report::render(
        state,
        member,
        report,
        Some(message),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// "Draft advisory" on the report page: a checked draft from the report, as
/// `postern advisory draft --from-report` makes it.
async fn draft(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Triager)?;
    let report = ReportId::parse(&id).ok_or(Error::NotFound)?;
    match state
        .app()
        .draft_advisory_from_report(&member.as_actor(), &report)
        .await
    {
        Ok(draft) => Ok(see_other(&format!("/team/advisories/{}", draft.id))),
        Err(postern_app::Error::Refused(m)) if m.starts_with("an advisory is drafted") => {
            report_refusal(&state, &member, &report, m).await
        }
        Err(postern_app::Error::Refused(m)) => {
            report_refusal(&state, &member, &report, format!("no draft: {m}")).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct ScheduleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    at: String,
}

async fn refuse_on_page(
    state: &AppState,
    member: &Member,
    stored: &StoredAdvisory,
    project: &Project,
    status: StatusCode,
    message: String,
    typed: Typed,
) -> Result<Response, Error> {
    let embargo = embargo_of(state, stored).await?;
    let page = edit_page(
        state,
        member,
        typed,
        PageContext {
            project,
            stored: Some(stored),
            embargo,
            notice: Some(message),
            saved: false,
        },
    );
    Ok(respond(status, page))
}

async fn schedule(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Triager)?;
    let (stored, project) = visible_advisory(&state, &member, &id).await?;
    let refuse = |status, m| {
        let typed = Typed::from_advisory(&stored.advisory);
        refuse_on_page(&state, &member, &stored, &project, status, m, typed)
    };
    let policy = &project.policy;
    let calendar = Calendar::of(&policy.response);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if stored.published_at.is_some() {
        let m = format!("{} is published already", stored.advisory.id);
        return refuse(unprocessable, m).await;
    }
    let Some(at) = parse_moment(&form.at, &calendar) else {
        let m = format!(
            "Not scheduled: {:?} is not a date and time; write one such as 2026-12-01T09:00 ({})",
            form.at, policy.response.time_zone
        );
        return refuse(unprocessable, m).await;
    };
    match state
        .app()
        .schedule_advisory(
            &member.as_actor(),
            &stored.advisory.id,
            Some(at),
            PastMoment::Refused,
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/team/advisories/{}",
            stored.advisory.id
        ))),
        Err(postern_app::Error::Refused(problem)) => {
            let m = format!("Not scheduled: {problem}; choose another moment, or publish now");
            refuse(unprocessable, m).await
        }
        Err(postern_app::Error::Conflict(m)) => refuse(StatusCode::CONFLICT, m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct PublishForm {
    #[serde(default)]
    csrf: String,
    /// Why it is published before the date agreed with the reporter.
    #[serde(default)]
    early_reason: String,
}

/// "Publish now" posted on its own (the editor's button saves first, then publishes).
async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<PublishForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    member.require(Role::Triager)?;
    let (stored, project) = visible_advisory(&state, &member, &id).await?;
    let refuse = |status, m| {
        let typed = Typed::from_advisory(&stored.advisory);
        refuse_on_page(&state, &member, &stored, &project, status, m, typed)
    };
    match state
        .app()
        .publish_advisory(
            &member.as_actor(),
            &stored.advisory.id,
            Some(&form.early_reason),
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/team/advisories/{}",
            stored.advisory.id
        ))),
        Err(postern_app::Error::Conflict(m) | postern_app::Error::Refused(m)) => {
            refuse(StatusCode::CONFLICT, m).await
        }
        Err(e) => Err(e.into()),
    }
}
