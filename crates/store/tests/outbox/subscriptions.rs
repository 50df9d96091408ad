//! Advisories by mail in the outbox, on both databases: a publication enqueues exactly one
//! event with it, the fan-out mails each confirmed subscriber once however often it runs, and
//! the early-access event is due `days_before` the publication and follows a new schedule.

use jiff::{SignedDuration, Timestamp};
use postern_core::advisory::{Advisory, AdvisoryId, Affected, VersionRange};
use postern_store::Store;
use postern_store::jobs::{ADVISORY_EARLY_ACCESS, ADVISORY_PUBLISHED, Job, JobState, Lane, MAIL};
use postern_store::jobs::{JobKind, NewJob};
use postern_store::subscriptions::{ListMail, SubscriptionRequest, TokenState};

use super::{at, backends};

const LEASE: SignedDuration = SignedDuration::from_mins(5);

fn advisory(number: u32) -> Advisory {
    Advisory {
        id: AdvisoryId::new("ACME", 2026, number),
        project: "acme".into(),
        title: "Path traversal in the archive reader".into(),
        summary: "Archives could write outside their folder".into(),
        details: String::new(),
        severity: None,
        cvss_v3: None,
        cvss_v4: None,
        cwes: Vec::new(),
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
    }
}

/// One mail per subscriber about a published advisory, under the dedupe key that names the
/// advisory and the subscriber (as the runner's fan-out writes them).
fn advisory_mails(
    event: &Job,
    advisory: &str,
    recipients: &[String],
    now: Timestamp,
) -> Vec<NewJob> {
    recipients
        .iter()
        .map(|r| {
            NewJob::new(
                JobKind::Mail,
                &event.project,
                None,
                &ListMail::Advisory {
                    subscriber: r.clone(),
                    advisory: advisory.to_owned(),
                },
                format!("advisory:{advisory}:mail:subscriber-{r}"),
                now,
            )
        })
        .collect()
}

async fn jobs_of(s: &Store, kind: &str) -> Vec<Job> {
    s.jobs(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == kind)
        .collect()
}

/// Subscribes and confirms `email`, as the mail's link and button would; returns its id.
async fn confirmed(s: &Store, email: &str, now: Timestamp) -> String {
    assert_eq!(
        s.request_subscription("acme", email, now).await.unwrap(),
        SubscriptionRequest::ConfirmationQueued
    );
    let done = s.confirmed_subscribers("acme").await.unwrap();
    let (subscriber, requested_at) = s
        .jobs(None)
        .await
        .unwrap()
        .iter()
        .find_map(|j| match ListMail::of(j) {
            Some(ListMail::Confirm {
                subscriber,
                requested_at,
            }) if !done.contains(&subscriber) => Some((subscriber, requested_at)),
            _ => None,
        })
        .unwrap();
    let token = s.confirm_token(
        &subscriber,
        Timestamp::from_millisecond(requested_at).unwrap(),
    );
    assert_eq!(
        s.confirm_subscription(&token, now).await.unwrap(),
        TokenState::Valid {
            project: "acme".into()
        }
    );
    subscriber
}

