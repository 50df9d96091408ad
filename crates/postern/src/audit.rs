//! `postern audit verify`: walks the hash chain of the audit log.

use std::process::ExitCode;

use anyhow::Context as _;
use postern_store::AuditCheck;

use crate::cli::StorageArgs;

pub fn verify(args: &StorageArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = crate::open::open_store(args).await?;
        let result = store.verify_audit().await;
        store.close().await;
        match result {
            Ok((count, head)) => {
                println!(
                    "The audit log is intact: {count} event(s). Head hash {}; record it elsewhere to detect later truncation.",
                    data_encoding::HEXLOWER.encode(&head)
                );
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
