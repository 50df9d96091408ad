//! The kinds of job, each with its typed payload: what a `jobs` row means, parsed once.
//!
//! A row stores its kind by name (`team.new_report`, `mail`, ...) and its payload as JSON. Both
//! are read here into a `Task`, so that the runner matches on types, not on strings, and no
//! handler parses JSON of its own. The names and the JSON fields are those of the rows already
//! in databases: they must not change.
//!
//! This module imports nothing else of the store's: the writer, the team's code and the
//! subscriptions and webhooks all build their jobs with it.

use jiff::{SignedDuration, Timestamp};
use postern_core::report::ReportId;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Every kind of job this version runs, by the name stored in `jobs.kind`.
///
/// A row of a kind not listed here was written by a newer version. This version leaves it
/// pending and untouched: claims take only the kinds listed (`Lane`), the runner's wake-up
/// ignores the others (`Store::next_job_at`), and `Store::unknown_jobs` counts them so the
/// runner can say in its log that they wait for a newer version. It is never marked done or
/// dead by a version that cannot run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Event: a report was received (the team is told; the reporter gets a receipt).
    TeamNewReport,
    /// Event: the reporter wrote a message (the team is told).
    TeamReporterMessage,
    /// Event: the team wrote to the reporter or changed the case (the reporter is told).
    ReporterNotice,
    /// Event: watch a report's running promises (reminders, then the next watch).
    DeadlineWatch,
    /// Event: an advisory was published (its project's confirmed subscribers are mailed).
    AdvisoryPublished,
    /// Event: an embargoed advisory is due to its project's early-access list.
    AdvisoryEarlyAccess,
    /// Delivery: one mail to one recipient.
    Mail,
    /// Delivery: one HTTP request to one webhook.
    Webhook,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 8] = [
        JobKind::TeamNewReport,
        JobKind::TeamReporterMessage,
        JobKind::ReporterNotice,
        JobKind::DeadlineWatch,
        JobKind::AdvisoryPublished,
        JobKind::AdvisoryEarlyAccess,
        JobKind::Mail,
        JobKind::Webhook,
    ];

    /// The stored name.
    pub const fn name(self) -> &'static str {
        match self {
            JobKind::TeamNewReport => "team.new_report",
            JobKind::TeamReporterMessage => "team.reporter_message",
            JobKind::ReporterNotice => "reporter.notice",
            JobKind::DeadlineWatch => "team.deadline",
            JobKind::AdvisoryPublished => "advisory.published",
            JobKind::AdvisoryEarlyAccess => "advisory.early_access",
            JobKind::Mail => "mail",
            JobKind::Webhook => "webhook",
        }
    }

    /// The kind with this stored name; `None` for a kind of a newer version.
    pub fn parse(name: &str) -> Option<JobKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Which claims take it.
    pub const fn lane(self) -> Lane {
        match self {
            JobKind::Mail | JobKind::Webhook => Lane::Deliveries,
            _ => Lane::Events,
        }
    }
}

/// Event: a report was received.
pub const TEAM_NEW_REPORT: &str = JobKind::TeamNewReport.name();
/// Event: the reporter wrote a message.
pub const TEAM_REPORTER_MESSAGE: &str = JobKind::TeamReporterMessage.name();
/// Event: the team wrote to the reporter or changed the case.
pub const REPORTER_NOTICE: &str = JobKind::ReporterNotice.name();
/// Delivery: one mail to one recipient about one event.
pub const MAIL: &str = JobKind::Mail.name();
/// Delivery: one HTTP request to one webhook about one event (see `webhooks`).
pub const WEBHOOK: &str = JobKind::Webhook.name();
/// Event: an advisory was published.
pub const ADVISORY_PUBLISHED: &str = JobKind::AdvisoryPublished.name();
/// Event: an embargoed advisory is due to its project's early-access list.
pub const ADVISORY_EARLY_ACCESS: &str = JobKind::AdvisoryEarlyAccess.name();
/// Event: watch a report's running promises (`DeadlineWatch`).
pub const DEADLINE_WATCH: &str = JobKind::DeadlineWatch.name();
/// The event a reminder mail names: a promise's limit is near (to the project's team).
pub const DEADLINE_REMINDER: &str = "team.deadline_reminder";
/// The event an escalation mail names: a promise's limit has passed (to the project's admins).
pub const DEADLINE_MISSED: &str = "team.deadline_missed";

