//! `postern audit verify [--checkpoint FILE]`: walks the hash chain of the audit log, held to a
//! checkpoint kept earlier if given; `postern audit checkpoint` prints one.

use std::process::ExitCode;

use anyhow::Context as _;
use postern_core::audit::Checkpoint;
use postern_store::AuditCheck;

use crate::cli::{AuditVerifyArgs, StorageArgs};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn verify(args: &AuditVerifyArgs) -> anyhow::Result<ExitCode> {
    let checkpoint = match &args.checkpoint {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the checkpoint {}", path.display()))?;
            match Checkpoint::from_json(&text) {
                Ok(checkpoint) => Some(checkpoint),
                Err(why) => {
                    eprintln!("postern: {}: {why}", path.display());
                    return Ok(ExitCode::from(1));
                }
            }
        }
    };
    runtime()?.block_on(async {
        let store = crate::open::open_store(&args.storage).await?;
        let result = store.verify_audit_against(checkpoint).await;
        store.close().await;
        match result {
            Ok((count, head)) => {
                let head = data_encoding::HEXLOWER.encode(&head);
                match checkpoint {
                    Some(c) => println!(
                        "The audit log is intact and extends the checkpoint of {} ({} event(s)): {count} event(s) now, head hash {head}.",
                        c.at, c.events
                    ),
                    None => println!(
                        "The audit log is intact: {count} event(s). Head hash {head}; keep checkpoints elsewhere (`postern audit checkpoint`, /audit/checkpoint) to detect later truncation."
                    ),
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(AuditCheck::Broken(brk)) => {
                eprintln!("postern: the audit log was tampered with: {brk}");
                Ok(ExitCode::from(1))
            }
            Err(AuditCheck::Store(error)) => Err(error).context("cannot read the audit log"),
        }
    })
}

pub fn checkpoint(args: &StorageArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = crate::open::open_store(args).await?;
        let checkpoint = store.audit_checkpoint(jiff::Timestamp::now()).await;
        store.close().await;
        println!(
            "{}",
            checkpoint.context("cannot read the audit log")?.to_json()
        );
        Ok(ExitCode::SUCCESS)
    })
}
