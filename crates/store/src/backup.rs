//! Online backup and restore, while servers keep running.
//!
//! SQLite: `VACUUM INTO` copies the database as one read transaction sees it (a consistent
//! snapshot; the writer goes on committing beside it) into a compact file of its own.
//! PostgreSQL: every table of the schema is exported in one `REPEATABLE READ, READ ONLY`
//! transaction (one snapshot for all of them), a row a line as JSON (`to_jsonb`: numbers,
//! text, `bytea` as `\x` hex), and read back with `jsonb_populate_recordset`, so no tool of
//! PostgreSQL's own has to be installed beside Postern or match the server's version.
//!
//! Either way a manifest (`manifest.json`, written last: a directory without it is no backup)
//! records the schema version, each table's rows and the audit log's count and head hash as
//! found in the copy itself. The keyring is a secret of another order: without it the copy
//! reveals nothing, with it everything. It is written (`keyring.json`, 0600) only when asked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use postern_core::audit::{AuditEvent, Checkpoint, HASH_BYTES, Verifier};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::{AuditCheck, Db, StoreConfig, StoreError, Target, from_millis, on_db, vault};

/// The manifest's file name in a backup directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The SQLite copy's file name in a backup directory.
pub const SQLITE_COPY_FILE: &str = "postern.sqlite3";
/// The folder of a PostgreSQL export's tables (`TABLE.jsonl`, a row a line).
pub const TABLES_DIR: &str = "tables";
/// The version of the backup format this Postern writes and reads.
pub const BACKUP_FORMAT: u32 = 1;
/// Rows read (and restored) per statement of a PostgreSQL export.
const EXPORT_ROWS_PER_STATEMENT: i64 = 200;
/// The table sqlx keeps its migrations in.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// What a backup holds, written beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `BACKUP_FORMAT` of the Postern that wrote it.
    pub format: u32,
    /// "sqlite" or "postgres": where it can be restored.
    pub backend: String,
    /// When it was taken (RFC 3339).
    pub taken_at: String,
    /// The newest migration applied to the database copied.
    pub schema_version: i64,
    /// Rows of each table, as copied.
    pub tables: BTreeMap<String, u64>,
    /// Events of the audit log in the copy.
    pub audit_events: u64,
    /// The hash of the newest of them, hex.
    pub audit_head: String,
    /// Whether `keyring.json` was written beside it.
    pub keyring_included: bool,
    /// The master keys the copy's rows may be wrapped by: a keyring restored with it must hold
    /// them.
    pub master_key_ids: Vec<String>,
}

impl Manifest {
    /// The audit log's state in the backup, as a checkpoint.
    pub fn checkpoint(&self) -> Result<Checkpoint, StoreError> {
        Ok(Checkpoint {
            events: self.audit_events,
            head: parse_head(&self.audit_head)?,
            at: self
                .taken_at
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("manifest taken_at: {e}")))?,
        })
    }
}

/// A head hash written as hex.
pub fn parse_head(text: &str) -> Result<[u8; HASH_BYTES], StoreError> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.trim().as_bytes())
        .ok()
        .and_then(|bytes| <[u8; HASH_BYTES]>::try_from(bytes).ok())
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "a head hash is {} hex digits; found {text:?}",
                HASH_BYTES * 2
            ))
        })
}

/// Walks the audit chain on an executor (a pool, or `&mut *tx` for a snapshot), pushing each
/// event into `$verifier`.
macro_rules! walk_audit {
    ($conn:expr, $verifier:expr) => {{
        let verifier: &mut postern_core::audit::Verifier = $verifier;
        let mut after = 0i64;
        loop {
            let rows = sqlx::query("SELECT seq, at, actor, action, report_id, detail, hash FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT 5000")
                .bind(after)
                .fetch_all($conn)
                .await
                .map_err(StoreError::from)?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("seq").map_err(StoreError::from)?;
            for r in &rows {
                let event = AuditEvent {
                    seq: r.try_get("seq").map_err(StoreError::from)?,
                    at: from_millis(r.try_get("at").map_err(StoreError::from)?)?,
                    actor: r.try_get("actor").map_err(StoreError::from)?,
                    action: r.try_get("action").map_err(StoreError::from)?,
                    report_id: r.try_get("report_id").map_err(StoreError::from)?,
                    detail: r.try_get("detail").map_err(StoreError::from)?,
                };
                let hash: Vec<u8> = r.try_get("hash").map_err(StoreError::from)?;
                verifier.push(&event, &hash).map_err(AuditCheck::Broken)?;
            }
        }
    }};
}
pub(crate) use walk_audit;

