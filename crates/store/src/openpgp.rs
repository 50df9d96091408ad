//! OpenPGP keys at rest (migration 0018): each project's keys (the current one and those
//! rotation retired, kept to decrypt what was sent to them), team members' public keys, and
//! how a report that came encrypted arrived.
//!
//! The store knows bytes, not OpenPGP: the use cases (`postern-app`) read and check keys with
//! `postern-openpgp` and hand over fingerprints, public keys and secret keys. A project's
//! secret key is sealed by the master key like a webhook's secret, the associated data naming
//! its fingerprint, and re-wrapped by `rotate_master_key`. A reporter's public key is personal
//! data: sealed by the master key too, and removed when their contact is erased.

use jiff::Timestamp;
use postern_core::report::ReportId;
use sqlx::Row as _;
use zeroize::Zeroizing;

use crate::write::{EventParts, Stmt, Value, event, opt_blob, opt_text, stmt, text};
use crate::{Db, Store, StoreError, from_millis, millis, on_db};

/// Most keys (current and retired) one project may hold.
pub const PROJECT_KEYS_MAX: usize = 50;

/// A project's OpenPGP key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectKey {
    /// The primary key's fingerprint (40 upper-case hex digits).
    pub fingerprint: String,
    /// The project's slug.
    pub project: String,
    /// The public key, binary (as the Web Key Directory serves it).
    pub public_key: Vec<u8>,
    /// When it was made or brought in.
    pub created_at: Timestamp,
    /// Who did.
    pub created_by: String,
    /// When rotation retired it; `None` for the current key.
    pub retired_at: Option<Timestamp>,
}

/// A team member's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberKey {
    /// The member's account id.
    pub user_id: String,
    /// The primary key's fingerprint.
    pub fingerprint: String,
    /// The public key, binary.
    pub public_key: Vec<u8>,
    /// When the key expires, if it does.
    pub expires_at: Option<Timestamp>,
    /// When it was set.
    pub created_at: Timestamp,
}

/// How a report that came as an OpenPGP message arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedArrival {
    /// `decrypted`, `undecryptable` (kept sealed as it came), or `plain` (a plain report
    /// with the reporter's key).
    pub state: ArrivalState,
    /// The project key that decrypted it.
    pub decrypted_with: Option<String>,
    /// `unsigned`, `verified`, `bad` or `unknown_key`.
    pub signature: String,
    /// The key id that signed it, if it was signed.
    pub signer: Option<String>,
    /// Words for the team (why it could not be decrypted, what the signature said).
    pub detail: String,
    /// The fingerprint of the public key the reporter gave, if any.
    pub reporter_fingerprint: Option<String>,
}

/// Whether an encrypted report could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrivalState {
    /// Sent in plain text; only the reporter's public key is kept.
    Plain,
    /// Decrypted at intake; its contents are stored like any report's.
    Decrypted,
    /// Not decrypted (no key of the project opens it, or it is damaged); the ciphertext is a
    /// sealed attachment of the report.
    Undecryptable,
}

impl ArrivalState {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            ArrivalState::Plain => "plain",
            ArrivalState::Decrypted => "decrypted",
            ArrivalState::Undecryptable => "undecryptable",
        }
    }

    fn parse(name: &str) -> Result<ArrivalState, StoreError> {
        match name {
            "plain" => Ok(ArrivalState::Plain),
            "decrypted" => Ok(ArrivalState::Decrypted),
            "undecryptable" => Ok(ArrivalState::Undecryptable),
            other => Err(StoreError::Corrupt(format!(
                "openpgp arrival state {other}"
            ))),
        }
    }
}

fn secret_aad(fingerprint: &str) -> String {
    format!("openpgp:{fingerprint}")
}

fn reporter_key_aad(report_id: &str) -> String {
    format!("{report_id}/openpgp-key")
}

const KEY_COLUMNS: &str = "fingerprint, project, public_key, created_at, created_by, retired_at";

fn key_from_row<R: sqlx::Row>(r: &R) -> Result<ProjectKey, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Vec<u8>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ProjectKey {
        fingerprint: r.try_get("fingerprint")?,
        project: r.try_get("project")?,
        public_key: r.try_get("public_key")?,
        created_at: from_millis(r.try_get("created_at")?)?,
        created_by: r.try_get("created_by")?,
        retired_at: r
            .try_get::<Option<i64>, _>("retired_at")?
            .map(from_millis)
            .transpose()?,
    })
}

