//! The outbox on both databases: jobs written with their cause, deduplicated, leased,
//! retried with backoff, given up, revived; and on two store instances at once, never run twice.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use postern_core::case::{Action, Case, apply};
use postern_store::jobs::{
    DEADLINE_WATCH, Delivery, Failed, Failure, JOB_ATTEMPTS_MAX, Job, JobKind, JobState, Lane,
    MAIL, NewJob, REPORTER_NOTICE, RETRY_BASE, Recipient, TEAM_NEW_REPORT, TEAM_REPORTER_MESSAGE,
    retry_delay,
};
use postern_store::team::Role;
use postern_store::{Store, StoreConfig};

use super::{CANARY, at, backends, count_rows, execute, submission};

const LEASE: SignedDuration = SignedDuration::from_mins(5);

/// Mail deliveries of a report event, one per member and one to the reporter, under dedupe
/// keys that name the event and the recipient (the runner's fan-out, `outbox/report_event.rs`
/// in the binary, writes them so).
fn mails_of(event: &Job, team: &[String], now: Timestamp) -> Vec<NewJob> {
    team.iter()
        .map(|email| Recipient::Team {
            email: email.clone(),
        })
        .chain([Recipient::Reporter])
        .map(|recipient| {
            NewJob::new(
                JobKind::Mail,
                &event.project,
                event.report_id.as_deref(),
                &Delivery {
                    event: event.kind.clone(),
                    recipient: recipient.clone(),
                    note: None,
                    messages: Vec::new(),
                },
                format!("{}:mail:{}", event.id, recipient.key()),
                now,
            )
        })
        .collect()
}

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
"#;
    postern_core::policy::parse_str(text, at("2026-11-01T00:00:00Z"))
        .policy
        .unwrap()
}

