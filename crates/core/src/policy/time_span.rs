//! Durations as a policy writes them: "24 hours", "1 business day", "1-2 weeks".
//!
//! A span keeps its unit, because "2 business days" is not a fixed number of hours: only the
//! deadline arithmetic, given a time zone and holidays, can turn it into a moment.

use std::fmt;

use serde::{Serialize, Serializer};

/// Unit of a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Clock hours.
    Hours,
    /// Calendar days.
    Days,
    /// Business days in the policy's time zone, skipping weekends and holidays.
    BusinessDays,
    /// Calendar weeks.
    Weeks,
}

impl Unit {
    fn name(self, amount: u32) -> &'static str {
        match (self, amount == 1) {
            (Unit::Hours, true) => "hour",
            (Unit::Hours, false) => "hours",
            (Unit::Days, true) => "day",
            (Unit::Days, false) => "days",
            (Unit::BusinessDays, true) => "business day",
            (Unit::BusinessDays, false) => "business days",
            (Unit::Weeks, true) => "week",
            (Unit::Weeks, false) => "weeks",
        }
    }

    /// Nominal length in hours, for ordering checks only. A business day counts as 24 hours:
    /// the shortest it can be, so that ordering warnings are never false alarms.
    fn nominal_hours(self) -> u64 {
        match self {
            Unit::Hours => 1,
            Unit::Days | Unit::BusinessDays => 24,
            Unit::Weeks => 24 * 7,
        }
    }
}

/// An amount of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeSpan {
    /// How many units; at least 1.
    pub amount: u32,
    /// Which unit.
    pub unit: Unit,
}

/// The longest span a policy may write: ten years. Longer is a typo.
pub const TIME_SPAN_DAYS_MAX: u64 = 3653;

impl TimeSpan {
    /// Nominal hours, for comparing spans of different units.
    pub fn nominal_hours(self) -> u64 {
        u64::from(self.amount) * self.unit.nominal_hours()
    }
}

impl fmt::Display for TimeSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit.name(self.amount))
    }
}

impl Serialize for TimeSpan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A promised time: one span, or a range where the policy says "1-2 weeks".
///
/// The lower end is the target the team aims for; the upper end is the limit it promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// What the team aims for.
    pub target: TimeSpan,
    /// The latest it promised; equal to `target` for a single span.
    pub limit: TimeSpan,
}

impl Target {
    /// Whether this was written as a range.
    pub fn is_range(&self) -> bool {
        self.target != self.limit
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_range() {
            return self.target.fmt(f);
        }
        if self.target.unit == self.limit.unit {
            write!(
                f,
                "{}-{} {}",
                self.target.amount,
                self.limit.amount,
                self.limit.unit.name(self.limit.amount)
            )
        } else {
            write!(f, "{} to {}", self.target, self.limit)
        }
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What to write instead, quoted in every parse error.
pub const TIME_SPAN_HELP: &str =
    "write a duration such as \"48 hours\", \"7 days\", \"1 business day\" or \"2 weeks\"";

fn parse_unit(word: &str) -> Option<Unit> {
    let unit = match word.to_ascii_lowercase().as_str() {
        "h" | "hour" | "hours" => Unit::Hours,
        "d" | "day" | "days" | "calendar day" | "calendar days" => Unit::Days,
        "bd" | "business day" | "business days" | "working day" | "working days" => {
            Unit::BusinessDays
        }
        "w" | "week" | "weeks" => Unit::Weeks,
        _ => return None,
    };
    Some(unit)
}

fn parse_amount(text: &str) -> Result<u32, String> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a whole number; {TIME_SPAN_HELP}"));
    }
    let amount: u32 = text
        .parse()
        .map_err(|_| format!("`{text}` is too large; {TIME_SPAN_HELP}"))?;
    if amount == 0 {
        return Err(format!(
            "a duration of zero promises nothing; {TIME_SPAN_HELP}"
        ));
    }
    Ok(amount)
}

/// Splits "48 hours" or "48h" into amount and unit word.
fn split_amount(text: &str) -> (&str, &str) {
    let text = text.trim();
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    (&text[..end], text[end..].trim())
}

fn checked_span(amount: u32, unit: Unit) -> Result<TimeSpan, String> {
    let span = TimeSpan { amount, unit };
    if span.nominal_hours() > TIME_SPAN_DAYS_MAX * 24 {
        return Err(format!("{span} is longer than ten years; {TIME_SPAN_HELP}"));
    }
    Ok(span)
}

