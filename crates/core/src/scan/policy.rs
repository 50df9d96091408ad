//! What the policy says about a finding: its fix deadline (the policy's severity deadlines,
//! counted from when the finding was first seen or seen again) and whether the scanned
//! version is one the policy supports.

use jiff::Timestamp;

use crate::deadline::Calendar;
use crate::policy::{Policy, Within};
use crate::versions::{compare, numeric};

use super::FindingSeverity;

/// When a finding of this severity must be fixed, counted from `seen`: the limit of the
/// policy's `fix` promise for the severity. `None` for an unknown severity, a severity the
/// policy sets no fix time for, or an untimed promise.
pub fn fix_due(policy: &Policy, severity: FindingSeverity, seen: Timestamp) -> Option<Timestamp> {
    let level = severity.policy()?;
    let deadlines = policy.severity.iter().find(|d| d.severity == level)?;
    match &deadlines.fix.as_ref()?.within {
        Within::Time(target) => Some(Calendar::of(&policy.response).due(seen, target.limit)),
        Within::Untimed(_) => None,
    }
}

/// How the policy's supported-versions table stands on a scanned version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// A supported line covers it.
    Supported,
    /// The line that covers it is no longer supported.
    Unsupported,
    /// No line covers it (or the policy has no table).
    NotListed,
}

impl Support {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Support::Supported => "supported",
            Support::Unsupported => "unsupported",
            Support::NotListed => "not-listed",
        }
    }
}

/// Whether one line of the table ("2.4.x", "2.x", "< 2.0", "main", "1.9.8") covers `version`.
fn covers(line: &str, version: &str) -> bool {
    let line = line.trim();
    let version = version.trim().trim_start_matches('v');
    if line.eq_ignore_ascii_case(version) {
        return true;
    }
    let Some(have) = numeric(version) else {
        return false;
    };
    if let Some(bound) = line.strip_prefix("<=").map(str::trim).and_then(numeric) {
        return compare(&have, &bound).is_le();
    }
    if let Some(bound) = line.strip_prefix('<').map(str::trim).and_then(numeric) {
        return compare(&have, &bound).is_lt();
    }
    if let Some(bound) = line.strip_prefix(">=").map(str::trim).and_then(numeric) {
        return compare(&have, &bound).is_ge();
    }
    let series = line
        .trim_end_matches(".x")
        .trim_end_matches(".*")
        .trim_end_matches('x')
        .trim_end_matches('.');
    match numeric(series) {
        Some(prefix) if !prefix.is_empty() => {
            have.len() >= prefix.len() && have[..prefix.len()] == prefix[..]
        }
        _ => false,
    }
}

/// How the policy's supported-versions table stands on `version`: the first line that
/// covers it decides.
pub fn support(policy: &Policy, version: &str) -> Support {
    match policy
        .supported_versions
        .iter()
        .find(|row| covers(&row.versions, version))
    {
        Some(row) if row.supported => Support::Supported,
        Some(_) => Support::Unsupported,
        None => Support::NotListed,
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn lines_cover_versions() {
        assert!(covers("2.4.x", "2.4.1"));
        assert!(covers("2.x", "2.10"));
        assert!(!covers("2.4.x", "2.5.0"));
        assert!(covers("< 2.0", "1.9.8"));
        assert!(!covers("< 2.0", "2.0"));
        assert!(covers("main", "main"));
        assert!(covers("1.9.8", "v1.9.8"));
        assert!(!covers("main", "1.0"));
    }
}
