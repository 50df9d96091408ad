//! A report's working columns as stored, to and from the core's types: clocks as JSON, the
//! queue's sort key, the severity's name, a case from its columns.

use postern_core::case::{Case, CaseRecord, parse_severity};
use postern_core::clock::Clocks;
use postern_core::policy::Severity;
use postern_core::report::ReportStatus;

use crate::{StoreError, millis};

/// `next_due_at` when no clock runs.
pub(crate) const NO_DEADLINE: i64 = i64::MAX;
/// (project, received_at, status, severity, case_record, clocks, version) of a report.
pub(crate) type CaseColumns = (String, i64, String, Option<String>, String, String, i64);

/// Clocks as stored.
pub(crate) fn clocks_json(clocks: &Clocks) -> Result<String, StoreError> {
    serde_json::to_string(clocks).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The queue's sort key for a set of clocks.
pub(crate) fn due_millis(clocks: &Clocks) -> i64 {
    clocks.next_due().map_or(NO_DEADLINE, millis)
}

pub(crate) fn case_from_parts(
    received_at: jiff::Timestamp,
    status: &str,
    severity: Option<String>,
    record: &str,
    clocks: &str,
) -> Result<Case, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(what.to_owned());
    Ok(Case {
        received_at,
        status: ReportStatus::parse(status).ok_or_else(|| corrupt("status"))?,
        severity: match severity {
            Some(s) => Some(parse_severity(&s).ok_or_else(|| corrupt("severity"))?),
            None => None,
        },
        record: serde_json::from_str::<CaseRecord>(record).map_err(|_| corrupt("case record"))?,
        clocks: serde_json::from_str::<Clocks>(clocks).map_err(|_| corrupt("clocks"))?,
    })
}

pub(crate) fn severity_name(severity: Option<Severity>) -> Option<&'static str> {
    severity.map(|s| {
        Severity::ALL
            .iter()
            .find(|(_, v)| *v == s)
            .map_or("low", |(n, _)| n)
    })
}
