//! Mail in: reports mailed to a project's security address reach Postern. `imap` fetches each
//! message from the mailbox and hands it to a handler; this module turns `serve`'s arguments
//! into what the fetcher needs, and `spawn` starts it with the handler that only translates:
//! each message goes to `App::ingest_mail` (as `postern mail ingest` sends it), and the
//! outcome becomes the fetcher's `Disposition`. A message is flagged only once what it became
//! is committed; a store that fails leaves it to be fetched again.

pub mod imap;

use std::ffi::OsString;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::sync::watch;
use zeroize::Zeroizing;

pub use imap::{After, Disposition, Fetched, ImapOptions, ImapUrl, Phase, Secret};

/// The environment variable that may hold the IMAP password.
pub const PASSWORD_ENV: &str = "POSTERN_IMAP_PASSWORD";
/// The largest password file read.
pub const PASSWORD_FILE_BYTES_MAX: u64 = 4096;

/// Everything the fetcher needs, from `serve`'s arguments and the environment.
#[derive(Debug)]
pub struct ImapConfig {
    /// The server and mailbox.
    pub url: ImapUrl,
    /// The password of the URL's user.
    pub password: Secret,
    /// What to do after taking a message, how often to poll, ...
    pub options: ImapOptions,
}

impl ImapConfig {
    /// The configuration `serve --imap-url ...` asks for, `None` without `--imap-url`. The
    /// password comes from `POSTERN_IMAP_PASSWORD` or `--imap-password-file`, one of them.
    pub fn from_args(args: &crate::cli::ImapArgs) -> anyhow::Result<Option<ImapConfig>> {
        let Some(url) = &args.url else {
            if args.password_file.is_some() {
                bail!("--imap-password-file is given without --imap-url (POSTERN_IMAP_URL)");
            }
            return Ok(None);
        };
        let password = read_password(
            std::env::var_os(PASSWORD_ENV),
            args.password_file.as_deref(),
        )?;
        Ok(Some(ImapConfig {
            url: url.clone(),
            password,
            options: ImapOptions {
                after: args.after.clone(),
                poll: Duration::from_secs(args.poll_seconds),
                // The fetcher takes whole what the use case takes; larger ones come with their
                // header only, and wait in screening.
                message_bytes_max: u32::try_from(postern_app::mail::MESSAGE_BYTES_MAX)
                    .unwrap_or(u32::MAX),
                ..ImapOptions::default()
            },
        }))
    }
}

/// Fetches reports from the configured mailbox and hands each message to `handler` until
/// `shutdown` holds `true`: what `serve` starts (in a task of its own) when `--imap-url` is
/// given. See `imap::run` for what the handler's answers do.
pub async fn run_imap<H, F>(
    config: &ImapConfig,
    handler: H,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()>
where
    H: FnMut(Fetched) -> F,
    F: Future<Output = Disposition>,
{
    imap::run(
        &config.url,
        &config.password,
        handler,
        shutdown,
        config.options.clone(),
    )
    .await
}

/// What the use case's outcome means to the fetcher.
pub fn disposition(
    outcome: Result<postern_app::mail::Ingested, postern_app::Error>,
) -> Disposition {
    match outcome {
        Ok(_) => Disposition::Stored,
        // Taken as an item for the team (see `App::ingest_oversized`), never fetched again.
        Err(postern_app::Error::Refused(why)) => Disposition::Never(why),
        Err(e) => Disposition::Retry(e.to_string()),
    }
}

/// Starts the fetcher in a task of its own, feeding `app`'s email channel until `shutdown`.
/// An error that retrying cannot mend (the login refused, no such mailbox) is logged and ends
/// the fetcher; the server goes on serving.
pub fn spawn(
    config: ImapConfig,
    app: postern_app::App,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let handler = |fetched: Fetched| {
            let app = app.clone();
            async move {
                let outcome = if fetched.headers_only {
                    app.ingest_oversized(
                        &fetched.raw,
                        u64::from(fetched.size_bytes),
                        fetched.internal_date,
                    )
                    .await
                } else {
                    app.ingest_mail(&fetched.raw, fetched.internal_date).await
                };
                if let Err(e) = &outcome {
                    tracing::warn!(uid = fetched.uid, error = %e, "a fetched message was not taken");
                }
                disposition(outcome)
            }
        };
        if let Err(error) = run_imap(&config, handler, shutdown).await {
            tracing::error!(server = %config.url, "the mail fetcher stopped: {error:#}");
        }
    })
}

