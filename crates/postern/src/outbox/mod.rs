//! The job runner inside `serve`: claims due outbox jobs, reads each into its typed `Task`, and
//! hands it to its kind's handler, beside that kind's fan-out: report events
//! (`report_event.rs`), deadline watches (`deadline.rs`), advisory events and list mail
//! (`lists.rs`), webhook requests (`webhook.rs`). Woken right after a write that enqueued jobs,
//! otherwise when the next job is due, and at least every `POLL_EVERY` (jobs enqueued by the
//! terminal commands or another instance). Several instances may run it on one database.
//!
//! Claims and completions go through the store's group-commit writer, in the transactions of
//! the writes waiting beside them. Without `--smtp-url`, events that would reach nobody
//! (advisory events; report events of a project without webhooks) are completed by the claim
//! itself as "skipped: no mail transport configured", and no mail is queued: configuring mail
//! later does not flood anyone with stale notices. Webhook deliveries are queued either way.
//!
//! A job of a kind this version does not know (written by a newer version) is never claimed:
//! it stays pending for the newer version, and the runner says so in its log at start and
//! hourly (`Store::unknown_jobs`).

mod context;
mod conversation;
mod deadline;
mod lists;
mod report_event;

use jiff::{SignedDuration, Timestamp};
use postern_store::jobs::{
    Completion, Failure, Job, JobKind, Lane, ReportEvent, Skip, Task, Unreadable, retry_delay,
};
use tokio::sync::watch;

use context::Outcome;
pub use context::{NO_TRANSPORT, Outbox};
use lists::AdvisoryNews;

/// A job is leased for this long (30 s) and renewed every `LEASE_RENEW_EVERY` while the runner
/// lives (`heartbeat`): a killed instance's jobs pass to another within about one lease.
pub use postern_store::jobs::{LEASE, LEASE_RENEW_EVERY};
/// The runner looks for due jobs at least this often.
pub const POLL_EVERY: SignedDuration = SignedDuration::from_secs(5);
/// Deliveries claimed at a time: few, so that a stopping server finishes them quickly and a
/// slow mail server cannot outlast their lease.
pub const DELIVERY_BATCH: usize = 8;
/// After a write enqueued jobs, the runner waits this long before claiming them: notices go
/// out a moment later, and under load one claim serves many reports.
pub const GATHER: SignedDuration = SignedDuration::from_millis(200);
/// Events claimed, expanded and completed at a time, in one transaction.
pub const EVENT_BATCH: usize = 256;
/// Finished jobs are kept this long (for `postern jobs list`), then deleted.
pub const DONE_JOBS_KEPT: SignedDuration = SignedDuration::from_hours(30 * 24);

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // Without OS randomness the jitter is merely absent.
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// This process's name on the leases it takes: unique per run.
fn worker_name() -> String {
    format!(
        "pid{}-{:016x}",
        std::process::id(),
        random_u64() & 0xffff_ffff_ffff
    )
}

/// Renews every lease `worker` holds each `LEASE_RENEW_EVERY`, for as long as the runner lives
/// (a job may take longer than one lease: a slow mail server, a batch of events). When the
/// process dies the beats stop, and its jobs pass to another instance one lease later.
fn heartbeat(store: postern_store::Store, worker: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut beats = tokio::time::interval(LEASE_RENEW_EVERY.unsigned_abs());
        beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        beats.tick().await;
        loop {
            beats.tick().await;
            if let Err(error) = store.renew_leases(&worker, Timestamp::now(), LEASE).await {
                tracing::warn!(%error, "could not renew the job leases; another instance may take them over");
            }
        }
    })
}

/// Logs the pending jobs that this version leaves for a newer one.
async fn log_unknown_jobs(outbox: &Outbox) {
    match outbox.store.unknown_jobs().await {
        Ok(kinds) => {
            for (kind, jobs) in kinds {
                tracing::warn!(
                    %kind,
                    jobs,
                    "jobs of a kind this version does not know are left pending for a newer version"
                );
            }
        }
        Err(error) => tracing::warn!(%error, "could not count jobs of unknown kinds"),
    }
}

