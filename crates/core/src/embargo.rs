//! The embargo: when a vulnerability may be disclosed. The policy sets a default and a maximum;
//! the maximum is counted from the report's receipt, so that no chain of postponements can
//! stretch it. A date proposed by the reporter or set by the team is checked here.

use jiff::Timestamp;

use crate::deadline::Calendar;
use crate::policy::Policy;

/// Longest reason a reporter may give with a proposed date.
pub const REASON_BYTES_MAX: usize = 4 * 1024;

/// The latest disclosure date the policy allows for a report received at `received`, if the
/// policy has a maximum.
pub fn latest(policy: &Policy, received: Timestamp) -> Option<Timestamp> {
    let calendar = Calendar::of(&policy.response);
    policy
        .disclosure
        .max_embargo
        .map(|max| calendar.due(received, max))
}

/// The disclosure date the policy proposes when nothing else is agreed: its default embargo,
/// counted from `from` (the report's acceptance, or now).
pub fn default_date(policy: &Policy, from: Timestamp) -> Option<Timestamp> {
    let calendar = Calendar::of(&policy.response);
    policy
        .disclosure
        .default_embargo
        .map(|span| calendar.due(from, span))
}

/// Checks a proposed disclosure date: later than `now` and not beyond the policy's maximum
/// embargo for a report received at `received`. The error is a sentence for the person who
/// proposed it.
pub fn check(
    policy: &Policy,
    received: Timestamp,
    now: Timestamp,
    at: Timestamp,
) -> Result<(), String> {
    if at <= now {
        return Err(format!(
            "{} has passed; propose a date in the future",
            day(at)
        ));
    }
    if let (Some(limit), Some(max)) = (latest(policy, received), policy.disclosure.max_embargo)
        && at > limit
    {
        return Err(format!(
            "{} is beyond the policy's maximum embargo of {max} from receipt (the latest date is {})",
            day(at),
            day(limit)
        ));
    }
    Ok(())
}

/// Whether a reporter may propose a disclosure date for a report in `status`: not once it is
/// disclosed or closed, nor once its advisory is published, nor while an earlier proposal
/// waits for the team's answer. The error is a sentence for the reporter.
pub fn may_propose(
    status: crate::report::ReportStatus,
    advisory_published: bool,
    proposal_open: bool,
) -> Result<(), String> {
    use crate::report::ReportStatus;
    if matches!(status, ReportStatus::Disclosed | ReportStatus::Closed) || advisory_published {
        return Err("this report is disclosed or closed; there is no date left to agree".into());
    }
    if proposal_open {
        return Err("you have already proposed a date; the team has not answered yet".into());
    }
    Ok(())
}

/// How long before publication the policy's early-access list gets an embargoed advisory
/// (`[updates.early_access] days_before`, in days of 24 hours); `None` without early access.
pub fn early_access_lead(policy: &Policy) -> Option<jiff::SignedDuration> {
    let days = policy.updates.early_access.as_ref()?.days_before?;
    Some(jiff::SignedDuration::from_hours(i64::from(days) * 24))
}

/// A date as the pages write it (UTC).
pub fn day(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// Reads a date a person typed: a day (`2027-01-31`, meaning 00:00 UTC that day) or an RFC 3339
/// moment.
pub fn parse_date(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("give a date such as 2027-01-31".into());
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| format!("{text:?} is not a date; write it as 2027-01-31"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(extra: &str) -> Policy {
        let text = format!(
            "[project]\nname = \"Acme\"\n\n[[channels]]\nkind = \"email\"\nemail = \"security@example.org\"\n\n[[supported_versions]]\nversions = \"1.x\"\nsupported = true\n\n[response]\nacknowledge = \"48 hours\"\n\n{extra}"
        );
        let checked = crate::policy::parse_str(&text, "2026-01-01T00:00:00Z".parse().unwrap());
        checked
            .policy
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_maximum_counts_from_receipt_and_refuses_a_later_date() {
        let p = policy("[disclosure]\ndefault_embargo = \"90 days\"\nmax_embargo = \"120 days\"\n");
        let received = at("2026-03-01T00:00:00Z");
        let now = at("2026-04-01T00:00:00Z");
        assert_eq!(latest(&p, received), Some(at("2026-06-29T00:00:00Z")));
        assert_eq!(check(&p, received, now, at("2026-06-29T00:00:00Z")), Ok(()));
        let err = check(&p, received, now, at("2026-06-30T00:00:00Z")).unwrap_err();
        assert!(err.contains("maximum embargo of 120 days"), "{err}");
        assert!(err.contains("2026-06-29"), "{err}");
        let err = check(&p, received, now, at("2026-03-31T00:00:00Z")).unwrap_err();
        assert!(err.contains("has passed"), "{err}");
        assert_eq!(
            default_date(&p, now),
            Some(at("2026-06-30T00:00:00Z")),
            "90 days from acceptance"
        );
    }

    #[test]
    fn without_a_maximum_any_future_date_is_accepted() {
        let p = policy("");
        let now = at("2026-04-01T00:00:00Z");
        assert_eq!(check(&p, now, now, at("2036-01-01T00:00:00Z")), Ok(()));
        assert_eq!(latest(&p, now), None);
        assert_eq!(default_date(&p, now), None);
    }

    #[test]
    fn dates_are_read_as_days_or_moments_with_clear_errors() {
        assert_eq!(parse_date("2027-01-31"), Ok(at("2027-01-31T00:00:00Z")));
        assert_eq!(
            parse_date(" 2027-01-31T09:30:00Z "),
            Ok(at("2027-01-31T09:30:00Z"))
        );
        assert!(parse_date("").unwrap_err().contains("give a date"));
        assert!(parse_date("31/01/2027").unwrap_err().contains("not a date"));
        assert!(parse_date("2027-02-30").is_err());
    }
}
