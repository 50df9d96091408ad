//! OpenPGP benchmark, in one run: (a) the CSAF documents of the advisory benchmark's 10,000
//! advisories hashed (SHA-256 and SHA-512, the `.sha256`/`.sha512` files) and signed (the
//! detached `.asc`) with a project key, in documents per second, on one thread and on every
//! core; (b) the cost of taking in a report that comes encrypted (decrypted with the project's
//! key at intake) against a plain one, through the same use case (`App::submit_report`) on a
//! SQLite store. See BENCHMARKS.md.
//!
//! Usage: `cargo run --release --bin postern-openpgp-bench -- [--advisories 10000]
//! [--reports 300]`
#![forbid(unsafe_code)]

#[path = "bench_common/advisories.rs"]
mod advisories;

use std::time::{Duration, Instant};

use advisories::{PROJECTS, advisory, published_at};
use anyhow::{Context as _, bail};
use jiff::Timestamp;
use postern_app::reporter::NewReport;
use postern_app::{Actor, App, Clock};
use postern_core::export::ExportContext;
use postern_core::intake::Submission;
use postern_core::project::{Project, Projects};
use postern_openpgp::{SecretKey, Seed};
use postern_store::{Store, StoreConfig};
use sha2::{Digest as _, Sha256, Sha512};

const EXAMPLE: &str = include_str!("../../../../examples/policies/example.toml");

struct Options {
    advisories: usize,
    reports: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        advisories: 10_000,
        reports: 300,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--advisories" => options.advisories = advisories::count(args.next(), "--advisories")?,
            "--reports" => options.reports = args.next().context("--reports N")?.parse()?,
            other => bail!("unknown argument {other}; use --advisories N and --reports N"),
        }
    }
    Ok(options)
}

fn seed() -> Seed {
    Seed(postern_store::vault::random_bytes::<32>().expect("OS randomness"))
}

fn per_second(count: usize, took: Duration) -> String {
    format!("{:.0}/s", count as f64 / took.as_secs_f64())
}

/// The CSAF documents, as the provider directory serves them.
fn documents(count: usize) -> Vec<Vec<u8>> {
    let now: Timestamp = "2026-12-01T00:00:00Z".parse().expect("a moment");
    (0..count)
        .map(|n| {
            let mut a = advisory(n, published_at(n, count, now));
            a.published = Some(a.modified);
            let (slug, _) = PROJECTS[0];
            let context = ExportContext {
                base_url: "https://security.example.org".into(),
                project_name: slug.into(),
                publisher: "Acme security team".into(),
                publisher_url: "https://security.example.org".into(),
                now,
                lang: "en".into(),
            };
            postern_core::export::csaf::csaf(&a, &context)
                .to_string()
                .into_bytes()
        })
        .collect()
}

/// Hashes (hex SHA-256 and SHA-512) and signs every document on `threads` threads; the
/// time of each part and of both together.
fn hash_and_sign(docs: &[Vec<u8>], key: &SecretKey, threads: usize) -> (Duration, Duration) {
    let chunk = docs.len().div_ceil(threads);
    let hashing = Instant::now();
    std::thread::scope(|s| {
        for part in docs.chunks(chunk) {
            s.spawn(move || {
                for d in part {
                    let a = data_encoding::HEXLOWER.encode(&Sha256::digest(d));
                    let b = data_encoding::HEXLOWER.encode(&Sha512::digest(d));
                    assert_eq!(a.len() + b.len(), 64 + 128);
                }
            });
        }
    });
    let hashing = hashing.elapsed();
    let signing = Instant::now();
    std::thread::scope(|s| {
        for part in docs.chunks(chunk) {
            s.spawn(move || {
                for d in part {
                    let sig = postern_openpgp::sign_detached(d, key, seed()).expect("signed");
                    assert!(sig.starts_with("-----BEGIN PGP SIGNATURE-----"));
                }
            });
        }
    });
    (hashing, signing.elapsed())
}

fn report(n: usize, encrypted: Option<String>) -> NewReport {
    let fields: Vec<(String, String)> = match encrypted {
        Some(_) => Vec::new(),
        None => vec![
            (
                "title".into(),
                format!("Stored XSS in the widget title ({n})"),
            ),
            ("description".into(), body(n)),
            ("impact".into(), "Session theft".into()),
            (
                "steps_to_reproduce".into(),
                "Save a widget named <script>".into(),
            ),
            (
                "proof_of_concept".into(),
                "<script>alert(1)</script>".into(),
            ),
        ],
    };
    NewReport {
        project: None,
        submission: Submission {
            fields,
            scope_category: None,
            contact_email: None,
            credit_name: None,
        },
        encrypted_message: encrypted,
        ..NewReport::default()
    }
}

