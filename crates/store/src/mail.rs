//! The email channel's records: every message taken from the mailbox, what became of it (a
//! report, a reply in a conversation, an item waiting in screening, filed or discarded), and
//! the keyed values that find a thread, a sender or a message seen before without storing any
//! of them in the clear.
//!
//! A message's summary (sender, subject, readable text, attachment names) and its raw bytes are
//! sealed under the row's own data key, wrapped by the keyring (`mail:<id>` binds it to the
//! row). The report or reply made from a message is committed in the same transaction as its
//! row, so a message fetched again after a crash is recognised by `dedupe` and never stored
//! twice.

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use postern_core::clock::Clocks;
use postern_core::intake::ValidSubmission;
use postern_core::policy::ChannelKind;
use postern_core::report::{Author, CaseKey, ReportId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use zeroize::Zeroizing;

use crate::jobs::{NewJob, ReportEvent};
use crate::openpgp::EncryptedArrival;
use crate::write::{EventParts, Stmt, TeamWrite, Value, event, opt_blob, opt_text, stmt, text};
use crate::{
    ATTACHMENTS_PER_REPORT_MAX, Db, MESSAGES_PER_REPORT_MAX, NewAttachment, Store, StoreError,
    WriteOp, aad, millis, on_db, random_id, vault,
};

/// What became of a message taken from the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundState {
    /// It is a report (made at once, or from screening).
    Report,
    /// It joined a report's conversation.
    Reply,
    /// It waits for a team member.
    Screening,
    /// A team member filed it as not a security report.
    Filed,
    /// A team member discarded it as spam.
    Discarded,
}

impl InboundState {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            InboundState::Report => "report",
            InboundState::Reply => "reply",
            InboundState::Screening => "screening",
            InboundState::Filed => "filed",
            InboundState::Discarded => "discarded",
        }
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Option<InboundState> {
        [
            InboundState::Report,
            InboundState::Reply,
            InboundState::Screening,
            InboundState::Filed,
            InboundState::Discarded,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// What the team is shown of a message: sealed at rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSummary {
    /// The sender's address, if the message had one.
    pub from: Option<String>,
    /// The sender's display name.
    pub from_name: Option<String>,
    /// The subject, one line.
    pub subject: String,
    /// The readable text (HTML already turned into text).
    pub text: String,
    /// The message's Message-ID, without brackets: a reply to the reporter refers to it.
    pub message_id: Option<String>,
    /// The policy's address it was sent to, if any: mail to the reporter comes from it.
    #[serde(default)]
    pub to: Option<String>,
    /// Attachment names with their sizes.
    pub attachments: Vec<(String, u64)>,
    /// What Postern noticed (an attachment over the limit, an encrypted body, ...).
    pub notes: Vec<String>,
    /// What OpenPGP made of it (absent in rows stored before it was read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openpgp: Option<postern_core::mail_crypto::MailCrypto>,
}

/// A message taken from the mailbox, ready to store.
#[derive(Debug, Clone)]
pub struct NewInbound {
    /// `Store::mail_dedupe_key` of the message.
    pub dedupe: Vec<u8>,
    /// The project it was routed to.
    pub project: String,
    /// When it arrived (the mailbox's time, else now).
    pub received_at: Timestamp,
    /// `Store::mail_sender_mac` of its sender.
    pub sender_mac: Option<Vec<u8>>,
    /// What the team is shown.
    pub summary: MailSummary,
    /// The message as received.
    pub raw: Vec<u8>,
}

/// A message stored before, found by its dedupe key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundRef {
    /// The row's id.
    pub id: String,
    /// What became of it.
    pub state: InboundState,
    /// The report it made or joined.
    pub report_id: Option<String>,
}

/// A message as the screening view lists it.
#[derive(Debug, Clone)]
pub struct ScreeningItem {
    /// The row's id.
    pub id: String,
    /// The project it was routed to.
    pub project: String,
    /// When it arrived.
    pub received_at: Timestamp,
    /// What became of it.
    pub state: InboundState,
    /// Why it waits for a person (`reason` names, see `postern-app`'s `ScreenReason`).
    pub reason: String,
    /// The report it concerns, if any (a bounce of a mail about it, a reply from elsewhere).
    pub report_id: Option<String>,
    /// What it says.
    pub summary: MailSummary,
    /// Who decided, when.
    pub decided: Option<(String, Timestamp)>,
}

