//! The outbox: durable jobs for what Postern owes the outside world (mail to the team and to
//! the reporter), so that nothing committed is missed and nothing rolled back is sent.
//!
//! A job is written in the same transaction as its cause (`WriteOp::jobs`), under a unique
//! dedupe key, so enqueueing twice is harmless. Event jobs ("a report was received") are
//! expanded by the worker into one delivery job per recipient, inserted in the transaction
//! that marks the event done: a crash between the two stages loses nothing and sends nothing
//! twice. Workers lease jobs (`claim_jobs`); completion and failure check the lease's owner, so
//! a worker whose lease expired and whose job was reclaimed cannot finish it a second time.
//!
//! Job ids are derived from the dedupe key, so a retried delivery keeps its id (and the mail
//! its Message-ID). Payloads name reports by id: never contents, never the reporter's address.

use jiff::{SignedDuration, Timestamp};
use postern_core::report::ReportId;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

use crate::{Db, Store, StoreError, from_millis, millis, on_db};

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

/// Event: a report was received (the team is told; the reporter gets a receipt).
pub const TEAM_NEW_REPORT: &str = "team.new_report";
/// Event: the reporter wrote a message (the team is told).
pub const TEAM_REPORTER_MESSAGE: &str = "team.reporter_message";
/// Event: the team wrote to the reporter or changed the case (the reporter is told).
pub const REPORTER_NOTICE: &str = "reporter.notice";
/// Delivery: one mail to one recipient about one event.
pub const MAIL: &str = "mail";
/// Delivery: one HTTP request to one webhook about one event (see `webhooks`).
pub const WEBHOOK: &str = "webhook";
/// Event: an advisory was published (its project's confirmed subscribers are mailed).
pub const ADVISORY_PUBLISHED: &str = "advisory.published";
/// Event: an embargoed advisory is due to its project's early-access list.
pub const ADVISORY_EARLY_ACCESS: &str = "advisory.early_access";

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

/// A job to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Derived from `dedupe_key`.
    pub id: String,
    /// What to do (`TEAM_NEW_REPORT`, `MAIL`, ...).
    pub kind: &'static str,
    /// The project's slug.
    pub project: String,
    /// The report it concerns.
    pub report_id: Option<String>,
    /// JSON; never contents or contact addresses of reporters.
    pub payload: String,
    /// Unique: a second job with the same key is not inserted.
    pub dedupe_key: String,
    /// When it is due.
    pub run_at: Timestamp,
}

/// The job id for a dedupe key: the same work always has the same id.
pub(crate) fn job_id(dedupe_key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"postern job v1\0");
    hasher.update(dedupe_key.as_bytes());
    data_encoding::HEXLOWER.encode(&hasher.finalize()[..16])
}

impl NewJob {
    /// An event about a report, due at `at`.
    pub(crate) fn event(
        kind: &'static str,
        project: &str,
        report_id: &str,
        dedupe_key: String,
        at: Timestamp,
    ) -> NewJob {
        NewJob {
            id: job_id(&dedupe_key),
            kind,
            project: project.to_owned(),
            report_id: Some(report_id.to_owned()),
            payload: "{}".into(),
            dedupe_key,
            run_at: at,
        }
    }
}

/// Who a delivery goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to")]
pub enum Recipient {
    /// A team member, by the account's address (already plain in the users table).
    Team {
        /// The member's address.
        email: String,
    },
    /// The reporter: their address is read and decrypted only when the mail is sent.
    Reporter,
}

impl Recipient {
    /// A short, stable name for dedupe keys that does not show the address.
    fn key(&self) -> String {
        match self {
            Recipient::Team { email } => {
                let mut hasher = Sha256::new();
                hasher.update(b"postern recipient v1\0");
                hasher.update(email.as_bytes());
                format!(
                    "team-{}",
                    data_encoding::HEXLOWER.encode(&hasher.finalize()[..8])
                )
            }
            Recipient::Reporter => "reporter".into(),
        }
    }
}

