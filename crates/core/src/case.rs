//! A report as the team works it: its status, severity, triage record and clocks, and the one
//! function that applies a team action to it. The web pages and the terminal commands both go
//! through `apply`, so they cannot disagree about what an action needs or what it changes.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::clock::{ClockError, ClockEvent, ClockKind, Clocks, Moments, Outcome, Reason};
use crate::cvss;
use crate::lifecycle::{Closure, Transition, TransitionError, next_status};
use crate::policy::{Policy, Severity, TimeSpan};
use crate::report::{ReportId, ReportStatus};

/// Most fix versions one report may name.
pub const FIX_VERSIONS_MAX: usize = 50;
/// Longest fix version, in characters.
pub const FIX_VERSION_CHARS_MAX: usize = 100;

/// What triage recorded besides the status, kept as plain JSON (no report contents).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// The CVSS vector, canonical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    /// Its base score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    /// Why the severity differs from the score's, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_reason: Option<String>,
    /// Why it was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure: Option<String>,
    /// The original, for a duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// The out-of-scope category it was closed under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_category: Option<String>,
    /// Versions that contain the fix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fix_versions: Vec<String>,
    /// When the team first answered (acknowledged, accepted or closed): promises may be
    /// counted from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<Timestamp>,
}

/// A report's working state.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// When the report arrived: promises may be counted from it.
    pub received_at: Timestamp,
    /// Lifecycle status.
    pub status: ReportStatus,
    /// Severity, once accepted.
    pub severity: Option<Severity>,
    /// Triage details.
    pub record: CaseRecord,
    /// The promises' clocks.
    pub clocks: Clocks,
}

impl Case {
    /// A report just received: the response clocks start.
    pub fn received(policy: &Policy, at: Timestamp) -> Case {
        let mut clocks = Clocks::default();
        let moments = Moments {
            received_at: at,
            acknowledged_at: None,
        };
        clocks.apply(policy, &ClockEvent::Received, moments, at);
        Case {
            received_at: at,
            status: ReportStatus::Received,
            severity: None,
            record: CaseRecord::default(),
            clocks,
        }
    }

    /// The moments this report's promises may be counted from, so far. A report answered
    /// before the moment was recorded falls back to when its acknowledge promise was kept.
    pub fn moments(&self) -> Moments {
        let acknowledged_at = self.record.acknowledged_at.or_else(|| {
            (self.status != ReportStatus::Received)
                .then(|| {
                    self.clocks.0.iter().find_map(|c| {
                        (c.kind == ClockKind::Acknowledge && c.outcome != Some(Outcome::Cancelled))
                            .then_some(c.resolved_at)
                            .flatten()
                    })
                })
                .flatten()
        });
        Moments {
            received_at: self.received_at,
            acknowledged_at,
        }
    }
}

/// How a closing is explained.
#[derive(Debug, Clone, PartialEq)]
pub struct Closing {
    /// Why.
    pub closure: Closure,
    /// The original, for a duplicate (checked by the caller to exist in the same project).
    pub duplicate_of: Option<ReportId>,
    /// The policy's out-of-scope category, for an out-of-scope closing.
    pub scope_category: Option<String>,
}

/// Severity as the team chose it: from a CVSS vector, or by hand, or both with a reason.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rating {
    /// A CVSS v3.1 or v4.0 vector.
    pub cvss_vector: Option<String>,
    /// A severity chosen by hand.
    pub severity: Option<Severity>,
    /// Why the chosen severity differs from the score's.
    pub reason: Option<String>,
}

/// One thing a team member does to a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Confirm receipt.
    Acknowledge,
    /// Accept as a vulnerability.
    Accept(Rating),
    /// Change the severity of an accepted report.
    Rate(Rating),
    /// Close without a fix.
    Close(Closing),
    /// Start work on a fix.
    StartFix,
    /// Fixed in these versions.
    Fixed(Vec<String>),
    /// The advisory is public.
    Disclose,
    /// Done after disclosure.
    Resolve,
    /// Stop a clock, with a reason.
    Pause(ClockKind, String),
    /// Restart a paused clock, with a reason.
    Resume(ClockKind, String),
    /// Give a clock more time, with a reason.
    Extend(ClockKind, TimeSpan, String),
    /// The team wrote to the reporter (`true` when the message is the promised plan).
    MessageSent(bool),
}

