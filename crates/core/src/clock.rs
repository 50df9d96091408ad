//! The policy's promises as running clocks. Each promise (acknowledge, assess, plan, update,
//! fix, release, disclose) becomes a clock when the event it is counted from happens (receipt,
//! acknowledgement or triage, as the policy says) and is known (a severity's deadlines once the
//! severity is), and is resolved when the promise is kept.
//!
//! A timed clock keeps two moments: the target the team aims for and the limit it promised
//! (equal unless the policy wrote a range such as "1-2 weeks"). Only the limit decides met or
//! missed. A clock counted from an earlier event than the one that made it known (a fix promised
//! "within 30 days of receipt" starts at triage) starts at that earlier moment. An untimed
//! promise ("within a reasonable time") has no moments: it runs, shows its age, and is kept,
//! never met or missed. Pausing stops a timed clock; resuming gives back exactly the time that
//! was left, so a paused clock resumes where it stopped. Pauses and extensions need a reason,
//! which the caller records in the audit log.
//!
//! A change of state settles what the new state can no longer keep (`ClockKind::can_be_kept_in`,
//! `Clocks::settle`): a fixed report owes no plan, a disclosed or closed one owes nothing. A
//! promise settled so is "no longer applies" (cancelled), unless its limit had passed already:
//! then it was broken, and is missed. A notice the change sends the reporter (work started,
//! fixed, public, closed) is an update, and keeps the update promise.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::deadline::Calendar;
use crate::lifecycle::{Closure, Transition};
use crate::policy::{Policy, Promise, Severity, Start, TimeSpan, Within};
use crate::report::ReportStatus;

/// Longest reason for a pause or an extension, in characters.
pub const REASON_CHARS_MAX: usize = 500;

/// Which promise a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Acknowledge receipt, from receipt.
    Acknowledge,
    /// Give a first assessment (accept or close), from receipt.
    Assess,
    /// Send the reporter a detailed plan, from receipt.
    Plan,
    /// The longest silence towards the reporter while the report is open.
    Update,
    /// Have a fix ready, from triage.
    Fix,
    /// Release the fix, from triage.
    Release,
    /// Disclose publicly, from triage.
    Disclose,
}

impl ClockKind {
    /// Every kind, in the order the lifecycle meets them.
    pub const ALL: [ClockKind; 7] = [
        ClockKind::Acknowledge,
        ClockKind::Assess,
        ClockKind::Plan,
        ClockKind::Update,
        ClockKind::Fix,
        ClockKind::Release,
        ClockKind::Disclose,
    ];

    /// The stored and command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ClockKind::Acknowledge => "acknowledge",
            ClockKind::Assess => "assess",
            ClockKind::Plan => "plan",
            ClockKind::Update => "update",
            ClockKind::Fix => "fix",
            ClockKind::Release => "release",
            ClockKind::Disclose => "disclose",
        }
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Option<ClockKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What keeps the promise, for people.
    pub fn describe(self) -> &'static str {
        match self {
            ClockKind::Acknowledge => "acknowledge the report",
            ClockKind::Assess => "give an initial assessment",
            ClockKind::Plan => "send a detailed plan",
            ClockKind::Update => "send the reporter an update",
            ClockKind::Fix => "have a fix ready",
            ClockKind::Release => "release the fix",
            ClockKind::Disclose => "disclose publicly",
        }
    }

    /// Whether the reporter is shown this clock (the others are the team's own work plan).
    pub fn concerns_reporter(self) -> bool {
        !matches!(self, ClockKind::Update)
    }

    /// Whether a promise of this kind can still be kept by a report in `status`. Once a report
    /// is fixed, only the updates to the reporter and the disclosure are still ahead (there is
    /// no plan to send for a fix that is done); once it is disclosed or closed, nothing is.
    pub fn can_be_kept_in(self, status: ReportStatus) -> bool {
        use ReportStatus as S;
        match status {
            S::Received | S::Acknowledged | S::Triaged | S::Fixing => true,
            S::Fixed => matches!(self, ClockKind::Update | ClockKind::Disclose),
            S::Disclosed | S::Closed => false,
        }
    }

    /// What starts this promise when the policy does not say: receipt for the response
    /// promises, triage for a severity's deadlines.
    pub fn default_start(self) -> Start {
        match self {
            ClockKind::Acknowledge | ClockKind::Assess | ClockKind::Plan | ClockKind::Update => {
                Start::Receipt
            }
            ClockKind::Fix | ClockKind::Release | ClockKind::Disclose => Start::Triage,
        }
    }
}

/// How a clock ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Kept by the limit.
    Met,
    /// Kept late, or not at all.
    Missed,
    /// No longer applies (the report was closed before the promise fell due).
    Cancelled,
    /// Kept, for a promise with no set time: neither met nor missed.
    Kept,
}

impl Outcome {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::Missed => "missed",
            Outcome::Cancelled => "cancelled",
            Outcome::Kept => "kept",
        }
    }
}

/// A non-empty reason of bounded length: pausing or extending a promise needs one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    /// Checks a reason; the error says what to write.
    pub fn parse(text: &str) -> Result<Reason, ClockError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ClockError(
                "give a reason: it is recorded in the audit log".into(),
            ));
        }
        if text.chars().count() > REASON_CHARS_MAX {
            return Err(ClockError(format!(
                "the reason is longer than {REASON_CHARS_MAX} characters"
            )));
        }
        Ok(Reason(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a clock operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockError(pub String);

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClockError {}

/// The two moments of a promise with a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// What the team aims for.
    pub target_at: Timestamp,
    /// What it promised; only this decides met or missed.
    pub limit_at: Timestamp,
}

/// One promise, running or resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// Which promise.
    pub kind: ClockKind,
    /// The policy's wording of the promise, such as "1-2 weeks" or "within a reasonable time".
    pub promised: String,
    /// The event it is counted from. `None` in clocks stored before a policy could say: those
    /// started at their kind's usual event (see `starts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted_from: Option<Start>,
    /// When it started: the moment of the event it is counted from.
    pub started_at: Timestamp,
    /// Its target and limit (stored beside the other fields, as they always were); `None` for a
    /// promise with no set time.
    #[serde(flatten)]
    pub due: Option<Due>,
    /// Set while paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<Timestamp>,
    /// Set once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    /// How it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// A clock's state at a moment, for display and ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    /// Running; the target is still ahead.
    OnTrack,
    /// Running, past the target but not the limit.
    PastTarget,
    /// Running, past the limit: the promise is being broken.
    Overdue,
    /// Running, with no set time.
    Running,
    /// Stopped with a reason.
    Paused,
    /// Ended.
    Resolved(Outcome),
}