/// A delivery job's payload: which event, to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event's kind (`TEAM_NEW_REPORT`, ...).
    pub event: String,
    /// The recipient.
    #[serde(flatten)]
    pub recipient: Recipient,
    /// What the notice says beyond the event, never report contents (for a reminder: which
    /// promise, and its limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// The report it concerns, parsed.
    pub fn report(&self) -> Option<ReportId> {
        self.report_id.as_deref().and_then(ReportId::parse)
    }

    /// A delivery job's payload; `None` for other kinds or an unreadable payload.
    pub fn delivery(&self) -> Option<Delivery> {
        (self.kind == MAIL)
            .then(|| serde_json::from_str(&self.payload).ok())
            .flatten()
    }

    /// The deliveries an event job fans out to, given the team's addresses for its project.
    /// Each delivery's dedupe key names this job and the recipient, so expanding twice inserts
    /// nothing new.
    pub fn deliveries(&self, team: &[String], now: Timestamp) -> Vec<NewJob> {
        let recipients: Vec<Recipient> = match self.kind.as_str() {
            TEAM_NEW_REPORT => team
                .iter()
                .map(|email| Recipient::Team {
                    email: email.clone(),
                })
                .chain([Recipient::Reporter])
                .collect(),
            TEAM_REPORTER_MESSAGE => team
                .iter()
                .map(|email| Recipient::Team {
                    email: email.clone(),
                })
                .collect(),
            REPORTER_NOTICE => vec![Recipient::Reporter],
            _ => Vec::new(),
        };
        recipients
            .into_iter()
            .map(|recipient| {
                let dedupe_key = format!("{}:mail:{}", self.id, recipient.key());
                let payload = serde_json::to_string(&Delivery {
                    event: self.kind.clone(),
                    recipient,
                    note: None,
                })
                .unwrap_or_else(|_| "{}".into());
                NewJob {
                    id: job_id(&dedupe_key),
                    kind: MAIL,
                    project: self.project.clone(),
                    report_id: self.report_id.clone(),
                    payload,
                    dedupe_key,
                    run_at: now,
                }
            })
            .collect()
    }
}

/// Which jobs a claim takes. Events need only the database, so a worker takes many and
/// finishes them in one transaction (at thousands of reports a second, one transaction per
/// event would compete with intake for SQLite's one writer); deliveries talk to a mail
/// server, so a worker takes a few, which it can finish well within their lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Event jobs, expanded into deliveries.
    Events,
    /// Delivery jobs (mail, webhooks).
    Deliveries,
}

impl Lane {
    fn condition(self) -> &'static str {
        match self {
            Lane::Events => "kind NOT IN ('mail', 'webhook')",
            Lane::Deliveries => "kind IN ('mail', 'webhook')",
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

fn short_error(text: &str) -> String {
    text.chars().take(JOB_ERROR_CHARS_MAX).collect()
}

/// Inserts jobs, many rows per statement; a job whose dedupe key exists is skipped.
macro_rules! insert_jobs {
    ($conn:expr, $jobs:expr, $rows:expr, $created_at:expr) => {{
        let jobs: &[$crate::jobs::NewJob] = $jobs;
        for chunk in jobs.chunks($rows) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO jobs (id, kind, project, report_id, payload, dedupe_key, run_at, max_attempts, created_at) ",
            );
            insert.push_values(chunk, |mut row, j: &$crate::jobs::NewJob| {
                row.push_bind(j.id.clone())
                    .push_bind(j.kind)
                    .push_bind(j.project.clone())
                    .push_bind(j.report_id.clone())
                    .push_bind(j.payload.clone())
                    .push_bind(j.dedupe_key.clone())
                    .push_bind(j.run_at.as_millisecond())
                    .push_bind($crate::jobs::JOB_ATTEMPTS_MAX)
                    .push_bind($created_at.unwrap_or(j.run_at.as_millisecond()));
            });
            insert.push(" ON CONFLICT (dedupe_key) DO NOTHING");
            insert.build().execute(&mut *$conn).await?;
        }
    }};
}
pub(crate) use insert_jobs;

const JOB_COLUMNS: &str = "id, kind, project, report_id, payload, state, attempts, max_attempts, run_at, last_error, created_at, done_at";

