//! The policy model: every promise a SECURITY.md can make, as plain data.
//!
//! A value of these types only exists after `policy::parse` has decoded and checked it, so code
//! downstream (renderers, the server, later the clocks) never re-validates. The types carry no
//! source positions; positions live in the `SpanMap` that parsing returns beside the policy.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::time_span::{Target, TimeSpan};

/// A project's whole security policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// Who the policy is for.
    pub project: Project,
    /// Packages and artefacts the project ships.
    pub products: Vec<Product>,
    /// Which versions receive security fixes.
    pub supported_versions: Vec<SupportedVersion>,
    /// Private ways to reach the team, in order of preference.
    pub channels: Vec<Channel>,
    /// What a report should contain.
    pub form: ReportForm,
    /// How fast the team answers.
    pub response: ResponseTargets,
    /// Fix, release and disclosure deadlines per severity.
    pub severity: Vec<SeverityDeadlines>,
    /// What is and is not a vulnerability for this project.
    pub scope: Scope,
    /// Coordinated disclosure rules.
    pub disclosure: Disclosure,
    /// How reporters are credited.
    pub credit: Credit,
    /// Keys reporters can encrypt sensitive details to.
    pub encryption: Vec<EncryptionKey>,
    /// How users learn about fixes.
    pub updates: Updates,
    /// General terms: expiry, languages, safe harbour.
    pub terms: Terms,
    /// Fields of security.txt that are not derived from elsewhere.
    pub security_txt: SecurityTxtLinks,
    /// Free-form sections appended to SECURITY.md, for what no other key says.
    pub sections: Vec<Section>,
    /// How long personal data is kept (`[privacy]`); `None` when the policy is silent, and
    /// then nothing is erased but by hand.
    pub privacy: Option<Privacy>,
}

/// What a report's contents are kept after, before retention erases them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeptAfter {
    /// The report's closure.
    Closure,
    /// The publication of its advisory (or its closure, when it has none).
    Advisory,
}

impl KeptAfter {
    /// The spellings a policy may use.
    pub const ALL: [(&'static str, KeptAfter); 2] = [
        ("closure", KeptAfter::Closure),
        ("advisory", KeptAfter::Advisory),
    ];
}

/// Retention, from `[privacy]`: how long the reporter's contact and the report's contents are
/// kept, and whether IP addresses are stored at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Privacy {
    /// The contact address and credit name are erased this long after closure; `None`:
    /// kept until erased by hand.
    pub contact_kept: Option<TimeSpan>,
    /// The contents are erased this long after `contents_kept_after`; `None`: kept until
    /// erased by hand.
    pub contents_kept: Option<TimeSpan>,
    /// What `contents_kept` counts from.
    pub contents_kept_after: KeptAfter,
    /// Whether client IP addresses may be stored (default: no; throttling uses keyed hashes
    /// that rotate daily).
    pub ip_addresses: bool,
}

impl Policy {
    /// Whether any promised time counts business days (an untimed promise counts none).
    pub fn uses_business_days(&self) -> bool {
        let r = &self.response;
        [&r.acknowledge, &r.assess, &r.plan, &r.update_interval]
            .into_iter()
            .flatten()
            .chain(self.severity.iter().flat_map(SeverityDeadlines::promises))
            .filter_map(Promise::time)
            .any(|t| {
                t.target.unit == super::Unit::BusinessDays
                    || t.limit.unit == super::Unit::BusinessDays
            })
    }

    /// Whether reports come in through Postern's own form (at `/report` and `POST
    /// /api/v1/reports`): only when the policy lists a `web-form` channel. A policy that lists
    /// none has chosen other ways in, and Postern serves no form for it.
    pub fn offers_report_form(&self) -> bool {
        self.channels.iter().any(|c| c.kind == ChannelKind::WebForm)
    }