impl ClockState {
    /// A short word for people and CSS classes.
    pub fn name(self) -> &'static str {
        match self {
            ClockState::OnTrack => "on track",
            ClockState::PastTarget => "past target",
            ClockState::Overdue => "overdue",
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Resolved(o) => o.name(),
        }
    }
}

impl Clock {
    /// Starts a clock for `promise` at `start`, the moment of the event it is counted from.
    pub fn start(
        kind: ClockKind,
        promise: &Promise,
        start: Timestamp,
        calendar: &Calendar,
    ) -> Clock {
        Clock {
            kind,
            promised: promise.within.to_string(),
            counted_from: Some(promise.starts),
            started_at: start,
            due: match promise.within {
                Within::Time(target) => Some(Due {
                    target_at: calendar.due(start, target.target),
                    limit_at: calendar.due(start, target.limit),
                }),
                Within::Untimed(_) => None,
            },
            paused_at: None,
            resolved_at: None,
            outcome: None,
        }
    }

    /// The event it is counted from.
    pub fn starts(&self) -> Start {
        self.counted_from.unwrap_or(self.kind.default_start())
    }

    /// What the team aims for; `None` for a promise with no set time.
    pub fn target_at(&self) -> Option<Timestamp> {
        self.due.map(|d| d.target_at)
    }

    /// What it promised; `None` for a promise with no set time.
    pub fn limit_at(&self) -> Option<Timestamp> {
        self.due.map(|d| d.limit_at)
    }

    /// Whether the clock still runs or is paused.
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    /// The state at `now`.
    pub fn state(&self, now: Timestamp) -> ClockState {
        match (self.outcome, self.paused_at, self.due) {
            (Some(outcome), _, _) => ClockState::Resolved(outcome),
            (None, Some(_), _) => ClockState::Paused,
            (None, None, None) => ClockState::Running,
            (None, None, Some(due)) if now > due.limit_at => ClockState::Overdue,
            (None, None, Some(due)) if now > due.target_at => ClockState::PastTarget,
            (None, None, Some(_)) => ClockState::OnTrack,
        }
    }

    /// How long the promise has been running at `now`, or ran until it was resolved (or
    /// paused): the figure an untimed promise is shown with.
    pub fn age(&self, now: Timestamp) -> SignedDuration {
        let until = self.resolved_at.or(self.paused_at).unwrap_or(now);
        until
            .duration_since(self.started_at)
            .max(SignedDuration::ZERO)
    }

    /// When the work queue should look at it: the limit of a running, timed clock.
    pub fn due_at(&self) -> Option<Timestamp> {
        self.due
            .filter(|_| self.is_open() && self.paused_at.is_none())
            .map(|d| d.limit_at)
    }

    fn refuse_untimed(&self, what: &str) -> Result<Due, ClockError> {
        self.due.ok_or_else(|| {
            ClockError(format!(
                "the {} promise has no set time: there is no limit to {what}",
                self.kind.name()
            ))
        })
    }

    fn refuse_closed(&self, what: &str) -> Result<(), ClockError> {
        if self.is_open() {
            Ok(())
        } else {
            Err(ClockError(format!(
                "cannot {what} the {} clock: it is {} already",
                self.kind.name(),
                self.outcome.map_or("resolved", Outcome::name)
            )))
        }
    }

    /// Stops the clock. The reason is the caller's to record.
    pub fn pause(&mut self, at: Timestamp, _reason: &Reason) -> Result<(), ClockError> {
        self.refuse_closed("pause")?;
        self.refuse_untimed("pause")?;
        if self.paused_at.is_some() {
            return Err(ClockError(format!(
                "the {} clock is paused already",
                self.kind.name()
            )));
        }
        self.paused_at = Some(at.max(self.started_at));
        Ok(())
    }

    /// Restarts a paused clock with exactly the time it had left.
    pub fn resume(&mut self, at: Timestamp, _reason: &Reason) -> Result<(), ClockError> {
        self.refuse_closed("resume")?;
        let Some(paused_at) = self.paused_at else {
            return Err(ClockError(format!(
                "the {} clock is not paused",
                self.kind.name()
            )));
        };
        let stopped = at.duration_since(paused_at).max(SignedDuration::ZERO);
        let later = |t: Timestamp| t.saturating_add(stopped).unwrap_or(Timestamp::MAX);
        self.due = self.due.map(|d| Due {
            target_at: later(d.target_at),
            limit_at: later(d.limit_at),
        });
        self.paused_at = None;
        Ok(())
    }

    /// Moves the limit (and a target that would be past it) later by `span`, counted in the
    /// policy's calendar from the current limit.
    pub fn extend(
        &mut self,
        span: TimeSpan,
        calendar: &Calendar,
        _reason: &Reason,
    ) -> Result<(), ClockError> {
        self.refuse_closed("extend")?;
        let due = self.refuse_untimed("extend")?;
        self.due = Some(Due {
            limit_at: calendar.due(due.limit_at, span),
            ..due
        });
        Ok(())
    }

    /// Ends the clock: met when kept by the limit, kept when it had no set time. A paused
    /// clock cannot be missed while paused, so it counts the time it had left at the pause.
    pub fn resolve(&mut self, at: Timestamp) -> Outcome {
        if let Some(outcome) = self.outcome {
            return outcome;
        }
        let kept_at = self.paused_at.map_or(at, |p| p.min(at));
        let outcome = match self.due {
            None => Outcome::Kept,
            Some(due) if kept_at <= due.limit_at => Outcome::Met,
            Some(_) => Outcome::Missed,
        };
        self.paused_at = None;
        self.resolved_at = Some(at);
        self.outcome = Some(outcome);
        outcome
    }

    /// Ends the clock as no longer applying. A clock already past its limit was broken, and
    /// stays so: it is resolved as missed.
    pub fn cancel(&mut self, at: Timestamp) -> Outcome {
        if let Some(outcome) = self.outcome {
            return outcome;
        }
        if self.state(at) == ClockState::Overdue {
            return self.resolve(at);
        }
        self.paused_at = None;
        self.resolved_at = Some(at);
        self.outcome = Some(Outcome::Cancelled);
        Outcome::Cancelled
    }
}

/// A report's clocks, oldest first. The update clock recurs: each update starts the next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Clocks(pub Vec<Clock>);

