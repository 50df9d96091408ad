//! Report events (`team.new_report`, `team.reporter_message`, `reporter.notice`): their fan-out
//! into one mail per recipient and one request per webhook that wants the event, and the
//! delivery of those mails.
//!
//! Each delivery's dedupe key names the event job and the recipient (`<event id>:mail:<who>`,
//! `<event id>:webhook:<webhook id>`), so expanding an event twice (a retry, a second instance)
//! inserts nothing new and nobody is told twice. Without a mail transport no mail is queued
//! (`NO_TRANSPORT`); the webhooks are told either way.

use std::collections::HashMap;

use jiff::Timestamp;
use postern_core::report::ReportId;
use postern_store::jobs::{Delivery, Failure, Job, JobKind, NewJob, Recipient, ReportEvent};
use postern_store::webhooks::Webhook;

use super::context::{NO_TRANSPORT, Outbox, Outcome, transient};
use crate::mail::Seal;
use crate::notices::{Contents, ReportNotice, contents_notice, report_notice};

/// Who is mailed about a report event: the team of its project and, for some, the reporter.
pub fn recipients(event: ReportEvent, team: &[String]) -> Vec<Recipient> {
    let members = team.iter().map(|email| Recipient::Team {
        email: email.clone(),
    });
    match event {
        ReportEvent::NewReport => members.chain([Recipient::Reporter]).collect(),
        ReportEvent::ReporterMessage => members.collect(),
        ReportEvent::CaseUpdate => vec![Recipient::Reporter],
    }
}

/// The mail deliveries of a report event, given its project's notified members.
pub fn mail_fan_out(
    job: &Job,
    event: ReportEvent,
    messages: &[String],
    team: &[String],
    now: Timestamp,
) -> Vec<NewJob> {
    recipients(event, team)
        .into_iter()
        .map(|recipient| {
            let dedupe_key = format!("{}:mail:{}", job.id, recipient.key());
            NewJob::new(
                JobKind::Mail,
                &job.project,
                job.report_id.as_deref(),
                &Delivery {
                    event: event.name().to_owned(),
                    // Named by id: a reporter who wrote by mail is sent the messages
                    // themselves, a member who set an OpenPGP key gets them encrypted.
                    messages: messages.to_vec(),
                    recipient,
                    note: None,
                },
                dedupe_key,
                now,
            )
        })
        .collect()
}

/// Why a report event is given up when no member can be told of it.
pub const NOBODY_TOLD: &str = postern_store::jobs::NOBODY_TOLD;

/// The team's addresses without the security mailboxes Postern reads: a notice sent there
/// would come back as mail to ingest.
pub fn without_ingested(
    team: Vec<String>,
    projects: &postern_core::project::Projects,
) -> Vec<String> {
    let ingested: Vec<String> = projects
        .all()
        .iter()
        .flat_map(postern_app::mail::project_addresses)
        .collect();
    team.into_iter()
        .filter(|member| !ingested.contains(&member.to_lowercase()))
        .collect()
}

/// Caches of one batch of events: the team's addresses and the webhooks, read once per project.
#[derive(Default)]
pub struct Caches {
    teams: HashMap<String, Vec<String>>,
    hooks: HashMap<String, Vec<Webhook>>,
}