    /// The kinds of channel the policy names through which a report reaches the team outside
    /// Postern's form, in the policy's order, each once: what a team member may record a report
    /// as having come through.
    pub fn recordable_channels(&self) -> Vec<ChannelKind> {
        let mut kinds: Vec<ChannelKind> = Vec::new();
        for channel in &self.channels {
            if channel.kind != ChannelKind::WebForm && !kinds.contains(&channel.kind) {
                kinds.push(channel.kind);
            }
        }
        kinds
    }
}

/// Identity of the project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    /// Display name, such as "OpenInteractions".
    pub name: String,
    /// URL-safe identifier, unique per instance: lower-case letters, digits and dashes.
    pub slug: String,
    /// One paragraph about the project, shown at the top of SECURITY.md.
    pub description: Option<String>,
    /// The project's home page.
    pub homepage: Option<String>,
    /// Source repository.
    pub repository: Option<String>,
    /// Prefix of advisory ids, such as "OI" for "OI-2026-0001".
    pub advisory_prefix: String,
}

/// A package or artefact the project publishes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    /// Display name.
    pub name: String,
    /// OSV ecosystem, such as "PyPI" or "crates.io".
    pub ecosystem: Option<String>,
    /// Package name inside the ecosystem.
    pub package: Option<String>,
    /// Where its source lives.
    pub repository: Option<String>,
}

/// One row of the supported-versions table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupportedVersion {
    /// The versions this row covers, as the project writes them: "0.1.x", "< 0.1", "main".
    pub versions: String,
    /// Whether these versions receive security fixes.
    pub supported: bool,
    /// The last day of support, when known.
    pub end_of_support: Option<Date>,
    /// A short remark shown beside the row.
    pub note: Option<String>,
}

/// The kinds of private channel a policy can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelKind {
    /// Postern's own report form.
    WebForm,
    /// An email address.
    Email,
    /// A chat server (Discord, Matrix, Slack, ...).
    Chat,
    /// GitHub's private vulnerability reporting.
    GithubAdvisories,
    /// A (private) pull request.
    PullRequest,
    /// An issue tracker, for projects that accept reports there.
    IssueTracker,
    /// A telephone number.
    Phone,
}

impl ChannelKind {
    /// Every kind, with its policy-file spelling.
    pub const ALL: [(&'static str, ChannelKind); 7] = [
        ("web-form", ChannelKind::WebForm),
        ("email", ChannelKind::Email),
        ("chat", ChannelKind::Chat),
        ("github-advisories", ChannelKind::GithubAdvisories),
        ("pull-request", ChannelKind::PullRequest),
        ("issue-tracker", ChannelKind::IssueTracker),
        ("phone", ChannelKind::Phone),
    ];

    /// The policy-file spelling (`web-form`, `email`, ...).
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, kind)| *kind == self)
            .map_or("web-form", |(name, _)| name)
    }

    /// From the policy-file spelling.
    pub fn parse(name: &str) -> Option<ChannelKind> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, kind)| *kind)
    }

    /// A human name for headings and lists.
    pub fn title(self) -> &'static str {
        match self {
            ChannelKind::WebForm => "Web form",
            ChannelKind::Email => "Email",
            ChannelKind::Chat => "Chat",
            ChannelKind::GithubAdvisories => "GitHub Security Advisories",
            ChannelKind::PullRequest => "Pull request",
            ChannelKind::IssueTracker => "Issue tracker",
            ChannelKind::Phone => "Phone",
        }
    }
}

/// A private way to reach the security team.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    /// What sort of channel.
    pub kind: ChannelKind,
    /// Overrides the kind's default title, such as "Discord".
    pub label: Option<String>,
    /// Email address, for `email`.
    pub email: Option<String>,
    /// Address of the channel, for web forms, chat servers, advisories, trackers.
    pub url: Option<String>,
    /// Telephone number in international form, for `phone`.
    pub phone: Option<String>,
    /// Chat platform name, for `chat`: "Discord", "Matrix".
    pub platform: Option<String>,
    /// Who to write to on a chat platform, as the policy writes it: "@security",
    /// "the moderators". A chat channel gives a handle, a URL or both.
    pub handle: Option<String>,
    /// The channel the team prefers.
    pub preferred: bool,
    /// When or how to use this channel: "for urgent issues".
    pub note: Option<String>,
}

