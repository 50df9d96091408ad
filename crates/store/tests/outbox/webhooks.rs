//! Webhooks on both databases: their addresses and signing secrets sealed at rest and
//! re-wrapped by key rotation; an event's webhook deliveries are inserted once and run in the
//! deliveries lane (which webhooks want which event is the runner's fan-out, tested in the
//! binary).

use jiff::SignedDuration;
use postern_store::StoreError;
use postern_store::jobs::{
    Job, JobKind, JobState, Lane, NewJob, ReportEvent, TEAM_NEW_REPORT, TEAM_REPORTER_MESSAGE,
    WEBHOOK, WebhookDelivery,
};
use postern_store::webhooks::{PING, Webhook, WebhookEvent, WebhookKind, WebhookSecrets};

use super::{CANARY, assert_files_hold_none_of, at, backends, count_rows, execute, submission};

const LEASE: SignedDuration = SignedDuration::from_mins(5);
const URL_SECRET: &str = "T0-B0-hookcanary-5e1f";
const SIGNING_SECRET: &str = "whsec_c2lnbmluZ2NhbmFyeS05YjI3LWRvLW5vdC1zdG9yZQ==";

fn secrets(n: u8) -> WebhookSecrets {
    WebhookSecrets {
        url: format!("https://hooks.example.com/services/{URL_SECRET}/{n}"),
        signing_secret: Some(SIGNING_SECRET.into()),
    }
}

