//! The corpus of invented messages (tests/corpus/README.md says what each imitates), read
//! with concrete expectations; charsets and screening variants built inline; every limit at
//! the limit and one over; and property tests that no input makes `read` panic.

use std::path::PathBuf;

use postern_mail::{
    Attachment, Automated, DEPTH_MAX, Encrypted, LINE_CHARS_MAX, MESSAGE_BYTES_MAX, Mail, Mailbox,
    PARTS_MAX, Unreadable, read, read_decrypted, with_inline_plaintext,
};
use proptest::prelude::*;

const CORPUS: &[&str] = &[
    "apple-mail-poc-attachment.eml",
    "broken-mime.eml",
    "dsn-bounce.eml",
    "exchange-out-of-office.eml",
    "gmail-alternative.eml",
    "header-injection-bidi.eml",
    "inline-pgp.eml",
    "latin1-body-sjis-subject.eml",
    "mailing-list-digest.eml",
    "mutt-signed.eml",
    "nested-multiparts.eml",
    "outlook-html-inline-image.eml",
    "pgp-mime-encrypted.eml",
    "postern-own-mail.eml",
    "reply-threading.eml",
    "thunderbird-flowed.eml",
    "vacation-auto-reply.eml",
];

fn raw(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mail(name: &str) -> Mail {
    read(&raw(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn mailbox(name: Option<&str>, address: &str) -> Option<Mailbox> {
    Some(Mailbox {
        name: name.map(str::to_string),
        address: address.to_string(),
    })
}

fn names(attachments: &[Attachment]) -> Vec<(&str, &str, usize, bool)> {
    attachments
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.content_type.as_str(),
                a.bytes.len(),
                a.inline,
            )
        })
        .collect()
}

fn timestamp(s: &str) -> Option<jiff::Timestamp> {
    Some(s.parse().unwrap())
}

#[test]
fn the_readme_lists_every_corpus_file() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    files.sort();
    assert_eq!(files, CORPUS);
    for file in CORPUS {
        assert!(
            readme.contains(&format!("`{file}`")),
            "{file} is not in the README"
        );
    }
}

#[test]
fn gmail_prefers_the_plain_part_of_an_alternative() {
    let m = mail("gmail-alternative.eml");
    assert_eq!(m.subject, "XSS in the project search page");
    assert_eq!(m.from, mailbox(Some("Ana Lima"), "ana.lima@example.net"));
    assert_eq!(m.recipients, ["security@example.org"]);
    assert_eq!(
        m.message_id.as_deref(),
        Some("CAJx7Kp3q9GfY1sT0uV2wX4yZ5a6b7c8d9e0f1g2h3@mail.example.net")
    );
    assert_eq!(m.date, timestamp("2026-11-03T14:12:27Z"));
    assert!(!m.from_html);
    assert!(m.text.starts_with("Hello,\n\nI found a reflected XSS"));
    assert!(m.text.contains(
        "1. Open https://www.example.org/search?q=%3Csvg%20onload%3Dalert(1)%3E\n2. The payload"
    ));
    assert!(!m.text.contains('\r'));
    assert!(m.attachments.is_empty());
    assert_eq!(m.automated, None);
    assert_eq!(m.encrypted, None);
    let raw = raw("gmail-alternative.eml");
    let blank = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    assert_eq!(m.header_bytes, blank + 4);
}