fn job_from_row<R: sqlx::Row>(r: &R) -> Result<Job, StoreError>
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

    /// Leases up to `max` due jobs (pending and due, or running with an expired lease) to
    /// `worker` until `now + lease`, counting an attempt for each. On PostgreSQL, concurrent
    /// workers skip each other's rows (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
    /// A job reclaimed after its lease expired `max_attempts` times is given up as dead.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        lane: Lane,
        now: Timestamp,
        lease: SignedDuration,
        max: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let max = max.min(CLAIM_JOBS_MAX) as i64;
        let until = millis(now + lease);
        let lane = lane.condition();
        let claimed: Vec<Job> = match &self.db {
            Db::Postgres(pool) => {
                let sql = sqlx::AssertSqlSafe(format!(
                    "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM jobs WHERE {lane} AND ((state = 'pending' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)) \
                     ORDER BY run_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING {JOB_COLUMNS}"
                ));
                sqlx::query(sql)
                    .bind(worker)
                    .bind(until)
                    .bind(millis(now))
                    .bind(max)
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(job_from_row)
                    .collect::<Result<_, _>>()?
            }
            Db::Sqlite(pool) => {
                let sql = sqlx::AssertSqlSafe(format!(
                    "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM jobs WHERE {lane} AND ((state = 'pending' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)) \
                     ORDER BY run_at LIMIT $4) RETURNING {JOB_COLUMNS}"
                ));
                sqlx::query(sql)
                    .bind(worker)
                    .bind(until)
                    .bind(millis(now))
                    .bind(max)
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(job_from_row)
                    .collect::<Result<_, _>>()?
            }
        };
        let mut due = Vec::with_capacity(claimed.len());
        for job in claimed {
            if job.attempts > job.max_attempts {
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
                due.push(job);
            }
        }
        Ok(due)
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

    /// Completes many leased jobs in one transaction (see `complete_job`); for each, whether
    /// `worker` still held its lease (if not, that one is left as it is).
    pub async fn complete_jobs(
        &self,
        worker: &str,
        now: Timestamp,
        completions: &[Completion],
    ) -> Result<Vec<bool>, StoreError> {
        if completions.is_empty() {
            return Ok(Vec::new());
        }
        // The UPDATE comes first, so that on SQLite the transaction takes the write lock at
        // once (waiting under busy_timeout) instead of failing to upgrade a read.
        let done: Vec<bool> = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let mut done = Vec::with_capacity(completions.len());
            for c in completions {
                let changed = sqlx::query("UPDATE jobs SET state = 'done', done_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL WHERE id = $3 AND locked_by = $4 AND state = 'running'")
                    .bind(millis(now)).bind(c.note.as_deref().map(short_error)).bind(&c.id).bind(worker)
                    .execute(&mut *tx).await?.rows_affected();
                if changed == 1 {
                    insert_jobs!(&mut *tx, &c.follow_ups, 100, Some(millis(now)));
                }
                done.push(changed == 1);
            }
            tx.commit().await?;
            done
        });
        if completions
            .iter()
            .zip(&done)
            .any(|(c, d)| *d && !c.follow_ups.is_empty())
        {
            self.job_signal().notify_one();
        }
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
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE ($1 = '' OR state = $1) ORDER BY created_at DESC, id LIMIT $2"
        ));
        let filter = state.map_or("", JobState::name);
        on_db!(&self.db, pool => {
            sqlx::query(sql).bind(filter).bind(JOB_LIST_MAX).fetch_all(pool).await?
                .iter().map(job_from_row).collect()
        })
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

    /// When the next pending job is due, if any.
    pub async fn next_job_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<i64> = on_db!(&self.db, pool => {
            sqlx::query("SELECT MIN(run_at) AS at FROM jobs WHERE state = 'pending'")
                .fetch_one(pool).await?.try_get("at")?
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

    /// The reporter's contact address, decrypted to send them mail; `None` when they left
    /// none. Reading it is audited (`contact.read` by `actor`, naming the job) before it is
    /// returned, like every read of a report's contents.
    pub async fn reporter_contact(
        &self,
        id: &ReportId,
        job: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let (data_key, content) = self.data_key(id).await?;
        let plain =
            crate::vault::open(&data_key, &crate::aad(id.as_str(), &["content"]), &content)?;
        let content: crate::Content =
            serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let Some(contact) = content.contact_email else {
            return Ok(None);
        };
        self.audit(now, actor, "contact.read", Some(id), format!("job={job}"))
            .await?;
        Ok(Some(contact))
    }
}

/// Event: watch a report's running promises; when it runs, the team is reminded of those
/// due, and the next watch is enqueued (`DeadlineWatch`).
pub const DEADLINE_WATCH: &str = "team.deadline";
/// Delivery event: a promise's limit is near (to the project's team).
pub const DEADLINE_REMINDER: &str = "team.deadline_reminder";
/// Delivery event: a promise's limit has passed (to the project's admins).
pub const DEADLINE_MISSED: &str = "team.deadline_missed";

/// The payload of a deadline watch: the case's version it was written for (a later change
/// writes a newer watch, and this one's chain ends) and since when reminders were already
/// considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineWatch {
    /// The report's version (`reports.version`) when the watch was written.
    pub version: i64,
    /// Reminders due at or before this (unix ms) were handled by an earlier watch.
    pub since: i64,
}

