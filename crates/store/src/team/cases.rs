//! A case as the team works it: the team's view of a report (audited), attachments, the case
//! changes that `core::case::apply` decides (with the reporter's notice and the next deadline
//! watch), notes, duplicate suggestions, the facts behind the public statistics, and the
//! completion of reports stored by older versions.

use jiff::{SignedDuration, Timestamp};
use postern_core::case::{Applied, Case};
use postern_core::clock::Clocks;
use postern_core::intake::ValidSubmission;
use postern_core::report::{Author, ReportId};
use sqlx::Row as _;
use zeroize::Zeroizing;

use super::rows::{CaseColumns, case_from_parts, clocks_json, due_millis, severity_name};
use crate::jobs::kind::{NewJob, ReportEvent, deadline_watch};
use crate::write::{EventParts, Stmt, TeamWrite, Value, event, opt_text, stmt, text};
use crate::{
    AttachmentInfo, Content, Db, Message, Store, StoreError, WriteOp, aad, from_millis, millis,
    on_db, random_id, vault,
};

/// Longest internal note or team message, in bytes.
pub const NOTE_BYTES_MAX: usize = 64 * 1024;
/// Most reports one project's statistics read.
pub const STATS_REPORTS_MAX: i64 = 200_000;

/// An internal note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Who wrote it (the account's email).
    pub author: String,
    /// When.
    pub at: Timestamp,
    /// What.
    pub body: String,
}

/// Everything the team sees of a report.
#[derive(Debug, Clone)]
pub struct TeamView {
    /// Id.
    pub id: ReportId,
    /// Project slug.
    pub project: String,
    /// When received.
    pub received_at: Timestamp,
    /// What the reporter submitted.
    pub submission: ValidSubmission,
    /// The conversation with the reporter.
    pub messages: Vec<Message>,
    /// Internal notes.
    pub notes: Vec<Note>,
    /// Attachments (download only).
    pub attachments: Vec<AttachmentInfo>,
    /// Working state.
    pub case: Case,
    /// For optimistic concurrency: pass back to `record_case_change`.
    pub version: i64,
    /// What of it was erased, and its legal hold.
    pub privacy: postern_core::privacy::PrivacyState,
}

/// What `complete_old_reports` did, in reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Completed {
    /// Given their receipt clocks.
    pub clocked: u64,
    /// Given similarity fingerprints.
    pub printed: u64,
    /// Given sealed titles.
    pub titled: u64,
    /// Whose clocks left running were settled.
    pub settled: u64,
    /// Given search tokens.
    pub indexed: u64,
}

/// A report's working state without its contents.
#[derive(Debug, Clone)]
pub struct CaseRow {
    /// Id.
    pub id: ReportId,
    /// Project slug.
    pub project: String,
    /// When received.
    pub received_at: Timestamp,
    /// Working state.
    pub case: Case,
    /// Version for optimistic concurrency.
    pub version: i64,
}

