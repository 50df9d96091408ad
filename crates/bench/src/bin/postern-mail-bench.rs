//! Email channel benchmark (BENCHMARKS.md). Three parts, each against real processes:
//!
//! 1. **`postern mail ingest`**: one process per message, as an MTA's pipe delivery runs it,
//!    on SQLite (and on PostgreSQL with `--postgres URL`): messages per second, and each
//!    process's time, median and p99. Beside it, the time of `postern --version` (a process
//!    that opens nothing), so the ratio says how much is Postern's own work.
//! 2. **IMAP, in bulk**: `--messages` messages put into a real Dovecot (Debian's
//!    `dovecot-imapd`) with APPEND, then `postern serve --imap-url` started: messages stored per
//!    second, from the server's start to the last one stored.
//! 3. **From APPEND to stored**: with the server waiting in IDLE, and with Dovecot offering no
//!    IDLE so that the server polls (every 1 s and every 5 s): one message at a time, put in at
//!    a random moment, and the time from APPEND's answer to its row in the database (the bench
//!    reads the database every 2 ms). Median and p99.
//!
//! Every message is counted in the database (`inbound_mail`, one row per message taken); the run
//! fails if a message is missing or doubled.
//!
//! Usage: `cargo run --release --bin postern-mail-bench -- [--pipe 200] [--messages 500]
//! [--samples 40] [--postgres URL]`
#![forbid(unsafe_code)]

// This bench reads no HTTP responses (`read_response` is for the HTTP benches).
#[allow(dead_code)]
mod bench_common;
// The Dovecot harness of the integration tests, shared by path (std and tempfile only).
#[allow(dead_code)]
#[path = "../../../postern/tests/it/dovecot.rs"]
mod dovecot;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bench_common::{Server, percentile, start_server};
use dovecot::Dovecot;
use sqlx::Row as _;

/// The demo policy's security address (the default data directory's first project).
const ADDRESS: &str = "security@widgets.example.org";

struct Options {
    pipe: usize,
    messages: usize,
    samples: usize,
    postgres: Option<String>,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        pipe: 200,
        messages: 500,
        samples: 40,
        postgres: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--pipe" => options.pipe = args.next().context("--pipe N")?.parse()?,
            "--messages" => options.messages = args.next().context("--messages N")?.parse()?,
            "--samples" => options.samples = args.next().context("--samples N")?.parse()?,
            "--postgres" => options.postgres = Some(args.next().context("--postgres URL")?),
            other => bail!(
                "unknown argument {other}; use --pipe N, --messages N, --samples N, --postgres URL"
            ),
        }
    }
    Ok(options)
}

/// Message `n` of a run: a report from a sender of its own (so no sender's hourly limit
/// sends it to screening), a paragraph long, with a unique Message-ID.
fn message(run: &str, n: usize) -> Vec<u8> {
    format!(
        "From: Finder {n} <finder{n}.{run}@example.net>\r\nTo: {ADDRESS}\r\n\
         Subject: Heap overflow in the parser, case {run}-{n}\r\n\
         Message-ID: <{run}.{n}@example.net>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         A crafted header of 70,000 bytes overflows the fixed buffer in parse_header().\r\n\
         Steps: build the attached file and run `widgets parse case.bin`; it crashes in\r\n\
         read_field at offset 0x4010. Affects 2.3.0 and later; 2.2.x is not affected.\r\n"
    )
    .into_bytes()
}

fn postern() -> PathBuf {
    std::env::current_exe()
        .expect("the bench's own path")
        .with_file_name("postern")
}

/// Storage arguments: `--data DIR` and, for PostgreSQL, `--database URL`.
fn storage(data: &Path, database: Option<&str>) -> Vec<OsString> {
    let mut args = vec![OsString::from("--data"), data.as_os_str().to_owned()];
    if let Some(url) = database {
        args.push("--database".into());
        args.push(url.into());
    }
    args
}

/// Runs `postern mail ingest` once with `message` on stdin; its wall time.
fn ingest_once(storage: &[OsString], message: &[u8]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut child = Command::new(postern())
        .args(["mail", "ingest"])
        .args(storage)
        .env("POSTERN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start postern (build it: cargo build --release)")?;
    child.stdin.take().context("stdin")?.write_all(message)?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "mail ingest exited with {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(start.elapsed())
}

