//! The team's report page and its actions. Opening the page reads the report's contents and
//! is audited; every action goes through `postern_core::case::apply` (the same function the
//! terminal commands use) and is stored with its audit event and the reporter's notice.
//!
//! The page is headed by the report's title; its fields, messages and notes are Markdown
//! (`markdown::Source::Typed`); its history is `core::history` of the audit events (the raw
//! events stay one click away, folded). The browser's `<title>` names the report by id only,
//! so that no report contents reach browser history or a synced tab list.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use postern_app::case::Seen;
use postern_core::case::{Action, Case, Closing, Rating, parse_closure, parse_severity};
use postern_core::clock::{ClockKind, ClockState};
use postern_core::cvss::CvssVersion;
use postern_core::lifecycle::Closure;
use postern_core::policy::{Policy, Severity, TimeSpan};
use postern_core::report::{Author, ReportId, ReportStatus};
use postern_store::AttachmentInfo;
use postern_store::team::Role;
use serde::Deserialize;

use super::queue::Choice;
use super::{Member, check_post, private, see_other};
use crate::error::Error;
use crate::intake::{human_time, local_time};
use crate::markdown::{self, Source, plain_html};
use crate::state::{AppState, Project};

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/team/reports/{id}", show)
        .post("/team/reports/{id}/act", act)
        .post("/team/reports/{id}/attachment", download)
}

struct ClockRow {
    what: &'static str,
    promised: String,
    from: String,
    target: String,
    limit: String,
    state: String,
    class: &'static str,
}

struct Line {
    who: String,
    at: String,
    /// The body as sanitized HTML.
    body: String,
    class: &'static str,
}

/// One line of the history: who did what, when.
struct HistoryLine {
    /// When, in the policy's time zone.
    at: String,
    /// The same moment in UTC (RFC 3339), for `<time datetime>`.
    utc: String,
    /// For a folded run of events, when the last happened.
    last: Option<String>,
    who: String,
    what: String,
    /// (address, text) of what the sentence refers to.
    link: Option<(String, String)>,
    /// The words after it.
    after: String,
}

/// An audit event as recorded, for the folded "audit record".
struct Event {
    at: String,
    actor: String,
    action: String,
    detail: String,
}

/// Most audit events a report page reads: the newest, however often the report was opened.
pub const HISTORY_EVENTS_MAX: usize = 1000;

#[derive(Default)]
struct Input {
    name: &'static str,
    label: &'static str,
    help: Option<&'static str>,
    value: String,
    choices: Vec<Choice>,
}

#[derive(Default)]
struct ActionForm {
    action: &'static str,
    title: &'static str,
    button: &'static str,
    fields: Vec<Input>,
    /// The CVSS v3.1 base metrics to choose from, for the forms that rate.
    metrics: Vec<MetricRow>,
    /// Why this form's last post was not done (shown in the form).
    error: Option<String>,
}

/// One CVSS base metric as a select of the rating forms.
struct MetricRow {
    code: &'static str,
    name: &'static str,
    choices: Vec<Choice>,
}

/// The CVSS v3.1 base metrics, with the values `typed` chose selected.
fn metric_rows(typed: &[(String, String)]) -> Vec<MetricRow> {
    postern_core::cvss::metrics(CvssVersion::V3)
        .iter()
        .map(|m| MetricRow {
            code: m.code,
            name: m.name,
            choices: std::iter::once(choice("", "—", true))
                .chain(m.values.iter().map(|v| Choice {
                    value: v.code.to_owned(),
                    label: format!("{} ({})", v.label, v.code),
                    selected: typed.iter().any(|(k, c)| k == m.code && c == v.code),
                }))
                .collect(),
        })
        .collect()
}

