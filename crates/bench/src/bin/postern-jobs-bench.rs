//! Outbox benchmark. Part one: jobs claimed and completed per second through the store's own
//! claim/complete calls, on SQLite and (with `--postgres URL`) on PostgreSQL, with one and two
//! instances (separate pools on one database) of four workers each; every job is checked to
//! have been completed exactly once. Part two: a real `postern serve` mailing through a real
//! SMTP server (aiosmtpd, `crates/postern/tests/it/smtp_server.py`): the delay from a
//! submission's 201 to the team's mail arriving, median and p99. See BENCHMARKS.md.
//!
//! Usage: `cargo run --release --bin postern-jobs-bench -- [--reports 5000] [--mails 200]
//! [--postgres URL]`
#![forbid(unsafe_code)]

mod bench_common;

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, bail};
use bench_common::{percentile, read_response, start_server};
use jiff::{SignedDuration, Timestamp};
use postern_core::intake::ValidSubmission;
use postern_store::jobs::{Completion, Delivery, Job, JobKind, Lane, NewJob, Recipient};
use postern_store::{Store, StoreConfig};

const WORKERS_PER_INSTANCE: usize = 4;

/// A new report's mail deliveries, as the runner's fan-out writes them (one per member and one
/// to the reporter, under keys that name the event and the recipient).
fn deliveries(event: &Job, team: &[String], now: Timestamp) -> Vec<NewJob> {
    team.iter()
        .map(|email| Recipient::Team {
            email: email.clone(),
        })
        .chain([Recipient::Reporter])
        .map(|recipient| {
            NewJob::new(
                JobKind::Mail,
                &event.project,
                event.report_id.as_deref(),
                &Delivery {
                    event: event.kind.clone(),
                    recipient: recipient.clone(),
                    note: None,
                    messages: Vec::new(),
                },
                format!("{}:mail:{}", event.id, recipient.key()),
                now,
            )
        })
        .collect()
}
const LEASE: SignedDuration = SignedDuration::from_mins(5);

struct Options {
    reports: usize,
    mails: usize,
    postgres: Option<String>,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        reports: 5_000,
        mails: 200,
        postgres: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reports" => options.reports = args.next().context("--reports N")?.parse()?,
            "--mails" => options.mails = args.next().context("--mails N")?.parse()?,
            "--postgres" => options.postgres = Some(args.next().context("--postgres URL")?),
            other => bail!("unknown argument {other}; use --reports N, --mails N, --postgres URL"),
        }
    }
    Ok(options)
}

fn submission(n: usize) -> ValidSubmission {
    ValidSubmission {
        fields: vec![
            ("title".into(), format!("Report {n}")),
            ("description".into(), "A finding.".into()),
        ],
        scope_category: None,
        contact_email: Some(format!("reporter{n}@example.org")),
        credit_name: None,
    }
}

