//! What operators and their tools read: `/readyz` (the database answers, migrations done),
//! `/audit/checkpoint` (the audit log's count and head hash, public so that anyone may keep
//! copies), and `/metrics` in Prometheus' text format, served only by `metrics_router` on a
//! listener of its own (`serve --metrics-listen`), never on the public one.
//!
//! Requests are counted by the route's template (`/api/v1/reports/{id}`), never the path
//! itself, so that no id or key reaches a label and the number of series stays bounded;
//! a request no route matched counts as `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// The upper bounds of the latency histogram's buckets, in seconds.
pub const LATENCY_BUCKETS_SECONDS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// How soon a promise's limit counts as near (`postern_reports_due{when="soon"}`).
pub const DUE_SOON: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// One route's latencies.
#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Requests at or under each bucket's bound (not cumulative; summed when rendered).
    buckets: [u64; LATENCY_BUCKETS_SECONDS.len()],
    count: u64,
    sum_seconds: f64,
}

/// Request counts and latencies since start.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (route, method, status) -> requests.
    requests: Mutex<BTreeMap<(String, &'static str, u16), u64>>,
    /// route -> latencies.
    latency: Mutex<BTreeMap<String, Histogram>>,
}

/// The method as a label: the usual ones by name, anything else as `other` (a client
/// chooses the method, and labels must stay few).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    fn record(&self, route: &str, method: &'static str, status: u16, seconds: f64) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((route.to_owned(), method, status))
                .or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let h = latency.entry(route.to_owned()).or_default();
            if let Some(i) = LATENCY_BUCKETS_SECONDS.iter().position(|b| seconds <= *b) {
                h.buckets[i] += 1;
            }
            h.count += 1;
            h.sum_seconds += seconds;
        }
    }

    /// The HTTP series in Prometheus' text format.
    fn render(&self, out: &mut String) {
        out.push_str("# HELP postern_http_requests_total HTTP requests answered, by route template, method and status.\n# TYPE postern_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, method, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "postern_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP postern_http_request_duration_seconds Time to answer, by route template.\n# TYPE postern_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, h) in latency.iter() {
                let route = escape(route);
                let mut cumulative = 0;
                for (bound, n) in LATENCY_BUCKETS_SECONDS.iter().zip(h.buckets) {
                    cumulative += n;
                    let _ = writeln!(
                        out,
                        "postern_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "postern_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\npostern_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\npostern_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    h.count, h.sum_seconds, h.count
                );
            }
        }
    }
}

/// A label value as Prometheus reads it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Counts every request by its route's template, status and time (a layer of `router`).
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics().record(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The public routes of this module.
pub(crate) fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/readyz", readyz)
        .get("/audit/checkpoint", checkpoint)
}

/// The metrics listener's routes: `/metrics`, and `/healthz` and `/readyz` beside it.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// 200 when the database answers and is migrated; 503 with the reason otherwise (no details
/// of the database).
async fn readyz(State(state): State<AppState>) -> Response {
    let (status, text) = match state.store().readiness().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(not) => {
            tracing::warn!(error = %not, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {not}\n"),
            )
        }
    };
    (status, [(header::CACHE_CONTROL, "no-store")], text).into_response()
}

/// The audit log's checkpoint now, as JSON (`postern audit verify --checkpoint` reads it).
async fn checkpoint(State(state): State<AppState>) -> Response {
    match state.store().audit_checkpoint(state.now()).await {
        Ok(checkpoint) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            checkpoint.to_json(),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "could not read the audit checkpoint");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, "no-store")],
                "the audit log cannot be read now\n",
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    state.metrics().render(&mut out);
    let _ = writeln!(
        out,
        "# HELP postern_mail_ingest_errors_total Messages mail in could not take (refused or failed) since start.\n# TYPE postern_mail_ingest_errors_total counter\npostern_mail_ingest_errors_total {}",
        state.app().ingest_errors()
    );
    match state.store().gauges(state.now(), DUE_SOON).await {
        Ok(g) => {
            let _ = write!(
                out,
                "# HELP postern_reports_received_total Reports received, in all.\n# TYPE postern_reports_received_total counter\npostern_reports_received_total {}\n\
                 # HELP postern_jobs Outbox jobs by state (pending includes running).\n# TYPE postern_jobs gauge\npostern_jobs{{state=\"pending\"}} {}\npostern_jobs{{state=\"dead\"}} {}\n\
                 # HELP postern_reports_due Reports whose next promised limit has passed, or falls within 24 hours.\n# TYPE postern_reports_due gauge\npostern_reports_due{{when=\"past\"}} {}\npostern_reports_due{{when=\"soon\"}} {}\n\
                 # HELP postern_up Whether the database answered this scrape.\n# TYPE postern_up gauge\npostern_up 1\n",
                g.reports, g.jobs_pending, g.jobs_dead, g.clocks_past, g.clocks_near
            );
        }
        Err(error) => {
            tracing::warn!(%error, "could not read the database's counts for /metrics");
            out.push_str("# HELP postern_up Whether the database answered this scrape.\n# TYPE postern_up gauge\npostern_up 0\n");
        }
    }
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response()
}

/// Serves `metrics_router` on its own listener until `shutdown` completes.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, metrics_router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
