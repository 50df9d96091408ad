//! The email channel's use cases on a real SQLite store with a fixed clock: what becomes of
//! each kind of message (report, reply, screening), that nothing is stored twice or reaches a
//! wrong case, and the team's decisions on what waits in screening.

use jiff::{SignedDuration, Timestamp};
use postern_app::mail::{Ingested, MAIL_PER_SENDER_PER_HOUR, ScreenReason, THREAD_PREFIX};
use postern_app::{Actor, App, Clock, Error};
use postern_core::clock::ClockKind;
use postern_core::project::{Project, Projects};
use postern_core::report::ReportId;
use postern_store::jobs::JobState;
use postern_store::mail::InboundState;
use postern_store::team::Role;
use postern_store::{Store, StoreConfig};

const EXAMPLE: &str = include_str!("../../../examples/policies/example.toml");
const ADDRESS: &str = "security@widgets.example.org";

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

/// A plain message, as a mail client sends it.
fn message(from: &str, to: &str, subject: &str, id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Ada Reporter <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 23 Nov 2026 09:30:00 +0000\r\nMIME-Version: 1.0\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn report_mail(id: &str) -> Vec<u8> {
    message(
        "ada@example.net",
        ADDRESS,
        "RCE in the widget renderer",
        id,
        "",
        "A crafted widget runs code when rendered.\r\nSteps: render poc.widget.",
    )
}

async fn triager(app: &App) -> Actor {
    let (user, _) = app
        .add_member(
            &Actor::operator("cli:test"),
            "tri@example.org",
            Role::Triager,
            &["acme-widgets".to_owned()],
        )
        .await
        .unwrap();
    Actor::member(&user)
}

async fn new_report(app: &App, raw: &[u8]) -> ReportId {
    match app.ingest_mail(raw, None).await.unwrap() {
        Ingested::Report { id, project } => {
            assert_eq!(project, "acme-widgets");
            id
        }
        other => panic!("expected a report, got {other:?}"),
    }
}

async fn screened(app: &App, raw: &[u8]) -> (String, ScreenReason) {
    match app.ingest_mail(raw, None).await.unwrap() {
        Ingested::Screened { item, reason } => (item, reason),
        other => panic!("expected screening, got {other:?}"),
    }
}

/// A Message-ID of Postern's about `report`, as its mails carry.
fn thread_id(app: &App, report: &ReportId) -> String {
    let tag = app.store().mail_thread_tag(report);
    format!("{THREAD_PREFIX}{report}.{tag}.job1@widgets.example.org")
}

#[tokio::test]
async fn a_mailed_report_is_in_the_queue_with_its_clocks_from_the_mailbox_time() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let arrived = now() - SignedDuration::from_hours(3);
    let raw = report_mail("r1@example.net");
    let id = match app.ingest_mail(&raw, Some(arrived)).await.unwrap() {
        Ingested::Report { id, .. } => id,
        other => panic!("{other:?}"),
    };
    let case = app.store().case_row(&id).await.unwrap();
    assert_eq!(
        case.received_at, arrived,
        "the clocks start at the mailbox's time"
    );
    let ack = case
        .case
        .clocks
        .current()
        .into_iter()
        .find(|c| c.kind == ClockKind::Acknowledge)
        .expect("the policy promises an acknowledgement")
        .clone();
    assert_eq!(ack.started_at, arrived);
    assert_eq!(app.store().report_channel(&id).await.unwrap(), "email");
    let view = app
        .store()
        .team_view(&id, "tri@example.org", now())
        .await
        .unwrap();
    let fields = &view.submission.fields;
    assert!(fields.contains(&("title".into(), "RCE in the widget renderer".into())));
    assert!(
        fields
            .iter()
            .any(|(k, v)| k == "description" && v.contains("render poc.widget"))
    );
    assert_eq!(
        view.submission.contact_email.as_deref(),
        Some("ada@example.net")
    );
    // The team hears of it (and the reporter gets the receipt) through the usual event.
    let jobs = app.store().jobs(Some(JobState::Pending)).await.unwrap();
    assert!(
        jobs.iter()
            .any(|j| j.kind == "team.new_report" && j.report_id.as_deref() == Some(id.as_str()))
    );
    // A time in the future is never taken: the clocks start now at the latest.
    let later = app
        .ingest_mail(
            &report_mail("r2@example.net"),
            Some(now() + SignedDuration::from_hours(5)),
        )
        .await
        .unwrap();
    let Ingested::Report { id: later, .. } = later else {
        panic!("{later:?}")
    };
    assert_eq!(
        app.store().case_row(&later).await.unwrap().received_at,
        now()
    );
}

