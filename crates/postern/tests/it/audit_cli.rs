//! `postern audit verify` on a real data directory, before and after tampering with the database.

use crate::support::{http_request, postern, sigterm, start, stderr, stdout};

#[test]
fn audit_verify_passes_then_names_the_tampered_event() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = start(&[], &data);
    for i in 0..3 {
        let body = serde_json::json!({"fields": {"title": format!("t{i}"), "description": "d", "impact": "i", "steps_to_reproduce": "s", "proof_of_concept": "p"}}).to_string();
        let (status, _) = http_request(
            &server.address,
            "POST",
            "/api/v1/reports",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(status, 201);
    }
    assert_eq!(sigterm(&mut server).code(), Some(0));

    let data_arg = data.display().to_string();
    let intact = postern(dir.path(), &["audit", "verify", "--data", &data_arg]);
    assert_eq!(intact.status.code(), Some(0), "{}", stderr(&intact));
    assert!(
        stdout(&intact).contains("The audit log is intact: 4 event(s)"),
        "{}",
        stdout(&intact)
    );

    let database = data.join("postern.sqlite3");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", database.display()))
                .await
                .unwrap();
            // Event 1 is the first admin's account; 2 to 4 are the reports.
            sqlx::query("UPDATE audit_events SET actor = 'someone else' WHERE seq = 2")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
    let broken = postern(dir.path(), &["audit", "verify", "--data", &data_arg]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stderr(&broken).contains("event 2 was edited"),
        "{}",
        stderr(&broken)
    );
}
