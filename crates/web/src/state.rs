//! What every handler can reach: the projects, the store, the public address, the clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{Quota, RateLimiter};
use jiff::Timestamp;
use postern_app::App;
use postern_core::project::Projects;
use postern_store::Store;

pub use postern_app::{Clock, ManualClock};
pub use postern_core::project::Project;

/// Tunable limits of the intake.
#[derive(Debug, Clone, Copy)]
pub struct IntakeLimits {
    /// Submissions (reports, messages, attachments) a client may make per hour...
    pub submissions_per_hour: NonZeroU32,
    /// ...of which this many in a burst.
    pub submission_burst: NonZeroU32,
    /// Case-key look-ups (opening a case on /track or through the API, downloading its
    /// attachments) a client may make per hour, apart from its submissions...
    pub lookups_per_hour: NonZeroU32,
    /// ...of which this many in a burst.
    pub lookup_burst: NonZeroU32,
    /// A form filled faster than this is taken for a bot.
    pub form_seconds_min: i64,
    /// A form older than this must be reloaded.
    pub form_seconds_max: i64,
}

impl Default for IntakeLimits {
    fn default() -> IntakeLimits {
        IntakeLimits {
            submissions_per_hour: NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN),
            submission_burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            // A reporter reading their case again and again stays well inside this; guessing
            // keys does not get far (a key has 160 random bits besides).
            lookups_per_hour: NonZeroU32::new(600).unwrap_or(NonZeroU32::MIN),
            lookup_burst: NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN),
            form_seconds_min: 3,
            form_seconds_max: 24 * 3600,
        }
    }
}

/// Client addresses the rate limiter tracks before it drops the idle ones.
const LIMITER_CLIENTS_MAX: usize = 100_000;

type Limiter = RateLimiter<
    IpAddr,
    governor::state::keyed::HashMapStateStore<IpAddr>,
    governor::clock::QuantaClock,
    governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>,
>;

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    app: App,
    limits: IntakeLimits,
    limiter: Limiter,
    lookups: Limiter,
    form_secret: [u8; 32],
    trusted_proxies: Vec<IpAddr>,
    second_factor_required: bool,
    mail_on: bool,
    halls: std::sync::Mutex<HashMap<String, (PublishedStamp, Arc<HallYears>)>>,
    csaf_index: std::sync::Mutex<Option<(PublishedStamp, Arc<CsafIndex>)>>,
    rolie: std::sync::Mutex<Option<(RolieStamp, Arc<crate::csaf::Rolie>)>>,
    /// Requests by route, status and latency, for `/metrics`.
    metrics: crate::ops::Metrics,
}

/// Every published advisory's id, project and times, newest first (the CSAF directory).
pub(crate) type CsafIndex = Vec<postern_store::advisories::IndexEntry>;

/// The hall of fame: by year, newest first, each credited name with its advisories' ids.
pub(crate) type HallYears = Vec<(i16, Vec<(String, Vec<String>)>)>;
/// What changes whenever the published advisories do: (how many, latest change).
pub(crate) type PublishedStamp = (i64, i64);
/// What the CSAF ROLIE documents were made from: the published advisories' stamp and the
/// signing keys (a key made or rotated changes which entries link a signature).
pub(crate) type RolieStamp = (PublishedStamp, String);

impl AppState {
    /// State for the given projects (the first is the default one), store, public address
    /// and clock.
    ///
    /// # Panics
    /// When `projects` is empty or two projects share a slug: the caller checks both.
    pub fn new(
        projects: Vec<Project>,
        store: Store,
        public_url: &str,
        clock: Clock,
        limits: IntakeLimits,
    ) -> AppState {
        let projects = Projects::new(projects).expect("the caller checked the projects");
        let quota =
            Quota::per_hour(limits.submissions_per_hour).allow_burst(limits.submission_burst);
        let form_secret = postern_store::vault::random_bytes::<32>()
            .expect("the OS random source works at start");
        AppState {
            inner: Arc::new(Inner {
                app: App::new(projects, store, clock, public_url),
                limits,
                limiter: RateLimiter::hashmap(quota),
                lookups: RateLimiter::hashmap(
                    Quota::per_hour(limits.lookups_per_hour).allow_burst(limits.lookup_burst),
                ),
                form_secret,
                trusted_proxies: Vec::new(),
                second_factor_required: true,
                mail_on: false,
                halls: std::sync::Mutex::new(HashMap::new()),
                csaf_index: std::sync::Mutex::new(None),
                rolie: std::sync::Mutex::new(None),
                metrics: crate::ops::Metrics::default(),
            }),
        }
    }

