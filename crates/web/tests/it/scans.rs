//! Scanner reports imported through the use case on both databases: counts of new,
//! unchanged, closed and reopened findings, re-imports that change nothing, the policy's fix
//! deadlines, and a failed import that stores nothing.

use postern_app::Actor;
use postern_core::scan::{FindingSeverity, FindingState};
use postern_store::scans::FindingFilter;

use crate::support::{TestApp, now, project};

const SEVERITY: &str = "\n[severity.critical]\nfix = \"7 days\"\n\n[severity.high]\nfix = \"14 days\"\n\n[[supported_versions]]\nversions = \"2.x\"\nsupported = true\n\n[[supported_versions]]\nversions = \"1.x\"\nsupported = false\n";

fn trivy(vulns: &[(&str, &str, &str)]) -> Vec<u8> {
    let list: Vec<String> = vulns
        .iter()
        .map(|(id, pkg, severity)| {
            format!(
                r#"{{"VulnerabilityID": "{id}", "PkgName": "{pkg}", "InstalledVersion": "1.0", "FixedVersion": "1.1", "Severity": "{severity}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"SchemaVersion": 2, "ArtifactName": "app", "Results": [{{"Target": "Cargo.lock", "Class": "lang-pkgs", "Type": "cargo", "Vulnerabilities": [{}]}}]}}"#,
        list.join(",")
    )
    .into_bytes()
}

fn all() -> FindingFilter {
    FindingFilter {
        limit: 2000,
        ..FindingFilter::default()
    }
}

#[tokio::test]
async fn imports_reconcile_and_reimports_change_nothing() {
    for t in TestApp::all(vec![project("Acme", SEVERITY)], Default::default()).await {
        let op = Actor::operator("cli:test");
        let first = trivy(&[
            ("CVE-1", "a", "CRITICAL"),
            ("CVE-2", "b", "HIGH"),
            ("CVE-3", "c", "LOW"),
        ]);
        let out = t
            .uses
            .import_scan(&op, "acme", "api", "2.4", &first)
            .await
            .unwrap();
        assert_eq!(
            (
                out.counts.new,
                out.counts.unchanged,
                out.counts.closed,
                out.counts.reopened
            ),
            (3, 0, 0, 0),
            "{}",
            t.backend
        );
        assert_eq!(out.support, postern_core::scan::Support::Supported);
        let again = t
            .uses
            .import_scan(&op, "acme", "api", "2.4", &first)
            .await
            .unwrap();
        assert_eq!(
            (
                again.counts.new,
                again.counts.unchanged,
                again.counts.closed,
                again.counts.reopened
            ),
            (0, 3, 0, 0)
        );
        // CVE-1 fixed, CVE-4 new.
        let second = trivy(&[
            ("CVE-2", "b", "HIGH"),
            ("CVE-3", "c", "LOW"),
            ("CVE-4", "d", "HIGH"),
        ]);
        let out = t
            .uses
            .import_scan(&op, "acme", "api", "2.4", &second)
            .await
            .unwrap();
        assert_eq!(
            (
                out.counts.new,
                out.counts.unchanged,
                out.counts.closed,
                out.counts.reopened
            ),
            (1, 2, 1, 0)
        );
        // CVE-1 comes back.
        let out = t
            .uses
            .import_scan(&op, "acme", "api", "2.4", &first)
            .await
            .unwrap();
        assert_eq!(
            (
                out.counts.new,
                out.counts.unchanged,
                out.counts.closed,
                out.counts.reopened
            ),
            (0, 2, 1, 1)
        );
        let findings = t.uses.findings(&op, all()).await.unwrap();
        assert_eq!(findings.len(), 4);
        let open: Vec<&str> = findings
            .iter()
            .filter(|f| f.state == FindingState::Open)
            .map(|f| f.finding.vuln_id.as_str())
            .collect();
        assert_eq!(open.len(), 3, "{open:?}");
        // The policy's fix deadline: critical 7 days from when it was seen (again).
        let critical = findings
            .iter()
            .find(|f| f.finding.vuln_id == "CVE-1")
            .unwrap();
        assert_eq!(critical.finding.severity, FindingSeverity::Critical);
        assert_eq!(critical.state, FindingState::Open);
        assert_eq!(
            critical.due_at.unwrap(),
            now() + jiff::SignedDuration::from_hours(7 * 24)
        );
        // Low has no fix time in this policy: no deadline.
        let low = findings
            .iter()
            .find(|f| f.finding.vuln_id == "CVE-3")
            .unwrap();
        assert_eq!(low.due_at, None);
        // An empty report is valid and closes what is gone.
        let out = t
            .uses
            .import_scan(&op, "acme", "api", "2.4", b"")
            .await
            .unwrap();
        assert_eq!((out.counts.closed, out.counts.unchanged), (3, 0));
    }
}

/// A set-up member (password chosen), who is told of findings.
async fn told_member(t: &TestApp, email: &str, role: postern_store::team::Role) {
    let op = Actor::operator("cli:test");
    let (_, code) = t.uses.add_member(&op, email, role, &[]).await.unwrap();
    let hash = postern_store::credentials::hash_password("correct horse battery staple").unwrap();
    t.store
        .complete_setup(&code, &hash, None, t.uses.now())
        .await
        .unwrap();
}

/// The findings notices enqueued so far: (event, address, note).
async fn findings_mails(t: &TestApp) -> Vec<(String, String, String)> {
    let mut mails: Vec<(String, String, String)> = t
        .store
        .jobs(None)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|job| match job.task() {
            Ok(postern_store::jobs::Task::FindingsMail(m)) => {
                Some((m.findings_notice, m.email, m.note))
            }
            _ => None,
        })
        .collect();
    mails.sort();
    mails
}

#[tokio::test]
async fn fix_deadlines_remind_then_escalate_and_an_expired_risk_reopens_on_a_moved_clock() {
    use postern_app::scan::{ClockLook, Decision};
    use postern_store::jobs::{FINDINGS_DUE_SOON, FINDINGS_MISSED, FINDINGS_REOPENED};
    use postern_store::team::Role;
    let hour = 3600;
    for t in TestApp::all(vec![project("Acme", SEVERITY)], Default::default()).await {
        let op = Actor::operator("cli:test");
        told_member(&t, "tri@example.org", Role::Triager).await;
        told_member(&t, "boss@example.org", Role::Admin).await;
        let report = trivy(&[
            ("CVE-1", "a", "CRITICAL"),
            ("CVE-2", "b", "HIGH"),
            ("CVE-3", "c", "LOW"),
        ]);
        t.uses
            .import_scan(&op, "acme", "api", "2.4", &report)
            .await
            .unwrap();
        let look = |n: (usize, usize, usize)| ClockLook {
            reminded: n.0,
            missed: n.1,
            reopened: n.2,
        };
        // Nothing is due at import; a day before the critical one's 7 days, the team is told.
        assert_eq!(
            t.uses.look_at_finding_clocks(true).await.unwrap(),
            look((0, 0, 0))
        );
        t.clock.advance_seconds(6 * 24 * hour);
        assert_eq!(
            t.uses.look_at_finding_clocks(true).await.unwrap(),
            look((1, 0, 0)),
            "{}",
            t.backend
        );
        let mails = findings_mails(&t).await;
        assert_eq!(mails.len(), 2, "one per member: {mails:?}");
        assert!(
            mails
                .iter()
                .all(|(event, _, note)| event == FINDINGS_DUE_SOON
                    && note.contains("1 critical")
                    && note.contains("2026-11-30 10:00 UTC"))
        );
        // Looked at again: already told.
        assert_eq!(
            t.uses.look_at_finding_clocks(true).await.unwrap(),
            look((0, 0, 0))
        );
        // Two hours before: told again; at the limit, the admins are.
        t.clock.advance_seconds(22 * hour);
        assert_eq!(
            t.uses.look_at_finding_clocks(true).await.unwrap(),
            look((1, 0, 0))
        );
        t.clock.advance_seconds(2 * hour);
        assert_eq!(
            t.uses.look_at_finding_clocks(true).await.unwrap(),
            look((0, 1, 0))
        );
        let missed: Vec<_> = findings_mails(&t)
            .await
            .into_iter()
            .filter(|(event, _, _)| event == FINDINGS_MISSED)
            .collect();
        assert_eq!(missed.len(), 1, "{missed:?}");
        assert_eq!(
            missed[0].1, "boss@example.org",
            "escalated to the admin only"
        );
        assert!(
            findings_mails(&t)
                .await
                .iter()
                .all(|(_, _, note)| !note.contains("CVE")),
            "no package or id in a notice"
        );
        // The high one's risk is accepted for a day; when that day ends it is open again, its
        // 14 days counted from the expiry, audited, and the team is told.
        let findings = t.uses.findings(&op, all()).await.unwrap();
        let high = findings
            .iter()
            .find(|f| f.finding.vuln_id == "CVE-2")
            .unwrap();
        let until = t.uses.now() + jiff::SignedDuration::from_hours(24);
        t.uses
            .decide_finding(
                &op,
                &high.id,
                Decision::AcceptRisk {
                    reason: "behind the gateway".into(),
                    until,
                },
            )
            .await
            .unwrap();
        t.clock.advance_seconds(12 * hour);
        assert_eq!(
            t.uses.look_at_finding_clocks(true).await.unwrap(),
            look((0, 0, 0))
        );
        assert_eq!(
            t.uses.finding(&op, &high.id).await.unwrap().state,
            FindingState::AcceptedRisk
        );
        t.clock.advance_seconds(13 * hour);
        assert_eq!(
            t.uses.look_at_finding_clocks(true).await.unwrap(),
            look((0, 0, 1))
        );
        let again = t.uses.finding(&op, &high.id).await.unwrap();
        assert_eq!(again.state, FindingState::Open);
        assert_eq!(
            again.due_at,
            Some(until + jiff::SignedDuration::from_hours(14 * 24))
        );
        assert_eq!(again.reason, None);
        let events = t.store.team_events(1000).await.unwrap();
        let expired: Vec<_> = events
            .iter()
            .filter(|e| e.action == "finding.risk_expired")
            .collect();
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].actor, "system");
        assert!(expired[0].detail.contains(&format!("finding={}", high.id)));
        let reopened: Vec<_> = findings_mails(&t)
            .await
            .into_iter()
            .filter(|(event, _, _)| event == FINDINGS_REOPENED)
            .collect();
        assert_eq!(reopened.len(), 2, "{reopened:?}");
        assert!(reopened[0].2.contains("1 high"), "{reopened:?}");
        // Without mail, a look still opens what expired, and enqueues nothing.
        let before = findings_mails(&t).await.len();
        t.clock.advance_seconds(14 * 24 * hour);
        assert_eq!(
            t.uses.look_at_finding_clocks(false).await.unwrap(),
            look((0, 1, 0))
        );
        assert_eq!(findings_mails(&t).await.len(), before);
    }
}

