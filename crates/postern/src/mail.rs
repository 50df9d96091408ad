//! Email over SMTP: the server's address (`--smtp-url`, with its password never shown), and
//! the notices Postern sends. A notice never carries report contents: it says that something
//! happened and links to where a signed-in member (the team's report page) or the reporter
//! (the tracking page, with the case key they keep, which is never in mail or a URL) reads it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use postern_store::jobs::{Failure, REPORTER_NOTICE, TEAM_NEW_REPORT, TEAM_REPORTER_MESSAGE};

/// How long one SMTP conversation may take before the attempt counts as failed (well inside
/// the job's lease).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// `--smtp-url` as given, before parsing; Debug hides it (it may hold a password).
#[derive(Clone)]
pub struct SmtpUrlArg(pub String);

impl fmt::Debug for SmtpUrlArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpUrlArg(***)")
    }
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtp://`: STARTTLS, required (a server that does not offer it is refused).
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://...?tls=none`: plain text, for a relay on this machine.
    None,
}

/// A mail server address, parsed: `smtp://[user[:password]@]host[:port][?tls=none]` or
/// `smtps://...`. Display and Debug never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    host: String,
    port: u16,
    tls: TlsMode,
    user: Option<String>,
    password: Option<String>,
}

impl FromStr for SmtpUrl {
    type Err = String;

    /// The error never repeats the input: it may hold a password.
    fn from_str(text: &str) -> Result<SmtpUrl, String> {
        let url = url::Url::parse(text).map_err(|e| {
            format!("the SMTP URL does not parse ({e}); write smtp://USER:PASSWORD@HOST:PORT")
        })?;
        let mut tls = match url.scheme() {
            "smtp" => TlsMode::StartTls,
            "smtps" => TlsMode::Implicit,
            _ => {
                return Err(
                    "the SMTP URL must start with smtp:// (STARTTLS) or smtps:// (TLS)".into(),
                );
            }
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "none") if tls == TlsMode::StartTls => tls = TlsMode::None,
                ("tls", "required") => {}
                _ => {
                    return Err(format!(
                        "unknown SMTP URL option {key}={value}; the one option is tls=none (plain text, for a relay on this machine)"
                    ));
                }
            }
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the SMTP URL names no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |s: &str| {
            percent_decode(s).ok_or("the SMTP user or password is not valid percent-encoded UTF-8")
        };
        let user = (!url.username().is_empty())
            .then(|| decode(url.username()))
            .transpose()?;
        let password = url.password().map(decode).transpose()?;
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if tls == TlsMode::None && password.is_some() && !loopback {
            return Err(
                "tls=none would send the SMTP password in plain text to another machine; use smtp:// (STARTTLS) or smtps://".into(),
            );
        }
        let port = url.port().unwrap_or(match tls {
            TlsMode::StartTls => 587,
            TlsMode::Implicit => 465,
            TlsMode::None => 25,
        });
        Ok(SmtpUrl {
            host,
            port,
            tls,
            user,
            password,
        })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls == TlsMode::Implicit {
            "smtps"
        } else {
            "smtp"
        };
        write!(f, "{scheme}://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}")?;
            if self.password.is_some() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}:{}", self.host, self.port)?;
        if self.tls == TlsMode::None {
            f.write_str("?tls=none")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no vacation replies to Postern's notices.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// `List-Unsubscribe: <URL>` (RFC 2369): where a mail client unsubscribes its reader.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(text: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(text.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the address above takes a
/// POST without cookies, so a mail client can offer a one-click unsubscribe.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// One notice, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (the same words).
    pub html: String,
}

