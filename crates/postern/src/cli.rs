//! Command-line arguments. Raw arguments are parsed here; each subcommand validates its own.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Postern: a self-hosted vulnerability disclosure and response platform.
#[derive(Debug, Parser)]
#[command(name = "postern", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Check or render a policy file.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Write a commented starter policy file.
    Init(InitArgs),
    /// Manage the keys that encrypt reports at rest.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Check the tamper-evident audit log, or print a checkpoint of it.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the database (and, only with --with-keyring, the keyring) into a directory while
    /// servers keep running.
    Backup(BackupArgs),
    /// Restore a backup made by `postern backup` into an empty data directory or database.
    Restore(RestoreArgs),
    /// Manage team accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Work on reports from the terminal: the same actions as the team's web pages.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Write, publish and export advisories.
    #[command(subcommand)]
    Advisory(AdvisoryCommand),
    /// Print the hall of fame (named credits of published advisories, by year).
    Credits(CreditsArgs),
    /// See and retry the outbox's jobs (the mail `serve` sends).
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Tell Slack, Discord or any HTTPS endpoint about a project's new reports and messages.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Manage who receives embargoed advisories before publication (a project's early-access
    /// list; the policy's `[updates.early_access] days_before` says how early).
    #[command(subcommand, name = "early-access")]
    EarlyAccess(EarlyAccessCommand),
    /// The email channel: take a message from an MTA's pipe, decide on what waits in screening.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Dependency and code scanning: import a scanner's report, list the findings.
    #[command(subcommand)]
    Scan(ScanCommand),
    /// API tokens for automation (a CI job importing scans): create, list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
}

/// `postern token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token scoped to projects and actions; prints it once (only its SHA-256 is
    /// stored). A CI job sends it as `Authorization: Bearer pst_...`.
    Create(TokenCreateArgs),
    /// List tokens (never their values): projects, scopes, expiry, revocation.
    List(TokenListArgs),
    /// Revoke a token: it stops working at once.
    Revoke(TokenRevokeArgs),
}

/// Options of `postern token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// What it is for, such as "CI of acme/api".
    #[arg(long)]
    pub name: String,
    /// The projects it may act on (slugs, comma-separated or repeated).
    #[arg(long = "project", value_delimiter = ',', required = true)]
    pub projects: Vec<String>,
    /// The actions it may take, comma-separated: scans:write (import scanner reports).
    #[arg(long = "scope", value_delimiter = ',', default_value = "scans:write")]
    pub scopes: Vec<String>,
    /// Days until it expires (1 to 365).
    #[arg(long, default_value_t = 90)]
    pub days: i64,
    /// Policies, storage and who acts.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern token list`.
#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Policies, storage and who acts.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern token revoke`.
#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id, as `postern token list` shows it.
    pub id: String,
    /// Policies, storage and who acts.
    #[command(flatten)]
    pub context: ReportContext,
}

/// `postern scan ...`
#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// Import a scanner's report (Trivy JSON, pip-audit, cargo-audit, osv-scanner, npm audit
    /// 7+, Dependabot alerts as GraphQL JSON, SARIF 2.1.0; told apart by content) for a
    /// product and version: prints how many findings are new, unchanged, closed (fixed) and
    /// reopened. Importing the same report again changes nothing.
    Import(ScanImportArgs),
    /// List findings, most urgent first (open ones by fix deadline).
    List(ScanListArgs),
}

/// Options of `postern scan import`.
#[derive(Debug, Args)]
pub struct ScanImportArgs {
    /// The report file (`-` reads standard input).
    pub file: PathBuf,
    /// The project (slug).
    #[arg(long)]
    pub project: String,
    /// The product scanned, such as `api` or `web-image`.
    #[arg(long)]
    pub product: String,
    /// The version or ref scanned (a release line such as `2.4`, or a branch such as
    /// `main`): imports of one product and version reconcile with each other, and the
    /// policy's supported versions decide whether it is still supported.
    #[arg(long)]
    pub version: String,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
    /// Policies, storage and who acts.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern scan list`.
#[derive(Debug, Args)]
pub struct ScanListArgs {
    /// Only this project (slug).
    #[arg(long)]
    pub project: Option<String>,
    /// Only this severity: critical, high, medium, low or unknown.
    #[arg(long)]
    pub severity: Option<String>,
    /// Only this state: open, fixed, accepted-risk or false-positive.
    #[arg(long)]
    pub state: Option<String>,
    /// Only packages whose name contains this.
    #[arg(long)]
    pub package: Option<String>,
    /// Only open findings past their fix deadline.
    #[arg(long)]
    pub overdue: bool,
    /// Most findings listed.
    #[arg(long, default_value_t = 200)]
    pub limit: usize,
    /// Policies, storage and who acts.
    #[command(flatten)]
    pub context: ReportContext,
}

/// `postern mail ...`
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Read one RFC 5322 message on stdin (an MTA's pipe delivery, fetchmail's mda) and take it:
    /// as a report, a reply to one, or an item for screening. Exit 0 when stored, 75
    /// (EX_TEMPFAIL) when the MTA should try again, 65 (EX_DATAERR) for a message that can
    /// never be taken; the reason on stderr.
    Ingest(MailIngestArgs),
    /// Messages that wait for a person (bounces, auto-replies, mail for no known address, ...).
    #[command(subcommand)]
    Screening(ScreeningCommand),
}

