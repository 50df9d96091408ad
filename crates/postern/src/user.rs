//! `postern user add|reset|list|key`: team accounts from the terminal. Setup codes are printed
//! once and kept only as hashes; they are not part of the link, so that they never land in a
//! browser history, a proxy log or a Referer header.

use std::process::ExitCode;

use anyhow::Context as _;
use postern_app::Actor;
use postern_store::Store;
use postern_store::team::{Role, SETUP_LINK_TTL};

use crate::cli::{RoleArg, StorageArgs, UserAddArgs, UserEmailArgs, UserKeyArgs};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Who acts, for the audit log, when not named.
pub fn default_actor(given: Option<&str>) -> String {
    given.map_or_else(
        || {
            format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            )
        },
        str::to_owned,
    )
}

async fn open(storage: &StorageArgs) -> anyhow::Result<Store> {
    crate::open::create_data_dir(&storage.data)?;
    crate::open::open_store(storage).await
}

/// Prints where and with what a new member sets up their account.
pub fn print_setup(email: &str, public_url: &str, code: &str) {
    let expires = jiff::Timestamp::now()
        .saturating_add(SETUP_LINK_TTL)
        .unwrap_or_else(|_| jiff::Timestamp::now());
    println!(
        "Setup link for {email} (works once, until {}):",
        expires.strftime("%Y-%m-%d %H:%M UTC")
    );
    println!("  {}/team/setup", public_url.trim_end_matches('/'));
    println!("Setup code (paste it on that page; keep it secret):");
    println!("  {code}");
}

pub fn add(args: &UserAddArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let app = crate::open::open_app_with(&args.storage, &[]).await?;
        let role = match args.role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Triager => Role::Triager,
            RoleArg::Viewer => Role::Viewer,
        };
        let actor = Actor::operator(&default_actor(args.actor.as_deref()));
        let result = app
            .add_member(&actor, &args.email, role, &args.projects)
            .await;
        app.store().close().await;
        match result {
            Ok((user, code)) => {
                print_setup(&user.email, &args.public_url, &code);
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => crate::open::refusal(e, "such account"),
        }
    })
}

pub fn reset(args: &UserEmailArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let app = crate::open::open_app_with(&args.storage, &[]).await?;
        let actor = Actor::operator(&default_actor(args.actor.as_deref()));
        let result = app.reset_member(&actor, &args.email).await;
        app.store().close().await;
        match result {
            Ok(code) => {
                print_setup(&args.email.trim().to_lowercase(), &args.public_url, &code);
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => crate::open::refusal(e, &format!("account {}", args.email.trim())),
        }
    })
}

/// `postern user key EMAIL FILE`: the member's public key, checked and set (audited).
pub fn key(args: &UserKeyArgs) -> anyhow::Result<ExitCode> {
    let key =
        crate::open::read_input(&args.file, postern_openpgp::KEY_BYTES_MAX, "the public key")?;
    runtime()?.block_on(async {
        let app = crate::open::open_app_with(&args.storage, &[]).await?;
        let actor = Actor::operator(&default_actor(args.actor.as_deref()));
        let result = match app.store().user_by_email(&args.email).await {
            Ok(Some(user)) => app.set_member_key(&actor, &user.id, &key).await,
            Ok(None) => Err(postern_app::Error::NotFound),
            Err(e) => Err(e.into()),
        };
        app.store().close().await;
        match result {
            Ok(set) => {
                println!(
                    "Key {} set for {}: notices of new reports and messages reach them encrypted, with the contents.",
                    set.fingerprint,
                    args.email.trim()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => crate::open::refusal(e, &format!("account {}", args.email.trim())),
        }
    })
}

pub fn list(args: &StorageArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open(args).await?;
        let users = store
            .list_users()
            .await
            .context("cannot read the accounts")?;
        store.close().await;
        if users.is_empty() {
            println!("No accounts yet: `postern user add EMAIL --role admin`.");
        }
        for u in users {
            println!(
                "{:<32} {:<8} projects={:<16} password={} second-factor={}{}",
                u.email,
                u.role.name(),
                if u.projects.is_empty() {
                    "all".to_owned()
                } else {
                    u.projects.join(",")
                },
                if u.password_hash.is_some() {
                    "set"
                } else {
                    "pending"
                },
                if u.totp_enabled { "on" } else { "off" },
                if u.disabled { " disabled" } else { "" },
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}
