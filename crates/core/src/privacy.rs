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

/// What retention reads of one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionFacts {
    /// When the report was closed; `None` while it is open.
    pub closed_at: Option<Timestamp>,
    /// When its advisory was published, if it was.
    pub advisory_published_at: Option<Timestamp>,
    /// What was erased already, and its hold.
    pub state: PrivacyState,
}

/// Whether the policy keeps anything for a set time: without it, `retention_due` is empty for
/// every report, so its closed reports need not be read.
pub fn keeps_for_a_set_time(privacy: &crate::policy::Privacy) -> bool {
    privacy.contact_kept.is_some() || privacy.contents_kept.is_some()
}

/// When retention erases each group of a report (the groups not erased yet whose time the
/// policy sets), as (group, moment). Nothing while the report is open: the policy's periods
/// count from closure (and the advisory's publication). A business day counts as a day here.
pub fn retention_due(
    privacy: &crate::policy::Privacy,
    facts: &RetentionFacts,
) -> Vec<(Erasure, Timestamp)> {
    let Some(closed_at) = facts.closed_at else {
        return Vec::new();
    };
    let after = |kept: crate::policy::TimeSpan, from: Timestamp| {
        let hours = i64::try_from(kept.nominal_hours()).unwrap_or(i64::MAX / 3600);
        from.saturating_add(jiff::SignedDuration::from_hours(hours))
            .unwrap_or(Timestamp::MAX)
    };
    let mut due = Vec::new();
    if let Some(kept) = privacy.contact_kept
        && facts.state.contact_erased_at.is_none()
    {
        due.push((Erasure::Contact, after(kept, closed_at)));
    }
    if let Some(kept) = privacy.contents_kept
        && facts.state.contents_erased_at.is_none()
    {
        let from = match privacy.contents_kept_after {
            crate::policy::KeptAfter::Closure => closed_at,
            crate::policy::KeptAfter::Advisory => facts
                .advisory_published_at
                .map_or(closed_at, |published| published.max(closed_at)),
        };
        due.push((Erasure::Contents, after(kept, from)));
    }
    due
}

/// What retention erases at `now`: what is due, unless a hold stands.
pub fn retention_erases_now(
    privacy: &crate::policy::Privacy,
    facts: &RetentionFacts,
    now: Timestamp,
) -> Vec<Erasure> {
    if facts.state.hold_at(now).is_some() {
        return Vec::new();
    }
    retention_due(privacy, facts)
        .into_iter()
        .filter(|(_, at)| *at <= now)
        .map(|(what, _)| what)
        .collect()
}