/// The event of a mail about a project's findings: fix deadlines near (to the team).
pub const FINDINGS_DUE_SOON: &str = "findings.deadline_reminder";
/// The event of a mail about a project's findings: fix deadlines passed (to the admins).
pub const FINDINGS_MISSED: &str = "findings.deadline_missed";
/// The event of a mail about a project's findings: accepted risks expired, the findings open
/// again (to the team).
pub const FINDINGS_REOPENED: &str = "findings.risk_expired";

/// Which jobs a claim takes. Events need only the database, so a worker takes many and
/// finishes them in one transaction; deliveries talk to a mail server or a webhook, so a
/// worker takes a few, which it can finish well within their lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Event jobs, expanded into deliveries.
    Events,
    /// Delivery jobs (mail, webhooks).
    Deliveries,
}

impl Lane {
    /// The SQL condition on `kind` that selects the lane's known kinds (fixed text).
    pub(crate) fn condition(self) -> String {
        let names: Vec<String> = self
            .kind_names()
            .into_iter()
            .map(|name| format!("'{name}'"))
            .collect();
        format!("kind IN ({})", names.join(", "))
    }

    /// The names of the lane's known kinds.
    pub(crate) fn kind_names(self) -> Vec<&'static str> {
        JobKind::ALL
            .into_iter()
            .filter(|k| k.lane() == self)
            .map(|k| k.name())
            .collect()
    }
}

/// The SQL condition on `kind` that selects every kind this version knows (fixed text).
pub(crate) fn known_kinds_condition() -> String {
    let names: Vec<String> = JobKind::ALL
        .into_iter()
        .map(|k| format!("'{}'", k.name()))
        .collect();
    format!("kind IN ({})", names.join(", "))
}

/// A report event: what happened, and so who is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportEvent {
    /// A report was received: the team and the reporter (a receipt).
    NewReport,
    /// The reporter wrote: the team.
    ReporterMessage,
    /// The team wrote to the reporter or changed the case: the reporter.
    CaseUpdate,
}

impl ReportEvent {
    /// Every report event.
    pub const ALL: [ReportEvent; 3] = [
        ReportEvent::NewReport,
        ReportEvent::ReporterMessage,
        ReportEvent::CaseUpdate,
    ];

    /// Its job kind.
    pub const fn kind(self) -> JobKind {
        match self {
            ReportEvent::NewReport => JobKind::TeamNewReport,
            ReportEvent::ReporterMessage => JobKind::TeamReporterMessage,
            ReportEvent::CaseUpdate => JobKind::ReporterNotice,
        }
    }

    /// The report event of a job kind, if it is one.
    pub fn of(kind: JobKind) -> Option<ReportEvent> {
        Self::ALL.into_iter().find(|e| e.kind() == kind)
    }

    /// The stored name (the job kind's).
    pub const fn name(self) -> &'static str {
        self.kind().name()
    }
}

/// A job to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Derived from `dedupe_key`.
    pub id: String,
    /// What to do.
    pub kind: JobKind,
    /// The project's slug.
    pub project: String,
    /// The report it concerns.
    pub report_id: Option<String>,
    /// JSON; never contents or contact addresses of reporters.
    pub payload: String,
    /// Unique: a second job with the same key is not inserted.
    pub dedupe_key: String,
    /// When it is due.
    pub run_at: Timestamp,
}

/// The job id for a dedupe key: the same work always has the same id.
pub(crate) fn job_id(dedupe_key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"postern job v1\0");
    hasher.update(dedupe_key.as_bytes());
    data_encoding::HEXLOWER.encode(&hasher.finalize()[..16])
}

impl NewJob {
    /// A job of `kind` with its payload, due at `run_at`; its id is derived from `dedupe_key`,
    /// so the same work always has the same id.
    pub fn new(
        kind: JobKind,
        project: &str,
        report_id: Option<&str>,
        payload: &impl Serialize,
        dedupe_key: String,
        run_at: Timestamp,
    ) -> NewJob {
        NewJob {
            id: job_id(&dedupe_key),
            kind,
            project: project.to_owned(),
            report_id: report_id.map(str::to_owned),
            // The payloads are plain structs of strings and numbers: serialising cannot fail.
            payload: serde_json::to_string(payload).unwrap_or_else(|_| "{}".into()),
            dedupe_key,
            run_at,
        }
    }

    /// A report event that announces messages of the conversation, due at `at`.
    pub fn message_event(
        event: ReportEvent,
        project: &str,
        report_id: &str,
        messages: Vec<String>,
        dedupe_key: String,
        at: Timestamp,
    ) -> NewJob {
        NewJob::new(
            event.kind(),
            project,
            Some(report_id),
            &EventPayload { messages },
            dedupe_key,
            at,
        )
    }

