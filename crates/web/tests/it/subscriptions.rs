//! Advisories by email, driven in-process on both databases: the form answers the same for
//! every address, a confirmation link's page confirms nothing until its button is pressed, an
//! expired or wrong link says so, and the RFC 8058 one-click POST unsubscribes without any
//! cookie or form token. The address never reaches the database in plain text.

use crate::support;

use std::num::NonZeroU32;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use postern_store::jobs::{JobState, MAIL};
use postern_store::subscriptions::ListMail;
use postern_web::IntakeLimits;
use support::{Reply, TestApp, form_token, project};

const ADDRESS: &str = "ada.subscriber@example.net";

fn limits() -> IntakeLimits {
    IntakeLimits {
        submission_burst: NonZeroU32::new(100).unwrap(),
        submissions_per_hour: NonZeroU32::new(1000).unwrap(),
        ..IntakeLimits::default()
    }
}

async fn subscribe(app: &TestApp, email: &str) -> Reply {
    let token = form_token(&app.get("/advisories").await.text());
    app.clock.advance_seconds(app_seconds_min());
    app.post_form(
        "/advisories/subscribe",
        &[
            ("project", "acme"),
            ("email", email),
            ("form_token", &token),
            ("website", ""),
        ],
    )
    .await
}

fn app_seconds_min() -> i64 {
    limits().form_seconds_min
}

/// The confirmation mails queued, as (subscriber, token): what the mailer would send.
async fn confirmations(app: &TestApp) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for job in app.store.jobs(None).await.unwrap() {
        if let Some(ListMail::Confirm {
            subscriber,
            requested_at,
        }) = ListMail::of(&job)
        {
            assert_eq!((job.kind.as_str(), job.state), (MAIL, JobState::Pending));
            assert!(!job.payload.contains("example.net"), "{}", job.payload);
            let at = jiff::Timestamp::from_millisecond(requested_at).unwrap();
            out.push((subscriber.clone(), app.store.confirm_token(&subscriber, at)));
        }
    }
    out
}

