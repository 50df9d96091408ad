//! `postern key openpgp generate|import|export|rotate|list --project SLUG`: a project's
//! OpenPGP keys from the terminal. Every action is a use case of `postern_app::openpgp`; this
//! only reads the arguments and prints the outcome.

use std::process::ExitCode;

use anyhow::Context as _;
use postern_app::Actor;
use postern_app::openpgp::ProjectKeyInfo;

use crate::cli::OpenpgpCommand;
use crate::user::default_actor;

pub fn run(command: OpenpgpCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let args = match &command {
            OpenpgpCommand::Generate(a) | OpenpgpCommand::Rotate(a) | OpenpgpCommand::List(a) => a,
            OpenpgpCommand::Import(a) => &a.key,
            OpenpgpCommand::Export(a) => &a.key,
        };
        let app = crate::open::open_app(&args.context).await?;
        let actor = Actor::operator(&default_actor(args.context.actor.as_deref()));
        let slug = args.project.as_str();
        let outcome = match &command {
            OpenpgpCommand::Generate(_) => app
                .generate_project_key(&actor, slug)
                .await
                .map(|k| made(&k, "made")),
            OpenpgpCommand::Rotate(_) => app
                .rotate_project_key(&actor, slug)
                .await
                .map(|k| made(&k, "made; the previous key is retired and still decrypts what was sent to it")),
            OpenpgpCommand::Import(a) => {
                let bytes = crate::open::read_input(
                    &a.file,
                    postern_openpgp::KEY_BYTES_MAX,
                    "the key",
                )?;
                app.import_project_key(&actor, slug, &bytes, a.rotate)
                    .await
                    .map(|k| made(&k, "imported"))
            }
            OpenpgpCommand::Export(a) if a.secret => {
                app.export_project_secret_key(&actor, slug).await.map(|armour| {
                    eprintln!("postern: this is the project's SECRET key: keep it offline, never send it");
                    print!("{}", armour.as_str());
                })
            }
            OpenpgpCommand::Export(_) => match app.project_public_key(slug).await {
                Ok(Some(key)) => {
                    print!("{}", key.armored());
                    Ok(())
                }
                Ok(None) => Err(postern_app::Error::Refused(format!(
                    "project {slug} has no OpenPGP key; make one with `postern key openpgp generate --project {slug}`"
                ))),
                Err(e) => Err(e),
            },
            OpenpgpCommand::List(_) => app.project_keys(slug).await.map(|keys| {
                if keys.is_empty() {
                    println!("Project {slug} has no OpenPGP key.");
                }
                for k in keys {
                    let state = match k.key.retired_at {
                        None => "current".to_owned(),
                        Some(at) => format!("retired {}", at.strftime("%Y-%m-%d %H:%M UTC")),
                    };
                    println!(
                        "{}  {}  made {} by {}  {}",
                        k.key.fingerprint,
                        state,
                        k.key.created_at.strftime("%Y-%m-%d"),
                        k.key.created_by,
                        k.user_ids.join(", ")
                    );
                }
            }),
        };
        app.store().close().await;
        match outcome {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(postern_app::Error::Invalid(errors)) => {
                for e in errors {
                    eprintln!("postern: {}: {}", e.field, e.message);
                }
                Ok(ExitCode::from(1))
            }
            Err(e) => crate::open::refusal(e, "such project"),
        }
    })
}

fn made(key: &ProjectKeyInfo, what: &str) {
    println!(
        "OpenPGP key {} for project {} {what}.",
        key.key.fingerprint, key.key.project
    );
    if !key.user_ids.is_empty() {
        println!("User id: {}", key.user_ids.join(", "));
    }
    println!(
        "Served at /.well-known/openpgpkey/ (Web Key Directory) and named in security.txt; `postern key openpgp export --project {}` prints it.",
        key.key.project
    );
}
