//! A report that reached the team where Postern cannot see it (a chat, a pull request, an
//! issue tracker, a call, a mailbox Postern does not read), recorded by a team member so that
//! the policy's promises run from when the reporter actually wrote: which channel it may be
//! recorded as having come through, and which moments of receipt are believable.
//!
//! The fields themselves are checked by `intake::validate_recorded`.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::policy::{ChannelKind, Policy, one_line};

/// How far back a receipt may be recorded, in days: every promise of an older report has long
/// run out, and the public statistics look back no further (`stats::WINDOW_DAYS`).
pub const RECEIVED_DAYS_MAX: i64 = 365;

/// The kinds a report can be recorded as having come through, as a list for a message.
fn named(policy: &Policy) -> String {
    policy
        .recordable_channels()
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The channel a recorded report came through, as the team wrote it ("chat", "pull request"):
/// one of the kinds the project's policy names, for only they carry its promises, and never
/// Postern's own form, through which reports arrive by themselves.
pub fn channel(policy: &Policy, text: &str) -> Result<ChannelKind, String> {
    let project = one_line(&policy.project.name);
    if policy.recordable_channels().is_empty() {
        return Err(format!(
            "the policy of {project} names no channel but Postern's form, through which reports arrive by themselves; add the channel the report came through to the policy first"
        ));
    }
    let spelled = text.trim().to_ascii_lowercase().replace([' ', '_'], "-");
    if spelled.is_empty() {
        return Err(format!(
            "name the channel the report came through: {}",
            named(policy)
        ));
    }
    let Some(kind) = ChannelKind::parse(&spelled) else {
        return Err(format!(
            "\"{}\" is not a kind of channel; the policy of {project} names: {}",
            one_line(text),
            named(policy)
        ));
    };
    if kind == ChannelKind::WebForm {
        return Err(format!(
            "a report sent through Postern's form is in Postern already; name the channel this one came through: {}",
            named(policy)
        ));
    }
    if !policy.recordable_channels().contains(&kind) {
        return Err(format!(
            "the policy of {project} names no {} channel, so none of its promises covers a report that came that way; it names: {}",
            kind.name(),
            named(policy)
        ));
    }
    Ok(kind)
}

/// When a recorded report reached the team, as the team wrote it: a moment with its offset
/// (`2026-11-30T09:12:00Z`, `2026-11-30T10:12:00+01:00`) or a date and time of day in the
/// policy's time zone (`2026-11-30 10:12`, `2026-11-30T10:12` as a browser sends it). Refused
/// when it cannot be read, has no time of day, lies in the future, or more than
/// `RECEIVED_DAYS_MAX` days back.
pub fn received_at(policy: &Policy, text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let zone_name = &policy.response.time_zone;
    let zone = TimeZone::get(zone_name).unwrap_or(TimeZone::UTC);
    let how = format!(
        "write it as 2026-11-30T09:12:00Z, or as 2026-11-30 10:12 in the project's time zone ({zone_name})"
    );
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!(
            "give the moment the report reached you, so that its deadlines count from then: {how}"
        ));
    }
    let shown = one_line(trimmed);
    let at = if let Ok(at) = trimmed.parse::<Timestamp>() {
        at
    } else if !trimmed.contains(':') && trimmed.parse::<jiff::civil::Date>().is_ok() {
        return Err(format!(
            "\"{shown}\" is a date without a time of day; deadlines of hours need the time too: {how}"
        ));
    } else if let Ok(civil) = trimmed.replacen(' ', "T", 1).parse::<DateTime>() {
        civil
            .to_zoned(zone.clone())
            .map_err(|_| format!("\"{shown}\" does not exist in {zone_name}; {how}"))?
            .timestamp()
    } else {
        return Err(format!("\"{shown}\" is not a moment; {how}"));
    };
    if at > now {
        return Err(format!(
            "\"{shown}\" is in the future (it is {} now): give the moment the report actually reached you",
            now.to_zoned(zone).strftime("%Y-%m-%d %H:%M %Z")
        ));
    }
    let oldest = now - jiff::SignedDuration::from_hours(24 * RECEIVED_DAYS_MAX);
    if at < oldest {
        return Err(format!(
            "\"{shown}\" is more than {RECEIVED_DAYS_MAX} days ago: every promise of such a report has long run out; check the year"
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_str;

    fn policy() -> Policy {
        let source = r#"
[project]
name = "Acme"
[[channels]]
kind = "web-form"
[[channels]]
kind = "chat"
platform = "Discord"
handle = "@security"
[[channels]]
kind = "pull-request"
[[channels]]
kind = "chat"
platform = "Matrix"
url = "https://matrix.to/#/#sec:example.org"
[response]
time_zone = "Europe/Berlin"
"#;
        let checked = parse_str(source, now());
        checked
            .policy
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    fn now() -> Timestamp {
        "2026-11-30T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_channel_is_one_the_policy_names_other_than_the_form() {
        let p = policy();
        assert_eq!(
            p.recordable_channels(),
            [ChannelKind::Chat, ChannelKind::PullRequest]
        );
        assert_eq!(channel(&p, "chat"), Ok(ChannelKind::Chat));
        assert_eq!(channel(&p, " Pull request "), Ok(ChannelKind::PullRequest));
        assert_eq!(channel(&p, "pull_request"), Ok(ChannelKind::PullRequest));
        let form = channel(&p, "web-form").unwrap_err();
        assert!(
            form.contains("in Postern already") && form.contains("chat, pull-request"),
            "{form}"
        );
        let phone = channel(&p, "phone").unwrap_err();
        assert!(phone.contains("names no phone channel"), "{phone}");
        let typo = channel(&p, "carrier pigeon").unwrap_err();
        assert!(
            typo.contains("\"carrier pigeon\" is not a kind of channel"),
            "{typo}"
        );
        assert!(channel(&p, "").unwrap_err().starts_with("name the channel"));
    }

    #[test]
    fn a_receipt_reads_with_an_offset_or_in_the_policys_zone() {
        let p = policy();
        let utc: Timestamp = "2026-11-30T09:12:00Z".parse().unwrap();
        assert_eq!(received_at(&p, "2026-11-30T09:12:00Z", now()), Ok(utc));
        assert_eq!(received_at(&p, "2026-11-30T10:12:00+01:00", now()), Ok(utc));
        // Berlin is UTC+1 in November: the page's datetime-local and a typed time agree.
        assert_eq!(received_at(&p, "2026-11-30T10:12", now()), Ok(utc));
        assert_eq!(received_at(&p, " 2026-11-30 10:12 ", now()), Ok(utc));
        assert_eq!(received_at(&p, "2026-11-30 10:12:00", now()), Ok(utc));
    }

    #[test]
    fn clearly_bad_receipts_say_what_is_wrong() {
        let p = policy();
        let cases = [
            ("", "give the moment"),
            ("yesterday", "\"yesterday\" is not a moment"),
            ("2026-02-30 10:00", "is not a moment"),
            ("2026-11-29", "a date without a time of day"),
            (
                "2026-11-30T12:00:01Z",
                "is in the future (it is 2026-11-30 13:00 CET now)",
            ),
            ("2027-11-30 10:00", "is in the future"),
            ("2025-11-29T12:00:00Z", "more than 365 days ago"),
            ("1970-01-01T00:00:00Z", "more than 365 days ago"),
        ];
        for (text, expected) in cases {
            let error = received_at(&p, text, now()).unwrap_err();
            assert!(error.contains(expected), "{text:?}: {error}");
            assert!(
                error.contains("2026-11-30T09:12:00Z") || !expected.contains("not a moment"),
                "says how to write it: {error}"
            );
        }
        // At the limits: now itself, and exactly RECEIVED_DAYS_MAX days back.
        assert_eq!(received_at(&p, "2026-11-30T12:00:00Z", now()), Ok(now()));
        assert!(received_at(&p, "2025-11-30T12:00:00Z", now()).is_ok());
    }
}