/// A report event: one webhook delivery per webhook of its project that wants it, and one mail
/// per recipient (when mail is configured).
pub async fn expand(
    outbox: &Outbox,
    job: &Job,
    event: ReportEvent,
    messages: &[String],
    now: Timestamp,
    caches: &mut Caches,
) -> Result<Outcome, Failure> {
    if !caches.hooks.contains_key(&job.project) {
        let found = outbox
            .store
            .webhooks(Some(&job.project))
            .await
            .map_err(transient)?;
        caches.hooks.insert(job.project.clone(), found);
    }
    let hooks = caches
        .hooks
        .get(&job.project)
        .map_or(&[][..], Vec::as_slice);
    let mut follow_ups = crate::webhook::fan_out(job, event, hooks, now);
    if outbox.mailer.is_none() {
        return Ok(Outcome {
            note: Some(NO_TRANSPORT),
            follow_ups,
        });
    }
    if !caches.teams.contains_key(&job.project) {
        let team = outbox
            .store
            .notified_members(&job.project)
            .await
            .map_err(transient)?;
        caches.teams.insert(
            job.project.clone(),
            without_ingested(team, &outbox.projects),
        );
    }
    let team = caches
        .teams
        .get(&job.project)
        .map_or(&[][..], Vec::as_slice);
    let untold = team.is_empty() && follow_ups.is_empty() && event != ReportEvent::CaseUpdate;
    follow_ups.extend(mail_fan_out(job, event, messages, team, now));
    if untold {
        // Not done in silence: the note puts it on the admins' page (and their queue), where
        // it is told again once a member can be mailed; the reporter's receipt still goes.
        tracing::warn!(
            job = %job.id,
            project = %job.project,
            report = job.report_id.as_deref().unwrap_or("-"),
            "nobody was told of a report event: no team member of the project can be mailed and it has no webhook"
        );
    }
    Ok(Outcome {
        note: untold.then_some(NOBODY_TOLD),
        follow_ups,
    })
}

/// One mail about a report (an event's notice, or a deadline's reminder). The reporter's
/// address is decrypted only now, and never logged.
pub async fn deliver(
    outbox: &Outbox,
    job: &Job,
    report: &ReportId,
    delivery: &Delivery,
    now: Timestamp,
) -> Result<Outcome, Failure> {
    let Some(mailer) = &outbox.mailer else {
        return Ok(Outcome::skipped(NO_TRANSPORT));
    };
    let to_team = matches!(delivery.recipient, Recipient::Team { .. });
    if !to_team
        && outbox
            .store
            .report_channel(report)
            .await
            .map_err(transient)?
            == postern_core::policy::ChannelKind::Email.name()
    {
        return super::conversation::deliver(outbox, job, report, delivery, now).await;
    }
    let Some(which) = ReportNotice::of(&delivery.event, to_team) else {
        return Ok(Outcome::skipped("skipped: no notice for this event"));
    };
    if let Recipient::Team { email } = &delivery.recipient
        && matches!(
            which,
            ReportNotice::NewReportToTeam | ReportNotice::ReporterMessageToTeam
        )
        && let Some(key) = member_key(outbox, email).await?
    {
        let contents = contents(outbox, job, report, which, delivery, now).await?;
        let notice = contents_notice(
            which,
            outbox.project_name(&job.project),
            report.as_str(),
            &contents,
            &outbox.links,
            &postern_core::mail_crypto::spaced(key.fingerprint().as_str()),
        )
        .map_err(|e| Failure::Permanent(format!("cannot write the notice: {e}")))?;
        let seal = Seal {
            app: &outbox.app,
            project: &job.project,
            reader: &key,
        };
        mailer.send_sealed(&job.id, email, &notice, seal).await?;
        return Ok(Outcome::done());
    }
    let notice = report_notice(
        which,
        delivery.note.as_deref().unwrap_or_default(),
        outbox.project_name(&job.project),
        report.as_str(),
        &outbox.links,
    )
    .map_err(|e| Failure::Permanent(format!("cannot write the notice: {e}")))?;
    let to = match &delivery.recipient {
        Recipient::Team { email } => email.clone(),
        Recipient::Reporter => match outbox
            .store
            .reporter_contact(report, &job.id, "mailer", now)
            .await
            .map_err(transient)?
        {
            Some(contact) => contact,
            None => return Ok(Outcome::skipped("skipped: the reporter left no address")),
        },
    };
    // A reporter who gave a key gets every mail sealed to it, signed by the project's key.
    let key = match delivery.recipient {
        Recipient::Reporter => outbox
            .app
            .reporter_public_key(report)
            .await
            .map_err(transient)?,
        Recipient::Team { .. } => None,
    };
    match &key {
        Some(reader) => {
            let seal = Seal {
                app: &outbox.app,
                project: &job.project,
                reader,
            };
            mailer.send_sealed(&job.id, &to, &notice, seal).await?;
        }
        None => mailer.send(&job.id, &to, &notice).await?,
    }
    Ok(Outcome::done())
}

