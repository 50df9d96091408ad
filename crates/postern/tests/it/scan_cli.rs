//! `postern scan import` and `postern scan list` on a real data directory, with the real
//! reports in ../shared/testdata/scans (skipped with a note where they are absent).

use crate::support::{postern, stderr, stdout, workspace};

#[test]
fn import_prints_counts_then_reimport_changes_nothing_and_list_filters() {
    let report = workspace().join("../shared/testdata/scans/trivy/scheme_2_many_vulns.json");
    if !report.exists() {
        eprintln!("NOTE: skipping: {} is absent", report.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let file = report.display().to_string();
    let args = [
        "scan",
        "import",
        &file,
        "--project",
        "acme-widgets",
        "--product",
        "image",
        "--version",
        "2.4",
        "--data",
        &data,
    ];
    let first = postern(dir.path(), &args);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let count = postern_core::scan::parse(&std::fs::read(&report).unwrap())
        .unwrap()
        .findings
        .len();
    assert!(
        stdout(&first).contains(&format!("{count} new, 0 unchanged, 0 closed, 0 reopened")),
        "{}",
        stdout(&first)
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let again = postern(dir.path(), &json_args);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let outcome: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(outcome["new"], 0);
    assert_eq!(outcome["unchanged"], count);
    assert_eq!(outcome["format"], "trivy");

    let list = postern(
        dir.path(),
        &[
            "scan",
            "list",
            "--data",
            &data,
            "--severity",
            "critical",
            "--state",
            "open",
        ],
    );
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let text = stdout(&list);
    assert!(text.starts_with("ID "), "a header line first: {text}");
    let criticals = text
        .lines()
        .skip(1)
        .filter(|l| l.contains(" critical "))
        .count();
    assert_eq!(criticals, text.lines().count() - 1, "{text}");

    // The project ships the vulnerable package: an advisory about its own product is drafted
    // from the finding, once.
    let finding = text
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let draft_args = [
        "advisory",
        "draft",
        "--from-finding",
        finding,
        "--data",
        &data,
    ];
    let draft = postern(dir.path(), &draft_args);
    assert_eq!(draft.status.code(), Some(0), "{}", stderr(&draft));
    let advisory: serde_json::Value = serde_json::from_slice(&draft.stdout).unwrap();
    assert_eq!(advisory["affected"][0]["package"], "acme-widgets");
    assert_eq!(advisory["severity"], "critical");
    let again = postern(dir.path(), &draft_args);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    assert!(
        stderr(&again).contains("drafted from this finding already"),
        "{}",
        stderr(&again)
    );

    let bad = postern(
        dir.path(),
        &["scan", "list", "--data", &data, "--severity", "severe"],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("severity"), "{}", stderr(&bad));

    // A cut report: a located error, exit 1, nothing changed.
    let cut = dir.path().join("cut.json");
    let bytes = std::fs::read(&report).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let cut_arg = cut.display().to_string();
    let mut cut_args = args.to_vec();
    cut_args[2] = &cut_arg;
    let failed = postern(dir.path(), &cut_args);
    assert_eq!(failed.status.code(), Some(1));
    assert!(stderr(&failed).contains("truncated"), "{}", stderr(&failed));
    let after = postern(dir.path(), &json_args);
    let outcome: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(outcome["unchanged"], count);
}

#[test]
fn token_create_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let made = postern(
        dir.path(),
        &[
            "token",
            "create",
            "--name",
            "CI",
            "--project",
            "acme-widgets",
            "--data",
            &data,
        ],
    );
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let text = stdout(&made);
    let value = text
        .split_whitespace()
        .find(|w| w.starts_with("pst_") && w.len() > 40)
        .expect("the token is printed once")
        .to_owned();
    let id = text.split_whitespace().nth(1).unwrap().to_owned();
    let list = postern(dir.path(), &["token", "list", "--data", &data]);
    let listed = stdout(&list);
    assert!(listed.contains(&id) && listed.contains("live"), "{listed}");
    assert!(!listed.contains(&value), "the value is never shown again");
    let revoked = postern(dir.path(), &["token", "revoke", &id, "--data", &data]);
    assert_eq!(revoked.status.code(), Some(0), "{}", stderr(&revoked));
    assert!(stdout(&postern(dir.path(), &["token", "list", "--data", &data])).contains("revoked"));
    let again = postern(dir.path(), &["token", "revoke", &id, "--data", &data]);
    assert_ne!(again.status.code(), Some(0));
    assert!(
        stderr(&again).contains("no live token"),
        "{}",
        stderr(&again)
    );
    let wrong = postern(
        dir.path(),
        &[
            "token",
            "create",
            "--name",
            "CI",
            "--project",
            "nope",
            "--data",
            &data,
        ],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr(&wrong).contains("--projects"), "{}", stderr(&wrong));
}
