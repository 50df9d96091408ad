//! What a person sees, in a real browser with JavaScript switched off: headless Chromium,
//! driven over the WebDriver protocol by chromedriver, submits a report through the form,
//! reads the case key once, and follows the report on /track; a team member signs in with a
//! second factor; and every page of the demo, public and team, fits a phone and a wide screen
//! with a title and a navigation, and (where axe-core is installed) has no serious or critical
//! accessibility finding at either width.
//!
//! The WebDriver calls are plain JSON over HTTP, so no client library is needed. Skipped, with
//! a message, where chromedriver or chromium is not installed; `.ci/run` installs both, and
//! axe-core from the npm registry.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{http_request, start};

pub(crate) struct Driver {
    child: Child,
    address: String,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = http_request(
            &self.address,
            "DELETE",
            &format!("/session/{}", self.session),
            &[],
            b"",
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    /// A browser with JavaScript switched off, as a careful reporter's is.
    fn start() -> Option<Driver> {
        Driver::start_with(false)
    }

    /// A browser with JavaScript on or off (page scripts only: the test's own WebDriver
    /// scripts run either way).
    pub(crate) fn start_with(javascript: bool) -> Option<Driver> {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let driver = Command::new("chromedriver")
            .arg("--version")
            .output()
            .is_ok();
        let chromium = match (chromium, driver) {
            (Some(chromium), true) => chromium,
            (found, driver) => {
                // Name exactly what is missing.
                let missing = match (found.is_some(), driver) {
                    (false, false) => "chromium and chromedriver are",
                    (false, true) => "chromium is",
                    _ => "chromedriver is",
                };
                skip_notice(format_args!(
                    "skipping the browser test: {missing} not installed (apt-get install chromium chromium-driver)"
                ));
                return None;
            }
        };
        let port = free_port();
        let mut child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("started successfully") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("chromedriver started");
        let address = format!("127.0.0.1:{port}");
        let profile = tempfile::tempdir().unwrap().keep();
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         // A loaded machine must not make Chromium treat the window as in the
                         // background: its timers would be throttled and its frames stopped.
                         "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                         "--disable-backgrounding-occluded-windows",
                         "--window-size=1000,1800", "--hide-scrollbars", format!("--user-data-dir={}", profile.display())],
                "prefs": { "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 } }
            }
        } } });
        let (status, body) = http_request(
            &address,
            "POST",
            "/session",
            &[("Content-Type", "application/json")],
            capabilities.to_string().as_bytes(),
        )
        .expect("session");
        assert_eq!(status, 200, "{body}");
        let session = serde_json::from_str::<Value>(&body).unwrap()["value"]["sessionId"]
            .as_str()
            .unwrap()
            .to_owned();
        let driver = Driver {
            child,
            address,
            session,
        };
        // Finding an element waits (up to this long) for it to appear: how the test waits for
        // a page to load after a click, without sleeping.
        driver.call("POST", "/timeouts", json!({ "implicit": 20000 }));
        Some(driver)
    }

    pub(crate) fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let body = if method == "GET" {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let (status, text) = http_request(
            &self.address,
            method,
            &path,
            &[("Content-Type", "application/json")],
            &body,
        )
        .expect("chromedriver answers");
        assert_eq!(status, 200, "{method} {path}: {text}");
        serde_json::from_str::<Value>(&text).unwrap()["value"].clone()
    }

    pub(crate) fn go(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url }));
    }

    pub(crate) fn element(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            json!({ "using": "css selector", "value": css }),
        );
        found
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    pub(crate) fn click(&self, css: &str) {
        let id = self.element(css);
        self.call("POST", &format!("/element/{id}/click"), json!({}));
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    pub(crate) fn execute(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
    }

    pub(crate) fn source(&self) -> String {
        self.call("GET", "/source", json!({}))
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn screenshot(&self, name: &str) {
        let png = self.call("GET", "/screenshot", json!({}));
        if let Ok(bytes) = data_encoding::BASE64.decode(png.as_str().unwrap().as_bytes()) {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
            let _ = std::fs::write(dir.join(name), bytes);
        }
    }
}

#[test]
fn a_reporter_submits_and_follows_a_report_with_javascript_off() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let server = start(&["--form-min-seconds", "0"], &data.path().join("data"));
    let base = format!("http://{}", server.address);

    driver.go(&format!("{base}/report"));
    let form = driver.source();
    assert!(
        form.contains("Report a vulnerability in Acme Widgets"),
        "{form}"
    );
    assert!(!form.contains("<script"));
    // Keyboard only: Tab walks through every input in order, skips the honeypot, and reaches
    // the submit button.
    let mut focused: Vec<String> = Vec::new();
    for _ in 0..60 {
        driver.call(
            "POST",
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
            { "type": "keyDown", "value": "\u{E004}" }, { "type": "keyUp", "value": "\u{E004}" }
        ] }] }),
        );
        let active = driver.call("GET", "/element/active", json!({}));
        let element = active
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        let tag = driver
            .call("GET", &format!("/element/{element}/name"), json!({}))
            .as_str()
            .unwrap()
            .to_owned();
        let id = driver
            .call("GET", &format!("/element/{element}/property/id"), json!({}))
            .as_str()
            .unwrap_or_default()
            .to_owned();
        focused.push(if id.is_empty() { tag.clone() } else { id });
        if tag == "button" {
            break;
        }
    }
    assert_eq!(
        focused.last().map(String::as_str),
        Some("button"),
        "Tab reaches the submit button: {focused:?}"
    );
    assert!(
        !focused.iter().any(|f| f == "website"),
        "the honeypot is not in the tab order: {focused:?}"
    );
    let expected = [
        "title",
        "description",
        "impact",
        "steps_to_reproduce",
        "proof_of_concept",
        "affected_version",
        "environment",
        "suggested_fix",
        "disclosure_timeline",
        "affected_component",
        "scope",
        "attachments",
        "contact_email",
        "credit_name",
    ];
    let order: Vec<&str> = focused
        .iter()
        .map(String::as_str)
        .filter(|f| expected.contains(f))
        .collect();
    assert_eq!(order, expected, "every input is reachable, in order");

    driver.type_into("#title", "Stored XSS in the widget title");
    driver.type_into("#description", "The title is rendered without escaping.");
    driver.type_into("#impact", "Session theft for every viewer");
    driver.type_into(
        "#steps_to_reproduce",
        "1. Create a widget titled <img src=x onerror=alert(1)>",
    );
    driver.type_into(
        "#proof_of_concept",
        "curl -d 'title=<img src=x onerror=alert(1)>' ...",
    );
    driver.type_into("#credit_name", "Ada");
    driver.screenshot("browser-report-form.png");
    driver.click("button[type=submit]");
    driver.element("#case-key");

    let done = driver.source();
    assert!(done.contains("Report received"), "{done}");
    assert!(done.contains("It is shown only once"));
    driver.screenshot("browser-report-done.png");
    let key_id = driver.element("#case-key");
    let key = driver
        .call(
            "GET",
            &format!("/element/{key_id}/property/value"),
            json!({}),
        )
        .as_str()
        .unwrap()
        .to_owned();
    assert!(key.starts_with("pk-"), "{key}");
    let url = driver
        .call("GET", "/url", json!({}))
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !url.contains(&key[3..]),
        "the case key never appears in a URL: {url}"
    );

    driver.go(&format!("{base}/track"));
    driver.type_into("#case_key", &key);
    driver.click("button[type=submit]");
    driver.element("form[action='/track/message']");
    let case = driver.source();
    assert!(
        case.contains("The title is rendered without escaping."),
        "{case}"
    );
    assert!(case.contains("Received: waiting for the team"));
    driver.type_into("#body", "I can share a video of the attack.");
    driver.click("form[action='/track/message'] button[type=submit]");
    driver.element(".notice");
    let answered = driver.source();
    assert!(
        answered.contains("Your message was sent to the team."),
        "{answered}"
    );
    assert!(answered.contains("I can share a video of the attack."));
    let url = driver
        .call("GET", "/url", json!({}))
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        url.ends_with("/track/message") && !url.contains(&key[3..]),
        "{url}"
    );
    driver.screenshot("browser-case.png");
}

