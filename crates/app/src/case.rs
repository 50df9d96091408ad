//! What the team does to a report: every lifecycle action (through `core::case::apply`), a
//! message to the reporter, an internal note, and the answer to a proposed disclosure date.
//! Each checks the actor's role and project, then stores the change with its audit event, the
//! reporter's notice and the jobs in one transaction.

use postern_core::case::{Action, Applied, Closing, apply};
use postern_core::report::{ReportId, ReportStatus};
use postern_core::role::Role;
use postern_store::disclosure::{Answer, DisclosureRequest};
use postern_store::team::CaseRow;

use crate::{Actor, App, Error};

/// A case change as stored.
#[derive(Debug)]
pub struct Change {
    /// The report.
    pub id: ReportId,
    /// Its state before.
    pub before: ReportStatus,
    /// What `case::apply` decided: the new state, the audit event, the reporter's notice.
    pub applied: Applied,
}

/// Which version of the case the actor decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The version shown to them (a page): a change made meanwhile refuses the action.
    Version(i64),
    /// Whatever is current (the terminal, which shows nothing first).
    Current,
}

impl App {
    /// The report's row, if the actor may see its project; otherwise it does not exist for
    /// them.
    pub async fn visible_case(&self, actor: &Actor, id: &ReportId) -> Result<CaseRow, Error> {
        let row = self.store().case_row(id).await?;
        actor.check_sees(&row.project)?;
        Ok(row)
    }

    /// Applies a team action to a report and stores it. `message` is the text of a message to
    /// the reporter (`Action::MessageSent`), which must not be empty.
    pub async fn act_on_report(
        &self,
        actor: &Actor,
        id: &ReportId,
        seen: Seen,
        action: Action,
        message: Option<&str>,
    ) -> Result<Change, Error> {
        actor.require(Role::Triager)?;
        let row = self.visible_case(actor, id).await?;
        let project = self.served(&row.project)?;
        if let Seen::Version(version) = seen
            && version != row.version
        {
            return Err(Error::Conflict(
                "the report changed since this page was loaded; here it is as it is now, try again"
                    .into(),
            ));
        }
        let message = match (&action, message.map(str::trim)) {
            (Action::MessageSent(_), None | Some("")) => {
                return Err(Error::field("body", "write the message first"));
            }
            (Action::MessageSent(_), Some(text)) => Some(text),
            (_, _) => None,
        };
        if let Action::Close(Closing {
            duplicate_of: Some(original),
            ..
        }) = &action
        {
            match self.store().check_original(id, original).await {
                Ok(()) => {}
                Err(postern_store::StoreError::Limit(m)) => {
                    return Err(Error::field("duplicate_of", m));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let now = self.now();
        let applied =
            apply(&row.case, &action, &project.policy, now).map_err(|e| Error::Refused(e.0))?;
        self.store()
            .record_case_change(id, row.version, &applied, message, actor.name(), now)
            .await?;
        Ok(Change {
            id: id.clone(),
            before: row.case.status,
            applied,
        })
    }

    /// Adds an internal note, which the reporter never sees.
    pub async fn add_note(&self, actor: &Actor, id: &ReportId, body: &str) -> Result<(), Error> {
        actor.require(Role::Triager)?;
        self.visible_case(actor, id).await?;
        let body = body.trim();
        if body.is_empty() {
            return Err(Error::field("body", "write the note first"));
        }
        self.store()
            .add_note(id, body, actor.name(), self.now())
            .await
            .map_err(|e| match e {
                postern_store::StoreError::Limit(m) => Error::field("body", m),
                other => other.into(),
            })
    }

    /// Assigns a report to a team member (by email), or, with `None`, to nobody. The member
    /// must be an enabled triager or admin who sees the report's project.
    pub async fn assign_report(
        &self,
        actor: &Actor,
        id: &ReportId,
        to: Option<&str>,
    ) -> Result<(), Error> {
        actor.require(Role::Triager)?;
        let row = self.visible_case(actor, id).await?;
        let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(email) => {
                let member = self
                    .store()
                    .user_by_email(email)
                    .await?
                    .filter(|u| !u.disabled && u.role >= Role::Triager && u.can_see(&row.project))
                    .ok_or_else(|| {
                        Error::field(
                            "assignee",
                            format!("{email:?} is not an enabled triager or admin of this report's project"),
                        )
                    })?;
                Some(member.email)
            }
        };
        self.store()
            .assign_report(id, to.as_deref(), actor.name(), self.now())
            .await?;
        Ok(())
    }

    /// Who may be assigned reports of `project`: enabled triagers and admins who see it.
    pub async fn assignable(&self, actor: &Actor, project: &str) -> Result<Vec<String>, Error> {
        actor.check_sees(project)?;
        Ok(self
            .store()
            .list_users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && u.role >= Role::Triager && u.can_see(project))
            .map(|u| u.email)
            .collect())
    }

    /// Answers the reporter's open proposal `request`: accepting makes its date the agreed
    /// disclosure date (and the schedule of the report's unpublished advisory), if the policy
    /// still allows that date; either way the reporter is told, with `note` if given.
    pub async fn answer_disclosure_request(
        &self,
        actor: &Actor,
        id: &ReportId,
        request: &str,
        accept: bool,
        note: &str,
    ) -> Result<DisclosureRequest, Error> {
        actor.require(Role::Triager)?;
        let row = self.visible_case(actor, id).await?;
        let project = self.served(&row.project)?;
        let terms = self.store().disclosure_terms(id).await?;
        let Some(open) = terms.open().filter(|r| r.id == request) else {
            return Err(Error::Conflict(
                "this proposal was answered meanwhile; here is the report as it is now".into(),
            ));
        };
        let now = self.now();
        if accept {
            postern_core::embargo::check(&project.policy, row.received_at, now, open.asked_for)
                .map_err(|problem| Error::Refused(format!("cannot accept: {problem}")))?;
        }
        let answer = Answer {
            accept,
            note,
            early_access: postern_core::embargo::early_access_lead(&project.policy),
        };
        Ok(self
            .store()
            .decide_disclosure_request(id, request, &answer, actor.name(), now)
            .await?)
    }
}
