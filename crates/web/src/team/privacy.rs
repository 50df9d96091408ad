//! `/team/privacy`: the reporters' erasure requests waiting for an answer, each with what the
//! policy says of it (carried out or refused on the report's page).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use postern_core::report::ReportId;

use super::{Member, private};
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new().get("/team/privacy", page)
}

struct DueRow {
    report: String,
    title: String,
    what: &'static str,
    at: String,
    held: Option<String>,
}

struct Row {
    report: String,
    title: String,
    what: &'static str,
    asked: String,
    guidance: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/privacy.html")]
struct PrivacyPage {
    title: String,
    me: Option<String>,
    csrf: String,
    requests: Vec<Row>,
    due: Vec<DueRow>,
    due_days: i64,
}

async fn page(State(state): State<AppState>, member: Member) -> Result<Response, Error> {
    let requests = state
        .app()
        .open_erasure_requests(&member.as_actor())
        .await?;
    let due = state.app().due_for_erasure(&member.as_actor()).await?;
    let ids: Vec<ReportId> = requests
        .iter()
        .map(|r| r.request.report_id.clone())
        .chain(due.iter().map(|d| d.id.clone()))
        .take(postern_store::team::TITLES_PER_CALL_MAX)
        .collect();
    let titles = state.store().report_titles(&ids).await?;
    let rows = requests
        .into_iter()
        .map(|r| {
            let id = r.request.report_id;
            Row {
                title: titles
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("Report {id}")),
                report: id.to_string(),
                what: r.request.what.describe(),
                asked: r
                    .request
                    .asked_at
                    .strftime("%Y-%m-%d %H:%M UTC")
                    .to_string(),
                guidance: r.guidance,
            }
        })
        .collect();
    let due = due
        .into_iter()
        .map(|d| DueRow {
            title: titles
                .get(&d.id)
                .cloned()
                .unwrap_or_else(|| format!("Report {}", d.id)),
            report: d.id.to_string(),
            what: d.what.describe(),
            at: d.at.strftime("%Y-%m-%d").to_string(),
            held: d
                .held_until
                .map(|until| until.strftime("%Y-%m-%d").to_string()),
        })
        .collect();
    Ok(private(
        PrivacyPage {
            due,
            due_days: postern_app::privacy::DUE_SOON_DAYS,
            title: "Personal data".into(),
            me: Some(member.actor().to_owned()),
            csrf: member.csrf.clone(),
            requests: rows,
        }
        .into_response(),
    ))
}
