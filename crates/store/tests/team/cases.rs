//! The team's side of the store on both databases: accounts, sign-in throttling, sessions,
//! the queue and case changes, each audited.

use jiff::{SignedDuration, Timestamp};
use postern_core::case::{Action, Case, Rating, apply};
use postern_core::policy::Severity;
use postern_core::report::ReportStatus;
use postern_store::StoreError;
use postern_store::team::{QueueFilter, QueueState, Role, SessionStage};

use super::{at, backends, submission};

fn policy() -> postern_core::policy::Policy {
    let text = r#"
[project]
name = "Acme"
slug = "acme"

[[channels]]
kind = "web-form"

[response]
time_zone = "UTC"
acknowledge = "48 hours"
assess = "5 days"

[severity.critical]
fix = "7 days"
"#;
    let checked = postern_core::policy::parse_str(text, at("2026-11-01T00:00:00Z"));
    checked.policy.unwrap()
}

#[tokio::test]
async fn accounts_sign_in_throttled_never_locked_and_sessions_expire() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        let (user, token) = s
            .create_user(
                "Alice@Example.org",
                Role::Triager,
                &["acme".into()],
                "cli",
                now,
            )
            .await
            .unwrap();
        assert_eq!(user.email, "alice@example.org", "{}", b.name);
        assert!(user.can_see("acme") && !user.can_see("other"));
        let again = s
            .create_user("alice@example.org", Role::Viewer, &[], "cli", now)
            .await
            .unwrap_err();
        assert!(again.to_string().contains("exists already"), "{again}");
        // The setup link works once, and not after it expires.
        let late = now + SignedDuration::from_hours(25);
        assert!(matches!(
            s.setup_user(&token, late).await,
            Err(StoreError::NotFound)
        ));
        let hash = postern_store::credentials::hash_password("a long enough passphrase").unwrap();
        let user = s.complete_setup(&token, &hash, None, now).await.unwrap();
        assert!(user.password_hash.is_some());
        assert!(s.complete_setup(&token, &hash, None, now).await.is_err());
        // Five failures for an account from one address are free; then that address waits
        // (30 s, doubling, at most 15 minutes) for that account only. The account is never
        // locked: another address signs in at once.
        let mallory = "203.0.113.9";
        for _ in 0..4 {
            s.login_failed(Some(&user), &user.email, mallory, "password", now)
                .await
                .unwrap();
        }
        assert_eq!(
            s.signin_wait(&user.email, mallory, now).await.unwrap(),
            None
        );
        s.login_failed(Some(&user), &user.email, mallory, "password", now)
            .await
            .unwrap();
        assert_eq!(
            s.signin_wait(&user.email, mallory, now).await.unwrap(),
            Some(SignedDuration::from_secs(30))
        );
        assert_eq!(
            s.signin_wait(&user.email, "198.51.100.1", now)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            s.signin_wait("other@example.org", mallory, now)
                .await
                .unwrap(),
            None,
            "other accounts from the same address are not held up"
        );
        for _ in 0..10 {
            s.login_failed(Some(&user), &user.email, mallory, "password", now)
                .await
                .unwrap();
        }
        assert_eq!(
            s.signin_wait(&user.email, mallory, now).await.unwrap(),
            Some(SignedDuration::from_mins(15)),
            "the wait is capped"
        );
        let counted = s.user_by_email("alice@example.org").await.unwrap().unwrap();
        assert_eq!(counted.failed_logins, 15);
        assert_eq!(counted.locked_until, Timestamp::UNIX_EPOCH, "never locked");
        // An unknown account is held up the same way, so the wait tells nothing.
        for _ in 0..5 {
            s.login_failed(None, "nobody@example.org", "192.0.2.7", "unknown", now)
                .await
                .unwrap();
        }
        assert_eq!(
            s.signin_wait("nobody@example.org", "192.0.2.7", now)
                .await
                .unwrap(),
            Some(SignedDuration::from_secs(30))
        );
        // A success from the address forgets its failures for the account.
        s.login_succeeded(&user, mallory, "password", now)
            .await
            .unwrap();
        assert_eq!(
            s.signin_wait(&user.email, mallory, now).await.unwrap(),
            None
        );
        // Twenty failures from one address throttle it, whatever the account.
        let far = now + SignedDuration::from_hours(2);
        assert!(!s.client_throttled(mallory, far).await.unwrap());
        for i in 0..20 {
            s.login_failed(None, &format!("n{i}@example.org"), mallory, "unknown", far)
                .await
                .unwrap();
        }
        assert!(s.client_throttled(mallory, far).await.unwrap());
        assert_eq!(
            s.signin_wait("fresh@example.org", mallory, far)
                .await
                .unwrap(),
            Some(postern_store::team::CLIENT_WINDOW)
        );
        assert!(!s.client_throttled("198.51.100.1", far).await.unwrap());
        assert!(
            !s.client_throttled(mallory, far + SignedDuration::from_mins(16))
                .await
                .unwrap()
        );
        // Sessions: found by token, gone after the idle timeout, and signed out everywhere.
        let cookie = s
            .create_session(&user, SessionStage::Full, now)
            .await
            .unwrap();
        let session = s
            .session(&cookie, now + SignedDuration::from_mins(30))
            .await
            .unwrap();
        assert_eq!(session.unwrap().user.id, user.id);
        assert!(s.session("forged", now).await.unwrap().is_none());
        let idle = now + SignedDuration::from_mins(30) + SignedDuration::from_mins(61);
        assert!(s.session(&cookie, idle).await.unwrap().is_none());
        let one = s
            .create_session(&user, SessionStage::Full, now)
            .await
            .unwrap();
        let two = s
            .create_session(&user, SessionStage::Full, now)
            .await
            .unwrap();
        s.end_all_sessions(&user, now).await.unwrap();
        assert!(s.session(&one, now).await.unwrap().is_none());
        assert!(s.session(&two, now).await.unwrap().is_none());
        // The absolute timeout holds even for a busy session.
        let busy = s
            .create_session(&user, SessionStage::Full, now)
            .await
            .unwrap();
        let mut t = now;
        for _ in 0..12 {
            t += SignedDuration::from_mins(59);
            let _ = s.session(&busy, t).await.unwrap();
        }
        assert!(
            s.session(&busy, now + SignedDuration::from_hours(12))
                .await
                .unwrap()
                .is_none()
        );
        // TOTP secrets are stored wrapped, and a step can be used once.
        let secret = [9u8; 20];
        s.set_totp(&user, &secret, &[[1; 32]], now).await.unwrap();
        let (stored, last) = s.totp_secret(&user).await.unwrap().unwrap();
        assert_eq!(stored.as_slice(), &secret);
        assert_eq!(last, None);
        assert!(s.use_totp_step(&user, 100).await.unwrap());
        assert!(!s.use_totp_step(&user, 100).await.unwrap());
        assert!(s.use_recovery_code(&user, &[1; 32]).await.unwrap());
        assert!(!s.use_recovery_code(&user, &[1; 32]).await.unwrap());
        // Every one of these is on the record.
        let (events, _) = s.verify_audit().await.unwrap();
        assert!(events >= 24, "{events} events");
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn the_queue_orders_by_deadline_and_changes_are_audited_and_race_free() {
    let policy = policy();
    for b in backends().await {
        let s = &b.store;
        let mut ids = Vec::new();
        // Received an hour apart: the oldest is due first.
        for (i, hour) in [12, 10, 11].into_iter().enumerate() {
            let received = at(&format!("2026-11-23T{hour}:00:00Z"));
            let case = Case::received(&policy, received);
            let (id, _) = s
                .create_case_report(
                    "acme",
                    &submission(&format!("bug {i}")),
                    &[],
                    received,
                    &case.clocks,
                )
                .await
                .unwrap();
            ids.push(id);
        }
        let queue = s.queue(&QueueFilter::default(), 50).await.unwrap();
        let order: Vec<_> = queue.iter().map(|r| r.id.clone()).collect();
        assert_eq!(
            order,
            vec![ids[1].clone(), ids[2].clone(), ids[0].clone()],
            "{}",
            b.name
        );
        assert_eq!(queue[0].next_due_at, Some(at("2026-11-25T10:00:00Z")));
        // Accept the newest as critical: its fix clock (7 days) is not the earliest.
        let row = s.case_row(&ids[0]).await.unwrap();
        let applied = apply(
            &row.case,
            &Action::Accept(Rating {
                cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
                ..Rating::default()
            }),
            &policy,
            at("2026-11-23T13:00:00Z"),
        )
        .unwrap();
        s.record_case_change(
            &ids[0],
            row.version,
            &applied,
            Some("Thanks, confirmed."),
            "alice@example.org",
            at("2026-11-23T13:00:00Z"),
        )
        .await
        .unwrap();
        // The same change from a stale version is refused, and nothing is stored twice.
        let stale = s
            .record_case_change(
                &ids[0],
                row.version,
                &applied,
                None,
                "bob@example.org",
                at("2026-11-23T13:00:01Z"),
            )
            .await
            .unwrap_err();
        assert!(
            stale.to_string().contains("changed by someone else"),
            "{stale}"
        );
        let critical = s
            .queue(
                &QueueFilter {
                    severity: Some(Severity::Critical),
                    ..QueueFilter::default()
                },
                50,
            )
            .await
            .unwrap();
        assert_eq!(critical.len(), 1);
        assert_eq!(critical[0].status, ReportStatus::Triaged);
        assert_eq!(critical[0].next_due_at, Some(at("2026-11-30T13:00:00Z")));
        let overdue = s
            .queue(
                &QueueFilter {
                    overdue_at: Some(at("2026-11-25T10:30:00Z")),
                    ..QueueFilter::default()
                },
                50,
            )
            .await
            .unwrap();
        assert_eq!(
            overdue.iter().map(|r| &r.id).collect::<Vec<_>>(),
            vec![&ids[1]]
        );
        let other = s
            .queue(
                &QueueFilter {
                    projects: Some(vec!["other".into()]),
                    ..QueueFilter::default()
                },
                50,
            )
            .await
            .unwrap();
        assert!(other.is_empty());
        // The team view shows the notice and message; the reporter sees them too, not notes.
        s.add_note(
            &ids[0],
            "internal: ask upstream",
            "alice@example.org",
            at("2026-11-23T14:00:00Z"),
        )
        .await
        .unwrap();
        let view = s
            .team_view(&ids[0], "alice@example.org", at("2026-11-23T15:00:00Z"))
            .await
            .unwrap();
        assert_eq!(view.case.severity, Some(Severity::Critical));
        assert_eq!(view.notes.len(), 1);
        let bodies: Vec<_> = view.messages.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(
            bodies,
            vec![
                "The team has confirmed the vulnerability and rated it Critical (CVSS 9.8).",
                "Thanks, confirmed."
            ]
        );
        let events = s.report_events(&ids[0]).await.unwrap();
        let actions: Vec<_> = events
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str()))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("reporter", "report.received"),
                ("alice@example.org", "report.accepted"),
                ("alice@example.org", "note.added"),
                ("alice@example.org", "report.viewed"),
            ]
        );
        assert!(events[1].detail.contains("cvss=9.8"));
        s.verify_audit().await.unwrap();
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn likely_duplicates_are_suggested_from_keyed_fingerprints() {
    let policy = policy();
    let texts = [
        (
            "Path traversal in file download",
            "The download_handler joins the name parameter of /api/v1/files onto the storage directory without normalising it. GET /api/v1/files?name=../../../../etc/passwd returns the server's passwd file.",
        ),
        (
            "Arbitrary file read via ../ in files API",
            "I could read /etc/passwd: /api/v1/files?name=..%2f..%2f..%2fetc/passwd is served by download_handler, which does not reject dot-dot segments in name.",
        ),
        (
            "CSRF on account settings",
            "The POST /settings/email form has no anti-CSRF token, so a page on another site can change a signed-in user's email address and take over the account.",
        ),
    ];
    for b in backends().await {
        let s = &b.store;
        let mut ids = Vec::new();
        for (i, (title, description)) in texts.iter().enumerate() {
            let received = at(&format!("2026-11-2{i}T10:00:00Z"));
            let submission = postern_core::intake::ValidSubmission {
                fields: vec![
                    ("title".into(), (*title).into()),
                    ("description".into(), (*description).into()),
                ],
                scope_category: None,
                contact_email: None,
                credit_name: None,
            };
            let case = Case::received(&policy, received);
            let (id, _) = s
                .create_case_report("acme", &submission, &[], received, &case.clocks)
                .await
                .unwrap();
            ids.push(id);
        }
        let for_second = s.similar_reports(&ids[1]).await.unwrap();
        let found: Vec<_> = for_second.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(found, vec![ids[0].clone()], "{} {for_second:?}", b.name);
        assert!(
            s.similar_reports(&ids[2]).await.unwrap().is_empty(),
            "{}",
            b.name
        );
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn reports_from_an_older_version_get_their_clocks_and_fingerprints() {
    let policy = policy();
    for b in backends().await {
        let s = &b.store;
        let received = at("2026-11-23T10:00:00Z");
        // As an older version stored it: no clocks, no fingerprint.
        let (id, _) = s
            .create_report("acme", &submission("old"), &[], received)
            .await
            .unwrap();
        super::execute(&b, "DELETE FROM fingerprints").await;
        assert!(s.similar_reports(&id).await.unwrap().is_empty());
        let (other, _) = s
            .create_report("elsewhere", &submission("old"), &[], received)
            .await
            .unwrap();
        super::execute(&b, "DELETE FROM fingerprints").await;
        let clocks_for = |project: &str, at: jiff::Timestamp| {
            (project == "acme").then(|| Case::received(&policy, at).clocks)
        };
        let now = at("2026-11-24T00:00:00Z");
        let done = s.complete_old_reports(clocks_for, now).await.unwrap();
        assert_eq!((done.clocked, done.printed), (1, 2), "{}", b.name);
        let row = s.case_row(&id).await.unwrap();
        assert_eq!(
            row.case.clocks.next_due(),
            Some(at("2026-11-25T10:00:00Z")),
            "acknowledge in 48 hours"
        );
        assert!(s.case_row(&other).await.unwrap().case.clocks.0.is_empty());
        // Running again changes nothing.
        assert_eq!(
            s.complete_old_reports(clocks_for, now).await.unwrap(),
            postern_store::team::Completed::default()
        );
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn advisories_are_saved_sealed_published_once_and_listed() {
    use postern_core::advisory::{Advisory, AdvisoryId, Affected, VersionRange};
    let advisory = Advisory {
        id: AdvisoryId::new("ACME", 2026, 1),
        project: "acme".into(),
        title: "Secret-title-CANARY-42".into(),
        summary: "Path traversal in downloads".into(),
        details: "Details.".into(),
        severity: Some(Severity::High),
        cvss_v3: None,
        cvss_v4: None,
        cwes: vec!["CWE-22".into()],
        affected: vec![Affected {
            ecosystem: "PyPI".into(),
            package: "acme".into(),
            ranges: vec![VersionRange {
                introduced: "0".into(),
                fixed: Some("1.2.3".into()),
                last_affected: None,
            }],
            versions: Vec::new(),
        }],
        references: Vec::new(),
        credits: Vec::new(),
        aliases: Vec::new(),
        published: None,
        modified: at("2026-11-23T10:00:00Z"),
    };
    for b in backends().await {
        let s = &b.store;
        s.save_advisory(
            &advisory,
            None,
            "alice@example.org",
            at("2026-11-23T10:00:00Z"),
        )
        .await
        .unwrap();
        assert!(
            s.published_advisories(None, 10).await.unwrap().is_empty(),
            "{}",
            b.name
        );
        let draft = s.advisory(&advisory.id).await.unwrap().unwrap();
        assert_eq!(draft.advisory, advisory);
        assert_eq!(draft.published_at, None);
        // Another project cannot take the id over.
        let mut other = advisory.clone();
        other.project = "other".into();
        assert!(
            s.save_advisory(&other, None, "mallory", at("2026-11-23T11:00:00Z"))
                .await
                .is_err()
        );
        let published = s
            .publish_advisory(
                &advisory.id,
                "alice@example.org",
                at("2026-11-24T09:00:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(published.published, Some(at("2026-11-24T09:00:00Z")));
        assert!(
            s.publish_advisory(
                &advisory.id,
                "alice@example.org",
                at("2026-11-24T09:00:00Z")
            )
            .await
            .is_err()
        );
        let list = s.published_advisories(Some("acme"), 10).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].advisory.modified, at("2026-11-24T09:00:00Z"));
        assert!(
            s.published_advisories(Some("other"), 10)
                .await
                .unwrap()
                .is_empty()
        );
        // The record is sealed: the title is nowhere in the database's rows.
        if b.name == "sqlite" {
            super::execute(&b, "PRAGMA wal_checkpoint(TRUNCATE)").await;
            let bytes = std::fs::read(b.dir.path().join(postern_store::SQLITE_FILE)).unwrap();
            assert!(!bytes.windows(22).any(|w| w == b"Secret-title-CANARY-42"));
        }
        s.verify_audit().await.unwrap();
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn a_scheduled_advisory_publishes_itself_at_the_embargo_and_tells_the_reporter() {
    use postern_core::advisory::{Advisory, AdvisoryId, Affected};
    for b in backends().await {
        let s = &b.store;
        let received = at("2026-11-23T10:00:00Z");
        let (report, key) = s
            .create_report("acme", &submission("bug"), &[], received)
            .await
            .unwrap();
        let advisory = Advisory {
            id: AdvisoryId::new("ACME", 2026, 5),
            project: "acme".into(),
            title: "A bug".into(),
            summary: "A bug in acme".into(),
            details: String::new(),
            severity: None,
            cvss_v3: None,
            cvss_v4: None,
            cwes: Vec::new(),
            affected: vec![Affected {
                ecosystem: "npm".into(),
                package: "acme".into(),
                ranges: Vec::new(),
                versions: vec!["1.0.0".into()],
            }],
            references: Vec::new(),
            credits: Vec::new(),
            aliases: Vec::new(),
            published: None,
            modified: received,
        };
        s.save_advisory(&advisory, Some(&report), "alice@example.org", received)
            .await
            .unwrap();
        let embargo = at("2026-12-01T09:00:00Z");
        s.schedule_advisory(&advisory.id, embargo, "alice@example.org", received)
            .await
            .unwrap();
        assert_eq!(
            s.advisory_schedule(&advisory.id).await.unwrap(),
            Some(embargo)
        );
        let url = |id: &AdvisoryId| format!("https://sec.example.org/advisories/{id}");
        let early = embargo - jiff::SignedDuration::from_secs(1);
        assert!(
            s.publish_due_advisories(early, "system", url)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            b.name
        );
        let published = s
            .publish_due_advisories(embargo, "system", url)
            .await
            .unwrap();
        assert_eq!(published, vec![advisory.id.clone()]);
        assert!(
            s.publish_due_advisories(embargo, "system", url)
                .await
                .unwrap()
                .is_empty(),
            "only once"
        );
        let stored = s.advisory(&advisory.id).await.unwrap().unwrap();
        assert_eq!(stored.advisory.published, Some(embargo));
        let view = s.reporter_view(Some(&report), &key).await.unwrap();
        assert_eq!(view.disclosure.unwrap().published_at, Some(embargo));
        assert_eq!(
            view.messages.last().unwrap().body,
            "The advisory ACME-2026-0005 is public: https://sec.example.org/advisories/ACME-2026-0005"
        );
        assert!(
            s.schedule_advisory(&advisory.id, embargo, "alice", embargo)
                .await
                .is_err()
        );
        s.verify_audit().await.unwrap();
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn lists_open_only_titles_and_closed_reports_come_newest_first() {
    let policy = policy();
    for b in backends().await {
        let s = &b.store;
        let mut ids = Vec::new();
        // Received an hour apart, the first one closed as spam an hour later.
        for (i, hour) in [10, 11, 12, 13].into_iter().enumerate() {
            let received = at(&format!("2026-11-23T{hour}:00:00Z"));
            let case = Case::received(&policy, received);
            let (id, _) = s
                .create_case_report(
                    "acme",
                    &submission(&format!("Bug number {i}")),
                    &[],
                    received,
                    &case.clocks,
                )
                .await
                .unwrap();
            ids.push(id);
        }
        for closed in [&ids[0], &ids[2]] {
            let row = s.case_row(closed).await.unwrap();
            let applied = apply(
                &row.case,
                &Action::Close(postern_core::case::Closing {
                    closure: postern_core::lifecycle::Closure::Spam,
                    duplicate_of: None,
                    scope_category: None,
                }),
                &policy,
                at("2026-11-23T14:00:00Z"),
            )
            .unwrap();
            s.record_case_change(
                closed,
                row.version,
                &applied,
                None,
                "alice",
                at("2026-11-23T14:00:00Z"),
            )
            .await
            .unwrap();
        }
        let list = |state| async move {
            s.queue(
                &QueueFilter {
                    state,
                    ..QueueFilter::default()
                },
                50,
            )
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.title))
            .collect::<Vec<_>>()
        };
        let title = |i: usize| (ids[i].clone(), format!("Bug number {i}"));
        assert_eq!(
            list(QueueState::Open).await,
            vec![title(1), title(3)],
            "{}",
            b.name
        );
        assert_eq!(
            list(QueueState::Only(ReportStatus::Closed)).await,
            vec![title(2), title(0)],
            "closed: newest first, as its caption says"
        );
        assert_eq!(
            list(QueueState::All).await,
            vec![title(3), title(2), title(1), title(0)]
        );
        assert_eq!(QueueState::parse("").unwrap(), QueueState::Open);
        assert_eq!(QueueState::parse("all").unwrap(), QueueState::All);
        assert!(
            QueueState::parse("shut")
                .unwrap_err()
                .contains("open, all, or one of received")
        );

        // A list opens titles and nothing else, without an audit event.
        let titles = s
            .report_titles(&[ids[3].clone(), ids[0].clone()])
            .await
            .unwrap();
        assert_eq!(titles.len(), 2);
        assert_eq!(titles[&ids[0]], "Bug number 0");
        let events = s.report_events(&ids[3]).await.unwrap();
        assert!(
            events.iter().all(|e| e.action != "report.viewed"),
            "{events:?}"
        );
        let too_many = vec![ids[0].clone(); postern_store::team::TITLES_PER_CALL_MAX + 1];
        assert!(s.report_titles(&too_many).await.is_err());

        // A report stored before titles: read from its contents, then sealed in the background.
        super::execute(&b, "UPDATE reports SET title = NULL").await;
        assert_eq!(list(QueueState::Open).await, vec![title(1), title(3)]);
        let done = s
            .complete_old_reports(|_, _| None, at("2026-11-24T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(done.titled, 4, "{}", b.name);
        let left = super::count_rows(&b, "reports WHERE title IS NULL").await;
        assert_eq!(left, 0);
        assert_eq!(
            s.report_titles(&ids).await.unwrap()[&ids[2]],
            "Bug number 2"
        );
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn clocks_a_disclosed_report_left_running_are_settled_once_on_the_record() {
    let policy = postern_core::policy::parse_str(
        r#"
[project]
name = "Acme"
slug = "acme"

[[channels]]
kind = "web-form"

[response]
time_zone = "UTC"
acknowledge = "48 hours"
plan = "1 week"

[severity.critical]
fix = "7 days"
disclose = "14 days"
"#,
        at("2026-11-01T00:00:00Z"),
    )
    .policy
    .unwrap();
    for b in backends().await {
        let s = &b.store;
        let received = at("2026-01-05T10:00:00Z");
        let case = Case::received(&policy, received);
        let (id, _) = s
            .create_case_report("acme", &submission("old"), &[], received, &case.clocks)
            .await
            .unwrap();
        let mut when = received;
        for action in [
            Action::Accept(Rating {
                severity: Some(Severity::Critical),
                ..Rating::default()
            }),
            Action::Fixed(vec!["1.0.1".into()]),
            Action::Disclose,
        ] {
            when += SignedDuration::from_hours(24 * 4);
            let row = s.case_row(&id).await.unwrap();
            let applied = apply(&row.case, &action, &policy, when).unwrap();
            s.record_case_change(&id, row.version, &applied, None, "alice", when)
                .await
                .unwrap();
        }
        let disclosed_at = when;
        // As an older version left it: the plan never sent still running, and overdue now.
        let row = s.case_row(&id).await.unwrap();
        let mut clocks = row.case.clocks.clone();
        for clock in clocks
            .0
            .iter_mut()
            .filter(|c| c.kind == postern_core::clock::ClockKind::Plan)
        {
            clock.outcome = None;
            clock.resolved_at = None;
        }
        let json = serde_json::to_string(&clocks).unwrap();
        let due = clocks.next_due().unwrap().as_millisecond();
        super::execute(
            &b,
            &format!("UPDATE reports SET clocks = '{json}', next_due_at = {due}"),
        )
        .await;
        let now = at("2026-12-01T00:00:00Z");
        let overdue = QueueFilter {
            overdue_at: Some(now),
            state: QueueState::All,
            ..QueueFilter::default()
        };
        assert_eq!(s.queue(&overdue, 10).await.unwrap().len(), 1, "{}", b.name);

        let done = s.complete_old_reports(|_, _| None, now).await.unwrap();
        assert_eq!(done.settled, 1, "{}", b.name);
        assert!(s.queue(&overdue, 10).await.unwrap().is_empty());
        let row = s.case_row(&id).await.unwrap();
        let plan = row
            .case
            .clocks
            .0
            .iter()
            .find(|c| c.kind == postern_core::clock::ClockKind::Plan)
            .unwrap();
        // Sent before its week was up? No: fixed on day 8, after the plan's limit.
        assert_eq!(plan.outcome, Some(postern_core::clock::Outcome::Missed));
        assert_eq!(plan.resolved_at, Some(disclosed_at));
        let events = s.report_events(&id).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(
            (
                last.actor.as_str(),
                last.action.as_str(),
                last.detail.as_str()
            ),
            ("system", "clocks.settled", "plan=missed")
        );
        assert_eq!(
            s.complete_old_reports(|_, _| None, now)
                .await
                .unwrap()
                .settled,
            0,
            "once"
        );
        s.verify_audit().await.unwrap();
        b.drop_schema().await;
    }
}
