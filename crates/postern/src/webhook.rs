//! Webhook deliveries: a Slack or Discord message, or a generic JSON event signed per the
//! Standard Webhooks specification, posted once per `webhook` job of the outbox.
//!
//! The request goes only where it is safe to send it: Postern resolves the host itself,
//! refuses private, loopback, link-local, unique-local, multicast, unspecified, shared (CGNAT)
//! and reserved addresses (unless `serve --webhooks-allow-private`), and connects to the very
//! address it checked, so a second DNS answer cannot point the request elsewhere. Redirects are
//! never followed (the client has no redirect logic: a 3xx is a failure), every step is bounded
//! by `CONNECT_TIMEOUT` and `REQUEST_TIMEOUT`, and the response body is never read.
//!
//! Payloads carry the event, the project, the report id, the team's link and the time: never
//! report contents, messages or the reporter's contact. Neither the URL (a Slack or Discord
//! URL is a credential) nor the signing secret reaches a log line or a job's error text: those
//! name the host only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use hmac::{KeyInit as _, Mac as _};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use postern_store::Store;
use postern_store::jobs::{
    Failure, Job, JobKind, NewJob, REPORTER_NOTICE, ReportEvent, TEAM_NEW_REPORT,
    TEAM_REPORTER_MESSAGE, WebhookDelivery,
};
use postern_store::webhooks::{PING, Webhook, WebhookKind};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::mail::Links;

/// Connecting (DNS, TCP and TLS each) may take this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The whole request, from resolving the host to the response's status, may take this long.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The prefix of Standard Webhooks signing secrets (made by `postern_app::admin`).
pub const SECRET_PREFIX: &str = postern_app::admin::SIGNING_SECRET_PREFIX;

/// The HMAC key of a signing secret (`whsec_` + base64, the prefix optional).
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    data_encoding::BASE64.decode(encoded.as_bytes()).ok()
}

/// The `webhook-signature` header: `v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "v1,{}",
        data_encoding::BASE64.encode(&mac.finalize().into_bytes())
    )
}

/// Why an address may not be sent to, or `None` when it is a public address.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "unspecified",
        (127, _, _) => "loopback",
        (10, _, _) | (192, 168, _) => "private",
        (172, 16..=31, _) => "private",
        (169, 254, _) => "link-local",
        (100, 64..=127, _) => "shared (CGNAT)",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved",
        (192, 0, 0) | (198, 18..=19, _) => "reserved",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let segments = ip.segments();
    let embedded_v4 =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    Some(match segments {
        [0, 0, 0, 0, 0, 0, 0, 0] => "unspecified",
        [0, 0, 0, 0, 0, 0, 0, 1] => "loopback",
        // Deprecated IPv4-compatible addresses (::a.b.c.d).
        [0, 0, 0, 0, 0, 0, _, _] => "reserved",
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address inside.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => return forbidden_v4(embedded_v4(hi, lo)),
        [0x2002, hi, lo, ..] => return forbidden_v4(embedded_v4(hi, lo)),
        [0x2001, 0x0db8, ..] => "documentation",
        [s, ..] if s & 0xfe00 == 0xfc00 => "unique-local",
        [s, ..] if s & 0xffc0 == 0xfe80 => "link-local",
        [s, ..] if s & 0xffc0 == 0xfec0 => "site-local",
        [s, ..] if s & 0xff00 == 0xff00 => "multicast",
        _ => return None,
    })
}

/// A URL shown without what makes it a credential: scheme, host and port only.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}/...", u.scheme()),
            (Some(host), None) => format!("{}://{host}/...", u.scheme()),
            (None, _) => format!("{}:...", u.scheme()),
        },
        Err(_) => "(not a URL)".into(),
    }
}

/// The words and the generic event type of an event.
fn describe(event: &str) -> Option<(&'static str, &'static str)> {
    Some(match event {
        TEAM_NEW_REPORT => ("report.received", "New vulnerability report"),
        TEAM_REPORTER_MESSAGE => ("report.message_received", "The reporter wrote about"),
        REPORTER_NOTICE => ("report.updated", "The team updated"),
        PING => ("webhook.ping", "Test delivery"),
        _ => return None,
    })
}

