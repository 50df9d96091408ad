//! `postern key rotate`: a new master key, every report's data key re-wrapped under it.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::StorageArgs;

pub fn rotate(args: &StorageArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        crate::open::create_data_dir(&args.data)?;
        let store = crate::open::open_store(args).await?;
        let (new_id, rewrapped, removed) = store
            .rotate_master_key()
            .await
            .context("key rotation failed; the old keys are still in the keyring, nothing is lost")?;
        println!("New master key {new_id}; {rewrapped} report key(s) re-wrapped.");
        if removed.is_empty() {
            println!("The previous key stays in the keyring until the next rotation, for writes still in flight.");
        } else {
            println!("Retired key(s): {}.", removed.join(", "));
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
