//! Dependency and code scanning: a scanner's report imported for a project's product (one
//! transaction: new findings open with the policy's fix deadline, those still there stay,
//! those gone close as fixed, fixed ones that return reopen), and the findings listed.

use jiff::{SignedDuration, Timestamp};
use postern_core::clock::Reminder;
use postern_core::role::Role;
use postern_core::scan::{self, FindingSeverity, FindingState, ScanError, Support};
use postern_store::jobs::{
    FINDINGS_DUE_SOON, FINDINGS_MISSED, FINDINGS_REOPENED, FindingsMail, NewJob,
};
use postern_store::scans::{FindingFilter, FindingLook, ImportCounts, ScanImport, StoredFinding};

use crate::{Actor, App, Error};

/// Longest product name or version, in characters.
pub const PRODUCT_CHARS_MAX: usize = 200;

/// What an import did, for the terminal and the API to show.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// The format recognised.
    pub format: &'static str,
    /// The counts.
    pub counts: ImportCounts,
    /// How the policy's supported versions stand on the scanned version.
    pub support: Support,
    /// What the parser noticed (duplicates merged, vectors that did not parse, ...).
    pub warnings: Vec<String>,
}

impl ImportOutcome {
    /// The outcome as JSON: the API's answer and `postern scan import --json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "import": self.counts.import_id,
            "format": self.format,
            "findings": self.counts.findings,
            "new": self.counts.new,
            "unchanged": self.counts.unchanged,
            "closed": self.counts.closed,
            "reopened": self.counts.reopened,
            "version_support": self.support.name(),
            "warnings": self.warnings,
        })
    }
}

fn check_name(field: &str, text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::field(
            field,
            "is empty; give the product's name and the version or ref scanned",
        ));
    }
    if text.chars().count() > PRODUCT_CHARS_MAX {
        return Err(Error::field(
            field,
            format!("is longer than {PRODUCT_CHARS_MAX} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::field(field, "contains control characters"));
    }
    Ok(text.to_owned())
}

impl App {
    /// Imports a scanner's report for `product` at `version` of `project`. Triagers and
    /// admins of the project (and tokens with `scans:write` for it). Nothing is stored when
    /// the report cannot be read. A report given by value is dropped once parsed.
    pub async fn import_scan(
        &self,
        actor: &Actor,
        project: &str,
        product: &str,
        version: &str,
        bytes: impl AsRef<[u8]> + Send,
    ) -> Result<ImportOutcome, Error> {
        actor.require(Role::Triager)?;
        let served = self.project(project).ok_or_else(|| {
            Error::field(
                "project",
                format!("no project \"{project}\" is served here"),
            )
        })?;
        actor.check_sees(project)?;
        let product = check_name("product", product)?;
        let version = check_name("version", version)?;
        let report = scan::parse(bytes.as_ref()).map_err(|e| match e {
            ScanError::TooLarge { .. } => Error::Refused(e.to_string()),
            other => Error::field("report", other.to_string()),
        })?;
        // The findings own what they keep: a report given by value (the API's body) is let go
        // before the rows are written, so it is not held beside them.
        drop(bytes);
        let policy = &served.policy;
        let support = scan::support(policy, &version);
        let state = self.store().scan_state(project, &product, &version).await?;
        let plan = scan::reconcile(&state.existing, &report.findings);
        let now = self.now();
        let due = report
            .findings
            .iter()
            .map(|f| scan::fix_due(policy, f.severity, now))
            .collect();
        let counts = self
            .store()
            .import_scan(ScanImport {
                project: project.to_owned(),
                product,
                version,
                support,
                known: state.product,
                format: report.format,
                findings: report.findings,
                plan,
                due,
                warnings: report.warnings.clone(),
                actor: actor.name().to_owned(),
                at: now,
            })
            .await?;
        Ok(ImportOutcome {
            format: report.format.name(),
            counts,
            support,
            warnings: report.warnings,
        })
    }

    /// Findings the actor may see, by the filter, most urgent first.
    pub async fn findings(
        &self,
        actor: &Actor,
        mut filter: FindingFilter,
    ) -> Result<Vec<StoredFinding>, Error> {
        if let Some(project) = &filter.project {
            actor.check_sees(project)?;
        }
        filter.projects = self
            .projects()
            .all()
            .iter()
            .map(|p| p.slug().to_owned())
            .filter(|slug| actor.can_see(slug))
            .collect();
        if filter.projects.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.store().findings(&filter).await?)
    }

    /// One finding the actor may see.
    pub async fn finding(&self, actor: &Actor, id: &str) -> Result<StoredFinding, Error> {
        let finding = self.store().finding(id).await?.ok_or(Error::NotFound)?;
        actor.check_sees(&finding.project)?;
        Ok(finding)
    }
}

/// What the team decides about an open finding.
#[derive(Debug, Clone)]
pub enum Decision {
    /// The risk is accepted, for a reason, until a moment (at most `RISK_DAYS_MAX` ahead).
    AcceptRisk {
        /// Why.
        reason: String,
        /// Until when.
        until: jiff::Timestamp,
    },
    /// Not a real finding, for a reason.
    FalsePositive {
        /// Why.
        reason: String,
    },
}

/// Longest an accepted risk holds, in days: it is looked at again at least yearly.
pub const RISK_DAYS_MAX: i64 = 366;

impl App {
    /// Accepts a finding's risk or marks it a false positive, with a reason (triagers of its
    /// project). Its fix deadline stops; the decision is audited.
    pub async fn decide_finding(
        &self,
        actor: &Actor,
        id: &str,
        decision: Decision,
    ) -> Result<(), Error> {
        actor.require(Role::Triager)?;
        let finding = self.finding(actor, id).await?;
        let now = self.now();
        let (state, reason, until) = match decision {
            Decision::AcceptRisk { reason, until } => {
                if until <= now {
                    return Err(Error::field("until", "give a date in the future"));
                }
                if until > now + jiff::SignedDuration::from_hours(24 * RISK_DAYS_MAX) {
                    return Err(Error::field(
                        "until",
                        format!("an accepted risk holds at most {RISK_DAYS_MAX} days"),
                    ));
                }
                (FindingState::AcceptedRisk, reason, Some(until))
            }
            Decision::FalsePositive { reason } => (FindingState::FalsePositive, reason, None),
        };
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::field("reason", "say why, for the record"));
        }
        self.store()
            .decide_finding(&finding.id, state, reason, until, actor.name(), now)
            .await
            .map_err(|e| match e {
                postern_store::StoreError::Limit(m) => Error::field("reason", m),
                other => other.into(),
            })
    }
}

