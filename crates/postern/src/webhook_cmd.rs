//! `postern webhook add|list|remove|test`: a project's webhooks from the terminal. The signing
//! secret of a generic webhook is printed once, when it is made; the address is never printed
//! again in full (it is a credential for Slack and Discord).

use std::process::ExitCode;

use anyhow::Context as _;
use postern_app::Actor;
use postern_app::admin::{AddedWebhook, NewWebhook};
use postern_store::StoreError;
use postern_store::webhooks::WebhookKind;

use crate::cli::{WebhookCommand, WebhookKindArg};
use crate::user::default_actor;
use crate::webhook::redact;

pub fn run(command: WebhookCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match command {
            WebhookCommand::Add(args) => {
                let kind = match args.kind {
                    WebhookKindArg::Slack => WebhookKind::Slack,
                    WebhookKindArg::Discord => WebhookKind::Discord,
                    WebhookKindArg::Generic => WebhookKind::Generic,
                };
                let app = crate::open::open_app_with(&args.storage, &[]).await?;
                let actor = Actor::operator(&default_actor(args.actor.as_deref()));
                let result = app
                    .add_webhook(
                        &actor,
                        NewWebhook {
                            project: args.project.clone(),
                            kind,
                            url: args.url.clone(),
                            events: args.events.clone(),
                        },
                    )
                    .await;
                app.store().close().await;
                let AddedWebhook {
                    webhook,
                    secrets,
                    plain_http,
                } = match result {
                    Ok(added) => added,
                    Err(postern_app::Error::Invalid(errors)) => {
                        for e in errors {
                            eprintln!("postern: --{}: {}", e.field, e.message);
                        }
                        return Ok(ExitCode::from(1));
                    }
                    Err(e) => return crate::open::refusal(e, "such project"),
                };
                if plain_http {
                    eprintln!(
                        "postern: note: plain http is only posted to by `serve --webhooks-allow-private` (a receiver on this machine or network)"
                    );
                }
                let names: Vec<&str> = webhook.events.iter().map(|e| e.name()).collect();
                println!(
                    "Webhook {} added to project {} ({}, to {}; events {}).",
                    webhook.id,
                    webhook.project,
                    kind.name(),
                    redact(&secrets.url),
                    names.join(",")
                );
                if let Some(secret) = &secrets.signing_secret {
                    println!(
                        "Signing secret (shown only now; the receiver verifies the webhook-signature header with it, per Standard Webhooks):"
                    );
                    println!("  {secret}");
                }
                println!(
                    "A running `postern serve` delivers from now on; `postern webhook test {}` sends a test.",
                    webhook.id
                );
                Ok(ExitCode::SUCCESS)
            }
            WebhookCommand::List(args) => {
                let store = crate::open::open_store(&args.storage).await?;
                let result = async {
                    let mut lines = Vec::new();
                    for w in store.webhooks(args.project.as_deref()).await? {
                        let shown = match store.webhook_secrets(&w.id).await {
                            Ok(secrets) => redact(&secrets.url),
                            Err(_) => "(cannot unseal)".into(),
                        };
                        let names: Vec<&str> = w.events.iter().map(|e| e.name()).collect();
                        lines.push(format!(
                            "{}  {:<16}  {:<7}  {:<40}  events={}  added={} by {}",
                            w.id,
                            w.project,
                            w.kind.name(),
                            shown,
                            names.join(","),
                            w.created_at,
                            w.created_by
                        ));
                    }
                    Ok::<_, StoreError>(lines)
                }
                .await;
                store.close().await;
                let lines = result.context("cannot read the webhooks")?;
                if lines.is_empty() {
                    println!(
                        "No webhooks: `postern webhook add --project SLUG --kind slack --url URL`."
                    );
                }
                for line in lines {
                    println!("{line}");
                }
                Ok(ExitCode::SUCCESS)
            }
            WebhookCommand::Remove(args) => {
                let app = crate::open::open_app_with(&args.storage, &[]).await?;
                let actor = Actor::operator(&default_actor(args.actor.as_deref()));
                let result = app.remove_webhook(&actor, &args.id).await;
                app.store().close().await;
                match result {
                    Ok(w) => {
                        println!("Webhook {} of project {} removed.", w.id, w.project);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(postern_app::Error::NotFound) => anyhow::bail!(
                        "there is no webhook {}; `postern webhook list` shows them",
                        args.id
                    ),
                    Err(e) => crate::open::refusal(e, "such webhook"),
                }
            }
            WebhookCommand::Test(args) => {
                let app = crate::open::open_app_with(&args.storage, &[]).await?;
                let actor = Actor::operator(&default_actor(args.actor.as_deref()));
                let result = app.test_webhook(&actor, &args.id).await;
                app.store().close().await;
                match result {
                    Ok(job) => {
                        println!(
                            "Test delivery queued as job {job}; a running `postern serve` sends it within seconds (`postern jobs list` shows how it went)."
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(postern_app::Error::NotFound) => anyhow::bail!(
                        "there is no webhook {}; `postern webhook list` shows them",
                        args.id
                    ),
                    Err(e) => crate::open::refusal(e, "such webhook"),
                }
            }
        }
    })
}
