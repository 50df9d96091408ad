//! Advisories in the store: saved (sealed under a data key of their own, because a draft is as
//! secret as its report), published, listed. Every save and publication is audited.

use jiff::Timestamp;
use postern_core::advisory::{Advisory, AdvisoryId};
use postern_core::report::ReportId;
use sqlx::Row as _;
use zeroize::Zeroizing;

use crate::team::{Stmt, Value};
use crate::writer::EventParts;
use crate::{Db, Store, StoreError, WriteOp, from_millis, millis, on_db, vault};

/// (report_id, published_at, key_id, wrapped_key, content) of an advisory row.
type AdvisoryColumns = (Option<String>, Option<i64>, String, Vec<u8>, Vec<u8>);

/// Most advisories one list returns.
pub const ADVISORY_LIST_MAX: usize = 500;

/// An advisory as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAdvisory {
    /// The record.
    pub advisory: Advisory,
    /// The report it was drafted from, if any.
    pub report: Option<ReportId>,
    /// Whether (and since when) it is public.
    pub published_at: Option<Timestamp>,
}

fn aad(id: &AdvisoryId) -> Vec<u8> {
    format!("postern advisory v1\0{id}").into_bytes()
}

fn wrap_id(id: &AdvisoryId) -> String {
    format!("advisory:{id}")
}

fn severity_name(advisory: &Advisory) -> Value {
    match advisory.severity {
        Some(s) => Value::Text(
            postern_core::policy::Severity::ALL
                .iter()
                .find(|(_, v)| *v == s)
                .map_or("low", |(n, _)| n)
                .to_owned(),
        ),
        None => Value::NullText,
    }
}