#[test]
fn a_team_member_sets_up_a_second_factor_signs_in_and_acknowledges_with_javascript_off() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let server = start(&[], &data.path().join("data"));
    let code = server.line_after("Setup code");
    let base = format!("http://{}", server.address);
    let body = json!({"fields": {"title": "Path traversal in downloads", "description": "GET /files?name=../../etc/passwd", "impact": "read any file", "steps_to_reproduce": "curl", "proof_of_concept": "curl"}}).to_string();
    let (status, reply) = http_request(
        &server.address,
        "POST",
        "/api/v1/reports",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 201, "{reply}");
    let id = serde_json::from_str::<Value>(&reply).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Set the password, then the second factor, from the code the app would show.
    let password = "quarry lantern velvet osprey";
    driver.go(&format!("{base}/team/setup"));
    driver.type_into("#code", &code);
    driver.type_into("#password", password);
    driver.type_into("#confirm", password);
    driver.click("button[type=submit]");
    driver.element("figure.qr svg");
    let enrol = driver.source();
    let secret = hidden_value(&enrol, "secret");
    let secret = postern_store::credentials::TotpSecret::from_bytes(
        data_encoding::HEXLOWER.decode(secret.as_bytes()).unwrap(),
    )
    .unwrap();
    let unix = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    driver.type_into(
        "#code",
        &postern_store::credentials::totp_code(&secret, unix()),
    );
    driver.click("button[type=submit]");
    driver.element("ul.codes");
    assert!(driver.source().contains("Your recovery codes"));

    // The queue, the report, and the acknowledgement: a real browser's form posts pass the
    // CSRF and Origin checks.
    driver.go(&format!("{base}/team"));
    driver.click(&format!("a[href='/team/reports/{id}']"));
    driver.element("table.clocks");
    assert!(driver.source().contains("GET /files?name=../../etc/passwd"));
    driver.click("form.action button[type=submit]");
    // Waits for the page after the post (the old one has no such element).
    driver.element("dd.state-acknowledged");
    let page = driver.source();
    assert!(page.contains("report.acknowledged"), "{page}");
    driver.screenshot("browser-team-report.png");

    // Sign out, and in again with the password and the next code.
    driver.click("nav.team button");
    driver.element("#password");
    driver.type_into("#email", "admin@localhost");
    driver.type_into("#password", password);
    driver.click("button[type=submit]");
    driver.element("#code");
    driver.type_into(
        "#code",
        &postern_store::credentials::totp_code(&secret, unix() + 30),
    );
    driver.click("button[type=submit]");
    driver.element("table.queue");
    assert!(driver.source().contains(&id));
}

