//! Webhooks against a real HTTP receiver on 127.0.0.1 (a std TcpListener in the test that
//! records every request and answers as scripted): signed generic deliveries without report
//! contents, retries after 5xx and a receiver that never answers, a 404 that stays dead until
//! retried, and private addresses refused without `--webhooks-allow-private`.
//!
//! Waiting for deliveries and for the jobs to settle polls with a deadline: the server is a
//! real process, with nothing to wait on but what it does.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{KeyInit as _, Mac as _};

use crate::support::{Server, http_request, postern, start, stdout};

const TITLE: &str = "SQL injection in the search box CANARY-8d1e";
const DESCRIPTION: &str = "The q parameter reaches the query unescaped CANARY-8d1e";
const CONTACT: &str = "finder-8d1e@example.net";
const DEADLINE: Duration = Duration::from_secs(60);
const PROJECT: &str = "acme-widgets";

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(u16),
    /// Reads the request and never answers (until the client gives up and closes).
    Hang,
}

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
    /// What it was answered; `None` for a hang.
    answered: Option<u16>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The test's HTTP receiver: answers from `script` in order, then 200.
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: &[Answer]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.to_vec()));
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (log, script) = (Arc::clone(&log), Arc::clone(&script));
                std::thread::spawn(move || serve_one(stream, &log, &script));
            }
        });
        Receiver { port, received }
    }

    fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/hooks/postern?token=path-secret-77",
            self.port
        )
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn serve_one(mut stream: TcpStream, log: &Mutex<Vec<Received>>, script: &Mutex<Vec<Answer>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, body) = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                break (head, data[end + 4..end + 4 + length].to_vec());
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&chunk[..n]),
        }
    };
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let answer = {
        let mut script = script.lock().unwrap();
        if script.is_empty() {
            Answer::Status(200)
        } else {
            script.remove(0)
        }
    };
    log.lock().unwrap().push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        answered: match answer {
            Answer::Status(code) => Some(code),
            Answer::Hang => None,
        },
    });
    match answer {
        Answer::Status(code) => {
            let _ = write!(
                stream,
                "HTTP/1.1 {code} Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
        // Holds the connection open until the client gives up.
        Answer::Hang => while matches!(stream.read(&mut chunk), Ok(n) if n > 0) {},
    }
}

/// Polls (bounded) until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn data_arg(data: &Path) -> String {
    data.display().to_string()
}

/// `postern jobs list [--dead]`: the webhook jobs' lines.
fn webhook_jobs(data: &Path, dead: bool) -> Vec<String> {
    let data = data_arg(data);
    let mut args = vec!["jobs", "list", "--data", data.as_str()];
    if dead {
        args.push("--dead");
    }
    let out = postern(Path::new("."), &args);
    assert_eq!(out.status.code(), Some(0));
    stdout(&out)
        .lines()
        .filter(|l| l.contains("  webhook "))
        .map(str::to_owned)
        .collect()
}

/// Every job finished (done or dead), and at least `webhooks` webhook jobs exist; the
/// deadline watches, pending until the next reminder's moment days away, do not count.
fn settled(data: &Path, webhooks: usize) -> bool {
    let data = data_arg(data);
    let out = stdout(&postern(Path::new("."), &["jobs", "list", "--data", &data]));
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .filter(|w: &Vec<&str>| w.len() > 2 && w[2] != "team.deadline")
        .collect();
    rows.iter().all(|w| w[1] != "pending" && w[1] != "running")
        && rows.iter().filter(|w| w[2] == "webhook").count() >= webhooks
}

