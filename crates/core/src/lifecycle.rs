//! The report lifecycle of PRODUCT.md as a state machine: which transition is legal from which
//! status, and what each one needs (a severity to accept, the original to close as duplicate,
//! fix versions to mark fixed). Illegal transitions are errors that say why.

use std::fmt;

use crate::policy::Severity;
use crate::report::{ReportId, ReportStatus};

/// Why a report was closed without (or after) a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    /// Outside the policy's scope.
    OutOfScope,
    /// Reported before; `duplicate_of` names the original.
    Duplicate,
    /// True but not a vulnerability.
    Informative,
    /// The team could not reproduce it.
    NotReproducible,
    /// Not a report at all.
    Spam,
    /// Disclosed and done.
    Resolved,
}

/// A requested change of status, with what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// Confirm receipt.
    Acknowledge,
    /// Accept as a vulnerability with a severity.
    Accept {
        /// The severity the deadlines run by.
        severity: Severity,
    },
    /// Close, with the reason.
    Close {
        /// Why.
        closure: Closure,
        /// The original, for a duplicate.
        duplicate_of: Option<ReportId>,
    },
    /// Work on a fix has started.
    StartFix,
    /// Fixed in these versions.
    Fixed {
        /// Versions that contain the fix.
        versions: Vec<String>,
    },
    /// The advisory is public.
    Disclose,
}

impl Transition {
    fn name(&self) -> &'static str {
        match self {
            Transition::Acknowledge => "acknowledge",
            Transition::Accept { .. } => "accept",
            Transition::Close { .. } => "close",
            Transition::StartFix => "start fixing",
            Transition::Fixed { .. } => "mark fixed",
            Transition::Disclose => "disclose",
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionError(pub String);

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TransitionError {}

/// The status a transition leads to from `from`, or why it cannot happen.
pub fn next_status(
    from: ReportStatus,
    transition: &Transition,
) -> Result<ReportStatus, TransitionError> {
    use ReportStatus as S;
    let refuse = |why: &str| {
        Err(TransitionError(format!(
            "cannot {} a report that is {}: {why}",
            transition.name(),
            from.name()
        )))
    };
    match (transition, from) {
        (Transition::Acknowledge, S::Received) => Ok(S::Acknowledged),
        (Transition::Acknowledge, _) => refuse("it was acknowledged already"),
        (Transition::Accept { .. }, S::Received | S::Acknowledged) => Ok(S::Triaged),
        (Transition::Accept { .. }, _) => {
            refuse("only a new or acknowledged report can be accepted")
        }
        (
            Transition::Close {
                closure: Closure::Duplicate,
                duplicate_of: None,
            },
            _,
        ) => refuse("closing as duplicate needs the original report"),
        (
            Transition::Close {
                closure: Closure::Resolved,
                ..
            },
            S::Fixed | S::Disclosed,
        ) => Ok(S::Closed),
        (
            Transition::Close {
                closure: Closure::Resolved,
                ..
            },
            _,
        ) => refuse("only a fixed or disclosed report is resolved"),
        (Transition::Close { .. }, S::Received | S::Acknowledged | S::Triaged) => Ok(S::Closed),
        (Transition::Close { .. }, _) => {
            refuse("work on a fix has started; close it as resolved once disclosed")
        }
        (Transition::StartFix, S::Triaged) => Ok(S::Fixing),
        (Transition::StartFix, _) => refuse("only an accepted report can be fixed"),
        (Transition::Fixed { versions }, _) if versions.iter().all(|v| v.trim().is_empty()) => {
            refuse("name the versions that contain the fix")
        }
        (Transition::Fixed { .. }, S::Triaged | S::Fixing) => Ok(S::Fixed),
        (Transition::Fixed { .. }, _) => refuse("only an accepted report can be fixed"),
        (Transition::Disclose, S::Fixed) => Ok(S::Disclosed),
        (Transition::Disclose, _) => refuse("only a fixed report is disclosed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReportStatus as S;

    fn walk(steps: &[Transition]) -> Result<ReportStatus, TransitionError> {
        steps.iter().try_fold(S::Received, next_status)
    }

    #[test]
    fn the_happy_path_reaches_closed() {
        let steps = [
            Transition::Acknowledge,
            Transition::Accept {
                severity: Severity::High,
            },
            Transition::StartFix,
            Transition::Fixed {
                versions: vec!["1.2.3".into()],
            },
            Transition::Disclose,
            Transition::Close {
                closure: Closure::Resolved,
                duplicate_of: None,
            },
        ];
        assert_eq!(walk(&steps), Ok(S::Closed));
    }

    #[test]
    fn illegal_transitions_say_why() {
        let error = next_status(S::Fixing, &Transition::Acknowledge).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot acknowledge a report that is fixing: it was acknowledged already"
        );
        let error = next_status(
            S::Received,
            &Transition::Close {
                closure: Closure::Duplicate,
                duplicate_of: None,
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("needs the original report"));
        let error = next_status(
            S::Triaged,
            &Transition::Fixed {
                versions: vec![" ".into()],
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("name the versions"));
        assert!(next_status(S::Received, &Transition::Disclose).is_err());
        assert!(
            next_status(
                S::Fixing,
                &Transition::Close {
                    closure: Closure::Spam,
                    duplicate_of: None
                }
            )
            .is_err()
        );
    }

    #[test]
    fn every_pair_is_decided_and_closed_is_final() {
        let transitions = [
            Transition::Acknowledge,
            Transition::Accept {
                severity: Severity::Low,
            },
            Transition::Close {
                closure: Closure::Spam,
                duplicate_of: None,
            },
            Transition::Close {
                closure: Closure::Resolved,
                duplicate_of: None,
            },
            Transition::StartFix,
            Transition::Fixed {
                versions: vec!["2".into()],
            },
            Transition::Disclose,
        ];
        for (_, status) in ReportStatus::ALL {
            for t in &transitions {
                let result = next_status(status, t);
                if status == S::Closed {
                    assert!(result.is_err(), "{t:?} from closed");
                }
                if let Ok(next) = result {
                    assert_ne!(next, status, "{t:?} from {status:?} must move");
                }
            }
        }
    }
}
