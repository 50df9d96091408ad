//! What every handler can reach: the projects, the public address, the clock.

use std::sync::Arc;

use jiff::Timestamp;
use postern_core::policy::Policy;

/// The source of "now", so that tests run on a fixed clock.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Timestamp::now))
    }

    /// A clock stopped at one moment.
    pub fn fixed(at: Timestamp) -> Clock {
        Clock(Arc::new(move || at))
    }

    /// The current moment.
    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

/// A project served by this instance.
#[derive(Debug, Clone)]
pub struct Project {
    /// Its checked policy.
    pub policy: Policy,
}

impl Project {
    /// The project's slug, used in its URLs.
    pub fn slug(&self) -> &str {
        &self.policy.project.slug
    }
}

/// Shared, read-only application state.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    projects: Vec<Project>,
    public_url: String,
    clock: Clock,
}

impl AppState {
    /// State for the given projects (the first is the default one), public address and clock.
    ///
    /// # Panics
    /// When `projects` is empty or two projects share a slug: the caller checks both.
    pub fn new(projects: Vec<Project>, public_url: &str, clock: Clock) -> AppState {
        assert!(!projects.is_empty(), "at least one project");
        for (i, p) in projects.iter().enumerate() {
            assert!(
                projects[..i].iter().all(|q| q.slug() != p.slug()),
                "duplicate project slug {}",
                p.slug()
            );
        }
        AppState {
            inner: Arc::new(Inner {
                projects,
                public_url: public_url.trim_end_matches('/').to_owned(),
                clock,
            }),
        }
    }

    /// Every project, the default first.
    pub fn projects(&self) -> &[Project] {
        &self.inner.projects
    }

    /// The default project, served at the root.
    pub fn default_project(&self) -> &Project {
        &self.inner.projects[0]
    }

    /// A project by slug.
    pub fn project(&self, slug: &str) -> Option<&Project> {
        self.inner.projects.iter().find(|p| p.slug() == slug)
    }

    /// The public address, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// The current moment.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }
}
