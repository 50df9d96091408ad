//! Privacy by design: what can be erased of a report (its contact, its contents), the legal
//! hold that stops erasure, and the policy's retention rules applied to one report's facts.
//!
//! Erasure itself destroys keys in the store; what is decided here is only what is due and
//! what refuses, as pure functions of the facts and `now`.

use jiff::Timestamp;

/// Longest reason given for an erasure, a hold or a refusal, in characters. The reason is kept
/// in the audit log for good, so it names why, never who.
pub const REASON_CHARS_MAX: usize = 500;
/// Longest legal hold, in days: a hold is renewed rather than set forever.
pub const HOLD_DAYS_MAX: i64 = 3660;

/// A group of a report's data that is sealed under a key of its own, and so can be erased
/// alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Erasure {
    /// The reporter's contact address and the name to credit (and, for a report that came by
    /// mail, the original message, which holds the sender's address).
    Contact,
    /// The report's contents: its fields, title, conversation, attachments, internal notes,
    /// and the original message of a report that came by mail.
    Contents,
}

impl Erasure {
    /// Both groups, contact first.
    pub const ALL: [Erasure; 2] = [Erasure::Contact, Erasure::Contents];

    /// The name used in commands, forms, the API and audit events.
    pub fn name(self) -> &'static str {
        match self {
            Erasure::Contact => "contact",
            Erasure::Contents => "contents",
        }
    }

    /// Parses `contact` or `contents` (case and spaces forgiven).
    pub fn parse(text: &str) -> Option<Erasure> {
        match text.trim().to_ascii_lowercase().as_str() {
            "contact" => Some(Erasure::Contact),
            "contents" => Some(Erasure::Contents),
            _ => None,
        }
    }

    /// Words for people: what erasing this group removes.
    pub fn describe(self) -> &'static str {
        match self {
            Erasure::Contact => "the reporter's contact address and credit name",
            Erasure::Contents => {
                "the report's contents, conversation, attachments and internal notes"
            }
        }
    }
}

/// A legal hold on a report: retention and erasure wait until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// When it ends.
    pub until: Timestamp,
    /// Why (a team member's words).
    pub reason: String,
}

impl Hold {
    /// Whether the hold still stands at `now`.
    pub fn stands_at(&self, now: Timestamp) -> bool {
        now < self.until
    }
}

/// What has become of a report's personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivacyState {
    /// When its contact was erased.
    pub contact_erased_at: Option<Timestamp>,
    /// When its contents were erased.
    pub contents_erased_at: Option<Timestamp>,
    /// Its legal hold, current or expired.
    pub hold: Option<Hold>,
}

impl PrivacyState {
    /// When a group was erased, if it was.
    pub fn erased_at(&self, what: Erasure) -> Option<Timestamp> {
        match what {
            Erasure::Contact => self.contact_erased_at,
            Erasure::Contents => self.contents_erased_at,
        }
    }

    /// The hold that stands at `now`, if any.
    pub fn hold_at(&self, now: Timestamp) -> Option<&Hold> {
        self.hold.as_ref().filter(|h| h.stands_at(now))
    }

    /// Refuses erasure while a hold stands, saying until when and why.
    pub fn check_erasable(&self, now: Timestamp) -> Result<(), String> {
        match self.hold_at(now) {
            Some(hold) => Err(format!(
                "this report is under legal hold until {} ({}); nothing of it is erased until then",
                hold.until.strftime("%Y-%m-%d"),
                hold.reason
            )),
            None => Ok(()),
        }
    }
}

/// Checks a reason for an erasure, a hold or a refusal: not empty, at most
/// `REASON_CHARS_MAX` characters, one line. Returns it trimmed.
pub fn check_reason(reason: &str) -> Result<String, String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("give a reason; it is kept in the audit log (say why, not who)".into());
    }
    if reason.chars().count() > REASON_CHARS_MAX {
        return Err(format!(
            "a reason may be at most {REASON_CHARS_MAX} characters"
        ));
    }
    if reason.chars().any(char::is_control) {
        return Err("write the reason on one line".into());
    }
    Ok(reason.to_owned())
}

/// Checks the end of a legal hold: after `now`, at most `HOLD_DAYS_MAX` days ahead.
pub fn check_hold_until(until: Timestamp, now: Timestamp) -> Result<(), String> {
    if until <= now {
        return Err("the hold must end in the future; write a later date".into());
    }
    if until.duration_since(now) > jiff::SignedDuration::from_hours(24 * HOLD_DAYS_MAX) {
        return Err(format!(
            "a hold may last at most {HOLD_DAYS_MAX} days; renew it when it ends"
        ));
    }
    Ok(())
}

/// Reads the last day of a legal hold, `YYYY-MM-DD` (held through that day, UTC), or an RFC
/// 3339 moment.
pub fn parse_hold_until(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return date
            .at(23, 59, 59, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string());
    }
    text.parse::<Timestamp>().map_err(|_| {
        format!("{text:?} is not a date: write the last day of the hold as YYYY-MM-DD")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_hold_lasts_through_its_last_day() {
        assert_eq!(
            parse_hold_until("2027-06-30").unwrap(),
            at("2027-06-30T23:59:59Z")
        );
        assert_eq!(
            parse_hold_until("2027-06-30T12:00:00Z").unwrap(),
            at("2027-06-30T12:00:00Z")
        );
        assert!(
            parse_hold_until("next year")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
    }

    #[test]
    fn names_round_trip() {
        for what in Erasure::ALL {
            assert_eq!(Erasure::parse(what.name()), Some(what));
        }
        assert_eq!(Erasure::parse(" Contact "), Some(Erasure::Contact));
        assert_eq!(Erasure::parse("everything"), None);
    }

    #[test]
    fn a_standing_hold_refuses_erasure_and_an_expired_one_does_not() {
        let state = PrivacyState {
            hold: Some(Hold {
                until: at("2027-01-01T00:00:00Z"),
                reason: "court order 12".into(),
            }),
            ..PrivacyState::default()
        };
        let refused = state
            .check_erasable(at("2026-12-31T23:59:59Z"))
            .unwrap_err();
        assert!(refused.contains("2027-01-01") && refused.contains("court order 12"));
        assert!(state.check_erasable(at("2027-01-01T00:00:00Z")).is_ok());
        assert!(
            PrivacyState::default()
                .check_erasable(at("2026-01-01T00:00:00Z"))
                .is_ok()
        );
    }

    #[test]
    fn reasons_and_hold_ends_are_checked_at_their_limits() {
        assert!(check_reason("  ").is_err());
        assert!(check_reason(&"x".repeat(REASON_CHARS_MAX)).is_ok());
        assert!(check_reason(&"x".repeat(REASON_CHARS_MAX + 1)).is_err());
        assert!(check_reason("a\nb").is_err());
        let now = at("2026-01-01T00:00:00Z");
        assert!(check_hold_until(now, now).is_err());
        let max = now + jiff::SignedDuration::from_hours(24 * HOLD_DAYS_MAX);
        assert!(check_hold_until(max, now).is_ok());
        assert!(check_hold_until(max + jiff::SignedDuration::from_secs(1), now).is_err());
    }
}