#[tokio::test]
async fn the_same_message_fetched_again_is_never_stored_twice() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let raw = report_mail("again@example.net");
    let id = new_report(&app, &raw).await;
    match app.ingest_mail(&raw, None).await.unwrap() {
        Ingested::Again(seen) => {
            assert_eq!(seen.state, InboundState::Report);
            assert_eq!(seen.report_id.as_deref(), Some(id.as_str()));
        }
        other => panic!("{other:?}"),
    }
    let queue = app
        .store()
        .queue(&postern_store::team::QueueFilter::default(), 100)
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    // Same Message-ID, other bytes: a different message (a forged id hides nothing).
    let other = message(
        "eve@example.net",
        ADDRESS,
        "Other",
        "again@example.net",
        "",
        "different text",
    );
    assert!(matches!(
        app.ingest_mail(&other, None).await.unwrap(),
        Ingested::Report { .. }
    ));
}

#[tokio::test]
async fn automated_mail_waits_in_screening_and_is_never_answered() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let vacation = message(
        "ada@example.net",
        ADDRESS,
        "Out of office",
        "v1@example.net",
        "Auto-Submitted: auto-replied\r\n",
        "I am away until Monday.",
    );
    let (item, reason) = screened(&app, &vacation).await;
    assert_eq!(reason, ScreenReason::AutoReply);
    let list = message(
        "list@example.net",
        ADDRESS,
        "[announce] digest",
        "l1@example.net",
        "List-Id: <announce.example.net>\r\nPrecedence: list\r\n",
        "Today's topics",
    );
    assert_eq!(screened(&app, &list).await.1, ScreenReason::List);
    let own = message(
        ADDRESS,
        ADDRESS,
        "Re: your report",
        "o1@example.org",
        "X-Postern-Mail: conversation\r\n",
        "Thank you",
    );
    assert_eq!(screened(&app, &own).await.1, ScreenReason::OwnMail);
    let bounce = format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\nTo: {ADDRESS}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; ada@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n"
    );
    assert_eq!(
        screened(&app, bounce.as_bytes()).await.1,
        ScreenReason::Bounce
    );
    // None became a report or told anybody.
    let jobs = app.store().jobs(None).await.unwrap();
    assert!(jobs.is_empty(), "{jobs:?}");
    // Answering an automatic message is refused, so no loop can start.
    let tri = triager(&app).await;
    let refused = app.file_screening(&tri, &item, true).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Invalid(e) if e[0].message.contains("mail loop")),
        "{refused:?}"
    );
    // Filing it without an answer works once.
    app.file_screening(&tri, &item, false).await.unwrap();
    assert!(matches!(
        app.discard_screening(&tri, &item).await,
        Err(Error::Conflict(_))
    ));
    let waiting = app.screening(&tri, InboundState::Screening).await.unwrap();
    assert_eq!(waiting.len(), 3);
}

#[tokio::test]
async fn a_reply_joins_its_case_only_from_the_reporter_with_a_tag_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let id = new_report(&app, &report_mail("first@example.net")).await;
    let other = new_report(
        &app,
        &message(
            "bob@example.net",
            ADDRESS,
            "SQL injection",
            "bob1@example.net",
            "",
            "The search box.",
        ),
    )
    .await;
    let parent = thread_id(&app, &id);
    let reply = message(
        "ada@example.net",
        ADDRESS,
        "Re: RCE in the widget renderer",
        "reply1@example.net",
        &format!("In-Reply-To: <{parent}>\r\nReferences: <first@example.net> <{parent}>\r\n"),
        "Here is a second proof of concept.\r\n\r\n> quoted",
    );
    assert_eq!(
        app.ingest_mail(&reply, None).await.unwrap(),
        Ingested::Reply { id: id.clone() }
    );
    let view = app.store().team_view(&id, "t", now()).await.unwrap();
    assert!(
        view.messages
            .iter()
            .any(|m| m.body.contains("second proof of concept"))
    );
    // From another address: screening, with the report named, not the conversation.
    let stranger = message(
        "mallory@example.net",
        ADDRESS,
        "Re: RCE",
        "m1@example.net",
        &format!("In-Reply-To: <{parent}>\r\n"),
        "let me in",
    );
    assert_eq!(screened(&app, &stranger).await.1, ScreenReason::OtherSender);
    // A forged reference: the other report's id with this report's tag, or a made-up tag.
    let tag = app.store().mail_thread_tag(&id);
    for forged in [
        format!("{THREAD_PREFIX}{other}.{tag}.x@widgets.example.org"),
        format!("{THREAD_PREFIX}{id}.aaaaaaaaaaaaaaaa.x@widgets.example.org"),
    ] {
        let raw = message(
            "bob@example.net",
            ADDRESS,
            "Re: x",
            &format!("forge-{}@example.net", forged.len()),
            &format!("In-Reply-To: <{forged}>\r\n"),
            "forged",
        );
        assert_eq!(
            screened(&app, &raw).await.1,
            ScreenReason::NoCase,
            "{forged}"
        );
    }
    let bob = app.store().team_view(&other, "t", now()).await.unwrap();
    assert!(bob.messages.iter().all(|m| !m.body.contains("forged")));
}