#[test]
fn outlook_html_only_becomes_text_with_its_inline_image_attached() {
    let m = mail("outlook-html-inline-image.eml");
    assert_eq!(m.subject, "SQL injection in the /api/export endpoint");
    assert_eq!(
        m.from,
        mailbox(Some("Brandt, Kai"), "kai.brandt@corp.example.net")
    );
    assert_eq!(
        m.recipients,
        ["security@example.org", "ama.osei@corp.example.net"]
    );
    assert!(m.from_html);
    assert_eq!(
        m.text,
        "Hello security team,\n\nThe format parameter of /api/export is concatenated into the \
         SQL query. A request with format=csv' OR '1'='1 returns every project\u{2019}s rows.\
         \n\nKind regards,\nKai"
    );
    for markup in [
        "<",
        ">",
        "MsoNormal",
        "behavior",
        "not shown",
        "shapedefaults",
    ] {
        assert!(!m.text.contains(markup), "{markup} survived");
    }
    assert_eq!(
        names(&m.attachments),
        [("image001.png", "image/png", 1208, true)]
    );
    assert!(m.attachments[0].bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn apple_mail_keeps_the_poc_bytes_and_both_text_parts() {
    let m = mail("apple-mail-poc-attachment.eml");
    assert_eq!(m.from, mailbox(Some("Mira Köhler"), "mira.k@example.net"));
    assert_eq!(m.recipients, ["security@example.org"]);
    assert_eq!(m.date, timestamp("2026-11-05T23:03:55Z"));
    // Quoted-printable soft breaks are joined and =C3=AF decoded.
    assert!(m.text.contains(
        "so an entry named ../../../../tmp/pwned.txt is written outside the upload directory. Naïve fix"
    ));
    assert!(m.text.ends_with("The PoC is attached:\n\nThanks, Mira"));
    assert_eq!(
        names(&m.attachments),
        [("poc.py", "text/x-python-script", 293, false)]
    );
    let poc = String::from_utf8(m.attachments[0].bytes.clone()).unwrap();
    assert!(poc.starts_with("#!/usr/bin/env python3\n"));
    assert!(poc.contains("z.writestr(\"../../../../tmp/pwned.txt\""));
}

#[test]
fn thunderbird_flowed_text_is_joined_into_paragraphs() {
    let m = mail("thunderbird-flowed.eml");
    assert_eq!(m.subject, "Session cookie lacks the Secure flag");
    assert_eq!(
        m.text,
        "Hello,\n\nThe session cookie set after signing in does not carry the Secure flag, so a \
         browser sends it over plain HTTP when a user follows an http:// link to the instance.\
         \n\nFrom what I can see the flag is missing in every release since 2.1.\n\n> Quoting \
         your policy: we answer within three business days.\n\n-- \nJonas"
    );
}

#[test]
fn mutt_signed_text_is_the_body_and_the_signature_an_attachment() {
    let m = mail("mutt-signed.eml");
    assert_eq!(m.from, mailbox(Some("Priya Raman"), "priya@example.net"));
    assert!(
        m.text
            .starts_with("Hi,\n\nAPI tokens are compared with ==, so")
    );
    assert_eq!(
        names(&m.attachments),
        [("signature.asc", "application/pgp-signature", 201, false)]
    );
    assert!(
        m.attachments[0]
            .bytes
            .starts_with(b"-----BEGIN PGP SIGNATURE-----")
    );
    assert_eq!(m.encrypted, None);
    assert_eq!(m.automated, None);
}

#[test]
fn pgp_mime_keeps_the_ciphertext_and_says_nothing_as_text() {
    let m = mail("pgp-mime-encrypted.eml");
    assert_eq!(m.subject, "Encrypted report");
    assert_eq!(m.text, "");
    assert!(!m.from_html);
    let Some(Encrypted::PgpMime { armoured }) = &m.encrypted else {
        panic!("not PGP/MIME: {:?}", m.encrypted);
    };
    assert!(armoured.starts_with("-----BEGIN PGP MESSAGE-----\r\n"));
    assert!(armoured.trim_end().ends_with("-----END PGP MESSAGE-----"));
    assert_eq!(
        names(&m.attachments),
        [(
            "encrypted.asc",
            "application/octet-stream",
            armoured.len(),
            false
        )]
    );
    assert_eq!(m.attachments[0].bytes, armoured.as_bytes());
}

#[test]
fn a_signed_message_keeps_the_signed_part_as_sent_and_its_signature() {
    let m = mail("mutt-signed.eml");
    let signed = m.signed.expect("multipart/signed is read");
    assert!(
        signed.content.starts_with(
            b"Content-Type: text/plain; charset=us-ascii\r\nContent-Disposition: inline\r\n"
        ),
        "the signed part starts with its own header section"
    );
    assert!(
        signed.content.ends_with(b"Priya\r\n"),
        "the CRLF before the delimiter is not signed"
    );
    assert!(
        signed
            .signature
            .starts_with("-----BEGIN PGP SIGNATURE-----")
    );
    // The same message stored with LF line ends is signed over CRLF all the same.
    let lf = String::from_utf8(raw("mutt-signed.eml"))
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(
        read(lf.as_bytes()).unwrap().signed.unwrap().content,
        signed.content
    );
    assert_eq!(mail("gmail-alternative.eml").signed, None);
}

#[test]
fn a_decrypted_thunderbird_entity_reads_as_the_message_with_its_protected_subject() {
    let outer = mail("pgp-mime-encrypted.eml");
    let inner = read_decrypted(&outer, &raw("thunderbird-decrypted-entity.txt")).unwrap();
    assert_eq!(inner.subject, "SQL injection in the search endpoint");
    assert!(
        inner.text.starts_with("Hello,\n\nthe search endpoint builds its query from the q parameter without escaping it"),
        "{}",
        inner.text
    );
    assert!(inner.text.ends_with("Lena – Grüße"), "{}", inner.text);
    assert_eq!(
        names(&inner.attachments),
        [
            ("poc.py", "text/x-python", 85, false),
            (
                "OpenPGP_0x1122334455667788.asc",
                "application/pgp-keys",
                149,
                false
            )
        ]
    );
    assert_eq!(inner.encrypted, None);
    // The envelope stays the outer message's.
    assert_eq!(inner.from, outer.from);
    assert_eq!(inner.message_id, outer.message_id);
    assert_eq!(inner.recipients, outer.recipients);
    // Plain text without a header section, as some clients encrypt it.
    let plain = read_decrypted(&outer, b"Just text.\r\n").unwrap();
    assert_eq!(
        (plain.text.as_str(), plain.subject.as_str()),
        ("Just text.", "Encrypted report")
    );
    // The same limits as a message.
    let mut deep = String::new();
    for i in 0..=DEPTH_MAX {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
        ));
    }
    assert_eq!(
        read_decrypted(&outer, deep.as_bytes()),
        Err(Unreadable::TooDeep)
    );
}

