//! The team records a report that reached it where Postern cannot see (a chat, a pull
//! request, an issue tracker, a call, a mailbox Postern does not read), so that the policy's
//! promises run for it from when the reporter actually wrote, as for any other report.
//!
//! The rules are `postern_core::recorded` (which channel, which moment) and
//! `intake::validate_recorded` (the form's fields); the store commits the report, its clocks
//! and the audit events naming who entered it and through which channel in one transaction.

use jiff::Timestamp;
use postern_core::case::Case;
use postern_core::clock::Clocks;
use postern_core::intake::{FieldError, Submission, validate_recorded};
use postern_core::policy::ChannelKind;
use postern_core::report::{CaseKey, ReportId};
use postern_core::role::Role;
use postern_store::Recording;

use crate::intake::Upload;
use crate::{Actor, App, Error};

/// A report as a team member enters it, before any check: the moment and the channel as they
/// typed them, so that every entry point gets the same answers.
#[derive(Debug, Clone, Default)]
pub struct RecordedReport {
    /// The project's slug; `None` for the default project.
    pub project: Option<String>,
    /// The kind of channel it came through, as typed: "chat", "pull-request", "phone", ...
    pub channel: String,
    /// When the reporter wrote, as typed: `2026-11-30T09:12:00Z`, or `2026-11-30 10:12` in the
    /// policy's time zone.
    pub received_at: String,
    /// The form's fields, scope, contact and credit, as the reporter gave them.
    pub submission: Submission,
    /// Files the reporter sent.
    pub uploads: Vec<Upload>,
    /// Whether the reporter is handed a case key to follow the report on /track.
    pub give_case_key: bool,
}

/// A recorded report, as stored.
#[derive(Debug)]
pub struct Recorded {
    /// The report's id.
    pub id: ReportId,
    /// The case key to hand to the reporter, shown once; `None` when none was asked for.
    pub case_key: Option<CaseKey>,
    /// The project's slug.
    pub project: String,
    /// The channel it came through.
    pub channel: ChannelKind,
    /// When the reporter wrote: every clock starts here.
    pub received_at: Timestamp,
    /// The promises' clocks, as started at that receipt.
    pub clocks: Clocks,
}

impl App {
    /// Records a report that came through one of the channels the project's policy names
    /// other than Postern's form, received when the reporter wrote (not in the future, at most
    /// `core::recorded::RECEIVED_DAYS_MAX` days back), with the clocks the policy starts then.
    /// Triagers and admins of the project only. Every problem is reported at once, each by its
    /// field (`project`, `channel`, `received_at`, the form's fields, `contact_email`, ...).
    pub async fn record_report(
        &self,
        actor: &Actor,
        report: RecordedReport,
    ) -> Result<Recorded, Error> {
        actor.require(Role::Triager)?;
        let project = match report.project.as_deref().map(str::trim) {
            None | Some("") => self.projects().default_project(),
            Some(slug) => self
                .project(slug)
                .filter(|p| actor.can_see(p.slug()))
                .ok_or_else(|| {
                    let yours: Vec<&str> = self
                        .projects()
                        .slugs()
                        .into_iter()
                        .filter(|s| actor.can_see(s))
                        .collect();
                    Error::field(
                        "project",
                        format!(
                            "no project \"{slug}\" that you may work on; yours: {}",
                            yours.join(", ")
                        ),
                    )
                })?,
        };
        actor.check_sees(project.slug())?;
        let policy = &project.policy;
        let now = self.now();
        let mut errors: Vec<FieldError> = Vec::new();
        let mut problem = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.to_owned(),
                message,
            })
        };
        let channel = postern_core::recorded::channel(policy, &report.channel)
            .map_err(|m| problem("channel", m))
            .ok();
        let received_at = postern_core::recorded::received_at(policy, &report.received_at, now)
            .map_err(|m| problem("received_at", m))
            .ok();
        // Notices to the reporter's address point to /track and their case key; without one
        // they would lead nowhere. By mail, the conversation goes by mail and needs no key.
        let contact = report
            .submission
            .contact_email
            .as_deref()
            .is_some_and(|e| !e.trim().is_empty());
        if contact && !report.give_case_key && channel != Some(ChannelKind::Email) {
            problem(
                "contact_email",
                "news mailed to this address would ask for a case key the reporter was never given: hand them one, or leave the address out and keep talking through the channel they used".into(),
            );
        }
        let valid = validate_recorded(policy, report.submission)
            .map_err(|e| errors.extend(e))
            .ok();
        let attachments = crate::intake::attachments(report.uploads)
            .map_err(|e| errors.extend(e))
            .ok();
        let (Some(channel), Some(received_at), Some(valid), Some(attachments), true) =
            (channel, received_at, valid, attachments, errors.is_empty())
        else {
            return Err(Error::Invalid(errors));
        };
        let clocks = Case::received(policy, received_at).clocks;
        let recording = Recording {
            project: project.slug(),
            channel,
            received_at,
            recorded_by: actor.name(),
            recorded_at: now,
            give_case_key: report.give_case_key,
        };
        let (id, case_key) = self
            .store()
            .record_report(&recording, &valid, &attachments, &clocks)
            .await
            .map_err(|e| match e {
                postern_store::StoreError::Limit(m) => Error::field("attachments", m),
                other => other.into(),
            })?;
        Ok(Recorded {
            id,
            case_key,
            project: project.slug().to_owned(),
            channel,
            received_at,
            clocks,
        })
    }
}
