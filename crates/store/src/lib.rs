//! Postern's one store: SQLite (the default, a file in the data directory) or PostgreSQL
//! (several instances sharing one database), chosen by URL, with the same SQL for both.
//!
//! Report contents never reach the database in plain text: each report has a random data key,
//! wrapped by a master key from the keyring (`vault`). Writes go through one writer task per
//! instance that commits many waiting writes in one durable transaction (group commit), so
//! intake keeps up with many clients while every acknowledged write is on disk.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod advisories;
pub mod backup;
pub mod credentials;
pub mod disclosure;
pub mod health;
pub mod jobs;
pub mod mail;
pub mod openpgp;
pub mod privacy;
pub mod scans;
pub mod stats;
pub mod subscriptions;
pub mod team;
pub mod tokens;
pub mod vault;
pub mod webhooks;
mod write;
mod writer;

use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use postern_core::audit::AuditEvent;
use postern_core::intake::ValidSubmission;
use postern_core::report::{
    Author, CASE_KEY_BYTES, CaseKey, REPORT_ID_BYTES, ReportId, ReportStatus,
};
use postern_core::similarity;
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row as _, SqlitePool};
use zeroize::Zeroizing;

pub use vault::Vault;

/// Largest attachment, in bytes.
pub const ATTACHMENT_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Most attachments a report may have in all.
pub const ATTACHMENTS_PER_REPORT_MAX: usize = 10;
/// Longest attachment file name, in characters.
pub const ATTACHMENT_NAME_CHARS_MAX: usize = 200;
/// Most messages in one conversation.
pub const MESSAGES_PER_REPORT_MAX: usize = 500;
/// What the similarity key is derived for.
const SIMILARITY_KEY_PURPOSE: &str = "similarity fingerprint";
/// The newest reports of a project compared for duplicate suggestions.
pub const SIMILARITY_CANDIDATES_MAX: i64 = 1000;
/// Duplicate suggestions shown.
pub const SIMILAR_REPORTS_MAX: usize = 5;
/// The page cache of the SQLite writer's connection, as SQLite's `cache_size` pragma (a
/// negative number is KiB): 32 MiB, so that the indexes intake writes to stay in memory.
const WRITER_CACHE_PAGES: &str = "-32768";
/// The WAL pages after which the writer's commit checkpoints (16 MiB of 4 KiB pages).
const WRITER_CHECKPOINT_PAGES: &str = "4096";
/// The WAL file is cut back to this size when it starts over (64 MiB).
const WAL_BYTES_KEPT: &str = "67108864";
/// How often the checkpointer looks whether the WAL should be copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(1000);
/// The writer's commits after which the checkpointer copies the WAL at its next look; with
/// fewer, it waits `CHECKPOINT_IDLE_MAX` (a checkpoint's `fsync` slows the commits beside it,
/// so a quiet instance should not pay one every second).
const CHECKPOINT_COMMITS_MIN: u64 = 100;
/// The longest a committed write waits to be copied into the database file.
const CHECKPOINT_IDLE_MAX: Duration = Duration::from_secs(30);
/// The SQLite database file inside the data directory.
pub const SQLITE_FILE: &str = "postern.sqlite3";

/// What can go wrong in the store. Messages never contain report contents or key material.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No report with this id and case key. Deliberately the same for a missing report and a
    /// wrong key.
    #[error("no such report")]
    NotFound,
    /// A limit was reached.
    #[error("{0}")]
    Limit(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The keyring is missing, unreadable or unsafe.
    #[error("keyring: {0}")]
    Keyring(String),
    /// Encryption or decryption failed.
    #[error("encryption: {0}")]
    Crypto(&'static str),
    /// Stored data does not decode.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// Someone else changed it first, or it already exists; the text says what.
    #[error("{0}")]
    Conflict(String),
    /// The writer task is gone (the server is shutting down).
    #[error("the store is shutting down")]
    Closed,
    /// A backup or restore cannot go on; the text says why and what to do.
    #[error("{0}")]
    Backup(String),
    /// The database was migrated by a newer Postern: this binary would not know its tables.
    #[error(
        "the database was upgraded by a newer Postern (schema {applied}; this version knows up to {known}); run that version or a newer one, or restore a backup taken before the upgrade"
    )]
    NewerSchema {
        /// The newest migration applied to the database.
        applied: i64,
        /// The newest migration this binary knows.
        known: i64,
    },
}

/// Refuses a database that has migrations this binary does not know, before migrating (an
/// older binary would otherwise fail on a missing migration, or misread newer tables). A
/// database without the migrations' table is new.
macro_rules! refuse_newer_schema {
    ($pool:expr) => {{
        let applied: Option<i64> =
            sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success")
                .fetch_one($pool)
                .await
                .ok()
                .and_then(|r| r.try_get::<Option<i64>, _>("v").ok().flatten());
        let known = backup::known_schema_version();
        if let Some(applied) = applied
            && applied > known
        {
            return Err(StoreError::NewerSchema { applied, known });
        }
    }};
}

/// The outcome of an audit check that did not pass.
#[derive(Debug, thiserror::Error)]
pub enum AuditCheck {
    /// The chain is broken; the text names the first event touched.
    #[error("the audit log was tampered with: {0}")]
    Broken(postern_core::audit::ChainBreak),
    /// The log could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AuditCheck {
    fn from(error: sqlx::Error) -> AuditCheck {
        AuditCheck::Store(StoreError::from(error))
    }
}