#[test]
fn inline_plaintext_takes_the_place_of_its_block() {
    let m = mail("inline-pgp.eml");
    let clear = with_inline_plaintext(&m, b"The token is compared with ==.\r\n\x1b[31m");
    assert_eq!(clear.encrypted, None);
    assert!(clear.text.starts_with("Hello, the report is encrypted"));
    assert!(clear.text.contains("The token is compared with ==."));
    assert!(!clear.text.contains("BEGIN PGP"));
    assert!(
        !clear.text.contains('\x1b'),
        "control characters are cleaned"
    );
}

#[test]
fn inline_pgp_is_found_in_the_text() {
    let m = mail("inline-pgp.eml");
    let Some(Encrypted::InlinePgp { armoured }) = &m.encrypted else {
        panic!("not inline PGP: {:?}", m.encrypted);
    };
    assert!(armoured.starts_with("-----BEGIN PGP MESSAGE-----\n\nhQIMA0V4"));
    assert!(armoured.ends_with("=Ab3D\n-----END PGP MESSAGE-----"));
    assert!(m.text.starts_with("Hello, the report is encrypted"));
    assert!(m.text.contains(armoured.as_str()));
    assert!(m.attachments.is_empty());
}

#[test]
fn a_delivery_status_report_is_a_bounce() {
    let m = mail("dsn-bounce.eml");
    assert_eq!(m.automated, Some(Automated::Bounce));
    assert_eq!(
        m.from,
        mailbox(Some("Mail Delivery System"), "mailer-daemon@mx.example.net")
    );
    assert_eq!(m.subject, "Undelivered Mail Returned to Sender");
    assert!(
        m.text
            .starts_with("This is the mail system at host mx.example.net.")
    );
    assert!(m.text.contains("Recipient address rejected: User unknown"));
    assert_eq!(
        names(&m.attachments),
        [
            ("attachment-1", "message/delivery-status", 366, false),
            ("attachment-2", "message/rfc822", 340, false),
        ]
    );
    let status = String::from_utf8_lossy(&m.attachments[0].bytes);
    assert!(status.contains("Status: 5.1.1"));
    let returned = String::from_utf8_lossy(&m.attachments[1].bytes);
    assert!(returned.starts_with("From: Postern <security@example.org>\n"));
}

#[test]
fn a_sieve_vacation_reply_is_an_auto_reply_before_a_list() {
    let m = mail("vacation-auto-reply.eml");
    assert_eq!(m.automated, Some(Automated::AutoReply));
    assert_eq!(m.in_reply_to, ["job-0012-3@postern.example.org"]);
    assert_eq!(m.references, ["job-0012-3@postern.example.org"]);
    assert_eq!(
        m.text,
        "I am away until 20 November and will answer when I am back."
    );
}

#[test]
fn an_exchange_out_of_office_is_an_auto_reply_by_subject_and_header() {
    let m = mail("exchange-out-of-office.eml");
    assert_eq!(m.automated, Some(Automated::AutoReply));
    assert_eq!(
        m.subject,
        "Automatic reply: [PSTN-2026-0021] A team member wrote to you"
    );
    assert_eq!(m.recipients, ["security@example.org"]);
    assert_eq!(m.in_reply_to, ["job-0021-1@postern.example.org"]);
    assert_eq!(
        m.text,
        "I am out of the office until Monday with limited access to email."
    );
    assert!(!m.from_html);
}

#[test]
fn a_digest_is_list_mail_whose_messages_are_attachments() {
    let m = mail("mailing-list-digest.eml");
    assert_eq!(m.automated, Some(Automated::List));
    assert_eq!(
        m.from,
        mailbox(None, "oss-example-request@lists.example.org")
    );
    assert_eq!(m.reply_to, mailbox(None, "oss-example@lists.example.org"));
    assert!(
        m.text
            .starts_with("Send oss-example mailing list submissions to")
    );
    assert!(!m.text.contains("Version 3.4.1 is out"));
    assert_eq!(
        names(&m.attachments),
        [
            ("attachment-1", "message/rfc822", 257, false),
            ("attachment-2", "message/rfc822", 249, false),
        ]
    );
    assert!(String::from_utf8_lossy(&m.attachments[0].bytes).contains("Version 3.4.1 is out."));
}

