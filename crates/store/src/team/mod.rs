//! The team's side of the store: accounts, sign-in throttling, server-side sessions, the work
//! queue, the team's view of a report, and the case changes that the core's `case::apply`
//! decides. Every change goes through the writer with its audit event, in one transaction.
//!
//! Tokens (setup links, session cookies) are random and only their SHA-256 is stored: a copy
//! of the database cannot be used to sign in.
//!
//! One module per seam: `accounts` (users, roles, second factors, throttling, who is
//! notified), `sessions`, `queue`, `titles` (reports' sealed titles, for lists), `cases` (the
//! team's view, case changes, notes, similar reports, statistics facts); `rows` converts a
//! report's working columns. This file only
//! gathers them, so that callers keep the paths `team::Role`, `team::User`, ...

mod accounts;
mod cases;
mod queue;
mod rows;
mod sessions;
pub(crate) mod titles;

use jiff::Timestamp;
use postern_core::report::ReportId;

pub use accounts::{
    CLIENT_FAILURES_MAX, CLIENT_WINDOW, EMAIL_CHARS_MAX, LAST_ADMIN, LOCKOUT, LOGIN_DELAY_FIRST,
    LOGIN_FAILURES_FORGOTTEN, LOGIN_FAILURES_MAX, Role, SETUP_LINK_TTL, User, UserChange,
};
pub use cases::{CaseRow, Completed, NOTE_BYTES_MAX, Note, STATS_REPORTS_MAX, TeamView};
pub use queue::{QUEUE_PAGE_MAX, QueueFilter, QueueOrder, QueueRow, QueueState};
pub use sessions::{
    SESSION_ABSOLUTE_TTL, SESSION_IDLE_TTL, SESSION_PENDING_TTL, Session, SessionStage, csrf_token,
};
pub use titles::TITLES_PER_CALL_MAX;

pub(crate) use cases::sealed_message_by;
pub(crate) use rows::{clocks_json, due_millis};
// The write vocabulary, where the modules written before it was split out look for it.
pub(crate) use crate::write::{Stmt, TeamWrite, Value, event, stmt, text};

use crate::write::EventParts;
use crate::{Store, StoreError, WriteOp};

impl Store {
    pub(crate) async fn team_write(
        &self,
        stmts: Vec<Stmt>,
        events: Vec<EventParts>,
    ) -> Result<(), StoreError> {
        self.write(WriteOp::Team(TeamWrite {
            stmts,
            events,
            jobs: Vec::new(),
        }))
        .await
    }

    /// Appends an audit event on its own (admin actions, sign-ins).
    pub async fn audit(
        &self,
        at: Timestamp,
        actor: &str,
        action: &'static str,
        report_id: Option<&ReportId>,
        detail: String,
    ) -> Result<(), StoreError> {
        self.team_write(
            Vec::new(),
            vec![event(
                at,
                actor,
                action,
                report_id.map(ReportId::as_str),
                detail,
            )],
        )
        .await
    }
}
