//! Mail to a project's lists, run by the outbox: the confirmation a subscriber asked for, a
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
use postern_core::policy::Severity;
use postern_store::jobs::{ADVISORY_EARLY_ACCESS, ADVISORY_PUBLISHED, Failure, Job, NewJob};
use postern_store::subscriptions::{AdvisoryEvent, ListMail, list_deliveries};

use crate::mail::{Mailer, Notice, escape};
use crate::outbox::{NO_TRANSPORT, Outbox};

fn transient(error: impl std::fmt::Display) -> Failure {
    Failure::Transient(error.to_string())
}

/// Expands an advisory event into one mail per recipient: `None` for other jobs. Returns the
/// note (why it was skipped) and the deliveries.
pub async fn expand(
    outbox: &Outbox,
    job: &Job,
    now: Timestamp,
) -> Option<Result<(Option<&'static str>, Vec<NewJob>), Failure>> {
    if !matches!(
        job.kind.as_str(),
        ADVISORY_PUBLISHED | ADVISORY_EARLY_ACCESS
    ) {
        return None;
    }
    Some(expand_event(outbox, job, now).await)
}

async fn expand_event(
    outbox: &Outbox,
    job: &Job,
    now: Timestamp,
) -> Result<(Option<&'static str>, Vec<NewJob>), Failure> {
    if outbox.mailer.is_none() {
        return Ok((Some(NO_TRANSPORT), Vec::new()));
    }
    let event = AdvisoryEvent::of(job)
        .ok_or_else(|| Failure::Permanent("the job's payload is not readable".into()))?;
    let recipients = if job.kind == ADVISORY_PUBLISHED {
        outbox
            .store
            .confirmed_subscribers(&job.project)
            .await
            .map_err(transient)?
    } else {
        if !still_embargoed(outbox, &event.advisory, event.publish_at).await? {
            return Ok((
                Some("skipped: the advisory was published or rescheduled"),
                Vec::new(),
            ));
        }
        outbox
            .store
            .early_access_ids(&job.project)
            .await
            .map_err(transient)?
    };
    Ok((None, list_deliveries(job, &recipients, now)))
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

/// Sends one list mail: `None` for other jobs. `Ok(Some(note))` when it was skipped.
pub async fn deliver(
    outbox: &Outbox,
    mailer: &Mailer,
    job: &Job,
) -> Option<Result<Option<&'static str>, Failure>> {
    let mail = ListMail::of(job)?;
    Some(deliver_mail(outbox, mailer, job, mail).await)
}

async fn deliver_mail(
    outbox: &Outbox,
    mailer: &Mailer,
    job: &Job,
    mail: ListMail,
) -> Result<Option<&'static str>, Failure> {
    let store = &outbox.store;
    let base = outbox.links.public_url.as_str();
    let project = outbox
        .project_names
        .get(&job.project)
        .map_or(job.project.as_str(), String::as_str);
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
            let notice = confirm_notice(project, &format!("{base}/subscriptions/confirm/{token}"));
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
            let notice = advisory_notice(project, &advisory, base, &unsubscribe);
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
            let notice = early_access_notice(project, &stored.advisory, at, member.name.as_deref());
            mailer.send(&job.id, &member.email, &notice).await?;
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

/// Plain text and the same words as HTML paragraphs (each line of `lines` a paragraph; a line
/// that is a URL becomes a link).
fn notice(subject: String, lines: &[String], footer: &str) -> Notice {
    let text = format!("{}\n\n-- \n{footer}\n", lines.join("\n\n"));
    let mut html = String::from("<!DOCTYPE html>\n<html><body>\n");
    for line in lines {
        if line.starts_with("https://") || line.starts_with("http://") {
            html.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>\n",
                escape(line),
                escape(line)
            ));
        } else {
            html.push_str(&format!(
                "<p>{}</p>\n",
                escape(line).replace('\n', "<br>\n")
            ));
        }
    }
    html.push_str(&format!(
        "<p style=\"color:#555\">{}</p>\n</body></html>\n",
        escape(footer).replace('\n', "<br>\n")
    ));
    Notice {
        subject,
        text,
        html,
    }
}

