//! Public response statistics: how fast a project answered and fixed, and how many of its
//! promised deadlines it met. Times are measured from each report's audit events, whether or
//! not the policy promised anything for that stage; shares come from the clocks (which only
//! audited team actions move). A promise with no set time has no share: it counts as the time
//! it took to keep. No figure is shown from fewer than `REPORTS_MIN` reports, so
//! that a figure cannot be traced back to one report.

use jiff::{SignedDuration, Timestamp};

use crate::clock::{ClockKind, Clocks, Outcome};
use crate::policy::Severity;

/// Fewest reports behind a published figure.
pub const REPORTS_MIN: usize = 3;

/// How many days back the statistics look, counted from the start of today (UTC).
pub const WINDOW_DAYS: i64 = 365;

/// The first moment the statistics count: 00:00 UTC, `WINDOW_DAYS` days before today. A report
/// received at exactly this moment counts (the window includes its start), and the window
/// keeps its start all day, so a page read later the same day counts the same reports.
pub fn window_start(now: Timestamp) -> Timestamp {
    let day_start = now.as_second() - now.as_second().rem_euclid(86_400);
    Timestamp::from_second(day_start - WINDOW_DAYS * 86_400).unwrap_or(Timestamp::MIN)
}

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

/// When a report reached each stage, from its audit events, whether or not the policy promised
/// a time for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Milestones {
    /// First answer: acknowledged, accepted or closed, whichever came first.
    pub acknowledged_at: Option<Timestamp>,
    /// First assessment: accepted or closed.
    pub triaged_at: Option<Timestamp>,
    /// Marked fixed.
    pub fixed_at: Option<Timestamp>,
}

impl Milestones {
    /// The audit actions the milestones are read from.
    pub const ACTIONS: [&'static str; 4] = [
        "report.acknowledged",
        "report.accepted",
        "report.closed",
        "report.fixed",
    ];

    /// From a report's audit events as (action, moment), in any order: the first of each stage.
    pub fn from_events<'a>(events: impl IntoIterator<Item = (&'a str, Timestamp)>) -> Milestones {
        let first = |slot: &mut Option<Timestamp>, at: Timestamp| {
            *slot = Some(slot.map_or(at, |t| t.min(at)));
        };
        let mut m = Milestones::default();
        for (action, at) in events {
            match action {
                "report.acknowledged" => first(&mut m.acknowledged_at, at),
                "report.accepted" | "report.closed" => {
                    first(&mut m.acknowledged_at, at);
                    first(&mut m.triaged_at, at);
                }
                "report.fixed" => first(&mut m.fixed_at, at),
                _ => {}
            }
        }
        m
    }
}

/// One report as the statistics see it.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Its times, severity and clocks.
    pub facts: ReportFacts,
    /// When it reached each stage.
    pub milestones: Milestones,
}

/// A duration figure over some reports; `None` values are withheld (too few reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durations {
    /// Reports measured.
    pub count: usize,
    /// The median (the mean of the two middle values for an even count), when at least
    /// `REPORTS_MIN` reports were measured.
    pub median: Option<SignedDuration>,
    /// The 90th percentile (nearest rank), likewise.
    pub p90: Option<SignedDuration>,
}

/// How one kind of promise fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    /// Which promise.
    pub kind: ClockKind,
    /// Promises with a time decided: met, or missed (kept late, or past their limit and still
    /// not kept).
    pub resolved: usize,
    /// Of those, the ones missed.
    pub missed: usize,
    /// The share met, in percent, when at least `REPORTS_MIN` were decided.
    pub met_percent: Option<u32>,
    /// Promises with no set time that were kept: how long each took from its start. They are
    /// neither met nor missed.
    pub untimed: Durations,
}

/// One project's statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Reports received in the period.
    pub reports: usize,
    /// From receipt to the first answer.
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
    let enough = count >= REPORTS_MIN;
    let median = enough.then(|| {
        if count % 2 == 1 {
            values[count / 2]
        } else {
            let (low, high) = (values[count / 2 - 1], values[count / 2]);
            low + (high - low) / 2
        }
    });
    // Nearest rank: the smallest value with at least 90 % of the values at or below it.
    let p90 = enough.then(|| values[(count * 9).div_ceil(10).clamp(1, count) - 1]);
    Durations { count, median, p90 }
}

