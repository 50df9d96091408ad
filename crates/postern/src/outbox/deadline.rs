//! Deadline watches (`team.deadline`): the reminders due now, to the team (or, once a limit has
//! passed, to the admins), as one mail per address, and the watch for the next reminder. A
//! watch written for an older version of the case ends its chain: the change that made the
//! newer version wrote a newer watch.
//!
//! Findings' fix deadlines are watched by the use case `App::look_at_finding_clocks` (a look
//! every minute, which enqueues its notices with its record of how far it looked); their mail
//! is delivered here (`deliver_findings`).

use jiff::{SignedDuration, Timestamp};
use postern_core::clock::{Clocks, Reminder, due_reminder};
use postern_core::report::ReportId;
use postern_store::jobs::{
    DEADLINE_MISSED, DEADLINE_REMINDER, DeadlineWatch, Delivery, Failure, FindingsMail, Job,
    JobKind, NewJob, Recipient, next_reminder_of,
};

use super::context::{NO_TRANSPORT, Outbox, Outcome, transient};
use crate::notices::{FindingsNotice, findings_notice};

/// One notice about a project's findings (deadlines near or missed, accepted risks expired),
/// to one member.
pub async fn deliver_findings(
    outbox: &Outbox,
    job: &Job,
    mail: &FindingsMail,
) -> Result<Outcome, Failure> {
    let Some(mailer) = &outbox.mailer else {
        return Ok(Outcome::skipped(NO_TRANSPORT));
    };
    let Some(notice) = FindingsNotice::of(&mail.findings_notice) else {
        return Ok(Outcome::skipped("skipped: no notice for this event"));
    };
    let notice = findings_notice(
        notice,
        &mail.note,
        outbox.project_name(&job.project),
        &job.project,
        &outbox.links,
    )
    .map_err(|e| Failure::Permanent(format!("cannot write the notice: {e}")))?;
    mailer.send(&job.id, &mail.email, &notice).await?;
    Ok(Outcome::done())
}

/// One mail per address about the watch `job` (a reminder about the promise `tag`), with
/// `note` as its words.
pub fn notices(
    job: &Job,
    event: &'static str,
    tag: &str,
    addresses: &[String],
    note: &str,
    now: Timestamp,
) -> Vec<NewJob> {
    addresses
        .iter()
        .map(|email| {
            let recipient = Recipient::Team {
                email: email.clone(),
            };
            let dedupe_key = format!("{}:{tag}:mail:{}", job.id, recipient.key());
            NewJob::new(
                JobKind::Mail,
                &job.project,
                job.report_id.as_deref(),
                &Delivery {
                    event: event.to_owned(),
                    recipient,
                    note: Some(note.to_owned()),
                    messages: Vec::new(),
                },
                dedupe_key,
                now,
            )
        })
        .collect()
}

/// The watch after `job`: reminders due up to `since` (this run's moment) are handled; due at
/// the next reminder of the report's running promises, if any.
pub fn next_watch(
    job: &Job,
    watch: &DeadlineWatch,
    clocks: &Clocks,
    leads: &[SignedDuration],
    since: Timestamp,
) -> Option<NewJob> {
    let at = next_reminder_of(clocks, leads, since)?;
    Some(NewJob::new(
        JobKind::DeadlineWatch,
        &job.project,
        job.report_id.as_deref(),
        &DeadlineWatch {
            version: watch.version,
            since: since.as_millisecond(),
        },
        format!("{}:next:{}", job.id, at.as_millisecond()),
        at,
    ))
}

/// Runs a watch: the reminders due, and the next watch.
pub async fn run(
    outbox: &Outbox,
    job: &Job,
    report: &ReportId,
    watch: &DeadlineWatch,
    now: Timestamp,
) -> Result<Outcome, Failure> {
    let row = match outbox.store.case_row(report).await {
        Ok(row) => row,
        Err(postern_store::StoreError::NotFound) => {
            return Ok(Outcome::skipped("skipped: the report is gone"));
        }
        Err(e) => return Err(transient(e)),
    };
    if row.version != watch.version {
        return Ok(Outcome::skipped(
            "skipped: the case changed; a newer watch took over",
        ));
    }
    let since = Timestamp::from_millisecond(watch.since).unwrap_or(row.received_at);
    let leads = &outbox.reminder_leads;
    let mut follow_ups = Vec::new();
    if outbox.mailer.is_some() {
        for clock in &row.case.clocks.0 {
            let Some(reminder) = due_reminder(clock, leads, since, now) else {
                continue;
            };
            // Only a timed clock has reminders.
            let Some(limit) = clock.limit_at() else {
                continue;
            };
            let limit = limit.strftime("%Y-%m-%d %H:%M UTC");
            let what = clock.kind.describe();
            let (event, addresses, note) = match reminder {
                Reminder::Before(_) => (
                    DEADLINE_REMINDER,
                    outbox.store.notified_members(&job.project).await,
                    format!(
                        "the promise to {what} ({}) is due by {limit}.",
                        clock.promised
                    ),
                ),
                Reminder::Missed => (
                    DEADLINE_MISSED,
                    outbox.store.notified_admins(&job.project).await,
                    format!(
                        "the promise to {what} ({}) was due by {limit} and has been missed.",
                        clock.promised
                    ),
                ),
            };
            let addresses = addresses.map_err(transient)?;
            let tag = format!(
                "{}-{}",
                clock.kind.name(),
                clock.started_at.as_millisecond()
            );
            follow_ups.extend(notices(job, event, &tag, &addresses, &note, now));
        }
    }
    let handled = now.max(since);
    follow_ups.extend(next_watch(job, watch, &row.case.clocks, leads, handled));
    Ok(Outcome {
        note: None,
        follow_ups,
    })
}
