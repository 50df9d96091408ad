//! A crash at any moment loses no acknowledged report: the server runs as a real process, many
//! clients submit, it is killed with SIGKILL at a moment chosen by a seeded generator (after a
//! number of acknowledgements, not after a sleep), restarted, and every report it acknowledged
//! must be there, intact and readable with its case key. Repeated for several rounds.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use crate::support::{Server, http_request, start};

const CLIENTS: usize = 8;

/// (id, case key, title) of an acknowledged report.
type Acknowledged = (String, String, String);

fn report(title: &str) -> Vec<u8> {
    serde_json::json!({
        "fields": {
            "title": title,
            "description": format!("{title}: a description long enough to span a few database pages {}", "x".repeat(2000)),
            "impact": "impact",
            "steps_to_reproduce": "steps",
            "proof_of_concept": "poc",
        },
        "contact_email": "reporter@example.org",
    })
    .to_string()
    .into_bytes()
}

fn verify(server: &Server, acknowledged: &[Acknowledged]) {
    for (id, key, title) in acknowledged {
        let bearer = format!("Bearer {key}");
        let (status, body) = http_request(
            &server.address,
            "GET",
            &format!("/api/v1/reports/{id}"),
            &[("Authorization", &bearer)],
            b"",
        )
        .expect("the restarted server answers");
        assert_eq!(
            status, 200,
            "acknowledged report {id} ({title}) is gone: {body}"
        );
        let view: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            view["fields"]["title"],
            title.as_str(),
            "report {id} changed"
        );
        assert!(
            view["fields"]["description"]
                .as_str()
                .unwrap()
                .starts_with(title)
        );
    }
}

/// A small deterministic generator (xorshift), so that a failing round can be replayed.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn every_acknowledged_report_survives_sigkill_on_sqlite() {
    run_rounds(&[]);
}

#[test]
fn every_acknowledged_report_survives_sigkill_on_postgres() {
    let Ok(url) = std::env::var("POSTERN_TEST_POSTGRES") else {
        skip_notice(format_args!(
            "skipping PostgreSQL: POSTERN_TEST_POSTGRES not set"
        ));
        return;
    };
    let schema = format!("durability_{}", std::process::id());
    let psql = |sql: &str| {
        // Quiet: a dropped schema's NOTICE lines (one per table) are not the test's output.
        let status = Command::new("psql")
            .args([url.as_str(), "-qc", sql])
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .status()
            .expect("psql runs");
        assert!(status.success(), "{sql}");
    };
    psql(&format!("CREATE SCHEMA {schema}"));
    let database = format!("{url}?options[search_path]={schema}");
    run_rounds(&["--database", &database]);
    psql(&format!("DROP SCHEMA {schema} CASCADE"));
}

fn run_rounds(database: &[&str]) {
    let rounds: usize = std::env::var("POSTERN_DURABILITY_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(6);
    let seed: u64 = std::env::var("POSTERN_DURABILITY_SEED")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0x5eed_2026);
    eprintln!("durability: {rounds} rounds, seed {seed}");
    let mut random = Seeded(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut limits = vec![
        "--submissions-per-hour",
        "1000000",
        "--submission-burst",
        "1000000",
        "--lookups-per-hour",
        "1000000",
        "--lookup-burst",
        "1000000",
    ];
    limits.extend_from_slice(database);
    let acknowledged: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    for round in 0..rounds {
        let mut server = start(&limits, &data);
        verify(&server, &acknowledged.lock().unwrap());
        let kill_after = 10 + (random.next() % 60) as usize;
        let stop = Arc::new(AtomicBool::new(false));
        let (acks, ack_count) = mpsc::channel::<()>();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (address, stop, acks, acknowledged) = (
                    server.address.clone(),
                    stop.clone(),
                    acks.clone(),
                    acknowledged.clone(),
                );
                std::thread::spawn(move || {
                    for seq in 0.. {
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let title = format!("round {round} client {client} report {seq}");
                        let Some((status, body)) = http_request(
                            &address,
                            "POST",
                            "/api/v1/reports",
                            &[("Content-Type", "application/json")],
                            &report(&title),
                        ) else {
                            return; // the server died mid-request: not acknowledged
                        };
                        assert_eq!(status, 201, "{body}");
                        let created: serde_json::Value = serde_json::from_str(&body).unwrap();
                        acknowledged.lock().unwrap().push((
                            created["id"].as_str().unwrap().to_owned(),
                            created["case_key"].as_str().unwrap().to_owned(),
                            title,
                        ));
                        let _ = acks.send(());
                    }
                })
            })
            .collect();
        drop(acks);
        for _ in 0..kill_after {
            ack_count
                .recv()
                .expect("clients keep submitting until the kill");
        }
        let killed = Command::new("kill")
            .args(["-KILL", &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let _ = server.child.wait();
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().unwrap();
        }
        eprintln!(
            "round {round}: killed after {kill_after}+ acknowledgements; {} acknowledged so far",
            acknowledged.lock().unwrap().len()
        );
    }
    let server = start(&limits, &data);
    let all = acknowledged.lock().unwrap().clone();
    assert!(all.len() >= rounds * 10);
    verify(&server, &all);
}

/// Says that a test skipped part of its work, on the terminal even when the harness captures
/// test output (a direct write to stderr is not captured).
fn skip_notice(message: std::fmt::Arguments) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "NOTE: {message}");
}
