//! Postern's OpenPGP against itself and against GnuPG 2.2: keys made here read by gpg and the
//! other way round, messages both ways, detached signatures `gpg --verify` accepts, and the
//! bad input of issue 13 (unknown key, cut armour, expired, revoked and RSA-1024 keys, a
//! decompression bomb).

mod gpg;

use jiff::Timestamp;
use postern_openpgp::{
    Error, PublicKey, SecretKey, Seed, Signature, decrypt, encrypt, generate, recipients,
    sign_detached, verify_detached,
};

fn seed(n: u8) -> Seed {
    Seed([n; 32])
}

fn now() -> Timestamp {
    Timestamp::now()
}

fn project_key(n: u8) -> SecretKey {
    generate("Acme security <security@acme.example>", seed(n)).expect("key made")
}

#[test]
fn a_project_key_encrypts_decrypts_and_signs_round_trip() {
    let project = project_key(1);
    let reporter = project_key(2);
    let public = PublicKey::parse(project.public_key().armored().as_bytes(), now())
        .expect("own key accepted");
    assert_eq!(public.fingerprint(), project.fingerprint());
    assert_eq!(public.fingerprint().as_str().len(), 40);
    assert_eq!(
        public.user_ids(),
        vec!["Acme security <security@acme.example>".to_owned()]
    );
    assert_eq!(public.expires_at(), None);

    let message = encrypt(b"the bug", &[&public], Some(&reporter), now(), seed(3)).unwrap();
    assert!(message.starts_with("-----BEGIN PGP MESSAGE-----"));
    let ids = recipients(message.as_bytes()).unwrap();
    assert_eq!(ids.len(), 1, "one encryption subkey");
    assert!(public.has_key_id(&ids[0]));

    let opened = decrypt(
        message.as_bytes(),
        &[&project],
        Some(reporter.public_key()),
        1024,
    )
    .unwrap();
    assert_eq!(&opened.plaintext[..], b"the bug");
    assert_eq!(&opened.key, project.fingerprint());
    assert!(
        matches!(&opened.signature, Signature::Verified(k) if reporter.public_key().has_key_id(k)),
        "{:?}",
        opened.signature
    );

    // Without the sender's key, the signature is named but cannot be judged.
    let unjudged = decrypt(message.as_bytes(), &[&project], None, 1024).unwrap();
    assert!(matches!(unjudged.signature, Signature::UnknownKey(_)));
    // Against someone else's key, neither.
    let stranger = project_key(9);
    let other = decrypt(
        message.as_bytes(),
        &[&project],
        Some(stranger.public_key()),
        1024,
    )
    .unwrap();
    assert!(matches!(other.signature, Signature::UnknownKey(_)));

    let unsigned = encrypt(b"plain", &[&public], None, now(), seed(4)).unwrap();
    let opened = decrypt(unsigned.as_bytes(), &[&stranger, &project], None, 1024).unwrap();
    assert_eq!(opened.signature, Signature::Unsigned);
    assert_eq!(&opened.key, project.fingerprint(), "the key that opened it");

    let signature = sign_detached(b"{\"document\":1}", &project, seed(5)).unwrap();
    assert!(signature.starts_with("-----BEGIN PGP SIGNATURE-----"));
    verify_detached(b"{\"document\":1}", signature.as_bytes(), &public).unwrap();
    assert!(matches!(
        verify_detached(b"{\"document\":2}", signature.as_bytes(), &public),
        Err(Error::Corrupt(_))
    ));

    // The secret key survives its stored form.
    let again = SecretKey::from_bytes(&project.to_bytes()).unwrap();
    assert_eq!(again.fingerprint(), project.fingerprint());
    let secret_armour = project.armored_secret();
    let imported = SecretKey::parse(secret_armour.as_bytes(), now()).unwrap();
    assert_eq!(imported.fingerprint(), project.fingerprint());
    assert!(format!("{project:?}").contains(project.fingerprint().as_str()));
    assert!(!format!("{project:?}").contains("PRIVATE"));
}