/// What one delivery says, without secrets or report contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// The outbox event (`team.new_report`, ..., or `webhook.ping`).
    pub event: &'a str,
    /// The project's slug.
    pub project: &'a str,
    /// The project's name.
    pub project_name: &'a str,
    /// The report, if the event concerns one.
    pub report_id: Option<&'a str>,
    /// When it happened.
    pub at: Timestamp,
}

/// Slack's mrkdwn treats these three as markup.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The request body for a webhook of `kind`; `None` for an event this version cannot describe.
pub fn body(kind: WebhookKind, event: &Event<'_>, links: &Links) -> Option<Vec<u8>> {
    let (event_type, words) = describe(event.event)?;
    let link = event
        .report_id
        .map(|id| format!("{}/team/reports/{id}", links.public_url));
    let line = match (event.report_id, &link) {
        (Some(id), Some(link)) => format!("{words} {id} ({}): {link}", event.project_name),
        _ => format!(
            "{words} from Postern for {}: this webhook works.",
            event.project_name
        ),
    };
    let value = match kind {
        WebhookKind::Slack => json!({ "text": slack_escape(&line) }),
        // No @everyone or role pings, whatever a project's name says.
        WebhookKind::Discord => json!({ "content": line, "allowed_mentions": { "parse": [] } }),
        WebhookKind::Generic => {
            let mut data = json!({
                "project": event.project,
                "project_name": event.project_name,
            });
            if let (Some(id), Some(link)) = (event.report_id, link) {
                data["report_id"] = id.into();
                data["url"] = link.into();
            }
            json!({
                "type": event_type,
                "timestamp": event.at.to_string(),
                "data": data,
            })
        }
    };
    serde_json::to_vec(&value).ok()
}

/// The HTTP client for webhooks: one TLS configuration, and whether private addresses are
/// allowed (for a receiver on this machine or network, and for tests).
#[derive(Clone)]
pub struct Client {
    allow_private: bool,
    tls: tokio_rustls::TlsConnector,
}

impl Client {
    /// A client trusting the system's certificate authorities, rustls on aws-lc-rs.
    pub fn new(allow_private: bool) -> anyhow::Result<Client> {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            tracing::warn!("no trusted certificate authorities found: https webhooks will fail");
        }
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .context("the TLS configuration for webhooks")?
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Client {
            allow_private,
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// POSTs `body` as JSON with `headers`. A 2xx is success; 408, 429, 5xx, timeouts and
    /// connection errors are worth retrying; any other answer (a 3xx included) is permanent.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<(), Failure> {
        let target = Target::parse(url)?;
        match tokio::time::timeout(REQUEST_TIMEOUT, self.post_within(&target, headers, body)).await
        {
            Ok(result) => result,
            Err(_) => Err(Failure::Transient(format!(
                "{}: no answer within {} s",
                target.shown,
                REQUEST_TIMEOUT.as_secs()
            ))),
        }
    }

