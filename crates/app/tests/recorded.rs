//! Reports the team records from the channels Postern does not serve, on a real SQLite store
//! with a fixed clock: every kind of channel the example policies name runs its clocks from the
//! real receipt, the audit log names who entered it and through which channel, and the rules
//! (role, project, channel, moment, fields) hold whichever entry point calls the use case.

use jiff::{SignedDuration, Timestamp};
use postern_app::recorded::RecordedReport;
use postern_app::{Actor, App, Clock, Error};
use postern_core::case::Case;
use postern_core::intake::Submission;
use postern_core::policy::ChannelKind;
use postern_core::project::{Project, Projects};
use postern_store::team::Role;
use postern_store::{Store, StoreConfig};

fn now() -> Timestamp {
    "2026-11-23T10:00:00Z".parse().unwrap()
}

/// The example policies, the first (example.toml) the default project.
fn examples() -> Vec<Project> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort_by_key(|p| !p.ends_with("example.toml"));
    paths
        .iter()
        .map(|p| {
            let checked = postern_core::policy::parse(&std::fs::read(p).unwrap(), now());
            Project {
                policy: checked.policy.unwrap_or_else(|| panic!("{}", p.display())),
            }
        })
        .collect()
}

async fn app(dir: &tempfile::TempDir) -> App {
    let config = StoreConfig {
        database_url: None,
        postgres_schema: None,
    };
    let store = Store::open(&config, dir.path()).await.unwrap();
    App::new(
        Projects::new(examples()).unwrap(),
        store,
        Clock::fixed(now()),
        "https://sec.example.org/",
    )
}

async fn member(app: &App, email: &str, role: Role, projects: &[&str]) -> Actor {
    let projects: Vec<String> = projects.iter().map(|p| (*p).to_owned()).collect();
    let (user, _) = app
        .add_member(&Actor::operator("cli:test"), email, role, &projects)
        .await
        .unwrap();
    Actor::member(&user)
}

/// A report of `project` through `channel`, received at `received_at`, with the first field of
/// its form only (a chat message rarely answers every question of a form).
fn recorded(app: &App, project: &str, channel: &str, received_at: &str) -> RecordedReport {
    let first = &app.project(project).unwrap().policy.form.fields[0];
    RecordedReport {
        project: Some(project.to_owned()),
        channel: channel.to_owned(),
        received_at: received_at.to_owned(),
        submission: Submission {
            fields: vec![(first.id.clone(), "Reported by hand: the details.".into())],
            ..Submission::default()
        },
        uploads: Vec::new(),
        give_case_key: false,
    }
}

#[tokio::test]
async fn every_channel_the_example_policies_name_runs_its_clocks_from_the_real_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let tri = member(&app, "tri@example.org", Role::Triager, &[]).await;
    let received = now() - SignedDuration::from_hours(26);
    let mut kinds_seen = Vec::new();
    for project in examples() {
        let policy = &project.policy;
        assert!(
            !policy.recordable_channels().is_empty(),
            "{}",
            project.slug()
        );
        for kind in policy.recordable_channels() {
            kinds_seen.push(kind);
            let done = app
                .record_report(
                    &tri,
                    recorded(&app, project.slug(), kind.name(), &received.to_string()),
                )
                .await
                .unwrap_or_else(|e| panic!("{} {}: {e}", project.slug(), kind.name()));
            let what = format!("{} through {}", project.slug(), kind.name());
            assert_eq!(done.channel, kind, "{what}");
            assert_eq!(done.received_at, received, "{what}");
            assert!(done.case_key.is_none(), "{what}");
            // The clocks of a report that arrived then, not now, as stored.
            let expected = Case::received(policy, received).clocks;
            assert!(
                !expected.0.is_empty(),
                "{what}: the policy promises something"
            );
            assert_eq!(done.clocks, expected, "{what}");
            let row = app.store().case_row(&done.id).await.unwrap();
            assert_eq!(row.case.clocks, expected, "{what}");
            assert!(
                row.case.clocks.0.iter().all(|c| c.started_at == received),
                "{what}: {:?}",
                row.case.clocks
            );
            // A 24- or 48-hour acknowledgement promised then is due a day or two after it.
            if let Some(ack) = row
                .case
                .clocks
                .0
                .iter()
                .find(|c| c.kind == postern_core::clock::ClockKind::Acknowledge)
                && let Some(limit) = ack.limit_at()
            {
                assert!(
                    limit <= received + SignedDuration::from_hours(24 * 4),
                    "{what}"
                );
            }
            // The audit log: received (by the reporter, then, through the channel), and who
            // recorded it.
            let events = app.store().report_events(&done.id).await.unwrap();
            assert_eq!(events[0].action, "report.received", "{what}");
            assert_eq!(events[0].actor, "reporter");
            assert_eq!(events[0].at, received);
            assert!(
                events[0]
                    .detail
                    .ends_with(&format!("channel={}", kind.name())),
                "{what}: {}",
                events[0].detail
            );
            assert_eq!(events[1].action, "report.recorded", "{what}");
            assert_eq!(events[1].actor, "tri@example.org");
            assert_eq!(events[1].at, now());
            assert_eq!(
                events[1].detail,
                format!(
                    "channel={} received_at=2026-11-22T08:00:00.000Z case_key=none",
                    kind.name()
                )
            );
            assert_eq!(
                app.store().report_channel(&done.id).await.unwrap(),
                kind.name()
            );
        }
    }
    kinds_seen.sort_by_key(|k| k.name());
    kinds_seen.dedup();
    assert_eq!(
        kinds_seen,
        [
            ChannelKind::Chat,
            ChannelKind::Email,
            ChannelKind::GithubAdvisories,
            ChannelKind::IssueTracker,
        ],
        "every kind the examples name but the form"
    );
    app.store().verify_audit().await.unwrap();
}

