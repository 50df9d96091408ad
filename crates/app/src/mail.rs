//! The email channel's use cases: take one message from the mailbox (as a report, a reply in
//! its report's conversation, or an item for screening), and the team's decisions on what
//! waits in screening.
//!
//! Every entry point that receives mail (`postern mail ingest` on an MTA's pipe, the IMAP
//! fetcher of `serve`) calls `App::ingest_mail` and only translates its outcome.
//!
//! What becomes of a message, in order:
//! 1. seen before (same Message-ID and bytes): nothing new is stored (`Ingested::Again`);
//! 2. unreadable: kept raw for an admin (`ScreenReason::Unreadable`);
//! 3. sent automatically (a bounce, an auto-reply, list traffic, Postern's own mail): kept for
//!    screening and never answered, so no mail loop can start;
//! 4. encrypted with OpenPGP (PGP/MIME or inline) and not decryptable with the project's keys:
//!    kept sealed in screening with why (`mail_openpgp`); one that opens is read as what it
//!    decrypts to, from here on, its signature checked;
//! 5. a reply whose References carry a report's thread tag (an HMAC that cannot be made for
//!    another report): joins that report's conversation when it comes from the address the
//!    report came from, else waits in screening; a tag that does not verify never reaches a case;
//! 6. for no address any policy names: screening of the default project;
//! 7. more than `MAIL_PER_SENDER_PER_HOUR` from one sender: screening;
//! 8. otherwise a new report, its clocks started at the message's receipt.

use jiff::{SignedDuration, Timestamp};
use postern_core::case::Case;
use postern_core::intake::{FIELD_LINE_CHARS_MAX, FIELD_TEXT_BYTES_MAX, ValidSubmission};
use postern_core::policy::{ChannelKind, check_email};
use postern_core::project::Project;
use postern_core::report::ReportId;
use postern_core::role::Role;
use postern_mail::{Automated, Mail};
use postern_store::NewAttachment;
use postern_store::jobs::NewJob;
use postern_store::mail::{InboundRef, InboundState, MailSummary, NewInbound, ScreeningItem};
use zeroize::Zeroizing;

use crate::intake::{attachment, clean_filename};
use crate::{Actor, App, Error};

pub use postern_mail::MESSAGE_BYTES_MAX;

/// More messages than this from one address within an hour wait in screening.
pub const MAIL_PER_SENDER_PER_HOUR: i64 = 20;

/// Most files taken from one message (the rest stay in the original message).
pub const MAIL_ATTACHMENTS_MAX: usize = 10;

/// Items shown at once in the screening view.
pub const SCREENING_PAGE_MAX: i64 = 200;

/// The local part of every Message-ID Postern sends about a report starts so:
/// `postern.<report id>.<thread tag>.<job id>@<domain>`.
pub const THREAD_PREFIX: &str = "postern.";

/// Why a message waits for a person instead of becoming a report or a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenReason {
    /// The message could not be read as mail.
    Unreadable,
    /// It was sent to no address a policy names.
    UnknownAddress,
    /// A delivery failure report (RFC 3464).
    Bounce,
    /// An automatic reply (RFC 3834, vacation, out of office).
    AutoReply,
    /// Mailing-list or bulk mail.
    List,
    /// Postern's own outgoing mail came back.
    OwnMail,
    /// It answers a Postern mail whose thread tag does not verify.
    NoCase,
    /// It answers a report's mail, from another address than the report's.
    OtherSender,
    /// Its sender wrote more than `MAIL_PER_SENDER_PER_HOUR` messages in an hour.
    Flood,
    /// Its report's conversation is full.
    Full,
    /// It is larger than `MESSAGE_BYTES_MAX`: only its header was fetched.
    TooLarge,
    /// It is encrypted with OpenPGP and could not be decrypted: kept sealed as it came.
    Sealed,
}

