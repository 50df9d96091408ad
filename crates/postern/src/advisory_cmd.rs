//! `postern advisory import|publish|export|list`: advisories from the terminal. Exports are the
//! same functions the web serves (`postern_core::export`).

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use postern_core::advisory::{Advisory, AdvisoryId};
use postern_core::export::{ExportContext, csaf, cve, osv};
use postern_core::report::ReportId;

use crate::cli::{AdvisoryCommand, ExportFormat, ReportContext};
use crate::user::default_actor;

fn advisory_id(text: &str) -> anyhow::Result<AdvisoryId> {
    AdvisoryId::parse(text.trim())
        .with_context(|| format!("{text:?} is not an advisory id such as ACME-2026-0001"))
}

/// The exports' context for an advisory, from its project's policy.
fn export_context(
    projects: &[postern_web::Project],
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
        let projects = crate::open::load_projects(&context.policies)?;
        crate::open::create_data_dir(&context.storage.data)?;
        let store = crate::open::open_store(&context.storage).await?;
        let actor = default_actor(context.actor.as_deref());
        let now = jiff::Timestamp::now();
        let result = match command {
            AdvisoryCommand::Draft(args) => {
                let report = ReportId::parse(args.report.trim())
                    .with_context(|| format!("{:?} is not a report id", args.report))?;
                let view = match store.team_view(&report, &actor, now).await {
                    Ok(view) => view,
                    Err(postern_store::StoreError::NotFound) => bail!("there is no report {report}"),
                    Err(e) => return Err(e.into()),
                };
                let policy = &projects
                    .iter()
                    .find(|p| p.slug() == view.project)
                    .with_context(|| format!("pass the policy of project {:?} with --policy", view.project))?
                    .policy;
                let year = now.to_zoned(jiff::tz::TimeZone::UTC).year();
                let id = store.next_advisory_id(&policy.project.advisory_prefix, year).await?;
                let source = postern_core::advisory::DraftSource {
                    policy,
                    fields: &view.submission.fields,
                    credit_name: view.submission.credit_name.as_deref(),
                    case: &view.case,
                };
                let draft = match postern_core::advisory::draft_from_report(source, id, now) {
                    Ok(draft) => draft,
                    Err(e) => {
                        eprintln!("postern: {e}");
                        return Ok(ExitCode::from(1));
                    }
                };
                store.save_advisory(&draft, Some(&report), &actor, now).await?;
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
                let mut advisory: Advisory = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not an advisory in JSON", args.file.display()))?;
                if !projects.iter().any(|p| p.slug() == advisory.project) {
                    bail!("the advisory's project {:?} is not among the given policies; pass its policy with --policy", advisory.project);
                }
                let report = args.report.as_deref().map(|r| {
                    ReportId::parse(r).with_context(|| format!("{r:?} is not a report id"))
                }).transpose()?;
                // An edit of a published advisory keeps its publication date.
                if let Some(old) = store.advisory(&advisory.id).await? {
                    advisory.published = old.advisory.published.or(advisory.published);
                }
                advisory.modified = now;
                match store.save_advisory(&advisory, report.as_ref(), &actor, now).await {
                    Ok(()) => {
                        println!("Saved {}.", advisory.id);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(postern_store::StoreError::Limit(m) | postern_store::StoreError::Conflict(m)) => {
                        eprintln!("postern: {}: {m}", args.file.display());
                        Ok(ExitCode::from(1))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            AdvisoryCommand::Publish(args) => {
                let id = advisory_id(&args.id)?;
                match store.publish_advisory(&id, &actor, now).await {
                    Ok(_) => {
                        println!("Published {id}.");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(postern_store::StoreError::NotFound) => bail!("there is no advisory {id}"),
                    Err(postern_store::StoreError::Conflict(m)) => {
                        eprintln!("postern: {m}");
                        Ok(ExitCode::from(1))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            AdvisoryCommand::Schedule(args) => {
                let id = advisory_id(&args.id)?;
                let stored = store.advisory(&id).await?.with_context(|| format!("there is no advisory {id}"))?;
                let policy = &projects
                    .iter()
                    .find(|p| p.slug() == stored.advisory.project)
                    .with_context(|| format!("pass the policy of project {:?} with --policy", stored.advisory.project))?
                    .policy;
                let agreed = match &stored.report {
                    Some(report) => store.disclosure_terms(report).await?.agreed,
                    None => None,
                };
                let at = match &args.at {
                    Some(text) => text.parse::<jiff::Timestamp>().with_context(|| {
                        format!("{text:?} is not a moment; write RFC 3339 such as 2026-12-01T09:00:00Z")
                    })?,
                    None => match agreed.or_else(|| postern_core::embargo::default_date(policy, now)) {
                        Some(at) => at,
                        None => bail!("the policy has no default embargo; give the date with --at"),
                    },
                };
                // The maximum embargo counts from the report's receipt, so postponing cannot
                // stretch it.
                let received = match &stored.report {
                    Some(report) => store.case_row(report).await?.received_at,
                    None => now,
                };
                // A moment already past is allowed here (the next check of `serve` publishes
                // it); the maximum still holds.
                let judged_at = if at > now { now } else { at - jiff::SignedDuration::from_millis(1) };
                if let Err(problem) = postern_core::embargo::check(policy, received, judged_at, at) {
                    eprintln!("postern: not scheduled: {problem}");
                    return Ok(ExitCode::from(1));
                }
                let early_access = postern_core::embargo::early_access_lead(policy);
                match store.schedule_advisory_with_early_access(&id, at, early_access, &actor, now).await {
                    Ok(()) => {
                        println!("{id} publishes itself at {at} (a running `postern serve` does it).");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(postern_store::StoreError::Conflict(m)) => {
                        eprintln!("postern: {m}");
                        Ok(ExitCode::from(1))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            AdvisoryCommand::Export(args) => {
                let id = advisory_id(&args.id)?;
                let stored = store.advisory(&id).await?.with_context(|| format!("there is no advisory {id}"))?;
                let a = stored.advisory;
                let context = export_context(&projects, &a, &args.public_url, now);
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
                    let context = export_context(&projects, &s.advisory, &args.public_url, now);
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