/// Whether a clock is decided at `now`, and whether it was met.
fn decided(clock: &crate::clock::Clock, now: Timestamp) -> Option<bool> {
    match clock.outcome {
        Some(Outcome::Met) => Some(true),
        Some(Outcome::Missed) => Some(false),
        Some(Outcome::Cancelled) => None,
        // Kept with no set time: neither met nor missed.
        Some(Outcome::Kept) => None,
        // Past its limit, running and never kept: the promise is broken already.
        None => clock
            .limit_at()
            .filter(|limit| clock.paused_at.is_none() && now > *limit)
            .map(|_| false),
    }
}

/// Computes a project's statistics at `now` from its reports in the period.
pub fn compute(reports: &[Measured], now: Timestamp) -> Stats {
    let since =
        |m: &Measured, at: Option<Timestamp>| at.map(|at| at.duration_since(m.facts.received_at));
    let fix = Severity::ALL
        .iter()
        .map(|(_, severity)| {
            let values = reports
                .iter()
                .filter(|m| m.facts.severity == Some(*severity))
                .filter_map(|m| since(m, m.milestones.fixed_at))
                .collect();
            (*severity, durations(values))
        })
        .collect();
    let kept = ClockKind::ALL
        .into_iter()
        .map(|kind| {
            let outcomes: Vec<bool> = reports
                .iter()
                .flat_map(|m| &m.facts.clocks.0)
                .filter(|c| c.kind == kind)
                .filter_map(|c| decided(c, now))
                .collect();
            let resolved = outcomes.len();
            let met = outcomes.iter().filter(|met| **met).count();
            let untimed = reports
                .iter()
                .flat_map(|m| &m.facts.clocks.0)
                .filter(|c| c.kind == kind && c.outcome == Some(Outcome::Kept))
                .map(|c| c.age(now))
                .collect();
            Kept {
                kind,
                resolved,
                missed: resolved - met,
                met_percent: (resolved >= REPORTS_MIN)
                    .then(|| ((met * 100 + resolved / 2) / resolved) as u32),
                untimed: durations(untimed),
            }
        })
        .collect();
    Stats {
        reports: reports.len(),
        acknowledge: durations(
            reports
                .iter()
                .filter_map(|m| since(m, m.milestones.acknowledged_at))
                .collect(),
        ),
        triage: durations(
            reports
                .iter()
                .filter_map(|m| since(m, m.milestones.triaged_at))
                .collect(),
        ),
        fix,
        kept,
    }
}

/// What the statistics need of one dependency finding: its times and severity, never what or
/// where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingFacts {
    /// Its severity, if the scanner rated it.
    pub severity: Option<Severity>,
    /// When an import first saw it.
    pub first_seen_at: Timestamp,
    /// When it was closed as fixed (gone from a later import), if it is now.
    pub fixed_at: Option<Timestamp>,
    /// Its fix deadline, if the policy set one (kept once it is fixed).
    pub due_at: Option<Timestamp>,
    /// Whether it is open now (neither fixed nor decided by the team).
    pub open: bool,
}

/// How fast a project's dependency findings were fixed, and how many fix deadlines it kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingStats {
    /// Findings first seen in the period.
    pub findings: usize,
    /// Of those, fixed by now.
    pub fixed: usize,
    /// From first seen to fixed, per severity (most severe first).
    pub fix: Vec<(Severity, Durations)>,
    /// Fix deadlines decided: met (fixed by the deadline) or missed (fixed later, or open past
    /// it). Accepted risks and false positives stop their deadline and are not counted.
    pub resolved: usize,
    /// Of those, the ones missed.
    pub missed: usize,
    /// The share met, in percent, when at least `REPORTS_MIN` were decided.
    pub met_percent: Option<u32>,
}