/// What a reply by mail to the reporter refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailThread {
    /// The reporter's first message's Message-ID.
    pub message_id: Option<String>,
    /// Its subject.
    pub subject: String,
    /// The policy's address the reporter wrote to.
    pub address: Option<String>,
}

/// A report made from an item waiting in screening, for [`Store::report_from_screening`].
pub struct FromScreening<'a> {
    /// Its fields.
    pub submission: &'a ValidSubmission,
    /// Its files.
    pub attachments: &'a [NewAttachment],
    /// Its clocks, from the message's receipt.
    pub clocks: &'a Clocks,
    /// The message's summary as read now (decrypted since, say), sealed again over the old.
    pub summary: Option<&'a MailSummary>,
    /// How it arrived, when it came encrypted, and the reporter's key to keep.
    pub arrival: Option<&'a (EncryptedArrival, Option<Vec<u8>>)>,
}

/// The number of characters of a thread tag (base32 of an HMAC): 80 bits.
pub const THREAD_TAG_CHARS: usize = 16;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part);
    }
    m.finalize().into_bytes().to_vec()
}

fn aad_of(id: &str, part: &str) -> Vec<u8> {
    aad(&format!("mail:{id}"), &[part])
}

impl Store {
    /// The key that recognises a message fetched twice: an HMAC of its Message-ID and the
    /// SHA-256 of its bytes (a forged Message-ID alone cannot hide another message).
    pub fn mail_dedupe_key(&self, message_id: Option<&str>, raw: &[u8]) -> Vec<u8> {
        let digest = Sha256::digest(raw);
        mac(
            &self.vault.derived_key("mail dedupe v1"),
            &[message_id.unwrap_or_default().as_bytes(), &digest],
        )
    }

    /// A sender's address as a keyed hash: counts a sender's mail, matches a reply's sender to
    /// the report's, without the address in the clear.
    pub fn mail_sender_mac(&self, address: &str) -> Vec<u8> {
        mac(
            &self.vault.derived_key("mail sender v1"),
            &[address.trim().to_lowercase().as_bytes()],
        )
    }

    /// The tag that a report's outgoing Message-IDs carry, so that a reply finds its report; it
    /// cannot be made for another report without the keyring.
    pub fn mail_thread_tag(&self, report: &ReportId) -> String {
        let tag = mac(
            &self.vault.derived_key("mail thread v1"),
            &[report.as_str().as_bytes()],
        );
        let mut out = data_encoding::BASE32_NOPAD.encode(&tag).to_lowercase();
        out.truncate(THREAD_TAG_CHARS);
        out
    }

    /// Whether `tag` is `report`'s thread tag (constant time).
    pub fn mail_thread_tag_matches(&self, report: &ReportId, tag: &str) -> bool {
        use subtle::ConstantTimeEq;
        let want = self.mail_thread_tag(report);
        want.len() == tag.len() && bool::from(want.as_bytes().ct_eq(tag.as_bytes()))
    }

