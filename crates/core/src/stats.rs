//! Public response statistics: how fast a project answered and fixed, and how many of its
//! promised deadlines it met, from its reports' clocks (which only audited team actions move).
//! No figure is shown from fewer than `REPORTS_MIN` reports, so that a figure cannot be traced
//! back to one report.

use jiff::{SignedDuration, Timestamp};

use crate::clock::{ClockKind, Clocks, Outcome};
use crate::policy::Severity;

/// Fewest reports behind a published figure.
pub const REPORTS_MIN: usize = 3;

/// What the statistics need of one report: times only, no contents.
#[derive(Debug, Clone)]
pub struct ReportFacts {
    /// When it arrived.
    pub received_at: Timestamp,
    /// Its severity, once accepted.
    pub severity: Option<Severity>,
    /// Its clocks.
    pub clocks: Clocks,
}

/// A duration figure over some reports; `None` values are withheld (too few reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durations {
    /// Reports measured.
    pub count: usize,
    /// The median, when at least `REPORTS_MIN` reports were measured.
    pub median: Option<SignedDuration>,
    /// The 90th percentile, likewise.
    pub p90: Option<SignedDuration>,
}

/// How one kind of promise fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    /// Which promise.
    pub kind: ClockKind,
    /// Clocks resolved met or missed.
    pub resolved: usize,
    /// The share met, in percent, when at least `REPORTS_MIN` were resolved.
    pub met_percent: Option<u32>,
}

/// One project's statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Reports received in the period.
    pub reports: usize,
    /// From receipt to acknowledgement.
    pub acknowledge: Durations,
    /// From receipt to the first assessment (accepted or closed).
    pub triage: Durations,
    /// From receipt to the fix, per severity (most severe first).
    pub fix: Vec<(Severity, Durations)>,
    /// Each promise: the share met.
    pub kept: Vec<Kept>,
}

fn durations(mut values: Vec<SignedDuration>) -> Durations {
    values.sort();
    let count = values.len();
    let at = |q: f64| {
        (count >= REPORTS_MIN).then(|| {
            // Nearest rank: the smallest value with at least q of the values at or below it.
            let rank = ((q * count as f64).ceil() as usize).clamp(1, count);
            values[rank - 1]
        })
    };
    Durations {
        count,
        median: at(0.5),
        p90: at(0.9),
    }
}

/// When the latest clock of `kind` was kept (met or missed), if it was.
fn resolved_at(clocks: &Clocks, kind: ClockKind) -> Option<Timestamp> {
    clocks
        .0
        .iter()
        .find(|c| c.kind == kind && matches!(c.outcome, Some(Outcome::Met | Outcome::Missed)))
        .and_then(|c| c.resolved_at)
}

/// Computes a project's statistics from the facts of its reports in the period.
pub fn compute(facts: &[ReportFacts]) -> Stats {
    let since = |kind: ClockKind, f: &ReportFacts| {
        resolved_at(&f.clocks, kind).map(|at| at.duration_since(f.received_at))
    };
    let fix = Severity::ALL
        .iter()
        .map(|(_, severity)| {
            let values = facts
                .iter()
                .filter(|f| f.severity == Some(*severity))
                .filter_map(|f| since(ClockKind::Fix, f))
                .collect();
            (*severity, durations(values))
        })
        .collect();
    let kept = ClockKind::ALL
        .into_iter()
        .map(|kind| {
            let (mut met, mut resolved) = (0usize, 0usize);
            for clock in facts
                .iter()
                .flat_map(|f| &f.clocks.0)
                .filter(|c| c.kind == kind)
            {
                match clock.outcome {
                    Some(Outcome::Met) => {
                        met += 1;
                        resolved += 1;
                    }
                    Some(Outcome::Missed) => resolved += 1,
                    _ => {}
                }
            }
            Kept {
                kind,
                resolved,
                met_percent: (resolved >= REPORTS_MIN)
                    .then(|| ((met * 100 + resolved / 2) / resolved) as u32),
            }
        })
        .collect();
    Stats {
        reports: facts.len(),
        acknowledge: durations(
            facts
                .iter()
                .filter_map(|f| since(ClockKind::Acknowledge, f))
                .collect(),
        ),
        triage: durations(
            facts
                .iter()
                .filter_map(|f| since(ClockKind::Assess, f))
                .collect(),
        ),
        fix,
        kept,
    }
}

