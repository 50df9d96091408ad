//! The IMAP fetcher: takes the messages mailed to a project's security address out of a mailbox
//! and hands each, once, to a handler that stores it (as a report, a reply or a screening item).
//!
//! What makes it once: a message is marked with the keyword `$PosternTaken` (`UID STORE
//! +FLAGS.SILENT`) only after the handler said it is stored durably (`Disposition::Stored`) or
//! kept where the team sees it (`Disposition::Never`); the mailbox is searched for `UNKEYWORD
//! $PosternTaken`. A crash between the handler's commit and the flag hands the message over again
//! after the restart, so delivery is at least once and the handler recognises what it already
//! stored. A `Disposition::Retry` leaves the message untouched; this process asks again after a
//! per-message backoff (`ImapOptions::retry_min` doubling to `retry_max`), and the other
//! messages go on meanwhile. Reading is `BODY.PEEK[]`, so nothing becomes `\Seen` by being read.
//! After taking a message, `--imap-after` may move it (`UID MOVE`, or `UID COPY` + `\Deleted` +
//! expunge where MOVE is not offered) or delete it; a message flagged but not yet moved or deleted
//! (a crash in between) is moved or deleted at the next connection.
//!
//! Sizes: each round first asks for the `RFC822.SIZE` of the messages it will take. A message
//! over `ImapOptions::message_bytes_max` is handed over with its header only (at most
//! `HEADER_BYTES_MAX` bytes of it, `BODY.PEEK[HEADER]<0.N>`), `Fetched::headers_only` set and
//! `Fetched::size_bytes` saying how big it was: the handler can still tell the team that a report
//! arrived and was too large, instead of the fetcher dropping it silently or holding it in memory.
//!
//! Waiting: IDLE where the server offers it (re-issued at least every `IDLE_REFRESH_MAX`, within
//! the 29 minutes RFC 2177 allows), else polling every `ImapOptions::poll`. Every connection
//! error reconnects after a capped exponential pause; a refused login, a mailbox that does not
//! exist or a mailbox that cannot keep keywords ends `run` with an error, since retrying cannot
//! fix the configuration.
//!
//! Secrets: the password is only in a zeroizing `Secret`, sent in LOGIN and nowhere else; the
//! URL cannot hold one (it is refused), errors and logs name the host, the port and the user,
//! and are scrubbed of the password besides. async-imap traces every command and answer through
//! `log` at trace level; the workspace builds `log` with `max_level_debug`, so those records do
//! not exist in Postern's binary (a test checks the level). Message contents are never logged:
//! `Fetched`'s Debug shows the uid and the size only.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::error::Error as ImapError;
use async_imap::imap_proto::{Response, Status};
use async_imap::types::{Capabilities, Capability, Fetch, Flag};
use futures_util::TryStreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, timeout};
use zeroize::Zeroizing;

/// The keyword that marks a message as taken: stored by the handler, or kept as an item the
/// team sees. Never fetched again.
pub const TAKEN: &str = "$PosternTaken";
/// The mailbox read when the URL names none.
pub const DEFAULT_MAILBOX: &str = "INBOX";
/// The port of `imaps://` (TLS from the first byte) when the URL names none.
pub const IMAPS_PORT: u16 = 993;
/// The port of `imap://` (STARTTLS, or plain on loopback) when the URL names none.
pub const IMAP_PORT: u16 = 143;
/// The longest an IDLE lasts before it is ended and issued again (RFC 2177: servers may log a
/// client out after 30 minutes without a command).
pub const IDLE_REFRESH_MAX: Duration = Duration::from_secs(25 * 60);
/// Connecting, and the TLS handshake, may take this long each.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// The answer to one command (other than fetching a message) may take this long.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Fetching one message may take this long (25 MiB at 1 Mbit/s takes 210 s).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(300);
/// While stopping, the server's answer to DONE or LOGOUT is awaited this long at most.
pub const STOP_GRACE: Duration = Duration::from_secs(5);
/// Messages larger than this (the server's RFC822.SIZE) are handed over with their header only,
/// unless `ImapOptions::message_bytes_max` says otherwise. Common mail servers refuse larger
/// messages anyway.
pub const MESSAGE_BYTES_MAX_DEFAULT: u32 = 25 * 1024 * 1024;
/// The most of a header fetched for a message over the size limit.
pub const HEADER_BYTES_MAX: u32 = 256 * 1024;
/// The most messages one round takes before it searches again (the rest follow at once).
pub const ROUND_MESSAGES_MAX: usize = 500;
/// The longest IMAP URL accepted.
pub const URL_BYTES_MAX: usize = 2048;
/// The longest text quoted from a server or a library error in our own errors.
const QUOTED_CHARS_MAX: usize = 300;

/// How the connection to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `imaps://`: TLS from the first byte.
    Implicit,
    /// `imap://`: STARTTLS, required (a server that refuses it is not logged in to).
    StartTls,
    /// `imap://...?tls=none`: plain text, allowed only to a loopback address.
    None,
}

/// Where the reports are fetched from: `imaps://USER@HOST[:PORT]/MAILBOX`, `imap://...` (STARTTLS)
/// or `imap://...?tls=none` (plain, loopback only). USER may be percent-encoded (`me%40example.org`).
/// There is no password in it: a URL with one is refused. Display and Debug show the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapUrl {
    tls: Tls,
    user: String,
    host: String,
    port: u16,
    mailbox: String,
}

impl ImapUrl {
    /// How the connection is protected.
    pub fn tls(&self) -> Tls {
        self.tls
    }