impl Channel {
    /// The name a reader sees for this channel.
    pub fn display_name(&self) -> &str {
        self.label
            .as_deref()
            .or(self.platform.as_deref())
            .unwrap_or(self.kind.title())
    }
}

/// The report template: what a reporter is asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportForm {
    /// Fields in the order they are asked.
    pub fields: Vec<FormField>,
    /// An example report shown to reporters who write by email.
    pub example: Option<String>,
}

/// The kind of input a form field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldKind {
    /// One line of text.
    Line,
    /// Several lines of text (Markdown).
    Text,
    /// An affected version, offered from the supported-versions table.
    Version,
    /// A URL.
    Url,
}

impl FieldKind {
    /// Every kind, with its policy-file spelling.
    pub const ALL: [(&'static str, FieldKind); 4] = [
        ("line", FieldKind::Line),
        ("text", FieldKind::Text),
        ("version", FieldKind::Version),
        ("url", FieldKind::Url),
    ];
}

/// One field of the report form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormField {
    /// Stable identifier used in the API: lower-case letters, digits and underscores.
    pub id: String,
    /// Label shown to the reporter.
    pub label: String,
    /// Help text shown under the label.
    pub help: Option<String>,
    /// Whether a report without it is refused.
    pub required: bool,
    /// Input kind.
    pub kind: FieldKind,
}

/// The event a promise is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Start {
    /// The report arrived.
    Receipt,
    /// The team first answered: acknowledged it, or accepted it straight away.
    Acknowledgement,
    /// The team accepted it as a vulnerability and rated its severity.
    Triage,
}

impl Start {
    /// Every start, in the order a report meets them, with its policy-file spelling.
    pub const ALL: [(&'static str, Start); 3] = [
        ("receipt", Start::Receipt),
        ("acknowledgement", Start::Acknowledgement),
        ("triage", Start::Triage),
    ];

    /// The policy-file and stored name.
    pub fn name(self) -> &'static str {
        match self {
            Start::Receipt => "receipt",
            Start::Acknowledgement => "acknowledgement",
            Start::Triage => "triage",
        }
    }
}

/// Longest wording of an untimed promise (`says`), in characters: it completes one sentence of
/// SECURITY.md and is copied into every clock the promise starts.
pub const PROMISE_WORDS_CHARS_MAX: usize = 200;

/// How long a promise may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Within {
    /// A time: the target aimed for and the limit promised.
    Time(Target),
    /// No set time, with the policy's own words when it gives them, such as "within a
    /// reasonable time". It still runs as a clock that shows its age, but is never met or
    /// missed.
    Untimed(Option<String>),
}

impl std::fmt::Display for Within {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Within::Time(target) => target.fmt(f),
            Within::Untimed(Some(words)) => f.write_str(words),
            Within::Untimed(None) => f.write_str("no set time"),
        }
    }
}

/// One promise: how long it may take, counted from which event. Serialised as the policy's
/// table form: `{"within": "1-2 weeks", "starts": "triage"}` or
/// `{"untimed": true, "says": "...", "starts": "receipt"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    /// The time, or none.
    pub within: Within,
    /// What starts its clock.
    pub starts: Start,
}

impl Serialize for Promise {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match &self.within {
            Within::Time(target) => map.serialize_entry("within", target)?,
            Within::Untimed(words) => {
                map.serialize_entry("untimed", &true)?;
                if let Some(words) = words {
                    map.serialize_entry("says", words)?;
                }
            }
        }
        map.serialize_entry("starts", &self.starts)?;
        map.end()
    }
}

impl Promise {
    /// The promised time, unless the promise is untimed.
    pub fn time(&self) -> Option<Target> {
        match self.within {
            Within::Time(target) => Some(target),
            Within::Untimed(_) => None,
        }
    }
}

