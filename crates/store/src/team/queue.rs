//! The work queue: open reports ordered by their next deadline, filtered by project, status,
//! severity and overdue, from plain columns only (nothing is decrypted).

use jiff::Timestamp;
use postern_core::case::parse_severity;
use postern_core::policy::Severity;
use postern_core::report::{ReportId, ReportStatus};
use sqlx::Row as _;

use super::rows::{NO_DEADLINE, severity_name};
use crate::write::{Value, text};
use crate::{Db, Store, StoreError, from_millis, millis, on_db};

/// Most rows the queue returns per page.
pub const QUEUE_PAGE_MAX: usize = 200;

/// Filters for the work queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only these projects; `None` for all.
    pub projects: Option<Vec<String>>,
    /// Only this status.
    pub status: Option<ReportStatus>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only reports with a running clock past its limit at this moment.
    pub overdue_at: Option<Timestamp>,
    /// Leave out closed reports (unless `status` asks for them).
    pub open_only: bool,
}

/// A row of the work queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    /// Report id.
    pub id: ReportId,
    /// Project slug.
    pub project: String,
    /// Status.
    pub status: ReportStatus,
    /// Severity, once accepted.
    pub severity: Option<Severity>,
    /// When received.
    pub received_at: Timestamp,
    /// The next running clock's limit.
    pub next_due_at: Option<Timestamp>,
}

impl Store {
    /// The work queue: open reports ordered by their next deadline, filtered.
    pub async fn queue(
        &self,
        filter: &QueueFilter,
        limit: usize,
    ) -> Result<Vec<QueueRow>, StoreError> {
        let limit = limit.min(QUEUE_PAGE_MAX) as i64;
        // Conditions are fixed text with numbered parameters; values are always bound.
        let mut sql = String::from(
            "SELECT id, project, status, severity, received_at, next_due_at FROM reports WHERE 1 = 1",
        );
        let mut args: Vec<Value> = Vec::new();
        let param = |args: &mut Vec<Value>, v: Value| {
            args.push(v);
            format!("${}", args.len())
        };
        if let Some(projects) = &filter.projects {
            if projects.is_empty() {
                return Ok(Vec::new());
            }
            let list: Vec<String> = projects.iter().map(|p| param(&mut args, text(p))).collect();
            sql.push_str(&format!(" AND project IN ({})", list.join(", ")));
        }
        match filter.status {
            Some(status) => {
                let p = param(&mut args, text(status.name()));
                sql.push_str(&format!(" AND status = {p}"));
            }
            None if filter.open_only => sql.push_str(" AND status <> 'closed'"),
            None => {}
        }
        if let Some(severity) = severity_name(filter.severity) {
            let p = param(&mut args, text(severity));
            sql.push_str(&format!(" AND severity = {p}"));
        }
        if let Some(now) = filter.overdue_at {
            let p = param(&mut args, Value::Int(millis(now)));
            sql.push_str(&format!(" AND next_due_at < {p}"));
        }
        let p = param(&mut args, Value::Int(limit));
        sql.push_str(&format!(" ORDER BY next_due_at, id LIMIT {p}"));
        let rows: Vec<(String, String, String, Option<String>, i64, i64)> = on_db!(&self.db, pool => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in args {
                query = match value {
                    Value::Text(v) => query.bind(v),
                    Value::Int(v) => query.bind(v),
                    Value::Blob(v) => query.bind(v),
                    Value::NullText => query.bind(None::<String>),
                    Value::NullBlob => query.bind(None::<Vec<u8>>),
                };
            }
            query.fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("project")?, r.try_get("status")?, r.try_get("severity")?, r.try_get("received_at")?, r.try_get("next_due_at")?)))
                .collect::<Result<_, _>>()?
        });
        rows.into_iter()
            .map(|(id, project, status, severity, received_at, due)| {
                Ok(QueueRow {
                    id: ReportId::parse(&id).ok_or_else(|| StoreError::Corrupt("id".into()))?,
                    project,
                    status: ReportStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt("status".into()))?,
                    severity: severity.as_deref().and_then(parse_severity),
                    received_at: from_millis(received_at)?,
                    next_due_at: (due != NO_DEADLINE).then(|| from_millis(due)).transpose()?,
                })
            })
            .collect()
    }
}
