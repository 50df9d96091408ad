//! Group commit for SQLite: one task owns every write, and commits all writes that are waiting
//! in one transaction, so one fsync acknowledges many submissions.
//!
//! A caller's write is acknowledged only after the transaction holding it has committed
//! (synchronous=FULL). If a batch fails, each of its writes is retried alone, so one bad write
//! cannot fail its neighbours and nothing is half-stored.

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use crate::{StoreError, WriteOp};

/// Most writes committed together.
pub const BATCH_WRITES_MAX: usize = 256;
/// Writes waiting for the writer before callers wait to enqueue (back-pressure).
const QUEUE_WRITES_MAX: usize = 4096;

/// Applies one write inside an open transaction (`$conn` is `&mut *tx`). A macro, not a
/// function, so that the same SQL compiles against both SQLite and PostgreSQL connections.
/// Appends one event to the audit chain inside the open transaction. On PostgreSQL
/// (`$postgres` true) an advisory lock held to commit keeps concurrent instances from forking
/// the chain; SQLite has one writer already.
macro_rules! audit {
    ($conn:expr, $postgres:expr, $at:expr, $actor:expr, $action:expr, $report:expr, $detail:expr) => {{
        if $postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7301)")
                .execute(&mut *$conn)
                .await?;
        }
        let last = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *$conn)
            .await?;
        let (previous_seq, previous_hash): (i64, Vec<u8>) = match last {
            Some(row) => (sqlx::Row::try_get(&row, "seq")?, sqlx::Row::try_get(&row, "hash")?),
            None => (0, postern_core::audit::GENESIS.to_vec()),
        };
        let previous: [u8; postern_core::audit::HASH_BYTES] = previous_hash
            .try_into()
            .map_err(|_| sqlx::Error::Decode("an audit hash has the wrong length".into()))?;
        let event = postern_core::audit::AuditEvent {
            seq: previous_seq + 1,
            at: jiff::Timestamp::from_millisecond($at).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
            actor: String::from($actor),
            action: String::from($action),
            report_id: Some(String::from($report)),
            detail: $detail,
        };
        let hash = postern_core::audit::event_hash(&previous, &event);
        sqlx::query("INSERT INTO audit_events (seq, at, actor, action, report_id, detail, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(event.seq).bind($at).bind(&event.actor).bind(&event.action)
            .bind(&event.report_id).bind(&event.detail).bind(hash.to_vec())
            .execute(&mut *$conn).await?;
    }};
}
pub(crate) use audit;

macro_rules! apply {
    ($conn:expr, $op:expr, $postgres:expr) => {{
        match $op {
            $crate::WriteOp::Report(r, attachments) => {
                sqlx::query("INSERT INTO reports (id, project, case_key_hash, status, received_at, key_id, wrapped_key, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&r.id).bind(&r.project).bind(&r.case_key_hash).bind(r.status)
                    .bind(r.received_at).bind(&r.key_id).bind(&r.wrapped_key).bind(&r.content)
                    .execute(&mut *$conn).await?;
                for a in attachments {
                    sqlx::query("INSERT INTO attachments (id, report_id, at, ordinal, meta, content) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(&a.id).bind(&a.report_id).bind(a.at).bind(a.ordinal).bind(&a.meta).bind(&a.content)
                        .execute(&mut *$conn).await?;
                }
                $crate::writer::audit!($conn, $postgres, r.received_at, "reporter", "report.received", &r.id,
                    format!("project={} attachments={}", r.project, attachments.len()));
            }
            $crate::WriteOp::Message(m) => {
                sqlx::query("INSERT INTO messages (id, report_id, author, at, body) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&m.id).bind(&m.report_id).bind(m.author).bind(m.at).bind(&m.body)
                    .execute(&mut *$conn).await?;
                $crate::writer::audit!($conn, $postgres, m.at, m.author, "message.added", &m.report_id,
                    format!("message={}", m.id));
            }
            $crate::WriteOp::Attachments(attachments) => {
                for a in attachments {
                    sqlx::query("INSERT INTO attachments (id, report_id, at, ordinal, meta, content) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(&a.id).bind(&a.report_id).bind(a.at).bind(a.ordinal).bind(&a.meta).bind(&a.content)
                        .execute(&mut *$conn).await?;
                }
                if let Some(first) = attachments.first() {
                    $crate::writer::audit!($conn, $postgres, first.at, "reporter", "attachment.added", &first.report_id,
                        format!("attachments={}", attachments.len()));
                }
            }
        }
    }};
}
pub(crate) use apply;

struct Job {
    op: WriteOp,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// Handle to the writer task.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl Writer {
    pub(crate) fn start(pool: SqlitePool) -> Writer {
        let (jobs, receiver) = mpsc::channel(QUEUE_WRITES_MAX);
        tokio::spawn(run(pool, receiver));
        Writer { jobs }
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

async fn commit(pool: &SqlitePool, ops: &[&WriteOp]) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for op in ops {
        apply!(&mut *tx, *op, false);
    }
    tx.commit().await?;
    Ok(())
}

async fn run(pool: SqlitePool, mut receiver: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(BATCH_WRITES_MAX);
    while receiver.recv_many(&mut batch, BATCH_WRITES_MAX).await > 0 {
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
    }
}
