//! Advisories in the store: saved (sealed under a data key of their own, because a draft is as
//! secret as its report), published, listed. Every save and publication is audited.

use jiff::{SignedDuration, Timestamp};
use postern_core::advisory::{Advisory, AdvisoryId};
use postern_core::report::ReportId;
use sqlx::Row as _;
use zeroize::Zeroizing;

use crate::team::{Stmt, Value};
use crate::writer::EventParts;
use crate::{Db, Store, StoreError, WriteOp, from_millis, millis, on_db, subscriptions, vault};

/// (report_id, published_at, key_id, wrapped_key, content) of an advisory row.
type AdvisoryColumns = (Option<String>, Option<i64>, String, Vec<u8>, Vec<u8>);

/// Most advisories one list returns.
pub const ADVISORY_LIST_MAX: usize = 500;

/// Which published advisories a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublishedQuery<'a> {
    /// Only this project's.
    pub project: Option<&'a str>,
    /// Only this severity ("low", "medium", "high", "critical").
    pub severity: Option<&'a str>,
    /// Only those listed after this one (the last of the previous page).
    pub before: Option<&'a AdvisoryId>,
}

/// A published advisory in the CSAF directory's index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// The advisory.
    pub id: AdvisoryId,
    /// Its project.
    pub project: String,
    /// When it was published.
    pub published_at: Timestamp,
    /// Its last change.
    pub modified_at: Timestamp,
}

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

