//! The OpenPGP channel through the router, on both databases: the Web Key Directory (direct
//! and advanced), the armoured download, security.txt's `Encryption:` and SECURITY.md's
//! fingerprint; and a reporter's encrypted report by the API and the form, with GnuPG as the
//! reporter's tool when it is installed (the key it encrypts to fetched from the WKD).

#[path = "../../../openpgp/tests/gpg/mod.rs"]
mod gpg;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use postern_app::Actor;
use postern_openpgp::{PublicKey, Seed};
use serde_json::json;

use crate::support::{self, TestApp, form_token, project};

const HASH_OF_SECURITY: &str = "t5s8ztdbon8yzntexy6oz5y48etqsnbb";

async fn apps() -> Vec<TestApp> {
    TestApp::all(
        vec![project("Alpha", ""), project("Beta", "")],
        Default::default(),
    )
    .await
}

async fn with_key(app: &TestApp) -> String {
    let made = app
        .uses
        .generate_project_key(&Actor::operator("cli:test"), "alpha")
        .await
        .unwrap();
    made.key.fingerprint
}

async fn wkd(app: &TestApp, path: &str, host: &str) -> support::Reply {
    app.send(
        Request::get(path)
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_project_key_is_served_by_wkd_and_named_by_security_txt_and_security_md() {
    assert_eq!(
        postern_openpgp::wkd::hashed_local_part("security"),
        HASH_OF_SECURITY
    );
    for app in apps().await {
        let b = app.backend;
        let direct = format!("/.well-known/openpgpkey/hu/{HASH_OF_SECURITY}?l=security");
        assert_eq!(
            app.get("/openpgp.asc").await.status,
            StatusCode::NOT_FOUND,
            "{b}"
        );
        assert_eq!(
            wkd(&app, &direct, "alpha.example.org").await.status,
            StatusCode::NOT_FOUND,
            "{b}"
        );
        let txt = app.get("/.well-known/security.txt").await.text();
        assert!(!txt.contains("Encryption:"), "{b}: {txt}");

        let fingerprint = with_key(&app).await;
        let policy = app.get("/.well-known/openpgpkey/policy").await;
        assert_eq!(policy.status, StatusCode::OK, "{b}");
        assert_eq!(policy.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");

        let served = wkd(&app, &direct, "alpha.example.org").await;
        assert_eq!(served.status, StatusCode::OK, "{b}");
        assert_eq!(
            served.headers[header::CONTENT_TYPE],
            "application/octet-stream"
        );
        assert_eq!(served.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        let key = PublicKey::read(&served.body).expect("a binary key");
        assert_eq!(key.fingerprint().as_str(), fingerprint, "{b}");
        assert!(!served.body.starts_with(b"-----"), "binary, not armour");

        let advanced = wkd(
            &app,
            &format!("/.well-known/openpgpkey/alpha.example.org/hu/{HASH_OF_SECURITY}?l=security"),
            "openpgpkey.alpha.example.org",
        )
        .await;
        assert_eq!(advanced.status, StatusCode::OK, "{b}");
        assert_eq!(advanced.body, served.body);
        assert_eq!(
            app.get("/.well-known/openpgpkey/alpha.example.org/policy")
                .await
                .status,
            StatusCode::OK
        );
        // Beta has no key; another domain is not Alpha's.
        for path in [
            format!("/.well-known/openpgpkey/beta.example.org/hu/{HASH_OF_SECURITY}"),
            format!(
                "/.well-known/openpgpkey/alpha.example.org/hu/{}",
                "y".repeat(32)
            ),
        ] {
            assert_eq!(
                app.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "{b} {path}"
            );
        }
        assert_eq!(
            app.get("/projects/beta/openpgp.asc").await.status,
            StatusCode::NOT_FOUND
        );

        let armoured = app.get("/openpgp.asc").await;
        assert_eq!(
            armoured.headers[header::CONTENT_TYPE],
            "application/pgp-keys"
        );
        assert!(
            armoured
                .text()
                .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        );
        assert_eq!(
            app.get("/projects/alpha/openpgp.asc").await.body,
            armoured.body
        );

        let txt = app.get("/.well-known/security.txt").await.text();
        assert!(
            txt.contains("Encryption: https://sec.example.org/openpgp.asc\n"),
            "{b}: {txt}"
        );
        let beta = app
            .get("/projects/beta/.well-known/security.txt")
            .await
            .text();
        assert!(!beta.contains("Encryption:"), "{beta}");
        let md = app.get("/SECURITY.md").await.text();
        let grouped = postern_core::render::grouped_fingerprint(&fingerprint);
        assert!(md.contains(&format!("fingerprint `{grouped}`")), "{md}");
        assert!(
            md.contains("gpg --locate-keys security@alpha.example.org"),
            "{md}"
        );
    }
}

fn encrypt_to(key: &PublicKey, text: &str) -> String {
    postern_openpgp::encrypt(
        text.as_bytes(),
        &[key],
        None,
        jiff::Timestamp::now(),
        Seed(postern_store::vault::random_bytes::<32>().unwrap()),
    )
    .unwrap()
}

#[tokio::test]
async fn an_encrypted_report_by_the_api_is_decrypted_kept_sealed_or_refused_by_field() {
    for app in apps().await {
        let b = app.backend;
        with_key(&app).await;
        let served = app.get("/openpgp.asc").await;
        let key = PublicKey::read(&served.body).unwrap();

        let message = encrypt_to(
            &key,
            "Heap overflow in the PNG decoder.\nSend a 2 GB chunk.",
        );
        let created = app
            .post_json(
                "/api/v1/reports",
                &json!({ "fields": {}, "encrypted_message": message }),
                None,
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "{b}: {}",
            created.text()
        );
        let body = created.json();
        assert_eq!(body["encryption"]["state"], "decrypted", "{b}");
        assert_eq!(body["encryption"]["signature"], "unsigned");
        let id = body["id"].as_str().unwrap().to_owned();
        let case_key = body["case_key"].as_str().unwrap().to_owned();
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &case_key)
            .await
            .json();
        assert_eq!(
            view["fields"]["description"], "Heap overflow in the PNG decoder.\nSend a 2 GB chunk.",
            "{b}"
        );

        // Bad armour: refused by field, nothing stored.
        let before = app.store.count_reports().await.unwrap();
        let cut = &message[..message.len() / 3];
        for bad in [cut, "this is my report in plain text"] {
            let refused = app
                .post_json(
                    "/api/v1/reports",
                    &json!({ "fields": {}, "encrypted_message": bad }),
                    None,
                )
                .await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
            assert!(
                refused.text().contains("encrypted_message"),
                "{}",
                refused.text()
            );
        }
        assert_eq!(app.store.count_reports().await.unwrap(), before);

        // A message for a key this server does not hold: kept sealed, the team told.
        let stranger = postern_openpgp::generate("S <s@example.org>", Seed([4; 32])).unwrap();
        let lost = encrypt_to(stranger.public_key(), "for someone else");
        let kept = app
            .post_json(
                "/api/v1/reports",
                &json!({ "fields": { "title": "Encrypted details" }, "encrypted_message": lost }),
                None,
            )
            .await;
        assert_eq!(kept.status, StatusCode::CREATED, "{b}: {}", kept.text());
        let kept = kept.json();
        assert_eq!(kept["encryption"]["state"], "undecryptable");
        assert!(
            kept["encryption"]["detail"]
                .as_str()
                .unwrap()
                .contains(stranger.public_key().key_id().as_str())
                || kept["encryption"]["detail"]
                    .as_str()
                    .unwrap()
                    .contains("which this server does not hold"),
            "{kept}"
        );
        let id = postern_core::report::ReportId::parse(kept["id"].as_str().unwrap()).unwrap();
        let arrival = app.store.encrypted_arrival(&id).await.unwrap().unwrap();
        assert_eq!(
            arrival.state,
            postern_store::openpgp::ArrivalState::Undecryptable
        );
        let view = app
            .get_with_key(
                &format!("/api/v1/reports/{}", id.as_str()),
                kept["case_key"].as_str().unwrap(),
            )
            .await
            .json();
        assert_eq!(
            view["attachments"][0]["filename"], "encrypted-report.asc",
            "{view}"
        );

        // The reporter's key: kept when usable, refused by field when not.
        let reporter = postern_openpgp::generate("R <r@example.org>", Seed([5; 32])).unwrap();
        let with_key = app
            .post_json(
                "/api/v1/reports",
                &json!({ "fields": {}, "encrypted_message": encrypt_to(&key, "signed?"),
                         "openpgp_key": reporter.public_key().armored() }),
                None,
            )
            .await;
        assert_eq!(with_key.status, StatusCode::CREATED, "{}", with_key.text());
        let id =
            postern_core::report::ReportId::parse(with_key.json()["id"].as_str().unwrap()).unwrap();
        let stored = app.uses.reporter_public_key(&id).await.unwrap().unwrap();
        assert_eq!(stored.fingerprint(), reporter.fingerprint());
        let refused = app
            .post_json(
                "/api/v1/reports",
                &json!({ "fields": {}, "encrypted_message": encrypt_to(&key, "x"),
                         "openpgp_key": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnope\n" }),
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().contains("openpgp_key"), "{}", refused.text());
    }
}

#[tokio::test]
async fn gnupg_finds_the_key_by_wkd_and_its_report_is_read_through_the_form() {
    let Some(gpg) = gpg::Gpg::new() else { return };
    let apps = apps().await;
    let app = &apps[0];
    with_key(app).await;
    // What `gpg --locate-keys` would fetch over https, fetched here, imported by gpg.
    let served = wkd(
        app,
        &format!("/.well-known/openpgpkey/hu/{HASH_OF_SECURITY}?l=security"),
        "alpha.example.org",
    )
    .await;
    gpg.ok(&["--import"], &served.body);
    let rita = gpg.generate("Rita <rita@example.org>", "default", "never");
    let message = gpg.ok(
        &[
            "--armor",
            "--encrypt",
            "--sign",
            "-u",
            &rita,
            "-r",
            "security@alpha.example.org",
        ],
        b"Path traversal in the upload handler.\n",
    );
    let message = String::from_utf8(message).unwrap();
    let rita_key = String::from_utf8(gpg.export(&rita)).unwrap();

    let page = app.get("/report").await.text();
    assert!(page.contains("Encrypted message"), "{page}");
    assert!(page.contains("gpg --encrypt --armor -r security@alpha.example.org"));
    let token = form_token(&page);
    app.clock.advance_seconds(20);
    // Bad armour: the field says so, and what was typed is kept.
    let refused = app
        .post_multipart(
            "/report",
            &[
                ("form_token", token.as_str()),
                ("encrypted_message", "-----BEGIN PGP MESSAGE-----\n\nbroken"),
                ("website", ""),
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    assert!(html.contains("id=\"encrypted_message-error\""), "{html}");
    assert!(
        html.contains("-----BEGIN PGP MESSAGE-----\n\nbroken</textarea>"),
        "{html}"
    );

    let done = app
        .post_multipart(
            "/report",
            &[
                ("form_token", token.as_str()),
                ("encrypted_message", message.as_str()),
                ("openpgp_key", rita_key.as_str()),
                ("website", ""),
            ],
            &[],
        )
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());
    let html = done.text();
    assert!(
        html.contains("Your encrypted report was decrypted"),
        "{html}"
    );
    assert!(html.contains("signature verified"), "{html}");
    let case_key = support::shown_case_key(&html);
    let view = app
        .post_form("/track", &[("case_key", case_key.as_str())])
        .await
        .text();
    assert!(
        view.contains("Path traversal in the upload handler."),
        "{view}"
    );
}
