//! The job runner inside `serve`: claims due outbox jobs, expands events into one delivery per
//! recipient, and sends mail, retrying with backoff. Woken right after a write that enqueued
//! jobs, otherwise when the next job is due, and at least every `POLL_EVERY` (jobs enqueued by
//! the terminal commands or another instance). Several instances may run it on one database.
//!
//! Without `--smtp-url`, event jobs complete as "skipped: no mail transport configured" and no
//! mail is queued: configuring mail later does not flood anyone with stale notices. Webhook
//! deliveries (`webhook.rs`) are queued either way.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use postern_core::clock::{Reminder, due_reminder};
use postern_store::Store;
use postern_store::jobs::{
    Completion, DEADLINE_MISSED, DEADLINE_REMINDER, DEADLINE_WATCH, Failure, Job, Lane, MAIL,
    NewJob, REPORTER_NOTICE, Recipient, TEAM_NEW_REPORT, TEAM_REPORTER_MESSAGE, WEBHOOK,
    retry_delay,
};
use postern_store::webhooks::Webhook;
use tokio::sync::watch;

use crate::mail::{Links, Mailer};

/// A job is leased for this long; longer than one attempt can take (`mail::SMTP_TIMEOUT`).
pub const LEASE: SignedDuration = SignedDuration::from_mins(5);
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
/// Note on an event that no mail could be sent for.
pub const NO_TRANSPORT: &str = "skipped: no mail transport configured (--smtp-url)";

/// What the runner needs.
pub struct Outbox {
    /// The store.
    pub store: Store,
    /// The mail transport, if configured.
    pub mailer: Option<Arc<Mailer>>,
    /// Project slug -> name, for subjects.
    pub project_names: HashMap<String, String>,
    /// Where links point.
    pub links: Links,
    /// The first retry's delay (doubling after).
    pub retry_base: SignedDuration,
    /// How long before a promise's limit the team is reminded.
    pub reminder_leads: Vec<SignedDuration>,
    /// Posts webhook deliveries.
    pub webhooks: crate::webhook::Client,
}

/// What a job's run came to, if it did not fail.
struct Outcome {
    note: Option<&'static str>,
    follow_ups: Vec<NewJob>,
}

impl Outcome {
    fn done() -> Outcome {
        Outcome {
            note: None,
            follow_ups: Vec::new(),
        }
    }

    fn skipped(note: &'static str) -> Outcome {
        Outcome {
            note: Some(note),
            follow_ups: Vec::new(),
        }
    }
}

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

