//! What the report form, the tracking pages and the JSON API share: the client's address for
//! rate limits, the request size limits, and how a moment reads (attachment hygiene and the
//! promised deadlines are the use cases', re-exported here).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use jiff::Timestamp;
use postern_core::policy::Policy;

/// Largest request that carries a submission (report, message, attachments), in bytes. Room
/// for the largest attachments, base64-encoded in JSON.
pub const SUBMISSION_BODY_BYTES_MAX: usize = 24 * 1024 * 1024;
pub use postern_app::intake::{ATTACHMENTS_PER_REQUEST_MAX, PromisedDeadline, reporter_deadlines};

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

/// A moment in the policy's time zone only, for a compact column (`human_time` gives UTC too).
pub fn local_time(policy: &Policy, at: Timestamp) -> String {
    let tz = jiff::tz::TimeZone::get(&policy.response.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    at.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
