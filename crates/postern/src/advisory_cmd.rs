//! `postern advisory draft|import|schedule|publish|export|list`: advisories from the terminal.
//! Drafting, importing, scheduling and publishing are the use cases the pages call
//! (`postern_app::advisory`); exports are the same functions the web serves
//! (`postern_core::export`).

use std::process::ExitCode;

use anyhow::Context as _;
use postern_core::advisory::{Advisory, AdvisoryId};
use postern_core::export::{ExportContext, csaf, cve, osv};
use postern_core::report::ReportId;

use postern_app::Actor;
use postern_app::advisory::{Imported, PastMoment};

use crate::cli::{AdvisoryCommand, ExportFormat, ReportContext};
use crate::user::default_actor;

fn advisory_id(text: &str) -> anyhow::Result<AdvisoryId> {
    AdvisoryId::parse(text.trim())
        .with_context(|| format!("{text:?} is not an advisory id such as ACME-2026-0001"))
}

/// The exports' context for an advisory, from its project's policy.
fn export_context(
    projects: &[postern_core::project::Project],
    a: &Advisory,
    public_url: &str,
    now: jiff::Timestamp,
) -> ExportContext {
    let policy = projects
        .iter()
        .find(|p| p.slug() == a.project)
        .map(|p| &p.policy);
    ExportContext::for_project(policy, &a.project, public_url, now)
}