    /// A message stored before under this dedupe key.
    pub async fn inbound_by_dedupe(&self, dedupe: &[u8]) -> Result<Option<InboundRef>, StoreError> {
        let row: Option<(String, String, Option<String>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, state, report_id FROM inbound_mail WHERE dedupe = $1")
                .bind(dedupe).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("state")?, r.try_get("report_id")?)))
                .transpose()?
        });
        row.map(|(id, state, report_id)| {
            Ok(InboundRef {
                state: InboundState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("mail state {state}")))?,
                id,
                report_id,
            })
        })
        .transpose()
    }

    /// How many messages a sender's address has sent since `since`.
    pub async fn mail_count_from(
        &self,
        sender_mac: &[u8],
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM inbound_mail WHERE sender_mac = $1 AND received_at >= $2")
                .bind(sender_mac).bind(millis(since)).fetch_one(pool).await?.try_get("n")?
        }))
    }

    /// The sealed row of a message, and its audit event.
    fn inbound_stmt(
        &self,
        inbound: &NewInbound,
        state: InboundState,
        reason: &str,
        report: Option<&str>,
    ) -> Result<(String, Stmt, EventParts), StoreError> {
        let id = random_id()?;
        let data_key = Zeroizing::new(vault::random_bytes::<{ vault::KEY_BYTES }>()?);
        let (key_id, wrapped) = self.vault.wrap(&format!("mail:{id}"), &*data_key)?;
        let summary = Zeroizing::new(
            serde_json::to_vec(&inbound.summary).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let content = vault::seal(&*data_key, &aad_of(&id, "summary"), &summary)?;
        let raw = vault::seal(&*data_key, &aad_of(&id, "raw"), &inbound.raw)?;
        let row = stmt(
            "INSERT INTO inbound_mail (id, dedupe, project, received_at, state, reason, report_id, sender_mac, key_id, wrapped_key, content, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            vec![
                text(&id),
                Value::Blob(inbound.dedupe.clone()),
                text(&inbound.project),
                Value::Int(millis(inbound.received_at)),
                text(state.name()),
                text(reason),
                opt_text(report),
                opt_blob(inbound.sender_mac.clone()),
                text(key_id),
                Value::Blob(wrapped),
                Value::Blob(content),
                Value::Blob(raw),
            ],
        );
        let audit = event(
            inbound.received_at,
            "mail",
            "mail.received",
            report,
            format!(
                "mail={id} project={} state={} reason={reason} bytes={}",
                inbound.project,
                state.name(),
                inbound.raw.len()
            ),
        );
        Ok((id, row, audit))
    }

    /// Stores a report made from mail, with its message's row, in one transaction; a message
    /// that came encrypted (or with the reporter's key) records how it arrived and keeps the
    /// key (`report_openpgp`) in the same transaction. The report's case key is made and
    /// dropped: the reporter follows the case by mail.
    pub async fn create_mail_report(
        &self,
        submission: &ValidSubmission,
        attachments: &[NewAttachment],
        clocks: &Clocks,
        inbound: &NewInbound,
        arrival: Option<&(EncryptedArrival, Option<Vec<u8>>)>,
    ) -> Result<ReportId, StoreError> {
        let id = ReportId::from_random(vault::random_bytes::<
            { postern_core::report::REPORT_ID_BYTES },
        >()?);
        let (_, row, audit) =
            self.inbound_stmt(inbound, InboundState::Report, "", Some(id.as_str()))?;
        let (mut stmts, mut events) = (vec![row], vec![audit]);
        if let Some((arrival, key)) = arrival {
            let (insert, event) =
                self.arrival_write(id.as_str(), arrival, key.as_deref(), inbound.received_at)?;
            stmts.push(insert);
            events.push(event);
        }
        self.insert_report(
            &id,
            &inbound.project,
            submission,
            attachments,
            inbound.received_at,
            clocks,
            ChannelKind::Email,
            stmts,
            events,
        )
        .await?;
        Ok(id)
    }

    /// Adds a reply by mail to a report's conversation: the reporter's message, its files and
    /// the message's row, in one transaction that also tells the team.
    pub async fn add_mail_reply(
        &self,
        report: &ReportId,
        body: &str,
        attachments: &[NewAttachment],
        inbound: &NewInbound,
    ) -> Result<(), StoreError> {
        let (data_key, _) = self.data_key(report).await?;
        let counts: (i64, i64) = on_db!(&self.db, pool => {
            let r = sqlx::query("SELECT (SELECT COUNT(*) FROM messages WHERE report_id = $1) AS m, (SELECT COUNT(*) FROM attachments WHERE report_id = $1) AS a")
                .bind(report.as_str()).fetch_one(pool).await?;
            (r.try_get("m")?, r.try_get("a")?)
        });
        if counts.0 >= MESSAGES_PER_REPORT_MAX as i64 {
            return Err(StoreError::Limit(format!(
                "this conversation has reached {MESSAGES_PER_REPORT_MAX} messages"
            )));
        }
        if counts.1 as usize + attachments.len() > ATTACHMENTS_PER_REPORT_MAX {
            return Err(StoreError::Limit(format!(
                "a report may have at most {ATTACHMENTS_PER_REPORT_MAX} attachments"
            )));
        }
        let project = self.case_row(report).await?.project;
        let at = inbound.received_at;
        let (mid, message) =
            crate::team::sealed_message_by(report, &data_key, Author::Reporter, body, at)?;
        let mut stmts = vec![message];
        for a in self.seal_attachments(report.as_str(), &data_key, at, attachments)? {
            stmts.push(stmt(
                "INSERT INTO attachments (id, report_id, at, ordinal, meta, content) VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    text(a.id),
                    text(a.report_id),
                    Value::Int(a.at),
                    Value::Int(a.ordinal),
                    Value::Blob(a.meta),
                    Value::Blob(a.content),
                ],
            ));
        }
        let (_, row, received) =
            self.inbound_stmt(inbound, InboundState::Reply, "", Some(report.as_str()))?;
        stmts.push(row);
        let events = vec![
            received,
            event(
                at,
                Author::Reporter.name(),
                "message.added",
                Some(report.as_str()),
                format!(
                    "message={mid} channel=email attachments={}",
                    attachments.len()
                ),
            ),
        ];
        let jobs = vec![NewJob::message_event(
            ReportEvent::ReporterMessage,
            &project,
            report.as_str(),
            vec![mid.clone()],
            format!("message:{mid}"),
            at,
        )];
        self.write(WriteOp::Team(TeamWrite {
            stmts,
            events,
            jobs,
        }))
        .await?;
        Ok(())
    }

    /// Keeps a message for a person to decide on, with why (`reason`) and the report it
    /// concerns, if any. Returns the item's id.
    pub async fn screen_mail(
        &self,
        inbound: &NewInbound,
        reason: &str,
        report: Option<&ReportId>,
    ) -> Result<String, StoreError> {
        let (id, row, audit) = self.inbound_stmt(
            inbound,
            InboundState::Screening,
            reason,
            report.map(ReportId::as_str),
        )?;
        self.write(WriteOp::Team(TeamWrite {
            stmts: vec![row],
            events: vec![audit],
            jobs: Vec::new(),
        }))
        .await?;
        Ok(id)
    }

    /// The messages in `state` of the given projects (`None`: all), newest first, at most
    /// `limit`, with their summaries opened.
    pub async fn screening(
        &self,
        projects: Option<&[String]>,
        state: InboundState,
        limit: i64,
    ) -> Result<Vec<ScreeningItem>, StoreError> {
        let rows = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, project, received_at, state, reason, report_id, key_id, wrapped_key, content, decided_by, decided_at FROM inbound_mail WHERE state = $1 ORDER BY received_at DESC, id LIMIT $2")
                .bind(state.name()).bind(limit).fetch_all(pool).await?
                .iter()
                .map(raw_item)
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        let mut out = Vec::new();
        for raw in rows {
            let item = self.item_of(raw)?;
            if projects.is_none_or(|p| p.contains(&item.project)) {
                out.push(item);
            }
        }
        Ok(out)
    }

    fn item_of(&self, r: RawItem) -> Result<ScreeningItem, StoreError> {
        let (
            id,
            project,
            received_at,
            state,
            reason,
            report_id,
            key_id,
            wrapped,
            content,
            decided_by,
            decided_at,
        ) = r;
        let key = self
            .vault
            .unwrap(&format!("mail:{id}"), &key_id, &wrapped)?;
        let plain = vault::open(&key, &aad_of(&id, "summary"), &content)?;
        let summary: MailSummary =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(ScreeningItem {
            project,
            received_at: Timestamp::from_millisecond(received_at)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            state: InboundState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("mail state {state}")))?,
            reason,
            report_id,
            summary,
            decided: decided_by.zip(decided_at.and_then(|ms| Timestamp::from_millisecond(ms).ok())),
            id,
        })
    }

    /// One message, opened for `actor`, audited as `mail.viewed`.
    pub async fn screening_item(
        &self,
        id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<ScreeningItem, StoreError> {
        let item = self.inbound_item(id).await?;
        self.audit(now, actor, "mail.viewed", None, format!("mail={id}"))
            .await?;
        Ok(item)
    }

    async fn inbound_item(&self, id: &str) -> Result<ScreeningItem, StoreError> {
        let item = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, project, received_at, state, reason, report_id, key_id, wrapped_key, content, decided_by, decided_at FROM inbound_mail WHERE id = $1")
                .bind(id).fetch_optional(pool).await?
                .as_ref()
                .map(raw_item)
                .transpose()?
        });
        self.item_of(item.ok_or(StoreError::NotFound)?)
    }

    /// A message's raw bytes with its item; `actor` is audited as `mail.downloaded`.
    pub async fn inbound_raw(
        &self,
        id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(ScreeningItem, Zeroizing<Vec<u8>>), StoreError> {
        let item = self.inbound_item(id).await?;
        let (key_id, wrapped, raw): (String, Vec<u8>, Vec<u8>) = on_db!(&self.db, pool => {
            let r = sqlx::query("SELECT key_id, wrapped_key, raw FROM inbound_mail WHERE id = $1")
                .bind(id).fetch_one(pool).await?;
            (r.try_get("key_id")?, r.try_get("wrapped_key")?, r.try_get("raw")?)
        });
        let key = self
            .vault
            .unwrap(&format!("mail:{id}"), &key_id, &wrapped)?;
        let raw = vault::open(&key, &aad_of(id, "raw"), &raw)?;
        self.audit(now, actor, "mail.downloaded", None, format!("mail={id}"))
            .await?;
        Ok((item, raw))
    }

    /// Turns an item waiting in screening into a report received when the message was: the
    /// report, its files, how it arrived (when it came encrypted) and the item's new state
    /// (with its summary sealed again when it was read anew) in one transaction (a second
    /// decision is a `Conflict`).
    pub async fn report_from_screening(
        &self,
        item: &ScreeningItem,
        report: FromScreening<'_>,
        actor: &str,
        now: Timestamp,
    ) -> Result<ReportId, StoreError> {
        let id = ReportId::from_random(vault::random_bytes::<
            { postern_core::report::REPORT_ID_BYTES },
        >()?);
        let mut stmts = Vec::new();
        let mut events = Vec::new();
        if let Some(summary) = report.summary {
            stmts.push(self.summary_again(&item.id, summary).await?);
        }
        if let Some((arrival, key)) = report.arrival {
            let (insert, event) =
                self.arrival_write(id.as_str(), arrival, key.as_deref(), item.received_at)?;
            stmts.push(insert);
            events.push(event);
        }
        let decide = Stmt {
            sql: "UPDATE inbound_mail SET state = 'report', report_id = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND state = 'screening'",
            args: vec![
                text(id.as_str()),
                text(actor),
                Value::Int(millis(now)),
                text(&item.id),
            ],
            expect_one: Some("this message was already decided on"),
        };
        stmts.insert(0, decide);
        events.push(event(
            now,
            actor,
            "mail.reported",
            Some(id.as_str()),
            format!("mail={}", item.id),
        ));
        self.insert_report(
            &id,
            &item.project,
            report.submission,
            report.attachments,
            item.received_at,
            report.clocks,
            ChannelKind::Email,
            stmts,
            events,
        )
        .await?;
        Ok(id)
    }

    /// The statement that seals a message's summary again, under the row's own key.
    async fn summary_again(&self, id: &str, summary: &MailSummary) -> Result<Stmt, StoreError> {
        let (key_id, wrapped): (String, Vec<u8>) = on_db!(&self.db, pool => {
            let r = sqlx::query("SELECT key_id, wrapped_key FROM inbound_mail WHERE id = $1")
                .bind(id).fetch_one(pool).await?;
            (r.try_get("key_id")?, r.try_get("wrapped_key")?)
        });
        let key = self
            .vault
            .unwrap(&format!("mail:{id}"), &key_id, &wrapped)?;
        let plain = Zeroizing::new(
            serde_json::to_vec(summary).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let content = vault::seal(&key, &aad_of(id, "summary"), &plain)?;
        Ok(stmt(
            "UPDATE inbound_mail SET content = $1 WHERE id = $2 AND key_id = $3",
            vec![Value::Blob(content), text(id), text(key_id)],
        ))
    }

    /// Files an item as not a security report, or discards it as spam, with the reply mail's
    /// job when the team sends one; a second decision is a `Conflict`.
    pub async fn decide_screening(
        &self,
        item: &str,
        state: InboundState,
        actor: &str,
        now: Timestamp,
        jobs: Vec<NewJob>,
    ) -> Result<(), StoreError> {
        let action = match state {
            InboundState::Filed => "mail.filed",
            InboundState::Discarded => "mail.discarded",
            _ => {
                return Err(StoreError::Conflict(
                    "not a decision on screened mail".into(),
                ));
            }
        };
        let decide = Stmt {
            sql: "UPDATE inbound_mail SET state = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND state = 'screening'",
            args: vec![
                text(state.name()),
                text(actor),
                Value::Int(millis(now)),
                text(item),
            ],
            expect_one: Some("this message was already decided on"),
        };
        let detail = format!("mail={item} reply={}", !jobs.is_empty());
        self.write(WriteOp::Team(TeamWrite {
            stmts: vec![decide],
            events: vec![event(now, actor, action, None, detail)],
            jobs,
        }))
        .await?;
        Ok(())
    }

    /// How many messages wait in screening, by project.
    pub async fn count_screening(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query("SELECT project, COUNT(*) AS n FROM inbound_mail WHERE state = 'screening' GROUP BY project")
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("project")?, r.try_get("n")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The mail a report was made from: what a mail to the reporter refers to and replies to.
    pub async fn mail_thread(&self, report: &ReportId) -> Result<Option<MailThread>, StoreError> {
        let id: Option<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id FROM inbound_mail WHERE report_id = $1 AND state = 'report' ORDER BY received_at LIMIT 1")
                .bind(report.as_str()).fetch_optional(pool).await?
                .map(|r| r.try_get("id")).transpose()?
        });
        let Some(id) = id else { return Ok(None) };
        let item = self.inbound_item(&id).await?;
        Ok(Some(MailThread {
            message_id: item.summary.message_id,
            subject: item.summary.subject,
            address: item.summary.to,
        }))
    }

    /// Every message taken for a report (the one it was made from, the replies, those about it
    /// waiting in screening), oldest first, opened: what the report page shows of how each
    /// arrived. At most `MESSAGES_PER_REPORT_MAX` + 1.
    pub async fn report_mail(&self, report: &ReportId) -> Result<Vec<ScreeningItem>, StoreError> {
        let rows = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, project, received_at, state, reason, report_id, key_id, wrapped_key, content, decided_by, decided_at FROM inbound_mail WHERE report_id = $1 ORDER BY received_at, id LIMIT $2")
                .bind(report.as_str()).bind(MESSAGES_PER_REPORT_MAX as i64 + 1).fetch_all(pool).await?
                .iter()
                .map(raw_item)
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        rows.into_iter().map(|r| self.item_of(r)).collect()
    }

    /// The sender's keyed hash of the mail a report was made from.
    pub async fn report_sender_mac(
        &self,
        report: &ReportId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query("SELECT sender_mac FROM inbound_mail WHERE report_id = $1 AND state = 'report' ORDER BY received_at LIMIT 1")
                .bind(report.as_str()).fetch_optional(pool).await?
                .map(|r| r.try_get::<Option<Vec<u8>>, _>("sender_mac")).transpose()?.flatten()
        }))
    }

    /// How a report arrived (`ChannelKind`'s spelling: `web-form`, `email`, ...).
    pub async fn report_channel(&self, report: &ReportId) -> Result<String, StoreError> {
        let channel: Option<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT channel FROM reports WHERE id = $1")
                .bind(report.as_str()).fetch_optional(pool).await?
                .map(|r| r.try_get("channel")).transpose()?
        });
        channel.ok_or(StoreError::NotFound)
    }

    /// The body of one message of a report's conversation.
    pub async fn message_body(
        &self,
        report: &ReportId,
        message: &str,
    ) -> Result<Zeroizing<String>, StoreError> {
        let (data_key, _) = self.data_key(report).await?;
        let sealed: Option<Vec<u8>> = on_db!(&self.db, pool => {
            sqlx::query("SELECT body FROM messages WHERE id = $1 AND report_id = $2")
                .bind(message).bind(report.as_str()).fetch_optional(pool).await?
                .map(|r| r.try_get("body")).transpose()?
        });
        let sealed = sealed.ok_or(StoreError::NotFound)?;
        let plain = vault::open(
            &data_key,
            &aad(report.as_str(), &["message", message]),
            &sealed,
        )?;
        String::from_utf8(plain.to_vec())
            .map(Zeroizing::new)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Re-wraps the messages' data keys under the active master key; returns how many rows
    /// still use another.
    pub(crate) async fn rewrap_inbound_mail(&self, new_id: &str) -> Result<i64, StoreError> {
        loop {
            let batch: Vec<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
                sqlx::query("SELECT id, key_id, wrapped_key FROM inbound_mail WHERE key_id <> $1 ORDER BY id LIMIT 500")
                    .bind(new_id).fetch_all(pool).await?
                    .into_iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("key_id")?, r.try_get("wrapped_key")?)))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            if batch.is_empty() {
                return Ok(0);
            }
            for (id, key_id, wrapped) in batch {
                let aad_id = format!("mail:{id}");
                let data_key = self.vault.unwrap(&aad_id, &key_id, &wrapped)?;
                let (wrapped_id, new_wrapped) = self.vault.wrap(&aad_id, &data_key)?;
                on_db!(&self.db, pool => {
                    sqlx::query("UPDATE inbound_mail SET key_id = $1, wrapped_key = $2 WHERE id = $3 AND key_id = $4")
                        .bind(&wrapped_id).bind(&new_wrapped).bind(&id).bind(&key_id)
                        .execute(pool).await?;
                });
            }
        }
    }
}

