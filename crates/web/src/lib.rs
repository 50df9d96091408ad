//! Postern's HTTP layer: every page and API endpoint, and nothing else.
//!
//! Each area is a module with a `router()`; `router` merges them under one set of security
//! headers and limits. Handlers turn requests into calls on the core and the store, and their
//! results into HTML (askama templates, readable without JavaScript) or JSON.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![recursion_limit = "256"]

mod advisories;
mod api;
mod csaf;
mod error;
mod forms;
mod intake;
mod logging;
mod markdown;
mod nav;
mod openapi;
mod openpgp_keys;
mod ops;
mod pages;
mod policy_pages;
mod privacy;
mod routes;
mod scans_api;
mod state;
mod stats;
mod subscriptions;
mod team;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::{ApiError, Error};
pub use intake::{ATTACHMENTS_PER_REQUEST_MAX, SUBMISSION_BODY_BYTES_MAX};
pub use logging::{LOG_DEFAULT, LOG_TARGETS_SILENCED, log_filter};
pub use ops::{Metrics, metrics_router, serve_metrics};
pub use routes::Route;
pub use state::{AppState, Clock, IntakeLimits, ManualClock, Project};

/// Largest request body accepted by pages that take no submission, before any handler runs.
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;

/// Content-Security-Policy for every response: no scripts at all, styles and images only from
/// Postern itself, no framing, forms post only back to Postern.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Serves the whole application on `listener` until `shutdown` completes, then lets the
/// requests under way finish. Each request knows its client's address (for rate limits).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Strict-Transport-Security when the public address is https: a year, subdomains included
/// (a security contact's host should be HTTPS-only throughout).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Every route of the application, each module's, in the order the router is built from them.
fn all_routes() -> routes::Routes {
    let small = routes::Routes::new()
        .merge(policy_pages::router())
        .merge(openpgp_keys::router())
        .merge(advisories::router())
        .merge(csaf::router())
        .merge(stats::router())
        .merge(privacy::router())
        .merge(pages::router())
        .merge(subscriptions::router())
        .merge(ops::router())
        .map(|r| r.layer(RequestBodyLimitLayer::new(REQUEST_BODY_BYTES_MAX)));
    routes::Routes::new()
        .merge(small)
        .merge(api::router())
        .merge(scans_api::router())
        .merge(forms::router())
        .merge(team::router())
}

/// The method and path of every route the router serves, taken from the table it is built
/// from (anything else is the 404 page).
pub fn routes() -> Vec<Route> {
    let (_, mut table) = all_routes().into_parts();
    table.sort();
    table
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let headers: [(HeaderName, &'static str); 7] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    // Browsers keep to HTTPS once they have seen this over it; over plain HTTP (a local test
    // instance) it would mean nothing and is not sent.
    let https = state.public_url().starts_with("https://");
    let (routes, _) = all_routes().into_parts();
    let mut app = routes
        .fallback(pages::not_found)
        // On every route and the fallback, inside the routing, so that it sees the matched
        // route's template (the fallback's requests count as `unmatched`).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::track,
        ))
        .with_state(state);
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if https {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        ));
    }
    app
}