#[test]
fn latin1_body_shift_jis_subject_and_iso_2022_jp_name_are_decoded() {
    let m = mail("latin1-body-sjis-subject.eml");
    assert_eq!(m.subject, "脆弱性の報告 (open redirect)");
    assert_eq!(m.from, mailbox(Some("山田太郎"), "taro.yamada@example.net"));
    assert_eq!(m.recipients, ["security@example.org", "renee@example.net"]);
    assert_eq!(
        m.text,
        "Bonjour l'équipe,\n\nLe paramètre « redirect » accepte une URL étrangère : redirection \
         ouverte.\n\nCordialement,\nRenée"
    );
    assert_eq!(m.date, timestamp("2026-11-14T00:09:09Z"));
}

#[test]
fn a_reply_carries_its_thread() {
    let m = mail("reply-threading.eml");
    assert_eq!(m.subject, "Re: [PSTN-2026-0042] A team member wrote to you");
    assert_eq!(
        m.message_id.as_deref(),
        Some("CAJx7Kp3reply0042@mail.example.net")
    );
    assert_eq!(m.in_reply_to, ["job-0042-5@postern.example.org"]);
    assert_eq!(
        m.references,
        [
            "CAJx7Kp3q9GfY1sT0uV2wX4yZ5a6b7c8d9e0f1g2h3@mail.example.net",
            "job-0042-2@postern.example.org",
            "job-0042-5@postern.example.org",
        ]
    );
    assert!(
        m.text
            .ends_with("> Could you check whether 3.4.2 fixes the issue?")
    );
}

#[test]
fn nested_multiparts_choose_plain_text_and_keep_every_attachment_in_order() {
    let m = mail("nested-multiparts.eml");
    assert_eq!(
        m.text,
        "An SVG avatar with an embedded script runs when the profile page is opened. Details in \
         the attached PDF."
    );
    assert!(!m.from_html);
    assert_eq!(
        names(&m.attachments),
        [
            ("attachment-1", "image/gif", 306, true),
            ("report.pdf", "application/pdf", 2045, false),
        ]
    );
    assert!(m.attachments[0].bytes.starts_with(b"GIF89a"));
    assert!(m.attachments[1].bytes.starts_with(b"%PDF-1.7\n"));
    assert!(m.attachments[1].bytes.ends_with(b"%%EOF\n"));
}

#[test]
fn broken_mime_still_reads_what_it_can() {
    let m = mail("broken-mime.eml");
    assert_eq!(m.subject, "Crash log (sent from a flaky client)");
    assert_eq!(
        m.text,
        "The server crashes when the upload is interrupted. Log attached."
    );
    assert_eq!(
        names(&m.attachments),
        [
            ("crash.log", "text/plain", 22, false),
            ("core.bin", "application/octet-stream", 10, false),
        ]
    );
    assert_eq!(m.attachments[0].bytes, b"log line 1\nlog line 2\n");
    assert_eq!(m.attachments[1].bytes, (0u8..10).collect::<Vec<_>>());
}

#[test]
fn encoded_line_breaks_and_bidi_overrides_do_not_survive_in_headers() {
    let m = mail("header-injection-bidi.eml");
    assert_eq!(m.subject, "Invoice Bcc: victim@example.net hidden body");
    assert_eq!(
        m.from,
        mailbox(
            Some("Support Team Bcc: x@example.net"),
            "attacker@example.net"
        )
    );
    assert_eq!(m.recipients, ["security@example.org", "other@example.org"]);
    assert_eq!(m.text, "Please see the invoice.");
}

#[test]
fn posterns_own_mail_is_recognised_first() {
    let m = mail("postern-own-mail.eml");
    assert_eq!(m.automated, Some(Automated::Postern));
    assert_eq!(
        m.text,
        "A reporter wrote to the team. Open the case to read it."
    );
}

#[test]
fn no_corpus_message_keeps_a_control_character_in_a_one_line_field() {
    for name in CORPUS {
        let m = mail(name);
        let mut lines = vec![m.subject.clone()];
        for mailbox in [&m.from, &m.reply_to, &m.sender].into_iter().flatten() {
            lines.push(mailbox.address.clone());
            lines.extend(mailbox.name.clone());
        }
        lines.extend(m.attachments.iter().map(|a| a.name.clone()));
        lines.extend(m.recipients.clone());
        for line in lines {
            assert!(
                !line
                    .chars()
                    .any(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)),
                "{name}: {line:?}"
            );
        }
        assert!(!m.text.contains('\r'), "{name}");
    }
}

