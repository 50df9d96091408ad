//! `postern audit verify` on a real data directory, before and after tampering with the database.

use crate::support::{http_request, postern, sigterm, start, stderr, stdout};

/// Three reports through the API: with the first admin's account, four audit events.
fn submit_three(address: &str) {
    for i in 0..3 {
        let body = serde_json::json!({"fields": {"title": format!("t{i}"), "description": "d", "impact": "i", "steps_to_reproduce": "s", "proof_of_concept": "p"}}).to_string();
        let (status, _) = http_request(
            address,
            "POST",
            "/api/v1/reports",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(status, 201);
    }
}

#[test]
fn audit_verify_passes_then_names_the_tampered_event() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = start(&[], &data);
    submit_three(&server.address);
    assert_eq!(sigterm(&mut server).code(), Some(0));

    let data_arg = data.display().to_string();
    let intact = postern(dir.path(), &["audit", "verify", "--data", &data_arg]);
    assert_eq!(intact.status.code(), Some(0), "{}", stderr(&intact));
    assert!(
        stdout(&intact).contains("The audit log is intact: 4 event(s)"),
        "{}",
        stdout(&intact)
    );

    // Event 1 is the first admin's account; 2 to 4 are the reports.
    tamper(
        &data.join("postern.sqlite3"),
        "UPDATE audit_events SET actor = 'someone else' WHERE seq = 2",
    );
    let broken = postern(dir.path(), &["audit", "verify", "--data", &data_arg]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stderr(&broken).contains("event 2 was edited"),
        "{}",
        stderr(&broken)
    );
}

/// Runs one statement on a data directory's SQLite database, as an attacker with the database
/// alone would.
fn tamper(database: &std::path::Path, sql: &'static str) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", database.display()))
                .await
                .unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        });
}

#[test]
fn a_checkpoint_catches_the_newest_events_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = start(&[], &data);
    submit_three(&server.address);
    // The served checkpoint and the terminal's are the same document.
    let (_, served) = http_request(&server.address, "GET", "/audit/checkpoint", &[], b"").unwrap();
    assert_eq!(sigterm(&mut server).code(), Some(0));
    let data_arg = data.display().to_string();
    let printed = postern(dir.path(), &["audit", "checkpoint", "--data", &data_arg]);
    assert_eq!(printed.status.code(), Some(0), "{}", stderr(&printed));
    let parsed: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    let served: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert_eq!(parsed["events"], 4);
    assert_eq!(
        (&parsed["events"], &parsed["head"]),
        (&served["events"], &served["head"])
    );
    let checkpoint = dir.path().join("checkpoint.json");
    std::fs::write(&checkpoint, &printed.stdout).unwrap();
    let checkpoint_arg = checkpoint.display().to_string();
    let verify = || {
        postern(
            dir.path(),
            &[
                "audit",
                "verify",
                "--checkpoint",
                &checkpoint_arg,
                "--data",
                &data_arg,
            ],
        )
    };
    let intact = verify();
    assert_eq!(intact.status.code(), Some(0), "{}", stderr(&intact));
    assert!(
        stdout(&intact).contains("extends the checkpoint"),
        "{}",
        stdout(&intact)
    );

    // The newest two events deleted: the chain alone still verifies, the checkpoint does not.
    tamper(
        &data.join("postern.sqlite3"),
        "DELETE FROM audit_events WHERE seq > 2",
    );
    let plain = postern(dir.path(), &["audit", "verify", "--data", &data_arg]);
    assert_eq!(
        plain.status.code(),
        Some(0),
        "without a checkpoint truncation is invisible"
    );
    let truncated = verify();
    assert_eq!(truncated.status.code(), Some(1));
    assert!(
        stderr(&truncated).contains(
            "the log was truncated: the checkpoint counted 4 event(s), the log holds 2; events 3 to 4 were removed"
        ),
        "{}",
        stderr(&truncated)
    );

    // A file that is no checkpoint is refused with what it should be.
    std::fs::write(&checkpoint, "{\"events\": 1}").unwrap();
    let refused = verify();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("not a Postern audit checkpoint"),
        "{}",
        stderr(&refused)
    );
}
