//! Group commit: one task per instance owns every write, and commits all writes that are waiting
//! in one transaction, so one fsync (and, on PostgreSQL, one turn of the audit-chain lock)
//! acknowledges many submissions.
//!
//! A caller's write is acknowledged only after the transaction holding it has committed
//! (synchronous=FULL). If a batch fails, each of its writes is retried alone, so one bad write
//! cannot fail its neighbours and nothing is half-stored.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use postern_core::audit::AuditEvent;

use crate::jobs::{self, NewJob};
use crate::{Db, StoreError, WriteOp};

/// Most writes committed together.
pub const BATCH_WRITES_MAX: usize = 256;
/// Writes waiting for the writer before callers wait to enqueue (back-pressure).
const QUEUE_WRITES_MAX: usize = 4096;

/// What the audit log records of a write.
#[derive(Debug, Clone)]
pub(crate) struct EventParts {
    pub at: i64,
    pub actor: String,
    pub action: &'static str,
    pub report_id: Option<String>,
    pub detail: String,
}

impl WriteOp {
    /// The audit events a write appends.
    pub(crate) fn events(&self) -> Vec<EventParts> {
        match self {
            WriteOp::Report(r, attachments) => vec![EventParts {
                at: r.received_at,
                actor: "reporter".into(),
                action: "report.received",
                report_id: Some(r.id.clone()),
                detail: format!("project={} attachments={}", r.project, attachments.len()),
            }],
            WriteOp::Message(m) => vec![EventParts {
                at: m.at,
                actor: m.author.into(),
                action: "message.added",
                report_id: Some(m.report_id.clone()),
                detail: format!("message={}", m.id),
            }],
            WriteOp::Attachments(attachments) => attachments
                .first()
                .map(|first| EventParts {
                    at: first.at,
                    actor: "reporter".into(),
                    action: "attachment.added",
                    report_id: Some(first.report_id.clone()),
                    detail: format!("attachments={}", attachments.len()),
                })
                .into_iter()
                .collect(),
            WriteOp::Team(team) => team.events.clone(),
        }
    }

    /// Whether the write enqueues jobs: `!self.jobs().is_empty()` without building them.
    fn enqueues(&self) -> bool {
        match self {
            WriteOp::Report(..) => true,
            WriteOp::Message(m) => m.author == postern_core::report::Author::Reporter.name(),
            WriteOp::Attachments(_) => false,
            WriteOp::Team(team) => !team.jobs.is_empty(),
        }
    }

    /// The jobs a write enqueues, committed with it (the outbox).
    pub(crate) fn jobs(&self) -> Vec<NewJob> {
        let at =
            |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        match self {
            WriteOp::Report(r, _) => {
                let mut out = vec![NewJob::event(
                    jobs::TEAM_NEW_REPORT,
                    &r.project,
                    &r.id,
                    format!("report:{}:received", r.id),
                    at(r.received_at),
                )];
                // The promises started at receipt are watched.
                out.extend(r.watches.iter().cloned());
                out
            }
            WriteOp::Message(m) if m.author == postern_core::report::Author::Reporter.name() => {
                vec![NewJob::event(
                    jobs::TEAM_REPORTER_MESSAGE,
                    &m.project,
                    &m.report_id,
                    format!("message:{}", m.id),
                    at(m.at),
                )]
            }
            WriteOp::Message(_) | WriteOp::Attachments(_) => Vec::new(),
            WriteOp::Team(team) => team.jobs.clone(),
        }
    }
}

/// The audit chain's head (sequence, hash).
pub(crate) type ChainHead = (i64, [u8; postern_core::audit::HASH_BYTES]);

/// Chains the next event after `head`, and moves the head on.
pub(crate) fn chain(head: &mut ChainHead, parts: EventParts) -> (AuditEvent, [u8; 32]) {
    let event = AuditEvent {
        seq: head.0 + 1,
        at: jiff::Timestamp::from_millisecond(parts.at).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        actor: parts.actor,
        action: parts.action.to_owned(),
        report_id: parts.report_id,
        detail: parts.detail,
    };
    let hash = postern_core::audit::event_hash(&head.1, &event);
    *head = (event.seq, hash);
    (event, hash)
}

/// Reads the chain head inside the open transaction (`$conn` is `&mut *tx`). On PostgreSQL
/// (`$postgres` true) it first takes an advisory lock held to commit, so that concurrent
/// instances cannot fork the chain; SQLite has one writer already. These are macros, not
/// functions, so that the same SQL compiles against both SQLite and PostgreSQL connections.
macro_rules! chain_head {
    ($conn:expr, $postgres:expr) => {{
        if $postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7301)")
                .execute(&mut *$conn)
                .await?;
        }
        let last = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *$conn)
            .await?;
        let (seq, hash): (i64, Vec<u8>) = match last {
            Some(row) => (
                sqlx::Row::try_get(&row, "seq")?,
                sqlx::Row::try_get(&row, "hash")?,
            ),
            None => (0, postern_core::audit::GENESIS.to_vec()),
        };
        let hash: [u8; postern_core::audit::HASH_BYTES] = hash
            .try_into()
            .map_err(|_| sqlx::Error::Decode("an audit hash has the wrong length".into()))?;
        (seq, hash)
    }};
}
pub(crate) use chain_head;

