//! What the team does with advisories: draft one from an accepted report, write one by hand,
//! edit, import from a file, schedule, publish. One write path for the pages and the terminal:
//! a new advisory takes the next free number and never overwrites another (a number taken
//! meanwhile is retried with the next), an edit applies only to the version the editor saw, and
//! a publication is one transaction with its events and the reporter's notice.

use jiff::{SignedDuration, Timestamp};
use postern_core::advisory::{
    Advisory, AdvisoryError, AdvisoryId, DraftSource, FindingSource, draft_from_finding,
    draft_from_report,
};
use postern_core::project::Project;
use postern_core::report::{ReportId, ReportStatus};
use postern_core::role::Role;
use postern_store::StoreError;
use postern_store::advisories::{Origin, StoredAdvisory};

use crate::{Actor, App, Error};

/// Numbers tried, one after another, when others take them meanwhile.
pub const NUMBERING_ATTEMPTS_MAX: usize = 20;

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// The id was new: the advisory was created under it.
    Created,
    /// The id existed: the file replaced it (a published advisory stays published).
    Updated,
}

/// Whether scheduling may name a moment that has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PastMoment {
    /// Refused: the pages offer "publish now" for that.
    Refused,
    /// Allowed: the next check of a running `serve` publishes it (the terminal, for an
    /// embargo that ended while no server ran). The maximum embargo still holds.
    Allowed,
}

/// Accepted or later, not closed: a report an advisory can be drafted from.
pub fn can_draft_from(status: ReportStatus) -> bool {
    matches!(
        status,
        ReportStatus::Triaged
            | ReportStatus::Fixing
            | ReportStatus::Fixed
            | ReportStatus::Disclosed
    )
}

/// The longest reason for publishing before the agreed date (it is mailed to the reporter).
pub const EARLY_REASON_MAX: usize = 2_000;

/// What the reporter is told when an advisory is published before the disclosure date agreed
/// with them (`date`): the reason is required, one to `EARLY_REASON_MAX` characters.
fn early_words(date: Timestamp, reason: Option<&str>) -> Result<String, Error> {
    let agreed = postern_core::embargo::day(date);
    let reason = reason.map(str::trim).unwrap_or_default();
    if reason.is_empty() {
        return Err(Error::Refused(format!(
            "the disclosure date agreed with the reporter is {agreed}; to publish before it, give the reason, which the reporter is told"
        )));
    }
    if reason.chars().count() > EARLY_REASON_MAX {
        return Err(Error::Refused(format!(
            "the reason for publishing early is longer than {EARLY_REASON_MAX} characters"
        )));
    }
    Ok(format!(
        "It was published before the disclosure date agreed with you ({agreed}). The team's reason: {reason}"
    ))
}

/// `modified` for an edit saved at `now`: always later than the one it replaces, even within
/// one millisecond (the store compares milliseconds).
pub fn next_modified(previous: Timestamp, now: Timestamp) -> Timestamp {
    if now.as_millisecond() > previous.as_millisecond() {
        now
    } else {
        Timestamp::from_millisecond(previous.as_millisecond() + 1).unwrap_or(now)
    }
}

fn refused(error: AdvisoryError) -> Error {
    Error::Refused(error.0)
}

impl App {
    /// The advisory, if the actor may see its project; otherwise it does not exist for them.
    pub async fn visible_advisory(
        &self,
        actor: &Actor,
        id: &AdvisoryId,
    ) -> Result<StoredAdvisory, Error> {
        let stored = self.store().advisory(id).await?.ok_or(Error::NotFound)?;
        actor.check_sees(&stored.advisory.project)?;
        Ok(stored)
    }