/// The database behind the store.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code on whichever pool the store has.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// Where the store keeps its data.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite:PATH`, `postgres://...`, or `None` for SQLite in the data directory.
    pub database_url: Option<String>,
    /// PostgreSQL schema to use (tests give each run its own); `None` for the default.
    pub postgres_schema: Option<String>,
}

/// An attachment as submitted.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    /// The reporter's file name (shown, never used as a path).
    pub filename: String,
    /// The declared content type (stored, never trusted for serving).
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Attachment metadata for the reporter's and the team's views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Id within the report.
    pub id: String,
    /// File name as given.
    pub filename: String,
    /// Content type as declared.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// A message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who wrote it.
    pub author: Author,
    /// When.
    pub at: Timestamp,
    /// What.
    pub body: String,
}

/// Everything the reporter may see of their report.
#[derive(Debug, Clone)]
pub struct ReporterView {
    /// The report's id.
    pub id: ReportId,
    /// The project's slug.
    pub project: String,
    /// Lifecycle status.
    pub status: ReportStatus,
    /// When it was received.
    pub received_at: Timestamp,
    /// What the reporter submitted.
    pub submission: ValidSubmission,
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// Attachments, oldest first.
    pub attachments: Vec<AttachmentInfo>,
    /// The promises' clocks (times only).
    pub clocks: postern_core::clock::Clocks,
    /// The advisory about this report, if one is drafted: its id, when it is scheduled to
    /// publish itself, and when it was published.
    pub disclosure: Option<Disclosure>,
    /// The disclosure date agreed, and the reporter's proposals with the team's answers.
    pub terms: disclosure::DisclosureTerms,
    /// What of it was erased, and its legal hold.
    pub privacy: postern_core::privacy::PrivacyState,
    /// The reporter's erasure requests, oldest first.
    pub erasure_requests: Vec<privacy::ErasureRequest>,
}

/// The reporter's view of the advisory about their report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// The advisory's id.
    pub advisory: postern_core::advisory::AdvisoryId,
    /// When the embargo ends, if scheduled.
    pub scheduled_for: Option<Timestamp>,
    /// When it was published.
    pub published_at: Option<Timestamp>,
}

/// A report a team member enters by hand: it reached them through a channel of the policy
/// that Postern does not serve itself (a chat, a pull request, a call).
#[derive(Debug, Clone)]
pub struct Recording<'a> {
    /// The project's slug.
    pub project: &'a str,
    /// The channel it came through.
    pub channel: postern_core::policy::ChannelKind,
    /// When the reporter wrote: every clock starts here.
    pub received_at: Timestamp,
    /// Who entered it, as the audit log names them.
    pub recorded_by: &'a str,
    /// When they entered it.
    pub recorded_at: Timestamp,
    /// Whether the reporter is handed a case key to follow the report.
    pub give_case_key: bool,
}

/// The encrypted part of a report row.
#[derive(Serialize, Deserialize)]
pub(crate) struct Content {
    pub fields: Vec<(String, String)>,
    scope_category: Option<String>,
    contact_email: Option<String>,
    credit_name: Option<String>,
}

/// A row ready to insert; all secrets already sealed.
#[derive(Debug, Clone)]
pub(crate) struct ReportRow {
    pub id: String,
    pub project: String,
    pub case_key_hash: Vec<u8>,
    pub status: &'static str,
    pub received_at: i64,
    pub key_id: String,
    pub wrapped_key: Vec<u8>,
    pub content: Vec<u8>,
    /// `core::report::title`, sealed under the report's data key (`seal_title`).
    pub title: Vec<u8>,
    /// The contact and credit name, sealed under a key of their own (`privacy`).
    pub contact: Option<privacy::SealedContact>,
    pub clocks: String,
    pub next_due_at: i64,
    pub fingerprint: Option<Vec<u8>>,
    /// The watches of the promises started at receipt.
    pub watches: Vec<jobs::NewJob>,
    /// How it arrived (`core::report::Channel::name`).
    pub channel: &'static str,
    /// Statements committed with it (the mail it was made from, a screening item decided).
    pub extra: Vec<write::Stmt>,
    /// Audit events appended after its `report.received`.
    pub events: Vec<write::EventParts>,
}

#[derive(Debug, Clone)]
pub(crate) struct AttachmentRow {
    pub id: String,
    pub report_id: String,
    pub at: i64,
    /// Position within the request that added it, so order is stable within one moment.
    pub ordinal: i64,
    pub meta: Vec<u8>,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) struct MessageRow {
    pub id: String,
    pub report_id: String,
    /// The report's project, for the job that tells its team.
    pub project: String,
    pub author: &'static str,
    pub at: i64,
    pub body: Vec<u8>,
}

/// One write, applied inside a transaction.
#[derive(Debug)]
pub(crate) enum WriteOp {
    Report(Box<ReportRow>, Vec<AttachmentRow>),
    Message(MessageRow),
    Attachments(Vec<AttachmentRow>),
    Team(write::TeamWrite),
    /// The job runner leases due jobs.
    Claim(jobs::Claim),
    /// The job runner finished jobs.
    Complete(jobs::Complete),
    /// A scanner report's import (`scans`).
    Scan(Box<scans::ScanWrite>),
}

/// The store.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    vault: Arc<Vault>,
    writer: writer::Writer,
    /// How long before a promise's limit the team is reminded (`set_reminder_leads`): the
    /// first watch of a promise is due at its first reminder, not at once.
    reminder_leads: Arc<std::sync::RwLock<Vec<jiff::SignedDuration>>>,
}

fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn from_millis(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn aad(report_id: &str, parts: &[&str]) -> Vec<u8> {
    let mut out = format!("postern report v1\0{report_id}");
    for p in parts {
        out.push('\0');
        out.push_str(p);
    }
    out.into_bytes()
}

/// A report's title (`core::report::title` of its fields), sealed under its data key.
fn seal_title(
    report_id: &str,
    data_key: &[u8],
    fields: &[(String, String)],
) -> Result<Vec<u8>, StoreError> {
    let title = postern_core::report::title(fields);
    vault::seal(data_key, &aad(report_id, &["title"]), title.as_bytes())
}

/// An audit event as `SELECT seq, at, actor, action, report_id, detail` reads it.
pub(crate) fn audit_event_from_row<R: sqlx::Row>(r: &R) -> Result<AuditEvent, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(AuditEvent {
        seq: r.try_get("seq")?,
        at: from_millis(r.try_get("at")?)?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        report_id: r.try_get("report_id")?,
        detail: r.try_get("detail")?,
    })
}

fn random_id() -> Result<String, StoreError> {
    Ok(ReportId::from_random(vault::random_bytes::<REPORT_ID_BYTES>()?).to_string())
}

/// The database a configuration names: a SQLite file, or a PostgreSQL server (and schema).
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Sqlite(String),
    Postgres(Box<PgConnectOptions>),
}

/// Reads `config`'s URL: `postgres://...`, `sqlite:PATH`, or nothing for SQLite in `data_dir`.
pub(crate) fn target(config: &StoreConfig, data_dir: &Path) -> Result<Target, StoreError> {
    let url = config.database_url.as_deref().unwrap_or("");
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut options = PgConnectOptions::from_str(url)?;
        if let Some(schema) = &config.postgres_schema {
            options = options.options([("search_path", schema.as_str())]);
        }
        return Ok(Target::Postgres(Box::new(options)));
    }
    match url.strip_prefix("sqlite:") {
        Some(path) if !path.is_empty() => {
            Ok(Target::Sqlite(path.trim_start_matches("//").to_owned()))
        }
        _ if url.is_empty() => Ok(Target::Sqlite(
            data_dir.join(SQLITE_FILE).display().to_string(),
        )),
        _ => Err(StoreError::Database(sqlx::Error::Configuration(
            "unsupported database URL (use sqlite:PATH or postgres://...)".into(),
        ))),
    }
}

/// How every connection to a SQLite file is made.
pub(crate) fn sqlite_options(path: &str) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit is on disk before it is acknowledged, even across a power cut.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // Freed pages are overwritten with zeros: an erased key leaves no trace in the file.
        .pragma("secure_delete", "on")
        .busy_timeout(Duration::from_secs(10))
}