/// Inserts audit events, many rows per statement.
macro_rules! insert_events {
    ($conn:expr, $events:expr, $rows:expr) => {{
        for chunk in $events.chunks($rows) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO audit_events (seq, at, actor, action, report_id, detail, hash) ",
            );
            insert.push_values(
                chunk,
                |mut row, (e, hash): &(postern_core::audit::AuditEvent, [u8; 32])| {
                    row.push_bind(e.seq)
                        .push_bind(e.at.as_millisecond())
                        .push_bind(e.actor.clone())
                        .push_bind(e.action.clone())
                        .push_bind(e.report_id.clone())
                        .push_bind(e.detail.clone())
                        .push_bind(hash.to_vec());
                },
            );
            insert.build().execute(&mut *$conn).await?;
        }
    }};
}
pub(crate) use insert_events;

/// Inserts report rows, many per statement.
macro_rules! insert_reports {
    ($conn:expr, $reports:expr, $rows:expr) => {{
        for chunk in $reports.chunks($rows) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO reports (id, project, case_key_hash, status, received_at, key_id, wrapped_key, content, clocks, next_due_at) ",
            );
            insert.push_values(chunk, |mut row, r: &&$crate::ReportRow| {
                row.push_bind(r.id.clone())
                    .push_bind(r.project.clone())
                    .push_bind(r.case_key_hash.clone())
                    .push_bind(r.status)
                    .push_bind(r.received_at)
                    .push_bind(r.key_id.clone())
                    .push_bind(r.wrapped_key.clone())
                    .push_bind(r.content.clone())
                    .push_bind(r.clocks.clone())
                    .push_bind(r.next_due_at);
            });
            insert.build().execute(&mut *$conn).await?;
        }
        let prints: Vec<&&$crate::ReportRow> =
            $reports.iter().filter(|r| r.fingerprint.is_some()).collect();
        for chunk in prints.chunks($rows) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO fingerprints (report_id, project, received_at, print) ",
            );
            insert.push_values(chunk, |mut row, r: &&&$crate::ReportRow| {
                row.push_bind(r.id.clone())
                    .push_bind(r.project.clone())
                    .push_bind(r.received_at)
                    .push_bind(r.fingerprint.clone());
            });
            insert.build().execute(&mut *$conn).await?;
        }
    }};
}
pub(crate) use insert_reports;

/// PostgreSQL: each report with its fingerprint in one statement (a data-modifying CTE), so that
/// a report costs one round trip, not two.
macro_rules! insert_reports_one_by_one {
    ($conn:expr, $reports:expr) => {{
        for r in &$reports {
            let columns = "INSERT INTO reports (id, project, case_key_hash, status, received_at, key_id, wrapped_key, content, clocks, next_due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
            let query = match &r.fingerprint {
                Some(print) => sqlx::query(sqlx::AssertSqlSafe(format!(
                    "WITH r AS ({columns}) INSERT INTO fingerprints (report_id, project, received_at, print) VALUES ($1, $2, $5, $11)"
                )))
                .bind(r.id.clone()).bind(r.project.clone()).bind(r.case_key_hash.clone()).bind(r.status)
                .bind(r.received_at).bind(r.key_id.clone()).bind(r.wrapped_key.clone()).bind(r.content.clone())
                .bind(r.clocks.clone()).bind(r.next_due_at).bind(print.clone()),
                None => sqlx::query(columns)
                    .bind(r.id.clone()).bind(r.project.clone()).bind(r.case_key_hash.clone()).bind(r.status)
                    .bind(r.received_at).bind(r.key_id.clone()).bind(r.wrapped_key.clone()).bind(r.content.clone())
                    .bind(r.clocks.clone()).bind(r.next_due_at),
            };
            query.execute(&mut *$conn).await?;
        }
    }};
}
pub(crate) use insert_reports_one_by_one;

