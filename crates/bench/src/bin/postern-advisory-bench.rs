//! Advisory benchmark: with 10,000 published advisories (three projects, three years), the
//! public list page (first page, filtered, and a deep page), the Atom feed, the hall of fame and
//! the CSAF directory (index, changes, ROLIE feed, a document's hash) through HTTP on a real
//! `postern serve` process, every CSAF document made and hashed in process, and the bulk OSV
//! export (`postern advisory export-osv`) as a process. See BENCHMARKS.md.
//!
//! Usage: `cargo run --release --bin postern-advisory-bench -- [--advisories 10000]
//! [--requests 300]`
#![forbid(unsafe_code)]

#[path = "bench_common/advisories.rs"]
mod advisories;
mod bench_common;
#[path = "bench_common/pages.rs"]
mod pages;

use std::sync::Arc;
use std::time::{Duration, Instant};

use advisories::{advisory, published_at};
use anyhow::{Context as _, bail};
use bench_common::start_server;
use jiff::Timestamp;
use pages::measure;
use postern_store::{Store, StoreConfig};

/// The list page must answer within this at the median (the target).
const LIST_MEDIAN_LIMIT: Duration = Duration::from_millis(20);
/// Concurrent seeding tasks, so that the group-commit writer fills its batches.
const SEEDERS: usize = 32;

struct Options {
    advisories: usize,
    requests: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        advisories: 10_000,
        requests: 300,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--advisories" => options.advisories = advisories::count(args.next(), "--advisories")?,
            "--requests" => options.requests = args.next().context("--requests N")?.parse()?,
            other => bail!("unknown argument {other}; use --advisories N and --requests N"),
        }
    }
    Ok(options)
}

