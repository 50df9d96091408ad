//! The email channel end to end, with real processes: for each example policy that names an
//! email address, a report mailed there (`postern mail ingest`, as an MTA's pipe runs it) is in
//! the queue with its clocks; the reporter's receipt and the team's answer reach them by mail
//! through a real SMTP server (aiosmtpd), from the project's address and threaded; the
//! reporter's reply by mail joins the conversation; a bounce and a vacation reply are never
//! answered. The MTA's exit codes: 0 stored, 65 never, 75 try again.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::mail::{Smtp, all_jobs_done, free_port, mails, smtp_available, wait_until};
use crate::support::{postern, start, stdout, workspace};

/// `postern mail ingest` with `raw` on stdin.
fn ingest(data: &Path, policy: &Path, raw: &[u8]) -> Output {
    ingest_under(data, &[policy], raw)
}

/// `postern mail ingest` with `raw` on stdin, serving `policies`.
pub(crate) fn ingest_under(data: &Path, policies: &[&Path], raw: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_postern"))
        .args(["mail", "ingest", "--data"])
        .arg(data)
        .args(policies.iter().flat_map(|p| [Path::new("--policy"), p]))
        .env_remove("POSTERN_POLICY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("postern runs");
    // A reader that stops early (an oversized message) may close its end first.
    let _ = child.stdin.take().unwrap().write_all(raw);
    child.wait_with_output().unwrap()
}

fn mail_to(to: &str, subject: &str, id: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Ada Reporter <ada@example.net>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Tue, 01 Dec 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n{headers}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A header's value in a received mail (first occurrence, unfolded).
pub(crate) fn header(mail: &str, name: &str) -> Option<String> {
    let head = mail.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        l.split_once(':')
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    })
}

fn to_reporter(inbox: &Path) -> Vec<String> {
    mails(inbox)
        .into_iter()
        .filter(|m| m.starts_with("X-Test-Envelope-To: ada@example.net\r\n"))
        .collect()
}

/// `postern report show` while `serve` runs on the same SQLite file. Under heavy load the
/// command has been seen to fail once in a full run (its reason now printed); it is tried up to
/// three times, and fails the test with its stderr if it never succeeds.
fn show_report(dir: &Path, id: &str, data: &str, policy: &str) -> String {
    let mut last = String::new();
    for _ in 0..3 {
        let out = postern(
            dir,
            &["report", "show", id, "--data", data, "--policy", policy],
        );
        if out.status.code() == Some(0) {
            return stdout(&out);
        }
        last = crate::support::stderr(&out);
        eprintln!("NOTE: report show failed, trying again: {last}");
    }
    panic!("report show failed three times: {last}");
}

fn first_address(policy: &Path) -> String {
    let text = std::fs::read_to_string(policy).unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("email = \""))
        .and_then(|rest| rest.split('"').next())
        .expect("the policy names an email address")
        .to_owned()
}

