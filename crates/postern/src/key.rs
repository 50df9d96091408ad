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
        crate::serve::create_data_dir(&args.data)?;
        let store = crate::serve::open_store(args).await?;
        let before = store.vault().key_ids();
        let (new_id, rewrapped) = store
            .rotate_master_key()
            .await
            .context("key rotation failed; the old keys are still in the keyring, nothing is lost")?;
        let after = store.vault().key_ids();
        println!("New master key {new_id}; {rewrapped} report key(s) re-wrapped.");
        if after.len() == 1 {
            println!("Retired key(s): {}.", before.join(", "));
        } else {
            println!(
                "Kept older key(s) {} because a running instance still wrote with them; run this again after restarting all instances.",
                after[..after.len() - 1].join(", ")
            );
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
