//! The policy pages, driven in-process through the router with a fixed clock.

use crate::support;

use axum::http::{StatusCode, header};
use jiff::Timestamp;
use support::{now, project};

async fn app() -> support::TestApp {
    let hostile = r#"
[[sections]]
title = "Notes <b>bold</b>"
body = """<script>alert(1)</script>

<img src=https://evil.example/x> ![t](https://evil.example/y.png) [x](javascript:alert(2))"""
"#;
    support::TestApp::new(vec![project("Alpha", hostile), project("Beta", "")]).await
}

async fn get(path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let reply = app().await.get(path).await;
    let text = reply.text();
    (reply.status, reply.headers, text)
}

#[tokio::test]
async fn security_txt_of_the_default_project_is_at_the_root() {
    for path in ["/.well-known/security.txt", "/security.txt"] {
        let (status, headers, body) = get(path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert!(
            body.contains("Contact: mailto:security@alpha.example.org\n"),
            "{body}"
        );
        let expires: Vec<&str> = body
            .lines()
            .filter(|l| l.starts_with("Expires: "))
            .collect();
        assert_eq!(expires, ["Expires: 2027-05-22T00:00:00Z"]);
        let expires: Timestamp = expires[0]["Expires: ".len()..].parse().unwrap();
        assert!(expires.duration_since(now()).as_hours() < 365 * 24);
        assert!(body.contains("Canonical: https://sec.example.org/.well-known/security.txt\n"));
        assert!(body.contains("Policy: https://sec.example.org/security-policy\n"));
    }
}

#[tokio::test]
async fn every_project_has_its_own_pages() {
    let (status, _, body) = get("/projects/beta/.well-known/security.txt").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Contact: mailto:security@beta.example.org\n"),
        "{body}"
    );
    assert!(
        body.contains(
            "Canonical: https://sec.example.org/projects/beta/.well-known/security.txt\n"
        )
    );
    assert!(!body.contains("alpha"));

    let (status, headers, body) = get("/projects/beta/SECURITY.md").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/markdown; charset=utf-8"
    );
    assert!(body.starts_with("# Security Policy for Beta\n"));

    let (status, _, body) = get("/projects/alpha/security-policy").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("<h1>Security Policy for Alpha</h1>"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_projects_and_paths_are_404_pages() {
    for path in [
        "/projects/gamma/security.txt",
        "/projects/gamma/security-policy",
        "/nope",
    ] {
        let (status, headers, body) = get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(body.contains("There is nothing at this address."));
    }
}

#[tokio::test]
async fn the_policy_page_is_plain_html_without_scripts_and_with_safe_markdown() {
    let (status, headers, body) = get("/security-policy").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(
        body.contains("<h2>Reporting a Vulnerability</h2>"),
        "{body}"
    );
    assert!(body.contains("href=\"mailto:security@alpha.example.org\""));
    for bad in ["<script", "<img", "evil.example", "javascript:"] {
        assert!(!body.contains(bad), "`{bad}` in the page:\n{body}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    for path in [
        "/",
        "/security-policy",
        "/.well-known/security.txt",
        "/healthz",
        "/nope",
    ] {
        let (_, headers, _) = get(path).await;
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            postern_web::CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert!(!postern_web::CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    }
}

#[tokio::test]
async fn health_home_and_stylesheet() {
    let (status, _, body) = get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"status":"ok"}"#);
    let (_, _, home) = get("/").await;
    // Each project by name, with its policy and its form.
    for (name, base) in [("Alpha", ""), ("Beta", "/projects/beta")] {
        assert!(home.contains(&format!(">{name}</h2>")), "{home}");
        for page in [
            "security-policy\">Security policy",
            "report\">Report a vulnerability",
        ] {
            assert!(
                home.contains(&format!("href=\"{base}/{page}</a>")),
                "{home}"
            );
        }
    }
    let (status, headers, css) = get("/static/postern.css").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(css.contains("font"));
}

#[tokio::test]
async fn an_https_instance_sends_hsts_and_error_pages_are_never_cached() {
    // The test instance's public address is https://sec.example.org.
    let (status, headers, _) = get("/.well-known/security.txt").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::STRICT_TRANSPORT_SECURITY],
        postern_web::STRICT_TRANSPORT_SECURITY
    );
    let (status, headers, _) = get("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
}
