//! Private intake, driven in-process: the JSON API, the report form and the tracking pages, on a
//! real SQLite store with a clock the tests move.

use crate::support;

use std::num::NonZeroU32;

use axum::http::{StatusCode, header};
use serde_json::json;
use support::{TestApp, form_token, project, shown_case_key};

const POLICY: &str = r#"
[response]
time_zone = "Europe/Berlin"
acknowledge = "1 business day"
assess = "3 business days"

[[scope.in]]
category = "rce"
title = "Remote code execution"
"#;

/// The app on every database under test.
async fn apps() -> Vec<TestApp> {
    TestApp::all(
        vec![project("Acme", POLICY), project("Beta", "")],
        Default::default(),
    )
    .await
}

fn report() -> serde_json::Value {
    json!({
        "fields": {
            "title": "RCE in the importer",
            "description": "A crafted archive runs code.",
            "impact": "Full compromise",
            "steps_to_reproduce": "1. import poc.zip",
        },
        "scope_category": "rce",
        "contact_email": "alice@example.org",
        "credit_name": "Alice",
        "attachments": [{ "filename": "../poc.html", "content_type": "text/html", "content_base64": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==" }]
    })
}

#[tokio::test]
async fn a_report_submitted_by_api_is_readable_only_with_its_case_key() {
    for app in apps().await {
        let created = app.post_json("/api/v1/reports", &report(), None).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        assert_eq!(created.headers[header::CACHE_CONTROL], "no-store");
        let body = created.json();
        let id = body["id"].as_str().unwrap().to_owned();
        let key = body["case_key"].as_str().unwrap().to_owned();
        assert!(key.starts_with("pk-") && key.len() == 3 + 32 + 7, "{key}");
        assert_eq!(
            created.headers[header::LOCATION],
            format!("/api/v1/reports/{id}")
        );
        assert!(
            !created.headers[header::LOCATION]
                .to_str()
                .unwrap()
                .contains(&key[3..7])
        );
        // Monday 2026-11-23 11:00 Berlin: one business day later.
        assert_eq!(
            body["deadlines"][0],
            json!({
                "kind": "acknowledge",
                "description": "acknowledge your report",
                "promised": "1 business day",
                "starts": "receipt",
                "started_at": "2026-11-23T10:00:00.000Z",
                "target": "2026-11-24T10:00:00.000Z",
                "due": "2026-11-24T10:00:00.000Z",
                "status": "open",
                "resolved_at": null,
            })
        );
        assert_eq!(body["deadlines"][1]["due"], "2026-11-26T10:00:00.000Z");

        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &key)
            .await;
        assert_eq!(view.status, StatusCode::OK);
        let view = view.json();
        assert_eq!(view["status"], "received");
        assert_eq!(view["fields"]["title"], "RCE in the importer");
        assert_eq!(view["credit_name"], "Alice");
        assert_eq!(view["attachments"][0]["filename"], "poc.html");

        // Any other key, a missing report, no key: the same 404.
        let wrong = app
            .get_with_key(
                &format!("/api/v1/reports/{id}"),
                "pk-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa",
            )
            .await;
        let missing = app
            .get_with_key("/api/v1/reports/aaaaaaaaaaaaaaaaaaaaaaaaaa", &key)
            .await;
        let garbage = app
            .get_with_key(&format!("/api/v1/reports/{id}"), "letmein")
            .await;
        let none = app.get(&format!("/api/v1/reports/{id}")).await;
        for reply in [&wrong, &missing, &garbage, &none] {
            assert_eq!(reply.status, StatusCode::NOT_FOUND);
            assert_eq!(reply.body, wrong.body, "indistinguishable");
        }
    }
}

#[tokio::test]
async fn reporters_talk_to_the_team_and_add_attachments() {
    for app in apps().await {
        let body = app
            .post_json("/api/v1/reports", &report(), None)
            .await
            .json();
        let (id, key) = (
            body["id"].as_str().unwrap(),
            body["case_key"].as_str().unwrap(),
        );
        let sent = app
            .post_json(
                &format!("/api/v1/reports/{id}/messages"),
                &json!({"body": "Any news?"}),
                Some(key),
            )
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text());
        let empty = app
            .post_json(
                &format!("/api/v1/reports/{id}/messages"),
                &json!({"body": "  "}),
                Some(key),
            )
            .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        app.clock.advance_seconds(60);
        let added = app
            .post_json(
                &format!("/api/v1/reports/{id}/attachments"),
                &json!({"attachments": [{"filename": "log.txt", "content_base64": "aGVsbG8="}]}),
                Some(key),
            )
            .await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), key)
            .await
            .json();
        assert_eq!(view["messages"][0]["body"], "Any news?");
        assert_eq!(view["messages"][0]["author"], "reporter");
        assert_eq!(view["attachments"].as_array().unwrap().len(), 2);
        let attachment = view["attachments"][0]["id"].as_str().unwrap();
        let download = app
            .get_with_key(
                &format!("/api/v1/reports/{id}/attachments/{attachment}"),
                key,
            )
            .await;
        assert_eq!(download.status, StatusCode::OK);
        assert_eq!(
            download.headers[header::CONTENT_TYPE],
            "application/octet-stream"
        );
        assert_eq!(
            download.headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"poc.html\""
        );
        assert_eq!(download.body, b"<script>alert(1)</script>");
    }
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_nothing_is_stored() {
    for app in apps().await {
        let missing = app
            .post_json("/api/v1/reports", &json!({"fields": {"title": "x"}}), None)
            .await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = missing.json()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["description", "impact", "steps_to_reproduce"]);

        let unknown = app
            .post_json(
                "/api/v1/reports",
                &json!({"project": "gamma", "fields": {}}),
                None,
            )
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            unknown.json()["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("unknown project \"gamma\"; this server has: acme, beta")
        );

        let malformed = app
            .send(
                axum::http::Request::post("/api/v1/reports")
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from("{\"fields\": {\n  \"title\": }"))
                    .unwrap(),
            )
            .await;
        assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
        assert!(
            malformed.json()["error"]
                .as_str()
                .unwrap()
                .contains("line 2 column"),
            "{}",
            malformed.text()
        );

        let not_utf8 = app
            .send(
                axum::http::Request::post("/api/v1/reports")
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(vec![b'{', 0xFF, b'}']))
                    .unwrap(),
            )
            .await;
        assert_eq!(not_utf8.status, StatusCode::BAD_REQUEST);
        assert!(not_utf8.text().contains("not valid UTF-8"));

        let form_type = app
            .send(
                axum::http::Request::post("/api/v1/reports")
                    .header("content-type", "text/plain")
                    .body(axum::body::Body::from(report().to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(form_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

        let mut many = report();
        many["attachments"] = json!(vec![
            json!({"filename": "a", "content_base64": "YQ=="});
            postern_web::ATTACHMENTS_PER_REQUEST_MAX + 1
        ]);
        assert_eq!(
            app.post_json("/api/v1/reports", &many, None).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let mut bad64 = report();
        bad64["attachments"][0]["content_base64"] = json!("***");
        let bad64 = app.post_json("/api/v1/reports", &bad64, None).await;
        assert_eq!(
            bad64.json()["fields"][0]["field"],
            "attachments[0].content_base64"
        );

        let mut huge = report();
        huge["fields"]["description"] = json!("a".repeat(postern_web::SUBMISSION_BODY_BYTES_MAX));
        let huge = app.post_json("/api/v1/reports", &huge, None).await;
        assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            huge.json()["error"]
                .as_str()
                .unwrap()
                .contains("24 MiB limit"),
            "{}",
            huge.text()
        );

        let extra = app
            .post_json(
                "/api/v1/reports",
                &json!({"fields": {}, "admin": true}),
                None,
            )
            .await;
        assert_eq!(extra.status, StatusCode::BAD_REQUEST);
        assert!(extra.text().contains("unknown field `admin`"));

        assert_eq!(
            app.store.count_reports().await.unwrap(),
            0,
            "nothing half-stored"
        );
    }
}

#[tokio::test]
async fn submissions_are_rate_limited_per_client() {
    let limits = postern_web::IntakeLimits {
        submissions_per_hour: NonZeroU32::new(2).unwrap(),
        submission_burst: NonZeroU32::new(2).unwrap(),
        ..Default::default()
    };
    for app in TestApp::all(vec![project("Acme", POLICY)], limits).await {
        for _ in 0..2 {
            assert_eq!(
                app.post_json("/api/v1/reports", &report(), None)
                    .await
                    .status,
                StatusCode::CREATED
            );
        }
        let limited = app.post_json("/api/v1/reports", &report(), None).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = limited.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=1800).contains(&retry), "{retry}");
        let page = app
            .post_multipart("/report", &[("form_token", "x")], &[])
            .await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.text().contains("Please wait"));
    }
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_api_routes() {
    for app in apps().await {
        let doc = app.get("/api/openapi.json").await.json();
        let mut described: Vec<String> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                described.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        described.sort();
        let expected = [
            "GET /api/v1/reports/{id}",
            "GET /api/v1/reports/{id}/attachments/{attachment}",
            "GET /api/v1/reports/{id}/export",
            "POST /api/v1/projects/{slug}/scans",
            "POST /api/v1/reports",
            "POST /api/v1/reports/{id}/attachments",
            "POST /api/v1/reports/{id}/disclosure-requests",
            "POST /api/v1/reports/{id}/erasure-requests",
            "POST /api/v1/reports/{id}/messages",
        ];
        assert_eq!(described, expected);
        // Each described route exists: it answers JSON, never the HTML fallback.
        for entry in expected {
            let (method, path) = entry.split_once(' ').unwrap();
            let path = path
                .replace("{id}", "aaaaaaaaaaaaaaaaaaaaaaaaaa")
                .replace("{attachment}", "x")
                .replace("{slug}", "acme");
            let request = axum::http::Request::builder()
                .method(method)
                .uri(&path)
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{}"))
                .unwrap();
            let reply = app.send(request).await;
            assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{entry}");
            assert!(
                reply.headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("application/json"),
                "{entry}: {}",
                reply.text()
            );
        }
    }
}

