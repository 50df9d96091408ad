//! What a person sees, in a real browser with JavaScript switched off: headless Chromium,
//! driven over the WebDriver protocol by chromedriver, submits a report through the form,
//! reads the case key once, and follows the report on /track.
//!
//! The WebDriver calls are plain JSON over HTTP, so no client library is needed. Skipped, with
//! a message, where chromedriver or chromium is not installed; `.ci/run` installs both.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{http_request, start};

struct Driver {
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
    fn start() -> Option<Driver> {
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
                         "--window-size=1000,1800", format!("--user-data-dir={}", profile.display())],
                "prefs": { "profile.managed_default_content_settings.javascript": 2 }
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

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
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

    fn go(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url }));
    }

    fn element(&self, css: &str) -> String {
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

    fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.call("POST", &format!("/element/{id}/click"), json!({}));
    }

    fn source(&self) -> String {
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

fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden input") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Says that a test skipped part of its work, on the terminal even when the harness captures
/// test output (a direct write to stderr is not captured).
fn skip_notice(message: std::fmt::Arguments) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "NOTE: {message}");
}