async fn seed(store: &Store, count: usize, now: Timestamp) -> anyhow::Result<()> {
    let store = Arc::new(store.clone());
    let started = Instant::now();
    let tasks: Vec<_> = (0..SEEDERS)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut n = t;
                while n < count {
                    let at = published_at(n, count, now);
                    let a = advisory(n, at);
                    store.save_advisory(&a, None, "bench", at).await?;
                    store.publish_advisory(&a.id, "bench", at).await?;
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
        "seeded and published {count} advisories in {seconds:.0} s ({:.0}/s)",
        count as f64 / seconds
    );
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Runs `postern advisory export-osv` and reports its time, files, bytes and peak memory.
fn run_export(data: &std::path::Path, out: &std::path::Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?.with_file_name("postern");
    let started = Instant::now();
    let mut child = std::process::Command::new(&exe)
        .args(["advisory", "export-osv", "--data"])
        .arg(data)
        .arg("--dir")
        .arg(out)
        .env("POSTERN_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    // Sample the child's peak resident set (VmHWM) while it runs.
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    if !status.success() {
        bail!("export-osv failed: {status}");
    }
    let mut files = 0;
    let mut bytes = 0;
    for entry in std::fs::read_dir(out)? {
        let entry = entry?;
        files += 1;
        bytes += entry.metadata()?.len();
    }
    println!(
        "bulk OSV export (`postern advisory export-osv`, a process): {files} files, {:.1} MiB in {:.2} s ({:.0} advisories/s), peak memory {:.0} MiB (sampled)",
        bytes as f64 / 1048576.0,
        elapsed.as_secs_f64(),
        files as f64 / elapsed.as_secs_f64(),
        peak_kib as f64 / 1024.0
    );
    Ok(())
}

/// Makes every published advisory's CSAF document with its two hash files, as the provider
/// directory serves them, in this process: documents per second (after reading and opening
/// them all, which is timed apart); then again with each document's detached OpenPGP
/// signature by a project key (Ed25519, what `postern key openpgp generate` makes).
async fn hash_all(data: &std::path::Path, now: Timestamp) -> anyhow::Result<()> {
    use postern_core::export::csaf_directory::Hash;
    use postern_core::export::{ExportContext, csaf};
    let store = Store::open(
        &StoreConfig {
            database_url: None,
            postgres_schema: None,
        },
        data,
    )
    .await?;
    let started = Instant::now();
    let all = store.all_published(None).await?;
    let read = started.elapsed();
    // One document as the directory serves it: made, hashed both ways; its bytes and all
    // three files' sizes.
    let make = |stored: &postern_store::advisories::StoredAdvisory| {
        let a = &stored.advisory;
        let context = ExportContext::for_project(None, &a.project, "https://sec.example.org", now);
        let document = csaf::csaf(a, &context).to_string();
        let name = csaf::file_name(&a.id);
        let hashes: usize = Hash::ALL
            .iter()
            .map(|h| h.file(document.as_bytes(), &name).len())
            .sum();
        let bytes = document.len() + hashes;
        (document, bytes)
    };
    let started = Instant::now();
    let bytes: usize = all.iter().map(|s| make(s).1).sum();
    let made = started.elapsed();
    println!(
        "CSAF documents with .sha256 and .sha512, in process: {} documents ({:.1} MiB) in {:.2} s ({:.0} documents/s), after reading and opening them in {:.2} s",
        all.len(),
        bytes as f64 / 1048576.0,
        made.as_secs_f64(),
        all.len() as f64 / made.as_secs_f64(),
        read.as_secs_f64()
    );
    let seed = || postern_store::vault::random_bytes::<32>().map(postern_openpgp::Seed);
    let key = postern_openpgp::generate("Bench security <security@example.org>", seed()?)?;
    let started = Instant::now();
    for stored in &all {
        let (document, _) = make(stored);
        postern_openpgp::sign_detached(document.as_bytes(), &key, seed()?)?;
    }
    let signed = started.elapsed();
    println!(
        "... and signed (detached, Ed25519, SHA-512): {} documents in {:.2} s ({:.0} documents/s)",
        all.len(),
        signed.as_secs_f64(),
        all.len() as f64 / signed.as_secs_f64()
    );
    store.close().await;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    let now = Timestamp::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = Store::open(
            &StoreConfig {
                database_url: None,
                postgres_schema: None,
            },
            &data,
        )
        .await?;
        seed(&store, options.advisories, now).await?;
        store.close().await;
        anyhow::Ok(())
    })?;
    let half = options.advisories / 2;
    let middle = advisory(half, published_at(half, options.advisories, now)).id;
    let middle_document = format!(
        "{}/{}.sha512",
        postern_core::export::csaf::PROVIDER_DIRECTORY,
        postern_core::export::csaf::document_path(
            &middle,
            published_at(half, options.advisories, now)
        )
    );
    runtime.block_on(hash_all(&data, now))?;
    let server = start_server(&data, &[])?;
    println!(
        "\n{} published advisories, SQLite, {} requests per page, one keep-alive client:",
        options.advisories, options.requests
    );
    println!("| page | median ms | p99 ms | bytes | median / 20 ms limit |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let pages = [
        (
            "/advisories (first page, 200 rows)",
            "/advisories".to_owned(),
        ),
        (
            "/advisories?project=openchat&severity=high",
            "/advisories?project=openchat&severity=high".to_owned(),
        ),
        (
            "/advisories, a page in the middle (keyset)",
            format!("/advisories?before={middle}"),
        ),
    ];
    for (name, path) in &pages {
        let (p50, p99, bytes) = measure(
            &server.address,
            None,
            std::slice::from_ref(path),
            options.requests,
        )?;
        println!(
            "| {name} | {} | {} | {bytes} | {:.2} |",
            ms(p50),
            ms(p99),
            p50.as_secs_f64() / LIST_MEDIAN_LIMIT.as_secs_f64()
        );
    }
    for (name, path, requests) in [
        (
            "/advisories.atom (50 entries)",
            "/advisories.atom",
            options.requests,
        ),
        (
            "/.well-known/csaf/white/index.txt (all)",
            "/.well-known/csaf/white/index.txt",
            options.requests,
        ),
        (
            "/.well-known/csaf/feed-tlp-white.json (all; kept until the next publication)",
            "/.well-known/csaf/feed-tlp-white.json",
            options.requests,
        ),
        (
            "/.well-known/csaf/white/changes.csv (all)",
            "/.well-known/csaf/white/changes.csv",
            options.requests,
        ),
        (
            "/.well-known/csaf/white/YEAR/ID.json.sha512 (one document, made and hashed)",
            &middle_document,
            options.requests,
        ),
        (
            "/hall-of-fame (kept until the next publication)",
            "/hall-of-fame",
            (options.requests / 10).max(10),
        ),
    ] {
        let (p50, p99, bytes) = measure(&server.address, None, &[path.to_owned()], requests)?;
        println!("| {name} | {} | {} | {bytes} | |", ms(p50), ms(p99));
    }
    drop(server);
    run_export(&data, &dir.path().join("osv"))?;
    Ok(())
}