// Charsets, encodings and names built inline.

fn simple(headers: &str, body: &[u8]) -> Mail {
    let mut raw =
        format!("From: a@example.net\r\nTo: security@example.org\r\n{headers}\r\n").into_bytes();
    raw.extend_from_slice(body);
    read(&raw).unwrap()
}

#[test]
fn single_byte_charsets_are_decoded() {
    let windows_1252 = simple(
        "Content-Type: text/plain; charset=windows-1252\r\n",
        b"\x93Quoted\x94 \x80 5 \x96 fix",
    );
    assert_eq!(windows_1252.text, "\u{201C}Quoted\u{201D} € 5 – fix");
    let koi8_r = simple(
        "Content-Type: text/plain; charset=KOI8-R\r\nSubject: =?koi8-r?B?8NLJ18XU?=\r\n",
        b"\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2",
    );
    assert_eq!(koi8_r.subject, "Привет");
    assert_eq!(koi8_r.text, "Привет, мир");
}

#[test]
fn multi_byte_charsets_and_transfer_encodings_are_decoded() {
    let iso_2022_jp = simple(
        "Content-Type: text/plain; charset=ISO-2022-JP\r\n",
        b"\x1b$B$3$s$K$A$O\x1b(B",
    );
    assert_eq!(iso_2022_jp.text, "こんにちは");
    let shift_jis = simple(
        "Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n",
        b"grGC8YLJgr+CzQ==\r\n",
    );
    assert_eq!(shift_jis.text, "こんにちは");
    let quoted_printable = simple(
        "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n",
        b"Caf=E9 cr=E8me=\r\n br=FBl=E9e",
    );
    assert_eq!(quoted_printable.text, "Café crème brûlée");
    let unknown = simple(
        "Content-Type: text/plain; charset=x-unheard-of\r\n",
        b"caf\xc3\xa9 \xff",
    );
    assert_eq!(unknown.text, "café \u{FFFD}");
}

#[test]
fn attachment_names_are_decoded_from_rfc_2231_and_rfc_2047() {
    let m = simple(
        "Content-Type: multipart/mixed; boundary=b\r\n",
        b"--b\r\n\r\nbody\r\n\
          --b\r\nContent-Type: application/pdf\r\n\
          Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.pdf\r\n\r\nx\r\n\
          --b\r\nContent-Type: text/plain\r\n\
          Content-Disposition: attachment;\r\n filename*0*=utf-8''Pr%C3%BCfung-;\r\n filename*1*=%C3%A9t%C3%A9.txt\r\n\r\ny\r\n\
          --b\r\nContent-Type: application/octet-stream; name=\"=?utf-8?q?r=C3=A9sultat=E2=80=AEfdp.exe?=\"\r\n\r\nz\r\n\
          --b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n\r\nw\r\n\
          --b--\r\n",
    );
    assert_eq!(m.text, "body");
    assert_eq!(
        names(&m.attachments),
        [
            ("résumé final.pdf", "application/pdf", 1, false),
            ("Prüfung-été.txt", "text/plain", 1, false),
            ("résultatfdp.exe", "application/octet-stream", 1, false),
            ("attachment-4", "image/png", 1, true),
        ]
    );
}

#[test]
fn recipients_come_in_order_lowercased_and_once() {
    let m = simple(
        "Delivered-To: Security@Example.org\r\nX-Original-To: alias@example.org\r\n\
         Cc: \"Team\" <TEAM@example.org>, alias@example.org\r\nDelivered-To: hop2@example.org\r\n",
        b"",
    );
    assert_eq!(
        m.recipients,
        [
            "security@example.org",
            "hop2@example.org",
            "alias@example.org",
            "team@example.org",
        ]
    );
}

#[test]
fn sender_reply_to_and_long_subjects() {
    let subject = "x".repeat(LINE_CHARS_MAX + 100);
    let m = simple(
        &format!(
            "Sender: \"List Robot\" <robot@example.net>\r\nReply-To: <Reply@Example.net>\r\nSubject: {subject}\r\n"
        ),
        b"",
    );
    assert_eq!(m.sender, mailbox(Some("List Robot"), "robot@example.net"));
    assert_eq!(m.reply_to, mailbox(None, "reply@example.net"));
    assert_eq!(m.subject.chars().count(), LINE_CHARS_MAX);
    assert_eq!(m.date, None);
    assert_eq!(m.text, "");
}

