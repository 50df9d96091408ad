//! The `postern` binary: parses the command line and hands off to one subcommand module.
//!
//! Each subcommand returns an exit code; errors are printed once, here, without internals.
#![forbid(unsafe_code)]

mod advisory_cmd;
mod audit;
mod backup_cmd;
mod cli;
mod demo;
mod early_access_cmd;
mod init;
mod jobs_cmd;
mod key;
mod mail;
mod mail_cmd;
// `pub`: its tests share the integration tests' Dovecot harness (`mail_in::dovecot`), whose
// helpers not every test here calls.
pub mod mail_in;
mod notices;
mod open;
mod openpgp_cmd;
mod outbox;
mod policy_cmd;
mod report_cmd;
mod scan_cmd;
mod serve;
mod token_cmd;
mod user;
mod webhook;
mod webhook_cmd;

use std::process::ExitCode;

/// jemalloc instead of the system's malloc, built to give freed memory back at once
/// (`.cargo/config.toml`): glibc's malloc kept an arena per worker thread, and two scan imports
/// on two threads held both imports' memory.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::Policy(cli::PolicyCommand::Check(args)) => policy_cmd::check(&args),
        cli::Command::Policy(cli::PolicyCommand::Render(args)) => policy_cmd::render(&args),
        cli::Command::Init(args) => init::run(&args),
        cli::Command::Key(cli::KeyCommand::Rotate(args)) => key::rotate(&args),
        cli::Command::Key(cli::KeyCommand::Openpgp(command)) => openpgp_cmd::run(command),
        cli::Command::Audit(cli::AuditCommand::Verify(args)) => audit::verify(&args),
        cli::Command::Audit(cli::AuditCommand::Checkpoint(args)) => audit::checkpoint(&args),
        cli::Command::Backup(args) => backup_cmd::backup(&args),
        cli::Command::Restore(args) => backup_cmd::restore(&args),
        cli::Command::User(cli::UserCommand::Add(args)) => user::add(&args),
        cli::Command::User(cli::UserCommand::Reset(args)) => user::reset(&args),
        cli::Command::User(cli::UserCommand::List(args)) => user::list(&args),
        cli::Command::User(cli::UserCommand::Key(args)) => user::key(&args),
        cli::Command::Report(command) => report_cmd::run(command),
        cli::Command::Advisory(command) => advisory_cmd::run(command),
        cli::Command::Credits(args) => advisory_cmd::credits(&args),
        cli::Command::Jobs(command) => jobs_cmd::run(command),
        cli::Command::Webhook(command) => webhook_cmd::run(command),
        cli::Command::Scan(command) => scan_cmd::run(command),
        cli::Command::Token(command) => token_cmd::run(command),
        cli::Command::EarlyAccess(command) => early_access_cmd::run(command),
        cli::Command::Mail(command) => mail_cmd::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("postern: error: {error:#}");
            ExitCode::from(2)
        }
    }
}
