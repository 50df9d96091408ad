//! Email over SMTP: the server's address (`--smtp-url`, with its password never shown), and the
//! transport that sends the notices (their words are in `notices`).
//!
//! A mail to a reader whose OpenPGP key Postern holds is sealed (RFC 3156 PGP/MIME): its words
//! and its real subject, sender and recipient (protected headers, as Thunderbird reads them)
//! form an inner text/plain entity; a [`Seal`] signs it with the project's key and encrypts it
//! to the reader's; the outer mail is `multipart/encrypted` with the subject `...`. Threading
//! and the headers that stop mail loops stay outside, where mail servers read them.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::header::{self, ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Mailboxes, MessageBuilder, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use postern_store::jobs::Failure;

pub use crate::notices::{Links, Notice};

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

/// Undoes `%XX` escapes; `None` when they are malformed or the result is not UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
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

/// `Auto-Submitted: auto-replied` (RFC 3834): a receipt or a templated answer to a message.
#[derive(Debug, Clone)]
struct AutoReplied;

impl Header for AutoReplied {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoReplied)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-replied".to_owned())
    }
}

/// `X-Postern-Mail: <kind>`: every mail Postern sends carries it, so that one that comes back
/// to an ingested mailbox is recognised as Postern's own and never answered.
#[derive(Debug, Clone)]
struct PosternMail(&'static str);

impl Header for PosternMail {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Postern-Mail")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(PosternMail("notice"))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.to_owned())
    }
}

/// A mail of a conversation with a reporter who wrote by mail, or the answer to a message.
#[derive(Debug, Clone)]
pub struct ConversationMail {
    /// The project's security address (else the mailer's own).
    pub from: Option<String>,
    /// The reporter's address.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The local part of the Message-ID (the domain is the sender's).
    pub message_id_local: String,
    /// The message it answers (without brackets).
    pub in_reply_to: Option<String>,
    /// Whether it was written by the system (a receipt, a templated answer) rather than by a
    /// person: `Auto-Submitted: auto-replied`.
    pub automatic: bool,
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

/// Whom a mail is sealed for: signed by the project's current OpenPGP key, encrypted to the
/// reader's key.
#[derive(Clone, Copy)]
pub struct Seal<'a> {
    /// The use cases, which hold the project's keys.
    pub app: &'a postern_app::App,
    /// The project whose key signs.
    pub project: &'a str,
    /// The reader's public key.
    pub reader: &'a postern_openpgp::PublicKey,
}

impl Seal<'_> {
    /// The armoured OpenPGP message of `entity`. A project without a key, or a reader's key
    /// that cannot be used now, fails the job for good, saying why: what the reader asked to
    /// be encrypted is never sent in the clear instead.
    async fn seal(&self, entity: &[u8]) -> Result<String, Failure> {
        match self
            .app
            .openpgp_encrypt_signed(self.project, entity, &[self.reader])
            .await
        {
            Ok(armoured) => Ok(armoured),
            Err(postern_app::Error::Store(e)) => Err(Failure::Transient(e.to_string())),
            Err(e) => Err(Failure::Permanent(format!(
                "cannot encrypt the mail to the reader's OpenPGP key {}: {e}",
                self.reader.fingerprint()
            ))),
        }
    }
}

/// The subject a sealed mail shows outside its encryption (the real one is inside).
pub const SEALED_SUBJECT: &str = "...";

/// The inner entity of a sealed mail: the text, with the real subject, sender and recipient as
/// protected headers (`protected-headers="v1"`).
pub fn protected_entity(subject: &str, from: &Mailbox, to: &Mailbox, text: &str) -> Vec<u8> {
    let content_type = ContentType::parse("text/plain; charset=utf-8; protected-headers=\"v1\"")
        .expect("a constant content type parses");
    SinglePart::builder()
        .header(content_type)
        .header(header::Subject::from(subject.to_owned()))
        .header(header::From::from(Mailboxes::from(from.clone())))
        .header(header::To::from(Mailboxes::from(to.clone())))
        .body(text.to_owned())
        .formatted()
}

/// The RFC 3156 `multipart/encrypted` body that carries `armoured`: the version part, then the
/// ciphertext as `encrypted.asc`.
pub fn pgp_mime(armoured: String) -> MultiPart {
    let control = SinglePart::builder()
        .header(ContentType::parse("application/pgp-encrypted").expect("a constant content type"))
        .body(String::from("Version: 1\r\n"));
    let data = SinglePart::builder()
        .header(
            ContentType::parse("application/octet-stream; name=\"encrypted.asc\"")
                .expect("a constant content type"),
        )
        .header(header::ContentDisposition::inline_with_name(
            "encrypted.asc",
        ))
        .body(armoured);
    MultiPart::encrypted("application/pgp-encrypted".to_owned())
        .singlepart(control)
        .singlepart(data)
}

