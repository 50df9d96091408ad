//! The team's advisory pages driven in-process on both databases: a draft from an accepted
//! report, edits refused with the problem next to its field (input kept, nothing stored
//! changed), a stale edit refused, a good edit, schedule within the maximum embargo, publish
//! now and the public OSV document; viewers, other projects and forged posts are refused.

use crate::support;

use axum::http::StatusCode;
use postern_core::advisory::{Advisory, AdvisoryId, Affected, VersionRange};
use postern_store::credentials::{TotpSecret, totp_code};
use postern_store::team::Role;
use postern_web::IntakeLimits;
use serde_json::json;
use support::{Browser, TestApp, hidden, location, now, project};

const PASSWORD: &str = "violet anchor tugboat meridian";

fn acme() -> postern_web::Project {
    project(
        "Acme",
        r#"
[[products]]
name = "acme"
ecosystem = "PyPI"
package = "acme"

[[supported_versions]]
versions = "2.4.x"
supported = true

[[supported_versions]]
versions = "2.3.x"
supported = true

[[supported_versions]]
versions = "< 2.0"
supported = false

[disclosure]
default_embargo = "14 days"
max_embargo = "30 days"
"#,
    )
}

fn other() -> postern_web::Project {
    project("Other", "")
}

/// Sets up an account through the web pages, second factor included.
async fn set_up(browser: &mut Browser<'_>, email: &str, role: Role, projects: &[String]) {
    let app = browser.app;
    let (_, code) = app
        .store
        .create_user(email, role, projects, "test", now())
        .await
        .unwrap();
    let page = browser.get("/team/setup").await;
    let done = browser
        .post(
            "/team/setup",
            &[
                ("csrf", &hidden(&page.text(), "csrf")),
                ("code", &code),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let enrol = browser.get("/team/second-factor").await.text();
    let secret_hex = hidden(&enrol, "secret");
    let secret = TotpSecret::from_bytes(
        data_encoding::HEXLOWER
            .decode(secret_hex.as_bytes())
            .unwrap(),
    )
    .unwrap();
    let codes = browser
        .post(
            "/team/second-factor",
            &[
                ("csrf", &hidden(&enrol, "csrf")),
                ("secret", &secret_hex),
                ("sig", &hidden(&enrol, "sig")),
                ("code", &totp_code(&secret, now().as_second() as u64)),
            ],
        )
        .await;
    assert_eq!(codes.status, StatusCode::OK, "{}", codes.text());
}

/// A report accepted with a CVSS vector and fixed in 2.4.1, through the team's report page.
async fn accepted_report(app: &TestApp, alice: &mut Browser<'_>) -> String {
    accepted_report_and_key(app, alice).await.0
}

/// `accepted_report`, with the reporter's case key.
async fn accepted_report_and_key(app: &TestApp, alice: &mut Browser<'_>) -> (String, String) {
    let reply = app
        .post_json(
            "/api/v1/reports",
            &json!({"fields": {"title": "SSRF via webhook_url", "description": "The server fetches any URL.", "impact": "internal access", "steps_to_reproduce": "post a URL"}}),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let key = reply.json()["case_key"].as_str().unwrap().to_owned();
    let page = format!("/team/reports/{id}");
    let act = format!("{page}/act");
    for (action, extra) in [
        (
            "accept",
            ("cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ),
        ("fixed", ("versions", "2.4.1")),
    ] {
        let html = alice.get(&page).await.text();
        let done = alice
            .post(
                &act,
                &[
                    ("csrf", &hidden(&html, "csrf")),
                    ("version", &hidden(&html, "version")),
                    ("action", action),
                    extra,
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    }
    (id, key)
}

/// The edit form's fields as a browser would post them, with `changes` replacing values.
fn edit_form<'a>(
    csrf: &'a str,
    modified: &'a str,
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut pairs = vec![
        ("csrf", csrf),
        ("modified", modified),
        ("title", "SSRF via webhook_url"),
        ("summary", "SSRF via webhook_url"),
        (
            "details",
            "The server fetches **any** URL.\n\nUpgrade to 2.4.1.",
        ),
        ("severity", "critical"),
        ("cvss_v3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ("cvss_v4", ""),
        ("cwes", "CWE-918"),
        ("aliases", ""),
        ("a0-ecosystem", "PyPI"),
        ("a0-package", "acme"),
        ("a0-r0-introduced", "0"),
        ("a0-r0-fixed", "2.4.1"),
        ("a0-r0-last_affected", ""),
        ("a0-r1-introduced", ""),
        ("a0-r1-fixed", ""),
        ("a0-r1-last_affected", ""),
        ("a0-versions", ""),
        ("ref-0-kind", "FIX"),
        ("ref-0-url", "https://example.org/acme/commit/abc123"),
        ("credit-0-name", ""),
        ("credit-0-anonymous", "1"),
        ("credit-0-role", "FINDER"),
        ("credit-0-contact", ""),
        ("credit-1-name", ""),
        ("credit-1-role", "FINDER"),
        ("credit-1-contact", ""),
    ];
    for (name, value) in changes {
        match pairs.iter_mut().find(|(n, _)| n == name) {
            Some(pair) => pair.1 = value,
            None => pairs.push((name, value)),
        }
    }
    pairs
}

async fn stored(app: &TestApp, id: &str) -> Advisory {
    app.store
        .advisory(&AdvisoryId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .advisory
}

#[tokio::test]
async fn a_triager_drafts_edits_schedules_and_publishes_an_advisory() {
    for app in TestApp::all(vec![acme(), other()], IntakeLimits::default()).await {
        let backend = app.backend;
        let mut alice = Browser::new(&app);
        set_up(
            &mut alice,
            "alice@example.org",
            Role::Triager,
            &["acme".into()],
        )
        .await;
        // Set up before the clock moves (the second factor's code is of now()).
        let mut bob = Browser::new(&app);
        set_up(&mut bob, "bob@example.org", Role::Viewer, &[]).await;

        // A report that is not accepted yet offers no draft, and one is refused.
        let early = app
            .post_json(
                "/api/v1/reports",
                &json!({"fields": {"title": "Early", "description": "Not triaged.", "impact": "none", "steps_to_reproduce": "none"}}),
                None,
            )
            .await;
        assert_eq!(early.status, StatusCode::CREATED, "{}", early.text());
        let early = early.json()["id"].as_str().unwrap().to_owned();
        let html = alice.get(&format!("/team/reports/{early}")).await.text();
        assert!(!html.contains("Draft advisory"), "{backend}");
        let refused = alice
            .post(
                &format!("/team/reports/{early}/advisory"),
                &[("csrf", &hidden(&html, "csrf"))],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().contains("drafted from an accepted report"));

        // Draft from the accepted report: a forged post (no token) does nothing.
        let report = accepted_report(&app, &mut alice).await;
        let html = alice.get(&format!("/team/reports/{report}")).await.text();
        assert!(html.contains("Draft advisory"), "{html}");
        let csrf = hidden(&html, "csrf");
        let draft_url = format!("/team/reports/{report}/advisory");
        let forged = alice.post(&draft_url, &[]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(
            app.store
                .report_advisories(&postern_core::report::ReportId::parse(&report).unwrap())
                .await
                .unwrap()
                .is_empty()
        );
        let drafted = alice.post(&draft_url, &[("csrf", &csrf)]).await;
        assert_eq!(drafted.status, StatusCode::SEE_OTHER, "{}", drafted.text());
        assert_eq!(location(&drafted), "/team/advisories/ACME-2026-0001");
        let id = "ACME-2026-0001";
        let url = format!("/team/advisories/{id}");
        let draft = stored(&app, id).await;
        assert_eq!(draft.title, "SSRF via webhook_url");
        assert_eq!(draft.affected[0].ranges[0].fixed.as_deref(), Some("2.4.1"));
        assert_eq!(draft.credits[0].name, None);

        // The list and the report page link to it.
        let list = alice.get("/team/advisories").await.text();
        assert!(list.contains(&url) && list.contains("draft"), "{list}");
        assert!(list.contains(&format!("/team/reports/{report}")), "{list}");
        assert!(
            alice
                .get(&format!("/team/reports/{report}"))
                .await
                .text()
                .contains(&url)
        );

        // The page: the form, a preview, the supported versions against the ranges.
        let page = alice.get(&url).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.headers["cache-control"], "no-store");
        let html = page.text();
        assert!(
            html.contains("name=\"title\" value=\"SSRF via webhook_url\""),
            "{html}"
        );
        assert!(
            html.contains("<td>2.4.x</td><td>yes</td><td class=\"fixed\">fixed in 2.4.1</td>"),
            "{html}"
        );
        assert!(
            html.contains(
                "<td>2.3.x</td><td>yes</td><td class=\"overdue\">affected, no fix on this line</td>"
            ),
            "{html}"
        );
        let modified = hidden(&html, "modified");
        app.clock.advance_seconds(60);

        // Bad input: each problem next to its field, the input kept, nothing stored changed.
        for (changes, field, words) in [
            (
                vec![
                    ("cvss_v3", "CVSS:3.1/AV:N/AC:L"),
                    ("title", "Typed title kept"),
                ],
                "cvss_v3-error",
                "lacks the base metric(s) PR, UI, S, C, I, A",
            ),
            (
                vec![
                    ("cvss_v3", "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
                    ("title", "Typed title kept"),
                ],
                "cvss_v3-error",
                "not a valid CVSS v3 vector",
            ),
            (
                vec![
                    ("a0-r0-introduced", "2.0.0"),
                    ("a0-r0-fixed", "1.9"),
                    ("title", "Typed title kept"),
                ],
                "a0-r0-error",
                "comes before the introduced version 2.0.0",
            ),
            (
                vec![("a0-ecosystem", "pypi"), ("title", "Typed title kept")],
                "a0-error",
                "did you mean PyPI?",
            ),
            (
                vec![
                    ("a0-r0-last_affected", "2.4.0"),
                    ("title", "Typed title kept"),
                ],
                "a0-r0-error",
                "fixed or last_affected, not both",
            ),
            (
                vec![("summary", ""), ("title", "Typed title kept")],
                "summary-error",
                "one line",
            ),
            (
                vec![
                    ("credit-0-contact", "mailto:x@example.org"),
                    ("title", "Typed title kept"),
                ],
                "credit-0-error",
                "cannot have contacts",
            ),
        ] {
            let reply = alice
                .post(&url, &edit_form(&csrf, &modified, &changes))
                .await;
            let text = reply.text();
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}: {text}"
            );
            let at = text
                .find(&format!("id=\"{field}\""))
                .unwrap_or_else(|| panic!("{field} not marked: {text}"));
            assert!(
                text[at..].split("</p>").next().unwrap().contains(words),
                "{field}: {text}"
            );
            assert!(text.contains("value=\"Typed title kept\""), "{text}");
            assert_eq!(
                stored(&app, id).await,
                draft,
                "{backend}: nothing stored changed"
            );
        }

        // "Add another range" re-renders the form with the input kept and one more row.
        let grown = alice
            .post(
                &url,
                &edit_form(
                    &csrf,
                    &modified,
                    &[("do", "add-range-0"), ("title", "Typed title kept")],
                ),
            )
            .await;
        assert_eq!(grown.status, StatusCode::OK);
        let text = grown.text();
        assert!(text.contains("name=\"a0-r2-introduced\""), "{text}");
        assert!(text.contains("value=\"Typed title kept\""));
        assert!(text.contains("<strong>any</strong>"), "the preview: {text}");
        assert_eq!(stored(&app, id).await, draft);

        // A good edit saves and moves `modified`.
        let saved = alice
            .post(
                &url,
                &edit_form(
                    &csrf,
                    &modified,
                    &[("title", "SSRF in webhooks"), ("aliases", "CVE-2026-4242")],
                ),
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
        assert_eq!(location(&saved), format!("{url}?saved=1"));
        let edited = stored(&app, id).await;
        assert_eq!(edited.title, "SSRF in webhooks");
        assert_eq!(edited.aliases, vec!["CVE-2026-4242".to_owned()]);
        assert_eq!(
            edited.references[0].url,
            "https://example.org/acme/commit/abc123"
        );
        assert_eq!(edited.cwes, vec!["CWE-918".to_owned()]);
        assert!(edited.modified > draft.modified);

        // The same old form again is stale: refused, not applied over the edit.
        let stale = alice
            .post(&url, &edit_form(&csrf, &modified, &[("title", "Old form")]))
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale.text().contains("was changed"), "{}", stale.text());
        assert!(stale.text().contains("value=\"Old form\""));
        assert_eq!(stored(&app, id).await, edited);

        // Schedule: beyond the maximum embargo (30 days) refused, within it done.
        let schedule = format!("{url}/schedule");
        let far = alice
            .post(&schedule, &[("csrf", &csrf), ("at", "2027-02-01T09:00")])
            .await;
        assert_eq!(far.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(far.text().contains("maximum embargo"), "{}", far.text());
        let advisory_id = AdvisoryId::parse(id).unwrap();
        assert_eq!(
            app.store.advisory_schedule(&advisory_id).await.unwrap(),
            None
        );
        let forged = alice.post(&schedule, &[("at", "2026-12-01T09:00")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let ok = alice
            .post(&schedule, &[("csrf", &csrf), ("at", "2026-12-01T09:00")])
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
        assert_eq!(
            app.store.advisory_schedule(&advisory_id).await.unwrap(),
            Some("2026-12-01T09:00:00Z".parse().unwrap())
        );
        assert!(
            alice
                .get("/team/advisories")
                .await
                .text()
                .contains("scheduled for 2026-12-01 09:00 UTC")
        );

        // A viewer reads, but cannot edit, schedule or publish.
        let view = bob.get(&url).await;
        assert_eq!(view.status, StatusCode::OK);
        let text = view.text();
        assert!(
            text.contains("SSRF in webhooks") && !text.contains("Publish now"),
            "{text}"
        );
        let bob_csrf = hidden(&text, "csrf");
        let bob_modified = edited.modified.to_string();
        let edit = bob
            .post(&url, &edit_form(&bob_csrf, &bob_modified, &[]))
            .await;
        assert_eq!(edit.status, StatusCode::FORBIDDEN);
        let publish = bob
            .post(&format!("{url}/publish"), &[("csrf", &bob_csrf)])
            .await;
        assert_eq!(publish.status, StatusCode::FORBIDDEN);
        assert_eq!(stored(&app, id).await, edited);

        // Another project's advisory does not exist for Alice.
        let theirs = Advisory {
            id: AdvisoryId::new("OTHER", 2026, 1),
            project: "other".into(),
            title: "Theirs".into(),
            summary: "Theirs".into(),
            details: String::new(),
            severity: None,
            cvss_v3: None,
            cvss_v4: None,
            cwes: Vec::new(),
            affected: vec![Affected {
                ecosystem: "npm".into(),
                package: "other".into(),
                ranges: vec![VersionRange {
                    introduced: "0".into(),
                    fixed: None,
                    last_affected: None,
                }],
                versions: Vec::new(),
            }],
            references: Vec::new(),
            credits: Vec::new(),
            aliases: Vec::new(),
            published: None,
            modified: now(),
        };
        app.store
            .save_advisory(&theirs, None, "test", now())
            .await
            .unwrap();
        assert_eq!(
            alice.get("/team/advisories/OTHER-2026-0001").await.status,
            StatusCode::NOT_FOUND
        );
        let post = alice
            .post(
                "/team/advisories/OTHER-2026-0001/publish",
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(post.status, StatusCode::NOT_FOUND);
        assert!(
            !alice
                .get("/team/advisories")
                .await
                .text()
                .contains("OTHER-2026-0001")
        );
        assert!(
            bob.get("/team/advisories")
                .await
                .text()
                .contains("OTHER-2026-0001")
        );

        // Publish now: the public OSV document shows the edit.
        assert_eq!(
            app.get(&format!("/advisories/{id}/osv.json")).await.status,
            StatusCode::NOT_FOUND
        );
        let published = alice
            .post(&format!("{url}/publish"), &[("csrf", &csrf)])
            .await;
        assert_eq!(
            published.status,
            StatusCode::SEE_OTHER,
            "{}",
            published.text()
        );
        let osv = app.get(&format!("/advisories/{id}/osv.json")).await;
        assert_eq!(osv.status, StatusCode::OK);
        let osv = osv.json();
        assert_eq!(osv["summary"], "SSRF via webhook_url");
        assert_eq!(osv["aliases"], json!(["CVE-2026-4242"]));
        assert_eq!(
            osv["affected"][0]["ranges"][0]["events"][1]["fixed"],
            "2.4.1"
        );
        let again = alice
            .post(&format!("{url}/publish"), &[("csrf", &csrf)])
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let text = alice.get(&url).await.text();
        assert!(
            text.contains("published") && !text.contains("Publish now"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_blank_advisory_is_numbered_when_first_saved() {
    for app in TestApp::all(vec![acme(), other()], IntakeLimits::default()).await {
        let mut alice = Browser::new(&app);
        set_up(
            &mut alice,
            "alice@example.org",
            Role::Triager,
            &["acme".into()],
        )
        .await;
        let list = alice.get("/team/advisories").await.text();
        assert!(list.contains("New advisory"), "{list}");
        assert!(
            !list.contains("value=\"other\""),
            "only Alice's projects: {list}"
        );
        assert_eq!(
            alice.get("/team/advisories/new?project=other").await.status,
            StatusCode::NOT_FOUND
        );
        let form = alice.get("/team/advisories/new?project=acme").await;
        assert_eq!(form.status, StatusCode::OK);
        let html = form.text();
        assert!(
            html.contains("name=\"a0-ecosystem\" value=\"PyPI\""),
            "{html}"
        );
        let csrf = hidden(&html, "csrf");
        let mut pairs = edit_form(&csrf, "", &[("title", "Blank one"), ("project", "acme")]);
        pairs.retain(|(n, _)| *n != "modified");
        // Without a package nothing is saved, and the problem is by the packages.
        let mut bare = pairs.clone();
        bare.retain(|(n, _)| !n.starts_with("a0-"));
        let refused = alice.post("/team/advisories/new", &bare).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.text().contains("name at least one package"),
            "{}",
            refused.text()
        );
        let created = alice.post("/team/advisories/new", &pairs).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
        assert_eq!(
            location(&created),
            "/team/advisories/ACME-2026-0001?saved=1"
        );
        assert_eq!(stored(&app, "ACME-2026-0001").await.title, "Blank one");
        let second = alice.post("/team/advisories/new", &pairs).await;
        assert_eq!(location(&second), "/team/advisories/ACME-2026-0002?saved=1");
    }
}

/// Alice, a triager of acme set up in `app`, with a report accepted and its advisory drafted:
/// (the report's id, its case key, the advisory page's path).
async fn drafted<'a>(app: &'a TestApp) -> (Browser<'a>, String, String, String) {
    let mut alice = Browser::new(app);
    set_up(
        &mut alice,
        "alice@example.org",
        Role::Triager,
        &["acme".into()],
    )
    .await;
    let (report, key) = accepted_report_and_key(app, &mut alice).await;
    let html = alice.get(&format!("/team/reports/{report}")).await.text();
    let drafted = alice
        .post(
            &format!("/team/reports/{report}/advisory"),
            &[("csrf", &hidden(&html, "csrf"))],
        )
        .await;
    assert_eq!(drafted.status, StatusCode::SEE_OTHER, "{}", drafted.text());
    let url = location(&drafted);
    (alice, report, key, url)
}

#[tokio::test]
async fn publishing_from_the_editor_saves_first_and_before_the_agreed_date_needs_a_reason() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let backend = app.backend;
        let (mut alice, report, key, url) = drafted(&app).await;
        let report_url = format!("/team/reports/{report}");
        let id = url.rsplit('/').next().unwrap().to_owned();
        // Once the report has its advisory, its page links to it and offers no second draft.
        let html = alice.get(&report_url).await.text();
        assert!(
            html.contains(&format!("/team/advisories/{id}")) && !html.contains("Draft advisory"),
            "{backend}: {html}"
        );

        // The reporter's date is agreed.
        let report_id = postern_core::report::ReportId::parse(&report).unwrap();
        let key = postern_core::report::CaseKey::parse(&key).unwrap();
        let request = app
            .uses
            .propose_disclosure_date(Some(&report_id), &key, "2026-12-20", "my talk")
            .await
            .unwrap();
        let operator = postern_app::Actor::operator("cli:test");
        app.uses
            .answer_disclosure_request(&operator, &report_id, &request.id, true, "")
            .await
            .unwrap();

        // "Save and publish now" with an edit and no reason: the edit is saved, nothing is
        // published, and the page says why, with the date.
        let html = alice.get(&url).await.text();
        assert!(
            html.contains("Reason for publishing before"),
            "{backend}: {html}"
        );
        let csrf = hidden(&html, "csrf");
        let modified = hidden(&html, "modified");
        let form = edit_form(
            &csrf,
            &modified,
            &[
                ("title", "SSRF via webhook_url (edited)"),
                ("do", "publish"),
            ],
        );
        let refused = alice.post(&url, &form).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
        let text = refused.text();
        assert!(
            text.contains("Your edits are saved, but it is not published")
                && text.contains("give the reason"),
            "{backend}: {text}"
        );
        assert_eq!(
            stored(&app, &id).await.title,
            "SSRF via webhook_url (edited)"
        );
        let advisory_id = AdvisoryId::parse(&id).unwrap();
        let published = |app: &TestApp| {
            let advisory_id = advisory_id.clone();
            let store = app.store.clone();
            async move {
                store
                    .advisory(&advisory_id)
                    .await
                    .unwrap()
                    .unwrap()
                    .published_at
            }
        };
        assert!(published(&app).await.is_none(), "{backend}");

        // With the reason given on the page that came back, it is published.
        let csrf = hidden(&text, "csrf");
        let modified = hidden(&text, "modified");
        let form = edit_form(
            &csrf,
            &modified,
            &[
                ("title", "SSRF via webhook_url (edited)"),
                ("do", "publish"),
                ("early_reason", "Exploited in the wild."),
            ],
        );
        let done = alice.post(&url, &form).await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            done.text()
        );
        assert!(published(&app).await.is_some(), "{backend}");
        let view = app
            .store
            .reporter_view(Some(&report_id), &key)
            .await
            .unwrap();
        assert!(
            view.messages
                .iter()
                .any(|m| m.body.contains("Exploited in the wild.")),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_editor_shows_every_problem_at_once_and_refuses_a_bad_alias_or_version() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let backend = app.backend;
        let (mut alice, _, _, url) = drafted(&app).await;
        let id = url.rsplit('/').next().unwrap().to_owned();
        let before = stored(&app, &id).await;
        let html = alice.get(&url).await.text();
        let (csrf, modified) = (hidden(&html, "csrf"), hidden(&html, "modified"));
        let form = edit_form(
            &csrf,
            &modified,
            &[
                ("title", ""),
                ("aliases", "CVE-2026-4242, not an id"),
                ("a0-r0-fixed", "banana"),
            ],
        );
        let refused = alice.post(&url, &form).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
        let text = refused.text();
        for expected in [
            "write 1 to",
            "&#34;not an id&#34; is not an id such as CVE-2026-12345",
            "&#34;banana&#34; is not a version",
        ] {
            assert!(text.contains(expected), "{backend}: {expected} in {text}");
        }
        // Nothing stored changed, and what was typed is kept.
        assert_eq!(stored(&app, &id).await, before, "{backend}");
        assert!(text.contains("value=\"banana\""), "{backend}");
    }
}