#[tokio::test]
async fn public_stats_show_how_fast_dependency_findings_were_fixed() {
    let day = 24 * 3600;
    for t in TestApp::all(vec![project("Acme", SEVERITY)], Default::default()).await {
        let op = Actor::operator("cli:test");
        let page = t.get("/stats").await.text();
        assert!(!page.contains("Dependency findings"), "none imported yet");
        let import = |ids: &[&'static str]| {
            let list: Vec<(&str, &str, &str)> =
                ids.iter().map(|id| (*id, *id, "CRITICAL")).collect();
            trivy(&list)
        };
        t.uses
            .import_scan(&op, "acme", "api", "2.4", &import(&["A", "B", "C", "D"]))
            .await
            .unwrap();
        t.clock.advance_seconds(2 * day);
        t.uses
            .import_scan(&op, "acme", "api", "2.4", &import(&["B", "C", "D"]))
            .await
            .unwrap();
        t.clock.advance_seconds(2 * day);
        t.uses
            .import_scan(&op, "acme", "api", "2.4", &import(&["D"]))
            .await
            .unwrap();
        // D is still open past its 7 days: missed. A, B and C were fixed in time.
        t.clock.advance_seconds(6 * day);
        let page = t.get("/stats").await.text();
        let section = page
            .split("<h2>Dependency findings</h2>")
            .nth(1)
            .unwrap_or_else(|| panic!("{}: {page}", t.backend));
        assert!(
            section.contains("4 findings first seen, 3 fixed."),
            "{section}"
        );
        assert!(
            section.contains(
                "<td>fixed (Critical)</td><td data-label=\"Findings\">3</td><td data-label=\"Median\">4 days 0 h</td>"
            ),
            "{section}"
        );
        assert!(
            section.contains("<td>fix by the deadline</td><td>4</td><td>1</td><td>75 %</td>"),
            "{section}"
        );
    }
}