/// Why an action was refused; the text says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseError(pub String);

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CaseError {}

impl From<TransitionError> for CaseError {
    fn from(e: TransitionError) -> CaseError {
        CaseError(e.0)
    }
}

impl From<ClockError> for CaseError {
    fn from(e: ClockError) -> CaseError {
        CaseError(e.0)
    }
}

/// The result of an action: the new state, and what to record and tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The state after the action.
    pub case: Case,
    /// The audit action, such as `report.acknowledged`.
    pub event: &'static str,
    /// The audit detail: what changed and why, never report contents.
    pub detail: String,
    /// What the reporter is told, when the change concerns them.
    pub notice: Option<String>,
}

/// The stored name of a closure.
pub fn closure_name(closure: Closure) -> &'static str {
    match closure {
        Closure::OutOfScope => "out_of_scope",
        Closure::Duplicate => "duplicate",
        Closure::Informative => "informative",
        Closure::NotReproducible => "not_reproducible",
        Closure::Spam => "spam",
        Closure::Resolved => "resolved",
    }
}

/// A closure from its stored or form name.
pub fn parse_closure(name: &str) -> Option<Closure> {
    [
        Closure::OutOfScope,
        Closure::Duplicate,
        Closure::Informative,
        Closure::NotReproducible,
        Closure::Spam,
        Closure::Resolved,
    ]
    .into_iter()
    .find(|c| closure_name(*c) == name.replace('-', "_"))
}

/// A severity from its policy-file name.
pub fn parse_severity(name: &str) -> Option<Severity> {
    Severity::ALL
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(_, s)| *s)
}

fn severity_name(severity: Severity) -> &'static str {
    Severity::ALL
        .iter()
        .find(|(_, s)| *s == severity)
        .map_or("unknown", |(n, _)| n)
}

/// Decides the severity: the score's unless overridden with a reason.
fn decide(rating: &Rating, record: &mut CaseRecord) -> Result<Severity, CaseError> {
    let vector = rating
        .cvss_vector
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let reason = rating
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let Some(vector) = vector else {
        let severity = rating.severity.ok_or_else(|| {
            CaseError("choose a severity, or give a CVSS vector to compute it from".into())
        })?;
        record.cvss_vector = None;
        record.cvss_score = None;
        record.severity_reason = reason.map(str::to_owned);
        return Ok(severity);
    };
    let scored = cvss::rate(vector).map_err(CaseError)?;
    let computed = scored.severity.ok_or_else(|| {
        CaseError(format!(
            "{} scores 0.0 (no impact): that is not a vulnerability to accept; close it as informative instead",
            scored.vector
        ))
    })?;
    let severity = match rating.severity {
        Some(chosen) if chosen != computed => {
            let reason = reason.ok_or_else(|| {
                CaseError(format!(
                    "the vector scores {:.1} ({}); to record {} instead, give a reason",
                    scored.score,
                    severity_name(computed),
                    severity_name(chosen)
                ))
            })?;
            Reason::parse(reason)?;
            record.severity_reason = Some(reason.to_owned());
            chosen
        }
        _ => {
            record.severity_reason = None;
            computed
        }
    };
    record.cvss_vector = Some(scored.vector);
    record.cvss_score = Some(scored.score);
    Ok(severity)
}

fn rating_detail(severity: Severity, record: &CaseRecord) -> String {
    let mut detail = format!("severity={}", severity_name(severity));
    if let (Some(v), Some(s)) = (&record.cvss_vector, record.cvss_score) {
        detail.push_str(&format!(" cvss={s:.1} vector={v}"));
    }
    if let Some(reason) = &record.severity_reason {
        detail.push_str(&format!(" reason={reason}"));
    }
    detail
}

