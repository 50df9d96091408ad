//! Intake benchmark: reports per second through the HTTP API of a real `postern serve` process,
//! at several client counts, beside the raw database ceiling (one INSERT per durable
//! transaction) measured in the same run. See BENCHMARKS.md.
//!
//! Usage: `cargo run --release --bin postern-bench -- [--seconds N] [--postgres URL]`
#![forbid(unsafe_code)]

mod bench_common;

use std::io::Write as _;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bench_common::{Server, percentile, read_response, start_server};

const CLIENT_COUNTS: [usize; 3] = [1, 16, 64];

struct Options {
    seconds: f64,
    postgres: Option<String>,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        seconds: 5.0,
        postgres: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => options.seconds = args.next().context("--seconds N")?.parse()?,
            "--postgres" => options.postgres = Some(args.next().context("--postgres URL")?),
            other => bail!("unknown argument {other}; use --seconds N and --postgres URL"),
        }
    }
    Ok(options)
}

fn report_body(n: usize) -> String {
    serde_json::json!({
        "fields": {
            "title": format!("Benchmark report {n}"),
            "description": "A crafted request reaches the template engine unescaped. ".repeat(20),
            "impact": "Remote code execution as the service user.",
            "steps_to_reproduce": "1. Send the request below.\n2. Observe the output.\n".repeat(5),
            "proof_of_concept": "curl -X POST https://example.org/render -d 'tpl={{7*7}}'",
        },
        "contact_email": "reporter@example.org",
    })
    .to_string()
}

fn start(data: &std::path::Path, database: Option<&str>) -> anyhow::Result<Server> {
    let mut extra: Vec<std::ffi::OsString> = [
        "--submissions-per-hour",
        "1000000000",
        "--submission-burst",
        "1000000000",
        "--lookups-per-hour",
        "1000000000",
        "--lookup-burst",
        "1000000000",
    ]
    .map(Into::into)
    .to_vec();
    if let Some(url) = database {
        extra.extend(["--database".into(), url.into()]);
    }
    start_server(data, &extra)
}

/// One keep-alive connection posting reports until told to stop; returns latencies.
fn client(address: String, stop: Arc<AtomicBool>, id: usize) -> anyhow::Result<Vec<Duration>> {
    let mut stream = TcpStream::connect(&address)?;
    stream.set_nodelay(true)?;
    let mut latencies = Vec::new();
    let mut buffer = Vec::with_capacity(8192);
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let body = report_body(id * 1_000_000 + n);
        n += 1;
        let request = format!(
            "POST /api/v1/reports HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let started = Instant::now();
        stream.write_all(request.as_bytes())?;
        let (status, _) = read_response(&mut stream, &mut buffer)?;
        if !status.starts_with("http/1.1 201") {
            bail!("unexpected answer: {status}");
        }
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

struct Run {
    clients: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn load(address: &str, clients: usize, seconds: f64) -> anyhow::Result<Run> {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let (address, stop) = (address.to_owned(), stop.clone());
            std::thread::spawn(move || client(address, stop, i))
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().map_err(|_| anyhow::anyhow!("client panicked"))??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    Ok(Run {
        clients,
        per_second: all.len() as f64 / elapsed,
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
    })
}

/// Peak resident memory of a process, from /proc (Linux).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

const RAW_ROW_BYTES: usize = 3000;

/// The SQLite ceiling: one INSERT per transaction, WAL, synchronous=FULL, one writer.
async fn raw_sqlite(dir: &std::path::Path, seconds: f64) -> anyhow::Result<f64> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::{ConnectOptions as _, Connection as _};
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join("raw.sqlite3"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await?;
    sqlx::query("CREATE TABLE raw (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .execute(&mut conn)
        .await?;
    let row = vec![7u8; RAW_ROW_BYTES];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO raw (body) VALUES ($1)")
            .bind(&row)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// The PostgreSQL ceiling at a client count: each connection one INSERT per transaction.
async fn raw_postgres(
    url: &str,
    schema: &str,
    clients: usize,
    seconds: f64,
) -> anyhow::Result<f64> {
    use std::str::FromStr as _;
    let options =
        sqlx::postgres::PgConnectOptions::from_str(url)?.options([("search_path", schema)]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(clients as u32)
        .connect_with(options)
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS raw (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)")
        .execute(&pool)
        .await?;
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let row = vec![7u8; RAW_ROW_BYTES];
                let mut n = 0u64;
                while started.elapsed().as_secs_f64() < seconds {
                    let mut tx = pool.begin().await?;
                    sqlx::query("INSERT INTO raw (body) VALUES ($1)")
                        .bind(&row)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    n += 1;
                }
                Ok::<u64, sqlx::Error>(n)
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    pool.close().await;
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

fn print_runs(name: &str, runs: &[Run], ceilings: &[f64], rss: Option<f64>) {
    println!("\n### {name}\n");
    println!("| clients | reports/s | p50 ms | p99 ms | raw ceiling/s | ratio |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for (run, ceiling) in runs.iter().zip(ceilings) {
        println!(
            "| {} | {:.0} | {:.1} | {:.1} | {:.0} | {:.2} |",
            run.clients,
            run.per_second,
            run.p50.as_secs_f64() * 1000.0,
            run.p99.as_secs_f64() * 1000.0,
            ceiling,
            run.per_second / ceiling
        );
    }
    if let Some(rss) = rss {
        println!("\nServer peak memory (VmHWM): {rss:.1} MiB");
    }
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let dir = tempfile::tempdir()?;
    println!(
        "Postern intake benchmark: {} s per level, {} cores",
        options.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let ceiling = runtime.block_on(raw_sqlite(dir.path(), options.seconds))?;
    let server = start(&dir.path().join("sqlite-data"), None)?;
    let runs = CLIENT_COUNTS
        .iter()
        .map(|&c| load(&server.address, c, options.seconds))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rss = peak_rss_mib(server.child.id());
    print_runs("SQLite (WAL, synchronous=FULL)", &runs, &[ceiling; 3], rss);
    drop(server);

    if let Some(url) = &options.postgres {
        let schema = format!("bench_{}", std::process::id());
        runtime.block_on(async {
            let pool = sqlx::PgPool::connect(url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&pool)
                .await?;
            Ok::<_, anyhow::Error>(())
        })?;
        let ceilings = CLIENT_COUNTS
            .iter()
            .map(|&c| runtime.block_on(raw_postgres(url, &schema, c, options.seconds)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let database = format!("{url}?options[search_path]={schema}");
        let server = start(&dir.path().join("pg-data"), Some(&database))?;
        let runs = CLIENT_COUNTS
            .iter()
            .map(|&c| load(&server.address, c, options.seconds))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let rss = peak_rss_mib(server.child.id());
        print_runs("PostgreSQL (synchronous_commit=on)", &runs, &ceilings, rss);
        drop(server);
        runtime.block_on(async {
            let pool = sqlx::PgPool::connect(url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&pool)
                .await?;
            Ok::<_, anyhow::Error>(())
        })?;
    }
    Ok(())
}
