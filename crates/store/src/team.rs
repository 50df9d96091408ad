//! The team's side of the store: accounts, sign-in throttling, server-side sessions, the work
//! queue, the team's view of a report, and the case changes that the core's `case::apply`
//! decides. Every change goes through the writer with its audit event, in one transaction.
//!
//! Tokens (setup links, session cookies) are random and only their SHA-256 is stored: a copy
//! of the database cannot be used to sign in.

use jiff::{SignedDuration, Timestamp};
use postern_core::case::{Applied, Case, CaseRecord, parse_severity};
use postern_core::clock::Clocks;
use postern_core::intake::ValidSubmission;
use postern_core::policy::Severity;
use postern_core::report::{Author, ReportId, ReportStatus};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;
use zeroize::Zeroizing;

use crate::writer::EventParts;
use crate::{
    AttachmentInfo, Content, Db, Message, Store, StoreError, WriteOp, aad, from_millis, millis,
    on_db, random_id, vault,
};

/// How long a setup link works.
pub const SETUP_LINK_TTL: SignedDuration = SignedDuration::from_hours(24);
/// A session ends after this long without a request.
pub const SESSION_IDLE_TTL: SignedDuration = SignedDuration::from_hours(1);
/// A session ends this long after sign-in, whatever happens.
pub const SESSION_ABSOLUTE_TTL: SignedDuration = SignedDuration::from_hours(12);
/// A session half-way through sign-in (second factor pending) lasts this long.
pub const SESSION_PENDING_TTL: SignedDuration = SignedDuration::from_mins(10);
/// Failed sign-ins in a row that lock an account.
pub const LOGIN_FAILURES_MAX: i64 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT: SignedDuration = SignedDuration::from_mins(15);
/// Failed sign-ins from one client address within `CLIENT_WINDOW` before it is refused.
pub const CLIENT_FAILURES_MAX: i64 = 20;
/// The window for `CLIENT_FAILURES_MAX`.
pub const CLIENT_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Longest email address.
pub const EMAIL_CHARS_MAX: usize = 254;
/// Most rows the queue returns per page.
pub const QUEUE_PAGE_MAX: usize = 200;
/// Longest internal note or team message, in bytes.
pub const NOTE_BYTES_MAX: usize = 64 * 1024;
/// Most reports one project's statistics read.
pub const STATS_REPORTS_MAX: i64 = 200_000;
/// `next_due_at` when no clock runs.
const NO_DEADLINE: i64 = i64::MAX;
/// Sessions touch `last_seen_at` at most this often, to spare the database a write per page.
const SESSION_TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);

/// (key id, wrapped secret, last used step) of an account's second factor.
type TotpRow = (Option<String>, Option<Vec<u8>>, Option<i64>);
/// (project, received_at, status, severity, case_record, clocks, version) of a report.
type CaseColumns = (String, i64, String, Option<String>, String, String, i64);

/// A parameter of a team write's statement.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
    Blob(Vec<u8>),
    NullText,
}

/// One statement of a team write. With `expect_one`, the write fails with that text as a
/// `Conflict` unless exactly one row changed (optimistic concurrency).
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub sql: &'static str,
    pub args: Vec<Value>,
    pub expect_one: Option<&'static str>,
}

/// Statements and the audit events they append, committed together.
#[derive(Debug, Clone)]
pub(crate) struct TeamWrite {
    pub stmts: Vec<Stmt>,
    pub events: Vec<EventParts>,
    /// Outbox jobs the write enqueues (mail to the reporter, ...).
    pub jobs: Vec<crate::jobs::NewJob>,
}

pub(crate) fn text(v: impl Into<String>) -> Value {
    Value::Text(v.into())
}

fn opt_text(v: Option<impl Into<String>>) -> Value {
    v.map_or(Value::NullText, |v| Value::Text(v.into()))
}

pub(crate) fn stmt(sql: &'static str, args: Vec<Value>) -> Stmt {
    Stmt {
        sql,
        args,
        expect_one: None,
    }
}

