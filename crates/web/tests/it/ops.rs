//! What operators read: /readyz, /audit/checkpoint (public), and /metrics on the metrics
//! listener only, with routes labelled by their templates (never an id or a key).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::json;
use tower::ServiceExt as _;

use crate::support::{TestApp, project};

async fn scrape(app: &TestApp) -> String {
    let response = app
        .metrics
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

fn report() -> serde_json::Value {
    json!({"fields": {
        "title": "SQL injection in search",
        "description": "A quote breaks the query.",
        "impact": "Data exposure",
        "steps_to_reproduce": "1. search for '",
    }})
}

#[tokio::test]
async fn readyz_says_ready_once_the_database_is_migrated() {
    for app in TestApp::all(vec![project("Acme", "")], Default::default()).await {
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK, "{}", app.backend);
        assert_eq!(ready.text(), "ready\n");
        assert_eq!(ready.headers["cache-control"], "no-store");
        assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn the_audit_checkpoint_is_public_and_follows_the_log() {
    for app in TestApp::all(vec![project("Acme", "")], Default::default()).await {
        let empty = app.get("/audit/checkpoint").await;
        assert_eq!(empty.status, StatusCode::OK);
        let empty = postern_core::audit::Checkpoint::from_json(&empty.text()).unwrap();
        assert_eq!(empty.events, 0);
        let created = app.post_json("/api/v1/reports", &report(), None).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let reply = app.get("/audit/checkpoint").await;
        let checkpoint = postern_core::audit::Checkpoint::from_json(&reply.text()).unwrap();
        let (events, head) = app.store.verify_audit().await.unwrap();
        assert_eq!((checkpoint.events, checkpoint.head), (events, head));
        assert!(events >= 1, "{}", app.backend);
        assert_eq!(checkpoint.at, app.uses.now());
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_only_on_their_own_listener() {
    let promise = "[response]\nacknowledge = \"48 hours\"\n";
    for app in TestApp::all(vec![project("Acme", promise)], Default::default()).await {
        let created = app.post_json("/api/v1/reports", &report(), None).await;
        assert_eq!(created.status, StatusCode::CREATED);
        let created = created.json();
        let (id, key) = (
            created["id"].as_str().unwrap(),
            created["case_key"].as_str().unwrap(),
        );
        let request = Request::get(format!("/api/v1/reports/{id}"))
            .header("authorization", format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(request).await.status, StatusCode::OK);
        assert_eq!(
            app.get("/no/such/page-with-a-secret-in-its-path")
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // Not on the public listener.
        assert_eq!(app.get("/metrics").await.status, StatusCode::NOT_FOUND);

        let text = scrape(&app).await;
        for line in [
            "postern_http_requests_total{route=\"/api/v1/reports\",method=\"POST\",status=\"201\"} 1",
            "postern_http_requests_total{route=\"/api/v1/reports/{id}\",method=\"GET\",status=\"200\"} 1",
            "postern_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 2",
            "postern_http_request_duration_seconds_bucket{route=\"/api/v1/reports/{id}\",le=\"+Inf\"} 1",
            "postern_http_request_duration_seconds_count{route=\"/api/v1/reports\"} 1",
            "postern_reports_received_total 1",
            "postern_jobs{state=\"dead\"} 0",
            "postern_reports_due{when=\"past\"} 0",
            "postern_reports_due{when=\"soon\"} 0",
            "postern_mail_ingest_errors_total 0",
            "postern_up 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{}: no {line:?} in\n{text}",
                app.backend
            );
        }
        for secret in [id, key, "secret-in-its-path"] {
            assert!(!text.contains(secret), "a label holds {secret:?}");
        }
        // Every sample line is `name{labels} value` or `name value`, as Prometheus reads them.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
        // The acknowledgement's limit (48 hours) comes near, then passes.
        app.clock.advance_seconds(30 * 3600);
        let text = scrape(&app).await;
        assert!(
            text.contains("postern_reports_due{when=\"soon\"} 1"),
            "{text}"
        );
        app.clock.advance_seconds(20 * 3600);
        let text = scrape(&app).await;
        assert!(
            text.contains("postern_reports_due{when=\"past\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("postern_reports_due{when=\"soon\"} 0"),
            "{text}"
        );
    }
}
