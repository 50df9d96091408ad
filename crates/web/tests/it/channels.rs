//! The channels a policy names, and only those: Postern's form is served for a policy that
//! lists a `web-form` channel and answers 404 with the policy's own channels otherwise; a report
//! that came through another channel is recorded by the team on `/team/reports/new`, its
//! clocks running from when the reporter wrote. Both databases.

use axum::http::StatusCode;
use postern_core::clock::ClockKind;
use postern_core::policy::parse_str;
use postern_store::team::Role;
use postern_web::IntakeLimits;
use serde_json::json;

use crate::support::{Browser, TestApp, hidden, location, now, shown_case_key};
use crate::team::{acme, set_up};

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

#[tokio::test]
async fn a_triager_records_a_report_from_another_channel_and_its_clocks_run_from_receipt() {
    for app in TestApp::all(vec![acme(), chatty()], IntakeLimits::default()).await {
        let b = app.backend;
        let mut tri = Browser::new(&app);
        set_up(&mut tri, "tri@example.org", Role::Triager, &[]).await;
        let queue = tri.get("/team").await.text();
        assert!(queue.contains("href=\"/team/reports/new\""), "{queue}");
        let page = tri.get("/team/reports/new?project=chatty").await;
        assert_eq!(page.status, StatusCode::OK, "{b}: {}", page.text());
        let html = page.text();
        assert!(html.contains("Record a report"), "{html}");
        for option in [
            "<option value=\"email\"",
            "<option value=\"chat\"",
            "<option value=\"github-advisories\"",
        ] {
            assert!(html.contains(option), "{option} in {html}");
        }
        assert!(
            !html.contains("<option value=\"web-form\""),
            "Postern's own form is no channel to record: {html}"
        );
        assert!(html.contains("Europe/Berlin"), "{html}");
        let csrf = hidden(&html, "csrf");

        // Refused, everything said at once, what was typed kept.
        let refused = tri
            .post_multipart(
                "/team/reports/new",
                &[
                    ("csrf", &csrf),
                    ("project", "chatty"),
                    ("channel", "chat"),
                    ("received_at", "2026-11-23 12:30"),
                    ("field.title", "Account takeover"),
                    ("contact_email", "ada@example.net"),
                ],
                &[("attachments", "poc.txt", b"poc")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let html = refused.text();
        assert!(html.contains("is in the future"), "{html}");
        assert!(
            html.contains("a case key the reporter was never given"),
            "{html}"
        );
        assert!(html.contains("value=\"Account takeover\""), "{html}");
        assert!(html.contains("attach poc.txt again"), "{html}");
        assert_eq!(app.store.count_reports().await.unwrap(), 0, "{b}");

        // 08:30 in Berlin is 07:30 UTC; the page's clock reads 10:00 UTC.
        let recorded = tri
            .post_multipart(
                "/team/reports/new",
                &[
                    ("csrf", &csrf),
                    ("project", "chatty"),
                    ("channel", "chat"),
                    ("received_at", "2026-11-23 08:30"),
                    ("field.title", "Account takeover"),
                    (
                        "field.description",
                        "Sent as a Discord message to @sec-team.",
                    ),
                ],
                &[("attachments", "poc.txt", b"poc")],
            )
            .await;
        assert_eq!(
            recorded.status,
            StatusCode::SEE_OTHER,
            "{b}: {}",
            recorded.text()
        );
        let to = location(&recorded);
        let id = to.strip_prefix("/team/reports/").unwrap().to_owned();
        let received: jiff::Timestamp = "2026-11-23T07:30:00Z".parse().unwrap();
        let row = app
            .store
            .case_row(&postern_core::report::ReportId::parse(&id).unwrap())
            .await
            .unwrap();
        assert_eq!(row.project, "chatty");
        let ack = row
            .case
            .clocks
            .0
            .iter()
            .find(|c| c.kind == ClockKind::Acknowledge)
            .unwrap();
        assert_eq!(ack.started_at, received, "{b}");
        assert_eq!(
            ack.limit_at(),
            Some("2026-11-25T07:30:00Z".parse().unwrap()),
            "{b}: 48 hours from when the reporter wrote, not from now"
        );
        let report = tri.get(&to).await.text();
        assert!(report.contains("report.recorded"), "{report}");
        assert!(report.contains("channel=chat"), "{report}");
        assert!(report.contains("tri@example.org"), "{report}");
        assert!(report.contains("poc.txt"), "{report}");

        // With a case key: shown once, and it opens the reporter's view.
        let with_key = tri
            .post_multipart(
                "/team/reports/new",
                &[
                    ("csrf", &csrf),
                    ("project", "chatty"),
                    ("channel", "github-advisories"),
                    ("received_at", "2026-11-22T21:00:00Z"),
                    ("field.title", "SSRF"),
                    ("contact_email", "ada@example.net"),
                    ("give_case_key", "1"),
                ],
                &[],
            )
            .await;
        assert_eq!(
            with_key.status,
            StatusCode::CREATED,
            "{b}: {}",
            with_key.text()
        );
        let html = with_key.text();
        let key = shown_case_key(&html);
        assert!(html.contains("shown only once"), "{html}");
        assert!(
            html.contains("through GitHub Security Advisories"),
            "{html}"
        );
        let view = app.get_with_key("/api/v1/reports/x", &key).await;
        assert_eq!(view.status, StatusCode::NOT_FOUND, "the id must match");
        let id = html
            .split("/team/reports/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &key)
            .await
            .json();
        assert_eq!(view["received_at"], "2026-11-22T21:00:00.000Z", "{b}");
        assert_eq!(
            view["deadlines"][0]["started_at"],
            "2026-11-22T21:00:00.000Z"
        );
        assert_eq!(view["deadlines"][0]["due"], "2026-11-24T21:00:00.000Z");

        // Viewers read but do not record; a triager of another project cannot reach this one.
        let mut viewer = Browser::new(&app);
        set_up(&mut viewer, "view@example.org", Role::Viewer, &[]).await;
        let seen = viewer.get("/team/reports/new").await;
        assert_eq!(seen.status, StatusCode::FORBIDDEN, "{b}");
        let mut other = Browser::new(&app);
        set_up(
            &mut other,
            "acme@example.org",
            Role::Triager,
            &["acme".to_owned()],
        )
        .await;
        let hidden_page = other.get("/team/reports/new?project=chatty").await;
        assert_eq!(hidden_page.status, StatusCode::NOT_FOUND, "{b}");
        let csrf = hidden(&other.get("/team/reports/new").await.text(), "csrf");
        let sneaked = other
            .post_multipart(
                "/team/reports/new",
                &[
                    ("csrf", &csrf),
                    ("project", "chatty"),
                    ("channel", "chat"),
                    ("received_at", "2026-11-23 08:30"),
                    ("field.title", "x"),
                ],
                &[],
            )
            .await;
        assert_eq!(
            sneaked.status,
            StatusCode::NOT_FOUND,
            "{b}: {}",
            sneaked.text()
        );
        assert_eq!(app.store.count_reports().await.unwrap(), 2, "{b}");
    }
}