pub(crate) fn event(
    at: Timestamp,
    actor: &str,
    action: &'static str,
    report_id: Option<&str>,
    detail: String,
) -> EventParts {
    EventParts {
        at: millis(at),
        actor: actor.to_owned(),
        action,
        report_id: report_id.map(str::to_owned),
        detail,
    }
}

/// Clocks as stored.
pub(crate) fn clocks_json(clocks: &Clocks) -> Result<String, StoreError> {
    serde_json::to_string(clocks).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The queue's sort key for a set of clocks.
pub(crate) fn due_millis(clocks: &Clocks) -> i64 {
    clocks.next_due().map_or(NO_DEADLINE, millis)
}

fn token_hash(token: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"postern token v1\0");
    hasher.update(token.as_bytes());
    hasher.finalize().to_vec()
}

fn new_token() -> Result<String, StoreError> {
    Ok(data_encoding::BASE64URL_NOPAD.encode(&vault::random_bytes::<32>()?))
}

/// The CSRF token for a session: derived from the session's secret token, so it needs no
/// storage and cannot be computed without the cookie.
pub fn csrf_token(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"postern csrf v1\0");
    hasher.update(session_token.as_bytes());
    data_encoding::HEXLOWER.encode(&hasher.finalize())
}

/// What a team member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads reports and the queue.
    Viewer,
    /// Also acts on reports.
    Triager,
    /// Also manages accounts.
    Admin,
}

impl Role {
    /// The stored and command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Triager => "triager",
            Role::Admin => "admin",
        }
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Option<Role> {
        [Role::Viewer, Role::Triager, Role::Admin]
            .into_iter()
            .find(|r| r.name() == name)
    }
}

/// A team account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: String,
    /// Email address, lower-case.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Projects the account may see; empty for every project.
    pub projects: Vec<String>,
    /// Argon2id PHC string, once set up.
    pub password_hash: Option<String>,
    /// Whether a second factor is enrolled.
    pub totp_enabled: bool,
    /// Failed sign-ins in a row.
    pub failed_logins: i64,
    /// Locked until then (the Unix epoch when not locked).
    pub locked_until: Timestamp,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
}

impl User {
    /// Whether the account may see a project's reports.
    pub fn can_see(&self, project: &str) -> bool {
        self.role == Role::Admin
            || self.projects.is_empty()
            || self.projects.iter().any(|p| p == project)
    }

    /// The projects to filter the queue by; `None` for all.
    pub fn project_filter(&self) -> Option<Vec<String>> {
        (self.role != Role::Admin && !self.projects.is_empty()).then(|| self.projects.clone())
    }
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

/// Filters for the work queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only these projects; `None` for all.
    pub projects: Option<Vec<String>>,
    /// Only this status.
    pub status: Option<ReportStatus>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only reports with a running clock past its limit at this moment.
    pub overdue_at: Option<Timestamp>,
    /// Leave out closed reports (unless `status` asks for them).
    pub open_only: bool,
}

/// A row of the work queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    /// Report id.
    pub id: ReportId,
    /// Project slug.
    pub project: String,
    /// Status.
    pub status: ReportStatus,
    /// Severity, once accepted.
    pub severity: Option<Severity>,
    /// When received.
    pub received_at: Timestamp,
    /// The next running clock's limit.
    pub next_due_at: Option<Timestamp>,
}

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

fn normalise_email(email: &str) -> Result<String, StoreError> {
    let email = email.trim().to_lowercase();
    let valid = email.chars().count() <= EMAIL_CHARS_MAX
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(StoreError::Limit(format!(
            "{email:?} is not an email address such as alice@example.org"
        )))
    }
}

const USER_COLUMNS: &str =
    "id, email, role, projects, password_hash, totp_secret, failed_logins, locked_until, disabled";

