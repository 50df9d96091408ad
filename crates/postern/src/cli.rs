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
    /// Check the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// `postern audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain: exit 0 when intact, 1 naming the first event edited, removed or
    /// reordered.
    Verify(StorageArgs),
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
    /// Submissions (reports, messages, tracking look-ups) one client address may make per hour.
    #[arg(long, env = "POSTERN_SUBMISSIONS_PER_HOUR", default_value = "60")]
    pub submissions_per_hour: std::num::NonZeroU32,
    /// How many of those may come in a burst.
    #[arg(long, env = "POSTERN_SUBMISSION_BURST", default_value = "10")]
    pub submission_burst: std::num::NonZeroU32,
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