#[test]
fn a_single_text_part_is_the_body_even_with_a_name() {
    let named = simple(
        "Content-Type: text/plain; name=\"note.txt\"\r\n",
        b"The note.",
    );
    assert_eq!(named.text, "The note.");
    assert!(named.attachments.is_empty());
    let attached = simple(
        "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=note.txt\r\n",
        b"The note.",
    );
    assert_eq!(attached.text, "");
    assert_eq!(
        names(&attached.attachments),
        [("note.txt", "text/plain", 9, false)]
    );
}

#[test]
fn an_mbox_separator_line_is_skipped() {
    let m = read(b"From someone@example.net Mon Nov 30 10:00:00 2026\nFrom: a@example.net\nSubject: hi\n\nbody\n").unwrap();
    assert_eq!(m.subject, "hi");
    assert_eq!(m.text, "body");
}

// Screening variants.

fn screened(headers: &str) -> Option<Automated> {
    simple(headers, b"Hello.\r\n").automated
}

#[test]
fn screening_signals() {
    assert_eq!(screened("Subject: A report\r\n"), None);
    assert_eq!(screened("Auto-Submitted: no\r\n"), None);
    assert_eq!(
        screened("Auto-Submitted: auto-generated\r\n"),
        Some(Automated::AutoReply)
    );
    assert_eq!(screened("X-Autoreply: yes\r\n"), Some(Automated::AutoReply));
    assert_eq!(screened("X-Autorespond: 1\r\n"), Some(Automated::AutoReply));
    assert_eq!(
        screened("Precedence: auto_reply\r\n"),
        Some(Automated::AutoReply)
    );
    assert_eq!(screened("Precedence: bulk\r\n"), Some(Automated::List));
    assert_eq!(screened("Precedence: junk\r\n"), Some(Automated::List));
    assert_eq!(screened("Precedence: first-class\r\n"), None);
    assert_eq!(
        screened("List-Id: <dev.example.org>\r\n"),
        Some(Automated::List)
    );
    assert_eq!(
        screened("List-Unsubscribe: <mailto:leave@example.org>\r\n"),
        Some(Automated::List)
    );
    assert_eq!(
        screened("Mailing-List: contact dev-help@example.org\r\n"),
        Some(Automated::List)
    );
    assert_eq!(
        screened("X-Postern-Mail: notice\r\nList-Id: <x.example.org>\r\n"),
        Some(Automated::Postern)
    );
}

#[test]
fn a_vacation_subject_alone_never_decides() {
    assert_eq!(screened("Subject: Out of office until Monday\r\n"), None);
    assert_eq!(
        screened("X-Auto-Response-Suppress: All\r\nSubject: A report\r\n"),
        None
    );
    assert_eq!(
        screened("X-Auto-Response-Suppress: All\r\nSubject: Out of Office: your report\r\n"),
        Some(Automated::AutoReply)
    );
    assert_eq!(
        screened("Return-Path: <>\r\nSubject: Automatic reply: Re: case\r\n"),
        Some(Automated::AutoReply)
    );
}

#[test]
fn a_postmaster_is_a_bounce_only_with_the_shape_of_one() {
    let person = "From: Postmaster <postmaster@example.net>\r\nSubject: Found a bug\r\n";
    let m = read(format!("{person}\r\nYour MX accepts open relaying.\r\n").as_bytes()).unwrap();
    assert_eq!(m.automated, None);
    let bounce = "From: MAILER-DAEMON@example.net\r\nSubject: failure notice\r\n";
    let m =
        read(format!("{bounce}\r\nI'm afraid I wasn't able to deliver.\r\n").as_bytes()).unwrap();
    assert_eq!(m.automated, Some(Automated::Bounce));
    let status = "From: postmaster@example.net\r\nSubject: Problem\r\n\
        Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nSee below.\r\n\
        --b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--b--\r\n";
    assert_eq!(
        read(status.as_bytes()).unwrap().automated,
        Some(Automated::Bounce)
    );
}

#[test]
fn a_read_receipt_is_an_auto_reply() {
    let mdn = "From: b@example.net\r\nSubject: Read: report\r\n\
        Content-Type: multipart/report; report-type=disposition-notification; boundary=r\r\n\r\n\
        --r\r\n\r\nThe message was displayed.\r\n\
        --r\r\nContent-Type: message/disposition-notification\r\n\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n--r--\r\n";
    let m = read(mdn.as_bytes()).unwrap();
    assert_eq!(m.automated, Some(Automated::AutoReply));
    assert_eq!(m.text, "The message was displayed.");
}

#[test]
fn every_reason_is_one_sentence() {
    for kind in [
        Automated::Postern,
        Automated::Bounce,
        Automated::AutoReply,
        Automated::List,
    ] {
        let reason = kind.reason();
        assert!(reason.chars().next().unwrap().is_uppercase(), "{reason}");
        assert!(reason.ends_with('.'), "{reason}");
        assert_eq!(reason.matches(". ").count(), 0, "{reason}");
    }
}

