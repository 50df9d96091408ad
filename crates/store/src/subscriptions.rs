//! Who hears of advisories by mail: a project's subscribers (double opt-in, one-click
//! unsubscribe) and its early-access list (embargoed advisories before publication).
//!
//! Addresses are personal data. Each is sealed under the master key, bound to its row (like a
//! team member's TOTP secret, and re-wrapped by key rotation), and looked up by an HMAC under a
//! key derived from the keyring, so the database never holds an address in plain text.
//!
//! Tokens are never stored, not even sealed: the confirmation token is an HMAC of the row's
//! random id and the moment it was requested, the unsubscribe token an HMAC of the row's id,
//! both under a key derived from the keyring. The rows keep only their SHA-256 for look-up,
//! and the mailer derives the token again when it writes the mail, so no job payload holds one.
//!
//! Mail goes through the outbox like every other: a confirmation is a `mail` job written with
//! the request; a publication is an `advisory.published` event written with it, fanned out
//! into one `mail` job per confirmed subscriber (dedupe key per advisory and subscriber); an
//! early-access mail is an `advisory.early_access` event due `days_before` the publication,
//! replaced when the advisory is rescheduled.

use hmac::{Hmac, KeyInit as _, Mac as _};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;
use zeroize::Zeroizing;

pub use crate::jobs::kind::{AdvisoryEvent, ListMail};
use crate::jobs::kind::{JobKind, NewJob};
use crate::write::{EventParts, Stmt, TeamWrite, Value};
use crate::{Db, Store, StoreError, WriteOp, from_millis, millis, on_db};

/// How long a confirmation link works.
pub const CONFIRM_VALID: SignedDuration = SignedDuration::from_hours(7 * 24);
/// A second confirmation mail for one address is sent no sooner than this after the last.
pub const CONFIRM_RESEND_MIN: SignedDuration = SignedDuration::from_mins(15);
/// Most subscribers (confirmed or not) one project may have.
pub const SUBSCRIBERS_PER_PROJECT_MAX: i64 = 100_000;
/// Most addresses on one project's early-access list.
pub const EARLY_ACCESS_PER_PROJECT_MAX: i64 = 500;
/// Longest name of an early-access recipient, in characters.
pub const EARLY_ACCESS_NAME_CHARS_MAX: usize = 200;
/// Longest token looked up; anything longer is not one of ours.
const TOKEN_CHARS_MAX: usize = 128;

/// What became of a subscription request. The web page says the same in every case, so that
/// nobody learns whether an address is subscribed; the terminal and tests may know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionRequest {
    /// A confirmation mail is queued.
    ConfirmationQueued,
    /// The address is subscribed already: nothing is sent.
    AlreadySubscribed,
    /// A confirmation was sent moments ago: nothing more is sent yet.
    TooSoon,
}

/// What a token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    /// A subscription of this project.
    Valid {
        /// The project's slug.
        project: String,
    },
    /// A confirmation link past its time.
    Expired,
    /// Nothing (a wrong token, or one used already).
    Unknown,
}

/// A subscriber as the mailer needs them.
#[derive(Clone, PartialEq, Eq)]
pub struct SubscriberContact {
    /// The row's id.
    pub id: String,
    /// The project's slug.
    pub project: String,
    /// The address, decrypted.
    pub email: String,
    /// Whether the subscription is confirmed.
    pub confirmed: bool,
    /// When the last confirmation was requested.
    pub requested_at: Timestamp,
}

impl std::fmt::Debug for SubscriberContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SubscriberContact({}, {})", self.id, self.project)
    }
}

/// One address on an early-access list.
#[derive(Clone, PartialEq, Eq)]
pub struct EarlyAccessMember {
    /// The row's id.
    pub id: String,
    /// The project's slug.
    pub project: String,
    /// The address.
    pub email: String,
    /// Who it is ("Debian security team"), if given.
    pub name: Option<String>,
}

impl std::fmt::Debug for EarlyAccessMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EarlyAccessMember({}, {})", self.id, self.project)
    }
}

