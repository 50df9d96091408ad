use super::*;

fn finding(id: &str) -> Finding {
    Finding {
        kind: FindingKind::Dependency,
        target: "app".into(),
        package: "pkg".into(),
        ecosystem: "npm".into(),
        installed_version: "1.0".into(),
        fixed_versions: String::new(),
        vuln_id: id.into(),
        aliases: Vec::new(),
        title: String::new(),
        severity: FindingSeverity::High,
        cvss: None,
        location: String::new(),
        url: String::new(),
    }
}

fn stored(plan_keys: &[String], states: &[FindingState]) -> Vec<Existing> {
    plan_keys
        .iter()
        .zip(states)
        .enumerate()
        .map(|(i, (key, state))| Existing {
            id: format!("row{i}"),
            key: key.clone(),
            state: *state,
        })
        .collect()
}

#[test]
fn new_unchanged_closed_reopened() {
    let first = vec![finding("A"), finding("B"), finding("C")];
    let plan = reconcile(&[], &first);
    assert_eq!(plan.new, vec![0, 1, 2]);
    // B stays open, A was fixed earlier, C was accepted; the import has A and B and D.
    let existing = stored(
        &plan.keys,
        &[
            FindingState::Fixed,
            FindingState::Open,
            FindingState::AcceptedRisk,
        ],
    );
    let second = vec![finding("A"), finding("B"), finding("D")];
    let plan = reconcile(&existing, &second);
    assert_eq!(plan.new, vec![2]);
    assert_eq!(plan.unchanged, 1);
    assert_eq!(plan.reopened, vec![("row0".to_owned(), 0)]);
    assert_eq!(plan.closed, vec!["row2".to_owned()]);
}

#[test]
fn the_same_report_again_changes_nothing() {
    let report = vec![finding("A"), finding("B")];
    let plan = reconcile(&[], &report);
    let existing = stored(
        &plan.keys,
        &[FindingState::Open, FindingState::FalsePositive],
    );
    let again = reconcile(&existing, &report);
    assert!(again.is_empty());
    assert_eq!(again.unchanged, 2);
}

#[test]
fn the_installed_version_is_not_the_identity() {
    let mut upgraded = finding("A");
    upgraded.installed_version = "1.1".into();
    assert_eq!(finding("A").key(), upgraded.key());
    assert_ne!(finding("A").key(), finding("B").key());
}

#[test]
fn severities_from_words_and_scores() {
    assert_eq!(
        FindingSeverity::from_word("MODERATE"),
        FindingSeverity::Medium
    );
    assert_eq!(
        FindingSeverity::from_word("negligible"),
        FindingSeverity::Unknown
    );
    assert_eq!(FindingSeverity::from_score(9.8), FindingSeverity::Critical);
    assert_eq!(FindingSeverity::from_score(0.0), FindingSeverity::Unknown);
    assert_eq!(FindingSeverity::Unknown.policy(), None);
}
