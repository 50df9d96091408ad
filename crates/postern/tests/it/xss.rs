//! Stored XSS, in a real browser with JavaScript on: every payload of `xss_corpus.txt` goes
//! into every field a reporter or team member can fill (the form's fields, the credit name, an
//! attachment's name, messages both ways, a note, an advisory's title, summary, details and
//! credits, mail taken in as a report and mail waiting in screening), then headless Chromium
//! loads every page that shows them with a watcher installed before any page script:
//! `alert`/`confirm`/`prompt` replaced, a global `pwned` whose setting is recorded, every
//! Content-Security-Policy violation (an inline script or handler, a remote load the policy
//! blocked) and every resource the page fetched from anywhere but the server itself. Zero of
//! each is the pass; the payloads shown as text on the pages are the proof they were there.
//!
//! Skipped, with a NOTE, where chromium or chromedriver is missing (`.ci/run` installs both).

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::browser::{Driver, demo_password, sign_in};
use crate::mail_channel::ingest_under;
use crate::support::{http_request, postern, start, stderr, stdout, workspace};

/// The whole test's bound: seeding, every page, every check.
const TEST_SECONDS_MAX: u64 = 300;

/// Installed by the browser before any script of a page runs (DevTools'
/// `Page.addScriptToEvaluateOnNewDocument`, in every frame): records what a payload would do.
const WATCHER: &str = r#"
(() => {
  const hits = [];
  Object.defineProperty(window, '__posternHits', { value: hits });
  const record = what => { try { (window.top.__posternHits || hits).push(what); } catch (e) { hits.push(what); } };
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    window[name] = function (m) { record(name + '(' + m + ')'); };
  }
  Object.defineProperty(window, 'pwned', { configurable: false,
    get() { return undefined; }, set(v) { record('pwned=' + v); } });
  document.addEventListener('securitypolicyviolation', e =>
    record('csp ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' ' + (e.sample || '')), true);
})();
"#;

/// What the page did: the watcher's records and every fetched address not of `base`.
const REPORT_SCRIPT: &str = r#"
const base = arguments[0];
const done = arguments[arguments.length - 1];
// Let what a page does right after it loads (autofocus, animations starting) happen first.
requestAnimationFrame(() => requestAnimationFrame(() => {
  const foreign = performance.getEntriesByType('resource').map(e => e.name)
    .filter(name => !name.startsWith(base + '/'));
  done({ hits: Array.from(window.__posternHits || ['the watcher is missing']), foreign,
         text: document.body ? document.body.innerText : '', title: document.title });
}));
"#;

/// The payloads, one a line (`\n` a line break), comments and blank lines left out.
fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/xss_corpus.txt"),
    )
    .expect("the corpus is in the repository");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("# "))
        .map(|l| l.replace("\\n", "\n"))
        .collect()
}

/// A payload as one line of at most `chars` characters, for one-line inputs.
fn one_line(payload: &str, chars: usize) -> String {
    payload.replace('\n', " ").chars().take(chars).collect()
}

/// Whether a page's text shows a payload (as the text it is).
fn shows_a_payload(text: &str) -> bool {
    ["alert", "pwned", "198.51.100.7", "7*7", "bidi", "script"]
        .iter()
        .any(|marker| text.contains(marker))
}