/// Inserts what a write adds besides its report row: attachments and messages.
macro_rules! insert_children {
    ($conn:expr, $op:expr) => {{
        let attachments: &[$crate::AttachmentRow] = match $op {
            $crate::WriteOp::Report(_, attachments) | $crate::WriteOp::Attachments(attachments) => attachments,
            $crate::WriteOp::Message(m) => {
                sqlx::query("INSERT INTO messages (id, report_id, author, at, body) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&m.id).bind(&m.report_id).bind(m.author).bind(m.at).bind(&m.body)
                    .execute(&mut *$conn).await?;
                &[]
            }
            $crate::WriteOp::Team(team) => {
                for stmt in &team.stmts {
                    let mut query = sqlx::query(stmt.sql);
                    for value in &stmt.args {
                        query = match value {
                            $crate::team::Value::Text(v) => query.bind(v.clone()),
                            $crate::team::Value::Int(v) => query.bind(*v),
                            $crate::team::Value::Blob(v) => query.bind(v.clone()),
                            $crate::team::Value::NullText => query.bind(None::<String>),
                        };
                    }
                    let done = query.execute(&mut *$conn).await?;
                    if let Some(conflict) = stmt.expect_one
                        && done.rows_affected() != 1
                    {
                        return Err($crate::StoreError::Conflict(conflict.to_owned()));
                    }
                }
                &[]
            }
        };
        for a in attachments {
            sqlx::query("INSERT INTO attachments (id, report_id, at, ordinal, meta, content) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&a.id).bind(&a.report_id).bind(a.at).bind(a.ordinal).bind(&a.meta).bind(&a.content)
                .execute(&mut *$conn).await?;
        }
    }};
}
pub(crate) use insert_children;

/// Applies writes inside an open transaction, in order, with their audit events.
macro_rules! apply {
    ($conn:expr, $ops:expr, $postgres:expr) => {{
        let ops: &[&$crate::WriteOp] = $ops;
        let reports: Vec<&$crate::ReportRow> = ops
            .iter()
            .filter_map(|op| match op {
                $crate::WriteOp::Report(r, _) => Some(r),
                _ => None,
            })
            .collect();
        // PostgreSQL gets one row per statement: sqlx does not set TCP_NODELAY, and a large
        // multi-row message stalls on Nagle's algorithm and delayed ACKs (about 40 ms).
        let rows = if $postgres {
            1
        } else {
            $crate::writer::ROWS_PER_STATEMENT
        };
        if $postgres {
            $crate::writer::insert_reports_one_by_one!($conn, reports);
        } else {
            $crate::writer::insert_reports!($conn, reports, rows);
        }
        for op in ops {
            $crate::writer::insert_children!($conn, *op);
        }
        let mut head = $crate::writer::chain_head!($conn, $postgres);
        let events: Vec<(postern_core::audit::AuditEvent, [u8; 32])> = ops
            .iter()
            .flat_map(|op| op.events())
            .map(|parts| $crate::writer::chain(&mut head, parts))
            .collect();
        $crate::writer::insert_events!($conn, events, rows);
        let jobs: Vec<$crate::jobs::NewJob> = ops.iter().flat_map(|op| op.jobs()).collect();
        $crate::jobs::insert_jobs!($conn, &jobs, rows, None::<i64>);
    }};
}

/// Rows per multi-row INSERT: well inside SQLite's 32,766 bound variables (8 per report row).
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

struct Job {
    op: WriteOp,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// Handle to the writer task.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
    /// Notified after a commit that enqueued outbox jobs.
    job_signal: Arc<Notify>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl Writer {
    pub(crate) fn start(pool: Db) -> Writer {
        let (jobs, receiver) = mpsc::channel(QUEUE_WRITES_MAX);
        let job_signal = Arc::new(Notify::new());
        tokio::spawn(run(pool, receiver, Arc::clone(&job_signal)));
        Writer { jobs, job_signal }
    }

    /// The signal a job worker waits on.
    pub(crate) fn job_signal(&self) -> Arc<Notify> {
        Arc::clone(&self.job_signal)
    }

    /// Queues a write and waits until it is committed.
    pub(crate) async fn submit(&self, op: WriteOp) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(Job { op, done })
            .await
            .map_err(|_| StoreError::Closed)?;
        wait.await.map_err(|_| StoreError::Closed)?
    }
}

async fn commit(db: &Db, ops: &[&WriteOp]) -> Result<(), StoreError> {
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            apply!(&mut *tx, ops, false);
            tx.commit().await?;
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            apply!(&mut *tx, ops, true);
            tx.commit().await?;
        }
    }
    Ok(())
}

async fn run(pool: Db, mut receiver: mpsc::Receiver<Job>, job_signal: Arc<Notify>) {
    let mut batch: Vec<Job> = Vec::with_capacity(BATCH_WRITES_MAX);
    while receiver.recv_many(&mut batch, BATCH_WRITES_MAX).await > 0 {
        let enqueues = batch.iter().any(|j| j.op.enqueues());
        let ops: Vec<&WriteOp> = batch.iter().map(|j| &j.op).collect();
        match commit(&pool, &ops).await {
            Ok(()) => {
                for job in batch.drain(..) {
                    let _ = job.done.send(Ok(()));
                }
            }
            Err(error) if batch.len() == 1 => {
                if let Some(job) = batch.pop() {
                    let _ = job.done.send(Err(error));
                }
            }
            Err(_) => {
                // Find the culprit: every write alone, each in its own transaction.
                for job in batch.drain(..) {
                    let result = commit(&pool, &[&job.op]).await;
                    let _ = job.done.send(result);
                }
            }
        }
        // After the commit, so the worker finds the jobs. Waking it for a write that failed
        // costs it one empty claim: harmless.
        if enqueues {
            job_signal.notify_one();
        }
    }
}
