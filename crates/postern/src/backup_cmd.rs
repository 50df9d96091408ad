//! `postern backup --to DIR [--with-keyring]` and `postern restore --from DIR`: the store's
//! online copy and its restore into an empty target, with the keyring handled apart and said so.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use postern_store::{AuditCheck, StoreConfig};

use crate::cli::{BackupArgs, RestoreArgs, StorageArgs};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The SQLite file a storage option names when it names one (no `postgres://` URL).
fn sqlite_file(storage: &StorageArgs) -> Option<std::path::PathBuf> {
    match storage.database.as_deref() {
        None => Some(storage.data.join(postern_store::SQLITE_FILE)),
        Some(url) => url
            .strip_prefix("sqlite:")
            .map(|p| std::path::PathBuf::from(p.trim_start_matches("//"))),
    }
}

pub fn backup(args: &BackupArgs) -> anyhow::Result<ExitCode> {
    // Opening a store creates what is missing: a backup of a mistyped --data would be an
    // empty database and a new keyring.
    if let Some(file) = sqlite_file(&args.storage)
        && !file.exists()
    {
        bail!(
            "there is no database at {}; give the --data (or --database) that `postern serve` uses",
            file.display()
        );
    }
    runtime()?.block_on(async {
        let store = crate::open::open_store(&args.storage).await?;
        let result = store
            .backup(&args.to, args.with_keyring, jiff::Timestamp::now())
            .await;
        store.close().await;
        let manifest = match result {
            Ok(manifest) => manifest,
            Err(AuditCheck::Broken(brk)) => {
                eprintln!(
                    "postern: the backup was written, but its audit log does not verify: {brk}"
                );
                return Ok(ExitCode::from(1));
            }
            Err(AuditCheck::Store(error)) => return Err(error).context("the backup failed"),
        };
        let rows: u64 = manifest.tables.values().sum();
        println!(
            "Backed up {} ({}, schema {}) to {}: {} table(s), {rows} row(s); {} report(s), {} message(s), {} advisory(ies), {} audit event(s), head hash {}.",
            manifest.backend,
            if manifest.backend == "sqlite" {
                "VACUUM INTO, one consistent snapshot"
            } else {
                "JSON lines of every table from one REPEATABLE READ snapshot"
            },
            manifest.schema_version,
            args.to.display(),
            manifest.tables.len(),
            manifest.tables.get("reports").copied().unwrap_or(0),
            manifest.tables.get("messages").copied().unwrap_or(0),
            manifest.tables.get("advisories").copied().unwrap_or(0),
            manifest.audit_events,
            manifest.audit_head,
        );
        if manifest.keyring_included {
            println!(
                "The keyring IS in this backup ({}/keyring.json, mode 0600): whoever holds the backup can read every report in it. Keep it as you keep the keyring itself.",
                args.to.display()
            );
        } else {
            println!(
                "The keyring is NOT in this backup: without it nothing in the backup can be read. Back up keyring.json (or POSTERN_KEYRING) apart, somewhere else; master keys needed: {}. (--with-keyring writes it into the backup.)",
                manifest.master_key_ids.join(", ")
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn restore(args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    crate::open::create_data_dir(&args.storage.data)?;
    runtime()?.block_on(async {
        let config = StoreConfig {
            database_url: args.storage.database.clone(),
            postgres_schema: None,
        };
        let restored =
            match postern_store::backup::restore(&args.from, &config, &args.storage.data).await {
                Ok(restored) => restored,
                Err(AuditCheck::Broken(brk)) => {
                    eprintln!(
                        "postern: the restored audit log does not match the backup's manifest: {brk}"
                    );
                    return Ok(ExitCode::from(1));
                }
                Err(AuditCheck::Store(postern_store::StoreError::Backup(why))) => {
                    eprintln!("postern: cannot restore: {why}");
                    return Ok(ExitCode::from(1));
                }
                Err(AuditCheck::Store(error)) => return Err(error).context("the restore failed"),
            };
        let m = &restored.manifest;
        println!(
            "Restored the backup of {} ({}, {} audit event(s), head hash {}; the log verifies against it).",
            m.taken_at, m.backend, m.audit_events, m.audit_head
        );
        match (&restored.keyring, restored.keyring_present) {
            (Some(path), _) => println!("The backup's keyring was put in {} (mode 0600).", path.display()),
            (None, true) => println!("The backup held no keyring; the keyring already in place is used."),
            (None, false) => println!(
                "The backup held no keyring: put the backed-up keyring.json into {} (mode 0600), or give it in POSTERN_KEYRING, before `postern serve`; without it no report can be read.",
                args.storage.data.display()
            ),
        }
        if !restored.missing_keys.is_empty() {
            eprintln!(
                "postern: the keyring in place lacks master key(s) {} that the restored data needs; use the keyring of the backed-up instance",
                restored.missing_keys.join(", ")
            );
            return Ok(ExitCode::from(1));
        }
        Ok(ExitCode::SUCCESS)
    })
}