/// What happened to a report, as far as its clocks care.
#[derive(Debug, Clone, PartialEq)]
pub enum ClockEvent<'a> {
    /// The report arrived.
    Received,
    /// A lifecycle transition was applied.
    Transition(&'a Transition),
    /// The team wrote to the reporter; `is_plan` when the message is the promised plan.
    UpdateSent {
        /// The message is the detailed plan.
        is_plan: bool,
    },
}

/// The moments a report's promises can be counted from, as far as they had come before the
/// event being applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moments {
    /// When the report arrived.
    pub received_at: Timestamp,
    /// When the team first answered it (acknowledged, accepted or closed it), if it has.
    pub acknowledged_at: Option<Timestamp>,
}

/// Most clocks a report keeps; the recurring update clock is the only one that grows, and a
/// conversation is limited to 500 messages.
pub const CLOCKS_PER_REPORT_MAX: usize = 600;

impl Clocks {
    /// The open clock of a kind, if any.
    pub fn open(&self, kind: ClockKind) -> Option<&Clock> {
        self.0.iter().rev().find(|c| c.kind == kind && c.is_open())
    }

    fn open_mut(&mut self, kind: ClockKind) -> Option<&mut Clock> {
        self.0
            .iter_mut()
            .rev()
            .find(|c| c.kind == kind && c.is_open())
    }

    /// The latest clock of each kind (open or not), in lifecycle order: what people see.
    pub fn current(&self) -> Vec<&Clock> {
        ClockKind::ALL
            .into_iter()
            .filter_map(|kind| self.0.iter().rev().find(|c| c.kind == kind))
            .collect()
    }

    /// What `clock` (one of these) counts from, for people: the event its promise names, or
    /// for an update promise started again by an answer to the reporter, that answer.
    pub fn counted_from(&self, clock: &Clock) -> &'static str {
        let first = self.0.iter().find(|c| c.kind == clock.kind);
        if clock.kind == ClockKind::Update && first.is_some_and(|f| f != clock) {
            "the last update"
        } else {
            clock.starts().name()
        }
    }

    /// When the next running clock reaches its limit.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.0.iter().filter_map(Clock::due_at).min()
    }

    /// Whether any running clock is past its limit.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.next_due().is_some_and(|due| now > due)
    }

    /// Starts a clock for `promise` counted from `from`, unless one of its kind runs already.
    fn start(
        &mut self,
        kind: ClockKind,
        promise: Option<&Promise>,
        from: Timestamp,
        cal: &Calendar,
    ) {
        if let Some(promise) = promise
            && self.0.len() < CLOCKS_PER_REPORT_MAX
            && self.open(kind).is_none()
        {
            self.0.push(Clock::start(kind, promise, from, cal));
        }
    }

    /// Starts the response promises counted from `start`, which happened at `at`.
    fn start_response(&mut self, policy: &Policy, start: Start, at: Timestamp, cal: &Calendar) {
        let r = &policy.response;
        for (kind, promise) in [
            (ClockKind::Acknowledge, &r.acknowledge),
            (ClockKind::Assess, &r.assess),
            (ClockKind::Plan, &r.plan),
            (ClockKind::Update, &r.update_interval),
        ] {
            let promise = promise.as_ref().filter(|p| p.starts == start);
            self.start(kind, promise, at, cal);
        }
    }

    fn resolve(&mut self, kind: ClockKind, at: Timestamp) {
        if let Some(clock) = self.open_mut(kind) {
            clock.resolve(at);
        }
    }

    /// Settles, at `at`, every open clock that a report in `status` can no longer keep: as no
    /// longer applying, or as missed when its limit had passed already (`Clock::cancel`).
    /// Returns what was settled, and how, in the clocks' order.
    pub fn settle(&mut self, status: ReportStatus, at: Timestamp) -> Vec<(ClockKind, Outcome)> {
        self.0
            .iter_mut()
            .filter(|c| c.is_open() && !c.kind.can_be_kept_in(status))
            .map(|clock| (clock.kind, clock.cancel(at)))
            .collect()
    }

    /// Starts, resolves and cancels clocks for what happened at `at`, by `policy`'s promises;
    /// `moments` are the report's earlier events, which promises may be counted from.
    /// The transition is assumed legal (see `lifecycle::next_status`).
    pub fn apply(
        &mut self,
        policy: &Policy,
        event: &ClockEvent<'_>,
        moments: Moments,
        at: Timestamp,
    ) {
        let cal = Calendar::of(&policy.response);
        match event {
            ClockEvent::Received => self.start_response(policy, Start::Receipt, at, &cal),
            ClockEvent::UpdateSent { is_plan } => {
                self.restart_update(policy, at, &cal);
                if *is_plan {
                    self.resolve(ClockKind::Plan, at);
                }
            }
            ClockEvent::Transition(transition) => match transition {
                Transition::Acknowledge => {
                    self.resolve(ClockKind::Acknowledge, at);
                    self.restart_update(policy, at, &cal);
                    self.start_response(policy, Start::Acknowledgement, at, &cal);
                }
                Transition::Accept { severity } => {
                    // Accepting answers the reporter: it acknowledges (when nothing did
                    // before, so what counts from acknowledgement starts now) and assesses.
                    self.restart_update(policy, at, &cal);
                    if moments.acknowledged_at.is_none() {
                        self.start_response(policy, Start::Acknowledgement, at, &cal);
                    }
                    self.resolve(ClockKind::Acknowledge, at);
                    self.resolve(ClockKind::Assess, at);
                    self.start_response(policy, Start::Triage, at, &cal);
                    let Some(deadlines) = severity_deadlines(policy, *severity) else {
                        return;
                    };
                    for (kind, promise) in [
                        (ClockKind::Fix, &deadlines.fix),
                        (ClockKind::Release, &deadlines.release),
                        (ClockKind::Disclose, &deadlines.disclose),
                    ] {
                        let Some(promise) = promise else { continue };
                        // Known only now, but counted from the event the policy names.
                        let from = match promise.starts {
                            Start::Receipt => moments.received_at,
                            Start::Acknowledgement => moments.acknowledged_at.unwrap_or(at),
                            Start::Triage => at,
                        };
                        self.start(kind, Some(promise), from, &cal);
                    }
                }
                Transition::Close { closure, .. } => {
                    if *closure != Closure::Resolved {
                        // Closing tells the reporter the outcome: that is the answer owed.
                        self.resolve(ClockKind::Acknowledge, at);
                        self.resolve(ClockKind::Assess, at);
                    }
                    // The closing notice is the reporter's last update; nothing else is owed.
                    self.resolve(ClockKind::Update, at);
                    self.settle(ReportStatus::Closed, at);
                }
                // Its notice ("work on a fix has started") is an update to the reporter.
                Transition::StartFix => self.restart_update(policy, at, &cal),
                Transition::Fixed { .. } => {
                    // Fixed means released in the named versions.
                    self.resolve(ClockKind::Fix, at);
                    self.resolve(ClockKind::Release, at);
                    self.restart_update(policy, at, &cal);
                    self.settle(ReportStatus::Fixed, at);
                }
                Transition::Disclose => {
                    self.resolve(ClockKind::Disclose, at);
                    // The notice that the advisory is public is the last update owed.
                    self.resolve(ClockKind::Update, at);
                    self.settle(ReportStatus::Disclosed, at);
                }
            },
        }
    }

    /// Each answer to the reporter keeps the running update promise and starts the next one.
    fn restart_update(&mut self, policy: &Policy, at: Timestamp, cal: &Calendar) {
        let was_running = self.open(ClockKind::Update).is_some();
        self.resolve(ClockKind::Update, at);
        if was_running {
            self.start(
                ClockKind::Update,
                policy.response.update_interval.as_ref(),
                at,
                cal,
            );
        }
    }

    /// Pauses the open clock of `kind`.
    pub fn pause(
        &mut self,
        kind: ClockKind,
        at: Timestamp,
        reason: &Reason,
    ) -> Result<(), ClockError> {
        self.open_mut(kind)
            .ok_or_else(|| no_open(kind))?
            .pause(at, reason)
    }

    /// Resumes the paused clock of `kind`.
    pub fn resume(
        &mut self,
        kind: ClockKind,
        at: Timestamp,
        reason: &Reason,
    ) -> Result<(), ClockError> {
        self.open_mut(kind)
            .ok_or_else(|| no_open(kind))?
            .resume(at, reason)
    }

    /// Extends the open clock of `kind` by `span`.
    pub fn extend(
        &mut self,
        kind: ClockKind,
        span: TimeSpan,
        policy: &Policy,
        reason: &Reason,
    ) -> Result<(), ClockError> {
        let cal = Calendar::of(&policy.response);
        self.open_mut(kind)
            .ok_or_else(|| no_open(kind))?
            .extend(span, &cal, reason)
    }
}

