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