    /// The polite answer to a message filed as not a security report.
    pub fn screening_reply(project: &str, item: &str, at: Timestamp) -> NewJob {
        NewJob::new(
            JobKind::Mail,
            project,
            None,
            &ScreeningReply {
                screening_reply: item.to_owned(),
            },
            format!("screening:{item}:reply"),
            at,
        )
    }

    /// A report event, due at `at` (its payload is empty: the row names the report).
    pub fn report_event(
        event: ReportEvent,
        project: &str,
        report_id: &str,
        dedupe_key: String,
        at: Timestamp,
    ) -> NewJob {
        NewJob::new(
            event.kind(),
            project,
            Some(report_id),
            &serde_json::Map::new(),
            dedupe_key,
            at,
        )
    }

    /// A report event named by its stored name (`TEAM_REPORTER_MESSAGE`, `REPORTER_NOTICE`),
    /// for callers that name it so; see `report_event`.
    ///
    /// # Panics
    /// When `kind` is not a report event's name: the callers pass the constants above.
    pub(crate) fn event(
        kind: &'static str,
        project: &str,
        report_id: &str,
        dedupe_key: String,
        at: Timestamp,
    ) -> NewJob {
        let event = JobKind::parse(kind)
            .and_then(ReportEvent::of)
            .unwrap_or_else(|| panic!("{kind} is not a report event"));
        NewJob::report_event(event, project, report_id, dedupe_key, at)
    }
}

/// Who a report's mail goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to")]
pub enum Recipient {
    /// A team member, by the account's address (already plain in the users table).
    Team {
        /// The member's address.
        email: String,
    },
    /// The reporter: their address is read and decrypted only when the mail is sent.
    Reporter,
}

impl Recipient {
    /// A short, stable name for dedupe keys that does not show the address.
    pub fn key(&self) -> String {
        match self {
            Recipient::Team { email } => {
                let mut hasher = Sha256::new();
                hasher.update(b"postern recipient v1\0");
                hasher.update(email.as_bytes());
                format!(
                    "team-{}",
                    data_encoding::HEXLOWER.encode(&hasher.finalize()[..8])
                )
            }
            Recipient::Reporter => "reporter".into(),
        }
    }
}

/// The payload of a mail about a report: which event, to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event's name (`TEAM_NEW_REPORT`, ..., `DEADLINE_REMINDER`, `DEADLINE_MISSED`).
    pub event: String,
    /// The recipient.
    #[serde(flatten)]
    pub recipient: Recipient,
    /// What the notice says beyond the event, never report contents (for a reminder: which
    /// promise, and its limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The conversation's messages the event announced (sent themselves to a reporter who
    /// wrote by mail).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

/// The payload of a deadline watch: the case's version it was written for (a later change
/// writes a newer watch, and this one's chain ends) and since when reminders were already
/// considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineWatch {
    /// The report's version (`reports.version`) when the watch was written.
    pub version: i64,
    /// Reminders due at or before this (unix ms) were handled by an earlier watch.
    pub since: i64,
}

/// The moment of the next reminder of any running promise after `after`.
pub fn next_reminder_of(
    clocks: &postern_core::clock::Clocks,
    leads: &[SignedDuration],
    after: Timestamp,
) -> Option<Timestamp> {
    clocks
        .0
        .iter()
        .filter_map(|c| postern_core::clock::next_reminder(c, leads, after))
        .map(|(at, _)| at)
        .min()
}

/// The one watch of a report's running promises after a write that left the case at
/// `version` at `at`: due at the first reminder under `leads`, so that receiving a report costs
/// the runner nothing until a reminder is due. `None` when nothing runs.
pub fn deadline_watch(
    project: &str,
    report_id: &str,
    version: i64,
    clocks: &postern_core::clock::Clocks,
    at: Timestamp,
    leads: &[SignedDuration],
) -> Option<NewJob> {
    let run_at = next_reminder_of(clocks, leads, at)?;
    Some(NewJob::new(
        JobKind::DeadlineWatch,
        project,
        Some(report_id),
        &DeadlineWatch {
            version,
            since: at.as_millisecond(),
        },
        format!("deadline:{report_id}:v{version}"),
        run_at,
    ))
}