#[tokio::test]
async fn a_bad_report_stores_nothing_and_says_where() {
    for t in TestApp::all(vec![project("Acme", SEVERITY)], Default::default()).await {
        let op = Actor::operator("cli:test");
        let good = trivy(&[("CVE-1", "a", "CRITICAL")]);
        t.uses
            .import_scan(&op, "acme", "api", "1.2", &good)
            .await
            .unwrap();
        let cut = &good[..good.len() - 10];
        let error = t
            .uses
            .import_scan(&op, "acme", "api", "1.2", cut)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("report:") && error.contains("truncated"),
            "{error}"
        );
        let findings = t.uses.findings(&op, all()).await.unwrap();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].state, FindingState::Open);
        // 1.x is a line the policy no longer supports.
        assert_eq!(findings[0].support, "unsupported");
        let error = t
            .uses
            .import_scan(&op, "nope", "api", "1.2", &good)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("project"), "{error}");
    }
}

#[tokio::test]
async fn fifteen_thousand_findings_import_in_one_transaction() {
    for t in TestApp::all(vec![project("Acme", SEVERITY)], Default::default()).await {
        let op = Actor::operator("cli:test");
        let many: Vec<(String, String)> = (0..15_000)
            .map(|i| (format!("CVE-2026-{i}"), format!("pkg{}", i % 700)))
            .collect();
        let refs: Vec<(&str, &str, &str)> = many
            .iter()
            .map(|(id, pkg)| (id.as_str(), pkg.as_str(), "HIGH"))
            .collect();
        let report = trivy(&refs);
        let out = t
            .uses
            .import_scan(&op, "acme", "big", "2.0", &report)
            .await
            .unwrap();
        assert_eq!(out.counts.new, 15_000, "{}", t.backend);
        let out = t
            .uses
            .import_scan(&op, "acme", "big", "2.0", &report)
            .await
            .unwrap();
        assert_eq!(out.counts.unchanged, 15_000);
        assert_eq!(out.counts.new + out.counts.closed + out.counts.reopened, 0);
    }
}