/// Options of `postern mail ingest`.
#[derive(Debug, Args)]
pub struct MailIngestArgs {
    /// Data and policies (the policies' `email` channels route the message).
    #[command(flatten)]
    pub context: ReportContext,
}

/// `postern mail screening ...`
#[derive(Debug, Subcommand)]
pub enum ScreeningCommand {
    /// List what waits (or, with --state, what was decided).
    List(ScreeningListArgs),
    /// Show one message: sender, subject, text, attachments, why it waits (audited).
    Show(ScreeningIdArgs),
    /// Make it a report, received when the message was.
    Report(ScreeningIdArgs),
    /// File it as not a security report; --reply sends the sender the polite answer.
    File(ScreeningFileArgs),
    /// Discard it as spam.
    Discard(ScreeningIdArgs),
    /// Write the original message to stdout (admins; audited).
    Original(ScreeningIdArgs),
}

/// Options of `postern mail screening list`.
#[derive(Debug, Args)]
pub struct ScreeningListArgs {
    /// screening (default), report, reply, filed or discarded.
    #[arg(long, default_value = "screening")]
    pub state: String,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub limit: i64,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// An item of screening.
#[derive(Debug, Args)]
pub struct ScreeningIdArgs {
    /// The item's id (from `postern mail screening list`).
    pub id: String,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern mail screening file`.
#[derive(Debug, Args)]
pub struct ScreeningFileArgs {
    /// The item's id.
    pub id: String,
    /// Send the sender the polite "not a security report" answer.
    #[arg(long)]
    pub reply: bool,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// `postern webhook ...`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add a webhook to a project; prints its id and, for a generic webhook, its signing
    /// secret (shown once).
    Add(WebhookAddArgs),
    /// List webhooks (addresses shown as scheme and host only).
    List(WebhookListArgs),
    /// Remove a webhook.
    Remove(WebhookIdArgs),
    /// Send a test delivery through the outbox (a running `serve` sends it).
    Test(WebhookIdArgs),
}

/// Kinds of webhooks.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WebhookKindArg {
    /// A Slack incoming webhook.
    Slack,
    /// A Discord channel webhook.
    Discord,
    /// Any endpoint: JSON events signed per the Standard Webhooks specification.
    Generic,
}

/// Options of `postern webhook add`.
#[derive(Debug, Args)]
pub struct WebhookAddArgs {
    /// The project (slug).
    #[arg(long)]
    pub project: String,
    /// Where it posts.
    #[arg(long, value_enum)]
    pub kind: WebhookKindArg,
    /// The URL to post to (https). It is a secret for Slack and Discord: prefer the
    /// environment variable, a command line is visible to other users.
    #[arg(long, env = "POSTERN_WEBHOOK_URL", hide_env_values = true)]
    pub url: String,
    /// What it is told about, comma-separated: new_report, reporter_message, case_update.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "new_report,reporter_message"
    )]
    pub events: Vec<String>,
    /// Who does this, for the audit log.
    #[arg(long = "as", env = "POSTERN_ACTOR")]
    pub actor: Option<String>,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// `postern early-access ...`
#[derive(Debug, Subcommand)]
pub enum EarlyAccessCommand {
    /// Add an address to a project's early-access list.
    Add(EarlyAccessAddArgs),
    /// List the early-access addresses of one project or all.
    List(EarlyAccessListArgs),
    /// Remove an address from a project's early-access list.
    Remove(EarlyAccessRemoveArgs),
}

/// Options of `postern early-access add`.
#[derive(Debug, Args)]
pub struct EarlyAccessAddArgs {
    /// The address, such as security@debian.org.
    pub email: String,
    /// The project's slug.
    #[arg(long)]
    pub project: String,
    /// Who it is, such as "Debian security team" (shown in the mail).
    #[arg(long)]
    pub name: Option<String>,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `postern webhook list`.
#[derive(Debug, Args)]
pub struct WebhookListArgs {
    /// Only this project (slug).
    #[arg(long)]
    pub project: Option<String>,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `postern early-access list`.
#[derive(Debug, Args)]
pub struct EarlyAccessListArgs {
    /// Only this project's list.
    #[arg(long)]
    pub project: Option<String>,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// A webhook's id and the context.
#[derive(Debug, Args)]
pub struct WebhookIdArgs {
    /// The webhook's id, as `postern webhook list` shows it.
    pub id: String,
    /// Who does this, for the audit log.
    #[arg(long = "as", env = "POSTERN_ACTOR")]
    pub actor: Option<String>,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `postern early-access remove`.
#[derive(Debug, Args)]
pub struct EarlyAccessRemoveArgs {
    /// The address.
    pub email: String,
    /// The project's slug.
    #[arg(long)]
    pub project: String,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// `postern jobs ...`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first: id, state, kind, attempts, when due, report, last error.
    List(JobsListArgs),
    /// Try a dead job again (from now on, with all its attempts).
    Retry(JobRetryArgs),
}

/// Options of `postern jobs list`.
#[derive(Debug, Args)]
pub struct JobsListArgs {
    /// Only the jobs that were given up.
    #[arg(long)]
    pub dead: bool,
    /// List at most this many, the newest (1 to 500); the listing says when it stopped there.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub limit: u16,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `postern jobs retry`.
#[derive(Debug, Args)]
pub struct JobRetryArgs {
    /// The job's id, as `postern jobs list` shows it.
    pub id: String,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `postern credits`.
#[derive(Debug, Args)]
pub struct CreditsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: CreditsFormat,
    /// Only this project (slug).
    #[arg(long)]
    pub project: Option<String>,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Formats of `postern credits`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CreditsFormat {
    /// Markdown for release notes and CONTRIBUTORS.md.
    Markdown,
}

/// Formats of `postern advisory export`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// OSV JSON.
    Osv,
    /// CSAF 2.0 JSON.
    Csaf,
    /// CVE JSON 5.1 record (needs a CVE id among the aliases).
    Cve,
}

/// `postern advisory ...`
#[derive(Debug, Subcommand)]
pub enum AdvisoryCommand {
    /// Draft an advisory from an accepted report, save it, and print it as JSON to edit and
    /// import again.
    Draft(AdvisoryDraftArgs),
    /// Save an advisory from a JSON file (new, or an edit of a draft or published one).
    Import(AdvisoryImportArgs),
    /// Publish a saved advisory now (before the disclosure date agreed with the reporter,
    /// only with --reason, which the reporter is told).
    Publish(AdvisoryPublishArgs),
    /// Set when a saved advisory publishes itself (the end of the embargo); `serve` does it.
    Schedule(AdvisoryScheduleArgs),
    /// Print a saved advisory as OSV, CSAF 2.0 or CVE JSON 5.
    Export(AdvisoryExportArgs),
    /// List published advisories.
    List(ReportContext),
    /// Write every published advisory as an OSV file into a directory (one `ID.json` each),
    /// the layout OSV tooling imports.
    ExportOsv(ExportOsvArgs),
}

/// Options of `postern advisory export-osv`.
#[derive(Debug, Args)]
pub struct ExportOsvArgs {
    /// The directory to write (created if missing).
    #[arg(long)]
    pub dir: PathBuf,
    /// Only this project (slug).
    #[arg(long)]
    pub project: Option<String>,
    /// Where the instance is served (links in the documents).
    #[arg(
        long,
        env = "POSTERN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern advisory draft`.
#[derive(Debug, Args)]
pub struct AdvisoryDraftArgs {
    /// The report to draft from.
    #[arg(long = "from-report")]
    pub report: String,
    /// Write the JSON here instead of printing it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern advisory import`.
#[derive(Debug, Args)]
pub struct AdvisoryImportArgs {
    /// The advisory as JSON (the fields of postern-core's Advisory).
    pub file: PathBuf,
    /// The report it describes.
    #[arg(long)]
    pub report: Option<String>,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern advisory publish`.
#[derive(Debug, Args)]
pub struct AdvisoryPublishArgs {
    /// The advisory's id, such as ACME-2026-0001.
    pub id: String,
    /// Why it is published before the disclosure date agreed with the reporter (required
    /// then; the reporter is told).
    #[arg(long)]
    pub reason: Option<String>,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern advisory schedule`.
#[derive(Debug, Args)]
pub struct AdvisoryScheduleArgs {
    /// The advisory's id.
    pub id: String,
    /// When, as RFC 3339 (2026-12-01T09:00:00Z). Default: the policy's default embargo from
    /// now. Never beyond the policy's maximum embargo.
    #[arg(long)]
    pub at: Option<String>,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern advisory export`.
#[derive(Debug, Args)]
pub struct AdvisoryExportArgs {
    /// The advisory's id.
    pub id: String,
    /// Which format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Where the instance is served (links in the documents).
    #[arg(
        long,
        env = "POSTERN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Roles of team accounts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Manages accounts, and everything a triager does.
    Admin,
    /// Acts on reports.
    Triager,
    /// Reads reports.
    Viewer,
}

/// `postern user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account and print its one-time setup link and code (valid 24 hours).
    Add(UserAddArgs),
    /// Print a new setup code for an account: its password and second factor are replaced
    /// when it is used, and its sessions end now.
    Reset(UserEmailArgs),
    /// List the accounts.
    List(StorageArgs),
}

/// Options of `postern user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The member's email address (their sign-in name).
    pub email: String,
    /// What they may do.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// A project (slug) they may see; repeat for several. Without it, every project.
    #[arg(long = "project")]
    pub projects: Vec<String>,
    /// Where the instance is served, for the printed link.
    #[arg(
        long,
        env = "POSTERN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// Who does this, for the audit log.
    #[arg(long = "as", env = "POSTERN_ACTOR")]
    pub actor: Option<String>,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options naming one account.
#[derive(Debug, Args)]
pub struct UserEmailArgs {
    /// The account's email address.
    pub email: String,
    /// Where the instance is served, for the printed link.
    #[arg(
        long,
        env = "POSTERN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// Who does this, for the audit log.
    #[arg(long = "as", env = "POSTERN_ACTOR")]
    pub actor: Option<String>,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// What every report command needs: the data, the policies, and who acts.
#[derive(Debug, Args, Clone)]
pub struct ReportContext {
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Policy files of the projects, as given to `serve`.
    #[arg(long = "policy", env = "POSTERN_POLICY", value_delimiter = ',')]
    pub policies: Vec<PathBuf>,
    /// Who acts, as the audit log records it (default: cli:$USER).
    #[arg(long = "as", env = "POSTERN_ACTOR")]
    pub actor: Option<String>,
}

/// `postern report ...`
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The work queue: open reports, next deadline first.
    List(ReportListArgs),
    /// One report: contents, deadlines, conversation, notes, timeline (audited as a view).
    Show(ReportIdArgs),
    /// Record a report that came through another channel of the policy (a chat, a pull
    /// request, a call...), so that its deadlines run from when the reporter wrote.
    Add(ReportAddArgs),
    /// Acknowledge receipt.
    Ack(ReportIdArgs),
    /// Accept with a severity (from a CVSS vector, or chosen), or close without a fix.
    Triage(TriageArgs),
    /// Start work on a fix.
    Fix(ReportIdArgs),
    /// Mark fixed in the given versions.
    Fixed(FixedArgs),
    /// Mark disclosed (the advisory is public).
    Disclose(ReportIdArgs),
    /// Close a fixed or disclosed report as resolved.
    Close(ReportIdArgs),
    /// Write to the reporter.
    Message(TextArgs),
    /// Add an internal note the reporter never sees.
    Note(TextArgs),
    /// Assign the report to a team member (an enabled triager or admin of its project), or
    /// to nobody.
    Assign(AssignArgs),
    /// Give a deadline more time, with a reason.
    Extend(ExtendArgs),
    /// Pause a deadline, with a reason.
    Pause(ClockArgs),
    /// Resume a paused deadline, with a reason.
    Resume(ClockArgs),
    /// Erase a report's contact (address and credit name) or its contents (fields,
    /// conversation, attachments, notes) for good, by destroying the key that seals them.
    /// Admins; refused while a legal hold stands; erasing twice is harmless. Dates, state,
    /// deadlines, the published advisory and the audit log stay.
    Erase(EraseArgs),
    /// Put a report under legal hold until a date: retention and erasure leave it alone until
    /// then. A new hold replaces the one before.
    Hold(HoldArgs),
}

/// Options of `postern report erase`.
#[derive(Debug, Args)]
pub struct EraseArgs {
    /// The report's id.
    pub id: String,
    /// What to erase: contact or contents.
    #[arg(long)]
    pub what: String,
    /// Why (kept in the audit log for good: say why, never who).
    #[arg(long)]
    pub reason: String,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern report hold`.
#[derive(Debug, Args)]
pub struct HoldArgs {
    /// The report's id.
    pub id: String,
    /// Why (kept in the audit log).
    #[arg(long)]
    pub reason: String,
    /// The last day of the hold, YYYY-MM-DD (held through that day, UTC).
    #[arg(long)]
    pub until: String,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern report list`.
#[derive(Debug, Args)]
pub struct ReportListArgs {
    /// Only this project (slug).
    #[arg(long)]
    pub project: Option<String>,
    /// Which states: open (the default: all but closed), all, or one of received,
    /// acknowledged, triaged, fixing, fixed, disclosed, closed. Open states list next deadline
    /// first; closed and all, newest first.
    #[arg(long)]
    pub status: Option<String>,
    /// Only this severity.
    #[arg(long)]
    pub severity: Option<String>,
    /// Only reports with a deadline past its limit.
    #[arg(long)]
    pub overdue: bool,
    /// Only reports assigned to this member (their email), or "nobody" for unassigned ones.
    #[arg(long)]
    pub assignee: Option<String>,
    /// The order: deadline, newest, oldest or severity (default: the states' own).
    #[arg(long)]
    pub sort: Option<String>,
    /// At most this many.
    #[arg(long, default_value = "50")]
    pub limit: usize,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern report add`.
#[derive(Debug, Args)]
pub struct ReportAddArgs {
    /// The channel it came through: one the project's policy names other than its web form
    /// (email, chat, github-advisories, pull-request, issue-tracker, phone).
    #[arg(long)]
    pub channel: String,
    /// When the reporter wrote, which every deadline counts from: 2026-11-30T09:12:00Z, or
    /// "2026-11-30 10:12" in the policy's time zone. Not in the future.
    #[arg(long = "received-at", value_name = "TIME")]
    pub received_at: String,
    /// The project (slug); the default project when left out.
    #[arg(long)]
    pub project: Option<String>,
    /// The report as JSON with the keys of the API's POST /api/v1/reports body (fields,
    /// scope_category, contact_email, credit_name, attachments); "-" reads standard input.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// A field of the project's form as ID=VALUE, such as title="XSS in search"; repeat for
    /// each; replaces the same field of --file.
    #[arg(long = "field", value_name = "ID=VALUE")]
    pub fields: Vec<String>,
    /// A file the reporter sent; repeat for each.
    #[arg(long = "attach", value_name = "PATH")]
    pub attach: Vec<PathBuf>,
    /// Where the reporter wants to be told of news (needs --case-key unless the channel is
    /// email).
    #[arg(long = "contact-email")]
    pub contact_email: Option<String>,
    /// The name to credit the reporter under.
    #[arg(long = "credit-name")]
    pub credit_name: Option<String>,
    /// Hand the reporter a case key to follow the report on /track (printed only now).
    #[arg(long = "case-key")]
    pub case_key: bool,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// A report id and the context.
#[derive(Debug, Args)]
pub struct ReportIdArgs {
    /// The report's id.
    pub id: String,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern report triage`.
#[derive(Debug, Args)]
pub struct TriageArgs {
    /// The report's id.
    pub id: String,
    /// Accept as a vulnerability.
    #[arg(long, conflicts_with = "close")]
    pub accept: bool,
    /// Close without a fix: out-of-scope, duplicate, informative, not-reproducible, spam.
    #[arg(long)]
    pub close: Option<String>,
    /// CVSS v3.1 or v4.0 vector; the severity follows its score.
    #[arg(long)]
    pub cvss: Option<String>,
    /// Severity (critical, high, medium, low), when not from the vector or to override it.
    #[arg(long)]
    pub severity: Option<String>,
    /// Why the severity differs from the score.
    #[arg(long)]
    pub reason: Option<String>,
    /// The original, when closing as duplicate.
    #[arg(long)]
    pub duplicate_of: Option<String>,
    /// The policy's out-of-scope category, when closing as out of scope.
    #[arg(long)]
    pub category: Option<String>,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern report fixed`.
#[derive(Debug, Args)]
pub struct FixedArgs {
    /// The report's id.
    pub id: String,
    /// Versions that contain the fix, comma-separated.
    #[arg(long, required = true)]
    pub versions: String,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// A report id and a text.
#[derive(Debug, Args)]
pub struct TextArgs {
    /// The report's id.
    pub id: String,
    /// The text.
    pub text: String,
    /// This message is the detailed plan the policy promises (messages only).
    #[arg(long)]
    pub plan: bool,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern report assign`.
#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The report's id.
    pub id: String,
    /// The member's email; without it, the report is assigned to nobody.
    pub to: Option<String>,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern report extend`.
#[derive(Debug, Args)]
pub struct ExtendArgs {
    /// The report's id.
    pub id: String,
    /// Which deadline: acknowledge, assess, plan, update, fix, release, disclose.
    #[arg(long)]
    pub clock: String,
    /// How much longer, such as "3 days" or "2 business days".
    #[arg(long)]
    pub by: String,
    /// Why (recorded in the audit log).
    #[arg(long)]
    pub reason: String,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern report pause|resume`.
#[derive(Debug, Args)]
pub struct ClockArgs {
    /// The report's id.
    pub id: String,
    /// Which deadline.
    #[arg(long)]
    pub clock: String,
    /// Why (recorded in the audit log).
    #[arg(long)]
    pub reason: String,
    /// Data, policies and actor.
    #[command(flatten)]
    pub context: ReportContext,
}

/// `postern audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain: exit 0 when intact, 1 naming the first event edited, removed or
    /// reordered (or, with --checkpoint, the log cut short or rewritten since that checkpoint).
    Verify(AuditVerifyArgs),
    /// Print a checkpoint of the log as JSON (event count, head hash, time): keep copies where
    /// the database cannot reach, and check the log against them with `verify --checkpoint`.
    Checkpoint(StorageArgs),
}

/// Options of `postern audit verify`.
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// A checkpoint kept earlier (the JSON of `postern audit checkpoint` or of
    /// /audit/checkpoint): the log must still hold its events, ending in its head hash.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `postern backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A new or empty directory for the backup.
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    /// Also write the keyring (keyring.json, mode 0600) into the backup. Whoever holds it can
    /// read every report in the backup: without this flag, back the keyring up apart.
    #[arg(long)]
    pub with_keyring: bool,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `postern restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The directory `postern backup --to` wrote.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// Where to restore: an empty data directory (SQLite), or with --database an empty
    /// PostgreSQL database.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Where Postern keeps its data; shared by `serve` and the admin commands.
#[derive(Debug, Args, Clone)]
pub struct StorageArgs {
    /// Directory for Postern's data (SQLite database, keyring).
    #[arg(long, env = "POSTERN_DATA", default_value = "postern-data")]
    pub data: PathBuf,
    /// Database URL: sqlite:PATH or postgres://USER@HOST/DB. Default: SQLite in --data.
    #[arg(long, env = "POSTERN_DATABASE")]
    pub database: Option<String>,
}

/// `postern key ...`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Re-wrap every report's key under a new master key, while servers keep running.
    Rotate(StorageArgs),
    /// A project's OpenPGP key: reporters encrypt to it (found by Web Key Directory and
    /// security.txt), Postern signs with it.
    #[command(subcommand)]
    Openpgp(OpenpgpCommand),
}

/// `postern key openpgp ...`
#[derive(Debug, Subcommand)]
pub enum OpenpgpCommand {
    /// Make the project's first key (Ed25519 + Curve25519, for its security address).
    Generate(OpenpgpArgs),
    /// Bring in a key made elsewhere: `gpg --armor --export-secret-keys KEY` without a
    /// passphrase, from FILE or standard input (`-`).
    Import(OpenpgpImportArgs),
    /// Print the project's current public key, armoured (`--secret`: its secret key, for a
    /// backup kept elsewhere; audited).
    Export(OpenpgpExportArgs),
    /// Make a new key and retire the current one, which stays to decrypt what was sent to it.
    Rotate(OpenpgpArgs),
    /// List the project's keys: the current one and the retired ones.
    List(OpenpgpArgs),
}

/// Options of `postern key openpgp generate|rotate|list`.
#[derive(Debug, Args)]
pub struct OpenpgpArgs {
    /// The project (slug).
    #[arg(long)]
    pub project: String,
    /// Storage, policies and who acts.
    #[command(flatten)]
    pub context: ReportContext,
}

/// Options of `postern key openpgp import`.
#[derive(Debug, Args)]
pub struct OpenpgpImportArgs {
    /// The armoured (or binary) secret key, or `-` for standard input.
    pub file: PathBuf,
    /// Retire the project's current key (otherwise a project with a key refuses another).
    #[arg(long)]
    pub rotate: bool,
    /// The project and the rest.
    #[command(flatten)]
    pub key: OpenpgpArgs,
}

/// Options of `postern key openpgp export`.
#[derive(Debug, Args)]
pub struct OpenpgpExportArgs {
    /// Print the secret key instead (admins' backup; keep it offline).
    #[arg(long)]
    pub secret: bool,
    /// The project and the rest.
    #[command(flatten)]
    pub key: OpenpgpArgs,
}

/// How `serve` writes its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object a line.
    Json,
}

/// Options of `postern serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "POSTERN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the data lives.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Policy file of a project; repeat for several projects. The first is the default project.
    /// Without any, Postern serves a built-in example policy. In the environment, separate
    /// several files with commas.
    #[arg(long = "policy", env = "POSTERN_POLICY", value_delimiter = ',')]
    pub policies: Vec<PathBuf>,
    /// Public address of this instance, such as https://security.example.org, used in
    /// security.txt (Canonical, Policy, the report form). Defaults to http://LISTEN.
    #[arg(long, env = "POSTERN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Submissions (reports, messages, attachments, proposed dates) one client address may make
    /// per hour.
    #[arg(long, env = "POSTERN_SUBMISSIONS_PER_HOUR", default_value = "60")]
    pub submissions_per_hour: std::num::NonZeroU32,
    /// How many of those may come in a burst.
    #[arg(long, env = "POSTERN_SUBMISSION_BURST", default_value = "10")]
    pub submission_burst: std::num::NonZeroU32,
    /// Case-key look-ups (opening a case on /track or by the API, downloading its files) one
    /// client address may make per hour, apart from its submissions.
    #[arg(long, env = "POSTERN_LOOKUPS_PER_HOUR", default_value = "600")]
    pub lookups_per_hour: std::num::NonZeroU32,
    /// How many of those may come in a burst.
    #[arg(long, env = "POSTERN_LOOKUP_BURST", default_value = "60")]
    pub lookup_burst: std::num::NonZeroU32,
    /// A report form sent back sooner than this many seconds after it was shown is taken for a
    /// bot (the person is asked to send it again, their text kept).
    #[arg(long, env = "POSTERN_FORM_MIN_SECONDS", default_value = "3")]
    pub form_min_seconds: u16,
    /// Address of a reverse proxy whose X-Forwarded-For header names the client (repeat for
    /// several). Without it the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "POSTERN_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Whether admins and triagers must sign in with a second factor (TOTP).
    #[arg(
        long,
        env = "POSTERN_REQUIRE_SECOND_FACTOR",
        default_value = "true",
        action = clap::ArgAction::Set
    )]
    pub require_second_factor: bool,
    /// Email of the first admin, whose setup code `serve` prints while no account is set up.
    #[arg(long, env = "POSTERN_ADMIN_EMAIL", default_value = "admin@localhost")]
    pub admin_email: String,
    /// Run the demo: a year of made-up reports, advisories, credits and statistics in a
    /// database of its own (`postern-demo` unless --data names another), three example
    /// projects unless --policy names others, and a team account whose password is printed.
    /// Never point it at real data.
    #[arg(long)]
    pub demo: bool,
    /// Serve /metrics (Prometheus text format), /healthz and /readyz on this address, apart
    /// from the public listener; without it there is no /metrics.
    #[arg(long, env = "POSTERN_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// How the log on standard error reads: `text` for people, `json` (one object a line)
    /// for log collectors.
    #[arg(long, env = "POSTERN_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// The mail server for notices to the team and to reporters:
    /// smtp://USER:PASSWORD@HOST:PORT (STARTTLS required), smtps://... (TLS), or
    /// smtp://127.0.0.1:PORT?tls=none (plain, for a relay on this machine). Prefer the
    /// environment variable: a command line is visible to other users. Without it, no mail is
    /// sent.
    #[arg(long, env = "POSTERN_SMTP_URL", hide_env_values = true, value_parser = smtp_url_arg)]
    pub smtp_url: Option<crate::mail::SmtpUrlArg>,
    /// The sender of notices, such as security@example.org (needed with --smtp-url).
    #[arg(long, env = "POSTERN_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// How long the first retry of a failed job waits, in milliseconds; each further retry
    /// waits about twice as long (with jitter), at most 6 hours.
    #[arg(long, env = "POSTERN_JOB_RETRY_BASE_MS", default_value = "30000")]
    pub job_retry_base_ms: std::num::NonZeroU32,
    /// How long before each promised deadline the project's team is reminded by mail, such as
    /// "24h,2h" (a lead as long as the promise itself is skipped). When a deadline passes, the
    /// project's admins are told.
    #[arg(
        long,
        env = "POSTERN_REMINDER_LEADS",
        value_delimiter = ',',
        default_value = "24h,2h",
        value_parser = reminder_lead
    )]
    pub reminder_leads: Vec<jiff::SignedDuration>,
    /// Let webhooks post to private, loopback, link-local and other non-public addresses, and
    /// over plain http (a receiver on this machine or network). Off by default: a webhook URL
    /// could otherwise reach services behind the firewall.
    #[arg(long, env = "POSTERN_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,
    /// Reading reports from a mailbox.
    #[command(flatten)]
    pub imap: ImapArgs,
}

/// The mailbox that reports mailed to the security address arrive in (IMAP).
#[derive(Debug, Args)]
pub struct ImapArgs {
    /// The mailbox to fetch reports from: imaps://USER@HOST[:PORT]/MAILBOX (TLS),
    /// imap://USER@HOST[:PORT]/MAILBOX (STARTTLS required), or imap://USER@127.0.0.1:PORT/MAILBOX?tls=none
    /// (plain, for a server on this machine). USER may be percent-encoded (me%40example.org);
    /// MAILBOX defaults to INBOX. No password here: it comes from POSTERN_IMAP_PASSWORD or
    /// --imap-password-file.
    #[arg(long = "imap-url", env = "POSTERN_IMAP_URL", value_parser = ImapUrlParser)]
    pub url: Option<crate::mail_in::ImapUrl>,
    /// A file holding the IMAP password alone (readable by its owner only), instead of
    /// POSTERN_IMAP_PASSWORD.
    #[arg(long = "imap-password-file", env = "POSTERN_IMAP_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// What becomes of a message once stored: flag (it stays, with the keyword
    /// $PosternTaken), move:FOLDER (flagged and moved there, FOLDER created if missing) or
    /// delete.
    #[arg(
        long = "imap-after",
        env = "POSTERN_IMAP_AFTER",
        default_value = "flag"
    )]
    pub after: crate::mail_in::After,
    /// How often the mailbox is searched for new mail when the server offers no IDLE.
    #[arg(
        long = "imap-poll-seconds",
        env = "POSTERN_IMAP_POLL_SECONDS",
        default_value = "60",
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub poll_seconds: u64,
}