#[tokio::test]
async fn the_form_works_without_javascript_from_form_to_tracking() {
    for app in apps().await {
        let form = app.get("/report").await;
        assert_eq!(form.status, StatusCode::OK);
        assert_eq!(form.headers[header::CACHE_CONTROL], "no-store");
        let html = form.text();
        assert!(!html.contains("<script"));
        for label in [
            "<label for=\"title\">Title",
            "<label for=\"description\">Description",
            "<label for=\"contact_email\">Email",
            "<label for=\"credit_name\">Name to credit",
            "<option value=\"rce\">Remote code execution</option>",
        ] {
            assert!(html.contains(label), "missing {label}");
        }
        let token = form_token(&html);
        let texts = [
            ("form_token", token.as_str()),
            ("field.title", "SQL injection in search"),
            ("field.description", "The q parameter is concatenated."),
            ("field.impact", "Read every row"),
            ("field.steps_to_reproduce", "GET /search?q='"),
            ("scope", "rce"),
            ("contact_email", "alice@example.org"),
            ("credit_name", ""),
            ("website", ""),
        ];
        // Sent at once: too fast for a person. The text is kept.
        let fast = app.post_multipart("/report", &texts, &[]).await;
        assert_eq!(fast.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(fast.text().contains("That was very fast"));
        assert!(fast.text().contains("value=\"SQL injection in search\""));
        assert_eq!(app.store.count_reports().await.unwrap(), 0);

        app.clock.advance_seconds(20);
        let done = app
            .post_multipart(
                "/report",
                &texts,
                &[("attachments", "poc.html", b"<h1>poc</h1>")],
            )
            .await;
        assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());
        assert_eq!(done.headers[header::CACHE_CONTROL], "no-store");
        let html = done.text();
        let key = shown_case_key(&html);
        assert!(html.contains("It is shown only once"));
        // This server sends no mail, so the page promises none.
        assert!(!html.contains("We will email you"), "{html}");
        assert!(
            html.contains("This server sends no mail at the moment"),
            "{html}"
        );
        assert!(html.contains("acknowledge your report by <strong>2026-11-24 11:00 CET (2026-11-24 10:00 UTC)</strong>"), "{html}");
        assert!(
            !html.contains(&format!("href=\"/track?{}", &key[..6])),
            "key never in a link"
        );

        // Tracking: the key is posted, never put in a URL.
        let case = app
            .post_form(
                "/track",
                &[("case_key", &key.to_uppercase().replace('-', " "))],
            )
            .await;
        assert_eq!(case.status, StatusCode::OK);
        assert_eq!(case.headers[header::CACHE_CONTROL], "no-store");
        let html = case.text();
        assert!(html.contains("The q parameter is concatenated."));
        assert!(html.contains("Received: waiting for the team"));
        assert!(html.contains("Download poc.html"));
        let sent = app
            .post_form(
                "/track/message",
                &[("case_key", &key), ("body", "I can also read <b>files</b>")],
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK);
        assert!(
            sent.text()
                .contains("I can also read &#60;b&#62;files&#60;/b&#62;")
                || sent
                    .text()
                    .contains("I can also read &lt;b&gt;files&lt;/b&gt;"),
            "escaped: {}",
            sent.text()
        );

        let view = app
            .store
            .reporter_view(None, &postern_core::report::CaseKey::parse(&key).unwrap())
            .await
            .unwrap();
        let download = app
            .post_form(
                "/track/attachment",
                &[
                    ("case_key", &key),
                    ("attachment_id", &view.attachments[0].id),
                ],
            )
            .await;
        assert_eq!(
            download.headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"poc.html\""
        );
        assert_eq!(
            download.headers[header::CONTENT_TYPE],
            "application/octet-stream"
        );

        let wrong = app
            .post_form(
                "/track",
                &[("case_key", "pk-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa")],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        assert!(wrong.text().contains("No report matches this case key"));
    }
}

#[tokio::test]
async fn form_errors_are_shown_next_to_their_fields() {
    for app in apps().await {
        let token = form_token(&app.get("/projects/beta/report").await.text());
        app.clock.advance_seconds(10);
        let reply = app
            .post_multipart(
                "/projects/beta/report",
                &[
                    ("form_token", &token),
                    ("field.title", "only a title"),
                    ("contact_email", "not-an-address"),
                ],
                &[],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = reply.text();
        assert!(html.contains("Please correct 4 problems"), "{html}");
        assert!(
            html.contains(
                "<p class=\"error\" id=\"description-error\">Description is required</p>"
            )
        );
        assert!(
            html.contains("aria-invalid=\"true\" aria-describedby=\"contact_email-error\"")
                || html.contains("id=\"contact_email-error\"")
        );
        assert!(
            html.contains("value=\"only a title\""),
            "entered text is kept"
        );
        assert_eq!(app.store.count_reports().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn bots_filling_the_honeypot_are_refused() {
    for app in apps().await {
        let token = form_token(&app.get("/report").await.text());
        app.clock.advance_seconds(10);
        let reply = app
            .post_multipart(
                "/report",
                &[
                    ("form_token", &token),
                    ("field.title", "buy now"),
                    ("field.description", "x"),
                    ("field.impact", "x"),
                    ("field.steps_to_reproduce", "x"),
                    ("website", "http://spam.example"),
                ],
                &[],
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(app.store.count_reports().await.unwrap(), 0);
        let forged = app
            .post_multipart(
                "/report",
                &[("form_token", "1.abcd"), ("field.title", "x")],
                &[],
            )
            .await;
        assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(forged.text().contains("This form has expired"));
    }
}

#[tokio::test]
async fn the_form_refuses_oversized_and_non_utf8_submissions_clearly() {
    for app in apps().await {
        let boundary = "b0undary";
        let multipart = |parts: &[(&str, Vec<u8>)]| {
            let mut body = Vec::new();
            for (name, bytes) in parts {
                body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.bin\"\r\n\r\n").as_bytes());
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            axum::http::Request::post("/report")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(axum::body::Body::from(body))
                .unwrap()
        };
        let huge = app
            .send(multipart(&[(
                "attachments",
                vec![b'a'; postern_web::SUBMISSION_BODY_BYTES_MAX + 1],
            )]))
            .await;
        assert_eq!(
            huge.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            app.backend
        );
        assert!(
            huge.text().contains("larger than the 24 MiB limit"),
            "{}",
            huge.text()
        );

        let broken = app
            .send(multipart(&[("field.title", vec![b'a', 0xFF, 0xFE])]))
            .await;
        assert_eq!(broken.status, StatusCode::BAD_REQUEST);
        assert!(
            broken.text().contains("not valid UTF-8"),
            "{}",
            broken.text()
        );

        let wrong_type = app.post_form("/report", &[("field.title", "x")]).await;
        assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
        assert!(wrong_type.text().contains("multipart/form-data"));
        assert_eq!(app.store.count_reports().await.unwrap(), 0);
    }
}

/// Every string of a JSON answer that reads as a moment.
fn moments(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) if text.parse::<jiff::Timestamp>().is_ok() => {
            out.push(text.clone())
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| moments(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| moments(v, out)),
        _ => {}
    }
}

#[track_caller]
fn assert_millisecond_moments(answer: &serde_json::Value, at_least: usize) {
    let mut found = Vec::new();
    moments(answer, &mut found);
    assert!(found.len() >= at_least, "{found:?} in {answer}");
    for moment in found {
        // RFC 3339 in UTC with exactly three fractional digits: 2026-11-23T10:00:00.000Z.
        let shape: String = moment
            .chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect();
        assert_eq!(shape, "9999-99-99T99:99:99.999Z", "{moment} in {answer}");
    }
}

#[tokio::test]
async fn every_moment_the_api_writes_has_millisecond_precision() {
    for app in apps().await {
        let created = app.post_json("/api/v1/reports", &report(), None).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let body = created.json();
        assert_millisecond_moments(&body, 3);
        let id = body["id"].as_str().unwrap().to_owned();
        let key = body["case_key"].as_str().unwrap().to_owned();
        let message = app
            .post_json(
                &format!("/api/v1/reports/{id}/messages"),
                &json!({"body": "One more detail."}),
                Some(&key),
            )
            .await;
        assert_eq!(message.status, StatusCode::CREATED, "{}", message.text());
        assert_millisecond_moments(&message.json(), 1);
        // A proposed moment finer than the store keeps is answered as the store keeps it, and
        // the same before and after it is read back.
        let proposal = app
            .post_json(
                &format!("/api/v1/reports/{id}/disclosure-requests"),
                &json!({"date": "2027-01-15T12:00:00.123456789Z", "reason": "A talk."}),
                Some(&key),
            )
            .await;
        assert_eq!(proposal.status, StatusCode::CREATED, "{}", proposal.text());
        let proposal = proposal.json();
        assert_millisecond_moments(&proposal, 2);
        assert_eq!(proposal["asked_for"], "2027-01-15T12:00:00.123Z");
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &key)
            .await
            .json();
        assert_millisecond_moments(&view, 5);
        assert_eq!(
            view["disclosure_terms"]["requests"][0]["asked_for"],
            proposal["asked_for"]
        );
    }
}

#[tokio::test]
async fn following_a_case_never_uses_up_writing_to_it_and_key_look_ups_are_limited_on_their_own() {
    let limits = postern_web::IntakeLimits {
        submissions_per_hour: NonZeroU32::new(3).unwrap(),
        submission_burst: NonZeroU32::new(3).unwrap(),
        lookups_per_hour: NonZeroU32::new(8).unwrap(),
        lookup_burst: NonZeroU32::new(8).unwrap(),
        ..Default::default()
    };
    for app in TestApp::all(vec![project("Acme", POLICY)], limits).await {
        let created = app
            .post_json("/api/v1/reports", &report(), None)
            .await
            .json();
        let (id, key) = (
            created["id"].as_str().unwrap().to_owned(),
            created["case_key"].as_str().unwrap().to_owned(),
        );
        // Opening the case again and again, by the page and the API, is not a submission...
        for _ in 0..3 {
            let page = app.post_form("/track", &[("case_key", &key)]).await;
            assert_eq!(page.status, StatusCode::OK, "{}", app.backend);
            let view = app
                .get_with_key(&format!("/api/v1/reports/{id}"), &key)
                .await;
            assert_eq!(view.status, StatusCode::OK);
        }
        // ...so the reporter can still write twice (the report was the first submission).
        for text in ["First news?", "Second news?"] {
            let sent = app
                .post_json(
                    &format!("/api/v1/reports/{id}/messages"),
                    &json!({"body": text}),
                    Some(&key),
                )
                .await;
            assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text());
        }
        // Look-ups have their own limit, with a wrong key counting like a right one.
        let wrong = app
            .post_form("/track", &[("case_key", "pk-aaaa-bbbb")])
            .await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        let _ = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &key)
            .await;
        let limited = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &key)
            .await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.headers.contains_key(header::RETRY_AFTER));
        let page = app.post_form("/track", &[("case_key", &key)]).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.text().contains("Please wait"), "{}", page.text());
    }
}