// Refusals and limits.

#[test]
fn bytes_without_headers_are_not_a_message() {
    for bytes in [
        &b""[..],
        b"\r\n\r\nonly a body",
        b"plain words, no header field at all",
        b"\x00\x9f\x92\x96: \xff\xfe\r\n\r\n",
        b": no name\r\n\r\n",
    ] {
        match read(bytes) {
            Err(Unreadable::NotAMessage(why)) => assert!(!why.is_empty()),
            other => panic!("{bytes:?} gave {other:?}"),
        }
    }
    let e = read(b"hello").unwrap_err();
    assert!(e.to_string().starts_with("This is not an email message: "));
    assert!(e.to_string().ends_with('.'));
}

fn octet_stream_of(total: usize) -> Vec<u8> {
    let head = b"From: big@example.net\r\nContent-Type: application/octet-stream\r\n\r\n";
    let mut raw = head.to_vec();
    raw.resize(total, b'x');
    raw
}

#[test]
fn a_message_of_exactly_the_size_limit_is_read_and_one_byte_more_is_refused() {
    let at_limit = octet_stream_of(MESSAGE_BYTES_MAX);
    let m = read(&at_limit).unwrap();
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(
        m.attachments[0].bytes.len(),
        MESSAGE_BYTES_MAX - m.header_bytes
    );
    let over = octet_stream_of(MESSAGE_BYTES_MAX + 1);
    let e = read(&over).unwrap_err();
    assert_eq!(
        e,
        Unreadable::TooLarge {
            bytes: MESSAGE_BYTES_MAX + 1
        }
    );
    assert!(e.to_string().contains(&(MESSAGE_BYTES_MAX + 1).to_string()));
}

#[test]
fn a_20_mb_attachment_is_read_whole() {
    let file: Vec<u8> = (0..20_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut encoded = String::new();
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (i, chunk) in file.chunks(3).enumerate() {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for k in 0..4 {
            encoded.push(if k <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char
            } else {
                '='
            });
        }
        if i % 19 == 18 {
            encoded.push_str("\r\n");
        }
    }
    let raw = format!(
        "From: big@example.net\r\nSubject: dump\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n\
         --z\r\nContent-Type: text/plain\r\n\r\nThe memory dump.\r\n\
         --z\r\nContent-Type: application/octet-stream; name=dump.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {encoded}\r\n--z--\r\n"
    );
    assert!(raw.len() < MESSAGE_BYTES_MAX && raw.len() > 26_000_000);
    let m = read(raw.as_bytes()).unwrap();
    assert_eq!(m.text, "The memory dump.");
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].name, "dump.bin");
    assert!(
        m.attachments[0].bytes == file,
        "the attachment's bytes differ"
    );
}

/// A multipart/mixed with `children` text parts: `children + 1` parts in all.
fn with_children(children: usize) -> Vec<u8> {
    let mut raw =
        String::from("From: a@example.net\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
    for i in 0..children {
        raw.push_str(&format!(
            "--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"
        ));
    }
    raw.push_str("--b--\r\n");
    raw.into_bytes()
}

#[test]
fn parts_up_to_the_limit_are_read_and_one_more_is_refused() {
    let m = read(&with_children(PARTS_MAX - 1)).unwrap();
    assert!(m.text.starts_with("part 0\n\npart 1"));
    assert!(m.text.ends_with(&format!("part {}", PARTS_MAX - 2)));
    let e = read(&with_children(PARTS_MAX)).unwrap_err();
    assert_eq!(
        e,
        Unreadable::TooManyParts {
            parts: PARTS_MAX + 1
        }
    );
    assert!(e.to_string().contains("200 MIME parts"));
    // A million parts are refused as fast as one over.
    assert_eq!(
        read(&with_children(100_000)).unwrap_err(),
        Unreadable::TooManyParts {
            parts: PARTS_MAX + 1
        }
    );
}

/// `levels` multiparts nested in one another (the message itself the outermost), the text
/// inside the last.
fn nested(levels: usize) -> Vec<u8> {
    let mut raw = String::from("From: a@example.net\r\nSubject: deep\r\n");
    for i in 0..levels {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=level{i}\r\n\r\n--level{i}\r\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\ninnermost\r\n");
    for i in (0..levels).rev() {
        raw.push_str(&format!("--level{i}--\r\n"));
    }
    raw.into_bytes()
}

#[test]
fn nesting_up_to_the_limit_is_read_and_one_level_more_is_refused() {
    assert_eq!(read(&nested(DEPTH_MAX)).unwrap().text, "innermost");
    let e = read(&nested(DEPTH_MAX + 1)).unwrap_err();
    assert_eq!(e, Unreadable::TooDeep);
    assert!(e.to_string().contains("12 levels"));
    assert_eq!(read(&nested(50_000)).unwrap_err(), Unreadable::TooDeep);
}

#[test]
fn deeply_nested_attached_messages_are_one_attachment() {
    // mail-parser 0.11 alone overflows the stack on this (dropping the nested value).
    let mut raw = String::from(
        "From: a@example.net\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nSee attached.\r\n--b\r\n",
    );
    for _ in 0..100_000 {
        raw.push_str("Content-Type: message/rfc822\r\n\r\n");
    }
    raw.push_str("From: c@example.net\r\n\r\ninside\r\n--b--\r\n");
    let m = read(raw.as_bytes()).unwrap();
    assert_eq!(m.text, "See attached.");
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].content_type, "message/rfc822");
}