    async fn post_within(
        &self,
        target: &Target,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<(), Failure> {
        let address = self.checked_address(target).await?;
        if !target.https && !self.allow_private {
            return Err(Failure::Permanent(format!(
                "{}: plain http is refused, use https (serve --webhooks-allow-private permits http for a local receiver)",
                target.shown
            )));
        }
        let connect =
            tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(address));
        let stream = match connect.await {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                return Err(Failure::Transient(format!(
                    "{}: cannot connect: {}",
                    target.shown,
                    error.kind()
                )));
            }
            Err(_) => {
                return Err(Failure::Transient(format!(
                    "{}: connecting took over {} s",
                    target.shown,
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        };
        let request = target.request(headers, body)?;
        let status = if target.https {
            let name = rustls::pki_types::ServerName::try_from(target.server_name.clone())
                .map_err(|_| {
                    Failure::Permanent(format!("{}: not a TLS server name", target.shown))
                })?;
            let tls = tokio::time::timeout(CONNECT_TIMEOUT, self.tls.connect(name, stream));
            let stream = match tls.await {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    return Err(Failure::Transient(format!(
                        "{}: TLS failed: {error}",
                        target.shown
                    )));
                }
                Err(_) => {
                    return Err(Failure::Transient(format!(
                        "{}: the TLS handshake took over {} s",
                        target.shown,
                        CONNECT_TIMEOUT.as_secs()
                    )));
                }
            };
            exchange(stream, request, &target.shown).await?
        } else {
            exchange(stream, request, &target.shown).await?
        };
        classify(status, &target.shown)
    }

    /// The address to connect to: the host's first address that may be sent to (all of them
    /// are checked, not only the one used, so a mixed answer is seen for what it is).
    async fn checked_address(&self, target: &Target) -> Result<SocketAddr, Failure> {
        let addresses: Vec<SocketAddr> = match target.ip {
            Some(ip) => vec![SocketAddr::new(ip, target.port)],
            None => {
                let lookup = tokio::net::lookup_host((target.server_name.as_str(), target.port));
                match tokio::time::timeout(CONNECT_TIMEOUT, lookup).await {
                    Ok(Ok(found)) => found.collect(),
                    Ok(Err(_)) | Err(_) => {
                        return Err(Failure::Transient(format!(
                            "{}: the host name does not resolve",
                            target.shown
                        )));
                    }
                }
            }
        };
        if self.allow_private {
            return addresses.first().copied().ok_or_else(|| {
                Failure::Transient(format!("{}: the host has no address", target.shown))
            });
        }
        if let Some(allowed) = addresses
            .iter()
            .find(|a| forbidden_reason(a.ip()).is_none())
        {
            return Ok(*allowed);
        }
        let refused = addresses
            .first()
            .map(|a| format!("{} ({})", a.ip(), forbidden_reason(a.ip()).unwrap_or("")))
            .unwrap_or_default();
        Err(Failure::Permanent(format!(
            "{}: refused, the host is at a private address {refused}; serve --webhooks-allow-private permits it",
            target.shown
        )))
    }
}

/// A parsed webhook URL. `shown` is its redacted form, for logs and job errors.
struct Target {
    https: bool,
    /// The host for DNS and TLS (without brackets for IPv6).
    server_name: String,
    ip: Option<IpAddr>,
    port: u16,
    /// `Host` header: host and port as written.
    authority: String,
    /// Path and query.
    path: String,
    shown: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, Failure> {
        let shown = redact(url);
        let parsed = url::Url::parse(url)
            .map_err(|_| Failure::Permanent("the webhook URL does not parse".into()))?;
        let https = match parsed.scheme() {
            "https" => true,
            "http" => false,
            _ => {
                return Err(Failure::Permanent(format!(
                    "{shown}: only https (and http to a local receiver) URLs are posted to"
                )));
            }
        };
        let (server_name, ip) = match parsed.host() {
            Some(url::Host::Domain(d)) => (d.to_owned(), None),
            Some(url::Host::Ipv4(ip)) => (ip.to_string(), Some(IpAddr::V4(ip))),
            Some(url::Host::Ipv6(ip)) => (ip.to_string(), Some(IpAddr::V6(ip))),
            None => return Err(Failure::Permanent(format!("{shown}: no host"))),
        };
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| Failure::Permanent(format!("{shown}: no port")))?;
        let authority = parsed[url::Position::BeforeHost..url::Position::AfterPort].to_owned();
        let path = parsed[url::Position::BeforePath..url::Position::AfterQuery].to_owned();
        Ok(Target {
            https,
            server_name,
            ip,
            port,
            authority,
            path: if path.is_empty() { "/".into() } else { path },
            shown,
        })
    }

    fn request(
        &self,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<hyper::Request<Full<Bytes>>, Failure> {
        let mut request = hyper::Request::post(self.path.as_str())
            .header(hyper::header::HOST, self.authority.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(
                hyper::header::USER_AGENT,
                concat!("Postern-Webhooks/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        request
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| Failure::Permanent(format!("{}: not a valid request", self.shown)))
    }
}

/// One request on a fresh connection; the status of the answer. The body is never read.
async fn exchange<I>(
    io: I,
    request: hyper::Request<Full<Bytes>>,
    shown: &str,
) -> Result<hyper::StatusCode, Failure>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let failed = |error: hyper::Error| Failure::Transient(format!("{shown}: {error}"));
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(failed)?;
    // Drives the connection; bounded so that a receiver that never answers holds nothing.
    tokio::spawn(tokio::time::timeout(REQUEST_TIMEOUT, connection));
    let response = sender.send_request(request).await.map_err(failed)?;
    Ok(response.status())
}

fn classify(status: hyper::StatusCode, shown: &str) -> Result<(), Failure> {
    let code = status.as_u16();
    match code {
        200..=299 => Ok(()),
        408 | 429 | 500..=599 => Err(Failure::Transient(format!("{shown}: answered {code}"))),
        300..=399 => Err(Failure::Permanent(format!(
            "{shown}: answered {code}, a redirect (not followed): give the final URL"
        ))),
        _ => Err(Failure::Permanent(format!("{shown}: answered {code}"))),
    }
}

/// The webhook deliveries a report event fans out to, given its project's webhooks: one per
/// webhook that wants the event, under the dedupe key `<event id>:webhook:<webhook id>`, so
/// expanding twice inserts nothing new.
pub fn fan_out(job: &Job, event: ReportEvent, webhooks: &[Webhook], now: Timestamp) -> Vec<NewJob> {
    webhooks
        .iter()
        .filter(|w| w.project == job.project && w.wants(event))
        .map(|w| {
            NewJob::new(
                JobKind::Webhook,
                &job.project,
                job.report_id.as_deref(),
                &WebhookDelivery {
                    event: event.name().to_owned(),
                    webhook: w.id.clone(),
                    at: job.created_at.as_millisecond(),
                },
                format!("{}:webhook:{}", job.id, w.id),
                now,
            )
        })
        .collect()
}

/// Delivers one `webhook` job: reads the webhook's secrets, builds the body, signs it for a
/// generic webhook, posts it. `Ok(Some(note))` when there was nothing to send.
pub async fn deliver(
    store: &Store,
    client: &Client,
    project_name: &str,
    links: &Links,
    job: &Job,
    delivery: &WebhookDelivery,
    now: Timestamp,
) -> Result<Option<&'static str>, Failure> {
    let Some(webhook) = store
        .webhook(&delivery.webhook)
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?
    else {
        return Ok(Some("skipped: the webhook was removed"));
    };
    let secrets = match store.webhook_secrets(&webhook.id).await {
        Ok(secrets) => secrets,
        Err(postern_store::StoreError::NotFound) => {
            return Ok(Some("skipped: the webhook was removed"));
        }
        Err(error) => return Err(Failure::Transient(error.to_string())),
    };
    let at = Timestamp::from_millisecond(delivery.at).unwrap_or(job.created_at);
    let event = Event {
        event: &delivery.event,
        project: &job.project,
        project_name,
        report_id: job.report_id.as_deref(),
        at,
    };
    let Some(body) = body(webhook.kind, &event, links) else {
        return Ok(Some("skipped: no message for this event"));
    };
    let mut headers = Vec::new();
    if webhook.kind == WebhookKind::Generic {
        let key = secrets
            .signing_secret
            .as_deref()
            .and_then(secret_key)
            .map(zeroize::Zeroizing::new)
            .ok_or_else(|| {
                Failure::Permanent("the webhook's signing secret is unreadable".into())
            })?;
        // The job id stays the same across retries, so a receiver can drop a repeat.
        let timestamp = now.as_second();
        headers.push(("webhook-id", job.id.clone()));
        headers.push(("webhook-timestamp", timestamp.to_string()));
        headers.push(("webhook-signature", sign(&key, &job.id, timestamp, &body)));
    }
    client.post(&secrets.url, &headers, body).await?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        // The example published with the Standard Webhooks specification.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            sign(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn new_secrets_are_whsec_and_32_bytes() {
        use postern_app::admin::{SIGNING_SECRET_BYTES, new_signing_secret};
        let secret = new_signing_secret().unwrap();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(secret_key(&secret).unwrap().len(), SIGNING_SECRET_BYTES);
        assert_ne!(secret, new_signing_secret().unwrap());
    }

    #[test]
    fn addresses_are_classified() {
        let table: &[(&str, Option<&str>)] = &[
            ("8.8.8.8", None),
            ("93.184.216.34", None),
            ("0.0.0.0", Some("unspecified")),
            ("127.0.0.1", Some("loopback")),
            ("127.255.0.9", Some("loopback")),
            ("10.1.2.3", Some("private")),
            ("172.16.0.1", Some("private")),
            ("172.31.255.255", Some("private")),
            ("172.32.0.1", None),
            ("192.168.1.1", Some("private")),
            ("169.254.169.254", Some("link-local")),
            ("100.64.0.1", Some("shared (CGNAT)")),
            ("100.127.255.255", Some("shared (CGNAT)")),
            ("100.128.0.1", None),
            ("224.0.0.1", Some("multicast")),
            ("255.255.255.255", Some("reserved")),
            ("192.0.2.1", Some("documentation")),
            ("::", Some("unspecified")),
            ("::1", Some("loopback")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:10.0.0.1", Some("private")),
            ("::ffff:169.254.169.254", Some("link-local")),
            ("::ffff:8.8.8.8", None),
            ("::127.0.0.1", Some("reserved")),
            ("64:ff9b::a00:1", Some("private")),
            ("2002:7f00:1::", Some("loopback")),
            ("fc00::1", Some("unique-local")),
            ("fd12:3456::1", Some("unique-local")),
            ("fe80::1", Some("link-local")),
            ("fec0::1", Some("site-local")),
            ("ff02::1", Some("multicast")),
            ("2001:db8::1", Some("documentation")),
            ("2606:4700:4700::1111", None),
            ("2a00:1450:4001:80b::200e", None),
        ];
        for (text, expected) in table {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(forbidden_reason(ip), *expected, "{text}");
        }
    }

    #[test]
    fn urls_are_redacted_to_scheme_and_host() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
            "https://hooks.slack.com/..."
        );
        assert_eq!(
            redact("https://user:pw@example.org:8443/hook?token=abc"),
            "https://example.org:8443/..."
        );
        assert_eq!(redact("http://[::1]:9000/x"), "http://[::1]:9000/...");
        assert_eq!(redact("not a url"), "(not a URL)");
    }