#[tokio::test]
async fn a_publication_enqueues_one_event_and_each_subscriber_is_mailed_once() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        let ada = confirmed(s, "ada@example.net", now).await;
        let bob = confirmed(s, "bob@example.net", now).await;
        // Waiting for confirmation: not mailed.
        s.request_subscription("acme", "carol@example.net", now)
            .await
            .unwrap();
        let a = advisory(1);
        s.save_advisory(&a, None, "alice", now).await.unwrap();
        assert!(
            jobs_of(s, ADVISORY_PUBLISHED).await.is_empty(),
            "{}",
            b.name
        );

        // Two publications at once: one wins, and exactly one event is enqueued with it.
        let published_at = at("2026-11-24T09:00:00Z");
        let (first, second) = tokio::join!(
            s.publish_advisory(&a.id, "alice", published_at),
            s.publish_advisory(&a.id, "bob", published_at)
        );
        assert_eq!(
            usize::from(first.is_ok()) + usize::from(second.is_ok()),
            1,
            "{}",
            b.name
        );
        let events = jobs_of(s, ADVISORY_PUBLISHED).await;
        assert_eq!(events.len(), 1, "{}", b.name);
        assert_eq!(
            (
                events[0].project.as_str(),
                events[0].run_at,
                events[0].state
            ),
            ("acme", published_at, JobState::Pending),
            "{}",
            b.name
        );
        assert!(!events[0].payload.contains("example.net"));

        // The runner's fan-out, done twice (a retry, a second instance): one mail each.
        let claimed = s
            .claim_jobs("w1", Lane::Events, published_at, LEASE, 10)
            .await
            .unwrap();
        let event = claimed
            .iter()
            .find(|j| j.kind == ADVISORY_PUBLISHED)
            .unwrap();
        let recipients = s.confirmed_subscribers("acme").await.unwrap();
        let mut expected = vec![ada.clone(), bob.clone()];
        expected.sort();
        assert_eq!(recipients, expected, "{}", b.name);
        let once = advisory_mails(event, &a.id.to_string(), &recipients, published_at);
        let mut twice = once.clone();
        twice.extend(once.iter().cloned());
        assert!(
            s.complete_job(&event.id, "w1", published_at, None, &twice)
                .await
                .unwrap()
        );
        let mails: Vec<ListMail> = jobs_of(s, MAIL)
            .await
            .iter()
            .filter_map(ListMail::of)
            .filter(|m| matches!(m, ListMail::Advisory { .. }))
            .collect();
        assert_eq!(mails.len(), 2, "{}", b.name);
        for who in [&ada, &bob] {
            assert!(mails.contains(&ListMail::Advisory {
                subscriber: who.clone(),
                advisory: a.id.to_string()
            }));
        }
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn early_access_is_due_days_before_and_follows_the_schedule() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        let five_days = Some(SignedDuration::from_hours(5 * 24));
        let a = advisory(2);
        s.save_advisory(&a, None, "alice", now).await.unwrap();
        let pending = || async {
            jobs_of(s, ADVISORY_EARLY_ACCESS)
                .await
                .into_iter()
                .filter(|j| j.state == JobState::Pending)
                .map(|j| j.run_at)
                .collect::<Vec<_>>()
        };

        s.schedule_advisory_with_early_access(
            &a.id,
            now + SignedDuration::from_hours(10 * 24),
            five_days,
            "alice",
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            pending().await,
            vec![now + SignedDuration::from_hours(5 * 24)],
            "{}",
            b.name
        );

        // Rescheduling replaces the pending event.
        s.schedule_advisory_with_early_access(
            &a.id,
            now + SignedDuration::from_hours(20 * 24),
            five_days,
            "alice",
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            pending().await,
            vec![now + SignedDuration::from_hours(15 * 24)],
            "{}",
            b.name
        );

        // Inside days_before already: due at once.
        s.schedule_advisory_with_early_access(
            &a.id,
            now + SignedDuration::from_hours(48),
            five_days,
            "alice",
            now,
        )
        .await
        .unwrap();
        assert_eq!(pending().await, vec![now], "{}", b.name);

        // Without early access in the policy, nothing is pending.
        s.schedule_advisory(&a.id, now + SignedDuration::from_hours(72), "alice", now)
            .await
            .unwrap();
        assert!(pending().await.is_empty(), "{}", b.name);

        // Published before its early access went out: withdrawn with the publication.
        s.schedule_advisory_with_early_access(
            &a.id,
            now + SignedDuration::from_hours(30 * 24),
            five_days,
            "alice",
            now,
        )
        .await
        .unwrap();
        assert_eq!(pending().await.len(), 1, "{}", b.name);
        s.publish_advisory(&a.id, "alice", now).await.unwrap();
        assert!(pending().await.is_empty(), "{}", b.name);

        // The list itself: sealed addresses, one entry per address.
        assert!(
            s.add_early_access(
                "acme",
                "sec@distro.example.net",
                Some("Distro"),
                "admin",
                now
            )
            .await
            .unwrap()
        );
        assert!(
            !s.add_early_access("acme", "SEC@distro.example.net", None, "admin", now)
                .await
                .unwrap()
        );
        let list = s.early_access_list(Some("acme")).await.unwrap();
        assert_eq!(list.len(), 1, "{}", b.name);
        assert_eq!(
            (list[0].email.as_str(), list[0].name.as_deref()),
            ("sec@distro.example.net", Some("Distro"))
        );
        // Key rotation re-wraps the sealed addresses, and retires the old key.
        let ada = confirmed(s, "ada@example.net", now).await;
        let (first, _, _) = s.rotate_master_key().await.unwrap();
        let (_, _, removed) = s.rotate_master_key().await.unwrap();
        assert!(
            !removed.is_empty() && !removed.contains(&first),
            "{}",
            b.name
        );
        let contact = s.subscriber_contact(&ada).await.unwrap().unwrap();
        assert_eq!(contact.email, "ada@example.net");
        assert_eq!(s.early_access_list(None).await.unwrap(), list, "{}", b.name);
        assert!(
            s.remove_early_access("acme", "sec@distro.example.net", "admin", now)
                .await
                .unwrap()
        );
        assert!(s.early_access_list(None).await.unwrap().is_empty());
        b.drop_schema().await;
    }
}
