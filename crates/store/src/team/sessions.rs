//! Server-side sessions: only the SHA-256 of a session token is stored, the CSRF token is
//! derived from the token, and sessions end when idle, at an absolute limit, or everywhere at
//! once.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

use super::accounts::{User, new_token, token_hash};
use crate::write::{event, stmt, text};
use crate::{Db, Store, StoreError, from_millis, millis, on_db};

/// A session ends after this long without a request.
pub const SESSION_IDLE_TTL: SignedDuration = SignedDuration::from_hours(1);
/// A session ends this long after sign-in, whatever happens.
pub const SESSION_ABSOLUTE_TTL: SignedDuration = SignedDuration::from_hours(12);
/// A session half-way through sign-in (second factor pending) lasts this long.
pub const SESSION_PENDING_TTL: SignedDuration = SignedDuration::from_mins(10);
/// Sessions touch `last_seen_at` at most this often, to spare the database a write per page.
const SESSION_TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);

/// The CSRF token for a session: derived from the session's secret token, so it needs no
/// storage and cannot be computed without the cookie.
pub fn csrf_token(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"postern csrf v1\0");
    hasher.update(session_token.as_bytes());
    data_encoding::HEXLOWER.encode(&hasher.finalize())
}

/// How far a session has come through sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// The password was right; the second factor is pending.
    Password,
    /// The password was right; the instance requires a second factor the account lacks.
    Enrol,
    /// Signed in.
    Full,
}

impl SessionStage {
    fn name(self) -> &'static str {
        match self {
            SessionStage::Password => "password",
            SessionStage::Enrol => "enrol",
            SessionStage::Full => "full",
        }
    }

    fn parse(name: &str) -> Option<SessionStage> {
        [
            SessionStage::Password,
            SessionStage::Enrol,
            SessionStage::Full,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Whose.
    pub user: User,
    /// How far through sign-in.
    pub stage: SessionStage,
    /// When it started.
    pub created_at: Timestamp,
}

impl Store {
    /// Starts a session; returns the token for the cookie (only its hash is stored).
    pub async fn create_session(
        &self,
        user: &User,
        stage: SessionStage,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let token = new_token()?;
        let ttl = if stage == SessionStage::Full {
            SESSION_ABSOLUTE_TTL
        } else {
            SESSION_PENDING_TTL
        };
        let expires = millis(now.saturating_add(ttl).unwrap_or(now));
        on_db!(&self.db, pool => {
            sqlx::query("INSERT INTO sessions (id_hash, user_id, stage, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)")
                .bind(token_hash(&token)).bind(&user.id).bind(stage.name()).bind(millis(now)).bind(expires)
                .execute(pool).await?;
        });
        Ok(token)
    }

    /// The session a cookie's token opens, if it is alive at `now` (idle and absolute
    /// timeouts); touches it.
    pub async fn session(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let hash = token_hash(token);
        let row: Option<(String, String, i64, i64, i64)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT user_id, stage, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = $1")
                .bind(&hash).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("user_id")?, r.try_get("stage")?, r.try_get("created_at")?, r.try_get("last_seen_at")?, r.try_get("expires_at")?)))
                .transpose()?
        });
        let Some((user_id, stage, created_at, last_seen_at, expires_at)) = row else {
            return Ok(None);
        };
        let at = millis(now);
        let idle_limit = last_seen_at + SESSION_IDLE_TTL.as_millis() as i64;
        if at >= expires_at || at >= idle_limit {
            self.end_session(token).await?;
            return Ok(None);
        }
        let Some(user) = self.user_by_id(&user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        if at - last_seen_at >= SESSION_TOUCH_EVERY.as_millis() as i64 {
            // Through the writer, like every write: on SQLite a write beside it waits for the
            // database's lock and fails after the busy timeout while the writer is busy (a page
            // answered 500 so behind a job runner's long claims at a million reports).
            self.write(crate::WriteOp::Team(crate::write::TeamWrite {
                stmts: vec![stmt(
                    "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2",
                    vec![
                        crate::write::Value::Int(at),
                        crate::write::Value::Blob(hash.clone()),
                    ],
                )],
                events: Vec::new(),
                jobs: Vec::new(),
            }))
            .await?;
        }
        Ok(Some(Session {
            user,
            stage: SessionStage::parse(&stage)
                .ok_or_else(|| StoreError::Corrupt("stage".into()))?,
            created_at: from_millis(created_at)?,
        }))
    }

    /// Ends one session.
    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(token_hash(token)).execute(pool).await?;
        });
        Ok(())
    }

    /// Ends every session of an account ("sign out everywhere").
    pub async fn end_all_sessions(&self, user: &User, now: Timestamp) -> Result<(), StoreError> {
        self.team_write(
            vec![stmt(
                "DELETE FROM sessions WHERE user_id = $1",
                vec![text(&user.id)],
            )],
            vec![event(
                now,
                &user.email,
                "auth.signout_everywhere",
                None,
                String::new(),
            )],
        )
        .await
    }
}