/// A subscriber as the admins' list shows them: never the whole address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberListing {
    /// The row's id.
    pub id: String,
    /// The project's slug.
    pub project: String,
    /// The address masked (`core::privacy::masked_email`).
    pub masked_email: String,
    /// When the subscription was last asked for.
    pub requested_at: Timestamp,
    /// When it was confirmed; `None` while it waits for its link.
    pub confirmed_at: Option<Timestamp>,
}

/// Most subscribers one list page shows.
pub const SUBSCRIBER_LISTING_MAX: i64 = 200;

#[derive(Serialize, Deserialize)]
struct SealedMember {
    email: String,
    name: Option<String>,
}

fn new_job(
    kind: JobKind,
    project: &str,
    payload: &impl Serialize,
    dedupe_key: String,
    run_at: Timestamp,
) -> NewJob {
    NewJob::new(kind, project, None, payload, dedupe_key, run_at)
}

/// The event that mails an advisory's publication to its project's subscribers, written in
/// the transaction that publishes it.
pub(crate) fn published_event(advisory: &str, project: &str, at: Timestamp) -> NewJob {
    new_job(
        JobKind::AdvisoryPublished,
        project,
        &AdvisoryEvent {
            advisory: advisory.to_owned(),
            publish_at: None,
        },
        format!("advisory:{advisory}:published"),
        at,
    )
}

/// The prefix of the dedupe keys of an advisory's early-access events.
pub(crate) fn early_access_prefix(advisory: &str) -> String {
    format!("advisory:{advisory}:early_access:")
}

/// The event that mails an embargoed advisory to the early-access list at `run_at`; its
/// dedupe key names the publication it announces, so a new schedule is a new event.
pub(crate) fn early_access_event(
    advisory: &str,
    project: &str,
    publish_at: Timestamp,
    run_at: Timestamp,
) -> NewJob {
    new_job(
        JobKind::AdvisoryEarlyAccess,
        project,
        &AdvisoryEvent {
            advisory: advisory.to_owned(),
            publish_at: Some(millis(publish_at)),
        },
        format!("{}{}", early_access_prefix(advisory), millis(publish_at)),
        run_at,
    )
}

/// The statement that withdraws an advisory's pending early-access events other than `keep`
/// (a dedupe key, or "" for none): they announce a date that no longer holds.
pub(crate) fn withdraw_early_access(advisory: &str, keep: &str) -> Stmt {
    Stmt {
        sql: "DELETE FROM jobs WHERE kind = 'advisory.early_access' AND state = 'pending' AND substr(dedupe_key, 1, length($1)) = $1 AND dedupe_key <> $2",
        args: vec![
            Value::Text(early_access_prefix(advisory)),
            Value::Text(keep.to_owned()),
        ],
        expect_one: None,
    }
}

/// (project, key_id, sealed_email, requested_at, confirmed_at) of a subscriber row.
type SubscriberColumns = (String, String, Vec<u8>, i64, Option<i64>);

