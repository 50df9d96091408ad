//! Per-project webhooks: where a project's team wants to hear about new reports and
//! messages besides mail (a Slack or Discord channel, or any HTTPS endpoint that checks a
//! Standard Webhooks signature).
//!
//! The address and the signing secret are secrets (whoever has a Slack or Discord webhook URL
//! can post to the channel): they are sealed together under the master key, like TOTP
//! secrets, and re-wrapped by `rotate_master_key`. Nothing about a webhook is in the public
//! policy file.
//!
//! Delivery goes through the outbox: an event job fans out to one `webhook` job per matching
//! webhook of its project (the runner's fan-out, beside its delivery in the binary), whose
//! payload names the webhook and the event, never report contents or the reporter's contact.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use zeroize::{Zeroize, ZeroizeOnDrop};

pub use crate::jobs::kind::WebhookDelivery;
use crate::jobs::kind::{JobKind, NewJob, ReportEvent};
use crate::write::{TeamWrite, Value, event, stmt, text};
use crate::{Db, Store, StoreError, WriteOp, from_millis, millis, on_db, random_id};

/// Most webhooks one project may have.
pub const WEBHOOKS_PER_PROJECT_MAX: usize = 10;
/// Longest webhook URL, in bytes.
pub const WEBHOOK_URL_BYTES_MAX: usize = 2048;
/// The event a `postern webhook test` sends.
pub const PING: &str = "webhook.ping";

/// Where a webhook posts, and so the shape of its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// A Slack incoming webhook: `{"text": ...}`.
    Slack,
    /// A Discord webhook: `{"content": ...}`.
    Discord,
    /// Any endpoint: a JSON event signed per the Standard Webhooks specification.
    Generic,
}

impl WebhookKind {
    /// Every kind.
    pub const ALL: [WebhookKind; 3] = [
        WebhookKind::Slack,
        WebhookKind::Discord,
        WebhookKind::Generic,
    ];

    /// The stored (and command-line) name.
    pub fn name(self) -> &'static str {
        match self {
            WebhookKind::Slack => "slack",
            WebhookKind::Discord => "discord",
            WebhookKind::Generic => "generic",
        }
    }

    /// The kind with this name.
    pub fn parse(name: &str) -> Option<WebhookKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// What a webhook can be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    /// A report was received.
    NewReport,
    /// The reporter wrote a message.
    ReporterMessage,
    /// The team wrote to the reporter or changed the case.
    CaseUpdate,
}

impl WebhookEvent {
    /// Every event.
    pub const ALL: [WebhookEvent; 3] = [
        WebhookEvent::NewReport,
        WebhookEvent::ReporterMessage,
        WebhookEvent::CaseUpdate,
    ];
    /// What a webhook hears about when `--events` is not given.
    pub const DEFAULT: [WebhookEvent; 2] = [WebhookEvent::NewReport, WebhookEvent::ReporterMessage];

    /// The stored (and command-line) name.
    pub fn name(self) -> &'static str {
        match self {
            WebhookEvent::NewReport => "new_report",
            WebhookEvent::ReporterMessage => "reporter_message",
            WebhookEvent::CaseUpdate => "case_update",
        }
    }

    /// The event with this name.
    pub fn parse(name: &str) -> Option<WebhookEvent> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The report event it follows.
    pub fn report_event(self) -> ReportEvent {
        match self {
            WebhookEvent::NewReport => ReportEvent::NewReport,
            WebhookEvent::ReporterMessage => ReportEvent::ReporterMessage,
            WebhookEvent::CaseUpdate => ReportEvent::CaseUpdate,
        }
    }
}

/// A configured webhook, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Id, as `postern webhook list` shows it.
    pub id: String,
    /// The project's slug.
    pub project: String,
    /// Where it posts.
    pub kind: WebhookKind,
    /// What it is told about.
    pub events: Vec<WebhookEvent>,
    /// When it was added.
    pub created_at: Timestamp,
    /// Who added it.
    pub created_by: String,
}

