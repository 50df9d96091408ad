//! OpenPGP mail at intake, on a real store (SQLite, and PostgreSQL when POSTERN_TEST_POSTGRES
//! is set) with a fixed clock and keys made by postern-openpgp: a PGP/MIME report with the
//! reporter's key inside is decrypted, its signature verified against that key, which is kept
//! with the report; a message for a key the project lacks waits sealed in screening, and opens
//! when it is made a report once that key is imported. (GnuPG as the other side, and the mail
//! back, are tested end to end in crates/postern/tests/it/openpgp_mail.rs.)

use jiff::Timestamp;
use postern_app::mail::{Ingested, ScreenReason};
use postern_app::{Actor, App, Clock};
use postern_core::mail_crypto::{Encryption, KeySource, Signature};
use postern_core::project::{Project, Projects};
use postern_openpgp::{SecretKey, Seed};
use postern_store::openpgp::ArrivalState;
use postern_store::{Store, StoreConfig};

const EXAMPLE: &str = include_str!("../../../examples/policies/example.toml");
const ADDRESS: &str = "security@widgets.example.org";
const PROJECT: &str = "acme-widgets";

/// Later than the keys rPGP stamps with the system clock, so that none is from the future.
fn now() -> Timestamp {
    "2030-01-01T00:00:00Z".parse().unwrap()
}

/// The use cases over each backend: SQLite, and PostgreSQL in a schema of its own.
async fn apps() -> Vec<(&'static str, App, tempfile::TempDir)> {
    let mut configs = vec![(
        "sqlite",
        StoreConfig {
            database_url: None,
            postgres_schema: None,
        },
    )];
    match std::env::var("POSTERN_TEST_POSTGRES") {
        Ok(url) => {
            let schema = format!(
                "test_{}",
                data_encoding::HEXLOWER.encode(&postern_store::vault::random_bytes::<6>().unwrap())
            );
            let made = std::process::Command::new("psql")
                .args([url.as_str(), "-qc", &format!("CREATE SCHEMA {schema}")])
                .status()
                .expect("psql runs");
            assert!(made.success(), "CREATE SCHEMA {schema}");
            configs.push((
                "postgres",
                StoreConfig {
                    database_url: Some(url),
                    postgres_schema: Some(schema),
                },
            ));
        }
        Err(_) => eprintln!("NOTE: skipping PostgreSQL: POSTERN_TEST_POSTGRES not set"),
    }
    let mut out = Vec::new();
    for (name, config) in configs {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&config, dir.path()).await.unwrap();
        let checked = postern_core::policy::parse_str(EXAMPLE, now());
        let projects = Projects::new(vec![Project {
            policy: checked.policy.unwrap(),
        }])
        .unwrap();
        let app = App::new(
            projects,
            store,
            Clock::fixed(now()),
            "https://sec.example.org/",
        );
        out.push((name, app, dir));
    }
    out
}

fn key(uid: &str, seed: u8) -> SecretKey {
    postern_openpgp::generate(uid, Seed([seed; 32])).unwrap()
}

/// A PGP/MIME message from Ada carrying `armoured`.
fn pgp_mime(id: &str, armoured: &str) -> Vec<u8> {
    format!(
        "From: Ada Reporter <ada@example.net>\r\nTo: {ADDRESS}\r\nSubject: ...\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"enc\"\r\n\r\n--enc\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--enc\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n{}\r\n--enc--\r\n",
        armoured.replace("\r\n", "\n").replace('\n', "\r\n").trim_end()
    )
    .into_bytes()
}

/// What Thunderbird encrypts: protected headers, the text, and the sender's key.
fn entity(subject: &str, text: &str, key: &str) -> Vec<u8> {
    format!(
        "Content-Type: multipart/mixed; boundary=\"tb\"; protected-headers=\"v1\"\r\nSubject: {subject}\r\n\r\n--tb\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--tb\r\nContent-Type: application/pgp-keys; name=\"OpenPGP_ada.asc\"\r\nContent-Disposition: attachment; filename=\"OpenPGP_ada.asc\"\r\n\r\n{}\r\n--tb--\r\n",
        key.replace("\r\n", "\n").replace('\n', "\r\n").trim_end()
    )
    .into_bytes()
}

