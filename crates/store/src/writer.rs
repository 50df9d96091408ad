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

use crate::jobs::kind::{NewJob, ReportEvent};
pub(crate) use crate::write::EventParts;
use crate::{Db, StoreError, WriteOp};

/// Most writes committed together.
pub const BATCH_WRITES_MAX: usize = 256;
/// Writes waiting for the writer before callers wait to enqueue (back-pressure).
const QUEUE_WRITES_MAX: usize = 4096;

impl WriteOp {
    /// The audit events a write appends.
    pub(crate) fn events(&self) -> Vec<EventParts> {
        match self {
            WriteOp::Report(r, attachments) => std::iter::once(EventParts {
                at: r.received_at,
                actor: "reporter".into(),
                action: "report.received",
                report_id: Some(r.id.clone()),
                detail: format!(
                    "project={} attachments={} channel={}",
                    r.project,
                    attachments.len(),
                    r.channel
                ),
            })
            .chain(r.events.iter().cloned())
            .collect(),
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
            WriteOp::Scan(scan) => scan.events(),
            WriteOp::Claim(_) | WriteOp::Complete(_) => Vec::new(),
        }
    }

    /// Whether the write enqueues jobs: `!self.jobs().is_empty()` without building them.
    fn enqueues(&self) -> bool {
        match self {
            WriteOp::Report(..) => true,
            WriteOp::Message(m) => m.author == postern_core::report::Author::Reporter.name(),
            WriteOp::Attachments(_) | WriteOp::Scan(_) => false,
            WriteOp::Team(team) => !team.jobs.is_empty(),
            WriteOp::Claim(_) => false,
            WriteOp::Complete(complete) => complete.enqueues(),
        }
    }