fn user_from_row<R: sqlx::Row>(r: &R) -> Result<User, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<Vec<u8>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let role: String = r.try_get("role")?;
    let projects: String = r.try_get("projects")?;
    let totp: Option<Vec<u8>> = r.try_get("totp_secret")?;
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt("role".into()))?,
        projects: projects
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        password_hash: r.try_get("password_hash")?,
        totp_enabled: totp.is_some(),
        failed_logins: r.try_get("failed_logins")?,
        locked_until: from_millis(r.try_get("locked_until")?)?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
    })
}

fn case_from_parts(
    status: &str,
    severity: Option<String>,
    record: &str,
    clocks: &str,
) -> Result<Case, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(what.to_owned());
    Ok(Case {
        status: ReportStatus::parse(status).ok_or_else(|| corrupt("status"))?,
        severity: match severity {
            Some(s) => Some(parse_severity(&s).ok_or_else(|| corrupt("severity"))?),
            None => None,
        },
        record: serde_json::from_str::<CaseRecord>(record).map_err(|_| corrupt("case record"))?,
        clocks: serde_json::from_str::<Clocks>(clocks).map_err(|_| corrupt("clocks"))?,
    })
}

fn severity_name(severity: Option<Severity>) -> Option<&'static str> {
    severity.map(|s| {
        Severity::ALL
            .iter()
            .find(|(_, v)| *v == s)
            .map_or("low", |(n, _)| n)
    })
}

impl Store {
    pub(crate) async fn team_write(
        &self,
        stmts: Vec<Stmt>,
        events: Vec<EventParts>,
    ) -> Result<(), StoreError> {
        self.write(WriteOp::Team(TeamWrite {
            stmts,
            events,
            jobs: Vec::new(),
        }))
        .await
    }

    /// Appends an audit event on its own (admin actions, sign-ins).
    pub async fn audit(
        &self,
        at: Timestamp,
        actor: &str,
        action: &'static str,
        report_id: Option<&ReportId>,
        detail: String,
    ) -> Result<(), StoreError> {
        self.team_write(
            Vec::new(),
            vec![event(
                at,
                actor,
                action,
                report_id.map(ReportId::as_str),
                detail,
            )],
        )
        .await
    }