/// Pages the crawl visits at most, each at every width: a bound on the test's time.
const PAGES_MAX: usize = 60;
/// A wide screen and a phone.
const WIDTHS: [u64; 2] = [1280, 390];
/// The demo's team account.
pub(crate) const DEMO_EMAIL: &str = "demo@example.org";

/// Gives the window `width` and runs `body` in the page once the window has taken it (a window
/// may take a while on a loaded machine), or after 120 tries 25 ms apart when it never does:
/// the body sees `width` and answers with `done(value)`. Timers, not animation frames: a
/// headless window under load sometimes renders no frame at all until it is touched again,
/// and a script waiting for one waits forever.
fn at_width(driver: &Driver, width: u64, body: &str) -> Value {
    driver.call(
        "POST",
        "/window/rect",
        json!({ "width": width, "height": 1000 }),
    );
    let script = format!(
        "const width = arguments[0], done = arguments[arguments.length - 1];
        let tries = 0;
        const run = () => {{
          if (window.innerWidth !== width && tries++ < 120) {{ setTimeout(run, 25); return; }}
          {body}
        }};
        run();"
    );
    driver.call(
        "POST",
        "/execute/async",
        json!({ "script": script, "args": [width] }),
    )
}

/// What `check_page` found wrong, one line per problem.
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    /// (page, width, document width) of every measure, for the failure message.
    widths: Vec<(String, u64, u64)>,
    pages: usize,
}

/// Measures the page shown now at each width (resizing, not reloading): the document is no
/// wider than the window, and the page has a title and a navigation in its header. Returns the
/// same-origin links of the page.
fn check_page(driver: &Driver, name: &str, findings: &mut Findings) -> Vec<String> {
    findings.pages += 1;
    let shots = std::env::var_os("POSTERN_SCREENSHOTS").is_some();
    let mut links = Vec::new();
    for width in WIDTHS {
        // Measured once the window has its new size (the check below says when it never did).
        let seen = at_width(
            driver,
            width,
            "const d = document.documentElement;
            done([d.scrollWidth, window.innerWidth, document.title,
                  document.querySelectorAll('header nav a[href]').length,
                  Array.from(document.querySelectorAll('a[href]'), a => a.href)]);",
        );
        let number = |i: usize| seen[i].as_u64().unwrap_or_default();
        let (scroll, inner, navigation) = (number(0), number(1), number(3));
        let title = seen[2].as_str().unwrap_or_default().to_owned();
        findings.widths.push((name.to_owned(), width, scroll));
        let mut wrong = Vec::new();
        if inner != width {
            wrong.push(format!("the window is {inner} px wide, not {width}"));
        }
        if scroll > inner {
            wrong.push(format!("{scroll} px wide: it overflows"));
        }
        if !title.ends_with(" · Postern") || title.len() <= " · Postern".len() {
            wrong.push(format!("title {title:?}"));
        }
        if navigation < 3 {
            wrong.push(format!("{navigation} links in the header's navigation"));
        }
        let errors = [
            "Not found",
            "No report form here",
            "Bad request",
            "Not allowed",
        ];
        if errors.iter().any(|e| title.starts_with(e)) && name != "/no-such-page" {
            wrong.push("a link leads to an error page".to_owned());
        }
        let file = format!(
            "page-{}-{width}.png",
            name.trim_matches('/').replace(['/', '?', '=', '&'], "_")
        );
        if !wrong.is_empty() {
            findings
                .problems
                .push(format!("{name} at {width} px: {}", wrong.join("; ")));
        }
        if shots || !wrong.is_empty() {
            driver.screenshot(&file);
        }
        if width == WIDTHS[0] {
            links = seen[4]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
        }
    }
    links
}