    /// Numbers and stores a new advisory of `project`: the next free number of its prefix this
    /// year, the next one again when another draft took it meanwhile.
    async fn create_numbered(
        &self,
        project: &Project,
        origin: Origin<'_>,
        actor: &Actor,
        make: impl Fn(AdvisoryId) -> Result<Advisory, AdvisoryError>,
    ) -> Result<Advisory, Error> {
        let now = self.now();
        let year = now.to_zoned(jiff::tz::TimeZone::UTC).year();
        let prefix = &project.policy.project.advisory_prefix;
        for _ in 0..NUMBERING_ATTEMPTS_MAX {
            let id = self.store().next_advisory_id(prefix, year).await?;
            let advisory = make(id).map_err(refused)?;
            match self
                .store()
                .create_advisory(&advisory, origin, actor.name(), now)
                .await
            {
                Ok(()) => return Ok(advisory),
                Err(StoreError::Conflict(m))
                    if m == postern_store::advisories::FINDING_DRAFTED_ALREADY =>
                {
                    return Err(Error::Refused(m));
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict(
            "others are creating advisories right now; try again".into(),
        ))
    }

    /// Drafts an advisory from an accepted report (reading the report is audited as a view).
    pub async fn draft_advisory_from_report(
        &self,
        actor: &Actor,
        report: &ReportId,
    ) -> Result<Advisory, Error> {
        actor.require(Role::Triager)?;
        let row = self.visible_case(actor, report).await?;
        let project = self.served(&row.project)?;
        if !can_draft_from(row.case.status) {
            return Err(Error::Refused(format!(
                "an advisory is drafted from an accepted report; this one is {}",
                row.case.status.name()
            )));
        }
        let now = self.now();
        let view = self.store().team_view(report, actor.name(), now).await?;
        self.create_numbered(project, Origin::Report(report), actor, |id| {
            draft_from_report(
                DraftSource {
                    policy: &project.policy,
                    fields: &view.submission.fields,
                    credit_name: view.submission.credit_name.as_deref(),
                    case: &view.case,
                },
                id,
                now,
            )
        })
        .await
    }

    /// Drafts an advisory about the project's own product from a finding: the project ships
    /// the vulnerable dependency (triagers of its project). Once per finding; the finding
    /// links to it, in the same transaction. A false positive, or a finding that is not a
    /// dependency's vulnerability, is refused saying why.
    pub async fn draft_advisory_from_finding(
        &self,
        actor: &Actor,
        finding: &str,
    ) -> Result<Advisory, Error> {
        actor.require(Role::Triager)?;
        let stored = self.finding(actor, finding).await?;
        let project = self.served(&stored.project)?;
        if let Some(id) = &stored.advisory_id {
            return Err(Error::Refused(format!(
                "advisory {id} was drafted from this finding already"
            )));
        }
        if stored.state == postern_core::scan::FindingState::FalsePositive {
            return Err(Error::Refused(
                "this finding was called a false positive; an advisory is drafted from a real one"
                    .into(),
            ));
        }
        let now = self.now();
        self.create_numbered(project, Origin::Finding(&stored.id), actor, |id| {
            draft_from_finding(
                FindingSource {
                    policy: &project.policy,
                    finding: &stored.finding,
                    product: &stored.product,
                    version: &stored.version,
                },
                id,
                now,
            )
        })
        .await
    }

    /// Stores a new advisory written by hand, under the next free number (its own `id` is
    /// ignored); `modified` becomes now.
    pub async fn create_advisory(
        &self,
        actor: &Actor,
        advisory: Advisory,
    ) -> Result<Advisory, Error> {
        actor.require(Role::Triager)?;
        actor.check_sees(&advisory.project)?;
        let project = self.served(&advisory.project)?;
        let now = self.now();
        // Checked by the store before each insert; a refusal takes no number.
        let advisory = Advisory {
            published: None,
            modified: now,
            ..advisory
        };
        self.create_numbered(project, Origin::Hand, actor, |id| {
            Ok(Advisory {
                id,
                ..advisory.clone()
            })
        })
        .await
    }

    /// Saves an edit made on the version last changed at `seen_modified`; refused (`Conflict`)
    /// when someone saved another edit meanwhile. A published advisory stays published;
    /// `modified` moves.
    pub async fn edit_advisory(
        &self,
        actor: &Actor,
        advisory: Advisory,
        seen_modified: Timestamp,
    ) -> Result<Advisory, Error> {
        actor.require(Role::Triager)?;
        let stored = self.visible_advisory(actor, &advisory.id).await?;
        self.save_edit(actor, &stored, advisory, seen_modified)
            .await
    }

    /// Saves `advisory` over `stored` (read by the caller, who checked the actor), if it is
    /// still the version last changed at `seen_modified`.
    async fn save_edit(
        &self,
        actor: &Actor,
        stored: &StoredAdvisory,
        advisory: Advisory,
        seen_modified: Timestamp,
    ) -> Result<Advisory, Error> {
        if stored.advisory.project != advisory.project {
            return Err(Error::Refused(format!(
                "{} belongs to project \"{}\"; an advisory cannot move to another project",
                advisory.id, stored.advisory.project
            )));
        }
        if stored.advisory.modified != seen_modified {
            return Err(Error::Conflict(format!(
                "{} was changed (last at {}) since this version was read",
                advisory.id, stored.advisory.modified
            )));
        }
        let advisory = Advisory {
            published: stored.advisory.published,
            modified: next_modified(stored.advisory.modified, self.now()),
            ..advisory
        };
        self.store()
            .update_advisory(&advisory, seen_modified, actor.name(), self.now())
            .await?;
        Ok(advisory)
    }

    /// Stores an advisory from a file: an id that exists is an edit of its current version,
    /// a new id is created under that id (never over another advisory).
    pub async fn import_advisory(
        &self,
        actor: &Actor,
        advisory: Advisory,
        report: Option<&ReportId>,
    ) -> Result<Imported, Error> {
        actor.require(Role::Triager)?;
        self.served(&advisory.project)?;
        actor.check_sees(&advisory.project)?;
        if let Some(report) = report {
            let row = self.visible_case(actor, report).await?;
            if row.project != advisory.project {
                return Err(Error::Refused(format!(
                    "report {report} belongs to project \"{}\", the advisory to \"{}\"",
                    row.project, advisory.project
                )));
            }
        }
        match self.store().advisory(&advisory.id).await? {
            Some(stored) => {
                if report.is_some() && stored.report.as_ref() != report {
                    return Err(Error::Refused(format!(
                        "{} exists already and is linked to {}; an import cannot link it to another report",
                        advisory.id,
                        stored
                            .report
                            .as_ref()
                            .map_or_else(|| "no report".to_owned(), ToString::to_string)
                    )));
                }
                let seen = stored.advisory.modified;
                self.save_edit(actor, &stored, advisory, seen).await?;
                Ok(Imported::Updated)
            }
            None => {
                let advisory = Advisory {
                    published: None,
                    modified: self.now(),
                    ..advisory
                };
                match self
                    .store()
                    .create_advisory(
                        &advisory,
                        Origin::of_report(report),
                        actor.name(),
                        self.now(),
                    )
                    .await
                {
                    Ok(()) => Ok(Imported::Created),
                    Err(StoreError::Conflict(_)) => Err(Error::Conflict(format!(
                        "{} was created by someone else meanwhile; import again to replace it",
                        advisory.id
                    ))),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// Schedules an unpublished advisory to publish itself at `at`, or, without `at`, at the
    /// date agreed with the reporter, else the policy's default embargo from now. The date must
    /// be within the policy's maximum embargo counted from the report's receipt. Early access
    /// is mailed the policy's lead before. Returns the moment.
    pub async fn schedule_advisory(
        &self,
        actor: &Actor,
        id: &AdvisoryId,
        at: Option<Timestamp>,
        past: PastMoment,
    ) -> Result<Timestamp, Error> {
        actor.require(Role::Triager)?;
        let stored = self.visible_advisory(actor, id).await?;
        let project = self.served(&stored.advisory.project)?;
        let policy = &project.policy;
        if stored.published_at.is_some() {
            return Err(Error::Refused(format!("{id} is published already")));
        }
        let now = self.now();
        let (received, agreed) = match &stored.report {
            Some(report) => (
                self.store().case_row(report).await?.received_at,
                self.store().disclosure_terms(report).await?.agreed,
            ),
            None => (now, None),
        };
        if let (Some(at), Some(agreed)) = (at, agreed)
            && at < agreed
        {
            return Err(Error::Refused(format!(
                "the disclosure date agreed with the reporter is {}; schedule it then or later, or publish now with the reason, which the reporter is told",
                postern_core::embargo::day(agreed)
            )));
        }
        let at = match at.or(agreed) {
            Some(at) => at,
            None => postern_core::embargo::default_date(policy, now).ok_or_else(|| {
                Error::Refused("the policy has no default embargo; give the date".into())
            })?,
        };
        let judged_at = match past {
            PastMoment::Allowed if at <= now => at - SignedDuration::from_millis(1),
            _ => now,
        };
        postern_core::embargo::check(policy, received, judged_at, at).map_err(Error::Refused)?;
        self.store()
            .schedule_advisory_with_early_access(
                id,
                at,
                postern_core::embargo::early_access_lead(policy),
                actor.name(),
                now,
            )
            .await?;
        Ok(at)
    }

    /// Publishes an advisory now: its record, the publication, the subscribers' event, the
    /// withdrawal of early access and the reporter's notice are one transaction.
    ///
    /// Before the disclosure date agreed with the reporter, publishing is refused unless
    /// `early` gives the reason; the reporter's notice then says that it came early, and why.
    pub async fn publish_advisory(
        &self,
        actor: &Actor,
        id: &AdvisoryId,
        early: Option<&str>,
    ) -> Result<Advisory, Error> {
        actor.require(Role::Triager)?;
        let stored = self.visible_advisory(actor, id).await?;
        if stored.published_at.is_some() {
            return Err(Error::Conflict(format!("{id} is published already")));
        }
        let now = self.now();
        let agreed = match &stored.report {
            Some(report) => self.store().disclosure_terms(report).await?.agreed,
            None => None,
        };
        let early = match agreed.filter(|&date| date > now) {
            Some(date) => Some(early_words(date, early)?),
            None => None,
        };
        Ok(self
            .store()
            .publish_advisory_telling(id, actor.name(), now, early.as_deref(), |id| {
                self.advisory_url(id)
            })
            .await?)
    }

    /// Publishes every scheduled advisory whose embargo has ended, as the system, each in one
    /// transaction with its notices. Returns the ids published.
    pub async fn publish_due_advisories(&self) -> Result<Vec<AdvisoryId>, Error> {
        Ok(self
            .store()
            .publish_due_advisories(self.now(), "system", |id| self.advisory_url(id))
            .await?)
    }

    /// The public page of an advisory.
    pub fn advisory_url(&self, id: &AdvisoryId) -> String {
        format!("{}/advisories/{id}", self.public_url())
    }
}
