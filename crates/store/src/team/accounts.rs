//! Team accounts: creation and setup links, roles and project scopes, second factors and
//! recovery codes, sign-in throttling (per account and per client address, in the database so
//! that it holds across instances), and who is told about a project's reports.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;
use zeroize::Zeroizing;

use crate::write::{Stmt, Value, event, stmt, text};
use crate::{Db, Store, StoreError, from_millis, millis, on_db, random_id, vault};

/// How long a setup link works.
pub const SETUP_LINK_TTL: SignedDuration = SignedDuration::from_hours(24);
/// Failed sign-ins in a row for one account from one client address that are free; each
/// further one makes that address wait before it may try that account again.
pub const LOGIN_FAILURES_MAX: i64 = 5;
/// The first wait after `LOGIN_FAILURES_MAX` failures; it doubles with each further failure.
pub const LOGIN_DELAY_FIRST: SignedDuration = SignedDuration::from_secs(30);
/// The longest wait for one account from one address.
pub const LOCKOUT: SignedDuration = SignedDuration::from_mins(15);
/// An account's failures from an address are forgotten after this long without another.
pub const LOGIN_FAILURES_FORGOTTEN: SignedDuration = SignedDuration::from_hours(1);
/// Failed sign-ins from one client address within `CLIENT_WINDOW` before it is refused.
pub const CLIENT_FAILURES_MAX: i64 = 20;
/// The window for `CLIENT_FAILURES_MAX`.
pub const CLIENT_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Longest email address.
pub const EMAIL_CHARS_MAX: usize = 254;

/// (key id, wrapped secret, last used step) of an account's second factor.
type TotpRow = (Option<String>, Option<Vec<u8>>, Option<i64>);

/// The throttle's key for one account (by the address typed, so that an unknown account
/// behaves as a known one) from one client address.
fn pair_key(email: &str, client: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"postern signin pair v1\0");
    hasher.update(email.trim().to_lowercase().as_bytes());
    format!(
        "account:{}:{client}",
        data_encoding::HEXLOWER.encode(&hasher.finalize()[..12])
    )
}

/// The wait after `failures` failures for one account from one address.
fn pair_delay(failures: i64) -> SignedDuration {
    let doublings = (failures - LOGIN_FAILURES_MAX).clamp(0, 16) as u32;
    let secs = LOGIN_DELAY_FIRST.as_secs().saturating_mul(1 << doublings);
    SignedDuration::from_secs(secs.min(LOCKOUT.as_secs()))
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"postern token v1\0");
    hasher.update(token.as_bytes());
    hasher.finalize().to_vec()
}

pub(crate) fn new_token() -> Result<String, StoreError> {
    Ok(data_encoding::BASE64URL_NOPAD.encode(&vault::random_bytes::<32>()?))
}

pub use postern_core::role::Role;

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
        postern_core::role::can_see(self.role, &self.projects, project)
    }

    /// The projects to filter the queue by; `None` for all.
    pub fn project_filter(&self) -> Option<Vec<String>> {
        postern_core::role::project_filter(self.role, &self.projects)
    }
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

/// What an admin may change of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChange {
    /// The role.
    pub role: Role,
    /// Projects the account may see; empty for every project.
    pub projects: Vec<String>,
    /// Whether it may sign in.
    pub disabled: bool,
}

/// Why a change of an account was refused: it would leave no admin.
pub const LAST_ADMIN: &str = "this would leave no enabled admin; make another member admin first";

impl Store {
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
    /// when the link is used, and its sessions end now. Codes handed out before stop working.
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
            // A reset makes the new code the only one: codes handed out before stop working.
            stmt(
                "DELETE FROM setup_tokens WHERE user_id = $1",
                vec![text(&user.id)],
            ),
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

