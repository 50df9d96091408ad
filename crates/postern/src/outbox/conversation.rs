//! Mail with a reporter who wrote by mail: the receipt, the team's messages themselves, and the
//! polite answer to a message filed as not a security report.
//!
//! Each goes from the project's security address (the first `email` channel of its policy),
//! threaded under the reporter's own message, with a Message-ID that carries the report's
//! thread tag (`postern.<report>.<tag>.<job>`): a reply that keeps the thread finds its report,
//! and no one can make a tag for another report without the keyring. The Message-ID is derived
//! from the job, so a mail sent again after a crash is the same mail.

use jiff::Timestamp;
use postern_app::mail::{THREAD_PREFIX, project_addresses};
use postern_core::report::ReportId;
use postern_store::jobs::{Delivery, Failure, Job};

use super::context::{NO_TRANSPORT, Outbox, Outcome, transient};
use crate::mail::{ConversationMail, Seal};
use crate::notices::{Conversation, ReportNotice, conversation_text};

/// "Re: " before a subject, once.
fn reply_subject(subject: &str, fallback: &str) -> String {
    let subject = subject.trim();
    if subject.is_empty() {
        return fallback.to_owned();
    }
    let lower = subject.to_lowercase();
    if lower.starts_with("re:") {
        subject.to_owned()
    } else {
        format!("Re: {subject}")
    }
}

/// A moment as the policy's readers read it: in its time zone.
fn local_time(policy: &postern_core::policy::Policy, at: Timestamp) -> String {
    let tz = jiff::tz::TimeZone::get(&policy.response.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    at.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string()
}

/// The receipt or the team's messages, to a reporter who wrote by mail.
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
    let Some(project) = outbox.projects.get(&job.project) else {
        return Ok(Outcome::skipped("skipped: the project is no longer served"));
    };
    let conversation = match ReportNotice::of(&delivery.event, false) {
        Some(ReportNotice::ReceiptToReporter) => {
            let case = outbox.store.case_row(report).await.map_err(transient)?;
            let deadlines = postern_app::intake::reporter_deadlines(
                &case.case.clocks,
                &project.policy,
                case.received_at,
            )
            .into_iter()
            .filter(|d| d.outcome.is_none())
            .map(|d| {
                // A promise with no set time reads in the policy's own words.
                let when = d.due.map_or(d.promised.clone(), |due| {
                    format!("by {}", local_time(&project.policy, due))
                });
                (d.what.to_owned(), when)
            })
            .collect();
            Conversation::Receipt {
                received: local_time(&project.policy, case.received_at),
                deadlines,
            }
        }
        Some(ReportNotice::NewsToReporter) => {
            let mut messages = Vec::new();
            for id in &delivery.messages {
                let body = match outbox.store.message_body(report, id).await {
                    Ok(body) => body,
                    // Erased with the report's contents meanwhile: nothing left to send.
                    Err(postern_store::StoreError::NotFound) => continue,
                    Err(e) => return Err(transient(e)),
                };
                messages.push(body.to_string());
            }
            if messages.is_empty() {
                return Ok(Outcome::skipped(
                    "skipped: nothing was written to the reporter",
                ));
            }
            Conversation::News { messages }
        }
        _ => return Ok(Outcome::skipped("skipped: no notice for this event")),
    };
    let Some(to) = outbox
        .store
        .reporter_contact(report, &job.id, "mailer", now)
        .await
        .map_err(transient)?
    else {
        return Ok(Outcome::skipped("skipped: the reporter left no address"));
    };
    let thread = outbox.store.mail_thread(report).await.map_err(transient)?;
    let name = &project.policy.project.name;
    let text = conversation_text(
        &conversation,
        name,
        report.as_str(),
        &outbox.links,
        project.slug(),
    )
    .map_err(|e| Failure::Permanent(format!("cannot write the mail: {e}")))?;
    let tag = outbox.store.mail_thread_tag(report);
    // From the address the reporter wrote to, while the policy still names it.
    let addresses = project_addresses(project);
    let from = thread
        .as_ref()
        .and_then(|t| t.address.clone())
        .filter(|a| addresses.contains(a))
        .or_else(|| addresses.first().cloned());
    let mail = ConversationMail {
        from,
        to,
        subject: reply_subject(
            thread.as_ref().map_or("", |t| t.subject.as_str()),
            &format!("Your security report to {name}"),
        ),
        text,
        message_id_local: format!("{THREAD_PREFIX}{report}.{tag}.{}", job.id),
        in_reply_to: thread.and_then(|t| t.message_id),
        automatic: matches!(conversation, Conversation::Receipt { .. }),
    };
    // A reporter who gave a key gets every mail sealed to it, signed by the project's key.
    let key = outbox
        .app
        .reporter_public_key(report)
        .await
        .map_err(transient)?;
    let seal = key.as_ref().map(|reader| Seal {
        app: &outbox.app,
        project: &job.project,
        reader,
    });
    mailer.send_conversation(&mail, seal).await?;
    Ok(Outcome::done())
}

/// The polite answer to a message filed as not a security report; the sender's address is
/// opened only now.
pub async fn screening_reply(outbox: &Outbox, job: &Job, item: &str) -> Result<Outcome, Failure> {
    let Some(mailer) = &outbox.mailer else {
        return Ok(Outcome::skipped(NO_TRANSPORT));
    };
    let Some(project) = outbox.projects.get(&job.project) else {
        return Ok(Outcome::skipped("skipped: the project is no longer served"));
    };
    let (found, _) = outbox
        .store
        .inbound_raw(item, "mailer", Timestamp::now())
        .await
        .map_err(transient)?;
    let Some(to) = found.summary.from.clone() else {
        return Ok(Outcome::skipped("skipped: the message has no sender"));
    };
    let name = &project.policy.project.name;
    let text = conversation_text(
        &Conversation::NotASecurityReport,
        name,
        "",
        &outbox.links,
        project.slug(),
    )
    .map_err(|e| Failure::Permanent(format!("cannot write the mail: {e}")))?;
    let addresses = project_addresses(project);
    let from = found
        .summary
        .to
        .clone()
        .filter(|a| addresses.contains(a))
        .or_else(|| addresses.first().cloned());
    let mail = ConversationMail {
        from,
        to,
        subject: reply_subject(&found.summary.subject, &format!("Your message to {name}")),
        text,
        message_id_local: format!("postern-reply.{}", job.id),
        in_reply_to: found.summary.message_id.clone(),
        automatic: true,
    };
    mailer.send_conversation(&mail, None).await?;
    Ok(Outcome::done())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_subject_says_re_once() {
        assert_eq!(reply_subject("XSS in login", "x"), "Re: XSS in login");
        assert_eq!(reply_subject("RE: XSS in login", "x"), "RE: XSS in login");
        assert_eq!(reply_subject("  ", "Your report"), "Your report");
    }
}
