//! The channels a policy names, and only those: Postern's form is served for a policy that
//! lists a `web-form` channel and answers 404 with the policy's own channels otherwise. Both
//! databases.

use axum::http::StatusCode;
use postern_core::policy::parse_str;
use postern_web::IntakeLimits;
use serde_json::json;

use crate::support::{TestApp, now};
use crate::team::acme;

/// A project whose policy takes reports by email, on Discord and through GitHub, not through
/// Postern's form.
pub(crate) fn chatty() -> postern_web::Project {
    let source = r#"[project]
name = "Chatty"
repository = "https://github.com/chatty/chatty"

[[channels]]
kind = "email"
email = "security@chatty.example.org"
preferred = true

[[channels]]
kind = "chat"
platform = "Discord"
handle = "@sec-team"
url = "https://discord.gg/chatty"

[[channels]]
kind = "github-advisories"

[response]
time_zone = "Europe/Berlin"
acknowledge = "48 hours"
assess = { untimed = true, says = "as soon as we can" }
"#;
    let checked = parse_str(source, now());
    postern_web::Project {
        policy: checked
            .policy
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics)),
    }
}

const CHANNELS: [&str; 4] = [
    "Chatty takes no reports through a form on this server.",
    "email to security@chatty.example.org, preferred",
    "Discord (@sec-team) at https://discord.gg/chatty",
    "GitHub Security Advisories at https://github.com/chatty/chatty/security/advisories/new",
];

#[tokio::test]
async fn a_policy_that_lists_no_web_form_gets_no_form_and_names_its_channels() {
    for app in TestApp::all(vec![acme(), chatty()], IntakeLimits::default()).await {
        let b = app.backend;
        // The project with a web-form channel keeps its form.
        assert_eq!(app.get("/report").await.status, StatusCode::OK, "{b}");
        assert_eq!(
            app.get("/projects/acme/report").await.status,
            StatusCode::OK
        );
        let txt = app.get("/.well-known/security.txt").await.text();
        assert!(
            txt.contains("Contact: https://sec.example.org/report\n"),
            "{txt}"
        );

        // The other answers 404 with its own channels, on the page, the post and the API.
        let page = app.get("/projects/chatty/report").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{b}");
        let html = page.text();
        for words in CHANNELS {
            assert!(html.contains(words), "{b}: `{words}` in {html}");
        }
        assert!(
            html.contains("https://sec.example.org/projects/chatty/security-policy"),
            "{html}"
        );
        assert!(!html.contains("<form"), "no form at all: {html}");
        let posted = app
            .post_multipart(
                "/projects/chatty/report",
                &[("field.title", "XSS"), ("field.description", "d")],
                &[],
            )
            .await;
        assert_eq!(posted.status, StatusCode::NOT_FOUND, "{}", posted.text());
        let api = app
            .post_json(
                "/api/v1/reports",
                &json!({"project": "chatty", "fields": {"title": "XSS", "description": "d"}}),
                None,
            )
            .await;
        assert_eq!(api.status, StatusCode::NOT_FOUND, "{b}: {}", api.text());
        let error = api.json()["error"].as_str().unwrap().to_owned();
        for words in CHANNELS {
            assert!(error.contains(words), "{b}: `{words}` in {error}");
        }
        assert_eq!(app.store.count_reports().await.unwrap(), 0, "{b}");

        // Its security.txt and SECURITY.md say nothing of a form.
        let txt = app
            .get("/projects/chatty/.well-known/security.txt")
            .await
            .text();
        assert!(!txt.contains("/report"), "{txt}");
        assert!(
            txt.starts_with("# Security contact for Chatty")
                && txt.contains("\nContact: mailto:security@chatty.example.org\n"),
            "{txt}"
        );
        let md = app.get("/projects/chatty/SECURITY.md").await.text();
        assert!(!md.contains("form"), "{md}");
    }
    // A default project without a form: /report itself answers 404 with the channels.
    let app = TestApp::new(vec![chatty()]).await;
    let page = app.get("/report").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.text()
            .contains("https://sec.example.org/security-policy"),
        "{}",
        page.text()
    );
    let api = app
        .post_json(
            "/api/v1/reports",
            &json!({"fields": {"title": "XSS"}}),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND, "{}", api.text());
}
