//! API tokens for automation (a CI job importing scanner reports): scoped to projects and
//! actions, with an expiry, revocable, every change audited.
//!
//! The token is shown once and never stored: the table keeps its SHA-256. A plain hash is
//! enough because a token is 256 random bits: there is nothing to guess and no dictionary to
//! precompute, so the slow, salted hashing that passwords need would only slow every request.
//! Tokens are looked up by their hash (an index), so no comparison leaks timing about a
//! stored token.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::write::{Value, event, stmt, text};
use crate::{Db, Store, StoreError, from_millis, millis, on_db, random_id};

/// What every token starts with, so that secret scanners recognise a leaked one.
pub const TOKEN_PREFIX: &str = "pst_";
/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;
/// Most live tokens in all.
pub const TOKENS_MAX: usize = 200;

/// A token, without the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Id, as `postern token list` shows it.
    pub id: String,
    /// What it is for ("CI of acme/api").
    pub name: String,
    /// The projects it may act on.
    pub projects: Vec<String>,
    /// The actions it may take (`scans:write`).
    pub scopes: Vec<String>,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    /// Whether it works at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A new random token: `pst_` and 32 random bytes in lowercase base32 (no padding).
pub fn new_token() -> Result<zeroize::Zeroizing<String>, StoreError> {
    let bytes = zeroize::Zeroizing::new(crate::vault::random_bytes::<TOKEN_BYTES>()?);
    let encoded = data_encoding::BASE32_NOPAD.encode(&*bytes).to_lowercase();
    Ok(zeroize::Zeroizing::new(format!("{TOKEN_PREFIX}{encoded}")))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

const COLUMNS: &str = "id, name, projects, scopes, created_by, created_at, expires_at, revoked_at";

fn list(text: String) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn token_from_row<R: sqlx::Row>(r: &R) -> Result<ApiToken, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let revoked: Option<i64> = r.try_get("revoked_at")?;
    Ok(ApiToken {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        projects: list(r.try_get("projects")?),
        scopes: list(r.try_get("scopes")?),
        created_by: r.try_get("created_by")?,
        created_at: from_millis(r.try_get("created_at")?)?,
        expires_at: from_millis(r.try_get("expires_at")?)?,
        revoked_at: revoked.map(from_millis).transpose()?,
    })
}

impl Store {
    /// Stores a token's hash with its scope (`token.created` in the audit log, naming the id,
    /// projects, scopes and expiry, never the token).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_api_token(
        &self,
        token: &str,
        name: &str,
        projects: &[String],
        scopes: &[String],
        expires_at: Timestamp,
        actor: &str,
        now: Timestamp,
    ) -> Result<ApiToken, StoreError> {
        let live = self
            .api_tokens()
            .await?
            .iter()
            .filter(|t| t.is_live(now))
            .count();
        if live >= TOKENS_MAX {
            return Err(StoreError::Limit(format!(
                "there are {TOKENS_MAX} live tokens already, the most there may be; revoke one first"
            )));
        }
        let id = random_id()?;
        let (projects_text, scopes_text) = (projects.join(","), scopes.join(","));
        self.team_write(
            vec![stmt(
                "INSERT INTO api_tokens (id, token_hash, name, projects, scopes, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                vec![
                    text(&id),
                    Value::Blob(token_hash(token)),
                    text(name),
                    text(&projects_text),
                    text(&scopes_text),
                    text(actor),
                    Value::Int(millis(now)),
                    Value::Int(millis(expires_at)),
                ],
            )],
            vec![event(
                now,
                actor,
                "token.created",
                None,
                format!(
                    "token={id} projects={projects_text} scopes={scopes_text} expires={expires_at}"
                ),
            )],
        )
        .await?;
        Ok(ApiToken {
            id,
            name: name.to_owned(),
            projects: projects.to_vec(),
            scopes: scopes.to_vec(),
            created_by: actor.to_owned(),
            created_at: from_millis(millis(now))?,
            expires_at: from_millis(millis(expires_at))?,
            revoked_at: None,
        })
    }

    /// Every token, newest first.
    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens ORDER BY created_at DESC, id"
        ));
        on_db!(&self.db, pool => {
            sqlx::query(sql).fetch_all(pool).await?.iter().map(token_from_row).collect()
        })
    }

    /// The token with this value, if one was made (live or not).
    pub async fn api_token_by_value(&self, token: &str) -> Result<Option<ApiToken>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"
        ));
        let hash = token_hash(token);
        on_db!(&self.db, pool => {
            sqlx::query(sql).bind(&hash).fetch_optional(pool).await?
                .as_ref().map(token_from_row).transpose()
        })
    }

    /// Revokes a token (`token.revoked`). `NotFound` if there is none or it was revoked.
    pub async fn revoke_api_token(
        &self,
        id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut revoke = stmt(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            vec![Value::Int(millis(now)), text(id)],
        );
        revoke.expect_one = Some("no such live token");
        self.team_write(
            vec![revoke],
            vec![event(
                now,
                actor,
                "token.revoked",
                None,
                format!("token={id}"),
            )],
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::NotFound,
            other => other,
        })
    }

    /// The newest `limit` audit events about no report (accounts, tokens, scans), newest
    /// first: what a token or an import did.
    pub async fn team_events(
        &self,
        limit: usize,
    ) -> Result<Vec<postern_core::audit::AuditEvent>, StoreError> {
        on_db!(&self.db, pool => {
            sqlx::query("SELECT seq, at, actor, action, report_id, detail FROM audit_events WHERE report_id IS NULL ORDER BY seq DESC LIMIT $1")
                .bind(limit as i64).fetch_all(pool).await?
                .iter()
                .map(crate::audit_event_from_row)
                .collect()
        })
    }
}