    /// The user logged in as (decoded).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The server's name or address (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The mailbox read (`INBOX` unless the URL names another).
    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }
}

const URL_FORM: &str = "write imaps://USER@HOST[:PORT]/MAILBOX";

impl FromStr for ImapUrl {
    type Err = String;

    /// The error names what is wrong and never repeats the input (it may hold a password).
    fn from_str(text: &str) -> Result<ImapUrl, String> {
        if text.len() > URL_BYTES_MAX {
            return Err(format!(
                "the IMAP URL is longer than {URL_BYTES_MAX} bytes; {URL_FORM}"
            ));
        }
        let url = url::Url::parse(text.trim())
            .map_err(|e| format!("the IMAP URL does not parse ({e}); {URL_FORM}"))?;
        let implicit = match url.scheme() {
            "imaps" => true,
            "imap" => false,
            _ => {
                return Err(
                    "the IMAP URL must start with imaps:// (TLS) or imap:// (STARTTLS)".into(),
                );
            }
        };
        if url.password().is_some() {
            return Err("the IMAP URL holds a password: take it out of the URL and give it in POSTERN_IMAP_PASSWORD or in a file named by --imap-password-file (a URL shows in process lists and logs)".into());
        }
        let mut tls = if implicit {
            Tls::Implicit
        } else {
            Tls::StartTls
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "none") if !implicit => tls = Tls::None,
                ("tls", "none") => {
                    return Err(
                        "tls=none contradicts imaps://; write imap://...?tls=none for plain text"
                            .into(),
                    );
                }
                // The value is not repeated: someone may have put a password there.
                (key, _) => {
                    return Err(format!(
                        "unknown IMAP URL option {key:?}; the one option is tls=none (plain text, for a server on this machine)"
                    ));
                }
            }
        }
        if url.fragment().is_some() {
            return Err(format!("the IMAP URL has a #fragment; {URL_FORM}"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("the IMAP URL names no host; {URL_FORM}"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let user = crate::mail::percent_decode(url.username())
            .ok_or("the IMAP user in the URL is not valid percent-encoded UTF-8")?;
        if user.is_empty() {
            return Err(format!("the IMAP URL names no user; {URL_FORM}"));
        }
        if user.chars().any(char::is_control) {
            return Err("the IMAP user in the URL holds a control character".into());
        }
        let mailbox = crate::mail::percent_decode(url.path().trim_start_matches('/'))
            .ok_or("the mailbox in the IMAP URL is not valid percent-encoded UTF-8")?;
        let mailbox = if mailbox.is_empty() {
            DEFAULT_MAILBOX.to_owned()
        } else {
            check_mailbox_name(&mailbox).map_err(|e| format!("the mailbox in the IMAP URL {e}"))?;
            mailbox
        };
        if tls == Tls::None && !is_loopback(&host) {
            return Err(format!(
                "tls=none sends the password in plain text, so it is allowed only for a server on this machine (a loopback address such as 127.0.0.1), and {host} is not one; use imaps:// or imap:// (STARTTLS)"
            ));
        }
        let port = match url.port() {
            Some(0) => return Err("the IMAP URL names port 0".into()),
            Some(port) => port,
            None if implicit => IMAPS_PORT,
            None => IMAP_PORT,
        };
        Ok(ImapUrl {
            tls,
            user,
            host,
            port,
            mailbox,
        })
    }
}

/// Whether a mailbox name can be sent as is. Names beyond ASCII are written in IMAP's modified
/// UTF-7 (RFC 3501 5.1.3), which is what servers list; async-imap does not encode them.
fn check_mailbox_name(name: &str) -> Result<(), String> {
    if !name.is_ascii() {
        return Err("must be ASCII: write other names as the server lists them, in IMAP's modified UTF-7 (such as Entw&APw-rfe)".into());
    }
    if name.chars().any(|c| c.is_ascii_control()) {
        return Err("holds a control character".into());
    }
    Ok(())
}

/// `localhost` or a loopback address (127.0.0.0/8, ::1).
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Percent-encodes what would change the meaning of a URL part.
fn url_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'%' | b'@' | b':' | b'/' | b'?' | b'#' | b'[' | b']' | b' ' | 0..0x20 | 0x7f.. => {
                out.push_str(&format!("%{byte:02X}"));
            }
            _ => out.push(char::from(byte)),
        }
    }
    out
}

impl fmt::Display for ImapUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls == Tls::Implicit {
            "imaps"
        } else {
            "imap"
        };
        write!(f, "{scheme}://{}@", url_part(&self.user))?;
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        write!(f, ":{}/{}", self.port, url_part(&self.mailbox))?;
        if self.tls == Tls::None {
            f.write_str("?tls=none")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ImapUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImapUrl({self})")
    }
}

/// What becomes of a message once it is taken (`--imap-after`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// `flag`: it stays in the mailbox with the keyword `$PosternTaken`.
    Flag,
    /// `move:FOLDER`: flagged, then moved to FOLDER (created if missing).
    Move(String),
    /// `delete`: flagged, then deleted and expunged.
    Delete,
}

impl FromStr for After {
    type Err = String;

    fn from_str(text: &str) -> Result<After, String> {
        match text {
            "flag" => Ok(After::Flag),
            "delete" => Ok(After::Delete),
            _ => match text.strip_prefix("move:") {
                Some("") => Err("move: needs a folder, such as move:Postern".into()),
                Some(folder) => {
                    check_mailbox_name(folder).map_err(|e| format!("the folder of move: {e}"))?;
                    Ok(After::Move(folder.to_owned()))
                }
                None => {
                    Err("what becomes of a message taken is flag, move:FOLDER or delete".into())
                }
            },
        }
    }
}