/// A new project key, for [`Store::add_project_key`].
pub struct NewProjectKey<'a> {
    /// The project's slug.
    pub project: &'a str,
    /// The primary key's fingerprint.
    pub fingerprint: &'a str,
    /// The public key, binary.
    pub public_key: &'a [u8],
    /// The secret key, binary: sealed here, never stored in the clear.
    pub secret_key: &'a [u8],
    /// Why: `generated`, `imported` or `rotated` (the audit event's detail says it).
    pub how: &'static str,
    /// Retire the project's current key in the same transaction (rotation).
    pub retire_current: bool,
}

impl Store {
    /// Adds a key to a project, its secret sealed, with an audit event
    /// (`openpgp.key_added`, naming the fingerprint and how); with `retire_current`, the
    /// current key is retired in the same transaction. Refused (`Conflict`) when another
    /// project holds the same key, or, without `retire_current`, when the project has a
    /// current key already.
    pub async fn add_project_key(
        &self,
        new: &NewProjectKey<'_>,
        actor: &str,
        now: Timestamp,
    ) -> Result<ProjectKey, StoreError> {
        let keys = self.project_keys(new.project).await?;
        if keys.len() >= PROJECT_KEYS_MAX {
            return Err(StoreError::Limit(format!(
                "project {} holds {PROJECT_KEYS_MAX} OpenPGP keys, the most it may",
                new.project
            )));
        }
        let current = keys.iter().find(|k| k.retired_at.is_none());
        if let Some(current) = current
            && !new.retire_current
        {
            return Err(StoreError::Conflict(format!(
                "project {} has an OpenPGP key already ({}); rotate it instead",
                new.project, current.fingerprint
            )));
        }
        if let Some(other) = self.project_key(new.fingerprint).await? {
            return Err(StoreError::Conflict(format!(
                "key {} is held already (project {}); a key belongs to one project",
                new.fingerprint, other.project
            )));
        }
        let (key_id, sealed) = self
            .vault
            .wrap(&secret_aad(new.fingerprint), new.secret_key)?;
        let mut stmts = Vec::new();
        let mut detail = format!(
            "project={} fingerprint={} how={}",
            new.project, new.fingerprint, new.how
        );
        if let Some(current) = current.filter(|_| new.retire_current) {
            let mut retire = stmt(
                "UPDATE openpgp_project_keys SET retired_at = $1 WHERE fingerprint = $2 AND retired_at IS NULL",
                vec![Value::Int(millis(now)), text(&current.fingerprint)],
            );
            retire.expect_one = Some("the project's key was rotated meanwhile; try again");
            stmts.push(retire);
            detail.push_str(&format!(" retired={}", current.fingerprint));
        }
        stmts.push(stmt(
            "INSERT INTO openpgp_project_keys (fingerprint, project, public_key, key_id, sealed, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                text(new.fingerprint),
                text(new.project),
                Value::Blob(new.public_key.to_vec()),
                text(key_id),
                Value::Blob(sealed),
                Value::Int(millis(now)),
                text(actor),
            ],
        ));
        self.team_write(
            stmts,
            vec![event(now, actor, "openpgp.key_added", None, detail)],
        )
        .await?;
        self.project_key(new.fingerprint)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A project's keys, newest first (the current one first).
    pub async fn project_keys(&self, project: &str) -> Result<Vec<ProjectKey>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM openpgp_project_keys WHERE project = $1 ORDER BY created_at DESC, fingerprint"
        ));
        let mut keys: Vec<ProjectKey> = on_db!(&self.db, pool => {
            sqlx::query(sql).bind(project).fetch_all(pool).await?
                .iter().map(key_from_row).collect::<Result<_, _>>()?
        });
        keys.sort_by_key(|k| k.retired_at.is_some());
        Ok(keys)
    }

    /// A project's current key, if it has one.
    pub async fn current_project_key(
        &self,
        project: &str,
    ) -> Result<Option<ProjectKey>, StoreError> {
        Ok(self
            .project_keys(project)
            .await?
            .into_iter()
            .find(|k| k.retired_at.is_none()))
    }

    /// One key by fingerprint, whichever project holds it.
    pub async fn project_key(&self, fingerprint: &str) -> Result<Option<ProjectKey>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM openpgp_project_keys WHERE fingerprint = $1"
        ));
        on_db!(&self.db, pool => {
            sqlx::query(sql).bind(fingerprint).fetch_optional(pool).await?
                .as_ref().map(key_from_row).transpose()
        })
    }

    /// A project's secret keys, unsealed, the current one first: to sign with the current,
    /// to decrypt with any. Wiped when dropped.
    pub async fn project_secret_keys(
        &self,
        project: &str,
    ) -> Result<Vec<(ProjectKey, Zeroizing<Vec<u8>>)>, StoreError> {
        let mut out = Vec::new();
        for key in self.project_keys(project).await? {
            let row: Option<(String, Vec<u8>)> = on_db!(&self.db, pool => {
                sqlx::query("SELECT key_id, sealed FROM openpgp_project_keys WHERE fingerprint = $1")
                    .bind(&key.fingerprint).fetch_optional(pool).await?
                    .map(|r| Ok::<_, sqlx::Error>((r.try_get("key_id")?, r.try_get("sealed")?)))
                    .transpose()?
            });
            let (key_id, sealed) = row.ok_or(StoreError::NotFound)?;
            let secret = self
                .vault
                .unwrap(&secret_aad(&key.fingerprint), &key_id, &sealed)?;
            out.push((key, secret));
        }
        Ok(out)
    }

    /// Records that a project's secret key was exported (`openpgp.key_exported`).
    pub async fn record_project_key_export(
        &self,
        fingerprint: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.team_write(
            Vec::new(),
            vec![event(
                now,
                actor,
                "openpgp.secret_key_exported",
                None,
                format!("fingerprint={fingerprint}"),
            )],
        )
        .await
    }

    /// Re-wraps every project secret key under the master key `new_id` (key rotation);
    /// returns how many rows still use another key (none unless a writer raced).
    pub(crate) async fn rewrap_project_keys(&self, new_id: &str) -> Result<i64, StoreError> {
        let rows: Vec<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT fingerprint, key_id, sealed FROM openpgp_project_keys WHERE key_id <> $1")
                .bind(new_id).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("fingerprint")?, r.try_get("key_id")?, r.try_get("sealed")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        for (fingerprint, key_id, sealed) in rows {
            let plain = self
                .vault
                .unwrap(&secret_aad(&fingerprint), &key_id, &sealed)?;
            let (wrapped_id, resealed) = self.vault.wrap(&secret_aad(&fingerprint), &plain)?;
            on_db!(&self.db, pool => {
                sqlx::query("UPDATE openpgp_project_keys SET key_id = $1, sealed = $2 WHERE fingerprint = $3 AND key_id = $4")
                    .bind(&wrapped_id).bind(&resealed).bind(&fingerprint).bind(&key_id)
                    .execute(pool).await?;
            });
        }
        let reporter_rows: Vec<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT report_id, reporter_key_id, reporter_key FROM report_openpgp WHERE reporter_key_id IS NOT NULL AND reporter_key_id <> $1")
                .bind(new_id).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("report_id")?, r.try_get("reporter_key_id")?, r.try_get("reporter_key")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        for (report, key_id, sealed) in reporter_rows {
            let plain = self
                .vault
                .unwrap(&reporter_key_aad(&report), &key_id, &sealed)?;
            let (wrapped_id, resealed) = self.vault.wrap(&reporter_key_aad(&report), &plain)?;
            on_db!(&self.db, pool => {
                sqlx::query("UPDATE report_openpgp SET reporter_key_id = $1, reporter_key = $2 WHERE report_id = $3 AND reporter_key_id = $4")
                    .bind(&wrapped_id).bind(&resealed).bind(&report).bind(&key_id)
                    .execute(pool).await?;
            });
        }
        let left: i64 = on_db!(&self.db, pool => {
            sqlx::query("SELECT (SELECT COUNT(*) FROM openpgp_project_keys WHERE key_id <> $1) + (SELECT COUNT(*) FROM report_openpgp WHERE reporter_key_id IS NOT NULL AND reporter_key_id <> $1) AS n")
                .bind(new_id).fetch_one(pool).await?.try_get("n")?
        });
        Ok(left)
    }

    /// Sets a team member's public key (replacing theirs), audited as `openpgp.member_key_set`.
    pub async fn set_member_key(
        &self,
        key: &MemberKey,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.team_write(
            vec![
                stmt(
                    "DELETE FROM openpgp_member_keys WHERE user_id = $1",
                    vec![text(&key.user_id)],
                ),
                stmt(
                    "INSERT INTO openpgp_member_keys (user_id, fingerprint, public_key, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
                    vec![
                        text(&key.user_id),
                        text(&key.fingerprint),
                        Value::Blob(key.public_key.clone()),
                        key.expires_at
                            .map_or(Value::Int(0), |t| Value::Int(millis(t))),
                        Value::Int(millis(now)),
                    ],
                ),
            ],
            vec![event(
                now,
                actor,
                "openpgp.member_key_set",
                None,
                format!("user={} fingerprint={}", key.user_id, key.fingerprint),
            )],
        )
        .await
    }

    /// Removes a team member's public key (`openpgp.member_key_removed`); `NotFound` if
    /// they had none.
    pub async fn remove_member_key(
        &self,
        user_id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let Some(key) = self.member_key(user_id).await? else {
            return Err(StoreError::NotFound);
        };
        let mut delete = stmt(
            "DELETE FROM openpgp_member_keys WHERE user_id = $1",
            vec![text(user_id)],
        );
        delete.expect_one = Some("this key was removed already");
        self.team_write(
            vec![delete],
            vec![event(
                now,
                actor,
                "openpgp.member_key_removed",
                None,
                format!("user={user_id} fingerprint={}", key.fingerprint),
            )],
        )
        .await
    }

    /// A team member's public key, if they set one.
    pub async fn member_key(&self, user_id: &str) -> Result<Option<MemberKey>, StoreError> {
        on_db!(&self.db, pool => {
            sqlx::query("SELECT user_id, fingerprint, public_key, expires_at, created_at FROM openpgp_member_keys WHERE user_id = $1")
                .bind(user_id).fetch_optional(pool).await?
                .map(|r| -> Result<MemberKey, StoreError> {
                    let expires: i64 = r.try_get("expires_at")?;
                    Ok(MemberKey {
                        user_id: r.try_get("user_id")?,
                        fingerprint: r.try_get("fingerprint")?,
                        public_key: r.try_get("public_key")?,
                        expires_at: (expires > 0).then(|| from_millis(expires)).transpose()?,
                        created_at: from_millis(r.try_get("created_at")?)?,
                    })
                })
                .transpose()
        })
    }

    /// The statement and audit event that record how an encrypted report arrived, for the
    /// transaction that stores the report (the reporter's key sealed here).
    pub(crate) fn arrival_write(
        &self,
        report_id: &str,
        arrival: &EncryptedArrival,
        reporter_key: Option<&[u8]>,
        at: Timestamp,
    ) -> Result<(Stmt, EventParts), StoreError> {
        let sealed = reporter_key
            .map(|k| self.vault.wrap(&reporter_key_aad(report_id), k))
            .transpose()?;
        let (key_id, key) = match sealed {
            Some((id, sealed)) => (Some(id), Some(sealed)),
            None => (None, None),
        };
        let insert = stmt(
            "INSERT INTO report_openpgp (report_id, state, decrypted_with, signature, signer, detail, reporter_fingerprint, reporter_key_id, reporter_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                text(report_id),
                text(arrival.state.name()),
                opt_text(arrival.decrypted_with.clone()),
                text(&arrival.signature),
                opt_text(arrival.signer.clone()),
                text(&arrival.detail),
                opt_text(arrival.reporter_fingerprint.clone()),
                opt_text(key_id),
                opt_blob(key),
            ],
        );
        let mut detail = format!(
            "state={} signature={}",
            arrival.state.name(),
            arrival.signature
        );
        if let Some(fp) = &arrival.decrypted_with {
            detail.push_str(&format!(" key={fp}"));
        }
        let audit = event(at, "reporter", "report.encrypted", Some(report_id), detail);
        Ok((insert, audit))
    }

    /// How a report arrived encrypted, if it did.
    pub async fn encrypted_arrival(
        &self,
        id: &ReportId,
    ) -> Result<Option<EncryptedArrival>, StoreError> {
        on_db!(&self.db, pool => {
            sqlx::query("SELECT state, decrypted_with, signature, signer, detail, reporter_fingerprint FROM report_openpgp WHERE report_id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| -> Result<EncryptedArrival, StoreError> {
                    let state: String = r.try_get("state")?;
                    Ok(EncryptedArrival {
                        state: ArrivalState::parse(&state)?,
                        decrypted_with: r.try_get("decrypted_with")?,
                        signature: r.try_get("signature")?,
                        signer: r.try_get("signer")?,
                        detail: r.try_get("detail")?,
                        reporter_fingerprint: r.try_get("reporter_fingerprint")?,
                    })
                })
                .transpose()
        })
    }

    /// The public key the reporter gave with their report (binary or armoured, as the use
    /// case stored it), unsealed; `None` when they gave none or it was erased with their
    /// contact.
    pub async fn reporter_key(&self, id: &ReportId) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Option<String>, Option<Vec<u8>>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT reporter_key_id, reporter_key FROM report_openpgp WHERE report_id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("reporter_key_id")?, r.try_get("reporter_key")?)))
                .transpose()?
        });
        let Some((Some(key_id), Some(sealed))) = row else {
            return Ok(None);
        };
        let plain = self
            .vault
            .unwrap(&reporter_key_aad(id.as_str()), &key_id, &sealed)?;
        Ok(Some(plain.to_vec()))
    }
}
