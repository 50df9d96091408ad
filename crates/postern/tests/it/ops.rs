//! `serve --metrics-listen ADDR --log-format json` as a real process: /metrics answers on its
//! own listener only, and every log line is one JSON object.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{http_get, workspace};

#[test]
fn metrics_have_their_own_listener_and_the_log_can_be_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_postern"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .args(["--metrics-listen", "127.0.0.1:0", "--log-format", "json"])
        .current_dir(workspace())
        .env_remove("POSTERN_POLICY")
        .env("POSTERN_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("postern starts");
    let (tx, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut public, mut metrics) = (None, None);
    while public.is_none() || metrics.is_none() {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("serve prints its addresses");
        if let Some(a) = line.strip_prefix("Postern is listening on http://") {
            public = Some(a.to_owned());
        }
        if let Some(rest) = line.strip_prefix("Metrics: http://") {
            metrics = Some(rest.split('/').next().unwrap().to_owned());
        }
    }
    let (public, metrics) = (public.unwrap(), metrics.unwrap());
    assert_eq!(http_get(&public, "/readyz").0, "HTTP/1.1 200 OK");
    assert_eq!(http_get(&public, "/metrics").0, "HTTP/1.1 404 Not Found");
    let (status, body) = http_get(&metrics, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        body.contains(
            "postern_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{body}"
    );
    assert_eq!(http_get(&metrics, "/readyz").0, "HTTP/1.1 200 OK");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 2, "{log}");
    for line in lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            object["level"].is_string() && object["fields"].is_object(),
            "{line}"
        );
    }
}

/// Waits (without sleeping) for the server's line that starts with `prefix`, and returns it.
fn line_starting(server: &crate::support::Server, prefix: &str) -> String {
    loop {
        let line = server
            .lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the server printed no line starting {prefix:?}"));
        if line.starts_with(prefix) {
            return line;
        }
    }
}

#[test]
fn a_second_start_keeps_the_first_admins_setup_code_that_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = crate::support::start(&[], &data);
    let code = first.line_after("Setup code");
    assert!(code.len() >= 40, "{code}");
    drop(first);
    // Another start (another instance, or a restart) finds the code valid and prints none.
    let second = crate::support::start(&[], &data);
    let said = line_starting(&second, "No team account is set up yet.");
    assert!(
        said.contains("has a setup code, printed by an earlier start")
            && said.contains("postern user reset admin@localhost"),
        "{said}"
    );
    drop(second);
    let store_output = crate::support::postern(
        dir.path(),
        &["user", "list", "--data", &data.display().to_string()],
    );
    assert!(crate::support::stdout(&store_output).contains("admin@localhost"));
}

#[test]
fn jobs_list_says_when_it_stops_at_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = crate::support::start(&[], &data);
    for title in ["one", "two"] {
        let body = serde_json::json!({"fields": {"title": title, "description": "d", "impact": "i", "steps_to_reproduce": "s", "proof_of_concept": "p"}}).to_string();
        let answer = crate::support::http_request(
            &server.address,
            "POST",
            "/api/v1/reports",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(answer.map(|a| a.0), Some(201));
    }
    drop(server);
    let data_arg = data.display().to_string();
    let list = |limit: &str| {
        crate::support::postern(
            dir.path(),
            &["jobs", "list", "--limit", limit, "--data", &data_arg],
        )
    };
    let cut = crate::support::stdout(&list("1"));
    assert_eq!(cut.lines().count(), 2, "{cut}");
    assert!(
        cut.contains("Only the newest 1 job(s) are listed; there are more"),
        "{cut}"
    );
    let whole = crate::support::stdout(&list("500"));
    assert!(!whole.contains("Only the newest"), "{whole}");
    let refused = list("501");
    assert_eq!(refused.status.code(), Some(2));
    assert!(crate::support::stderr(&refused).contains("--limit"));
}