/// `builder`'s mail with its words: plain text (and HTML when given) as they are, or, with a
/// seal, sealed for the reader.
async fn with_body(
    builder: MessageBuilder,
    subject: &str,
    (from, to): (&Mailbox, &Mailbox),
    (text, html): (&str, Option<&str>),
    seal: Option<Seal<'_>>,
) -> Result<Message, Failure> {
    let built = match (seal, html.filter(|h| !h.is_empty())) {
        (Some(seal), _) => {
            let armoured = seal
                .seal(&protected_entity(subject, from, to, text))
                .await?;
            builder
                .subject(SEALED_SUBJECT)
                .multipart(pgp_mime(armoured))
        }
        (None, Some(html)) => {
            builder
                .subject(subject.to_owned())
                .multipart(MultiPart::alternative_plain_html(
                    text.to_owned(),
                    html.to_owned(),
                ))
        }
        (None, None) => builder
            .subject(subject.to_owned())
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_owned()),
    };
    built.map_err(|e| Failure::Permanent(format!("cannot build the mail: {e}")))
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

    /// Sends one notice sealed for its reader (see [`Seal`]): its plain text only, inside the
    /// encryption.
    pub async fn send_sealed(
        &self,
        job_id: &str,
        to: &str,
        notice: &Notice,
        seal: Seal<'_>,
    ) -> Result<(), Failure> {
        self.send_notice(job_id, to, notice, None, Some(seal)).await
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
        self.send_notice(job_id, to, notice, unsubscribe, None)
            .await
    }

    async fn send_notice(
        &self,
        job_id: &str,
        to: &str,
        notice: &Notice,
        unsubscribe: Option<&str>,
        seal: Option<Seal<'_>>,
    ) -> Result<(), Failure> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| Failure::Permanent("the recipient address is not valid".into()))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to.clone())
            .message_id(Some(format!("<{job_id}@{}>", self.domain)))
            .header(AutoSubmitted)
            .header(PosternMail("notice"));
        if let Some(url) = unsubscribe {
            builder = builder
                .header(ListUnsubscribe(url.to_owned()))
                .header(ListUnsubscribePost);
        }
        let message = with_body(
            builder,
            &notice.subject,
            (&self.from, &to),
            (&notice.text, Some(&notice.html)),
            seal,
        )
        .await?;
        self.deliver(message).await
    }

    /// Sends one mail of a conversation: from the project's address, threaded under the
    /// message it answers, its Message-ID carrying what finds the report again.
    pub async fn send_conversation(
        &self,
        mail: &ConversationMail,
        seal: Option<Seal<'_>>,
    ) -> Result<(), Failure> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| Failure::Permanent("the recipient address is not valid".into()))?;
        let from = match &mail.from {
            Some(address) => address.parse().map_err(|_| {
                Failure::Permanent("the project's security address is not valid".into())
            })?,
            None => self.from.clone(),
        };
        let domain = from.email.domain().to_owned();
        let mut builder = Message::builder()
            .from(from.clone())
            .reply_to(from.clone())
            .to(to.clone())
            .message_id(Some(format!("<{}@{domain}>", mail.message_id_local)))
            .header(PosternMail("conversation"));
        if let Some(parent) = &mail.in_reply_to {
            builder = builder
                .in_reply_to(format!("<{parent}>"))
                .references(format!("<{parent}>"));
        }
        if mail.automatic {
            builder = builder.header(AutoReplied);
        }
        let message = with_body(
            builder,
            &mail.subject,
            (&from, &to),
            (&mail.text, None),
            seal,
        )
        .await?;
        self.deliver(message).await
    }

    async fn deliver(&self, message: Message) -> Result<(), Failure> {
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
    fn a_sealed_mail_is_rfc_3156_with_its_headers_protected_inside() {
        let from: Mailbox = "Acme <security@example.org>".parse().unwrap();
        let to: Mailbox = "ada@example.net".parse().unwrap();
        let inner =
            String::from_utf8(protected_entity("Re: XSS in login", &from, &to, "Words.")).unwrap();
        assert!(
            inner.starts_with(
                "Content-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\r\n"
            ),
            "{inner}"
        );
        for line in [
            "Subject: Re: XSS in login\r\n",
            "From: Acme <security@example.org>\r\n",
            "To: ada@example.net\r\n",
        ] {
            assert!(inner.contains(line), "{line}: {inner}");
        }
        assert!(inner.ends_with("\r\n\r\nWords.\r\n"), "{inner}");
        let outer =
            String::from_utf8(pgp_mime("-----BEGIN PGP MESSAGE-----\r\n".into()).formatted())
                .unwrap();
        let unfolded = outer.replace("\r\n ", " ");
        let head = unfolded.lines().next().unwrap();
        assert!(
            head.starts_with("Content-Type: multipart/encrypted;"),
            "{outer}"
        );
        assert!(
            head.contains("protocol=\"application/pgp-encrypted\""),
            "{outer}"
        );
        let version = outer
            .find("Content-Type: application/pgp-encrypted")
            .unwrap();
        let data = outer
            .find("Content-Type: application/octet-stream")
            .unwrap();
        assert!(version < data, "the version part comes first: {outer}");
        assert!(outer.contains("\r\n\r\nVersion: 1\r\n"), "{outer}");
        assert!(outer.contains("-----BEGIN PGP MESSAGE-----"), "{outer}");
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
}