/// Parses a single span: "48 hours", "1 business day", "2w".
pub fn parse_time_span(text: &str) -> Result<TimeSpan, String> {
    let (amount, unit_word) = split_amount(text);
    if amount.is_empty() {
        return Err(format!(
            "`{}` is not a duration; {TIME_SPAN_HELP}",
            text.trim()
        ));
    }
    let amount = parse_amount(amount)?;
    let unit = parse_unit(unit_word).ok_or_else(|| unit_error(unit_word))?;
    checked_span(amount, unit)
}

fn unit_error(word: &str) -> String {
    if word.is_empty() {
        format!("a duration needs a unit; {TIME_SPAN_HELP}")
    } else {
        format!(
            "`{word}` is not a unit (use hours, days, business days or weeks); {TIME_SPAN_HELP}"
        )
    }
}

/// Parses a target: a span, or a range "1-2 weeks", "1 to 2 weeks", "48 hours to 1 week".
pub fn parse_target(text: &str) -> Result<Target, String> {
    let trimmed = text.trim();
    let range = trimmed
        .split_once(" to ")
        .or_else(|| trimmed.split_once('-'))
        .or_else(|| trimmed.split_once('–'));
    if let Some((low, high)) = range
        && (low.trim().is_empty() || high.trim().is_empty())
    {
        return Err(format!(
            "`{trimmed}` is not a duration or a range; {TIME_SPAN_HELP}, or a range such as \"1-2 weeks\""
        ));
    }
    let Some((low, high)) = range else {
        let span = parse_time_span(trimmed)?;
        return Ok(Target {
            target: span,
            limit: span,
        });
    };
    let limit = parse_time_span(high)?;
    let (low_amount, low_unit) = split_amount(low);
    let target = if low_unit.is_empty() {
        checked_span(parse_amount(low_amount)?, limit.unit)?
    } else {
        parse_time_span(low)?
    };
    if target.nominal_hours() > limit.nominal_hours() {
        return Err(format!(
            "the range starts after it ends ({target} > {limit}); write the shorter time first"
        ));
    }
    Ok(Target { target, limit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn span(amount: u32, unit: Unit) -> TimeSpan {
        TimeSpan { amount, unit }
    }

    #[test]
    fn parses_the_forms_policies_use() {
        assert_eq!(parse_time_span("48 hours"), Ok(span(48, Unit::Hours)));
        assert_eq!(parse_time_span("48h"), Ok(span(48, Unit::Hours)));
        assert_eq!(
            parse_time_span("1 business day"),
            Ok(span(1, Unit::BusinessDays))
        );
        assert_eq!(parse_time_span(" 2 Weeks "), Ok(span(2, Unit::Weeks)));
        let range = parse_target("1-2 weeks").unwrap();
        assert_eq!(range.target, span(1, Unit::Weeks));
        assert_eq!(range.limit, span(2, Unit::Weeks));
        assert_eq!(range.to_string(), "1-2 weeks");
        let mixed = parse_target("48 hours to 1 week").unwrap();
        assert_eq!(mixed.to_string(), "48 hours to 1 week");
        assert!(!parse_target("7 days").unwrap().is_range());
    }

    #[test]
    fn errors_say_what_to_write() {
        let err = parse_time_span("soon").unwrap_err();
        assert!(err.contains("\"48 hours\""), "{err}");
        assert!(parse_time_span("0 days").unwrap_err().contains("zero"));
        assert!(
            parse_time_span("3 fortnights")
                .unwrap_err()
                .contains("`fortnights`")
        );
        assert!(parse_time_span("12").unwrap_err().contains("needs a unit"));
        assert!(
            parse_target("3-1 weeks")
                .unwrap_err()
                .contains("shorter time first")
        );
        assert!(
            parse_time_span("99999 weeks")
                .unwrap_err()
                .contains("ten years")
        );
        assert!(
            parse_time_span("99999999999 days")
                .unwrap_err()
                .contains("too large")
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(amount in 1u32..400, unit in 0usize..4, upper in 0u32..50) {
            let unit = [Unit::Hours, Unit::Days, Unit::BusinessDays, Unit::Weeks][unit];
            let single = parse_target(&span(amount, unit).to_string()).unwrap();
            prop_assert_eq!(single.target, span(amount, unit));
            let range = Target { target: span(amount, unit), limit: span(amount + upper, unit) };
            prop_assert_eq!(parse_target(&range.to_string()).unwrap(), range);
        }

        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = parse_target(&text);
        }
    }
}