/// The kind of page at `path`: ids (anything with a digit, or long) and query values left out,
/// so that the crawl visits one report, one advisory, one filter of each kind.
fn page_kind(path: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut kind = path
        .split('/')
        .map(|segment| {
            if segment.len() >= 20 || segment.chars().any(|c| c.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .filter(|key| !key.is_empty())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    if !keys.is_empty() {
        kind.push('?');
        kind.push_str(&keys.join("&"));
    }
    kind
}

/// The path of `link` when it is a page of this server (not a file, a feed or the API).
fn page_path(base: &str, link: &str) -> Option<String> {
    let path = link.strip_prefix(base)?;
    let path = path.split('#').next()?;
    let file = path.split('?').next()?.rsplit('/').next()?;
    let skip = ["/static/", "/api/", "/.well-known/", "/team/signout"];
    (path.starts_with('/') && !file.contains('.') && !skip.iter().any(|s| path.starts_with(s)))
        .then(|| path.to_owned())
}

/// Visits every page reachable by links from `start` (one of each kind, `PAGES_MAX` in all)
/// and checks each; returns the paths visited.
fn crawl(
    driver: &Driver,
    base: &str,
    start: &[&str],
    kinds: &mut std::collections::HashSet<String>,
    findings: &mut Findings,
) -> Vec<String> {
    let mut queue: std::collections::VecDeque<String> =
        start.iter().map(|s| (*s).to_owned()).collect();
    for path in start {
        kinds.insert(page_kind(path));
    }
    let mut visited = Vec::new();
    while let Some(path) = queue.pop_front() {
        if findings.pages >= PAGES_MAX {
            skip_notice(format_args!(
                "the page crawl stopped at {PAGES_MAX} pages; {} more not visited",
                queue.len() + 1
            ));
            break;
        }
        driver.go(&format!("{base}{path}"));
        for link in check_page(driver, &path, findings) {
            if let Some(next) = page_path(base, &link)
                && kinds.insert(page_kind(&next))
            {
                queue.push_back(next);
            }
        }
        visited.push(path);
    }
    visited
}

/// The demo team account's password, which `serve --demo` prints after seeding.
pub(crate) fn demo_password(server: &crate::support::Server) -> String {
    let account = server.line_after("Seeded the demo:");
    account
        .split("with the password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the demo's password in {account:?}"))
        .to_owned()
}

pub(crate) fn sign_in(driver: &Driver, base: &str, password: &str) {
    driver.go(&format!("{base}/team/signin"));
    driver.type_into("#email", DEMO_EMAIL);
    driver.type_into("#password", password);
    driver.click("button[type=submit]");
    driver.element("nav.team");
}

/// axe-core's script: `POSTERN_AXE_CORE` (a path to axe.min.js), else the one npm installed
/// globally (`npm install -g axe-core`, as `.ci/run` does).
fn axe_core() -> Option<String> {
    let global = crate::support::npm_global("axe-core/axe.min.js");
    std::env::var_os("POSTERN_AXE_CORE")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(global)
        .find_map(|path| std::fs::read_to_string(path).ok())
}

#[test]
fn every_page_fits_a_phone_and_a_wide_screen_with_a_title_and_a_navigation() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let started = Instant::now();
    let data = tempfile::tempdir().unwrap();
    let server = start(
        &["--demo", "--form-min-seconds", "0"],
        &data.path().join("demo"),
    );
    let password = demo_password(&server);
    let base = format!("http://{}", server.address);
    let mut findings = Findings::default();
    let mut kinds = std::collections::HashSet::new();

    // The reporter's pages that only a form's answer shows: the case key, then the case.
    driver.go(&format!("{base}/report"));
    for (field, text) in [
        ("#title", "Layout check"),
        ("#description", "A report made to see the pages."),
        ("#impact", "None"),
        ("#steps_to_reproduce", "Open the pages."),
        (
            "#proof_of_concept",
            "curl https://widgets.example.org/a-very-long-address-that-must-wrap-somewhere/x",
        ),
    ] {
        driver.type_into(field, text);
    }
    driver.click("form[enctype] button[type=submit]");
    let key_field = driver.element("#case-key");
    check_page(&driver, "report received", &mut findings);
    let key = driver
        .call(
            "GET",
            &format!("/element/{key_field}/property/value"),
            json!({}),
        )
        .as_str()
        .unwrap()
        .to_owned();
    driver.go(&format!("{base}/track"));
    driver.type_into("#case_key", &key);
    driver.click("main button[type=submit]");
    driver.element("form[action='/track/message']");
    check_page(&driver, "the case page", &mut findings);

    // Every page a link leads to: the public ones from the start page, the team's once signed in.
    let mut visited = crawl(
        &driver,
        &base,
        &["/", "/no-such-page", "/team/signin", "/team/setup"],
        &mut kinds,
        &mut findings,
    );
    sign_in(&driver, &base, &password);
    visited.extend(crawl(
        &driver,
        &base,
        // Pages that only a form (or a notice that may not be shown) leads to.
        &[
            "/team",
            "/team/jobs",
            "/team/advisories/new?project=acme-widgets",
            "/team?status=closed",
            // The search's answer, which only its GET form leads to.
            "/team?q=widget&status=all",
        ],
        &mut kinds,
        &mut findings,
    ));
    for expected in [
        "/stats",
        "/advisories",
        "/hall-of-fame",
        "/team/screening",
        "/team/subscribers",
    ] {
        assert!(
            visited.iter().any(|v| v == expected),
            "{expected} is linked from somewhere: {visited:?}"
        );
    }
    // Each project is a link away, and its Report link (its form, or its policy when the
    // policy takes reports elsewhere) led to no error page (checked above).
    for project in ["openchat", "linly-talker"] {
        let policy = format!("/projects/{project}/security-policy");
        assert!(visited.contains(&policy), "{policy}: {visited:?}");
    }
    assert!(
        findings.problems.is_empty(),
        "{} problems on {} pages:\n{}\n\nwidths measured: {:?}",
        findings.problems.len(),
        findings.pages,
        findings.problems.join("\n"),
        findings.widths
    );
    drop(driver);

    // Accessibility, where axe-core is installed: it needs JavaScript, so a second browser with
    // it on visits the same pages and injects axe into each, then runs it at each width (the
    // phone's layout is another page to a screen reader: cards, labels, wrapped forms).
    let Some(axe) = axe_core() else {
        skip_notice(format_args!(
            "skipping the accessibility check: axe-core is not installed (npm install -g axe-core, or set POSTERN_AXE_CORE to axe.min.js)"
        ));
        return;
    };
    let Some(driver) = Driver::start_with(true) else {
        return;
    };
    driver.call("POST", "/timeouts", json!({ "script": 30000 }));
    sign_in(&driver, &base, &password);
    let mut serious = Vec::new();
    let mut checked = 0;
    for path in &visited {
        driver.go(&format!("{base}{path}"));
        driver.execute(&format!("{axe}\nreturn true;"));
        for width in WIDTHS {
            // Run once the window has its new width, so that the narrow layout is the one checked.
            let found = at_width(
                &driver,
                width,
                "if (window.innerWidth !== width) { done(['the window is ' + window.innerWidth + ' px wide, not ' + width]); return; }
                axe.run(document, { resultTypes: ['violations'] })
                  .then(r => done(r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' (' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ') + ')')))
                  .catch(e => done(['axe failed: ' + e]));",
            );
            checked += 1;
            for finding in found.as_array().into_iter().flatten() {
                serious.push(format!(
                    "{path} at {width} px: {}",
                    finding.as_str().unwrap_or_default()
                ));
            }
        }
    }
    assert_eq!(
        checked,
        visited.len() * WIDTHS.len(),
        "every page at every width"
    );
    assert!(
        serious.is_empty(),
        "serious or critical accessibility findings:\n{}",
        serious.join("\n")
    );
    assert!(
        started.elapsed() < Duration::from_secs(240),
        "the page checks took {:?}",
        started.elapsed()
    );
}

fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden input") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Says that a test skipped part of its work, on the terminal even when the harness captures
/// test output (a direct write to stderr is not captured).
pub(crate) fn skip_notice(message: std::fmt::Arguments) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "NOTE: {message}");
}
