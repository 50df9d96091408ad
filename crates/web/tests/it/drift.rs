//! One action, one answer: the same scenario through every way in (the report form and the
//! tracking pages, the JSON API, the team's pages, and the use cases the terminal commands
//! call) is refused or done alike, on both databases. These are the cases where the copies of
//! a flow had drifted apart before the use-case layer.

use crate::support;
use crate::team::{acme, set_up, submit};

use axum::http::StatusCode;
use postern_app::Actor;
use postern_app::advisory::PastMoment;
use postern_app::case::Seen;
use postern_core::case::{Action, Closing, Rating};
use postern_core::lifecycle::Closure;
use postern_core::report::ReportId;
use postern_store::team::Role;
use postern_web::IntakeLimits;
use serde_json::json;
use support::{Browser, TestApp, form_token, hidden, project};

/// A project that ships a package, so that advisories can be drafted for it.
fn shipping() -> postern_web::Project {
    project(
        "Acme",
        r#"
[[products]]
name = "acme"
ecosystem = "PyPI"
package = "acme"

[[scope.in]]
category = "rce"
title = "Remote code execution"
"#,
    )
}

/// What the terminal commands act as.
fn operator() -> Actor {
    Actor::operator("cli:test")
}

fn report_id(text: &str) -> ReportId {
    ReportId::parse(text).unwrap()
}

/// Limits that let a test send the report form at once.
fn quick_forms() -> IntakeLimits {
    IntakeLimits {
        form_seconds_min: 0,
        ..IntakeLimits::default()
    }
}

/// The text of a page with its HTML entities for quotes undone, to compare with plain text.
fn unescaped(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
}

#[tokio::test]
async fn a_date_proposed_for_a_closed_report_is_refused_by_the_form_and_the_api_alike() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let (id, key) = submit(&app, "Closed before any date was agreed").await;
        app.uses
            .act_on_report(
                &operator(),
                &report_id(&id),
                Seen::Current,
                Action::Close(Closing {
                    closure: Closure::Informative,
                    duplicate_of: None,
                    scope_category: None,
                }),
                None,
            )
            .await
            .unwrap();
        let api = app
            .post_json(
                &format!("/api/v1/reports/{id}/disclosure-requests"),
                &json!({"date": "2026-12-20", "reason": "a talk"}),
                Some(&key),
            )
            .await;
        assert_eq!(
            api.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        let error = api.json();
        assert_eq!(error["fields"][0]["field"], "date");
        let words = error["fields"][0]["message"].as_str().unwrap().to_owned();
        assert!(words.contains("disclosed or closed"), "{words}");

        let form = app
            .post_form(
                "/track/disclosure",
                &[
                    ("case_key", &key),
                    ("date", "2026-12-20"),
                    ("reason", "a talk"),
                ],
            )
            .await;
        assert_eq!(
            form.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            form.text()
        );
        assert!(unescaped(&form.text()).contains(&words), "{}", form.text());

        let terms = app.store.disclosure_terms(&report_id(&id)).await.unwrap();
        assert!(
            terms.requests.is_empty(),
            "nothing was stored on {}",
            app.backend
        );
    }
}