impl Outbox {
    /// The events the claim completes at once: without mail, advisory events reach nobody,
    /// and report events reach nobody unless their project has webhooks.
    fn skip(&self) -> Option<Skip> {
        self.mailer.is_none().then(|| Skip {
            note: NO_TRANSPORT.to_owned(),
            always: vec![JobKind::AdvisoryPublished, JobKind::AdvisoryEarlyAccess],
            unless_webhooks: ReportEvent::ALL.iter().map(|e| e.kind()).collect(),
        })
    }

    /// Runs until `stop` turns true; jobs already claimed are finished first.
    pub fn spawn(self, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let worker = worker_name();
            let heartbeat = heartbeat(self.store.clone(), worker.clone());
            let signal = self.store.job_signal();
            let skip = self.skip();
            let mut pruned_at = Timestamp::UNIX_EPOCH;
            while !*stop.borrow() {
                let now = Timestamp::now();
                // Both claims at once, so that they go in one of the writer's transactions.
                let (events, deliveries) = tokio::join!(
                    self.store.claim_jobs_skipping(
                        &worker,
                        Lane::Events,
                        now,
                        LEASE,
                        EVENT_BATCH,
                        skip.as_ref()
                    ),
                    self.store
                        .claim_jobs(&worker, Lane::Deliveries, now, LEASE, DELIVERY_BATCH),
                );
                let events = events.unwrap_or_else(|error| {
                    tracing::warn!(%error, "could not claim jobs");
                    Default::default()
                });
                let deliveries = deliveries.unwrap_or_else(|error| {
                    tracing::warn!(%error, "could not claim jobs");
                    Vec::new()
                });
                let busy = events.skipped > 0 || !events.jobs.is_empty() || !deliveries.is_empty();
                self.run_events(&worker, events.jobs).await;
                for job in deliveries {
                    self.deliver_one(&worker, job).await;
                }
                if busy {
                    continue;
                }
                if now.duration_since(pruned_at) > SignedDuration::from_hours(1) {
                    pruned_at = now;
                    log_unknown_jobs(&self).await;
                    match self.store.prune_jobs(now - DONE_JOBS_KEPT).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(jobs = n, "deleted old finished jobs"),
                        Err(error) => tracing::warn!(%error, "could not delete old jobs"),
                    }
                }
                let next = self.store.next_job_at().await.ok().flatten();
                let wait = next
                    .map_or(POLL_EVERY, |at| at.duration_since(Timestamp::now()))
                    .clamp(SignedDuration::from_millis(10), POLL_EVERY);
                let woken = tokio::select! {
                    () = signal.notified() => true,
                    () = tokio::time::sleep(wait.unsigned_abs()) => false,
                    _ = stop.changed() => false,
                };
                if woken {
                    // Let the reports arriving meanwhile gather, so that one claim and one
                    // completion serve many of them.
                    tokio::select! {
                        () = tokio::time::sleep(GATHER.unsigned_abs()) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
            // Every job it held is finished: nothing left to renew.
            heartbeat.abort();
        })
    }

