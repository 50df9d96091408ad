//! The IMAP fetcher against a real server (Dovecot, started by the harness of
//! tests/it/dovecot.rs): each message handed over once and flagged only after it is stored, a
//! retry, a crash before the flag, IDLE and polling, move and delete, a wrong password, a missing
//! mailbox, stopping with a message in hand, the size limit, a dropped connection, TLS from the
//! start and STARTTLS (checked against the server's CA; refused without it). The test is
//! the handler: every message comes to it over a channel and it answers. Every wait is on that
//! channel or on the fetcher's `Phase`, with a deadline; nothing sleeps.

use std::collections::HashSet;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::dovecot::{Dovecot, PASSWORD};
use super::imap::{self, After, Disposition, Fetched, ImapOptions, ImapUrl, Phase, Secret, TAKEN};

/// The most any awaited event may take.
const WAIT: Duration = Duration::from_secs(30);

/// A message that its Message-ID tells apart.
fn message(n: u32) -> Vec<u8> {
    format!(
        "From: finder@example.net\r\nTo: security@example.org\r\nSubject: report {n}\r\nMessage-ID: <report-{n}@example.net>\r\n\r\nThe PNG decoder overflows, case {n}.\r\n"
    )
    .into_bytes()
}

fn message_id(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: ").map(str::to_owned))
        .expect("the message has a Message-ID")
}

/// One message handed over, and the way to answer for it.
struct Handed {
    fetched: Fetched,
    answer: oneshot::Sender<Disposition>,
}

impl Handed {
    fn answer(self, disposition: Disposition) {
        let _ = self.answer.send(disposition);
    }

    fn id(&self) -> String {
        message_id(&self.fetched.raw)
    }
}

/// A fetcher running in a task of its own, handing each message to the test.
struct Running {
    task: JoinHandle<anyhow::Result<()>>,
    stop: watch::Sender<bool>,
    phase: watch::Receiver<Phase>,
    handed: mpsc::UnboundedReceiver<Handed>,
}

/// Quick retries and reconnects; a poll so long that only IDLE (or a retry falling due) wakes
/// the fetcher within a test.
fn options() -> ImapOptions {
    ImapOptions {
        poll: Duration::from_secs(3600),
        retry_min: Duration::from_millis(100),
        retry_max: Duration::from_millis(400),
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_millis(200),
        ..ImapOptions::default()
    }
}

fn start(dovecot: &Dovecot, mailbox: &str, password: &str, options: ImapOptions) -> Running {
    start_url(&dovecot.url(mailbox), password, options)
}

fn start_url(url: &str, password: &str, mut options: ImapOptions) -> Running {
    let url: ImapUrl = url.parse().unwrap();
    let (phase_tx, phase) = watch::channel(Phase::Connecting);
    options.phase = Some(phase_tx);
    let (stop, shutdown) = watch::channel(false);
    let (tx, handed) = mpsc::unbounded_channel();
    let password = Secret::new(password.to_owned());
    let task = tokio::spawn(async move {
        let handler = move |fetched: Fetched| {
            let tx = tx.clone();
            async move {
                let (answer, answered) = oneshot::channel();
                if tx.send(Handed { fetched, answer }).is_err() {
                    return Disposition::Retry("the test is gone".into());
                }
                answered
                    .await
                    .unwrap_or_else(|_| Disposition::Retry("the test gave no answer".into()))
            }
        };
        imap::run(&url, &password, handler, shutdown, options).await
    });
    Running {
        task,
        stop,
        phase,
        handed,
    }
}

impl Running {
    async fn next(&mut self) -> Handed {
        timeout(WAIT, self.handed.recv())
            .await
            .expect("a message is handed over in time")
            .expect("the fetcher runs")
    }

    async fn reach(&mut self, phase: Phase) {
        timeout(WAIT, self.phase.wait_for(|p| *p == phase))
            .await
            .unwrap_or_else(|_| panic!("the fetcher reaches {phase:?} in time"))
            .expect("the fetcher runs");
    }