mod api {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use postern_app::Actor;
    use postern_app::tokens::{NewToken, SCANS_WRITE};

    use super::trivy;
    use crate::support::{TestApp, project};

    async fn token(t: &TestApp, projects: &[&str]) -> String {
        let (_, value) = t
            .uses
            .create_token(
                &Actor::operator("cli:test"),
                NewToken {
                    name: "CI".into(),
                    projects: projects.iter().map(|p| p.to_string()).collect(),
                    scopes: vec![SCANS_WRITE.into()],
                    days: 30,
                },
            )
            .await
            .unwrap();
        value.to_string()
    }

    fn post(path: &str, token: Option<&str>, body: Vec<u8>) -> Request<Body> {
        let mut request = Request::post(path).header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.body(Body::from(body)).unwrap()
    }

    #[tokio::test]
    async fn a_ci_job_imports_with_a_token_of_its_project_only() {
        let projects = vec![project("Acme", ""), project("Other", "")];
        for t in TestApp::all(projects, Default::default()).await {
            let acme = token(&t, &["acme"]).await;
            let report = trivy(&[("CVE-1", "a", "HIGH"), ("CVE-2", "b", "LOW")]);
            let path = "/api/v1/projects/acme/scans?product=api&version=main";
            let reply = t.send(post(path, Some(&acme), report.clone())).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{}: {}",
                t.backend,
                reply.text()
            );
            let json = reply.json();
            assert_eq!(
                (json["new"].as_u64(), json["format"].as_str()),
                (Some(2), Some("trivy"))
            );
            // The same report again: nothing changes.
            let json = t.send(post(path, Some(&acme), report.clone())).await.json();
            assert_eq!(
                (json["new"].as_u64(), json["unchanged"].as_u64()),
                (Some(0), Some(2))
            );
            // The JSON envelope names product and version itself.
            let envelope = serde_json::json!({"product": "api", "version": "main",
                "report": serde_json::from_slice::<serde_json::Value>(&trivy(&[("CVE-1", "a", "HIGH")])).unwrap()});
            let reply = t
                .send(post(
                    "/api/v1/projects/acme/scans",
                    Some(&acme),
                    envelope.to_string().into_bytes(),
                ))
                .await;
            assert_eq!(reply.json()["closed"].as_u64(), Some(1), "{}", reply.text());
            // Another project's import with this token: 403, saying why; nothing stored.
            let reply = t
                .send(post(
                    "/api/v1/projects/other/scans?product=api&version=main",
                    Some(&acme),
                    report.clone(),
                ))
                .await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
            assert!(reply.json()["error"].as_str().unwrap().contains("acme"));
            // No token, or a wrong one: 401 with WWW-Authenticate.
            let reply = t.send(post(path, None, report.clone())).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            assert_eq!(reply.headers["www-authenticate"], "Bearer");
            let reply = t.send(post(path, Some("pst_nope"), report.clone())).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            // A truncated report: 422 naming the report and where it ends.
            let reply = t
                .send(post(path, Some(&acme), report[..report.len() / 2].to_vec()))
                .await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(reply.text().contains("truncated"), "{}", reply.text());
            // 200 MB: refused from its length, before reading.
            let big = Request::post(path)
                .header("content-type", "application/json")
                .header("content-length", (200u64 * 1024 * 1024).to_string())
                .header("authorization", format!("Bearer {acme}"))
                .body(Body::from("{}"))
                .unwrap();
            let reply = t.send(big).await;
            assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
            assert!(reply.text().contains("128 MiB"), "{}", reply.text());
            // Revoked: 401 from then on.
            let op = Actor::operator("cli:test");
            let id = t.uses.tokens(&op).await.unwrap()[0].id.clone();
            t.uses.revoke_token(&op, &id).await.unwrap();
            let reply = t.send(post(path, Some(&acme), report.clone())).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            // The token's value is in no audit event.
            let events = t.store.team_events(1000).await.unwrap();
            assert!(events.iter().any(|e| e.action == "token.created"));
            assert!(events.iter().any(|e| e.action == "token.revoked"));
            assert!(events.iter().all(|e| !e.detail.contains(&acme)));
            assert!(
                events
                    .iter()
                    .any(|e| e.action == "scan.imported" && e.actor.starts_with("token:"))
            );
        }
    }
}

