//! What an import does to a product's findings: the one rule, pure, so that every way in
//! (terminal, API) and both databases agree. New keys open, keys still there stay as they
//! are, keys gone close as fixed, and fixed keys that come back reopen. Importing the same
//! report twice changes nothing the second time.

use std::collections::HashMap;

use super::Finding;

/// Where a stored finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingState {
    /// Seen in the latest import and not decided: its fix clock runs.
    Open,
    /// Gone from a later import of its product and version.
    Fixed,
    /// The team accepts the risk, with a reason, until an expiry.
    AcceptedRisk,
    /// The team says it is not a real finding, with a reason.
    FalsePositive,
}

impl FindingState {
    /// Every state.
    pub const ALL: [FindingState; 4] = [
        FindingState::Open,
        FindingState::Fixed,
        FindingState::AcceptedRisk,
        FindingState::FalsePositive,
    ];

    /// The stored (and command-line) name.
    pub fn name(self) -> &'static str {
        match self {
            FindingState::Open => "open",
            FindingState::Fixed => "fixed",
            FindingState::AcceptedRisk => "accepted-risk",
            FindingState::FalsePositive => "false-positive",
        }
    }

    /// The state with this name.
    pub fn parse(name: &str) -> Option<FindingState> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A stored finding of the product, as reconciling needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// Its row id.
    pub id: String,
    /// `Finding::key`.
    pub key: String,
    /// Where it stands.
    pub state: FindingState,
}

/// What an import changes. Indices point into the imported findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Findings seen for the first time: they open.
    pub new: Vec<usize>,
    /// Stored findings still there (open or decided): untouched.
    pub unchanged: usize,
    /// Stored findings (open or decided) gone from the report: they close as fixed.
    pub closed: Vec<String>,
    /// Fixed findings back in the report: (row id, index) reopen.
    pub reopened: Vec<(String, usize)>,
    /// `Finding::key` of each imported finding, by index.
    pub keys: Vec<String>,
}

impl Plan {
    /// Whether the import changes nothing stored.
    pub fn is_empty(&self) -> bool {
        self.new.is_empty() && self.closed.is_empty() && self.reopened.is_empty()
    }
}

/// Compares a product's stored findings with an import's (each key once, as `scan::parse`
/// gives them).
pub fn reconcile(existing: &[Existing], incoming: &[Finding]) -> Plan {
    let stored: HashMap<&str, &Existing> = existing.iter().map(|e| (e.key.as_str(), e)).collect();
    let mut seen: HashMap<&str, ()> = HashMap::with_capacity(incoming.len());
    let mut plan = Plan::default();
    let keys: Vec<String> = incoming.iter().map(Finding::key).collect();
    for (index, key) in keys.iter().enumerate() {
        seen.insert(key.as_str(), ());
        match stored.get(key.as_str()) {
            None => plan.new.push(index),
            Some(e) if e.state == FindingState::Fixed => {
                plan.reopened.push((e.id.clone(), index));
            }
            Some(_) => plan.unchanged += 1,
        }
    }
    for e in existing {
        if e.state != FindingState::Fixed && !seen.contains_key(e.key.as_str()) {
            plan.closed.push(e.id.clone());
        }
    }
    plan.keys = keys;
    plan
}
