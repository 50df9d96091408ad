//! The use cases on a real SQLite store, with a fixed clock: who may do what, and the rules
//! that hold whichever entry point calls them (the pages' and the terminal's tests drive the
//! same functions through their edges).

use jiff::Timestamp;
use postern_app::admin::NewWebhook;
use postern_app::case::Seen;
use postern_app::reporter::NewReport;
use postern_app::{Actor, App, Clock, Error};
use postern_core::case::Action;
use postern_core::intake::Submission;
use postern_core::project::{Project, Projects};
use postern_store::team::Role;
use postern_store::webhooks::WebhookKind;
use postern_store::{Store, StoreConfig};

const EXAMPLE: &str = include_str!("../../../examples/policies/example.toml");

fn now() -> Timestamp {
    "2026-11-23T10:00:00Z".parse().unwrap()
}

async fn app(dir: &tempfile::TempDir) -> App {
    let checked = postern_core::policy::parse_str(EXAMPLE, now());
    let projects = Projects::new(vec![Project {
        policy: checked.policy.unwrap(),
    }])
    .unwrap();
    let config = StoreConfig {
        database_url: None,
        postgres_schema: None,
    };
    let store = Store::open(&config, dir.path()).await.unwrap();
    App::new(
        projects,
        store,
        Clock::fixed(now()),
        "https://sec.example.org/",
    )
}

fn report() -> NewReport {
    let fields = [
        ("title", "RCE in the renderer"),
        ("description", "A crafted widget runs code."),
        ("impact", "Code execution"),
        ("steps_to_reproduce", "Render poc.widget"),
        ("proof_of_concept", "poc.widget"),
    ];
    NewReport {
        project: None,
        submission: Submission {
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            scope_category: Some("rce".into()),
            contact_email: None,
            credit_name: None,
        },
        uploads: Vec::new(),
        ..NewReport::default()
    }
}

async fn member(app: &App, email: &str, role: Role, projects: &[&str]) -> Actor {
    let projects: Vec<String> = projects.iter().map(|p| (*p).to_owned()).collect();
    let (user, _) = app
        .add_member(&Actor::operator("cli:test"), email, role, &projects)
        .await
        .unwrap();
    Actor::member(&user)
}

#[tokio::test]
async fn roles_and_projects_are_checked_by_the_use_case_not_the_entry_point() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let submitted = app.submit_report(report()).await.unwrap();
    assert_eq!(submitted.project, "acme-widgets");
    assert_eq!(submitted.received_at, now());
    assert!(!submitted.clocks.0.is_empty(), "receipt starts the clocks");

    let viewer = member(&app, "viewer@example.org", Role::Viewer, &[]).await;
    let refused = app
        .act_on_report(
            &viewer,
            &submitted.id,
            Seen::Current,
            Action::Acknowledge,
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Forbidden(m) if m.contains("triager")),
        "{refused:?}"
    );
    let elsewhere = member(&app, "other@example.org", Role::Triager, &["other"]).await;
    let hidden = app
        .act_on_report(
            &elsewhere,
            &submitted.id,
            Seen::Current,
            Action::Acknowledge,
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(hidden, Error::NotFound),
        "another project's report does not exist"
    );
    let triager = member(&app, "triager@example.org", Role::Triager, &[]).await;
    let stale = app
        .act_on_report(
            &triager,
            &submitted.id,
            Seen::Version(7),
            Action::Acknowledge,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, Error::Conflict(_)), "{stale:?}");
    let done = app
        .act_on_report(
            &triager,
            &submitted.id,
            Seen::Version(0),
            Action::Acknowledge,
            None,
        )
        .await
        .unwrap();
    assert_eq!(done.applied.event, "report.acknowledged");
    let empty = app
        .act_on_report(
            &triager,
            &submitted.id,
            Seen::Current,
            Action::MessageSent(false),
            Some("  "),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&empty, Error::Invalid(e) if e[0].field == "body"),
        "{empty:?}"
    );
    // Only admins manage accounts and webhooks.
    let forbidden = app
        .add_member(&triager, "new@example.org", Role::Admin, &[])
        .await
        .unwrap_err();
    assert!(matches!(forbidden, Error::Forbidden(_)), "{forbidden:?}");
}