#[tokio::test]
async fn webhook_secrets_are_sealed_at_rest_and_rewrapped_by_rotation() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        let hook = s
            .add_webhook(
                "acme",
                WebhookKind::Generic,
                &WebhookEvent::DEFAULT,
                &secrets(1),
                "cli:test",
                now,
            )
            .await
            .unwrap();
        assert_eq!(s.webhooks(None).await.unwrap(), vec![hook.clone()]);
        assert_eq!(s.webhook_secrets(&hook.id).await.unwrap(), secrets(1));
        assert!(!format!("{:?}", secrets(1)).contains(URL_SECRET));

        let needles: Vec<Vec<u8>> = vec![
            URL_SECRET.as_bytes().to_vec(),
            b"hooks.example.com".to_vec(),
            SIGNING_SECRET.as_bytes().to_vec(),
        ];
        match b.name {
            "sqlite" => {
                execute(&b, "PRAGMA wal_checkpoint(TRUNCATE)").await;
                assert_files_hold_none_of(b.dir.path(), &needles);
            }
            _ => {
                let (schema, admin) = b.schema.as_ref().unwrap();
                for table in ["webhooks", "audit_events", "jobs"] {
                    let dump: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT COALESCE(string_agg(t::text, ''), '') FROM {schema}.{table} t"
                    )))
                    .fetch_one(admin)
                    .await
                    .unwrap();
                    for n in &needles {
                        assert!(
                            !dump.as_bytes().windows(n.len()).any(|w| w == &n[..]),
                            "{table} holds a secret"
                        );
                    }
                }
            }
        }

        // Rotation re-wraps webhooks too: the superseded key can go at the next rotation.
        let old = s.vault().active_key_id();
        let (new, _, _) = s.rotate_master_key().await.unwrap();
        let (_, _, removed) = s.rotate_master_key().await.unwrap();
        assert_eq!(removed, vec![old], "{}: no webhook holds on to it", b.name);
        assert_ne!(new, s.vault().active_key_id());
        assert_eq!(s.webhook_secrets(&hook.id).await.unwrap(), secrets(1));

        // Adding, testing and removing are audited, without the address or the secret.
        s.test_webhook(&hook.id, "cli:test", now).await.unwrap();
        let removed = s.remove_webhook(&hook.id, "cli:test", now).await.unwrap();
        assert_eq!(removed.id, hook.id);
        assert!(matches!(
            s.remove_webhook(&hook.id, "cli:test", now).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.webhook_secrets(&hook.id).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(count_rows(&b, "webhooks").await, 0);
        s.verify_audit().await.unwrap();
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn webhook_deliveries_are_inserted_once_and_run_in_their_lane() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        let add = |project: &'static str, events: Vec<WebhookEvent>, n: u8| async move {
            s.add_webhook(
                project,
                WebhookKind::Generic,
                &events,
                &secrets(n),
                "cli:test",
                now,
            )
            .await
            .unwrap()
        };
        let both = add("acme", WebhookEvent::DEFAULT.to_vec(), 1).await;
        let reports_only = add("acme", vec![WebhookEvent::NewReport], 2).await;
        let messages_only = add("acme", vec![WebhookEvent::ReporterMessage], 3).await;
        let other_project = add("zenith", WebhookEvent::DEFAULT.to_vec(), 4).await;
        let hooks = s.webhooks(None).await.unwrap();
        assert_eq!(hooks.len(), 4);

        let (id, key) = s
            .create_report("acme", &submission("one"), &[], now)
            .await
            .unwrap();
        s.add_reporter_message(Some(&id), &key, "more", now)
            .await
            .unwrap();
        let events = s
            .claim_jobs("w1", Lane::Events, now, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(events.len(), 2, "{}", b.name);
        let received = events.iter().find(|j| j.kind == TEAM_NEW_REPORT).unwrap();
        let message = events
            .iter()
            .find(|j| j.kind == TEAM_REPORTER_MESSAGE)
            .unwrap();

        // What the runner's fan-out writes: one delivery per webhook that wants the event.
        let deliveries = |event: &Job, hooks: &[&Webhook]| -> Vec<NewJob> {
            hooks
                .iter()
                .map(|w| {
                    NewJob::new(
                        JobKind::Webhook,
                        &event.project,
                        event.report_id.as_deref(),
                        &WebhookDelivery {
                            event: event.kind.clone(),
                            webhook: w.id.clone(),
                            at: event.created_at.as_millisecond(),
                        },
                        format!("{}:webhook:{}", event.id, w.id),
                        now,
                    )
                })
                .collect()
        };
        assert!(both.wants(ReportEvent::NewReport) && reports_only.wants(ReportEvent::NewReport));
        assert!(!messages_only.wants(ReportEvent::NewReport));
        let on_receipt = deliveries(received, &[&both, &reports_only]);
        let on_message = deliveries(message, &[&both, &messages_only]);
        assert!(
            on_receipt
                .iter()
                .chain(&on_message)
                .all(|j| !j.payload.contains(&other_project.id) && !j.payload.contains(CANARY))
        );

        s.complete_job(&received.id, "w1", now, None, &on_receipt)
            .await
            .unwrap();
        s.complete_job(&message.id, "w1", now, None, &on_message)
            .await
            .unwrap();
        // The same deliveries once more (a second worker expanding the same event): nothing new.
        let (_, _) = s
            .create_report("acme", &submission("two"), &[], now)
            .await
            .unwrap();
        let again = s
            .claim_jobs("w2", Lane::Events, now, LEASE, 10)
            .await
            .unwrap()
            .remove(0);
        s.complete_job(&again.id, "w2", now, None, &on_receipt)
            .await
            .unwrap();
        assert_eq!(count_rows(&b, "jobs").await, 3 + 4, "{}", b.name);

        // Webhook deliveries run in the deliveries lane, with readable payloads.
        let lane = s
            .claim_jobs("w3", Lane::Deliveries, now, LEASE, 10)
            .await
            .unwrap();
        assert_eq!(lane.len(), 4, "{}", b.name);
        for job in &lane {
            assert_eq!(job.kind, WEBHOOK);
            assert_eq!(job.report(), Some(id.clone()));
            let delivery = job.webhook_delivery().unwrap();
            assert_eq!(delivery.at, now.as_millisecond());
        }
        // A test delivery is a webhook job of its own, without a report.
        let ping = s
            .test_webhook(&other_project.id, "cli:test", now)
            .await
            .unwrap();
        let ping = s.job(&ping).await.unwrap().unwrap();
        assert_eq!(
            (ping.kind.as_str(), ping.state, ping.report_id.clone()),
            (WEBHOOK, JobState::Pending, None)
        );
        assert_eq!(ping.webhook_delivery().unwrap().event, PING);
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn a_project_has_at_most_its_limit_of_webhooks() {
    for b in backends().await {
        let s = &b.store;
        let now = at("2026-11-23T10:00:00Z");
        for n in 0..postern_store::webhooks::WEBHOOKS_PER_PROJECT_MAX {
            s.add_webhook(
                "acme",
                WebhookKind::Slack,
                &[WebhookEvent::NewReport],
                &secrets(n as u8),
                "cli:test",
                now,
            )
            .await
            .unwrap();
        }
        let error = s
            .add_webhook(
                "acme",
                WebhookKind::Slack,
                &[WebhookEvent::NewReport],
                &secrets(99),
                "cli:test",
                now,
            )
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Limit(_)), "{}", b.name);
        b.drop_schema().await;
    }
}
