//! Mail to a project's lists, run by the outbox (advisory events, their fan-out, and the
//! list mails): the confirmation a subscriber asked for, a
//! published advisory to every confirmed subscriber (with RFC 8058 one-click unsubscribe), and
//! an embargoed advisory to the early-access list before publication.
//!
//! Payloads hold ids only: the address is decrypted, and the token derived, when the mail is
//! written. A mail whose reason has gone (unsubscribed, confirmed meanwhile, a newer request,
//! an advisory published early or rescheduled) is skipped with a note, not sent.
//!
//! Early-access mail is plain text + HTML, not OpenPGP-encrypted: recipients are vetted teams
//! that the administrator adds by hand, and the mail travels as the server's other mail does
//! (STARTTLS or TLS to the relay). It says "EMBARGOED until ..." in its subject and first line.

use jiff::Timestamp;
use postern_core::advisory::Advisory;
use postern_store::jobs::{Failure, Job, JobKind, ListMail, NewJob};

use super::context::{NO_TRANSPORT, Outbox, Outcome, transient};
use crate::mail::Mailer;
use crate::notices::{advisory_notice, confirm_notice, early_access_notice};

/// Which advisory event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvisoryNews {
    /// Published: to the confirmed subscribers.
    Published,
    /// Embargoed, due to the early-access list before this publication (unix ms).
    EarlyAccess {
        /// The publication it announces.
        publish_at: i64,
    },
}

/// The deliveries an advisory event fans out to: one `mail` job per recipient (subscriber ids
/// for a publication, early-access ids for early access). A publication's dedupe key names the
/// advisory and the subscriber, so a retried expansion, a second instance or a second event
/// never mails anyone twice about one advisory.
pub fn fan_out(
    job: &Job,
    advisory: &str,
    news: AdvisoryNews,
    recipients: &[String],
    now: Timestamp,
) -> Vec<NewJob> {
    recipients
        .iter()
        .map(|recipient| {
            let (payload, dedupe_key) = match news {
                AdvisoryNews::EarlyAccess { publish_at } => (
                    ListMail::EarlyAccess {
                        member: recipient.clone(),
                        advisory: advisory.to_owned(),
                        publish_at,
                    },
                    format!("{}:mail:early-{recipient}", job.id),
                ),
                AdvisoryNews::Published => (
                    ListMail::Advisory {
                        subscriber: recipient.clone(),
                        advisory: advisory.to_owned(),
                    },
                    format!("advisory:{advisory}:mail:subscriber-{recipient}"),
                ),
            };
            NewJob::new(JobKind::Mail, &job.project, None, &payload, dedupe_key, now)
        })
        .collect()
}

/// Expands an advisory event into one mail per recipient.
pub async fn expand(
    outbox: &Outbox,
    job: &Job,
    advisory: &str,
    news: AdvisoryNews,
    now: Timestamp,
) -> Result<Outcome, Failure> {
    if outbox.mailer.is_none() {
        return Ok(Outcome::skipped(NO_TRANSPORT));
    }
    let recipients = match news {
        AdvisoryNews::Published => outbox
            .store
            .confirmed_subscribers(&job.project)
            .await
            .map_err(transient)?,
        AdvisoryNews::EarlyAccess { publish_at } => {
            if !still_embargoed(outbox, advisory, Some(publish_at)).await? {
                return Ok(Outcome::skipped(
                    "skipped: the advisory was published or rescheduled",
                ));
            }
            outbox
                .store
                .early_access_ids(&job.project)
                .await
                .map_err(transient)?
        }
    };
    Ok(Outcome {
        note: None,
        follow_ups: fan_out(job, advisory, news, &recipients, now),
    })
}

/// Whether the advisory is unpublished and still scheduled for `publish_at` (unix ms).
async fn still_embargoed(
    outbox: &Outbox,
    advisory: &str,
    publish_at: Option<i64>,
) -> Result<bool, Failure> {
    let Some(id) = postern_core::advisory::AdvisoryId::parse(advisory) else {
        return Ok(false);
    };
    let Some(stored) = outbox.store.advisory(&id).await.map_err(transient)? else {
        return Ok(false);
    };
    let schedule = outbox
        .store
        .advisory_schedule(&id)
        .await
        .map_err(transient)?;
    Ok(stored.published_at.is_none()
        && schedule.map(Timestamp::as_millisecond) == publish_at
        && publish_at.is_some())
}

/// Sends one list mail; a mail whose reason has gone is skipped with a note.
pub async fn deliver(outbox: &Outbox, job: &Job, mail: ListMail) -> Result<Outcome, Failure> {
    let Some(mailer) = &outbox.mailer else {
        return Ok(Outcome::skipped(NO_TRANSPORT));
    };
    Ok(match send(outbox, mailer, job, mail).await? {
        Some(note) => Outcome::skipped(note),
        None => Outcome::done(),
    })
}

