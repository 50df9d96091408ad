//! Scan import benchmark: a generated 15,000-finding Trivy report imported through the API of
//! a real `postern serve` (SQLite), through the terminal (`postern scan import`, SQLite and
//! PostgreSQL), each imported again with zero changes, the processes' peak memory, and the
//! parse alone against a plain `serde_json::Value` parse of the same bytes. See BENCHMARKS.md.
//!
//! Usage: `cargo run --release --bin postern-scan-bench -- [--findings N] [--postgres URL]`
#![forbid(unsafe_code)]

// Only `start_server` and `read_response` are used here.
#[allow(dead_code)]
mod bench_common;

use std::io::Write as _;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bench_common::{read_response, start_server};

struct Options {
    findings: usize,
    postgres: Option<String>,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        findings: 15_000,
        postgres: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--findings" => options.findings = args.next().context("--findings N")?.parse()?,
            "--postgres" => options.postgres = Some(args.next().context("--postgres URL")?),
            other => bail!("unknown argument {other}; use --findings N, --postgres URL"),
        }
    }
    Ok(options)
}

/// A Trivy `SchemaVersion: 2` report as Trivy writes one for a large image: three targets,
/// each finding with a title, a description, references and NVD and vendor CVSS data.
fn trivy_report(findings: usize) -> String {
    let mut out = String::with_capacity(findings * 1500);
    out.push_str(r#"{"SchemaVersion": 2, "ArtifactName": "registry.example.org/acme/api:2.0", "ArtifactType": "container_image", "Results": ["#);
    let targets = [
        "registry.example.org/acme/api:2.0 (debian 12.4)",
        "app/Cargo.lock",
        "app/package-lock.json",
    ];
    let per_target = findings.div_ceil(targets.len());
    for (t, target) in targets.iter().enumerate() {
        if t > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"Target": "{target}", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": ["#
        ));
        let start = t * per_target;
        let end = ((t + 1) * per_target).min(findings);
        for i in start..end {
            if i > start {
                out.push(',');
            }
            let severity = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"][i % 5];
            out.push_str(&format!(
                r#"{{"VulnerabilityID": "CVE-2026-{i:05}", "PkgID": "libpkg{p}@1.{p}.0", "PkgName": "libpkg{p}", "InstalledVersion": "1.{p}.0", "FixedVersion": "1.{p}.1", "Status": "fixed", "Layer": {{"DiffID": "sha256:9f1e8a0c5d6b7e2f3a4b5c6d7e8f90123456789abcdef0123456789abcdef01"}}, "SeveritySource": "nvd", "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2026-{i:05}", "DataSource": {{"ID": "debian", "Name": "Debian Security Tracker", "URL": "https://salsa.debian.org/security-tracker-team/security-tracker"}}, "Title": "libpkg{p}: heap overflow in the parser of crafted input {i}", "Description": "A heap-based buffer overflow in the parser of libpkg{p} before 1.{p}.1 allows remote attackers to cause a denial of service or possibly execute arbitrary code via a crafted file, because a length field is trusted when a chunk is copied.", "Severity": "{severity}", "CweIDs": ["CWE-122"], "VendorSeverity": {{"debian": 2, "nvd": 3, "redhat": 2}}, "CVSS": {{"nvd": {{"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "V3Score": 8.8}}, "redhat": {{"V3Vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "V3Score": 7.8}}}}, "References": ["https://access.redhat.com/security/cve/CVE-2026-{i:05}", "https://nvd.nist.gov/vuln/detail/CVE-2026-{i:05}", "https://security-tracker.debian.org/tracker/CVE-2026-{i:05}", "https://ubuntu.com/security/notices/USN-{i}-1", "https://www.cve.org/CVERecord?id=CVE-2026-{i:05}"], "PublishedDate": "2026-03-01T15:15:07.193Z", "LastModifiedDate": "2026-04-02T10:11:12.000Z"}}"#,
                p = i % 997
            ));
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let out = f();
        best = best.min(started.elapsed());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `postern` with `args`, sampling its peak resident set while it runs; returns its
/// standard output, the wall-clock time and the peak in MiB.
fn postern(args: &[&str]) -> anyhow::Result<(String, Duration, f64)> {
    let exe = std::env::current_exe()?.with_file_name("postern");
    let started = Instant::now();
    let mut child = Command::new(&exe)
        .args(args)
        .env("POSTERN_LOG", "warn")
        .env_remove("POSTERN_POLICY")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {} (cargo build --release)", exe.display()))?;
    let pid = child.id();
    let mut peak = 0u64;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = started.elapsed();
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().context("stdout")?, &mut stdout)?;
    if !status.success() {
        bail!("postern {} failed: {status}", args.join(" "));
    }
    Ok((stdout, elapsed, peak as f64 / 1024.0))
}

fn counts(json: &str) -> anyhow::Result<String> {
    let v: serde_json::Value = serde_json::from_str(json.trim())
        .with_context(|| format!("not the outcome JSON: {json}"))?;
    Ok(format!(
        "new {}, unchanged {}, closed {}, reopened {}",
        v["new"], v["unchanged"], v["closed"], v["reopened"]
    ))
}

fn terminal(label: &str, file: &Path, storage: &[&str]) -> anyhow::Result<()> {
    let file = file.display().to_string();
    let mut args = vec![
        "scan",
        "import",
        &file,
        "--project",
        "acme-widgets",
        "--product",
        "api",
        "--version",
        "2.0",
        "--json",
    ];
    args.extend_from_slice(storage);
    // A first command creates and migrates the database, so that the timings below are the
    // imports alone (and the process's start, which every terminal command pays).
    let mut warm = vec!["scan", "list", "--limit", "1"];
    warm.extend_from_slice(storage);
    postern(&warm)?;
    for round in ["first import", "re-import"] {
        let (out, elapsed, peak) = postern(&args)?;
        println!(
            "{label}, terminal, {round}: {:.3} s (process start to exit), peak memory {peak:.1} MiB; {}",
            elapsed.as_secs_f64(),
            counts(&out)?
        );
    }
    Ok(())
}

/// Posts the report to the API of a real `postern serve` with a token, twice.
fn api(dir: &Path, report: &[u8]) -> anyhow::Result<()> {
    let data = dir.join("api-data");
    let data_arg = data.display().to_string();
    let (made, _, _) = postern(&[
        "token",
        "create",
        "--name",
        "bench",
        "--project",
        "acme-widgets",
        "--data",
        &data_arg,
    ])?;
    let token = made
        .split_whitespace()
        .find(|w| w.starts_with("pst_") && w.len() > 40)
        .context("no token printed")?
        .to_owned();
    let server = start_server(&data, &[])?;
    let mut stream = TcpStream::connect(&server.address)?;
    stream.set_nodelay(true)?;
    let mut buffer = Vec::new();
    for round in ["first import", "re-import"] {
        let head = format!(
            "POST /api/v1/projects/acme-widgets/scans?product=api&version=2.0 HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            server.address,
            report.len()
        );
        let started = Instant::now();
        stream.write_all(head.as_bytes())?;
        stream.write_all(report)?;
        let (status, length) = read_response(&mut stream, &mut buffer)?;
        let elapsed = started.elapsed();
        if !status.starts_with("http/1.1 200") {
            bail!("the API answered {status}");
        }
        let body = String::from_utf8_lossy(&buffer[buffer.len() - length..]).into_owned();
        println!(
            "SQLite, API (real serve, loopback), {round}: {:.3} s (request sent to answer); {}",
            elapsed.as_secs_f64(),
            counts(&body)?
        );
    }
    let peak = vm_hwm_kib(server.child.id()).unwrap_or(0) as f64 / 1024.0;
    println!("SQLite, API: the server's peak memory (VmHWM, since start) {peak:.1} MiB");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("trivy.json");
    let report = trivy_report(options.findings);
    std::fs::write(&file, &report)?;
    let bytes = report.into_bytes();
    println!(
        "report: {} findings, {:.1} MiB of Trivy JSON",
        options.findings,
        bytes.len() as f64 / 1048576.0
    );

    // The parse alone against a generic JSON tree of the same bytes (best of 5 each).
    let (parse, parsed) = best_of(5, || postern_core::scan::parse(&bytes));
    let parsed = parsed?;
    let (value, tree) = best_of(5, || serde_json::from_slice::<serde_json::Value>(&bytes));
    tree?;
    println!(
        "parse: {:.1} ms ({} findings), serde_json::Value of the same bytes: {:.1} ms; ratio {:.2}",
        parse.as_secs_f64() * 1000.0,
        parsed.findings.len(),
        value.as_secs_f64() * 1000.0,
        parse.as_secs_f64() / value.as_secs_f64()
    );

    api(dir.path(), &bytes)?;
    let data = dir.path().join("cli-data").display().to_string();
    terminal("SQLite", &file, &["--data", &data])?;

    if let Some(url) = options.postgres {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let database = format!("postern_scan_bench_{}", std::process::id());
        runtime.block_on(async {
            let admin = sqlx::PgPool::connect(&url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
                .execute(&admin)
                .await?;
            admin.close().await;
            anyhow::Ok(())
        })?;
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        let pg_url = format!("{base}/{database}");
        let pg_data = dir.path().join("pg-data").display().to_string();
        let result = terminal(
            "PostgreSQL",
            &file,
            &["--data", &pg_data, "--database", &pg_url],
        );
        runtime.block_on(async {
            let admin = sqlx::PgPool::connect(&url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
            )))
            .execute(&admin)
            .await?;
            anyhow::Ok(())
        })?;
        result?;
    } else {
        println!("PostgreSQL: skipped (give --postgres URL)");
    }
    Ok(())
}
