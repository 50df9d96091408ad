//! Every public page has a title and the public navigation, whose Report and Policy lead to the
//! right project's pages; the policy page's relative links lead into the project's repository.

use crate::support;

use axum::http::StatusCode;
use postern_core::policy::parse_str;
use postern_web::Project;
use support::{TestApp, now, project};

/// The `href` of the site navigation's link named `label` on `html`.
fn nav_link(html: &str, label: &str) -> String {
    let start = html
        .find("<nav class=\"site\" aria-label=\"Site\">")
        .unwrap_or_else(|| panic!("no site navigation in {html}"));
    let nav = &html[start..start + html[start..].find("</nav>").unwrap()];
    let end = nav
        .find(&format!(">{label}</a>"))
        .unwrap_or_else(|| panic!("no {label} in {nav}"));
    let href = nav[..end].rfind("href=\"").unwrap() + "href=\"".len();
    nav[href..].split('"').next().unwrap().to_owned()
}

fn projects_nav(html: &str) -> Option<&str> {
    let start = html.find("<nav class=\"projects\"")?;
    Some(&html[start..start + html[start..].find("</nav>").unwrap()])
}

const PUBLIC_PAGES: [&str; 13] = [
    "/",
    "/security-policy",
    "/projects/beta/security-policy",
    "/report",
    "/projects/beta/report",
    "/track",
    "/advisories",
    "/hall-of-fame",
    "/projects/beta/hall-of-fame",
    "/stats",
    "/no-such-page",
    "/subscriptions/confirm/not-a-token",
    "/unsubscribe/not-a-token",
];

#[tokio::test]
async fn every_public_page_has_a_title_and_the_navigation() {
    let app = TestApp::new(vec![project("Alpha", ""), project("Beta", "")]).await;
    for path in PUBLIC_PAGES {
        let reply = app.get(path).await;
        let html = reply.text();
        assert!(
            reply.status == StatusCode::OK || reply.status == StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.status
        );
        let title = html
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap_or_default();
        assert!(
            title.ends_with(" · Postern") && title.len() > 12,
            "{path}: {title:?}"
        );
        for label in [
            "Report",
            "Track",
            "Policy",
            "Advisories",
            "Statistics",
            "Hall of fame",
        ] {
            assert!(!nav_link(&html, label).is_empty(), "{path}: {label}");
        }
        assert_eq!(nav_link(&html, "Statistics"), "/stats", "{path}");
        assert_eq!(nav_link(&html, "Advisories"), "/advisories", "{path}");
    }
    // The team's sign-in page, before anyone is signed in, leads back to the public pages.
    let signin = app.get("/team/signin").await.text();
    assert_eq!(nav_link(&signin, "Track"), "/track");
}

#[tokio::test]
async fn report_and_policy_lead_to_the_pages_project_and_each_project_is_a_link_away() {
    let app = TestApp::new(vec![project("Alpha", ""), project("Beta", "")]).await;
    let beta = app.get("/projects/beta/report").await.text();
    assert_eq!(nav_link(&beta, "Report"), "/projects/beta/report");
    assert_eq!(nav_link(&beta, "Policy"), "/projects/beta/security-policy");
    let projects = projects_nav(&beta).expect("a link to each project");
    assert!(
        projects.contains("href=\"/report\"")
            && projects.contains("href=\"/projects/beta/report\" aria-current=\"true\">Beta"),
        "{projects}"
    );
    let alpha = app.get("/security-policy").await.text();
    assert_eq!(nav_link(&alpha, "Report"), "/report");
    assert!(
        projects_nav(&alpha)
            .unwrap()
            .contains("href=\"/projects/beta/security-policy\""),
        "{alpha}"
    );
    // A page about no project in particular sends a reporter to the start page, which lists
    // each project with its own form, rather than to one project's form.
    let advisories = app.get("/advisories").await.text();
    assert_eq!(nav_link(&advisories, "Report"), "/");
    assert!(
        projects_nav(&advisories)
            .unwrap()
            .contains("href=\"/advisories?project=beta\""),
        "{advisories}"
    );
    let home = app.get("/").await.text();
    for href in [
        "/projects/beta/report",
        "/projects/beta/security-policy",
        "/advisories?project=beta",
        "/projects/beta/hall-of-fame",
        "/report",
        "/stats",
    ] {
        assert!(home.contains(&format!("href=\"{href}\"")), "{href}: {home}");
    }
}

#[tokio::test]
async fn with_one_project_report_is_its_form_everywhere_and_no_project_list_is_shown() {
    let app = TestApp::new(vec![project("Alpha", "")]).await;
    for path in ["/", "/advisories", "/stats", "/track"] {
        let html = app.get(path).await.text();
        assert_eq!(nav_link(&html, "Report"), "/report", "{path}");
        assert_eq!(nav_link(&html, "Policy"), "/security-policy", "{path}");
        assert!(projects_nav(&html).is_none(), "{path}");
    }
}

fn policy_with(repository: &str) -> Project {
    let source = format!(
        "[project]\nname = \"Gamma\"\n{repository}\n\n[[channels]]\nkind = \"email\"\nemail = \"security@gamma.example.org\"\n\n[[sections]]\ntitle = \"Conduct\"\nbody = \"Follow the [code of conduct](./CODE_OF_CONDUCT.md), see [the docs](docs/README.md) and [our site](https://gamma.example.org).\"\n"
    );
    let checked = parse_str(&source, now());
    Project {
        policy: checked
            .policy
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics)),
    }
}

#[tokio::test]
async fn relative_links_in_a_policy_lead_into_its_repository_or_are_plain_text() {
    let app = TestApp::new(vec![policy_with(
        "repository = \"https://github.com/gamma/gamma\"",
    )])
    .await;
    let page = app.get("/security-policy").await.text();
    assert!(
        page.contains("href=\"https://github.com/gamma/gamma/blob/HEAD/CODE_OF_CONDUCT.md\""),
        "{page}"
    );
    assert!(page.contains("href=\"https://github.com/gamma/gamma/blob/HEAD/docs/README.md\""));
    assert!(page.contains("href=\"https://gamma.example.org\""));

    // Gamma lists no web-form channel: Report leads to its policy, which names its channels.
    assert_eq!(nav_link(&page, "Report"), "/security-policy");
    let home = app.get("/").await.text();
    assert!(
        home.contains("<a href=\"/security-policy\">Report a vulnerability</a>"),
        "{home}"
    );

    let app = TestApp::new(vec![policy_with("")]).await;
    let page = app.get("/security-policy").await.text();
    assert!(
        page.contains("Follow the code of conduct, see the docs and"),
        "{page}"
    );
    assert!(!page.contains("CODE_OF_CONDUCT.md"), "{page}");
    assert!(page.contains("href=\"https://gamma.example.org\""));
}