/// The newest migration this binary knows (both backends have the same numbers).
pub fn known_schema_version() -> i64 {
    sqlx::migrate!("./migrations/sqlite")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// A table name as the database gave it, checked before it is put in a statement (a
/// manifest read back could have been edited).
fn table_name(name: &str) -> Result<&str, StoreError> {
    if !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(name)
    } else {
        Err(StoreError::Corrupt(format!("not a table name: {name:?}")))
    }
}

fn io(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let text = format!("cannot {what} {}", path.display());
    move |e| StoreError::Backup(format!("{text}: {e}"))
}

/// Creates the backup directory (0700), refusing one that holds anything.
fn empty_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt as _;
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io("read", dir))?;
        if entries.next().is_some() {
            return Err(StoreError::Backup(format!(
                "{} is not empty; back up into a new or empty directory",
                dir.display()
            )));
        }
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io("create", dir))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes a file completely and durably under a temporary name, then renames it.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write as _;
    let tmp = path.with_extension("partial");
    let mut f = std::fs::File::create(&tmp).map_err(io("write", &tmp))?;
    f.write_all(bytes).map_err(io("write", &tmp))?;
    f.sync_all().map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("write", path))?;
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

impl crate::Store {
    /// Copies the database into `dir` (new or empty) while it keeps serving, the keyring
    /// beside it only when `with_keyring`, and the manifest last. The manifest's counts and
    /// audit head are read from the copy itself, whose chain is verified on the way.
    pub async fn backup(
        &self,
        dir: &Path,
        with_keyring: bool,
        now: jiff::Timestamp,
    ) -> Result<Manifest, AuditCheck> {
        empty_dir(dir)?;
        let mut verifier = Verifier::default();
        let mut tables = BTreeMap::new();
        let schema_version;
        match &self.db {
            Db::Sqlite(pool) => {
                let copy = dir.join(SQLITE_COPY_FILE);
                sqlx::query("VACUUM INTO $1")
                    .bind(copy.display().to_string())
                    .execute(pool)
                    .await
                    .map_err(StoreError::from)?;
                std::fs::File::open(&copy)
                    .and_then(|f| f.sync_all())
                    .map_err(io("sync", &copy))?;
                let copied = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(SqliteConnectOptions::new().filename(&copy).read_only(true))
                    .await
                    .map_err(StoreError::from)?;
                let names: Vec<String> = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                    .fetch_all(&copied)
                    .await
                    .map_err(StoreError::from)?
                    .iter()
                    .map(|r| r.try_get("name"))
                    .collect::<Result<_, _>>()
                    .map_err(StoreError::from)?;
                for name in names {
                    let sql = format!("SELECT COUNT(*) AS n FROM \"{}\"", table_name(&name)?);
                    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .fetch_one(&copied)
                        .await
                        .map_err(StoreError::from)?
                        .try_get("n")
                        .map_err(StoreError::from)?;
                    tables.insert(name, n as u64);
                }
                schema_version = sqlx::query(
                    "SELECT COALESCE(MAX(version), 0) AS v FROM _sqlx_migrations WHERE success",
                )
                .fetch_one(&copied)
                .await
                .map_err(StoreError::from)?
                .try_get("v")
                .map_err(StoreError::from)?;
                walk_audit!(&copied, &mut verifier);
                copied.close().await;
            }
            Db::Postgres(pool) => {
                let folder = dir.join(TABLES_DIR);
                empty_dir(&folder)?;
                let mut tx = pool.begin().await.map_err(StoreError::from)?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from)?;
                let names: Vec<String> = sqlx::query("SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(StoreError::from)?
                    .iter()
                    .map(|r| r.try_get("name"))
                    .collect::<Result<_, _>>()
                    .map_err(StoreError::from)?;
                for name in names {
                    let rows = export_table(&mut tx, table_name(&name)?, &folder).await?;
                    tables.insert(name, rows);
                }
                schema_version = sqlx::query(
                    "SELECT COALESCE(MAX(version), 0) AS v FROM _sqlx_migrations WHERE success",
                )
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from)?
                .try_get("v")
                .map_err(StoreError::from)?;
                walk_audit!(&mut *tx, &mut verifier);
                tx.rollback().await.map_err(StoreError::from)?;
                sync_dir(&folder);
            }
        }
        if with_keyring {
            self.vault
                .write_copy(&dir.join(vault::KEYRING_FILE))
                .map_err(AuditCheck::Store)?;
        }
        let (events, head) = verifier.finish();
        let manifest = Manifest {
            format: BACKUP_FORMAT,
            backend: self.backend().to_owned(),
            taken_at: now.to_string(),
            schema_version,
            tables,
            audit_events: events,
            audit_head: hex(&head),
            keyring_included: with_keyring,
            master_key_ids: self.vault.key_ids(),
        };
        let text =
            serde_json::to_vec_pretty(&manifest).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        write_durably(&dir.join(MANIFEST_FILE), &text)?;
        Ok(manifest)
    }
}