#[tokio::test]
async fn encrypted_mail_is_read_verified_kept_with_its_key_or_kept_sealed_until_the_key_comes() {
    for (backend, app, _dir) in apps().await {
        let operator = Actor::operator("cli:test");
        let project = app.generate_project_key(&operator, PROJECT).await.unwrap();
        let project_key = app.project_public_key(PROJECT).await.unwrap().unwrap();
        let ada = key("Ada Reporter <ada@example.net>", 1);

        let plaintext = entity(
            "Heap overflow in the PNG decoder",
            "Decoding crafted.png writes past the buffer. CANARY-app-pgp",
            &ada.public_key().armored(),
        );
        let armoured = postern_openpgp::encrypt(
            &plaintext,
            &[&project_key],
            Some(&ada),
            now(),
            Seed([2; 32]),
        )
        .unwrap();
        let Ingested::Report { id, .. } = app
            .ingest_mail(&pgp_mime("first@example.net", &armoured), None)
            .await
            .unwrap()
        else {
            panic!("{backend}: not a report");
        };
        let view = app.store().team_view(&id, "test", now()).await.unwrap();
        let fields: Vec<&str> = view
            .submission
            .fields
            .iter()
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(fields[0], "Heap overflow in the PNG decoder", "{backend}");
        assert!(
            fields[1].contains("CANARY-app-pgp"),
            "{backend}: {fields:?}"
        );
        let arrived = app.store().report_mail(&id).await.unwrap();
        let crypto = arrived[0].summary.openpgp.clone().unwrap();
        assert_eq!(
            crypto.encryption,
            Encryption::Decrypted {
                format: postern_core::mail_crypto::Format::PgpMime,
                key: project.key.fingerprint.clone(),
            },
            "{backend}"
        );
        assert_eq!(
            crypto.signature,
            Signature::Verified {
                fingerprint: ada.fingerprint().to_string(),
                key: KeySource::SentWithMessage,
            },
            "{backend}"
        );
        // The key came with the report: mail back is encrypted to it.
        let kept = app.reporter_public_key(&id).await.unwrap().unwrap();
        assert_eq!(kept.fingerprint(), ada.fingerprint(), "{backend}");
        let arrival = app.store().encrypted_arrival(&id).await.unwrap().unwrap();
        assert_eq!(arrival.state, ArrivalState::Decrypted, "{backend}");
        assert_eq!(arrival.signature, "verified", "{backend}");

        // For a key the project does not hold: sealed in screening, nothing lost.
        let old = key("Old <old@example.org>", 3);
        let sealed = postern_openpgp::encrypt(
            &entity("Later", "CANARY-old-key", &ada.public_key().armored()),
            &[old.public_key()],
            None,
            now(),
            Seed([4; 32]),
        )
        .unwrap();
        let Ingested::Screened { item, reason } = app
            .ingest_mail(&pgp_mime("old@example.net", &sealed), None)
            .await
            .unwrap()
        else {
            panic!("{backend}: not screened");
        };
        assert_eq!(reason, ScreenReason::Sealed, "{backend}");
        let waiting = app.screening_item(&operator, &item).await.unwrap();
        assert!(
            waiting
                .summary
                .notes
                .iter()
                .any(|n| n.contains("which this server does not hold")),
            "{backend}: {:?}",
            waiting.summary.notes
        );
        assert!(!waiting.summary.text.contains("CANARY-old-key"));

        // The old key is brought in: making the item a report opens it.
        app.import_project_key(&operator, PROJECT, old.armored_secret().as_bytes(), true)
            .await
            .unwrap();
        let id = app.report_from_screening(&operator, &item).await.unwrap();
        let view = app.store().team_view(&id, "test", now()).await.unwrap();
        assert!(
            view.submission.fields[1].1.contains("CANARY-old-key"),
            "{backend}: {:?}",
            view.submission.fields
        );
        let arrived = app.store().report_mail(&id).await.unwrap();
        assert!(
            matches!(
                &arrived[0].summary.openpgp.as_ref().unwrap().encryption,
                Encryption::Decrypted { key, .. } if key == &old.fingerprint().to_string()
            ),
            "{backend}: the message's verdict is read anew"
        );
        app.store().close().await;
    }
}
