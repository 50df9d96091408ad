//! The outbox: durable jobs for what Postern owes the outside world (mail to the team, the
//! reporter and the lists, webhook requests), so that nothing committed is missed and nothing
//! rolled back is sent.
//!
//! A job is written in the same transaction as its cause (`WriteOp::jobs`), under a unique
//! dedupe key, so enqueueing twice is harmless. Event jobs ("a report was received") are
//! expanded by the runner into one delivery job per recipient, inserted in the transaction
//! that marks the event done: a crash between the two stages loses nothing and sends nothing
//! twice. Workers lease jobs (`claim_jobs`); completion and failure check the lease's owner, so
//! a worker whose lease expired and whose job was reclaimed cannot finish it a second time.
//!
//! Claims and completions go through the group-commit writer like every other write: they
//! share intake's transactions instead of competing with them for SQLite's one writer (and for
//! PostgreSQL's commits). A claim can complete at once, in the same statement, the events that
//! need nothing done (`Skip`: no mail transport, no webhook).
//!
//! Job ids are derived from the dedupe key, so a retried delivery keeps its id (and the mail
//! its Message-ID). Payloads name reports by id: never contents, never the reporter's address.
//! `kind` holds each kind with its typed payload (`Task`), and what a version does with a kind
//! it does not know.

pub mod kind;

/// The note of a report event that no team member could be told of (no member to mail, no
/// webhook): such events are listed for admins and can be told again.
pub const NOBODY_TOLD: &str =
    "nobody was told: no team member of this project can be mailed and it has no webhook";

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use postern_core::report::ReportId;
use sqlx::Row as _;

pub use kind::{
    ADVISORY_EARLY_ACCESS, ADVISORY_PUBLISHED, AdvisoryEvent, DEADLINE_MISSED, DEADLINE_REMINDER,
    DEADLINE_WATCH, DeadlineWatch, Delivery, FINDINGS_DUE_SOON, FINDINGS_MISSED, FINDINGS_REOPENED,
    FindingsMail, JobKind, Lane, ListMail, MAIL, NewJob, REPORTER_NOTICE, Recipient, ReportEvent,
    TEAM_NEW_REPORT, TEAM_REPORTER_MESSAGE, Task, Unreadable, WEBHOOK, WebhookDelivery,
    deadline_watch, next_reminder_of,
};

use crate::{Db, Store, StoreError, WriteOp, from_millis, millis, on_db};

/// Attempts before a job is given up as dead.
pub const JOB_ATTEMPTS_MAX: i64 = 12;
/// The first retry waits about this long; each further one twice as long.
pub const RETRY_BASE: SignedDuration = SignedDuration::from_secs(30);
/// No retry waits longer than this.
pub const RETRY_DELAY_MAX: SignedDuration = SignedDuration::from_hours(6);
/// Longest failure text kept on a job, in characters.
pub const JOB_ERROR_CHARS_MAX: usize = 300;
/// Most jobs one claim takes.
pub const CLAIM_JOBS_MAX: usize = 256;
/// Most jobs one listing returns.
pub const JOB_LIST_MAX: i64 = 500;
/// How long a claim leases a job: short, so that another instance takes over the jobs of one
/// that died within about this long. A worker renews the leases it holds every
/// `LEASE_RENEW_EVERY` while it runs them (`renew_leases`), however long a job takes.
pub const LEASE: SignedDuration = SignedDuration::from_secs(30);
/// How often a worker renews its leases: a third of `LEASE`, so that two renewals may be late
/// before a live worker's job is taken over.
pub const LEASE_RENEW_EVERY: SignedDuration = SignedDuration::from_secs(10);

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting until `run_at`.
    Pending,
    /// Leased to a worker.
    Running,
    /// Finished.
    Done,
    /// Given up: too many attempts, or a permanent failure. `retry_job` revives it.
    Dead,
}