/// The payload of a `mail` job to a list: ids only, never an address or a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "list", rename_all = "snake_case")]
pub enum ListMail {
    /// "Confirm your subscription", with the token of the request made then.
    Confirm {
        /// The subscriber.
        subscriber: String,
        /// The request's moment (unix ms), from which the token is derived.
        requested_at: i64,
    },
    /// A published advisory, to a confirmed subscriber.
    Advisory {
        /// The subscriber.
        subscriber: String,
        /// The advisory.
        advisory: String,
    },
    /// The audit log's checkpoint of the day, to an admin, to keep where the database cannot
    /// reach (the checkpoint is public: its count, head hash and time).
    AuditCheckpoint {
        /// The admin's address (a team member's, as in team notices).
        admin: String,
        /// Events in the log.
        events: u64,
        /// The newest event's hash, hex.
        head: String,
        /// When it was taken (unix ms).
        at: i64,
    },
    /// An embargoed advisory, to an early-access recipient.
    EarlyAccess {
        /// The recipient.
        member: String,
        /// The advisory.
        advisory: String,
        /// The publication it was scheduled for (unix ms).
        publish_at: i64,
    },
}

/// The payload of an `advisory.published` or `advisory.early_access` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryEvent {
    /// The advisory.
    pub advisory: String,
    /// The publication it was scheduled for (unix ms): early access only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<i64>,
}

/// A `webhook` job's payload: which webhook, which event, when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// The event job's kind (`TEAM_NEW_REPORT`, ...) or `webhooks::PING`.
    pub event: String,
    /// The webhook's id.
    pub webhook: String,
    /// When the event happened, unix milliseconds.
    pub at: i64,
}

/// A mail job's payload: to a list member, or about a report. The shapes have different
/// tags (`list`, `screening_reply`, `findings_notice` and `to`), so the stored JSON tells which.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum MailPayload {
    List(ListMail),
    Screening(ScreeningReply),
    Findings(FindingsMail),
    Report(Delivery),
}

/// A mail job's payload: a notice about a project's findings (their fix deadlines, accepted
/// risks that expired) to a team member. It carries counts by severity and the earliest
/// deadline, never which packages are vulnerable: the team reads those signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingsMail {
    /// The event (`FINDINGS_DUE_SOON`, `FINDINGS_MISSED`, `FINDINGS_REOPENED`).
    pub findings_notice: String,
    /// The member's address (a team member's, as in team notices).
    pub email: String,
    /// What the notice says: how many, of which severities, by when.
    pub note: String,
}

impl NewJob {
    /// A notice about a project's findings to one member, due at `at`; `look` names the look
    /// that made it, so that the same look never mails a member twice.
    pub fn findings_mail(project: &str, mail: &FindingsMail, look: &str, at: Timestamp) -> NewJob {
        let recipient = Recipient::Team {
            email: mail.email.clone(),
        }
        .key();
        NewJob::new(
            JobKind::Mail,
            project,
            None,
            mail,
            format!(
                "findings:{project}:{look}:{}:{recipient}",
                mail.findings_notice
            ),
            at,
        )
    }
}

/// A mail job's payload: the polite answer to a message filed as not a security report. It
/// names the message; the sender's address is opened only to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningReply {
    /// The message's id (`inbound_mail.id`).
    pub screening_reply: String,
}

/// A report event's payload: the conversation's messages it announces, if any (a conversation
/// by mail sends them themselves).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPayload {
    /// The messages' ids, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

/// A job, typed: its kind with its payload parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// A report event, fanned out to mail and webhook deliveries.
    Report {
        /// What happened.
        event: ReportEvent,
        /// The report.
        report: ReportId,
        /// The conversation's messages it announces, in order.
        messages: Vec<String>,
    },
    /// A deadline watch of a report's running promises.
    Watch {
        /// The report.
        report: ReportId,
        /// Its payload.
        watch: DeadlineWatch,
    },
    /// An advisory was published: one mail per confirmed subscriber.
    AdvisoryPublished {
        /// The advisory's id.
        advisory: String,
    },
    /// An embargoed advisory is due to the early-access list.
    AdvisoryEarlyAccess {
        /// The advisory's id.
        advisory: String,
        /// The publication it announces (unix ms).
        publish_at: i64,
    },
    /// A mail about a report, to a team member or the reporter.
    ReportMail {
        /// The report.
        report: ReportId,
        /// To whom, about what.
        delivery: Delivery,
    },
    /// A mail to a subscriber or an early-access recipient.
    ListMail(ListMail),
    /// The answer to a message filed as not a security report.
    ScreeningReply {
        /// The message's id.
        item: String,
    },
    /// A request to a webhook.
    Webhook(WebhookDelivery),
    /// A notice about a project's findings to a team member.
    FindingsMail(FindingsMail),
}