fn no_open(kind: ClockKind) -> ClockError {
    ClockError(format!("this report has no running {} clock", kind.name()))
}

/// The policy's deadlines for a severity.
pub fn severity_deadlines(
    policy: &Policy,
    severity: Severity,
) -> Option<&crate::policy::SeverityDeadlines> {
    policy.severity.iter().find(|d| d.severity == severity)
}

/// Default lead times of the team's reminders before a promise's limit: a day ahead and two
/// hours ahead (a lead as long as the promise itself is skipped).
pub const REMINDER_LEADS: [SignedDuration; 2] = [
    SignedDuration::from_hours(24),
    SignedDuration::from_hours(2),
];

/// What the team is told about a running promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// The limit is this far ahead.
    Before(SignedDuration),
    /// The limit has passed: the promise is broken (escalated to admins).
    Missed,
}

/// The next reminder of a running, unpaused clock after `after` (exclusive): when, and which.
/// Leads are taken longest first; a lead at or beyond the clock's whole span is skipped (there
/// is nothing to remind of at the start). `None` once the missed-deadline notice is past, or for
/// a clock that is resolved or paused.
pub fn next_reminder(
    clock: &Clock,
    leads: &[SignedDuration],
    after: Timestamp,
) -> Option<(Timestamp, Reminder)> {
    let limit_at = clock.due_at()?;
    let span = limit_at.duration_since(clock.started_at);
    let mut leads: Vec<SignedDuration> = leads
        .iter()
        .copied()
        .filter(|l| l.is_positive() && *l < span)
        .collect();
    leads.sort_unstable_by(|a, b| b.cmp(a));
    leads.dedup();
    leads
        .into_iter()
        .map(|lead| (limit_at - lead, Reminder::Before(lead)))
        .chain([(limit_at, Reminder::Missed)])
        .find(|(at, _)| *at > after)
}

/// The reminder due at `now`, if one is: the latest one whose moment has come but that is not
/// older than `since` (the previous reminder's moment), so a runner that was stopped for a
/// while sends only the one that still matters.
pub fn due_reminder(
    clock: &Clock,
    leads: &[SignedDuration],
    since: Timestamp,
    now: Timestamp,
) -> Option<Reminder> {
    let mut due = None;
    let mut cursor = since;
    while let Some((at, reminder)) = next_reminder(clock, leads, cursor) {
        if at > now {
            break;
        }
        due = Some(reminder);
        cursor = at;
    }
    due
}

#[cfg(test)]
mod tests {

    #[test]
    fn reminders_come_before_the_limit_then_the_miss_is_escalated() {
        let start: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let clock = Clock {
            kind: ClockKind::Acknowledge,
            promised: "48 hours".into(),
            counted_from: None,
            started_at: start,
            due: Some(Due {
                target_at: start + SignedDuration::from_hours(48),
                limit_at: start + SignedDuration::from_hours(48),
            }),
            paused_at: None,
            resolved_at: None,
            outcome: None,
        };
        let h = SignedDuration::from_hours;
        let leads = [h(2), h(24), h(72)];
        assert_eq!(
            next_reminder(&clock, &leads, start),
            Some((start + h(24), Reminder::Before(h(24)))),
            "72 hours is beyond the span: skipped"
        );
        assert_eq!(
            next_reminder(&clock, &leads, start + h(24)),
            Some((start + h(46), Reminder::Before(h(2))))
        );
        assert_eq!(
            next_reminder(&clock, &leads, start + h(46)),
            Some((start + h(48), Reminder::Missed))
        );
        assert_eq!(next_reminder(&clock, &leads, start + h(48)), None);
        // A runner back after a long stop sends only the newest due reminder.
        assert_eq!(
            due_reminder(&clock, &leads, start, start + h(47)),
            Some(Reminder::Before(h(2)))
        );
        assert_eq!(due_reminder(&clock, &leads, start, start + h(1)), None);
        assert_eq!(
            due_reminder(&clock, &leads, start + h(46), start + h(50)),
            Some(Reminder::Missed)
        );
        // Paused or resolved clocks remind of nothing.
        let mut paused = clock.clone();
        paused.paused_at = Some(start + h(1));
        assert_eq!(next_reminder(&paused, &leads, start), None);
        let mut done = clock.clone();
        done.resolved_at = Some(start + h(3));
        done.outcome = Some(Outcome::Met);
        assert_eq!(next_reminder(&done, &leads, start), None);
    }
    use super::*;
    use crate::policy::Unit;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn span(amount: u32, unit: Unit) -> TimeSpan {
        TimeSpan { amount, unit }
    }