mod pages {
    use axum::http::StatusCode;
    use postern_app::Actor;
    use postern_store::team::Role;

    use super::{SEVERITY, trivy};
    use crate::support::{Browser, TestApp, hidden, project};
    use crate::team::set_up;

    #[tokio::test]
    async fn the_findings_page_filters_and_a_finding_is_decided() {
        let t = TestApp::new(vec![project("Acme", SEVERITY)]).await;
        let op = Actor::operator("cli:test");
        let report = trivy(&[("CVE-1", "alpha", "CRITICAL"), ("CVE-2", "beta", "HIGH")]);
        t.uses
            .import_scan(&op, "acme", "api", "2.4", &report)
            .await
            .unwrap();
        let mut tri = Browser::new(&t);
        set_up(&mut tri, "tri@example.org", Role::Triager, &[]).await;
        let page = tri.get("/team/findings?severity=critical").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let html = page.text();
        assert!(
            html.contains(">CVE-1<") && !html.contains(">CVE-2<"),
            "{html}"
        );
        let html = tri.get("/team/findings?package=bet").await.text();
        assert!(
            html.contains(">CVE-2<") && !html.contains(">CVE-1<"),
            "{html}"
        );
        let id = t
            .uses
            .findings(&op, super::all())
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.finding.vuln_id == "CVE-1")
            .unwrap()
            .id;
        let page = tri.get(&format!("/team/findings/{id}")).await.text();
        assert!(page.contains("Accept the risk"), "{page}");
        let csrf = hidden(&page, "csrf");
        let path = format!("/team/findings/{id}/decide");
        // No reason: the page says so and nothing changes.
        let reply = tri
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("decision", "false-positive"),
                    ("reason", ""),
                ],
            )
            .await;
        assert!(reply.text().contains("say why"), "{}", reply.text());
        let reply = tri
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("decision", "accept-risk"),
                    ("reason", "not reachable from the API"),
                    ("until", "2027-01-31"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
        let f = t.uses.finding(&op, &id).await.unwrap();
        assert_eq!(f.state.name(), "accepted-risk");
        assert_eq!(f.due_at, None);
        // A re-import leaves the decision as it is.
        let out = t
            .uses
            .import_scan(&op, "acme", "api", "2.4", &report)
            .await
            .unwrap();
        assert_eq!(out.counts.unchanged, 2);
        assert_eq!(
            t.uses.finding(&op, &id).await.unwrap().state.name(),
            "accepted-risk"
        );
        // A token made on the page is shown once.
        let reply = tri
            .post(
                "/team/tokens",
                &[
                    ("csrf", &csrf),
                    ("name", "CI"),
                    ("project", "acme"),
                    ("days", "30"),
                ],
            )
            .await;
        assert!(reply.text().contains("pst_"), "{}", reply.text());
        assert!(!tri.get("/team/findings").await.text().contains("pst_"));
    }

    #[tokio::test]
    async fn an_advisory_is_drafted_from_a_finding_the_project_ships() {
        let products =
            "\n[[products]]\nname = \"acme-api\"\necosystem = \"PyPI\"\npackage = \"acme-api\"\n";
        let t = TestApp::new(vec![project("Acme", &format!("{SEVERITY}{products}"))]).await;
        let op = Actor::operator("cli:test");
        let report = trivy(&[("CVE-2026-1", "libyaml", "CRITICAL")]);
        t.uses
            .import_scan(&op, "acme", "acme-api", "2.4.1", &report)
            .await
            .unwrap();
        let id = t.uses.findings(&op, super::all()).await.unwrap()[0]
            .id
            .clone();
        let path = format!("/team/findings/{id}/advisory");
        // A viewer is shown no button and is refused.
        let mut viewer = Browser::new(&t);
        set_up(&mut viewer, "viewer@example.org", Role::Viewer, &[]).await;
        let page = viewer.get(&format!("/team/findings/{id}")).await.text();
        assert!(!page.contains("Draft an advisory"), "{page}");
        let csrf = hidden(&page, "csrf");
        let reply = viewer.post(&path, &[("csrf", &csrf)]).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
        // A triager drafts it: the advisory names the project's product, the scanned version
        // and the dependency's id, and the finding links to it.
        let mut tri = Browser::new(&t);
        set_up(&mut tri, "tri@example.org", Role::Triager, &[]).await;
        let page = tri.get(&format!("/team/findings/{id}")).await.text();
        assert!(page.contains("Draft an advisory"), "{page}");
        let csrf = hidden(&page, "csrf");
        let reply = tri.post(&path, &[("csrf", &csrf)]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
        let location = crate::support::location(&reply);
        let advisory_id = location.trim_start_matches("/team/advisories/").to_owned();
        let stored = t
            .store
            .advisory(&postern_core::advisory::AdvisoryId::parse(&advisory_id).unwrap())
            .await
            .unwrap()
            .unwrap();
        let advisory = stored.advisory;
        assert_eq!(advisory.affected[0].package, "acme-api");
        assert_eq!(advisory.affected[0].versions, vec!["2.4.1".to_owned()]);
        assert_eq!(
            advisory.severity,
            Some(postern_core::policy::Severity::Critical)
        );
        assert!(
            advisory.details.contains("libyaml 1.0"),
            "{}",
            advisory.details
        );
        assert!(advisory.title.contains("CVE-2026-1"), "{}", advisory.title);
        assert!(
            advisory.aliases.is_empty(),
            "the dependency's id is not this advisory's"
        );
        let page = tri.get(&format!("/team/findings/{id}")).await.text();
        assert!(
            page.contains(&format!("/team/advisories/{advisory_id}")),
            "{page}"
        );
        assert!(!page.contains("Draft an advisory"), "{page}");
        // Once per finding: a second draft is refused on the page, nothing more stored.
        let reply = tri.post(&path, &[("csrf", &csrf)]).await;
        assert!(
            reply.text().contains("drafted from this finding already"),
            "{}",
            reply.text()
        );
        let drafts = t.store.team_events(1000).await.unwrap();
        assert_eq!(
            drafts
                .iter()
                .filter(|e| e.action == "advisory.saved" && e.detail.contains(&id))
                .count(),
            1,
            "drafting is audited once, naming the finding"
        );
    }
}