/// What a new advisory was made from.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// Written by hand (or imported).
    Hand,
    /// Drafted from a report.
    Report(&'a ReportId),
    /// Drafted from a finding (its row id): linked to it in the same transaction, once.
    Finding(&'a str),
}

impl<'a> Origin<'a> {
    /// From an optional report.
    pub fn of_report(report: Option<&'a ReportId>) -> Origin<'a> {
        report.map_or(Origin::Hand, Origin::Report)
    }

    fn report(self) -> Option<&'a ReportId> {
        match self {
            Origin::Report(report) => Some(report),
            Origin::Hand | Origin::Finding(_) => None,
        }
    }
}

/// Why an advisory drafted from a finding was refused: one was drafted from it already.
pub const FINDING_DRAFTED_ALREADY: &str = "an advisory was drafted from this finding already";

impl Store {
    /// Saves an advisory (new or edited, an upsert), checked first; `modified` should have
    /// moved. A published advisory stays published. For seeding (the demo, benchmarks,
    /// tests): people's edits go through `postern_app`, which creates with `create_advisory`
    /// (never over another) and edits with `update_advisory` (only the version seen).
    pub async fn save_advisory(
        &self,
        advisory: &Advisory,
        report: Option<&ReportId>,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.insert_advisory(
            "INSERT INTO advisories (id, project, report_id, published_at, modified_at, severity, key_id, wrapped_key, content) VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET modified_at = excluded.modified_at, severity = excluded.severity, key_id = excluded.key_id, wrapped_key = excluded.wrapped_key, content = excluded.content, report_id = COALESCE(excluded.report_id, advisories.report_id) WHERE advisories.project = excluded.project",
            "an advisory with this id belongs to another project",
            advisory,
            Origin::of_report(report),
            actor,
            now,
        )
        .await
    }

    /// Checks and seals an advisory and writes it with `sql` (an INSERT of the row's columns in
    /// order, `$1` to `$8`), audited as `advisory.saved`; `expect_one` is the refusal when no
    /// row changed.
    async fn insert_advisory(
        &self,
        sql: &'static str,
        expect_one: &'static str,
        advisory: &Advisory,
        origin: Origin<'_>,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        advisory
            .check()
            .map_err(|e| StoreError::Limit(e.to_string()))?;
        let (key_id, wrapped, content) = self.seal_advisory(advisory)?;
        let report = origin.report();
        let finding = match origin {
            Origin::Finding(id) => Some(id),
            Origin::Hand | Origin::Report(_) => None,
        };
        // Drafted from a finding: linked in the same transaction, once.
        let link = finding.map(|id| Stmt {
            sql: "UPDATE findings SET advisory_id = $1 WHERE id = $2 AND advisory_id IS NULL",
            args: vec![
                Value::Text(advisory.id.to_string()),
                Value::Text(id.to_owned()),
            ],
            expect_one: Some(FINDING_DRAFTED_ALREADY),
        });
        let stmt = Stmt {
            sql,
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
            expect_one: Some(expect_one),
        };
        let detail = match finding {
            Some(id) => format!("advisory={} finding={id}", advisory.id),
            None => format!("advisory={}", advisory.id),
        };
        self.write(WriteOp::Team(crate::team::TeamWrite {
            stmts: std::iter::once(stmt).chain(link).collect(),
            jobs: Vec::new(),
            events: vec![EventParts {
                at: millis(now),
                actor: actor.to_owned(),
                action: "advisory.saved",
                report_id: report.map(ReportId::to_string),
                detail,
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
        let Some(columns) = row else {
            return Ok(None);
        };
        self.open_advisory(id, columns).map(Some)
    }

    /// Publishes an advisory at `at` (its `published` and `modified` become `at`), without
    /// telling a reporter; see `publish_advisory_telling`.
    pub async fn publish_advisory(
        &self,
        id: &AdvisoryId,
        actor: &str,
        at: Timestamp,
    ) -> Result<Advisory, StoreError> {
        self.publish(id, actor, at, None::<fn(&AdvisoryId) -> String>, None)
            .await
    }

    /// Publishes an advisory at `at` (its `published` and `modified` become `at`) in one
    /// transaction: the record, the publication (refused if another was first), the withdrawal
    /// of early access, the subscribers' event, the audit event, and, when the advisory comes
    /// from a report, a message to its reporter naming `page_url` with their notice job. A
    /// crash leaves it either unpublished or published with all of these.
    pub async fn publish_advisory_telling(
        &self,
        id: &AdvisoryId,
        actor: &str,
        at: Timestamp,
        early: Option<&str>,
        page_url: impl Fn(&AdvisoryId) -> String,
    ) -> Result<Advisory, StoreError> {
        self.publish(id, actor, at, Some(page_url), early).await
    }

    async fn publish(
        &self,
        id: &AdvisoryId,
        actor: &str,
        at: Timestamp,
        page_url: Option<impl Fn(&AdvisoryId) -> String>,
        early: Option<&str>,
    ) -> Result<Advisory, StoreError> {
        let stored = self.advisory(id).await?.ok_or(StoreError::NotFound)?;
        if stored.published_at.is_some() {
            return Err(StoreError::Conflict(format!("{id} is published already")));
        }
        let mut advisory = stored.advisory;
        advisory.published = Some(at);
        advisory.modified = at;
        advisory
            .check()
            .map_err(|e| StoreError::Limit(e.to_string()))?;
        let (key_id, wrapped, content) = self.seal_advisory(&advisory)?;
        let publication = Stmt {
            sql: "UPDATE advisories SET published_at = $1, modified_at = $1, severity = $2, key_id = $3, wrapped_key = $4, content = $5 WHERE id = $6 AND published_at IS NULL",
            args: vec![
                Value::Int(millis(at)),
                severity_name(&advisory),
                Value::Text(key_id),
                Value::Blob(wrapped),
                Value::Blob(content),
                Value::Text(id.to_string()),
            ],
            expect_one: Some("the advisory was published meanwhile"),
        };
        let report = stored.report.as_ref().map(ReportId::to_string);
        // Early access announced a date; the advisory is public now.
        let mut stmts = vec![
            publication,
            subscriptions::withdraw_early_access(id.as_str(), ""),
        ];
        // The subscribers hear of it through the outbox, committed with the publication.
        let mut jobs = vec![subscriptions::published_event(
            id.as_str(),
            &advisory.project,
            at,
        )];
        let mut events = vec![EventParts {
            at: millis(at),
            actor: actor.to_owned(),
            action: "advisory.published",
            report_id: report.clone(),
            // Whether it came before the date agreed with the reporter; the reason is in the
            // reporter's sealed notice, not in the audit log.
            detail: match early {
                Some(_) => format!("advisory={id} early=1"),
                None => format!("advisory={id}"),
            },
        }];
        if let (Some(report), Some(page_url)) = (&stored.report, page_url) {
            let mut words = format!("The advisory {id} is public: {}", page_url(id));
            if let Some(early) = early {
                words = format!("{words}\n\n{early}");
            }
            let (notice, job, event) = self.reporter_notice(report, &words, actor, at).await?;
            stmts.push(notice);
            jobs.push(job);
            events.push(event);
        }
        self.write(WriteOp::Team(crate::team::TeamWrite {
            stmts,
            jobs,
            events,
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

    /// Schedules an unpublished advisory to publish itself at `at` (the embargo's end),
    /// without early access; see `schedule_advisory_with_early_access`.
    pub async fn schedule_advisory(
        &self,
        id: &AdvisoryId,
        at: Timestamp,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.schedule_advisory_with_early_access(id, at, None, actor, now)
            .await
    }

    /// Schedules an unpublished advisory to publish itself at `at`. With `early_access` (the
    /// policy's `[updates.early_access] days_before`), the same transaction enqueues the mail
    /// of the embargoed advisory to the project's early-access list, due that long before `at`
    /// (at once if that moment has passed), and withdraws the pending one of an earlier
    /// schedule.
    pub async fn schedule_advisory_with_early_access(
        &self,
        id: &AdvisoryId,
        at: Timestamp,
        early_access: Option<SignedDuration>,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let stored = self.advisory(id).await?.ok_or(StoreError::NotFound)?;
        let stmt = Stmt {
            sql: "UPDATE advisories SET publish_at = $1 WHERE id = $2 AND published_at IS NULL",
            args: vec![Value::Int(millis(at)), Value::Text(id.to_string())],
            expect_one: Some("the advisory is published already"),
        };
        let jobs: Vec<_> = early_access
            .map(|before| {
                subscriptions::early_access_event(
                    id.as_str(),
                    &stored.advisory.project,
                    at,
                    (at - before).max(now),
                )
            })
            .into_iter()
            .collect();
        let keep = jobs.first().map_or("", |j| j.dedupe_key.as_str());
        let withdraw = subscriptions::withdraw_early_access(id.as_str(), keep);
        self.write(WriteOp::Team(crate::team::TeamWrite {
            stmts: vec![stmt, withdraw],
            jobs,
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
            match self
                .publish_advisory_telling(&id, actor, now, None, &page_url)
                .await
            {
                Ok(_) => {}
                // Another instance was first.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
            published.push(id);
        }
        Ok(published)
    }

    /// Published advisories, newest first, of one project or all (at most `limit`, capped at
    /// [`ADVISORY_LIST_MAX`]).
    pub async fn published_advisories(
        &self,
        project: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredAdvisory>, StoreError> {
        let query = PublishedQuery {
            project,
            ..PublishedQuery::default()
        };
        self.published_page(&query, limit).await
    }

    /// One page of published advisories, newest first, read in one query: filtered by project
    /// and severity, and starting after the advisory `query.before` names (keyset paging, so
    /// the 100th page costs what the first does).
    pub async fn published_page(
        &self,
        query: &PublishedQuery<'_>,
        limit: usize,
    ) -> Result<Vec<StoredAdvisory>, StoreError> {
        let limit = limit.min(ADVISORY_LIST_MAX) as i64;
        let rows: Vec<(String, AdvisoryColumns)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, report_id, published_at, key_id, wrapped_key, content FROM advisories \
                WHERE published_at IS NOT NULL AND ($1 = '' OR project = $1) AND ($2 = '' OR severity = $2) \
                AND ($3 = '' OR published_at < (SELECT published_at FROM advisories WHERE id = $3) \
                  OR (published_at = (SELECT published_at FROM advisories WHERE id = $3) AND id < $3)) \
                ORDER BY published_at DESC, id DESC LIMIT $4")
                .bind(query.project.unwrap_or(""))
                .bind(query.severity.unwrap_or(""))
                .bind(query.before.map_or("", AdvisoryId::as_str))
                .bind(limit)
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, (r.try_get("report_id")?, r.try_get("published_at")?, r.try_get("key_id")?, r.try_get("wrapped_key")?, r.try_get("content")?))))
                .collect::<Result<_, _>>()?
        });
        rows.into_iter()
            .map(|(id, columns)| {
                let id = AdvisoryId::parse(&id)
                    .ok_or_else(|| StoreError::Corrupt("advisory id".into()))?;
                self.open_advisory(&id, columns)
            })
            .collect()
    }

    /// Every published advisory of one project or all, newest first, read page by page (for
    /// the bulk OSV export, the hall of fame and the CSAF directory; no cap).
    pub async fn all_published(
        &self,
        project: Option<&str>,
    ) -> Result<Vec<StoredAdvisory>, StoreError> {
        let mut all: Vec<StoredAdvisory> = Vec::new();
        loop {
            let before = all.last().map(|s| s.advisory.id.clone());
            let query = PublishedQuery {
                project,
                severity: None,
                before: before.as_ref(),
            };
            let page = self.published_page(&query, ADVISORY_LIST_MAX).await?;
            let done = page.len() < ADVISORY_LIST_MAX;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// (how many, latest change in unix ms) of the published advisories of one project or
    /// all: it changes whenever one is published or edited, so pages computed from all of
    /// them can be kept until it does.
    pub async fn published_stamp(&self, project: Option<&str>) -> Result<(i64, i64), StoreError> {
        Ok(on_db!(&self.db, pool => {
            let row = sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(modified_at), 0) AS m FROM advisories WHERE published_at IS NOT NULL AND ($1 = '' OR project = $1)")
                .bind(project.unwrap_or("")).fetch_one(pool).await?;
            (row.try_get::<i64, _>("n")?, row.try_get::<i64, _>("m")?)
        }))
    }

    /// Every published advisory's id, project, publication and last change, from the plain
    /// columns alone (nothing to decrypt): for the CSAF `index.txt` and `changes.csv`.
    pub async fn published_index(&self) -> Result<Vec<IndexEntry>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, project, published_at, modified_at FROM advisories WHERE published_at IS NOT NULL ORDER BY published_at DESC, id DESC")
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("project")?, r.try_get("published_at")?, r.try_get("modified_at")?)))
                .collect::<Result<_, _>>()?
        });
        rows.into_iter()
            .map(|(id, project, published, modified)| {
                Ok(IndexEntry {
                    id: AdvisoryId::parse(&id)
                        .ok_or_else(|| StoreError::Corrupt("advisory id".into()))?,
                    project,
                    published_at: from_millis(published)?,
                    modified_at: from_millis(modified)?,
                })
            })
            .collect()
    }

    /// Opens a sealed advisory row.
    fn open_advisory(
        &self,
        id: &AdvisoryId,
        (report, published_at, key_id, wrapped, content): AdvisoryColumns,
    ) -> Result<StoredAdvisory, StoreError> {
        let data_key = self.vault.unwrap(&wrap_id(id), &key_id, &wrapped)?;
        let plain = vault::open(&data_key, &aad(id), &content)?;
        let advisory: Advisory =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(StoredAdvisory {
            advisory,
            report: report.as_deref().and_then(ReportId::parse),
            published_at: published_at.map(from_millis).transpose()?,
        })
    }

    /// Every advisory (drafts, scheduled, published) of the projects `visible` accepts, for
    /// the team's list: unpublished first, then the newest. Each with its scheduled
    /// publication, if any.
    pub async fn team_advisories(
        &self,
        visible: impl Fn(&str) -> bool,
        limit: usize,
    ) -> Result<Vec<(StoredAdvisory, Option<Timestamp>)>, StoreError> {
        let rows: Vec<(String, String, Option<i64>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, project, publish_at FROM advisories WHERE project <> '' ORDER BY CASE WHEN published_at IS NULL THEN 0 ELSE 1 END, COALESCE(published_at, modified_at) DESC, id DESC")
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("project")?, r.try_get("publish_at")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let mut out = Vec::new();
        for (id, project, publish_at) in rows {
            if out.len() >= limit.min(ADVISORY_LIST_MAX) {
                break;
            }
            if !visible(&project) {
                continue;
            }
            let id =
                AdvisoryId::parse(&id).ok_or_else(|| StoreError::Corrupt("advisory id".into()))?;
            if let Some(stored) = self.advisory(&id).await? {
                out.push((stored, publish_at.map(from_millis).transpose()?));
            }
        }
        Ok(out)
    }

    /// The ids of the advisories drafted from a report.
    pub async fn report_advisories(
        &self,
        report: &ReportId,
    ) -> Result<Vec<AdvisoryId>, StoreError> {
        let ids: Vec<String> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id FROM advisories WHERE report_id = $1 ORDER BY id")
                .bind(report.to_string()).fetch_all(pool).await?
                .into_iter().map(|r| r.try_get("id")).collect::<Result<_, sqlx::Error>>()?
        });
        Ok(ids.iter().filter_map(|id| AdvisoryId::parse(id)).collect())
    }

    /// The advisory's record sealed under a fresh data key: (key id, wrapped key, content).
    fn seal_advisory(&self, advisory: &Advisory) -> Result<(String, Vec<u8>, Vec<u8>), StoreError> {
        let data_key = Zeroizing::new(vault::random_bytes::<{ vault::KEY_BYTES }>()?);
        let (key_id, wrapped) = self.vault.wrap(&wrap_id(&advisory.id), &*data_key)?;
        let plain = Zeroizing::new(
            serde_json::to_vec(advisory).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let content = vault::seal(&*data_key, &aad(&advisory.id), &plain)?;
        Ok((key_id, wrapped, content))
    }

    /// Stores a new advisory, checked first; refuses (`Conflict`) an id that exists already,
    /// so that two drafts numbered at once cannot overwrite each other.
    pub async fn create_advisory(
        &self,
        advisory: &Advisory,
        origin: Origin<'_>,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.insert_advisory(
            "INSERT INTO advisories (id, project, report_id, published_at, modified_at, severity, key_id, wrapped_key, content) VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
            "an advisory with this id exists already",
            advisory,
            origin,
            actor,
            now,
        )
        .await
    }

    /// Saves an edit of an existing advisory only if it is still as the editor saw it (its
    /// stored `modified` is `seen_modified`); otherwise `Conflict`, and nothing changes.
    /// `advisory.modified` should have moved past `seen_modified`.
    pub async fn update_advisory(
        &self,
        advisory: &Advisory,
        seen_modified: Timestamp,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        advisory
            .check()
            .map_err(|e| StoreError::Limit(e.to_string()))?;
        let report = self
            .advisory(&advisory.id)
            .await?
            .ok_or(StoreError::NotFound)?
            .report;
        let (key_id, wrapped, content) = self.seal_advisory(advisory)?;
        let stmt = Stmt {
            sql: "UPDATE advisories SET modified_at = $1, severity = $2, key_id = $3, wrapped_key = $4, content = $5 WHERE id = $6 AND project = $7 AND modified_at = $8",
            args: vec![
                Value::Int(millis(advisory.modified)),
                severity_name(advisory),
                Value::Text(key_id),
                Value::Blob(wrapped),
                Value::Blob(content),
                Value::Text(advisory.id.to_string()),
                Value::Text(advisory.project.clone()),
                Value::Int(millis(seen_modified)),
            ],
            expect_one: Some("the advisory was changed meanwhile"),
        };
        self.write(WriteOp::Team(crate::team::TeamWrite {
            stmts: vec![stmt],
            events: vec![EventParts {
                at: millis(now),
                actor: actor.to_owned(),
                action: "advisory.saved",
                report_id: report.as_ref().map(ReportId::to_string),
                detail: format!("advisory={}", advisory.id),
            }],
            jobs: Vec::new(),
        }))
        .await
    }
}