impl Webhook {
    /// Whether it is told about this report event.
    pub fn wants(&self, event: ReportEvent) -> bool {
        self.events.iter().any(|e| e.report_event() == event)
    }
}

/// A webhook's secrets: its address and, for generic webhooks, the signing secret
/// (`whsec_` + base64). Wiped from memory when dropped; `Debug` shows neither.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct WebhookSecrets {
    /// The URL posted to.
    pub url: String,
    /// The Standard Webhooks signing secret (generic webhooks only).
    pub signing_secret: Option<String>,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecrets(..)")
    }
}

/// Associated data of a webhook's sealed secrets: they cannot be moved to another row.
fn sealing_id(webhook: &str) -> String {
    format!("webhook:{webhook}")
}

fn events_text(events: &[WebhookEvent]) -> String {
    events
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(",")
}

const WEBHOOK_COLUMNS: &str = "id, project, kind, events, created_at, created_by";

fn webhook_from_row<R: sqlx::Row>(r: &R) -> Result<Webhook, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = r.try_get("kind")?;
    let events: String = r.try_get("events")?;
    Ok(Webhook {
        id: r.try_get("id")?,
        project: r.try_get("project")?,
        kind: WebhookKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt("webhook kind".into()))?,
        events: events
            .split(',')
            .filter(|e| !e.is_empty())
            .map(|e| {
                WebhookEvent::parse(e).ok_or_else(|| StoreError::Corrupt("webhook event".into()))
            })
            .collect::<Result<_, _>>()?,
        created_at: from_millis(r.try_get("created_at")?)?,
        created_by: r.try_get("created_by")?,
    })
}

