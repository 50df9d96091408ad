//! What operators watch: whether the database answers with every migration this binary knows
//! applied (`readiness`), and the counts `/metrics` shows (`gauges`), each one indexed query.

use jiff::{SignedDuration, Timestamp};
use sqlx::Row as _;

use crate::{Db, Store, StoreError, millis, on_db};

/// Why an instance should not be sent traffic.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    /// The database does not answer.
    #[error("the database does not answer")]
    Unreachable(#[source] StoreError),
    /// The database lacks migrations this binary knows (another instance is migrating it).
    #[error("the database is at schema {applied}; this version needs {known}")]
    Behind {
        /// The newest migration applied.
        applied: i64,
        /// The newest this binary knows.
        known: i64,
    },
}

/// The counts of the database that `/metrics` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gauges {
    /// Reports received, in all.
    pub reports: u64,
    /// Outbox jobs waiting to run (or running).
    pub jobs_pending: u64,
    /// Outbox jobs given up.
    pub jobs_dead: u64,
    /// Reports whose next promised limit falls within the `near` span given.
    pub clocks_near: u64,
    /// Reports with a running promise past its limit.
    pub clocks_past: u64,
}

impl Store {
    /// Enqueues the day's audit checkpoint mail to every admin (enabled, set up), once a day
    /// whoever calls it and however often (dedupe `audit.checkpoint:DAY:ADMIN`, the day of
    /// `checkpoint.at` in UTC); filed under `project`. Returns how many admins it was for.
    pub async fn enqueue_checkpoint_mails(
        &self,
        checkpoint: &postern_core::audit::Checkpoint,
        project: &str,
    ) -> Result<usize, StoreError> {
        let admins: Vec<String> = self
            .list_users()
            .await?
            .into_iter()
            .filter(|u| {
                !u.disabled && u.password_hash.is_some() && u.role == crate::team::Role::Admin
            })
            .map(|u| u.email)
            .collect();
        if admins.is_empty() {
            return Ok(0);
        }
        let day = checkpoint.at.strftime("%Y-%m-%d").to_string();
        let head = data_encoding::HEXLOWER.encode(&checkpoint.head);
        let jobs = admins
            .iter()
            .map(|admin| {
                crate::jobs::NewJob::new(
                    crate::jobs::JobKind::Mail,
                    project,
                    None,
                    &crate::jobs::ListMail::AuditCheckpoint {
                        admin: admin.clone(),
                        events: checkpoint.events,
                        head: head.clone(),
                        at: millis(checkpoint.at),
                    },
                    format!("audit.checkpoint:{day}:{admin}"),
                    checkpoint.at,
                )
            })
            .collect();
        self.write(crate::WriteOp::Team(crate::write::TeamWrite {
            stmts: Vec::new(),
            events: Vec::new(),
            jobs,
        }))
        .await?;
        Ok(admins.len())
    }

    /// The newest migration applied to the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM _sqlx_migrations WHERE success")
                .fetch_one(pool).await?.try_get("v")?
        }))
    }

    /// Ready for traffic: the database answers and has every migration this binary knows.
    pub async fn readiness(&self) -> Result<(), NotReady> {
        let applied = self.schema_version().await.map_err(NotReady::Unreachable)?;
        let known = crate::backup::known_schema_version();
        if applied < known {
            return Err(NotReady::Behind { applied, known });
        }
        Ok(())
    }

    /// The database's counts for `/metrics`, at `now`; `near` is how soon a limit counts as near.
    pub async fn gauges(&self, now: Timestamp, near: SignedDuration) -> Result<Gauges, StoreError> {
        let (now, soon) = (millis(now), millis(now + near));
        let row: (i64, i64, i64) = on_db!(&self.db, pool => {
            let r = sqlx::query("SELECT (SELECT COUNT(*) FROM reports) AS reports, \
                     (SELECT COUNT(*) FROM reports WHERE next_due_at <= $1) AS past, \
                     (SELECT COUNT(*) FROM reports WHERE next_due_at > $1 AND next_due_at <= $2) AS near")
                .bind(now).bind(soon).fetch_one(pool).await?;
            (r.try_get("reports")?, r.try_get("past")?, r.try_get("near")?)
        });
        let jobs: Vec<(String, i64)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT state, COUNT(*) AS n FROM jobs WHERE state IN ('pending', 'running', 'dead') GROUP BY state")
                .fetch_all(pool).await?
                .iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("state")?, r.try_get("n")?)))
                .collect::<Result<_, _>>()?
        });
        let jobs_in = |states: &[&str]| {
            jobs.iter()
                .filter(|(s, _)| states.contains(&s.as_str()))
                .map(|(_, n)| *n as u64)
                .sum()
        };
        Ok(Gauges {
            reports: row.0 as u64,
            clocks_past: row.1 as u64,
            clocks_near: row.2 as u64,
            jobs_pending: jobs_in(&["pending", "running"]),
            jobs_dead: jobs_in(&["dead"]),
        })
    }
}
