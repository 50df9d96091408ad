//! Team workspace benchmark: the work queue's first page (with filters), its search (a common
//! word, a word in one report of 400, a rare word, an id's beginning, no match) and the report
//! page, through HTTP on a real `postern serve` process, with 100,000 and 1,000,000 reports in
//! SQLite. See BENCHMARKS.md.
//!
//! Usage: `cargo run --release --bin postern-team-bench -- [--reports 100000,1000000]
//! [--requests 300] [--data DIR]`
//!
//! `--data DIR` keeps the seeded data directory in DIR (made if absent) and, run again, seeds
//! only what DIR lacks: a second run measures the pages of another build without seeding a
//! million reports again.
#![forbid(unsafe_code)]

mod bench_common;
#[path = "bench_common/pages.rs"]
mod pages;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bench_common::start_server;
use jiff::{SignedDuration, Timestamp};
use pages::measure;
use postern_core::case::Case;
use postern_core::intake::ValidSubmission;
use postern_core::policy::Policy;
use postern_store::team::{Role, SessionStage};
use postern_store::{Store, StoreConfig};

const POLICIES: [(&str, &str); 3] = [
    (
        "example.toml",
        include_str!("../../../../examples/policies/example.toml"),
    ),
    (
        "openchat.toml",
        include_str!("../../../../examples/policies/openchat.toml"),
    ),
    (
        "linly-talker.toml",
        include_str!("../../../../examples/policies/linly-talker.toml"),
    ),
];
/// Concurrent seeding tasks: enough for the group-commit writer to fill its batches.
const SEEDERS: usize = 64;
/// One report in this many says "partner" (`submission`): a word found in 2,500 of 1,000,000
/// reports, near the store's `SEARCH_READ_FIRST_MAX`, the slowest kind of word to search.
const PARTNER_EVERY: usize = 400;
/// The spread of receipt times: three years up to now.
const HISTORY: SignedDuration = SignedDuration::from_hours(3 * 365 * 24);

struct Options {
    sizes: Vec<usize>,
    requests: usize,
    data: Option<std::path::PathBuf>,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        sizes: vec![100_000, 1_000_000],
        requests: 300,
        data: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reports" => {
                options.sizes = args
                    .next()
                    .context("--reports N[,N...]")?
                    .split(',')
                    .map(|n| n.trim().replace('_', "").parse())
                    .collect::<Result<_, _>>()?;
                options.sizes.sort_unstable();
            }
            "--requests" => options.requests = args.next().context("--requests N")?.parse()?,
            "--data" => options.data = Some(args.next().context("--data DIR")?.into()),
            other => {
                bail!("unknown argument {other}; use --reports N,N, --requests N and --data DIR")
            }
        }
    }
    Ok(options)
}

/// A report as people write them: some shared vocabulary, some specifics.
fn submission(n: usize) -> ValidSubmission {
    let endpoints = [
        "upload", "search", "login", "export", "webhook", "profile", "invoice", "render",
    ];
    let kinds = [
        "path traversal",
        "stored XSS",
        "SQL injection",
        "SSRF",
        "IDOR",
        "template injection",
    ];
    let endpoint = endpoints[n % endpoints.len()];
    let kind = kinds[(n / 7) % kinds.len()];
    ValidSubmission {
        fields: vec![
            (
                "title".into(),
                format!("{kind} in /api/v1/{endpoint} (report {n})"),
            ),
            (
                "description".into(),
                format!(
                    "The {endpoint}_handler passes the `{endpoint}_id` parameter to the backend unchecked. \
                     A {kind} lets an attacker read other tenants' data. Tested on version 2.{}.{}.{}",
                    n % 9,
                    n % 17,
                    // One report in 400 names a word no other does: the search's middle case.
                    if n.is_multiple_of(PARTNER_EVERY) {
                        " Found through the partner programme."
                    } else {
                        ""
                    }
                ),
            ),
            (
                "impact".into(),
                "Data of other customers is exposed.".into(),
            ),
            (
                "steps_to_reproduce".into(),
                format!(
                    "1. Sign in.\n2. Send GET /api/v1/{endpoint}?{endpoint}_id={n}\n3. Observe the answer."
                ),
            ),
        ],
        scope_category: Some("rce".into()),
        contact_email: Some(format!("reporter{n}@example.org")),
        credit_name: None,
    }
}