fn check_versions(versions: &[String]) -> Result<Vec<String>, CaseError> {
    let versions: Vec<String> = versions
        .iter()
        .flat_map(|v| v.split([',', '\n']))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if versions.len() > FIX_VERSIONS_MAX {
        return Err(CaseError(format!(
            "name at most {FIX_VERSIONS_MAX} fix versions"
        )));
    }
    if let Some(long) = versions
        .iter()
        .find(|v| v.chars().count() > FIX_VERSION_CHARS_MAX)
    {
        return Err(CaseError(format!(
            "the fix version starting {:?} is longer than {FIX_VERSION_CHARS_MAX} characters",
            long.chars().take(20).collect::<String>()
        )));
    }
    Ok(versions)
}

/// Applies `action` to `case` at `at` under `policy`. Nothing changes on error.
pub fn apply(
    case: &Case,
    action: &Action,
    policy: &Policy,
    at: Timestamp,
) -> Result<Applied, CaseError> {
    let mut next = case.clone();
    let moments = case.moments();
    let transition = |next: &mut Case, transition: Transition| -> Result<(), CaseError> {
        next.status = next_status(case.status, &transition)?;
        next.clocks
            .apply(policy, &ClockEvent::Transition(&transition), moments, at);
        next.record.acknowledged_at = moments
            .acknowledged_at
            .or_else(|| answers(&transition).then_some(at));
        Ok(())
    };
    let (event, detail, notice) = match action {
        Action::Acknowledge => {
            transition(&mut next, Transition::Acknowledge)?;
            (
                "report.acknowledged",
                String::new(),
                Some("The team has acknowledged your report and is assessing it.".to_owned()),
            )
        }
        Action::Accept(rating) => {
            let severity = decide(rating, &mut next.record)?;
            transition(&mut next, Transition::Accept { severity })?;
            next.severity = Some(severity);
            let score = next
                .record
                .cvss_score
                .map(|s| format!(" (CVSS {s:.1})"))
                .unwrap_or_default();
            (
                "report.accepted",
                rating_detail(severity, &next.record),
                Some(format!(
                    "The team has confirmed the vulnerability and rated it {}{score}.",
                    severity.title()
                )),
            )
        }
        Action::Rate(rating) => {
            if case.severity.is_none() {
                return Err(CaseError(
                    "only an accepted report has a severity to change; accept it first".into(),
                ));
            }
            let severity = decide(rating, &mut next.record)?;
            next.severity = Some(severity);
            (
                "report.rated",
                rating_detail(severity, &next.record),
                (Some(severity) != case.severity)
                    .then(|| format!("The team changed the severity to {}.", severity.title())),
            )
        }
        Action::Close(closing) => close(case, &mut next, closing, policy, at)?,
        Action::StartFix => {
            transition(&mut next, Transition::StartFix)?;
            (
                "report.fixing",
                String::new(),
                Some("Work on a fix has started.".to_owned()),
            )
        }
        Action::Fixed(versions) => {
            let versions = check_versions(versions)?;
            transition(
                &mut next,
                Transition::Fixed {
                    versions: versions.clone(),
                },
            )?;
            next.record.fix_versions = versions.clone();
            (
                "report.fixed",
                format!("versions={}", versions.join(",")),
                Some(format!("Fixed in {}.", versions.join(", "))),
            )
        }
        Action::Disclose => {
            transition(&mut next, Transition::Disclose)?;
            (
                "report.disclosed",
                String::new(),
                Some("The advisory is public.".to_owned()),
            )
        }
        Action::Resolve => {
            transition(
                &mut next,
                Transition::Close {
                    closure: Closure::Resolved,
                    duplicate_of: None,
                },
            )?;
            next.record.closure = Some(closure_name(Closure::Resolved).to_owned());
            (
                "report.closed",
                "closure=resolved".to_owned(),
                Some("The report is closed. Thank you.".to_owned()),
            )
        }
        Action::Pause(kind, reason) => {
            let reason = Reason::parse(reason)?;
            open_report(case)?;
            next.clocks.pause(*kind, at, &reason)?;
            (
                "clock.paused",
                format!("clock={} reason={}", kind.name(), reason.as_str()),
                None,
            )
        }
        Action::Resume(kind, reason) => {
            let reason = Reason::parse(reason)?;
            next.clocks.resume(*kind, at, &reason)?;
            (
                "clock.resumed",
                format!("clock={} reason={}", kind.name(), reason.as_str()),
                None,
            )
        }
        Action::Extend(kind, span, reason) => {
            let reason = Reason::parse(reason)?;
            open_report(case)?;
            next.clocks.extend(*kind, *span, policy, &reason)?;
            let due = next.clocks.open(*kind).and_then(|c| c.limit_at());
            (
                "clock.extended",
                format!(
                    "clock={} by={span} due={} reason={}",
                    kind.name(),
                    due.map(|d| d.to_string()).unwrap_or_default(),
                    reason.as_str()
                ),
                kind.concerns_reporter().then(|| {
                    format!(
                        "The team needs more time to {}: {}",
                        kind.describe(),
                        reason.as_str()
                    )
                }),
            )
        }
        Action::MessageSent(is_plan) => {
            open_report(case)?;
            next.clocks.apply(
                policy,
                &ClockEvent::UpdateSent { is_plan: *is_plan },
                moments,
                at,
            );
            (
                "message.sent",
                if *is_plan { "plan=yes" } else { "" }.to_owned(),
                None,
            )
        }
    };
    Ok(Applied {
        case: next,
        event,
        detail,
        notice,
    })
}