impl Store {
    /// Adds a webhook to a project, its secrets sealed, with an audit event
    /// (`webhook.added`, naming neither the URL nor the secret).
    pub async fn add_webhook(
        &self,
        project: &str,
        kind: WebhookKind,
        events: &[WebhookEvent],
        secrets: &WebhookSecrets,
        actor: &str,
        now: Timestamp,
    ) -> Result<Webhook, StoreError> {
        if secrets.url.len() > WEBHOOK_URL_BYTES_MAX {
            return Err(StoreError::Limit(format!(
                "a webhook URL may be at most {WEBHOOK_URL_BYTES_MAX} bytes long"
            )));
        }
        if events.is_empty() {
            return Err(StoreError::Limit(
                "a webhook needs at least one event".into(),
            ));
        }
        if self.webhooks(Some(project)).await?.len() >= WEBHOOKS_PER_PROJECT_MAX {
            return Err(StoreError::Limit(format!(
                "project {project} has {WEBHOOKS_PER_PROJECT_MAX} webhooks already, the most it may have; remove one first"
            )));
        }
        let id = random_id()?;
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(secrets).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let (key_id, sealed) = self.vault.wrap(&sealing_id(&id), &plain)?;
        let events_text = events_text(events);
        self.team_write(
            vec![stmt(
                "INSERT INTO webhooks (id, project, kind, events, key_id, sealed, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                vec![
                    text(&id),
                    text(project),
                    text(kind.name()),
                    text(&events_text),
                    text(key_id),
                    Value::Blob(sealed),
                    Value::Int(millis(now)),
                    text(actor),
                ],
            )],
            vec![event(
                now,
                actor,
                "webhook.added",
                None,
                format!(
                    "webhook={id} project={project} kind={} events={events_text}",
                    kind.name()
                ),
            )],
        )
        .await?;
        Ok(Webhook {
            id,
            project: project.to_owned(),
            kind,
            events: events.to_vec(),
            created_at: from_millis(millis(now))?,
            created_by: actor.to_owned(),
        })
    }

    /// Removes a webhook (`webhook.removed` in the audit log). `NotFound` if there is none.
    /// Deliveries already queued for it fail as "removed".
    pub async fn remove_webhook(
        &self,
        id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Webhook, StoreError> {
        let webhook = self.webhook(id).await?.ok_or(StoreError::NotFound)?;
        let mut delete = stmt("DELETE FROM webhooks WHERE id = $1", vec![text(id)]);
        delete.expect_one = Some("this webhook was removed already");
        self.team_write(
            vec![delete],
            vec![event(
                now,
                actor,
                "webhook.removed",
                None,
                format!("webhook={id} project={}", webhook.project),
            )],
        )
        .await?;
        Ok(webhook)
    }

    /// One webhook, without secrets.
    pub async fn webhook(&self, id: &str) -> Result<Option<Webhook>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1"
        ));
        on_db!(&self.db, pool => {
            sqlx::query(sql).bind(id).fetch_optional(pool).await?
                .as_ref().map(webhook_from_row).transpose()
        })
    }

    /// The webhooks of one project, or of all, oldest first, without secrets.
    pub async fn webhooks(&self, project: Option<&str>) -> Result<Vec<Webhook>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE ($1 = '' OR project = $1) ORDER BY project, created_at, id"
        ));
        on_db!(&self.db, pool => {
            sqlx::query(sql).bind(project.unwrap_or("")).fetch_all(pool).await?
                .iter().map(webhook_from_row).collect()
        })
    }

    /// A webhook's address and signing secret, unsealed to deliver (or to show the address
    /// redacted). `NotFound` if it was removed.
    pub async fn webhook_secrets(&self, id: &str) -> Result<WebhookSecrets, StoreError> {
        let row: Option<(String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT key_id, sealed FROM webhooks WHERE id = $1")
                .bind(id).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("key_id")?, r.try_get("sealed")?)))
                .transpose()?
        });
        let (key_id, sealed) = row.ok_or(StoreError::NotFound)?;
        let plain = self.vault.unwrap(&sealing_id(id), &key_id, &sealed)?;
        serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Queues a ping to a webhook through the outbox (`webhook.tested` in the audit log), and
    /// returns the delivery job's id.
    pub async fn test_webhook(
        &self,
        id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let webhook = self.webhook(id).await?.ok_or(StoreError::NotFound)?;
        let nonce = data_encoding::HEXLOWER.encode(&crate::vault::random_bytes::<8>()?);
        let dedupe_key = format!("webhook:{id}:ping:{nonce}");
        let job = NewJob::new(
            JobKind::Webhook,
            &webhook.project,
            None,
            &WebhookDelivery {
                event: PING.into(),
                webhook: id.to_owned(),
                at: millis(now),
            },
            dedupe_key,
            now,
        );
        let job_id = job.id.clone();
        self.write(WriteOp::Team(TeamWrite {
            stmts: Vec::new(),
            events: vec![event(
                now,
                actor,
                "webhook.tested",
                None,
                format!("webhook={id} project={} job={job_id}", webhook.project),
            )],
            jobs: vec![job],
        }))
        .await?;
        Ok(job_id)
    }

    /// Re-wraps every webhook's sealed secrets under the master key `new_id` (key rotation).
    pub(crate) async fn rewrap_webhooks(&self, new_id: &str) -> Result<(), StoreError> {
        let rows: Vec<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, key_id, sealed FROM webhooks WHERE key_id <> $1")
                .bind(new_id).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("key_id")?, r.try_get("sealed")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        for (id, key_id, sealed) in rows {
            let plain = self.vault.unwrap(&sealing_id(&id), &key_id, &sealed)?;
            let (wrapped_id, resealed) = self.vault.wrap(&sealing_id(&id), &plain)?;
            on_db!(&self.db, pool => {
                sqlx::query("UPDATE webhooks SET key_id = $1, sealed = $2 WHERE id = $3 AND key_id = $4")
                    .bind(&wrapped_id).bind(&resealed).bind(&id).bind(&key_id)
                    .execute(pool).await?;
            });
        }
        Ok(())
    }
}