/// `postern webhook add`; returns (id, signing secret if printed).
fn add_webhook(data: &Path, kind: &str, url: &str) -> (String, Option<String>) {
    let data = data_arg(data);
    let out = postern(
        Path::new("."),
        &[
            "webhook",
            "add",
            "--project",
            PROJECT,
            "--kind",
            kind,
            "--url",
            url,
            "--data",
            &data,
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let id = text
        .split("Webhook ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_owned();
    let secret = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("whsec_"))
        .map(str::to_owned);
    (id, secret)
}

fn submit(server: &Server) -> String {
    let body = serde_json::json!({"fields": {"title": TITLE, "description": DESCRIPTION,
        "impact": "data theft", "steps_to_reproduce": "search for '", "proof_of_concept": "q='"},
        "contact_email": CONTACT});
    let (status, reply) = http_request(
        &server.address,
        "POST",
        "/api/v1/reports",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 201, "{reply}");
    let created: serde_json::Value = serde_json::from_str(&reply).unwrap();
    created["id"].as_str().unwrap().to_owned()
}

fn serve(data: &Path, allow_private: bool) -> Server {
    let mut args = vec!["--job-retry-base-ms", "50"];
    if allow_private {
        args.push("--webhooks-allow-private");
    }
    start(&args, data)
}

/// Checks a Standard Webhooks signature as a receiver would, from the spec's definition.
fn verify(secret: &str, request: &Received) -> bool {
    let key = data_encoding::BASE64
        .decode(secret.strip_prefix("whsec_").unwrap().as_bytes())
        .unwrap();
    let id = request.header("webhook-id").unwrap();
    let timestamp = request.header("webhook-timestamp").unwrap();
    let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", request.body).as_bytes());
    let expected = format!(
        "v1,{}",
        data_encoding::BASE64.encode(&mac.finalize().into_bytes())
    );
    request
        .header("webhook-signature")
        .unwrap()
        .split(' ')
        .any(|s| s == expected)
}

#[test]
fn a_new_report_is_posted_once_signed_and_without_its_contents() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let receiver = Receiver::start(&[]);
    let server = serve(&data, true);
    let (hook, secret) = add_webhook(&data, "generic", &receiver.url());
    let secret = secret.expect("a generic webhook's signing secret is printed");

    // Listing shows neither the path, its token, nor the secret.
    let list = stdout(&postern(
        Path::new("."),
        &["webhook", "list", "--data", &data_arg(&data)],
    ));
    assert!(
        list.contains(&hook) && list.contains("http://127.0.0.1:"),
        "{list}"
    );
    assert!(
        !list.contains("path-secret-77") && !list.contains("/hooks") && !list.contains("whsec_")
    );

    let report = submit(&server);
    wait_until("the delivery", || !receiver.received().is_empty());
    wait_until("the jobs to settle", || settled(&data, 1));
    let got = receiver.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let request = &got[0];
    assert!(
        verify(&secret, request),
        "the signature verifies: {request:?}"
    );
    assert!(!verify(
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        request
    ));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let timestamp: i64 = request
        .header("webhook-timestamp")
        .unwrap()
        .parse()
        .unwrap();
    assert!((jiff::Timestamp::now().as_second() - timestamp).abs() < 120);
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["type"], "report.received");
    assert_eq!(body["data"]["report_id"], report.as_str());
    assert_eq!(body["data"]["project"], PROJECT);
    let link = format!("/team/reports/{report}");
    assert!(body["data"]["url"].as_str().unwrap().ends_with(&link));
    assert!(
        body["timestamp"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()
    );
    for secret_word in ["CANARY-8d1e", CONTACT, "search box"] {
        assert!(!request.body.contains(secret_word), "{}", request.body);
    }
    // The webhook-id is the delivery job's id.
    let jobs = webhook_jobs(&data, false);
    assert!(
        jobs.iter()
            .any(|l| l.starts_with(request.header("webhook-id").unwrap()) && l.contains("  done ")),
        "{jobs:?}"
    );

    // `postern webhook test` sends a ping through the outbox.
    let out = postern(
        Path::new("."),
        &["webhook", "test", &hook, "--data", &data_arg(&data)],
    );
    assert_eq!(out.status.code(), Some(0));
    wait_until("the ping", || receiver.received().len() == 2);
    let ping = &receiver.received()[1];
    assert!(verify(&secret, ping));
    let body: serde_json::Value = serde_json::from_str(&ping.body).unwrap();
    assert_eq!(body["type"], "webhook.ping");

    // Removed, it is told nothing more.
    let out = postern(
        Path::new("."),
        &["webhook", "remove", &hook, "--data", &data_arg(&data)],
    );
    assert_eq!(out.status.code(), Some(0));
    submit(&server);
    wait_until("the jobs to settle", || settled(&data, 2));
    assert_eq!(receiver.received().len(), 2);
}

#[test]
fn failures_are_retried_and_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let receiver = Receiver::start(&[Answer::Status(500), Answer::Status(503)]);
    let server = serve(&data, true);
    add_webhook(&data, "slack", &receiver.url());
    submit(&server);
    wait_until("the delivery", || {
        receiver.received().iter().any(|r| r.answered == Some(200))
    });
    wait_until("the jobs to settle", || settled(&data, 1));
    let got = receiver.received();
    assert_eq!(
        got.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [Some(500), Some(503), Some(200)]
    );
    let body: serde_json::Value = serde_json::from_str(&got[2].body).unwrap();
    assert!(body["text"].as_str().unwrap().contains("/team/reports/"));
    assert!(
        got[0].header("webhook-signature").is_none(),
        "Slack is not signed"
    );
    let jobs = webhook_jobs(&data, false);
    assert_eq!(jobs.len(), 1);
    assert!(
        jobs[0].contains("  done ") && jobs[0].contains("attempts=3/"),
        "{jobs:?}"
    );
}