/// Writes one table's rows, a JSON object a line, read in keyset pages by `ctid` (stable
/// inside the snapshot).
async fn export_table(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    name: &str,
    folder: &Path,
) -> Result<u64, StoreError> {
    use std::io::Write as _;
    let path = folder.join(format!("{name}.jsonl"));
    let file = std::fs::File::create(&path).map_err(io("write", &path))?;
    let mut out = std::io::BufWriter::new(file);
    let sql = format!(
        "SELECT ctid::text AS at, to_jsonb(t)::text AS row FROM \"{name}\" t WHERE ctid > $1::tid ORDER BY ctid LIMIT $2"
    );
    let mut after = "(0,0)".to_owned();
    let mut count = 0u64;
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&after)
            .bind(EXPORT_ROWS_PER_STATEMENT)
            .fetch_all(&mut **tx)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("at")?;
        for r in &rows {
            let row: String = r.try_get("row")?;
            out.write_all(row.as_bytes()).map_err(io("write", &path))?;
            out.write_all(b"\n").map_err(io("write", &path))?;
            count += 1;
        }
    }
    let file = out
        .into_inner()
        .map_err(|e| StoreError::Backup(format!("cannot write {}: {e}", path.display())))?;
    file.sync_all().map_err(io("sync", &path))?;
    Ok(count)
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// Where the keyring was put, if the backup had one.
    pub keyring: Option<PathBuf>,
    /// Master keys the data needs that the keyring now in place lacks (empty when it holds
    /// them all, or when there is no keyring yet to check).
    pub missing_keys: Vec<String>,
    /// Whether a keyring was found to check at all.
    pub keyring_present: bool,
}

