//! Advisories by mail through a real SMTP server (aiosmtpd): a subscriber confirms by the
//! link's button and receives the advisory when it is published, with the one-click
//! unsubscribe headers of RFC 8058 that work without a cookie; the early-access list receives
//! the embargoed advisory before publication, as soon as it is scheduled inside the policy's
//! `days_before`.

use std::path::Path;

use crate::mail::{Smtp, all_jobs_done, free_port, jobs, mails, smtp_available, wait_until};
use crate::support::{Server, http_request, postern, start, stderr, workspace};

const SUBSCRIBER: &str = "subscriber@example.net";
const EARLY: &str = "security@distro.example.net";
const ADVISORY: &str = "ACME-2026-0007";

/// The mails the server accepted for one envelope recipient.
fn mails_to(inbox: &Path, to: &str) -> Vec<String> {
    let head = format!("X-Test-Envelope-To: {to}\r\n");
    mails(inbox)
        .into_iter()
        .filter(|m| m.starts_with(&head))
        .collect()
}

/// The path of the first link in `mail` under `prefix` (such as "/unsubscribe/").
fn link_path(mail: &str, prefix: &str) -> String {
    let start = mail
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {mail}"));
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
        .collect()
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    let head = mail.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn subscribe(server: &Server) {
    let (status, page) = http_request(&server.address, "GET", "/advisories", &[], b"").unwrap();
    assert_eq!(status, 200);
    let token = page
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the advisories page has the subscription form");
    let form = format!(
        "project=acme-widgets&email={}&form_token={token}&website=",
        SUBSCRIBER.replace('@', "%40")
    );
    let (status, reply) = http_request(
        &server.address,
        "POST",
        "/advisories/subscribe",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 200, "{reply}");
    assert!(reply.contains("Check your mail"), "{reply}");
}

#[test]
fn subscribers_get_published_advisories_and_early_access_gets_them_under_embargo() {
    if !smtp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, inbox) = (dir.path().join("data"), dir.path().join("inbox"));
    let data_arg = data.display().to_string();
    let policy = workspace().join("examples/policies/example.toml");
    let policy_arg = policy.display().to_string();
    let port = free_port();
    let _smtp = Smtp::start(port, &inbox, None);
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let server = start(
        &[
            "--policy",
            &policy_arg,
            "--smtp-url",
            &url,
            "--mail-from",
            "security@example.org",
            "--job-retry-base-ms",
            "100",
            "--form-min-seconds",
            "0",
        ],
        &data,
    );

    // Subscribe; the confirmation link's page confirms nothing, its button does.
    subscribe(&server);
    wait_until("the confirmation mail", || {
        mails_to(&inbox, SUBSCRIBER).len() == 1
    });
    let confirmation = &mails_to(&inbox, SUBSCRIBER)[0];
    assert!(
        confirmation.contains("Confirm your subscription"),
        "{confirmation}"
    );
    let confirm = link_path(confirmation, "/subscriptions/confirm/");
    let (status, page) = http_request(&server.address, "GET", &confirm, &[], b"").unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Confirm subscription"), "{page}");
    let (status, page) = http_request(&server.address, "POST", &confirm, &[], b"").unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Subscribed"), "{page}");

    // An early-access recipient, and an embargoed advisory scheduled 2 days ahead: the
    // policy's `days_before = 5` has passed already, so it goes out at once.
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--data", &data_arg]);
        postern(dir.path(), &all)
    };
    let added = run(&[
        "early-access",
        "add",
        EARLY,
        "--project",
        "acme-widgets",
        "--name",
        "Distro security team",
    ]);
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let listed = run(&["early-access", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(EARLY));
    let file = dir.path().join("advisory.json");
    let advisory = serde_json::json!({
        "id": ADVISORY,
        "project": "acme-widgets",
        "title": "Template injection in render",
        "summary": "Templates from users were evaluated on the server",
        "details": "Upgrade to 2.4.1.",
        "severity": "critical",
        "cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "affected": [{"ecosystem": "PyPI", "package": "acme-widgets", "ranges": [{"introduced": "0", "fixed": "2.4.1"}]}],
        "modified": "2026-11-20T00:00:00Z"
    });
    std::fs::write(&file, advisory.to_string()).unwrap();
    let file_arg = file.display().to_string();
    let saved = run(&["advisory", "import", &file_arg, "--policy", &policy_arg]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    let publish_at = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48)).to_string();
    let scheduled = run(&[
        "advisory",
        "schedule",
        ADVISORY,
        "--at",
        &publish_at,
        "--policy",
        &policy_arg,
    ]);
    assert_eq!(scheduled.status.code(), Some(0), "{}", stderr(&scheduled));

    wait_until("the early-access mail", || {
        mails_to(&inbox, EARLY).len() == 1
    });
    let early = &mails_to(&inbox, EARLY)[0];
    let subject = header(early, "Subject").unwrap();
    assert!(subject.contains("EMBARGOED until"), "{subject}");
    for words in [
        "EMBARGOED until",
        "Template injection in render",
        "Templates from users were evaluated on the server",
        "acme-widgets (PyPI): < 2.4.1",
        "Fixed versions:",
        "Planned publication:",
        "Distro security team",
    ] {
        assert!(early.contains(words), "{words:?} missing in {early}");
    }
    assert_eq!(
        mails_to(&inbox, SUBSCRIBER).len(),
        1,
        "subscribers wait for publication"
    );

    // Published by hand: the subscriber gets it, with one-click unsubscribe.
    let published = run(&["advisory", "publish", ADVISORY]);
    assert_eq!(published.status.code(), Some(0), "{}", stderr(&published));
    wait_until("the advisory mail", || {
        mails_to(&inbox, SUBSCRIBER).len() == 2
    });
    let mail = &mails_to(&inbox, SUBSCRIBER)[1];
    assert!(
        header(mail, "Subject").unwrap().contains(ADVISORY),
        "{mail}"
    );
    assert!(mail.contains(&format!("/advisories/{ADVISORY}")), "{mail}");
    assert!(mail.contains("Severity: Critical"), "{mail}");
    assert!(
        !mail.contains("Upgrade to 2.4.1."),
        "the mail carries the summary, not the details"
    );
    let unsubscribe = header(mail, "List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        header(mail, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let target = unsubscribe
        .strip_prefix(&format!("<http://{}", server.address))
        .and_then(|rest| rest.strip_suffix('>'))
        .unwrap_or_else(|| panic!("{unsubscribe}"));
    assert!(target.starts_with("/unsubscribe/"), "{target}");

    // The early-access list hears nothing more; the mail client's one click needs no cookie.
    let (status, page) = http_request(
        &server.address,
        "POST",
        target,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"List-Unsubscribe=One-Click",
    )
    .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Unsubscribed"), "{page}");
    wait_until("every job finished", || all_jobs_done(&data));
    assert_eq!(mails_to(&inbox, EARLY).len(), 1);
    assert_eq!(mails_to(&inbox, SUBSCRIBER).len(), 2);
    assert!(
        jobs(&data, true).contains("No jobs."),
        "{}",
        jobs(&data, true)
    );
    let all = mails(&inbox).concat();
    assert!(!all.contains("CANARY"), "nothing private leaks");
}