impl JobState {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    fn parse(name: &str) -> Option<JobState> {
        [
            JobState::Pending,
            JobState::Running,
            JobState::Done,
            JobState::Dead,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Id.
    pub id: String,
    /// What to do.
    pub kind: String,
    /// The project's slug.
    pub project: String,
    /// The report it concerns.
    pub report_id: Option<String>,
    /// JSON.
    pub payload: String,
    /// Where it stands.
    pub state: JobState,
    /// Attempts so far, this one included while running.
    pub attempts: i64,
    /// Attempts before it is given up.
    pub max_attempts: i64,
    /// When it is (or was) due.
    pub run_at: Timestamp,
    /// Why the last attempt failed (or why it was skipped); short, no secrets.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// When it finished.
    pub done_at: Option<Timestamp>,
}

impl Job {
    /// The job, typed: its kind with its payload parsed (see `Task`).
    pub fn task(&self) -> Result<Task, Unreadable> {
        Task::parse(&self.kind, self.report_id.as_deref(), &self.payload)
    }

    /// The report it concerns, parsed.
    pub fn report(&self) -> Option<ReportId> {
        self.report_id.as_deref().and_then(ReportId::parse)
    }

    /// A report mail's payload; `None` for other jobs or an unreadable payload.
    pub fn delivery(&self) -> Option<Delivery> {
        match self.task() {
            Ok(Task::ReportMail { delivery, .. }) => Some(delivery),
            _ => None,
        }
    }

    /// A deadline watch's payload; `None` for other jobs or an unreadable payload.
    pub fn watch(&self) -> Option<DeadlineWatch> {
        match self.task() {
            Ok(Task::Watch { watch, .. }) => Some(watch),
            _ => None,
        }
    }

    /// A webhook job's payload; `None` for other jobs or an unreadable payload.
    pub fn webhook_delivery(&self) -> Option<WebhookDelivery> {
        match self.task() {
            Ok(Task::Webhook(delivery)) => Some(delivery),
            _ => None,
        }
    }
}

impl ListMail {
    /// The list mail a `mail` job carries; `None` for other jobs.
    pub fn of(job: &Job) -> Option<ListMail> {
        match job.task() {
            Ok(Task::ListMail(mail)) => Some(mail),
            _ => None,
        }
    }
}

/// A leased job finished: an optional note (why it was skipped) and its follow-up jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The job.
    pub id: String,
    /// Why it was skipped, if it was.
    pub note: Option<String>,
    /// Jobs it leads to, inserted with its completion.
    pub follow_ups: Vec<NewJob>,
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later (connection refused, 4xx from the mail server).
    Transient(String),
    /// Will never work (5xx from the mail server): the job is dead at once.
    Permanent(String),
}

/// What became of a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// Pending again, due then.
    Retry(Timestamp),
    /// Given up.
    Dead,
    /// The lease had passed to another worker: nothing was changed.
    LeaseLost,
}

/// How long to wait before attempt `attempts + 1`: `base` doubled per attempt so far, at most
/// `RETRY_DELAY_MAX`, with "equal jitter" (half fixed, half drawn from `random`) so that many
/// jobs failing together do not retry together, while none retries sooner than half its delay.
pub fn retry_delay(attempts: i64, base: SignedDuration, random: u64) -> SignedDuration {
    let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
    let base_ms = base.as_millis().max(1) as u64;
    let full_ms = base_ms
        .saturating_mul(1u64 << doublings)
        .min(RETRY_DELAY_MAX.as_millis() as u64);
    let half = full_ms / 2;
    let jitter = if half == 0 { 0 } else { random % (half + 1) };
    SignedDuration::from_millis((full_ms - half + jitter) as i64)
}

pub(crate) fn short_error(text: &str) -> String {
    text.chars().take(JOB_ERROR_CHARS_MAX).collect()
}

/// Events a claim completes at once, in the same statement that claims them, because nothing
/// would be done for them: with no mail transport, an advisory event mails nobody, and a report
/// event whose project has no webhook reaches nobody either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// The note they are completed with (why nothing was done).
    pub note: String,
    /// Kinds always completed at once.
    pub always: Vec<JobKind>,
    /// Kinds completed at once when their project has no webhook.
    pub unless_webhooks: Vec<JobKind>,
}

impl Skip {
    /// The SQL condition on a `jobs` row (fixed text: kind names only).
    fn condition(&self) -> String {
        let list = |kinds: &[JobKind]| {
            let names: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.name())).collect();
            if names.is_empty() {
                "1 = 0".to_owned()
            } else {
                format!("kind IN ({})", names.join(", "))
            }
        };
        format!(
            "(({}) OR (({}) AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.project = jobs.project)))",
            list(&self.always),
            list(&self.unless_webhooks)
        )
    }
}