async fn send(
    outbox: &Outbox,
    mailer: &Mailer,
    job: &Job,
    mail: ListMail,
) -> Result<Option<&'static str>, Failure> {
    let store = &outbox.store;
    let base = outbox.links.public_url.as_str();
    let project = outbox.project_name(&job.project);
    let unwritable = |e: askama::Error| Failure::Permanent(format!("cannot write the mail: {e}"));
    match mail {
        ListMail::Confirm {
            subscriber,
            requested_at,
        } => {
            let Some(contact) = store
                .subscriber_contact(&subscriber)
                .await
                .map_err(transient)?
            else {
                return Ok(Some("skipped: the request expired"));
            };
            if contact.confirmed {
                return Ok(Some("skipped: confirmed already"));
            }
            if contact.requested_at.as_millisecond() != requested_at {
                return Ok(Some("skipped: a newer request replaced it"));
            }
            let token = store.confirm_token(&subscriber, contact.requested_at);
            let notice = confirm_notice(project, &format!("{base}/subscriptions/confirm/{token}"))
                .map_err(unwritable)?;
            mailer.send(&job.id, &contact.email, &notice).await?;
        }
        ListMail::Advisory {
            subscriber,
            advisory,
        } => {
            let Some(contact) = store
                .subscriber_contact(&subscriber)
                .await
                .map_err(transient)?
                .filter(|c| c.confirmed)
            else {
                return Ok(Some("skipped: unsubscribed"));
            };
            let Some(advisory) = published(outbox, &advisory).await? else {
                return Ok(Some("skipped: the advisory is not published"));
            };
            let unsubscribe = format!(
                "{base}/unsubscribe/{}",
                store.unsubscribe_token(&contact.id)
            );
            let notice =
                advisory_notice(project, &advisory, base, &unsubscribe).map_err(unwritable)?;
            mailer
                .send_to_list(&job.id, &contact.email, &notice, Some(&unsubscribe))
                .await?;
        }
        ListMail::EarlyAccess {
            member,
            advisory,
            publish_at,
        } => {
            if !still_embargoed(outbox, &advisory, Some(publish_at)).await? {
                return Ok(Some("skipped: the advisory was published or rescheduled"));
            }
            let Some(member) = store
                .early_access_member(&member)
                .await
                .map_err(transient)?
            else {
                return Ok(Some("skipped: removed from the early-access list"));
            };
            let id = postern_core::advisory::AdvisoryId::parse(&advisory)
                .ok_or_else(|| Failure::Permanent("the advisory id is not readable".into()))?;
            let Some(stored) = store.advisory(&id).await.map_err(transient)? else {
                return Ok(Some("skipped: the advisory was deleted"));
            };
            let at = Timestamp::from_millisecond(publish_at)
                .map_err(|_| Failure::Permanent("the publication date is not readable".into()))?;
            let notice = early_access_notice(project, &stored.advisory, at, member.name.as_deref())
                .map_err(unwritable)?;
            mailer.send(&job.id, &member.email, &notice).await?;
        }
        ListMail::AuditCheckpoint {
            admin,
            events,
            head,
            at,
        } => {
            let checkpoint = postern_core::audit::Checkpoint {
                events,
                head: postern_store::backup::parse_head(&head)
                    .map_err(|e| Failure::Permanent(e.to_string()))?,
                at: Timestamp::from_millisecond(at).map_err(|_| {
                    Failure::Permanent("the checkpoint's time is not readable".into())
                })?,
            };
            let notice = crate::notices::checkpoint_notice(project, &checkpoint, base)
                .map_err(unwritable)?;
            mailer.send(&job.id, &admin, &notice).await?;
        }
    }
    Ok(None)
}

async fn published(outbox: &Outbox, id: &str) -> Result<Option<Advisory>, Failure> {
    let Some(id) = postern_core::advisory::AdvisoryId::parse(id) else {
        return Ok(None);
    };
    Ok(outbox
        .store
        .advisory(&id)
        .await
        .map_err(transient)?
        .filter(|s| s.published_at.is_some())
        .map(|s| s.advisory))
}

#[cfg(test)]
mod tests {
    use super::*;
    use postern_store::jobs::JobState;

    fn event(id: &str) -> Job {
        let at: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        Job {
            id: id.into(),
            kind: JobKind::AdvisoryPublished.name().into(),
            project: "acme".into(),
            report_id: None,
            payload: r#"{"advisory":"ACME-2026-0001"}"#.into(),
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
    fn a_publication_mails_each_subscriber_under_one_key_whichever_event_expands_it() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let who = ["s1".to_owned(), "s2".to_owned()];
        let once = fan_out(
            &event("e1"),
            "ACME-2026-0001",
            AdvisoryNews::Published,
            &who,
            now,
        );
        let other = fan_out(
            &event("e2"),
            "ACME-2026-0001",
            AdvisoryNews::Published,
            &who,
            now,
        );
        assert_eq!(once.len(), 2);
        assert_eq!(
            once.iter().map(|j| &j.dedupe_key).collect::<Vec<_>>(),
            other.iter().map(|j| &j.dedupe_key).collect::<Vec<_>>()
        );
        assert_eq!(
            once[0].dedupe_key,
            "advisory:ACME-2026-0001:mail:subscriber-s1"
        );
        let early = fan_out(
            &event("e3"),
            "ACME-2026-0001",
            AdvisoryNews::EarlyAccess { publish_at: 5 },
            &who,
            now,
        );
        assert_eq!(early[1].dedupe_key, "e3:mail:early-s2");
        assert!(
            early[1].payload.contains("\"publish_at\":5"),
            "{}",
            early[1].payload
        );
    }
}