#[tokio::test]
async fn recording_needs_a_triager_of_the_project_a_named_channel_and_a_real_moment() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(&dir).await;
    let tri = member(&app, "tri@example.org", Role::Triager, &["openchat"]).await;
    let viewer = member(&app, "view@example.org", Role::Viewer, &[]).await;
    let yesterday = "2026-11-22T09:00:00Z";

    let refused = app
        .record_report(&viewer, recorded(&app, "openchat", "email", yesterday))
        .await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let elsewhere = app
        .record_report(&tri, recorded(&app, "openinteractions", "chat", yesterday))
        .await;
    match elsewhere {
        Err(Error::Invalid(e)) => {
            assert_eq!(e[0].field, "project");
            assert!(e[0].message.contains("yours: openchat"), "{e:?}");
        }
        other => panic!("{other:?}"),
    }
    // A default project the member may not see does not exist for them.
    let mut default = recorded(&app, "acme-widgets", "chat", yesterday);
    default.project = None;
    assert!(matches!(
        app.record_report(&tri, default).await,
        Err(Error::NotFound)
    ));

    // Everything wrong is said at once, each by its field.
    let mut bad = recorded(&app, "openchat", "web-form", "2026-11-23T10:00:01Z");
    bad.submission.fields.clear();
    bad.submission.contact_email = Some("ada@example.net".into());
    let Err(Error::Invalid(errors)) = app.record_report(&tri, bad).await else {
        panic!("refused")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["channel", "received_at", "contact_email", "description"],
        "{errors:#?}"
    );
    assert!(errors[0].message.contains("in Postern already"));
    assert!(errors[1].message.contains("is in the future"));
    assert!(
        errors[3]
            .message
            .contains("at least one of the form's fields")
    );
    let not_named = app
        .record_report(&tri, recorded(&app, "openchat", "chat", yesterday))
        .await;
    assert!(
        matches!(&not_named, Err(Error::Invalid(e)) if e[0].message.ends_with("names no chat channel, so none of its promises covers a report that came that way; it names: email, issue-tracker")),
        "{not_named:?}"
    );
    assert_eq!(app.store().count_reports().await.unwrap(), 0);

    // A field the public form requires may stay empty; the time of day is read in the
    // policy's zone (OpenChat's is UTC).
    let mut by_tracker = recorded(&app, "openchat", "issue tracker", "2026-11-22 09:00");
    by_tracker.submission.fields = vec![("details".into(), "From issue #412.".into())];
    let done = app.record_report(&tri, by_tracker).await.unwrap();
    assert_eq!(done.received_at, yesterday.parse::<Timestamp>().unwrap());
    assert_eq!(done.channel, ChannelKind::IssueTracker);

    // By email the conversation goes by mail, so an address needs no case key; otherwise
    // the reporter gets one to follow the report, and it opens only this report.
    let mut by_mail = recorded(&app, "openchat", "email", yesterday);
    by_mail.submission.contact_email = Some("ada@example.net".into());
    assert!(
        app.record_report(&tri, by_mail)
            .await
            .unwrap()
            .case_key
            .is_none()
    );
    let mut with_key = recorded(&app, "openchat", "issue-tracker", yesterday);
    with_key.submission.contact_email = Some("ada@example.net".into());
    with_key.give_case_key = true;
    let done = app.record_report(&tri, with_key).await.unwrap();
    let key = done.case_key.expect("handed over");
    let view = app.reporter_view(Some(&done.id), &key).await.unwrap();
    assert_eq!(view.received_at, yesterday.parse::<Timestamp>().unwrap());
    assert_eq!(
        view.submission.contact_email.as_deref(),
        Some("ada@example.net")
    );
    let events = app.store().report_events(&done.id).await.unwrap();
    assert!(events[1].detail.ends_with("case_key=given"), "{events:?}");
}
