//! What the policy says about a finding: its fix deadline (the policy's severity deadlines,
//! counted from when the finding was first seen or seen again) and whether the scanned
//! version is one the policy supports.

use jiff::{SignedDuration, Timestamp};

use crate::clock::{Clock, ClockKind, Due, Reminder, due_reminder, next_reminder};
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

/// An open finding's fix deadline as one of the core's clocks (started when the finding was
/// opened, or opened again; limit at its deadline), so that its reminders follow the very rule
/// a report's promises follow.
pub fn fix_clock(opened_at: Timestamp, due_at: Timestamp) -> Clock {
    Clock {
        kind: ClockKind::Fix,
        promised: String::new(),
        counted_from: None,
        started_at: opened_at,
        due: Some(Due {
            target_at: due_at,
            limit_at: due_at,
        }),
        paused_at: None,
        resolved_at: None,
        outcome: None,
    }
}

/// The reminder due at `now` about an open finding's fix deadline, if one came due after
/// `since` (the previous look's moment): a lead before the limit (to the team), or the limit
/// passed (escalated to the admins). Only the latest one that came due is returned, so a look
/// after a long pause tells what still matters.
pub fn fix_reminder(
    opened_at: Timestamp,
    due_at: Timestamp,
    leads: &[SignedDuration],
    since: Timestamp,
    now: Timestamp,
) -> Option<Reminder> {
    due_reminder(&fix_clock(opened_at, due_at), leads, since, now)
}

/// The next moment after `after` at which an open finding's fix deadline has a reminder due.
pub fn next_fix_reminder(
    opened_at: Timestamp,
    due_at: Timestamp,
    leads: &[SignedDuration],
    after: Timestamp,
) -> Option<Timestamp> {
    next_reminder(&fix_clock(opened_at, due_at), leads, after).map(|(at, _)| at)
}

/// What becomes of a risk the team accepted until `until`, looked at `now`: `None` while it
/// holds; once `until` has come, the finding opens again with the policy's fix deadline for
/// its severity counted from the expiry (the moment the acceptance ended, whenever the look
/// happens), as if it had just been found.
pub fn risk_expiry(
    policy: &Policy,
    severity: FindingSeverity,
    until: Timestamp,
    now: Timestamp,
) -> Option<Option<Timestamp>> {
    (until <= now).then(|| fix_due(policy, severity, until))
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
    use super::*;

    #[test]
    fn a_fix_deadline_is_reminded_before_and_escalated_after_like_a_report_promise() {
        let opened: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let due = opened + SignedDuration::from_hours(7 * 24);
        let leads = crate::clock::REMINDER_LEADS;
        let h = SignedDuration::from_hours;
        // Nothing until a day before the limit.
        assert_eq!(fix_reminder(opened, due, &leads, opened, due - h(25)), None);
        assert_eq!(
            fix_reminder(opened, due, &leads, opened, due - h(24)),
            Some(Reminder::Before(h(24)))
        );
        // Handled up to then: the next is two hours before, then the miss.
        assert_eq!(
            next_fix_reminder(opened, due, &leads, due - h(24)),
            Some(due - h(2))
        );
        assert_eq!(
            fix_reminder(opened, due, &leads, due - h(24), due),
            Some(Reminder::Missed)
        );
        // A look after a long pause tells only the latest.
        assert_eq!(
            fix_reminder(opened, due, &leads, opened, due + h(100)),
            Some(Reminder::Missed)
        );
        assert_eq!(fix_reminder(opened, due, &leads, due, due + h(100)), None);
        assert_eq!(next_fix_reminder(opened, due, &leads, due), None);
    }

    #[test]
    fn an_accepted_risk_holds_until_its_expiry_then_runs_the_fix_clock_from_it() {
        let text = "[project]\nname = \"A\"\n\n[[channels]]\nkind = \"web-form\"\n\n[severity.high]\nfix = \"14 days\"\n";
        let until: Timestamp = "2027-01-31T00:00:00Z".parse().unwrap();
        let policy = crate::policy::parse_str(text, until).policy.unwrap();
        let day = SignedDuration::from_hours(24);
        assert_eq!(
            risk_expiry(&policy, FindingSeverity::High, until, until - day),
            None
        );
        // Looked at two days late: the clock still counts from the expiry.
        assert_eq!(
            risk_expiry(&policy, FindingSeverity::High, until, until + day * 2),
            Some(Some(until + day * 14))
        );
        // A severity without a fix time reopens without a deadline.
        assert_eq!(
            risk_expiry(&policy, FindingSeverity::Low, until, until),
            Some(None)
        );
    }

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
