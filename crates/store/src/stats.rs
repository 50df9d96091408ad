//! What the public statistics read: each report's times, severity and clocks, and the moments
//! of the audit events that mark its stages (first answer, triage, fix), never its contents.
//! Stages are read from the events so that they are measured whether or not the policy
//! promised a time for them.

use std::collections::HashMap;

use jiff::Timestamp;
use postern_core::case::parse_severity;
use postern_core::scan::{FindingSeverity, FindingState};
use postern_core::stats::{FindingFacts, Measured, Milestones, ReportFacts};
use sqlx::Row as _;

use crate::team::STATS_REPORTS_MAX;
use crate::{Db, Store, StoreError, from_millis, millis, on_db};

/// Most dependency findings the statistics read per project (the newest first seen).
pub const STATS_FINDINGS_MAX: i64 = 50_000;

/// A finding's severity, state, first sight, last change and deadline (unix ms).
type FindingRow = (String, String, i64, i64, Option<i64>);

/// A report's id, receipt (unix ms), severity and clocks (JSON).
type ReportRow = (String, i64, Option<String>, String);
/// A report's id, an audit action, and its first moment (unix ms).
type EventRow = (String, String, i64);

impl Store {
    /// The project's reports received at or after `since` (the window includes its start), as
    /// the statistics measure them. At most `STATS_REPORTS_MAX`, newest first.
    pub async fn report_measures(
        &self,
        project: &str,
        since: Timestamp,
    ) -> Result<Vec<Measured>, StoreError> {
        let [a, b, c, d] = Milestones::ACTIONS;
        let (reports, events): (Vec<ReportRow>, Vec<EventRow>) = on_db!(&self.db, pool => {
            let reports = sqlx::query("SELECT id, received_at, severity, clocks FROM reports WHERE project = $1 AND received_at >= $2 ORDER BY received_at DESC LIMIT $3")
                .bind(project).bind(millis(since)).bind(STATS_REPORTS_MAX)
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("received_at")?, r.try_get("severity")?, r.try_get("clocks")?)))
                .collect::<Result<_, sqlx::Error>>()?;
            let events = sqlx::query("SELECT e.report_id, e.action, MIN(e.at) AS first_at FROM audit_events e JOIN reports r ON r.id = e.report_id WHERE r.project = $1 AND r.received_at >= $2 AND e.action IN ($3, $4, $5, $6) GROUP BY e.report_id, e.action")
                .bind(project).bind(millis(since)).bind(a).bind(b).bind(c).bind(d)
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("report_id")?, r.try_get("action")?, r.try_get("first_at")?)))
                .collect::<Result<_, sqlx::Error>>()?;
            (reports, events)
        });
        let mut by_report: HashMap<String, Vec<(String, Timestamp)>> = HashMap::new();
        for (id, action, at) in events {
            by_report
                .entry(id)
                .or_default()
                .push((action, from_millis(at)?));
        }
        reports
            .into_iter()
            .map(|(id, received_at, severity, clocks)| {
                let events = by_report.remove(&id).unwrap_or_default();
                Ok(Measured {
                    facts: ReportFacts {
                        received_at: from_millis(received_at)?,
                        severity: severity.as_deref().and_then(parse_severity),
                        clocks: serde_json::from_str(&clocks)
                            .map_err(|_| StoreError::Corrupt("clocks".into()))?,
                    },
                    milestones: Milestones::from_events(
                        events.iter().map(|(action, at)| (action.as_str(), *at)),
                    ),
                })
            })
            .collect()
    }

    /// The project's dependency findings first seen at or after `since`, as the statistics
    /// measure them: severity and times only. At most `STATS_FINDINGS_MAX`, newest first.
    pub async fn finding_measures(
        &self,
        project: &str,
        since: Timestamp,
    ) -> Result<Vec<FindingFacts>, StoreError> {
        let rows: Vec<FindingRow> = on_db!(&self.db, pool => {
            sqlx::query("SELECT severity, state, first_seen_at, changed_at, due_at FROM findings WHERE project = $1 AND kind = 'dependency' AND first_seen_at >= $2 ORDER BY first_seen_at DESC LIMIT $3")
                .bind(project).bind(millis(since)).bind(STATS_FINDINGS_MAX)
                .fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("severity")?, r.try_get("state")?, r.try_get("first_seen_at")?, r.try_get("changed_at")?, r.try_get("due_at")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        rows.into_iter()
            .map(|(severity, state, first_seen, changed, due)| {
                let fixed = state == FindingState::Fixed.name();
                Ok(FindingFacts {
                    severity: FindingSeverity::parse(&severity).and_then(FindingSeverity::policy),
                    first_seen_at: from_millis(first_seen)?,
                    fixed_at: fixed.then(|| from_millis(changed)).transpose()?,
                    due_at: due.map(from_millis).transpose()?,
                    open: state == FindingState::Open.name(),
                })
            })
            .collect()
    }
}