impl Outbox {
    /// Runs until `stop` turns true; jobs already claimed are finished first.
    pub fn spawn(self, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let worker = worker_name();
            let signal = self.store.job_signal();
            let mut pruned_at = Timestamp::UNIX_EPOCH;
            while !*stop.borrow() {
                let now = Timestamp::now();
                let events = self
                    .store
                    .claim_jobs(&worker, Lane::Events, now, LEASE, EVENT_BATCH)
                    .await
                    .unwrap_or_else(|error| {
                        tracing::warn!(%error, "could not claim jobs");
                        Vec::new()
                    });
                let had_events = !events.is_empty();
                self.run_events(&worker, events).await;
                let deliveries = self
                    .store
                    .claim_jobs(&worker, Lane::Deliveries, now, LEASE, DELIVERY_BATCH)
                    .await
                    .unwrap_or_else(|error| {
                        tracing::warn!(%error, "could not claim jobs");
                        Vec::new()
                    });
                if had_events || !deliveries.is_empty() {
                    for job in deliveries {
                        self.deliver_one(&worker, job).await;
                    }
                    continue;
                }
                if now.duration_since(pruned_at) > SignedDuration::from_hours(1) {
                    pruned_at = now;
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
                    // completion serve many of them instead of competing with intake for the
                    // database at every report.
                    tokio::select! {
                        () = tokio::time::sleep(GATHER.unsigned_abs()) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        })
    }

    /// Expands events into deliveries (the team's addresses read once per project) and
    /// completes them all in one transaction; one that fails is retried alone.
    async fn run_events(&self, worker: &str, events: Vec<Job>) {
        if events.is_empty() {
            return;
        }
        let now = Timestamp::now();
        let mut teams: HashMap<String, Vec<String>> = HashMap::new();
        let mut hooks: HashMap<String, Vec<Webhook>> = HashMap::new();
        let mut completions = Vec::with_capacity(events.len());
        for job in events {
            let outcome = self.expand(&job, now, &mut teams, &mut hooks).await;
            match outcome {
                Ok(outcome) => completions.push(Completion {
                    id: job.id,
                    note: outcome.note.map(str::to_owned),
                    follow_ups: outcome.follow_ups,
                }),
                Err(failure) => self.failed(worker, &job, now, failure).await,
            }
        }
        if let Err(error) = self.store.complete_jobs(worker, now, &completions).await {
            // Their leases run out and they are expanded again; the deliveries' dedupe keys
            // keep that from sending anything twice.
            tracing::warn!(%error, jobs = completions.len(), "could not record finished events");
        }
    }

    /// An event: one delivery per webhook of its project that wants it, and one per
    /// recipient of mail (when mail is configured).
    async fn expand(
        &self,
        job: &Job,
        now: Timestamp,
        teams: &mut HashMap<String, Vec<String>>,
        hooks: &mut HashMap<String, Vec<Webhook>>,
    ) -> Result<Outcome, Failure> {
        if job.kind == DEADLINE_WATCH {
            return self.watch(job, now).await;
        }
        if let Some(result) = crate::list_mail::expand(self, job, now).await {
            return result.map(|(note, follow_ups)| Outcome { note, follow_ups });
        }
        if !matches!(
            job.kind.as_str(),
            TEAM_NEW_REPORT | TEAM_REPORTER_MESSAGE | REPORTER_NOTICE
        ) {
            return Err(Failure::Permanent(format!(
                "this version does not know jobs of kind {}",
                job.kind
            )));
        }
        if !hooks.contains_key(&job.project) {
            let found = self
                .store
                .webhooks(Some(&job.project))
                .await
                .map_err(|e| Failure::Transient(e.to_string()))?;
            hooks.insert(job.project.clone(), found);
        }
        let project_hooks = hooks.get(&job.project).map_or(&[][..], Vec::as_slice);
        let mut follow_ups = job.webhook_deliveries(project_hooks, now);
        if self.mailer.is_none() {
            return Ok(Outcome {
                note: Some(NO_TRANSPORT),
                follow_ups,
            });
        }
        if !teams.contains_key(&job.project) {
            let team = self
                .store
                .notified_members(&job.project)
                .await
                .map_err(|e| Failure::Transient(e.to_string()))?;
            teams.insert(job.project.clone(), team);
        }
        let team = teams.get(&job.project).map_or(&[][..], Vec::as_slice);
        follow_ups.extend(job.deliveries(team, now));
        Ok(Outcome {
            note: None,
            follow_ups,
        })
    }

    /// A deadline watch: the reminders due now, to the team (or, once a limit has passed, to
    /// the admins), and the watch for the next one. A watch written for an older version of
    /// the case ends its chain: the change that made the newer version wrote a newer watch.
    async fn watch(&self, job: &Job, now: Timestamp) -> Result<Outcome, Failure> {
        let (Some(watch), Some(report)) = (job.watch(), job.report()) else {
            return Err(Failure::Permanent(
                "the job's payload is not readable".into(),
            ));
        };
        let row = match self.store.case_row(&report).await {
            Ok(row) => row,
            Err(postern_store::StoreError::NotFound) => {
                return Ok(Outcome::skipped("skipped: the report is gone"));
            }
            Err(e) => return Err(Failure::Transient(e.to_string())),
        };
        if row.version != watch.version {
            return Ok(Outcome::skipped(
                "skipped: the case changed; a newer watch took over",
            ));
        }
        let since = Timestamp::from_millisecond(watch.since).unwrap_or(row.received_at);
        let leads = &self.reminder_leads;
        let mut follow_ups = Vec::new();
        if self.mailer.is_some() {
            for clock in &row.case.clocks.0 {
                let Some(reminder) = due_reminder(clock, leads, since, now) else {
                    continue;
                };
                let limit = clock.limit_at.strftime("%Y-%m-%d %H:%M UTC");
                let what = clock.kind.describe();
                let (event, addresses, note) = match reminder {
                    Reminder::Before(_) => (
                        DEADLINE_REMINDER,
                        self.store.notified_members(&job.project).await,
                        format!(
                            "the promise to {what} ({}) is due by {limit}.",
                            clock.promised
                        ),
                    ),
                    Reminder::Missed => (
                        DEADLINE_MISSED,
                        self.store.notified_admins(&job.project).await,
                        format!(
                            "the promise to {what} ({}) was due by {limit} and has been missed.",
                            clock.promised
                        ),
                    ),
                };
                let addresses = addresses.map_err(|e| Failure::Transient(e.to_string()))?;
                let tag = format!(
                    "{}-{}",
                    clock.kind.name(),
                    clock.started_at.as_millisecond()
                );
                follow_ups.extend(job.notices(event, &tag, &addresses, &note, now));
            }
        }
        let handled = now.max(since);
        follow_ups.extend(job.next_watch(&watch, &row.case.clocks, leads, handled));
        Ok(Outcome {
            note: None,
            follow_ups,
        })
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
        match self.deliver(&job, now).await {
            Ok(outcome) => match self
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
            Err(failure) => self.failed(worker, &job, now, failure).await,
        }
    }

    /// One mail. The reporter's address is decrypted only now, and never logged.
    async fn deliver(&self, job: &Job, now: Timestamp) -> Result<Outcome, Failure> {
        if job.kind == WEBHOOK {
            let project_name = self
                .project_names
                .get(&job.project)
                .map_or(job.project.as_str(), String::as_str);
            let note = crate::webhook::deliver(
                &self.store,
                &self.webhooks,
                project_name,
                &self.links,
                job,
                now,
            )
            .await?;
            return Ok(Outcome {
                note,
                follow_ups: Vec::new(),
            });
        }
        let Some(mailer) = &self.mailer else {
            return Ok(Outcome::skipped(NO_TRANSPORT));
        };
        if let Some(result) = crate::list_mail::deliver(self, mailer, job).await {
            return result.map(|note| Outcome {
                note,
                follow_ups: Vec::new(),
            });
        }
        let (MAIL, Some(delivery), Some(report)) =
            (job.kind.as_str(), job.delivery(), job.report())
        else {
            return Err(Failure::Permanent(
                "the job's payload is not readable".into(),
            ));
        };
        let to_team = matches!(delivery.recipient, Recipient::Team { .. });
        let project_name = self
            .project_names
            .get(&job.project)
            .map_or(job.project.as_str(), String::as_str);
        let notice = match &delivery.note {
            Some(note) => crate::mail::reminder_notice(
                &delivery.event,
                note,
                project_name,
                report.as_str(),
                &self.links,
            ),
            None => crate::mail::notice(
                &delivery.event,
                to_team,
                project_name,
                report.as_str(),
                &self.links,
            ),
        };
        let Some(notice) = notice else {
            return Ok(Outcome::skipped("skipped: no notice for this event"));
        };
        let to = match delivery.recipient {
            Recipient::Team { email } => email,
            Recipient::Reporter => match self
                .store
                .reporter_contact(&report, &job.id, "mailer", now)
                .await
                .map_err(|e| Failure::Transient(e.to_string()))?
            {
                Some(contact) => contact,
                None => return Ok(Outcome::skipped("skipped: the reporter left no address")),
            },
        };
        mailer.send(&job.id, &to, &notice).await?;
        Ok(Outcome::done())
    }
}
