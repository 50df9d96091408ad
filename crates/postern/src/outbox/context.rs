//! What every job's handler may use: the store, the mail transport, the project names, the
//! links, the reminder leads and the webhook client (`Outbox`), and what a handler returns
//! (`Outcome`). It is its own module so that the handlers and the runner that calls them do not
//! import one another.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::SignedDuration;
use postern_store::Store;
use postern_store::jobs::{Failure, NewJob};

use crate::mail::{Links, Mailer};

/// Note on an event that no mail could be sent for.
pub const NO_TRANSPORT: &str = "skipped: no mail transport configured (--smtp-url)";

/// What the runner needs.
pub struct Outbox {
    /// The store.
    pub store: Store,
    /// The use cases: the OpenPGP keys that sign and the readers' keys that mail is sealed
    /// to.
    pub app: postern_app::App,
    /// The mail transport, if configured.
    pub mailer: Option<Arc<Mailer>>,
    /// Project slug -> name, for subjects.
    pub project_names: HashMap<String, String>,
    /// The projects served: their policies' addresses and promises, for mail to reporters.
    pub projects: postern_core::project::Projects,
    /// Where links point.
    pub links: Links,
    /// The first retry's delay (doubling after).
    pub retry_base: SignedDuration,
    /// How long before a promise's limit the team is reminded.
    pub reminder_leads: Vec<SignedDuration>,
    /// Posts webhook deliveries.
    pub webhooks: crate::webhook::Client,
}

impl Outbox {
    /// A project's name for subjects, or its slug when the policy is gone.
    pub fn project_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.project_names.get(slug).map_or(slug, String::as_str)
    }
}

/// What a job's run came to, if it did not fail.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Why nothing was sent, if nothing was.
    pub note: Option<&'static str>,
    /// The jobs it leads to, inserted with its completion.
    pub follow_ups: Vec<NewJob>,
}

impl Outcome {
    /// Done, nothing follows.
    pub fn done() -> Outcome {
        Outcome::default()
    }

    /// Nothing was done, for this reason.
    pub fn skipped(note: &'static str) -> Outcome {
        Outcome {
            note: Some(note),
            follow_ups: Vec::new(),
        }
    }
}

/// A store error, as a failure worth retrying.
pub fn transient(error: impl std::fmt::Display) -> Failure {
    Failure::Transient(error.to_string())
}