#[tokio::test]
async fn a_date_beyond_the_maximum_embargo_gets_the_same_words_from_the_form_and_the_api() {
    let mut acme = acme();
    acme.policy.disclosure.max_embargo =
        Some(postern_core::policy::parse_time_span("30 days").unwrap());
    for app in TestApp::all(vec![acme.clone()], IntakeLimits::default()).await {
        let (id, key) = submit(&app, "Wants a late date").await;
        let api = app
            .post_json(
                &format!("/api/v1/reports/{id}/disclosure-requests"),
                &json!({"date": "2027-06-01"}),
                Some(&key),
            )
            .await;
        assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
        let words = api.json()["fields"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(words.contains("maximum embargo of 30 days"), "{words}");
        let form = app
            .post_form(
                "/track/disclosure",
                &[("case_key", &key), ("date", "2027-06-01"), ("reason", "")],
            )
            .await;
        assert_eq!(form.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unescaped(&form.text()).contains(&words), "{}", form.text());
    }
}

#[tokio::test]
async fn an_incomplete_report_gets_the_same_field_errors_from_the_form_and_the_api() {
    let app = TestApp::with_limits(vec![project("Acme", "")], quick_forms()).await;
    let api = app
        .post_json(
            "/api/v1/reports",
            &json!({"fields": {"title": "Only a title"}}),
            None,
        )
        .await;
    assert_eq!(
        api.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        api.text()
    );
    let errors = api.json()["fields"].as_array().unwrap().clone();
    assert!(!errors.is_empty());

    let form = app.get("/report").await.text();
    let page = app
        .post_multipart(
            "/report",
            &[
                ("form_token", form_token(&form).as_str()),
                ("field.title", "Only a title"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.text()
    );
    let html = unescaped(&page.text());
    for error in &errors {
        let message = error["message"].as_str().unwrap();
        assert!(
            html.contains(message),
            "the form says {message:?} too: {html}"
        );
    }
    assert_eq!(app.store.count_reports().await.unwrap(), 0);
}

#[tokio::test]
async fn too_many_attachments_are_refused_by_the_form_and_the_api_with_the_same_words() {
    let app = TestApp::with_limits(vec![project("Acme", "")], quick_forms()).await;
    let file = json!({"filename": "a.txt", "content_base64": "eA=="});
    let api = app
        .post_json(
            "/api/v1/reports",
            &json!({
                "fields": {"title": "t", "description": "d"},
                "attachments": [file, file, file, file, file],
            }),
            None,
        )
        .await;
    assert_eq!(
        api.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        api.text()
    );
    let errors = api.json()["fields"].as_array().unwrap().clone();
    let words = errors
        .iter()
        .find(|e| e["field"] == "attachments")
        .and_then(|e| e["message"].as_str())
        .unwrap()
        .to_owned();
    let form = app.get("/report").await.text();
    let files: Vec<(&str, &str, &[u8])> = (0..5)
        .map(|_| ("attachments", "a.txt", b"x".as_slice()))
        .collect();
    let page = app
        .post_multipart(
            "/report",
            &[
                ("form_token", form_token(&form).as_str()),
                ("field.title", "t"),
                ("field.description", "d"),
            ],
            &files,
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.text()
    );
    assert!(unescaped(&page.text()).contains(&words), "{}", page.text());
    assert!(
        page.text()
            .contains("browsers cannot keep files: attach a.txt"),
        "the reporter is told to attach the files again: {}",
        page.text()
    );
    assert_eq!(app.store.count_reports().await.unwrap(), 0);
}

#[tokio::test]
async fn a_team_action_refused_on_the_page_is_refused_with_the_same_words_at_the_terminal() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let (id, _) = submit(&app, "Acknowledged twice").await;
        let id = report_id(&id);
        // The terminal acknowledges first.
        app.uses
            .act_on_report(&operator(), &id, Seen::Current, Action::Acknowledge, None)
            .await
            .unwrap();
        let again = app
            .uses
            .act_on_report(&operator(), &id, Seen::Current, Action::Acknowledge, None)
            .await
            .unwrap_err();
        let words = again.to_string();
        assert!(matches!(again, postern_app::Error::Refused(_)), "{again:?}");
        // A triager on the page tries the same, from a page loaded after the first.
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;
        let page = alice.get(&format!("/team/reports/{id}")).await.text();
        let refused = alice
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &hidden(&page, "csrf")),
                    ("action", "acknowledge"),
                    ("version", &hidden(&page, "version")),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unescaped(&refused.text()).contains(&words), "{words}");
        let acknowledged = app
            .store
            .report_events(&id)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == "report.acknowledged")
            .count();
        assert_eq!(acknowledged, 1, "on {}", app.backend);
    }
}

