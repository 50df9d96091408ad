//! What the report form, the tracking pages and the JSON API share: which project a request is
//! for, the client's address for rate limits, attachment hygiene, and the deadlines the policy
//! promises the reporter.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use jiff::Timestamp;
use postern_core::case::Case;
use postern_core::clock::{ClockKind, Clocks, Outcome};
use postern_core::policy::Policy;
use postern_store::{ATTACHMENT_NAME_CHARS_MAX, NewAttachment};

/// Largest request that carries a submission (report, message, attachments), in bytes. Room
/// for the largest attachments, base64-encoded in JSON.
pub const SUBMISSION_BODY_BYTES_MAX: usize = 24 * 1024 * 1024;
/// Most attachments in one request.
pub const ATTACHMENTS_PER_REQUEST_MAX: usize = 4;

/// The client's IP address, for rate limits only (never logged with request contents).
///
/// The socket's peer, unless that peer is a trusted reverse proxy: then the right-most address
/// in `X-Forwarded-For` that is not itself a trusted proxy. A client cannot escape its limit by
/// sending the header itself. In-process tests have no socket and share the unspecified address.
pub struct ClientIp(pub IpAddr);

/// Picks the client address from the peer and the forwarded-for chain.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for
        .into_iter()
        .flat_map(|v| v.rsplit(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

impl FromRequestParts<crate::state::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::state::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(ClientIp(client_ip(
            peer,
            forwarded,
            state.trusted_proxies(),
        )))
    }
}

/// A file name safe to show and to offer for download: no directories, no control characters,
/// no quotes, bounded length.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';'))
        .take(ATTACHMENT_NAME_CHARS_MAX)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "attachment".to_owned()
    } else {
        cleaned
    }
}

/// A declared content type, kept only if it looks like `type/subtype`.
pub fn clean_content_type(declared: Option<&str>) -> String {
    let declared = declared.unwrap_or_default().trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match declared.split_once('/') {
        Some((a, b)) if token(a) && token(b.split(';').next().unwrap_or_default().trim()) => {
            declared
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        }
        _ => "application/octet-stream".to_owned(),
    }
}

/// Builds an attachment from submitted parts.
pub fn attachment(name: &str, content_type: Option<&str>, bytes: Vec<u8>) -> NewAttachment {
    NewAttachment {
        filename: clean_filename(name),
        content_type: clean_content_type(content_type),
        bytes,
    }
}

/// A deadline the policy promised the reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromisedDeadline {
    /// Stable name: acknowledge, assess, plan, fix, release, disclose.
    pub kind: &'static str,
    /// What the team will do by then.
    pub what: &'static str,
    /// When it is due (its limit).
    pub due: Timestamp,
    /// `None` while it runs; "met", "missed" or "cancelled" once resolved.
    pub outcome: Option<&'static str>,
}

/// The deadlines that concern the reporter: the report's clocks, latest of each kind. A report
/// stored before clocks existed gets its response deadlines computed from the policy.
pub fn reporter_deadlines(
    clocks: &Clocks,
    policy: &Policy,
    received_at: Timestamp,
) -> Vec<PromisedDeadline> {
    let clocks = if clocks.0.is_empty() {
        Case::received(policy, received_at).clocks
    } else {
        clocks.clone()
    };
    clocks
        .current()
        .into_iter()
        .filter(|c| c.kind.concerns_reporter() && c.outcome != Some(Outcome::Cancelled))
        .map(|c| PromisedDeadline {
            kind: c.kind.name(),
            what: match c.kind {
                ClockKind::Acknowledge => "acknowledge your report",
                ClockKind::Assess => "give an initial assessment",
                ClockKind::Plan => "send a detailed plan",
                other => other.describe(),
            },
            due: c.limit_at,
            outcome: c.outcome.map(Outcome::name),
        })
        .collect()
}

/// A moment as people read it, in the policy's time zone and in UTC.
pub fn human_time(policy: &Policy, at: Timestamp) -> String {
    let tz = jiff::tz::TimeZone::get(&policy.response.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = at.to_zoned(tz);
    if policy.response.time_zone == "UTC" {
        local.strftime("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        format!(
            "{} ({})",
            local.strftime("%Y-%m-%d %H:%M %Z"),
            at.strftime("%Y-%m-%d %H:%M UTC")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_tricks() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\x\\poc.py"), "poc.py");
        assert_eq!(
            clean_filename("a\"; filename=evil.html"),
            "a filename=evil.html"
        );
        assert_eq!(clean_filename(".."), "attachment");
        assert_eq!(clean_filename("\u{0000}\n"), "attachment");
        assert_eq!(
            clean_filename(&"x".repeat(500)).len(),
            ATTACHMENT_NAME_CHARS_MAX
        );
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let spoofed = Some("198.51.100.1, 203.0.113.7");
        assert_eq!(
            client_ip(proxy, spoofed, &[proxy]),
            client,
            "right-most untrusted hop"
        );
        assert_eq!(
            client_ip(client, Some("198.51.100.1"), &[proxy]),
            client,
            "a client cannot pick its address"
        );
        assert_eq!(client_ip(proxy, None, &[proxy]), proxy);
        assert_eq!(client_ip(proxy, Some("garbage"), &[proxy]), proxy);
        let inner: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(
            client_ip(proxy, Some("203.0.113.7, 10.0.0.2"), &[proxy, inner]),
            client
        );
    }

    #[test]
    fn content_types_are_kept_only_when_well_formed() {
        assert_eq!(
            clean_content_type(Some("Text/Plain; charset=utf-8")),
            "text/plain"
        );
        assert_eq!(
            clean_content_type(Some("text/html\r\nX: y")),
            "application/octet-stream"
        );
        assert_eq!(clean_content_type(None), "application/octet-stream");
    }
}