/// Parses `--imap-url` with an error that does not repeat the value: clap's own message
/// would, and someone may have written a password into it (which is refused).
#[derive(Debug, Clone, Copy)]
struct ImapUrlParser;

impl clap::builder::TypedValueParser for ImapUrlParser {
    type Value = crate::mail_in::ImapUrl;

    fn parse_ref(
        &self,
        command: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let refuse = |message: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("--imap-url (POSTERN_IMAP_URL): {message}\n"),
            )
            .with_cmd(command)
        };
        let text = value
            .to_str()
            .ok_or_else(|| refuse("the IMAP URL is not valid UTF-8".into()))?;
        text.parse().map_err(refuse)
    }
}

/// A reminder lead such as "24h", "90m" or "1h 30m".
fn reminder_lead(text: &str) -> Result<jiff::SignedDuration, String> {
    match text.trim().parse::<jiff::SignedDuration>() {
        Ok(lead) if lead.is_positive() => Ok(lead),
        _ => Err(format!(
            "{text:?} is not a lead time; write one such as 24h, 90m or 1h 30m"
        )),
    }
}

/// Never fails: clap repeats a value it refuses, and this one may hold a password. `serve`
/// parses it, with errors that do not repeat it.
fn smtp_url_arg(text: &str) -> Result<crate::mail::SmtpUrlArg, std::convert::Infallible> {
    Ok(crate::mail::SmtpUrlArg(text.to_owned()))
}

