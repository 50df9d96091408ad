//! A project's OpenPGP keys through the use cases on a real SQLite store: made, refused twice,
//! rotated (the retired key still decrypts), exported, brought in, signed with; team members' keys set and removed, audited.

use jiff::Timestamp;
use postern_app::{Actor, App, Clock, Error};
use postern_core::project::{Project, Projects};
use postern_openpgp::{PublicKey, Seed, Signature};
use postern_store::team::Role;
use postern_store::{Store, StoreConfig};

const EXAMPLE: &str = include_str!("../../../examples/policies/example.toml");

fn now() -> Timestamp {
    "2026-11-23T10:00:00Z".parse().unwrap()
}

async fn app(dir: &tempfile::TempDir) -> App {
    let checked = postern_core::policy::parse_str(EXAMPLE, now());
    let projects = Projects::new(vec![Project {
        policy: checked.policy.unwrap(),
    }])
    .unwrap();
    let config = StoreConfig {
        database_url: None,
        postgres_schema: None,
    };
    let store = Store::open(&config, dir.path()).await.unwrap();
    App::new(
        projects,
        store,
        Clock::fixed(now()),
        "https://sec.example.org/",
    )
}

const SLUG: &str = "acme-widgets";

#[tokio::test]
async fn a_project_key_is_made_rotated_and_signs_and_decrypts_with_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let operator = Actor::operator("cli:test");
    assert!(app.project_public_key(SLUG).await.unwrap().is_none());
    assert!(matches!(
        app.openpgp_sign_detached(SLUG, b"x").await,
        Err(Error::Refused(m)) if m.contains("no OpenPGP key")
    ));

    let first = app.generate_project_key(&operator, SLUG).await.unwrap();
    assert_eq!(
        first.user_ids,
        vec!["Acme Widgets security <security@widgets.example.org>".to_owned()]
    );
    assert!(matches!(
        app.generate_project_key(&operator, SLUG).await,
        Err(Error::Conflict(m)) if m.contains("rotate")
    ));
    let served = app.project_public_key(SLUG).await.unwrap().unwrap();
    assert_eq!(served.fingerprint().as_str(), first.key.fingerprint);

    // Signed by the current key.
    let signature = app
        .openpgp_sign_detached(SLUG, b"{\"csaf\":1}")
        .await
        .unwrap();
    postern_openpgp::verify_detached(b"{\"csaf\":1}", signature.as_bytes(), &served).unwrap();

    // A reporter encrypts to the served key; the project decrypts.
    let reporter = postern_openpgp::generate("Rita <rita@example.org>", Seed([7; 32])).unwrap();
    let to_first = postern_openpgp::encrypt(
        b"old report",
        &[&served],
        Some(&reporter),
        Timestamp::now(),
        Seed([8; 32]),
    )
    .unwrap();

    let second = app.rotate_project_key(&operator, SLUG).await.unwrap();
    assert_ne!(second.key.fingerprint, first.key.fingerprint);
    let served = app.project_public_key(SLUG).await.unwrap().unwrap();
    assert_eq!(
        served.fingerprint().as_str(),
        second.key.fingerprint,
        "the new key is served"
    );
    let keys = app.project_keys(SLUG).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].key.fingerprint, second.key.fingerprint);
    assert!(keys[0].key.retired_at.is_none());
    assert_eq!(keys[1].key.retired_at, Some(now()));

    // The retired key still opens what was sent to it, and the signature is checked.
    let opened = app
        .openpgp_decrypt(SLUG, to_first.as_bytes(), Some(reporter.public_key()), 1024)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&opened.plaintext[..], b"old report");
    assert_eq!(opened.key.as_str(), first.key.fingerprint);
    assert!(matches!(opened.signature, Signature::Verified(_)));
    // A stranger's message: refused, naming the key it was for, nothing panics.
    let stranger = postern_openpgp::generate("S <s@example.org>", Seed([9; 32])).unwrap();
    let to_stranger = postern_openpgp::encrypt(
        b"x",
        &[stranger.public_key()],
        None,
        Timestamp::now(),
        Seed([10; 32]),
    )
    .unwrap();
    let refused = app
        .openpgp_decrypt(SLUG, to_stranger.as_bytes(), None, 1024)
        .await
        .unwrap();
    assert!(matches!(refused, Err(postern_openpgp::Error::NoKey(_))));

    let secret = app
        .export_project_secret_key(&operator, SLUG)
        .await
        .unwrap();
    let imported = postern_openpgp::SecretKey::parse(secret.as_bytes(), Timestamp::now()).unwrap();
    assert_eq!(imported.fingerprint().as_str(), second.key.fingerprint);

    // Bringing the same key in again is refused; another project's key is brought in.
    let again = app
        .import_project_key(&operator, SLUG, secret.as_bytes(), true)
        .await;
    assert!(matches!(again, Err(Error::Conflict(m)) if m.contains("held already")));
    let outside = postern_openpgp::generate("Ext <ext@example.org>", Seed([11; 32])).unwrap();
    let brought = app
        .import_project_key(&operator, SLUG, outside.armored_secret().as_bytes(), true)
        .await
        .unwrap();
    assert_eq!(brought.key.fingerprint, outside.fingerprint().as_str());
    let bad = app
        .import_project_key(
            &operator,
            SLUG,
            b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n",
            true,
        )
        .await;
    assert!(matches!(bad, Err(Error::Invalid(e)) if e[0].field == "key"));
    assert_eq!(
        app.project_keys(SLUG).await.unwrap().len(),
        3,
        "nothing lost"
    );
}

