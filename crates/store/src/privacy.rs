//! Privacy: a report's contact sealed under a key of its own, erasure by destroying keys, the
//! legal hold, and the reporter's erasure requests.
//!
//! A report has two data keys, each wrapped by the keyring: the contents' key (`key_id`,
//! `wrapped_key`: fields, title, conversation, attachments, notes) and the contact's key
//! (`contact_key_id`, `contact_wrapped_key`: the contact address and the credit name). Erasing
//! one group replaces or removes its wrapped key in one transaction with the audit event, so
//! every copy of its ciphertext written before (in the WAL, in a later backup of the database)
//! opens with no key Postern still holds. Rows stored before the contact had its own key keep
//! it inside the contents until their contact is erased (the contents are then sealed again
//! without it) or their contents are (the contact then moves under a key of its own).

use jiff::Timestamp;
use postern_core::privacy::{Erasure, Hold, PrivacyState};
use postern_core::report::ReportId;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use zeroize::Zeroizing;

use crate::write::{EventParts, Stmt, TeamWrite, Value, event, stmt, text};
use crate::{Content, Db, Store, StoreError, WriteOp, aad, from_millis, millis, on_db, vault};

/// What the title of a report whose contents were erased reads.
pub const ERASED_TITLE: &str = "(contents erased)";
/// Most open erasure requests one listing returns.
pub const ERASURE_REQUESTS_LISTED_MAX: i64 = 500;

/// The contact group, sealed under the contact key.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct ContactCard {
    pub contact_email: Option<String>,
    pub credit_name: Option<String>,
}

/// A contact sealed for a new row: (key id, wrapped contact key, sealed card).
pub(crate) type SealedContact = (String, Vec<u8>, Vec<u8>);

fn contact_wrap_id(report_id: &str) -> String {
    format!("{report_id}/contact")
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// Which group.
    pub what: Erasure,
    /// When it was erased (before, if `already`).
    pub at: Timestamp,
    /// It had been erased before: nothing changed and nothing was recorded.
    pub already: bool,
}

/// A reporter's request to erase their data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureRequest {
    /// The request's id.
    pub id: String,
    /// The report.
    pub report_id: ReportId,
    /// What the reporter asked to erase.
    pub what: Erasure,
    /// When.
    pub asked_at: Timestamp,
    /// `open`, `done` or `refused`.
    pub state: String,
    /// When the team answered.
    pub decided_at: Option<Timestamp>,
}