fn body(n: usize) -> String {
    format!(
        "Stored XSS in the widget title ({n}).\n\nA widget whose title is `<script>alert(1)</script>` runs the script for every viewer of the dashboard. {}",
        "Steps and impact follow. ".repeat(40)
    )
}

async fn intake(options: &Options) -> anyhow::Result<(Duration, Duration, Duration)> {
    let dir = tempfile::tempdir()?;
    let checked = postern_core::policy::parse_str(EXAMPLE, Timestamp::now());
    let policy = checked.policy.context("the example policy is valid")?;
    let projects = Projects::new(vec![Project { policy }]).map_err(anyhow::Error::msg)?;
    let store = Store::open(
        &StoreConfig {
            database_url: None,
            postgres_schema: None,
        },
        dir.path(),
    )
    .await?;
    let app = App::new(
        projects,
        store,
        Clock::system(),
        "https://security.example.org",
    );
    let slug = app.projects().default_project().slug().to_owned();
    app.generate_project_key(&Actor::operator("bench"), &slug)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = app
        .project_public_key(&slug)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .context("a key")?;
    // The reporters' side (encrypting) is not Postern's cost: done before the clock runs.
    let messages: Vec<String> = (0..options.reports)
        .map(|n| {
            postern_openpgp::encrypt(body(n).as_bytes(), &[&key], None, Timestamp::now(), seed())
                .expect("encrypted")
        })
        .collect();
    // Warm up both paths (pages of the database, the key's first unsealing).
    for n in 0..10 {
        app.submit_report(report(n, None))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        app.submit_report(report(n, Some(messages[n % messages.len()].clone())))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let plain = Instant::now();
    for n in 0..options.reports {
        app.submit_report(report(n, None))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let plain = plain.elapsed();
    let encrypted = Instant::now();
    for message in &messages {
        let done = app
            .submit_report(report(0, Some(message.clone())))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        assert_eq!(
            done.encrypted.map(|e| e.state),
            Some(postern_store::openpgp::ArrivalState::Decrypted)
        );
    }
    let encrypted = encrypted.elapsed();
    // Decryption alone, with the keys as the use case unseals them.
    let decrypt = Instant::now();
    for message in &messages {
        app.openpgp_decrypt(&slug, message.as_bytes(), None, 64 * 1024)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let decrypt = decrypt.elapsed();
    app.store().close().await;
    Ok((plain, encrypted, decrypt))
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "postern-openpgp-bench: {} CSAF documents, {} reports each way, {cores} core(s)",
        options.advisories, options.reports
    );
    let made = Instant::now();
    let docs = documents(options.advisories);
    let bytes: usize = docs.iter().map(Vec::len).sum();
    println!(
        "documents rendered in {:.1} s ({:.1} MB, {} bytes on average)",
        made.elapsed().as_secs_f64(),
        bytes as f64 / 1e6,
        bytes / docs.len().max(1)
    );
    let key = postern_openpgp::generate("Acme security <security@acme.example>", seed())?;
    for threads in [1, cores] {
        let (hashing, signing) = hash_and_sign(&docs, &key, threads);
        println!(
            "{threads} thread(s): SHA-256 + SHA-512 {} docs ({:.2} s); signing {} docs ({:.2} s); both {} docs",
            per_second(docs.len(), hashing),
            hashing.as_secs_f64(),
            per_second(docs.len(), signing),
            signing.as_secs_f64(),
            per_second(docs.len(), hashing + signing),
        );
        if cores == 1 {
            break;
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (plain, encrypted, decrypt) = runtime.block_on(intake(&options))?;
    let each = |d: Duration| d.as_secs_f64() * 1000.0 / options.reports as f64;
    println!(
        "intake (App::submit_report, SQLite, one at a time): plain {:.2} ms/report, encrypted {:.2} ms/report, ratio {:.2}; decryption alone {:.2} ms/message",
        each(plain),
        each(encrypted),
        encrypted.as_secs_f64() / plain.as_secs_f64(),
        each(decrypt)
    );
    Ok(())
}