impl Store {
    /// Opens (and migrates) the database, and the keyring in `data_dir`.
    pub async fn open(config: &StoreConfig, data_dir: &Path) -> Result<Store, StoreError> {
        let vault = Arc::new(Vault::open(data_dir)?);
        let path = match target(config, data_dir)? {
            Target::Postgres(options) => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(*options)
                    .await?;
                refuse_newer_schema!(&pool);
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
                let db = Db::Postgres(pool);
                return Ok(Store {
                    writer: writer::Writer::start(db.clone()),
                    db,
                    vault,
                    reminder_leads: Arc::default(),
                });
            }
            Target::Sqlite(path) => path,
        };
        let options = sqlite_options(&path);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await?;
        refuse_newer_schema!(&pool);
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        // The writer has a connection of its own: SQLite has one writer anyway, and a
        // connection that only this writer uses keeps its page cache across batches (a
        // connection that another one wrote past must drop its cache and read the pages again).
        let writing = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(
                options
                    .pragma("cache_size", WRITER_CACHE_PAGES)
                    // Most copying runs beside the writer (`checkpoint_beside`); the writer's own
                    // checkpoint, between its transactions, finishes the rest and lets the next
                    // commit start the WAL over, which one beside it never can under steady load
                    // (the writer appends faster than it copies): the WAL stays bounded.
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
                    .pragma("journal_size_limit", WAL_BYTES_KEPT),
            )
            .await?;
        let writer = writer::Writer::start(Db::Sqlite(writing));
        checkpoint_beside(pool.clone(), writer.commits());
        Ok(Store {
            db: Db::Sqlite(pool),
            vault,
            writer,
            reminder_leads: Arc::default(),
        })
    }

    /// Sets how long before each promise's limit the team is reminded (`serve
    /// --reminder-leads`); until set, `core::clock::REMINDER_LEADS`.
    pub fn set_reminder_leads(&self, leads: &[jiff::SignedDuration]) {
        if let Ok(mut kept) = self.reminder_leads.write() {
            *kept = leads.to_vec();
        }
    }

    /// The reminder leads in force.
    pub fn reminder_leads(&self) -> Vec<jiff::SignedDuration> {
        match self.reminder_leads.read() {
            Ok(leads) if !leads.is_empty() => leads.clone(),
            _ => postern_core::clock::REMINDER_LEADS.to_vec(),
        }
    }

    /// Which database this is, for logs: "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// The keyring.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    async fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        self.writer.submit(op).await
    }

    fn seal_attachments(
        &self,
        report_id: &str,
        data_key: &[u8],
        at: Timestamp,
        attachments: &[NewAttachment],
    ) -> Result<Vec<AttachmentRow>, StoreError> {
        attachments
            .iter()
            .enumerate()
            .map(|(ordinal, a)| {
                if a.bytes.len() > ATTACHMENT_BYTES_MAX {
                    return Err(StoreError::Limit(format!(
                        "attachment {} is larger than {} MiB",
                        a.filename,
                        ATTACHMENT_BYTES_MAX / 1024 / 1024
                    )));
                }
                let id = random_id()?;
                let info = AttachmentInfo {
                    id: id.clone(),
                    filename: a.filename.clone(),
                    content_type: a.content_type.clone(),
                    size: a.bytes.len() as u64,
                };
                let meta = Zeroizing::new(
                    serde_json::to_vec(&info).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                );
                Ok(AttachmentRow {
                    meta: vault::seal(
                        data_key,
                        &aad(report_id, &["attachment", &id, "meta"]),
                        &meta,
                    )?,
                    content: vault::seal(
                        data_key,
                        &aad(report_id, &["attachment", &id, "content"]),
                        &a.bytes,
                    )?,
                    id,
                    report_id: report_id.to_owned(),
                    at: millis(at),
                    ordinal: ordinal as i64,
                })
            })
            .collect()
    }

    /// Stores a new report without clocks (tests and tools that have no policy); see
    /// `create_case_report`.
    pub async fn create_report(
        &self,
        project: &str,
        submission: &ValidSubmission,
        attachments: &[NewAttachment],
        received_at: Timestamp,
    ) -> Result<(ReportId, CaseKey), StoreError> {
        self.create_case_report(
            project,
            submission,
            attachments,
            received_at,
            &postern_core::clock::Clocks::default(),
        )
        .await
    }

    /// Stores a new report with the clocks its policy started; returns only once it is
    /// durably committed.
    pub async fn create_case_report(
        &self,
        project: &str,
        submission: &ValidSubmission,
        attachments: &[NewAttachment],
        received_at: Timestamp,
        clocks: &postern_core::clock::Clocks,
    ) -> Result<(ReportId, CaseKey), StoreError> {
        self.create_encrypted_report(project, submission, attachments, received_at, clocks, None)
            .await
    }

    /// Stores a report like `create_case_report`; when it came as an OpenPGP message, with how
    /// it arrived (`report_openpgp`, audited as `report.encrypted`) and the public key the
    /// reporter gave (sealed), in the same transaction.
    pub async fn create_encrypted_report(
        &self,
        project: &str,
        submission: &ValidSubmission,
        attachments: &[NewAttachment],
        received_at: Timestamp,
        clocks: &postern_core::clock::Clocks,
        encrypted: Option<(&openpgp::EncryptedArrival, Option<&[u8]>)>,
    ) -> Result<(ReportId, CaseKey), StoreError> {
        let id = ReportId::from_random(vault::random_bytes::<REPORT_ID_BYTES>()?);
        let case_key = CaseKey::from_random(vault::random_bytes::<CASE_KEY_BYTES>()?);
        let (extra, events) = match encrypted {
            Some((arrival, reporter_key)) => {
                let (insert, audit) =
                    self.arrival_write(id.as_str(), arrival, reporter_key, received_at)?;
                (vec![insert], vec![audit])
            }
            None => (Vec::new(), Vec::new()),
        };
        self.insert_report_keyed(
            &id,
            &case_key,
            project,
            submission,
            attachments,
            received_at,
            clocks,
            postern_core::policy::ChannelKind::WebForm,
            extra,
            events,
        )
        .await?;
        Ok((id, case_key))
    }

    /// Stores a report a team member recorded from a channel Postern does not serve, received
    /// when the reporter wrote: its `report.received` event (at that moment, `channel=` the
    /// channel) and a `report.recorded` event naming who entered it, when, and whether the
    /// reporter was handed a case key, in one transaction. Returns the case key only when one
    /// is to be handed over; otherwise nobody ever holds it.
    pub async fn record_report(
        &self,
        recording: &Recording<'_>,
        submission: &ValidSubmission,
        attachments: &[NewAttachment],
        clocks: &postern_core::clock::Clocks,
    ) -> Result<(ReportId, Option<CaseKey>), StoreError> {
        let id = ReportId::from_random(vault::random_bytes::<REPORT_ID_BYTES>()?);
        let case_key = CaseKey::from_random(vault::random_bytes::<CASE_KEY_BYTES>()?);
        let audit = write::event(
            recording.recorded_at,
            recording.recorded_by,
            "report.recorded",
            Some(id.as_str()),
            format!(
                "channel={} received_at={} case_key={}",
                recording.channel.name(),
                recording.received_at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
                if recording.give_case_key {
                    "given"
                } else {
                    "none"
                }
            ),
        );
        self.insert_report_keyed(
            &id,
            &case_key,
            recording.project,
            submission,
            attachments,
            recording.received_at,
            clocks,
            recording.channel,
            Vec::new(),
            vec![audit],
        )
        .await?;
        Ok((id, recording.give_case_key.then_some(case_key)))
    }

    /// Stores a report nobody gets a case key for (made from mail), with statements and audit
    /// events committed with it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_report(
        &self,
        id: &ReportId,
        project: &str,
        submission: &ValidSubmission,
        attachments: &[NewAttachment],
        received_at: Timestamp,
        clocks: &postern_core::clock::Clocks,
        channel: postern_core::policy::ChannelKind,
        extra: Vec<write::Stmt>,
        events: Vec<write::EventParts>,
    ) -> Result<(), StoreError> {
        let case_key = mail::unused_case_key()?;
        self.insert_report_keyed(
            id,
            &case_key,
            project,
            submission,
            attachments,
            received_at,
            clocks,
            channel,
            extra,
            events,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_report_keyed(
        &self,
        id: &ReportId,
        case_key: &CaseKey,
        project: &str,
        submission: &ValidSubmission,
        attachments: &[NewAttachment],
        received_at: Timestamp,
        clocks: &postern_core::clock::Clocks,
        channel: postern_core::policy::ChannelKind,
        extra: Vec<write::Stmt>,
        events: Vec<write::EventParts>,
    ) -> Result<(), StoreError> {
        if attachments.len() > ATTACHMENTS_PER_REPORT_MAX {
            return Err(StoreError::Limit(format!(
                "a report may have at most {ATTACHMENTS_PER_REPORT_MAX} attachments"
            )));
        }
        let data_key = Zeroizing::new(vault::random_bytes::<{ vault::KEY_BYTES }>()?);
        let (key_id, wrapped_key) = self.vault.wrap(id.as_str(), &*data_key)?;
        // The contact is sealed apart, so that it can be erased while the report stays.
        let content = Content {
            fields: submission.fields.clone(),
            scope_category: submission.scope_category.clone(),
            contact_email: None,
            credit_name: None,
        };
        let contact = self.seal_contact(
            id.as_str(),
            &privacy::ContactCard {
                contact_email: submission.contact_email.clone(),
                credit_name: submission.credit_name.clone(),
            },
        )?;
        let plain = Zeroizing::new(
            serde_json::to_vec(&content).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let row = ReportRow {
            id: id.to_string(),
            project: project.to_owned(),
            case_key_hash: self.vault.case_key_hash(case_key.canonical_bytes()),
            status: ReportStatus::Received.name(),
            received_at: millis(received_at),
            key_id,
            wrapped_key,
            content: vault::seal(&*data_key, &aad(id.as_str(), &["content"]), &plain)?,
            title: seal_title(id.as_str(), &*data_key, &submission.fields)?,
            contact,
            clocks: team::clocks_json(clocks)?,
            next_due_at: team::due_millis(clocks),
            fingerprint: self.fingerprint(submission),
            watches: jobs::deadline_watch(
                project,
                id.as_str(),
                0,
                clocks,
                received_at,
                &self.reminder_leads(),
            )
            .into_iter()
            .collect(),
            channel: channel.name(),
            extra,
            events,
        };
        let attachment_rows =
            self.seal_attachments(id.as_str(), &*data_key, received_at, attachments)?;
        self.write(WriteOp::Report(Box::new(row), attachment_rows))
            .await?;
        Ok(())
    }

    /// Finds the report a case key opens, checking the id too where the caller gives one.
    /// A wrong key and a missing report give the same `NotFound`.
    async fn locate(
        &self,
        id: Option<&ReportId>,
        case_key: &CaseKey,
    ) -> Result<(ReportId, Zeroizing<Vec<u8>>, LocatedRow), StoreError> {
        let hash = self.vault.case_key_hash(case_key.canonical_bytes());
        let sql = "SELECT id, project, status, received_at, key_id, wrapped_key, content, clocks FROM reports WHERE case_key_hash = $1";
        let row = on_db!(&self.db, pool => {
            let row = sqlx::query(sql).bind(&hash).fetch_optional(pool).await?;
            row.map(|r| -> Result<LocatedRow, sqlx::Error> {
                Ok(LocatedRow {
                    id: r.try_get("id")?,
                    project: r.try_get("project")?,
                    status: r.try_get("status")?,
                    received_at: r.try_get("received_at")?,
                    key_id: r.try_get("key_id")?,
                    wrapped_key: r.try_get("wrapped_key")?,
                    content: r.try_get("content")?,
                    clocks: r.try_get("clocks")?,
                })
            })
            .transpose()?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        let found =
            ReportId::parse(&row.id).ok_or_else(|| StoreError::Corrupt("report id".into()))?;
        if id.is_some_and(|wanted| *wanted != found) {
            return Err(StoreError::NotFound);
        }
        let data_key = self.vault.unwrap(&row.id, &row.key_id, &row.wrapped_key)?;
        Ok((found, data_key, row))
    }

    /// The reporter's view of their report.
    pub async fn reporter_view(
        &self,
        id: Option<&ReportId>,
        case_key: &CaseKey,
    ) -> Result<ReporterView, StoreError> {
        let (id, data_key, row) = self.locate(id, case_key).await?;
        let content = self.open_content(&id, &data_key, &row.content).await?;
        let privacy = self.privacy_state(&id).await?;
        let (messages, attachments) = self.conversation(&id, &data_key).await?;
        let disclosure: Option<(String, Option<i64>, Option<i64>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, publish_at, published_at FROM advisories WHERE report_id = $1 ORDER BY modified_at DESC, id DESC LIMIT 1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("publish_at")?, r.try_get("published_at")?)))
                .transpose()?
        });
        let disclosure = match disclosure {
            Some((advisory, scheduled, published)) => Some(Disclosure {
                advisory: postern_core::advisory::AdvisoryId::parse(&advisory)
                    .ok_or_else(|| StoreError::Corrupt("advisory id".into()))?,
                scheduled_for: scheduled.map(from_millis).transpose()?,
                published_at: published.map(from_millis).transpose()?,
            }),
            None => None,
        };
        let terms = self.disclosure_terms(&id).await?;
        let erasure_requests = self.erasure_requests(&id).await?;
        Ok(ReporterView {
            privacy,
            erasure_requests,
            disclosure,
            terms,
            status: ReportStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt("status".into()))?,
            received_at: from_millis(row.received_at)?,
            project: row.project,
            submission: ValidSubmission {
                fields: content.fields,
                scope_category: content.scope_category,
                contact_email: content.contact_email,
                credit_name: content.credit_name,
            },
            messages,
            attachments,
            clocks: serde_json::from_str(&row.clocks)
                .map_err(|_| StoreError::Corrupt("clocks".into()))?,
            id,
        })
    }

    /// The conversation and attachment list of a report, opened with its data key.
    pub(crate) async fn conversation(
        &self,
        id: &ReportId,
        data_key: &[u8],
    ) -> Result<(Vec<Message>, Vec<AttachmentInfo>), StoreError> {
        let message_rows: Vec<(String, String, i64, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, author, at, body FROM messages WHERE report_id = $1 ORDER BY at, id")
                .bind(id.as_str())
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("author")?, r.try_get("at")?, r.try_get("body")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let mut messages = Vec::with_capacity(message_rows.len());
        for (mid, author, at, body) in message_rows {
            let body = vault::open(data_key, &aad(id.as_str(), &["message", &mid]), &body)?;
            messages.push(Message {
                author: Author::parse(&author)
                    .ok_or_else(|| StoreError::Corrupt("author".into()))?,
                at: from_millis(at)?,
                body: String::from_utf8(body.to_vec())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            });
        }
        let attachment_rows: Vec<(String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, meta FROM attachments WHERE report_id = $1 ORDER BY at, ordinal")
                .bind(id.as_str())
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("meta")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let attachments = attachment_rows
            .into_iter()
            .map(|(aid, meta)| {
                let meta = vault::open(
                    data_key,
                    &aad(id.as_str(), &["attachment", &aid, "meta"]),
                    &meta,
                )?;
                serde_json::from_slice(&meta).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect::<Result<Vec<AttachmentInfo>, StoreError>>()?;
        Ok((messages, attachments))
    }

    /// One attachment's metadata and bytes, opened with its report's data key.
    pub(crate) async fn open_attachment(
        &self,
        id: &ReportId,
        data_key: &[u8],
        attachment_id: &str,
    ) -> Result<(AttachmentInfo, Zeroizing<Vec<u8>>), StoreError> {
        let row: Option<(Vec<u8>, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT meta, content FROM attachments WHERE report_id = $1 AND id = $2")
                .bind(id.as_str()).bind(attachment_id).fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("meta")?, r.try_get("content")?))).transpose()?
        });
        let (meta, content) = row.ok_or(StoreError::NotFound)?;
        let meta = vault::open(
            data_key,
            &aad(id.as_str(), &["attachment", attachment_id, "meta"]),
            &meta,
        )?;
        let info = serde_json::from_slice(&meta).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let bytes = vault::open(
            data_key,
            &aad(id.as_str(), &["attachment", attachment_id, "content"]),
            &content,
        )?;
        Ok((info, bytes))
    }

    /// The keyed similarity fingerprint of a submission, for duplicate suggestions.
    pub(crate) fn fingerprint(&self, submission: &ValidSubmission) -> Option<Vec<u8>> {
        let text: Vec<&str> = submission.fields.iter().map(|(_, v)| v.as_str()).collect();
        let print = similarity::Fingerprint::of(
            &self.vault.derived_key(SIMILARITY_KEY_PURPOSE),
            &text.join("\n"),
        );
        (!print.is_empty()).then(|| print.to_bytes())
    }

    /// Adds a message from the reporter to their conversation.
    pub async fn add_reporter_message(
        &self,
        id: Option<&ReportId>,
        case_key: &CaseKey,
        body: &str,
        at: Timestamp,
    ) -> Result<ReportId, StoreError> {
        let (id, data_key, located) = self.locate(id, case_key).await?;
        let count: i64 = on_db!(&self.db, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM messages WHERE report_id = $1")
                .bind(id.as_str()).fetch_one(pool).await?.try_get("n")?
        });
        if count >= MESSAGES_PER_REPORT_MAX as i64 {
            return Err(StoreError::Limit(format!(
                "this conversation has reached {MESSAGES_PER_REPORT_MAX} messages"
            )));
        }
        let mid = random_id()?;
        let row = MessageRow {
            body: vault::seal(
                &data_key,
                &aad(id.as_str(), &["message", &mid]),
                body.as_bytes(),
            )?,
            id: mid,
            report_id: id.to_string(),
            project: located.project,
            author: Author::Reporter.name(),
            at: millis(at),
        };
        self.write(WriteOp::Message(row)).await?;
        Ok(id)
    }

    /// Adds attachments from the reporter.
    pub async fn add_reporter_attachments(
        &self,
        id: Option<&ReportId>,
        case_key: &CaseKey,
        attachments: &[NewAttachment],
        at: Timestamp,
    ) -> Result<Vec<AttachmentInfo>, StoreError> {
        let (id, data_key, _) = self.locate(id, case_key).await?;
        let count: i64 = on_db!(&self.db, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM attachments WHERE report_id = $1")
                .bind(id.as_str()).fetch_one(pool).await?.try_get("n")?
        });
        if count as usize + attachments.len() > ATTACHMENTS_PER_REPORT_MAX {
            return Err(StoreError::Limit(format!(
                "a report may have at most {ATTACHMENTS_PER_REPORT_MAX} attachments; it has {count}"
            )));
        }
        let rows = self.seal_attachments(id.as_str(), &data_key, at, attachments)?;
        let infos = attachments
            .iter()
            .zip(&rows)
            .map(|(a, r)| AttachmentInfo {
                id: r.id.clone(),
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                size: a.bytes.len() as u64,
            })
            .collect();
        self.write(WriteOp::Attachments(rows)).await?;
        Ok(infos)
    }

    /// An attachment's metadata and bytes, for its reporter.
    pub async fn reporter_attachment(
        &self,
        id: Option<&ReportId>,
        case_key: &CaseKey,
        attachment_id: &str,
    ) -> Result<(AttachmentInfo, Zeroizing<Vec<u8>>), StoreError> {
        let (id, data_key, _) = self.locate(id, case_key).await?;
        self.open_attachment(&id, &data_key, attachment_id).await
    }

    /// Checks the whole audit chain, reading it in batches. `Ok((events, head hash))` when
    /// intact; `Err(AuditCheck::Broken)` names the first event edited, removed or reordered.
    pub async fn verify_audit(&self) -> Result<(u64, [u8; 32]), AuditCheck> {
        self.verify_audit_against(None).await
    }

    /// `verify_audit`, and holds the log to a checkpoint taken earlier (`audit_checkpoint`):
    /// a log cut short of it or rewritten before it fails (`ChainBreak::Truncated`,
    /// `ChainBreak::Diverged`).
    pub async fn verify_audit_against(
        &self,
        checkpoint: Option<postern_core::audit::Checkpoint>,
    ) -> Result<(u64, [u8; 32]), AuditCheck> {
        let mut verifier = checkpoint.map_or_else(
            postern_core::audit::Verifier::default,
            postern_core::audit::Verifier::against,
        );
        on_db!(&self.db, pool => backup::walk_audit!(pool, &mut verifier));
        verifier.end().map_err(AuditCheck::Broken)
    }

    /// The audit log's state now, to be kept where the database cannot rewrite it: the event
    /// count and the newest event's hash (seqs run from 1 without gaps, so the newest seq is
    /// the count). One indexed read; the chain itself is walked by `verify_audit`.
    pub async fn audit_checkpoint(
        &self,
        now: Timestamp,
    ) -> Result<postern_core::audit::Checkpoint, StoreError> {
        let newest: Option<(i64, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                .fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("seq")?, r.try_get("hash")?)))
                .transpose()?
        });
        let (events, head) = match newest {
            None => (0, postern_core::audit::GENESIS),
            Some((seq, hash)) => (
                seq as u64,
                hash.try_into()
                    .map_err(|_| StoreError::Corrupt("an audit hash is not 32 bytes".into()))?,
            ),
        };
        Ok(postern_core::audit::Checkpoint {
            events,
            head,
            at: now,
        })
    }

    /// The audit events about one report, oldest first (for the team's timeline).
    pub async fn report_events(&self, id: &ReportId) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = on_db!(&self.db, pool => {
            sqlx::query("SELECT seq, at, actor, action, report_id, detail FROM audit_events WHERE report_id = $1 ORDER BY seq")
                .bind(id.as_str()).fetch_all(pool).await?
                .into_iter()
                .map(|r| audit_event_from_row(&r))
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        Ok(rows)
    }

    /// The newest `limit` audit events about one report, oldest first, and whether older ones
    /// were left out (for a timeline that stays bounded however often a report is opened).
    pub async fn recent_report_events(
        &self,
        id: &ReportId,
        limit: usize,
    ) -> Result<(Vec<AuditEvent>, bool), StoreError> {
        let mut rows = on_db!(&self.db, pool => {
            sqlx::query("SELECT seq, at, actor, action, report_id, detail FROM audit_events WHERE report_id = $1 ORDER BY seq DESC LIMIT $2")
                .bind(id.as_str()).bind(limit as i64 + 1).fetch_all(pool).await?
                .into_iter()
                .map(|r| audit_event_from_row(&r))
                .collect::<Result<Vec<_>, StoreError>>()?
        });
        let more = rows.len() > limit;
        rows.truncate(limit);
        rows.reverse();
        Ok((rows, more))
    }

    /// How many reports are stored.
    pub async fn count_reports(&self) -> Result<u64, StoreError> {
        let n: i64 = on_db!(&self.db, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM reports").fetch_one(pool).await?.try_get("n")?
        });
        Ok(n as u64)
    }

    /// Re-wraps every report's data key under a new master key. Serving instances keep working:
    /// they notice the changed keyring before their next write, and re-read it when they meet a
    /// key id they do not know.
    ///
    /// The key that was active until now stays in the keyring until the next rotation, because an
    /// instance may still be committing a write it sealed with it; keys superseded by an earlier
    /// rotation are removed when no row uses them. Returns (new key id, rows re-wrapped, keys
    /// removed).
    pub async fn rotate_master_key(&self) -> Result<(String, u64, Vec<String>), StoreError> {
        // Waiting for another rotation blocks: do it off the async threads.
        let vault = Arc::clone(&self.vault);
        let _rotation = tokio::task::spawn_blocking(move || vault.lock_for_rotation())
            .await
            .map_err(|_| StoreError::Keyring("the rotation lock task failed".into()))??;
        self.vault.reload()?;
        let previously_active = self.vault.active_key_id();
        let superseded: Vec<String> = self
            .vault
            .key_ids()
            .into_iter()
            .filter(|id| *id != previously_active)
            .collect();
        let new_id = self.vault.add_master_key()?;
        let mut rewrapped = 0u64;
        loop {
            let batch: Vec<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
                sqlx::query("SELECT id, key_id, wrapped_key FROM reports WHERE key_id <> $1 ORDER BY id LIMIT 500")
                    .bind(&new_id).fetch_all(pool).await?
                    .into_iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("key_id")?, r.try_get("wrapped_key")?)))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            if batch.is_empty() {
                break;
            }
            for (id, key_id, wrapped) in batch {
                let data_key = self.vault.unwrap(&id, &key_id, &wrapped)?;
                let (wrapped_id, new_wrapped) = self.vault.wrap(&id, &data_key)?;
                debug_assert_eq!(wrapped_id, new_id);
                let updated = on_db!(&self.db, pool => {
                    sqlx::query("UPDATE reports SET key_id = $1, wrapped_key = $2 WHERE id = $3 AND key_id = $4")
                        .bind(&wrapped_id).bind(&new_wrapped).bind(&id).bind(&key_id)
                        .execute(pool).await?.rows_affected()
                });
                rewrapped += updated;
            }
        }
        // Team accounts' second-factor secrets are wrapped the same way.
        let users: Vec<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, totp_key_id, totp_secret FROM users WHERE totp_key_id IS NOT NULL AND totp_key_id <> $1")
                .bind(&new_id).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("totp_key_id")?, r.try_get("totp_secret")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        for (user_id, key_id, wrapped) in users {
            let aad_id = format!("user:{user_id}");
            let secret = self.vault.unwrap(&aad_id, &key_id, &wrapped)?;
            let (wrapped_id, new_wrapped) = self.vault.wrap(&aad_id, &secret)?;
            on_db!(&self.db, pool => {
                sqlx::query("UPDATE users SET totp_key_id = $1, totp_secret = $2 WHERE id = $3 AND totp_key_id = $4")
                    .bind(&wrapped_id).bind(&new_wrapped).bind(&user_id).bind(&key_id)
                    .execute(pool).await?;
            });
        }
        // Advisories too: a draft is as secret as its report.
        let advisories: Vec<(String, String, Vec<u8>)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, key_id, wrapped_key FROM advisories WHERE key_id <> $1")
                .bind(&new_id).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("key_id")?, r.try_get("wrapped_key")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        for (advisory, key_id, wrapped) in advisories {
            let aad_id = format!("advisory:{advisory}");
            let data_key = self.vault.unwrap(&aad_id, &key_id, &wrapped)?;
            let (wrapped_id, new_wrapped) = self.vault.wrap(&aad_id, &data_key)?;
            on_db!(&self.db, pool => {
                sqlx::query("UPDATE advisories SET key_id = $1, wrapped_key = $2 WHERE id = $3 AND key_id = $4")
                    .bind(&wrapped_id).bind(&new_wrapped).bind(&advisory).bind(&key_id)
                    .execute(pool).await?;
            });
        }
        // Webhooks' addresses and signing secrets as well.
        self.rewrap_webhooks(&new_id).await?;
        // Projects' OpenPGP secret keys and reporters' public keys.
        let openpgp_still_used = self.rewrap_project_keys(&new_id).await?;
        // So are the messages taken from the mailbox.
        let mail_still_used = self.rewrap_inbound_mail(&new_id).await?;
        // And the reporters' contact keys.
        let contacts_still_used = self.rewrap_contact_keys(&new_id).await?;
        // Subscribers' and early-access addresses are sealed under the master key too.
        let lists_still_used = self.rewrap_list_addresses(&new_id).await?;
        let still_used: i64 = on_db!(&self.db, pool => {
            sqlx::query("SELECT (SELECT COUNT(*) FROM reports WHERE key_id <> $1) + (SELECT COUNT(*) FROM users WHERE totp_key_id IS NOT NULL AND totp_key_id <> $1) + (SELECT COUNT(*) FROM advisories WHERE key_id <> $1) + (SELECT COUNT(*) FROM webhooks WHERE key_id <> $1) AS n")
                .bind(&new_id).fetch_one(pool).await?.try_get("n")?
        });
        let removed = if still_used
            + lists_still_used
            + mail_still_used
            + contacts_still_used
            + openpgp_still_used
            == 0
            && !superseded.is_empty()
        {
            self.vault.remove_master_keys(&superseded)?;
            superseded
        } else {
            Vec::new()
        };
        Ok((new_id, rewrapped, removed))
    }

    /// Closes the pools after the writer has drained.
    pub async fn close(&self) {
        on_db!(&self.db, pool => pool.close().await);
    }
}