#[tokio::test]
async fn each_write_enqueues_its_job_in_the_same_transaction() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        let policy = policy();
        let clocks = Case::received(&policy, now).clocks;
        let (id, key) = s
            .create_case_report("acme", &submission("one"), &[], now, &clocks)
            .await
            .unwrap();
        let (watches, jobs): (Vec<_>, Vec<_>) = s
            .jobs(None)
            .await
            .unwrap()
            .into_iter()
            .partition(|j| j.kind == DEADLINE_WATCH);
        assert_eq!(jobs.len(), 1, "{}", b.name);
        // One watch of the report's promises (here: acknowledge within 48 hours), for the
        // case as received, due at the first reminder (a day before the limit, by the default
        // leads): receiving a report costs the runner nothing until then.
        assert_eq!(watches.len(), 1, "{}", b.name);
        let watch = watches[0].watch().unwrap();
        assert_eq!((watch.version, watch.since), (0, now.as_millisecond()));
        assert_eq!(watches[0].run_at, now + SignedDuration::from_hours(24));
        let job = &jobs[0];
        assert_eq!(job.kind, TEAM_NEW_REPORT);
        assert_eq!(job.project, "acme");
        assert_eq!(job.report(), Some(id.clone()));
        assert_eq!(
            (job.state, job.attempts, job.run_at),
            (JobState::Pending, 0, now)
        );
        assert!(!job.payload.contains(CANARY) && !job.payload.contains("example.org"));

        s.add_reporter_message(Some(&id), &key, "more", now)
            .await
            .unwrap();
        let jobs = s.jobs(None).await.unwrap();
        assert_eq!(jobs.len(), 3);
        assert!(jobs.iter().any(|j| j.kind == TEAM_REPORTER_MESSAGE));

        // A case change refused as stale enqueues nothing; the accepted one tells the reporter.
        let row = s.case_row(&id).await.unwrap();
        let applied = apply(&row.case, &Action::Acknowledge, &policy, now).unwrap();
        assert!(
            s.record_case_change(&id, row.version + 7, &applied, None, "alice", now)
                .await
                .is_err()
        );
        assert_eq!(count_rows(&b, "jobs").await, 3, "{}", b.name);
        s.record_case_change(&id, row.version, &applied, Some("thanks"), "alice", now)
            .await
            .unwrap();
        s.notify_reporter(&id, "a word", "alice", now)
            .await
            .unwrap();
        let notices = s
            .jobs(None)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == REPORTER_NOTICE)
            .count();
        assert_eq!(notices, 2, "{}", b.name);
        // Acknowledging resolved the only promise: no new watch. Attachments and internal
        // notes tell nobody.
        s.add_note(&id, "internal", "alice", now).await.unwrap();
        assert_eq!(count_rows(&b, "jobs").await, 5, "{}", b.name);
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn events_fan_out_once_per_recipient_however_often_they_are_expanded() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        // Only set-up, enabled accounts that may see the project are told.
        for (email, projects) in [
            ("alice@example.org", vec![]),
            ("bob@example.org", vec!["acme".to_owned()]),
            ("carol@example.org", vec!["other".to_owned()]),
        ] {
            let (_, token) = s
                .create_user(email, Role::Triager, &projects, "cli", now)
                .await
                .unwrap();
            s.complete_setup(&token, "$argon2id$not-checked-here", None, now)
                .await
                .unwrap();
        }
        s.create_user("dave@example.org", Role::Admin, &[], "cli", now)
            .await
            .unwrap();
        let mut team = s.notified_members("acme").await.unwrap();
        team.sort();
        assert_eq!(team, ["alice@example.org", "bob@example.org"], "{}", b.name);

        let (id, _) = s
            .create_report("acme", &submission("one"), &[], now)
            .await
            .unwrap();
        let event = s
            .claim_jobs("w1", Lane::Events, now, LEASE, 10)
            .await
            .unwrap()
            .remove(0);
        let deliveries = mails_of(&event, &team, now);
        assert_eq!(deliveries.len(), 3, "two members and the reporter");
        assert!(
            s.complete_job(&event.id, "w1", now, None, &deliveries)
                .await
                .unwrap()
        );
        let mails: Vec<_> = s
            .jobs(Some(JobState::Pending))
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == MAIL)
            .collect();
        assert_eq!(mails.len(), 3);
        // Deliveries are claimed in their own lane, apart from events.
        let lane = s
            .claim_jobs("w3", Lane::Deliveries, now, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(lane.len(), 3, "{}", b.name);
        assert!(lane.iter().all(|j| j.kind == MAIL));
        let mut to: Vec<Recipient> = mails
            .iter()
            .map(|j| j.delivery().unwrap().recipient)
            .collect();
        to.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(
            to[2],
            Recipient::Team {
                email: "bob@example.org".into()
            }
        );
        assert!(to.contains(&Recipient::Reporter));
        for mail in &mails {
            assert_eq!(mail.report(), Some(id.clone()));
            assert!(!mail.payload.contains(CANARY), "{}", mail.payload);
            assert_eq!(
                mail.delivery().unwrap().event,
                TEAM_NEW_REPORT,
                "{}",
                b.name
            );
        }
        // Expanding the same event again (a second worker, a crash before the first's
        // commit was seen) inserts nothing: the dedupe keys exist.
        let (other, _) = s
            .create_report("acme", &submission("two"), &[], now)
            .await
            .unwrap();
        let second = s
            .claim_jobs("w2", Lane::Events, now, LEASE, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|j| j.kind == TEAM_NEW_REPORT)
            .unwrap();
        assert_eq!(second.report(), Some(other));
        assert!(
            s.complete_job(&second.id, "w2", now, None, &mails_of(&event, &team, now))
                .await
                .unwrap()
        );
        assert_eq!(count_rows(&b, "jobs").await, 2 + 3, "{}", b.name);

        // The reporter's address is read only to send, and that read is audited.
        let contact = s
            .reporter_contact(&id, &mails[0].id, "mailer", now)
            .await
            .unwrap();
        assert_eq!(
            contact,
            Some(format!("{}@example.org", CANARY.to_lowercase()))
        );
        let events = s.report_events(&id).await.unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.action == "contact.read" && e.detail.contains(&mails[0].id))
        );
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn failures_back_off_until_the_job_is_dead_and_a_retry_revives_it() {
    for b in backends().await {
        let s = &b.store;
        let t0 = at("2026-11-23T10:00:00Z");
        s.create_report("acme", &submission("one"), &[], t0)
            .await
            .unwrap();
        let job = s
            .claim_jobs("w1", Lane::Events, t0, LEASE, 10)
            .await
            .unwrap()
            .remove(0);
        assert_eq!((job.state, job.attempts), (JobState::Running, 1));
        // Leased: nobody else gets it meanwhile.
        assert!(
            s.claim_jobs("w2", Lane::Events, t0, LEASE, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let mut now = t0;
        for attempt in 1..=JOB_ATTEMPTS_MAX {
            let delay = retry_delay(attempt, RETRY_BASE, 0);
            let outcome = s
                .fail_job(
                    &job.id,
                    "w1",
                    now,
                    &Failure::Transient("451 try later".into()),
                    now + delay,
                )
                .await
                .unwrap();
            if attempt == JOB_ATTEMPTS_MAX {
                assert_eq!(outcome, Failed::Dead, "{}", b.name);
                break;
            }
            assert_eq!(outcome, Failed::Retry(now + delay));
            // Not before it is due again, then again with one more attempt.
            let early = now + delay - SignedDuration::from_millis(1);
            assert!(
                s.claim_jobs("w1", Lane::Events, early, LEASE, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
            now += delay;
            let again = s
                .claim_jobs("w1", Lane::Events, now, LEASE, 10)
                .await
                .unwrap();
            assert_eq!(again.len(), 1);
            assert_eq!(again[0].attempts, attempt + 1);
        }
        let dead = s.jobs(Some(JobState::Dead)).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].last_error.as_deref(), Some("451 try later"));
        assert_eq!(s.count_jobs(JobState::Dead).await.unwrap(), 1);
        let later = now + SignedDuration::from_hours(100);
        assert!(
            s.claim_jobs("w1", Lane::Events, later, LEASE, 10)
                .await
                .unwrap()
                .is_empty()
        );

        s.retry_job(&job.id, later).await.unwrap();
        assert!(s.retry_job(&job.id, later).await.is_err(), "only dead jobs");
        let revived = s
            .claim_jobs("w1", Lane::Events, later, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(revived[0].attempts, 1);
        // A permanent failure (a 5xx answer) gives up at once.
        assert_eq!(
            s.fail_job(
                &job.id,
                "w1",
                later,
                &Failure::Permanent("550 no such mailbox".into()),
                later
            )
            .await
            .unwrap(),
            Failed::Dead
        );
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn an_expired_lease_is_reclaimed_and_its_old_owner_cannot_finish() {
    for b in backends().await {
        let s = &b.store;
        let t0 = at("2026-11-23T10:00:00Z");
        s.create_report("acme", &submission("one"), &[], t0)
            .await
            .unwrap();
        let job = s
            .claim_jobs("old", Lane::Events, t0, LEASE, 10)
            .await
            .unwrap()
            .remove(0);
        let within = t0 + LEASE - SignedDuration::from_millis(1);
        assert!(
            s.claim_jobs("new", Lane::Events, within, LEASE, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let after = t0 + LEASE + SignedDuration::from_millis(1);
        let reclaimed = s
            .claim_jobs("new", Lane::Events, after, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(reclaimed.len(), 1, "{}", b.name);
        assert_eq!(reclaimed[0].attempts, 2);
        assert!(
            !s.complete_job(&job.id, "old", after, None, &[])
                .await
                .unwrap()
        );
        assert_eq!(
            s.fail_job(
                &job.id,
                "old",
                after,
                &Failure::Transient("x".into()),
                after
            )
            .await
            .unwrap(),
            Failed::LeaseLost
        );
        assert!(
            s.complete_job(&job.id, "new", after, None, &[])
                .await
                .unwrap()
        );
        let done = s.job(&job.id).await.unwrap().unwrap();
        assert_eq!((done.state, done.done_at), (JobState::Done, Some(after)));
        assert!(
            !s.complete_job(&job.id, "new", after, None, &[])
                .await
                .unwrap()
        );
        // Done jobs are pruned once old.
        assert_eq!(s.prune_jobs(after).await.unwrap(), 0);
        assert_eq!(
            s.prune_jobs(after + SignedDuration::from_millis(1))
                .await
                .unwrap(),
            1
        );
        b.drop_schema().await;
    }
}

/// Receives a report at `at` and has `worker` claim its event.
async fn receive_and_claim(s: &Store, worker: &str, at: Timestamp, lease: SignedDuration) -> Job {
    s.create_report("acme", &submission("one"), &[], at)
        .await
        .unwrap();
    s.claim_jobs(worker, Lane::Events, at, lease, 10)
        .await
        .unwrap()
        .remove(0)
}

/// A worker renews its short leases while it runs (a heartbeat, here by a moved clock): a live
/// worker keeps its job however long it takes, and one that died (no more renewals) loses it
/// to another instance within one lease; the job keeps its id, so the mail it sends again
/// keeps its Message-ID.
#[tokio::test]
async fn renewed_leases_keep_a_live_workers_job_and_a_dead_ones_pass_within_a_lease() {
    use postern_store::jobs::{LEASE as SHORT, LEASE_RENEW_EVERY};
    assert!(SHORT <= SignedDuration::from_secs(30));
    for b in backends().await {
        let s = &b.store;
        let t0 = at("2026-11-23T10:00:00Z");
        let job = receive_and_claim(s, "a", t0, SHORT).await;
        // Worker a lives for five leases, renewing on its heartbeat: b never gets the job.
        let mut now = t0;
        while now < t0 + SHORT * 5 {
            now += LEASE_RENEW_EVERY;
            assert_eq!(
                s.renew_leases("a", now, SHORT).await.unwrap(),
                1,
                "{}",
                b.name
            );
            let before_expiry = now + SHORT - SignedDuration::from_millis(1);
            assert!(
                s.claim_jobs("b", Lane::Events, before_expiry, SHORT, 10)
                    .await
                    .unwrap()
                    .is_empty(),
                "{}: a live worker's job was taken",
                b.name
            );
        }
        // a is killed: no more renewals. b takes the job over one lease after a's last beat.
        let died = now;
        let taken_at = died + SHORT + SignedDuration::from_millis(1);
        let taken = s
            .claim_jobs("b", Lane::Events, taken_at, SHORT, 10)
            .await
            .unwrap();
        assert_eq!(taken.len(), 1, "{}", b.name);
        assert_eq!(taken[0].id, job.id, "the same job, so the same Message-ID");
        assert!(taken_at.duration_since(died) <= SignedDuration::from_secs(31));
        // a's late heartbeat renews nothing, and it cannot finish the job b now holds.
        assert_eq!(s.renew_leases("a", taken_at, SHORT).await.unwrap(), 0);
        assert!(
            !s.complete_job(&job.id, "a", taken_at, None, &[])
                .await
                .unwrap()
        );
        assert!(
            s.complete_job(&job.id, "b", taken_at, None, &[])
                .await
                .unwrap()
        );
        b.drop_schema().await;
    }
}

/// The day's audit checkpoint goes to each admin who is set up, once a day however often it is
/// queued (by several instances), with nothing in the payload but the public checkpoint.
#[tokio::test]
async fn the_audit_checkpoint_is_mailed_to_each_admin_once_a_day() {
    use postern_store::jobs::ListMail;
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        for (email, role) in [
            ("alice@example.org", Role::Admin),
            ("bob@example.org", Role::Triager),
        ] {
            let (_, token) = s.create_user(email, role, &[], "cli", now).await.unwrap();
            s.complete_setup(&token, "$argon2id$not-checked-here", None, now)
                .await
                .unwrap();
        }
        // An admin not set up yet gets nothing.
        s.create_user("dave@example.org", Role::Admin, &[], "cli", now)
            .await
            .unwrap();
        let checkpoint = s.audit_checkpoint(now).await.unwrap();
        for _ in 0..3 {
            assert_eq!(
                s.enqueue_checkpoint_mails(&checkpoint, "acme")
                    .await
                    .unwrap(),
                1
            );
        }
        let later = s
            .audit_checkpoint(now + SignedDuration::from_hours(5))
            .await
            .unwrap();
        s.enqueue_checkpoint_mails(&later, "acme").await.unwrap();
        let mails = |jobs: Vec<Job>| -> Vec<ListMail> {
            jobs.iter()
                .filter_map(ListMail::of)
                .filter(|m| matches!(m, ListMail::AuditCheckpoint { .. }))
                .collect()
        };
        let today = mails(s.jobs(None).await.unwrap());
        assert_eq!(
            today,
            vec![ListMail::AuditCheckpoint {
                admin: "alice@example.org".into(),
                events: checkpoint.events,
                head: data_encoding::HEXLOWER.encode(&checkpoint.head),
                at: now.as_millisecond(),
            }],
            "{}",
            b.name
        );
        let tomorrow = s
            .audit_checkpoint(now + SignedDuration::from_hours(24))
            .await
            .unwrap();
        s.enqueue_checkpoint_mails(&tomorrow, "acme").await.unwrap();
        assert_eq!(mails(s.jobs(None).await.unwrap()).len(), 2, "{}", b.name);
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn a_job_listing_says_when_it_stopped_at_its_limit() {
    for b in backends().await {
        let s = &b.store;
        let t0 = at("2026-11-23T10:00:00Z");
        for n in 0..3 {
            s.create_report("acme", &submission(&format!("r{n}")), &[], t0)
                .await
                .unwrap();
        }
        let all = s.jobs(None).await.unwrap().len();
        assert!(all >= 3, "{}", b.name);
        let (page, more) = s.jobs_page(None, 2).await.unwrap();
        assert_eq!((page.len(), more), (2, true), "{}", b.name);
        let (page, more) = s.jobs_page(None, all).await.unwrap();
        assert_eq!((page.len(), more), (all, false), "{}", b.name);
        b.drop_schema().await;
    }
}

/// Two stores on one database are two instances: their workers, claiming concurrently, never
/// get the same job, and every job is completed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_claiming_together_run_each_job_once() {
    const REPORTS: usize = 120;
    for b in backends().await {
        let config = StoreConfig {
            database_url: b.schema.as_ref().map(|_| {
                std::env::var("POSTERN_TEST_POSTGRES").expect("set for the PostgreSQL backend")
            }),
            postgres_schema: b.schema.as_ref().map(|(name, _)| name.clone()),
        };
        let second = Store::open(&config, b.dir.path()).await.unwrap();
        let now = Timestamp::now();
        let mut writes = tokio::task::JoinSet::new();
        for i in 0..REPORTS {
            let s = b.store.clone();
            writes.spawn(async move {
                s.create_report("acme", &submission(&format!("r{i}")), &[], now)
                    .await
                    .unwrap()
            });
        }
        writes.join_all().await;
        let mut workers = tokio::task::JoinSet::new();
        for w in 0..4 {
            let store = if w % 2 == 0 {
                b.store.clone()
            } else {
                second.clone()
            };
            workers.spawn(async move {
                let me = format!("worker-{w}");
                let mut done = Vec::new();
                loop {
                    let claimed = store
                        .claim_jobs(&me, Lane::Events, now, LEASE, 3)
                        .await
                        .unwrap();
                    if claimed.is_empty() {
                        break done;
                    }
                    for job in claimed {
                        assert!(
                            store
                                .complete_job(&job.id, &me, now, None, &[])
                                .await
                                .unwrap()
                        );
                        done.push(job.id);
                    }
                }
            });
        }
        let mut times: HashMap<String, usize> = HashMap::new();
        let mut busy_workers = 0;
        for done in workers.join_all().await {
            busy_workers += usize::from(!done.is_empty());
            for id in done {
                *times.entry(id).or_default() += 1;
            }
        }
        assert_eq!(times.len(), REPORTS, "{}", b.name);
        assert!(
            times.values().all(|n| *n == 1),
            "{}: a job ran twice",
            b.name
        );
        assert!(busy_workers >= 2, "{}: the workers did not overlap", b.name);
        assert_eq!(
            b.store.count_jobs(JobState::Done).await.unwrap(),
            REPORTS as u64
        );
        second.close().await;
        b.drop_schema().await;
    }
}

#[test]
fn retry_delays_double_with_equal_jitter_up_to_the_cap() {
    let base = SignedDuration::from_secs(30);
    let ms = |attempts, random| retry_delay(attempts, base, random).as_millis();
    // (attempts so far, random draw, delay in milliseconds)
    let cases = [
        (1, 0, 15_000),
        (1, u64::MAX, 15_000 + (u64::MAX % 15_001) as i128),
        (1, 15_000, 30_000),
        (2, 0, 30_000),
        (3, 30_000, 60_000 + 30_000),
        (10, 0, 7_680_000),
        (11, 0, 10_800_000),
        (40, 10_800_000, 21_600_000),
    ];
    for (attempts, random, want) in cases {
        assert_eq!(ms(attempts, random), want, "attempts {attempts}");
    }
    for attempts in 0..100 {
        for random in [0, 1, 12_345, u64::MAX] {
            let d = retry_delay(attempts, base, random);
            assert!(d >= base / 2 && d <= postern_store::jobs::RETRY_DELAY_MAX);
        }
    }
}

#[test]
fn a_delivery_payload_names_the_event_and_recipient_only() {
    let d: Delivery =
        serde_json::from_str(r#"{"event":"team.new_report","to":"reporter"}"#).unwrap();
    assert_eq!(d.recipient, Recipient::Reporter);
}

/// A row of a kind this version does not know (written by a newer version during a rolling
/// upgrade) is left pending and untouched: no claim takes it, the runner's wake-up ignores it,
/// and `unknown_jobs` counts it for the log.
#[tokio::test]
async fn jobs_of_an_unknown_kind_are_left_pending_for_a_newer_version() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        execute(
            &b,
            "INSERT INTO jobs (id, kind, project, report_id, payload, dedupe_key, run_at, max_attempts, created_at) \
             VALUES ('future1', 'team.future_event', 'acme', NULL, '{\"new\":1}', 'future:1', 0, 12, 0)",
        )
        .await;
        for lane in [Lane::Events, Lane::Deliveries] {
            assert!(
                s.claim_jobs("w1", lane, now, LEASE, 10)
                    .await
                    .unwrap()
                    .is_empty(),
                "{}",
                b.name
            );
        }
        assert_eq!(s.next_job_at().await.unwrap(), None, "{}", b.name);
        assert_eq!(
            s.unknown_jobs().await.unwrap(),
            [("team.future_event".to_owned(), 1)],
            "{}",
            b.name
        );
        let row = s.job("future1").await.unwrap().unwrap();
        assert_eq!(
            (row.state, row.attempts, row.done_at, row.last_error.clone()),
            (JobState::Pending, 0, None, None),
            "{}",
            b.name
        );
        assert!(matches!(
            row.task(),
            Err(postern_store::jobs::Unreadable::UnknownKind(kind)) if kind == "team.future_event"
        ));
        b.drop_schema().await;
    }
}

/// With nothing to do for them (no mail transport, no webhook), events are completed by the
/// claim itself, in the same statement, with the note saying why; the others are leased.
#[tokio::test]
async fn a_claim_completes_the_events_it_may_skip_in_the_same_statement() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        let (quiet, _) = s
            .create_report("acme", &submission("one"), &[], now)
            .await
            .unwrap();
        let (hooked, _) = s
            .create_report("zenith", &submission("two"), &[], now)
            .await
            .unwrap();
        s.add_webhook(
            "zenith",
            postern_store::webhooks::WebhookKind::Slack,
            &[postern_store::webhooks::WebhookEvent::NewReport],
            &postern_store::webhooks::WebhookSecrets {
                url: "https://hooks.example.com/services/x".into(),
                signing_secret: None,
            },
            "cli:test",
            now,
        )
        .await
        .unwrap();
        let skip = postern_store::jobs::Skip {
            note: "skipped: nothing to send".into(),
            always: vec![JobKind::AdvisoryPublished],
            unless_webhooks: vec![JobKind::TeamNewReport],
        };
        let claimed = s
            .claim_jobs_skipping("w1", Lane::Events, now, LEASE, 10, Some(&skip))
            .await
            .unwrap();
        assert_eq!(claimed.skipped, 1, "{}", b.name);
        assert_eq!(claimed.jobs.len(), 1, "{}", b.name);
        assert_eq!(claimed.jobs[0].report(), Some(hooked), "{}", b.name);
        let done = s.jobs(Some(JobState::Done)).await.unwrap();
        assert_eq!(done.len(), 1, "{}", b.name);
        assert_eq!(done[0].report(), Some(quiet));
        assert_eq!(
            done[0].last_error.as_deref(),
            Some("skipped: nothing to send")
        );
        assert_eq!(done[0].done_at, Some(now));
        // Done is done: a later claim (within the other's lease) neither takes it nor
        // completes it again.
        let later = now + SignedDuration::from_mins(1);
        let again = s
            .claim_jobs_skipping("w2", Lane::Events, later, LEASE, 10, Some(&skip))
            .await
            .unwrap();
        assert_eq!((again.skipped, again.jobs.len()), (0, 0), "{}", b.name);
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn an_event_nobody_was_told_of_is_listed_and_told_again_once() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        s.create_report("acme", &submission("untold"), &[], now)
            .await
            .unwrap();
        let event = s
            .claim_jobs("w1", Lane::Events, now, LEASE, 10)
            .await
            .unwrap()
            .remove(0);
        assert!(
            s.complete_job(
                &event.id,
                "w1",
                now,
                Some(postern_store::jobs::NOBODY_TOLD),
                &[]
            )
            .await
            .unwrap()
        );
        let untold = s.untold_jobs().await.unwrap();
        assert_eq!(untold.len(), 1, "{}", b.name);
        assert_eq!(untold[0].id, event.id);
        assert_eq!(s.count_untold_jobs().await.unwrap(), 1);
        s.retell_job(&event.id, now).await.unwrap();
        assert!(s.untold_jobs().await.unwrap().is_empty());
        assert!(matches!(
            s.retell_job(&event.id, now).await,
            Err(postern_store::StoreError::NotFound)
        ));
        let again = s
            .claim_jobs("w1", Lane::Events, now, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(again.len(), 1, "pending again: {}", b.name);
        // A job that was told is never "told again".
        assert!(
            s.complete_job(&again[0].id, "w1", now, None, &[])
                .await
                .unwrap()
        );
        assert!(matches!(
            s.retell_job(&event.id, now).await,
            Err(postern_store::StoreError::NotFound)
        ));
    }
}