    fn promise(a: TimeSpan, b: TimeSpan) -> Promise {
        Promise {
            within: Within::Time(crate::policy::Target {
                target: a,
                limit: b,
            }),
            starts: Start::Triage,
        }
    }

    /// The receipt every test starts from; nothing acknowledged before the event.
    fn m() -> Moments {
        Moments {
            received_at: at("2026-11-27T15:00:00Z"),
            acknowledged_at: None,
        }
    }

    fn policy() -> Policy {
        let text = r#"
[project]
name = "Example"
slug = "example"

[[channels]]
kind = "web-form"

[response]
time_zone = "Europe/Berlin"
holidays = ["2026-12-25"]
acknowledge = "1 business day"
assess = "48 hours"
plan = "1 week"
update_interval = "14 days"

[severity.critical]
fix = "7 days"
disclose = "1-2 weeks"

[severity.high]
fix = "14 days"
"#;
        let checked = crate::policy::parse_str(text, at("2026-11-01T00:00:00Z"));
        checked
            .policy
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    fn reason() -> Reason {
        Reason::parse("waiting for the upstream maintainer").unwrap()
    }

    #[test]
    fn receipt_starts_the_response_clocks_with_the_right_due_times() {
        let policy = policy();
        let mut clocks = Clocks::default();
        // Friday 27 November 2026, 16:00 in Berlin.
        let received = at("2026-11-27T15:00:00Z");
        clocks.apply(&policy, &ClockEvent::Received, m(), received);
        let due = |kind| clocks.open(kind).and_then(|c| c.limit_at());
        // One business day from Friday afternoon is Monday afternoon.
        assert_eq!(
            due(ClockKind::Acknowledge),
            Some(at("2026-11-30T15:00:00Z"))
        );
        assert_eq!(due(ClockKind::Assess), Some(at("2026-11-29T15:00:00Z")));
        assert_eq!(due(ClockKind::Plan), Some(at("2026-12-04T15:00:00Z")));
        assert_eq!(due(ClockKind::Update), Some(at("2026-12-11T15:00:00Z")));
        assert_eq!(due(ClockKind::Fix), None);
        assert_eq!(clocks.next_due(), Some(at("2026-11-29T15:00:00Z")));
    }

    #[test]
    fn the_lifecycle_resolves_its_clocks_as_met_or_missed() {
        let policy = policy();
        let mut clocks = Clocks::default();
        let received = at("2026-11-27T15:00:00Z");
        clocks.apply(&policy, &ClockEvent::Received, m(), received);
        // Acknowledged on Monday morning: in time.
        let ack = Transition::Acknowledge;
        clocks.apply(
            &policy,
            &ClockEvent::Transition(&ack),
            m(),
            at("2026-11-30T08:00:00Z"),
        );
        // Accepted on Tuesday: the 48-hour assessment was missed.
        let accept = Transition::Accept {
            severity: Severity::Critical,
        };
        let triaged = at("2026-12-01T10:00:00Z");
        clocks.apply(&policy, &ClockEvent::Transition(&accept), m(), triaged);
        let outcome = |clocks: &Clocks, kind: ClockKind| {
            clocks
                .0
                .iter()
                .find(|c| c.kind == kind)
                .and_then(|c| c.outcome)
        };
        assert_eq!(outcome(&clocks, ClockKind::Acknowledge), Some(Outcome::Met));
        assert_eq!(outcome(&clocks, ClockKind::Assess), Some(Outcome::Missed));
        // Severity deadlines run from triage; a range has a target and a limit.
        let disclose = clocks.open(ClockKind::Disclose).unwrap();
        assert_eq!(disclose.target_at(), Some(at("2026-12-08T10:00:00Z")));
        assert_eq!(disclose.limit_at().unwrap(), at("2026-12-15T10:00:00Z"));
        assert_eq!(disclose.promised, "1-2 weeks");
        assert_eq!(
            clocks.open(ClockKind::Fix).unwrap().limit_at().unwrap(),
            at("2026-12-08T10:00:00Z")
        );
        // No release deadline promised for critical: no clock.
        assert!(clocks.open(ClockKind::Release).is_none());
        assert_eq!(
            disclose.state(at("2026-12-10T00:00:00Z")),
            ClockState::PastTarget
        );
        assert_eq!(
            disclose.state(at("2026-12-16T00:00:00Z")),
            ClockState::Overdue
        );
        let fixed = Transition::Fixed {
            versions: vec!["1.2.3".into()],
        };
        clocks.apply(
            &policy,
            &ClockEvent::Transition(&fixed),
            m(),
            at("2026-12-07T00:00:00Z"),
        );
        assert_eq!(outcome(&clocks, ClockKind::Fix), Some(Outcome::Met));
    }

    #[test]
    fn closing_answers_the_reporter_and_settles_the_rest_but_not_a_broken_promise() {
        let policy = policy();
        let mut clocks = Clocks::default();
        clocks.apply(
            &policy,
            &ClockEvent::Received,
            m(),
            at("2026-11-27T15:00:00Z"),
        );
        let close = Transition::Close {
            closure: Closure::Spam,
            duplicate_of: None,
        };
        // After the plan's week: plan was broken, and stays missed.
        clocks.apply(
            &policy,
            &ClockEvent::Transition(&close),
            m(),
            at("2026-12-05T00:00:00Z"),
        );
        let outcome = |clocks: &Clocks, kind: ClockKind| {
            clocks
                .0
                .iter()
                .find(|c| c.kind == kind)
                .and_then(|c| c.outcome)
        };
        assert_eq!(
            outcome(&clocks, ClockKind::Acknowledge),
            Some(Outcome::Missed)
        );
        assert_eq!(outcome(&clocks, ClockKind::Plan), Some(Outcome::Missed));
        // The closing notice was the update owed, within its 14 days.
        assert_eq!(outcome(&clocks, ClockKind::Update), Some(Outcome::Met));
        assert_eq!(clocks.next_due(), None);
    }

    #[test]
    fn fixing_and_disclosing_settle_what_can_no_longer_be_kept() {
        let policy = policy();
        let received = at("2026-11-27T15:00:00Z");
        let step = |clocks: &mut Clocks, transition: Transition, when: &str| {
            clocks.apply(
                &policy,
                &ClockEvent::Transition(&transition),
                Moments {
                    received_at: received,
                    acknowledged_at: Some(at("2026-11-30T08:00:00Z")),
                },
                at(when),
            );
        };
        let start = || {
            let mut clocks = Clocks::default();
            clocks.apply(&policy, &ClockEvent::Received, m(), received);
            step(&mut clocks, Transition::Acknowledge, "2026-11-30T08:00:00Z");
            let accept = Transition::Accept {
                severity: Severity::Critical,
            };
            step(&mut clocks, accept, "2026-12-01T10:00:00Z");
            clocks
        };
        let fixed = || Transition::Fixed {
            versions: vec!["1.2.3".into()],
        };

        // Fixed within the plan's week, no plan sent: the plan no longer applies (not missed).
        let mut early = start();
        step(&mut early, Transition::StartFix, "2026-12-02T10:00:00Z");
        step(&mut early, fixed(), "2026-12-03T10:00:00Z");
        assert_eq!(
            outcome_of(&early, ClockKind::Plan),
            Some(Outcome::Cancelled)
        );
        assert_eq!(outcome_of(&early, ClockKind::Fix), Some(Outcome::Met));
        // What a fixed report can still keep runs: the disclosure, and updates (the notice of
        // the fix was one, so the next counts from it).
        let open: Vec<ClockKind> = early
            .0
            .iter()
            .filter(|c| c.is_open())
            .map(|c| c.kind)
            .collect();
        assert_eq!(open, vec![ClockKind::Disclose, ClockKind::Update]);
        assert_eq!(
            early.open(ClockKind::Update).unwrap().started_at,
            at("2026-12-03T10:00:00Z")
        );

        // Fixed after the plan's limit had passed: the plan was broken, and stays missed.
        let mut late = start();
        step(&mut late, fixed(), "2026-12-07T10:00:00Z");
        assert_eq!(outcome_of(&late, ClockKind::Plan), Some(Outcome::Missed));

        // Disclosing keeps the disclosure promise and the update owed with it, and nothing is
        // left to raise an alarm a year later.
        step(&mut early, Transition::Disclose, "2026-12-10T10:00:00Z");
        assert!(early.0.iter().all(|c| !c.is_open()), "{early:?}");
        assert_eq!(early.next_due(), None);
        let last = |kind| {
            early
                .0
                .iter()
                .rev()
                .find(|c| c.kind == kind)
                .and_then(|c| c.outcome)
        };
        assert_eq!(last(ClockKind::Disclose), Some(Outcome::Met));
        assert_eq!(last(ClockKind::Update), Some(Outcome::Met));
        assert!(!early.is_overdue(at("2027-12-01T00:00:00Z")));

        // Disclosed after the update interval ran out: that update was missed, as it was.
        let mut silent = start();
        step(&mut silent, fixed(), "2026-12-03T10:00:00Z");
        step(&mut silent, Transition::Disclose, "2026-12-20T10:00:00Z");
        let updates: Vec<Option<Outcome>> = silent
            .0
            .iter()
            .filter(|c| c.kind == ClockKind::Update)
            .map(|c| c.outcome)
            .collect();
        assert_eq!(updates.last(), Some(&Some(Outcome::Missed)));
        assert_eq!(
            outcome_of(&silent, ClockKind::Disclose),
            Some(Outcome::Missed)
        );
    }

    #[test]
    fn settling_leaves_what_the_state_can_still_keep_and_reports_what_it_changed() {
        let policy = policy();
        let mut clocks = Clocks::default();
        let received = at("2026-11-27T15:00:00Z");
        clocks.apply(&policy, &ClockEvent::Received, m(), received);
        assert_eq!(clocks.settle(ReportStatus::Acknowledged, received), vec![]);
        let before = clocks.clone();
        // Eight days on: acknowledge, assess and plan had passed their limits; update had not.
        let settled = clocks.settle(ReportStatus::Fixed, at("2026-12-05T15:00:00Z"));
        assert_eq!(
            settled,
            vec![
                (ClockKind::Acknowledge, Outcome::Missed),
                (ClockKind::Assess, Outcome::Missed),
                (ClockKind::Plan, Outcome::Missed),
            ]
        );
        assert!(clocks.open(ClockKind::Update).is_some());
        assert_eq!(
            clocks.settle(ReportStatus::Fixed, at("2026-12-06T15:00:00Z")),
            vec![],
            "settling again changes nothing"
        );
        let mut early = before;
        let settled = early.settle(ReportStatus::Disclosed, at("2026-11-28T00:00:00Z"));
        assert!(
            settled.iter().all(|(_, o)| *o == Outcome::Cancelled),
            "{settled:?}"
        );
        assert_eq!(settled.len(), 4);
    }

    #[test]
    fn updates_restart_the_update_clock_and_the_plan_can_be_sent() {
        let policy = policy();
        let mut clocks = Clocks::default();
        clocks.apply(
            &policy,
            &ClockEvent::Received,
            m(),
            at("2026-11-27T15:00:00Z"),
        );
        clocks.apply(
            &policy,
            &ClockEvent::UpdateSent { is_plan: true },
            m(),
            at("2026-11-28T15:00:00Z"),
        );
        let updates: Vec<_> = clocks
            .0
            .iter()
            .filter(|c| c.kind == ClockKind::Update)
            .collect();
        assert_eq!(updates.len(), 2);
        assert_eq!(updates[0].outcome, Some(Outcome::Met));
        assert_eq!(updates[1].limit_at().unwrap(), at("2026-12-12T15:00:00Z"));
        // The first counts from receipt; the next from the update that started it.
        assert_eq!(clocks.counted_from(updates[0]), "receipt");
        assert_eq!(clocks.counted_from(updates[1]), "the last update");
        let plan = clocks.0.iter().find(|c| c.kind == ClockKind::Plan).unwrap();
        assert_eq!(clocks.counted_from(plan), "receipt");
        assert_eq!(clocks.open(ClockKind::Plan), None);
    }

    #[test]
    fn pausing_and_extending_need_a_reason_and_an_open_clock() {
        assert!(Reason::parse("  ").is_err());
        assert!(Reason::parse(&"x".repeat(REASON_CHARS_MAX + 1)).is_err());
        let policy = policy();
        let mut clocks = Clocks::default();
        let received = at("2026-11-27T15:00:00Z");
        clocks.apply(&policy, &ClockEvent::Received, m(), received);
        let error = clocks
            .resume(ClockKind::Plan, received, &reason())
            .unwrap_err();
        assert_eq!(error.to_string(), "the plan clock is not paused");
        clocks.pause(ClockKind::Plan, received, &reason()).unwrap();
        assert!(clocks.pause(ClockKind::Plan, received, &reason()).is_err());
        assert_eq!(clocks.open(ClockKind::Plan).unwrap().due_at(), None);
        let error = clocks
            .extend(ClockKind::Fix, span(1, Unit::Weeks), &policy, &reason())
            .unwrap_err();
        assert_eq!(error.to_string(), "this report has no running fix clock");
        clocks
            .extend(
                ClockKind::Assess,
                span(1, Unit::BusinessDays),
                &policy,
                &reason(),
            )
            .unwrap();
        // 48 hours from Friday 16:00 is Sunday 16:00. Counted from a weekend, one business
        // day runs from Monday's start to the end of Monday (Tuesday 00:00 in Berlin).
        assert_eq!(
            clocks.open(ClockKind::Assess).unwrap().limit_at().unwrap(),
            at("2026-11-30T23:00:00Z")
        );
    }

    fn parse(text: &str) -> Policy {
        let source =
            format!("[project]\nname = \"Example\"\n\n[[channels]]\nkind = \"web-form\"\n\n{text}");
        let checked = crate::policy::parse_str(&source, at("2026-11-01T00:00:00Z"));
        checked
            .policy
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    fn outcome_of(clocks: &Clocks, kind: ClockKind) -> Option<Outcome> {
        clocks
            .0
            .iter()
            .rev()
            .find(|c| c.kind == kind)
            .and_then(|c| c.outcome)
    }

    #[test]
    fn an_untimed_promise_runs_shows_its_age_and_is_kept_never_met_or_missed() {
        let policy = parse(
            "[response]\nacknowledge = { untimed = true, says = \"within a reasonable time\" }\nassess = \"48 hours\"\n",
        );
        let received = at("2026-11-27T15:00:00Z");
        let mut clocks = Clocks::default();
        clocks.apply(&policy, &ClockEvent::Received, m(), received);
        let ack = clocks.open(ClockKind::Acknowledge).unwrap().clone();
        assert_eq!(ack.promised, "within a reasonable time");
        assert_eq!(
            (ack.target_at(), ack.limit_at(), ack.due_at()),
            (None, None, None)
        );
        assert_eq!(ack.starts(), Start::Receipt);
        // Years later it is still running, not overdue; only the assessment sets the queue's
        // next deadline, and only it reminds anyone.
        let later = at("2029-01-01T00:00:00Z");
        assert_eq!(ack.state(later), ClockState::Running);
        assert_eq!(
            ack.age(at("2026-11-29T15:00:00Z")),
            SignedDuration::from_hours(48)
        );
        assert!(!clocks.is_overdue(at("2026-11-28T15:00:00Z")));
        assert_eq!(clocks.next_due(), Some(at("2026-11-29T15:00:00Z")));
        assert_eq!(next_reminder(&ack, &REMINDER_LEADS, received), None);
        // Nothing to pause or extend.
        let error = clocks
            .pause(ClockKind::Acknowledge, received, &reason())
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the acknowledge promise has no set time: there is no limit to pause"
        );
        assert!(
            clocks
                .extend(
                    ClockKind::Acknowledge,
                    span(1, Unit::Days),
                    &policy,
                    &reason()
                )
                .is_err()
        );
        // Acknowledged three days later: kept, with its age frozen at the keeping.
        let acked = at("2026-11-30T15:00:00Z");
        clocks.apply(
            &policy,
            &ClockEvent::Transition(&Transition::Acknowledge),
            m(),
            acked,
        );
        assert_eq!(
            outcome_of(&clocks, ClockKind::Acknowledge),
            Some(Outcome::Kept)
        );
        let kept = &clocks.0[0];
        assert_eq!(kept.age(later), SignedDuration::from_hours(72));
        assert_eq!(kept.state(later), ClockState::Resolved(Outcome::Kept));
        // Closing never turns a running untimed promise into a missed one.
        let mut open = Clocks::default();
        open.apply(&policy, &ClockEvent::Received, m(), received);
        let close = Transition::Close {
            closure: Closure::Resolved,
            duplicate_of: None,
        };
        open.apply(&policy, &ClockEvent::Transition(&close), m(), later);
        assert_eq!(
            outcome_of(&open, ClockKind::Acknowledge),
            Some(Outcome::Cancelled)
        );
        // Stored and read back as it was.
        let json = serde_json::to_string(&clocks).unwrap();
        assert!(!json.contains("limit_at\":null"), "{json}");
        assert_eq!(serde_json::from_str::<Clocks>(&json).unwrap(), clocks);
    }

    #[test]
    fn clocks_stored_before_promises_said_their_start_read_as_before() {
        let stored = r#"[{"kind":"fix","promised":"7 days","started_at":"2026-11-01T10:00:00Z","target_at":"2026-11-08T10:00:00Z","limit_at":"2026-11-08T10:00:00Z","outcome":"met","resolved_at":"2026-11-05T10:00:00Z"}]"#;
        let clocks: Clocks = serde_json::from_str(stored).unwrap();
        let fix = &clocks.0[0];
        assert_eq!(fix.starts(), Start::Triage);
        assert_eq!(fix.limit_at(), Some(at("2026-11-08T10:00:00Z")));
        assert_eq!(fix.outcome, Some(Outcome::Met));
        // Written again, it keeps the same fields.
        let again: serde_json::Value = serde_json::to_value(&clocks).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(stored).unwrap()
        );
    }

