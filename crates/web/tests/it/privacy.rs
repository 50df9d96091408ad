//! Privacy from the team's pages, on both databases: an admin erases a report's contact, then
//! its contents, each after a confirmation step that needs no JavaScript; a canary in every
//! personal field is on the pages and the API before and nowhere after; /stats does not change;
//! a report under legal hold is refused with the reason; a triager cannot erase.

use axum::http::StatusCode;
use postern_store::team::Role;
use postern_web::IntakeLimits;
use serde_json::json;

use crate::support::{self, Browser, TestApp, hidden};
use crate::team::{acme, set_up};

const CANARY: &str = "canary-5e1f0b";

async fn submit_with_canary(app: &TestApp) -> (String, String) {
    let reply = app
        .post_json(
            "/api/v1/reports",
            &json!({
                "fields": {"title": format!("Title {CANARY}"), "description": format!("details {CANARY}"), "impact": "code execution", "steps_to_reproduce": "upload poc"},
                "scope_category": "rce",
                "contact_email": format!("{CANARY}@example.org"),
                "credit_name": format!("Name {CANARY}"),
            }),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let body = reply.json();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["case_key"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn an_admin_erases_the_contact_then_the_contents_after_confirming() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let (id, key) = submit_with_canary(&app).await;
        let page = format!("/team/reports/{id}");
        let api = format!("/api/v1/reports/{id}");
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Admin, &[]).await;
        let before = alice.get(&page).await.text();
        assert!(
            before.contains(&format!("{CANARY}@example.org")),
            "{before}"
        );
        assert!(before.contains("Personal data") && before.contains("class=\"danger\""));
        assert!(app.get_with_key(&api, &key).await.text().contains(CANARY));
        let stats = app.get("/stats").await.text();

        // The first step only asks.
        let csrf = hidden(&before, "csrf");
        let ask = alice
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &csrf),
                    ("action", "erase"),
                    ("what", "contact"),
                    ("reason", "the reporter asked"),
                ],
            )
            .await;
        assert_eq!(ask.status, StatusCode::OK, "{}", ask.text());
        let confirm = ask.text();
        assert!(confirm.contains("Erase contact of report"), "{confirm}");
        assert!(
            confirm.contains("class=\"danger\"")
                && confirm.contains("name=\"confirm\" value=\"yes\"")
        );
        assert!(
            alice
                .get(&page)
                .await
                .text()
                .contains(&format!("{CANARY}@example.org")),
            "nothing erased yet"
        );

        let done = alice
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &csrf),
                    ("action", "erase"),
                    ("what", "contact"),
                    ("reason", "the reporter asked"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let after = alice.get(&page).await.text();
        assert!(
            !after.contains(&format!("{CANARY}@example.org"))
                && !after.contains(&format!("Name {CANARY}"))
        );
        assert!(
            after.contains("Erased the reporter&#39;s contact address"),
            "{after}"
        );
        assert!(
            after.contains(&format!("details {CANARY}")),
            "the contents stay"
        );

        for what in ["contents", "contents"] {
            // Twice: the second is harmless.
            let done = alice
                .post(
                    &format!("/team/reports/{id}/act"),
                    &[
                        ("csrf", &csrf),
                        ("action", "erase"),
                        ("what", what),
                        ("reason", "retention"),
                        ("confirm", "yes"),
                    ],
                )
                .await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        }
        let after = alice.get(&page).await.text();
        assert!(!after.contains(CANARY), "{after}");
        assert!(
            !alice.get("/team").await.text().contains(CANARY),
            "the queue"
        );
        let reporter = app.get_with_key(&api, &key).await;
        assert_eq!(reporter.status, StatusCode::OK);
        assert!(!reporter.text().contains(CANARY), "{}", reporter.text());
        assert_eq!(app.get("/stats").await.text(), stats, "/stats unchanged");
        assert!(app.store.verify_audit().await.is_ok());
    }
}

#[tokio::test]
async fn a_held_report_is_not_erased_and_a_triager_cannot_erase() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let (id, _) = submit_with_canary(&app).await;
        let page = format!("/team/reports/{id}");
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Admin, &[]).await;
        let csrf = hidden(&alice.get(&page).await.text(), "csrf");
        let held = alice
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &csrf),
                    ("action", "hold"),
                    ("until", "2030-06-30"),
                    ("reason", "court order 17"),
                ],
            )
            .await;
        assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.text());
        assert!(
            alice
                .get(&page)
                .await
                .text()
                .contains("Under legal hold through 2030-06-30: court order 17")
        );
        let refused = alice
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &csrf),
                    ("action", "erase"),
                    ("what", "contents"),
                    ("reason", "retention"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = refused.text();
        assert!(
            text.contains("legal hold until 2030-06-30") && text.contains(CANARY),
            "{text}"
        );
        let bad_date = alice
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &csrf),
                    ("action", "hold"),
                    ("until", "soon"),
                    ("reason", "x"),
                ],
            )
            .await;
        assert_eq!(bad_date.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_date.text().contains("YYYY-MM-DD"));

        let mut bob = Browser::new(&app);
        set_up(&mut bob, "bob@example.org", Role::Triager, &[]).await;
        let html = bob.get(&page).await.text();
        assert!(
            !html.contains("Erase for good"),
            "only admins are offered erasure"
        );
        let forbidden = bob
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &hidden(&html, "csrf")),
                    ("action", "erase"),
                    ("what", "contact"),
                    ("reason", "x"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
        let _ = support::now();
    }
}