impl fmt::Display for After {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            After::Flag => f.write_str("flag"),
            After::Move(folder) => write!(f, "move:{folder}"),
            After::Delete => f.write_str("delete"),
        }
    }
}

/// A password, wiped from memory when dropped, never shown by Debug.
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Holds `text` as a secret.
    pub fn new(text: String) -> Secret {
        Secret(Zeroizing::new(text))
    }

    /// The password itself, to send in LOGIN.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What the handler says about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Committed durably, or recognised as already stored: flag it, never fetch it again.
    Stored,
    /// A temporary failure (why): leave the message untouched and try again after a pause.
    Retry(String),
    /// Not stored as such, but kept as an item the team sees (why): flag it, never fetch it
    /// again.
    Never(String),
}

/// One message as fetched.
pub struct Fetched {
    /// Its UID in the mailbox (stable while the mailbox's UIDVALIDITY is).
    pub uid: u32,
    /// The RFC 5322 message as stored on the server; its header only when `headers_only`.
    pub raw: Vec<u8>,
    /// When the server received it (INTERNALDATE), if it said.
    pub internal_date: Option<jiff::Timestamp>,
    /// Its size on the server (RFC822.SIZE), also when only its header was fetched.
    pub size_bytes: u32,
    /// It was larger than `ImapOptions::message_bytes_max`: `raw` is its header only (at most
    /// `HEADER_BYTES_MAX` bytes, possibly cut).
    pub headers_only: bool,
}

impl fmt::Debug for Fetched {
    /// Never the message's contents: Debug output may reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("uid", &self.uid)
            .field("raw_bytes", &self.raw.len())
            .field("internal_date", &self.internal_date)
            .field("size_bytes", &self.size_bytes)
            .field("headers_only", &self.headers_only)
            .finish()
    }
}

/// What the fetcher is doing, for a status display and for tests that must know when it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connecting and logging in.
    Connecting,
    /// Searching and taking messages.
    Fetching,
    /// In IDLE: the server tells of new mail.
    Idling,
    /// Waiting for the next poll (the server offers no IDLE, or `ImapOptions::idle` is off).
    Polling,
    /// Waiting before connecting again after an error.
    Backoff,
}

/// How the fetcher works; `ImapOptions::default()` is what `serve` uses unless told otherwise.
#[derive(Debug, Clone)]
pub struct ImapOptions {
    /// What becomes of a message once taken.
    pub after: After,
    /// How often the mailbox is searched when not in IDLE.
    pub poll: Duration,
    /// Use IDLE when the server offers it (false forces polling, as for a benchmark).
    pub idle: bool,
    /// How long one IDLE lasts before it is issued again (at most `IDLE_REFRESH_MAX`).
    pub idle_refresh: Duration,
    /// Messages over this size (RFC822.SIZE) are handed over with their header only.
    pub message_bytes_max: u32,
    /// The first pause after a message's `Retry`; each further one doubles, up to `retry_max`.
    pub retry_min: Duration,
    /// The longest pause between two attempts at one message.
    pub retry_max: Duration,
    /// The first pause before connecting again; doubles up to `reconnect_max`, and starts over
    /// once a connection reached the mailbox.
    pub reconnect_min: Duration,
    /// The longest pause before connecting again.
    pub reconnect_max: Duration,
    /// Certificate authorities trusted besides the system's (a private CA; tests).
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// Told each `Phase` the fetcher enters.
    pub phase: Option<watch::Sender<Phase>>,
}

impl Default for ImapOptions {
    fn default() -> ImapOptions {
        ImapOptions {
            after: After::Flag,
            poll: Duration::from_secs(60),
            idle: true,
            idle_refresh: IDLE_REFRESH_MAX,
            message_bytes_max: MESSAGE_BYTES_MAX_DEFAULT,
            retry_min: Duration::from_secs(30),
            retry_max: Duration::from_secs(60 * 60),
            reconnect_min: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(5 * 60),
            extra_roots: Vec::new(),
            phase: None,
        }
    }
}

/// Fetches the messages of `url`'s mailbox not yet taken, hands each to `handler`, and marks it
/// taken when the handler stored it or kept it (`Disposition`), until `shutdown` holds `true`
/// (or its sender is dropped). A message in the handler's hands is finished, and flagged, before
/// `run` returns. Connection errors are logged (host, port, error) and retried after a capped
/// exponential pause; `Err` only when retrying cannot help (login refused, no such mailbox, a
/// mailbox that cannot keep the keyword). The password appears in no error and no log line.
pub async fn run<H, F>(
    url: &ImapUrl,
    password: &Secret,
    mut handler: H,
    mut shutdown: watch::Receiver<bool>,
    options: ImapOptions,
) -> anyhow::Result<()>
where
    H: FnMut(Fetched) -> F,
    F: Future<Output = Disposition>,
{
    if let After::Move(folder) = &options.after
        && folder == url.mailbox()
    {
        anyhow::bail!(
            "--imap-after move:{folder} names the mailbox read ({}); name another folder",
            url.mailbox()
        );
    }
    let tls = match url.tls() {
        Tls::None => None,
        Tls::Implicit | Tls::StartTls => Some(tls_connector(&options.extra_roots)?),
    };
    let mut fetcher = Fetcher {
        url,
        password,
        options: &options,
        tls,
        retries: Retries::default(),
    };
    let mut pause = options.reconnect_min;
    loop {
        if stopping(&shutdown) {
            return Ok(());
        }
        fetcher.phase(Phase::Connecting);
        let mut reached = false;
        match fetcher
            .session(&mut handler, &mut shutdown, &mut reached)
            .await
        {
            Ok(()) => return Ok(()),
            Err(Failure::Fatal(text)) => {
                let text = redact(&text, password);
                tracing::error!(host = %url.host(), port = url.port(), error = %text, "IMAP: giving up");
                return Err(anyhow::anyhow!(text));
            }
            Err(Failure::Connection(_)) if stopping(&shutdown) => return Ok(()),
            Err(Failure::Connection(text)) => {
                if reached {
                    pause = options.reconnect_min;
                }
                tracing::warn!(
                    host = %url.host(),
                    port = url.port(),
                    error = %redact(&text, password),
                    retry_in_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                    "IMAP: connection failed; connecting again"
                );
                fetcher.phase(Phase::Backoff);
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = stopped(&mut shutdown) => return Ok(()),
                }
                pause = pause.saturating_mul(2).min(options.reconnect_max);
            }
        }
    }
}