    #[test]
    fn each_promise_starts_at_the_event_the_policy_names() {
        let policy = parse(
            r#"[response]
acknowledge = "48 hours"
assess = { within = "3 days", starts = "acknowledgement" }
plan = { within = "1 week", starts = "triage" }
update_interval = { within = "14 days", starts = "acknowledgement" }

[severity.high]
fix = { within = "30 days", starts = "receipt" }
release = { within = "5 days", starts = "acknowledgement" }
disclose = "1-2 weeks"
"#,
        );
        let received = at("2026-11-27T15:00:00Z");
        let mut clocks = Clocks::default();
        clocks.apply(&policy, &ClockEvent::Received, m(), received);
        // At receipt only what counts from receipt runs.
        let kinds: Vec<ClockKind> = clocks.0.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ClockKind::Acknowledge]);
        let acked = at("2026-11-28T15:00:00Z");
        clocks.apply(
            &policy,
            &ClockEvent::Transition(&Transition::Acknowledge),
            m(),
            acked,
        );
        let assess = clocks.open(ClockKind::Assess).unwrap();
        assert_eq!(
            (assess.starts(), assess.started_at),
            (Start::Acknowledgement, acked)
        );
        assert_eq!(assess.limit_at(), Some(at("2026-12-01T15:00:00Z")));
        assert_eq!(clocks.open(ClockKind::Update).unwrap().started_at, acked);
        assert!(clocks.open(ClockKind::Plan).is_none(), "not before triage");
        // Triage ten days after receipt: the fix counted from receipt has used ten of its 30
        // days; the release counts from the acknowledgement, the disclosure from triage.
        let triaged = at("2026-12-07T15:00:00Z");
        let accept = Transition::Accept {
            severity: Severity::High,
        };
        let moments = Moments {
            received_at: received,
            acknowledged_at: Some(acked),
        };
        clocks.apply(&policy, &ClockEvent::Transition(&accept), moments, triaged);
        let fix = clocks.open(ClockKind::Fix).unwrap();
        assert_eq!((fix.starts(), fix.started_at), (Start::Receipt, received));
        assert_eq!(fix.limit_at(), Some(at("2026-12-27T15:00:00Z")));
        let release = clocks.open(ClockKind::Release).unwrap();
        assert_eq!(release.started_at, acked);
        assert_eq!(
            release.state(triaged),
            ClockState::Overdue,
            "5 days from acknowledgement"
        );
        let disclose = clocks.open(ClockKind::Disclose).unwrap();
        assert_eq!(
            (disclose.starts(), disclose.started_at),
            (Start::Triage, triaged)
        );
        assert_eq!(disclose.target_at(), Some(at("2026-12-14T15:00:00Z")));
        assert_eq!(disclose.limit_at(), Some(at("2026-12-21T15:00:00Z")));
        let plan = clocks.open(ClockKind::Plan).unwrap();
        assert_eq!(plan.started_at, triaged);
        assert_eq!(
            outcome_of(&clocks, ClockKind::Assess),
            Some(Outcome::Missed)
        );
    }

    #[test]
    fn accepting_an_unacknowledged_report_starts_and_keeps_what_counts_from_acknowledgement() {
        let policy = parse(
            r#"[response]
assess = { within = "3 days", starts = "acknowledgement" }
update_interval = { within = "14 days", starts = "acknowledgement" }

[severity.critical]
fix = { within = "7 days", starts = "acknowledgement" }
"#,
        );
        let received = at("2026-11-27T15:00:00Z");
        let mut clocks = Clocks::default();
        clocks.apply(&policy, &ClockEvent::Received, m(), received);
        assert!(clocks.0.is_empty());
        let triaged = at("2026-12-01T15:00:00Z");
        let accept = Transition::Accept {
            severity: Severity::Critical,
        };
        clocks.apply(&policy, &ClockEvent::Transition(&accept), m(), triaged);
        // Accepting is the first answer: the assessment it gives is on time.
        let assess = clocks
            .0
            .iter()
            .find(|c| c.kind == ClockKind::Assess)
            .unwrap();
        assert_eq!(
            (assess.started_at, assess.outcome),
            (triaged, Some(Outcome::Met))
        );
        let updates = clocks
            .0
            .iter()
            .filter(|c| c.kind == ClockKind::Update)
            .count();
        assert_eq!(updates, 1, "one update clock, started once");
        assert_eq!(clocks.open(ClockKind::Update).unwrap().started_at, triaged);
        assert_eq!(clocks.open(ClockKind::Fix).unwrap().started_at, triaged);
    }

    proptest! {
        #[test]
        fn a_paused_clock_resumes_where_it_stopped(
            start in 1_700_000_000i64..1_900_000_000,
            hours in 1u32..2000,
            pause_after in 0i64..10_000_000,
            paused_for in 0i64..100_000_000,
        ) {
            let cal = Calendar::new(TimeZone::get("America/New_York").unwrap(), Vec::new());
            let start = Timestamp::from_second(start).unwrap();
            let mut clock = Clock::start(
                ClockKind::Fix,
                &promise(span(hours, Unit::Hours), span(hours * 2, Unit::Hours)),
                start,
                &cal,
            );
            let paused_at = start + SignedDuration::from_secs(pause_after);
            let resumed_at = paused_at + SignedDuration::from_secs(paused_for);
            let left_before = clock.limit_at().unwrap().duration_since(paused_at);
            let target_left_before = clock.target_at().unwrap().duration_since(paused_at);
            clock.pause(paused_at, &reason()).unwrap();
            prop_assert_eq!(clock.state(resumed_at), ClockState::Paused);
            clock.resume(resumed_at, &reason()).unwrap();
            prop_assert_eq!(clock.limit_at().unwrap().duration_since(resumed_at), left_before);
            prop_assert_eq!(clock.target_at().unwrap().duration_since(resumed_at), target_left_before);
            // Resolving at the very limit is still met; a millisecond later is missed.
            let mut kept = clock.clone();
            prop_assert_eq!(kept.resolve(clock.limit_at().unwrap()), Outcome::Met);
            let mut late = clock.clone();
            prop_assert_eq!(late.resolve(clock.limit_at().unwrap() + SignedDuration::from_millis(1)), Outcome::Missed);
        }

        #[test]
        fn calendar_day_clocks_keep_the_wall_clock_time_across_dst(
            start in 1_700_000_000i64..1_900_000_000,
            days in 1u32..400,
        ) {
            let tz = TimeZone::get("Europe/Berlin").unwrap();
            let cal = Calendar::new(tz.clone(), Vec::new());
            let start = Timestamp::from_second(start).unwrap();
            let clock = Clock::start(
                ClockKind::Fix,
                &promise(span(days, Unit::Days), span(days, Unit::Days)),
                start,
                &cal,
            );
            let from = start.to_zoned(tz.clone());
            let to = clock.limit_at().unwrap().to_zoned(tz);
            prop_assert_eq!(to.date(), from.date().checked_add(jiff::ToSpan::days(i64::from(days))).unwrap());
            // Same wall-clock time, unless that time does not exist on the due day (the gap
            // of a spring-forward change), where it moves later by the gap.
            if to.time() != from.time() {
                prop_assert!(to.time() > from.time());
                prop_assert!(to.time().duration_since(from.time()) <= SignedDuration::from_hours(1));
            }
        }
    }
}
