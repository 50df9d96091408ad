//! Privacy by design: erasing a report's contact or contents (admins), the legal hold that stops
//! erasure and retention, and the reporter's own data (export, erasure requests).

use jiff::Timestamp;
use postern_core::privacy::{Erasure, Hold, check_hold_until, check_reason};
use postern_core::report::{CaseKey, ReportId, ReportStatus};
use postern_core::role::Role;
use postern_store::privacy::{Erased, ErasureRequest};
use postern_store::{AttachmentInfo, ReporterView};
use zeroize::Zeroizing;

use crate::{Actor, App, Error};

/// Everything Postern holds about a case that its reporter may have: what they sent and
/// were sent, the files, what happened when (without who of the team), and their requests.
pub struct CaseExport {
    /// The reporter's view: contents, contact, conversation, clocks, disclosure.
    pub view: ReporterView,
    /// Each attachment with its bytes.
    pub attachments: Vec<(AttachmentInfo, Zeroizing<Vec<u8>>)>,
    /// (moment, action) of every event about the case, oldest first.
    pub events: Vec<(Timestamp, String)>,
}

/// An open erasure request as the team sees it: the request and what the policy says of it.
pub struct RequestForTeam {
    /// The request.
    pub request: ErasureRequest,
    /// Whether the policy still needs the data, in words (`core::privacy::request_guidance`).
    pub guidance: String,
}

impl App {
    /// Erases one group of a report's data (its contact, or its contents) by destroying the
    /// key that seals it, in one transaction with the audit event. Admins only; refused while
    /// a legal hold stands. Erasing what was erased before changes nothing and says when it
    /// was. What stays: the report's dates, state and clocks (so the public statistics do not
    /// change), its published advisory, and the audit log.
    pub async fn erase_report(
        &self,
        actor: &Actor,
        id: &ReportId,
        what: Erasure,
        reason: &str,
    ) -> Result<Erased, Error> {
        actor.require(Role::Admin)?;
        self.visible_case(actor, id).await?;
        let reason = check_reason(reason).map_err(|m| Error::field("reason", m))?;
        let now = self.now();
        let state = self.store().privacy_state(id).await?;
        if let Some(at) = state.erased_at(what) {
            return Ok(Erased {
                what,
                at,
                already: true,
            });
        }
        state.check_erasable(now).map_err(Error::Refused)?;
        Ok(self
            .store()
            .erase(id, what, &reason, actor.name(), now)
            .await?)
    }

    /// Everything held about a case, for its reporter (with the case key; a wrong key is the
    /// same `NotFound` as a missing report).
    pub async fn export_case(
        &self,
        id: Option<&ReportId>,
        case_key: &CaseKey,
    ) -> Result<CaseExport, Error> {
        let view = self.store().reporter_view(id, case_key).await?;
        let mut attachments = Vec::with_capacity(view.attachments.len());
        for info in &view.attachments {
            attachments.push(
                self.store()
                    .reporter_attachment(Some(&view.id), case_key, &info.id)
                    .await?,
            );
        }
        let events = self
            .store()
            .report_events(&view.id)
            .await?
            .into_iter()
            .map(|e| (e.at, e.action))
            .collect();
        Ok(CaseExport {
            view,
            attachments,
            events,
        })
    }

    /// The reporter asks the team to erase their contact or their report's contents. What was
    /// erased already is refused (saying when); one request waits at a time.
    pub async fn request_erasure(
        &self,
        id: Option<&ReportId>,
        case_key: &CaseKey,
        what: &str,
    ) -> Result<ErasureRequest, Error> {
        // The key first: a wrong one is the same 404 whatever else the request says.
        let view = self.store().reporter_view(id, case_key).await?;
        let what = Erasure::parse(what)
            .ok_or_else(|| Error::field("what", "choose contact or contents"))?;
        if let Some(at) = view.privacy.erased_at(what) {
            return Err(Error::Refused(format!(
                "{} was erased on {} already",
                what.describe(),
                at.strftime("%Y-%m-%d")
            )));
        }
        Ok(self.store().ask_erasure(&view.id, what, self.now()).await?)
    }

    /// The requests waiting for an answer in the projects the actor sees, each with what the
    /// policy says of it.
    pub async fn open_erasure_requests(&self, actor: &Actor) -> Result<Vec<RequestForTeam>, Error> {
        let mut out = Vec::new();
        for (project, request) in self.store().open_erasure_requests().await? {
            if !actor.can_see(&project) {
                continue;
            }
            let guidance = self.erasure_guidance(&request).await?;
            out.push(RequestForTeam { request, guidance });
        }
        Ok(out)
    }