/// The IMAP password from the environment's value (`env`) or a file, exactly one of them. A
/// file must be readable by its owner only; one final line break is not part of the password.
pub fn read_password(env: Option<OsString>, file: Option<&Path>) -> anyhow::Result<Secret> {
    match (env, file) {
        (Some(_), Some(_)) => bail!(
            "the IMAP password is given twice, in {PASSWORD_ENV} and by --imap-password-file; keep one"
        ),
        (Some(value), None) => {
            let value = Zeroizing::new(
                value
                    .into_string()
                    .map_err(|_| anyhow::anyhow!("{PASSWORD_ENV} is not valid UTF-8"))?,
            );
            if value.is_empty() {
                bail!("{PASSWORD_ENV} is empty");
            }
            Ok(Secret::new(value.as_str().to_owned()))
        }
        (None, Some(path)) => read_password_file(path),
        (None, None) => bail!(
            "--imap-url needs the password of its user: set {PASSWORD_ENV} or give --imap-password-file FILE"
        ),
    }
}

fn read_password_file(path: &Path) -> anyhow::Result<Secret> {
    let shown = path.display();
    let metadata = std::fs::metadata(path)
        .with_context(|| format!("cannot read the IMAP password file {shown}"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = metadata.permissions().mode();
        if mode & 0o044 != 0 {
            bail!(
                "the IMAP password file {shown} can be read by others (mode {:o}); chmod 600 it",
                mode & 0o777
            );
        }
    }
    if metadata.len() > PASSWORD_FILE_BYTES_MAX {
        bail!(
            "the IMAP password file {shown} is larger than {PASSWORD_FILE_BYTES_MAX} bytes; it should hold the password alone"
        );
    }
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .with_context(|| format!("cannot read the IMAP password file {shown}"))?,
    );
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow::anyhow!("the IMAP password file {shown} is not UTF-8"))?;
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if text.is_empty() {
        bail!("the IMAP password file {shown} is empty");
    }
    Ok(Secret::new(text.to_owned()))
}

/// The Dovecot harness of the integration tests, shared with the fetcher's tests here (the
/// binary has no library the integration tests could call the fetcher through).
#[cfg(test)]
#[path = "../../tests/it/dovecot.rs"]
pub mod dovecot;

#[cfg(test)]
mod against_dovecot;

#[cfg(test)]
mod tests {
    use super::*;

    /// A new file in `dir` holding `text`, with `mode`.
    fn file_with(dir: &Path, text: &str, mode: u32) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = tempfile::NamedTempFile::new_in(dir)
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn the_password_comes_from_the_environment_or_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let secret = read_password(Some("hunter2".into()), None).unwrap();
        assert_eq!(secret.expose(), "hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        let path = file_with(dir.path(), "hunter2\n", 0o600);
        assert_eq!(
            read_password(None, Some(&path)).unwrap().expose(),
            "hunter2"
        );
        let path = file_with(dir.path(), "with space \r\n", 0o400);
        assert_eq!(
            read_password(None, Some(&path)).unwrap().expose(),
            "with space "
        );
    }

    #[test]
    fn a_password_missing_twice_given_shared_or_empty_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let cases: Vec<(Option<OsString>, Option<std::path::PathBuf>, &str)> = vec![
            (None, None, PASSWORD_ENV),
            (
                Some("hunter2".into()),
                Some(file_with(dir.path(), "hunter2", 0o600)),
                "twice",
            ),
            (
                None,
                Some(file_with(dir.path(), "hunter2", 0o644)),
                "chmod 600",
            ),
            (None, Some(file_with(dir.path(), "\n", 0o600)), "empty"),
            (Some("".into()), None, "empty"),
            (None, Some(dir.path().join("missing")), "cannot read"),
            (
                None,
                Some(file_with(dir.path(), &"hunter2".repeat(1000), 0o600)),
                "larger than",
            ),
        ];
        for (env, file, says) in cases {
            let error = format!("{:#}", read_password(env, file.as_deref()).unwrap_err());
            assert!(error.contains(says), "{error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn the_password_file_limit_is_a_limit() {
        let dir = tempfile::tempdir().unwrap();
        let at_limit = "x".repeat(usize::try_from(PASSWORD_FILE_BYTES_MAX).unwrap());
        let path = file_with(dir.path(), &at_limit, 0o600);
        assert_eq!(read_password(None, Some(&path)).unwrap().expose(), at_limit);
        let path = file_with(dir.path(), &format!("{at_limit}x"), 0o600);
        assert!(read_password(None, Some(&path)).is_err());
    }
}