#[tokio::test]
async fn the_reporter_downloads_their_data_and_asks_for_erasure_which_the_team_answers() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let (id, key) = submit_with_canary(&app).await;
        let export_path = format!("/api/v1/reports/{id}/export");
        let requests_path = format!("/api/v1/reports/{id}/erasure-requests");

        // A wrong key is the same 404 as any other.
        let other = "pk-aaaa-bbbb-cccc-dddd-eeee-ffff-gggg";
        assert_eq!(
            app.get_with_key(&export_path, other).await.status,
            StatusCode::NOT_FOUND
        );
        let wrong = app
            .post_json(&requests_path, &json!({"what": "contact"}), Some(other))
            .await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        let bad = app
            .post_json(&requests_path, &json!({"what": "everything"}), Some(&key))
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            bad.text()
        );
        assert!(bad.text().contains("what"), "{}", bad.text());

        let export = app.get_with_key(&export_path, &key).await;
        assert_eq!(export.status, StatusCode::OK);
        assert!(
            export.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("attachment")
        );
        let body = export.json();
        assert_eq!(body["contact_email"], format!("{CANARY}@example.org"));
        assert_eq!(body["format"], "postern case export v1");
        assert!(
            body["history"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["event"] == "report.received")
        );

        // Contents: the team refuses, with a reason the reporter reads.
        let asked = app
            .post_json(&requests_path, &json!({"what": "contents"}), Some(&key))
            .await;
        assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.text());
        let request = asked.json()["id"].as_str().unwrap().to_owned();
        let twice = app
            .post_json(&requests_path, &json!({"what": "contact"}), Some(&key))
            .await;
        assert_eq!(
            twice.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "one request waits at a time"
        );

        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Admin, &[]).await;
        let list = alice.get("/team/privacy").await.text();
        assert!(
            list.contains(&id) && list.contains("Coordinated disclosure needs the contents"),
            "{list}"
        );
        let page = format!("/team/reports/{id}");
        let html = alice.get(&page).await.text();
        assert!(html.contains("Refuse this request"), "{html}");
        let refused = alice
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &hidden(&html, "csrf")),
                    ("action", "erasure-refuse"),
                    ("request", &request),
                    (
                        "body",
                        "We keep the report until the advisory is published.",
                    ),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.text());
        let tracked = app.post_form("/track", &[("case_key", &key)]).await.text();
        assert!(
            tracked.contains("We keep the report until the advisory is published."),
            "{tracked}"
        );
        assert!(tracked.contains("refused"), "{tracked}");

        // Contact, from /track: carried out by erasing, which closes the request.
        let sent = app
            .post_form("/track/erasure", &[("case_key", &key), ("what", "contact")])
            .await;
        assert_eq!(sent.status, StatusCode::OK);
        assert!(sent.text().contains("Your request was sent to the team"));
        let html = alice.get(&page).await.text();
        let done = alice
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &hidden(&html, "csrf")),
                    ("action", "erase"),
                    ("what", "contact"),
                    ("reason", "the reporter asked"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        assert!(
            alice
                .get("/team/privacy")
                .await
                .text()
                .contains("None waiting.")
        );
        let download = app.post_form("/track/export", &[("case_key", &key)]).await;
        assert_eq!(download.status, StatusCode::OK);
        let text = download.text();
        assert!(
            !text.contains(&format!("{CANARY}@example.org"))
                && !text.contains(&format!("Name {CANARY}")),
            "{text}"
        );
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(body["erased"]["contact"].is_string());
        let states: Vec<(&str, &str)> = body["erasure_requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["what"].as_str().unwrap(), r["state"].as_str().unwrap()))
            .collect();
        assert!(
            states.contains(&("contact", "done")) && states.contains(&("contents", "refused")),
            "{states:?}"
        );
        assert!(
            body["fields"]["description"]
                .as_str()
                .unwrap()
                .contains(CANARY),
            "contents stay"
        );
        let wrong_track = app.post_form("/track/export", &[("case_key", other)]).await;
        assert_eq!(wrong_track.status, StatusCode::NOT_FOUND);
    }
}

const RETAINED: &str = r#"
[[scope.in]]
category = "rce"
title = "Remote code execution"

[disclosure]
max_embargo = "90 days"

[privacy]
contact_kept = "180 days"
contents_kept = "365 days"
"#;