impl Store {
    /// A report's working state, without contents (no audit event: nothing secret is read).
    pub async fn case_row(&self, id: &ReportId) -> Result<CaseRow, StoreError> {
        let row: Option<CaseColumns> = on_db!(&self.db, pool => {
            sqlx::query("SELECT project, received_at, status, severity, case_record, clocks, version FROM reports WHERE id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("project")?, r.try_get("received_at")?, r.try_get("status")?, r.try_get("severity")?, r.try_get("case_record")?, r.try_get("clocks")?, r.try_get("version")?)))
                .transpose()?
        });
        let (project, received_at, status, severity, record, clocks, version) =
            row.ok_or(StoreError::NotFound)?;
        let received_at = from_millis(received_at)?;
        Ok(CaseRow {
            id: id.clone(),
            project,
            received_at,
            case: case_from_parts(received_at, &status, severity, &record, &clocks)?,
            version,
        })
    }

    pub(crate) async fn data_key(
        &self,
        id: &ReportId,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), StoreError> {
        let row: Option<(String, Vec<u8>, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT key_id, wrapped_key, content FROM reports WHERE id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("key_id")?, r.try_get("wrapped_key")?, r.try_get("content")?)))
                .transpose()?
        });
        let (key_id, wrapped, content) = row.ok_or(StoreError::NotFound)?;
        Ok((self.vault.unwrap(id.as_str(), &key_id, &wrapped)?, content))
    }

    /// Everything the team sees of a report. Reading the contents is audited as
    /// `report.viewed` by `actor` before anything is returned.
    pub async fn team_view(
        &self,
        id: &ReportId,
        actor: &str,
        now: Timestamp,
    ) -> Result<TeamView, StoreError> {
        let case = self.case_row(id).await?;
        self.audit(now, actor, "report.viewed", Some(id), String::new())
            .await?;
        let (data_key, content) = self.data_key(id).await?;
        let content = self.open_content(id, &data_key, &content).await?;
        let privacy = self.privacy_state(id).await?;
        let (messages, attachments) = self.conversation(id, &data_key).await?;
        let note_rows: Vec<(String, String, i64, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, author, at, body FROM notes WHERE report_id = $1 ORDER BY at, id")
                .bind(id.as_str()).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("author")?, r.try_get("at")?, r.try_get("body")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let notes = note_rows
            .into_iter()
            .map(|(nid, author, at, body)| {
                let body = vault::open(&data_key, &aad(id.as_str(), &["note", &nid]), &body)?;
                Ok(Note {
                    author,
                    at: from_millis(at)?,
                    body: String::from_utf8(body.to_vec())
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(TeamView {
            id: id.clone(),
            project: case.project,
            received_at: case.received_at,
            submission: ValidSubmission {
                fields: content.fields,
                scope_category: content.scope_category,
                contact_email: content.contact_email,
                credit_name: content.credit_name,
            },
            messages,
            notes,
            attachments,
            case: case.case,
            version: case.version,
            privacy,
        })
    }

    /// An attachment for the team; the download is audited.
    pub async fn team_attachment(
        &self,
        id: &ReportId,
        attachment_id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(AttachmentInfo, Zeroizing<Vec<u8>>), StoreError> {
        let (data_key, _) = self.data_key(id).await?;
        let found = self.open_attachment(id, &data_key, attachment_id).await?;
        self.audit(
            now,
            actor,
            "attachment.downloaded",
            Some(id),
            format!("attachment={attachment_id}"),
        )
        .await?;
        Ok(found)
    }

    fn sealed_message(
        &self,
        id: &ReportId,
        data_key: &[u8],
        body: &str,
        at: Timestamp,
    ) -> Result<(String, Stmt), StoreError> {
        sealed_message_by(id, data_key, Author::Team, body, at)
    }

    /// Stores what `case::apply` decided, if the report is still at `version`: the new state,
    /// the notice to the reporter and a team message (both sealed, in the conversation), and
    /// the audit event, in one transaction.
    pub async fn record_case_change(
        &self,
        id: &ReportId,
        version: i64,
        applied: &Applied,
        message: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let case = &applied.case;
        let mut stmts = vec![Stmt {
            sql: "UPDATE reports SET status = $1, severity = $2, case_record = $3, clocks = $4, next_due_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
            args: vec![
                text(case.status.name()),
                opt_text(severity_name(case.severity)),
                text(
                    serde_json::to_string(&case.record)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                ),
                text(clocks_json(&case.clocks)?),
                Value::Int(due_millis(&case.clocks)),
                text(id.as_str()),
                Value::Int(version),
            ],
            expect_one: Some(
                "the report was changed by someone else meanwhile; reload it and try again",
            ),
        }];
        let texts: Vec<&str> = applied
            .notice
            .as_deref()
            .into_iter()
            .chain(message)
            .collect();
        let mut messages = Vec::new();
        if !texts.is_empty() {
            let (data_key, _) = self.data_key(id).await?;
            for (i, body) in texts.iter().enumerate() {
                if body.len() > NOTE_BYTES_MAX {
                    return Err(StoreError::Limit(format!(
                        "a message may be at most {} KiB",
                        NOTE_BYTES_MAX / 1024
                    )));
                }
                // Keep notice before message within one moment.
                let at = now + SignedDuration::from_millis(i as i64);
                let (mid, message) = self.sealed_message(id, &data_key, body, at)?;
                stmts.push(message);
                messages.push(mid);
            }
        }
        // The reporter is told by mail that there is news (never what it is), and the report's
        // promises get a new watch (the old one's chain ends: it names the old version).
        let project = self.case_row(id).await?.project;
        let mut jobs: Vec<_> = deadline_watch(
            &project,
            id.as_str(),
            version + 1,
            &applied.case.clocks,
            now,
            &self.reminder_leads(),
        )
        .into_iter()
        .collect();
        if !texts.is_empty() {
            jobs.push(NewJob::message_event(
                ReportEvent::CaseUpdate,
                &project,
                id.as_str(),
                messages,
                format!("case:{id}:v{}", version + 1),
                now,
            ));
        }
        self.write(WriteOp::Team(TeamWrite {
            stmts,
            events: vec![event(
                now,
                actor,
                applied.event,
                Some(id.as_str()),
                applied.detail.clone(),
            )],
            jobs,
        }))
        .await
    }

    /// Writes to the reporter in their conversation, as the team, with an audit event.
    pub async fn notify_reporter(
        &self,
        id: &ReportId,
        body: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (stmt, job, event) = self.reporter_notice(id, body, actor, now).await?;
        self.write(WriteOp::Team(TeamWrite {
            stmts: vec![stmt],
            events: vec![event],
            jobs: vec![job],
        }))
        .await
    }

    /// What telling a reporter `body` in their conversation writes: the sealed message, the
    /// notice job (the mail says only that there is news), and the audit event; for a caller
    /// that commits them with its own change (a publication), or alone (`notify_reporter`).
    pub(crate) async fn reporter_notice(
        &self,
        id: &ReportId,
        body: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(Stmt, NewJob, EventParts), StoreError> {
        let (data_key, _) = self.data_key(id).await?;
        let (mid, stmt) = self.sealed_message(id, &data_key, body, now)?;
        let project = self.case_row(id).await?.project;
        let job = NewJob::message_event(
            ReportEvent::CaseUpdate,
            &project,
            id.as_str(),
            vec![mid.clone()],
            format!("message:{mid}"),
            now,
        );
        let audit = event(
            now,
            actor,
            "reporter.notified",
            Some(id.as_str()),
            String::new(),
        );
        Ok((stmt, job, audit))
    }

    /// Adds an internal note, which the reporter never sees.
    pub async fn add_note(
        &self,
        id: &ReportId,
        body: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        if body.len() > NOTE_BYTES_MAX {
            return Err(StoreError::Limit(format!(
                "a note may be at most {} KiB",
                NOTE_BYTES_MAX / 1024
            )));
        }
        let (data_key, _) = self.data_key(id).await?;
        let nid = random_id()?;
        let sealed = vault::seal(
            &data_key,
            &aad(id.as_str(), &["note", &nid]),
            body.as_bytes(),
        )?;
        self.team_write(
            vec![stmt(
                "INSERT INTO notes (id, report_id, author, at, body) VALUES ($1, $2, $3, $4, $5)",
                vec![
                    text(&nid),
                    text(id.as_str()),
                    text(actor),
                    Value::Int(millis(now)),
                    Value::Blob(sealed),
                ],
            )],
            vec![event(
                now,
                actor,
                "note.added",
                Some(id.as_str()),
                format!("note={nid}"),
            )],
        )
        .await
    }

    /// Reports of the same project that are likely duplicates of this one, best first, with
    /// their similarity. Compares keyed fingerprints, never contents, against the newest
    /// `SIMILARITY_CANDIDATES_MAX` reports of the project.
    pub async fn similar_reports(&self, id: &ReportId) -> Result<Vec<(ReportId, f64)>, StoreError> {
        let own: Option<(String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT project, print FROM fingerprints WHERE report_id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("project")?, r.try_get("print")?)))
                .transpose()?
        });
        let Some((project, own)) = own else {
            return Ok(Vec::new());
        };
        let Some(own) = postern_core::similarity::Fingerprint::from_bytes(&own) else {
            return Ok(Vec::new());
        };
        let rows: Vec<(String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT report_id, print FROM fingerprints WHERE project = $1 AND report_id <> $2 ORDER BY received_at DESC LIMIT $3")
                .bind(&project).bind(id.as_str()).bind(crate::SIMILARITY_CANDIDATES_MAX)
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("report_id")?, r.try_get("print")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let candidates: Vec<(ReportId, postern_core::similarity::Fingerprint)> = rows
            .into_iter()
            .filter_map(|(other, bytes)| {
                Some((
                    ReportId::parse(&other)?,
                    postern_core::similarity::Fingerprint::from_bytes(&bytes)?,
                ))
            })
            .collect();
        Ok(postern_core::similarity::likely_duplicates(
            &own,
            candidates.iter().map(|(i, f)| (i.clone(), f)),
            crate::SIMILAR_REPORTS_MAX,
        ))
    }

    /// Checks that `original` can be named as the report `id` duplicates: another report of the
    /// same project. The error says what is wrong.
    pub async fn check_original(
        &self,
        id: &ReportId,
        original: &ReportId,
    ) -> Result<(), StoreError> {
        if original == id {
            return Err(StoreError::Limit("a report cannot duplicate itself".into()));
        }
        let own = self.case_row(id).await?;
        match self.case_row(original).await {
            Ok(o) if o.project == own.project => Ok(()),
            Ok(_) => Err(StoreError::Limit(format!(
                "{original} belongs to another project"
            ))),
            Err(StoreError::NotFound) => {
                Err(StoreError::Limit(format!("there is no report {original}")))
            }
            Err(e) => Err(e),
        }
    }

    /// Completes reports stored by older versions: starts the receipt clocks of those stored
    /// before clocks (`clocks_for(project, received_at)`, `None` to leave a report as it is),
    /// computes the similarity fingerprints of those stored before duplicate suggestions, seals
    /// the titles of those stored before titles, and settles the clocks that reports fixed,
    /// disclosed or closed before a change of state settled them left running
    /// (`core::case::settle_stale`, at the moment of the change, audited by "system" at
    /// `now`). Safe to run while serving and to run again.
    pub async fn complete_old_reports(
        &self,
        clocks_for: impl Fn(&str, Timestamp) -> Option<Clocks>,
        now: Timestamp,
    ) -> Result<Completed, StoreError> {
        const BATCH: i64 = 200;
        let (mut clocked, mut printed) = (0u64, 0u64);
        let mut after = String::new();
        loop {
            let rows: Vec<(String, String, i64)> = on_db!(&self.db, pool => {
                sqlx::query("SELECT id, project, received_at FROM reports WHERE clocks = '[]' AND status = 'received' AND id > $1 ORDER BY id LIMIT $2")
                    .bind(&after).bind(BATCH).fetch_all(pool).await?
                    .into_iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("project")?, r.try_get("received_at")?)))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            let Some(last) = rows.last() else { break };
            after = last.0.clone();
            for (id, project, received_at) in rows {
                let Some(clocks) = clocks_for(&project, from_millis(received_at)?) else {
                    continue;
                };
                let json = clocks_json(&clocks)?;
                clocked += on_db!(&self.db, pool => {
                    sqlx::query("UPDATE reports SET clocks = $1, next_due_at = $2 WHERE id = $3 AND clocks = '[]'")
                        .bind(&json).bind(due_millis(&clocks)).bind(&id).execute(pool).await?.rows_affected()
                });
            }
        }
        let mut after = String::new();
        loop {
            let rows: Vec<(String, String, i64)> = on_db!(&self.db, pool => {
                sqlx::query("SELECT r.id, r.project, r.received_at FROM reports r LEFT JOIN fingerprints f ON f.report_id = r.id WHERE f.report_id IS NULL AND r.id > $1 ORDER BY r.id LIMIT $2")
                    .bind(&after).bind(BATCH).fetch_all(pool).await?
                    .into_iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("project")?, r.try_get("received_at")?)))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            let Some(last) = rows.last() else { break };
            after = last.0.clone();
            for (id, project, received_at) in rows {
                let report =
                    ReportId::parse(&id).ok_or_else(|| StoreError::Corrupt("id".into()))?;
                let (data_key, content) = self.data_key(&report).await?;
                let plain = vault::open(&data_key, &aad(&id, &["content"]), &content)?;
                let content: Content = serde_json::from_slice(&plain)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let Some(print) = self.fingerprint(&ValidSubmission {
                    fields: content.fields,
                    scope_category: None,
                    contact_email: None,
                    credit_name: None,
                }) else {
                    continue;
                };
                printed += on_db!(&self.db, pool => {
                    sqlx::query("INSERT INTO fingerprints (report_id, project, received_at, print) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                        .bind(&id).bind(&project).bind(received_at).bind(print).execute(pool).await?.rows_affected()
                });
            }
        }
        let titled = self.complete_titles().await?;
        let settled = self.settle_old_clocks(now).await?;
        let indexed = self.complete_search_index().await?;
        Ok(Completed {
            clocked,
            printed,
            titled,
            settled,
            indexed,
        })
    }

    /// Settles the clocks left running in reports fixed, disclosed or closed by a version that
    /// did not settle them; returns how many reports changed. Only reports with a running
    /// deadline are looked at (the queue's index), a batch at a time.
    async fn settle_old_clocks(&self, now: Timestamp) -> Result<u64, StoreError> {
        const BATCH: i64 = 200;
        let mut settled = 0;
        let (mut after_due, mut after_id) = (i64::MIN, String::new());
        loop {
            let rows: Vec<(String, i64)> = on_db!(&self.db, pool => {
                sqlx::query("SELECT id, next_due_at FROM reports WHERE (next_due_at > $1 OR (next_due_at = $1 AND id > $2)) AND next_due_at < $3 AND status IN ('fixed', 'disclosed', 'closed') ORDER BY next_due_at, id LIMIT $4")
                    .bind(after_due).bind(&after_id).bind(super::rows::NO_DEADLINE).bind(BATCH)
                    .fetch_all(pool).await?
                    .into_iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("next_due_at")?)))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            let Some(last) = rows.last() else { break };
            (after_due, after_id) = (last.1, last.0.clone());
            for (id, _) in rows {
                let id = ReportId::parse(&id).ok_or_else(|| StoreError::Corrupt("id".into()))?;
                let row = self.case_row(&id).await?;
                let moment = self.state_reached_at(&id, &row.case).await?;
                let Some(applied) = postern_core::case::settle_stale(&row.case, moment) else {
                    continue;
                };
                match self
                    .record_case_change(&id, row.version, &applied, None, "system", now)
                    .await
                {
                    Ok(()) => settled += 1,
                    // Changed meanwhile: that change settled what it had to.
                    Err(StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(settled)
    }

    /// When a report reached its state: its latest event of that change, else the latest
    /// moment one of its clocks was resolved, else its receipt.
    pub(crate) async fn state_reached_at(
        &self,
        id: &ReportId,
        case: &Case,
    ) -> Result<Timestamp, StoreError> {
        let action = format!("report.{}", case.status.name());
        let at: Option<i64> = on_db!(&self.db, pool => {
            sqlx::query("SELECT at FROM audit_events WHERE report_id = $1 AND action = $2 ORDER BY seq DESC LIMIT 1")
                .bind(id.as_str()).bind(&action).fetch_optional(pool).await?
                .map(|r| r.try_get("at")).transpose()?
        });
        match at {
            Some(at) => from_millis(at),
            None => Ok(case
                .clocks
                .0
                .iter()
                .filter_map(|c| c.resolved_at)
                .max()
                .unwrap_or(case.received_at)),
        }
    }

    /// Whether a database is SQLite (for tests that reach into it).
    pub fn is_sqlite(&self) -> bool {
        matches!(self.db, Db::Sqlite(_))
    }
}

impl Store {
    /// The reporter's contact address, decrypted to send them mail; `None` when they left
    /// none. Reading it is audited (`contact.read` by `actor`, naming the job) before it is
    /// returned, like every read of a report's contents.
    pub async fn reporter_contact(
        &self,
        id: &ReportId,
        job: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let (data_key, content) = self.data_key(id).await?;
        let content = self.open_content(id, &data_key, &content).await?;
        let Some(contact) = content.contact_email else {
            return Ok(None);
        };
        self.audit(now, actor, "contact.read", Some(id), format!("job={job}"))
            .await?;
        Ok(Some(contact))
    }
}

/// The INSERT of a message in a report's conversation, sealed under its data key; returns the
/// message's id with it.
pub(crate) fn sealed_message_by(
    id: &ReportId,
    data_key: &[u8],
    author: Author,
    body: &str,
    at: Timestamp,
) -> Result<(String, Stmt), StoreError> {
    let mid = random_id()?;
    let sealed = vault::seal(
        data_key,
        &aad(id.as_str(), &["message", &mid]),
        body.as_bytes(),
    )?;
    Ok((
        mid.clone(),
        stmt(
            "INSERT INTO messages (id, report_id, author, at, body) VALUES ($1, $2, $3, $4, $5)",
            vec![
                text(&mid),
                text(id.as_str()),
                text(author.name()),
                Value::Int(millis(at)),
                Value::Blob(sealed),
            ],
        ),
    ))
}
