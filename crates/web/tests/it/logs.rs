//! No input makes the log grow with its size: a reporter's 64 KiB description of `<table>x`
//! repeated, drafted into an advisory, once made the HTML parser under the sanitizer write a
//! warning per repetition at every view of the page. The log is captured here through the
//! filter `serve` installs (`postern_web::log_filter`), asked for its most talkative level.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support;

use axum::http::StatusCode;
use postern_app::Actor;
use postern_app::case::Seen;
use postern_core::case::{Action, Rating};
use postern_core::intake::FIELD_TEXT_BYTES_MAX;
use postern_core::report::ReportId;
use postern_web::IntakeLimits;
use serde_json::json;
use support::{TestApp, project};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Lines of log a view of the advisory may write, whatever its size.
const LOG_LINES_PER_VIEW_MAX: usize = 5;

/// The log lines written, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn lines(&self) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Logs of this thread (the test's runtime is single-threaded) through `filter` into `into`,
/// `log` records (html5ever's) included, until the guard is dropped.
fn capture(filter: EnvFilter, into: &Captured) -> tracing::subscriber::DefaultGuard {
    let writer = into.clone();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish()
        .set_default()
}

#[tokio::test]
async fn a_table_bomb_drafted_into_an_advisory_writes_a_bounded_log_at_every_view() {
    let shipping = project(
        "Acme",
        "[[products]]\nname = \"acme\"\necosystem = \"PyPI\"\npackage = \"acme\"\n",
    );
    let app = TestApp::with_limits(vec![shipping], IntakeLimits::default()).await;
    let bomb = "<table>x".repeat(FIELD_TEXT_BYTES_MAX / "<table>x".len());
    assert!(bomb.len() > 60 * 1024);
    let reply = app
        .post_json(
            "/api/v1/reports",
            &json!({"fields": {"title": "Tables", "description": bomb, "impact": "logs", "steps_to_reproduce": "view"}}),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let id = ReportId::parse(reply.json()["id"].as_str().unwrap()).unwrap();
    let operator = Actor::operator("cli:test");
    for action in [
        Action::Accept(Rating {
            cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
            ..Rating::default()
        }),
        Action::Fixed(vec!["1.0.1".into()]),
    ] {
        app.uses
            .act_on_report(&operator, &id, Seen::Current, action, None)
            .await
            .unwrap();
    }
    let draft = app
        .uses
        .draft_advisory_from_report(&operator, &id)
        .await
        .unwrap();
    assert!(
        draft.details.contains("<table>x<table>x"),
        "the bomb is in the draft"
    );
    app.uses
        .publish_advisory(&operator, &draft.id, None)
        .await
        .unwrap();
    let page = format!("/advisories/{}", draft.id);

    // Without the silenced targets the parser's warnings are there to be seen: the capture
    // works, and the page is the bomb it is meant to be.
    let unfiltered = Captured::default();
    {
        let _guard = capture(EnvFilter::new("debug"), &unfiltered);
        assert_eq!(app.get(&page).await.status, StatusCode::OK);
    }
    assert!(
        unfiltered.lines() > 1_000,
        "the parser warns per table: {} lines",
        unfiltered.lines()
    );

    // Through serve's filter, at the most talkative level an operator can ask for, three views
    // write (almost) nothing.
    let filtered = Captured::default();
    {
        let _guard = capture(postern_web::log_filter(Some("trace")), &filtered);
        for _ in 0..3 {
            let view = app.get(&page).await;
            assert_eq!(view.status, StatusCode::OK);
            assert!(view.text().contains("Tables"));
        }
    }
    assert!(
        filtered.lines() <= 3 * LOG_LINES_PER_VIEW_MAX,
        "{} lines:\n{}",
        filtered.lines(),
        filtered.text().chars().take(2_000).collect::<String>()
    );
}