/// What a claim came to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claimed {
    /// The jobs leased, to be run.
    pub jobs: Vec<Job>,
    /// How many were completed at once (`Skip`).
    pub skipped: usize,
}

/// A claim, applied by the writer inside its transaction; the rows come back in `claimed`.
#[derive(Debug)]
pub(crate) struct Claim {
    worker: String,
    lane: Lane,
    now: i64,
    until: i64,
    max: i64,
    skip: Option<Skip>,
    pub(crate) claimed: Arc<Mutex<Vec<Job>>>,
}

impl Claim {
    /// The statement: leases the due jobs of the lane (pending and due, or running with an
    /// expired lease), or completes at once those that `skip` covers, and returns them all.
    pub(crate) fn sql(&self, postgres: bool) -> String {
        let lane = self.lane.condition();
        let lock = if postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let skip = self
            .skip
            .as_ref()
            .map_or_else(|| "1 = 0".to_owned(), Skip::condition);
        // SQLite would answer the OR of the two states with a scan of every job and a sort (a
        // second at a million jobs, inside the writer's transaction); and one range of the
        // `jobs_due` index per state, filtered by lane, reads past every due job of the other
        // lane (2.6 s a claim behind 1.7 million due events, migration 0024). So each kind of
        // the lane and each state walks `jobs_due_kind` (state, kind, run_at) in order and
        // stops at the limit. PostgreSQL cannot lock rows under a UNION, and plans the OR with
        // its bitmap scans.
        let due = if postgres {
            format!(
                "SELECT id FROM jobs WHERE {lane} AND ((state = 'pending' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)) \
                 ORDER BY run_at LIMIT $4{lock}"
            )
        } else {
            let branches: Vec<String> = self
                .lane
                .kind_names()
                .into_iter()
                .flat_map(|kind| {
                    [
                        "state = 'pending' AND run_at <= $3",
                        "state = 'running' AND locked_until < $3",
                    ]
                    .map(|state| {
                        format!(
                            "SELECT id, run_at FROM (SELECT id, run_at FROM jobs WHERE {state} AND kind = '{kind}' ORDER BY run_at LIMIT $4)"
                        )
                    })
                })
                .collect();
            format!(
                "SELECT id FROM ({}) ORDER BY run_at LIMIT $4",
                branches.join(" UNION ALL ")
            )
        };
        format!(
            "UPDATE jobs SET state = CASE WHEN {skip} THEN 'done' ELSE 'running' END, \
             locked_by = CASE WHEN {skip} THEN NULL ELSE $1 END, \
             locked_until = CASE WHEN {skip} THEN NULL ELSE $2 END, \
             done_at = CASE WHEN {skip} THEN $3 ELSE done_at END, \
             last_error = CASE WHEN {skip} THEN $5 ELSE last_error END, \
             attempts = attempts + 1 \
             WHERE id IN ({due}) RETURNING {JOB_COLUMNS}"
        )
    }

    pub(crate) fn binds(&self) -> (&str, i64, i64, i64, Option<String>) {
        (
            &self.worker,
            self.until,
            self.now,
            self.max,
            self.skip.as_ref().map(|s| short_error(&s.note)),
        )
    }
}

/// Completions, applied by the writer inside its transaction; whether each was still leased
/// to `worker` comes back in `done`.
#[derive(Debug)]
pub(crate) struct Complete {
    pub(crate) worker: String,
    pub(crate) now: i64,
    pub(crate) completions: Vec<Completion>,
    pub(crate) done: Arc<Mutex<Vec<bool>>>,
}

impl Complete {
    /// Whether committing it enqueues jobs (follow-ups).
    pub(crate) fn enqueues(&self) -> bool {
        self.completions.iter().any(|c| !c.follow_ups.is_empty())
    }
}

const JOB_COLUMNS: &str = "id, kind, project, report_id, payload, state, attempts, max_attempts, run_at, last_error, created_at, done_at";

pub(crate) fn job_from_row<R: sqlx::Row>(r: &R) -> Result<Job, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let state: String = r.try_get("state")?;
    Ok(Job {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        project: r.try_get("project")?,
        report_id: r.try_get("report_id")?,
        payload: r.try_get("payload")?,
        state: JobState::parse(&state).ok_or_else(|| StoreError::Corrupt("job state".into()))?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_at: from_millis(r.try_get("run_at")?)?,
        last_error: r.try_get("last_error")?,
        created_at: from_millis(r.try_get("created_at")?)?,
        done_at: r
            .try_get::<Option<i64>, _>("done_at")?
            .map(from_millis)
            .transpose()?,
    })
}

