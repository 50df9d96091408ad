//! Postern's use cases: one function for each action a reporter or a team member can take,
//! below every entry point (the pages, the JSON API, the terminal, and mail).
//!
//! Each use case takes plain typed input and who acts, checks permission and the rules (most
//! of them pure functions of `postern_core`), and commits the state, the reporter's notice, the
//! jobs and the audit event in one store transaction. The entry points only read their input
//! and present the outcome, so a rule is written once and every entry point gives the same
//! answer. Nothing here knows HTTP, HTML, SQL or the command line.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod actor;
pub mod admin;
pub mod advisory;
pub mod case;
mod clock;
mod error;
pub mod intake;
pub mod mail;
pub mod openpgp;
pub mod privacy;
pub mod recorded;
pub mod reporter;
pub mod scan;
pub mod tokens;

use std::sync::Arc;

use jiff::Timestamp;
use postern_core::project::{Project, Projects};
use postern_store::Store;

pub use actor::Actor;
pub use clock::{Clock, ManualClock};
pub use error::Error;

/// What every use case works with: the projects served, the store, and the clock. Cheap to
/// clone; every entry point holds one.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    projects: Projects,
    store: Store,
    clock: Clock,
    public_url: String,
    /// Messages `ingest_mail` could not take (refused or failed), since start, for `/metrics`.
    ingest_errors: std::sync::atomic::AtomicU64,
}

impl App {
    /// The use cases over these projects, store and clock; `public_url` is where the pages
    /// are served (for the links in notices).
    pub fn new(projects: Projects, store: Store, clock: Clock, public_url: &str) -> App {
        App {
            inner: Arc::new(Inner {
                projects,
                store,
                clock,
                public_url: public_url.trim_end_matches('/').to_owned(),
                ingest_errors: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// The public address, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// The projects served.
    pub fn projects(&self) -> &Projects {
        &self.inner.projects
    }

    /// A served project by slug.
    pub fn project(&self, slug: &str) -> Option<&Project> {
        self.inner.projects.get(slug)
    }

    /// The store (for reads the entry points present as they are).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Messages `ingest_mail` answered with an error (refused or failed) since this App was
    /// made: what an operator watches for mail that cannot get in.
    pub fn ingest_errors(&self) -> u64 {
        self.inner
            .ingest_errors
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The current moment.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The public address of a project's pages: the root for the default project,
    /// `/projects/SLUG` for the others.
    pub fn project_url(&self, project: &Project) -> String {
        if project.slug() == self.projects().default_project().slug() {
            self.public_url().to_owned()
        } else {
            format!("{}/projects/{}", self.public_url(), project.slug())
        }
    }

    /// The project of a stored report or advisory, which this instance must serve to act on
    /// it (the rules are its policy's).
    pub(crate) fn served(&self, slug: &str) -> Result<&Project, Error> {
        self.project(slug).ok_or_else(|| {
            Error::NotServed(format!(
                "project \"{slug}\" is not served by this instance; start it (or run the command) with its policy"
            ))
        })
    }
}