#[tokio::test]
async fn a_webhook_is_checked_before_it_is_stored_and_a_generic_one_gets_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let admin = Actor::operator("cli:test");
    let hook = |url: &str, events: &[&str]| NewWebhook {
        project: "acme-widgets".into(),
        kind: WebhookKind::Generic,
        url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
    };
    for (url, events, field) in [
        ("ftp://example.org/x", &[][..], "url"),
        ("not a url", &[][..], "url"),
        (
            "https://hooks.example.org/x",
            &["new_report", "lunch"][..],
            "events",
        ),
    ] {
        let error = app
            .add_webhook(&admin, hook(url, events))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Invalid(e) if e[0].field == field),
            "{url}: {error:?}"
        );
    }
    let mut bad_project = hook("https://hooks.example.org/x", &[]);
    bad_project.project = "Acme Widgets".into();
    let error = app.add_webhook(&admin, bad_project).await.unwrap_err();
    assert!(
        matches!(&error, Error::Invalid(e) if e[0].field == "project"),
        "{error:?}"
    );
    assert!(
        app.store().webhooks(None).await.unwrap().is_empty(),
        "nothing stored"
    );

    let added = app
        .add_webhook(&admin, hook("https://hooks.example.org/x", &["new_report"]))
        .await
        .unwrap();
    let secret = added.secrets.signing_secret.clone().unwrap();
    assert!(secret.starts_with("whsec_"), "a generic webhook is signed");
    assert!(!added.plain_http);
    let removed = app.remove_webhook(&admin, &added.webhook.id).await.unwrap();
    assert_eq!(removed.id, added.webhook.id);
    let again = app
        .remove_webhook(&admin, &added.webhook.id)
        .await
        .unwrap_err();
    assert!(matches!(again, Error::NotFound), "{again:?}");
}

#[tokio::test]
async fn a_date_is_proposed_once_until_the_team_answers() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let submitted = app.submit_report(report()).await.unwrap();
    let key = &submitted.case_key;
    let first = app
        .propose_disclosure_date(Some(&submitted.id), key, "2026-12-20", "a talk")
        .await
        .unwrap();
    assert_eq!(first.asked_for, "2026-12-20T00:00:00Z".parse().unwrap());
    let second = app
        .propose_disclosure_date(Some(&submitted.id), key, "2026-12-21", "")
        .await
        .unwrap_err();
    assert!(
        matches!(&second, Error::Invalid(e) if e[0].field == "date" && e[0].message.contains("already proposed")),
        "{second:?}"
    );
    let past = app
        .propose_disclosure_date(None, key, "2026-01-01", "")
        .await
        .unwrap_err();
    assert!(
        matches!(&past, Error::Invalid(e) if e[0].field == "date"),
        "{past:?}"
    );
    // Another report's key does not open this one.
    let other = app.submit_report(report()).await.unwrap();
    let missing = app
        .propose_disclosure_date(Some(&submitted.id), &other.case_key, "2026-12-20", "")
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound), "{missing:?}");
}

#[tokio::test]
async fn a_disclosed_report_owes_nothing_and_leaves_the_queue_quiet() {
    use postern_core::case::Rating;
    use postern_core::clock::{ClockKind, Outcome};
    use postern_core::policy::Severity;
    use postern_store::team::{QueueFilter, QueueState};

    let dir = tempfile::tempdir().unwrap();
    let plain = app(&dir).await;
    let (clock, hands) = Clock::manual(now());
    let app = App::new(
        plain.projects().clone(),
        plain.store().clone(),
        clock,
        "https://sec.example.org/",
    );
    let id = app.submit_report(report()).await.unwrap().id;
    let operator = Actor::operator("cli:test");
    let day = 24 * 3600;
    for (days, action) in [
        (0, Action::Acknowledge),
        (
            1,
            Action::Accept(Rating {
                severity: Some(Severity::Medium),
                ..Rating::default()
            }),
        ),
        // No plan was ever sent: the fix came first, after the plan's two weeks.
        (20, Action::Fixed(vec!["2.0.1".into()])),
        (3, Action::Disclose),
    ] {
        hands.advance_seconds(days * day);
        app.act_on_report(&operator, &id, Seen::Current, action, None)
            .await
            .unwrap();
    }
    let case = app.visible_case(&operator, &id).await.unwrap().case;
    assert!(
        case.clocks.0.iter().all(|c| !c.is_open()),
        "{:?}",
        case.clocks
    );
    let outcome = |kind| {
        case.clocks
            .0
            .iter()
            .rev()
            .find(|c| c.kind == kind)
            .and_then(|c| c.outcome)
    };
    assert_eq!(outcome(ClockKind::Plan), Some(Outcome::Missed));
    assert_eq!(outcome(ClockKind::Fix), Some(Outcome::Met));
    assert_eq!(outcome(ClockKind::Disclose), Some(Outcome::Met));
    // The fix's notice was an update, so the one after it counts from it, and was kept.
    assert_eq!(outcome(ClockKind::Update), Some(Outcome::Met));
    hands.advance_seconds(365 * day);
    let overdue = app
        .store()
        .queue(
            &QueueFilter {
                state: QueueState::All,
                overdue_at: Some(app.now()),
                ..QueueFilter::default()
            },
            10,
        )
        .await
        .unwrap();
    assert!(overdue.is_empty(), "{overdue:?}");
}