/// A report accepted by the terminal, ready for an advisory.
async fn accepted(app: &TestApp, title: &str) -> (ReportId, String) {
    let (id, key) = submit(app, title).await;
    let id = report_id(&id);
    app.uses
        .act_on_report(
            &operator(),
            &id,
            Seen::Current,
            Action::Accept(Rating {
                cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
                severity: None,
                reason: None,
            }),
            None,
        )
        .await
        .unwrap();
    (id, key)
}

#[tokio::test]
async fn drafts_made_at_once_from_the_terminal_and_the_pages_all_survive_with_distinct_numbers() {
    for app in TestApp::all(vec![shipping()], IntakeLimits::default()).await {
        let (id, _) = accepted(&app, "Drafted from two places").await;
        let (member, _) = app
            .store
            .create_user(
                "bob@example.org",
                Role::Triager,
                &[],
                "test",
                support::now(),
            )
            .await
            .unwrap();
        let member = Actor::member(&member);
        let terminal = operator();
        let drafts = futures_join((0..4).map(|i| {
            let uses = app.uses.clone();
            let actor = if i % 2 == 0 {
                terminal.clone()
            } else {
                member.clone()
            };
            let id = id.clone();
            async move { uses.draft_advisory_from_report(&actor, &id).await }
        }))
        .await;
        let mut numbers: Vec<String> = drafts
            .into_iter()
            .map(|d| d.unwrap().id.to_string())
            .collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 4, "{numbers:?} on {}", app.backend);
        for number in &numbers {
            let stored = app
                .store
                .advisory(&postern_core::advisory::AdvisoryId::parse(number).unwrap())
                .await
                .unwrap();
            assert!(stored.is_some(), "{number} survives");
        }
    }
}

/// Runs futures as tasks at once and returns their results in order.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test]
async fn a_publication_is_one_transaction_whoever_publishes_and_tells_the_reporter_once() {
    for app in TestApp::all(vec![shipping()], IntakeLimits::default()).await {
        let (id, key) = accepted(&app, "Published from two places at once").await;
        let draft = app
            .uses
            .draft_advisory_from_report(&operator(), &id)
            .await
            .unwrap();
        let (member, _) = app
            .store
            .create_user(
                "carol@example.org",
                Role::Triager,
                &[],
                "test",
                support::now(),
            )
            .await
            .unwrap();
        let member = Actor::member(&member);
        let terminal = operator();
        let outcomes = futures_join([terminal, member].into_iter().map(|actor| {
            let uses = app.uses.clone();
            let advisory = draft.id.clone();
            async move { uses.publish_advisory(&actor, &advisory, None).await }
        }))
        .await;
        let published = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(published, 1, "{outcomes:?} on {}", app.backend);
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Err(postern_app::Error::Conflict(_)))),
            "{outcomes:?}"
        );
        let stored = app.store.advisory(&draft.id).await.unwrap().unwrap();
        assert!(stored.published_at.is_some());
        assert_eq!(stored.advisory.published, stored.published_at);
        let events = app.store.report_events(&id).await.unwrap();
        let count = |action: &str| events.iter().filter(|e| e.action == action).count();
        assert_eq!(count("advisory.published"), 1);
        assert_eq!(count("reporter.notified"), 1);
        let view = app
            .uses
            .reporter_view(
                Some(&id),
                &postern_core::report::CaseKey::parse(&key).unwrap(),
            )
            .await
            .unwrap();
        let told: Vec<_> = view
            .messages
            .iter()
            .filter(|m| m.body.contains("is public"))
            .collect();
        assert_eq!(told.len(), 1, "on {}", app.backend);
        assert!(
            told[0]
                .body
                .contains(&format!("https://sec.example.org/advisories/{}", draft.id)),
            "{}",
            told[0].body
        );
        // Scheduling what is published is refused the same way from every entry point.
        let again = app
            .uses
            .schedule_advisory(&operator(), &draft.id, None, PastMoment::Allowed)
            .await
            .unwrap_err();
        assert!(again.to_string().contains("published already"), "{again}");
    }
}
