//! The authorization matrix, generated from the router: every route `postern_web::routes()`
//! lists must have an entry in `ACCESS` (a route added without one fails here), and every cell
//! is tried in-process: each team route as nobody, a viewer, a triager and an admin of the
//! project `acme`, on a resource of `acme` (own) and of `other`; each reporter route with the
//! report's own case key, another report's key and none; each public route as nobody.
//!
//! A cell is judged by what the answer means, not by the exact code of an allowed answer (an
//! allowed POST with an empty form is a 400 or 422, a GET a 200): `Denied` is 403, `Hidden` 404,
//! `SignIn` a redirect to the sign-in page, `Allowed` anything else below 500.

use std::num::NonZeroU32;

use axum::http::StatusCode;
use postern_app::Actor;
use postern_app::case::Seen;
use postern_app::mail::Ingested;
use postern_core::case::{Action, Rating};
use postern_core::report::ReportId;
use postern_store::team::Role;
use postern_web::IntakeLimits;
use serde_json::json;

use crate::support::{Browser, TestApp, hidden, location, project};
use crate::team::set_up;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// The steps of signing in and setting up an account, before a session exists.
    SigningIn,
    /// A signed-in member of at least this role; `scoped` when the route names a resource of
    /// a project, which a member of another project must not learn exists.
    Team { role: Role, scoped: bool },
    /// Whoever holds the report's case key (a bearer header, or the form's `case_key`).
    CaseKey,
    /// Routes whose access needs resources of their own (a scan's findings, an API token):
    /// listed here so that the table stays complete, and checked cell by cell in the named
    /// test instead.
    OwnTest(&'static str),
}

use Access::{CaseKey, OwnTest, Public, SigningIn, Team};

const fn team(role: Role, scoped: bool) -> Access {
    Team { role, scoped }
}