/// Why a session ended.
enum Failure {
    /// The configuration is wrong (retrying cannot help): `run` returns it.
    Fatal(String),
    /// The connection or the server failed: connect again after a pause.
    Connection(String),
}

/// How a round of taking messages ended.
enum Round {
    /// Every message found was handled (or waits for its retry).
    Done,
    /// More messages wait than one round takes: search again at once.
    More,
    /// Stopping, between two messages: log out.
    Stopped,
    /// Stopping in the middle of a command: drop the connection.
    Abandoned,
}

/// What the server offers, of what the fetcher uses.
struct Offers {
    idle: bool,
    moves: bool,
    uidplus: bool,
}

impl Offers {
    fn of(capabilities: &Capabilities) -> Offers {
        let has = |name: &str| {
            capabilities
                .iter()
                .any(|c| matches!(c, Capability::Atom(a) if a.eq_ignore_ascii_case(name)))
        };
        Offers {
            idle: has("IDLE"),
            moves: has("MOVE"),
            uidplus: has("UIDPLUS"),
        }
    }
}

type Session = async_imap::Session<Wire>;

struct Fetcher<'a> {
    url: &'a ImapUrl,
    password: &'a Secret,
    options: &'a ImapOptions,
    tls: Option<tokio_rustls::TlsConnector>,
    retries: Retries,
}