impl Store {
    /// Notified after every commit that enqueued jobs, so a worker need not wait for its poll.
    pub fn job_signal(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.writer.job_signal()
    }

    /// Leases up to `max` due jobs of a lane (pending and due, or running with an expired
    /// lease) to `worker` until `now + lease`, counting an attempt for each. Only the kinds this
    /// version knows are taken (see `JobKind`). On PostgreSQL, concurrent workers skip each
    /// other's rows (`FOR UPDATE SKIP LOCKED`); SQLite has one writer. A job reclaimed after
    /// its lease expired `max_attempts` times is given up as dead.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        lane: Lane,
        now: Timestamp,
        lease: SignedDuration,
        max: usize,
    ) -> Result<Vec<Job>, StoreError> {
        Ok(self
            .claim_jobs_skipping(worker, lane, now, lease, max, None)
            .await?
            .jobs)
    }

    /// `claim_jobs`, and in the same statement completes the due jobs that `skip` covers
    /// (they count towards `max`). Goes through the writer, in the transaction of the writes
    /// waiting beside it.
    pub async fn claim_jobs_skipping(
        &self,
        worker: &str,
        lane: Lane,
        now: Timestamp,
        lease: SignedDuration,
        max: usize,
        skip: Option<&Skip>,
    ) -> Result<Claimed, StoreError> {
        let claimed = Arc::new(Mutex::new(Vec::new()));
        self.write(WriteOp::Claim(Claim {
            worker: worker.to_owned(),
            lane,
            now: millis(now),
            until: millis(now + lease),
            max: max.min(CLAIM_JOBS_MAX) as i64,
            skip: skip.cloned(),
            claimed: Arc::clone(&claimed),
        }))
        .await?;
        let rows = std::mem::take(&mut *claimed.lock().map_err(|_| StoreError::Closed)?);
        let mut out = Claimed::default();
        for job in rows {
            if job.state == JobState::Done {
                out.skipped += 1;
            } else if job.attempts > job.max_attempts {
                // Its workers kept dying mid-job (the lease expired every time): stop.
                self.fail_job(
                    &job.id,
                    worker,
                    now,
                    &Failure::Permanent("the lease expired on every attempt".into()),
                    now,
                )
                .await?;
            } else {
                out.jobs.push(job);
            }
        }
        Ok(out)
    }

    /// Marks a leased job done, with an optional note (why it was skipped), and inserts its
    /// follow-up jobs in the same transaction. `Ok(false)` when `worker` no longer holds the
    /// lease: nothing is changed, and the follow-ups are not inserted.
    pub async fn complete_job(
        &self,
        id: &str,
        worker: &str,
        now: Timestamp,
        note: Option<&str>,
        follow_ups: &[NewJob],
    ) -> Result<bool, StoreError> {
        let done = self
            .complete_jobs(
                worker,
                now,
                &[Completion {
                    id: id.to_owned(),
                    note: note.map(str::to_owned),
                    follow_ups: follow_ups.to_vec(),
                }],
            )
            .await?;
        Ok(done == [true])
    }

    /// Completes many leased jobs in one transaction (see `complete_job`), through the writer;
    /// for each, whether `worker` still held its lease (if not, that one is left as it is).
    pub async fn complete_jobs(
        &self,
        worker: &str,
        now: Timestamp,
        completions: &[Completion],
    ) -> Result<Vec<bool>, StoreError> {
        if completions.is_empty() {
            return Ok(Vec::new());
        }
        let done = Arc::new(Mutex::new(Vec::new()));
        self.write(WriteOp::Complete(Complete {
            worker: worker.to_owned(),
            now: millis(now),
            completions: completions.to_vec(),
            done: Arc::clone(&done),
        }))
        .await?;
        let done = std::mem::take(&mut *done.lock().map_err(|_| StoreError::Closed)?);
        Ok(done)
    }
    /// Records a failed attempt: pending again at `retry_at`, or dead when the failure is
    /// permanent or the attempts are used up.
    pub async fn fail_job(
        &self,
        id: &str,
        worker: &str,
        now: Timestamp,
        failure: &Failure,
        retry_at: Timestamp,
    ) -> Result<Failed, StoreError> {
        let (text, permanent) = match failure {
            Failure::Transient(t) => (short_error(t), 0i64),
            Failure::Permanent(t) => (short_error(t), 1i64),
        };
        let state: Option<String> = on_db!(&self.db, pool => {
            sqlx::query("UPDATE jobs SET state = CASE WHEN $1 = 1 OR attempts >= max_attempts THEN 'dead' ELSE 'pending' END, \
                         run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL, \
                         done_at = CASE WHEN $1 = 1 OR attempts >= max_attempts THEN $4 ELSE NULL END \
                         WHERE id = $5 AND locked_by = $6 AND state = 'running' RETURNING state")
                .bind(permanent).bind(millis(retry_at)).bind(&text).bind(millis(now)).bind(id).bind(worker)
                .fetch_optional(pool).await?
                .map(|r| r.try_get("state")).transpose()?
        });
        Ok(match state.as_deref() {
            None => Failed::LeaseLost,
            Some("dead") => Failed::Dead,
            Some(_) => Failed::Retry(retry_at),
        })
    }

    /// Jobs, newest first: all, or those in one state. At most `JOB_LIST_MAX`.
    pub async fn jobs(&self, state: Option<JobState>) -> Result<Vec<Job>, StoreError> {
        Ok(self.jobs_page(state, JOB_LIST_MAX as usize).await?.0)
    }

    /// The newest `limit` jobs (at most `JOB_LIST_MAX`), all or in one state, and whether
    /// more were left out.
    pub async fn jobs_page(
        &self,
        state: Option<JobState>,
        limit: usize,
    ) -> Result<(Vec<Job>, bool), StoreError> {
        let limit = limit.min(JOB_LIST_MAX as usize);
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE ($1 = '' OR state = $1) ORDER BY created_at DESC, id LIMIT $2"
        ));
        let filter = state.map_or("", JobState::name);
        let mut jobs: Vec<Job> = on_db!(&self.db, pool => {
            sqlx::query(sql).bind(filter).bind(limit as i64 + 1).fetch_all(pool).await?
                .iter().map(job_from_row).collect::<Result<_, StoreError>>()?
        });
        let more = jobs.len() > limit;
        jobs.truncate(limit);
        Ok((jobs, more))
    }

    /// Extends every lease `worker` holds to `now + lease` (its heartbeat while it runs them);
    /// returns how many. A lease already taken over by another worker is not its own any more,
    /// and stays with the other.
    pub async fn renew_leases(
        &self,
        worker: &str,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<u64, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query("UPDATE jobs SET locked_until = $1 WHERE locked_by = $2 AND state = 'running'")
                .bind(millis(now + lease)).bind(worker).execute(pool).await?.rows_affected()
        }))
    }

    /// One job by id.
    pub async fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"));
        on_db!(&self.db, pool => {
            sqlx::query(sql).bind(id).fetch_optional(pool).await?
                .as_ref().map(job_from_row).transpose()
        })
    }

    /// How many jobs are in a state (the dead ones, for the team's attention).
    pub async fn count_jobs(&self, state: JobState) -> Result<u64, StoreError> {
        let n: i64 = on_db!(&self.db, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE state = $1")
                .bind(state.name()).fetch_one(pool).await?.try_get("n")?
        });
        Ok(n as u64)
    }

    /// Report events that reached nobody of the team (completed with the note `NOBODY_TOLD`),
    /// newest first.
    pub async fn untold_jobs(&self) -> Result<Vec<Job>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE state = 'done' AND last_error = $1 ORDER BY created_at DESC, id LIMIT $2"
        ));
        on_db!(&self.db, pool => {
            sqlx::query(sql).bind(NOBODY_TOLD).bind(JOB_LIST_MAX).fetch_all(pool).await?
                .iter().map(job_from_row).collect()
        })
    }

    /// How many report events reached nobody of the team.
    pub async fn count_untold_jobs(&self) -> Result<u64, StoreError> {
        let n: i64 = on_db!(&self.db, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE state = 'done' AND last_error = $1")
                .bind(NOBODY_TOLD).fetch_one(pool).await?.try_get("n")?
        });
        Ok(n as u64)
    }

    /// Runs a report event that reached nobody again (its deliveries' dedupe keys keep anyone
    /// already told from being told twice). `NotFound` unless it is such an event.
    pub async fn retell_job(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        let changed = on_db!(&self.db, pool => {
            sqlx::query("UPDATE jobs SET state = 'pending', run_at = $1, attempts = 0, done_at = NULL, last_error = NULL WHERE id = $2 AND state = 'done' AND last_error = $3")
                .bind(millis(now)).bind(id).bind(NOBODY_TOLD).execute(pool).await?.rows_affected()
        });
        if changed != 1 {
            return Err(StoreError::NotFound);
        }
        self.job_signal().notify_one();
        Ok(())
    }

    /// Revives a dead job: pending now, with all its attempts again. `NotFound` unless dead.
    pub async fn retry_job(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        let changed = on_db!(&self.db, pool => {
            sqlx::query("UPDATE jobs SET state = 'pending', run_at = $1, attempts = 0, done_at = NULL WHERE id = $2 AND state = 'dead'")
                .bind(millis(now)).bind(id).execute(pool).await?.rows_affected()
        });
        if changed != 1 {
            return Err(StoreError::NotFound);
        }
        self.job_signal().notify_one();
        Ok(())
    }

    /// When the next pending job of a kind this version knows is due, if any (the others
    /// wait for a newer version: see `JobKind`).
    pub async fn next_job_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT MIN(run_at) AS at FROM jobs WHERE state = 'pending' AND {}",
            kind::known_kinds_condition()
        ));
        let at: Option<i64> = on_db!(&self.db, pool => {
            sqlx::query(sql).fetch_one(pool).await?.try_get("at")?
        });
        at.map(from_millis).transpose()
    }

    /// Deletes jobs that finished before `before`; returns how many.
    pub async fn prune_jobs(&self, before: Timestamp) -> Result<u64, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query("DELETE FROM jobs WHERE state = 'done' AND done_at < $1")
                .bind(millis(before)).execute(pool).await?.rows_affected()
        }))
    }

    /// Pending jobs of kinds this version does not know, by kind: written by a newer version,
    /// they are left for it (see `JobKind`).
    pub async fn unknown_jobs(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT kind, COUNT(*) AS n FROM jobs WHERE state = 'pending' AND NOT {} GROUP BY kind ORDER BY kind",
            kind::known_kinds_condition()
        ));
        let rows: Vec<(String, i64)> = on_db!(&self.db, pool => {
            sqlx::query(sql).fetch_all(pool).await?
                .iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("kind")?, r.try_get("n")?)))
                .collect::<Result<_, _>>()?
        });
        Ok(rows.into_iter().map(|(k, n)| (k, n as u64)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection as _;

    /// SQLite reads a claim's due jobs kind by kind from `jobs_due_kind`, never by scanning the
    /// table or reading one state's jobs of every lane (what took 2.6 s a claim behind 1.7
    /// million due events).
    #[tokio::test]
    async fn a_claim_on_sqlite_reads_each_kind_of_its_lane_from_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.sqlite3");
        let mut c = sqlx::SqliteConnection::connect_with(&crate::sqlite_options(
            &path.display().to_string(),
        ))
        .await
        .unwrap();
        sqlx::migrate!("./migrations/sqlite")
            .run(&mut c)
            .await
            .unwrap();
        for lane in [Lane::Events, Lane::Deliveries] {
            let claim = Claim {
                worker: "w".into(),
                lane,
                now: 0,
                until: 0,
                max: 10,
                skip: None,
                claimed: Arc::default(),
            };
            let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
                "EXPLAIN QUERY PLAN {}",
                claim.sql(false)
            )))
            .bind("w")
            .bind(0i64)
            .bind(0i64)
            .bind(10i64)
            .bind(None::<String>)
            .fetch_all(&mut c)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.try_get::<String, _>("detail").unwrap())
            .collect();
            let reads: Vec<&String> = plan
                .iter()
                .filter(|d| d.contains(" jobs ") || d.ends_with(" jobs"))
                .collect();
            assert!(!reads.is_empty(), "{lane:?}: {plan:#?}");
            for read in reads {
                assert!(
                    read.contains("jobs_due_kind (state=? AND kind=?")
                        || read.contains("USING INTEGER PRIMARY KEY")
                        || read.contains("sqlite_autoindex_jobs"),
                    "{lane:?} reads jobs otherwise: {read}\n{plan:#?}"
                );
            }
        }
    }
}