impl Store {
    /// Saves an advisory (new or edited), checked first; `modified` should have moved. A
    /// published advisory stays published.
    pub async fn save_advisory(
        &self,
        advisory: &Advisory,
        report: Option<&ReportId>,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        advisory
            .check()
            .map_err(|e| StoreError::Limit(e.to_string()))?;
        let data_key = Zeroizing::new(vault::random_bytes::<{ vault::KEY_BYTES }>()?);
        let (key_id, wrapped) = self.vault.wrap(&wrap_id(&advisory.id), &*data_key)?;
        let plain = Zeroizing::new(
            serde_json::to_vec(advisory).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let content = vault::seal(&*data_key, &aad(&advisory.id), &plain)?;
        let stmt = Stmt {
            sql: "INSERT INTO advisories (id, project, report_id, published_at, modified_at, severity, key_id, wrapped_key, content) VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8) \
                  ON CONFLICT (id) DO UPDATE SET modified_at = excluded.modified_at, severity = excluded.severity, key_id = excluded.key_id, wrapped_key = excluded.wrapped_key, content = excluded.content, report_id = COALESCE(excluded.report_id, advisories.report_id) WHERE advisories.project = excluded.project",
            args: vec![
                Value::Text(advisory.id.to_string()),
                Value::Text(advisory.project.clone()),
                report.map_or(Value::NullText, |r| Value::Text(r.to_string())),
                Value::Int(millis(advisory.modified)),
                severity_name(advisory),
                Value::Text(key_id),
                Value::Blob(wrapped),
                Value::Blob(content),
            ],
            expect_one: Some("an advisory with this id belongs to another project"),
        };
        self.write(WriteOp::Team(crate::team::TeamWrite {
            stmts: vec![stmt],
            jobs: Vec::new(),
            events: vec![EventParts {
                at: millis(now),
                actor: actor.to_owned(),
                action: "advisory.saved",
                report_id: report.map(ReportId::to_string),
                detail: format!("advisory={}", advisory.id),
            }],
        }))
        .await
    }

    /// The stored advisory, published or not.
    pub async fn advisory(&self, id: &AdvisoryId) -> Result<Option<StoredAdvisory>, StoreError> {
        let row: Option<AdvisoryColumns> = on_db!(&self.db, pool => {
            sqlx::query("SELECT report_id, published_at, key_id, wrapped_key, content FROM advisories WHERE id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("report_id")?, r.try_get("published_at")?, r.try_get("key_id")?, r.try_get("wrapped_key")?, r.try_get("content")?)))
                .transpose()?
        });
        let Some((report, published_at, key_id, wrapped, content)) = row else {
            return Ok(None);
        };
        let data_key = self.vault.unwrap(&wrap_id(id), &key_id, &wrapped)?;
        let plain = vault::open(&data_key, &aad(id), &content)?;
        let advisory: Advisory =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(Some(StoredAdvisory {
            advisory,
            report: report.as_deref().and_then(ReportId::parse),
            published_at: published_at.map(from_millis).transpose()?,
        }))
    }

    /// Publishes an advisory at `at` (its `published` and `modified` become `at`).
    pub async fn publish_advisory(
        &self,
        id: &AdvisoryId,
        actor: &str,
        at: Timestamp,
    ) -> Result<Advisory, StoreError> {
        let stored = self.advisory(id).await?.ok_or(StoreError::NotFound)?;
        if stored.published_at.is_some() {
            return Err(StoreError::Conflict(format!("{id} is published already")));
        }
        let mut advisory = stored.advisory;
        advisory.published = Some(at);
        advisory.modified = at;
        self.save_advisory(&advisory, stored.report.as_ref(), actor, at)
            .await?;
        let stmt = Stmt {
            sql: "UPDATE advisories SET published_at = $1 WHERE id = $2 AND published_at IS NULL",
            args: vec![Value::Int(millis(at)), Value::Text(id.to_string())],
            expect_one: Some("the advisory was published meanwhile"),
        };
        self.write(WriteOp::Team(crate::team::TeamWrite {
            stmts: vec![stmt],
            jobs: Vec::new(),
            events: vec![EventParts {
                at: millis(at),
                actor: actor.to_owned(),
                action: "advisory.published",
                report_id: stored.report.as_ref().map(ReportId::to_string),
                detail: format!("advisory={id}"),
            }],
        }))
        .await?;
        Ok(advisory)
    }

    /// The next free id under `prefix` in `year` (`ACME-2026-0004` after `ACME-2026-0003`).
    pub async fn next_advisory_id(
        &self,
        prefix: &str,
        year: i16,
    ) -> Result<AdvisoryId, StoreError> {
        let start = format!("{prefix}-{year}-");
        let ids: Vec<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id FROM advisories WHERE project <> '' AND substr(id, 1, length($1)) = $1")
                .bind(&start).fetch_all(pool).await?
                .into_iter().map(|r| r.try_get("id")).collect::<Result<_, sqlx::Error>>()?
        });
        let last = ids
            .iter()
            .filter_map(|id| id.strip_prefix(&start)?.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        Ok(AdvisoryId::new(prefix, year, last + 1))
    }

    /// Schedules an unpublished advisory to publish itself at `at` (the embargo's end).
    pub async fn schedule_advisory(
        &self,
        id: &AdvisoryId,
        at: Timestamp,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let stored = self.advisory(id).await?.ok_or(StoreError::NotFound)?;
        let stmt = Stmt {
            sql: "UPDATE advisories SET publish_at = $1 WHERE id = $2 AND published_at IS NULL",
            args: vec![Value::Int(millis(at)), Value::Text(id.to_string())],
            expect_one: Some("the advisory is published already"),
        };
        self.write(WriteOp::Team(crate::team::TeamWrite {
            stmts: vec![stmt],
            jobs: Vec::new(),
            events: vec![EventParts {
                at: millis(now),
                actor: actor.to_owned(),
                action: "advisory.scheduled",
                report_id: stored.report.as_ref().map(ReportId::to_string),
                detail: format!("advisory={id} publish_at={at}"),
            }],
        }))
        .await
    }

    /// When a scheduled advisory will publish itself.
    pub async fn advisory_schedule(
        &self,
        id: &AdvisoryId,
    ) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<Option<i64>> = on_db!(&self.db, pool => {
            sqlx::query("SELECT publish_at FROM advisories WHERE id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| r.try_get("publish_at")).transpose()?
        });
        at.flatten().map(from_millis).transpose()
    }

    /// Publishes every scheduled advisory whose time has come (as `actor`), and tells the
    /// reporter of a linked report in their conversation. Returns the ids published. Run by
    /// `serve` periodically; the schedule lives in the database, so a restart loses nothing,
    /// and two instances cannot publish one advisory twice.
    pub async fn publish_due_advisories(
        &self,
        now: Timestamp,
        actor: &str,
        page_url: impl Fn(&AdvisoryId) -> String,
    ) -> Result<Vec<AdvisoryId>, StoreError> {
        let due: Vec<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id FROM advisories WHERE published_at IS NULL AND publish_at IS NOT NULL AND publish_at <= $1 ORDER BY publish_at, id LIMIT 100")
                .bind(millis(now)).fetch_all(pool).await?
                .into_iter().map(|r| r.try_get("id")).collect::<Result<_, sqlx::Error>>()?
        });
        let mut published = Vec::new();
        for id in due {
            let id =
                AdvisoryId::parse(&id).ok_or_else(|| StoreError::Corrupt("advisory id".into()))?;
            match self.publish_advisory(&id, actor, now).await {
                Ok(_) => {}
                // Another instance was first.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
            if let Some(report) = self.advisory(&id).await?.and_then(|s| s.report) {
                self.notify_reporter(
                    &report,
                    &format!("The advisory {id} is public: {}", page_url(&id)),
                    actor,
                    now,
                )
                .await?;
            }
            published.push(id);
        }
        Ok(published)
    }

    /// Published advisories, newest first, of one project or all.
    pub async fn published_advisories(
        &self,
        project: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredAdvisory>, StoreError> {
        let limit = limit.min(ADVISORY_LIST_MAX) as i64;
        let ids: Vec<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id FROM advisories WHERE published_at IS NOT NULL AND ($1 = '' OR project = $1) ORDER BY published_at DESC, id DESC LIMIT $2")
                .bind(project.unwrap_or("")).bind(limit).fetch_all(pool).await?
                .into_iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let id =
                AdvisoryId::parse(&id).ok_or_else(|| StoreError::Corrupt("advisory id".into()))?;
            if let Some(stored) = self.advisory(&id).await? {
                out.push(stored);
            }
        }
        Ok(out)
    }
}
