//! Privacy by design: erasing a report's contact or contents (admins), the legal hold that stops
//! erasure and retention, and the reporter's own data (export, erasure requests).

use jiff::Timestamp;
use postern_core::privacy::{Erasure, Hold, check_hold_until, check_reason};
use postern_core::report::ReportId;
use postern_core::role::Role;
use postern_store::privacy::Erased;

use crate::{Actor, App, Error};

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