/// The moment of the next reminder of any running promise after `after`.
fn next_reminder_of(
    clocks: &postern_core::clock::Clocks,
    leads: &[SignedDuration],
    after: Timestamp,
) -> Option<Timestamp> {
    clocks
        .0
        .iter()
        .filter_map(|c| postern_core::clock::next_reminder(c, leads, after))
        .map(|(at, _)| at)
        .min()
}

/// The one watch of a report's running promises after a write that left the case at
/// `version` at `at`: due at the first reminder under `leads`, so that receiving a report costs
/// the runner nothing until a reminder is due. `None` when nothing runs.
pub fn deadline_watch(
    project: &str,
    report_id: &str,
    version: i64,
    clocks: &postern_core::clock::Clocks,
    at: Timestamp,
    leads: &[SignedDuration],
) -> Option<NewJob> {
    let run_at = next_reminder_of(clocks, leads, at)?;
    let dedupe_key = format!("deadline:{report_id}:v{version}");
    Some(NewJob {
        id: job_id(&dedupe_key),
        kind: DEADLINE_WATCH,
        project: project.to_owned(),
        report_id: Some(report_id.to_owned()),
        payload: serde_json::to_string(&DeadlineWatch {
            version,
            since: millis(at),
        })
        .unwrap_or_else(|_| "{}".into()),
        dedupe_key,
        run_at,
    })
}

impl Job {
    /// A deadline watch's payload.
    pub fn watch(&self) -> Option<DeadlineWatch> {
        (self.kind == DEADLINE_WATCH)
            .then(|| serde_json::from_str(&self.payload).ok())
            .flatten()
    }

    /// The watch that follows this one: reminders due up to `since` (this run's moment) are
    /// handled; due at the next reminder of the report's running promises, if any.
    pub fn next_watch(
        &self,
        watch: &DeadlineWatch,
        clocks: &postern_core::clock::Clocks,
        leads: &[SignedDuration],
        since: Timestamp,
    ) -> Option<NewJob> {
        let at = next_reminder_of(clocks, leads, since)?;
        let dedupe_key = format!("{}:next:{}", self.id, millis(at));
        Some(NewJob {
            id: job_id(&dedupe_key),
            kind: DEADLINE_WATCH,
            project: self.project.clone(),
            report_id: self.report_id.clone(),
            payload: serde_json::to_string(&DeadlineWatch {
                version: watch.version,
                since: millis(since),
            })
            .unwrap_or_else(|_| "{}".into()),
            dedupe_key,
            run_at: at,
        })
    }

    /// One mail per address about this job (a reminder about the promise `tag`), with `note`
    /// as its words.
    pub fn notices(
        &self,
        event: &'static str,
        tag: &str,
        addresses: &[String],
        note: &str,
        now: Timestamp,
    ) -> Vec<NewJob> {
        addresses
            .iter()
            .map(|email| {
                let recipient = Recipient::Team {
                    email: email.clone(),
                };
                let dedupe_key = format!("{}:{tag}:mail:{}", self.id, recipient.key());
                NewJob {
                    id: job_id(&dedupe_key),
                    kind: MAIL,
                    project: self.project.clone(),
                    report_id: self.report_id.clone(),
                    payload: serde_json::to_string(&Delivery {
                        event: event.to_owned(),
                        recipient,
                        note: Some(note.to_owned()),
                    })
                    .unwrap_or_else(|_| "{}".into()),
                    dedupe_key,
                    run_at: now,
                }
            })
            .collect()
    }
}

impl Store {
    /// The addresses of the admins who can see a project (where missed deadlines escalate).
    pub async fn notified_admins(&self, project: &str) -> Result<Vec<String>, StoreError> {
        let users = self.list_users().await?;
        Ok(users
            .into_iter()
            .filter(|u| {
                !u.disabled
                    && u.password_hash.is_some()
                    && u.role == crate::team::Role::Admin
                    && u.can_see(project)
            })
            .map(|u| u.email)
            .collect())
    }
}