/// A severity's name as the terminal and pages take it.
pub fn parse_severity(text: &str) -> Result<FindingSeverity, Error> {
    FindingSeverity::parse(text)
        .ok_or_else(|| Error::field("severity", "must be critical, high, medium, low or unknown"))
}

/// A state's name as the terminal and pages take it.
pub fn parse_state(text: &str) -> Result<FindingState, Error> {
    FindingState::parse(text).ok_or_else(|| {
        Error::field(
            "state",
            "must be open, fixed, accepted-risk or false-positive",
        )
    })
}

/// What one look at the findings' clocks did, over every project served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockLook {
    /// Open findings whose fix deadline is near (the team was reminded).
    pub reminded: usize,
    /// Open findings whose fix deadline passed (the admins were told).
    pub missed: usize,
    /// Accepted risks that expired: their findings open again.
    pub reopened: usize,
}

/// "1 critical, 2 high": how many of each severity, most severe first.
fn tally(severities: impl Iterator<Item = FindingSeverity>) -> String {
    let severities: Vec<FindingSeverity> = severities.collect();
    FindingSeverity::ALL
        .iter()
        .filter_map(|s| {
            let n = severities.iter().filter(|f| *f == s).count();
            (n > 0).then(|| format!("{n} {}", s.name()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn findings_word(n: usize) -> &'static str {
    if n == 1 { "finding" } else { "findings" }
}

impl App {
    /// Looks at the fix clocks of every served project's findings, as `system` (`serve` does
    /// it every minute; any instance may). Reminders that came due since the project's last
    /// look go to its team (a lead before a deadline) or its admins (a deadline passed), one
    /// notice per address and kind with counts by severity, using the reminder leads of the
    /// reports' promises; accepted risks whose expiry came open again with the policy's fix
    /// deadline counted from the expiry, each audited (`finding.risk_expired`), and the team
    /// is told. Notices are enqueued only with `mail` (a transport configured); the look is
    /// recorded either way, in the same transaction. A look another instance committed first
    /// is left to it.
    pub async fn look_at_finding_clocks(&self, mail: bool) -> Result<ClockLook, Error> {
        let mut total = ClockLook::default();
        for project in self.projects().all() {
            let look = self.look_at_project_findings(project, mail).await?;
            total.reminded += look.reminded;
            total.missed += look.missed;
            total.reopened += look.reopened;
        }
        Ok(total)
    }

    async fn look_at_project_findings(
        &self,
        project: &postern_core::project::Project,
        mail: bool,
    ) -> Result<ClockLook, Error> {
        let slug = project.slug();
        let store = self.store();
        let now = self.now();
        let leads = store.reminder_leads();
        let read = store.finding_clock(slug).await?;
        let since = read.unwrap_or(Timestamp::UNIX_EPOCH);
        let lead_max = leads
            .iter()
            .copied()
            .filter(|l| l.is_positive())
            .max()
            .unwrap_or(SignedDuration::ZERO);
        let mut soon = Vec::new();
        let mut missed = Vec::new();
        for f in store.findings_on_clock(slug, since, now + lead_max).await? {
            match scan::fix_reminder(f.opened_at, f.due_at, &leads, since, now) {
                Some(Reminder::Before(_)) => soon.push(f),
                Some(Reminder::Missed) => missed.push(f),
                None => {}
            }
        }
        let reopened: Vec<_> = store
            .expired_risks(slug, now)
            .await?
            .into_iter()
            .filter_map(|risk| {
                scan::risk_expiry(&project.policy, risk.severity, risk.until, now)
                    .map(|due| (risk, due))
            })
            .collect();
        let look = ClockLook {
            reminded: soon.len(),
            missed: missed.len(),
            reopened: reopened.len(),
        };
        if look == ClockLook::default() {
            return Ok(look);
        }
        let mut jobs = Vec::new();
        if mail {
            let ingested = crate::mail::project_addresses(project);
            let told = |team: Vec<String>| -> Vec<String> {
                team.into_iter()
                    .filter(|m| !ingested.contains(&m.to_lowercase()))
                    .collect()
            };
            let members = told(store.notified_members(slug).await?);
            let admins = told(store.notified_admins(slug).await?);
            let name = &project.policy.project.name;
            let mut notices = Vec::new();
            if let Some(first) = soon.iter().map(|f| f.due_at).min() {
                let n = soon.len();
                notices.push((
                    FINDINGS_DUE_SOON,
                    &members,
                    format!(
                        "Fix deadline near for {n} {} of {name}, the first by {}: {}.",
                        findings_word(n),
                        when(first),
                        tally(soon.iter().map(|f| f.severity))
                    ),
                ));
            }
            if let Some(first) = missed.iter().map(|f| f.due_at).min() {
                let n = missed.len();
                notices.push((
                    FINDINGS_MISSED,
                    &admins,
                    format!(
                        "Fix deadline passed for {n} {} of {name}, the first due by {}; the policy's promise is missed: {}.",
                        findings_word(n),
                        when(first),
                        tally(missed.iter().map(|f| f.severity))
                    ),
                ));
            }
            if !reopened.is_empty() {
                let n = reopened.len();
                let first = reopened.iter().filter_map(|(_, due)| *due).min();
                notices.push((
                    FINDINGS_REOPENED,
                    &members,
                    format!(
                        "{n} accepted {} of {name} expired; {} open again{}: {}.",
                        if n == 1 { "risk" } else { "risks" },
                        if n == 1 {
                            "the finding is"
                        } else {
                            "the findings are"
                        },
                        first.map_or_else(String::new, |t| format!(
                            " with the policy's fix deadline, the first by {}",
                            when(t)
                        )),
                        tally(reopened.iter().map(|(r, _)| r.severity))
                    ),
                ));
            }
            let look_id = now.as_millisecond().to_string();
            for (event, addresses, note) in notices {
                for email in addresses {
                    jobs.push(NewJob::findings_mail(
                        slug,
                        &FindingsMail {
                            findings_notice: event.to_owned(),
                            email: email.clone(),
                            note: note.clone(),
                        },
                        &look_id,
                        now,
                    ));
                }
            }
        }
        match store
            .commit_finding_look(FindingLook {
                project: slug.to_owned(),
                read,
                now,
                reopened,
                actor: "system".to_owned(),
                jobs,
            })
            .await
        {
            Ok(()) => Ok(look),
            // Another instance looked first; what it did stands.
            Err(postern_store::StoreError::Conflict(_)) => Ok(ClockLook::default()),
            Err(e) => Err(e.into()),
        }
    }
}