impl ActionForm {
    /// Whether the action ends something that cannot be taken back, so that its button looks
    /// unlike a routine one: closing a report without a fix.
    fn destructive(&self) -> bool {
        self.action == "close"
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "team/report.html")]
struct ReportPage {
    title: String,
    me: Option<String>,
    csrf: String,
    id: String,
    /// The report's title (`core::report::title`).
    heading: String,
    error: Option<String>,
    /// The anchor of the form that the error is about (`form-ACTION`).
    error_form: Option<String>,
    /// What the last action did, said once after it.
    done: Option<&'static str>,
    /// What was typed in the message or note form that failed, kept.
    message_draft: String,
    note_draft: String,
    project: String,
    status: &'static str,
    severity: &'static str,
    cvss: Option<String>,
    received: String,
    scope: String,
    clocks: Vec<ClockRow>,
    /// (id, title, similarity) of likely duplicates.
    duplicates: Vec<(String, String, String)>,
    /// (label, value as sanitized HTML) of the report's fields.
    fields: Vec<(String, String)>,
    attachments: Vec<AttachmentInfo>,
    messages: Vec<Line>,
    notes: Vec<Line>,
    can_act: bool,
    version: i64,
    actions: Vec<ActionForm>,
    history: Vec<HistoryLine>,
    /// The audit events behind the history, as recorded.
    record: Vec<Event>,
    /// Whether older events were left out (`HISTORY_EVENTS_MAX`).
    history_cut: bool,
    /// The disclosure date agreed with the reporter.
    disclosure_agreed: Option<String>,
    /// (proposed date, asked, answer, by whom) of the reporter's proposals, oldest first.
    disclosure_requests: Vec<(String, String, &'static str, String)>,
    /// (request id, proposed date, the policy's verdict) of the proposal awaiting an answer.
    open_request: Option<(String, String, Option<String>)>,
    /// Advisories drafted from this report.
    advisories: Vec<String>,
    /// Whether "Draft advisory" is offered (accepted, not closed, a triager).
    can_draft: bool,
    /// The member the report is assigned to.
    assignee: Option<String>,
    /// Whom it may be assigned to (the current one selected), for triagers.
    assignable: Vec<Choice>,
    /// How it arrived when it came as an OpenPGP message (or with the reporter's key).
    encryption: Option<String>,
    /// What of the report was erased, and when, in words.
    erased: Vec<String>,
    /// Its legal hold standing now, in words.
    hold: Option<String>,
    /// Whether erasure and holds are offered (admins).
    is_admin: bool,
    /// (request id, what, asked, answer, what the policy says if open) of the reporter's
    /// erasure requests, oldest first.
    erasure_requests: Vec<(String, &'static str, String, String, Option<String>)>,
}

/// The step between asking to erase and erasing: what goes, and a button that does it.
#[derive(Template, WebTemplate)]
#[template(path = "team/erase.html")]
struct ErasePage {
    title: String,
    me: Option<String>,
    csrf: String,
    id: String,
    what: &'static str,
    describe: &'static str,
    reason: String,
}

fn parse_id(id: &str) -> Result<ReportId, Error> {
    ReportId::parse(id).ok_or(Error::NotFound)
}

/// The report's project and working state, if the member may see it; otherwise the report
/// does not exist for them (404, the same as a wrong id).
pub(super) async fn visible_project(
    state: &AppState,
    member: &Member,
    id: &ReportId,
) -> Result<(Project, postern_store::team::CaseRow), Error> {
    let row = state.app().visible_case(&member.as_actor(), id).await?;
    let project = state.project(&row.project).cloned().ok_or_else(|| {
        Error::BadRequest(format!(
            "project {} is not served by this instance; start it with its policy",
            row.project
        ))
    })?;
    Ok((project, row))
}

fn choice(value: &str, label: &str, selected: bool) -> Choice {
    Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected,
    }
}

fn text_input(name: &'static str, label: &'static str, help: Option<&'static str>) -> Input {
    Input {
        name,
        label,
        help,
        value: String::new(),
        choices: Vec::new(),
    }
}

fn severity_input(current: Option<Severity>, blank: &str) -> Input {
    let mut choices = vec![choice("", blank, current.is_none())];
    choices.extend(
        Severity::ALL
            .iter()
            .map(|(n, s)| choice(n, s.title(), Some(*s) == current)),
    );
    Input {
        name: "severity",
        label: "Severity",
        help: None,
        value: String::new(),
        choices,
    }
}

fn clock_input(case: &Case) -> Input {
    Input {
        name: "clock",
        label: "Deadline",
        help: None,
        value: String::new(),
        choices: case
            .clocks
            .0
            .iter()
            .filter(|c| c.is_open())
            .map(|c| choice(c.kind.name(), c.kind.describe(), false))
            .collect(),
    }
}

/// The forms offered for a report in its state: only what is legal from here.
fn action_forms(case: &Case, policy: &Policy) -> Vec<ActionForm> {
    use ReportStatus as S;
    let mut forms = Vec::new();
    let cvss_help = Some(
        "A CVSS v3.1 or v4.0 vector, such as CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H; or leave it empty and choose the v3.1 base metrics below. The severity follows the score unless you choose another and say why.",
    );
    let mut cvss = text_input("cvss", "CVSS vector", cvss_help);
    cvss.value = case.record.cvss_vector.clone().unwrap_or_default();
    if case.status == S::Received {
        forms.push(ActionForm {
            action: "acknowledge",
            title: "Acknowledge",
            button: "Acknowledge receipt",
            fields: Vec::new(),
            ..ActionForm::default()
        });
    }
    if matches!(case.status, S::Received | S::Acknowledged) {
        forms.push(ActionForm {
            action: "accept",
            title: "Accept as a vulnerability",
            button: "Accept",
            fields: vec![
                cvss,
                severity_input(None, "From the CVSS score"),
                text_input(
                    "reason",
                    "Reason (when the severity differs from the score)",
                    None,
                ),
            ],
            metrics: metric_rows(&[]),
            ..ActionForm::default()
        });
        let mut closures = vec![
            choice("out_of_scope", "Out of scope", false),
            choice("duplicate", "Duplicate", false),
            choice("informative", "Informative", false),
            choice("not_reproducible", "Not reproducible", false),
            choice("spam", "Spam", false),
        ];
        if policy.scope.out_of_scope.is_empty() {
            closures.remove(0);
        }
        let mut scope = Input {
            name: "scope_category",
            label: "Out-of-scope category (for out of scope)",
            help: Some("The policy's explanation is sent to the reporter."),
            value: String::new(),
            choices: vec![choice("", "—", true)],
        };
        scope.choices.extend(
            policy
                .scope
                .out_of_scope
                .iter()
                .map(|i| choice(&i.category, &i.title, false)),
        );
        forms.push(ActionForm {
            action: "close",
            title: "Close without a fix",
            button: "Close",
            fields: vec![
                Input {
                    name: "closure",
                    label: "Why",
                    help: None,
                    value: String::new(),
                    choices: closures,
                },
                scope,
                text_input("duplicate_of", "Original report id (for a duplicate)", None),
            ],
            ..ActionForm::default()
        });
    }
    if case.status == S::Triaged {
        forms.push(ActionForm {
            action: "start_fix",
            title: "Start the fix",
            button: "Start fixing",
            fields: Vec::new(),
            ..ActionForm::default()
        });
    }
    if matches!(case.status, S::Triaged | S::Fixing | S::Fixed) && case.severity.is_some() {
        forms.push(ActionForm {
            action: "rate",
            title: "Change the severity",
            button: "Save severity",
            fields: vec![
                {
                    let mut v = text_input("cvss", "CVSS vector", cvss_help);
                    v.value = case.record.cvss_vector.clone().unwrap_or_default();
                    v
                },
                severity_input(case.severity, "From the CVSS score"),
                text_input(
                    "reason",
                    "Reason (when the severity differs from the score)",
                    None,
                ),
            ],
            metrics: metric_rows(&[]),
            ..ActionForm::default()
        });
    }
    if matches!(case.status, S::Triaged | S::Fixing) {
        forms.push(ActionForm {
            action: "fixed",
            title: "Mark fixed",
            button: "Mark fixed",
            fields: vec![text_input(
                "versions",
                "Fixed in versions",
                Some("Comma-separated, such as 2.4.1, 1.9.8"),
            )],
            ..ActionForm::default()
        });
    }
    if case.status == S::Fixed {
        forms.push(ActionForm {
            action: "disclose",
            title: "Disclose",
            button: "Mark disclosed",
            fields: Vec::new(),
            ..ActionForm::default()
        });
    }
    if matches!(case.status, S::Fixed | S::Disclosed) {
        forms.push(ActionForm {
            action: "resolve",
            title: "Close as resolved",
            button: "Close",
            fields: Vec::new(),
            ..ActionForm::default()
        });
    }
    let open_clocks = case.clocks.0.iter().any(|c| c.is_open());
    if case.status != S::Closed && open_clocks {
        let reason = || text_input("reason", "Reason (recorded in the audit log)", None);
        forms.push(ActionForm {
            action: "extend",
            title: "Extend a deadline",
            button: "Extend",
            fields: vec![
                clock_input(case),
                text_input(
                    "span",
                    "By",
                    Some("Such as \"3 days\", \"2 business days\" or \"1 week\"."),
                ),
                reason(),
            ],
            ..ActionForm::default()
        });
        forms.push(ActionForm {
            action: "pause",
            title: "Pause a deadline",
            button: "Pause",
            fields: vec![clock_input(case), reason()],
            ..ActionForm::default()
        });
        if case
            .clocks
            .0
            .iter()
            .any(|c| c.is_open() && c.paused_at.is_some())
        {
            forms.push(ActionForm {
                action: "resume",
                title: "Resume a paused deadline",
                button: "Resume",
                fields: vec![clock_input(case), reason()],
                ..ActionForm::default()
            });
        }
    }
    forms
}

fn scope_text(policy: &Policy, category: Option<&str>) -> String {
    let Some(category) = category else {
        return "the reporter chose no category".into();
    };
    if let Some(item) = policy
        .scope
        .in_scope
        .iter()
        .find(|i| i.category == category)
    {
        return format!("in scope: {} ({category})", item.title);
    }
    if let Some(item) = policy
        .scope
        .out_of_scope
        .iter()
        .find(|i| i.category == category)
    {
        let mut text = format!("OUT OF SCOPE: {} ({category})", item.title);
        if let Some(e) = &item.explanation {
            text.push_str(&format!(": {e}"));
        }
        return text;
    }
    format!("{category}: not a category of the policy")
}

fn clock_rows(case: &Case, policy: &Policy, now: Timestamp) -> Vec<ClockRow> {
    case.clocks
        .current()
        .into_iter()
        .map(|c| {
            let state = c.state(now);
            let mut text = state.name().to_owned();
            if c.due.is_none() {
                // No limit to measure against: its age is what there is to see.
                let age = postern_core::stats::human(c.age(now));
                text.push_str(&match state {
                    ClockState::Running => format!(" for {age}"),
                    _ => format!(" after {age}"),
                });
            }
            if let Some(at) = c.resolved_at {
                text.push_str(&format!(" at {}", human_time(policy, at)));
            }
            let time = |at: Option<Timestamp>| {
                at.map_or_else(|| "no set time".to_owned(), |at| human_time(policy, at))
            };
            ClockRow {
                what: c.kind.describe(),
                promised: c.promised.clone(),
                from: format!(
                    "{}, {}",
                    case.clocks.counted_from(c),
                    human_time(policy, c.started_at)
                ),
                target: time(c.target_at()),
                limit: time(c.limit_at()),
                state: text,
                class: match state {
                    ClockState::Overdue => "overdue",
                    ClockState::Resolved(postern_core::clock::Outcome::Missed) => "missed",
                    _ => "",
                },
            }
        })
        .collect()
}

/// What the report page says besides the report: a problem above it, what the last action did,
/// and the form whose post failed, with what was typed in it.
#[derive(Default)]
pub(super) struct Feedback {
    error: Option<String>,
    done: Option<&'static str>,
    failed: Option<ActForm>,
}

/// The report page, with `error` (if any) above it.
pub(super) async fn render(
    state: &AppState,
    member: &Member,
    id: &ReportId,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, Error> {
    let feedback = Feedback {
        error,
        ..Feedback::default()
    };
    render_with(state, member, id, feedback, status).await
}

/// A failed form's fields and CVSS metrics as typed, and its problem, in the form itself.
fn keep_typed(actions: &mut [ActionForm], failed: &ActForm, message: &str) {
    let Some(form) = actions.iter_mut().find(|a| a.action == failed.action) else {
        return;
    };
    form.error = Some(message.to_owned());
    for field in &mut form.fields {
        let typed = failed.typed(field.name);
        if field.choices.is_empty() {
            field.value = typed.to_owned();
        } else if field.choices.iter().any(|c| c.value == typed) {
            for c in &mut field.choices {
                c.selected = c.value == typed;
            }
        }
    }
    if !form.metrics.is_empty() {
        form.metrics = metric_rows(&failed.metrics());
    }
}

async fn render_with(
    state: &AppState,
    member: &Member,
    id: &ReportId,
    feedback: Feedback,
    status: StatusCode,
) -> Result<Response, Error> {
    let Feedback {
        error,
        done,
        failed,
    } = feedback;
    let (project, _) = visible_project(state, member, id).await?;
    let policy = &project.policy;
    let now = state.now();
    let store = state.store();
    let view = store.team_view(id, member.actor(), now).await?;
    let (events, history_cut) = store.recent_report_events(id, HISTORY_EVENTS_MAX).await?;
    let similar: Vec<(ReportId, f64)> = store
        .similar_reports(id)
        .await?
        .into_iter()
        .filter(|(other, _)| *other != *id)
        .collect();
    // The originals a history names (a duplicate's) are listed by title too.
    let entries = postern_core::history::history(&events, &|at| local_time(policy, at));
    let named: Vec<ReportId> = entries
        .iter()
        .filter_map(|e| match &e.refers_to {
            Some(postern_core::history::Ref::Report(other)) => ReportId::parse(other),
            _ => None,
        })
        .take(postern_store::team::TITLES_PER_CALL_MAX - postern_store::SIMILAR_REPORTS_MAX)
        .collect();
    let listed: Vec<ReportId> = similar
        .iter()
        .map(|(other, _)| other.clone())
        .chain(named)
        .collect();
    let titles = store.report_titles(&listed).await?;
    let title_of = |other: &ReportId| {
        titles
            .get(other)
            .cloned()
            .unwrap_or_else(|| format!("Report {other}"))
    };
    let duplicates = similar
        .iter()
        .map(|(other, score)| {
            (
                other.to_string(),
                title_of(other),
                format!("{:.0}%", score * 100.0),
            )
        })
        .collect();
    let history = entries
        .iter()
        .map(|e| HistoryLine {
            at: local_time(policy, e.first_at),
            utc: e.first_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            last: (e.events > 1).then(|| local_time(policy, e.at)),
            who: e.who.clone(),
            what: e.what.clone(),
            after: e.after.clone(),
            link: e.refers_to.as_ref().map(|r| match r {
                postern_core::history::Ref::Report(other) => (
                    format!("/team/reports/{other}"),
                    ReportId::parse(other).map_or_else(|| other.clone(), |o| title_of(&o)),
                ),
                postern_core::history::Ref::Advisory(a) => {
                    (format!("/team/advisories/{a}"), a.clone())
                }
            }),
        })
        .collect();
    let label = |key: &str| {
        policy
            .form
            .fields
            .iter()
            .find(|f| f.id == key)
            .map_or_else(|| key.to_owned(), |f| f.label.clone())
    };
    let mut fields: Vec<(String, String)> = view
        .submission
        .fields
        .iter()
        .map(|(k, v)| (label(k), markdown::render(v, Source::Typed)))
        .collect();
    // One-line facts the reporter typed: shown as plain text, not Markdown.
    if let Some(email) = &view.submission.contact_email {
        fields.push(("Reporter's email".into(), plain_html(email)));
    }
    if let Some(name) = &view.submission.credit_name {
        fields.push(("Credit as".into(), plain_html(name)));
    }
    let case = &view.case;
    let can_act = member.session.user.role >= Role::Triager && case.status != ReportStatus::Closed;
    let terms = store.disclosure_terms(id).await?;
    let advisories: Vec<String> = store
        .report_advisories(id)
        .await?
        .iter()
        .map(ToString::to_string)
        .collect();
    // One advisory per report: once there is one, the page links to it instead.
    let can_draft =
        can_act && advisories.is_empty() && postern_app::advisory::can_draft_from(case.status);
    let assignee = store.report_assignee(id).await?;
    let assignable = if can_act {
        let mut choices = vec![choice("", "Nobody", assignee.is_none())];
        for email in state
            .app()
            .assignable(&member.as_actor(), &project.policy.project.slug)
            .await?
        {
            let selected = assignee.as_deref() == Some(email.as_str());
            choices.push(choice(&email, &email, selected));
        }
        choices
    } else {
        Vec::new()
    };
    let actions = if can_act {
        let mut forms = action_forms(case, policy);
        if let (Some(failed), Some(message)) = (&failed, &error) {
            keep_typed(&mut forms, failed, message);
        }
        forms
    } else {
        Vec::new()
    };
    let mut erasure_requests = Vec::new();
    for r in store.erasure_requests(id).await? {
        let guidance = match r.state.as_str() {
            "open" => Some(state.app().erasure_guidance(&r).await?),
            _ => None,
        };
        erasure_requests.push((
            r.id.clone(),
            r.what.describe(),
            human_time(policy, r.asked_at),
            match (r.state.as_str(), r.decided_at) {
                ("open", _) => "waiting for an answer".to_owned(),
                (state, Some(at)) => format!("{state}, {}", human_time(policy, at)),
                (state, None) => state.to_owned(),
            },
            guidance,
        ));
    }
    let page = ReportPage {
        title: format!("Report {id}"),
        me: Some(member.actor().to_owned()),
        csrf: member.csrf.clone(),
        id: id.to_string(),
        heading: match view.privacy.contents_erased_at {
            Some(_) => postern_store::privacy::ERASED_TITLE.to_owned(),
            None => postern_core::report::title(&view.submission.fields),
        },
        error_form: failed.as_ref().map(|f| match f.action.as_str() {
            "disclosure-accept" | "disclosure-decline" => "form-disclosure".to_owned(),
            action => format!("form-{action}"),
        }),
        message_draft: failed
            .as_ref()
            .filter(|f| f.action == "message")
            .map(|f| f.body.clone())
            .unwrap_or_default(),
        note_draft: failed
            .as_ref()
            .filter(|f| f.action == "note")
            .map(|f| f.body.clone())
            .unwrap_or_default(),
        error,
        done,
        project: policy.project.name.clone(),
        status: case.status.name(),
        severity: case.severity.map_or("not rated", Severity::title),
        cvss: case
            .record
            .cvss_vector
            .as_ref()
            .map(|v| format!("{v} ({:.1})", case.record.cvss_score.unwrap_or_default())),
        received: human_time(policy, view.received_at),
        scope: scope_text(policy, view.submission.scope_category.as_deref()),
        clocks: clock_rows(case, policy, now),
        duplicates,
        fields,
        attachments: view.attachments.clone(),
        messages: view
            .messages
            .iter()
            .map(|m| Line {
                who: match m.author {
                    Author::Reporter => "Reporter".into(),
                    Author::Team => "Team".into(),
                },
                at: human_time(policy, m.at),
                body: markdown::render(&m.body, Source::Typed),
                class: if m.author == Author::Team {
                    "team"
                } else {
                    "reporter"
                },
            })
            .collect(),
        notes: view
            .notes
            .iter()
            .map(|n| Line {
                who: n.author.clone(),
                at: human_time(policy, n.at),
                body: markdown::render(&n.body, Source::Typed),
                class: "note",
            })
            .collect(),
        can_act,
        version: view.version,
        actions,
        history,
        history_cut,
        record: events
            .into_iter()
            .map(|e| Event {
                at: human_time(policy, e.at),
                actor: e.actor,
                action: e.action,
                detail: e.detail,
            })
            .collect(),
        disclosure_agreed: terms.agreed.map(|at| human_time(policy, at)),
        disclosure_requests: terms
            .requests
            .iter()
            .map(|r| {
                (
                    human_time(policy, r.asked_for),
                    human_time(policy, r.asked_at),
                    r.state.words(),
                    r.decided_by.clone().unwrap_or_default(),
                )
            })
            .collect(),
        open_request: terms.open().map(|r| {
            (
                r.id.clone(),
                human_time(policy, r.asked_for),
                postern_core::embargo::check(policy, view.received_at, now, r.asked_for).err(),
            )
        }),
        advisories,
        can_draft,
        assignee,
        encryption: store.encrypted_arrival(id).await?.map(|a| {
            use postern_store::openpgp::ArrivalState;
            match a.state {
                ArrivalState::Decrypted => format!("arrived encrypted: {}", a.detail),
                ArrivalState::Undecryptable => format!(
                    "arrived encrypted and NOT decrypted: {}; kept sealed as it came (attachment {})",
                    a.detail,
                    postern_app::openpgp::UNREAD_MESSAGE_FILENAME
                ),
                ArrivalState::Plain => "sent in plain text; the reporter gave an OpenPGP key".into(),
            }
        }),
        assignable,
        erased: postern_core::privacy::Erasure::ALL
            .into_iter()
            .filter_map(|what| {
                view.privacy
                    .erased_at(what)
                    .map(|at| format!("Erased {} on {}.", what.describe(), human_time(policy, at)))
            })
            .collect(),
        hold: view.privacy.hold_at(now).map(|h| {
            format!(
                "Under legal hold through {}: {}. Retention and erasure wait until then.",
                h.until.strftime("%Y-%m-%d"),
                h.reason
            )
        }),
        is_admin: member.session.user.role >= Role::Admin,
        erasure_requests,
    };
    Ok(private((status, page).into_response()))
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    /// The action just done (after its redirect), to say so once.
    #[serde(default)]
    done: String,
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, Error> {
    let id = parse_id(&id)?;
    let feedback = Feedback {
        done: done_words(&query.done),
        ..Feedback::default()
    };
    render_with(&state, &member, &id, feedback, StatusCode::OK).await
}

#[derive(Deserialize, Default, Clone)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    cvss: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    closure: String,
    #[serde(default)]
    scope_category: String,
    #[serde(default)]
    duplicate_of: String,
    #[serde(default)]
    versions: String,
    #[serde(default)]
    clock: String,
    #[serde(default)]
    span: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    is_plan: String,
    #[serde(default)]
    request: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    confirm: String,
    /// Whom to assign the report to (an email; empty for nobody).
    #[serde(default)]
    assignee: String,
    /// The CVSS v3.1 base metrics chosen in a rating form (used when no vector is typed).
    #[serde(default, rename = "m-AV")]
    m_av: String,
    #[serde(default, rename = "m-AC")]
    m_ac: String,
    #[serde(default, rename = "m-PR")]
    m_pr: String,
    #[serde(default, rename = "m-UI")]
    m_ui: String,
    #[serde(default, rename = "m-S")]
    m_s: String,
    #[serde(default, rename = "m-C")]
    m_c: String,
    #[serde(default, rename = "m-I")]
    m_i: String,
    #[serde(default, rename = "m-A")]
    m_a: String,
}

impl ActForm {
    /// The CVSS metrics chosen, as (code, value).
    fn metrics(&self) -> Vec<(String, String)> {
        [
            ("AV", &self.m_av),
            ("AC", &self.m_ac),
            ("PR", &self.m_pr),
            ("UI", &self.m_ui),
            ("S", &self.m_s),
            ("C", &self.m_c),
            ("I", &self.m_i),
            ("A", &self.m_a),
        ]
        .into_iter()
        .map(|(code, value)| (code.to_owned(), value.trim().to_owned()))
        .collect()
    }

    /// What was typed in the field `name` of an action form.
    fn typed(&self, name: &str) -> &str {
        match name {
            "cvss" => &self.cvss,
            "severity" => &self.severity,
            "reason" => &self.reason,
            "closure" => &self.closure,
            "scope_category" => &self.scope_category,
            "duplicate_of" => &self.duplicate_of,
            "versions" => &self.versions,
            "clock" => &self.clock,
            "span" => &self.span,
            _ => "",
        }
    }

    /// The vector to rate with: the one typed, else one built from the metrics chosen.
    fn vector(&self) -> Result<Option<String>, String> {
        if let Some(typed) = non_empty(&self.cvss) {
            return Ok(Some(typed));
        }
        let chosen = self.metrics();
        if chosen.iter().all(|(_, v)| v.is_empty()) {
            return Ok(None);
        }
        postern_core::cvss::build_vector(CvssVersion::V3, &chosen)
            .map(Some)
            .map_err(|e| format!("CVSS metrics: {e}"))
    }
}

/// What the page says once after an action was done (`?done=ACTION`); nothing for others.
fn done_words(action: &str) -> Option<&'static str> {
    Some(match action {
        "acknowledge" => "Acknowledged. The reporter is told in their conversation.",
        "accept" => "Accepted as a vulnerability. The reporter is told; the fix deadline runs.",
        "rate" => "Severity saved.",
        "close" => "Closed. The reporter is told why.",
        "start_fix" => "Work on the fix has started.",
        "fixed" => "Marked fixed. The reporter is told.",
        "disclose" => "Marked disclosed.",
        "resolve" => "Closed as resolved.",
        "extend" => "Deadline extended.",
        "pause" => "Deadline paused.",
        "resume" => "Deadline resumed.",
        "message" => "Message sent to the reporter.",
        "note" => "Note added.",
        "assign" => "Assignment saved.",
        "erase" => "Erased. The keys that sealed it are destroyed.",
        "erasure-refuse" => "Refusal sent to the reporter.",
        "hold" => "Legal hold set.",
        "disclosure-accept" => "Date accepted. The reporter is told.",
        "disclosure-decline" => "Date declined. The reporter is told.",
        _ => return None,
    })
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// What a form asks for, as the core's action; the error names the field to fix.
fn parse_action(form: &ActForm) -> Result<Action, String> {
    let severity = match form.severity.trim() {
        "" => None,
        s => Some(parse_severity(s).ok_or_else(|| {
            format!("{s:?} is not a severity: choose critical, high, medium or low")
        })?),
    };
    let rating = || -> Result<Rating, String> {
        Ok(Rating {
            cvss_vector: form.vector()?,
            severity,
            reason: non_empty(&form.reason),
        })
    };
    let clock =
        || ClockKind::parse(form.clock.trim()).ok_or_else(|| "choose which deadline".to_owned());
    Ok(match form.action.as_str() {
        "acknowledge" => Action::Acknowledge,
        "accept" => Action::Accept(rating()?),
        "rate" => Action::Rate(rating()?),
        "close" => {
            let closure = parse_closure(form.closure.trim())
                .filter(|c| *c != Closure::Resolved)
                .ok_or_else(|| "choose why the report is closed".to_owned())?;
            let duplicate_of = match non_empty(&form.duplicate_of) {
                Some(text) => Some(ReportId::parse(&text).ok_or_else(|| {
                    format!("{text:?} is not a report id (26 letters and digits, as in the queue)")
                })?),
                None => None,
            };
            Action::Close(Closing {
                closure,
                duplicate_of,
                scope_category: non_empty(&form.scope_category),
            })
        }
        "start_fix" => Action::StartFix,
        "fixed" => Action::Fixed(vec![form.versions.clone()]),
        "disclose" => Action::Disclose,
        "resolve" => Action::Resolve,
        "pause" => Action::Pause(clock()?, form.reason.clone()),
        "resume" => Action::Resume(clock()?, form.reason.clone()),
        "extend" => {
            let span: TimeSpan = postern_core::policy::parse_time_span(form.span.trim())?;
            Action::Extend(clock()?, span, form.reason.clone())
        }
        other => return Err(format!("{other:?} is not an action")),
    })
}

async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let id = parse_id(&id)?;
    let app = state.app();
    let actor = member.as_actor();
    let done = match form.action.as_str() {
        "note" => app.add_note(&actor, &id, &form.body).await,
        "assign" => app.assign_report(&actor, &id, Some(&form.assignee)).await,
        "erase" => match postern_core::privacy::Erasure::parse(&form.what) {
            // The first step only shows what goes and asks again; nothing is erased yet.
            Some(what) if form.confirm != "yes" => {
                visible_project(&state, &member, &id).await?;
                let page = ErasePage {
                    title: format!("Erase from report {id}"),
                    me: Some(member.actor().to_owned()),
                    csrf: member.csrf.clone(),
                    id: id.to_string(),
                    what: what.name(),
                    describe: what.describe(),
                    reason: form.reason.trim().to_owned(),
                };
                return Ok(private(page.into_response()));
            }
            Some(what) => app
                .erase_report(&actor, &id, what, &form.reason)
                .await
                .map(drop),
            None => Err(postern_app::Error::field(
                "what",
                "choose the contact or the contents",
            )),
        },
        "erasure-refuse" => {
            app.refuse_erasure_request(&actor, &id, &form.request, &form.body)
                .await
        }
        "hold" => match postern_core::privacy::parse_hold_until(&form.until) {
            Ok(until) => app
                .hold_report(&actor, &id, until, &form.reason)
                .await
                .map(drop),
            Err(message) => Err(postern_app::Error::field("until", message)),
        },
        "disclosure-accept" | "disclosure-decline" => app
            .answer_disclosure_request(
                &actor,
                &id,
                &form.request,
                form.action == "disclosure-accept",
                &form.body,
            )
            .await
            .map(drop),
        "message" => app
            .act_on_report(
                &actor,
                &id,
                Seen::Version(form.version),
                Action::MessageSent(!form.is_plan.is_empty()),
                Some(&form.body),
            )
            .await
            .map(drop),
        _ => match parse_action(&form) {
            Ok(action) => app
                .act_on_report(&actor, &id, Seen::Version(form.version), action, None)
                .await
                .map(drop),
            Err(message) => Err(postern_app::Error::Refused(message)),
        },
    };
    match done {
        Ok(()) => Ok(see_other(&format!(
            "/team/reports/{id}?done={}",
            if done_words(&form.action).is_some() {
                form.action.as_str()
            } else {
                ""
            }
        ))),
        // The report is not there for this member, or the role is missing, or the store failed.
        Err(
            e @ (postern_app::Error::NotFound
            | postern_app::Error::Forbidden(_)
            | postern_app::Error::Store(_)),
        ) => Err(e.into()),
        // Anything else is said on the report page, above what the member sees now.
        Err(refusal) => {
            let message = match refusal {
                postern_app::Error::Invalid(errors) => crate::error::messages(errors),
                other => other.to_string(),
            };
            // The problem is said at the top, linked to its form, and in the form, with what
            // was typed in it kept.
            let feedback = Feedback {
                error: Some(message),
                done: None,
                failed: Some(form),
            };
            render_with(
                &state,
                &member,
                &id,
                feedback,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct DownloadForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    attachment_id: String,
}

async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<DownloadForm>,
) -> Result<Response, Error> {
    check_post(&state, &headers, &member.csrf, &form.csrf)?;
    let id = parse_id(&id)?;
    visible_project(&state, &member, &id).await?;
    let (info, bytes) = state
        .store()
        .team_attachment(&id, &form.attachment_id, member.actor(), state.now())
        .await?;
    // Always a download, never rendered: the bytes are the reporter's, and may be hostile.
    let mut response = bytes.to_vec().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", info.filename)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    Ok(private(response))
}