    /// The jobs a write enqueues, committed with it (the outbox).
    pub(crate) fn jobs(&self) -> Vec<NewJob> {
        let at =
            |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        match self {
            WriteOp::Report(r, _) => {
                let mut out = vec![NewJob::report_event(
                    ReportEvent::NewReport,
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
                vec![NewJob::report_event(
                    ReportEvent::ReporterMessage,
                    &m.project,
                    &m.report_id,
                    format!("message:{}", m.id),
                    at(m.at),
                )]
            }
            WriteOp::Message(_) | WriteOp::Attachments(_) | WriteOp::Scan(_) => Vec::new(),
            WriteOp::Team(team) => team.jobs.clone(),
            // The follow-ups of completions are inserted with each completion (`complete!`).
            WriteOp::Claim(_) | WriteOp::Complete(_) => Vec::new(),
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
                "INSERT INTO reports (id, project, case_key_hash, status, received_at, key_id, wrapped_key, content, clocks, next_due_at, channel, title, contact_key_id, contact_wrapped_key, contact) ",
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
                    .push_bind(r.next_due_at)
                    .push_bind(r.channel)
                    .push_bind(r.title.clone())
                    .push_bind(r.contact.as_ref().map(|c| c.0.clone()))
                    .push_bind(r.contact.as_ref().map(|c| c.1.clone()))
                    .push_bind(r.contact.as_ref().map(|c| c.2.clone()));
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
            let columns = "INSERT INTO reports (id, project, case_key_hash, status, received_at, key_id, wrapped_key, content, clocks, next_due_at, channel, title, contact_key_id, contact_wrapped_key, contact) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
            let query = match &r.fingerprint {
                Some(print) => sqlx::query(sqlx::AssertSqlSafe(format!(
                    "WITH r AS ({columns}) INSERT INTO fingerprints (report_id, project, received_at, print) VALUES ($1, $2, $5, $16)"
                )))
                .bind(r.id.clone()).bind(r.project.clone()).bind(r.case_key_hash.clone()).bind(r.status)
                .bind(r.received_at).bind(r.key_id.clone()).bind(r.wrapped_key.clone()).bind(r.content.clone())
                .bind(r.clocks.clone()).bind(r.next_due_at).bind(r.channel).bind(r.title.clone())
                .bind(r.contact.as_ref().map(|c| c.0.clone())).bind(r.contact.as_ref().map(|c| c.1.clone())).bind(r.contact.as_ref().map(|c| c.2.clone()))
                .bind(print.clone()),
                None => sqlx::query(columns)
                    .bind(r.id.clone()).bind(r.project.clone()).bind(r.case_key_hash.clone()).bind(r.status)
                    .bind(r.received_at).bind(r.key_id.clone()).bind(r.wrapped_key.clone()).bind(r.content.clone())
                    .bind(r.clocks.clone()).bind(r.next_due_at).bind(r.channel).bind(r.title.clone())
                .bind(r.contact.as_ref().map(|c| c.0.clone())).bind(r.contact.as_ref().map(|c| c.1.clone())).bind(r.contact.as_ref().map(|c| c.2.clone())),
            };
            query.execute(&mut *$conn).await?;
        }
    }};
}
pub(crate) use insert_reports_one_by_one;

/// Runs statements with their parameters; one with `expect_one` fails the write as a
/// `Conflict` unless it changed exactly one row.
macro_rules! run_stmts {
    ($conn:expr, $stmts:expr) => {{
        let stmts: &[$crate::write::Stmt] = $stmts;
        for stmt in stmts {
            let mut query = sqlx::query(stmt.sql);
            for value in &stmt.args {
                query = match value {
                    $crate::write::Value::Text(v) => query.bind(v.clone()),
                    $crate::write::Value::Int(v) => query.bind(*v),
                    $crate::write::Value::Blob(v) => query.bind(v.clone()),
                    $crate::write::Value::NullText => query.bind(None::<String>),
                    $crate::write::Value::NullBlob => query.bind(None::<Vec<u8>>),
                    $crate::write::Value::NullInt => query.bind(None::<i64>),
                };
            }
            let done = query.execute(&mut *$conn).await?;
            if let Some(conflict) = stmt.expect_one
                && done.rows_affected() != 1
            {
                return Err($crate::StoreError::Conflict(conflict.to_owned()));
            }
        }
    }};
}
pub(crate) use run_stmts;

/// Inserts what a write adds besides its report row: attachments and messages.
macro_rules! insert_children {
    ($conn:expr, $op:expr) => {{
        let attachments: &[$crate::AttachmentRow] = match $op {
            $crate::WriteOp::Report(r, attachments) => {
                $crate::writer::run_stmts!($conn, &r.extra);
                attachments
            }
            $crate::WriteOp::Attachments(attachments) => attachments,
            $crate::WriteOp::Message(m) => {
                sqlx::query("INSERT INTO messages (id, report_id, author, at, body) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&m.id).bind(&m.report_id).bind(m.author).bind(m.at).bind(&m.body)
                    .execute(&mut *$conn).await?;
                &[]
            }
            $crate::WriteOp::Team(team) => {
                $crate::writer::run_stmts!($conn, &team.stmts);
                &[]
            }
            $crate::WriteOp::Scan(scan) => {
                $crate::scans::write_scan!($conn, scan);
                &[]
            }
            $crate::WriteOp::Claim(_) | $crate::WriteOp::Complete(_) => &[],
        };
        for a in attachments {
            sqlx::query("INSERT INTO attachments (id, report_id, at, ordinal, meta, content) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&a.id).bind(&a.report_id).bind(a.at).bind(a.ordinal).bind(&a.meta).bind(&a.content)
                .execute(&mut *$conn).await?;
        }
    }};
}
pub(crate) use insert_children;

/// Inserts jobs, many rows per statement; a job whose dedupe key exists is skipped.
macro_rules! insert_jobs {
    ($conn:expr, $jobs:expr, $rows:expr, $created_at:expr) => {{
        let jobs: &[$crate::jobs::kind::NewJob] = $jobs;
        for chunk in jobs.chunks($rows) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO jobs (id, kind, project, report_id, payload, dedupe_key, run_at, max_attempts, created_at) ",
            );
            insert.push_values(chunk, |mut row, j: &$crate::jobs::kind::NewJob| {
                row.push_bind(j.id.clone())
                    .push_bind(j.kind.name())
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

/// Leases jobs inside the writer's open transaction (`$conn` is `&mut *tx`).
macro_rules! claim {
    ($conn:expr, $claim:expr, $postgres:expr) => {{
        let claim: &$crate::jobs::Claim = $claim;
        let (worker, until, now, max, note) = claim.binds();
        let rows = sqlx::query(sqlx::AssertSqlSafe(claim.sql($postgres)))
            .bind(worker)
            .bind(until)
            .bind(now)
            .bind(max)
            .bind(note)
            .fetch_all(&mut *$conn)
            .await?;
        let jobs = rows
            .iter()
            .map($crate::jobs::job_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        if let Ok(mut slot) = claim.claimed.lock() {
            *slot = jobs;
        }
    }};
}
pub(crate) use claim;

/// Completes leased jobs inside the writer's open transaction, with their follow-ups.
macro_rules! complete {
    ($conn:expr, $complete:expr, $rows:expr) => {{
        let complete: &$crate::jobs::Complete = $complete;
        let mut done = Vec::with_capacity(complete.completions.len());
        for c in &complete.completions {
            let changed = sqlx::query("UPDATE jobs SET state = 'done', done_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL WHERE id = $3 AND locked_by = $4 AND state = 'running'")
                .bind(complete.now)
                .bind(c.note.as_deref().map($crate::jobs::short_error))
                .bind(&c.id)
                .bind(&complete.worker)
                .execute(&mut *$conn)
                .await?
                .rows_affected();
            if changed == 1 {
                $crate::writer::insert_jobs!(&mut *$conn, &c.follow_ups, $rows, Some(complete.now));
            }
            done.push(changed == 1);
        }
        if let Ok(mut slot) = complete.done.lock() {
            *slot = done;
        }
    }};
}
pub(crate) use complete;

/// Applies writes inside an open transaction, in order, with their audit events.
macro_rules! apply {
    ($conn:expr, $ops:expr, $postgres:expr) => {{
        let ops: &[&$crate::WriteOp] = $ops;
        let reports: Vec<&$crate::ReportRow> = ops
            .iter()
            .filter_map(|op| match op {
                $crate::WriteOp::Report(r, _) => Some(&**r),
                _ => None,
            })
            .collect();
        // PostgreSQL gets one report per statement: sqlx 0.9 neither sets TCP_NODELAY nor
        // offers an option for it, and a message larger than one segment stalls on Nagle's
        // algorithm and delayed ACKs (about 40 ms). Audit events and jobs are small rows: a few
        // dozen of them still fit one segment, and cost one round trip instead of one each.
        let rows = if $postgres {
            $crate::writer::PG_SMALL_ROWS_PER_STATEMENT
        } else {
            $crate::writer::ROWS_PER_STATEMENT
        };
        if $postgres {
            $crate::writer::insert_reports_one_by_one!($conn, reports);
        } else {
            $crate::writer::insert_reports!($conn, reports, rows);
        }
        $crate::search::SearchConnection::insert_search_tokens(&mut *$conn, &reports).await?;
        for op in ops {
            $crate::writer::insert_children!($conn, *op);
        }
        let parts: Vec<$crate::writer::EventParts> =
            ops.iter().flat_map(|op| op.events()).collect();
        // A batch of the job runner's claims and completions alone appends no event, and so
        // does not take the audit chain's lock.
        if !parts.is_empty() {
            let mut head = $crate::writer::chain_head!($conn, $postgres);
            let events: Vec<(postern_core::audit::AuditEvent, [u8; 32])> = parts
                .into_iter()
                .map(|parts| $crate::writer::chain(&mut head, parts))
                .collect();
            $crate::writer::insert_events!($conn, events, rows);
        }
        let jobs: Vec<$crate::jobs::kind::NewJob> = ops.iter().flat_map(|op| op.jobs()).collect();
        $crate::writer::insert_jobs!($conn, &jobs, rows, None::<i64>);
        // Claims last, so that they see the jobs this batch enqueued.
        for op in ops {
            match op {
                $crate::WriteOp::Complete(complete) => {
                    $crate::writer::complete!($conn, complete, rows)
                }
                $crate::WriteOp::Claim(claim) => $crate::writer::claim!($conn, claim, $postgres),
                _ => {}
            }
        }
    }};
}

/// Rows per multi-row INSERT: well inside SQLite's 32,766 bound variables (12 per report row).
pub(crate) const ROWS_PER_STATEMENT: usize = 500;
/// Audit events or jobs per INSERT on PostgreSQL: each row is well under 1 KiB (ids, names, a
/// short detail or payload), so a statement stays under 32 KiB: one segment on loopback, no
/// larger than one report's statement is on a LAN (see `apply!`).
pub(crate) const PG_SMALL_ROWS_PER_STATEMENT: usize = 32;

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
    /// Transactions committed so far (what tells the SQLite checkpointer there is work).
    commits: Arc<std::sync::atomic::AtomicU64>,
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
        let commits = Arc::new(std::sync::atomic::AtomicU64::new(0));
        tokio::spawn(run(
            pool,
            receiver,
            Arc::clone(&job_signal),
            Arc::clone(&commits),
        ));
        Writer {
            jobs,
            job_signal,
            commits,
        }
    }

    /// The count of transactions this writer has committed.
    pub(crate) fn commits(&self) -> Arc<std::sync::atomic::AtomicU64> {
        Arc::clone(&self.commits)
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
            // IMMEDIATE: the write lock is taken at BEGIN, where the busy timeout waits for
            // another process's writer. A deferred transaction that reads first (the audit
            // chain's head) and then writes gets SQLITE_BUSY at once, with no wait, when
            // another process (`serve` beside a terminal command) committed meanwhile.
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
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

async fn run(
    pool: Db,
    mut receiver: mpsc::Receiver<Job>,
    job_signal: Arc<Notify>,
    commits: Arc<std::sync::atomic::AtomicU64>,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(BATCH_WRITES_MAX);
    while receiver.recv_many(&mut batch, BATCH_WRITES_MAX).await > 0 {
        let enqueues = batch.iter().any(|j| j.op.enqueues());
        let ops: Vec<&WriteOp> = batch.iter().map(|j| &j.op).collect();
        let committed = commit(&pool, &ops).await;
        commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match committed {
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