#[tokio::test]
async fn the_openapi_document_states_each_projects_slug_required_fields_and_scope() {
    for app in apps().await {
        let doc = app.get("/api/openapi.json").await.json();
        let variants = doc["components"]["schemas"]["NewReport"]["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("one schema per project with a form: {doc}"));
        let projects = app.uses.projects().all();
        assert_eq!(variants.len(), projects.len());
        for (i, (schema, project)) in variants.iter().zip(projects).enumerate() {
            let props = &schema["properties"];
            // Only the default project (the first) may be left out (or null).
            let slugs = if i == 0 {
                json!([project.slug(), null])
            } else {
                json!([project.slug()])
            };
            assert_eq!(props["project"]["enum"], slugs);
            let required = schema["required"].as_array().unwrap();
            assert_eq!(required.contains(&json!("project")), i > 0, "{schema}");
            let form = &project.policy.form.fields;
            let ids: Vec<&str> = props["fields"]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut expected: Vec<&str> = form.iter().map(|f| f.id.as_str()).collect();
            expected.sort();
            let mut ids = ids;
            ids.sort();
            assert_eq!(ids, expected);
            let required_ids: Vec<&str> = form
                .iter()
                .filter(|f| f.required)
                .map(|f| f.id.as_str())
                .collect();
            assert!(!required_ids.is_empty());
            assert_eq!(props["fields"]["required"], json!(required_ids));
            assert_eq!(props["fields"]["additionalProperties"], json!(false));
            let categories = props["scope_category"]["enum"].as_array().unwrap();
            assert!(categories.contains(&json!("other")), "{categories:?}");
            for item in &project.policy.scope.in_scope {
                assert!(categories.contains(&json!(item.category)), "{categories:?}");
            }
        }
    }
}

#[tokio::test]
async fn a_field_given_twice_in_json_is_refused_with_400_naming_it_and_nothing_is_stored() {
    for app in apps().await {
        let body = r#"{"fields": {"title": "RCE in the importer", "description": "A crafted archive runs code.", "impact": "Full compromise", "steps_to_reproduce": "1. import", "title": "Something else"}, "scope_category": "rce"}"#;
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/reports")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
        let error = reply.json()["error"].as_str().unwrap().to_owned();
        assert!(
            error.contains("the field `title` is given more than once"),
            "{error}"
        );
        assert!(error.contains("line 1 column"), "where: {error}");
        assert_eq!(
            app.store.count_reports().await.unwrap(),
            0,
            "{}",
            app.backend
        );
        // The same body with the key once is taken.
        let once = app.post_json("/api/v1/reports", &report(), None).await;
        assert_eq!(once.status, StatusCode::CREATED, "{}", once.text());
    }
}