#[tokio::test]
async fn publishing_before_the_agreed_date_needs_a_reason_which_the_reporter_is_told() {
    use postern_app::advisory::PastMoment;
    use postern_core::case::Rating;
    use postern_core::policy::Severity;

    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let submitted = app.submit_report(report()).await.unwrap();
    let (id, key) = (&submitted.id, &submitted.case_key);
    let operator = Actor::operator("cli:test");
    for action in [
        Action::Acknowledge,
        Action::Accept(Rating {
            severity: Some(Severity::High),
            ..Rating::default()
        }),
        Action::Fixed(vec!["2.0.1".into()]),
    ] {
        app.act_on_report(&operator, id, Seen::Current, action, None)
            .await
            .unwrap();
    }
    let advisory = app
        .draft_advisory_from_report(&operator, id)
        .await
        .unwrap()
        .id;
    let request = app
        .propose_disclosure_date(Some(id), key, "2026-12-20", "my talk that day")
        .await
        .unwrap();
    app.answer_disclosure_request(&operator, id, &request.id, true, "")
        .await
        .unwrap();

    // Neither an earlier schedule nor publishing now without a reason is taken.
    let earlier = app
        .schedule_advisory(
            &operator,
            &advisory,
            Some("2026-12-01T00:00:00Z".parse().unwrap()),
            PastMoment::Refused,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&earlier, Error::Refused(m) if m.contains("agreed with the reporter is 2026-12-20 00:00 UTC")),
        "{earlier:?}"
    );
    for reason in [None, Some(""), Some(" \n ")] {
        let refused = app
            .publish_advisory(&operator, &advisory, reason)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, Error::Refused(m) if m.contains("give the reason")),
            "{refused:?}"
        );
    }
    let too_long = "x".repeat(postern_app::advisory::EARLY_REASON_MAX + 1);
    assert!(matches!(
        app.publish_advisory(&operator, &advisory, Some(&too_long))
            .await,
        Err(Error::Refused(_))
    ));
    let stored = app.store().advisory(&advisory).await.unwrap().unwrap();
    assert!(stored.published_at.is_none());

    // With a reason it is published, and the reporter is told when and why.
    let reason = "It is exploited in the wild since 2026-11-22.";
    app.publish_advisory(&operator, &advisory, Some(reason))
        .await
        .unwrap();
    let view = app.store().reporter_view(Some(id), key).await.unwrap();
    let told = view
        .messages
        .iter()
        .find(|m| m.body.contains(reason))
        .expect("the reporter is told the reason");
    assert!(
        told.body
            .contains("before the disclosure date agreed with you (2026-12-20 00:00 UTC)"),
        "{told:?}"
    );
    // The audit log says it came early, and keeps the reason out (it is in the sealed notice).
    let events = app.store().report_events(id).await.unwrap();
    let published = events
        .iter()
        .find(|e| e.action == "advisory.published")
        .unwrap();
    assert_eq!(published.detail, format!("advisory={advisory} early=1"));
    assert!(events.iter().all(|e| !e.detail.contains("exploited")));
}