/// Restores a backup into an empty target: a data directory without a database (SQLite), or
/// a database (schema) without tables (PostgreSQL). The copy's audit log is verified against
/// the manifest before this returns; the database is migrated to this binary's version.
pub async fn restore(
    from: &Path,
    config: &StoreConfig,
    data_dir: &Path,
) -> Result<Restored, AuditCheck> {
    let manifest_path = from.join(MANIFEST_FILE);
    let text = std::fs::read(&manifest_path).map_err(|e| {
        StoreError::Backup(format!(
            "{} has no readable {MANIFEST_FILE} ({e}); it is not a complete Postern backup",
            from.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| {
        StoreError::Backup(format!(
            "{} is not a Postern manifest: {e}",
            manifest_path.display()
        ))
    })?;
    if manifest.format != BACKUP_FORMAT {
        return Err(StoreError::Backup(format!(
            "the backup's format is {}; this Postern reads format {BACKUP_FORMAT}",
            manifest.format
        ))
        .into());
    }
    let known = known_schema_version();
    if manifest.schema_version > known {
        return Err(StoreError::Backup(format!(
            "the backup was taken by a newer Postern (schema {}, this one knows up to {known}); restore it with that version",
            manifest.schema_version
        ))
        .into());
    }
    let keyring_from = from.join(vault::KEYRING_FILE);
    let keyring_to = data_dir.join(vault::KEYRING_FILE);
    if keyring_from.exists() && keyring_to.exists() {
        return Err(StoreError::Backup(format!(
            "{} holds a keyring already; restore only into an empty data directory (or give another --data)",
            data_dir.display()
        ))
        .into());
    }
    let target = crate::target(config, data_dir)?;
    let checked = match (&target, manifest.backend.as_str()) {
        (Target::Sqlite(path), "sqlite") => restore_sqlite(from, path, &manifest).await?,
        (Target::Postgres(options), "postgres") => {
            restore_postgres(from, (**options).clone(), &manifest).await?
        }
        (_, backend) => {
            return Err(StoreError::Backup(format!(
                "this backup was taken from {backend}; restore it into {} (the target given is {})",
                if backend == "sqlite" {
                    "a data directory (--data, without a postgres:// --database)"
                } else {
                    "a PostgreSQL database (--database postgres://...)"
                },
                match target {
                    Target::Sqlite(_) => "SQLite",
                    Target::Postgres(_) => "PostgreSQL",
                }
            ))
            .into());
        }
    };
    if checked != (manifest.audit_events, parse_head(&manifest.audit_head)?) {
        return Err(StoreError::Backup(format!(
            "the restored audit log ({} events) is not the one the manifest describes ({} events, head {}): the backup is damaged",
            checked.0, manifest.audit_events, manifest.audit_head
        ))
        .into());
    }
    let keyring = if keyring_from.exists() {
        let bytes = zeroize::Zeroizing::new(
            std::fs::read(&keyring_from).map_err(io("read", &keyring_from))?,
        );
        write_private(&keyring_to, &bytes)?;
        Some(keyring_to.clone())
    } else {
        None
    };
    let keyring_present = keyring_to.exists() || std::env::var(vault::KEYRING_ENV).is_ok();
    let missing_keys = if keyring_present {
        let held = vault::Vault::open(data_dir)?.key_ids();
        manifest
            .master_key_ids
            .iter()
            .filter(|id| !held.contains(id))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    Ok(Restored {
        manifest,
        keyring,
        missing_keys,
        keyring_present,
    })
}

/// Writes a new file readable by its owner only, refusing to replace one.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io("write", path))?;
    f.write_all(bytes).map_err(io("write", path))?;
    f.sync_all().map_err(io("write", path))?;
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

/// Copies the SQLite file into place (under a temporary name, then renamed), migrates it, and
/// walks its audit chain.
async fn restore_sqlite(
    from: &Path,
    path: &str,
    manifest: &Manifest,
) -> Result<(u64, [u8; HASH_BYTES]), AuditCheck> {
    let target = Path::new(path);
    if target.exists() {
        return Err(StoreError::Backup(format!(
            "{} exists already; restore only into an empty data directory (or give another --data)",
            target.display()
        ))
        .into());
    }
    let source = from.join(SQLITE_COPY_FILE);
    if !source.exists() {
        return Err(StoreError::Backup(format!(
            "{} is missing: the backup is incomplete",
            source.display()
        ))
        .into());
    }
    if let Some(parent) = target.parent()
        && !parent.as_os_str().is_empty()
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(io("create", parent))?;
    }
    let partial = target.with_extension("restoring");
    std::fs::copy(&source, &partial).map_err(io("copy into", &partial))?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(io("sync", &partial))?;
    std::fs::rename(&partial, target).map_err(io("write", target))?;
    if let Some(parent) = target.parent() {
        sync_dir(parent);
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(crate::sqlite_options(path))
        .await
        .map_err(StoreError::from)?;
    let result = async {
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(StoreError::from)?;
        verify_restored(&Db::Sqlite(pool.clone()), manifest).await
    }
    .await;
    pool.close().await;
    result
}

/// Loads a PostgreSQL export into an empty schema: the migrations the backup had, its rows
/// table by table (those referred to first) in one transaction, then the newer migrations.
async fn restore_postgres(
    from: &Path,
    options: sqlx::postgres::PgConnectOptions,
    manifest: &Manifest,
) -> Result<(u64, [u8; HASH_BYTES]), AuditCheck> {
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .map_err(StoreError::from)?;
    let result = async {
        let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
            .fetch_one(&pool)
            .await
            .map_err(StoreError::from)?
            .try_get("n")
            .map_err(StoreError::from)?;
        if existing > 0 {
            return Err(StoreError::Backup(format!(
                "the database already has {existing} table(s); restore only into an empty database (or schema)"
            ))
            .into());
        }
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        let up_to_backup: Vec<_> = migrator
            .migrations
            .iter()
            .filter(|m| m.version <= manifest.schema_version)
            .cloned()
            .collect();
        let all = std::mem::replace(&mut migrator.migrations, up_to_backup.into());
        migrator.run(&pool).await.map_err(StoreError::from)?;
        let order = restore_order(&pool, manifest).await?;
        let mut tx = pool.begin().await.map_err(StoreError::from)?;
        for name in &order {
            let rows = import_table(&mut tx, name, &from.join(TABLES_DIR)).await?;
            let expected = manifest.tables.get(name).copied().unwrap_or(0);
            if rows != expected {
                return Err(StoreError::Backup(format!(
                    "table {name}: the manifest counts {expected} row(s), the export holds {rows}; the backup is damaged"
                ))
                .into());
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        migrator.migrations = all;
        migrator.run(&pool).await.map_err(StoreError::from)?;
        verify_restored(&Db::Postgres(pool.clone()), manifest).await
    }
    .await;
    pool.close().await;
    result
}

/// Walks the restored audit log, held to the manifest's count and head.
async fn verify_restored(
    db: &crate::Db,
    manifest: &Manifest,
) -> Result<(u64, [u8; HASH_BYTES]), AuditCheck> {
    let mut verifier = Verifier::against(manifest.checkpoint()?);
    on_db!(db, pool => walk_audit!(pool, &mut verifier));
    verifier.end().map_err(AuditCheck::Broken)
}

/// The backup's tables (not the migrations' own), each after the tables it refers to.
async fn restore_order(
    pool: &sqlx::PgPool,
    manifest: &Manifest,
) -> Result<Vec<String>, StoreError> {
    let references: Vec<(String, String)> = sqlx::query(
        "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c \
         WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| Ok::<_, sqlx::Error>((r.try_get("child")?, r.try_get("parent")?)))
    .collect::<Result<_, _>>()?;
    let mut left: Vec<String> = manifest
        .tables
        .keys()
        .filter(|t| t.as_str() != MIGRATIONS_TABLE)
        .cloned()
        .collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let before = left.len();
        let mut i = 0;
        while i < left.len() {
            let waits = references.iter().any(|(child, parent)| {
                child == &left[i] && parent != child && left.contains(parent)
            });
            if waits {
                i += 1;
            } else {
                order.push(left.remove(i));
            }
        }
        if left.len() == before {
            return Err(StoreError::Backup(format!(
                "the tables {} refer to one another in a cycle; this backup cannot be restored in order",
                left.join(", ")
            )));
        }
    }
    Ok(order)
}

/// Inserts one table's exported rows, `EXPORT_ROWS_PER_STATEMENT` a statement.
async fn import_table(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    name: &str,
    folder: &Path,
) -> Result<u64, StoreError> {
    use std::io::BufRead as _;
    let name = table_name(name)?;
    let path = folder.join(format!("{name}.jsonl"));
    let file = std::fs::File::open(&path).map_err(io("read", &path))?;
    let sql = format!(
        "INSERT INTO \"{name}\" SELECT * FROM jsonb_populate_recordset(NULL::\"{name}\", $1::jsonb)"
    );
    let mut batch = String::from("[");
    let mut in_batch = 0i64;
    let mut count = 0u64;
    let mut lines = std::io::BufReader::new(file).lines();
    loop {
        let line = lines.next().transpose().map_err(io("read", &path))?;
        if let Some(line) = &line {
            if in_batch > 0 {
                batch.push(',');
            }
            batch.push_str(line);
            in_batch += 1;
            count += 1;
        }
        if in_batch > 0 && (line.is_none() || in_batch == EXPORT_ROWS_PER_STATEMENT) {
            batch.push(']');
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&batch)
                .execute(&mut **tx)
                .await
                .map_err(|e| StoreError::Backup(format!("cannot restore table {name}: {e}")))?;
            batch = String::from("[");
            in_batch = 0;
        }
        if line.is_none() {
            break;
        }
    }
    Ok(count)
}