async fn seed(
    store: &Store,
    policies: &[Policy],
    from: usize,
    to: usize,
    now: Timestamp,
) -> anyhow::Result<()> {
    let store = Arc::new(store.clone());
    let policies = Arc::new(policies.to_vec());
    let total = to - from;
    let started = Instant::now();
    let tasks: Vec<_> = (0..SEEDERS)
        .map(|t| {
            let (store, policies) = (store.clone(), policies.clone());
            tokio::spawn(async move {
                let mut n = from + t;
                while n < to {
                    // Projects 70/20/10; receipt times spread evenly over the history.
                    let policy = &policies[match n % 10 {
                        0..=6 => 0,
                        7 | 8 => 1,
                        _ => 2,
                    }];
                    let back = HISTORY.as_millis() as i64 * (to - n) as i64 / to as i64;
                    let received = now - SignedDuration::from_millis(back);
                    let case = Case::received(policy, received);
                    store
                        .create_case_report(
                            &policy.project.slug,
                            &submission(n),
                            &[],
                            received,
                            &case.clocks,
                        )
                        .await?;
                    n += SEEDERS;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  seeded {total} reports in {seconds:.0} s ({:.0}/s)",
        total as f64 / seconds
    );
    Ok(())
}

/// Gives the newly seeded reports a realistic mix of states: most closed long ago, a few
/// percent open in each state, with severities.
async fn reshape(database: &std::path::Path, after_rowid: i64) -> anyhow::Result<()> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", database.display())).await?;
    let statements = [
        "UPDATE reports SET status = 'closed', next_due_at = 9223372036854775807, case_record = '{\"closure\":\"resolved\"}' WHERE rowid > $1 AND rowid % 100 < 88",
        "UPDATE reports SET status = 'triaged', severity = CASE rowid % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END, next_due_at = received_at + 1209600000 WHERE rowid > $1 AND rowid % 100 BETWEEN 88 AND 92",
        "UPDATE reports SET status = 'fixing', severity = CASE rowid % 3 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' ELSE 'medium' END, next_due_at = received_at + 2592000000 WHERE rowid > $1 AND rowid % 100 BETWEEN 93 AND 95",
        "UPDATE reports SET status = 'acknowledged' WHERE rowid > $1 AND rowid % 100 BETWEEN 96 AND 97",
    ];
    for sql in statements {
        sqlx::query(sql).bind(after_rowid).execute(&pool).await?;
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await?;
    sqlx::query("ANALYZE").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// The longest the benchmark waits for the server's job backlog before it measures anyway: at
/// 1,000,000 reports the backlog is about 1.8 million jobs.
const BACKLOG_WAIT_MAX: std::time::Duration = std::time::Duration::from_secs(1800);

/// Waits until no job is due (or `max` has passed); returns how long it took.
async fn wait_for_backlog(
    database: &std::path::Path,
    max: std::time::Duration,
) -> anyhow::Result<std::time::Duration> {
    let started = std::time::Instant::now();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", database.display())).await?;
    loop {
        let now = Timestamp::now().as_millisecond();
        let due: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE (state = 'pending' AND run_at <= $1) OR state = 'running'",
        )
        .bind(now)
        .fetch_one(&pool)
        .await?;
        if due == 0 || started.elapsed() > max {
            if due > 0 {
                println!(
                    "  {due} jobs still due after {} s; measuring anyway",
                    max.as_secs()
                );
            }
            pool.close().await;
            return Ok(started.elapsed());
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// The server's CPU time so far (user and system, in clock ticks), from `/proc/PID/stat`.
fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').context("/proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Ok(fields.get(11).context("utime")?.parse::<u64>()?
        + fields.get(12).context("stime")?.parse::<u64>()?)
}

/// Waits until the server has been idle (under 5 % of a core) for three seconds in a row, or
/// `max` has passed: what it does once at start (reports of older versions completed, old
/// jobs deleted) is over before pages are measured. Returns how long it took.
fn wait_until_idle(pid: u32, max: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut quiet = 0;
    let mut last = cpu_ticks(pid)?;
    while quiet < 3 && started.elapsed() < max {
        std::thread::sleep(Duration::from_secs(1));
        let now = cpu_ticks(pid)?;
        // 100 ticks a second on Linux: 5 ticks in a second is 5 %.
        quiet = if now - last <= 5 { quiet + 1 } else { 0 };
        last = now;
    }
    Ok(started.elapsed())
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    let dir = tempfile::tempdir()?;
    let data = options
        .data
        .clone()
        .unwrap_or_else(|| dir.path().join("data"));
    std::fs::create_dir_all(&data)?;
    std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    let mut policy_files = Vec::new();
    let mut policies = Vec::new();
    let now = Timestamp::now();
    for (name, text) in POLICIES {
        let path = dir.path().join(name);
        std::fs::write(&path, text)?;
        policy_files.push(path);
        let checked = postern_core::policy::parse_str(text, now);
        policies.push(
            checked
                .policy
                .with_context(|| format!("{name} does not check"))?,
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // What a kept data directory holds already (rowids follow the seeding order).
    let mut seeded = runtime.block_on(async {
        let file = data.join(postern_store::SQLITE_FILE);
        if !file.exists() {
            return anyhow::Ok(0);
        }
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", file.display())).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
            .fetch_one(&pool)
            .await?;
        pool.close().await;
        anyhow::Ok(count as usize)
    })?;
    if seeded > 0 {
        println!("{} holds {seeded} reports already", data.display());
    }
    println!(
        "Team workspace benchmark: {} requests per page kind, one keep-alive client.",
        options.requests
    );
    for &size in &options.sizes {
        println!("\n{size} reports:");
        let cookie = runtime.block_on(async {
            let store = Store::open(
                &StoreConfig {
                    database_url: None,
                    postgres_schema: None,
                },
                &data,
            )
            .await?;
            if size > seeded {
                seed(&store, &policies, seeded, size, now).await?;
            }
            let (user, _) = match store.user_by_email("bench@example.org").await? {
                Some(user) => (user, String::new()),
                None => {
                    store
                        .create_user("bench@example.org", Role::Triager, &[], "bench", now)
                        .await?
                }
            };
            let token = store
                .create_session(&user, SessionStage::Full, Timestamp::now())
                .await?;
            store.close().await;
            if size > seeded {
                reshape(&data.join(postern_store::SQLITE_FILE), seeded as i64).await?;
            }
            anyhow::Ok(format!("postern_session={token}"))
        })?;
        seeded = seeded.max(size);
        let open_ids: Vec<String> = runtime.block_on(async {
            let pool = sqlx::SqlitePool::connect(&format!(
                "sqlite:{}",
                data.join(postern_store::SQLITE_FILE).display()
            ))
            .await?;
            let ids = sqlx::query_scalar(
                "SELECT id FROM reports WHERE status <> 'closed' ORDER BY random() LIMIT 200",
            )
            .fetch_all(&pool)
            .await?;
            pool.close().await;
            anyhow::Ok(ids)
        })?;
        let extra: Vec<std::ffi::OsString> = policy_files
            .iter()
            .flat_map(|p| ["--policy".into(), p.clone().into_os_string()])
            .collect();
        let server = start_server(&data, &extra)?;
        // The seeded reports' notices and overdue reminders are the server's backlog at start;
        // pages are measured once its job runner has worked through what is due, as on an
        // instance that has been running.
        let drained = runtime.block_on(wait_for_backlog(
            &data.join(postern_store::SQLITE_FILE),
            BACKLOG_WAIT_MAX,
        ))?;
        println!(
            "  job backlog worked through in {:.0} s",
            drained.as_secs_f64()
        );
        let settled = wait_until_idle(server.child.id(), BACKLOG_WAIT_MAX)?;
        println!(
            "  the server idle {:.0} s later (its work at start done)",
            settled.as_secs_f64()
        );
        // Rare words: report numbers, each in one report's title and text (and the beginning
        // of the ten to a hundred numbers that start with it), spread over what is seeded.
        let numbers: Vec<String> = (0..200u64)
            .map(|i| {
                let n = (i.wrapping_mul(2_654_435_761) % size as u64).max(100);
                format!("/team?status=all&q={n}")
            })
            .collect();
        let id_starts: Vec<String> = open_ids
            .iter()
            .map(|id| format!("/team?q={}", &id[..6]))
            .collect();
        let queue_views: [(&str, Vec<String>); 12] = [
            ("queue, no filter", vec!["/team".into()]),
            (
                "queue, project + state",
                vec!["/team?project=openchat&status=received".into()],
            ),
            (
                "queue, severity + state",
                vec!["/team?status=triaged&severity=high".into()],
            ),
            ("queue, overdue only", vec!["/team?overdue=1".into()]),
            (
                "search, common word (1 in 3)",
                vec!["/team?q=injection".into()],
            ),
            (
                "search, common word, all states, oldest first",
                vec!["/team?q=upload&status=all&sort=oldest".into()],
            ),
            (
                "search, two common words, triaged",
                vec!["/team?q=injection+upload&status=triaged".into()],
            ),
            (
                "search, word in 1 of 400, all states",
                vec!["/team?q=partner&status=all".into()],
            ),
            (
                "search, word in 1 of 400, open reports",
                vec!["/team?q=partner".into()],
            ),
            ("search, rare word (a report number), all states", numbers),
            ("search, an id's first 6 characters", id_starts),
            ("search, no match", vec!["/team?q=quokka".into()]),
        ];
        println!("| page | median ms | p99 ms | bytes |");
        println!("| --- | ---: | ---: | ---: |");
        for (name, paths) in &queue_views {
            let (p50, p99, bytes) =
                measure(&server.address, Some(&cookie), paths, options.requests)?;
            println!("| {name} | {} | {} | {bytes} |", ms(p50), ms(p99));
        }
        let report_paths: Vec<String> = open_ids
            .iter()
            .map(|id| format!("/team/reports/{id}"))
            .collect();
        let (p50, p99, bytes) = measure(
            &server.address,
            Some(&cookie),
            &report_paths,
            options.requests,
        )?;
        println!(
            "| report page (audited view) | {} | {} | {bytes} |",
            ms(p50),
            ms(p99)
        );
        let size_mib =
            std::fs::metadata(data.join(postern_store::SQLITE_FILE))?.len() as f64 / 1048576.0;
        println!("database file: {size_mib:.0} MiB");
        drop(server);
    }
    Ok(())
}