/// One instance's workers: claim a lane in batches, expand events into deliveries (one team
/// address, and the reporter), complete. Returns the jobs each worker completed.
async fn drain(
    store: &Store,
    instance: usize,
    lane: Lane,
    batch: usize,
    done: Arc<AtomicUsize>,
    target: usize,
) -> anyhow::Result<Vec<String>> {
    let tasks: Vec<_> = (0..WORKERS_PER_INSTANCE)
        .map(|w| {
            let store = store.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let worker = format!("bench-{instance}-{w}");
                let mut mine = Vec::new();
                let team = vec!["team@example.org".to_owned()];
                loop {
                    let now = Timestamp::now();
                    let jobs = store.claim_jobs(&worker, lane, now, LEASE, batch).await?;
                    if jobs.is_empty() {
                        if done.load(Ordering::SeqCst) >= target {
                            return anyhow::Ok(mine);
                        }
                        tokio::task::yield_now().await;
                        continue;
                    }
                    match lane {
                        Lane::Events => {
                            let completions: Vec<Completion> = jobs
                                .iter()
                                .map(|j| Completion {
                                    id: j.id.clone(),
                                    note: None,
                                    follow_ups: deliveries(j, &team, now),
                                })
                                .collect();
                            store.complete_jobs(&worker, now, &completions).await?;
                        }
                        Lane::Deliveries => {
                            for j in &jobs {
                                if !store.complete_job(&j.id, &worker, now, None, &[]).await? {
                                    bail!("lost the lease of {}", j.id);
                                }
                            }
                        }
                    }
                    done.fetch_add(jobs.len(), Ordering::SeqCst);
                    mine.extend(jobs.into_iter().map(|j| j.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(all)
}

/// A database: SQLite in the data directory, or a PostgreSQL URL and schema.
type Database<'a> = Option<(&'a str, &'a str)>;

async fn open(database: Database<'_>, data: &Path) -> anyhow::Result<Store> {
    Ok(Store::open(
        &StoreConfig {
            database_url: database.map(|(url, _)| url.to_owned()),
            postgres_schema: database.map(|(_, schema)| schema.to_owned()),
        },
        data,
    )
    .await?)
}

/// Seeds `reports` reports (each enqueues its event), then drains events and deliveries with
/// `instances` instances; prints the rates and checks exactly-once.
async fn run_queue(
    label: &str,
    database: Database<'_>,
    data: &Path,
    reports: usize,
    instances: usize,
) -> anyhow::Result<()> {
    let first = open(database, data).await?;
    let policy = postern_core::policy::parse_str(
        "[project]\nname = \"Bench\"\nslug = \"bench\"\n\n[[channels]]\nkind = \"web-form\"\n",
        Timestamp::now(),
    )
    .policy
    .context("bench policy")?;
    let clocks = postern_core::case::Case::received(&policy, Timestamp::now()).clocks;
    let seeders: Vec<_> = (0..32)
        .map(|t| {
            let store = first.clone();
            let clocks = clocks.clone();
            tokio::spawn(async move {
                let mut n = t;
                while n < reports {
                    store
                        .create_case_report("bench", &submission(n), &[], Timestamp::now(), &clocks)
                        .await?;
                    n += 32;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for s in seeders {
        s.await??;
    }
    let mut stores = vec![first];
    for _ in 1..instances {
        stores.push(open(database, data).await?);
    }
    for (lane, batch, expected, what) in [
        (
            Lane::Events,
            256,
            reports,
            "events expanded (1 event -> 2 deliveries)",
        ),
        (
            Lane::Deliveries,
            8,
            reports * 2,
            "deliveries claimed and completed",
        ),
    ] {
        let done = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let runs: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (s, done) = (s.clone(), done.clone());
                tokio::spawn(async move { drain(&s, i, lane, batch, done, expected).await })
            })
            .collect();
        let mut ids = Vec::new();
        let mut per_instance = Vec::new();
        for run in runs {
            let got = run.await??;
            per_instance.push(got.len());
            ids.extend(got);
        }
        let seconds = started.elapsed().as_secs_f64();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != ids.len() || ids.len() != expected {
            bail!(
                "{label}: {} completions of {} distinct jobs, expected {expected} once each",
                ids.len(),
                unique.len()
            );
        }
        println!(
            "| {label} | {instances} | {what} | {expected} | {:.0} | {per_instance:?} |",
            expected as f64 / seconds
        );
    }
    for s in stores {
        s.close().await;
    }
    Ok(())
}

/// One request on a fresh connection; (status code, body).
fn http(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut buffer = Vec::new();
    let (status, length) = read_response(&mut stream, &mut buffer)?;
    let code = status
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = String::from_utf8_lossy(&buffer[buffer.len() - length..]).into_owned();
    Ok((code, body))
}

/// Submission to mail: a real `serve` with a real SMTP server; `mails` reports sent one after
/// another (20 a second), each report's team mail found by its id in the server's files.
fn run_mail_delay(dir: &Path, mails: usize) -> anyhow::Result<()> {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        println!("\nsubmission-to-mail delay: skipped (python3 -m pip install aiosmtpd)");
        return Ok(());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let inbox = dir.join("inbox");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../postern/tests/it/smtp_server.py");
    let mut smtp = Command::new("python3")
        .arg(&script)
        .arg(port.to_string())
        .arg(&inbox)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the SMTP server")?;
    let mut ready = String::new();
    BufReader::new(smtp.stdout.take().context("stdout")?).read_line(&mut ready)?;
    let data = dir.join("mail-data");
    std::fs::create_dir_all(&data)?;
    std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    // The team member to tell: created and set up through the store before the server starts.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = open(None, &data).await?;
        let (_, token) = store
            .create_user(
                "team@example.org",
                postern_store::team::Role::Triager,
                &[],
                "bench",
                Timestamp::now(),
            )
            .await?;
        let hash = postern_store::credentials::hash_password("bench password that is long")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .complete_setup(&token, &hash, None, Timestamp::now())
            .await?;
        store.close().await;
        anyhow::Ok(())
    })?;
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let server = start_server(
        &data,
        &[
            "--smtp-url".into(),
            url.into(),
            "--mail-from".into(),
            "security@example.org".into(),
            "--submissions-per-hour".into(),
            "1000000".into(),
            "--submission-burst".into(),
            "100000".into(),
            "--lookups-per-hour".into(),
            "1000000".into(),
            "--lookup-burst".into(),
            "100000".into(),
        ],
    )?;
    let mut sent: HashMap<String, SystemTime> = HashMap::new();
    for n in 0..mails {
        let body = serde_json::json!({"fields": {"title": format!("Report {n}"), "description": "A finding.",
            "impact": "i", "steps_to_reproduce": "s", "proof_of_concept": "p"}});
        let (status, reply) = http(
            &server.address,
            "POST",
            "/api/v1/reports",
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )?;
        if status != 201 {
            bail!("submission {n}: {status} {reply}");
        }
        let created: serde_json::Value = serde_json::from_str(&reply)?;
        let id = created["id"].as_str().context("id")?.to_owned();
        sent.insert(id, SystemTime::now());
        std::thread::sleep(Duration::from_millis(50));
    }
    // Wait (bounded) for every team mail, then read each one's arrival time.
    let started = Instant::now();
    let mut delays: Vec<Duration> = Vec::new();
    loop {
        delays.clear();
        let mut seen = 0;
        for entry in std::fs::read_dir(&inbox)? {
            let path = entry?.path();
            let text = std::fs::read_to_string(&path)?;
            if !text.starts_with("X-Test-Envelope-To: team@example.org") {
                continue;
            }
            let Some(at) = sent
                .iter()
                .find(|(id, _)| text.contains(&format!("New vulnerability report {id}")))
                .map(|(_, at)| at)
            else {
                continue;
            };
            seen += 1;
            let arrived = std::fs::metadata(&path)?.modified()?;
            delays.push(arrived.duration_since(*at).unwrap_or_default());
        }
        if seen >= mails {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("only {seen} of {mails} team mails arrived within two minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    delays.sort();
    println!(
        "\nsubmission (201) to the team's mail at the SMTP server, {mails} reports at 20/s, SQLite: median {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&delays, 0.5).as_secs_f64() * 1000.0,
        percentile(&delays, 0.99).as_secs_f64() * 1000.0,
        delays.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    drop(server);
    let _ = smtp.kill();
    let _ = smtp.wait();
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    let dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!(
        "Outbox throughput: {} reports seeded, then drained by {WORKERS_PER_INSTANCE} workers per instance.",
        options.reports
    );
    println!("| database | instances | jobs | count | jobs/s | per instance |");
    println!("| --- | ---: | --- | ---: | ---: | --- |");
    for instances in [1, 2] {
        let data = dir.path().join(format!("sqlite-{instances}"));
        std::fs::create_dir_all(&data)?;
        std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
        runtime.block_on(run_queue("SQLite", None, &data, options.reports, instances))?;
    }
    if let Some(url) = &options.postgres {
        for instances in [1, 2] {
            let schema = format!("jobs_bench_{}_{instances}", std::process::id());
            runtime.block_on(async {
                let admin = sqlx::PgPool::connect(url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&admin)
                    .await?;
                let data = dir.path().join(format!("pg-{instances}"));
                std::fs::create_dir_all(&data)?;
                std::fs::set_permissions(
                    &data,
                    std::os::unix::fs::PermissionsExt::from_mode(0o700),
                )?;
                let result = run_queue(
                    "PostgreSQL",
                    Some((url, &schema)),
                    &data,
                    options.reports,
                    instances,
                )
                .await;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                    .execute(&admin)
                    .await?;
                result
            })?;
        }
    }
    run_mail_delay(dir.path(), options.mails)?;
    Ok(())
}