/// Retention with a moved clock, never a sleep: a period passing erases exactly what the
/// policy's `[privacy]` says; a report under legal hold and an open one are untouched; the
/// team sees what is due; /stats does not change.
#[tokio::test]
async fn a_retention_period_passing_erases_exactly_what_it_should() {
    use postern_core::case::{Action, Closing};
    use postern_core::privacy::Erasure;
    for app in TestApp::all(
        vec![support::project("Acme", RETAINED)],
        IntakeLimits::default(),
    )
    .await
    {
        let uses = &app.uses;
        let admin = postern_app::Actor::operator("cli:test");
        let mut ids = Vec::new();
        for _ in 0..3 {
            let (id, _) = submit_with_canary(&app).await;
            ids.push(postern_core::report::ReportId::parse(&id).unwrap());
        }
        let [closed, held, open] = [ids[0].clone(), ids[1].clone(), ids[2].clone()];
        for id in [&closed, &held] {
            uses.act_on_report(
                &admin,
                id,
                postern_app::case::Seen::Current,
                Action::Close(Closing {
                    closure: postern_core::lifecycle::Closure::Informative,
                    duplicate_of: None,
                    scope_category: None,
                }),
                None,
            )
            .await
            .unwrap();
        }
        uses.hold_report(
            &admin,
            &held,
            "2027-12-31T00:00:00Z".parse().unwrap(),
            "court order",
        )
        .await
        .unwrap();
        // Retention reads the closed reports of the projects it names, and none without one.
        let listed = |rows: Vec<postern_store::privacy::RetentionRow>| {
            rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
        };
        let mut both = vec![closed.clone(), held.clone()];
        both.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        assert_eq!(
            listed(
                app.store
                    .retention_candidates(&["acme".into()], "")
                    .await
                    .unwrap()
            ),
            both
        );
        for projects in [vec![], vec!["another".to_owned()]] {
            assert!(
                app.store
                    .retention_candidates(&projects, "")
                    .await
                    .unwrap()
                    .is_empty(),
                "{projects:?}"
            );
        }
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Admin, &[]).await;
        assert!(
            alice
                .get("/team/privacy")
                .await
                .text()
                .contains("Nothing due.")
        );

        let day = 24 * 3600;
        app.clock.advance_seconds(179 * day);
        assert!(uses.apply_retention().await.unwrap().is_empty(), "not yet");
        let due = uses.due_for_erasure(&admin).await.unwrap();
        assert!(
            due.iter()
                .any(|d| d.id == closed && d.what == Erasure::Contact && d.held_until.is_none()),
            "{due:?}"
        );
        assert!(
            due.iter().any(|d| d.id == held && d.held_until.is_some()),
            "{due:?}"
        );
        assert!(!due.iter().any(|d| d.id == open), "open reports are kept");
        app.clock.advance_seconds(day);
        // The statistics' window moves with the clock: compared at one moment, around each run.
        let stats = app.get("/stats").await.text();
        assert_eq!(
            uses.apply_retention().await.unwrap(),
            vec![(closed.clone(), Erasure::Contact)]
        );
        assert_eq!(app.get("/stats").await.text(), stats, "/stats unchanged");
        assert!(
            uses.apply_retention().await.unwrap().is_empty(),
            "a second run finds nothing"
        );
        let view = app.store.team_view(&closed, "t", uses.now()).await.unwrap();
        assert_eq!(view.submission.contact_email, None);
        assert!(
            view.submission
                .fields
                .iter()
                .any(|(_, v)| v.contains(CANARY)),
            "contents kept longer"
        );

        app.clock.advance_seconds(186 * day);
        let stats = app.get("/stats").await.text();
        assert_eq!(
            uses.apply_retention().await.unwrap(),
            vec![(closed.clone(), Erasure::Contents)]
        );
        let view = app.store.team_view(&closed, "t", uses.now()).await.unwrap();
        assert!(!format!("{:?}", view.submission).contains(CANARY));
        for untouched in [&held, &open] {
            let view = app
                .store
                .team_view(untouched, "t", uses.now())
                .await
                .unwrap();
            assert!(
                view.submission
                    .contact_email
                    .as_deref()
                    .unwrap()
                    .contains(CANARY),
                "{}",
                app.backend
            );
            assert_eq!(view.privacy.contact_erased_at, None);
        }
        let events = app.store.report_events(&closed).await.unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.action == "report.erased" && e.actor == "system")
        );
        assert!(app.store.verify_audit().await.is_ok());
        assert_eq!(app.get("/stats").await.text(), stats, "/stats unchanged");
    }
}

/// The privacy notice is rendered from the policy and linked from the form, /track and the
/// navigation of every public page.
#[tokio::test]
async fn the_privacy_notice_is_served_from_the_policy_and_linked() {
    let app = TestApp::new(vec![support::project("Acme", RETAINED)]).await;
    let notice = app.get("/privacy").await;
    assert_eq!(notice.status, StatusCode::OK);
    let html = notice.text();
    assert!(
        html.contains("for 180 days after we close your report"),
        "{html}"
    );
    assert!(html.contains("for 365 days after we close it"), "{html}");
    assert!(html.contains("We do not store your IP address."), "{html}");
    assert!(html.contains("erasure-requests"), "{html}");
    for page in ["/report", "/track", "/stats"] {
        assert!(
            app.get(page).await.text().contains("href=\"/privacy\""),
            "{page}"
        );
    }
    let silent = TestApp::new(vec![acme()])
        .await
        .get("/privacy")
        .await
        .text();
    assert!(silent.contains("sets no retention period"), "{silent}");
}