pub fn run(command: AdvisoryCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let context: &ReportContext = match &command {
            AdvisoryCommand::Import(a) => &a.context,
            AdvisoryCommand::Draft(a) => &a.context,
            AdvisoryCommand::Publish(a) => &a.context,
            AdvisoryCommand::Schedule(a) => &a.context,
            AdvisoryCommand::Export(a) => &a.context,
            AdvisoryCommand::List(c) => c,
            AdvisoryCommand::ExportOsv(a) => &a.context,
        };
        let app = crate::open::open_app(context).await?;
        let projects = app.projects().all();
        let store = app.store();
        let actor = Actor::operator(&default_actor(context.actor.as_deref()));
        let now = app.now();
        let result = match command {
            AdvisoryCommand::Draft(args) => {
                let drafted = match (&args.report, &args.finding) {
                    (_, Some(finding)) => {
                        let finding = finding.trim();
                        (app.draft_advisory_from_finding(&actor, finding).await, format!("finding {finding}"))
                    }
                    (Some(report), None) => {
                        let report = ReportId::parse(report.trim())
                            .with_context(|| format!("{report:?} is not a report id"))?;
                        (app.draft_advisory_from_report(&actor, &report).await, format!("report {report}"))
                    }
                    (None, None) => anyhow::bail!("give --from-report ID or --from-finding ID"),
                };
                let draft = match drafted {
                    (Ok(draft), _) => draft,
                    (Err(e), what) => return crate::open::refusal(e, &what),
                };
                let text = serde_json::to_string_pretty(&draft)? + "\n";
                match &args.out {
                    Some(path) => {
                        std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
                        eprintln!("Saved the draft {} and wrote it to {}: edit it, then `postern advisory import`.", draft.id, path.display());
                    }
                    None => print!("{text}"),
                }
                Ok(ExitCode::SUCCESS)
            }
            AdvisoryCommand::Import(args) => {
                let text = std::fs::read_to_string(&args.file)
                    .with_context(|| format!("cannot read {}", args.file.display()))?;
                let advisory: Advisory = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not an advisory in JSON", args.file.display()))?;
                let report = args.report.as_deref().map(|r| {
                    ReportId::parse(r).with_context(|| format!("{r:?} is not a report id"))
                }).transpose()?;
                let id = advisory.id.clone();
                match app.import_advisory(&actor, advisory, report.as_ref()).await {
                    Ok(Imported::Created) => {
                        println!("Saved {id} (new).");
                        Ok(ExitCode::SUCCESS)
                    }
                    Ok(Imported::Updated) => {
                        println!("Saved {id}.");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e @ (postern_app::Error::NotFound | postern_app::Error::Store(_) | postern_app::Error::NotServed(_))) => {
                        crate::open::refusal(e, "such report")
                    }
                    Err(e) => {
                        eprintln!("postern: {}: {e}", args.file.display());
                        Ok(ExitCode::from(1))
                    }
                }
            }
            AdvisoryCommand::Publish(args) => {
                let id = advisory_id(&args.id)?;
                match app
                    .publish_advisory(&actor, &id, args.reason.as_deref())
                    .await
                {
                    Ok(_) => {
                        println!("Published {id}.");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => crate::open::refusal(e, &format!("advisory {id}")),
                }
            }
            AdvisoryCommand::Schedule(args) => {
                let id = advisory_id(&args.id)?;
                let at = args.at.as_deref().map(|text| text.parse::<jiff::Timestamp>().with_context(|| {
                    format!("{text:?} is not a moment; write RFC 3339 such as 2026-12-01T09:00:00Z")
                })).transpose()?;
                match app.schedule_advisory(&actor, &id, at, PastMoment::Allowed).await {
                    Ok(at) => {
                        println!("{id} publishes itself at {at} (a running `postern serve` does it).");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(postern_app::Error::Refused(problem)) => {
                        eprintln!("postern: not scheduled: {problem}");
                        Ok(ExitCode::from(1))
                    }
                    Err(e) => crate::open::refusal(e, &format!("advisory {id}")),
                }
            }
            AdvisoryCommand::Export(args) => {
                let id = advisory_id(&args.id)?;
                let stored = store.advisory(&id).await?.with_context(|| format!("there is no advisory {id}"))?;
                let a = stored.advisory;
                let context = export_context(projects, &a, &args.public_url, now);
                let document = match args.format {
                    ExportFormat::Osv => osv::osv(&a, &context),
                    ExportFormat::Csaf => csaf::csaf(&a, &context),
                    ExportFormat::Cve => match cve::cve(&a, &context) {
                        Ok(d) => d,
                        Err(m) => {
                            eprintln!("postern: {m}");
                            return Ok(ExitCode::from(1));
                        }
                    },
                };
                println!("{}", serde_json::to_string_pretty(&document)?);
                Ok(ExitCode::SUCCESS)
            }
            AdvisoryCommand::ExportOsv(args) => {
                std::fs::create_dir_all(&args.dir)
                    .with_context(|| format!("cannot create {}", args.dir.display()))?;
                let published = store
                    .all_published(args.project.as_deref())
                    .await?;
                for s in &published {
                    let context = export_context(projects, &s.advisory, &args.public_url, now);
                    let path = args.dir.join(format!("{}.json", osv::osv_id(&s.advisory.id)));
                    let text = serde_json::to_string_pretty(&osv::osv(&s.advisory, &context))?;
                    std::fs::write(&path, text + "\n")
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                println!("Wrote {} OSV file(s) to {}.", published.len(), args.dir.display());
                Ok(ExitCode::SUCCESS)
            }
            AdvisoryCommand::List(_) => {
                for s in store.all_published(None).await? {
                    println!(
                        "{}  {:<16} {:<8} {}  {}",
                        s.advisory.id,
                        s.advisory.project,
                        s.advisory.severity.map_or("-", |x| x.title()),
                        s.advisory.published.map(|p| p.strftime("%Y-%m-%d").to_string()).unwrap_or_default(),
                        s.advisory.summary
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
        };
        store.close().await;
        result
    })
}

/// `postern credits`: the hall of fame as Markdown.
pub fn credits(args: &crate::cli::CreditsArgs) -> anyhow::Result<ExitCode> {
    let crate::cli::CreditsFormat::Markdown = args.format;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let projects = crate::open::load_projects(&args.context.policies)?;
        crate::open::create_data_dir(&args.context.storage.data)?;
        let store = crate::open::open_store(&args.context.storage).await?;
        let advisories: Vec<Advisory> = store
            .all_published(args.project.as_deref())
            .await?
            .into_iter()
            .map(|s| s.advisory)
            .collect();
        store.close().await;
        let name = args
            .project
            .as_deref()
            .and_then(|slug| projects.iter().find(|p| p.slug() == slug))
            .or(projects.first())
            .map_or_else(
                || "this project".to_owned(),
                |p| p.policy.project.name.clone(),
            );
        print!(
            "{}",
            postern_core::credits::markdown(
                &name,
                &postern_core::credits::hall_of_fame(&advisories)
            )
        );
        Ok(ExitCode::SUCCESS)
    })
}