/// Every route and who may use it.
const ACCESS: &[(&str, &str, Access)] = &[
    ("GET", "/", Public),
    ("GET", "/.well-known/csaf/", Public),
    ("GET", "/.well-known/csaf/category-white.json", Public),
    ("GET", "/.well-known/csaf/feed-tlp-white.json", Public),
    ("GET", "/.well-known/csaf/openpgp/", Public),
    ("GET", "/.well-known/csaf/openpgp/{file}", Public),
    ("GET", "/.well-known/csaf/provider-metadata.json", Public),
    ("GET", "/.well-known/csaf/service.json", Public),
    ("GET", "/.well-known/csaf/white/", Public),
    ("GET", "/.well-known/csaf/white/changes.csv", Public),
    ("GET", "/.well-known/csaf/white/index.txt", Public),
    ("GET", "/.well-known/csaf/white/{year}/", Public),
    ("GET", "/.well-known/csaf/white/{year}/{file}", Public),
    ("GET", "/.well-known/openpgpkey/hu/{hash}", Public),
    ("GET", "/.well-known/openpgpkey/policy", Public),
    ("GET", "/.well-known/openpgpkey/{domain}/hu/{hash}", Public),
    ("GET", "/.well-known/openpgpkey/{domain}/policy", Public),
    ("GET", "/.well-known/security.txt", Public),
    ("GET", "/openpgp.asc", Public),
    ("GET", "/SECURITY.md", Public),
    ("GET", "/advisories", Public),
    ("GET", "/advisories.atom", Public),
    ("GET", "/advisories/subscribe", Public),
    ("POST", "/advisories/subscribe", Public),
    ("GET", "/advisories/{id}", Public),
    ("GET", "/advisories/{id}/{format}", Public),
    ("GET", "/api/openapi.json", Public),
    ("POST", "/api/v1/reports", Public),
    ("GET", "/api/v1/reports/{id}", CaseKey),
    ("POST", "/api/v1/reports/{id}/attachments", CaseKey),
    (
        "GET",
        "/api/v1/reports/{id}/attachments/{attachment}",
        CaseKey,
    ),
    ("POST", "/api/v1/reports/{id}/disclosure-requests", CaseKey),
    ("POST", "/api/v1/reports/{id}/messages", CaseKey),
    ("GET", "/hall-of-fame", Public),
    ("GET", "/healthz", Public),
    ("GET", "/projects/{slug}/.well-known/security.txt", Public),
    ("GET", "/projects/{slug}/SECURITY.md", Public),
    ("GET", "/projects/{slug}/openpgp.asc", Public),
    ("GET", "/projects/{slug}/hall-of-fame", Public),
    ("GET", "/projects/{slug}/report", Public),
    ("POST", "/projects/{slug}/report", Public),
    ("GET", "/projects/{slug}/security-policy", Public),
    ("GET", "/projects/{slug}/security.txt", Public),
    ("GET", "/report", Public),
    ("POST", "/report", Public),
    ("GET", "/security-policy", Public),
    ("GET", "/security.txt", Public),
    ("GET", "/static/postern.css", Public),
    ("GET", "/stats", Public),
    ("GET", "/readyz", Public),
    ("GET", "/privacy", Public),
    ("GET", "/team/privacy", team(Role::Viewer, false)),
    ("GET", "/api/v1/reports/{id}/export", CaseKey),
    ("POST", "/api/v1/reports/{id}/erasure-requests", CaseKey),
    ("GET", "/audit/checkpoint", Public),
    ("GET", "/subscriptions/confirm/{token}", Public),
    ("POST", "/subscriptions/confirm/{token}", Public),
    ("GET", "/team", team(Role::Viewer, false)),
    ("GET", "/team/account", team(Role::Viewer, false)),
    (
        "POST",
        "/team/account/openpgp-key",
        team(Role::Viewer, false),
    ),
    (
        "POST",
        "/team/account/openpgp-key/remove",
        team(Role::Viewer, false),
    ),
    ("GET", "/team/advisories", team(Role::Viewer, false)),
    ("GET", "/team/advisories/new", team(Role::Triager, false)),
    ("POST", "/team/advisories/new", team(Role::Triager, false)),
    ("GET", "/team/advisories/{id}", team(Role::Viewer, true)),
    ("POST", "/team/advisories/{id}", team(Role::Triager, true)),
    (
        "POST",
        "/team/advisories/{id}/publish",
        team(Role::Triager, true),
    ),
    (
        "POST",
        "/team/advisories/{id}/schedule",
        team(Role::Triager, true),
    ),
    ("GET", "/team/cvss", team(Role::Viewer, false)),
    ("GET", "/team/jobs", team(Role::Admin, false)),
    ("GET", "/team/findings", team(Role::Viewer, false)),
    (
        "GET",
        "/team/findings/{id}",
        OwnTest("scans::pages::the_findings_page_filters_and_a_finding_is_decided"),
    ),
    (
        "POST",
        "/team/findings/{id}/decide",
        OwnTest("scans::pages::the_findings_page_filters_and_a_finding_is_decided"),
    ),
    (
        "POST",
        "/team/findings/{id}/advisory",
        OwnTest("scans::pages::an_advisory_is_drafted_from_a_finding_the_project_ships"),
    ),
    (
        "POST",
        "/team/tokens",
        OwnTest("scans::pages::the_findings_page_filters_and_a_finding_is_decided"),
    ),
    (
        "POST",
        "/team/tokens/revoke",
        OwnTest("scans::pages::the_findings_page_filters_and_a_finding_is_decided"),
    ),
    (
        "POST",
        "/api/v1/projects/{slug}/scans",
        OwnTest("scans::api::a_ci_job_imports_with_a_token_of_its_project_only"),
    ),
    ("GET", "/team/members", team(Role::Admin, false)),
    ("GET", "/team/webhooks", team(Role::Admin, false)),
    ("GET", "/team/early-access", team(Role::Admin, false)),
    ("GET", "/team/subscribers", team(Role::Admin, false)),
    ("POST", "/team/subscribers/remove", team(Role::Admin, false)),
    ("POST", "/team/early-access", team(Role::Admin, false)),
    (
        "POST",
        "/team/early-access/remove",
        team(Role::Admin, false),
    ),
    ("POST", "/team/webhooks", team(Role::Admin, false)),
    ("POST", "/team/webhooks/{id}/test", team(Role::Admin, false)),
    (
        "POST",
        "/team/webhooks/{id}/remove",
        team(Role::Admin, false),
    ),
    ("POST", "/team/members", team(Role::Admin, false)),
    ("GET", "/team/members/{id}", team(Role::Admin, false)),
    ("POST", "/team/members/{id}", team(Role::Admin, false)),
    ("POST", "/team/members/{id}/reset", team(Role::Admin, false)),
    ("POST", "/team/jobs/retell", team(Role::Admin, false)),
    ("POST", "/team/jobs/retry", team(Role::Admin, false)),
    ("GET", "/team/reports/new", team(Role::Triager, false)),
    ("POST", "/team/reports/new", team(Role::Triager, false)),
    ("GET", "/team/reports/{id}", team(Role::Viewer, true)),
    ("POST", "/team/reports/{id}/act", team(Role::Triager, true)),
    (
        "POST",
        "/team/reports/{id}/advisory",
        team(Role::Triager, true),
    ),
    (
        "POST",
        "/team/reports/{id}/attachment",
        team(Role::Viewer, true),
    ),
    ("GET", "/team/screening", team(Role::Viewer, false)),
    ("GET", "/team/screening/{id}", team(Role::Viewer, true)),
    (
        "POST",
        "/team/screening/{id}/decide",
        team(Role::Triager, true),
    ),
    (
        "POST",
        "/team/screening/{id}/original",
        team(Role::Admin, true),
    ),
    ("GET", "/team/second-factor", SigningIn),
    ("POST", "/team/second-factor", SigningIn),
    ("GET", "/team/setup", SigningIn),
    ("POST", "/team/setup", SigningIn),
    ("GET", "/team/signin", SigningIn),
    ("POST", "/team/signin", SigningIn),
    ("GET", "/team/signin/code", SigningIn),
    ("POST", "/team/signin/code", SigningIn),
    ("POST", "/team/signout", team(Role::Viewer, false)),
    (
        "POST",
        "/team/signout-everywhere",
        team(Role::Viewer, false),
    ),
    ("GET", "/track", Public),
    ("POST", "/track", CaseKey),
    ("POST", "/track/attachment", CaseKey),
    ("POST", "/track/disclosure", CaseKey),
    ("POST", "/track/message", CaseKey),
    ("POST", "/track/export", CaseKey),
    ("POST", "/track/erasure", CaseKey),
    ("GET", "/unsubscribe/{token}", Public),
    ("POST", "/unsubscribe/{token}", Public),
];