impl ScreenReason {
    /// Every reason.
    pub const ALL: [ScreenReason; 12] = [
        ScreenReason::Unreadable,
        ScreenReason::UnknownAddress,
        ScreenReason::Bounce,
        ScreenReason::AutoReply,
        ScreenReason::List,
        ScreenReason::OwnMail,
        ScreenReason::NoCase,
        ScreenReason::OtherSender,
        ScreenReason::Flood,
        ScreenReason::Full,
        ScreenReason::TooLarge,
        ScreenReason::Sealed,
    ];

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            ScreenReason::Unreadable => "unreadable",
            ScreenReason::UnknownAddress => "unknown-address",
            ScreenReason::Bounce => "bounce",
            ScreenReason::AutoReply => "auto-reply",
            ScreenReason::List => "list",
            ScreenReason::OwnMail => "own-mail",
            ScreenReason::NoCase => "no-case",
            ScreenReason::OtherSender => "other-sender",
            ScreenReason::Flood => "flood",
            ScreenReason::Full => "full",
            ScreenReason::TooLarge => "too-large",
            ScreenReason::Sealed => "sealed",
        }
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Option<ScreenReason> {
        ScreenReason::ALL.into_iter().find(|r| r.name() == name)
    }

    /// One sentence for the team.
    pub fn describe(self) -> &'static str {
        match self {
            ScreenReason::Unreadable => {
                "This message could not be read as mail; download the original to see it."
            }
            ScreenReason::UnknownAddress => {
                "It was sent to an address that no project's policy names."
            }
            ScreenReason::Bounce => {
                "A delivery failure report: a mail Postern sent did not arrive."
            }
            ScreenReason::AutoReply => "An automatic reply (out of office, vacation).",
            ScreenReason::List => "Mailing-list or bulk mail.",
            ScreenReason::OwnMail => "Postern's own mail came back to the security address.",
            ScreenReason::NoCase => {
                "It answers a Postern mail, but its reference does not verify: it was not matched to any report."
            }
            ScreenReason::OtherSender => {
                "It answers a report's mail, but comes from another address than the report did."
            }
            ScreenReason::Flood => "Its sender sent many messages within an hour.",
            ScreenReason::Full => "Its report's conversation or attachments are at their limit.",
            ScreenReason::TooLarge => {
                "It is larger than Postern takes; only its header was fetched, and the message itself stays in the mailbox."
            }
            ScreenReason::Sealed => {
                "It is encrypted with OpenPGP and could not be decrypted (its notes say why); it is kept sealed as it came. Once the right key is imported (postern key openpgp import), making it a report decrypts it."
            }
        }
    }

    fn of(automated: &Automated) -> ScreenReason {
        match automated {
            Automated::Bounce => ScreenReason::Bounce,
            Automated::AutoReply => ScreenReason::AutoReply,
            Automated::List => ScreenReason::List,
            Automated::Postern => ScreenReason::OwnMail,
        }
    }
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// A new report, in the queue with its clocks.
    Report {
        /// The report.
        id: ReportId,
        /// Its project.
        project: String,
    },
    /// A reply, added to the report's conversation.
    Reply {
        /// The report.
        id: ReportId,
    },
    /// Kept for a person to decide on.
    Screened {
        /// The item's id.
        item: String,
        /// Why.
        reason: ScreenReason,
    },
    /// Stored before (the same message fetched again): nothing new.
    Again(InboundRef),
}

/// A message read, with what the team is shown of it and the files taken from it.
struct Reading {
    summary: MailSummary,
    body: String,
    files: Vec<NewAttachment>,
}