/// Promised response times: from receipt of a report unless a promise says otherwise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseTargets {
    /// IANA time zone that business days are counted in.
    pub time_zone: String,
    /// Days that are not business days besides weekends.
    pub holidays: Vec<Date>,
    /// Acknowledge receipt (always counted from receipt).
    pub acknowledge: Option<Promise>,
    /// First assessment (valid or not, severity estimate); from receipt or acknowledgement.
    pub assess: Option<Promise>,
    /// A detailed plan.
    pub plan: Option<Promise>,
    /// Longest silence towards the reporter while a report is open.
    pub update_interval: Option<Promise>,
    /// Further promises that run no clock, in the policy's own words, such as "Provide an
    /// estimated timeline for a fix". Shown with the targets so that no promise is dropped.
    pub promises: Vec<String>,
}

/// Qualitative severity, as CVSS names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// CVSS 9.0-10.0.
    Critical,
    /// CVSS 7.0-8.9.
    High,
    /// CVSS 4.0-6.9.
    Medium,
    /// CVSS 0.1-3.9.
    Low,
}

impl Severity {
    /// From most to least severe, with policy-file spelling.
    pub const ALL: [(&'static str, Severity); 4] = [
        ("critical", Severity::Critical),
        ("high", Severity::High),
        ("medium", Severity::Medium),
        ("low", Severity::Low),
    ];

    /// Capitalised name for prose.
    pub fn title(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Low => "Low",
        }
    }
}

/// Deadlines promised for one severity: from triage unless a promise says otherwise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeverityDeadlines {
    /// Which severity.
    pub severity: Severity,
    /// A fix is ready.
    pub fix: Option<Promise>,
    /// The fix is released.
    pub release: Option<Promise>,
    /// The vulnerability is publicly disclosed.
    pub disclose: Option<Promise>,
}

impl SeverityDeadlines {
    /// The deadlines this severity promises.
    pub fn promises(&self) -> impl Iterator<Item = &Promise> {
        [&self.fix, &self.release, &self.disclose]
            .into_iter()
            .flatten()
    }
}

/// What the project treats as a vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scope {
    /// Kinds of issue in scope.
    pub in_scope: Vec<ScopeItem>,
    /// Kinds of issue out of scope.
    pub out_of_scope: Vec<ScopeItem>,
}

/// One category of the scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeItem {
    /// Identifier reporters pick on the form: lower-case letters, digits and dashes.
    pub category: String,
    /// Human title.
    pub title: String,
    /// Why it is in or out, shown to reporters and used when closing a report.
    pub explanation: Option<String>,
}

/// Coordinated disclosure rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disclosure {
    /// Whether the project coordinates the date with the reporter; `None` when the policy
    /// says nothing about it (and SECURITY.md says nothing either).
    pub coordinated: Option<bool>,
    /// Embargo when nothing else is agreed, counted from triage.
    pub default_embargo: Option<TimeSpan>,
    /// The embargo is never longer than this.
    pub max_embargo: Option<TimeSpan>,
    /// Whether reporters may state their own timeline wishes; `None` when the policy is silent.
    pub reporter_timeline: Option<bool>,
    /// Where advisories are published.
    pub advisories: Vec<String>,
    /// What the team asks of reporters meanwhile.
    pub request: Option<String>,
}

/// Places a reporter can be credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CreditPlace {
    /// In the published advisory.
    Advisories,
    /// In release notes.
    ReleaseNotes,
    /// In CONTRIBUTORS.md.
    ContributorsFile,
    /// On the hall of fame page.
    HallOfFame,
}

impl CreditPlace {
    /// Every place, with its policy-file spelling.
    pub const ALL: [(&'static str, CreditPlace); 4] = [
        ("advisories", CreditPlace::Advisories),
        ("release-notes", CreditPlace::ReleaseNotes),
        ("contributors-file", CreditPlace::ContributorsFile),
        ("hall-of-fame", CreditPlace::HallOfFame),
    ];

    /// Prose name.
    pub fn title(self) -> &'static str {
        match self {
            CreditPlace::Advisories => "our security advisories",
            CreditPlace::ReleaseNotes => "the release notes",
            CreditPlace::ContributorsFile => "CONTRIBUTORS.md",
            CreditPlace::HallOfFame => "our security hall of fame",
        }
    }
}