/// A duration as people read it: "3 h 20 min", "2 days 4 h".
pub fn human(d: SignedDuration) -> String {
    let minutes = d.as_secs().max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, h) => format!("{h} h {mins} min"),
        (1, h) => format!("1 day {h} h"),
        (d, h) => format!("{d} days {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Action, Case, Rating, apply};

    fn policy() -> crate::policy::Policy {
        let text = "[project]\nname = \"Acme\"\n\n[[channels]]\nkind = \"web-form\"\n\n[response]\ntime_zone = \"UTC\"\nacknowledge = \"48 hours\"\nassess = \"5 days\"\n\n[severity.high]\nfix = \"14 days\"\n";
        crate::policy::parse_str(text, "2026-01-01T00:00:00Z".parse().unwrap())
            .policy
            .unwrap()
    }

    fn report(
        policy: &crate::policy::Policy,
        hours_to_ack: i64,
        fix_days: Option<i64>,
    ) -> ReportFacts {
        let received: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let mut case = Case::received(policy, received);
        let ack = received + SignedDuration::from_hours(hours_to_ack);
        case = apply(&case, &Action::Acknowledge, policy, ack)
            .unwrap()
            .case;
        if let Some(days) = fix_days {
            let accept = Action::Accept(Rating {
                severity: Some(Severity::High),
                ..Rating::default()
            });
            case = apply(&case, &accept, policy, ack).unwrap().case;
            let fixed = Action::Fixed(vec!["1.0.1".into()]);
            case = apply(
                &case,
                &fixed,
                policy,
                received + SignedDuration::from_hours(24 * days),
            )
            .unwrap()
            .case;
        }
        ReportFacts {
            received_at: received,
            severity: case.severity,
            clocks: case.clocks,
        }
    }

    #[test]
    fn medians_percentiles_and_shares_come_from_the_clocks() {
        let p = policy();
        let facts = vec![
            report(&p, 2, Some(3)),
            report(&p, 10, Some(10)),
            report(&p, 30, Some(20)),
            report(&p, 60, None),
        ];
        let stats = compute(&facts);
        assert_eq!(stats.reports, 4);
        assert_eq!(stats.acknowledge.count, 4);
        assert_eq!(
            stats.acknowledge.median,
            Some(SignedDuration::from_hours(10))
        );
        assert_eq!(stats.acknowledge.p90, Some(SignedDuration::from_hours(60)));
        let ack = stats
            .kept
            .iter()
            .find(|k| k.kind == ClockKind::Acknowledge)
            .unwrap();
        assert_eq!(
            (ack.resolved, ack.met_percent),
            (4, Some(75)),
            "one of four missed 48 h"
        );
        let (_, high) = stats
            .fix
            .iter()
            .find(|(s, _)| *s == Severity::High)
            .unwrap();
        assert_eq!(high.median, Some(SignedDuration::from_hours(240)));
        let fix = stats
            .kept
            .iter()
            .find(|k| k.kind == ClockKind::Fix)
            .unwrap();
        assert_eq!(
            (fix.resolved, fix.met_percent),
            (3, Some(67)),
            "fix in 14 days: 2 of 3"
        );
        // Fewer than three: withheld.
        let few = compute(&facts[..2]);
        assert_eq!(few.acknowledge.median, None);
        assert_eq!(few.kept[0].met_percent, None);
        assert_eq!(human(SignedDuration::from_mins(200)), "3 h 20 min");
        assert_eq!(human(SignedDuration::from_hours(52)), "2 days 4 h");
    }
}