fn post_json(address: &str, path: &str, body: &Value, key: Option<&str>) -> (u16, Value) {
    let auth = key.map(|k| format!("Bearer {k}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth));
    }
    let (status, text) = http_request(address, "POST", path, &headers, body.to_string().as_bytes())
        .expect("the server answers");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A report from the API with `payload` in every field of the form (one-line fields get it on
/// one line), the credit name and an attachment's name, then a message with it.
fn submit(address: &str, form: &serde_json::Map<String, Value>, payload: &str) -> (String, String) {
    let mut fields = serde_json::Map::new();
    for (id, schema) in form {
        let value = match schema["x-postern-kind"].as_str() {
            Some("url") => continue,
            Some("line" | "version") => one_line(payload, 300),
            _ => payload.to_owned(),
        };
        fields.insert(id.clone(), Value::String(value));
    }
    let body = json!({
        "fields": fields,
        "credit_name": one_line(payload, 100),
        "attachments": [{
            "filename": format!("{}.txt", one_line(payload, 100)),
            "content_base64": data_encoding::BASE64.encode(payload.as_bytes()),
        }],
    });
    let (status, created) = post_json(address, "/api/v1/reports", &body, None);
    assert_eq!(status, 201, "{payload:?}: {created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let key = created["case_key"].as_str().unwrap().to_owned();
    let (status, answer) = post_json(
        address,
        &format!("/api/v1/reports/{id}/messages"),
        &json!({ "body": payload }),
        Some(&key),
    );
    assert_eq!(status, 201, "{payload:?}: {answer}");
    (id, key)
}

/// The policies `serve --demo` serves, in examples/policies.
const DEMO_POLICIES: [&str; 3] = ["example.toml", "openchat.toml", "linly-talker.toml"];

/// The demo's policies, for the terminal commands that act on its database.
fn policy_args() -> Vec<String> {
    let dir = workspace().join("examples/policies");
    DEMO_POLICIES
        .iter()
        .flat_map(|f| ["--policy".to_owned(), dir.join(f).display().to_string()])
        .collect()
}

/// Runs a terminal command on the demo's data, which must succeed; returns its output.
fn run(dir: &Path, data: &Path, args: &[&str]) -> String {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.extend(["--data".to_owned(), data.display().to_string()]);
    all.extend(policy_args());
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let output = postern(dir, &all);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// `postern mail ingest` with `raw` on standard input, which must take it.
fn ingest(data: &Path, raw: &str) {
    let dir = workspace().join("examples/policies");
    let policies: Vec<std::path::PathBuf> = DEMO_POLICIES.iter().map(|f| dir.join(f)).collect();
    let policies: Vec<&Path> = policies.iter().map(|p| p.as_path()).collect();
    let output = ingest_under(data, &policies, raw.as_bytes());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A page as the browser showed it, with what the watcher saw.
struct Seen {
    hits: Vec<String>,
    foreign: Vec<String>,
    text: String,
    title: String,
}

fn look(driver: &Driver, base: &str) -> Seen {
    let seen = driver.call(
        "POST",
        "/execute/async",
        json!({ "script": REPORT_SCRIPT, "args": [base] }),
    );
    let strings = |key: &str| -> Vec<String> {
        seen[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    Seen {
        hits: strings("hits"),
        foreign: strings("foreign"),
        text: seen["text"].as_str().unwrap_or_default().to_owned(),
        title: seen["title"].as_str().unwrap_or_default().to_owned(),
    }
}

/// Every link of the page shown now whose path starts with `prefix` and is longer.
fn links_under(driver: &Driver, base: &str, prefix: &str) -> Vec<String> {
    let found = driver.execute(&format!(
        "return Array.from(document.querySelectorAll('a[href]'), a => a.href)
           .filter(h => h.startsWith({:?}) && h.length > {});",
        format!("{base}{prefix}"),
        base.len() + prefix.len()
    ));
    let mut links: Vec<String> = found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| {
            v.as_str()
                .map(|s| s.split('#').next().unwrap_or(s).to_owned())
        })
        .collect();
    links.sort();
    links.dedup();
    links
}

#[test]
fn stored_xss_payloads_in_every_field_run_nothing_and_fetch_nothing_in_a_browser() {
    let Some(driver) = Driver::start_with(true) else {
        return;
    };
    let started = Instant::now();
    let payloads = corpus();
    assert!(payloads.len() >= 40, "{} payloads", payloads.len());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let server = start(
        &[
            "--demo",
            "--form-min-seconds",
            "0",
            "--submissions-per-hour",
            "100000",
            "--submission-burst",
            "1000",
            "--lookups-per-hour",
            "100000",
            "--lookup-burst",
            "1000",
        ],
        &data,
    );
    let password = demo_password(&server);
    let address = server.address.clone();
    let base = format!("http://{address}");

    // The reporter's side: one report per payload, through the API, its form's fields read
    // from the OpenAPI document.
    let (status, document) =
        http_request(&address, "GET", "/api/openapi.json", &[], b"").expect("the document");
    assert_eq!(status, 200);
    let document: Value = serde_json::from_str(&document).unwrap();
    let schema = &document["components"]["schemas"]["NewReport"];
    let form = schema["properties"]["fields"]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("the demo's default project has a form: {schema}"))
        .clone();
    let reports: Vec<(String, String)> = payloads
        .iter()
        .map(|payload| submit(&address, &form, payload))
        .collect();
    // One report with every payload in each field, which the team takes through to an
    // advisory.
    let all = payloads.join("\n\n");
    let (everything, _) = submit(&address, &form, &all);

    // The team's side, from the terminal (the same use cases as the pages).
    let cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    run(dir.path(), &data, &["report", "note", &everything, &all]);
    run(dir.path(), &data, &["report", "message", &everything, &all]);
    for (id, _) in reports.iter().take(3) {
        run(dir.path(), &data, &["report", "note", id, &all]);
        run(dir.path(), &data, &["report", "message", id, &all]);
    }
    run(
        dir.path(),
        &data,
        &["report", "triage", &everything, "--accept", "--cvss", cvss],
    );
    run(
        dir.path(),
        &data,
        &["report", "fixed", &everything, "--versions", "2.4.1"],
    );
    let draft_file = dir.path().join("draft.json");
    let draft_arg = draft_file.display().to_string();
    run(
        dir.path(),
        &data,
        &[
            "advisory",
            "draft",
            "--from-report",
            &everything,
            "--out",
            &draft_arg,
        ],
    );
    let mut draft: Value = serde_json::from_slice(&std::fs::read(&draft_file).unwrap()).unwrap();
    draft["title"] = one_line(&payloads[0], 200).into();
    draft["summary"] = one_line(&payloads[4], 300).into();
    draft["details"] = all.clone().into();
    draft["credits"] = payloads
        .iter()
        .take(50)
        .map(|p| json!({ "name": one_line(p, 100), "role": "FINDER" }))
        .collect::<Vec<_>>()
        .into();
    std::fs::write(&draft_file, draft.to_string()).unwrap();
    let advisory = draft["id"].as_str().unwrap().to_owned();
    run(dir.path(), &data, &["advisory", "import", &draft_arg]);
    run(dir.path(), &data, &["advisory", "publish", &advisory]);

    // Mail: one to the project's address (a report), one to an address nobody serves
    // (screening), each with payloads in its subject and text.
    for (i, to) in ["security@widgets.example.org", "nobody@elsewhere.example"]
        .iter()
        .enumerate()
    {
        let subject = one_line(&payloads[i + 6], 150);
        ingest(
            &data,
            &format!(
                "From: Mallory <mallory@example.net>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <xss-{i}@example.net>\r\nDate: Tue, 01 Dec 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                all.replace('\n', "\r\n")
            ),
        );
    }

    // Every page that shows them, JavaScript on, the watcher in every document.
    driver.call(
        "POST",
        "/goog/cdp/execute",
        json!({ "cmd": "Page.addScriptToEvaluateOnNewDocument", "params": { "source": WATCHER } }),
    );
    driver.call("POST", "/timeouts", json!({ "script": 30000 }));
    // The watcher sees what a payload would do: a probe that does it all is caught.
    driver.go(&format!("{base}/"));
    driver.execute(
        "alert('probe'); window.pwned = 'probe'; new Image().src = 'http://198.51.100.7/probe.png'; return true;",
    );
    let probe = look(&driver, &base);
    for expected in [
        "alert(probe)",
        "pwned=probe",
        "blocked http://198.51.100.7/probe.png",
    ] {
        assert!(
            probe.hits.iter().any(|h| h.contains(expected)),
            "the watcher missed {expected:?}: {:?}",
            probe.hits
        );
    }
    let mut problems: Vec<String> = Vec::new();
    let mut pages = 0;
    let mut check = |driver: &Driver, name: &str, must_show: bool| {
        let seen = look(driver, &base);
        pages += 1;
        for hit in &seen.hits {
            problems.push(format!("{name}: {hit}"));
        }
        for url in &seen.foreign {
            problems.push(format!("{name}: fetched {url}"));
        }
        if !seen.title.ends_with(" · Postern") {
            problems.push(format!("{name}: not a page of Postern ({:?})", seen.title));
        }
        if must_show && !shows_a_payload(&seen.text) {
            let text: String = seen.text.chars().take(300).collect();
            problems.push(format!("{name}: shows no payload: {text:?}"));
        }
    };

    // The reporter's case page, for every report.
    for (i, (_, key)) in reports.iter().enumerate() {
        driver.go(&format!("{base}/track"));
        driver.type_into("#case_key", key);
        driver.click("main button[type=submit]");
        driver.element("form[action='/track/message']");
        check(&driver, &format!("/track (payload {i})"), true);
    }

    sign_in(&driver, &base, &password);
    for (i, (id, _)) in reports
        .iter()
        .chain([(everything.clone(), String::new())].iter())
        .enumerate()
    {
        driver.go(&format!("{base}/team/reports/{id}"));
        check(&driver, &format!("/team/reports/{id} (payload {i})"), true);
    }
    let mut listed = vec![
        "/team".to_owned(),
        "/team?status=all".to_owned(),
        "/team/advisories".to_owned(),
        format!("/team/advisories/{advisory}"),
        "/advisories".to_owned(),
        format!("/advisories/{advisory}"),
        "/hall-of-fame".to_owned(),
        "/projects/acme-widgets/hall-of-fame".to_owned(),
        "/team/screening".to_owned(),
    ];
    for path in &listed {
        driver.go(&format!("{base}{path}"));
        let shows = !path.ends_with("/advisories") && !path.contains("hall-of-fame");
        check(&driver, path, shows);
    }
    // Each mail waiting in screening, and the report the other mail became.
    driver.go(&format!("{base}/team/screening"));
    let waiting = links_under(&driver, &base, "/team/screening/");
    assert!(!waiting.is_empty(), "the mail to nobody waits in screening");
    // The demo's own mail waits there too: the one sent here must be among them.
    let mut shown = 0;
    for link in waiting {
        driver.go(&link);
        let text = driver.execute("return document.body.innerText;");
        shown += usize::from(text.as_str().is_some_and(shows_a_payload));
        check(&driver, &link, false);
        listed.push(link);
    }
    assert_eq!(shown, 1, "the mail to nobody, shown in screening");
    // The report the mail to the project became: listed under its subject.
    driver.go(&format!("{base}/team?status=all"));
    let subject = one_line(&payloads[6], 150);
    let found = driver.execute(&format!(
        "return Array.from(document.querySelectorAll('a[href*=\"/team/reports/\"]'))
           .filter(a => a.textContent.includes({subject:?})).map(a => a.href);"
    ));
    let mailed: Vec<String> = found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .filter(|link| !reports.iter().any(|(id, _)| link.ends_with(id.as_str())))
        .collect();
    assert_eq!(
        mailed.len(),
        1,
        "the mailed report in the queue: {mailed:?}"
    );
    for link in &mailed {
        driver.go(link);
        check(&driver, link, true);
    }

    assert!(
        problems.is_empty(),
        "{} problems on {pages} pages:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(pages >= 2 * payloads.len() + listed.len(), "{pages} pages");
    assert!(
        started.elapsed() < Duration::from_secs(TEST_SECONDS_MAX),
        "the attack took {:?}",
        started.elapsed()
    );
    let _ = writeln!(
        std::io::stderr(),
        "xss: {} payloads, {pages} pages, no execution and no foreign request, in {:?}",
        payloads.len(),
        started.elapsed()
    );
}