/// How reporters are credited.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credit {
    /// Whether reporters are credited at all.
    pub offered: bool,
    /// Where they are credited.
    pub places: Vec<CreditPlace>,
    /// Whether a reporter may stay anonymous.
    pub anonymity: bool,
    /// Public hall of fame page, when it lives elsewhere.
    pub hall_of_fame_url: Option<String>,
}

/// The kinds of key a reporter can encrypt to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// An OpenPGP public key.
    Openpgp,
    /// An age X25519 recipient.
    Age,
}

/// A key offered to reporters for sensitive details.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EncryptionKey {
    /// Key kind.
    pub kind: KeyKind,
    /// Where the key can be fetched (security.txt's Encryption field).
    pub url: Option<String>,
    /// OpenPGP fingerprint, hex.
    pub fingerprint: Option<String>,
    /// The key itself: an armored OpenPGP key or an `age1...` recipient.
    pub key: Option<String>,
}

/// The kinds of update channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateKind {
    /// Security advisories.
    Advisories,
    /// Release notes.
    ReleaseNotes,
    /// Email notifications.
    Email,
    /// Chat announcements.
    Chat,
    /// Blog posts.
    Blog,
    /// A feed (Atom).
    Feed,
}

impl UpdateKind {
    /// Every kind, with its policy-file spelling.
    pub const ALL: [(&'static str, UpdateKind); 6] = [
        ("advisories", UpdateKind::Advisories),
        ("release-notes", UpdateKind::ReleaseNotes),
        ("email", UpdateKind::Email),
        ("chat", UpdateKind::Chat),
        ("blog", UpdateKind::Blog),
        ("feed", UpdateKind::Feed),
    ];

    /// Default title.
    pub fn title(self) -> &'static str {
        match self {
            UpdateKind::Advisories => "Security advisories",
            UpdateKind::ReleaseNotes => "Release notes",
            UpdateKind::Email => "Email notifications",
            UpdateKind::Chat => "Chat announcements",
            UpdateKind::Blog => "Blog posts",
            UpdateKind::Feed => "Advisory feed",
        }
    }
}

/// How users hear of security fixes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Updates {
    /// Channels, in the order listed.
    pub channels: Vec<UpdateChannel>,
    /// Early access to fixes for trusted parties.
    pub early_access: Option<EarlyAccess>,
}

/// One update channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateChannel {
    /// Kind.
    pub kind: UpdateKind,
    /// Overrides the kind's title.
    pub label: Option<String>,
    /// Where to follow it.
    pub url: Option<String>,
}

/// Early access to security updates before publication.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EarlyAccess {
    /// Who gets it: "reporters", "distributors", ...
    pub who: Vec<String>,
    /// Days before publication.
    pub days_before: Option<u32>,
}

/// When a policy stops being valid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expiry {
    /// A fixed moment.
    At(Timestamp),
    /// A number of days after each rendering: the server keeps security.txt fresh.
    Rolling(TimeSpan),
}

/// General terms of the policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Terms {
    /// When the policy expires (security.txt's Expires).
    pub expires: Expiry,
    /// Languages the team reads, as language tags; empty when the policy names none.
    pub languages: Vec<String>,
    /// A safe-harbour statement for good-faith research.
    pub safe_harbour: Option<String>,
}

/// Links security.txt carries when the policy gives them.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SecurityTxtLinks {
    /// Where this security.txt is canonically served.
    pub canonical: Vec<String>,
    /// The human-readable policy.
    pub policy: Option<String>,
    /// The acknowledgments (hall of fame) page.
    pub acknowledgments: Option<String>,
    /// Security job openings.
    pub hiring: Option<String>,
    /// CSAF provider metadata.
    pub csaf: Option<String>,
}

/// A free-form section of SECURITY.md.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Markdown body.
    pub body: String,
}
