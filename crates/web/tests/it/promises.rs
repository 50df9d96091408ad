//! Promises as the policy writes them, end to end on both databases: an untimed promise runs as
//! a clock the reporter and the team see with its age and that /stats counts as a time only;
//! a deadline counted from receipt or acknowledgement gives its target and limit to the API,
//! whose deadlines are exactly what the OpenAPI document describes.

use crate::support;
use crate::team::{set_up, submit};

use jiff::SignedDuration;
use postern_core::case::{Action, Rating, apply};
use postern_core::policy::Severity;
use postern_store::team::Role;
use postern_web::IntakeLimits;
use support::{Browser, TestApp, now, project};

fn acme() -> postern_web::Project {
    project(
        "Acme",
        r#"
[response]
time_zone = "UTC"
acknowledge = { untimed = true, says = "within a reasonable time" }
plan = { within = "1-2 weeks", starts = "acknowledgement" }

[severity.high]
fix = { within = "30 days", starts = "receipt" }

[[scope.in]]
category = "rce"
title = "Remote code execution"
"#,
    )
}

/// Applies a team action as the pages and the terminal do, through the core and the store.
async fn act(app: &TestApp, id: &str, action: Action, at: jiff::Timestamp) {
    let id = postern_core::report::ReportId::parse(id).unwrap();
    let row = app.store.case_row(&id).await.unwrap();
    let applied = apply(&row.case, &action, &acme().policy, at).unwrap();
    app.store
        .record_case_change(&id, row.version, &applied, None, "alice@example.org", at)
        .await
        .unwrap();
}

fn deadline<'a>(view: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    view["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} deadline in {view}"))
}