    /// Trusts `X-Forwarded-For` from these reverse proxies (and only from them) to name the
    /// client. Call before the state is shared.
    ///
    /// # Panics
    /// When the state was already cloned.
    pub fn with_trusted_proxies(mut self, proxies: Vec<IpAddr>) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("configure proxies before sharing the state")
            .trusted_proxies = proxies;
        self
    }

    /// Whether admins and triagers must sign in with a second factor (the default). Call
    /// before the state is shared.
    ///
    /// # Panics
    /// When the state was already cloned.
    pub fn with_second_factor_required(mut self, required: bool) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("configure before sharing the state")
            .second_factor_required = required;
        self
    }

    /// Whether this instance sends mail (`serve --smtp-url`), so that no page promises mail
    /// while it is off. Call before the state is shared.
    ///
    /// # Panics
    /// When the state was already cloned.
    pub fn with_mail(mut self, on: bool) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("configure before sharing the state")
            .mail_on = on;
        self
    }

    /// Whether this instance sends mail.
    pub fn mail_on(&self) -> bool {
        self.inner.mail_on
    }

    /// Whether an account of this role must have a second factor.
    pub fn second_factor_required(&self, role: postern_store::team::Role) -> bool {
        self.inner.second_factor_required && role >= postern_store::team::Role::Triager
    }

    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> &[IpAddr] {
        &self.inner.trusted_proxies
    }

    /// Requests counted for `/metrics`.
    pub fn metrics(&self) -> &crate::ops::Metrics {
        &self.inner.metrics
    }

    /// The use cases: every action a reporter or team member takes goes through them.
    pub fn app(&self) -> &App {
        &self.inner.app
    }

    /// Every project, the default first.
    pub fn projects(&self) -> &[Project] {
        self.inner.app.projects().all()
    }

    /// The default project, served at the root.
    pub fn default_project(&self) -> &Project {
        self.inner.app.projects().default_project()
    }

    /// A project by slug.
    pub fn project(&self, slug: &str) -> Option<&Project> {
        self.inner.app.project(slug)
    }

    /// The store, for what the pages read and present as it is.
    pub fn store(&self) -> &Store {
        self.inner.app.store()
    }

    /// The hall of fame of `key` (a project slug, or "" for all) computed when the published
    /// advisories were as `stamp` says, if it was kept.
    pub(crate) fn cached_hall(&self, key: &str, stamp: PublishedStamp) -> Option<Arc<HallYears>> {
        let halls = self.inner.halls.lock().ok()?;
        halls
            .get(key)
            .filter(|(kept, _)| *kept == stamp)
            .map(|(_, hall)| hall.clone())
    }

    /// The published advisories' index, read again only when they changed (`stamp`).
    pub(crate) async fn published_index(
        &self,
    ) -> Result<Arc<CsafIndex>, postern_store::StoreError> {
        let stamp = self.store().published_stamp(None).await?;
        if let Ok(kept) = self.inner.csaf_index.lock()
            && let Some((at, index)) = kept.as_ref()
            && *at == stamp
        {
            return Ok(index.clone());
        }
        let index = Arc::new(self.store().published_index().await?);
        if let Ok(mut kept) = self.inner.csaf_index.lock() {
            *kept = Some((stamp, index.clone()));
        }
        Ok(index)
    }

    /// The CSAF ROLIE documents made when the published advisories were as `stamp` says, if
    /// they were kept.
    pub(crate) fn cached_rolie(&self, stamp: &RolieStamp) -> Option<Arc<crate::csaf::Rolie>> {
        let kept = self.inner.rolie.lock().ok()?;
        kept.as_ref()
            .filter(|(at, _)| at == stamp)
            .map(|(_, rolie)| rolie.clone())
    }

    /// Keeps the CSAF ROLIE documents until the published advisories change.
    pub(crate) fn keep_rolie(&self, stamp: RolieStamp, rolie: Arc<crate::csaf::Rolie>) {
        if let Ok(mut kept) = self.inner.rolie.lock() {
            *kept = Some((stamp, rolie));
        }
    }

    /// Keeps a hall of fame until the published advisories change (one per project).
    pub(crate) fn keep_hall(&self, key: &str, stamp: PublishedStamp, hall: Arc<HallYears>) {
        if let Ok(mut halls) = self.inner.halls.lock() {
            halls.insert(key.to_owned(), (stamp, hall));
        }
    }

    /// The public address, without a trailing slash.
    pub fn public_url(&self) -> &str {
        self.inner.app.public_url()
    }

    /// The current moment.
    pub fn now(&self) -> Timestamp {
        self.inner.app.now()
    }

    /// Intake limits.
    pub fn limits(&self) -> IntakeLimits {
        self.inner.limits
    }

    /// The secret that signs form tokens (per process: a form open across a restart is
    /// re-shown, with its text kept).
    pub(crate) fn form_secret(&self) -> &[u8; 32] {
        &self.inner.form_secret
    }

    /// Takes one submission from a client's allowance; `Err(seconds)` says when to retry.
    pub(crate) fn take_submission(&self, client: IpAddr) -> Result<(), u64> {
        take(&self.inner.limiter, client)
    }

    /// Takes one case-key look-up from a client's allowance (apart from its submissions);
    /// `Err(seconds)` says when to retry.
    pub(crate) fn take_lookup(&self, client: IpAddr) -> Result<(), u64> {
        take(&self.inner.lookups, client)
    }
}

/// Takes one from a client's allowance in `limiter`; `Err(seconds)` says when to retry.
fn take(limiter: &Limiter, client: IpAddr) -> Result<(), u64> {
    use governor::clock::Clock as _;
    // The limiter keeps a cell per address; forget idle ones before they add up.
    if limiter.len() > LIMITER_CLIENTS_MAX {
        limiter.retain_recent();
        limiter.shrink_to_fit();
    }
    match limiter.check_key(&client) {
        Ok(()) => Ok(()),
        Err(not_until) => {
            let wait = not_until.wait_time_from(governor::clock::QuantaClock::default().now());
            Err(wait.as_secs().max(1))
        }
    }
}