/// Where links in notices point.
#[derive(Debug, Clone)]
pub struct Links {
    /// The instance's public address, without a trailing slash.
    pub public_url: String,
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The notice about `event` for a team member (`to_team`) or the reporter. `None` for an
/// event that has no notice for that side. Only the project's name, the report's id and links:
/// never report contents.
pub fn notice(
    event: &str,
    to_team: bool,
    project_name: &str,
    report_id: &str,
    links: &Links,
) -> Option<Notice> {
    let team_link = format!("{}/team/reports/{report_id}", links.public_url);
    let track_link = format!("{}/track", links.public_url);
    let (subject, lead, link, action) = match (event, to_team) {
        (TEAM_NEW_REPORT, true) => (
            format!("[{project_name}] New vulnerability report {report_id}"),
            format!("A new vulnerability report was received for {project_name}."),
            team_link,
            "Sign in to read it and respond",
        ),
        (TEAM_REPORTER_MESSAGE, true) => (
            format!("[{project_name}] The reporter of {report_id} wrote to you"),
            format!("The reporter of {report_id} ({project_name}) sent a new message."),
            team_link,
            "Sign in to read it and answer",
        ),
        (TEAM_NEW_REPORT, false) => (
            format!("[{project_name}] Your vulnerability report was received"),
            format!(
                "Thank you. Your report to {project_name} was received, and its security team was told."
            ),
            track_link,
            "Follow it and talk to the team with the case key you were shown when you sent it",
        ),
        (REPORTER_NOTICE, false) => (
            format!("[{project_name}] News about your vulnerability report"),
            format!("The security team of {project_name} updated your report or wrote to you."),
            track_link,
            "Read it with your case key",
        ),
        _ => return None,
    };
    let footer =
        "This notice carries none of the report's contents. It was sent automatically by Postern.";
    let text = format!("{lead}\n\n{action}:\n{link}\n\n-- \n{footer}\n");
    let html = format!(
        "<!DOCTYPE html>\n<html><body>\n<p>{}</p>\n<p>{}: <a href=\"{}\">{}</a></p>\n<p style=\"color:#555\">{}</p>\n</body></html>\n",
        escape(&lead),
        escape(action),
        escape(&link),
        escape(&link),
        escape(footer)
    );
    Some(Notice {
        subject,
        text,
        html,
    })
}

/// A reminder to the team (a promise's limit is near) or an escalation to admins (it has
/// passed); `note` names the promise and its limit, never report contents.
pub fn reminder_notice(
    event: &str,
    note: &str,
    project_name: &str,
    report_id: &str,
    links: &Links,
) -> Option<Notice> {
    let (subject, action) = match event {
        postern_store::jobs::DEADLINE_REMINDER => (
            format!("[{project_name}] Deadline near on report {report_id}"),
            "Sign in to keep the promise",
        ),
        postern_store::jobs::DEADLINE_MISSED => (
            format!("[{project_name}] Deadline missed on report {report_id}"),
            "Sign in to act on it, or record why (pause or extend the deadline with a reason)",
        ),
        _ => return None,
    };
    let lead = format!("Report {report_id} ({project_name}): {note}");
    let link = format!("{}/team/reports/{report_id}", links.public_url);
    let footer =
        "This notice carries none of the report's contents. It was sent automatically by Postern.";
    Some(Notice {
        subject,
        text: format!("{lead}\n\n{action}:\n{link}\n\n-- \n{footer}\n"),
        html: format!(
            "<!DOCTYPE html>\n<html><body>\n<p>{}</p>\n<p>{}: <a href=\"{}\">{}</a></p>\n<p style=\"color:#555\">{}</p>\n</body></html>\n",
            escape(&lead),
            escape(action),
            escape(&link),
            escape(&link),
            escape(footer)
        ),
    })
}

/// Sends mail through one SMTP server.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
    server: SmtpUrl,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mailer({})", self.server)
    }
}

