//! `postern key openpgp generate|export|rotate|list` beside a running server: the key it makes
//! is the one served and named by security.txt; a report encrypted to the exported key is
//! read (GnuPG's side is crates/web/tests/it/openpgp.rs); after `rotate` the new key is served and the old one still decrypts,
//! also after the master key's own rotation re-wrapped both.

use crate::support::{http_request, postern, start, stderr, stdout};

fn submit(address: &str, message: &str) -> serde_json::Value {
    let body = serde_json::json!({ "fields": {}, "encrypted_message": message }).to_string();
    let (status, created) = http_request(
        address,
        "POST",
        "/api/v1/reports",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 201, "{created}");
    serde_json::from_str(&created).unwrap()
}

/// A message to `armoured_key`, as a reporter's tool writes it.
fn encrypt(armoured_key: &str, text: &str) -> String {
    let key = postern_openpgp::PublicKey::parse(armoured_key.as_bytes(), jiff::Timestamp::now())
        .expect("the exported key reads");
    postern_openpgp::encrypt(
        text.as_bytes(),
        &[&key],
        None,
        jiff::Timestamp::now(),
        postern_openpgp::Seed([9; 32]),
    )
    .unwrap()
}

#[test]
fn a_project_key_made_at_the_terminal_is_served_rotated_and_keeps_decrypting() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&[], &data);
    let data_arg = data.display().to_string();
    let key_cmd = |verb: &str| {
        postern(
            dir.path(),
            &[
                "key",
                "openpgp",
                verb,
                "--project",
                "acme-widgets",
                "--data",
                &data_arg,
            ],
        )
    };

    let exported = key_cmd("export");
    assert_eq!(exported.status.code(), Some(1), "no key yet");
    assert!(
        stderr(&exported).contains("has no OpenPGP key"),
        "{}",
        stderr(&exported)
    );

    let made = key_cmd("generate");
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    assert!(
        stdout(&made).contains("User id: Acme Widgets security <security@widgets.example.org>")
    );
    assert_eq!(
        key_cmd("generate").status.code(),
        Some(1),
        "a second is refused"
    );

    let (_, txt) = http_request(
        &server.address,
        "GET",
        "/.well-known/security.txt",
        &[],
        b"",
    )
    .unwrap();
    assert!(txt.contains("Encryption: http://"), "{txt}");
    let (status, served) = http_request(&server.address, "GET", "/openpgp.asc", &[], b"").unwrap();
    assert_eq!(status, 200);
    let first = stdout(&key_cmd("export"));
    assert_eq!(served, first, "the served key is the exported one");

    let before = encrypt(&first, "Sent to the first key.");
    let report = submit(&server.address, &before);
    assert_eq!(report["encryption"]["state"], "decrypted", "{report}");

    let rotated = key_cmd("rotate");
    assert_eq!(rotated.status.code(), Some(0), "{}", stderr(&rotated));
    let second = stdout(&key_cmd("export"));
    assert_ne!(second, first);
    let (_, served) = http_request(&server.address, "GET", "/openpgp.asc", &[], b"").unwrap();
    assert_eq!(served, second, "the new key is served at once");
    let list = stdout(&key_cmd("list"));
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.lines().next().unwrap().contains("current"), "{list}");
    assert!(list.lines().nth(1).unwrap().contains("retired"), "{list}");

    // The master key's rotation re-wraps the sealed secret keys; both still decrypt.
    let master = postern(dir.path(), &["key", "rotate", "--data", &data_arg]);
    assert_eq!(master.status.code(), Some(0), "{}", stderr(&master));
    let old = submit(&server.address, &before);
    assert_eq!(old["encryption"]["state"], "decrypted", "{old}");
    let new = submit(
        &server.address,
        &encrypt(&second, "Sent to the second key."),
    );
    assert_eq!(new["encryption"]["state"], "decrypted", "{new}");

    let secret = key_cmd("export");
    assert!(!stdout(&secret).contains("PRIVATE KEY"));
    let secret = postern(
        dir.path(),
        &[
            "key",
            "openpgp",
            "export",
            "--secret",
            "--project",
            "acme-widgets",
            "--data",
            &data_arg,
        ],
    );
    assert!(stdout(&secret).starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
    assert!(
        stderr(&secret).contains("SECRET key"),
        "{}",
        stderr(&secret)
    );
}