/// What an answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Done, shown, or sent on (2xx, or a redirect elsewhere than the sign-in page).
    Done,
    /// Let in, and refused for what the request said (400, 409, 413, 415, 422).
    Invalid,
    Denied,
    Hidden,
    SignIn,
}

use Outcome::{Denied, Done, Hidden, Invalid, SignIn};

/// Let in: the answer is about the request, not about who sent it.
const LET_IN: &[Outcome] = &[Done, Invalid];

fn outcome(status: StatusCode, location: &str) -> Outcome {
    match status {
        StatusCode::FORBIDDEN => Denied,
        StatusCode::NOT_FOUND => Hidden,
        s if s.is_redirection() && location.starts_with("/team/signin") => SignIn,
        s if s.is_success() || s.is_redirection() => Done,
        StatusCode::BAD_REQUEST
        | StatusCode::CONFLICT
        | StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::UNSUPPORTED_MEDIA_TYPE
        | StatusCode::UNPROCESSABLE_ENTITY => Invalid,
        s => panic!("{s} is not an answer of the matrix (a limit, or a server error)"),
    }
}

/// A project that ships a package, so that its reports can have advisories.
fn shipping(name: &str) -> postern_web::Project {
    project(
        name,
        &format!(
            "[[products]]\nname = \"{0}\"\necosystem = \"PyPI\"\npackage = \"{0}\"\n",
            name.to_lowercase()
        ),
    )
}

