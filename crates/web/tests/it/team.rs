//! The team's workspace driven in-process on both databases: a team member sets up an account
//! with a second factor, signs in, acknowledges and triages a report, and sees every promised
//! clock with the right due time; CSRF, Origin, roles, projects and lockout are enforced.

use crate::support;

use axum::http::StatusCode;
use postern_store::credentials::{TotpSecret, totp_code};
use postern_store::team::Role;
use postern_web::IntakeLimits;
use serde_json::json;
use support::{Browser, TestApp, hidden, location, now, project};

const PASSWORD: &str = "violet anchor tugboat meridian";

pub(crate) fn acme() -> postern_web::Project {
    project(
        "Acme",
        r#"
[response]
time_zone = "Europe/Berlin"
acknowledge = "1 business day"
assess = "3 days"

[severity.critical]
fix = "7 days"
disclose = "1-2 weeks"

[[scope.in]]
category = "rce"
title = "Remote code execution"

[[scope.out]]
category = "dos"
title = "Denial of service"
explanation = "Volumetric attacks are out of scope."
"#,
    )
}

pub(crate) async fn submit(app: &TestApp, title: &str) -> (String, String) {
    let reply = app
        .post_json(
            "/api/v1/reports",
            &json!({
                "fields": {"title": title, "description": format!("{title}: details"), "impact": "code execution", "steps_to_reproduce": "upload poc"},
                "scope_category": "rce",
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

/// Sets up an account through the web pages, second factor included; returns its secret.
pub(crate) async fn set_up(
    browser: &mut Browser<'_>,
    email: &str,
    role: Role,
    projects: &[String],
) -> TotpSecret {
    let app = browser.app;
    let (_, code) = app
        .store
        .create_user(email, role, projects, "test", now())
        .await
        .unwrap();
    let page = browser.get("/team/setup").await;
    let csrf = hidden(&page.text(), "csrf");
    let weak = browser
        .post(
            "/team/setup",
            &[
                ("csrf", &csrf),
                ("code", &code),
                ("password", "password1234"),
                ("confirm", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        weak.text().contains("most common passwords"),
        "{}",
        weak.text()
    );
    let done = browser
        .post(
            "/team/setup",
            &[
                ("csrf", &csrf),
                ("code", &code),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    if role == Role::Viewer {
        // Viewers may enrol, but are not made to.
        assert_eq!(location(&done), "/team");
    } else {
        assert_eq!(location(&done), "/team/second-factor");
        // Half-signed-in: the queue sends the member to enrol first.
        let queue = browser.get("/team").await;
        assert_eq!(location(&queue), "/team/second-factor");
    }
    let enrol = browser.get("/team/second-factor").await.text();
    assert!(enrol.contains("<svg"), "a QR code is shown inline");
    let secret_hex = hidden(&enrol, "secret");
    let secret = TotpSecret::from_bytes(
        data_encoding::HEXLOWER
            .decode(secret_hex.as_bytes())
            .unwrap(),
    )
    .unwrap();
    let unix = now().as_second() as u64;
    let codes = browser
        .post(
            "/team/second-factor",
            &[
                ("csrf", &hidden(&enrol, "csrf")),
                ("secret", &secret_hex),
                ("sig", &hidden(&enrol, "sig")),
                ("code", &totp_code(&secret, unix)),
            ],
        )
        .await;
    assert_eq!(codes.status, StatusCode::OK, "{}", codes.text());
    assert_eq!(
        codes.text().matches("<li><code class=\"key\">").count(),
        10,
        "ten recovery codes"
    );
    secret
}

#[tokio::test]
async fn a_member_signs_in_with_a_second_factor_and_works_a_report() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        // Monday 23 November 2026, 11:00 in Berlin.
        let (id, case_key) = submit(&app, "RCE in the upload handler").await;
        let mut alice = Browser::new(&app);
        assert_eq!(location(&alice.get("/team").await), "/team/signin");
        let secret = set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;

        // The queue lists the report with its next deadline: assessment in 3 days is later
        // than acknowledgement in 1 business day (Tuesday 11:00 Berlin).
        let queue = alice.get("/team").await;
        assert_eq!(queue.status, StatusCode::OK, "{}", app.backend);
        let queue = queue.text();
        assert!(queue.contains(&id), "{queue}");
        assert!(queue.contains("2026-11-24 11:00 CET"), "{queue}");
        assert_eq!(
            queue.matches("<tr").count(),
            2,
            "one report and the header row"
        );

        let page = alice.get(&format!("/team/reports/{id}")).await;
        let html = page.text();
        assert_eq!(page.status, StatusCode::OK, "{html}");
        assert_eq!(page.headers["cache-control"], "no-store");
        assert!(html.contains("RCE in the upload handler: details"));
        assert!(
            html.contains("in scope: Remote code execution (rce)"),
            "{html}"
        );
        assert!(html.contains("acknowledge the report"));
        assert!(
            html.contains("2026-11-26 11:00 CET"),
            "assessment 3 days after receipt: {html}"
        );
        let csrf = hidden(&html, "csrf");
        let version = hidden(&html, "version");

        // Without the CSRF token, or from another site, nothing happens.
        let act = format!("/team/reports/{id}/act");
        let forged = alice
            .post(&act, &[("action", "acknowledge"), ("version", &version)])
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        alice.origin = Some("https://evil.example".into());
        let cross = alice
            .post(
                &act,
                &[
                    ("csrf", &csrf),
                    ("action", "acknowledge"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);
        alice.origin = Some("https://sec.example.org".into());

        // Acknowledge half an hour later, then accept with a CVSS vector.
        app.clock.advance_seconds(1800);
        let ack = alice
            .post(
                &act,
                &[
                    ("csrf", &csrf),
                    ("action", "acknowledge"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(
            location(&ack),
            format!("/team/reports/{id}?done=acknowledge"),
            "{}",
            ack.text()
        );
        // The page the member had is stale now: a second submit of it is refused, not doubled.
        let twice = alice
            .post(
                &act,
                &[
                    ("csrf", &csrf),
                    ("action", "acknowledge"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(
            twice.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{version} {}",
            location(&twice)
        );
        let html = alice.get(&format!("/team/reports/{id}")).await.text();
        let version = hidden(&html, "version");
        let refused = alice
            .post(
                &act,
                &[
                    ("csrf", &csrf),
                    ("action", "accept"),
                    ("version", &version),
                    ("cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
                    ("severity", "low"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .text()
                .contains("to record low instead, give a reason"),
            "{}",
            refused.text()
        );
        let accepted = alice
            .post(
                &act,
                &[
                    ("csrf", &csrf),
                    ("action", "accept"),
                    ("version", &version),
                    ("cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
                ],
            )
            .await;
        assert_eq!(
            location(&accepted),
            format!("/team/reports/{id}?done=accept"),
            "{}",
            accepted.text()
        );
        // Said once, after the redirect.
        let confirmed = alice.get(&location(&accepted)).await.text();
        assert!(
            confirmed.contains("Accepted as a vulnerability. The reporter is told"),
            "{confirmed}"
        );
        let html = alice.get(&format!("/team/reports/{id}")).await.text();
        assert!(html.contains("Critical"), "{html}");
        // Fix in 7 days, disclose in 1-2 weeks, from triage at 11:30 Berlin.
        assert!(html.contains("2026-11-30 11:30 CET"), "fix due: {html}");
        assert!(
            html.contains("2026-12-07 11:30 CET"),
            "disclosure limit: {html}"
        );
        assert!(
            html.contains("met at 2026-11-23 11:30 CET"),
            "acknowledged in time: {html}"
        );

        // The reporter sees the change and the new deadlines.
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &case_key)
            .await
            .json();
        assert_eq!(view["status"], "triaged");
        let messages: Vec<&str> = view["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("rated it Critical (CVSS 9.8)")),
            "{messages:?}"
        );
        let kinds: Vec<(&str, &str)> = view["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["kind"].as_str().unwrap(), d["status"].as_str().unwrap()))
            .collect();
        assert!(kinds.contains(&("acknowledge", "met")), "{kinds:?}");
        assert!(kinds.contains(&("fix", "open")), "{kinds:?}");

        // Sign out, and back in: password, then a code. A replayed code is refused.
        let signout = alice.post("/team/signout", &[("csrf", &csrf)]).await;
        assert_eq!(location(&signout), "/team/signin");
        assert_eq!(location(&alice.get("/team").await), "/team/signin");
        let form = alice.get("/team/signin").await.text();
        let step1 = alice
            .post(
                "/team/signin",
                &[
                    ("csrf", &hidden(&form, "csrf")),
                    ("email", "Alice@Example.org"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(location(&step1), "/team/signin/code", "{}", step1.text());
        let code_page = alice.get("/team/signin/code").await.text();
        let unix = now().as_second() as u64 + 1800;
        let used = totp_code(&secret, now().as_second() as u64);
        let replay = alice
            .post(
                "/team/signin/code",
                &[("csrf", &hidden(&code_page, "csrf")), ("code", &used)],
            )
            .await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
        let ok = alice
            .post(
                "/team/signin/code",
                &[
                    ("csrf", &hidden(&code_page, "csrf")),
                    ("code", &totp_code(&secret, unix)),
                ],
            )
            .await;
        assert_eq!(location(&ok), "/team", "{}", ok.text());
        assert_eq!(alice.get("/team").await.status, StatusCode::OK);

        // Once an advisory about the report is scheduled, the reporter sees the date.
        let report_id = postern_core::report::ReportId::parse(&id).unwrap();
        let advisory = postern_core::advisory::Advisory {
            id: postern_core::advisory::AdvisoryId::new("ACME", 2026, 1),
            project: "acme".into(),
            title: "RCE in the upload handler".into(),
            summary: "Uploads could run code".into(),
            details: String::new(),
            severity: None,
            cvss_v3: None,
            cvss_v4: None,
            cwes: Vec::new(),
            affected: vec![postern_core::advisory::Affected {
                ecosystem: "npm".into(),
                package: "acme".into(),
                ranges: Vec::new(),
                versions: vec!["1.0.0".into()],
            }],
            references: Vec::new(),
            credits: Vec::new(),
            aliases: Vec::new(),
            published: None,
            modified: now(),
        };
        app.store
            .save_advisory(&advisory, Some(&report_id), "alice@example.org", now())
            .await
            .unwrap();
        let embargo: jiff::Timestamp = "2026-12-15T09:00:00Z".parse().unwrap();
        app.store
            .schedule_advisory(&advisory.id, embargo, "alice@example.org", now())
            .await
            .unwrap();
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &case_key)
            .await
            .json();
        assert_eq!(view["disclosure"]["advisory"], "ACME-2026-0001");
        assert_eq!(
            view["disclosure"]["scheduled_for"],
            "2026-12-15T09:00:00.000Z"
        );
        assert_eq!(view["disclosure"]["published_at"], serde_json::Value::Null);

        // Everything is on the record, and the chain holds.
        let events = app
            .store
            .report_events(&postern_core::report::ReportId::parse(&id).unwrap())
            .await
            .unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert!(
            actions.contains(&"report.viewed") && actions.contains(&"report.accepted"),
            "{actions:?}"
        );
        app.store.verify_audit().await.unwrap();
    }
}

#[tokio::test]
async fn roles_and_projects_are_checked_on_every_request() {
    let other = project("Other", "");
    for app in TestApp::all(vec![acme(), other.clone()], IntakeLimits::default()).await {
        let (id, _) = submit(&app, "Bug").await;
        let mut viewer = Browser::new(&app);
        set_up(&mut viewer, "vera@example.org", Role::Viewer, &[]).await;
        let page = viewer.get(&format!("/team/reports/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.backend);
        assert!(
            !page.text().contains("name=\"action\""),
            "a viewer is offered no actions"
        );
        let csrf = hidden(&page.text(), "csrf");
        let version = "0";
        let act = viewer
            .post(
                &format!("/team/reports/{id}/act"),
                &[
                    ("csrf", &csrf),
                    ("action", "acknowledge"),
                    ("version", version),
                ],
            )
            .await;
        assert_eq!(act.status, StatusCode::FORBIDDEN);
        // A triager of another project does not see the report at all.
        let mut outsider = Browser::new(&app);
        set_up(
            &mut outsider,
            "olga@example.org",
            Role::Triager,
            &["other".into()],
        )
        .await;
        assert_eq!(
            outsider.get(&format!("/team/reports/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert!(!outsider.get("/team").await.text().contains(&id));
    }
}

#[tokio::test]
async fn failed_sign_ins_slow_down_the_address_never_lock_the_account_and_are_audited() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let mut mallory = Browser::new(&app);
        let (_, code) = app
            .store
            .create_user("bob@example.org", Role::Viewer, &[], "test", now())
            .await
            .unwrap();
        let hash = postern_store::credentials::hash_password(PASSWORD).unwrap();
        app.store
            .complete_setup(&code, &hash, None, now())
            .await
            .unwrap();
        let form = mallory.get("/team/signin").await.text();
        let csrf = hidden(&form, "csrf");
        let attempt = |email: &'static str, password: &'static str| {
            [
                ("csrf", csrf.clone()),
                ("email", email.to_owned()),
                ("password", password.to_owned()),
            ]
        };
        for _ in 0..5 {
            let pairs = attempt("bob@example.org", "not the password at all");
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let wrong = mallory.post("/team/signin", &pairs).await;
            assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
            assert!(wrong.text().contains("The email or password is wrong."));
        }
        // This address now waits for this account, told how long, even with the right password.
        let pairs = attempt("bob@example.org", PASSWORD);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let held = mallory.post("/team/signin", &pairs).await;
        assert_eq!(
            held.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            held.text()
        );
        assert_eq!(held.headers["retry-after"], "30");
        assert!(held.text().contains("Wait 30 seconds"), "{}", held.text());
        // An unknown account is held up the same way: the wait tells nothing about accounts.
        for _ in 0..5 {
            let pairs = attempt("nobody@example.org", "whatever it is");
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            mallory.post("/team/signin", &pairs).await;
        }
        let pairs = attempt("nobody@example.org", PASSWORD);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let unknown = mallory.post("/team/signin", &pairs).await;
        assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            support_message(&held.text()),
            support_message(&unknown.text())
        );
        // After the wait, the right password works (viewers need no second factor).
        app.clock.advance_seconds(31);
        let pairs = attempt("bob@example.org", PASSWORD);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let ok = mallory.post("/team/signin", &pairs).await;
        assert_eq!(location(&ok), "/team", "{}", ok.text());
        let (events, _) = app.store.verify_audit().await.unwrap();
        assert!(events >= 11, "{events}");
    }
}

fn support_message(html: &str) -> String {
    let start = html
        .find("<div class=\"errors\"")
        .expect("an error is shown");
    html[start..].split("</div>").next().unwrap().to_owned()
}

#[tokio::test]
async fn a_disclosure_date_proposed_by_the_reporter_is_answered_on_the_record() {
    let mut acme = acme();
    acme.policy.disclosure.max_embargo =
        Some(postern_core::policy::parse_time_span("120 days").unwrap());
    for app in TestApp::all(vec![acme.clone()], IntakeLimits::default()).await {
        let (id, case_key) = submit(&app, "RCE in the upload handler").await;
        let proposals = format!("/api/v1/reports/{id}/disclosure-requests");
        // Beyond the maximum embargo (120 days from receipt: 2027-03-23) and nonsense are
        // refused, naming the field.
        let late = app
            .post_json(&proposals, &json!({"date": "2027-04-01"}), Some(&case_key))
            .await;
        assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = late.text();
        assert!(
            text.contains("maximum embargo of 120 days") && text.contains("2027-03-23"),
            "{text}"
        );
        let bad = app
            .post_json(&proposals, &json!({"date": "next spring"}), Some(&case_key))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text().contains("\"date\""), "{}", bad.text());
        // A proposal through the page that works without JavaScript.
        let page = app
            .post_form(
                "/track/disclosure",
                &[
                    ("case_key", &case_key),
                    ("date", "2027-01-15"),
                    ("reason", "I present it at a conference on 2027-01-20."),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let html = page.text();
        assert!(html.contains("waiting for the team"), "{html}");
        assert!(
            !html.contains("Propose this date"),
            "one proposal waits at a time"
        );

        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;
        let report = alice.get(&format!("/team/reports/{id}")).await.text();
        assert!(
            report.contains("The reporter proposes 2027-01-15"),
            "{report}"
        );
        assert!(report.contains("present it at a conference"), "{report}");
        let act = format!("/team/reports/{id}/act");
        let decline = alice
            .post(
                &act,
                &[
                    ("csrf", &hidden(&report, "csrf")),
                    ("request", &hidden(&report, "request")),
                    ("action", "disclosure-decline"),
                    ("body", "The distributions need until February."),
                ],
            )
            .await;
        assert_eq!(decline.status, StatusCode::SEE_OTHER, "{}", decline.text());

        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &case_key)
            .await
            .json();
        assert_eq!(
            view["disclosure_terms"]["requests"][0]["state"], "declined",
            "{view}"
        );
        assert!(view["disclosure_terms"]["agreed"].is_null());
        let again = app
            .post_json(&proposals, &json!({"date": "2027-02-10"}), Some(&case_key))
            .await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());
        assert_eq!(again.json()["state"], "open");

        let report = alice.get(&format!("/team/reports/{id}")).await.text();
        let accept = alice
            .post(
                &act,
                &[
                    ("csrf", &hidden(&report, "csrf")),
                    ("request", &hidden(&report, "request")),
                    ("action", "disclosure-accept"),
                    ("body", ""),
                ],
            )
            .await;
        assert_eq!(accept.status, StatusCode::SEE_OTHER, "{}", accept.text());
        // Answering the same proposal again is refused, not applied twice.
        let twice = alice
            .post(
                &act,
                &[
                    ("csrf", &hidden(&report, "csrf")),
                    ("request", &hidden(&report, "request")),
                    ("action", "disclosure-decline"),
                ],
            )
            .await;
        assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);

        let track = app
            .post_form("/track", &[("case_key", &case_key)])
            .await
            .text();
        assert!(
            track.contains("The disclosure date agreed with you is 2027-02-10"),
            "{track}"
        );
        assert!(track.contains("We accept 2027-02-10"), "{track}");
        let view = app
            .get_with_key(&format!("/api/v1/reports/{id}"), &case_key)
            .await
            .json();
        assert_eq!(
            view["disclosure_terms"]["agreed"], "2027-02-10T00:00:00.000Z",
            "{view}"
        );
        let actions: Vec<String> = app
            .store
            .report_events(&postern_core::report::ReportId::parse(&id).unwrap())
            .await
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}", e.action, e.actor))
            .filter(|a| a.starts_with("disclosure."))
            .collect();
        assert_eq!(
            actions,
            [
                "disclosure.requested reporter",
                "disclosure.declined alice@example.org",
                "disclosure.requested reporter",
                "disclosure.accepted alice@example.org"
            ]
        );
    }
}

#[tokio::test]
async fn admins_see_notices_given_up_and_send_them_again() {
    use postern_store::jobs::{Failure, JobState, Lane};
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        submit(&app, "A report whose notice is refused").await;
        let lease = jiff::SignedDuration::from_mins(5);
        let events = app
            .store
            .claim_jobs("test", Lane::Events, now(), lease, 10)
            .await
            .unwrap();
        let event = events
            .iter()
            .find(|j| j.kind == "team.new_report")
            .expect("the report's event");
        app.store
            .fail_job(
                &event.id,
                "test",
                now(),
                &Failure::Permanent("550 mailbox unavailable".into()),
                now(),
            )
            .await
            .unwrap();

        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Admin, &[]).await;
        let queue = alice.get("/team").await.text();
        assert!(queue.contains("1 notice(s) could not be sent"), "{queue}");
        let page = alice.get("/team/jobs").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.headers["cache-control"], "no-store");
        let html = page.text();
        assert!(html.contains("550 mailbox unavailable"), "{html}");
        let forged = alice
            .post("/team/jobs/retry", &[("job", event.id.as_str())])
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let again = alice
            .post(
                "/team/jobs/retry",
                &[("csrf", &hidden(&html, "csrf")), ("job", event.id.as_str())],
            )
            .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text());
        let job = app.store.job(&event.id).await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Pending);
        assert!(
            alice
                .get("/team/jobs")
                .await
                .text()
                .contains("None given up. Mail is off on this server")
        );

        let mut bob = Browser::new(&app);
        set_up(&mut bob, "bob@example.org", Role::Triager, &[]).await;
        assert_eq!(bob.get("/team/jobs").await.status, StatusCode::FORBIDDEN);
        assert!(!bob.get("/team").await.text().contains("could not be sent"));
    }
}

#[tokio::test]
async fn a_refused_action_is_explained_in_its_form_with_what_was_typed_kept() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let backend = app.backend;
        let (id, _) = submit(&app, "RCE in the upload handler").await;
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;
        let page = format!("/team/reports/{id}");
        let act = format!("{page}/act");
        let html = alice.get(&page).await.text();
        assert!(
            html.contains("Or choose the CVSS v3.1 base metrics"),
            "{html}"
        );
        let (csrf, version) = (hidden(&html, "csrf"), hidden(&html, "version"));

        // A vector that does not parse: the problem is at the top, linked to the accept form,
        // and in that form, with the vector as typed.
        let typo = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q";
        let post = |action: &'static str, extra: &[(&'static str, &'static str)]| {
            let mut form = vec![
                ("csrf".to_owned(), csrf.clone()),
                ("version".to_owned(), version.clone()),
                ("action".to_owned(), action.to_owned()),
            ];
            form.extend(
                extra
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            );
            form
        };
        let refused = alice
            .post(&act, &pairs(&post("accept", &[("cvss", typo)])))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
        let text = refused.text();
        assert!(text.contains("href=\"#form-accept\""), "{backend}: {text}");
        assert!(
            text.contains("id=\"form-accept-error\""),
            "{backend}: {text}"
        );
        assert!(
            text.contains(&format!("value=\"{typo}\"")),
            "{backend}: {text}"
        );

        // Metrics chosen but one missing: named, and the choices kept.
        let mut metrics = vec![
            ("m-AV", "N"),
            ("m-AC", "L"),
            ("m-PR", "N"),
            ("m-UI", "N"),
            ("m-S", "U"),
            ("m-C", "H"),
            ("m-I", "H"),
        ];
        let partial = alice.post(&act, &pairs(&post("accept", &metrics))).await;
        assert_eq!(
            partial.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
        let text = partial.text();
        assert!(
            text.contains("CVSS metrics") && text.contains("Availability"),
            "{backend}: {text}"
        );
        assert!(
            text.contains("<option value=\"H\" selected>High (H)</option>"),
            "{backend}: {text}"
        );

        // All eight: the vector is built from them, and the page confirms the action.
        metrics.push(("m-A", "H"));
        let accepted = alice.post(&act, &pairs(&post("accept", &metrics))).await;
        assert_eq!(
            location(&accepted),
            format!("{page}?done=accept"),
            "{backend}: {}",
            accepted.text()
        );
        let html = alice.get(&location(&accepted)).await.text();
        assert!(
            html.contains("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (9.8)"),
            "{backend}: {html}"
        );
        assert!(
            html.contains("role=\"status\">Accepted"),
            "{backend}: {html}"
        );
        // Only an action's own name is echoed: anything else says nothing.
        let odd = alice.get(&format!("{page}?done=%3Cscript%3E")).await.text();
        assert!(!odd.contains("role=\"status\""), "{backend}");

        // A message posted from the page as it was before the acceptance is refused (the
        // report changed meanwhile), and its text is kept in its form.
        let words = "Thanks, we can reproduce it and are working on a fix.";
        let message = alice
            .post(&act, &pairs(&post("message", &[("body", words)])))
            .await;
        assert_eq!(
            message.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
        let text = message.text();
        assert!(text.contains("href=\"#form-message\""), "{backend}: {text}");
        assert!(
            text.contains(&format!(">{words}</textarea>")),
            "{backend}: {text}"
        );
    }
}

/// Borrowed pairs of owned ones, as `Browser::post` takes them.
fn pairs(owned: &[(String, String)]) -> Vec<(&str, &str)> {
    owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn a_report_is_assigned_and_the_queue_shows_mine_and_nobodys() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let backend = app.backend;
        let (first, _) = submit(&app, "RCE in the upload handler").await;
        let (second, _) = submit(&app, "RCE in the preview").await;
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;
        let mut vera = Browser::new(&app);
        set_up(&mut vera, "vera@example.org", Role::Viewer, &[]).await;

        let page = format!("/team/reports/{first}");
        let html = alice.get(&page).await.text();
        assert!(
            html.contains("<dt>Assigned to</dt><dd>nobody</dd>"),
            "{backend}"
        );
        // A viewer cannot be assigned, nor an unknown address.
        let (csrf, version) = (hidden(&html, "csrf"), hidden(&html, "version"));
        assert!(
            !html.contains("<option value=\"vera@example.org\""),
            "{backend}"
        );
        for who in ["vera@example.org", "nobody@example.org"] {
            let refused = alice
                .post(
                    &format!("{page}/act"),
                    &[
                        ("csrf", csrf.as_str()),
                        ("version", version.as_str()),
                        ("action", "assign"),
                        ("assignee", who),
                    ],
                )
                .await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend}"
            );
            assert!(
                refused.text().contains("not an enabled triager"),
                "{backend}"
            );
        }
        let assigned = alice
            .post(
                &format!("{page}/act"),
                &[
                    ("csrf", csrf.as_str()),
                    ("version", version.as_str()),
                    ("action", "assign"),
                    ("assignee", "alice@example.org"),
                ],
            )
            .await;
        assert_eq!(
            location(&assigned),
            format!("{page}?done=assign"),
            "{backend}"
        );
        let html = alice.get(&page).await.text();
        assert!(
            html.contains("<dt>Assigned to</dt><dd>alice@example.org</dd>")
                && html.contains("assigned the report to alice@example.org"),
            "{backend}: {html}"
        );

        // The queue: mine has the first, nobody's the second, anyone's both.
        let mine = alice.get("/team?assigned=me").await.text();
        assert!(
            mine.contains(&first) && !mine.contains(&second),
            "{backend}"
        );
        let nobodys = alice.get("/team?assigned=nobody").await.text();
        assert!(
            !nobodys.contains(&first) && nobodys.contains(&second),
            "{backend}"
        );
        let all = alice.get("/team").await.text();
        assert!(all.contains(&first) && all.contains(&second), "{backend}");
        assert_eq!(
            alice.get("/team?assigned=bob").await.status,
            StatusCode::BAD_REQUEST
        );
        // Vera, a viewer, sees the assignment but has no form to change it.
        let seen = vera.get(&page).await.text();
        assert!(
            seen.contains("alice@example.org") && !seen.contains("id=\"form-assign\""),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_queue_sorts_by_severity_newest_or_oldest() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let backend = app.backend;
        // Set up before the clock moves (the second factor's code is of now()).
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;
        let (first, _) = submit(&app, "First in").await;
        app.clock.advance_seconds(60);
        let (second, _) = submit(&app, "Second in").await;
        // The first is accepted as critical; the second stays unrated.
        let page = format!("/team/reports/{first}");
        let html = alice.get(&page).await.text();
        let accepted = alice
            .post(
                &format!("{page}/act"),
                &[
                    ("csrf", hidden(&html, "csrf").as_str()),
                    ("version", hidden(&html, "version").as_str()),
                    ("action", "accept"),
                    ("cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
                ],
            )
            .await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{backend}");
        let position = |html: &str, id: &str| html.find(&format!("/team/reports/{id}")).unwrap();
        for (sort, earlier, later, caption) in [
            ("severity", &first, &second, "most severe first"),
            ("newest", &second, &first, "newest first"),
            ("oldest", &first, &second, "oldest first"),
        ] {
            let html = alice.get(&format!("/team?sort={sort}")).await.text();
            assert!(
                position(&html, earlier) < position(&html, later) && html.contains(caption),
                "{backend}: sort={sort}"
            );
        }
        assert_eq!(
            alice.get("/team?sort=title").await.status,
            StatusCode::BAD_REQUEST
        );
    }
}

#[tokio::test]
async fn the_queue_is_searched_with_a_plain_get_form_together_with_its_filters() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let backend = app.backend;
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Triager, &[]).await;
        let (heap, _) = submit(&app, "Heap overflow in the image parser").await;
        app.clock.advance_seconds(60);
        let (xss, _) = submit(&app, "Stored XSS in comments").await;
        let html = alice.get("/team").await.text();
        assert!(
            html.contains(r#"<form method="get" action="/team" class="filters""#)
                && html.contains(r#"name="q""#),
            "{backend}: the search is part of the filters' GET form"
        );
        // A title word's beginning, any case; a word of the text; an id's beginning.
        let prefix: String = xss.chars().take(6).collect();
        for (q, found, not) in [
            ("OVERFL", &heap, &xss),
            ("comments details", &xss, &heap),
            (prefix.as_str(), &xss, &heap),
        ] {
            let reply = alice.get(&format!("/team?q={}", q.replace(' ', "+"))).await;
            assert_eq!(reply.status, StatusCode::OK, "{backend}: {q}");
            let html = reply.text();
            assert!(
                html.contains(&format!("/team/reports/{found}"))
                    && !html.contains(&format!("/team/reports/{not}")),
                "{backend}: q={q}"
            );
            assert!(
                html.contains("found by “"),
                "{backend}: the caption says what was searched"
            );
        }
        // With the filters: the state's and the order's parameters are kept.
        let html = alice
            .get("/team?q=details&status=received&sort=oldest")
            .await
            .text();
        assert!(
            html.find(&format!("/team/reports/{heap}")).unwrap()
                < html.find(&format!("/team/reports/{xss}")).unwrap(),
            "{backend}: oldest first"
        );
        assert!(
            alice
                .get("/team?q=details&status=closed")
                .await
                .text()
                .contains("No reports match")
        );
        // Nothing to search for: the page says why at the field, and keeps what was typed.
        let reply = alice.get("/team?q=a+of").await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        let html = reply.text();
        assert!(
            html.contains(r#"id="q-error""#)
                && html.contains("no word to search for")
                && html.contains(r#"value="a of""#),
            "{backend}: {html}"
        );
        // A list is not a view: searching writes no audit event.
        let events = app
            .store
            .report_events(&postern_core::report::ReportId::parse(&heap).unwrap())
            .await
            .unwrap();
        assert!(
            events.iter().all(|e| e.action != "report.viewed"),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_viewer_is_refused_before_the_body_is_read_however_malformed() {
    let app = TestApp::new(vec![acme()]).await;
    let (id, _) = submit(&app, "Refused first").await;
    let mut viewer = Browser::new(&app);
    set_up(&mut viewer, "viewer@example.org", Role::Viewer, &[]).await;
    let csrf = hidden(&viewer.get("/team").await.text(), "csrf");
    // A version that is not a number would be a 400 of the form's; the role comes first.
    let act = viewer
        .post(
            &format!("/team/reports/{id}/act"),
            &[("csrf", &csrf), ("action", "acknowledge"), ("version", "x")],
        )
        .await;
    assert_eq!(act.status, StatusCode::FORBIDDEN, "{}", act.text());
    assert!(act.text().contains("triager"), "{}", act.text());
    // Not multipart at all: still 403, not 400.
    let record = viewer
        .post("/team/reports/new", &[("csrf", &csrf), ("channel", "x")])
        .await;
    assert_eq!(record.status, StatusCode::FORBIDDEN, "{}", record.text());
    // A triager with the same malformed body is told what is wrong with it.
    let mut triager = Browser::new(&app);
    set_up(&mut triager, "tri@example.org", Role::Triager, &[]).await;
    let csrf = hidden(&triager.get("/team").await.text(), "csrf");
    let act = triager
        .post(
            &format!("/team/reports/{id}/act"),
            &[("csrf", &csrf), ("action", "acknowledge"), ("version", "x")],
        )
        .await;
    assert_eq!(act.status, StatusCode::BAD_REQUEST, "{}", act.text());
}