/// Computes a project's dependency-finding statistics at `now` from the findings first seen in
/// the period, with the same rules as reports' (medians, withholding, met and missed).
pub fn compute_findings(findings: &[FindingFacts], now: Timestamp) -> FindingStats {
    let fix = Severity::ALL
        .iter()
        .map(|(_, severity)| {
            let values = findings
                .iter()
                .filter(|f| f.severity == Some(*severity))
                .filter_map(|f| f.fixed_at.map(|at| at.duration_since(f.first_seen_at)))
                .collect();
            (*severity, durations(values))
        })
        .collect();
    let outcomes: Vec<bool> = findings
        .iter()
        .filter_map(|f| {
            let due = f.due_at?;
            match f.fixed_at {
                Some(fixed) => Some(fixed <= due),
                None if f.open && now > due => Some(false),
                None => None,
            }
        })
        .collect();
    let resolved = outcomes.len();
    let met = outcomes.iter().filter(|met| **met).count();
    FindingStats {
        findings: findings.len(),
        fixed: findings.iter().filter(|f| f.fixed_at.is_some()).count(),
        fix,
        resolved,
        missed: resolved - met,
        met_percent: (resolved >= REPORTS_MIN)
            .then(|| ((met * 100 + resolved / 2) / resolved) as u32),
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

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn policy(response: &str) -> crate::policy::Policy {
        let text = format!(
            "[project]\nname = \"Acme\"\n\n[[channels]]\nkind = \"web-form\"\n\n[response]\ntime_zone = \"UTC\"\n{response}\n[severity.high]\nfix = \"14 days\"\n"
        );
        crate::policy::parse_str(&text, at("2026-01-01T00:00:00Z"))
            .policy
            .unwrap()
    }

    /// A report's history: the case after each action, and the audit events it wrote.
    struct History {
        case: Case,
        events: Vec<(&'static str, Timestamp)>,
        received: Timestamp,
    }

    impl History {
        fn new(policy: &crate::policy::Policy, received: Timestamp) -> History {
            History {
                case: Case::received(policy, received),
                events: Vec::new(),
                received,
            }
        }

        fn act(mut self, p: &crate::policy::Policy, action: Action, hours: i64) -> History {
            let when = self.received + SignedDuration::from_hours(hours);
            let applied = apply(&self.case, &action, p, when).unwrap();
            self.events.push((applied.event, when));
            self.case = applied.case;
            self
        }

        fn measured(&self) -> Measured {
            Measured {
                facts: ReportFacts {
                    received_at: self.received,
                    severity: self.case.severity,
                    clocks: self.case.clocks.clone(),
                },
                milestones: Milestones::from_events(self.events.iter().copied()),
            }
        }
    }

    fn accept() -> Action {
        Action::Accept(Rating {
            severity: Some(Severity::High),
            ..Rating::default()
        })
    }

    fn report(p: &crate::policy::Policy, hours_to_ack: i64, fix_days: Option<i64>) -> Measured {
        let mut h =
            History::new(p, at("2026-06-01T00:00:00Z")).act(p, Action::Acknowledge, hours_to_ack);
        if let Some(days) = fix_days {
            h = h.act(p, accept(), hours_to_ack).act(
                p,
                Action::Fixed(vec!["1.0.1".into()]),
                24 * days,
            );
        }
        h.measured()
    }

    fn kept(stats: &Stats, kind: ClockKind) -> Kept {
        *stats.kept.iter().find(|k| k.kind == kind).unwrap()
    }

    #[test]
    fn medians_percentiles_and_shares_come_from_the_events_and_clocks() {
        let p = policy("acknowledge = \"48 hours\"\nassess = \"5 days\"");
        let facts = vec![
            report(&p, 2, Some(3)),
            report(&p, 10, Some(10)),
            report(&p, 30, Some(20)),
            report(&p, 60, None),
        ];
        let stats = compute(&facts, at("2026-12-01T00:00:00Z"));
        assert_eq!(stats.reports, 4);
        assert_eq!(stats.acknowledge.count, 4);
        // The usual median of an even count: the mean of 10 h and 30 h.
        assert_eq!(
            stats.acknowledge.median,
            Some(SignedDuration::from_hours(20))
        );
        assert_eq!(stats.acknowledge.p90, Some(SignedDuration::from_hours(60)));
        let ack = kept(&stats, ClockKind::Acknowledge);
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
        let fix = kept(&stats, ClockKind::Fix);
        assert_eq!(
            (fix.resolved, fix.met_percent),
            (3, Some(67)),
            "fix in 14 days: 2 of 3"
        );
        // The report never assessed is 5 days past its limit by now: missed, not left out.
        let assess = kept(&stats, ClockKind::Assess);
        assert_eq!((assess.resolved, assess.missed), (4, 1));
        // Fewer than three: withheld.
        let few = compute(&facts[..2], at("2026-12-01T00:00:00Z"));
        assert_eq!(few.acknowledge.median, None);
        assert_eq!(few.kept[0].met_percent, None);
        assert_eq!(human(SignedDuration::from_mins(200)), "3 h 20 min");
        assert_eq!(human(SignedDuration::from_hours(52)), "2 days 4 h");
    }

    #[test]
    fn a_promise_past_its_limit_and_never_kept_counts_as_missed() {
        let p = policy("plan = \"1 week\"");
        let reports: Vec<Measured> = (0..3)
            .map(|_| {
                History::new(&p, at("2026-06-01T00:00:00Z"))
                    .act(&p, accept(), 24)
                    // Still being fixed: the plan can still be sent (a fixed report owes none).
                    .act(&p, Action::StartFix, 24 * 3)
                    .measured()
            })
            .collect();
        // Before the limit: nothing decided yet. After it: all three broken.
        let early = kept(
            &compute(&reports, at("2026-06-05T00:00:00Z")),
            ClockKind::Plan,
        );
        assert_eq!((early.resolved, early.met_percent), (0, None));
        let late = kept(
            &compute(&reports, at("2026-06-09T00:00:00Z")),
            ClockKind::Plan,
        );
        assert_eq!(
            (late.resolved, late.missed, late.met_percent),
            (3, 3, Some(0))
        );
    }

    #[test]
    fn stages_are_measured_whether_or_not_they_were_promised() {
        // Only acknowledgement is promised; triage and fix still have times.
        let p = policy("acknowledge = \"48 hours\"");
        let p = crate::policy::Policy {
            severity: Vec::new(),
            ..p
        };
        let reports: Vec<Measured> = [5, 7, 9]
            .into_iter()
            .map(|hours| {
                History::new(&p, at("2026-06-01T00:00:00Z"))
                    .act(&p, accept(), hours)
                    .act(&p, Action::Fixed(vec!["1.0.1".into()]), 48)
                    .measured()
            })
            .collect();
        let stats = compute(&reports, at("2026-12-01T00:00:00Z"));
        assert_eq!(stats.triage.count, 3);
        assert_eq!(stats.triage.median, Some(SignedDuration::from_hours(7)));
        let (_, high) = stats
            .fix
            .iter()
            .find(|(s, _)| *s == Severity::High)
            .unwrap();
        assert_eq!(
            (high.count, high.median),
            (3, Some(SignedDuration::from_hours(48)))
        );
    }

    #[test]
    fn an_untimed_promise_counts_as_a_time_and_never_as_met_or_missed() {
        let p = policy("acknowledge = { untimed = true, says = \"within a reasonable time\" }");
        let reports: Vec<Measured> = [5, 30, 400]
            .into_iter()
            .map(|hours| {
                History::new(&p, at("2026-06-01T00:00:00Z"))
                    .act(&p, Action::Acknowledge, hours)
                    .measured()
            })
            .chain([History::new(&p, at("2026-06-01T00:00:00Z")).measured()])
            .collect();
        let ack = kept(
            &compute(&reports, at("2026-12-01T00:00:00Z")),
            ClockKind::Acknowledge,
        );
        // Neither kept nor never-kept ones enter a share, however long they ran.
        assert_eq!((ack.resolved, ack.missed, ack.met_percent), (0, 0, None));
        assert_eq!(
            ack.untimed.count, 3,
            "the one still waiting has no time yet"
        );
        assert_eq!(ack.untimed.median, Some(SignedDuration::from_hours(30)));
        assert_eq!(ack.untimed.p90, Some(SignedDuration::from_hours(400)));
        let timed = kept(
            &compute(&reports, at("2026-12-01T00:00:00Z")),
            ClockKind::Assess,
        );
        assert_eq!(timed.untimed.count, 0);
    }

    #[test]
    fn the_window_starts_at_midnight_and_includes_its_start() {
        let start = window_start(at("2026-11-23T15:30:12.5Z"));
        assert_eq!(start, at("2025-11-23T00:00:00Z"));
        assert_eq!(window_start(at("2026-11-23T00:00:00Z")), start);
        assert_eq!(window_start(at("2026-11-23T23:59:59.999Z")), start);
    }

    /// A second, plain route to the same figures: a flat list of clock records and event
    /// times, a sorted list and the textbook median, no shared helper.
    #[test]
    fn a_second_simple_route_gives_the_same_figures() {
        let p = policy(
            "acknowledge = \"48 hours\"\nassess = \"5 days\"\nplan = \"1-2 weeks\"\nupdate_interval = \"7 days\"",
        );
        let now = at("2026-12-01T00:00:00Z");
        // A deterministic spread of histories: some kept, some late, some never answered.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as i64
        };
        let mut reports = Vec::new();
        for i in 0..40 {
            let received = at("2026-01-05T00:00:00Z") + SignedDuration::from_hours(24 * 7 * i);
            let mut h = History::new(&p, received);
            let ack = 1 + next(96);
            match next(5) {
                0 => {}
                1 => h = h.act(&p, Action::Acknowledge, ack),
                _ => {
                    let triage = ack + next(200);
                    h = h
                        .act(&p, Action::Acknowledge, ack)
                        .act(&p, accept(), triage);
                    if next(3) > 0 {
                        h = h.act(
                            &p,
                            Action::Fixed(vec!["1.0.1".into()]),
                            triage + 1 + next(600),
                        );
                    }
                }
            }
            reports.push(h);
        }
        let stats = compute(
            &reports.iter().map(History::measured).collect::<Vec<_>>(),
            now,
        );

        // Route two: flat records.
        struct ClockRecord {
            kind: ClockKind,
            limit: Timestamp,
            kept: Option<Timestamp>,
            cancelled: bool,
        }
        let records: Vec<ClockRecord> = reports
            .iter()
            .flat_map(|h| &h.case.clocks.0)
            .map(|c| ClockRecord {
                kind: c.kind,
                limit: c.limit_at().expect("every promise here is timed"),
                kept: c.resolved_at,
                cancelled: c.outcome == Some(Outcome::Cancelled),
            })
            .collect();
        for kind in ClockKind::ALL {
            let (mut met, mut missed) = (0usize, 0usize);
            for r in records.iter().filter(|r| r.kind == kind && !r.cancelled) {
                match r.kept {
                    Some(t) if t <= r.limit => met += 1,
                    Some(_) => missed += 1,
                    None if now > r.limit => missed += 1,
                    None => {}
                }
            }
            let k = kept(&stats, kind);
            assert_eq!((k.resolved, k.missed), (met + missed, missed), "{kind:?}");
            if met + missed >= REPORTS_MIN {
                let percent = (100.0 * met as f64 / (met + missed) as f64).round() as u32;
                assert_eq!(k.met_percent, Some(percent), "{kind:?}");
            }
        }
        let median = |mut hours: Vec<f64>| -> Option<SignedDuration> {
            if hours.len() < REPORTS_MIN {
                return None;
            }
            hours.sort_by(f64::total_cmp);
            let n = hours.len();
            let m = if n % 2 == 1 {
                hours[n / 2]
            } else {
                (hours[n / 2 - 1] + hours[n / 2]) / 2.0
            };
            Some(SignedDuration::from_secs_f64(m * 3600.0))
        };
        let first = |h: &History, names: &[&str]| {
            h.events
                .iter()
                .filter(|(e, _)| names.contains(e))
                .map(|(_, t)| *t)
                .min()
        };
        let hours_to = |names: &[&str]| -> Vec<f64> {
            reports
                .iter()
                .filter_map(|h| {
                    first(h, names).map(|t| t.duration_since(h.received).as_secs_f64() / 3600.0)
                })
                .collect()
        };
        let acked = hours_to(&["report.acknowledged", "report.accepted", "report.closed"]);
        assert_eq!(stats.acknowledge.count, acked.len());
        assert_eq!(stats.acknowledge.median, median(acked));
        let triaged = hours_to(&["report.accepted", "report.closed"]);
        assert!(triaged.len() > REPORTS_MIN, "the spread triages some");
        assert_eq!(stats.triage.count, triaged.len());
        assert_eq!(stats.triage.median, median(triaged));
        let fixed = hours_to(&["report.fixed"]);
        let (_, high) = stats
            .fix
            .iter()
            .find(|(s, _)| *s == Severity::High)
            .unwrap();
        assert_eq!(high.count, fixed.len());
        assert_eq!(high.median, median(fixed));
        assert!(
            stats
                .kept
                .iter()
                .any(|k| k.missed > 0 && k.resolved > k.missed),
            "the spread both keeps and breaks promises"
        );
    }

    #[test]
    fn dependency_findings_count_fix_times_and_deadlines_like_reports() {
        let t0: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        let day = SignedDuration::from_hours(24);
        let finding = |days_to_fix: Option<i64>, due_days: Option<i64>, open: bool| FindingFacts {
            severity: Some(Severity::Critical),
            first_seen_at: t0,
            fixed_at: days_to_fix.map(|d| t0 + day * d as i32),
            due_at: due_days.map(|d| t0 + day * d as i32),
            open,
        };
        let findings = [
            finding(Some(2), Some(7), false),
            finding(Some(4), Some(7), false),
            finding(Some(9), Some(7), false),
            // Open past its deadline: missed already.
            finding(None, Some(7), true),
            // Open within its deadline, and an accepted risk: not counted.
            finding(None, Some(30), true),
            finding(None, Some(7), false),
        ];
        let s = compute_findings(&findings, t0 + day * 10);
        assert_eq!((s.findings, s.fixed), (6, 3));
        assert_eq!((s.resolved, s.missed, s.met_percent), (4, 2, Some(50)));
        let critical = s
            .fix
            .iter()
            .find(|(sev, _)| *sev == Severity::Critical)
            .unwrap()
            .1;
        assert_eq!((critical.count, critical.median), (3, Some(day * 4)));
        // Too few to show.
        let s = compute_findings(&findings[..2], t0 + day * 10);
        assert_eq!(s.met_percent, None);
    }
}
