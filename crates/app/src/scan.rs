//! Dependency and code scanning: a scanner's report imported for a project's product (one
//! transaction: new findings open with the policy's fix deadline, those still there stay,
//! those gone close as fixed, fixed ones that return reopen), and the findings listed.

use postern_core::role::Role;
use postern_core::scan::{self, FindingSeverity, FindingState, ScanError, Support};
use postern_store::scans::{FindingFilter, ImportCounts, ScanImport, StoredFinding};

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
    /// the report cannot be read.
    pub async fn import_scan(
        &self,
        actor: &Actor,
        project: &str,
        product: &str,
        version: &str,
        bytes: &[u8],
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
        let report = scan::parse(bytes).map_err(|e| match e {
            ScanError::TooLarge { .. } => Error::Refused(e.to_string()),
            other => Error::field("report", other.to_string()),
        })?;
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