impl Mailer {
    /// A mailer for `server`, sending as `from`; `hello` is this instance's host name.
    pub fn new(server: &SmtpUrl, from: &str, hello: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = from.parse().map_err(|_| {
            anyhow::anyhow!(
                "--mail-from {from:?} is not a mail address such as security@example.org"
            )
        })?;
        let domain = from.email.domain().to_owned();
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned())
                .map_err(|e| anyhow::anyhow!("cannot set up TLS for the mail server: {e}"))
        };
        let tls = match server.tls {
            TlsMode::StartTls => Tls::Required(tls(&server.host)?),
            TlsMode::Implicit => Tls::Wrapper(tls(&server.host)?),
            TlsMode::None => Tls::None,
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.clone())
                .port(server.port)
                .tls(tls)
                .timeout(Some(SMTP_TIMEOUT))
                .hello_name(match hello.parse::<std::net::IpAddr>() {
                    Ok(std::net::IpAddr::V4(ip)) => ClientId::Ipv4(ip),
                    Ok(std::net::IpAddr::V6(ip)) => ClientId::Ipv6(ip),
                    Err(_) => ClientId::Domain(hello.to_owned()),
                });
        if let Some(user) = &server.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                server.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            domain,
            server: server.clone(),
        })
    }

    /// The server, for logs (password hidden).
    pub fn server(&self) -> &SmtpUrl {
        &self.server
    }

    /// Sends one notice. The Message-ID is derived from the job, so that a send repeated after
    /// a crash is recognisable as the same mail. A 5xx answer is permanent, anything else
    /// worth a retry.
    pub async fn send(&self, job_id: &str, to: &str, notice: &Notice) -> Result<(), Failure> {
        self.send_to_list(job_id, to, notice, None).await
    }

    /// Sends one notice; with `unsubscribe`, a list mail with the RFC 2369 and RFC 8058
    /// headers that let the reader's mail client unsubscribe in one click.
    pub async fn send_to_list(
        &self,
        job_id: &str,
        to: &str,
        notice: &Notice,
        unsubscribe: Option<&str>,
    ) -> Result<(), Failure> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| Failure::Permanent("the recipient address is not valid".into()))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(notice.subject.clone())
            .message_id(Some(format!("<{job_id}@{}>", self.domain)))
            .header(AutoSubmitted);
        if let Some(url) = unsubscribe {
            builder = builder
                .header(ListUnsubscribe(url.to_owned()))
                .header(ListUnsubscribePost);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                notice.text.clone(),
                notice.html.clone(),
            ))
            .map_err(|e| Failure::Permanent(format!("cannot build the mail: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) => {
                let mut text = error.to_string();
                if let Some(password) = self.server.password.as_deref().filter(|p| !p.is_empty()) {
                    text = text.replace(password, "***");
                }
                if error.is_permanent() {
                    Err(Failure::Permanent(text))
                } else {
                    Err(Failure::Transient(text))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_parse_and_never_show_their_password() {
        // (input, shown as, tls)
        let cases = [
            (
                "smtp://mailer:s3cret%21@mail.example.org",
                "smtp://mailer:***@mail.example.org:587",
                TlsMode::StartTls,
            ),
            (
                "smtps://mail.example.org",
                "smtps://mail.example.org:465",
                TlsMode::Implicit,
            ),
            (
                "smtp://127.0.0.1:2525?tls=none",
                "smtp://127.0.0.1:2525?tls=none",
                TlsMode::None,
            ),
            (
                "smtp://u:p@localhost:25?tls=none",
                "smtp://u:***@localhost:25?tls=none",
                TlsMode::None,
            ),
        ];
        for (input, shown, tls) in cases {
            let url: SmtpUrl = input.parse().unwrap();
            assert_eq!(url.to_string(), shown);
            assert_eq!(format!("{url:?}"), format!("SmtpUrl({shown})"));
            assert_eq!(url.tls, tls);
        }
        let url: SmtpUrl = "smtp://mailer:s3cret%21@mail.example.org".parse().unwrap();
        assert_eq!(url.password.as_deref(), Some("s3cret!"));
    }

    #[test]
    fn bad_smtp_urls_say_what_to_write_without_echoing_a_password() {
        for (input, says) in [
            ("http://u:hunter2@example.org", "must start with smtp://"),
            ("smtp://u:hunter2@mail.example.org?tls=none", "plain text"),
            ("smtp://u:hunter2@mail.example.org?verify=no", "unknown"),
            ("smtp://u:hunter2@", "SMTP URL"),
        ] {
            let error = input.parse::<SmtpUrl>().unwrap_err();
            assert!(error.contains(says), "{input}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn notices_link_and_escape_but_carry_no_contents() {
        let links = Links {
            public_url: "https://security.example.org".into(),
        };
        let team = notice(TEAM_NEW_REPORT, true, "A&B <x>", "R123", &links).unwrap();
        assert_eq!(team.subject, "[A&B <x>] New vulnerability report R123");
        assert!(
            team.text
                .contains("https://security.example.org/team/reports/R123")
        );
        assert!(team.html.contains("A&amp;B &lt;x&gt;"), "{}", team.html);
        let reporter = notice(REPORTER_NOTICE, false, "Acme", "R123", &links).unwrap();
        assert!(
            reporter
                .text
                .contains("https://security.example.org/track\n")
        );
        assert!(!reporter.text.contains("R123") && !reporter.text.contains("/team/"));
        assert!(notice(REPORTER_NOTICE, true, "Acme", "R123", &links).is_none());
        assert!(notice(TEAM_REPORTER_MESSAGE, false, "Acme", "R123", &links).is_none());
    }
}