impl Store {
    /// Seals a contact and a credit name under a new contact key; `None` when there is
    /// neither.
    pub(crate) fn seal_contact(
        &self,
        report_id: &str,
        card: &ContactCard,
    ) -> Result<Option<SealedContact>, StoreError> {
        if card.contact_email.is_none() && card.credit_name.is_none() {
            return Ok(None);
        }
        let key = Zeroizing::new(vault::random_bytes::<{ vault::KEY_BYTES }>()?);
        let (key_id, wrapped) = self.vault.wrap(&contact_wrap_id(report_id), &*key)?;
        let plain = Zeroizing::new(
            serde_json::to_vec(card).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let sealed = vault::seal(&*key, &aad(report_id, &["contact"]), &plain)?;
        Ok(Some((key_id, wrapped, sealed)))
    }

    /// Opens a report's contents with its data key, with the contact from its own key when
    /// it has one.
    pub(crate) async fn open_content(
        &self,
        id: &ReportId,
        data_key: &[u8],
        sealed: &[u8],
    ) -> Result<Content, StoreError> {
        let plain = vault::open(data_key, &aad(id.as_str(), &["content"]), sealed)?;
        let mut content: Content =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(card) = self.open_contact(id).await? {
            content.contact_email = card.contact_email;
            content.credit_name = card.credit_name;
        }
        Ok(content)
    }

    async fn open_contact(&self, id: &ReportId) -> Result<Option<ContactCard>, StoreError> {
        type Row = (Option<String>, Option<Vec<u8>>, Option<Vec<u8>>);
        let row: Option<Row> = on_db!(&self.db, pool => {
            sqlx::query("SELECT contact_key_id, contact_wrapped_key, contact FROM reports WHERE id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("contact_key_id")?, r.try_get("contact_wrapped_key")?, r.try_get("contact")?)))
                .transpose()?
        });
        let Some((Some(key_id), Some(wrapped), Some(sealed))) = row else {
            return Ok(None);
        };
        let key = self
            .vault
            .unwrap(&contact_wrap_id(id.as_str()), &key_id, &wrapped)?;
        let plain = vault::open(&key, &aad(id.as_str(), &["contact"]), &sealed)?;
        Ok(Some(
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ))
    }

    /// Whether the reporter gave a name to credit (for the team's guidance on an erasure
    /// request; the name itself is not returned).
    pub async fn credit_given(&self, id: &ReportId) -> Result<bool, StoreError> {
        let (data_key, content) = self.data_key(id).await?;
        Ok(self
            .open_content(id, &data_key, &content)
            .await?
            .credit_name
            .is_some())
    }

    /// What has become of a report's personal data, and its hold.
    pub async fn privacy_state(&self, id: &ReportId) -> Result<PrivacyState, StoreError> {
        type Row = (Option<i64>, Option<i64>, Option<i64>, Option<String>);
        let row: Option<Row> = on_db!(&self.db, pool => {
            sqlx::query("SELECT contact_erased_at, contents_erased_at, hold_until, hold_reason FROM reports WHERE id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("contact_erased_at")?, r.try_get("contents_erased_at")?, r.try_get("hold_until")?, r.try_get("hold_reason")?)))
                .transpose()?
        });
        let (contact, contents, until, reason) = row.ok_or(StoreError::NotFound)?;
        Ok(PrivacyState {
            contact_erased_at: contact.map(from_millis).transpose()?,
            contents_erased_at: contents.map(from_millis).transpose()?,
            hold: match until {
                Some(until) => Some(Hold {
                    until: from_millis(until)?,
                    reason: reason.unwrap_or_default(),
                }),
                None => None,
            },
        })
    }

    /// The statements and the event of an erasure, or when it was erased before.
    pub(crate) async fn erasure_parts(
        &self,
        id: &ReportId,
        what: Erasure,
        reason: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Result<(Vec<Stmt>, EventParts), Timestamp>, StoreError> {
        let state = self.privacy_state(id).await?;
        if let Some(at) = state.erased_at(what) {
            return Ok(Err(at));
        }
        let (data_key, sealed) = self.data_key(id).await?;
        let key_id: String = on_db!(&self.db, pool => {
            sqlx::query("SELECT key_id FROM reports WHERE id = $1")
                .bind(id.as_str()).fetch_one(pool).await?.try_get("key_id")?
        });
        let plain = vault::open(&data_key, &aad(id.as_str(), &["content"]), &sealed)?;
        let content: Content =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let own_contact = self.open_contact(id).await?;
        let has_own_contact = own_contact.is_some();
        let legacy_contact = content.contact_email.is_some() || content.credit_name.is_some();
        let held = "this report was put under legal hold meanwhile; nothing was erased";
        // The search tokens are those of what is left: the contents without the credit name,
        // or the credit name alone (unless the contact was erased before).
        let (kept_fields, kept_credit) = match what {
            Erasure::Contact => (content.fields.clone(), None),
            Erasure::Contents if state.contact_erased_at.is_some() => (Vec::new(), None),
            Erasure::Contents => (
                Vec::new(),
                own_contact
                    .as_ref()
                    .and_then(|c| c.credit_name.clone())
                    .or_else(|| content.credit_name.clone()),
            ),
        };
        let token_stmts = self.erasure_tokens(id, &kept_fields, kept_credit.as_deref());
        let mut stmts = Vec::new();
        match what {
            Erasure::Contact => {
                if legacy_contact {
                    // Sealed again without the contact, under the same key (the contents stay).
                    let without = Content {
                        contact_email: None,
                        credit_name: None,
                        ..content
                    };
                    let plain = Zeroizing::new(
                        serde_json::to_vec(&without)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    );
                    let resealed = vault::seal(&data_key, &aad(id.as_str(), &["content"]), &plain)?;
                    stmts.push(Stmt {
                        sql: "UPDATE reports SET contact_key_id = NULL, contact_wrapped_key = NULL, contact = NULL, contact_erased_at = $1, content = $2 WHERE id = $3 AND contact_erased_at IS NULL AND key_id = $4 AND (hold_until IS NULL OR hold_until <= $1)",
                        args: vec![
                            Value::Int(millis(now)),
                            Value::Blob(resealed),
                            text(id.as_str()),
                            text(key_id),
                        ],
                        expect_one: Some(held),
                    });
                } else {
                    stmts.push(Stmt {
                        sql: "UPDATE reports SET contact_key_id = NULL, contact_wrapped_key = NULL, contact = NULL, contact_erased_at = $1 WHERE id = $2 AND contact_erased_at IS NULL AND (hold_until IS NULL OR hold_until <= $1)",
                        args: vec![Value::Int(millis(now)), text(id.as_str())],
                        expect_one: Some(held),
                    });
                }
                // The public key the reporter gave names them too (migration 0018).
                stmts.push(Stmt {
                    sql: "UPDATE report_openpgp SET reporter_key_id = NULL, reporter_key = NULL, reporter_fingerprint = NULL WHERE report_id = $1",
                    args: vec![text(id.as_str())],
                    expect_one: None,
                });
            }
            Erasure::Contents => {
                let new_key = Zeroizing::new(vault::random_bytes::<{ vault::KEY_BYTES }>()?);
                let (new_key_id, new_wrapped) = self.vault.wrap(id.as_str(), &*new_key)?;
                let empty = Content {
                    fields: Vec::new(),
                    scope_category: None,
                    contact_email: None,
                    credit_name: None,
                };
                let plain = Zeroizing::new(
                    serde_json::to_vec(&empty).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                );
                let sealed = vault::seal(&*new_key, &aad(id.as_str(), &["content"]), &plain)?;
                let title = vault::seal(
                    &*new_key,
                    &aad(id.as_str(), &["title"]),
                    ERASED_TITLE.as_bytes(),
                )?;
                let mut args = vec![
                    text(new_key_id),
                    Value::Blob(new_wrapped),
                    Value::Blob(sealed),
                    Value::Blob(title),
                    Value::Int(millis(now)),
                    text(id.as_str()),
                ];
                let moved =
                    if legacy_contact && !has_own_contact && state.contact_erased_at.is_none() {
                        self.seal_contact(
                            id.as_str(),
                            &ContactCard {
                                contact_email: content.contact_email.clone(),
                                credit_name: content.credit_name.clone(),
                            },
                        )?
                    } else {
                        None
                    };
                let sql = match moved {
                    // The contact of an older row moves under a key of its own first.
                    Some((contact_key_id, contact_wrapped, contact)) => {
                        args.extend([
                            text(contact_key_id),
                            Value::Blob(contact_wrapped),
                            Value::Blob(contact),
                        ]);
                        "UPDATE reports SET key_id = $1, wrapped_key = $2, content = $3, title = $4, contents_erased_at = $5, contact_key_id = $7, contact_wrapped_key = $8, contact = $9 WHERE id = $6 AND contents_erased_at IS NULL AND (hold_until IS NULL OR hold_until <= $5)"
                    }
                    None => {
                        "UPDATE reports SET key_id = $1, wrapped_key = $2, content = $3, title = $4, contents_erased_at = $5 WHERE id = $6 AND contents_erased_at IS NULL AND (hold_until IS NULL OR hold_until <= $5)"
                    }
                };
                stmts.push(Stmt {
                    sql,
                    args,
                    expect_one: Some(held),
                });
                for sql in [
                    "DELETE FROM messages WHERE report_id = $1",
                    "DELETE FROM attachments WHERE report_id = $1",
                    "DELETE FROM notes WHERE report_id = $1",
                    "DELETE FROM fingerprints WHERE report_id = $1",
                ] {
                    stmts.push(stmt(sql, vec![text(id.as_str())]));
                }
            }
        }
        stmts.extend(token_stmts);
        let audit = event(
            now,
            actor,
            "report.erased",
            Some(id.as_str()),
            format!("what={} reason={reason}", what.name()),
        );
        Ok(Ok((stmts, audit)))
    }

    /// After an erasure on SQLite: copies the WAL into the database file and cuts it back, so
    /// that the pages that held the destroyed keys do not linger in the WAL (the database
    /// file's freed pages are zeroed by `secure_delete`). Best effort: a reader holding an old
    /// snapshot delays it to the next checkpoint.
    async fn after_erasure(&self) {
        if let Db::Sqlite(pool) = &self.db
            && let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await
        {
            tracing::warn!(%error, "the WAL checkpoint after an erasure failed; the next one copies it");
        }
    }

    /// Puts a report under legal hold until `hold.until` (a new hold replaces the old), with
    /// the `report.held` event (`until=`, `reason=`).
    pub async fn set_hold(
        &self,
        id: &ReportId,
        hold: &Hold,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.write(WriteOp::Team(TeamWrite {
            stmts: vec![Stmt {
                sql: "UPDATE reports SET hold_until = $1, hold_reason = $2 WHERE id = $3",
                args: vec![
                    Value::Int(millis(hold.until)),
                    text(&hold.reason),
                    text(id.as_str()),
                ],
                expect_one: Some("no such report"),
            }],
            events: vec![event(
                now,
                actor,
                "report.held",
                Some(id.as_str()),
                format!(
                    "until={} reason={}",
                    hold.until.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    hold.reason
                ),
            )],
            jobs: Vec::new(),
        }))
        .await
    }

    /// Re-wraps the contact keys under the active master key; returns how many rows still
    /// use another.
    pub(crate) async fn rewrap_contact_keys(&self, new_id: &str) -> Result<i64, StoreError> {
        loop {
            let batch: Vec<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
                sqlx::query("SELECT id, contact_key_id, contact_wrapped_key FROM reports WHERE contact_key_id IS NOT NULL AND contact_key_id <> $1 ORDER BY id LIMIT 500")
                    .bind(new_id).fetch_all(pool).await?
                    .into_iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("contact_key_id")?, r.try_get("contact_wrapped_key")?)))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            if batch.is_empty() {
                return Ok(0);
            }
            for (id, key_id, wrapped) in batch {
                let wrap_id = contact_wrap_id(&id);
                let key = self.vault.unwrap(&wrap_id, &key_id, &wrapped)?;
                let (wrapped_id, new_wrapped) = self.vault.wrap(&wrap_id, &key)?;
                on_db!(&self.db, pool => {
                    sqlx::query("UPDATE reports SET contact_key_id = $1, contact_wrapped_key = $2 WHERE id = $3 AND contact_key_id = $4")
                        .bind(&wrapped_id).bind(&new_wrapped).bind(&id).bind(&key_id)
                        .execute(pool).await?;
                });
            }
        }
    }
}

fn request_of(
    id: String,
    report_id: String,
    what: String,
    asked_at: i64,
    state: String,
    decided_at: Option<i64>,
) -> Result<ErasureRequest, StoreError> {
    Ok(ErasureRequest {
        id,
        report_id: ReportId::parse(&report_id)
            .ok_or_else(|| StoreError::Corrupt("report id".into()))?,
        what: Erasure::parse(&what).ok_or_else(|| StoreError::Corrupt("erasure".into()))?,
        asked_at: from_millis(asked_at)?,
        state,
        decided_at: decided_at.map(from_millis).transpose()?,
    })
}

const REQUEST_COLUMNS: &str = "id, report_id, what, asked_at, state, decided_at";

macro_rules! requests {
    ($db:expr, $sql:expr, $($bind:expr),*) => {
        on_db!($db, pool => {
            sqlx::query(sqlx::AssertSqlSafe($sql))
                $(.bind($bind))*
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| -> Result<ErasureRequest, StoreError> {
                    request_of(r.try_get("id")?, r.try_get("report_id")?, r.try_get("what")?, r.try_get("asked_at")?, r.try_get("state")?, r.try_get("decided_at")?)
                })
                .collect::<Result<Vec<_>, StoreError>>()?
        })
    };
}

