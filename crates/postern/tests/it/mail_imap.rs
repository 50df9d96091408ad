//! `serve --imap-url` against a real Dovecot: mail put in with IMAP APPEND becomes reports and
//! screening items, each message flagged `$PosternTaken` only once it is stored; and a server
//! killed with SIGKILL while it takes 500 messages, then restarted, ends with each message
//! exactly once (none lost, none doubled).
//!
//! Waiting polls the mailbox's flags with a deadline: Dovecot and the server are real external
//! processes, with nothing else to wait on.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::dovecot::{Client, Dovecot, PASSWORD};
use crate::support::{Server, postern, start_with_env, stdout};

const ADDRESS: &str = "security@widgets.example.org";

/// The uids flagged as taken in INBOX.
fn taken(client: &mut Client) -> usize {
    let lines = client
        .command("UID SEARCH KEYWORD $PosternTaken")
        .expect("SEARCH works");
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .map(|rest| rest.split_whitespace().count())
        .sum()
}

fn selected(dovecot: &Dovecot) -> Client {
    let mut client = dovecot.client();
    client.command("SELECT INBOX").expect("INBOX opens");
    client
}

fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn serve(dovecot: &Dovecot, data: &Path) -> Server {
    let url = dovecot.url("INBOX");
    start_with_env(
        &["--imap-url", &url, "--imap-poll-seconds", "3600"],
        data,
        &[("POSTERN_IMAP_PASSWORD", PASSWORD)],
    )
}

/// Message `n`: a report from one of 25 senders (each under the hourly limit), or, for every
/// tenth, a vacation reply that waits in screening.
fn numbered(n: usize) -> Vec<u8> {
    let sender = format!("finder{}@example.net", n % 25);
    if n % 10 == 9 {
        format!(
            "From: {sender}\r\nTo: {ADDRESS}\r\nSubject: Out of office N{n:03}\r\nMessage-ID: <n{n}@example.net>\r\nAuto-Submitted: auto-replied\r\nContent-Type: text/plain\r\n\r\nAway.\r\n"
        )
    } else {
        format!(
            "From: {sender}\r\nTo: {ADDRESS}\r\nSubject: Finding N{n:03}\r\nMessage-ID: <n{n}@example.net>\r\nContent-Type: text/plain\r\n\r\nDetails of finding {n}.\r\n"
        )
    }
    .into_bytes()
}

/// How many times each numbered subject was stored, as a report or a screening item.
fn stored(dir: &Path, data: &Path) -> BTreeMap<usize, usize> {
    let data = data.to_str().unwrap();
    let mut counts = BTreeMap::new();
    for state in ["report", "screening"] {
        let out = postern(
            dir,
            &[
                "mail",
                "screening",
                "list",
                "--state",
                state,
                "--limit",
                "100000",
                "--data",
                data,
            ],
        );
        assert_eq!(out.status.code(), Some(0));
        for line in stdout(&out).lines() {
            if let Some(n) = line
                .split(" N")
                .nth(1)
                .and_then(|rest| rest.get(..3))
                .and_then(|digits| digits.parse::<usize>().ok())
            {
                *counts.entry(n).or_default() += 1;
            }
        }
    }
    counts
}

#[test]
fn serve_takes_reports_from_a_mailbox_and_flags_them_once_stored() {
    let Some(dovecot) = Dovecot::start("serve_takes_reports_from_a_mailbox") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = serve(&dovecot, &data);
    let uid = dovecot.append("INBOX", &numbered(1));
    let bounce = dovecot.append("INBOX", &numbered(9));
    let mut client = selected(&dovecot);
    wait_for("both taken", Duration::from_secs(30), || {
        taken(&mut client) == 2
    });
    let flags = dovecot.client().flags("INBOX", uid);
    assert!(flags.contains(&"$PosternTaken".to_owned()), "{flags:?}");
    assert!(
        !flags.contains(&"\\Seen".to_owned()),
        "reading marks nothing seen: {flags:?}"
    );
    assert!(
        dovecot
            .client()
            .flags("INBOX", bounce)
            .contains(&"$PosternTaken".to_owned())
    );
    let data_arg = data.to_str().unwrap();
    let made = postern(
        dir.path(),
        &[
            "mail",
            "screening",
            "list",
            "--state",
            "report",
            "--data",
            data_arg,
        ],
    );
    let made = stdout(&made);
    assert!(made.contains("Finding N001"), "{made}");
    let list = postern(dir.path(), &["report", "list", "--data", data_arg]);
    assert_eq!(
        stdout(&list)
            .lines()
            .filter(|l| l.contains("acme-widgets"))
            .count(),
        1,
        "{}",
        stdout(&list)
    );
    let screening = postern(
        dir.path(),
        &["mail", "screening", "list", "--data", data_arg],
    );
    assert!(
        stdout(&screening).contains("Out of office N009"),
        "{}",
        stdout(&screening)
    );
    drop(server);
}

#[test]
fn a_server_killed_while_it_takes_500_messages_stores_each_exactly_once() {
    const MESSAGES: usize = 500;
    let Some(dovecot) = Dovecot::start("a_server_killed_while_it_takes") else {
        return;
    };
    let mut client = dovecot.client();
    for n in 0..MESSAGES {
        client.append("INBOX", &numbered(n));
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut watcher = selected(&dovecot);
    // Killed twice at different depths, then left to finish.
    for kill_after in [60, 260] {
        let mut server = serve(&dovecot, &data);
        wait_for(
            &format!("{kill_after} taken"),
            Duration::from_secs(120),
            || taken(&mut watcher) >= kill_after,
        );
        let _ = server.child.kill();
        let _ = server.child.wait();
    }
    let _server = serve(&dovecot, &data);
    wait_for("all taken", Duration::from_secs(180), || {
        taken(&mut watcher) == MESSAGES
    });
    let counts = stored(dir.path(), &data);
    let missing: Vec<usize> = (0..MESSAGES).filter(|n| !counts.contains_key(n)).collect();
    let doubled: Vec<(&usize, &usize)> = counts.iter().filter(|(_, c)| **c != 1).collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    assert!(doubled.is_empty(), "stored twice: {doubled:?}");
    assert_eq!(counts.len(), MESSAGES);
}