impl Fetcher<'_> {
    fn phase(&self, phase: Phase) {
        if let Some(tx) = &self.options.phase {
            tx.send_replace(phase);
        }
    }

    /// One connection: log in, select, take messages and wait, until stopped (`Ok`) or failed.
    /// `reached` is set once the mailbox is open (the reconnect pause then starts over).
    async fn session<H, F>(
        &mut self,
        handler: &mut H,
        shutdown: &mut watch::Receiver<bool>,
        reached: &mut bool,
    ) -> Result<(), Failure>
    where
        H: FnMut(Fetched) -> F,
        F: Future<Output = Disposition>,
    {
        let (mut session, offers) = self.connect().await?;
        self.select(&mut session).await?;
        if let After::Move(folder) = &self.options.after {
            self.ensure_folder(&mut session, folder).await?;
        }
        self.finish_taken(&mut session, &offers).await?;
        *reached = true;
        let idle = self.options.idle && offers.idle;
        tracing::info!(
            url = %self.url,
            after = %self.options.after,
            waiting = if idle { "IDLE" } else { "polling" },
            "IMAP: reading the mailbox"
        );
        loop {
            self.phase(Phase::Fetching);
            match self.round(&mut session, handler, shutdown, &offers).await? {
                Round::More => continue,
                Round::Done => {}
                Round::Stopped => return self.logout(session).await,
                Round::Abandoned => return Ok(()),
            }
            let wait = self.wait_time(idle);
            if idle {
                session = self.idle(session, wait, shutdown).await?;
            } else {
                self.phase(Phase::Polling);
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = stopped(shutdown) => {}
                }
            }
            if stopping(shutdown) {
                return self.logout(session).await;
            }
            if !idle {
                // A server shows a session the mail that arrived since its last command only
                // when it syncs (Dovecot: at the end of a command), so a SEARCH alone would find
                // that mail one poll late. IDLE keeps the session in sync by itself.
                within(COMMAND_TIMEOUT, "NOOP", session.noop()).await?;
            }
        }
    }

    /// Connects, protects the connection as the URL says, reads the greeting and logs in.
    async fn connect(&self) -> Result<(Session, Offers), Failure> {
        let url = self.url;
        let tcp = match timeout(
            CONNECT_TIMEOUT,
            TcpStream::connect((url.host(), url.port())),
        )
        .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(error)) => return Err(Failure::Connection(format!("cannot connect: {error}"))),
            Err(_) => {
                return Err(Failure::Connection(format!(
                    "connecting took over {} s",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        };
        let client = match url.tls() {
            Tls::None => {
                let peer = tcp
                    .peer_addr()
                    .map_err(|e| Failure::Connection(format!("no peer address: {e}")))?;
                if !peer.ip().is_loopback() {
                    return Err(Failure::Fatal(format!(
                        "tls=none is allowed only to a loopback address, and {} is {}",
                        url.host(),
                        peer.ip()
                    )));
                }
                let mut client = async_imap::Client::new(Wire::Plain(tcp));
                greeting(&mut client).await?;
                client
            }
            Tls::Implicit => {
                let mut client =
                    async_imap::Client::new(Wire::Tls(Box::new(self.handshake(tcp).await?)));
                greeting(&mut client).await?;
                client
            }
            Tls::StartTls => {
                let mut plain = async_imap::Client::new(tcp);
                greeting(&mut plain).await?;
                match timeout(
                    COMMAND_TIMEOUT,
                    plain.run_command_and_check_ok("STARTTLS", None),
                )
                .await
                {
                    Ok(Ok(())) => {}
                    Ok(Err(ImapError::No(_) | ImapError::Bad(_))) => {
                        return Err(Failure::Fatal(format!(
                            "{}:{} refused STARTTLS; use imaps:// (TLS from the start), or ?tls=none for a server on this machine",
                            url.host(),
                            url.port()
                        )));
                    }
                    Ok(Err(error)) => {
                        return Err(Failure::Connection(format!(
                            "STARTTLS: {}",
                            describe(&error)
                        )));
                    }
                    Err(_) => return Err(no_answer("STARTTLS", COMMAND_TIMEOUT)),
                }
                // Whatever the server sent before the handshake is dropped with the plain
                // client: nothing said in plain text is believed afterwards.
                async_imap::Client::new(Wire::Tls(Box::new(
                    self.handshake(plain.into_inner()).await?,
                )))
            }
        };
        let login = timeout(
            COMMAND_TIMEOUT,
            client.login_with_capabilities(url.user(), self.password.expose()),
        )
        .await;
        let (mut session, capabilities) = match login {
            Ok(Ok(logged_in)) => logged_in,
            Ok(Err((error, _client))) => return Err(self.login_failure(error)),
            Err(_) => return Err(no_answer("LOGIN", COMMAND_TIMEOUT)),
        };
        let offers = match capabilities {
            Some(capabilities) => Offers::of(&capabilities),
            None => {
                Offers::of(&within(COMMAND_TIMEOUT, "CAPABILITY", session.capabilities()).await?)
            }
        };
        Ok((session, offers))
    }

    async fn handshake(
        &self,
        tcp: TcpStream,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Failure> {
        let connector = self
            .tls
            .as_ref()
            .expect("a connector is made for every URL that asks for TLS");
        let name =
            rustls::pki_types::ServerName::try_from(self.url.host().to_owned()).map_err(|_| {
                Failure::Fatal(format!("{} is not a name TLS can check", self.url.host()))
            })?;
        match timeout(CONNECT_TIMEOUT, connector.connect(name, tcp)).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(error)) => Err(Failure::Connection(format!(
                "TLS failed: {}",
                cut(&error.to_string())
            ))),
            Err(_) => Err(Failure::Connection(format!(
                "the TLS handshake took over {} s",
                CONNECT_TIMEOUT.as_secs()
            ))),
        }
    }

    fn login_failure(&self, error: ImapError) -> Failure {
        let (host, port, user) = (self.url.host(), self.url.port(), self.url.user());
        match error {
            ImapError::No(text) if text.contains("UNAVAILABLE") => Failure::Connection(format!(
                "the server cannot log anyone in now: {}",
                server_words(&text)
            )),
            ImapError::No(text) | ImapError::Bad(text) => Failure::Fatal(format!(
                "the IMAP server {host}:{port} refused the login of {user:?} ({}); check the user in --imap-url and the password in POSTERN_IMAP_PASSWORD or --imap-password-file",
                server_words(&text)
            )),
            ImapError::Validate(_) => Failure::Fatal(
                "the IMAP user or password holds a line break, which LOGIN cannot send".into(),
            ),
            other => Failure::Connection(format!("LOGIN: {}", describe(&other))),
        }
    }

    /// Opens the mailbox; checks that it keeps the keyword when that is all that marks a
    /// message taken, and forgets the retry pauses of another UIDVALIDITY.
    async fn select(&mut self, session: &mut Session) -> Result<(), Failure> {
        let mailbox_name = self.url.mailbox();
        let mailbox = match timeout(COMMAND_TIMEOUT, session.select(mailbox_name)).await {
            Ok(Ok(mailbox)) => mailbox,
            Ok(Err(ImapError::No(text))) => {
                return Err(Failure::Fatal(format!(
                    "cannot open the mailbox {mailbox_name:?} on {}:{} ({}); name an existing mailbox in --imap-url",
                    self.url.host(),
                    self.url.port(),
                    server_words(&text)
                )));
            }
            Ok(Err(error)) => {
                return Err(Failure::Connection(format!("SELECT: {}", describe(&error))));
            }
            Err(_) => return Err(no_answer("SELECT", COMMAND_TIMEOUT)),
        };
        let keeps_keyword = mailbox
            .permanent_flags
            .iter()
            .any(|f| *f == Flag::MayCreate || *f == Flag::Custom(TAKEN.into()));
        if self.options.after == After::Flag && !keeps_keyword {
            return Err(Failure::Fatal(format!(
                "the mailbox {mailbox_name:?} cannot keep the keyword {TAKEN}, so messages taken would be fetched again; use --imap-after move:FOLDER or delete"
            )));
        }
        if self.retries.validity != mailbox.uid_validity {
            self.retries = Retries {
                validity: mailbox.uid_validity,
                ..Retries::default()
            };
        }
        Ok(())
    }

    /// Creates the folder messages are moved to, unless it exists.
    async fn ensure_folder(&self, session: &mut Session, folder: &str) -> Result<(), Failure> {
        let pattern = quoted(folder);
        let found: Vec<_> = within(COMMAND_TIMEOUT, "LIST", async {
            session
                .list(Some(""), Some(&pattern))
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        if found.iter().any(|name| name.name() == folder) {
            return Ok(());
        }
        match timeout(COMMAND_TIMEOUT, session.create(folder)).await {
            Ok(Ok(())) => {
                tracing::info!(%folder, "IMAP: created the folder messages are moved to");
                Ok(())
            }
            Ok(Err(ImapError::No(text))) => Err(Failure::Fatal(format!(
                "cannot create the folder {folder:?} for --imap-after move:{folder} ({})",
                server_words(&text)
            ))),
            Ok(Err(error)) => Err(Failure::Connection(format!("CREATE: {}", describe(&error)))),
            Err(_) => Err(no_answer("CREATE", COMMAND_TIMEOUT)),
        }
    }

    /// Moves or deletes messages already flagged taken (a crash came between the flag and the
    /// move); nothing to do when taken messages stay.
    async fn finish_taken(&self, session: &mut Session, offers: &Offers) -> Result<(), Failure> {
        if self.options.after == After::Flag {
            return Ok(());
        }
        let found = within(
            COMMAND_TIMEOUT,
            "UID SEARCH",
            session.uid_search(format!("KEYWORD {TAKEN} UNDELETED")),
        )
        .await?;
        let mut uids: Vec<u32> = found.into_iter().collect();
        if uids.is_empty() {
            return Ok(());
        }
        uids.sort_unstable();
        tracing::info!(
            count = uids.len(),
            after = %self.options.after,
            "IMAP: finishing messages taken before a restart"
        );
        self.dispose(session, &uid_set(&uids), offers).await
    }

    /// Searches for messages not yet taken and takes them, oldest first.
    async fn round<H, F>(
        &mut self,
        session: &mut Session,
        handler: &mut H,
        shutdown: &mut watch::Receiver<bool>,
        offers: &Offers,
    ) -> Result<Round, Failure>
    where
        H: FnMut(Fetched) -> F,
        F: Future<Output = Disposition>,
    {
        let found = within(
            COMMAND_TIMEOUT,
            "UID SEARCH",
            session.uid_search(format!("UNKEYWORD {TAKEN}")),
        )
        .await?;
        self.retries.keep_only(&found);
        let now = Instant::now();
        let mut uids: Vec<u32> = found
            .into_iter()
            .filter(|uid| self.retries.is_due(*uid, now))
            .collect();
        uids.sort_unstable();
        let more = uids.len() > ROUND_MESSAGES_MAX;
        uids.truncate(ROUND_MESSAGES_MAX);
        if uids.is_empty() {
            return Ok(Round::Done);
        }
        let sizes = self.sizes(session, &uids).await?;
        for uid in uids {
            if stopping(shutdown) {
                return Ok(Round::Stopped);
            }
            // Gone since the search (another client expunged it): nothing to take.
            let Some(&size_bytes) = sizes.get(&uid) else {
                continue;
            };
            let fetched = tokio::select! {
                biased;
                () = stopped(shutdown) => return Ok(Round::Abandoned),
                fetched = self.fetch(session, uid, size_bytes) => fetched?,
            };
            let Some(fetched) = fetched else {
                continue;
            };
            // Not raced with `shutdown`: the message in hand is finished first.
            match handler(fetched).await {
                Disposition::Stored => {
                    self.take(session, uid, offers).await?;
                    self.retries.taken(uid);
                    tracing::debug!(uid, "IMAP: message stored and taken");
                }
                Disposition::Never(reason) => {
                    self.take(session, uid, offers).await?;
                    self.retries.taken(uid);
                    tracing::info!(uid, %reason, "IMAP: message kept for the team and taken");
                }
                Disposition::Retry(reason) => {
                    let pause = self.retries.failed(uid, Instant::now(), self.options);
                    tracing::warn!(
                        uid,
                        %reason,
                        retry_in_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                        "IMAP: message left in the mailbox, to try again"
                    );
                }
            }
        }
        Ok(if more { Round::More } else { Round::Done })
    }

    /// The sizes (RFC822.SIZE) of the messages a round takes, in one command.
    async fn sizes(
        &self,
        session: &mut Session,
        uids: &[u32],
    ) -> Result<HashMap<u32, u32>, Failure> {
        let set = uid_set(uids);
        let answers = within(COMMAND_TIMEOUT, "UID FETCH (RFC822.SIZE)", async {
            session
                .uid_fetch(&set, "(UID RFC822.SIZE)")
                .await?
                .try_collect::<Vec<Fetch>>()
                .await
        })
        .await?;
        Ok(answers
            .iter()
            .filter_map(|f| Some((f.uid?, f.size?)))
            .collect())
    }

    /// One message, whole or (over the size limit) its header only; `None` if it is gone.
    async fn fetch(
        &self,
        session: &mut Session,
        uid: u32,
        size_bytes: u32,
    ) -> Result<Option<Fetched>, Failure> {
        let headers_only = size_bytes > self.options.message_bytes_max;
        let query = if headers_only {
            format!("(UID INTERNALDATE BODY.PEEK[HEADER]<0.{HEADER_BYTES_MAX}>)")
        } else {
            "(UID INTERNALDATE BODY.PEEK[])".to_owned()
        };
        let set = uid.to_string();
        let answers = within(FETCH_TIMEOUT, "UID FETCH", async {
            session
                .uid_fetch(&set, &query)
                .await?
                .try_collect::<Vec<Fetch>>()
                .await
        })
        .await?;
        let Some((answer, raw)) = answers.iter().find_map(|f| {
            let raw = if headers_only { f.header() } else { f.body() };
            Some((f, raw.filter(|_| f.uid == Some(uid))?))
        }) else {
            return Ok(None);
        };
        Ok(Some(Fetched {
            uid,
            raw: raw.to_vec(),
            internal_date: answer
                .internal_date()
                .and_then(|d| jiff::Timestamp::from_second(d.timestamp()).ok()),
            size_bytes,
            headers_only,
        }))
    }

    /// Marks a message taken, then moves or deletes it as `--imap-after` says.
    async fn take(&self, session: &mut Session, uid: u32, offers: &Offers) -> Result<(), Failure> {
        let set = uid.to_string();
        within(COMMAND_TIMEOUT, "UID STORE", async {
            session
                .uid_store(&set, format!("+FLAGS.SILENT ({TAKEN})"))
                .await?
                .try_collect::<Vec<Fetch>>()
                .await
        })
        .await?;
        self.dispose(session, &set, offers).await
    }

    /// Moves or deletes the messages of `set` (already flagged taken), as `--imap-after` says.
    async fn dispose(
        &self,
        session: &mut Session,
        set: &str,
        offers: &Offers,
    ) -> Result<(), Failure> {
        match &self.options.after {
            After::Flag => Ok(()),
            After::Move(folder) if offers.moves => {
                within(COMMAND_TIMEOUT, "UID MOVE", session.uid_mv(set, folder)).await
            }
            After::Move(folder) => {
                within(COMMAND_TIMEOUT, "UID COPY", session.uid_copy(set, folder)).await?;
                self.expunge(session, set, offers).await
            }
            After::Delete => self.expunge(session, set, offers).await,
        }
    }

    /// Flags `\Deleted` and expunges: only these messages with UIDPLUS (`UID EXPUNGE`), else
    /// every message marked deleted in the mailbox (plain EXPUNGE, all a server without
    /// UIDPLUS offers).
    async fn expunge(
        &self,
        session: &mut Session,
        set: &str,
        offers: &Offers,
    ) -> Result<(), Failure> {
        within(COMMAND_TIMEOUT, "UID STORE", async {
            session
                .uid_store(set, "+FLAGS.SILENT (\\Deleted)")
                .await?
                .try_collect::<Vec<Fetch>>()
                .await
        })
        .await?;
        if offers.uidplus {
            within(COMMAND_TIMEOUT, "UID EXPUNGE", async {
                session
                    .uid_expunge(set)
                    .await?
                    .try_collect::<Vec<u32>>()
                    .await
            })
            .await?;
        } else {
            within(COMMAND_TIMEOUT, "EXPUNGE", async {
                session.expunge().await?.try_collect::<Vec<u32>>().await
            })
            .await?;
        }
        Ok(())
    }

    /// How long to wait for news: the IDLE refresh or the poll interval, cut short when a
    /// message's retry falls due sooner.
    fn wait_time(&self, idle: bool) -> Duration {
        let wait = if idle {
            self.options.idle_refresh.min(IDLE_REFRESH_MAX)
        } else {
            self.options.poll
        };
        let wait = match self.retries.next_due() {
            Some(due) => wait.min(due.saturating_duration_since(Instant::now())),
            None => wait,
        };
        wait.max(Duration::from_millis(10))
    }

    /// One IDLE: until the server tells of a change, `wait` passes, or stopping.
    async fn idle(
        &self,
        session: Session,
        wait: Duration,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Session, Failure> {
        // Mail that arrived after the round's search is told in an untagged EXISTS that the
        // client files among the unsolicited answers, with a later command's answer or while
        // IDLE starts; waiting then would miss it until the next refresh. Search again instead.
        let news = session.unsolicited_responses.clone();
        if new_mail(&news) {
            return Ok(session);
        }
        let mut handle = session.idle();
        within(COMMAND_TIMEOUT, "IDLE", handle.init()).await?;
        if new_mail(&news) {
            return within(COMMAND_TIMEOUT, "DONE", handle.done()).await;
        }
        self.phase(Phase::Idling);
        let stopping_now = {
            let (answer, _interrupt) = handle.wait_with_timeout(wait);
            tokio::select! {
                answer = answer => {
                    answer.map_err(|e| Failure::Connection(format!("IDLE: {}", describe(&e))))?;
                    false
                }
                () = stopped(shutdown) => true,
            }
        };
        let limit = if stopping_now {
            STOP_GRACE
        } else {
            COMMAND_TIMEOUT
        };
        within(limit, "DONE", handle.done()).await
    }

    async fn logout(&self, mut session: Session) -> Result<(), Failure> {
        let _ = timeout(STOP_GRACE, session.logout()).await;
        Ok(())
    }
}

/// Whether the server told of new mail among the answers not yet looked at (taking them all).
fn new_mail(news: &async_channel::Receiver<async_imap::types::UnsolicitedResponse>) -> bool {
    use async_imap::types::UnsolicitedResponse as U;
    let mut arrived = false;
    while let Ok(answer) = news.try_recv() {
        arrived |= matches!(answer, U::Exists(_) | U::Recent(_));
    }
    arrived
}

/// Reads the server's greeting: an untagged OK.
async fn greeting<T>(client: &mut async_imap::Client<T>) -> Result<(), Failure>
where
    T: AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send,
{
    let answer = match timeout(COMMAND_TIMEOUT, client.read_response()).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => {
            return Err(Failure::Connection(format!(
                "reading the greeting: {}",
                describe(&ImapError::Io(error))
            )));
        }
        Err(_) => return Err(no_answer("the greeting", COMMAND_TIMEOUT)),
    };
    match answer.as_ref().map(|a| a.parsed()) {
        Some(Response::Data {
            status: Status::Ok, ..
        }) => Ok(()),
        Some(Response::Data {
            status: Status::Bye,
            ..
        }) => Err(Failure::Connection(
            "the server said BYE instead of a greeting (busy, or refusing connections)".into(),
        )),
        Some(_) => Err(Failure::Connection(
            "the server's greeting is not an IMAP server's".into(),
        )),
        None => Err(Failure::Connection(
            "the server closed the connection before its greeting".into(),
        )),
    }
}

/// Runs one IMAP step within `limit`; every error is a connection failure naming the step.
async fn within<T>(
    limit: Duration,
    what: &str,
    step: impl Future<Output = async_imap::error::Result<T>>,
) -> Result<T, Failure> {
    match timeout(limit, step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Failure::Connection(format!("{what}: {}", describe(&error)))),
        Err(_) => Err(no_answer(what, limit)),
    }
}

fn no_answer(what: &str, limit: Duration) -> Failure {
    Failure::Connection(format!("no answer to {what} within {} s", limit.as_secs()))
}

/// An async-imap error in words that hold neither a message's contents nor a password: parse
/// errors quote the raw answer (message text, in a FETCH) and validation errors the character
/// refused (of the password, in a LOGIN), so those are described, not shown.
fn describe(error: &ImapError) -> String {
    match error {
        ImapError::Io(io) => {
            let text = io.to_string();
            if text.contains("during parsing") {
                "an answer of the server could not be parsed".into()
            } else {
                cut(&text)
            }
        }
        ImapError::Bad(text) => format!("the server answered BAD: {}", server_words(text)),
        ImapError::No(text) => format!("the server answered NO: {}", server_words(text)),
        ImapError::ConnectionLost => "the server closed the connection".into(),
        ImapError::Parse(_) => "an answer of the server could not be read".into(),
        ImapError::Validate(_) => "a name holds a line break, which IMAP cannot send".into(),
        _ => "IMAP failed".into(),
    }
}

/// The server's words in a NO or BAD answer, which async-imap gives as
/// `code: ..., info: Some("...")`.
fn server_words(text: &str) -> String {
    let words = text
        .split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map_or(text, |(info, _)| info);
    cut(words)
}

/// At most `QUOTED_CHARS_MAX` characters of a text quoted in an error.
fn cut(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS_MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

/// `text` without the password in it (the last guard: no path is known to put it there).
fn redact(text: &str, password: &Secret) -> String {
    let password = password.expose();
    if password.is_empty() {
        text.to_owned()
    } else {
        text.replace(password, "***")
    }
}

/// An IMAP quoted string.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Sorted UIDs as an IMAP set with ranges: `1:3,7,9:12`.
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end.wrapping_add(1) {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Whether the fetcher should stop: `true` was sent, or the sender is gone.
fn stopping(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

/// Resolves when the fetcher should stop.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// The messages waiting for another attempt after a `Retry`, in this mailbox's UIDVALIDITY.
#[derive(Default)]
struct Retries {
    validity: Option<u32>,
    /// uid -> (attempts so far, when the next may be made)
    waiting: HashMap<u32, (u32, Instant)>,
}

impl Retries {
    fn is_due(&self, uid: u32, now: Instant) -> bool {
        self.waiting.get(&uid).is_none_or(|(_, due)| *due <= now)
    }

    /// Forgets the messages no longer waiting in the mailbox (taken, moved or deleted).
    fn keep_only(&mut self, present: &HashSet<u32>) {
        self.waiting.retain(|uid, _| present.contains(uid));
    }

    /// Forgets a message taken: no attempt at it is due any more.
    fn taken(&mut self, uid: u32) {
        self.waiting.remove(&uid);
    }

    /// Records one more failed attempt; returns the pause before the next.
    fn failed(&mut self, uid: u32, now: Instant, options: &ImapOptions) -> Duration {
        let entry = self.waiting.entry(uid).or_insert((0, now));
        entry.0 = entry.0.saturating_add(1);
        let pause = retry_pause(options.retry_min, options.retry_max, entry.0);
        entry.1 = now + pause;
        pause
    }

    fn next_due(&self) -> Option<Instant> {
        self.waiting.values().map(|(_, due)| *due).min()
    }
}

/// The pause after the `attempt`-th failure: `min`, doubling, at most `max`.
fn retry_pause(min: Duration, max: Duration, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(31);
    min.saturating_mul(1u32 << doublings).min(max)
}

/// A TLS client on aws-lc-rs trusting the system's certificate authorities (and `extra`).
fn tls_connector(
    extra: &[rustls::pki_types::CertificateDer<'static>],
) -> anyhow::Result<tokio_rustls::TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(found.certs);
    let (added, _) = roots.add_parsable_certificates(extra.iter().cloned());
    if roots.is_empty() {
        tracing::warn!(
            "no trusted certificate authorities found: TLS to the IMAP server will fail"
        );
    }
    debug_assert_eq!(added, extra.len(), "the extra roots parse");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| anyhow::anyhow!("the TLS configuration for IMAP: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// The connection under the IMAP client: plain (loopback only) or TLS.
enum Wire {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl fmt::Debug for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Wire::Plain(_) => "Wire::Plain",
            Wire::Tls(_) => "Wire::Tls",
        })
    }
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Wire::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Wire::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Wire::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Plain(s) => Pin::new(s).poll_flush(cx),
            Wire::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Wire::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Wire::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests;