#[tokio::test]
async fn only_admins_manage_project_keys_and_members_set_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let operator = Actor::operator("cli:test");
    let (user, _) = app
        .add_member(
            &operator,
            "tri@example.org",
            Role::Triager,
            &[SLUG.to_owned()],
        )
        .await
        .unwrap();
    let triager = Actor::member(&user);
    assert!(matches!(
        app.generate_project_key(&triager, SLUG).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        app.export_project_secret_key(&triager, SLUG).await,
        Err(Error::Forbidden(_))
    ));

    let own = postern_openpgp::generate("Tri <tri@example.org>", Seed([3; 32])).unwrap();
    let set = app
        .set_member_key(&triager, &user.id, own.public_key().armored().as_bytes())
        .await
        .unwrap();
    assert_eq!(set.fingerprint, own.fingerprint().as_str());
    let back: PublicKey = app.member_public_key(&user.id).await.unwrap().unwrap();
    assert_eq!(back.fingerprint(), own.fingerprint());
    let refused = app.set_member_key(&triager, &user.id, b"not a key").await;
    assert!(matches!(refused, Err(Error::Invalid(e)) if e[0].field == "openpgp_key"));
    assert!(
        app.member_public_key(&user.id).await.unwrap().is_some(),
        "kept"
    );
    app.remove_member_key(&triager, &user.id).await.unwrap();
    assert!(app.member_public_key(&user.id).await.unwrap().is_none());
    assert!(matches!(
        app.remove_member_key(&triager, &user.id).await,
        Err(Error::NotFound)
    ));
    let events = app.store().team_events(100).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"openpgp.member_key_set"), "{actions:?}");
    assert!(
        actions.contains(&"openpgp.member_key_removed"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_follow_up_encrypted_to_the_project_is_decrypted_and_one_no_key_opens_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let operator = Actor::operator("cli:test");
    app.generate_project_key(&operator, SLUG).await.unwrap();
    let served = app.project_public_key(SLUG).await.unwrap().unwrap();
    let reporter = postern_openpgp::generate("Rita <rita@example.org>", Seed([21; 32])).unwrap();
    let fields = [
        ("title", "RCE in the renderer"),
        ("description", "A crafted widget runs code."),
        ("impact", "Code execution"),
        ("steps_to_reproduce", "Render poc.widget"),
        ("proof_of_concept", "poc.widget"),
    ];
    let submitted = app
        .submit_report(postern_app::reporter::NewReport {
            submission: postern_core::intake::Submission {
                fields: fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                scope_category: Some("rce".into()),
                contact_email: None,
                credit_name: None,
            },
            reporter_key: Some(reporter.public_key().armored()),
            ..Default::default()
        })
        .await
        .unwrap();
    let (id, key) = (submitted.id, submitted.case_key);

    // Encrypted to the served key and signed by the key the reporter gave: opened, and
    // the team reads how it came.
    let follow_up = postern_openpgp::encrypt(
        b"The second payload also works on 2.1.",
        &[&served],
        Some(&reporter),
        Timestamp::now(),
        Seed([22; 32]),
    )
    .unwrap();
    let message = app
        .reporter_message(Some(&id), &key, &follow_up)
        .await
        .unwrap();
    assert!(
        message
            .body
            .starts_with("[Sent encrypted with OpenPGP: decrypted with the project's key")
            && message.body.contains("signature verified")
            && message
                .body
                .ends_with("The second payload also works on 2.1."),
        "{}",
        message.body
    );

    // Encrypted to a key the project never had: kept as it came, said so, nothing lost.
    let stranger = postern_openpgp::generate("S <s@example.org>", Seed([23; 32])).unwrap();
    let elsewhere = postern_openpgp::encrypt(
        b"for someone else",
        &[stranger.public_key()],
        None,
        Timestamp::now(),
        Seed([24; 32]),
    )
    .unwrap();
    let kept = app
        .reporter_message(Some(&id), &key, &elsewhere)
        .await
        .unwrap();
    assert!(
        kept.body
            .starts_with("[Sent encrypted with OpenPGP and not decrypted")
            && kept.body.contains(elsewhere.trim()),
        "{}",
        kept.body
    );

    // Armour cut short: the reporter is told, at the message's field; nothing is stored.
    let lines: Vec<&str> = follow_up.lines().collect();
    let damaged = format!(
        "{}\n\n{}\n-----END PGP MESSAGE-----\n",
        lines[0],
        &lines[2][..20]
    );
    assert!(matches!(
        app.reporter_message(Some(&id), &key, &damaged).await,
        Err(Error::Invalid(errors)) if errors[0].field == "body"
    ));
    let view = app.reporter_view(Some(&id), &key).await.unwrap();
    assert_eq!(
        view.messages.len(),
        2,
        "the two readable messages, not the damaged one"
    );
}