#[test]
fn a_report_by_mail_runs_its_clocks_and_the_conversation_goes_on_by_mail() {
    if !smtp_available() {
        return;
    }
    for name in ["example", "linly-talker", "openchat", "openinteractions"] {
        let policy = workspace().join(format!("examples/policies/{name}.toml"));
        let address = first_address(&policy);
        let dir = tempfile::tempdir().unwrap();
        let (data, inbox) = (dir.path().join("data"), dir.path().join("inbox"));
        let port = free_port();
        let _smtp = Smtp::start(port, &inbox, None);
        let url = format!("smtp://127.0.0.1:{port}?tls=none");
        let policy_arg = policy.display().to_string();
        let _server = start(
            &[
                "--policy",
                &policy_arg,
                "--smtp-url",
                &url,
                "--mail-from",
                "postern@example.org",
                "--job-retry-base-ms",
                "100",
            ],
            &data,
        );
        // A member to tell (the receipt and answers go out whether or not).
        let out = postern(
            dir.path(),
            &[
                "user",
                "add",
                "team@example.org",
                "--role",
                "admin",
                "--data",
                data.to_str().unwrap(),
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            crate::support::stderr(&out)
        );

        let report = mail_to(
            &address,
            "Path traversal in the upload handler",
            &format!("first-{name}@example.net"),
            "",
            "Uploading ../../etc/passwd as a file name overwrites it. CANARY-mail",
        );
        let out = ingest(&data, &policy, &report);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            crate::support::stderr(&out)
        );
        let said = stdout(&out);
        let id = said
            .strip_prefix("report ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("{name}: {said}"))
            .to_owned();
        // The same message again (an MTA retrying after a lost answer): nothing new.
        let again = ingest(&data, &policy, &report);
        assert_eq!(again.status.code(), Some(0));
        assert!(
            stdout(&again).starts_with("already taken"),
            "{}",
            stdout(&again)
        );

        // In the queue, with the policy's clocks running from receipt.
        let data_arg = data.to_str().unwrap();
        let list = postern(
            dir.path(),
            &[
                "report",
                "list",
                "--data",
                data_arg,
                "--policy",
                &policy_arg,
            ],
        );
        assert!(stdout(&list).contains(&id), "{name}: {}", stdout(&list));
        let shown = show_report(dir.path(), &id, data_arg, &policy_arg);
        assert!(shown.contains("CANARY-mail"), "{shown}");
        assert!(
            shown.contains("acknowledge"),
            "{name}: the acknowledgement clock runs:\n{shown}"
        );

        // The receipt, from the address the reporter wrote to, threaded under their mail.
        wait_until("the receipt", || !to_reporter(&inbox).is_empty());
        let receipt = to_reporter(&inbox).remove(0);
        assert_eq!(
            header(&receipt, "From").as_deref(),
            Some(address.as_str()),
            "{receipt}"
        );
        assert_eq!(
            header(&receipt, "In-Reply-To").as_deref(),
            Some(format!("<first-{name}@example.net>").as_str())
        );
        assert_eq!(
            header(&receipt, "Auto-Submitted").as_deref(),
            Some("auto-replied")
        );
        assert!(receipt.contains(&id), "{receipt}");
        assert!(
            header(&receipt, "Subject")
                .unwrap()
                .starts_with("Re: Path traversal"),
            "{receipt}"
        );

        // The team answers; the reporter gets the answer itself, by mail.
        let out = postern(
            dir.path(),
            &[
                "report",
                "message",
                &id,
                "Thanks, confirmed. Which version did you test? CANARY-answer",
                "--data",
                data_arg,
                "--policy",
                &policy_arg,
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            crate::support::stderr(&out)
        );
        wait_until("the answer", || {
            to_reporter(&inbox)
                .iter()
                .any(|m| m.contains("CANARY-answer"))
        });
        let answer = to_reporter(&inbox)
            .into_iter()
            .find(|m| m.contains("CANARY-answer"))
            .unwrap();
        assert_eq!(header(&answer, "From").as_deref(), Some(address.as_str()));
        assert_eq!(header(&answer, "Auto-Submitted"), None, "a person wrote it");
        let answer_id = header(&answer, "Message-ID").unwrap();
        assert!(
            answer_id.starts_with(&format!("<postern.{id}.")),
            "{answer_id}"
        );

        // The reporter replies by mail: it joins the conversation.
        let reply = mail_to(
            &address,
            "Re: Path traversal in the upload handler",
            &format!("reply-{name}@example.net"),
            &format!(
                "In-Reply-To: {answer_id}\r\nReferences: <first-{name}@example.net> {answer_id}\r\n"
            ),
            "Version 2.3.1 on Linux. CANARY-reply\r\n\r\n> Thanks, confirmed.",
        );
        let out = ingest(&data, &policy, &reply);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(stdout(&out).trim(), format!("reply to report {id}"));
        let shown = show_report(dir.path(), &id, data_arg, &policy_arg);
        assert!(shown.contains("CANARY-reply"), "{shown}");

        // A bounce and a vacation reply: kept for screening, answered by nobody.
        let vacation = mail_to(
            &address,
            "Out of office",
            &format!("away-{name}@example.net"),
            "Auto-Submitted: auto-replied\r\n",
            "Back on Monday.",
        );
        let bounce = format!(
            "From: MAILER-DAEMON@mx.example.net\r\nTo: {address}\r\nSubject: Undelivered Mail\r\nMessage-ID: <bounce-{name}@mx.example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; ada@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n"
        );
        for raw in [vacation, bounce.into_bytes()] {
            let out = ingest(&data, &policy, &raw);
            assert_eq!(out.status.code(), Some(0));
            assert!(stdout(&out).starts_with("screening "), "{}", stdout(&out));
        }
        let screening = postern(
            dir.path(),
            &[
                "mail",
                "screening",
                "list",
                "--data",
                data_arg,
                "--policy",
                &policy_arg,
            ],
        );
        assert_eq!(
            stdout(&screening).lines().count(),
            2,
            "{}",
            stdout(&screening)
        );
        wait_until("every job done", || all_jobs_done(&data));
        let sent = mails(&inbox);
        let to_ada = to_reporter(&inbox);
        assert_eq!(
            to_ada.len(),
            2,
            "{name}: the receipt and the answer, nothing for the bounce or the vacation reply"
        );
        assert!(
            sent.iter()
                .all(|m| !m.starts_with(&format!("X-Test-Envelope-To: {address}"))),
            "nothing is sent back into the security mailbox"
        );
    }
}

#[test]
fn the_mta_hears_stored_never_or_try_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let policy = workspace().join("examples/policies/example.toml");
    let ok = ingest(
        &data,
        &policy,
        &mail_to(
            "security@widgets.example.org",
            "XSS",
            "x1@example.net",
            "",
            "In the search box.",
        ),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", crate::support::stderr(&ok));
    let empty = ingest(&data, &policy, b"");
    assert_eq!(empty.status.code(), Some(65));
    assert!(crate::support::stderr(&empty).contains("empty"));
    let mut huge = mail_to(
        "security@widgets.example.org",
        "Big",
        "big@example.net",
        "",
        "x",
    );
    huge.resize(32 * 1024 * 1024 + 10, b'a');
    let refused = ingest(&data, &policy, &huge);
    assert_eq!(
        refused.status.code(),
        Some(65),
        "{}",
        crate::support::stderr(&refused)
    );
    assert!(crate::support::stderr(&refused).contains("at most 32 MiB"));
    // A database that cannot be reached: the MTA keeps the message and tries again.
    let mut child = Command::new(env!("CARGO_BIN_EXE_postern"))
        .args(["mail", "ingest", "--data"])
        .arg(&data)
        .args(["--database", "postgres://nobody@127.0.0.1:1/none"])
        .arg("--policy")
        .arg(&policy)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&mail_to(
            "security@widgets.example.org",
            "Y",
            "y@example.net",
            "",
            "y",
        ))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(75),
        "{}",
        crate::support::stderr(&out)
    );
    assert!(crate::support::stderr(&out).contains("try again later"));
}
