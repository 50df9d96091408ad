//! `postern webhook add|list|remove|test`: a project's webhooks from the terminal. The signing
//! secret of a generic webhook is printed once, when it is made; the address is never printed
//! again in full (it is a credential for Slack and Discord).

use std::process::ExitCode;

use anyhow::Context as _;
use postern_store::StoreError;
use postern_store::webhooks::{WebhookEvent, WebhookKind, WebhookSecrets};

use crate::cli::{WebhookCommand, WebhookKindArg};
use crate::user::default_actor;
use crate::webhook::{new_signing_secret, redact};

/// A project slug as the policies write it.
fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Checks the address before it is stored, with errors that do not repeat it.
fn check_url(url: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(url).map_err(|_| {
        anyhow::anyhow!("--url is not a URL; give the full address, such as https://hooks.slack.com/services/...")
    })?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        anyhow::bail!("--url must be an https:// address");
    }
    if parsed.scheme() == "http" {
        eprintln!(
            "postern: note: plain http is only posted to by `serve --webhooks-allow-private` (a receiver on this machine or network)"
        );
    }
    Ok(())
}

pub fn run(command: WebhookCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match command {
            WebhookCommand::Add(args) => {
                if !valid_slug(&args.project) {
                    anyhow::bail!(
                        "--project takes a project's slug (lowercase letters, digits and -), as in its policy"
                    );
                }
                check_url(&args.url)?;
                let kind = match args.kind {
                    WebhookKindArg::Slack => WebhookKind::Slack,
                    WebhookKindArg::Discord => WebhookKind::Discord,
                    WebhookKindArg::Generic => WebhookKind::Generic,
                };
                let mut events = Vec::new();
                for name in &args.events {
                    let event = WebhookEvent::parse(name.trim()).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--events: unknown event {name:?}; known: new_report, reporter_message, case_update"
                        )
                    })?;
                    if !events.contains(&event) {
                        events.push(event);
                    }
                }
                let secrets = WebhookSecrets {
                    url: args.url.clone(),
                    signing_secret: match kind {
                        WebhookKind::Generic => Some(new_signing_secret()?),
                        WebhookKind::Slack | WebhookKind::Discord => None,
                    },
                };
                crate::open::create_data_dir(&args.storage.data)?;
                let store = crate::open::open_store(&args.storage).await?;
                let actor = default_actor(args.actor.as_deref());
                let result = store
                    .add_webhook(
                        &args.project,
                        kind,
                        &events,
                        &secrets,
                        &actor,
                        jiff::Timestamp::now(),
                    )
                    .await;
                store.close().await;
                let webhook = match result {
                    Ok(webhook) => webhook,
                    Err(StoreError::Limit(m)) => {
                        eprintln!("postern: {m}");
                        return Ok(ExitCode::from(1));
                    }
                    Err(e) => return Err(e).context("cannot add the webhook"),
                };
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
                let store = crate::open::open_store(&args.storage).await?;
                let actor = default_actor(args.actor.as_deref());
                let result = store
                    .remove_webhook(&args.id, &actor, jiff::Timestamp::now())
                    .await;
                store.close().await;
                match result {
                    Ok(w) => {
                        println!("Webhook {} of project {} removed.", w.id, w.project);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(StoreError::NotFound | StoreError::Conflict(_)) => anyhow::bail!(
                        "there is no webhook {}; `postern webhook list` shows them",
                        args.id
                    ),
                    Err(e) => Err(e).context("cannot remove the webhook"),
                }
            }
            WebhookCommand::Test(args) => {
                let store = crate::open::open_store(&args.storage).await?;
                let actor = default_actor(args.actor.as_deref());
                let result = store
                    .test_webhook(&args.id, &actor, jiff::Timestamp::now())
                    .await;
                store.close().await;
                match result {
                    Ok(job) => {
                        println!(
                            "Test delivery queued as job {job}; a running `postern serve` sends it within seconds (`postern jobs list` shows how it went)."
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(StoreError::NotFound) => anyhow::bail!(
                        "there is no webhook {}; `postern webhook list` shows them",
                        args.id
                    ),
                    Err(e) => Err(e).context("cannot queue the test delivery"),
                }
            }
        }
    })
}
