//! Turning a promised time span into a due moment: the arithmetic behind every clock.
//!
//! Hours are exact; days and weeks are calendar days in the policy's time zone (so a deadline
//! keeps its wall-clock time across a daylight-saving change); business days skip weekends and
//! the policy's holidays. A report that arrives outside business hours starts its business-day
//! clock at the start of the next business day.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan as _, Zoned};

use crate::policy::{ResponseTargets, TimeSpan, Unit};

/// The calendar a policy's business days are counted in.
#[derive(Debug, Clone)]
pub struct Calendar {
    time_zone: TimeZone,
    holidays: Vec<Date>,
}

impl Calendar {
    /// The calendar of a policy's response targets. The time zone was checked when the policy
    /// was parsed; an unknown one (impossible for a checked policy) falls back to UTC.
    pub fn of(response: &ResponseTargets) -> Calendar {
        Calendar {
            time_zone: TimeZone::get(&response.time_zone).unwrap_or(TimeZone::UTC),
            holidays: response.holidays.clone(),
        }
    }

    /// A calendar from parts, for tests and for callers without a policy.
    pub fn new(time_zone: TimeZone, holidays: Vec<Date>) -> Calendar {
        Calendar {
            time_zone,
            holidays,
        }
    }

    /// Whether a date is a business day: Monday to Friday and not a holiday.
    pub fn is_business_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.holidays.contains(&date)
    }

    /// The time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    fn next_business_day(&self, mut date: Date) -> Date {
        // A holiday list cannot make every day a holiday for long: the list is finite, so this
        // ends within its length plus a weekend.
        loop {
            date = date.tomorrow().unwrap_or(date);
            if self.is_business_day(date) || date == Date::MAX {
                return date;
            }
        }
    }

    /// The moment `span` after `start`.
    pub fn due(&self, start: Timestamp, span: TimeSpan) -> Timestamp {
        let amount = i64::from(span.amount);
        let zoned = start.to_zoned(self.time_zone.clone());
        let result = match span.unit {
            Unit::Hours => start
                .checked_add(SignedDuration::from_hours(amount))
                .ok()
                .map(|t| t.to_zoned(self.time_zone.clone())),
            Unit::Days => zoned.checked_add(amount.days()).ok(),
            Unit::Weeks => zoned.checked_add((amount * 7).days()).ok(),
            Unit::BusinessDays => Some(self.add_business_days(&zoned, span.amount)),
        };
        result.map_or(Timestamp::MAX, |z| z.timestamp())
    }

    fn add_business_days(&self, start: &Zoned, amount: u32) -> Zoned {
        let (mut date, time) = if self.is_business_day(start.date()) {
            (start.date(), start.time())
        } else {
            // Received on a weekend or holiday: the clock starts at the next business morning.
            (
                self.next_business_day(start.date()),
                jiff::civil::Time::midnight(),
            )
        };
        for _ in 0..amount {
            date = self.next_business_day(date);
        }
        // A wall-clock time skipped by a DST change resolves to the later instant.
        date.to_datetime(time)
            .to_zoned(self.time_zone.clone())
            .unwrap_or_else(|_| start.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn span(amount: u32, unit: Unit) -> TimeSpan {
        TimeSpan { amount, unit }
    }

    fn berlin(holidays: Vec<Date>) -> Calendar {
        Calendar::new(TimeZone::get("Europe/Berlin").unwrap(), holidays)
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let cal = berlin(vec![jiff::civil::date(2026, 12, 25)]);
        // Friday 2026-11-27 16:00 Berlin: one business day later is Monday 16:00.
        let friday = at("2026-11-27T15:00:00Z");
        assert_eq!(
            cal.due(friday, span(1, Unit::BusinessDays)),
            at("2026-11-30T15:00:00Z")
        );
        // Thursday 24 December: Friday is a holiday, so one business day is Monday the 28th.
        let eve = at("2026-12-24T09:00:00Z");
        assert_eq!(
            cal.due(eve, span(1, Unit::BusinessDays)),
            at("2026-12-28T09:00:00Z")
        );
        // Saturday: the clock starts Monday 00:00 Berlin; one business day ends Tuesday 00:00.
        let saturday = at("2026-11-28T12:00:00Z");
        assert_eq!(
            cal.due(saturday, span(1, Unit::BusinessDays)),
            at("2026-11-30T23:00:00Z")
        );
    }

    #[test]
    fn calendar_days_keep_wall_clock_time_across_dst() {
        let cal = berlin(Vec::new());
        // 2027-03-28 Berlin springs forward. 09:00 CET on the 27th = 08:00Z;
        // one day later is 09:00 CEST = 07:00Z: 23 hours, same wall-clock time.
        let start = at("2027-03-27T08:00:00Z");
        assert_eq!(
            cal.due(start, span(1, Unit::Days)),
            at("2027-03-28T07:00:00Z")
        );
        // Hours are exact, whatever the clock on the wall says.
        assert_eq!(
            cal.due(start, span(24, Unit::Hours)),
            at("2027-03-28T08:00:00Z")
        );
        assert_eq!(
            cal.due(start, span(1, Unit::Weeks)),
            at("2027-04-03T07:00:00Z")
        );
    }

    proptest! {
        #[test]
        fn business_day_deadlines_never_land_on_a_weekend_or_holiday(
            seconds in 1_700_000_000i64..1_900_000_000,
            amount in 1u32..30,
            holiday_offsets in proptest::collection::vec(0i64..60, 0..8),
        ) {
            let start = Timestamp::from_second(seconds).unwrap();
            let first = start.to_zoned(TimeZone::get("Europe/Berlin").unwrap()).date();
            let holidays: Vec<Date> = holiday_offsets
                .iter()
                .map(|d| first.checked_add(d.days()).unwrap())
                .collect();
            let cal = berlin(holidays.clone());
            let due = cal.due(start, span(amount, Unit::BusinessDays));
            let due_date = due.to_zoned(cal.time_zone().clone()).date();
            prop_assert!(cal.is_business_day(due_date), "{due_date} is not a business day");
            prop_assert!(due > start);
            // Exactly `amount` business days elapse: counted after the start day when the
            // report arrived on a business day, else from the next business morning up to the
            // (midnight) due date.
            let business_days_in = |from: Date, to: Date| {
                let mut d = from;
                let mut count = 0;
                while d < to {
                    if cal.is_business_day(d) { count += 1; }
                    d = d.tomorrow().unwrap();
                }
                count
            };
            let count = if cal.is_business_day(first) {
                business_days_in(first.tomorrow().unwrap(), due_date.tomorrow().unwrap())
            } else {
                business_days_in(first, due_date)
            };
            prop_assert_eq!(count, amount);
        }

        #[test]
        fn deadlines_are_monotonic_in_the_amount(seconds in 1_700_000_000i64..1_900_000_000, amount in 1u32..100, unit in 0usize..4) {
            let unit = [Unit::Hours, Unit::Days, Unit::BusinessDays, Unit::Weeks][unit];
            let cal = berlin(Vec::new());
            let start = Timestamp::from_second(seconds).unwrap();
            prop_assert!(cal.due(start, span(amount, unit)) < cal.due(start, span(amount + 1, unit)));
        }
    }
}