#[test]
fn a_receiver_that_never_answers_times_out_and_is_delivered_once_after() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let receiver = Receiver::start(&[Answer::Hang]);
    let server = serve(&data, true);
    let (_, secret) = add_webhook(&data, "generic", &receiver.url());
    // Reports are accepted while the receiver hangs.
    submit(&server);
    wait_until("the delivery after the timeout", || {
        receiver.received().iter().any(|r| r.answered == Some(200))
    });
    wait_until("the jobs to settle", || settled(&data, 1));
    let got = receiver.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].answered, None);
    assert_eq!(
        got[0].header("webhook-id"),
        got[1].header("webhook-id"),
        "a retry keeps its id, so a receiver can drop a repeat"
    );
    assert!(verify(secret.as_deref().unwrap(), &got[1]));
    let jobs = webhook_jobs(&data, false);
    assert!(
        jobs[0].contains("  done ") && jobs[0].contains("attempts=2/"),
        "{jobs:?}"
    );
}

#[test]
fn a_404_is_dead_until_retried() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let receiver = Receiver::start(&[Answer::Status(404)]);
    let server = serve(&data, true);
    add_webhook(&data, "discord", &receiver.url());
    submit(&server);
    wait_until("the dead job", || !webhook_jobs(&data, true).is_empty());
    let dead = webhook_jobs(&data, true);
    assert!(dead[0].contains("answered 404"), "{dead:?}");
    assert!(!dead[0].contains("path-secret-77") && !dead[0].contains("/hooks"));
    assert_eq!(receiver.received().len(), 1);

    let id = dead[0].split_whitespace().next().unwrap();
    let out = postern(
        Path::new("."),
        &["jobs", "retry", id, "--data", &data_arg(&data)],
    );
    assert_eq!(out.status.code(), Some(0));
    wait_until("the retried delivery", || receiver.received().len() == 2);
    wait_until("the jobs to settle", || settled(&data, 1));
    assert!(webhook_jobs(&data, true).is_empty());
    let body: serde_json::Value = serde_json::from_str(&receiver.received()[1].body).unwrap();
    assert!(body["content"].as_str().unwrap().contains("/team/reports/"));
}

#[test]
fn a_private_address_is_refused_without_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let receiver = Receiver::start(&[]);
    let server = serve(&data, false);
    add_webhook(&data, "generic", &receiver.url());
    submit(&server);
    wait_until("the dead job", || !webhook_jobs(&data, true).is_empty());
    let dead = webhook_jobs(&data, true);
    assert!(dead[0].contains("private address"), "{dead:?}");
    assert!(dead[0].contains("loopback"), "{dead:?}");
    assert!(receiver.received().is_empty(), "nothing was sent");
}

/// The refusal test's "nothing was sent" means something: the receiver records what reaches it.
#[test]
fn the_receiver_records_what_it_gets() {
    let receiver = Receiver::start(&[Answer::Status(201)]);
    let (status, _) = http_request(
        &format!("127.0.0.1:{}", receiver.port),
        "POST",
        "/x",
        &[("webhook-id", "abc")],
        b"{}",
    )
    .unwrap();
    assert_eq!(status, 201);
    let got = receiver.received();
    assert_eq!(got[0].header("webhook-id"), Some("abc"));
}