#[tokio::test]
async fn mail_for_an_unknown_address_and_floods_wait_in_screening() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let lost = message(
        "ada@example.net",
        "info@widgets.example.org",
        "Hello",
        "u1@example.net",
        "",
        "Is this the right place?",
    );
    assert_eq!(screened(&app, &lost).await.1, ScreenReason::UnknownAddress);
    // Sub-addressing reaches the project.
    let plus = message(
        "ada@example.net",
        "security+pgp@widgets.example.org",
        "XSS",
        "p1@example.net",
        "",
        "In the search box.",
    );
    new_report(&app, &plus).await;
    for i in 2..MAIL_PER_SENDER_PER_HOUR {
        let raw = message(
            "ada@example.net",
            ADDRESS,
            "More",
            &format!("f{i}@example.net"),
            "",
            &format!("number {i}"),
        );
        new_report(&app, &raw).await;
    }
    let flood = message(
        "ada@example.net",
        ADDRESS,
        "More",
        "flood@example.net",
        "",
        "one too many",
    );
    assert_eq!(screened(&app, &flood).await.1, ScreenReason::Flood);
}

#[tokio::test]
async fn screened_mail_becomes_a_report_received_when_it_arrived() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let lost = message(
        "ada@example.net",
        "webmaster@widgets.example.org",
        "Auth bypass",
        "s1@example.net",
        "",
        "The admin page needs no password.",
    );
    let arrived = now() - SignedDuration::from_hours(30);
    let Ingested::Screened { item, .. } = app.ingest_mail(&lost, Some(arrived)).await.unwrap()
    else {
        panic!()
    };
    let viewer = {
        let (user, _) = app
            .add_member(
                &Actor::operator("cli:test"),
                "view@example.org",
                Role::Viewer,
                &["acme-widgets".to_owned()],
            )
            .await
            .unwrap();
        Actor::member(&user)
    };
    assert!(matches!(
        app.report_from_screening(&viewer, &item).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        app.screening_original(&triager(&app).await, &item).await,
        Err(Error::Forbidden(_))
    ));
    let tri = app
        .screening(&Actor::operator("cli:test"), InboundState::Screening)
        .await
        .unwrap();
    assert_eq!(tri.len(), 1);
    let operator = Actor::operator("cli:test");
    let id = app.report_from_screening(&operator, &item).await.unwrap();
    let case = app.store().case_row(&id).await.unwrap();
    assert_eq!(case.received_at, arrived);
    // The acknowledgement (promised within 2 business days of receipt) was already running.
    assert!(
        case.case
            .clocks
            .current()
            .iter()
            .all(|c| c.started_at == arrived)
    );
    assert!(matches!(
        app.report_from_screening(&operator, &item).await,
        Err(Error::Conflict(_))
    ));
    let (_, raw) = app.screening_original(&operator, &item).await.unwrap();
    assert_eq!(&raw[..], &lost[..]);
}

#[tokio::test]
async fn an_unreadable_message_is_kept_raw_and_a_too_large_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let garbage = b"\x00\x01\x02 not a mail at all \xff\xfe".to_vec();
    let (item, reason) = screened(&app, &garbage).await;
    assert_eq!(reason, ScreenReason::Unreadable);
    let (_, raw) = app
        .screening_original(&Actor::operator("cli:test"), &item)
        .await
        .unwrap();
    assert_eq!(&raw[..], &garbage[..]);
    let huge = vec![b'a'; postern_app::mail::MESSAGE_BYTES_MAX + 1];
    assert!(matches!(
        app.ingest_mail(&huge, None).await,
        Err(Error::Refused(m)) if m.contains("at most 32 MiB")
    ));
}

#[tokio::test]
async fn filing_with_a_reply_queues_one_answer_that_names_only_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let lost = message(
        "ada@example.net",
        "sales@widgets.example.org",
        "Pricing?",
        "q1@example.net",
        "",
        "How much is a licence?",
    );
    let (item, _) = screened(&app, &lost).await;
    let tri = triager(&app).await;
    app.file_screening(&tri, &item, true).await.unwrap();
    let jobs = app.store().jobs(None).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, "mail");
    assert!(
        !jobs[0].payload.contains("ada@example.net"),
        "{}",
        jobs[0].payload
    );
    assert!(jobs[0].payload.contains(&item));
    let filed = app.screening(&tri, InboundState::Filed).await.unwrap();
    assert_eq!(filed.len(), 1);
    assert_eq!(filed[0].decided.as_ref().unwrap().0, "tri@example.org");
}