/// What a report or reply made from mail says and carries: the readable text (cut at the field
/// limit, the whole text then attached as `message.txt`), the files within the limits, and a
/// note for each thing left in the original message.
fn reading(mail: &Mail, noticed: &[String]) -> Reading {
    let mut notes = noticed.to_vec();
    let mut files = Vec::new();
    let mut body = mail.text.trim().to_owned();
    if mail.encrypted.is_some() && body.is_empty() {
        body = "This message arrived encrypted with OpenPGP; the encrypted part is attached as encrypted.asc.".into();
    }
    if body.is_empty() {
        body = "(The message has no text.)".into();
    }
    if body.len() > FIELD_TEXT_BYTES_MAX {
        let mut cut = FIELD_TEXT_BYTES_MAX - 200;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        files.push(attachment(
            "message.txt",
            Some("text/plain; charset=utf-8"),
            body.clone().into_bytes(),
        ));
        body.truncate(cut);
        body.push_str("\n\n[The message is longer than a report field holds; the whole text is attached as message.txt.]");
    }
    for a in &mail.attachments {
        let name = clean_filename(&a.name);
        if a.bytes.len() > postern_store::ATTACHMENT_BYTES_MAX {
            notes.push(format!(
                "{name} ({:.1} MiB) is over the {} MiB attachment limit; it stays in the original message.",
                a.bytes.len() as f64 / 1024.0 / 1024.0,
                postern_store::ATTACHMENT_BYTES_MAX / 1024 / 1024
            ));
        } else if files.len() >= MAIL_ATTACHMENTS_MAX {
            notes.push(format!(
                "{name} is beyond the first {MAIL_ATTACHMENTS_MAX} attachments; it stays in the original message."
            ));
        } else {
            files.push(attachment(&a.name, Some(&a.content_type), a.bytes.clone()));
        }
    }
    if mail.from_html {
        notes.push("The message was HTML only; it is shown as text.".into());
    }
    let summary = MailSummary {
        from: mail.from.as_ref().map(|m| m.address.clone()),
        from_name: mail.from.as_ref().and_then(|m| m.name.clone()),
        subject: mail.subject.clone(),
        text: body.clone(),
        message_id: mail.message_id.clone(),
        to: None,
        attachments: mail
            .attachments
            .iter()
            .map(|a| (clean_filename(&a.name), a.bytes.len() as u64))
            .collect(),
        notes: notes.clone(),
        openpgp: None,
    };
    if !notes.is_empty() {
        body.push_str("\n\n");
        for note in &notes {
            body.push_str("[Postern: ");
            body.push_str(note);
            body.push_str("]\n");
        }
        body = body.trim_end().to_owned();
    }
    Reading {
        summary,
        body,
        files,
    }
}

/// A report's fields from a message: the subject as its title, the text as its description,
/// the sender as its contact.
fn submission(mail: &Mail, body: &str) -> ValidSubmission {
    let subject: String = mail.subject.chars().take(FIELD_LINE_CHARS_MAX).collect();
    let title = if subject.trim().is_empty() {
        "(no subject)".to_owned()
    } else {
        subject
    };
    ValidSubmission {
        fields: vec![
            ("title".into(), title),
            ("description".into(), body.to_owned()),
        ],
        scope_category: None,
        contact_email: mail
            .from
            .as_ref()
            .map(|m| m.address.clone())
            .filter(|a| check_email(a).is_ok()),
        credit_name: None,
    }
}

/// The report a Message-ID of Postern's names, when its thread tag verifies.
fn thread_of(app: &App, message_id: &str) -> Option<Result<ReportId, ()>> {
    let local = message_id.split('@').next()?;
    let rest = local.strip_prefix(THREAD_PREFIX)?;
    let mut parts = rest.split('.');
    let (Some(report), Some(tag)) = (parts.next(), parts.next()) else {
        return Some(Err(()));
    };
    let Some(report) = ReportId::parse(report) else {
        return Some(Err(()));
    };
    if app.store().mail_thread_tag_matches(&report, tag) {
        Some(Ok(report))
    } else {
        Some(Err(()))
    }
}