/// The database a server or `mail ingest` writes, opened to count what was stored.
enum Database {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

async fn database(data: &Path, postgres: Option<&str>) -> anyhow::Result<Database> {
    Ok(match postgres {
        Some(url) => Database::Postgres(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await?,
        ),
        None => Database::Sqlite(
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(
                    sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(data.join(postern_store::SQLITE_FILE))
                        .read_only(true),
                )
                .await?,
        ),
    })
}

/// How many messages are stored (one `inbound_mail` row each).
async fn taken(pool: &Database) -> anyhow::Result<i64> {
    const COUNT: &str = "SELECT COUNT(*) FROM inbound_mail";
    Ok(match pool {
        Database::Sqlite(pool) => sqlx::query(COUNT).fetch_one(pool).await?.try_get(0)?,
        Database::Postgres(pool) => sqlx::query(COUNT).fetch_one(pool).await?.try_get(0)?,
    })
}

/// Waits, reading every 2 ms, until `count` messages are stored; gives up after `limit`.
async fn until_taken(pool: &Database, count: i64, limit: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    loop {
        let now = taken(pool).await?;
        if now == count {
            return Ok(());
        }
        if now > count {
            bail!("{now} messages stored where {count} were sent: one was stored twice");
        }
        if start.elapsed() > limit {
            bail!("only {now} of {count} messages stored after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A new, empty data directory under `base`.
fn fresh(base: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let data = base.join(name);
    std::fs::create_dir_all(&data)?;
    Ok(data)
}

/// Empties PostgreSQL's tables so that each part starts from nothing.
async fn reset_postgres(url: &str) -> anyhow::Result<()> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    sqlx::query("DROP SCHEMA public CASCADE")
        .execute(&pool)
        .await?;
    sqlx::query("CREATE SCHEMA public").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

fn print_times(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let total: Duration = times.iter().sum();
    println!(
        "{label}: {} runs, {:.1} per second one after another; each: median {:.1} ms, p99 {:.1} ms",
        times.len(),
        times.len() as f64 / total.as_secs_f64(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
    );
}

/// Part 1: one process per message.
async fn pipe(options: &Options, base: &Path) -> anyhow::Result<()> {
    println!("## `postern mail ingest`, one process per message");
    let mut version = Vec::new();
    for _ in 0..options.pipe.min(50) {
        let start = Instant::now();
        let status = Command::new(postern())
            .arg("--version")
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("postern --version failed");
        }
        version.push(start.elapsed());
    }
    version.sort();
    let bare = percentile(&version, 0.5);
    println!(
        "a process that opens nothing (`postern --version`): median {:.1} ms",
        bare.as_secs_f64() * 1e3
    );
    let mut databases: Vec<(&str, Option<&str>)> = vec![("SQLite", None)];
    if let Some(url) = options.postgres.as_deref() {
        databases.push(("PostgreSQL", Some(url)));
    }
    for (name, url) in databases {
        if let Some(url) = url {
            reset_postgres(url).await?;
        }
        let data = fresh(base, &format!("pipe-{name}"))?;
        let args = storage(&data, url);
        let mut times = Vec::with_capacity(options.pipe);
        // The first run creates the database and the keyring: not counted.
        ingest_once(&args, &message("warm", 0))?;
        for n in 0..options.pipe {
            times.push(ingest_once(&args, &message("pipe", n))?);
        }
        let pool = database(&data, url).await?;
        let stored = taken(&pool).await?;
        if stored != options.pipe as i64 + 1 {
            bail!(
                "{name}: {stored} messages stored where {} were piped",
                options.pipe + 1
            );
        }
        let mut sorted = times.clone();
        sorted.sort();
        let median = percentile(&sorted, 0.5);
        print_times(name, times);
        println!(
            "{name}: a message's process takes {:.1} x a process that opens nothing",
            median.as_secs_f64() / bare.as_secs_f64()
        );
    }
    Ok(())
}

/// `postern serve` fetching from Dovecot's INBOX, the password in a file (`--imap-password-file`).
fn serve_imap(data: &Path, dovecot: &Dovecot, poll_seconds: u64) -> anyhow::Result<Server> {
    let password = data.with_extension("imap-password");
    std::fs::write(&password, dovecot.password())?;
    // Postern refuses a password file others can read.
    std::fs::set_permissions(
        &password,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )?;
    start_server(
        data,
        &[
            "--imap-url".into(),
            dovecot.url("INBOX").into(),
            "--imap-password-file".into(),
            password.into_os_string(),
            "--imap-poll-seconds".into(),
            poll_seconds.to_string().into(),
        ],
    )
}

/// Part 2: a mailbox full of mail, taken by a starting server.
async fn bulk(options: &Options, base: &Path) -> anyhow::Result<()> {
    println!(
        "\n## IMAP: {} messages waiting when `serve` starts",
        options.messages
    );
    let Some(dovecot) = Dovecot::start("postern-mail-bench") else {
        bail!("Dovecot is needed for the IMAP parts: apt-get install dovecot-imapd");
    };
    let mut client = dovecot.client();
    client.create("INBOX");
    for n in 0..options.messages {
        client.append("INBOX", &message("bulk", n));
    }
    let data = fresh(base, "bulk")?;
    let start = Instant::now();
    let server = serve_imap(&data, &dovecot, 3600)?;
    let pool = database(&data, None).await?;
    until_taken(&pool, options.messages as i64, Duration::from_secs(600)).await?;
    let elapsed = start.elapsed();
    drop(server);
    println!(
        "SQLite: {} messages stored in {:.2} s from the server's start: {:.0} messages per second",
        options.messages,
        elapsed.as_secs_f64(),
        options.messages as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// A small deterministic generator for the moments of APPEND (no dependency for it).
struct Lcg(u64);

impl Lcg {
    fn next_fraction(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Part 3: APPEND to stored, one message at a time.
async fn latency(options: &Options, base: &Path) -> anyhow::Result<()> {
    println!(
        "\n## From APPEND to stored, {} messages one at a time",
        options.samples
    );
    let cases: [(&str, bool, u64); 3] = [
        ("IDLE", true, 3600),
        ("polling every 1 s", false, 1),
        ("polling every 5 s", false, 5),
    ];
    let mut random = Lcg(0x5eed);
    for (name, idle, poll) in cases {
        let dovecot = if idle {
            Dovecot::start("postern-mail-bench-idle")
        } else {
            Dovecot::start_with(
                "postern-mail-bench-poll",
                "imap_capability = IMAP4rev1 LITERAL+ UIDPLUS",
            )
        };
        let Some(dovecot) = dovecot else {
            bail!("Dovecot is needed for the IMAP parts: apt-get install dovecot-imapd");
        };
        let mut client = dovecot.client();
        client.create("INBOX");
        let data = fresh(base, &format!("latency-{poll}"))?;
        let server = serve_imap(&data, &dovecot, poll)?;
        // The first message waits until the fetcher is connected; not counted.
        client.append("INBOX", &message(&format!("warm{poll}"), 0));
        let pool = database(&data, None).await?;
        until_taken(&pool, 1, Duration::from_secs(60)).await?;
        let mut delays = Vec::with_capacity(options.samples);
        for n in 0..options.samples {
            // A random moment within the polling interval (or up to a second under IDLE), so
            // that the samples fall evenly against the server's rounds.
            let span = if idle { 1.0 } else { poll as f64 };
            let pause = Duration::from_secs_f64(span * random.next_fraction());
            tokio::time::sleep(pause).await;
            client.append("INBOX", &message(&format!("lat{poll}"), n));
            let appended = Instant::now();
            until_taken(&pool, n as i64 + 2, Duration::from_secs(poll * 3 + 30)).await?;
            delays.push(appended.elapsed());
        }
        drop(server);
        delays.sort();
        println!(
            "{name}: median {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            percentile(&delays, 0.5).as_secs_f64() * 1e3,
            percentile(&delays, 0.99).as_secs_f64() * 1e3,
            delays.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let base = tempfile::tempdir()?;
    pipe(&options, base.path()).await?;
    bulk(&options, base.path()).await?;
    latency(&options, base.path()).await?;
    Ok(())
}