    /// Changes an account's role, projects and whether it is disabled; disabling ends its
    /// sessions. Refused (`Conflict`) when it would leave no enabled admin: the check is part
    /// of the update, so two admins demoting each other at once cannot both succeed.
    pub async fn change_user(
        &self,
        id: &str,
        change: &UserChange,
        actor: &str,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let user = self.user_by_id(id).await?.ok_or(StoreError::NotFound)?;
        let projects_text = change.projects.join(",");
        let stays_admin = change.role == Role::Admin && !change.disabled;
        let mut stmts = vec![crate::write::Stmt {
            sql: "UPDATE users SET role = $1, projects = $2, disabled = $3 WHERE id = $4 AND ($5 = 1 OR NOT (role = 'admin' AND disabled = 0) OR EXISTS (SELECT 1 FROM users AS o WHERE o.role = 'admin' AND o.disabled = 0 AND o.id <> $4))",
            args: vec![
                text(change.role.name()),
                text(&projects_text),
                Value::Int(i64::from(change.disabled)),
                text(&user.id),
                Value::Int(i64::from(stays_admin)),
            ],
            expect_one: Some(LAST_ADMIN),
        }];
        if change.disabled {
            stmts.push(stmt(
                "DELETE FROM sessions WHERE user_id = $1",
                vec![text(&user.id)],
            ));
        }
        let detail = format!(
            "user={} role={} projects={projects_text} disabled={}",
            user.email,
            change.role.name(),
            u8::from(change.disabled)
        );
        self.team_write(stmts, vec![event(now, actor, "user.changed", None, detail)])
            .await?;
        self.user_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Until when the latest unused setup code of an account works, if one does: a starting
    /// server prints a new code for the first admin only when none does, so that instances
    /// starting together never replace the code another one printed.
    pub async fn setup_valid_until(
        &self,
        email: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let email = normalise_email(email)?;
        let until: Option<i64> = on_db!(&self.db, pool => {
            sqlx::query("SELECT MAX(t.expires_at) AS until FROM setup_tokens t JOIN users u ON u.id = t.user_id \
                         WHERE u.email = $1 AND t.used = 0 AND t.expires_at > $2")
                .bind(&email).bind(millis(now)).fetch_one(pool).await?.try_get("until")?
        });
        until.map(crate::from_millis).transpose()
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

    /// How long `client` must wait before it may try to sign in (as `email`) again, if at all:
    /// after too many failures from the address whatever the account (until its window ends),
    /// or after `LOGIN_FAILURES_MAX` failures for this account from this address (30 seconds,
    /// doubling, at most `LOCKOUT`). The account itself is never locked: its owner signs in
    /// from another address whatever a stranger tries.
    pub async fn signin_wait(
        &self,
        email: &str,
        client: &str,
        now: Timestamp,
    ) -> Result<Option<SignedDuration>, StoreError> {
        let at = millis(now);
        let since = at - CLIENT_WINDOW.as_millis() as i64;
        let rows: Vec<(String, i64, i64)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT client, window_start, failures FROM login_throttle WHERE client = $1 OR client = $2")
                .bind(client).bind(pair_key(email, client)).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("client")?, r.try_get("window_start")?, r.try_get("failures")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let mut until = at;
        for (key, start, failures) in rows {
            if key == client {
                if start > since && failures >= CLIENT_FAILURES_MAX {
                    until = until.max(start + CLIENT_WINDOW.as_millis() as i64);
                }
            } else if failures >= LOGIN_FAILURES_MAX
                && start > at - LOGIN_FAILURES_FORGOTTEN.as_millis() as i64
            {
                until = until.max(start + pair_delay(failures).as_millis() as i64);
            }
        }
        Ok((until > at).then(|| SignedDuration::from_millis(until - at)))
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

    /// Records a failed sign-in: counts it against the client address, against the account
    /// from that address (see `signin_wait`), and on the account, and audits it.
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
        // The account from this address: `window_start` holds the last failure.
        stmts.push(stmt(
            "INSERT INTO login_throttle (client, window_start, failures) VALUES ($1, $2, 1) ON CONFLICT (client) DO UPDATE SET failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.failures + 1 END, window_start = $2",
            vec![
                text(pair_key(attempted_email, client)),
                Value::Int(at),
                Value::Int(at - LOGIN_FAILURES_FORGOTTEN.as_millis() as i64),
            ],
        ));
        if let Some(user) = user {
            stmts.push(stmt(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1",
                vec![text(&user.id)],
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
            vec![
                stmt(
                    "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1",
                    vec![text(&user.id)],
                ),
                stmt(
                    "DELETE FROM login_throttle WHERE client = $1",
                    vec![text(pair_key(&user.email, client))],
                ),
            ],
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

    /// The addresses of the team members told about a project's reports: set-up, enabled
    /// accounts that may see the project.
    pub async fn notified_members(&self, project: &str) -> Result<Vec<String>, StoreError> {
        let users = self.list_users().await?;
        Ok(users
            .into_iter()
            .filter(|u| !u.disabled && u.password_hash.is_some() && u.can_see(project))
            .map(|u| u.email)
            .collect())
    }

    /// The addresses of the admins who can see a project (where missed deadlines escalate).
    pub async fn notified_admins(&self, project: &str) -> Result<Vec<String>, StoreError> {
        let users = self.list_users().await?;
        Ok(users
            .into_iter()
            .filter(|u| {
                !u.disabled
                    && u.password_hash.is_some()
                    && u.role == Role::Admin
                    && u.can_see(project)
            })
            .map(|u| u.email)
            .collect())
    }
}
