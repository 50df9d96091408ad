//! What a maintainer reads in their first week, on both databases: reports listed and headed by
//! their titles (without a title counting as a view), a queue whose alarms are true once
//! reports are fixed, disclosed or closed (with an "all" state and a closed list in the order
//! its caption says), Markdown rendered safely wherever reports, messages, notes and mail are
//! shown, and a history in sentences with views folded.

use axum::http::StatusCode;
use postern_app::Actor;
use postern_app::case::Seen;
use postern_core::case::{Action, Closing, Rating};
use postern_core::lifecycle::Closure;
use postern_core::policy::Severity;
use postern_core::report::{CaseKey, ReportId};
use postern_store::team::Role;
use postern_web::IntakeLimits;
use serde_json::json;

use crate::support::{Browser, TestApp, project};
use crate::team::set_up;

/// A project promising everything a queue can be wrong about: a plan, regular updates, and a
/// severity's deadlines.
fn promising() -> postern_web::Project {
    project(
        "Acme",
        r#"
[response]
time_zone = "UTC"
acknowledge = "48 hours"
assess = "5 days"
plan = "1 week"
update_interval = "7 days"

[severity.high]
fix = "30 days"
disclose = "60 days"
"#,
    )
}

async fn report(app: &TestApp, title: &str, description: &str) -> (ReportId, CaseKey) {
    let reply = app
        .post_json(
            "/api/v1/reports",
            &json!({"fields": {
                "title": title,
                "description": description,
                "impact": "Any account can be taken over.",
                "steps_to_reproduce": "1. Sign in.\n2. Send the request.",
            }}),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let body = reply.json();
    (
        ReportId::parse(body["id"].as_str().unwrap()).unwrap(),
        CaseKey::parse(body["case_key"].as_str().unwrap()).unwrap(),
    )
}

async fn act(app: &TestApp, id: &ReportId, action: Action) {
    app.uses
        .act_on_report(
            &Actor::operator("alice@example.org"),
            id,
            Seen::Current,
            action,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", app.backend));
}

/// A member signed in now (whatever the clock says), without the pages of setting up.
async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let now = app.uses.now();
    let (user, _) = app
        .store
        .create_user(email, Role::Triager, &[], "test", now)
        .await
        .unwrap();
    let token = app
        .store
        .create_session(&user, postern_store::team::SessionStage::Full, now)
        .await
        .unwrap();
    let mut browser = Browser::new(app);
    browser.cookie = Some(format!("__Host-postern_session={token}"));
    browser
}

/// The part of a page between two markers.
fn section<'a>(html: &'a str, from: &str, to: &str) -> &'a str {
    let start = html
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in {html}"));
    let rest = &html[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

const SHARED: &str = "The session token in the OAuth callback is kept after sign-in, so an attacker who sets it beforehand owns the session afterwards.";

#[tokio::test]
async fn reports_are_listed_and_headed_by_their_titles() {
    for app in TestApp::all(vec![promising()], IntakeLimits::default()).await {
        let (first, key) = report(&app, "Session fixation on the OAuth callback", SHARED).await;
        let (second, _) = report(&app, "Session fixation, again", SHARED).await;
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;

        // The queue: each report by its title, linked; listing opens no report.
        let queue = alice.get("/team").await.text();
        for (id, title) in [
            (&first, "Session fixation on the OAuth callback"),
            (&second, "Session fixation, again"),
        ] {
            assert!(
                queue.contains(&format!("<a href=\"/team/reports/{id}\">{title}</a>")),
                "{}: {queue}",
                app.backend
            );
        }
        for id in [&first, &second] {
            let events = app.store.report_events(id).await.unwrap();
            assert!(
                events.iter().all(|e| e.action != "report.viewed"),
                "a list is not a view: {events:?}"
            );
        }

        // The report page is headed by the title; the browser's title names only the id.
        let page = alice.get(&format!("/team/reports/{first}")).await.text();
        assert!(
            page.contains("<h1>Session fixation on the OAuth callback</h1>"),
            "{page}"
        );
        assert!(
            page.contains(&format!("<title>Report {first} · Postern</title>")),
            "{page}"
        );
        let duplicates = section(&page, "<h2>Likely duplicates</h2>", "</ul>");
        assert!(
            duplicates.contains(&format!(
                "<a href=\"/team/reports/{second}\">Session fixation, again</a>"
            )),
            "{duplicates}"
        );

        // The advisory list's report column, and the advisory's own page.
        let advisory = postern_core::advisory::Advisory {
            id: postern_core::advisory::AdvisoryId::new("ACME", 2026, 1),
            project: "acme".into(),
            title: "Session fixation in OAuth".into(),
            summary: "Sessions could be fixed".into(),
            details: String::new(),
            severity: None,
            cvss_v3: None,
            cvss_v4: None,
            cwes: Vec::new(),
            affected: vec![postern_core::advisory::Affected {
                ecosystem: "npm".into(),
                package: "acme".into(),
                ranges: Vec::new(),
                versions: vec!["1.0.0".into()],
            }],
            references: Vec::new(),
            credits: Vec::new(),
            aliases: Vec::new(),
            published: None,
            modified: crate::support::now(),
        };
        app.store
            .save_advisory(
                &advisory,
                Some(&first),
                "alice@example.org",
                crate::support::now(),
            )
            .await
            .unwrap();
        let link =
            format!("<a href=\"/team/reports/{first}\">Session fixation on the OAuth callback</a>");
        let advisories = alice.get("/team/advisories").await.text();
        assert!(advisories.contains(&link), "{advisories}");
        let edit = alice.get("/team/advisories/ACME-2026-0001").await.text();
        assert!(edit.contains(&link), "{edit}");

        // The reporter's page too, with nothing of the report in the browser's title.
        let track = app
            .post_form("/track", &[("case_key", &key.reveal())])
            .await;
        let track = track.text();
        assert!(
            track.contains("<h1>Session fixation on the OAuth callback</h1>"),
            "{track}"
        );
        assert!(
            track.contains("<title>Your report · Postern</title>"),
            "{track}"
        );
    }
}

#[tokio::test]
async fn the_queue_raises_no_false_alarm_and_lists_every_state_in_the_order_it_says() {
    for app in TestApp::all(vec![promising()], IntakeLimits::default()).await {
        // Received a day apart: disclosed, closed as spam, and still waiting.
        let (disclosed, _) = report(&app, "Disclosed and done", "An old one.").await;
        app.clock.advance_seconds(24 * 3600);
        let (spam, _) = report(&app, "Buy cheap watches", "Not a report.").await;
        app.clock.advance_seconds(24 * 3600);
        report(&app, "Still waiting", "Nobody looked yet.").await;
        act(&app, &disclosed, Action::Acknowledge).await;
        act(
            &app,
            &disclosed,
            Action::Accept(Rating {
                severity: Some(Severity::High),
                ..Rating::default()
            }),
        )
        .await;
        app.clock.advance_seconds(3 * 24 * 3600);
        act(&app, &disclosed, Action::Fixed(vec!["1.0.1".into()])).await;
        app.clock.advance_seconds(24 * 3600);
        act(&app, &disclosed, Action::Disclose).await;
        act(
            &app,
            &spam,
            Action::Close(Closing {
                closure: Closure::Spam,
                duplicate_of: None,
                scope_category: None,
            }),
        )
        .await;
        // A year later: the disclosed report owes nothing, so it raises no alarm; the one
        // nobody answered does.
        app.clock.advance_seconds(365 * 24 * 3600);
        let mut alice = signed_in(&app, "alice@example.org").await;
        let overdue = alice.get("/team?overdue=1").await.text();
        assert!(
            overdue.contains("Still waiting"),
            "{}: {overdue}",
            app.backend
        );
        assert!(!overdue.contains("Disclosed and done"), "{overdue}");
        assert!(
            overdue.contains("1 report, next deadline first"),
            "{overdue}"
        );
        let row = app.uses.store().case_row(&disclosed).await.unwrap();
        assert!(
            row.case.clocks.0.iter().all(|c| !c.is_open()),
            "{:?}",
            row.case.clocks
        );

        // Open: next deadline first; the disclosed one, with none running, last.
        let open = alice.get("/team").await.text();
        let at = |page: &str, title: &str| page.find(title).unwrap_or(usize::MAX);
        assert!(
            at(&open, "Still waiting") < at(&open, "Disclosed and done"),
            "{open}"
        );
        assert!(!open.contains("Buy cheap watches"), "{open}");
        // All: every report, newest first, as the caption says.
        let all = alice.get("/team?status=all").await.text();
        assert!(all.contains("3 reports, newest first"), "{all}");
        assert!(
            at(&all, "Still waiting") < at(&all, "Buy cheap watches")
                && at(&all, "Buy cheap watches") < at(&all, "Disclosed and done"),
            "{all}"
        );
        assert!(
            all.contains("<option value=\"all\" selected>All</option>"),
            "{all}"
        );
        // Closed: newest first, without a deadline column nothing could fill.
        let closed = alice.get("/team?status=closed").await.text();
        assert!(closed.contains("1 report, newest first"), "{closed}");
        assert!(closed.contains("Buy cheap watches"), "{closed}");
        assert!(!closed.contains("Next deadline"), "{closed}");
        let wrong = alice.get("/team?status=shut").await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        assert!(
            wrong.text().contains("write open, all, or one of"),
            "{}",
            wrong.text()
        );
    }
}

/// A report as security researchers write them: Markdown, and payloads that must be read,
/// never run.
const MARKDOWN: &str = "**Bold claim** with `inline_code()`.\n\n```python\nrequests.get(url, cookies=stolen)\n```\n\nThe payload <img src=x onerror=alert(1)> runs.\n\n<script>alert(2)</script>\n\n[PoC](javascript:alert(document.cookie)) and ![screenshot](https://evil.example/shot.png)\nsecond line";

/// Fails if `html` holds anything that could run or load.
fn assert_inert(html: &str) {
    for bad in [
        "<img",
        "<script",
        "href=\"javascript",
        "<svg",
        "<iframe",
        "onerror=alert(1)>",
    ] {
        assert!(!html.contains(bad), "`{bad}` in {html}");
    }
}

fn assert_rendered(html: &str) {
    assert!(html.contains("<strong>Bold claim</strong>"), "{html}");
    assert!(html.contains("<code>inline_code()</code>"), "{html}");
    assert!(
        html.contains("<pre><code>requests.get(url, cookies=stolen)\n</code></pre>"),
        "{html}"
    );
    // The payloads are shown as text, for the team to read.
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(
        html.contains("[PoC](javascript:alert(document.cookie))"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://evil.example/shot.png\" rel=\"noopener noreferrer nofollow\">Image: screenshot</a><br>"),
        "{html}"
    );
    assert_inert(html);
}

#[tokio::test]
async fn markdown_is_rendered_safely_wherever_reports_messages_notes_and_mail_are_shown() {
    for app in TestApp::all(vec![promising()], IntakeLimits::default()).await {
        let (id, key) = report(&app, "Markdown everywhere", MARKDOWN).await;
        app.uses
            .reporter_message(Some(&id), &key, &format!("A message.\n\n{MARKDOWN}"))
            .await
            .unwrap();
        let alice = Actor::operator("alice@example.org");
        app.uses
            .add_note(&alice, &id, &format!("A note.\n\n{MARKDOWN}"))
            .await
            .unwrap();
        let mut browser = Browser::new(&app);
        set_up(&mut browser, "alice@example.org", Role::Triager, &[]).await;

        let page = browser.get(&format!("/team/reports/{id}")).await.text();
        let contents = section(&page, "<h2>Contents</h2>", "<h2>Conversation");
        assert_rendered(contents);
        let conversation = section(&page, "<h2>Conversation", "<h2>Internal notes</h2>");
        assert_rendered(conversation);
        let notes = section(&page, "<h2>Internal notes</h2>", "<h2>Actions</h2>");
        assert_rendered(notes);
        assert_inert(&page);

        let track = app
            .post_form("/track", &[("case_key", &key.reveal())])
            .await
            .text();
        assert_rendered(section(&track, "<h2>Your report</h2>", "</dl>"));
        assert_rendered(section(&track, "<h2>Conversation</h2>", "</ol>"));
        assert_inert(&track);

        // Mail waiting in screening reads the same way.
        let mail = format!(
            "From: Ada <ada@example.net>\r\nTo: nobody@acme.example.org\r\nSubject: Found something\r\nMessage-ID: <md1@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            MARKDOWN.replace('\n', "\r\n")
        );
        let postern_app::mail::Ingested::Screened { item, .. } =
            app.uses.ingest_mail(mail.as_bytes(), None).await.unwrap()
        else {
            panic!("{}: not screened", app.backend)
        };
        let screened = browser.get(&format!("/team/screening/{item}")).await.text();
        assert_rendered(section(&screened, "<h2>Message</h2>", "</div>"));
        assert_inert(&screened);
    }
}

#[tokio::test]
async fn the_history_reads_as_sentences_with_views_folded_and_every_event_kept() {
    for app in TestApp::all(vec![promising()], IntakeLimits::default()).await {
        let (id, key) = report(&app, "History", "Short.").await;
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;
        for _ in 0..5 {
            app.clock.advance_seconds(60);
            alice.get(&format!("/team/reports/{id}")).await;
        }
        app.uses
            .reporter_message(Some(&id), &key, "Any news?")
            .await
            .unwrap();
        act(&app, &id, Action::Acknowledge).await;
        let page = alice.get(&format!("/team/reports/{id}")).await.text();
        let history = section(&page, "<ol class=\"history\">", "</ol>");
        let lines: Vec<&str> = history.matches("<li>").collect();
        assert_eq!(lines.len(), 5, "{}: {history}", app.backend);
        for sentence in [
            "<strong>The reporter</strong> sent the report online.",
            "<strong>alice@example.org</strong> viewed the report 5 times, the last at 2026-11-23 10:05 UTC.",
            "<strong>The reporter</strong> wrote to the team.",
            "<strong>alice@example.org</strong> acknowledged the report.",
            "<strong>alice@example.org</strong> viewed the report.",
        ] {
            assert!(history.contains(sentence), "{sentence} not in {history}");
        }
        for code in ["message=", "report.viewed", "channel=", "project="] {
            assert!(!history.contains(code), "{code} in {history}");
        }
        // Every event is kept, and shown as recorded on request.
        let events = app.store.report_events(&id).await.unwrap();
        assert_eq!(events.len(), 9);
        assert!(
            page.contains("The audit record (9 events, as logged)"),
            "{page}"
        );
        app.store.verify_audit().await.unwrap();
    }
}