impl Store {
    /// Records a reporter's request to erase `what` of their report, with the
    /// `erasure.requested` event. One open request per report: another is a `Conflict`.
    pub async fn ask_erasure(
        &self,
        id: &ReportId,
        what: Erasure,
        now: Timestamp,
    ) -> Result<ErasureRequest, StoreError> {
        let request = crate::random_id()?;
        self.write(WriteOp::Team(TeamWrite {
            stmts: vec![stmt(
                "INSERT INTO erasure_requests (id, report_id, what, asked_at, state) SELECT $1, $2, $3, $4, 'open' WHERE NOT EXISTS (SELECT 1 FROM erasure_requests WHERE report_id = $2 AND state = 'open')",
                vec![
                    text(&request),
                    text(id.as_str()),
                    text(what.name()),
                    Value::Int(millis(now)),
                ],
            )
            .expecting_one("a request to erase is already waiting for the team's answer")],
            events: vec![event(
                now,
                "reporter",
                "erasure.requested",
                Some(id.as_str()),
                format!("request={request} what={}", what.name()),
            )],
            jobs: Vec::new(),
        }))
        .await?;
        Ok(ErasureRequest {
            id: request,
            report_id: id.clone(),
            what,
            asked_at: now,
            state: "open".into(),
            decided_at: None,
        })
    }

