//! The reporter's pages, made for a browser without JavaScript (Tor Browser at its safest):
//! the report form (report.rs), the page that shows the case key once, and the tracking pages
//! (track.rs) where the case key is posted (never put in a URL) to see the case and answer the
//! team.
//!
//! Bots are kept out without scripts or third parties: a honeypot field people never see, a
//! signed form token that must be at least a few seconds old (token.rs), and a per-client rate
//! limit.

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::Response;
use jiff::Timestamp;
use postern_core::policy::Start;

use crate::intake::{PromisedDeadline, SUBMISSION_BODY_BYTES_MAX, human_time};
use crate::state::Project;

mod report;
pub(crate) mod token;
mod track;

use report::{default_form, default_submit, project_form, project_submit};
use track::{
    TRACK_BODY_BYTES_MAX, track, track_attachment, track_disclosure, track_message, track_page,
};

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/report", default_form)
        .post("/report", default_submit)
        .get("/projects/{slug}/report", project_form)
        .post("/projects/{slug}/report", project_submit)
        .map(|r| r.layer(DefaultBodyLimit::max(SUBMISSION_BODY_BYTES_MAX)))
        .merge(
            crate::routes::Routes::new()
                .get("/track", track_page)
                .post("/track", track)
                .post("/track/message", track_message)
                .post("/track/attachment", track_attachment)
                .post("/track/disclosure", track_disclosure)
                .post("/track/export", track::track_export)
                .post("/track/erasure", track::track_erasure)
                .map(|r| r.layer(DefaultBodyLimit::max(TRACK_BODY_BYTES_MAX))),
        )
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// One promise as the reporter reads it: the words before, the time in bold, the words after.
type DeadlineRow = (String, String, String);

/// The promised deadlines as the reporter reads them (what, by when, aiming for when and
/// counted from what), on the page that shows the case key and on the case page. A promise with
/// no set time reads in the policy's words, with how long it has been waiting.
fn deadline_rows(
    project: &Project,
    deadlines: &[PromisedDeadline],
    now: Timestamp,
) -> Vec<DeadlineRow> {
    let time = |at| human_time(&project.policy, at);
    deadlines
        .iter()
        .map(|d| {
            let from = match d.starts {
                Start::Receipt => String::new(),
                Start::Acknowledgement => {
                    format!(
                        ", counted from the team's first answer ({})",
                        time(d.started_at)
                    )
                }
                Start::Triage => format!(
                    ", counted from the team's assessment ({})",
                    time(d.started_at)
                ),
            };
            let Some(due) = d.due else {
                let age = postern_core::stats::human(d.age(now));
                return match d.outcome {
                    None => (
                        format!("{}:", d.what),
                        d.promised.clone(),
                        format!(" (waiting {age} so far{from})"),
                    ),
                    Some(_) => (format!("Done: {}", d.what), format!("after {age}"), from),
                };
            };
            let aim = d
                .target
                .filter(|t| *t != due && d.outcome.is_none())
                .map(|t| format!(", aiming for {}", time(t)))
                .unwrap_or_default();
            let what = match d.outcome {
                None => format!("{} by", d.what),
                Some("met") => format!("Done, as promised: {} by", d.what),
                Some(_) => format!("Late: {}, promised by", d.what),
            };
            (what, time(due), format!("{aim}{from}"))
        })
        .collect()
}
