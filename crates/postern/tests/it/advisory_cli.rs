//! `postern advisory import|publish|export|list` on a real data directory.

use crate::support::{postern, stderr, stdout};

#[test]
fn an_advisory_is_imported_published_and_exported_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    let file = dir.path().join("advisory.json");
    let advisory = serde_json::json!({
        "id": "ACME-2026-0001",
        "project": "acme-widgets",
        "title": "Template injection in render",
        "summary": "Templates from users were evaluated on the server",
        "details": "Upgrade to 2.4.1.",
        "severity": "critical",
        "cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "cwes": ["CWE-1336"],
        "affected": [{"ecosystem": "PyPI", "package": "acme-widgets", "ranges": [{"introduced": "0", "fixed": "2.4.1"}]}],
        "credits": [{"name": null, "role": "FINDER"}],
        "modified": "2026-11-20T00:00:00Z"
    });
    std::fs::write(&file, advisory.to_string()).unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--data", &data_arg]);
        postern(dir.path(), &all)
    };
    let file_arg = file.display().to_string();
    let saved = run(&["advisory", "import", &file_arg, "--as", "alice@example.org"]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    assert!(
        run(&["advisory", "list"]).stdout.is_empty(),
        "a draft is not listed"
    );
    let published = run(&["advisory", "publish", "ACME-2026-0001"]);
    assert_eq!(published.status.code(), Some(0), "{}", stderr(&published));
    assert!(stdout(&run(&["advisory", "list"])).contains("ACME-2026-0001"));
    let osv = run(&["advisory", "export", "ACME-2026-0001", "--format", "osv"]);
    let osv: serde_json::Value = serde_json::from_slice(&osv.stdout).unwrap();
    assert_eq!(osv["id"], "x_ACME-2026-0001");
    assert_eq!(osv["credits"][0]["name"], "Anonymous");
    assert!(osv["published"].is_string());
    let bulk = dir.path().join("osv");
    let bulk_arg = bulk.display().to_string();
    let exported = run(&["advisory", "export-osv", "--dir", &bulk_arg]);
    assert_eq!(exported.status.code(), Some(0), "{}", stderr(&exported));
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bulk.join("x_ACME-2026-0001.json")).unwrap())
            .unwrap();
    assert_eq!(written["id"], "x_ACME-2026-0001");
    assert_eq!(std::fs::read_dir(&bulk).unwrap().count(), 1);
    let credits = stdout(&run(&["credits", "--format", "markdown"]));
    assert!(
        credits.starts_with("# Security acknowledgements: Acme Widgets"),
        "{credits}"
    );
    assert!(!credits.contains("Anonymous"), "{credits}");
    let cve = run(&["advisory", "export", "ACME-2026-0001", "--format", "cve"]);
    assert_eq!(cve.status.code(), Some(1));
    assert!(
        stderr(&cve).contains("assign a CVE id first"),
        "{}",
        stderr(&cve)
    );
    // A broken record is refused with the field named, and nothing is stored.
    let mut bad = advisory.clone();
    bad["id"] = "ACME-2026-0002".into();
    bad["cwes"] = serde_json::json!(["79"]);
    std::fs::write(&file, bad.to_string()).unwrap();
    let refused = run(&["advisory", "import", &file_arg]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("cwes: \"79\" is not a CWE id"),
        "{}",
        stderr(&refused)
    );
    let missing = run(&["advisory", "publish", "ACME-2026-0002"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn a_scheduled_advisory_is_published_by_serve_when_its_embargo_ends() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    let file = dir.path().join("advisory.json");
    let advisory = serde_json::json!({
        "id": "ACME-2026-0003",
        "project": "acme-widgets",
        "title": "Open redirect after sign-in",
        "summary": "The next parameter allowed any site",
        "details": "",
        "severity": "low",
        "affected": [{"ecosystem": "PyPI", "package": "acme-widgets", "versions": ["2.4.0"]}],
        "modified": "2026-11-20T00:00:00Z"
    });
    std::fs::write(&file, advisory.to_string()).unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--data", &data_arg]);
        postern(dir.path(), &all)
    };
    let file_arg = file.display().to_string();
    assert_eq!(
        run(&["advisory", "import", &file_arg]).status.code(),
        Some(0)
    );
    let too_late = run(&[
        "advisory",
        "schedule",
        "ACME-2026-0003",
        "--at",
        "2099-01-01T00:00:00Z",
    ]);
    assert_eq!(too_late.status.code(), Some(1));
    assert!(
        stderr(&too_late).contains("beyond the policy's maximum embargo"),
        "{}",
        stderr(&too_late)
    );
    // An embargo that ended while no server ran: the next start publishes it.
    let scheduled = run(&[
        "advisory",
        "schedule",
        "ACME-2026-0003",
        "--at",
        "2026-01-01T00:00:00Z",
    ]);
    assert_eq!(scheduled.status.code(), Some(0), "{}", stderr(&scheduled));
    let server = crate::support::start(&[], &data);
    loop {
        let line = server
            .lines
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the server publishes the advisory");
        if line.starts_with("Published advisory ACME-2026-0003") {
            break;
        }
    }
    let (status, _) = crate::support::http_get(&server.address, "/advisories/ACME-2026-0003");
    assert!(status.contains("200"), "{status}");
}
