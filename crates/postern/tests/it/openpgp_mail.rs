//! OpenPGP by mail, with GnuPG as the reporter's program and a real SMTP server (aiosmtpd):
//! a Thunderbird-style PGP/MIME report (multipart/mixed inside, protected headers, a file and
//! the reporter's key attached), encrypted to the project's key and signed, is decrypted and
//! verified at intake; the receipt and the team's answer come back encrypted to the reporter's
//! key and signed by the project's, and gpg decrypts and verifies them; the reporter's
//! encrypted reply joins the case, verified against the key on record. Then the bad inputs:
//! a message to a key the project does not hold, damaged and cut-short armour, a
//! decompression bomb (kept sealed in screening, with why, and opened once the right key is
//! imported), a bad signature and a signature by an unknown key (shown on the report).

use std::path::Path;

use crate::gpg::{Gpg, Reporter as _};
use crate::mail::{Smtp, free_port, mails, serve_with_mail_and, smtp_available, wait_until};
use crate::mail_channel::{header, ingest_under};
use crate::support::{postern, stderr, stdout, workspace};

const ADDRESS: &str = "security@widgets.example.org";
const PROJECT: &str = "acme-widgets";

fn policy() -> std::path::PathBuf {
    workspace().join("examples/policies/example.toml")
}