/// A POST as a mail client makes it (RFC 8058): no cookie, no Origin, no form token.
async fn one_click(app: &TestApp, path: &str) -> Reply {
    app.send(
        Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("List-Unsubscribe=One-Click"))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn subscribe_confirm_by_post_and_unsubscribe_in_one_click() {
    for app in TestApp::all(vec![project("Acme", "")], limits()).await {
        let b = app.backend;
        let page = app.get("/advisories").await.text();
        assert!(page.contains("Get new advisories by email"), "{b}");
        // The form's address, opened in a browser, leads to the form (not a blank 405).
        let opened = app.get("/advisories/subscribe").await;
        assert_eq!(opened.status, axum::http::StatusCode::SEE_OTHER, "{b}");
        assert_eq!(opened.headers["location"], "/advisories#subscribe");

        let first = subscribe(&app, ADDRESS).await;
        assert_eq!(first.status, StatusCode::OK, "{b}: {}", first.text());
        assert!(first.text().contains("Check your mail"), "{b}");
        assert!(
            !first.text().contains(ADDRESS),
            "{b}: the answer repeats no address"
        );
        let queued = confirmations(&app).await;
        assert_eq!(queued.len(), 1, "{b}");
        let (subscriber, token) = queued[0].clone();

        // The link's page confirms nothing: scanners follow links.
        let shown = app.get(&format!("/subscriptions/confirm/{token}")).await;
        assert_eq!(shown.status, StatusCode::OK, "{b}");
        assert!(shown.text().contains("Confirm subscription"), "{b}");
        assert!(
            shown.headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("no-store"),
            "{b}"
        );
        assert!(
            app.store
                .confirmed_subscribers("acme")
                .await
                .unwrap()
                .is_empty(),
            "{b}"
        );

        let confirmed = app
            .post_form(&format!("/subscriptions/confirm/{token}"), &[])
            .await;
        assert_eq!(
            confirmed.status,
            StatusCode::OK,
            "{b}: {}",
            confirmed.text()
        );
        assert!(confirmed.text().contains("Subscribed"), "{b}");
        assert_eq!(
            app.store.confirmed_subscribers("acme").await.unwrap(),
            vec![subscriber.clone()],
            "{b}"
        );
        let again = app
            .post_form(&format!("/subscriptions/confirm/{token}"), &[])
            .await;
        assert_eq!(
            again.status,
            StatusCode::NOT_FOUND,
            "{b}: a link works once"
        );
        assert!(again.text().contains("not valid"), "{b}");

        // The same answer for a subscribed address, in any case, and no new mail.
        let repeated = subscribe(&app, &ADDRESS.to_uppercase()).await;
        assert_eq!(
            (repeated.status, repeated.text()),
            (first.status, first.text()),
            "{b}"
        );
        assert_eq!(confirmations(&app).await.len(), 1, "{b}");

        // One click, as a mail client sends it.
        let unsubscribe = format!("/unsubscribe/{}", app.store.unsubscribe_token(&subscriber));
        let page = app.get(&unsubscribe).await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert!(
            page.text()
                .contains("name=\"List-Unsubscribe\" value=\"One-Click\""),
            "{b}"
        );
        assert_eq!(
            app.store.confirmed_subscribers("acme").await.unwrap().len(),
            1,
            "{b}: a GET changes nothing"
        );
        let done = one_click(&app, &unsubscribe).await;
        assert_eq!(done.status, StatusCode::OK, "{b}: {}", done.text());
        assert!(done.text().contains("Unsubscribed"), "{b}");
        assert!(
            app.store
                .confirmed_subscribers("acme")
                .await
                .unwrap()
                .is_empty(),
            "{b}"
        );
        let twice = one_click(&app, &unsubscribe).await;
        assert_eq!(twice.status, StatusCode::NOT_FOUND, "{b}");
        assert!(twice.text().contains("unsubscribed already"), "{b}");
        assert_eq!(
            app.store.count_subscribers("acme").await.unwrap(),
            (0, 0),
            "{b}"
        );
    }
}

#[tokio::test]
async fn every_request_gets_the_same_answer_and_repeats_are_limited() {
    for app in TestApp::all(vec![project("Acme", "")], limits()).await {
        let b = app.backend;
        let new = subscribe(&app, ADDRESS).await;
        let first_token = confirmations(&app).await[0].1.clone();
        let waiting = subscribe(&app, ADDRESS).await;
        let other = subscribe(&app, "grace@example.net").await;
        for reply in [&waiting, &other] {
            assert_eq!(
                (reply.status, reply.text()),
                (new.status, new.text()),
                "{b}"
            );
        }
        // The second request for the waiting address came too soon: one mail each.
        assert_eq!(confirmations(&app).await.len(), 2, "{b}");

        // Later, a new link replaces the first.
        app.clock.advance_seconds(16 * 60);
        subscribe(&app, ADDRESS).await;
        let tokens: Vec<String> = confirmations(&app)
            .await
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(tokens.len(), 3, "{b}");
        let old = app
            .get(&format!("/subscriptions/confirm/{first_token}"))
            .await;
        assert_eq!(old.status, StatusCode::NOT_FOUND, "{b}: a replaced link");

        // A malformed address is refused with the reason, before anything is stored.
        let bad = subscribe(&app, "not-an-address").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{b}");
        assert!(bad.text().contains("not a valid email address"), "{b}");
        assert_eq!(
            app.store.count_subscribers("acme").await.unwrap(),
            (0, 2),
            "{b}"
        );

        // A filled honeypot gets the same answer, and nothing is stored.
        let token = form_token(&app.get("/advisories").await.text());
        app.clock.advance_seconds(app_seconds_min());
        let bot = app
            .post_form(
                "/advisories/subscribe",
                &[
                    ("project", "acme"),
                    ("email", "bot@example.net"),
                    ("form_token", &token),
                    ("website", "http://spam"),
                ],
            )
            .await;
        assert_eq!((bot.status, bot.text()), (new.status, new.text()), "{b}");
        assert_eq!(
            app.store.count_subscribers("acme").await.unwrap(),
            (0, 2),
            "{b}"
        );

        if b == "sqlite" {
            let mut bytes = std::fs::read(app.dir.path().join("postern.sqlite3")).unwrap();
            if let Ok(wal) = std::fs::read(app.dir.path().join("postern.sqlite3-wal")) {
                bytes.extend(wal);
            }
            assert!(
                !bytes
                    .windows(ADDRESS.len())
                    .any(|w| w == ADDRESS.as_bytes()),
                "an address is stored in plain text"
            );
        }
    }
}

#[tokio::test]
async fn an_expired_or_wrong_link_says_so_and_confirms_nothing() {
    for app in TestApp::all(vec![project("Acme", "")], limits()).await {
        let b = app.backend;
        subscribe(&app, ADDRESS).await;
        let (_, token) = confirmations(&app).await[0].clone();
        app.clock.advance_seconds(7 * 24 * 3600 + 1);
        let path = format!("/subscriptions/confirm/{token}");
        for reply in [app.get(&path).await, app.post_form(&path, &[]).await] {
            assert_eq!(reply.status, StatusCode::GONE, "{b}");
            assert!(reply.text().contains("expired"), "{b}");
        }
        assert!(
            app.store
                .confirmed_subscribers("acme")
                .await
                .unwrap()
                .is_empty(),
            "{b}"
        );
        assert_eq!(
            app.store.prune_subscriptions(app_now(&app)).await.unwrap(),
            1,
            "{b}"
        );

        for path in [
            "/subscriptions/confirm/not-a-token".to_owned(),
            format!("/subscriptions/confirm/{}", "x".repeat(500)),
        ] {
            let reply = app.get(&path).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{b}");
            assert!(reply.text().contains("not valid"), "{b}");
        }
        let reply = one_click(&app, "/unsubscribe/not-a-token").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{b}");
        assert!(reply.text().contains("Not subscribed"), "{b}");
    }
}

fn app_now(_app: &TestApp) -> jiff::Timestamp {
    // The clock was moved 7 days and a bit past `support::now()` plus the form's age.
    support::now() + jiff::SignedDuration::from_hours(8 * 24)
}
