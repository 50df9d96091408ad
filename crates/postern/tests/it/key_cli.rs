//! `postern key rotate` on a real data directory.

use std::os::unix::fs::PermissionsExt as _;

use crate::support::{http_request, postern, sigterm, start, stderr, stdout};

#[test]
fn rotation_rewraps_reports_written_by_a_server_and_they_stay_readable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = start(&[], &data);
    let body = serde_json::json!({"fields": {"title": "t", "description": "d", "impact": "i", "steps_to_reproduce": "s", "proof_of_concept": "p"}}).to_string();
    let (status, created) = http_request(
        &server.address,
        "POST",
        "/api/v1/reports",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 201, "{created}");
    let created: serde_json::Value = serde_json::from_str(&created).unwrap();
    let (id, key) = (
        created["id"].as_str().unwrap(),
        created["case_key"].as_str().unwrap(),
    );

    // Rotate while the server runs.
    let data_arg = data.display().to_string();
    let rotated = postern(dir.path(), &["key", "rotate", "--data", &data_arg]);
    assert_eq!(rotated.status.code(), Some(0), "{}", stderr(&rotated));
    assert!(
        stdout(&rotated).contains("1 report key(s) re-wrapped"),
        "{}",
        stdout(&rotated)
    );
    assert!(stdout(&rotated).contains("The previous key stays"));
    let keyring = data.join("keyring.json");
    assert_eq!(
        std::fs::metadata(&keyring).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // The running server meets the new key id, re-reads the keyring, and still reads the report.
    let bearer = format!("Bearer {key}");
    let (status, view) = http_request(
        &server.address,
        "GET",
        &format!("/api/v1/reports/{id}"),
        &[("Authorization", &bearer)],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200, "{view}");
    // A report written after the rotation is sealed with the new key: it survives the next
    // rotation, which retires the first key.
    let (status, second) = http_request(
        &server.address,
        "POST",
        "/api/v1/reports",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 201);
    let second: serde_json::Value = serde_json::from_str(&second).unwrap();
    let again = postern(dir.path(), &["key", "rotate", "--data", &data_arg]);
    assert!(
        stdout(&again).contains("Retired key(s)"),
        "{}",
        stdout(&again)
    );
    assert_eq!(sigterm(&mut server).code(), Some(0));
    let server = start(&[], &data);
    for (id, key) in [
        (id, key),
        (
            second["id"].as_str().unwrap(),
            second["case_key"].as_str().unwrap(),
        ),
    ] {
        let bearer = format!("Bearer {key}");
        let (status, _) = http_request(
            &server.address,
            "GET",
            &format!("/api/v1/reports/{id}"),
            &[("Authorization", &bearer)],
            b"",
        )
        .unwrap();
        assert_eq!(status, 200, "report {id} readable after restart");
    }
}