    /// Waits until the fetcher waits in IDLE again, which it does only after flagging what it was
    /// answered, and checks that it handed nothing more over.
    async fn settled(&mut self) {
        self.reach(Phase::Idling).await;
        assert!(
            self.handed.try_recv().is_err(),
            "nothing more is handed over"
        );
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.stop.send_replace(true);
        timeout(WAIT, self.task)
            .await
            .expect("the fetcher stops in time")
            .expect("the fetcher does not panic")
    }

    async fn error(self) -> String {
        let result = timeout(WAIT, self.task)
            .await
            .expect("the fetcher gives up in time")
            .expect("the fetcher does not panic");
        format!("{:#}", result.expect_err("the fetcher gives up"))
    }
}

fn has(flags: &[String], flag: &str) -> bool {
    flags.iter().any(|f| f == flag)
}

fn flags(dovecot: &Dovecot, mailbox: &str, uid: u32) -> Vec<String> {
    dovecot.client().flags(mailbox, uid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_is_handed_over_once_and_flagged_only_after_it_is_stored() {
    let Some(dovecot) = Dovecot::start("each_message_is_handed_over_once") else {
        return;
    };
    let uids: Vec<u32> = (1..=3)
        .map(|n| dovecot.append("INBOX", &message(n)))
        .collect();
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, options());
    for (n, &uid) in (1..=3).zip(&uids) {
        let handed = fetcher.next().await;
        assert_eq!(handed.fetched.uid, uid);
        assert_eq!(handed.fetched.raw, message(n), "the message as appended");
        assert_eq!(handed.fetched.size_bytes as usize, message(n).len());
        assert!(!handed.fetched.headers_only);
        assert!(handed.fetched.internal_date.is_some());
        let before = flags(&dovecot, "INBOX", uid);
        assert!(
            !has(&before, TAKEN),
            "not flagged before it is stored: {before:?}"
        );
        assert!(
            !has(&before, "\\Seen"),
            "reading does not mark it seen: {before:?}"
        );
        handed.answer(Disposition::Stored);
    }
    fetcher.settled().await;
    for &uid in &uids {
        let after = flags(&dovecot, "INBOX", uid);
        assert!(has(&after, TAKEN) && !has(&after, "\\Seen"), "{after:?}");
    }
    // A message arriving later is the only one handed over.
    let later = dovecot.append("INBOX", &message(4));
    let handed = fetcher.next().await;
    assert_eq!(
        (handed.fetched.uid, handed.id()),
        (later, "<report-4@example.net>".into())
    );
    handed.answer(Disposition::Stored);
    fetcher.settled().await;
    fetcher.stop().await.unwrap();
    let mut all = uids.clone();
    all.push(later);
    assert_eq!(dovecot.client().uids("INBOX"), all, "flagged messages stay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_leaves_the_message_untouched_and_it_is_handed_over_again() {
    let Some(dovecot) = Dovecot::start("a_retry_leaves_the_message_untouched") else {
        return;
    };
    let first = dovecot.append("INBOX", &message(1));
    let second = dovecot.append("INBOX", &message(2));
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, options());
    let handed = fetcher.next().await;
    assert_eq!(handed.fetched.uid, first);
    handed.answer(Disposition::Retry("the database is busy".into()));
    // The others go on meanwhile.
    let handed = fetcher.next().await;
    assert_eq!(handed.fetched.uid, second);
    handed.answer(Disposition::Stored);
    let again = fetcher.next().await;
    assert_eq!(again.fetched.uid, first);
    assert_eq!(again.fetched.raw, message(1));
    assert!(!has(&flags(&dovecot, "INBOX", first), TAKEN));
    again.answer(Disposition::Stored);
    fetcher.settled().await;
    assert!(has(&flags(&dovecot, "INBOX", first), TAKEN));
    assert!(has(&flags(&dovecot, "INBOX", second), TAKEN));
    fetcher.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_before_the_flag_the_same_messages_are_handed_over_again() {
    let Some(dovecot) = Dovecot::start("after_a_crash_before_the_flag") else {
        return;
    };
    let uids = [
        dovecot.append("INBOX", &message(1)),
        dovecot.append("INBOX", &message(2)),
    ];
    // What the handler has committed, by Message-ID, as a database would.
    let mut stored: HashSet<String> = HashSet::new();
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, options());
    let handed = fetcher.next().await;
    assert!(stored.insert(handed.id()), "committed once");
    // The process dies after the commit, before the fetcher flags the message.
    fetcher.task.abort();
    let _ = fetcher.task.await;
    drop(handed);
    for uid in uids {
        assert!(!has(&flags(&dovecot, "INBOX", uid), TAKEN));
    }
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, options());
    let mut seen = Vec::new();
    for _ in 0..2 {
        let handed = fetcher.next().await;
        let already = !stored.insert(handed.id());
        seen.push((handed.id(), already));
        // Recognised as already stored, or stored now: either way, Stored.
        handed.answer(Disposition::Stored);
    }
    assert_eq!(
        seen,
        [
            ("<report-1@example.net>".to_owned(), true),
            ("<report-2@example.net>".to_owned(), false)
        ]
    );
    fetcher.settled().await;
    fetcher.stop().await.unwrap();
    // A third start has nothing to hand over.
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, options());
    fetcher.settled().await;
    fetcher.stop().await.unwrap();
    assert_eq!(stored.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_wakes_the_fetcher_for_new_mail_without_polling() {
    let Some(dovecot) = Dovecot::start("idle_wakes_the_fetcher") else {
        return;
    };
    // options(): the poll interval is an hour.
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, options());
    fetcher.reach(Phase::Idling).await;
    let uid = dovecot.append("INBOX", &message(1));
    let handed = fetcher.next().await;
    assert_eq!(handed.fetched.uid, uid);
    handed.answer(Disposition::Stored);
    fetcher.settled().await;
    fetcher.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_that_arrives_while_a_message_is_handled_is_not_left_for_the_next_idle_refresh() {
    let Some(dovecot) = Dovecot::start("mail_that_arrives_while_a_message_is_handled") else {
        return;
    };
    // The poll is an hour and IDLE is renewed every 25 minutes: only the server's word that
    // new mail came (an EXISTS answered with the flag's STORE, before IDLE starts) can bring
    // the second message within the test's wait.
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, options());
    fetcher.reach(Phase::Idling).await;
    dovecot.append("INBOX", &message(1));
    let first = fetcher.next().await;
    let second = dovecot.append("INBOX", &message(2));
    first.answer(Disposition::Stored);
    let handed = fetcher.next().await;
    assert_eq!(handed.fetched.uid, second);
    handed.answer(Disposition::Stored);
    fetcher.settled().await;
    fetcher.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_idle_is_polled_and_polling_can_be_forced() {
    let Some(without_idle) = Dovecot::start_with(
        "a_server_without_idle_is_polled",
        "imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE",
    ) else {
        return;
    };
    let with_idle = Dovecot::start("polling_can_be_forced").unwrap();
    for (dovecot, idle) in [(&without_idle, true), (&with_idle, false)] {
        let polling = ImapOptions {
            idle,
            poll: Duration::from_millis(200),
            ..options()
        };
        let mut fetcher = start(dovecot, "INBOX", PASSWORD, polling);
        fetcher.reach(Phase::Polling).await;
        let uid = dovecot.append("INBOX", &message(1));
        let handed = fetcher.next().await;
        assert_eq!(handed.fetched.uid, uid);
        handed.answer(Disposition::Stored);
        fetcher.reach(Phase::Polling).await;
        assert_ne!(*fetcher.phase.borrow(), Phase::Idling);
        fetcher.stop().await.unwrap();
        assert!(has(&flags(dovecot, "INBOX", uid), TAKEN));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_takes_each_message_to_the_folder_with_or_without_move_and_uidplus() {
    let servers = [
        ("move_with_move", ""),
        (
            "move_without_move",
            "imap_capability = IMAP4rev1 LITERAL+ IDLE UIDPLUS",
        ),
        (
            "move_without_move_or_uidplus",
            "imap_capability = IMAP4rev1 LITERAL+ IDLE",
        ),
    ];
    for (test, extra) in servers {
        let Some(dovecot) = Dovecot::start_with(test, extra) else {
            return;
        };
        dovecot.append("INBOX", &message(1));
        dovecot.append("INBOX", &message(2));
        let moving = ImapOptions {
            after: After::Move("Postern".into()),
            ..options()
        };
        let mut fetcher = start(&dovecot, "INBOX", PASSWORD, moving);
        fetcher.next().await.answer(Disposition::Stored);
        fetcher
            .next()
            .await
            .answer(Disposition::Never("no report: an auto-reply".into()));
        fetcher.settled().await;
        fetcher.stop().await.unwrap();
        let mut client = dovecot.client();
        assert_eq!(client.uids("INBOX"), Vec::<u32>::new(), "{test}");
        let moved = client.uids("Postern");
        assert_eq!(moved.len(), 2, "{test}");
        for uid in moved {
            let flags = client.flags("Postern", uid);
            assert!(
                has(&flags, TAKEN) && !has(&flags, "\\Deleted"),
                "{test}: {flags:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_expunges_each_message_taken() {
    let Some(dovecot) = Dovecot::start("delete_expunges_each_message_taken") else {
        return;
    };
    dovecot.append("INBOX", &message(1));
    dovecot.append("INBOX", &message(2));
    let deleting = ImapOptions {
        after: After::Delete,
        ..options()
    };
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, deleting);
    fetcher.next().await.answer(Disposition::Stored);
    let retried = fetcher.next().await;
    retried.answer(Disposition::Retry("later".into()));
    let again = fetcher.next().await;
    assert_eq!(again.id(), "<report-2@example.net>");
    again.answer(Disposition::Never("kept for screening".into()));
    fetcher.settled().await;
    fetcher.stop().await.unwrap();
    assert_eq!(dovecot.client().uids("INBOX"), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_flagged_but_not_yet_moved_is_moved_at_the_next_start() {
    let Some(dovecot) = Dovecot::start("flagged_but_not_yet_moved") else {
        return;
    };
    let uid = dovecot.append("INBOX", &message(1));
    let mut client = dovecot.client();
    client.command("SELECT INBOX").unwrap();
    client
        .command(&format!("UID STORE {uid} +FLAGS ({TAKEN})"))
        .unwrap();
    let moving = ImapOptions {
        after: After::Move("Postern".into()),
        ..options()
    };
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, moving);
    fetcher.settled().await;
    fetcher.stop().await.unwrap();
    assert_eq!(client.uids("INBOX"), Vec::<u32>::new());
    assert_eq!(client.uids("Postern").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_ends_the_fetcher_with_an_error_that_does_not_show_it() {
    let Some(dovecot) = Dovecot::start("a_wrong_password_ends_the_fetcher") else {
        return;
    };
    let wrong = "wrong-Pw-CANARY-31d9";
    let error = start(&dovecot, "INBOX", wrong, options()).error().await;
    assert!(
        error.contains(&format!(
            "the IMAP server 127.0.0.1:{} refused the login of \"reporter\"",
            dovecot.port()
        )),
        "{error}"
    );
    assert!(error.contains("AUTHENTICATIONFAILED"), "{error}");
    assert!(
        !error.contains(wrong) && !error.contains(PASSWORD),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_that_does_not_exist_ends_the_fetcher_with_a_clear_error() {
    let Some(dovecot) = Dovecot::start("a_mailbox_that_does_not_exist") else {
        return;
    };
    let error = start(&dovecot, "Reports", PASSWORD, options())
        .error()
        .await;
    assert!(
        error.contains("cannot open the mailbox \"Reports\""),
        "{error}"
    );
    assert!(!error.contains(PASSWORD), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_finishes_the_message_in_hand_first() {
    let Some(dovecot) = Dovecot::start("stopping_finishes_the_message_in_hand") else {
        return;
    };
    let uid = dovecot.append("INBOX", &message(1));
    dovecot.append("INBOX", &message(2));
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, options());
    let handed = fetcher.next().await;
    fetcher.stop.send_replace(true);
    handed.answer(Disposition::Stored);
    let Running { task, handed, .. } = fetcher;
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    assert!(has(&flags(&dovecot, "INBOX", uid), TAKEN), "finished");
    let mut handed = handed;
    assert!(
        handed.try_recv().is_err(),
        "the next message waits for the next start"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_size_limit_is_handed_over_with_its_header_only() {
    let Some(dovecot) = Dovecot::start("a_message_over_the_size_limit") else {
        return;
    };
    let at_limit = message(1);
    let header = "From: finder@example.net\r\nSubject: a large proof of concept\r\nMessage-ID: <large@example.net>\r\n\r\n";
    let over = format!("{header}{}\r\n", "x".repeat(at_limit.len()));
    dovecot.append("INBOX", &at_limit);
    dovecot.append("INBOX", over.as_bytes());
    let limited = ImapOptions {
        message_bytes_max: u32::try_from(at_limit.len()).unwrap(),
        ..options()
    };
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, limited);
    let whole = fetcher.next().await;
    assert!(!whole.fetched.headers_only);
    assert_eq!(whole.fetched.raw, at_limit);
    whole.answer(Disposition::Stored);
    let cut = fetcher.next().await;
    assert!(cut.fetched.headers_only);
    assert_eq!(cut.fetched.size_bytes as usize, over.len());
    assert_eq!(String::from_utf8_lossy(&cut.fetched.raw), header);
    cut.answer(Disposition::Never("too large: the team was told".into()));
    fetcher.settled().await;
    fetcher.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fetcher_connects_again_when_the_server_drops_it() {
    let Some(dovecot) = Dovecot::start("the_fetcher_connects_again") else {
        return;
    };
    // A pause long enough to be seen.
    let slow_reconnect = ImapOptions {
        reconnect_min: Duration::from_millis(500),
        ..options()
    };
    let mut fetcher = start(&dovecot, "INBOX", PASSWORD, slow_reconnect);
    fetcher.reach(Phase::Idling).await;
    dovecot.kick();
    fetcher.reach(Phase::Backoff).await;
    let uid = dovecot.append("INBOX", &message(1));
    let handed = fetcher.next().await;
    assert_eq!(handed.fetched.uid, uid);
    handed.answer(Disposition::Stored);
    fetcher.settled().await;
    fetcher.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_from_the_start_and_starttls_reach_a_server_whose_ca_is_trusted() {
    let Some(dovecot) = Dovecot::start_tls("tls_from_the_start_and_starttls") else {
        return;
    };
    let ca = rustls::pki_types::CertificateDer::from(dovecot.ca_der());
    let urls = [
        format!("imaps://reporter@127.0.0.1:{}/INBOX", dovecot.tls_port()),
        format!("imap://reporter@127.0.0.1:{}/INBOX", dovecot.port()),
        format!("imaps://reporter@localhost:{}/INBOX", dovecot.tls_port()),
    ];
    for (n, url) in (1..).zip(&urls) {
        let uid = dovecot.append("INBOX", &message(n));
        let trusting = ImapOptions {
            extra_roots: vec![ca.clone()],
            ..options()
        };
        let mut fetcher = start_url(url, PASSWORD, trusting);
        let handed = fetcher.next().await;
        assert_eq!(handed.fetched.uid, uid, "{url}");
        handed.answer(Disposition::Stored);
        fetcher.settled().await;
        fetcher.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_not_trusted_is_never_logged_in_to() {
    let Some(dovecot) = Dovecot::start_tls("a_certificate_not_trusted") else {
        return;
    };
    dovecot.append("INBOX", &message(1));
    for url in [
        format!("imaps://reporter@127.0.0.1:{}/INBOX", dovecot.tls_port()),
        format!("imap://reporter@127.0.0.1:{}/INBOX", dovecot.port()),
    ] {
        // The system's CAs only: the handshake fails (to be tried again later), nothing is read.
        let mut fetcher = start_url(&url, PASSWORD, options());
        fetcher.reach(Phase::Backoff).await;
        assert!(fetcher.handed.try_recv().is_err(), "{url}");
        fetcher.stop().await.unwrap();
    }
    let log = dovecot.log();
    assert_eq!(
        log.matches("Login: user=<reporter>").count(),
        1,
        "only the test's APPEND logged in: {log}"
    );
    assert!(log.contains("unknown ca"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_starttls_is_refused_rather_than_sent_the_password_in_plain_text() {
    let Some(dovecot) = Dovecot::start("a_server_without_starttls") else {
        return;
    };
    let url = format!("imap://reporter@127.0.0.1:{}/INBOX", dovecot.port());
    let error = start_url(&url, PASSWORD, options()).error().await;
    assert!(error.contains("refused STARTTLS"), "{error}");
    assert!(
        !dovecot
            .log()
            .contains("Login: user=<reporter>, method=PLAIN")
    );
}