    /// A report's erasure requests, oldest first.
    pub async fn erasure_requests(&self, id: &ReportId) -> Result<Vec<ErasureRequest>, StoreError> {
        Ok(requests!(
            &self.db,
            format!(
                "SELECT {REQUEST_COLUMNS} FROM erasure_requests WHERE report_id = $1 ORDER BY asked_at, id"
            ),
            id.as_str()
        ))
    }

    /// The requests waiting for an answer, oldest first, with their reports' projects (at most
    /// `ERASURE_REQUESTS_LISTED_MAX`).
    pub async fn open_erasure_requests(&self) -> Result<Vec<(String, ErasureRequest)>, StoreError> {
        let requests = requests!(
            &self.db,
            format!(
                "SELECT {REQUEST_COLUMNS} FROM erasure_requests WHERE state = 'open' ORDER BY asked_at, id LIMIT $1"
            ),
            ERASURE_REQUESTS_LISTED_MAX
        );
        let mut out = Vec::with_capacity(requests.len());
        for request in requests {
            let project = self.case_row(&request.report_id).await?.project;
            out.push((project, request));
        }
        Ok(out)
    }

    /// Erases one group of a report's data by destroying its key, with the messages it was
    /// made from, in one transaction with the `report.erased` event (`what=`, `reason=`; no
    /// personal data) and the closing of the reporter's open requests for that group.
    /// Erasing again changes nothing (`already`). A legal hold standing at `now` makes the
    /// write a `Conflict` (the use case says so first; this holds against a hold set
    /// meanwhile).
    pub async fn erase(
        &self,
        id: &ReportId,
        what: Erasure,
        reason: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Erased, StoreError> {
        let closing = stmt(
            "UPDATE erasure_requests SET state = 'done', decided_at = $1, decided_by = $2 WHERE report_id = $3 AND what = $4 AND state = 'open'",
            vec![
                Value::Int(millis(now)),
                text(actor),
                text(id.as_str()),
                text(what.name()),
            ],
        );
        let (mut stmts, audit) = match self.erasure_parts(id, what, reason, actor, now).await? {
            Ok(parts) => parts,
            Err(at) => {
                self.team_write(vec![closing], Vec::new()).await?;
                return Ok(Erased {
                    what,
                    at,
                    already: true,
                });
            }
        };
        stmts.extend(self.erase_inbound_stmts(id, what).await?);
        stmts.push(closing);
        self.write(WriteOp::Team(TeamWrite {
            stmts,
            events: vec![audit],
            jobs: Vec::new(),
        }))
        .await?;
        self.after_erasure().await;
        Ok(Erased {
            what,
            at: now,
            already: false,
        })
    }

    /// Refuses the open request `request` with a reason the reporter is told in their
    /// conversation, with the `erasure.refused` event, in one transaction.
    pub async fn refuse_erasure_request(
        &self,
        id: &ReportId,
        request: &str,
        reason: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (message, job, told) = self.reporter_notice(id, reason, actor, now).await?;
        self.write(WriteOp::Team(TeamWrite {
            stmts: vec![
                stmt(
                    "UPDATE erasure_requests SET state = 'refused', decided_at = $1, decided_by = $2 WHERE id = $3 AND report_id = $4 AND state = 'open'",
                    vec![
                        Value::Int(millis(now)),
                        text(actor),
                        text(request),
                        text(id.as_str()),
                    ],
                )
                .expecting_one("this request was answered meanwhile"),
                message,
            ],
            events: vec![
                event(
                    now,
                    actor,
                    "erasure.refused",
                    Some(id.as_str()),
                    format!("request={request}"),
                ),
                told,
            ],
            jobs: vec![job],
        }))
        .await
    }
}

/// A closed report that still holds personal data, with what retention reads of it.
#[derive(Debug, Clone)]
pub struct RetentionRow {
    /// The report.
    pub id: ReportId,
    /// Its project.
    pub project: String,
    /// When it was closed, its advisory's publication, what was erased, its hold.
    pub facts: postern_core::privacy::RetentionFacts,
}

/// Closed reports read for retention at a time.
pub const RETENTION_BATCH: i64 = 200;

impl Store {
    /// Closed reports of `projects` with something left to erase, by id after `after`, at most
    /// `RETENTION_BATCH`. Only the projects whose policy keeps data for a set time are worth
    /// reading: the others' closed reports (most of a large instance) are never read.
    pub async fn retention_candidates(
        &self,
        projects: &[String],
        after: &str,
    ) -> Result<Vec<RetentionRow>, StoreError> {
        if projects.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = on_db!(&self.db, pool => {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT id FROM reports WHERE status = 'closed' AND (contact_erased_at IS NULL OR contents_erased_at IS NULL) AND project IN (",
            );
            let mut list = query.separated(", ");
            for project in projects {
                list.push_bind(project);
            }
            query.push(") AND id > ");
            query.push_bind(after);
            query.push(" ORDER BY id LIMIT ");
            query.push_bind(RETENTION_BATCH);
            query.build().fetch_all(pool).await?
                .into_iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let id = ReportId::parse(&id).ok_or_else(|| StoreError::Corrupt("id".into()))?;
            let row = self.case_row(&id).await?;
            let closed_at = self.state_reached_at(&id, &row.case).await?;
            let published: Option<i64> = on_db!(&self.db, pool => {
                sqlx::query("SELECT MAX(published_at) AS p FROM advisories WHERE report_id = $1")
                    .bind(id.as_str()).fetch_one(pool).await?.try_get("p")?
            });
            out.push(RetentionRow {
                facts: postern_core::privacy::RetentionFacts {
                    closed_at: Some(closed_at),
                    advisory_published_at: published.map(from_millis).transpose()?,
                    state: self.privacy_state(&id).await?,
                },
                project: row.project,
                id,
            });
        }
        Ok(out)
    }
}