#[tokio::test]
async fn an_untimed_promise_runs_shows_its_age_and_deadlines_count_from_their_event() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let (id, key) = submit(&app, "RCE in the importer").await;
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &key)
            .await
            .json();
        // Only the acknowledgement runs at receipt: the plan counts from it.
        assert_eq!(view["deadlines"].as_array().unwrap().len(), 1, "{view}");
        assert_eq!(
            view["deadlines"][0],
            serde_json::json!({
                "kind": "acknowledge",
                "description": "acknowledge your report",
                "promised": "within a reasonable time",
                "starts": "receipt",
                "started_at": "2026-11-23T10:00:00.000Z",
                "target": null,
                "due": null,
                "status": "open",
                "resolved_at": null,
            })
        );

        // Two days on, the reporter sees how long it has been waiting, in the policy's words.
        app.clock.advance_seconds(2 * 86_400);
        let page = app.post_form("/track", &[("case_key", &key)]).await.text();
        assert!(
            page.contains(
                "acknowledge your report: <strong>within a reasonable time</strong> (waiting 2 days 0 h so far)"
            ),
            "{page}"
        );

        // Acknowledged after 3 days, accepted as high after 5.
        let received = now();
        act(
            &app,
            &id,
            Action::Acknowledge,
            received + SignedDuration::from_hours(72),
        )
        .await;
        let accept = Action::Accept(Rating {
            severity: Some(Severity::High),
            ..Rating::default()
        });
        act(
            &app,
            &id,
            accept,
            received + SignedDuration::from_hours(120),
        )
        .await;
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &key)
            .await
            .json();
        let ack = deadline(&view, "acknowledge");
        assert_eq!(ack["status"], "kept", "never met or missed: {ack}");
        assert_eq!(ack["resolved_at"], "2026-11-26T10:00:00.000Z");
        let plan = deadline(&view, "plan");
        assert_eq!(plan["starts"], "acknowledgement");
        assert_eq!(plan["started_at"], "2026-11-26T10:00:00.000Z");
        assert_eq!(plan["target"], "2026-12-03T10:00:00.000Z");
        assert_eq!(plan["due"], "2026-12-10T10:00:00.000Z");
        // The fix is known at triage but counted from receipt.
        let fix = deadline(&view, "fix");
        assert_eq!(fix["starts"], "receipt");
        assert_eq!(fix["started_at"], "2026-11-23T10:00:00.000Z");
        assert_eq!(fix["due"], "2026-12-23T10:00:00.000Z");

        let page = app.post_form("/track", &[("case_key", &key)]).await.text();
        assert!(
            page.contains("Done: acknowledge your report <strong>after 3 days 0 h</strong>"),
            "{page}"
        );
        assert!(
            page.contains("send a detailed plan by <strong>2026-12-10 10:00 UTC</strong>, aiming for 2026-12-03 10:00 UTC, counted from the team&#39;s first answer (2026-11-26 10:00 UTC)"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn the_team_sees_where_each_clock_starts_and_an_untimed_ones_age() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;
        let (id, _) = submit(&app, "RCE in the importer").await;
        let page = alice.get(&format!("/team/reports/{id}")).await.text();
        assert!(
            page.contains("<td>acknowledge the report</td><td>within a reasonable time</td><td>receipt, 2026-11-23 10:00 UTC</td><td>no set time</td><td>no set time</td><td>running for 0 min</td>"),
            "{page}"
        );
        act(
            &app,
            &id,
            Action::Acknowledge,
            now() + SignedDuration::from_hours(72),
        )
        .await;
        let accept = Action::Accept(Rating {
            severity: Some(Severity::High),
            ..Rating::default()
        });
        act(&app, &id, accept, now() + SignedDuration::from_hours(120)).await;
        let page = alice.get(&format!("/team/reports/{id}")).await.text();
        assert!(
            page.contains("<td>acknowledge the report</td><td>within a reasonable time</td><td>receipt, 2026-11-23 10:00 UTC</td><td>no set time</td><td>no set time</td><td>kept after 3 days 0 h at 2026-11-26 10:00 UTC</td>"),
            "{page}"
        );
        assert!(
            page.contains("<td>have a fix ready</td><td>30 days</td><td>receipt, 2026-11-23 10:00 UTC</td><td>2026-12-23 10:00 UTC</td><td>2026-12-23 10:00 UTC</td>"),
            "{page}"
        );
        assert!(
            page.contains("<td>send a detailed plan</td><td>1-2 weeks</td><td>acknowledgement, 2026-11-26 10:00 UTC</td><td>2026-12-03 10:00 UTC</td><td>2026-12-10 10:00 UTC</td>"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn the_api_deadlines_are_exactly_what_the_openapi_document_describes() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let doc = app.get("/api/openapi.json").await.json();
        let schema = &doc["components"]["schemas"]["Deadline"];
        let mut described: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        described.sort_unstable();
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        required.sort_unstable();
        assert_eq!(required, described, "every field is always written");
        let (id, key) = submit(&app, "RCE in the importer").await;
        act(&app, &id, Action::Acknowledge, now()).await;
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &key)
            .await
            .json();
        let statuses = schema["properties"]["status"]["enum"].as_array().unwrap();
        let starts = schema["properties"]["starts"]["enum"].as_array().unwrap();
        for d in view["deadlines"].as_array().unwrap() {
            let mut written: Vec<&str> =
                d.as_object().unwrap().keys().map(String::as_str).collect();
            written.sort_unstable();
            assert_eq!(written, described, "{d}");
            assert!(statuses.contains(&d["status"]), "{d}");
            assert!(starts.contains(&d["starts"]), "{d}");
        }
    }
}

#[tokio::test]
async fn stats_count_an_untimed_promise_as_a_time_without_a_share() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        for (i, hours) in [2i64, 10, 60].into_iter().enumerate() {
            let (id, _) = submit(&app, &format!("bug {i}")).await;
            act(
                &app,
                &id,
                Action::Acknowledge,
                now() + SignedDuration::from_hours(hours),
            )
            .await;
        }
        app.clock.advance_seconds(4 * 86_400);
        let html = app.get("/stats").await.text();
        assert!(html.contains("Promises with no set time"), "{html}");
        assert!(
            html.contains(
                "<td>acknowledge the report</td><td>3</td><td>10 h 0 min</td><td>2 days 12 h</td>"
            ),
            "{html}"
        );
        assert!(
            !html.contains("<td>acknowledge the report</td><td>3</td><td>0</td>"),
            "no met share for a promise with no time: {html}"
        );
    }
}