/// One project's resources a path's parameters are filled with.
struct Resources {
    report: String,
    key: String,
    attachment: String,
    advisory: String,
    screening: String,
    /// A team account (the members pages name one).
    member: String,
}

async fn resources(app: &TestApp, slug: &str, screening: &str) -> Resources {
    let reply = app
        .post_json(
            "/api/v1/reports",
            &json!({
                "project": slug,
                "fields": {"title": "Matrix", "description": "d", "impact": "i", "steps_to_reproduce": "s"},
                "attachments": [{"filename": "poc.txt", "content_base64": "cG9j"}],
            }),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let created = reply.json();
    let report = created["id"].as_str().unwrap().to_owned();
    let key = created["case_key"].as_str().unwrap().to_owned();
    let view = app
        .get_with_key(&format!("/api/v1/reports/{report}"), &key)
        .await;
    let attachment = view.json()["attachments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let operator = Actor::operator("cli:test");
    let id = ReportId::parse(&report).unwrap();
    app.uses
        .act_on_report(
            &operator,
            &id,
            Seen::Current,
            Action::Accept(Rating {
                cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
                ..Rating::default()
            }),
            None,
        )
        .await
        .unwrap();
    let advisory = app
        .uses
        .draft_advisory_from_report(&operator, &id)
        .await
        .unwrap()
        .id
        .to_string();
    Resources {
        report,
        key,
        attachment,
        advisory,
        screening: screening.to_owned(),
        member: app
            .store
            .create_user(
                &format!("member-of-{slug}@example.org"),
                Role::Viewer,
                &[slug.to_owned()],
                "test",
                crate::support::now(),
            )
            .await
            .unwrap()
            .0
            .id,
    }
}

/// `path` with its parameters filled from `r`.
fn fill(path: &str, r: &Resources, slug: &str) -> String {
    let id = if path.starts_with("/team/advisories/") || path.starts_with("/advisories/") {
        &r.advisory
    } else if path.starts_with("/team/screening/") {
        &r.screening
    } else if path.starts_with("/team/members/") {
        &r.member
    } else {
        &r.report
    };
    let path = if path == "/team/advisories/new" {
        format!("{path}?project={slug}")
    } else {
        path.to_owned()
    };
    path.replace("{id}", id)
        .replace("{attachment}", &r.attachment)
        .replace("{slug}", slug)
        .replace("{format}", "osv.json")
        .replace("{year}", "2026")
        .replace("{file}", "x.json")
        .replace("{token}", "not-a-token")
}

/// The form or JSON a page or client would send to `path` besides the CSRF token and the
/// case key, so that the answer is about who sends it rather than a field left out.
async fn body_of(app: &TestApp, path: &str, r: &Resources, slug: &str) -> Vec<(String, String)> {
    let pairs: &[(&str, &str)] = if path.ends_with("/act") {
        &[("action", "acknowledge")]
    } else if path.ends_with("/attachment") && path.starts_with("/team/") {
        &[("attachment_id", &r.attachment)]
    } else if path.ends_with("/decide") {
        &[("decision", "discard")]
    } else if path.starts_with("/team/advisories/new") {
        &[("project", slug)]
    } else {
        &[]
    };
    let mut pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if path.ends_with("/act") {
        let id = ReportId::parse(&r.report).unwrap();
        let row = app
            .uses
            .visible_case(&Actor::operator("cli:test"), &id)
            .await
            .unwrap();
        pairs.push(("version".into(), row.version.to_string()));
    }
    pairs
}

/// The JSON body each reporter API route takes, well formed.
fn api_body(path: &str) -> serde_json::Value {
    if path.ends_with("/messages") {
        json!({ "body": "Any news?" })
    } else if path.ends_with("/attachments") {
        json!({ "attachments": [] })
    } else if path.ends_with("/disclosure-requests") {
        json!({ "date": "2026-12-20", "reason": "a talk" })
    } else if path.ends_with("/erasure-requests") {
        json!({ "what": "contact" })
    } else {
        json!({})
    }
}

/// Sends `method path` as `browser` (its session, if any), with the CSRF token and the
/// case key (a bearer header for the API, the form's `case_key` for the pages) when given.
async fn send(
    browser: &mut Browser<'_>,
    method: &str,
    path: &str,
    form: &[(String, String)],
    csrf: &str,
    key: Option<&str>,
) -> (StatusCode, String) {
    let api = path.starts_with("/api/");
    let reply = match (method, api, key) {
        ("GET", true, Some(key)) => browser.app.get_with_key(path, key).await,
        ("GET", _, _) => browser.get(path).await,
        (_, true, key) => browser.app.post_json(path, &api_body(path), key).await,
        (_, false, key) => {
            let mut pairs: Vec<(&str, &str)> = vec![("csrf", csrf)];
            if let Some(key) = key {
                pairs.push(("case_key", key));
            }
            pairs.extend(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if path == "/team/reports/new" {
                browser.post_multipart(path, &pairs, &[]).await
            } else {
                browser.post(path, &pairs).await
            }
        }
    };
    (reply.status, location(&reply))
}

#[tokio::test]
async fn every_route_of_the_router_answers_each_role_project_and_key_as_the_matrix_says() {
    // Every route has an entry, and every entry a route.
    let routes: Vec<(String, String)> = postern_web::routes()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let mut listed: Vec<(String, String)> = ACCESS
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    listed.sort();
    let missing: Vec<_> = routes.iter().filter(|r| !listed.contains(r)).collect();
    let stale: Vec<_> = listed.iter().filter(|r| !routes.contains(r)).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes without an entry in ACCESS: {missing:?}; entries without a route: {stale:?}"
    );

    let many = NonZeroU32::new(10_000).unwrap();
    let app = TestApp::with_limits(
        vec![shipping("Acme"), shipping("Other")],
        IntakeLimits {
            form_seconds_min: 0,
            submissions_per_hour: many,
            submission_burst: many,
            lookups_per_hour: many,
            lookup_burst: many,
            ..IntakeLimits::default()
        },
    )
    .await;
    let lost = "From: Ada <ada@example.net>\r\nTo: webmaster@acme.example.org\r\nSubject: Lost\r\nMessage-ID: <lost@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nA report.\r\n";
    let Ingested::Screened { item, .. } =
        app.uses.ingest_mail(lost.as_bytes(), None).await.unwrap()
    else {
        panic!("not screened")
    };
    let own = resources(&app, "acme", &item).await;
    // Mail waits in screening under the default project; the other project's cell names the
    // same item, which its members must not see either way.
    let other = resources(&app, "other", &item).await;

    let mut wrong = Vec::new();
    // A path answers exactly the methods the table lists for it (a route given a method
    // router by hand declares its methods; a mismatch would hide a route from the matrix).
    for (_, path, _) in ACCESS {
        for method in ["GET", "POST"] {
            if ACCESS.iter().any(|(m, p, _)| *m == method && p == path) {
                continue;
            }
            let url = fill(path, &own, "acme");
            let request = axum::http::Request::builder()
                .method(method)
                .uri(&url)
                .body(axum::body::Body::empty())
                .unwrap();
            let status = app.send(request).await.status;
            if status != StatusCode::METHOD_NOT_ALLOWED {
                wrong.push(format!(
                    "{method} {path}: {status}, but the table does not list it"
                ));
            }
        }
    }
    let mut cells = 0;
    let mut judge = |cell: String, status: StatusCode, to: &str, expected: &[Outcome]| {
        cells += 1;
        let got = outcome(status, to);
        if !expected.contains(&got) {
            wrong.push(format!("{cell}: {status} ({got:?}), expected {expected:?}"));
        }
    };
    // Nobody signed in: public routes answer (or say there is no such thing), team routes
    // lead to the sign-in page (a POST without a session may be refused outright), the steps
    // of signing in answer without a session.
    let mut nobody = Browser::new(&app);
    for (method, path, access) in ACCESS {
        let expected: &[Outcome] = match access {
            Public => &[Done, Invalid, Hidden],
            SigningIn => &[Done, Invalid, Denied, SignIn],
            Team { .. } if *method == "POST" => &[SignIn, Denied],
            Team { .. } => &[SignIn],
            CaseKey | OwnTest(_) => continue,
        };
        let url = fill(path, &own, "acme");
        let form = body_of(&app, path, &own, "acme").await;
        let (status, to) = send(&mut nobody, method, &url, &form, "", None).await;
        judge(format!("{method} {path} as nobody"), status, &to, expected);
    }
    // The reporter: the report's own key, another report's key (a route naming the report),
    // no key.
    for (method, path, access) in ACCESS {
        if *access != CaseKey {
            continue;
        }
        let url = fill(path, &own, "acme");
        let mut keys: Vec<(&str, Option<&str>, &[Outcome])> = vec![
            ("its own key", Some(own.key.as_str()), LET_IN),
            ("no key", None, &[Hidden, Invalid]),
        ];
        if path.contains("{id}") {
            keys.push(("another report's key", Some(other.key.as_str()), &[Hidden]));
            keys[1].2 = &[Hidden];
        }
        for (who, key, expected) in keys {
            let (status, to) = send(&mut nobody, method, &url, &[], "", key).await;
            judge(format!("{method} {path} with {who}"), status, &to, expected);
        }
    }
    // Each role, a member of `acme` only (an admin sees every project); the routes that end
    // the session last.
    let mut order: Vec<&(&str, &str, Access)> = ACCESS.iter().collect();
    order.sort_by_key(|(_, path, _)| path.starts_with("/team/signout"));
    for role in [Role::Viewer, Role::Triager, Role::Admin] {
        let mut member = Browser::new(&app);
        let email = format!("{}@acme.example.org", role.name());
        set_up(&mut member, &email, role, &["acme".to_owned()]).await;
        let csrf = hidden(&member.get("/team/account").await.text(), "csrf");
        for (method, path, access) in &order {
            let Team {
                role: least,
                scoped,
            } = *access
            else {
                continue;
            };
            for (whose, resources, slug) in [("own", &own, "acme"), ("other", &other, "other")] {
                if !scoped && whose == "other" {
                    continue;
                }
                let hidden_from_them = scoped
                    && whose == "other"
                    && role != Role::Admin
                    && !path.starts_with("/team/screening/");
                let expected: &[Outcome] = if path.starts_with("/team/signout") {
                    &[SignIn]
                } else if role < least {
                    &[Denied]
                } else if hidden_from_them {
                    &[Hidden]
                } else if scoped {
                    LET_IN
                } else {
                    // A route that names what it acts on in its form (a job) may find none.
                    &[Done, Invalid, Hidden]
                };
                let form = body_of(&app, path, resources, slug).await;
                let url = fill(path, resources, slug);
                let (status, to) = send(&mut member, method, &url, &form, &csrf, None).await;
                judge(
                    format!("{method} {path} as {} on the {whose} project", role.name()),
                    status,
                    &to,
                    expected,
                );
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(cells > 2 * ACCESS.len(), "{cells} cells");
}
