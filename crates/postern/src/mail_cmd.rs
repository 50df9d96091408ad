//! `postern mail ingest` (one message on stdin, for an MTA's pipe delivery or fetchmail) and
//! `postern mail screening ...` (what waits for a person). Both call the email channel's use
//! cases (`postern_app::mail`) and only translate: exit codes for the MTA, lines for a person.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use postern_app::mail::{Ingested, ScreenReason};
use postern_app::{Actor, Error};
use postern_store::mail::{InboundState, ScreeningItem};

use crate::cli::{MailCommand, ScreeningCommand};
use crate::user::default_actor;

/// sysexits.h: the MTA should try again later.
pub const EX_TEMPFAIL: u8 = 75;
/// sysexits.h: the message can never be taken.
pub const EX_DATAERR: u8 = 65;

pub fn run(command: MailCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match command {
        MailCommand::Ingest(args) => Ok(runtime.block_on(ingest(&args.context))),
        MailCommand::Screening(command) => runtime.block_on(screening(command)),
    }
}

/// Reads stdin, at most one byte over the limit (so an oversized message is refused without
/// reading it all into memory).
fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    std::io::stdin()
        .lock()
        .take(postern_app::mail::MESSAGE_BYTES_MAX as u64 + 1)
        .read_to_end(&mut raw)?;
    Ok(raw)
}

/// Never an error of the process: every outcome is an exit code an MTA understands.
async fn ingest(context: &crate::cli::ReportContext) -> ExitCode {
    let tempfail = |what: &str, error: &dyn std::fmt::Display| {
        eprintln!("postern: {what}: {error}; the mail server should try again later");
        ExitCode::from(EX_TEMPFAIL)
    };
    let raw = match read_stdin() {
        Ok(raw) => raw,
        Err(e) => return tempfail("cannot read the message", &e),
    };
    if raw.is_empty() {
        eprintln!("postern: the message is empty");
        return ExitCode::from(EX_DATAERR);
    }
    let app = match crate::open::open_app(context).await {
        Ok(app) => app,
        Err(e) => return tempfail("cannot open Postern's data", &format!("{e:#}")),
    };
    let outcome = app.ingest_mail(&raw, None).await;
    app.store().close().await;
    match outcome {
        Ok(Ingested::Report { id, project }) => {
            println!("report {id} ({project})");
            ExitCode::SUCCESS
        }
        Ok(Ingested::Reply { id }) => {
            println!("reply to report {id}");
            ExitCode::SUCCESS
        }
        Ok(Ingested::Screened { item, reason }) => {
            println!("screening {item}: {}", reason.describe());
            ExitCode::SUCCESS
        }
        Ok(Ingested::Again(seen)) => {
            println!("already taken as {} ({})", seen.id, seen.state.name());
            ExitCode::SUCCESS
        }
        Err(Error::Refused(why)) => {
            eprintln!("postern: {why}");
            ExitCode::from(EX_DATAERR)
        }
        Err(e) => tempfail("cannot store the message", &e),
    }
}

fn line(item: &ScreeningItem) -> String {
    let reason = ScreenReason::parse(&item.reason).map_or(item.reason.as_str(), |r| r.name());
    format!(
        "{}  {}  {:<10}  {:<15}  {}  {}",
        item.id,
        item.received_at.strftime("%Y-%m-%d %H:%M UTC"),
        item.project,
        if reason.is_empty() { "-" } else { reason },
        item.summary.from.as_deref().unwrap_or("(no sender)"),
        if item.summary.subject.is_empty() {
            "(no subject)"
        } else {
            &item.summary.subject
        },
    )
}

async fn screening(command: ScreeningCommand) -> anyhow::Result<ExitCode> {
    let context = match &command {
        ScreeningCommand::List(a) => &a.context,
        ScreeningCommand::Show(a)
        | ScreeningCommand::Report(a)
        | ScreeningCommand::Discard(a)
        | ScreeningCommand::Original(a) => &a.context,
        ScreeningCommand::File(a) => &a.context,
    };
    let app = crate::open::open_app(context).await?;
    let actor = Actor::operator(&default_actor(context.actor.as_deref()));
    let result: Result<(), Error> = async {
        match &command {
            ScreeningCommand::List(args) => {
                let state = InboundState::parse(&args.state).ok_or_else(|| {
                    Error::field(
                        "state",
                        format!(
                            "\"{}\" is not a state; write screening, report, reply, filed or discarded",
                            args.state
                        ),
                    )
                })?;
                let items = app.screening_page(&actor, state, args.limit).await?;
                if items.is_empty() {
                    println!("Nothing is in {}.", state.name());
                }
                for item in &items {
                    println!("{}", line(item));
                }
                Ok(())
            }
            ScreeningCommand::Show(args) => {
                let item = app.screening_item(&actor, &args.id).await?;
                println!("{}", line(&item));
                if let Some(reason) = ScreenReason::parse(&item.reason) {
                    println!("Why it waits: {}", reason.describe());
                }
                if let Some(report) = &item.report_id {
                    println!("Concerns report {report}");
                }
                for note in &item.summary.notes {
                    println!("Note: {note}");
                }
                for (name, size) in &item.summary.attachments {
                    println!("Attachment: {name} ({size} bytes)");
                }
                println!("\n{}", item.summary.text);
                Ok(())
            }
            ScreeningCommand::Report(args) => {
                let id = app.report_from_screening(&actor, &args.id).await?;
                println!("Report {id} made from {}; its clocks started when the message arrived.", args.id);
                Ok(())
            }
            ScreeningCommand::File(args) => {
                app.file_screening(&actor, &args.id, args.reply).await?;
                println!(
                    "Filed {} as not a security report{}.",
                    args.id,
                    if args.reply { "; the sender will be answered" } else { "" }
                );
                Ok(())
            }
            ScreeningCommand::Discard(args) => {
                app.discard_screening(&actor, &args.id).await?;
                println!("Discarded {} as spam.", args.id);
                Ok(())
            }
            ScreeningCommand::Original(args) => {
                let (_, raw) = app.screening_original(&actor, &args.id).await?;
                std::io::stdout()
                    .write_all(&raw)
                    .map_err(|e| Error::Refused(format!("cannot write the message: {e}")))?;
                Ok(())
            }
        }
    }
    .await;
    app.store().close().await;
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => crate::open::refusal(e, "such message"),
    }
}