#[test]
fn multiparts_whose_boundary_never_comes_cost_no_rescans() {
    // mail-parser 0.11 searches the rest of the message once per such multipart (quadratic).
    let filler = "y".repeat(150_000);
    let mut raw =
        String::from("From: a@example.net\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
    for _ in 0..PARTS_MAX - 1 {
        raw.push_str(&format!(
            "--b\r\nContent-Type: multipart/mixed; boundary=never\r\n\r\n{filler}\r\n"
        ));
    }
    assert!(raw.len() > 29_000_000);
    let m = read(raw.as_bytes()).unwrap();
    assert_eq!(
        m.text.len(),
        (PARTS_MAX - 1) * filler.len() + (PARTS_MAX - 2) * 2
    );
}

// Never a panic.

const RLO: char = '\u{202E}';

fn mutate(mut raw: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, op, byte) in edits {
        let at = if raw.is_empty() {
            0
        } else {
            at % (raw.len() + 1)
        };
        match op % 4 {
            0 if at < raw.len() => raw[at] = byte,
            1 => raw.insert(at, byte),
            2 if at < raw.len() => {
                raw.remove(at);
            }
            _ => raw.truncate(at),
        }
    }
    raw
}

const CHARSETS: &[&str] = &[
    "utf-8",
    "utf-16",
    "utf-16le",
    "utf-16be",
    "utf-7",
    "iso-8859-1",
    "iso-8859-15",
    "windows-1252",
    "windows-1251",
    "koi8-r",
    "koi8-u",
    "shift_jis",
    "iso-2022-jp",
    "euc-jp",
    "euc-kr",
    "gb18030",
    "gbk",
    "big5",
    "macintosh",
    "ibm866",
    "x-user-defined",
    "tis-620",
    "bogus",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = read(&bytes);
    }

    #[test]
    fn mutated_corpus_messages_never_panic(
        file in 0..CORPUS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12),
    ) {
        let _ = read(&mutate(raw(CORPUS[file]), &edits));
    }

    #[test]
    fn header_like_noise_never_panics(
        lines in proptest::collection::vec(
            "(Content-Type|Content-Transfer-Encoding|Subject|From|To|Content-Disposition|--b|--b--|\\.)[:=;\"'?/ a-zA-Z0-9*%-]{0,40}",
            0..40,
        ),
    ) {
        let raw = format!(
            "From: a@example.net\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n{}",
            lines.join("\r\n")
        );
        let _ = read(raw.as_bytes());
    }

    #[test]
    fn any_charset_reads_any_bytes(
        charset in 0..CHARSETS.len(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        html in any::<bool>(),
    ) {
        let kind = if html { "html" } else { "plain" };
        let mut raw = format!(
            "From: a@example.net\r\nSubject: =?{0}?q?=FF=FE=1B=24B?=\r\nContent-Type: text/{kind}; charset={0}\r\n\r\n",
            CHARSETS[charset]
        ).into_bytes();
        raw.extend_from_slice(&body);
        let m = read(&raw).unwrap();
        prop_assert!(!m.subject.contains(['\r', '\n']));
        prop_assert!(!m.text.contains('\r'));
    }

    #[test]
    fn one_line_fields_stay_one_line(name in "\\PC{0,30}", subject in "\\PC{0,60}") {
        let encode = |s: &str| s.bytes().map(|b| format!("={b:02X}")).collect::<String>();
        let raw = format!(
            "From: =?utf-8?q?{}?= <a@example.net>\r\nSubject: =?utf-8?q?{}=0D=0A{}?=\r\n\r\n",
            encode(&name), encode(&subject), encode(&name)
        );
        let m = read(raw.as_bytes()).unwrap();
        prop_assert!(!m.subject.chars().any(char::is_control));
        let from = m.from.unwrap();
        let clean = !from.name.unwrap_or_default().chars().any(|c| c.is_control() || c == RLO);
        prop_assert!(clean);
    }
}