/// Settles, at `at` (the moment the report reached its state), the clocks a report in its state
/// can no longer keep but that were left running: reports stored before a change of state
/// settled them (`Clocks::settle`). `None` when there is nothing to settle; otherwise the
/// change, audited as `clocks.settled` with what became of each clock, and no notice.
pub fn settle_stale(case: &Case, at: Timestamp) -> Option<Applied> {
    let mut next = case.clone();
    let settled = next.clocks.settle(case.status, at);
    if settled.is_empty() {
        return None;
    }
    let detail = settled
        .iter()
        .map(|(kind, outcome)| format!("{}={}", kind.name(), outcome.name()))
        .collect::<Vec<_>>()
        .join(" ");
    Some(Applied {
        case: next,
        event: "clocks.settled",
        detail,
        notice: None,
    })
}

/// Whether a transition answers the reporter, as acknowledging does.
fn answers(transition: &Transition) -> bool {
    match transition {
        Transition::Acknowledge | Transition::Accept { .. } => true,
        Transition::Close { closure, .. } => *closure != Closure::Resolved,
        Transition::StartFix | Transition::Fixed { .. } | Transition::Disclose => false,
    }
}

fn open_report(case: &Case) -> Result<(), CaseError> {
    if case.status == ReportStatus::Closed {
        return Err(CaseError("the report is closed".into()));
    }
    Ok(())
}

