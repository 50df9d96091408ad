//! `postern early-access add|list|remove`: the people (distributions, large users) who receive
//! an embargoed advisory before it is published, kept by the administrator from the terminal.
//! Their addresses are sealed in the database like subscribers'; only this listing shows them.

use std::process::ExitCode;

use anyhow::Context as _;
use postern_app::Actor;

use crate::cli::EarlyAccessCommand;

pub fn run(command: EarlyAccessCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let actor = Actor::operator(&crate::user::default_actor(None));
        match command {
            EarlyAccessCommand::Add(args) => {
                let app = crate::open::open_app_with(&args.storage, &[]).await?;
                let result = app
                    .add_early_access(&actor, &args.project, &args.email, args.name.as_deref())
                    .await;
                app.store().close().await;
                match result {
                    Ok(true) => {
                        println!("Added to the early-access list of {}.", args.project);
                        Ok(ExitCode::SUCCESS)
                    }
                    Ok(false) => {
                        println!("Already on the early-access list of {}.", args.project);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(postern_app::Error::Invalid(errors)) => {
                        for e in errors {
                            eprintln!("postern: not added: {}", e.message);
                        }
                        Ok(ExitCode::from(1))
                    }
                    Err(e) => crate::open::refusal(e, "such list"),
                }
            }
            EarlyAccessCommand::List(args) => {
                if let Some(project) = &args.project {
                    postern_core::project::check_slug(project).map_err(anyhow::Error::msg)?;
                }
                let app = crate::open::open_app_with(&args.storage, &[]).await?;
                let members = app.early_access_list(&actor, args.project.as_deref()).await;
                app.store().close().await;
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
                let app = crate::open::open_app_with(&args.storage, &[]).await?;
                let result = app
                    .remove_early_access(&actor, &args.project, &args.email)
                    .await;
                app.store().close().await;
                let removed = match result {
                    Ok(removed) => removed,
                    Err(e) => return crate::open::refusal(e, "such list"),
                };
                match removed {
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