#[test]
fn a_message_for_another_key_names_the_keys_it_was_for() {
    let project = project_key(1);
    let old = project_key(6);
    let message = encrypt(b"x", &[old.public_key()], None, now(), seed(7)).unwrap();
    let Err(Error::NoKey(ids)) = decrypt(message.as_bytes(), &[&project], None, 1024) else {
        panic!("refused for want of the key");
    };
    assert!(old.public_key().has_key_id(&ids[0]));
    let words = Error::NoKey(ids.clone()).to_string();
    assert!(words.contains(ids[0].as_str()), "{words}");
    // A retired key still opens it.
    decrypt(message.as_bytes(), &[&project, &old], None, 1024).unwrap();
}

#[test]
fn cut_or_foreign_armour_is_refused_saying_what_it_is() {
    let project = project_key(1);
    let message = encrypt(b"the bug", &[project.public_key()], None, now(), seed(8)).unwrap();
    let cut = &message[..message.len() / 2];
    let err = decrypt(cut.as_bytes(), &[&project], None, 1024).unwrap_err();
    assert!(
        matches!(err, Error::Malformed(_) | Error::Corrupt(_)),
        "{err:?}"
    );
    // Damage inside the ciphertext: the integrity check (MDC) refuses it.
    let mut lines: Vec<String> = message.lines().map(str::to_owned).collect();
    let middle = lines.len() / 2;
    lines[middle] = lines[middle]
        .chars()
        .map(|c| if c == 'A' { 'B' } else { 'A' })
        .collect();
    let damaged = lines.join("\n");
    assert!(decrypt(damaged.as_bytes(), &[&project], None, 1024).is_err());

    let not_message = project.public_key().armored();
    let err = decrypt(not_message.as_bytes(), &[&project], None, 1024).unwrap_err();
    assert!(err.to_string().contains("public key"), "{err}");
    let err = decrypt(b"hello, here is my report", &[&project], None, 1024).unwrap_err();
    assert!(matches!(err, Error::Malformed(_)), "{err:?}");
    let err =
        PublicKey::parse(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF\n", now()).unwrap_err();
    assert!(matches!(err, Error::Malformed(_)), "{err:?}");
    let err = PublicKey::parse(project.armored_secret().as_bytes(), now()).unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
    let big = vec![b'A'; postern_openpgp::KEY_BYTES_MAX + 1];
    assert!(matches!(
        PublicKey::parse(&big, now()),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn a_decompression_bomb_stops_at_the_limit() {
    let project = project_key(1);
    // 16 MiB of zeros compress (zlib) to a few KiB.
    let zeros = vec![0u8; 16 * 1024 * 1024];
    let bomb = encrypt(&zeros, &[project.public_key()], None, now(), seed(10)).unwrap();
    assert!(bomb.len() < 200 * 1024, "{} bytes", bomb.len());
    let limit = 1024 * 1024;
    assert_eq!(
        decrypt(bomb.as_bytes(), &[&project], None, limit).unwrap_err(),
        Error::TooLarge {
            what: "the decrypted message",
            limit
        }
    );
    // At the limit exactly, it opens.
    let exact = encrypt(
        &zeros[..limit],
        &[project.public_key()],
        None,
        now(),
        seed(11),
    )
    .unwrap();
    assert_eq!(
        decrypt(exact.as_bytes(), &[&project], None, limit)
            .unwrap()
            .plaintext
            .len(),
        limit
    );
}

#[test]
fn gnupg_encrypts_to_a_postern_key_and_postern_decrypts() {
    let Some(gpg) = gpg::Gpg::new() else { return };
    let project = project_key(1);
    gpg.ok(&["--import"], project.public_key().armored().as_bytes());
    let reporter = gpg.generate("Rita Reporter <rita@example.org>", "default", "never");
    let reporter_key = PublicKey::parse(&gpg.export(&reporter), now()).expect("gpg's key");
    let fpr = project.fingerprint().to_string();
    let message = gpg.ok(
        &[
            "--armor",
            "--encrypt",
            "--sign",
            "-u",
            &reporter,
            "-r",
            &fpr,
        ],
        b"Heap overflow in the parser.\n",
    );
    let opened = decrypt(&message, &[&project], Some(&reporter_key), 1 << 20).unwrap();
    assert_eq!(&opened.plaintext[..], b"Heap overflow in the parser.\n");
    assert!(
        matches!(opened.signature, Signature::Verified(_)),
        "{:?}",
        opened.signature
    );
    // Binary too, unsigned.
    let binary = gpg.ok(&["--encrypt", "-r", &fpr], b"binary");
    let opened = decrypt(&binary, &[&project], None, 1 << 20).unwrap();
    assert_eq!(&opened.plaintext[..], b"binary");
    assert_eq!(opened.signature, Signature::Unsigned);
}

#[test]
fn gnupg_decrypts_what_postern_encrypts_and_verifies_its_signatures() {
    let Some(gpg) = gpg::Gpg::new() else { return };
    let project = project_key(1);
    gpg.ok(&["--import"], project.public_key().armored().as_bytes());
    for (name, algo) in [
        ("Ecc <ecc@example.org>", "default"),
        ("Rsa <rsa@example.org>", "rsa3072"),
    ] {
        let fpr = gpg.generate(name, algo, "never");
        let theirs = PublicKey::parse(&gpg.export(&fpr), now()).expect("gpg's key accepted");
        let message = encrypt(
            b"We fixed it in 2.4.1.",
            &[&theirs],
            Some(&project),
            now(),
            seed(12),
        )
        .unwrap();
        let out = gpg.run(&["--decrypt"], message.as_bytes());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{algo}: {stderr}");
        assert_eq!(out.stdout, b"We fixed it in 2.4.1.");
        assert!(stderr.contains("Good signature"), "{algo}: {stderr}");
    }

    let document = br#"{"document":{"title":"OI-2026-0001"}}"#;
    let signature = sign_detached(document, &project, seed(13)).unwrap();
    let data = gpg.file("doc.json", document);
    let sig = gpg.file("doc.json.asc", signature.as_bytes());
    let out = gpg.run(
        &["--verify", sig.to_str().unwrap(), data.to_str().unwrap()],
        b"",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Good signature"), "{stderr}");
    let tampered = gpg.file("doc2.json", b"{\"document\":{}}");
    let out = gpg.run(
        &[
            "--verify",
            sig.to_str().unwrap(),
            tampered.to_str().unwrap(),
        ],
        b"",
    );
    assert!(!out.status.success(), "a changed document fails");

    // gpg imports the secret key Postern exports (a backup restored elsewhere).
    let other = gpg::Gpg::new().unwrap();
    other.ok(&["--import"], project.armored_secret().as_bytes());
    let listing = String::from_utf8_lossy(&other.ok(&["--list-secret-keys"], b"")).into_owned();
    assert!(
        listing.contains(project.fingerprint().as_str()),
        "{listing}"
    );
}

#[test]
fn expired_revoked_and_weak_keys_are_refused_saying_why() {
    let Some(gpg) = gpg::Gpg::new() else { return };
    let expiring = gpg.generate("Ex <ex@example.org>", "default", "1d");
    let key = gpg.export(&expiring);
    PublicKey::parse(&key, now()).expect("valid today");
    let later = now() + jiff::SignedDuration::from_hours(49);
    let err = PublicKey::parse(&key, later).unwrap_err();
    assert!(err.to_string().contains("expired on"), "{err}");

    let revoked = gpg.generate("Rev <rev@example.org>", "default", "never");
    let certificate = std::fs::read_to_string(
        gpg.home()
            .join("openpgp-revocs.d")
            .join(format!("{revoked}.rev")),
    )
    .expect("gpg keeps a revocation certificate");
    // gpg prefixes it with ':' so that it is not imported by accident.
    let certificate = certificate.replace(":-----BEGIN", "-----BEGIN");
    gpg.ok(&["--import"], certificate.as_bytes());
    let err = PublicKey::parse(&gpg.export(&revoked), now()).unwrap_err();
    assert!(err.to_string().contains("revoked"), "{err}");

    let weak = gpg.generate("Weak <weak@example.org>", "rsa1024", "never");
    let err = PublicKey::parse(&gpg.export(&weak), now()).unwrap_err();
    assert!(err.to_string().contains("1024 bits"), "{err}");

    let sign_only = gpg.generate("Signer <signer@example.org>", "ed25519", "never");
    let err = PublicKey::parse(&gpg.export(&sign_only), now()).unwrap_err();
    assert!(
        err.to_string().contains("no subkey for encryption"),
        "{err}"
    );
}
