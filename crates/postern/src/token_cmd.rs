//! `postern token create|list|revoke`: API tokens for automation from the terminal. The token
//! is printed once, when it is made; it is never stored or printed again.

use std::process::ExitCode;

use anyhow::Context as _;
use postern_app::Actor;
use postern_app::tokens::NewToken;

use crate::cli::TokenCommand;
use crate::user::default_actor;

pub fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match command {
            TokenCommand::Create(args) => {
                let app = crate::open::open_app(&args.context).await?;
                let actor = Actor::operator(&default_actor(args.context.actor.as_deref()));
                let result = app
                    .create_token(
                        &actor,
                        NewToken {
                            name: args.name.clone(),
                            projects: args.projects.clone(),
                            scopes: args.scopes.clone(),
                            days: args.days,
                        },
                    )
                    .await;
                app.store().close().await;
                let (token, value) = match result {
                    Ok(made) => made,
                    Err(postern_app::Error::Invalid(errors)) => {
                        for e in errors {
                            eprintln!("postern: --{}: {}", e.field, e.message);
                        }
                        return Ok(ExitCode::from(1));
                    }
                    Err(e) => return crate::open::refusal(e, "such project"),
                };
                println!(
                    "Token {} ({}) for {} with {}, until {}.",
                    token.id,
                    token.name,
                    token.projects.join(","),
                    token.scopes.join(","),
                    token.expires_at
                );
                println!("The token (shown only now; give it to the CI job as a secret):");
                println!("  {}", value.as_str());
                println!(
                    "Use: curl -H 'Authorization: Bearer pst_...' --data-binary @trivy.json '{}/api/v1/projects/{}/scans?product=NAME&version=V'",
                    app.public_url(),
                    token.projects[0]
                );
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::List(args) => {
                let app = crate::open::open_app(&args.context).await?;
                let actor = Actor::operator(&default_actor(args.context.actor.as_deref()));
                let now = app.now();
                let result = app.tokens(&actor).await;
                app.store().close().await;
                let tokens = match result {
                    Ok(t) => t,
                    Err(e) => return crate::open::refusal(e, "token"),
                };
                println!(
                    "{:<26}  {:<24}  {:<20}  {:<12}  {:<10}  EXPIRES",
                    "ID", "NAME", "PROJECTS", "SCOPES", "STATE"
                );
                for t in &tokens {
                    let state = if t.revoked_at.is_some() {
                        "revoked"
                    } else if t.is_live(now) {
                        "live"
                    } else {
                        "expired"
                    };
                    println!(
                        "{:<26}  {:<24}  {:<20}  {:<12}  {:<10}  {}",
                        t.id,
                        t.name,
                        t.projects.join(","),
                        t.scopes.join(","),
                        state,
                        t.expires_at
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::Revoke(args) => {
                let app = crate::open::open_app(&args.context).await?;
                let actor = Actor::operator(&default_actor(args.context.actor.as_deref()));
                let result = app.revoke_token(&actor, &args.id).await;
                app.store().close().await;
                match result {
                    Ok(()) => {
                        println!("Token {} revoked.", args.id);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => crate::open::refusal(e, "live token with this id"),
                }
            }
        }
    })
}