    /// Runs one job by its kind's handler. `None` for a kind this version does not know: it is
    /// left as it is (claims never take one; if one was leased anyway, its lease runs out).
    async fn run(
        &self,
        job: &Job,
        now: Timestamp,
        caches: &mut report_event::Caches,
    ) -> Option<Result<Outcome, Failure>> {
        let task = match job.task() {
            Ok(task) => task,
            Err(Unreadable::UnknownKind(kind)) => {
                tracing::warn!(job = %job.id, %kind, "left a job of a kind this version does not know");
                return None;
            }
            Err(unreadable @ Unreadable::Payload(_)) => {
                return Some(Err(Failure::Permanent(unreadable.to_string())));
            }
        };
        Some(match task {
            Task::Report {
                event, messages, ..
            } => report_event::expand(self, job, event, &messages, now, caches).await,
            Task::Watch { report, watch } => deadline::run(self, job, &report, &watch, now).await,
            Task::AdvisoryPublished { advisory } => {
                lists::expand(self, job, &advisory, AdvisoryNews::Published, now).await
            }
            Task::AdvisoryEarlyAccess {
                advisory,
                publish_at,
            } => {
                lists::expand(
                    self,
                    job,
                    &advisory,
                    AdvisoryNews::EarlyAccess { publish_at },
                    now,
                )
                .await
            }
            Task::ReportMail { report, delivery } => {
                report_event::deliver(self, job, &report, &delivery, now).await
            }
            Task::ListMail(mail) => lists::deliver(self, job, mail).await,
            Task::FindingsMail(mail) => deadline::deliver_findings(self, job, &mail).await,
            Task::ScreeningReply { item } => conversation::screening_reply(self, job, &item).await,
            Task::Webhook(delivery) => crate::webhook::deliver(
                &self.store,
                &self.webhooks,
                self.project_name(&job.project),
                &self.links,
                job,
                &delivery,
                now,
            )
            .await
            .map(|note| Outcome {
                note,
                follow_ups: Vec::new(),
            }),
        })
    }

    /// Runs a batch of events (the team's addresses and webhooks read once per project) and
    /// completes them all in one transaction; one that fails is retried alone.
    async fn run_events(&self, worker: &str, events: Vec<Job>) {
        if events.is_empty() {
            return;
        }
        let now = Timestamp::now();
        let mut caches = report_event::Caches::default();
        let mut completions = Vec::with_capacity(events.len());
        for job in events {
            match self.run(&job, now, &mut caches).await {
                Some(Ok(outcome)) => completions.push(Completion {
                    id: job.id,
                    note: outcome.note.map(str::to_owned),
                    follow_ups: outcome.follow_ups,
                }),
                Some(Err(failure)) => self.failed(worker, &job, now, failure).await,
                None => {}
            }
        }
        if let Err(error) = self.store.complete_jobs(worker, now, &completions).await {
            // Their leases run out and they are expanded again; the deliveries' dedupe keys
            // keep that from sending anything twice.
            tracing::warn!(%error, jobs = completions.len(), "could not record finished events");
        }
    }

    async fn failed(&self, worker: &str, job: &Job, now: Timestamp, failure: Failure) {
        let retry_at = now + retry_delay(job.attempts, self.retry_base, random_u64());
        let text = match &failure {
            Failure::Transient(t) | Failure::Permanent(t) => t.clone(),
        };
        match self
            .store
            .fail_job(&job.id, worker, now, &failure, retry_at)
            .await
        {
            Ok(failed) => tracing::warn!(
                job = %job.id,
                kind = %job.kind,
                attempts = job.attempts,
                outcome = ?failed,
                error = %text,
                "a job failed"
            ),
            // The lease runs out and the job is tried again.
            Err(error) => tracing::warn!(job = %job.id, %error, "could not record a job's failure"),
        }
    }

    async fn deliver_one(&self, worker: &str, job: Job) {
        let now = Timestamp::now();
        let mut caches = report_event::Caches::default();
        match self.run(&job, now, &mut caches).await {
            None => {}
            Some(Ok(outcome)) => match self
                .store
                .complete_job(&job.id, worker, now, outcome.note, &[])
                .await
            {
                Ok(true) if outcome.note.is_none() => {
                    tracing::info!(job = %job.id, kind = %job.kind, "delivered");
                }
                Ok(true) => {}
                Ok(false) => tracing::warn!(
                    job = %job.id,
                    "a job's lease passed to another worker before it finished"
                ),
                // The lease runs out and the mail goes again, with the same Message-ID.
                Err(error) => tracing::warn!(job = %job.id, %error, "could not record a sent mail"),
            },
            Some(Err(failure)) => self.failed(worker, &job, now, failure).await,
        }
    }
}