/// A `postern` command on `data` with the example policy; fails the test unless it exits 0.
fn run(dir: &Path, data: &Path, args: &[&str]) -> String {
    let policy = policy();
    let mut all: Vec<&str> = args.to_vec();
    let data_arg = data.display().to_string();
    let policy_arg = policy.display().to_string();
    all.extend(["--data", &data_arg, "--policy", &policy_arg]);
    let out = postern(dir, &all);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// Makes the project's key with Postern and gives its public key to gpg; its fingerprint.
fn project_key(dir: &Path, data: &Path, gpg: &Gpg) -> String {
    run(
        dir,
        data,
        &["key", "openpgp", "generate", "--project", PROJECT],
    );
    let public = run(
        dir,
        data,
        &["key", "openpgp", "export", "--project", PROJECT],
    );
    assert!(public.contains("BEGIN PGP PUBLIC KEY BLOCK"), "{public}");
    gpg.import(&public);
    gpg.fingerprint(ADDRESS)
}

/// `mail ingest` of `raw`; the words it printed.
fn ingest(data: &Path, raw: &[u8]) -> String {
    let policy = policy();
    let out = ingest_under(data, &[&policy], raw);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

fn report_id(said: &str) -> String {
    said.strip_prefix("report ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("not a report: {said}"))
        .to_owned()
}

fn screening_item(said: &str) -> String {
    said.strip_prefix("screening ")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("not screened: {said}"))
        .to_owned()
}

/// A fingerprint as Postern shows it: groups of four.
fn spaced(fingerprint: &str) -> String {
    fingerprint
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What Thunderbird encrypts: protected headers on a multipart/mixed holding the text, a file
/// and, when given, the sender's public key.
fn thunderbird_entity(subject: &str, text: &str, key: Option<&str>) -> Vec<u8> {
    let mut entity = format!(
        "Content-Type: multipart/mixed; boundary=\"------------tbOuter\";\r\n protected-headers=\"v1\"\r\nSubject: {subject}\r\nFrom: Ada Reporter <ada@example.net>\r\nTo: {ADDRESS}\r\n\r\n--------------tbOuter\r\nContent-Type: multipart/mixed; boundary=\"------------tbInner\"\r\n\r\n--------------tbInner\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n\r\n--------------tbInner\r\nContent-Type: text/x-python; charset=UTF-8; name=\"poc.py\"\r\nContent-Disposition: attachment; filename=\"poc.py\"\r\nContent-Transfer-Encoding: base64\r\n\r\ncHJpbnQoIlBPQyIpCg==\r\n\r\n--------------tbInner--\r\n"
    );
    if let Some(key) = key {
        entity.push_str(&format!(
            "\r\n--------------tbOuter\r\nContent-Type: application/pgp-keys; name=\"OpenPGP_ada.asc\"\r\nContent-Disposition: attachment; filename=\"OpenPGP_ada.asc\"\r\nContent-Description: OpenPGP public key\r\n\r\n{}\r\n",
            key.replace("\r\n", "\n").replace('\n', "\r\n").trim_end()
        ));
    }
    entity.push_str("\r\n--------------tbOuter--\r\n");
    entity.into_bytes()
}

/// A PGP/MIME message (RFC 3156) from Ada to the project carrying `armoured`.
fn pgp_mime(id: &str, headers: &str, armoured: &str) -> Vec<u8> {
    format!(
        "From: Ada Reporter <ada@example.net>\r\nTo: {ADDRESS}\r\nSubject: ...\r\nMessage-ID: <{id}>\r\nDate: Tue, 01 Dec 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n{headers}User-Agent: Mozilla Thunderbird\r\nContent-Type: multipart/encrypted;\r\n protocol=\"application/pgp-encrypted\";\r\n boundary=\"------------enc\"\r\n\r\nThis is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n--------------enc\r\nContent-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n--------------enc\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\nContent-Description: OpenPGP encrypted message\r\nContent-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n{}\r\n\r\n--------------enc--\r\n",
        armoured.replace("\r\n", "\n").replace('\n', "\r\n").trim_end()
    )
    .into_bytes()
}

/// An inline-PGP message: the armoured block in a text/plain body.
fn inline(id: &str, armoured: &str) -> Vec<u8> {
    format!(
        "From: Ada Reporter <ada@example.net>\r\nTo: {ADDRESS}\r\nSubject: Encrypted report\r\nMessage-ID: <{id}>\r\nDate: Tue, 01 Dec 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello, the details are encrypted to your key.\r\n\r\n{}\r\n",
        armoured.replace("\r\n", "\n").replace('\n', "\r\n").trim_end()
    )
    .into_bytes()
}

/// The armoured OpenPGP message of a PGP/MIME mail Postern sent.
fn ciphertext_of(mail: &str) -> String {
    let start = mail
        .find("-----BEGIN PGP MESSAGE-----")
        .unwrap_or_else(|| panic!("not encrypted:\n{mail}"));
    let end = mail[start..].find("-----END PGP MESSAGE-----").unwrap() + start;
    mail[start..end + "-----END PGP MESSAGE-----".len()].to_owned()
}

#[test]
fn a_report_encrypted_and_signed_with_gpg_is_read_verified_and_answered_encrypted() {
    let Some(gpg) = Gpg::new() else { return };
    if !smtp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, inbox) = (dir.path().join("data"), dir.path().join("inbox"));
    let project = project_key(dir.path(), &data, &gpg);
    let ada = gpg.key_for("Ada Reporter <ada@example.net>");
    let port = free_port();
    let _smtp = Smtp::start(port, &inbox, None);
    let policy = policy().display().to_string();
    let _server = serve_with_mail_and(&data, port, &["--policy", &policy]);
    // The admin set up above sets a key: their notices carry the contents, encrypted.
    let member = gpg.key_for("Mo Admin <admin@localhost>");
    let member_key = dir.path().join("member.asc");
    std::fs::write(&member_key, gpg.public(&member)).unwrap();
    let out = postern(
        dir.path(),
        &[
            "user",
            "key",
            "admin@localhost",
            member_key.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(&member), "{}", stdout(&out));

    // Thunderbird's shape: encrypted to the project, signed by Ada, her key inside.
    let entity = thunderbird_entity(
        "SQL injection in the search endpoint",
        "The q parameter reaches the query unescaped. CANARY-pgp-report",
        Some(&gpg.public(&ada)),
    );
    let armoured = gpg.encrypt(&project, Some(&ada), &[], &entity);
    let said = ingest(&data, &pgp_mime("first@example.net", "", &armoured));
    let id = report_id(&said);
    let shown = run(dir.path(), &data, &["report", "show", &id]);
    assert!(shown.contains("CANARY-pgp-report"), "{shown}");
    assert!(
        shown.contains("SQL injection in the search endpoint"),
        "the protected subject is the title:\n{shown}"
    );
    assert!(shown.contains("attachment poc.py"), "{shown}");
    assert!(
        shown.contains(&format!(
            "Signature verified with the key sent with this message, fingerprint {}",
            spaced(&ada)
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("to the project's key {}", spaced(&project))),
        "{shown}"
    );

    // The receipt: PGP/MIME, nothing readable outside; gpg decrypts it and verifies the
    // project's signature.
    let to_ada = || -> Vec<String> {
        mails(&inbox)
            .into_iter()
            .filter(|m| m.starts_with("X-Test-Envelope-To: ada@example.net\r\n"))
            .collect()
    };
    wait_until("the receipt", || !to_ada().is_empty());
    let receipt = to_ada().remove(0);
    assert_eq!(header(&receipt, "Subject").as_deref(), Some("..."));
    assert!(
        header(&receipt, "Content-Type")
            .unwrap()
            .starts_with("multipart/encrypted"),
        "{receipt}"
    );
    let (head, body) = receipt.split_once("\r\n\r\n").unwrap();
    assert!(
        !body.contains(&id),
        "the words are inside only (the id is outside only in the threading ids)"
    );
    assert!(
        !head.contains("SQL injection"),
        "the subject is protected:\n{head}"
    );
    let opened = gpg.decrypt(&ciphertext_of(&receipt));
    assert_eq!(opened.valid_signature().as_deref(), Some(project.as_str()));
    // Quoted-printable soft line breaks undone, enough to read the words.
    let inside = String::from_utf8(opened.plaintext)
        .unwrap()
        .replace("=\r\n", "");
    assert!(inside.contains(&id), "{inside}");
    assert!(
        inside.contains("Subject: Re: SQL injection in the search endpoint"),
        "protected headers:\n{inside}"
    );
    assert!(inside.contains("protected-headers=\"v1\""), "{inside}");

    // The member's notice: the report itself, only inside the encryption, signed.
    let to_member = || -> Vec<String> {
        mails(&inbox)
            .into_iter()
            .filter(|m| m.starts_with("X-Test-Envelope-To: admin@localhost\r\n"))
            .collect()
    };
    wait_until("the member's notice", || !to_member().is_empty());
    let notice = to_member().remove(0);
    assert!(!notice.contains("CANARY-pgp-report"), "never in the clear");
    let opened = gpg.decrypt(&ciphertext_of(&notice));
    assert_eq!(opened.valid_signature().as_deref(), Some(project.as_str()));
    let inside = String::from_utf8(opened.plaintext)
        .unwrap()
        .replace("=\r\n", "");
    assert!(inside.contains("CANARY-pgp-report"), "{inside}");
    assert!(inside.contains("poc.py"), "the files are named: {inside}");
    assert!(
        inside.contains(&format!(
            "Subject: [Acme Widgets] New vulnerability report {id}"
        )),
        "{inside}"
    );

    // The team answers: the answer itself, encrypted to Ada and signed.
    run(
        dir.path(),
        &data,
        &[
            "report",
            "message",
            &id,
            "Confirmed; which version? CANARY-pgp-answer",
        ],
    );
    wait_until("the answer", || to_ada().len() >= 2);
    let answer = to_ada().remove(1);
    assert!(!answer.contains("CANARY-pgp-answer"), "never in the clear");
    assert_eq!(header(&answer, "Auto-Submitted"), None, "a person wrote it");
    let opened = gpg.decrypt(&ciphertext_of(&answer));
    assert_eq!(opened.valid_signature().as_deref(), Some(project.as_str()));
    assert!(
        String::from_utf8_lossy(&opened.plaintext)
            .replace("=\r\n", "")
            .contains("CANARY-pgp-answer")
    );

    // Ada answers, encrypted inline and signed: verified against the key on record.
    let answer_id = header(&answer, "Message-ID").unwrap();
    let reply = gpg.encrypt(
        &project,
        Some(&ada),
        &[],
        b"Version 2.3.1. CANARY-pgp-reply\r\n",
    );
    let mut raw = String::from_utf8(inline("reply@example.net", &reply)).unwrap();
    raw = raw.replacen(
        "MIME-Version: 1.0\r\n",
        &format!("MIME-Version: 1.0\r\nIn-Reply-To: {answer_id}\r\nReferences: {answer_id}\r\n"),
        1,
    );
    let said = ingest(&data, raw.as_bytes());
    assert_eq!(said.trim(), format!("reply to report {id}"));
    let shown = run(dir.path(), &data, &["report", "show", &id]);
    assert!(shown.contains("CANARY-pgp-reply"), "{shown}");
    wait_until("the member's notice of the reply", || {
        to_member().len() >= 2
    });
    let opened = gpg.decrypt(&ciphertext_of(&to_member().remove(1)));
    assert!(String::from_utf8_lossy(&opened.plaintext).contains("CANARY-pgp-reply"));
    assert!(
        shown.contains(&format!(
            "Signature verified with the reporter's key on record, fingerprint {}",
            spaced(&ada)
        )),
        "{shown}"
    );
}

#[test]
fn mail_that_does_not_open_is_kept_sealed_with_why_and_opens_once_the_key_is_imported() {
    let Some(gpg) = Gpg::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let project = project_key(dir.path(), &data, &gpg);
    let ada = gpg.key_for("Ada Reporter <ada@example.net>");
    // The key an older server held, which this one does not.
    let old = gpg.key_for("Old key <old-security@widgets.example.org>");

    let to_old = gpg.encrypt(&old, None, &[], b"Sent to the old key. CANARY-old-key\r\n");
    let said = ingest(&data, &inline("old@example.net", &to_old));
    let sealed = screening_item(&said);
    assert!(said.contains("could not be decrypted"), "{said}");
    let item = run(dir.path(), &data, &["mail", "screening", "show", &sealed]);
    assert!(item.contains("which this server does not hold"), "{item}");
    assert!(!item.contains("CANARY-old-key"));

    // Damaged armour, and armour cut in half.
    let good = gpg.encrypt(&project, None, &[], b"Fine. CANARY-damaged\r\n");
    let lines: Vec<&str> = good.lines().collect();
    let mut damaged = lines.clone();
    let middle = damaged.len() / 2;
    let flipped: String = damaged[middle]
        .chars()
        .map(|c| if c == 'A' { 'B' } else { 'A' })
        .collect();
    damaged[middle] = &flipped;
    let cut = lines[..lines.len() / 2].join("\n");
    for (i, armoured) in [damaged.join("\n"), cut].iter().enumerate() {
        let said = ingest(
            &data,
            &pgp_mime(&format!("bad{i}@example.net"), "", armoured),
        );
        assert!(said.starts_with("screening "), "{said}");
        let item = run(
            dir.path(),
            &data,
            &["mail", "screening", "show", &screening_item(&said)],
        );
        assert!(item.contains("was not decrypted"), "{item}");
    }

    // A decompression bomb: 40 MiB of zeros in a few kilobytes.
    let zeros = gpg.file("zeros", &vec![0u8; 40 * 1024 * 1024]);
    let bomb = gpg.encrypt(
        &project,
        None,
        &[
            "--compress-algo",
            "zlib",
            "--compress-level",
            "9",
            "--output",
            "-",
            zeros.to_str().unwrap(),
        ],
        b"",
    );
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let said = ingest(&data, &inline("bomb@example.net", &bomb));
    let item = run(
        dir.path(),
        &data,
        &["mail", "screening", "show", &screening_item(&said)],
    );
    assert!(item.contains("larger than"), "{item}");

    // Signed but altered on the way: a bad signature, shown on the report.
    let key = gpg.public(&ada);
    let part = format!(
        "Content-Type: multipart/mixed; boundary=\"s\"\r\n\r\n--s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nUse a constant-time comparison. CANARY-signed\r\n--s\r\nContent-Type: application/pgp-keys; name=\"ada.asc\"\r\n\r\n{}\r\n--s--\r\n",
        key.replace('\n', "\r\n").trim_end()
    );
    let signature = gpg.detach_sign(&ada, part.as_bytes());
    let signed = |content: &str, id: &str| {
        format!(
            "From: Ada Reporter <ada@example.net>\r\nTo: {ADDRESS}\r\nSubject: Timing side channel\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; micalg=pgp-sha512;\r\n protocol=\"application/pgp-signature\"; boundary=\"outer\"\r\n\r\n--outer\r\n{content}\r\n--outer\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n{}\r\n--outer--\r\n",
            signature.replace('\n', "\r\n").trim_end()
        )
    };
    let said = ingest(&data, signed(&part, "good-sig@example.net").as_bytes());
    let shown = run(dir.path(), &data, &["report", "show", &report_id(&said)]);
    assert!(
        shown.contains(&format!(
            "Signature verified with the key sent with this message, fingerprint {}",
            spaced(&ada)
        )),
        "{shown}"
    );
    let altered = part.replace("constant-time", "variable-time");
    let said = ingest(&data, signed(&altered, "bad-sig@example.net").as_bytes());
    let shown = run(dir.path(), &data, &["report", "show", &report_id(&said)]);
    assert!(shown.contains("Bad signature"), "{shown}");
    // Signed by a key that was not sent: nothing can be said.
    let unsigned_key = thunderbird_entity("Unknown signer", "CANARY-unknown", None);
    let armoured = gpg.encrypt(&project, Some(&ada), &[], &unsigned_key);
    let said = ingest(&data, &pgp_mime("unknown-sig@example.net", "", &armoured));
    let shown = run(dir.path(), &data, &["report", "show", &report_id(&said)]);
    assert!(shown.contains("CANARY-unknown"), "{shown}");
    assert!(
        shown.contains("Signed by a key Postern does not have"),
        "{shown}"
    );

    // The old key is imported: the message kept sealed opens when it is made a report.
    let secret = dir.path().join("old.asc");
    std::fs::write(&secret, gpg.secret(&old)).unwrap();
    run(
        dir.path(),
        &data,
        &[
            "key",
            "openpgp",
            "import",
            "--project",
            PROJECT,
            "--rotate",
            secret.to_str().unwrap(),
        ],
    );
    let said = run(dir.path(), &data, &["mail", "screening", "report", &sealed]);
    let id = said
        .strip_prefix("Report ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{said}"))
        .to_owned();
    let shown = run(dir.path(), &data, &["report", "show", &id]);
    assert!(shown.contains("CANARY-old-key"), "{shown}");
    assert!(
        shown.contains(&format!("to the project's key {}", spaced(&old))),
        "{shown}"
    );
}