/// What the team is told beside a reporter's erasure request: whether anything the policy
/// promises still needs the data, so that the request is carried out now or refused with that
/// reason. `advisory_pending`: an advisory about the report is drafted but not published.
pub fn request_guidance(
    what: Erasure,
    closed: bool,
    advisory_pending: bool,
    credited: bool,
) -> String {
    match what {
        Erasure::Contents if advisory_pending || !closed => "Coordinated disclosure needs the \
            contents until the fix and the advisory are published: refusing until then is in \
            line with the policy (say so in the reason); carrying it out now leaves the team \
            without the report."
            .into(),
        Erasure::Contact if credited && advisory_pending => "The credit name goes into the \
            advisory when it is published: erasing the contact now makes that credit anonymous. \
            Nothing else of the policy needs the contact."
            .into(),
        _ => "Nothing the policy promises needs this any longer: carry the request out.".into(),
    }
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

/// An address as a list shows it to people who need to tell entries apart but not to write to
/// them (the admins' list of advisory subscribers): the first character of the local part and
/// the domain, `j•••@example.org`. Anything that is not an address shows as `•••`.
pub fn masked_email(email: &str) -> String {
    match email.trim().rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        _ => "•••".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_masked_address_keeps_its_first_character_and_domain() {
        assert_eq!(masked_email(" jane.doe@example.org "), "j•••@example.org");
        assert_eq!(masked_email("ü@bücher.de"), "ü•••@bücher.de");
        assert_eq!(masked_email("a@b@example.org"), "a•••@example.org");
        assert_eq!(masked_email("not an address"), "•••");
        assert_eq!(masked_email("@example.org"), "•••");
    }

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

    fn privacy(text: &str) -> crate::policy::Privacy {
        let policy = crate::policy::parse_str(
            &format!(
                "[project]\nname = \"A\"\nslug = \"a\"\n[[channels]]\nkind = \"web-form\"\n[disclosure]\nmax_embargo = \"90 days\"\n[privacy]\n{text}"
            ),
            at("2026-01-01T00:00:00Z"),
        );
        policy.policy.expect("valid").privacy.expect("[privacy]")
    }

    #[test]
    fn retention_counts_from_closure_and_publication_and_waits_for_a_hold() {
        let p = privacy(
            "contact_kept = \"180 days\"\ncontents_kept = \"365 days\"\ncontents_kept_after = \"advisory\"",
        );
        let closed = at("2026-01-01T00:00:00Z");
        let mut facts = RetentionFacts {
            closed_at: None,
            advisory_published_at: Some(at("2026-02-01T00:00:00Z")),
            state: PrivacyState::default(),
        };
        assert!(
            retention_due(&p, &facts).is_empty(),
            "open reports are kept"
        );
        facts.closed_at = Some(closed);
        assert_eq!(
            retention_due(&p, &facts),
            vec![
                (Erasure::Contact, at("2026-06-30T00:00:00Z")),
                (Erasure::Contents, at("2027-02-01T00:00:00Z")),
            ]
        );
        assert!(retention_erases_now(&p, &facts, at("2026-06-29T23:59:59Z")).is_empty());
        assert_eq!(
            retention_erases_now(&p, &facts, at("2026-06-30T00:00:00Z")),
            vec![Erasure::Contact]
        );
        facts.state.contact_erased_at = Some(at("2026-06-30T00:00:00Z"));
        facts.state.hold = Some(Hold {
            until: at("2027-03-01T00:00:00Z"),
            reason: "x".into(),
        });
        assert!(retention_erases_now(&p, &facts, at("2027-02-15T00:00:00Z")).is_empty());
        assert_eq!(
            retention_erases_now(&p, &facts, at("2027-03-01T00:00:00Z")),
            vec![Erasure::Contents]
        );
    }

    #[test]
    fn a_retention_shorter_than_the_maximum_embargo_is_an_error_at_its_key() {
        let text = "[project]\nname = \"A\"\nslug = \"a\"\n[[channels]]\nkind = \"web-form\"\n[disclosure]\nmax_embargo = \"90 days\"\n[privacy]\ncontact_kept = \"30 days\"\n";
        let checked = crate::policy::parse_str(text, at("2026-01-01T00:00:00Z"));
        let errors: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.display("SECURITY.toml", text).to_string())
            .collect();
        assert!(
            errors.iter().any(|e| e.starts_with("SECURITY.toml:9:16: error") && e.contains("`privacy.contact_kept` (30 days) is shorter than `disclosure.max_embargo` (90 days)")),
            "{errors:?}"
        );
        assert!(checked.policy.is_none(), "an error");
        let md = crate::render::security_md(
            &crate::policy::parse_str(
                &text.replace("30 days", "120 days"),
                at("2026-01-01T00:00:00Z"),
            )
            .policy
            .unwrap(),
            &crate::render::RenderContext {
                now: at("2026-01-01T00:00:00Z"),
                base_url: None,
                report_form: false,
                csaf_provider: None,
                served_openpgp_key: None,
            },
        );
        assert!(md.contains("## Your Personal Data"), "{md}");
        assert!(
            md.contains("for 120 days after we close your report"),
            "{md}"
        );
        assert!(md.contains("We do not store your IP address."), "{md}");
        let p = privacy("ip_addresses = true");
        assert!(p.ip_addresses && p.contact_kept.is_none());
        assert!(
            !privacy("").ip_addresses,
            "IP addresses are not stored by default"
        );
    }

    /// A policy that keeps nothing for a set time erases nothing, whatever the report.
    #[test]
    fn only_a_set_time_makes_retention_due() {
        let facts = RetentionFacts {
            closed_at: Some(at("2026-01-01T00:00:00Z")),
            advisory_published_at: None,
            state: PrivacyState::default(),
        };
        for (text, keeps) in [
            ("ip_addresses = true", false),
            ("contact_kept = \"180 days\"", true),
            ("contents_kept = \"365 days\"", true),
        ] {
            let p = privacy(text);
            assert_eq!(keeps_for_a_set_time(&p), keeps, "{text}");
            assert_eq!(!retention_due(&p, &facts).is_empty(), keeps, "{text}");
        }
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