    /// What the policy says of one request, from the report's state and advisory.
    pub async fn erasure_guidance(&self, request: &ErasureRequest) -> Result<String, Error> {
        let store = self.store();
        let row = store.case_row(&request.report_id).await?;
        let advisories = store.report_advisories(&request.report_id).await?;
        let disclosed = matches!(
            row.case.status,
            ReportStatus::Disclosed | ReportStatus::Closed
        );
        let advisory_pending = !advisories.is_empty() && !disclosed;
        let credited = store.credit_given(&request.report_id).await?;
        Ok(postern_core::privacy::request_guidance(
            request.what,
            row.case.status == ReportStatus::Closed,
            advisory_pending,
            credited,
        ))
    }

    /// Refuses a reporter's open erasure request with a reason they are told in their
    /// conversation. Admins (who could carry it out) only.
    pub async fn refuse_erasure_request(
        &self,
        actor: &Actor,
        id: &ReportId,
        request: &str,
        reason: &str,
    ) -> Result<(), Error> {
        actor.require(Role::Admin)?;
        self.visible_case(actor, id).await?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::field(
                "body",
                "tell the reporter why the request is refused",
            ));
        }
        Ok(self
            .store()
            .refuse_erasure_request(id, request, reason, actor.name(), self.now())
            .await?)
    }

    /// Puts a report under legal hold until `until`, with a reason: neither retention nor
    /// erasure touches it until then. Admins only. A new hold replaces the one before.
    pub async fn hold_report(
        &self,
        actor: &Actor,
        id: &ReportId,
        until: Timestamp,
        reason: &str,
    ) -> Result<Hold, Error> {
        actor.require(Role::Admin)?;
        self.visible_case(actor, id).await?;
        let reason = check_reason(reason).map_err(|m| Error::field("reason", m))?;
        let now = self.now();
        check_hold_until(until, now).map_err(|m| Error::field("until", m))?;
        let hold = Hold { until, reason };
        self.store().set_hold(id, &hold, actor.name(), now).await?;
        Ok(hold)
    }
}

/// Something retention erases, now or soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueErasure {
    /// The report.
    pub id: ReportId,
    /// Its project.
    pub project: String,
    /// What goes.
    pub what: Erasure,
    /// When it is due.
    pub at: Timestamp,
    /// A legal hold that stands now and keeps it until then.
    pub held_until: Option<Timestamp>,
}

/// How far ahead the list of what is due for erasure looks.
pub const DUE_SOON_DAYS: i64 = 30;

impl App {
    /// Everything the projects' `[privacy]` retention erases, due now or within
    /// `DUE_SOON_DAYS`, in the projects `actor` sees, soonest first.
    pub async fn due_for_erasure(&self, actor: &Actor) -> Result<Vec<DueErasure>, Error> {
        let horizon = self.now() + jiff::SignedDuration::from_hours(24 * DUE_SOON_DAYS);
        let mut due: Vec<DueErasure> = self
            .retention_schedule()
            .await?
            .into_iter()
            .filter(|d| d.at <= horizon && actor.can_see(&d.project))
            .collect();
        due.sort_by_key(|d| d.at);
        Ok(due)
    }

    async fn retention_schedule(&self) -> Result<Vec<DueErasure>, Error> {
        let now = self.now();
        // The projects whose policy keeps a reporter's contact or a report's contents for a
        // set time: the only ones whose closed reports can come due.
        let projects: Vec<String> = self
            .projects()
            .all()
            .iter()
            .filter(|p| {
                p.policy
                    .privacy
                    .as_ref()
                    .is_some_and(postern_core::privacy::keeps_for_a_set_time)
            })
            .map(|p| p.slug().to_owned())
            .collect();
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let rows = self.store().retention_candidates(&projects, &after).await?;
            let Some(last) = rows.last() else { break };
            after = last.id.to_string();
            for row in rows {
                let Some(privacy) = self
                    .project(&row.project)
                    .and_then(|p| p.policy.privacy.as_ref())
                else {
                    continue;
                };
                let held_until = row.facts.state.hold_at(now).map(|h| h.until);
                for (what, at) in postern_core::privacy::retention_due(privacy, &row.facts) {
                    out.push(DueErasure {
                        id: row.id.clone(),
                        project: row.project.clone(),
                        what,
                        at,
                        held_until,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Applies the projects' retention (the daily job): erases what is due and not held, as
    /// `system`, each erasure audited with the policy's rule as its reason. Returns what it
    /// erased.
    pub async fn apply_retention(&self) -> Result<Vec<(ReportId, Erasure)>, Error> {
        let now = self.now();
        let mut erased = Vec::new();
        for due in self.retention_schedule().await? {
            if due.at > now || due.held_until.is_some() {
                continue;
            }
            let reason = format!(
                "retention: the policy keeps the {} for a set time",
                due.what.name()
            );
            match self
                .store()
                .erase(&due.id, due.what, &reason, "system", now)
                .await
            {
                Ok(done) if !done.already => erased.push((due.id, due.what)),
                Ok(_) => {}
                // A hold set meanwhile: the next run looks again.
                Err(postern_store::StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(erased)
    }
}