/// Why a job's row does not read as a `Task`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// Written by a newer version; this one leaves it pending (see `JobKind`).
    #[error("this version does not know jobs of kind {0}; a newer version runs them")]
    UnknownKind(String),
    /// A known kind whose payload or report id does not parse.
    #[error("the payload of this {} job is not readable", .0.name())]
    Payload(JobKind),
}

impl Task {
    /// Reads a row's kind, report id and payload.
    pub fn parse(kind: &str, report_id: Option<&str>, payload: &str) -> Result<Task, Unreadable> {
        let known = JobKind::parse(kind).ok_or_else(|| Unreadable::UnknownKind(kind.into()))?;
        let unreadable = || Unreadable::Payload(known);
        let report = || report_id.and_then(ReportId::parse).ok_or_else(unreadable);
        let json = |_| unreadable();
        Ok(match known {
            JobKind::TeamNewReport | JobKind::TeamReporterMessage | JobKind::ReporterNotice => {
                Task::Report {
                    event: ReportEvent::of(known).ok_or_else(unreadable)?,
                    report: report()?,
                    messages: serde_json::from_str::<EventPayload>(payload)
                        .map_err(json)?
                        .messages,
                }
            }
            JobKind::DeadlineWatch => Task::Watch {
                report: report()?,
                watch: serde_json::from_str(payload).map_err(json)?,
            },
            JobKind::AdvisoryPublished => {
                let event: AdvisoryEvent = serde_json::from_str(payload).map_err(json)?;
                Task::AdvisoryPublished {
                    advisory: event.advisory,
                }
            }
            JobKind::AdvisoryEarlyAccess => {
                let event: AdvisoryEvent = serde_json::from_str(payload).map_err(json)?;
                Task::AdvisoryEarlyAccess {
                    advisory: event.advisory,
                    publish_at: event.publish_at.ok_or_else(unreadable)?,
                }
            }
            JobKind::Mail => match serde_json::from_str(payload).map_err(json)? {
                MailPayload::List(mail) => Task::ListMail(mail),
                MailPayload::Screening(reply) => Task::ScreeningReply {
                    item: reply.screening_reply,
                },
                MailPayload::Findings(mail) => Task::FindingsMail(mail),
                MailPayload::Report(delivery) => Task::ReportMail {
                    report: report()?,
                    delivery,
                },
            },
            JobKind::Webhook => Task::Webhook(serde_json::from_str(payload).map_err(json)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_by_its_stored_name() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(JobKind::parse("team.something_new"), None);
    }

    #[test]
    fn stored_payloads_of_every_kind_read_as_tasks() {
        let id = ReportId::from_random([7; postern_core::report::REPORT_ID_BYTES]).to_string();
        let report = id.as_str();
        let cases: [(&str, Option<&str>, &str); 12] = [
            ("team.new_report", Some(report), "{}"),
            ("reporter.notice", Some(report), "{}"),
            ("team.deadline", Some(report), r#"{"version":2,"since":5}"#),
            ("advisory.published", None, r#"{"advisory":"PSA-1"}"#),
            (
                "advisory.early_access",
                None,
                r#"{"advisory":"PSA-1","publish_at":9}"#,
            ),
            (
                "mail",
                Some(report),
                r#"{"event":"team.new_report","to":"team","email":"a@example.org"}"#,
            ),
            (
                "mail",
                Some(report),
                r#"{"event":"reporter.notice","to":"reporter"}"#,
            ),
            (
                "mail",
                None,
                r#"{"list":"confirm","subscriber":"s1","requested_at":3}"#,
            ),
            (
                "webhook",
                Some(report),
                r#"{"event":"team.new_report","webhook":"w1","at":7}"#,
            ),
            ("reporter.notice", Some(report), r#"{"messages":["m1"]}"#),
            ("mail", None, r#"{"screening_reply":"i1"}"#),
            (
                "mail",
                None,
                r#"{"findings_notice":"findings.deadline_missed","email":"a@example.org","note":"2 findings"}"#,
            ),
        ];
        for (kind, report_id, payload) in cases {
            let task = Task::parse(kind, report_id, payload);
            assert!(task.is_ok(), "{kind} {payload}: {task:?}");
        }
        assert_eq!(
            Task::parse("advisory.early_access", None, r#"{"advisory":"PSA-1"}"#),
            Err(Unreadable::Payload(JobKind::AdvisoryEarlyAccess))
        );
        assert_eq!(
            Task::parse("team.something_new", None, "{}"),
            Err(Unreadable::UnknownKind("team.something_new".into()))
        );
    }
}