fn close(
    case: &Case,
    next: &mut Case,
    closing: &Closing,
    policy: &Policy,
    at: Timestamp,
) -> Result<(&'static str, String, Option<String>), CaseError> {
    let transition = Transition::Close {
        closure: closing.closure,
        duplicate_of: closing.duplicate_of.clone(),
    };
    next.status = next_status(case.status, &transition)?;
    let moments = case.moments();
    next.clocks
        .apply(policy, &ClockEvent::Transition(&transition), moments, at);
    next.record.acknowledged_at = moments
        .acknowledged_at
        .or_else(|| answers(&transition).then_some(at));
    next.record.closure = Some(closure_name(closing.closure).to_owned());
    let mut detail = format!("closure={}", closure_name(closing.closure));
    let notice = match closing.closure {
        Closure::OutOfScope => {
            let category = closing.scope_category.as_deref().unwrap_or("");
            let item = policy
                .scope
                .out_of_scope
                .iter()
                .find(|i| i.category == category)
                .ok_or_else(|| {
                    let known: Vec<&str> = policy
                        .scope
                        .out_of_scope
                        .iter()
                        .map(|i| i.category.as_str())
                        .collect();
                    CaseError(if known.is_empty() {
                        "the policy lists nothing out of scope; close it as informative instead"
                            .to_owned()
                    } else {
                        format!(
                            "choose which out-of-scope category of the policy applies: {}",
                            known.join(", ")
                        )
                    })
                })?;
            next.record.scope_category = Some(item.category.clone());
            detail.push_str(&format!(" category={}", item.category));
            let mut text = format!(
                "The team closed your report as out of scope under the policy: {}.",
                item.title
            );
            if let Some(explanation) = &item.explanation {
                text.push(' ');
                text.push_str(explanation);
            }
            text
        }
        Closure::Duplicate => {
            let original = closing
                .duplicate_of
                .as_ref()
                .ok_or_else(|| CaseError("closing as duplicate needs the original report".into()))?;
            next.record.duplicate_of = Some(original.to_string());
            detail.push_str(&format!(" original={original}"));
            format!(
                "The team closed your report as a duplicate of report {original}, received earlier, which is being handled."
            )
        }
        Closure::Informative => {
            "The team closed your report as informative: it is not treated as a vulnerability."
                .to_owned()
        }
        Closure::NotReproducible => {
            "The team closed your report: they could not reproduce the issue. Reply with more detail if you can."
                .to_owned()
        }
        Closure::Spam => "The report was closed.".to_owned(),
        Closure::Resolved => "The report is closed. Thank you.".to_owned(),
    };
    Ok(("report.closed", detail, Some(notice)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ClockState, Outcome};
    use crate::policy::Unit;
    use proptest::prelude::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn policy() -> Policy {
        let text = r#"
[project]
name = "Example"

[[channels]]
kind = "web-form"

[response]
time_zone = "UTC"
acknowledge = "48 hours"
assess = "5 days"

[severity.high]
fix = "1-2 weeks"

[[scope.out]]
category = "dos"
title = "Denial of service"
explanation = "Volumetric attacks are handled by our hosting provider."
"#;
        let checked = crate::policy::parse_str(text, at("2026-11-01T00:00:00Z"));
        checked
            .policy
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    #[test]
    fn accepting_takes_the_severity_from_the_score_unless_overridden_with_a_reason() {
        let policy = policy();
        let received = at("2026-11-02T10:00:00Z");
        let case = Case::received(&policy, received);
        let high = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";
        let accept = |severity, reason: Option<&str>| {
            apply(
                &case,
                &Action::Accept(Rating {
                    cvss_vector: Some(high.into()),
                    severity,
                    reason: reason.map(str::to_owned),
                }),
                &policy,
                at("2026-11-03T10:00:00Z"),
            )
        };
        let applied = accept(None, None).unwrap();
        assert_eq!(applied.case.severity, Some(Severity::High));
        assert_eq!(applied.case.record.cvss_score, Some(7.5));
        assert_eq!(applied.case.status, ReportStatus::Triaged);
        assert_eq!(
            applied.notice.as_deref(),
            Some("The team has confirmed the vulnerability and rated it High (CVSS 7.5).")
        );
        let fix = applied.case.clocks.open(ClockKind::Fix).unwrap();
        assert_eq!(fix.target_at(), Some(at("2026-11-10T10:00:00Z")));
        assert_eq!(fix.limit_at(), Some(at("2026-11-17T10:00:00Z")));
        let refused = accept(Some(Severity::Critical), None).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the vector scores 7.5 (high); to record critical instead, give a reason"
        );
        let overridden = accept(Some(Severity::Critical), Some("chained with CVE-2026-1")).unwrap();
        assert_eq!(overridden.case.severity, Some(Severity::Critical));
        assert!(overridden.detail.contains("reason=chained with CVE-2026-1"));
        let nothing =
            apply(&case, &Action::Accept(Rating::default()), &policy, received).unwrap_err();
        assert!(nothing.to_string().starts_with("choose a severity"));
        let bad = apply(
            &case,
            &Action::Accept(Rating {
                cvss_vector: Some("CVSS:3.1/AV:X".into()),
                ..Rating::default()
            }),
            &policy,
            received,
        )
        .unwrap_err();
        assert!(
            bad.to_string().contains("not a valid CVSS v3 vector"),
            "{bad}"
        );
    }

    #[test]
    fn the_first_answer_is_recorded_and_deadlines_count_from_the_event_the_policy_names() {
        let text = r#"
[project]
name = "Example"

[[channels]]
kind = "web-form"

[response]
time_zone = "UTC"
acknowledge = "48 hours"

[severity.high]
fix = { within = "30 days", starts = "receipt" }
release = { within = "10 days", starts = "acknowledgement" }
disclose = { untimed = true, says = "once users have upgraded" }
"#;
        let policy = crate::policy::parse_str(text, at("2026-11-01T00:00:00Z"))
            .policy
            .unwrap();
        let received = at("2026-11-02T10:00:00Z");
        let case = Case::received(&policy, received);
        let acked_at = at("2026-11-03T10:00:00Z");
        let acked = apply(&case, &Action::Acknowledge, &policy, acked_at).unwrap();
        assert_eq!(acked.case.record.acknowledged_at, Some(acked_at));
        let accepted = apply(
            &acked.case,
            &Action::Accept(Rating {
                severity: Some(Severity::High),
                ..Rating::default()
            }),
            &policy,
            at("2026-11-09T10:00:00Z"),
        )
        .unwrap();
        // The first answer stays the acknowledgement, not the acceptance.
        assert_eq!(accepted.case.record.acknowledged_at, Some(acked_at));
        let clocks = &accepted.case.clocks;
        let fix = clocks.open(ClockKind::Fix).unwrap();
        assert_eq!(fix.started_at, received);
        assert_eq!(fix.limit_at(), Some(at("2026-12-02T10:00:00Z")));
        let release = clocks.open(ClockKind::Release).unwrap();
        assert_eq!(release.limit_at(), Some(at("2026-11-13T10:00:00Z")));
        let disclose = clocks.open(ClockKind::Disclose).unwrap();
        assert_eq!(disclose.promised, "once users have upgraded");
        assert_eq!(disclose.limit_at(), None);
        // The untimed promise refuses an extension with words that say why.
        let refused = apply(
            &accepted.case,
            &Action::Extend(
                ClockKind::Disclose,
                TimeSpan {
                    amount: 1,
                    unit: Unit::Weeks,
                },
                "upstream".into(),
            ),
            &policy,
            at("2026-11-10T10:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the disclose promise has no set time: there is no limit to extend"
        );
        // A report answered before the moment was recorded falls back to its acknowledge clock.
        let mut older = acked.case.clone();
        older.record.acknowledged_at = None;
        assert_eq!(older.moments().acknowledged_at, Some(acked_at));
    }

    #[test]
    fn closing_out_of_scope_quotes_the_policy_and_duplicates_name_the_original() {
        let policy = policy();
        let case = Case::received(&policy, at("2026-11-02T10:00:00Z"));
        let wrong = apply(
            &case,
            &Action::Close(Closing {
                closure: Closure::OutOfScope,
                duplicate_of: None,
                scope_category: Some("xss".into()),
            }),
            &policy,
            at("2026-11-02T12:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "choose which out-of-scope category of the policy applies: dos"
        );
        let closed = apply(
            &case,
            &Action::Close(Closing {
                closure: Closure::OutOfScope,
                duplicate_of: None,
                scope_category: Some("dos".into()),
            }),
            &policy,
            at("2026-11-02T12:00:00Z"),
        )
        .unwrap();
        assert_eq!(closed.case.status, ReportStatus::Closed);
        assert_eq!(
            closed.notice.as_deref(),
            Some(
                "The team closed your report as out of scope under the policy: Denial of service. Volumetric attacks are handled by our hosting provider."
            )
        );
        let first = closed
            .case
            .clocks
            .0
            .iter()
            .find(|c| c.kind == ClockKind::Acknowledge);
        assert_eq!(first.and_then(|c| c.outcome), Some(Outcome::Met));
        let original = ReportId::from_random([7; crate::report::REPORT_ID_BYTES]);
        let dup = apply(
            &case,
            &Action::Close(Closing {
                closure: Closure::Duplicate,
                duplicate_of: Some(original.clone()),
                scope_category: None,
            }),
            &policy,
            at("2026-11-02T12:00:00Z"),
        )
        .unwrap();
        assert_eq!(dup.case.record.duplicate_of, Some(original.to_string()));
        assert!(dup.notice.unwrap().contains(original.as_str()));
    }

    #[test]
    fn clock_actions_need_reasons_and_leave_the_case_unchanged_on_error() {
        let policy = policy();
        let case = Case::received(&policy, at("2026-11-02T10:00:00Z"));
        let no_reason = apply(
            &case,
            &Action::Extend(
                ClockKind::Acknowledge,
                TimeSpan {
                    amount: 1,
                    unit: Unit::Days,
                },
                " ".into(),
            ),
            &policy,
            at("2026-11-02T12:00:00Z"),
        )
        .unwrap_err();
        assert!(no_reason.to_string().starts_with("give a reason"));
        let extended = apply(
            &case,
            &Action::Extend(
                ClockKind::Acknowledge,
                TimeSpan {
                    amount: 1,
                    unit: Unit::Days,
                },
                "holiday weekend".into(),
            ),
            &policy,
            at("2026-11-02T12:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            extended
                .case
                .clocks
                .open(ClockKind::Acknowledge)
                .unwrap()
                .limit_at()
                .unwrap(),
            at("2026-11-05T10:00:00Z")
        );
        assert_eq!(
            extended.notice.as_deref(),
            Some("The team needs more time to acknowledge the report: holiday weekend")
        );
        let versions = apply(
            &case,
            &Action::Fixed(vec![" , ".into()]),
            &policy,
            at("2026-11-03T00:00:00Z"),
        )
        .unwrap_err();
        assert!(
            versions.to_string().contains("name the versions"),
            "{versions}"
        );
        assert_eq!(
            parse_closure("not-reproducible"),
            Some(Closure::NotReproducible)
        );
        assert_eq!(parse_severity("High"), Some(Severity::High));
    }

    fn full_policy() -> Policy {
        let text = r#"
[project]
name = "Example"

[[channels]]
kind = "web-form"

[response]
time_zone = "UTC"
acknowledge = "48 hours"
assess = "5 days"
plan = "1-2 weeks"
update_interval = "7 days"

[severity.high]
fix = "30 days"
release = "45 days"
disclose = "60 days"
"#;
        crate::policy::parse_str(text, at("2026-11-01T00:00:00Z"))
            .policy
            .unwrap()
    }

    fn some_action(n: u8) -> Action {
        match n % 11 {
            0 => Action::Acknowledge,
            1 => Action::Accept(Rating {
                severity: Some(Severity::High),
                ..Rating::default()
            }),
            2 => Action::Close(Closing {
                closure: Closure::Informative,
                duplicate_of: None,
                scope_category: None,
            }),
            3 => Action::StartFix,
            4 => Action::Fixed(vec!["1.0.1".into()]),
            5 => Action::Disclose,
            6 => Action::Resolve,
            7 => Action::MessageSent(false),
            8 => Action::MessageSent(true),
            9 => Action::Pause(ClockKind::Plan, "waiting for upstream".into()),
            _ => Action::Resume(ClockKind::Plan, "upstream answered".into()),
        }
    }

    #[test]
    fn a_disclosed_report_raises_no_alarm_and_an_old_one_is_settled_once() {
        let policy = full_policy();
        let received = at("2025-12-09T06:00:00Z");
        let mut case = Case::received(&policy, received);
        for (action, when) in [
            (Action::Acknowledge, "2025-12-09T11:00:00Z"),
            (some_action(1), "2025-12-11T10:00:00Z"),
            (Action::StartFix, "2025-12-13T04:00:00Z"),
            (Action::Fixed(vec!["2.1.2".into()]), "2025-12-24T11:00:00Z"),
            (Action::Disclose, "2026-01-08T21:00:00Z"),
        ] {
            case = apply(&case, &action, &policy, at(when)).unwrap().case;
        }
        // A year on, nothing of it is overdue: the plan never sent was missed (its two weeks
        // had passed when the fix came), the rest kept.
        assert_eq!(case.clocks.next_due(), None);
        assert!(!case.clocks.is_overdue(at("2026-12-01T00:00:00Z")));
        let plan = case.clocks.0.iter().find(|c| c.kind == ClockKind::Plan);
        assert_eq!(plan.and_then(|c| c.outcome), Some(Outcome::Missed));
        assert_eq!(settle_stale(&case, at("2026-12-01T00:00:00Z")), None);

        // The same report as an older version stored it: plan and update left running.
        let mut old = case.clone();
        let plan = old.clocks.0.iter().position(|c| c.kind == ClockKind::Plan);
        let update = old
            .clocks
            .0
            .iter()
            .rposition(|c| c.kind == ClockKind::Update);
        for i in [plan, update].into_iter().flatten() {
            old.clocks.0[i].outcome = None;
            old.clocks.0[i].resolved_at = None;
        }
        assert!(old.clocks.is_overdue(at("2026-12-01T00:00:00Z")));
        let settled = settle_stale(&old, at("2026-01-08T21:00:00Z")).unwrap();
        assert_eq!(settled.event, "clocks.settled");
        assert_eq!(settled.detail, "plan=missed update=missed");
        assert_eq!(settled.notice, None);
        assert_eq!(settled.case.clocks.next_due(), None);
        assert_eq!(
            settle_stale(&settled.case, at("2026-12-01T00:00:00Z")),
            None
        );
    }

    proptest! {
        /// Whatever the team does and whenever, a report's running clocks are only promises its
        /// state can still keep; a settled clock keeps its outcome; a promise past its limit is
        /// never settled as met or as no longer applying; a disclosed or closed report has no
        /// next deadline.
        #[test]
        fn clocks_left_running_are_ones_the_state_can_still_keep(
            steps in proptest::collection::vec((any::<u8>(), 0u32..24 * 40), 1..24),
        ) {
            let policy = full_policy();
            let mut now = at("2026-01-05T09:00:00Z");
            let mut case = Case::received(&policy, now);
            for (n, hours) in steps {
                now += jiff::SignedDuration::from_hours(i64::from(hours));
                let Ok(applied) = apply(&case, &some_action(n), &policy, now) else {
                    continue;
                };
                let next = applied.case;
                for clock in next.clocks.0.iter().filter(|c| c.is_open()) {
                    prop_assert!(
                        clock.kind.can_be_kept_in(next.status),
                        "{:?} runs in a {} report", clock.kind, next.status.name()
                    );
                }
                for (before, after) in case.clocks.0.iter().zip(&next.clocks.0) {
                    if !before.is_open() {
                        prop_assert_eq!(before, after, "a settled clock changed");
                        continue;
                    }
                    if !after.is_open() && before.state(now) == ClockState::Overdue {
                        prop_assert_eq!(after.outcome, Some(Outcome::Missed));
                    }
                    if after.outcome == Some(Outcome::Met) {
                        let kept = before.paused_at.map_or(now, |p| p.min(now));
                        prop_assert!(after.limit_at().is_some_and(|l| kept <= l));
                    }
                }
                if matches!(next.status, ReportStatus::Disclosed | ReportStatus::Closed) {
                    prop_assert_eq!(next.clocks.next_due(), None);
                }
                prop_assert_eq!(settle_stale(&next, now), None, "apply left nothing to settle");
                case = next;
            }
        }
    }
}