fn sha256(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn subscriber_aad(id: &str) -> String {
    format!("subscriber:{id}")
}

fn member_aad(id: &str) -> String {
    format!("early_access:{id}")
}

/// The address as compared: trimmed, lower case (nobody means two people by "A@x" and "a@x").
fn normalized(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Store {
    fn keyed(&self, purpose: &str, parts: &[&str]) -> Vec<u8> {
        let key = Zeroizing::new(self.vault.derived_key(purpose));
        let mut mac = <Hmac<Sha256>>::new_from_slice(&*key).expect("HMAC takes keys of any length");
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        mac.finalize().into_bytes().to_vec()
    }

    fn email_mac(&self, project: &str, email: &str) -> Vec<u8> {
        self.keyed("list address v1", &[project, &normalized(email)])
    }

    fn token(&self, parts: &[&str]) -> String {
        data_encoding::BASE64URL_NOPAD.encode(&self.keyed("list token v1", parts))
    }

    /// The token in a subscriber's confirmation link for the request made at `requested_at`.
    pub fn confirm_token(&self, subscriber: &str, requested_at: Timestamp) -> String {
        self.token(&["confirm", subscriber, &millis(requested_at).to_string()])
    }

    /// The token in a subscriber's unsubscribe link (the same in every mail).
    pub fn unsubscribe_token(&self, subscriber: &str) -> String {
        self.token(&["unsubscribe", subscriber])
    }

    /// Asks to subscribe `email` to `project`'s advisories: a confirmation mail is queued in
    /// the same transaction, unless the address is subscribed already or was sent one less
    /// than `CONFIRM_RESEND_MIN` ago. A new request replaces an earlier link.
    pub async fn request_subscription(
        &self,
        project: &str,
        email: &str,
        now: Timestamp,
    ) -> Result<SubscriptionRequest, StoreError> {
        let email = email.trim();
        postern_core::policy::check_email(email)
            .map_err(|why| StoreError::Limit(format!("the address {why}")))?;
        let mac = self.email_mac(project, email);
        let row: Option<(String, i64, Option<i64>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, requested_at, confirmed_at FROM subscribers WHERE project = $1 AND email_mac = $2")
                .bind(project).bind(&mac).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("requested_at")?, r.try_get("confirmed_at")?)))
                .transpose()?
        });
        let (id, stmt) = match row {
            Some((_, _, Some(_))) => return Ok(SubscriptionRequest::AlreadySubscribed),
            Some((_, requested, None)) if from_millis(requested)? + CONFIRM_RESEND_MIN > now => {
                return Ok(SubscriptionRequest::TooSoon);
            }
            Some((id, requested, None)) => {
                let stmt = Stmt {
                    sql: "UPDATE subscribers SET confirm_hash = $1, confirm_expires_at = $2, requested_at = $3 WHERE id = $4 AND requested_at = $5 AND confirmed_at IS NULL",
                    args: vec![
                        Value::Blob(sha256(&self.confirm_token(&id, now))),
                        Value::Int(millis(now + CONFIRM_VALID)),
                        Value::Int(millis(now)),
                        Value::Text(id.clone()),
                        Value::Int(requested),
                    ],
                    expect_one: Some("a confirmation was requested meanwhile"),
                };
                (id, stmt)
            }
            None => {
                let count: i64 = on_db!(&self.db, pool => {
                    sqlx::query("SELECT COUNT(*) AS n FROM subscribers WHERE project = $1")
                        .bind(project).fetch_one(pool).await?.try_get("n")?
                });
                if count >= SUBSCRIBERS_PER_PROJECT_MAX {
                    return Err(StoreError::Limit(format!(
                        "this project has reached {SUBSCRIBERS_PER_PROJECT_MAX} subscribers"
                    )));
                }
                let id = crate::random_id()?;
                let (key_id, sealed) = self.vault.wrap(&subscriber_aad(&id), email.as_bytes())?;
                let stmt = Stmt {
                    sql: "INSERT INTO subscribers (id, project, email_mac, key_id, sealed_email, confirm_hash, confirm_expires_at, requested_at, confirmed_at, unsubscribe_hash, created_at) \
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $8) ON CONFLICT DO NOTHING",
                    args: vec![
                        Value::Text(id.clone()),
                        Value::Text(project.to_owned()),
                        Value::Blob(mac),
                        Value::Text(key_id),
                        Value::Blob(sealed),
                        Value::Blob(sha256(&self.confirm_token(&id, now))),
                        Value::Int(millis(now + CONFIRM_VALID)),
                        Value::Int(millis(now)),
                        Value::Blob(sha256(&self.unsubscribe_token(&id))),
                    ],
                    expect_one: Some("a confirmation was requested meanwhile"),
                };
                (id, stmt)
            }
        };
        let job = new_job(
            JobKind::Mail,
            project,
            &ListMail::Confirm {
                subscriber: id.clone(),
                requested_at: millis(now),
            },
            format!("subscriber:{id}:confirm:{}", millis(now)),
            now,
        );
        let detail = format!("project={project} subscriber={id}");
        let queued = self
            .list_write(
                stmt,
                vec![job],
                "subscriber",
                "subscription.requested",
                detail,
                now,
            )
            .await?;
        // Not queued: two requests for one address at once, and the other one sends the mail.
        Ok(if queued {
            SubscriptionRequest::ConfirmationQueued
        } else {
            SubscriptionRequest::TooSoon
        })
    }

    /// What a confirmation token names, changing nothing (the page a link opens: mail scanners
    /// follow links, so only the button's POST confirms).
    pub async fn confirmation(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<TokenState, StoreError> {
        if token.len() > TOKEN_CHARS_MAX {
            return Ok(TokenState::Unknown);
        }
        let row: Option<(String, Option<i64>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT project, confirm_expires_at FROM subscribers WHERE confirm_hash = $1 AND confirmed_at IS NULL")
                .bind(sha256(token)).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("project")?, r.try_get("confirm_expires_at")?)))
                .transpose()?
        });
        Ok(match row {
            None => TokenState::Unknown,
            Some((_, Some(expires))) if from_millis(expires)? < now => TokenState::Expired,
            Some((project, _)) => TokenState::Valid { project },
        })
    }

    /// Confirms the subscription a token names (the POST of the confirmation page).
    pub async fn confirm_subscription(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<TokenState, StoreError> {
        let state = self.confirmation(token, now).await?;
        let TokenState::Valid { project } = &state else {
            return Ok(state);
        };
        let stmt = Stmt {
            sql: "UPDATE subscribers SET confirmed_at = $1, confirm_hash = NULL, confirm_expires_at = NULL WHERE confirm_hash = $2 AND confirmed_at IS NULL AND confirm_expires_at >= $1",
            args: vec![Value::Int(millis(now)), Value::Blob(sha256(token))],
            expect_one: Some("used already"),
        };
        let detail = format!("project={project}");
        let confirmed = self
            .list_write(
                stmt,
                Vec::new(),
                "subscriber",
                "subscription.confirmed",
                detail,
                now,
            )
            .await?;
        Ok(if confirmed {
            state
        } else {
            TokenState::Unknown
        })
    }

    /// The project of the subscription an unsubscribe token names, changing nothing.
    pub async fn unsubscription(&self, token: &str) -> Result<TokenState, StoreError> {
        if token.len() > TOKEN_CHARS_MAX {
            return Ok(TokenState::Unknown);
        }
        let project: Option<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT project FROM subscribers WHERE unsubscribe_hash = $1")
                .bind(sha256(token)).fetch_optional(pool).await?
                .map(|r| r.try_get("project")).transpose()?
        });
        Ok(project.map_or(TokenState::Unknown, |project| TokenState::Valid { project }))
    }

    /// Ends the subscription an unsubscribe token names: the row (and its sealed address) is
    /// deleted, and mails still queued for it are skipped when their turn comes.
    pub async fn unsubscribe(&self, token: &str, now: Timestamp) -> Result<TokenState, StoreError> {
        let state = self.unsubscription(token).await?;
        let TokenState::Valid { project } = &state else {
            return Ok(state);
        };
        let change = Stmt {
            sql: "DELETE FROM subscribers WHERE unsubscribe_hash = $1",
            args: vec![Value::Blob(sha256(token))],
            expect_one: Some("unsubscribed already"),
        };
        let detail = format!("project={project}");
        let ended = self
            .list_write(
                change,
                Vec::new(),
                "subscriber",
                "subscription.ended",
                detail,
                now,
            )
            .await?;
        Ok(if ended { state } else { TokenState::Unknown })
    }

    /// A project's subscribers (or every project's), newest first, at most
    /// `SUBSCRIBER_LISTING_MAX`, their addresses masked.
    pub async fn subscriber_list(
        &self,
        project: Option<&str>,
    ) -> Result<Vec<SubscriberListing>, StoreError> {
        type Columns = (String, String, String, Vec<u8>, i64, Option<i64>);
        let rows: Vec<Columns> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, project, key_id, sealed_email, requested_at, confirmed_at FROM subscribers WHERE ($1 = '' OR project = $1) ORDER BY created_at DESC, id LIMIT $2")
                .bind(project.unwrap_or("")).bind(SUBSCRIBER_LISTING_MAX).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("project")?, r.try_get("key_id")?, r.try_get("sealed_email")?, r.try_get("requested_at")?, r.try_get("confirmed_at")?)))
                .collect::<Result<_, _>>()?
        });
        rows.into_iter()
            .map(
                |(id, project, key_id, sealed, requested_at, confirmed_at)| {
                    let email = self.vault.unwrap(&subscriber_aad(&id), &key_id, &sealed)?;
                    let email = std::str::from_utf8(&email)
                        .map_err(|_| StoreError::Corrupt("subscriber address".into()))?;
                    Ok(SubscriberListing {
                        masked_email: postern_core::privacy::masked_email(email),
                        id,
                        project,
                        requested_at: from_millis(requested_at)?,
                        confirmed_at: confirmed_at.map(from_millis).transpose()?,
                    })
                },
            )
            .collect()
    }

    /// The id of the subscriber with this address to this project, if any.
    pub async fn subscriber_by_address(
        &self,
        project: &str,
        email: &str,
    ) -> Result<Option<String>, StoreError> {
        let mac = self.email_mac(project, email);
        Ok(on_db!(&self.db, pool => {
            sqlx::query("SELECT id FROM subscribers WHERE project = $1 AND email_mac = $2")
                .bind(project).bind(&mac).fetch_optional(pool).await?
                .map(|r| r.try_get("id")).transpose()?
        }))
    }

    /// Removes a subscriber (an admin's decision: a bouncing address, a request by mail), with
    /// the `subscription.removed` event naming the row, never the address; mails still queued
    /// for it are skipped when their turn comes. `Ok(false)` when there is no such subscriber.
    pub async fn remove_subscriber(
        &self,
        id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let project: Option<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT project FROM subscribers WHERE id = $1")
                .bind(id).fetch_optional(pool).await?
                .map(|r| r.try_get("project")).transpose()?
        });
        let Some(project) = project else {
            return Ok(false);
        };
        let change = Stmt {
            sql: "DELETE FROM subscribers WHERE id = $1",
            args: vec![Value::Text(id.to_owned())],
            expect_one: Some("removed meanwhile"),
        };
        let detail = format!("project={project} subscriber={id}");
        self.list_write(
            change,
            Vec::new(),
            actor,
            "subscription.removed",
            detail,
            now,
        )
        .await
    }

    /// The ids of a project's confirmed subscribers.
    pub async fn confirmed_subscribers(&self, project: &str) -> Result<Vec<String>, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query("SELECT id FROM subscribers WHERE project = $1 AND confirmed_at IS NOT NULL ORDER BY id")
                .bind(project).fetch_all(pool).await?
                .into_iter().map(|r| r.try_get("id")).collect::<Result<Vec<String>, sqlx::Error>>()?
        }))
    }

    /// How many subscribers a project has: (confirmed, waiting for confirmation).
    pub async fn count_subscribers(&self, project: &str) -> Result<(u64, u64), StoreError> {
        let (confirmed, waiting): (i64, i64) = on_db!(&self.db, pool => {
            let r = sqlx::query("SELECT COUNT(confirmed_at) AS c, COUNT(*) - COUNT(confirmed_at) AS w FROM subscribers WHERE project = $1")
                .bind(project).fetch_one(pool).await?;
            (r.try_get("c")?, r.try_get("w")?)
        });
        Ok((confirmed as u64, waiting as u64))
    }

    /// A subscriber with their address decrypted, to mail them; `None` once unsubscribed.
    pub async fn subscriber_contact(
        &self,
        id: &str,
    ) -> Result<Option<SubscriberContact>, StoreError> {
        let row: Option<SubscriberColumns> = on_db!(&self.db, pool => {
            sqlx::query("SELECT project, key_id, sealed_email, requested_at, confirmed_at FROM subscribers WHERE id = $1")
                .bind(id).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("project")?, r.try_get("key_id")?, r.try_get("sealed_email")?, r.try_get("requested_at")?, r.try_get("confirmed_at")?)))
                .transpose()?
        });
        let Some((project, key_id, sealed, requested_at, confirmed_at)) = row else {
            return Ok(None);
        };
        let email = self.vault.unwrap(&subscriber_aad(id), &key_id, &sealed)?;
        Ok(Some(SubscriberContact {
            id: id.to_owned(),
            project,
            email: String::from_utf8(email.to_vec())
                .map_err(|_| StoreError::Corrupt("subscriber address".into()))?,
            confirmed: confirmed_at.is_some(),
            requested_at: from_millis(requested_at)?,
        }))
    }

    /// Deletes subscription requests never confirmed, whose link expired before `now`.
    pub async fn prune_subscriptions(&self, now: Timestamp) -> Result<u64, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query("DELETE FROM subscribers WHERE confirmed_at IS NULL AND confirm_expires_at < $1")
                .bind(millis(now)).execute(pool).await?.rows_affected()
        }))
    }

    /// Adds an address to a project's early-access list; `Ok(false)` when it is there already.
    pub async fn add_early_access(
        &self,
        project: &str,
        email: &str,
        name: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let email = email.trim();
        postern_core::policy::check_email(email)
            .map_err(|why| StoreError::Limit(format!("the address {why}")))?;
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if name.is_some_and(|n| n.chars().count() > EARLY_ACCESS_NAME_CHARS_MAX) {
            return Err(StoreError::Limit(format!(
                "the name is longer than {EARLY_ACCESS_NAME_CHARS_MAX} characters"
            )));
        }
        let count: i64 = on_db!(&self.db, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM early_access WHERE project = $1")
                .bind(project).fetch_one(pool).await?.try_get("n")?
        });
        if count >= EARLY_ACCESS_PER_PROJECT_MAX {
            return Err(StoreError::Limit(format!(
                "the early-access list of {project} has {EARLY_ACCESS_PER_PROJECT_MAX} addresses, the most it may have"
            )));
        }
        let id = crate::random_id()?;
        let plain = Zeroizing::new(
            serde_json::to_vec(&SealedMember {
                email: email.to_owned(),
                name: name.map(str::to_owned),
            })
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let (key_id, sealed) = self.vault.wrap(&member_aad(&id), &plain)?;
        let change = Stmt {
            sql: "INSERT INTO early_access (id, project, email_mac, key_id, sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            args: vec![
                Value::Text(id.clone()),
                Value::Text(project.to_owned()),
                Value::Blob(self.email_mac(project, email)),
                Value::Text(key_id),
                Value::Blob(sealed),
                Value::Int(millis(now)),
            ],
            expect_one: Some("on the list already"),
        };
        let detail = format!("project={project} member={id}");
        self.list_write(change, Vec::new(), actor, "early_access.added", detail, now)
            .await
    }

    /// One audited change of a list: `change` with its event and `jobs`, in one transaction.
    /// `Ok(false)` when `change` found nothing to change (done meanwhile: a `Conflict`).
    async fn list_write(
        &self,
        change: Stmt,
        jobs: Vec<NewJob>,
        actor: &str,
        action: &'static str,
        detail: String,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let write = TeamWrite {
            stmts: vec![change],
            events: vec![EventParts {
                at: millis(now),
                actor: actor.to_owned(),
                action,
                report_id: None,
                detail,
            }],
            jobs,
        };
        match self.write(WriteOp::Team(write)).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes an address from a project's early-access list; `Ok(false)` when it was not on it.
    pub async fn remove_early_access(
        &self,
        project: &str,
        email: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mac = self.email_mac(project, email);
        let id: Option<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id FROM early_access WHERE project = $1 AND email_mac = $2")
                .bind(project).bind(&mac).fetch_optional(pool).await?
                .map(|r| r.try_get("id")).transpose()?
        });
        let Some(id) = id else { return Ok(false) };
        let change = Stmt {
            sql: "DELETE FROM early_access WHERE id = $1",
            args: vec![Value::Text(id.clone())],
            expect_one: Some("removed meanwhile"),
        };
        let detail = format!("project={project} member={id}");
        self.list_write(
            change,
            Vec::new(),
            actor,
            "early_access.removed",
            detail,
            now,
        )
        .await
    }

    /// The early-access list of one project or all, decrypted, in the order added.
    pub async fn early_access_list(
        &self,
        project: Option<&str>,
    ) -> Result<Vec<EarlyAccessMember>, StoreError> {
        let rows: Vec<(String, String, String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, project, key_id, sealed FROM early_access WHERE ($1 = '' OR project = $1) ORDER BY project, created_at, id")
                .bind(project.unwrap_or("")).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("project")?, r.try_get("key_id")?, r.try_get("sealed")?)))
                .collect::<Result<_, _>>()?
        });
        rows.into_iter()
            .map(|(id, project, key_id, sealed)| self.open_member(id, project, &key_id, &sealed))
            .collect()
    }

    /// One early-access recipient, to mail them; `None` once removed.
    pub async fn early_access_member(
        &self,
        id: &str,
    ) -> Result<Option<EarlyAccessMember>, StoreError> {
        let row: Option<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT project, key_id, sealed FROM early_access WHERE id = $1")
                .bind(id).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("project")?, r.try_get("key_id")?, r.try_get("sealed")?)))
                .transpose()?
        });
        row.map(|(project, key_id, sealed)| {
            self.open_member(id.to_owned(), project, &key_id, &sealed)
        })
        .transpose()
    }

    /// The ids on a project's early-access list.
    pub async fn early_access_ids(&self, project: &str) -> Result<Vec<String>, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query("SELECT id FROM early_access WHERE project = $1 ORDER BY id")
                .bind(project).fetch_all(pool).await?
                .into_iter().map(|r| r.try_get("id")).collect::<Result<Vec<String>, sqlx::Error>>()?
        }))
    }

    fn open_member(
        &self,
        id: String,
        project: String,
        key_id: &str,
        sealed: &[u8],
    ) -> Result<EarlyAccessMember, StoreError> {
        let plain = self.vault.unwrap(&member_aad(&id), key_id, sealed)?;
        let member: SealedMember =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(EarlyAccessMember {
            id,
            project,
            email: member.email,
            name: member.name,
        })
    }

    /// Re-wraps the sealed addresses of subscribers and early-access lists under the master
    /// key `new_id` (part of key rotation); returns how many rows still use another key.
    pub(crate) async fn rewrap_list_addresses(&self, new_id: &str) -> Result<i64, StoreError> {
        for (table, column, aad) in [
            (
                "subscribers",
                "sealed_email",
                subscriber_aad as fn(&str) -> String,
            ),
            ("early_access", "sealed", member_aad),
        ] {
            let select = sqlx::AssertSqlSafe(format!(
                "SELECT id, key_id, {column} AS sealed FROM {table} WHERE key_id <> $1"
            ));
            let rows: Vec<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
                sqlx::query(select).bind(new_id).fetch_all(pool).await?
                    .into_iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("key_id")?, r.try_get("sealed")?)))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            for (id, key_id, sealed) in rows {
                let plain = self.vault.unwrap(&aad(&id), &key_id, &sealed)?;
                let (wrapped_id, rewrapped) = self.vault.wrap(&aad(&id), &plain)?;
                let update = sqlx::AssertSqlSafe(format!(
                    "UPDATE {table} SET key_id = $1, {column} = $2 WHERE id = $3 AND key_id = $4"
                ));
                on_db!(&self.db, pool => {
                    sqlx::query(update).bind(&wrapped_id).bind(&rewrapped).bind(&id).bind(&key_id)
                        .execute(pool).await?;
                });
            }
        }
        Ok(on_db!(&self.db, pool => {
            sqlx::query("SELECT (SELECT COUNT(*) FROM subscribers WHERE key_id <> $1) + (SELECT COUNT(*) FROM early_access WHERE key_id <> $1) AS n")
                .bind(new_id).fetch_one(pool).await?.try_get("n")?
        }))
    }
}