    /// How many team accounts exist.
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        let n: i64 = on_db!(&self.db, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(pool).await?.try_get("n")?
        });
        Ok(n as u64)
    }

    /// Creates an account and its one-time setup token (valid for `SETUP_LINK_TTL`).
    pub async fn create_user(
        &self,
        email: &str,
        role: Role,
        projects: &[String],
        actor: &str,
        now: Timestamp,
    ) -> Result<(User, String), StoreError> {
        let email = normalise_email(email)?;
        if self.user_by_email(&email).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "an account for {email} exists already; `postern user reset {email}` gives it a new setup link"
            )));
        }
        let id = random_id()?;
        let token = new_token()?;
        let projects_text = projects.join(",");
        let stmts = vec![
            stmt(
                "INSERT INTO users (id, email, role, projects, created_at) VALUES ($1, $2, $3, $4, $5)",
                vec![
                    text(&id),
                    text(&email),
                    text(role.name()),
                    text(&projects_text),
                    Value::Int(millis(now)),
                ],
            ),
            stmt(
                "INSERT INTO setup_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                vec![
                    Value::Blob(token_hash(&token)),
                    text(&id),
                    Value::Int(millis(now.saturating_add(SETUP_LINK_TTL).unwrap_or(now))),
                ],
            ),
        ];
        let detail = format!("user={email} role={} projects={projects_text}", role.name());
        self.team_write(stmts, vec![event(now, actor, "user.created", None, detail)])
            .await
            .map_err(|e| match e {
                StoreError::Database(_) => {
                    StoreError::Conflict(format!("an account for {email} exists already"))
                }
                other => other,
            })?;
        let user = self
            .user_by_email(&email)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((user, token))
    }

    /// A new setup link for an existing account: its password and second factor are reset
    /// when the link is used, and its sessions end now.
    pub async fn reset_user(
        &self,
        email: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let email = normalise_email(email)?;
        let user = self
            .user_by_email(&email)
            .await?
            .ok_or_else(|| StoreError::Limit(format!("there is no account for {email}")))?;
        let token = new_token()?;
        let stmts = vec![
            stmt(
                "INSERT INTO setup_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                vec![
                    Value::Blob(token_hash(&token)),
                    text(&user.id),
                    Value::Int(millis(now.saturating_add(SETUP_LINK_TTL).unwrap_or(now))),
                ],
            ),
            stmt(
                "DELETE FROM sessions WHERE user_id = $1",
                vec![text(&user.id)],
            ),
        ];
        self.team_write(
            stmts,
            vec![event(
                now,
                actor,
                "user.reset",
                None,
                format!("user={email}"),
            )],
        )
        .await?;
        Ok(token)
    }

    /// The account a setup token opens, if it is unused and unexpired.
    pub async fn setup_user(&self, token: &str, now: Timestamp) -> Result<User, StoreError> {
        let hash = token_hash(token);
        let user_id: Option<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT user_id FROM setup_tokens WHERE token_hash = $1 AND used = 0 AND expires_at > $2")
                .bind(&hash).bind(millis(now)).fetch_optional(pool).await?
                .map(|r| r.try_get("user_id")).transpose()?
        });
        let user_id = user_id.ok_or(StoreError::NotFound)?;
        self.user_by_id(&user_id).await?.ok_or(StoreError::NotFound)
    }

    /// Uses a setup token: sets the password (and the second factor, when given), removes
    /// any old second factor, and ends the account's sessions.
    pub async fn complete_setup(
        &self,
        token: &str,
        password_hash: &str,
        totp: Option<(&[u8], &[[u8; 32]])>,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let user = self.setup_user(token, now).await?;
        let mut stmts = vec![
            Stmt {
                sql: "UPDATE setup_tokens SET used = 1 WHERE token_hash = $1 AND used = 0",
                args: vec![Value::Blob(token_hash(token))],
                expect_one: Some("this setup link was used already"),
            },
            stmt(
                "UPDATE users SET password_hash = $1, totp_key_id = NULL, totp_secret = NULL, totp_last_step = NULL, recovery_codes = '', failed_logins = 0, locked_until = 0 WHERE id = $2",
                vec![text(password_hash), text(&user.id)],
            ),
            stmt(
                "DELETE FROM sessions WHERE user_id = $1",
                vec![text(&user.id)],
            ),
        ];
        if let Some((secret, codes)) = totp {
            stmts.push(self.totp_statement(&user.id, secret, codes)?);
        }
        self.team_write(
            stmts,
            vec![event(
                now,
                &user.email,
                "user.setup",
                None,
                format!("second_factor={}", totp.is_some()),
            )],
        )
        .await?;
        self.user_by_id(&user.id).await?.ok_or(StoreError::NotFound)
    }

    fn totp_statement(
        &self,
        user_id: &str,
        secret: &[u8],
        codes: &[[u8; 32]],
    ) -> Result<Stmt, StoreError> {
        let (key_id, wrapped) = self.vault.wrap(&format!("user:{user_id}"), secret)?;
        let codes: Vec<String> = codes
            .iter()
            .map(|c| data_encoding::HEXLOWER.encode(c))
            .collect();
        Ok(stmt(
            "UPDATE users SET totp_key_id = $1, totp_secret = $2, totp_last_step = NULL, recovery_codes = $3 WHERE id = $4",
            vec![
                text(key_id),
                Value::Blob(wrapped),
                text(codes.join(",")),
                text(user_id),
            ],
        ))
    }

    /// Enrols a second factor for a signed-in account.
    pub async fn set_totp(
        &self,
        user: &User,
        secret: &[u8],
        recovery_hashes: &[[u8; 32]],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let stmts = vec![self.totp_statement(&user.id, secret, recovery_hashes)?];
        self.team_write(
            stmts,
            vec![event(
                now,
                &user.email,
                "user.totp_enrolled",
                None,
                String::new(),
            )],
        )
        .await
    }

    /// The account's TOTP secret and the last time step used, if enrolled.
    pub async fn totp_secret(
        &self,
        user: &User,
    ) -> Result<Option<(Zeroizing<Vec<u8>>, Option<u64>)>, StoreError> {
        let row: Option<TotpRow> = on_db!(&self.db, pool => {
            sqlx::query("SELECT totp_key_id, totp_secret, totp_last_step FROM users WHERE id = $1")
                .bind(&user.id).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("totp_key_id")?, r.try_get("totp_secret")?, r.try_get("totp_last_step")?)))
                .transpose()?
        });
        let Some((Some(key_id), Some(wrapped), last)) = row else {
            return Ok(None);
        };
        let secret = self
            .vault
            .unwrap(&format!("user:{}", user.id), &key_id, &wrapped)?;
        Ok(Some((secret, last.map(|s| s as u64))))
    }

    /// Records a used TOTP step; false when that step (or a later one) was used already, by
    /// this or another instance (a replayed code).
    pub async fn use_totp_step(&self, user: &User, step: u64) -> Result<bool, StoreError> {
        let step = step as i64;
        let changed = on_db!(&self.db, pool => {
            sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
                .bind(step).bind(&user.id).execute(pool).await?.rows_affected()
        });
        Ok(changed == 1)
    }

    /// Uses a recovery code (given as its hash); false when it is not one of the account's
    /// unused codes.
    pub async fn use_recovery_code(
        &self,
        user: &User,
        hash: &[u8; 32],
    ) -> Result<bool, StoreError> {
        let codes: String = on_db!(&self.db, pool => {
            sqlx::query("SELECT recovery_codes FROM users WHERE id = $1")
                .bind(&user.id).fetch_one(pool).await?.try_get("recovery_codes")?
        });
        let wanted = data_encoding::HEXLOWER.encode(hash);
        if !codes.split(',').any(|c| c == wanted) {
            return Ok(false);
        }
        let rest: Vec<&str> = codes
            .split(',')
            .filter(|c| *c != wanted && !c.is_empty())
            .collect();
        // Compare-and-set, so that one code cannot be used twice at once.
        let changed = on_db!(&self.db, pool => {
            sqlx::query("UPDATE users SET recovery_codes = $1 WHERE id = $2 AND recovery_codes = $3")
                .bind(rest.join(",")).bind(&user.id).bind(&codes).execute(pool).await?.rows_affected()
        });
        Ok(changed == 1)
    }

    /// An account by email.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let email = email.trim().to_lowercase();
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        on_db!(&self.db, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&email).fetch_optional(pool).await?
                .map(|r| user_from_row(&r)).transpose()
        })
    }

    /// An account by id.
    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        on_db!(&self.db, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
                .map(|r| user_from_row(&r)).transpose()
        })
    }

    /// Every account, by email.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY email");
        on_db!(&self.db, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
                .iter().map(user_from_row).collect()
        })
    }

    /// Whether a client address has failed to sign in too often lately.
    pub async fn client_throttled(&self, client: &str, now: Timestamp) -> Result<bool, StoreError> {
        let since = millis(now) - CLIENT_WINDOW.as_millis() as i64;
        let failures: Option<i64> = on_db!(&self.db, pool => {
            sqlx::query("SELECT failures FROM login_throttle WHERE client = $1 AND window_start > $2")
                .bind(client).bind(since).fetch_optional(pool).await?
                .map(|r| r.try_get("failures")).transpose()?
        });
        Ok(failures.unwrap_or(0) >= CLIENT_FAILURES_MAX)
    }

    /// Records a failed sign-in: counts it against the account (locking it after
    /// `LOGIN_FAILURES_MAX` in a row) and the client address, and audits it.
    pub async fn login_failed(
        &self,
        user: Option<&User>,
        attempted_email: &str,
        client: &str,
        why: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let at = millis(now);
        let window_from = at - CLIENT_WINDOW.as_millis() as i64;
        let mut stmts = vec![
            stmt(
                "DELETE FROM login_throttle WHERE client = $1 AND window_start <= $2",
                vec![text(client), Value::Int(window_from)],
            ),
            stmt(
                "INSERT INTO login_throttle (client, window_start, failures) VALUES ($1, $2, 1) ON CONFLICT (client) DO UPDATE SET failures = login_throttle.failures + 1",
                vec![text(client), Value::Int(at)],
            ),
        ];
        if let Some(user) = user {
            let lock_until = millis(now.saturating_add(LOCKOUT).unwrap_or(now));
            stmts.push(stmt(
                "UPDATE users SET failed_logins = failed_logins + 1, locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END WHERE id = $3",
                vec![Value::Int(LOGIN_FAILURES_MAX), Value::Int(lock_until), text(&user.id)],
            ));
        }
        let shown: String = attempted_email.chars().take(EMAIL_CHARS_MAX).collect();
        let actor = user.map_or_else(|| format!("unknown:{shown}"), |u| u.email.clone());
        self.team_write(
            stmts,
            vec![event(
                now,
                &actor,
                "auth.signin_failed",
                None,
                format!("client={client} reason={why}"),
            )],
        )
        .await
    }

    /// Records a successful sign-in (password and, where required, second factor).
    pub async fn login_succeeded(
        &self,
        user: &User,
        client: &str,
        method: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.team_write(
            vec![stmt(
                "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1",
                vec![text(&user.id)],
            )],
            vec![event(
                now,
                &user.email,
                "auth.signin",
                None,
                format!("client={client} method={method}"),
            )],
        )
        .await
    }

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
            on_db!(&self.db, pool => {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                    .bind(at).bind(&hash).execute(pool).await?;
            });
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

    /// The work queue: open reports ordered by their next deadline, filtered.
    pub async fn queue(
        &self,
        filter: &QueueFilter,
        limit: usize,
    ) -> Result<Vec<QueueRow>, StoreError> {
        let limit = limit.min(QUEUE_PAGE_MAX) as i64;
        // Conditions are fixed text with numbered parameters; values are always bound.
        let mut sql = String::from(
            "SELECT id, project, status, severity, received_at, next_due_at FROM reports WHERE 1 = 1",
        );
        let mut args: Vec<Value> = Vec::new();
        let param = |args: &mut Vec<Value>, v: Value| {
            args.push(v);
            format!("${}", args.len())
        };
        if let Some(projects) = &filter.projects {
            if projects.is_empty() {
                return Ok(Vec::new());
            }
            let list: Vec<String> = projects.iter().map(|p| param(&mut args, text(p))).collect();
            sql.push_str(&format!(" AND project IN ({})", list.join(", ")));
        }
        match filter.status {
            Some(status) => {
                let p = param(&mut args, text(status.name()));
                sql.push_str(&format!(" AND status = {p}"));
            }
            None if filter.open_only => sql.push_str(" AND status <> 'closed'"),
            None => {}
        }
        if let Some(severity) = severity_name(filter.severity) {
            let p = param(&mut args, text(severity));
            sql.push_str(&format!(" AND severity = {p}"));
        }
        if let Some(now) = filter.overdue_at {
            let p = param(&mut args, Value::Int(millis(now)));
            sql.push_str(&format!(" AND next_due_at < {p}"));
        }
        let p = param(&mut args, Value::Int(limit));
        sql.push_str(&format!(" ORDER BY next_due_at, id LIMIT {p}"));
        let rows: Vec<(String, String, String, Option<String>, i64, i64)> = on_db!(&self.db, pool => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in args {
                query = match value {
                    Value::Text(v) => query.bind(v),
                    Value::Int(v) => query.bind(v),
                    Value::Blob(v) => query.bind(v),
                    Value::NullText => query.bind(None::<String>),
                };
            }
            query.fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("project")?, r.try_get("status")?, r.try_get("severity")?, r.try_get("received_at")?, r.try_get("next_due_at")?)))
                .collect::<Result<_, _>>()?
        });
        rows.into_iter()
            .map(|(id, project, status, severity, received_at, due)| {
                Ok(QueueRow {
                    id: ReportId::parse(&id).ok_or_else(|| StoreError::Corrupt("id".into()))?,
                    project,
                    status: ReportStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt("status".into()))?,
                    severity: severity.as_deref().and_then(parse_severity),
                    received_at: from_millis(received_at)?,
                    next_due_at: (due != NO_DEADLINE).then(|| from_millis(due)).transpose()?,
                })
            })
            .collect()
    }

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
        Ok(CaseRow {
            id: id.clone(),
            project,
            received_at: from_millis(received_at)?,
            case: case_from_parts(&status, severity, &record, &clocks)?,
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
        let plain = vault::open(&data_key, &aad(id.as_str(), &["content"]), &content)?;
        let content: Content =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
                stmts.push(self.sealed_message(id, &data_key, body, at)?.1);
            }
        }
        // The reporter is told by mail that there is news (never what it is), and the report's
        // promises get a new watch (the old one's chain ends: it names the old version).
        let project = self.case_row(id).await?.project;
        let mut jobs: Vec<_> = crate::jobs::deadline_watch(
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
            jobs.push(crate::jobs::NewJob::event(
                crate::jobs::REPORTER_NOTICE,
                &project,
                id.as_str(),
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
        let (data_key, _) = self.data_key(id).await?;
        let (mid, stmt) = self.sealed_message(id, &data_key, body, now)?;
        let project = self.case_row(id).await?.project;
        self.write(WriteOp::Team(TeamWrite {
            stmts: vec![stmt],
            events: vec![event(
                now,
                actor,
                "reporter.notified",
                Some(id.as_str()),
                String::new(),
            )],
            jobs: vec![crate::jobs::NewJob::event(
                crate::jobs::REPORTER_NOTICE,
                &project,
                id.as_str(),
                format!("message:{mid}"),
                now,
            )],
        }))
        .await
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

    /// Completes reports stored by a version before clocks and duplicate suggestions: starts
    /// their receipt clocks (`clocks_for(project, received_at)`, `None` to leave a report as it
    /// is) and computes their similarity fingerprints. Safe to run while serving and to run
    /// again; returns (reports given clocks, fingerprints added).
    pub async fn complete_old_reports(
        &self,
        clocks_for: impl Fn(&str, Timestamp) -> Option<Clocks>,
    ) -> Result<(u64, u64), StoreError> {
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
        Ok((clocked, printed))
    }

    /// The facts the public statistics need of a project's reports received since `since`:
    /// times, severity and clocks, never contents. At most `STATS_REPORTS_MAX`, newest first.
    pub async fn report_facts(
        &self,
        project: &str,
        since: Timestamp,
    ) -> Result<Vec<postern_core::stats::ReportFacts>, StoreError> {
        let rows: Vec<(i64, Option<String>, String)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT received_at, severity, clocks FROM reports WHERE project = $1 AND received_at >= $2 ORDER BY received_at DESC LIMIT $3")
                .bind(project).bind(millis(since)).bind(STATS_REPORTS_MAX)
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("received_at")?, r.try_get("severity")?, r.try_get("clocks")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        rows.into_iter()
            .map(|(received_at, severity, clocks)| {
                Ok(postern_core::stats::ReportFacts {
                    received_at: from_millis(received_at)?,
                    severity: severity.as_deref().and_then(parse_severity),
                    clocks: serde_json::from_str(&clocks)
                        .map_err(|_| StoreError::Corrupt("clocks".into()))?,
                })
            })
            .collect()
    }

    /// Whether a database is SQLite (for tests that reach into it).
    pub fn is_sqlite(&self) -> bool {
        matches!(self.db, Db::Sqlite(_))
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