    #[test]
    fn bodies_name_the_report_and_nothing_else() {
        let links = Links {
            public_url: "https://sec.example.org".into(),
        };
        let event = Event {
            event: TEAM_NEW_REPORT,
            project: "acme",
            project_name: "Acme <Widgets>",
            report_id: Some("r1"),
            at: "2026-11-23T10:00:00Z".parse().unwrap(),
        };
        let generic: serde_json::Value =
            serde_json::from_slice(&body(WebhookKind::Generic, &event, &links).unwrap()).unwrap();
        assert_eq!(
            generic,
            json!({"type": "report.received", "timestamp": "2026-11-23T10:00:00Z",
                "data": {"project": "acme", "project_name": "Acme <Widgets>", "report_id": "r1",
                    "url": "https://sec.example.org/team/reports/r1"}})
        );
        let slack: serde_json::Value =
            serde_json::from_slice(&body(WebhookKind::Slack, &event, &links).unwrap()).unwrap();
        assert_eq!(
            slack["text"],
            "New vulnerability report r1 (Acme &lt;Widgets&gt;): https://sec.example.org/team/reports/r1"
        );
        let discord: serde_json::Value =
            serde_json::from_slice(&body(WebhookKind::Discord, &event, &links).unwrap()).unwrap();
        assert!(
            discord["content"]
                .as_str()
                .unwrap()
                .contains("/team/reports/r1")
        );
        assert_eq!(discord["allowed_mentions"]["parse"], json!([]));
    }

    #[test]
    fn answers_are_classified() {
        let kind = |code: u16| match classify(hyper::StatusCode::from_u16(code).unwrap(), "h") {
            Ok(()) => "ok",
            Err(Failure::Transient(_)) => "retry",
            Err(Failure::Permanent(_)) => "dead",
        };
        let table = [
            (200, "ok"),
            (204, "ok"),
            (301, "dead"),
            (302, "dead"),
            (400, "dead"),
            (404, "dead"),
            (408, "retry"),
            (410, "dead"),
            (429, "retry"),
            (500, "retry"),
            (503, "retry"),
        ];
        for (code, expected) in table {
            assert_eq!(kind(code), expected, "{code}");
        }
    }
}