/// `postern policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file: exit 0 when valid, 1 when not; findings on stderr as FILE:LINE:COL.
    Check(CheckArgs),
    /// Render a policy file as SECURITY.md, security.txt or JSON on stdout.
    Render(RenderArgs),
}

/// Options of `postern policy check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The policy file (TOML).
    pub file: PathBuf,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Output formats of `postern policy render`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RenderFormat {
    /// SECURITY.md for the repository.
    SecurityMd,
    /// RFC 9116 security.txt.
    SecurityTxt,
    /// The checked policy as JSON, for other tools.
    Json,
}

/// Options of `postern policy render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The policy file (TOML).
    pub file: PathBuf,
    /// What to produce.
    #[arg(long, value_enum, default_value = "security-md")]
    pub format: RenderFormat,
    /// Public address where Postern serves this project, to fill Canonical, Policy and the
    /// report form's address.
    #[arg(long)]
    pub public_url: Option<String>,
}

/// Options of `postern init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the policy.
    #[arg(long, short, default_value = "postern-policy.toml")]
    pub output: PathBuf,
    /// Project name.
    #[arg(long)]
    pub name: Option<String>,
    /// Security contact email address.
    #[arg(long)]
    pub email: Option<String>,
    /// Project home page or repository (https).
    #[arg(long)]
    pub url: Option<String>,
    /// Never ask questions, even in a terminal.
    #[arg(long)]
    pub no_input: bool,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}