/// "Confirm your subscription": the link opens a page whose button confirms.
pub fn confirm_notice(project: &str, link: &str) -> Notice {
    notice(
        format!("[{project}] Confirm your subscription to security advisories"),
        &[
            format!(
                "Someone, probably you, asked to get the security advisories of {project} by email at this address."
            ),
            "To confirm, open this link and press the button on the page:".into(),
            link.to_owned(),
            "If you did not ask for this, ignore this mail: nothing more will be sent, and the request expires in 7 days.".into(),
        ],
        "Sent automatically by Postern.",
    )
}

fn severity(advisory: &Advisory) -> &'static str {
    advisory.severity.map_or("not rated", Severity::title)
}

/// A published advisory, to a subscriber: published data only, and the unsubscribe link.
pub fn advisory_notice(
    project: &str,
    advisory: &Advisory,
    base: &str,
    unsubscribe: &str,
) -> Notice {
    notice(
        format!(
            "[{project}] Security advisory {}: {} ({})",
            advisory.id,
            advisory.title,
            severity(advisory)
        ),
        &[
            format!("{}: {}", advisory.id, advisory.title),
            format!("Severity: {}", severity(advisory)),
            advisory.summary.clone(),
            "Read the advisory:".into(),
            format!("{base}/advisories/{}", advisory.id),
        ],
        &format!(
            "You get this mail because you subscribed to the security advisories of {project}.\nUnsubscribe: {unsubscribe}"
        ),
    )
}

/// Affected and fixed versions, one line per package.
fn versions(advisory: &Advisory) -> (Vec<String>, Vec<String>) {
    let mut affected = Vec::new();
    let mut fixed = Vec::new();
    for p in &advisory.affected {
        let mut ranges: Vec<String> = p
            .ranges
            .iter()
            .map(|r| match (&r.fixed, &r.last_affected) {
                (Some(f), _) if r.introduced == "0" => format!("< {f}"),
                (Some(f), _) => format!(">= {}, < {f}", r.introduced),
                (None, Some(l)) if r.introduced == "0" => format!("<= {l}"),
                (None, Some(l)) => format!(">= {}, <= {l}", r.introduced),
                (None, None) => format!(">= {}", r.introduced),
            })
            .collect();
        ranges.extend(p.versions.iter().cloned());
        affected.push(format!(
            "{} ({}): {}",
            p.package,
            p.ecosystem,
            ranges.join("; ")
        ));
        let fixes: Vec<&str> = p.ranges.iter().filter_map(|r| r.fixed.as_deref()).collect();
        fixed.push(format!(
            "{} ({}): {}",
            p.package,
            p.ecosystem,
            if fixes.is_empty() {
                "no fix yet".to_owned()
            } else {
                fixes.join(", ")
            }
        ));
    }
    (affected, fixed)
}

/// An embargoed advisory, to the early-access list, before its publication.
pub fn early_access_notice(
    project: &str,
    advisory: &Advisory,
    publish_at: Timestamp,
    name: Option<&str>,
) -> Notice {
    let until = publish_at.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let (affected, fixed) = versions(advisory);
    let none = || "none listed".to_owned();
    notice(
        format!(
            "[{project}] EMBARGOED until {until}: {} {}",
            advisory.id, advisory.title
        ),
        &[
            format!(
                "EMBARGOED until {until}. This advisory is not public. Do not publish it, share it beyond your team, or ship anything that reveals it before then."
            ),
            format!(
                "{}you receive it early as a member of the early-access list of {project}. It will be published on {until}.",
                name.map_or(String::new(), |n| format!("{n}: "))
            ),
            format!("{}: {}", advisory.id, advisory.title),
            format!("Severity: {}", severity(advisory)),
            advisory.summary.clone(),
            format!(
                "Affected versions:\n{}",
                if affected.is_empty() {
                    none()
                } else {
                    affected.join("\n")
                }
            ),
            format!(
                "Fixed versions:\n{}",
                if fixed.is_empty() {
                    none()
                } else {
                    fixed.join("\n")
                }
            ),
            format!("Planned publication: {until}"),
        ],
        "Sent automatically by Postern. Ask the project's security team to be removed from the early-access list.",
    )
}