/// The email addresses a project's policy names, lowercased.
pub fn project_addresses(project: &Project) -> Vec<String> {
    project
        .policy
        .channels
        .iter()
        .filter(|c| c.kind == ChannelKind::Email)
        .filter_map(|c| c.email.as_deref())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `recipient` is `address`, or `address` with a `+tag` (sub-addressing).
fn same_mailbox(recipient: &str, address: &str) -> bool {
    if recipient == address {
        return true;
    }
    let (Some((r_local, r_domain)), Some((a_local, a_domain))) =
        (recipient.rsplit_once('@'), address.rsplit_once('@'))
    else {
        return false;
    };
    r_domain == a_domain
        && r_local
            .split_once('+')
            .is_some_and(|(base, _)| base == a_local)
}

impl App {
    /// The project whose policy names one of the message's recipients (Delivered-To first),
    /// with the policy's address it was sent to.
    pub fn project_for_recipients(&self, recipients: &[String]) -> Option<(&Project, String)> {
        recipients.iter().find_map(|r| {
            let r = r.to_lowercase();
            self.projects().all().iter().find_map(|p| {
                project_addresses(p)
                    .into_iter()
                    .find(|a| same_mailbox(&r, a))
                    .map(|a| (p, a))
            })
        })
    }

    /// Takes one message from the mailbox (see the module's documentation for what becomes of
    /// it). `received_at` is when the mailbox got it, if known; the clocks of a report made from
    /// it start then (never later than now). Returns only once the outcome is durably stored;
    /// an `Error::Store` is worth a retry, an `Error::Refused` never is.
    pub async fn ingest_mail(
        &self,
        raw: &[u8],
        received_at: Option<Timestamp>,
    ) -> Result<Ingested, Error> {
        let result = self.ingest_mail_counted(raw, received_at).await;
        if result.is_err() {
            self.inner
                .ingest_errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        result
    }

    async fn ingest_mail_counted(
        &self,
        raw: &[u8],
        received_at: Option<Timestamp>,
    ) -> Result<Ingested, Error> {
        if raw.len() > postern_mail::MESSAGE_BYTES_MAX {
            return Err(Error::Refused(format!(
                "the message is {:.1} MiB; at most {} MiB is taken",
                raw.len() as f64 / 1024.0 / 1024.0,
                postern_mail::MESSAGE_BYTES_MAX / 1024 / 1024
            )));
        }
        let now = self.now();
        let received_at = received_at.map_or(now, |at| at.min(now));
        let parsed = postern_mail::read(raw);
        let message_id = parsed.as_ref().ok().and_then(|m| m.message_id.clone());
        let dedupe = self.store().mail_dedupe_key(message_id.as_deref(), raw);
        if let Some(seen) = self.store().inbound_by_dedupe(&dedupe).await? {
            return Ok(Ingested::Again(seen));
        }
        let default = self.projects().default_project().slug().to_owned();
        let mail = match parsed {
            Ok(mail) => mail,
            Err(why) => {
                let inbound = NewInbound {
                    dedupe,
                    project: default,
                    received_at,
                    sender_mac: None,
                    summary: MailSummary {
                        notes: vec![why.to_string()],
                        ..MailSummary::default()
                    },
                    raw: raw.to_vec(),
                };
                return self.screen(&inbound, ScreenReason::Unreadable, None).await;
            }
        };
        let sender = mail.from.as_ref().map(|m| m.address.clone());
        let routed = self.project_for_recipients(&mail.recipients);
        // A reference to one of Postern's mails decides the case, whatever else the message is.
        let mut thread: Option<Result<ReportId, ()>> = None;
        for id in mail.in_reply_to.iter().chain(&mail.references) {
            match thread_of(self, id) {
                Some(Ok(report)) => {
                    thread = Some(Ok(report));
                    break;
                }
                Some(Err(())) => thread = Some(Err(())),
                None => {}
            }
        }
        let report = thread.as_ref().and_then(|t| t.as_ref().ok()).cloned();
        let mut project_slug = routed
            .as_ref()
            .map_or(default, |(p, _)| p.slug().to_owned());
        if let Some(report) = &report {
            // A reply belongs to its report's project, whichever address it was sent to.
            if let Ok(row) = self.store().case_row(report).await {
                project_slug = row.project;
            }
        }
        let opened = self.open_mail(&project_slug, report.as_ref(), mail).await?;
        let mail = &opened.mail;
        let mut read = reading(mail, &opened.notes);
        read.summary.openpgp = Some(opened.crypto.clone());
        read.summary.to = routed.as_ref().map(|(_, address)| address.clone());
        let routed = routed.map(|(project, _)| project);
        let inbound = NewInbound {
            dedupe,
            project: project_slug,
            received_at,
            sender_mac: sender.as_deref().map(|a| self.store().mail_sender_mac(a)),
            summary: read.summary.clone(),
            raw: raw.to_vec(),
        };
        if let Some(automated) = &mail.automated {
            return self
                .screen(&inbound, ScreenReason::of(automated), report.as_ref())
                .await;
        }
        if opened.sealed() {
            return self
                .screen(&inbound, ScreenReason::Sealed, report.as_ref())
                .await;
        }
        match thread {
            Some(Ok(report)) => {
                let from_reporter = match (
                    &inbound.sender_mac,
                    self.store().report_sender_mac(&report).await?,
                ) {
                    (Some(a), Some(b)) => {
                        use subtle::ConstantTimeEq;
                        bool::from(a.ct_eq(&b))
                    }
                    _ => false,
                };
                if !from_reporter {
                    return self
                        .screen(&inbound, ScreenReason::OtherSender, Some(&report))
                        .await;
                }
                return match self
                    .store()
                    .add_mail_reply(&report, &read.body, &read.files, &inbound)
                    .await
                {
                    Ok(()) => Ok(Ingested::Reply { id: report }),
                    Err(postern_store::StoreError::Limit(_)) => {
                        self.screen(&inbound, ScreenReason::Full, Some(&report))
                            .await
                    }
                    Err(e) => Err(e.into()),
                };
            }
            Some(Err(())) => return self.screen(&inbound, ScreenReason::NoCase, None).await,
            None => {}
        }
        let Some(project) = routed else {
            return self
                .screen(&inbound, ScreenReason::UnknownAddress, None)
                .await;
        };
        if let Some(mac) = &inbound.sender_mac {
            let since = received_at - SignedDuration::from_hours(1);
            if self.store().mail_count_from(mac, since).await? >= MAIL_PER_SENDER_PER_HOUR {
                tracing::warn!(
                    project = project.slug(),
                    "a sender passed {MAIL_PER_SENDER_PER_HOUR} messages within an hour; their mail waits in screening"
                );
                return self.screen(&inbound, ScreenReason::Flood, None).await;
            }
        }
        let valid = submission(mail, &read.body);
        let clocks = Case::received(&project.policy, received_at).clocks;
        let arrival = opened.arrival();
        let id = self
            .store()
            .create_mail_report(&valid, &read.files, &clocks, &inbound, arrival.as_ref())
            .await?;
        Ok(Ingested::Report {
            id,
            project: project.slug().to_owned(),
        })
    }

    /// A message too large to take, of which only the header was fetched (`size` bytes in
    /// all): it waits in screening with its sender and subject, so that it is never dropped
    /// silently; the message stays in the mailbox.
    pub async fn ingest_oversized(
        &self,
        header: &[u8],
        size: u64,
        received_at: Option<Timestamp>,
    ) -> Result<Ingested, Error> {
        let now = self.now();
        let received_at = received_at.map_or(now, |at| at.min(now));
        let parsed = postern_mail::read(header).ok();
        let message_id = parsed.as_ref().and_then(|m| m.message_id.clone());
        let dedupe = self.store().mail_dedupe_key(message_id.as_deref(), header);
        if let Some(seen) = self.store().inbound_by_dedupe(&dedupe).await? {
            return Ok(Ingested::Again(seen));
        }
        let routed = parsed
            .as_ref()
            .and_then(|m| self.project_for_recipients(&m.recipients));
        let summary = MailSummary {
            from: parsed
                .as_ref()
                .and_then(|m| m.from.as_ref().map(|f| f.address.clone())),
            from_name: parsed
                .as_ref()
                .and_then(|m| m.from.as_ref().and_then(|f| f.name.clone())),
            subject: parsed
                .as_ref()
                .map(|m| m.subject.clone())
                .unwrap_or_default(),
            message_id,
            to: routed.as_ref().map(|(_, a)| a.clone()),
            notes: vec![format!(
                "The message is {:.1} MiB, over the {} MiB Postern takes; only its header was fetched. Ask the sender for smaller parts or a link.",
                size as f64 / 1024.0 / 1024.0,
                postern_mail::MESSAGE_BYTES_MAX / 1024 / 1024
            )],
            ..MailSummary::default()
        };
        let inbound = NewInbound {
            dedupe,
            project: routed.map_or_else(
                || self.projects().default_project().slug().to_owned(),
                |(p, _)| p.slug().to_owned(),
            ),
            received_at,
            sender_mac: summary
                .from
                .as_deref()
                .map(|a| self.store().mail_sender_mac(a)),
            summary,
            raw: header.to_vec(),
        };
        self.screen(&inbound, ScreenReason::TooLarge, None).await
    }

    async fn screen(
        &self,
        inbound: &NewInbound,
        reason: ScreenReason,
        report: Option<&ReportId>,
    ) -> Result<Ingested, Error> {
        tracing::info!(
            project = inbound.project.as_str(),
            reason = reason.name(),
            "a message waits in screening"
        );
        let item = self
            .store()
            .screen_mail(inbound, reason.name(), report)
            .await?;
        Ok(Ingested::Screened { item, reason })
    }

    /// The messages waiting in screening (or decided: `state`) of the projects `actor` sees,
    /// newest first, at most `SCREENING_PAGE_MAX`.
    pub async fn screening(
        &self,
        actor: &Actor,
        state: InboundState,
    ) -> Result<Vec<ScreeningItem>, Error> {
        self.screening_page(actor, state, SCREENING_PAGE_MAX).await
    }

    /// `screening`, at most `limit` of them.
    pub async fn screening_page(
        &self,
        actor: &Actor,
        state: InboundState,
        limit: i64,
    ) -> Result<Vec<ScreeningItem>, Error> {
        let items = self.store().screening(None, state, limit).await?;
        Ok(items
            .into_iter()
            .filter(|i| actor.can_see(&i.project))
            .collect())
    }

    /// One message of screening, opened for `actor` (audited).
    pub async fn screening_item(&self, actor: &Actor, id: &str) -> Result<ScreeningItem, Error> {
        let item = self
            .store()
            .screening_item(id, actor.name(), self.now())
            .await?;
        if !actor.can_see(&item.project) {
            return Err(Error::NotFound);
        }
        Ok(item)
    }

    /// The original message, for an admin to download (audited).
    pub async fn screening_original(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(ScreeningItem, Zeroizing<Vec<u8>>), Error> {
        actor.require(Role::Admin)?;
        let (item, raw) = self
            .store()
            .inbound_raw(id, actor.name(), self.now())
            .await?;
        if !actor.can_see(&item.project) {
            return Err(Error::NotFound);
        }
        Ok((item, raw))
    }

    /// Turns a message waiting in screening into a report of its project, received when the
    /// message was: its clocks start then, not now.
    pub async fn report_from_screening(&self, actor: &Actor, id: &str) -> Result<ReportId, Error> {
        actor.require(Role::Triager)?;
        let (item, raw) = self
            .store()
            .inbound_raw(id, actor.name(), self.now())
            .await?;
        actor.check_sees(&item.project)?;
        if item.state != InboundState::Screening {
            return Err(Error::Conflict(
                "this message was already decided on".into(),
            ));
        }
        let project = self.served(&item.project)?;
        let (valid, files, arrival, summary) = match postern_mail::read(&raw) {
            Ok(mail) => {
                // Opened again: a key imported since may decrypt what was sealed.
                let opened = self.open_mail(&item.project, None, mail).await?;
                let read = reading(&opened.mail, &opened.notes);
                let mut summary = read.summary;
                summary.openpgp = Some(opened.crypto.clone());
                summary.to = item.summary.to.clone();
                (
                    submission(&opened.mail, &read.body),
                    read.files,
                    opened.arrival(),
                    Some(summary),
                )
            }
            Err(why) => (
                ValidSubmission {
                    fields: vec![
                        ("title".into(), "(unreadable message)".into()),
                        (
                            "description".into(),
                            format!("{why}; the original message is attached as message.eml."),
                        ),
                    ],
                    scope_category: None,
                    contact_email: None,
                    credit_name: None,
                },
                if raw.len() <= postern_store::ATTACHMENT_BYTES_MAX {
                    vec![attachment(
                        "message.eml",
                        Some("message/rfc822"),
                        raw.to_vec(),
                    )]
                } else {
                    Vec::new()
                },
                None,
                None,
            ),
        };
        let clocks = Case::received(&project.policy, item.received_at).clocks;
        match self
            .store()
            .report_from_screening(
                &item,
                postern_store::mail::FromScreening {
                    submission: &valid,
                    attachments: &files,
                    clocks: &clocks,
                    summary: summary.as_ref(),
                    arrival: arrival.as_ref(),
                },
                actor.name(),
                self.now(),
            )
            .await
        {
            Ok(id) => Ok(id),
            Err(postern_store::StoreError::Conflict(m)) => Err(Error::Conflict(m)),
            Err(e) => Err(e.into()),
        }
    }

    /// Files a message as not a security report; with `reply`, its sender is sent the polite
    /// answer of `templates/mail` (never to an automated message, so no loop can start).
    pub async fn file_screening(&self, actor: &Actor, id: &str, reply: bool) -> Result<(), Error> {
        self.decide(actor, id, InboundState::Filed, reply).await
    }

    /// Discards a message as spam; nobody is answered.
    pub async fn discard_screening(&self, actor: &Actor, id: &str) -> Result<(), Error> {
        self.decide(actor, id, InboundState::Discarded, false).await
    }

    async fn decide(
        &self,
        actor: &Actor,
        id: &str,
        state: InboundState,
        reply: bool,
    ) -> Result<(), Error> {
        actor.require(Role::Triager)?;
        let now = self.now();
        let item = self.store().screening_item(id, actor.name(), now).await?;
        actor.check_sees(&item.project)?;
        if item.state != InboundState::Screening {
            return Err(Error::Conflict(
                "this message was already decided on".into(),
            ));
        }
        let answerable = ScreenReason::parse(&item.reason).is_none_or(|r| {
            !matches!(
                r,
                ScreenReason::Bounce
                    | ScreenReason::AutoReply
                    | ScreenReason::List
                    | ScreenReason::OwnMail
                    | ScreenReason::Unreadable
                    | ScreenReason::Flood
            )
        });
        if reply && !answerable {
            return Err(Error::field(
                "reply",
                "this message was sent automatically (or in a flood); it is never answered, so that no mail loop can start",
            ));
        }
        if reply && item.summary.from.is_none() {
            return Err(Error::field(
                "reply",
                "this message has no sender to answer",
            ));
        }
        let jobs = if reply {
            vec![NewJob::screening_reply(&item.project, &item.id, now)]
        } else {
            Vec::new()
        };
        match self
            .store()
            .decide_screening(id, state, actor.name(), now, jobs)
            .await
        {
            Ok(()) => Ok(()),
            Err(postern_store::StoreError::Conflict(m)) => Err(Error::Conflict(m)),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_addressing_reaches_the_same_mailbox_and_nothing_else_does() {
        assert!(same_mailbox("security@example.org", "security@example.org"));
        assert!(same_mailbox(
            "security+pgp@example.org",
            "security@example.org"
        ));
        assert!(!same_mailbox(
            "security@example.net",
            "security@example.org"
        ));
        assert!(!same_mailbox(
            "securityx@example.org",
            "security@example.org"
        ));
        assert!(!same_mailbox(
            "other+security@example.org",
            "security@example.org"
        ));
    }

    #[test]
    fn every_reason_reads_back_from_its_name() {
        for reason in ScreenReason::ALL {
            assert_eq!(ScreenReason::parse(reason.name()), Some(reason));
            assert!(reason.describe().ends_with('.'));
        }
    }
}