/// The public key a member set, by their account's address, if it can be used now.
async fn member_key(
    outbox: &Outbox,
    email: &str,
) -> Result<Option<postern_openpgp::PublicKey>, Failure> {
    let Some(user) = outbox.store.user_by_email(email).await.map_err(transient)? else {
        return Ok(None);
    };
    outbox
        .app
        .member_public_key(&user.id)
        .await
        .map_err(transient)
}

/// What a sealed notice to a member carries: the report's fields (a new report) or the
/// reporter's new messages, and the names of its files. Reading them is audited
/// (`report.viewed` by `mailer`) before anything is read, like every view of contents.
async fn contents(
    outbox: &Outbox,
    job: &Job,
    report: &ReportId,
    which: ReportNotice,
    delivery: &Delivery,
    now: Timestamp,
) -> Result<Contents, Failure> {
    let view = outbox
        .store
        .team_view(report, "mailer", now)
        .await
        .map_err(transient)?;
    let policy = outbox.projects.get(&job.project).map(|p| &p.policy);
    let label = |id: &str| {
        policy
            .and_then(|p| p.form.fields.iter().find(|f| f.id == id))
            .map_or(id.to_owned(), |f| f.label.clone())
    };
    let mut contents = Contents {
        attachments: view
            .attachments
            .iter()
            .map(|a| a.filename.clone())
            .collect(),
        ..Contents::default()
    };
    if which == ReportNotice::NewReportToTeam {
        contents.fields = view
            .submission
            .fields
            .iter()
            .map(|(id, value)| (label(id), value.clone()))
            .collect();
    } else {
        for id in &delivery.messages {
            match outbox.store.message_body(report, id).await {
                Ok(body) => contents.messages.push(body.to_string()),
                // Erased with the report's contents meanwhile.
                Err(postern_store::StoreError::NotFound) => {}
                Err(e) => return Err(transient(e)),
            }
        }
    }
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use postern_store::jobs::JobState;

    fn event_job(kind: ReportEvent) -> Job {
        let at: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        Job {
            id: "ev1".into(),
            kind: kind.name().into(),
            project: "acme".into(),
            report_id: Some(ReportId::from_random([3; 16]).to_string()),
            payload: "{}".into(),
            state: JobState::Running,
            attempts: 1,
            max_attempts: 12,
            run_at: at,
            last_error: None,
            created_at: at,
            done_at: None,
        }
    }

    #[test]
    fn each_event_mails_its_recipients_under_keys_that_name_event_and_recipient() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let team = ["alice@example.org".to_owned(), "bob@example.org".to_owned()];
        // (event, mails: two members, reporter)
        for (event, count, reporter) in [
            (ReportEvent::NewReport, 3, true),
            (ReportEvent::ReporterMessage, 2, false),
            (ReportEvent::CaseUpdate, 1, true),
        ] {
            let job = event_job(event);
            let mails = mail_fan_out(&job, event, &[], &team, now);
            assert_eq!(mails.len(), count, "{event:?}");
            let again = mail_fan_out(&job, event, &[], &team, now);
            assert_eq!(mails, again, "expanding again yields the same jobs");
            for mail in &mails {
                assert_eq!(mail.kind, JobKind::Mail);
                assert!(
                    mail.dedupe_key.starts_with("ev1:mail:"),
                    "{}",
                    mail.dedupe_key
                );
                assert!(
                    !mail.dedupe_key.contains("example.org"),
                    "no address in keys"
                );
                assert_eq!(mail.report_id, job.report_id);
            }
            assert_eq!(
                mails.iter().any(|m| m.dedupe_key == "ev1:mail:reporter"),
                reporter,
                "{event:?}"
            );
        }
    }

    #[test]
    fn team_notices_never_go_to_a_mailbox_postern_reads() {
        let text = include_str!("../../../../examples/policies/example.toml");
        let checked =
            postern_core::policy::parse_str(text, "2026-11-23T10:00:00Z".parse().unwrap());
        let projects = postern_core::project::Projects::new(vec![postern_core::project::Project {
            policy: checked.policy.unwrap(),
        }])
        .unwrap();
        let team = vec![
            "alice@example.org".to_owned(),
            "Security@Widgets.example.org".to_owned(),
        ];
        assert_eq!(
            without_ingested(team, &projects),
            vec!["alice@example.org".to_owned()]
        );
    }
}