/// Copies the SQLite WAL into the database file from a reading connection, so that the
/// writer's commits never wait for a checkpoint (a PASSIVE checkpoint does what it can without
/// blocking the writer or readers; the WAL starts over once it is all copied): once
/// `CHECKPOINT_COMMITS_MIN` commits have gathered, or `CHECKPOINT_IDLE_MAX` after the first
/// one. Ends when the pool is closed.
fn checkpoint_beside(pool: SqlitePool, commits: Arc<std::sync::atomic::AtomicU64>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut copied = 0;
        let mut waiting_since: Option<tokio::time::Instant> = None;
        loop {
            ticks.tick().await;
            if pool.is_closed() {
                return;
            }
            let now_committed = commits.load(std::sync::atomic::Ordering::Relaxed);
            let pending = now_committed - copied;
            if pending == 0 {
                continue;
            }
            let since = *waiting_since.get_or_insert_with(tokio::time::Instant::now);
            if pending < CHECKPOINT_COMMITS_MIN && since.elapsed() < CHECKPOINT_IDLE_MAX {
                continue;
            }
            copied = now_committed;
            waiting_since = None;
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(%error, "the WAL checkpoint failed; it is tried again");
            }
        }
    });
}

struct LocatedRow {
    id: String,
    project: String,
    status: String,
    received_at: i64,
    key_id: String,
    wrapped_key: Vec<u8>,
    content: Vec<u8>,
    clocks: String,
}
