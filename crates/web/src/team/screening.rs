//! `/team/screening`: mail that waits for a person (bounces, auto-replies, list mail, mail for
//! no known address, replies that match no report or come from another address, floods,
//! unreadable messages). Each item is made a report (its clocks started when it arrived), filed
//! as not a security report (with the polite answer, if wished) or discarded as spam: one action
//! each, through the use cases of `postern_app::mail`, audited there.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use postern_app::mail::ScreenReason;
use postern_core::report::ReportId;
use postern_store::mail::{InboundState, ScreeningItem};
use postern_store::team::Role;
use serde::Deserialize;

use super::{Member, check_post, private, see_other};
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/screening", list)
        .get("/team/screening/{id}", item)
        .post("/team/screening/{id}/decide", decide)
        .post("/team/screening/{id}/original", original)
}

/// One row of the list, as shown.
struct Row {
    id: String,
    received: String,
    project: String,
    reason: &'static str,
    from: String,
    subject: String,
    /// (id, title) of the report made from it, or it replied to.
    report: Option<(String, String)>,
    decided: String,
}

fn received(state: &AppState, item: &ScreeningItem) -> String {
    match state.app().project(&item.project) {
        Some(p) => crate::intake::human_time(&p.policy, item.received_at),
        None => item.received_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// A moment in a list: in the project's time zone, without the UTC repeat of `human_time`.
fn received_short(state: &AppState, item: &ScreeningItem) -> String {
    let zone = state
        .app()
        .project(&item.project)
        .and_then(|p| jiff::tz::TimeZone::get(&p.policy.response.time_zone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    item.received_at
        .to_zoned(zone)
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// A project's name, or its slug when it is no longer served.
fn project_name(state: &AppState, slug: &str) -> String {
    state
        .app()
        .project(slug)
        .map_or_else(|| slug.to_owned(), |p| p.policy.project.name.clone())
}

fn reason_text(item: &ScreeningItem) -> &'static str {
    ScreenReason::parse(&item.reason).map_or("", ScreenReason::describe)
}

/// The titles of the reports these items name, by id (not a view of those reports).
async fn titles_of(
    state: &AppState,
    items: &[ScreeningItem],
) -> Result<std::collections::HashMap<ReportId, String>, Error> {
    let ids: Vec<ReportId> = items
        .iter()
        .filter_map(|i| i.report_id.as_deref().and_then(ReportId::parse))
        .take(postern_store::team::TITLES_PER_CALL_MAX)
        .collect();
    Ok(state.store().report_titles(&ids).await?)
}

fn report_ref(
    item: &ScreeningItem,
    titles: &std::collections::HashMap<ReportId, String>,
) -> Option<(String, String)> {
    let id = item.report_id.clone()?;
    let title = ReportId::parse(&id)
        .and_then(|r| titles.get(&r).cloned())
        .unwrap_or_else(|| format!("Report {id}"));
    Some((id, title))
}

fn row(
    state: &AppState,
    item: ScreeningItem,
    titles: &std::collections::HashMap<ReportId, String>,
) -> Row {
    Row {
        report: report_ref(&item, titles),
        received: received_short(state, &item),
        reason: ScreenReason::parse(&item.reason).map_or("", short_reason),
        from: sender(&item),
        subject: subject(&item),
        decided: item
            .decided
            .as_ref()
            .map(|(who, at)| format!("{who}, {}", at.strftime("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default(),
        project: project_name(state, &item.project),
        id: item.id,
    }
}

fn short_reason(reason: ScreenReason) -> &'static str {
    match reason {
        ScreenReason::Unreadable => "Unreadable",
        ScreenReason::UnknownAddress => "Unknown address",
        ScreenReason::Bounce => "Bounce",
        ScreenReason::AutoReply => "Auto-reply",
        ScreenReason::List => "List mail",
        ScreenReason::OwnMail => "Postern's own mail",
        ScreenReason::NoCase => "No matching report",
        ScreenReason::OtherSender => "Other sender",
        ScreenReason::Flood => "Flood",
        ScreenReason::Full => "Conversation full",
        ScreenReason::TooLarge => "Too large",
        ScreenReason::Sealed => "Encrypted, not decrypted",
    }
}

fn sender(item: &ScreeningItem) -> String {
    match (&item.summary.from_name, &item.summary.from) {
        (Some(name), Some(address)) => format!("{name} <{address}>"),
        (None, Some(address)) => address.clone(),
        _ => "(no sender)".into(),
    }
}

fn subject(item: &ScreeningItem) -> String {
    if item.summary.subject.trim().is_empty() {
        "(no subject)".into()
    } else {
        item.summary.subject.clone()
    }
}

/// A choice of the state filter.
struct StateChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "team/screening.html")]
struct ListPage {
    title: String,
    me: Option<String>,
    csrf: String,
    rows: Vec<Row>,
    states: Vec<StateChoice>,
    waiting: bool,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    done: String,
}

async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let shown = if query.state.is_empty() {
        InboundState::Screening
    } else {
        InboundState::parse(&query.state).ok_or_else(|| {
            Error::BadRequest(format!(
                "\"{}\" is not a state of screened mail; choose one from the list",
                query.state
            ))
        })?
    };
    let items = state.app().screening(&member.as_actor(), shown).await?;
    let titles = titles_of(&state, &items).await?;
    let rows = items.into_iter().map(|i| row(&state, i, &titles)).collect();
    let states = [
        (InboundState::Screening, "Waiting"),
        (InboundState::Report, "Made reports"),
        (InboundState::Reply, "Replies"),
        (InboundState::Filed, "Filed"),
        (InboundState::Discarded, "Discarded"),
    ]
    .into_iter()
    .map(|(s, label)| StateChoice {
        value: s.name(),
        label,
        selected: s == shown,
    })
    .collect();
    let notice = match query.done.as_str() {
        "filed" => Some("Filed as not a security report.".to_owned()),
        "discarded" => Some("Discarded as spam.".to_owned()),
        _ => None,
    };
    Ok(private(
        ListPage {
            title: "Mail to screen".into(),
            me: Some(member.actor().to_owned()),
            csrf: member.csrf.clone(),
            rows,
            states,
            waiting: shown == InboundState::Screening,
            notice,
        }
        .into_response(),
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "team/screening_item.html")]
struct ItemPage {
    title: String,
    me: Option<String>,
    csrf: String,
    id: String,
    project: String,
    received: String,
    from: String,
    subject: String,
    reason: &'static str,
    /// (id, title) of the report made from it, or it replied to.
    report: Option<(String, String)>,
    notes: Vec<String>,
    attachments: Vec<(String, String)>,
    /// The message's text as sanitized HTML (`markdown::Source::Typed`).
    text: String,
    waiting: bool,
    decided: String,
    can_act: bool,
    can_reply: bool,
    is_admin: bool,
    mail_on: bool,
}

fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
    } else if bytes >= 1024 {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

async fn item(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let item = state.app().screening_item(&member.as_actor(), &id).await?;
    let titles = titles_of(&state, std::slice::from_ref(&item)).await?;
    let reason = ScreenReason::parse(&item.reason);
    let waiting = item.state == InboundState::Screening;
    let page = ItemPage {
        title: subject(&item),
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        project: project_name(&state, &item.project),
        received: received(&state, &item),
        from: sender(&item),
        subject: subject(&item),
        reason: reason_text(&item),
        report: report_ref(&item, &titles),
        notes: item.summary.notes.clone(),
        attachments: item
            .summary
            .attachments
            .iter()
            .map(|(name, bytes)| (name.clone(), size(*bytes)))
            .collect(),
        text: crate::markdown::render(&item.summary.text, crate::markdown::Source::Typed),
        waiting,
        decided: item
            .decided
            .as_ref()
            .map(|(who, at)| {
                format!(
                    "{} by {who}, {}",
                    item.state.name(),
                    at.strftime("%Y-%m-%d %H:%M UTC")
                )
            })
            .unwrap_or_default(),
        can_act: waiting && member.session.user.role >= Role::Triager,
        can_reply: item.summary.from.is_some()
            && !matches!(
                reason,
                Some(
                    ScreenReason::Bounce
                        | ScreenReason::AutoReply
                        | ScreenReason::List
                        | ScreenReason::OwnMail
                        | ScreenReason::Unreadable
                        | ScreenReason::Flood
                )
            ),
        is_admin: member.session.user.role >= Role::Admin,
        mail_on: state.mail_on(),
        id: item.id,
    };
    Ok(private(page.into_response()))
}

#[derive(Deserialize, Default)]
struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reply: String,
}

async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let actor = member.as_actor();
    let app = state.app();
    match form.decision.as_str() {
        "report" => {
            let report = app.report_from_screening(&actor, &id).await?;
            Ok(see_other(&format!("/team/reports/{report}")))
        }
        "file" => {
            app.file_screening(&actor, &id, form.reply == "1").await?;
            Ok(see_other("/team/screening?done=filed"))
        }
        "discard" => {
            app.discard_screening(&actor, &id).await?;
            Ok(see_other("/team/screening?done=discarded"))
        }
        other => Err(Error::BadRequest(format!(
            "\"{other}\" is not a decision; choose report, file or discard"
        ))),
    }
}

#[derive(Deserialize, Default)]
struct OriginalForm {
    #[serde(default)]
    csrf: String,
}

/// The original message, for admins: always a download, never rendered.
async fn original(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<OriginalForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let (item, raw) = state
        .app()
        .screening_original(&member.as_actor(), &id)
        .await?;
    let mut response = raw.to_vec().into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"message-{}.eml\"", item.id))
    {
        out.insert(header::CONTENT_DISPOSITION, v);
    }
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    Ok(private(response))
}
