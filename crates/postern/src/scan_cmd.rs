//! `postern scan import|list`: scanner reports from a terminal or a CI job that runs on the
//! server, through the same use case as `POST /api/v1/projects/{slug}/scans`.

use std::process::ExitCode;

use anyhow::Context as _;
use postern_app::Actor;
use postern_app::scan::{parse_severity, parse_state};
use postern_core::scan::REPORT_BYTES_MAX;
use postern_store::scans::FindingFilter;

use crate::cli::{ScanCommand, ScanImportArgs, ScanListArgs};
use crate::user::default_actor;

pub fn run(command: ScanCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match command {
            ScanCommand::Import(args) => import(args).await,
            ScanCommand::List(args) => list(args).await,
        }
    })
}

async fn import(args: ScanImportArgs) -> anyhow::Result<ExitCode> {
    let bytes = crate::open::read_input(&args.file, REPORT_BYTES_MAX, "the report")?;
    let app = crate::open::open_app(&args.context).await?;
    let actor = Actor::operator(&default_actor(args.context.actor.as_deref()));
    let result = app
        .import_scan(&actor, &args.project, &args.product, &args.version, &bytes)
        .await;
    app.store().close().await;
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(postern_app::Error::Invalid(errors)) => {
            for e in errors {
                let place = if e.field == "report" {
                    args.file.display().to_string()
                } else {
                    format!("--{}", e.field)
                };
                eprintln!("postern: {place}: {}", e.message);
            }
            return Ok(ExitCode::from(1));
        }
        Err(e) => return crate::open::refusal(e, "such project"),
    };
    if args.json {
        println!("{}", outcome.to_json());
    } else {
        let c = &outcome.counts;
        println!(
            "{} findings in the {} report for {} {} of {}: {} new, {} unchanged, {} closed, {} reopened.",
            c.findings,
            outcome.format,
            args.product,
            args.version,
            args.project,
            c.new,
            c.unchanged,
            c.closed,
            c.reopened
        );
        if outcome.support == postern_core::scan::Support::Unsupported {
            println!(
                "Version {} is not supported by the policy: its findings are marked so.",
                args.version
            );
        }
        for w in &outcome.warnings {
            eprintln!("postern: warning: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(args: ScanListArgs) -> anyhow::Result<ExitCode> {
    let severity = match args.severity.as_deref().map(parse_severity).transpose() {
        Ok(s) => s,
        Err(e) => return crate::open::refusal(e, "such severity"),
    };
    let state = match args.state.as_deref().map(parse_state).transpose() {
        Ok(s) => s,
        Err(e) => return crate::open::refusal(e, "such state"),
    };
    let app = crate::open::open_app(&args.context).await?;
    let actor = Actor::operator(&default_actor(args.context.actor.as_deref()));
    let now = app.now();
    let result = app
        .findings(
            &actor,
            FindingFilter {
                project: args.project.clone(),
                severity,
                state,
                package: args.package.clone(),
                overdue_at: args.overdue.then_some(now),
                limit: args.limit,
                ..FindingFilter::default()
            },
        )
        .await;
    app.store().close().await;
    let findings = match result {
        Ok(f) => f,
        Err(e) => return crate::open::refusal(e, "such project"),
    };
    println!(
        "{:<24}  {:<14}  {:<20}  {:<9}  {:<14}  {:<24}  {:<20}  {:<16}  DUE",
        "ID",
        "PROJECT",
        "PRODUCT@VERSION",
        "SEVERITY",
        "STATE",
        "VULNERABILITY",
        "PACKAGE",
        "INSTALLED"
    );
    for f in &findings {
        let due = match f.due_at {
            Some(due) if due < now => format!("{due} (overdue)"),
            Some(due) => due.to_string(),
            None => "-".into(),
        };
        let unsupported = if f.support == "unsupported" {
            " (unsupported)"
        } else {
            ""
        };
        println!(
            "{:<24}  {:<14}  {:<20}  {:<9}  {:<14}  {:<24}  {:<20}  {:<16}  {due}",
            f.id,
            f.project,
            format!("{}@{}{unsupported}", f.product, f.version),
            f.finding.severity.name(),
            f.state.name(),
            f.finding.vuln_id,
            if f.finding.package.is_empty() {
                f.finding.location.as_str()
            } else {
                f.finding.package.as_str()
            },
            f.finding.installed_version,
        );
    }
    if findings.is_empty() {
        println!(
            "No findings: `postern scan import FILE --project SLUG --product NAME --version V`."
        );
    }
    Ok(ExitCode::SUCCESS)
}