/// An item's columns as read.
type RawItem = (
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    Vec<u8>,
    Vec<u8>,
    Option<String>,
    Option<i64>,
);

fn raw_item<R: Row>(r: &R) -> Result<RawItem, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok((
        r.try_get("id")?,
        r.try_get("project")?,
        r.try_get("received_at")?,
        r.try_get("state")?,
        r.try_get("reason")?,
        r.try_get("report_id")?,
        r.try_get("key_id")?,
        r.try_get("wrapped_key")?,
        r.try_get("content")?,
        r.try_get("decided_by")?,
        r.try_get("decided_at")?,
    ))
}

/// A case key nobody is given: a report made from mail is followed by mail.
pub(crate) fn unused_case_key() -> Result<CaseKey, StoreError> {
    Ok(CaseKey::from_random(vault::random_bytes::<
        { postern_core::report::CASE_KEY_BYTES },
    >()?))
}

impl Store {
    /// What erasing `what` of a report does to the messages it was made from (or that
    /// replied to it): each row's data key is replaced by a new one that seals the raw message
    /// as nothing and the summary without the erased group (for the contact: the sender, and
    /// the Message-ID, which often names the sender's domain; for the contents: subject, text
    /// and attachment names). The old keys exist nowhere after the commit.
    pub(crate) async fn erase_inbound_stmts(
        &self,
        report: &ReportId,
        what: postern_core::privacy::Erasure,
    ) -> Result<Vec<Stmt>, StoreError> {
        use postern_core::privacy::Erasure;
        let rows: Vec<(String, String, Vec<u8>, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, key_id, wrapped_key, content FROM inbound_mail WHERE report_id = $1 ORDER BY id")
                .bind(report.as_str()).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("key_id")?, r.try_get("wrapped_key")?, r.try_get("content")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let mut stmts = Vec::with_capacity(rows.len());
        for (id, key_id, wrapped, content) in rows {
            let old_key = self
                .vault
                .unwrap(&format!("mail:{id}"), &key_id, &wrapped)?;
            let plain = vault::open(&old_key, &aad_of(&id, "summary"), &content)?;
            let mut summary: MailSummary =
                serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            match what {
                Erasure::Contact => {
                    summary.from = None;
                    summary.from_name = None;
                    summary.message_id = None;
                    // The signer's fingerprint names the reporter as surely as an address.
                    summary.openpgp = None;
                }
                Erasure::Contents => {
                    summary.subject = String::new();
                    summary.text = String::new();
                    summary.attachments.clear();
                    summary.notes.clear();
                }
            }
            let data_key = Zeroizing::new(vault::random_bytes::<{ vault::KEY_BYTES }>()?);
            let (new_key_id, new_wrapped) = self.vault.wrap(&format!("mail:{id}"), &*data_key)?;
            let summary = Zeroizing::new(
                serde_json::to_vec(&summary).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
            let content = vault::seal(&*data_key, &aad_of(&id, "summary"), &summary)?;
            let raw = vault::seal(&*data_key, &aad_of(&id, "raw"), b"")?;
            let sql = match what {
                Erasure::Contact => {
                    "UPDATE inbound_mail SET key_id = $1, wrapped_key = $2, content = $3, raw = $4, sender_mac = NULL WHERE id = $5"
                }
                Erasure::Contents => {
                    "UPDATE inbound_mail SET key_id = $1, wrapped_key = $2, content = $3, raw = $4 WHERE id = $5"
                }
            };
            stmts.push(stmt(
                sql,
                vec![
                    text(new_key_id),
                    Value::Blob(new_wrapped),
                    Value::Blob(content),
                    Value::Blob(raw),
                    text(&id),
                ],
            ));
        }
        Ok(stmts)
    }
}
