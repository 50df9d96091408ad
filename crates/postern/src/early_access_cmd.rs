//! `postern early-access add|list|remove`: the people (distributions, large users) who receive
//! an embargoed advisory before it is published, kept by the administrator from the terminal.
//! Their addresses are sealed in the database like subscribers'; only this listing shows them.

use std::process::ExitCode;

use anyhow::Context as _;
use postern_store::StoreError;

use crate::cli::EarlyAccessCommand;

/// The actor named in the audit log.
const ACTOR: &str = "admin (terminal)";

fn check_slug(slug: &str) -> anyhow::Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    anyhow::ensure!(
        ok,
        "{slug:?} is not a project slug; write the slug of the policy's project, such as acme"
    );
    Ok(())
}

pub fn run(command: EarlyAccessCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let now = jiff::Timestamp::now();
        match command {
            EarlyAccessCommand::Add(args) => {
                check_slug(&args.project)?;
                let store = crate::open::open_store(&args.storage).await?;
                let result = store
                    .add_early_access(&args.project, &args.email, args.name.as_deref(), ACTOR, now)
                    .await;
                store.close().await;
                match result {
                    Ok(true) => {
                        println!("Added to the early-access list of {}.", args.project);
                        Ok(ExitCode::SUCCESS)
                    }
                    Ok(false) => {
                        println!("Already on the early-access list of {}.", args.project);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(StoreError::Limit(why)) => {
                        eprintln!("postern: not added: {why}");
                        Ok(ExitCode::from(1))
                    }
                    Err(error) => Err(error).context("cannot add to the early-access list"),
                }
            }
            EarlyAccessCommand::List(args) => {
                if let Some(project) = &args.project {
                    check_slug(project)?;
                }
                let store = crate::open::open_store(&args.storage).await?;
                let members = store.early_access_list(args.project.as_deref()).await;
                store.close().await;
                let members = members.context("cannot read the early-access list")?;
                if members.is_empty() {
                    println!("The early-access list is empty.");
                }
                for m in members {
                    println!(
                        "{}  {}  {}",
                        m.project,
                        m.email,
                        m.name.as_deref().unwrap_or("")
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            EarlyAccessCommand::Remove(args) => {
                check_slug(&args.project)?;
                let store = crate::open::open_store(&args.storage).await?;
                let result = store
                    .remove_early_access(&args.project, &args.email, ACTOR, now)
                    .await;
                store.close().await;
                match result.context("cannot remove from the early-access list")? {
                    true => {
                        println!("Removed from the early-access list of {}.", args.project);
                        Ok(ExitCode::SUCCESS)
                    }
                    false => {
                        eprintln!(
                            "postern: that address is not on the early-access list of {}",
                            args.project
                        );
                        Ok(ExitCode::from(1))
                    }
                }
            }
        }
    })
}
