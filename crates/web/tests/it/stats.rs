//! `/stats` on both databases: real figures from acknowledged reports, withheld below three.

use crate::support;

use postern_core::case::{Action, apply};
use postern_core::intake::ValidSubmission;
use postern_web::IntakeLimits;
use support::{TestApp, now, project};

#[tokio::test]
async fn stats_show_real_figures_and_withhold_small_ones() {
    let acme = project(
        "Acme",
        "[response]\ntime_zone = \"UTC\"\nacknowledge = \"48 hours\"\n",
    );
    let policy = acme.policy.clone();
    for app in TestApp::all(vec![acme.clone()], IntakeLimits::default()).await {
        let before = app.get("/stats").await.text();
        assert!(before.contains("0 reports received"), "{before}");
        // Acknowledged after 2, 10 and 60 hours: median 10 h, one of three late.
        for (i, hours) in [2i64, 10, 60].into_iter().enumerate() {
            let received = now() - jiff::SignedDuration::from_hours(100 + i as i64);
            let case = postern_core::case::Case::received(&policy, received);
            let submission = ValidSubmission {
                fields: vec![("title".into(), format!("bug {i}"))],
                scope_category: None,
                contact_email: None,
                credit_name: None,
            };
            let (id, _) = app
                .store
                .create_case_report("acme", &submission, &[], received, &case.clocks)
                .await
                .unwrap();
            let row = app.store.case_row(&id).await.unwrap();
            let at = received + jiff::SignedDuration::from_hours(hours);
            let applied = apply(&row.case, &Action::Acknowledge, &policy, at).unwrap();
            app.store
                .record_case_change(&id, row.version, &applied, None, "alice@example.org", at)
                .await
                .unwrap();
        }
        let html = app.get("/stats").await.text();
        assert!(html.contains("3 reports received"), "{html}");
        assert!(
            html.contains("<td>acknowledge</td><td>3</td><td>10 h 0 min</td><td>2 days 12 h</td>"),
            "{html}"
        );
        assert!(
            html.contains("<td>acknowledge the report</td><td>3</td><td>1</td><td>67 %</td>"),
            "{html}"
        );
        assert!(!html.contains("bug 0"), "no report contents");
    }
}

#[tokio::test]
async fn the_window_includes_its_start_and_a_broken_promise_counts_as_missed() {
    let acme = project(
        "Acme",
        "[response]\ntime_zone = \"UTC\"\nacknowledge = \"48 hours\"\n",
    );
    let policy = acme.policy.clone();
    let start = postern_core::stats::window_start(now());
    for app in TestApp::all(vec![acme.clone()], IntakeLimits::default()).await {
        // Received exactly at the window's start, a millisecond before it, and three in it
        // that nobody ever acknowledged: their 48 hours have long passed.
        let received = [
            start,
            start - jiff::SignedDuration::from_millis(1),
            now() - jiff::SignedDuration::from_hours(100),
            now() - jiff::SignedDuration::from_hours(101),
        ];
        for (i, at) in received.into_iter().enumerate() {
            let case = postern_core::case::Case::received(&policy, at);
            let submission = ValidSubmission {
                fields: vec![("title".into(), format!("bug {i}"))],
                scope_category: None,
                contact_email: None,
                credit_name: None,
            };
            app.store
                .create_case_report("acme", &submission, &[], at, &case.clocks)
                .await
                .unwrap();
        }
        let html = app.get("/stats").await.text();
        assert!(html.contains("3 reports received"), "{html}");
        assert!(
            html.contains("<td>acknowledge the report</td><td>3</td><td>3</td><td>0 %</td>"),
            "never acknowledged and past the limit: missed\n{html}"
        );
        assert!(
            html.contains("from 2025-11-23 00:00 UTC (included) to 2026-11-23 10:00 UTC"),
            "{html}"
        );
        for method in [
            "the mean of the two middle times",
            "whether or not the policy promised a time for it",
            "its limit has passed and it has still not been kept",
        ] {
            assert!(html.contains(method), "states `{method}`:\n{html}");
        }
    }
}
