//! Renders a policy as SECURITY.md and as an RFC 9116 security.txt.
//!
//! Both are pure functions of the policy, the moment of rendering (for a rolling expiry) and,
//! when Postern serves the project, the public address it is served at.

use std::fmt::Write as _;

use jiff::Timestamp;

use crate::policy::*;

/// Where and when a policy is rendered.
#[derive(Debug, Clone)]
pub struct RenderContext {
    /// The moment of rendering: a rolling expiry counts from here.
    pub now: Timestamp,
    /// Public address of this project on a Postern instance, without trailing slash, such as
    /// `https://security.example.org` or `https://security.example.org/projects/acme`.
    /// `None` when rendering a file to publish elsewhere.
    pub base_url: Option<String>,
    /// Whether Postern's report form is served under `base_url` (at `/report`).
    pub report_form: bool,
    /// The address of the CSAF `provider-metadata.json` Postern serves for the instance (at its
    /// root, whichever project is rendered), for security.txt's `CSAF:` field; `None` when
    /// rendering a file to publish elsewhere.
    pub csaf_provider: Option<String>,
    /// The project's OpenPGP key Postern serves, if it has one: named by security.txt's
    /// `Encryption:` and by SECURITY.md, unless the policy lists an OpenPGP key of its own.
    pub served_openpgp_key: Option<ServedKey>,
}

/// An OpenPGP key Postern serves for a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedKey {
    /// The fingerprint, 40 hexadecimal digits.
    pub fingerprint: String,
    /// Where it is downloaded, armoured (`.../openpgp.asc`).
    pub url: String,
    /// The address it is made for, which GnuPG finds it by (Web Key Directory).
    pub address: String,
}

impl RenderContext {
    /// The served key, when the policy names no OpenPGP key itself (the policy's own word
    /// comes first).
    fn served_key<'a>(&'a self, policy: &Policy) -> Option<&'a ServedKey> {
        self.served_openpgp_key
            .as_ref()
            .filter(|_| !policy.encryption.iter().any(|k| k.kind == KeyKind::Openpgp))
    }
}

impl RenderContext {
    /// Rendering for a file, with no server address.
    pub fn offline(now: Timestamp) -> RenderContext {
        RenderContext {
            now,
            base_url: None,
            report_form: false,
            csaf_provider: None,
            served_openpgp_key: None,
        }
    }

    fn url(&self, path: &str) -> Option<String> {
        self.base_url.as_ref().map(|b| format!("{b}{path}"))
    }

    fn form_url(&self, channel: &Channel) -> Option<String> {
        channel
            .url
            .clone()
            .or_else(|| self.report_form.then(|| self.url("/report")).flatten())
    }
}

/// The moment a policy expires when rendered at `now`. A rolling expiry is cut to whole days so
/// that renderings within a day agree.
pub fn expires_at(policy: &Policy, now: Timestamp) -> Timestamp {
    match policy.terms.expires {
        Expiry::At(at) => at,
        Expiry::Rolling(span) => {
            let days = i64::try_from(span.nominal_hours() / 24).unwrap_or(180);
            let day_start = now.as_second() - now.as_second().rem_euclid(86_400);
            Timestamp::from_second(day_start)
                .ok()
                .and_then(|t| {
                    t.checked_add(jiff::SignedDuration::from_hours(days * 24))
                        .ok()
                })
                .unwrap_or(now)
        }
    }
}

/// The Contact URIs of security.txt, in the policy's order with the preferred one first.
///
/// RFC 9116 requires at least one. Email, phone and the report form are contacts in their own
/// right; a policy whose channels are only chat, trackers or pull requests gets the https
/// addresses of those channels, and failing those the policy page (the policy's own, or the one
/// Postern serves), which tells a reporter how to reach the team. Empty only for a policy that
/// `policy check` refuses, rendered without a server.
pub fn contact_uris(policy: &Policy, ctx: &RenderContext) -> Vec<String> {
    let mut channels: Vec<&Channel> = policy.channels.iter().collect();
    channels.sort_by_key(|c| !c.preferred);
    let direct: Vec<String> = channels
        .iter()
        .filter_map(|c| match c.kind {
            ChannelKind::Email => c.email.as_ref().map(|e| format!("mailto:{e}")),
            ChannelKind::Phone => c
                .phone
                .as_ref()
                .map(|p| format!("tel:{}", p.replace([' ', '(', ')', '.'], ""))),
            ChannelKind::WebForm => ctx.form_url(c),
            _ => None,
        })
        .collect();
    if !direct.is_empty() {
        return direct;
    }
    let addresses: Vec<String> = channels
        .iter()
        .filter_map(|c| match c.kind {
            ChannelKind::GithubAdvisories => github_advisories_url(policy, c),
            _ => c.url.clone(),
        })
        .collect();
    if !addresses.is_empty() {
        return addresses;
    }
    policy_url(policy, ctx).into_iter().collect()
}

/// One channel as a phrase of plain text ("email to security@example.org", "Discord at
/// https://..."), for a sentence that is not Markdown.
fn channel_phrase(policy: &Policy, c: &Channel) -> String {
    let at = |what: String, url: Option<String>| match url {
        Some(url) => format!("{what} at {url}"),
        None => what,
    };
    let mut phrase = match c.kind {
        ChannelKind::Email => format!("email to {}", c.email.as_deref().unwrap_or_default()),
        ChannelKind::Phone => format!("phone at {}", c.phone.as_deref().unwrap_or_default()),
        ChannelKind::WebForm => at("a report form".into(), c.url.clone()),
        ChannelKind::GithubAdvisories => at(
            "GitHub Security Advisories".into(),
            github_advisories_url(policy, c),
        ),
        ChannelKind::IssueTracker => at("the issue tracker".into(), c.url.clone()),
        ChannelKind::PullRequest => at("a pull request".into(), c.url.clone()),
        ChannelKind::Chat => {
            let platform = c.platform.as_deref().map_or("chat".to_owned(), one_line);
            match &c.handle {
                Some(handle) => at(format!("{platform} ({})", one_line(handle)), c.url.clone()),
                None => at(platform, c.url.clone()),
            }
        }
    };
    if let Some(label) = &c.label
        && matches!(c.kind, ChannelKind::Email | ChannelKind::Phone)
    {
        let _ = write!(phrase, " ({})", one_line(label));
    }
    if c.preferred {
        phrase.push_str(", preferred");
    }
    phrase
}

/// What `/report` and `POST /api/v1/reports` answer for a policy that lists no `web-form`
/// channel: that Postern's form is not a way in, and the ways in the policy does offer, in its
/// order with the preferred one first, and where its policy is.
pub fn no_report_form(policy: &Policy, ctx: &RenderContext) -> String {
    let mut channels: Vec<&Channel> = policy.channels.iter().collect();
    channels.sort_by_key(|c| !c.preferred);
    let phrases: Vec<String> = channels.iter().map(|c| channel_phrase(policy, c)).collect();
    let ways = match phrases.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}; or {last}", rest.join("; ")),
    };
    let mut text = format!(
        "{} takes no reports through a form on this server. Report a vulnerability privately through {ways}.",
        one_line(&policy.project.name)
    );
    if let Some(url) = policy_url(policy, ctx) {
        let _ = write!(text, " The security policy says more: {url}");
    }
    text
}

/// Where the human-readable policy is: the policy's own address, else the page Postern serves.
fn policy_url(policy: &Policy, ctx: &RenderContext) -> Option<String> {
    policy
        .security_txt
        .policy
        .clone()
        .or_else(|| ctx.url("/security-policy"))
}

/// The address of GitHub's private reporting: the channel's own, else the repository's.
fn github_advisories_url(policy: &Policy, channel: &Channel) -> Option<String> {
    channel.url.clone().or_else(|| {
        policy
            .project
            .repository
            .as_ref()
            .map(|r| format!("{}/security/advisories/new", r.trim_end_matches('/')))
    })
}

/// security.txt per RFC 9116: Contact and Expires always; other fields where the policy or the
/// serving address gives them. Lines end in CRLF? No: RFC 9116 allows LF, which every client
/// reads, and tools diff it more easily.
pub fn security_txt(policy: &Policy, ctx: &RenderContext) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Security contact for {}, generated by Postern from its security policy.",
        one_line(&policy.project.name)
    );
    let _ = writeln!(
        out,
        "# Please report vulnerabilities privately, as described in the policy below."
    );
    out.push('\n');
    for uri in contact_uris(policy, ctx) {
        let _ = writeln!(out, "Contact: {uri}");
    }
    let expires = expires_at(policy, ctx.now);
    let _ = writeln!(out, "Expires: {}", expires.strftime("%Y-%m-%dT%H:%M:%SZ"));
    for key in &policy.encryption {
        // RFC 9116 2.5.4: a URI to the key; an OpenPGP fingerprint is one (openpgp4fpr:).
        let fingerprint = key
            .fingerprint
            .as_ref()
            .filter(|_| key.kind == KeyKind::Openpgp)
            .map(|fp| format!("openpgp4fpr:{}", fp.replace(' ', "").to_ascii_uppercase()));
        if let Some(uri) = key.url.clone().or(fingerprint) {
            let _ = writeln!(out, "Encryption: {uri}");
        }
    }
    if let Some(key) = ctx.served_key(policy) {
        let _ = writeln!(out, "Encryption: {}", key.url);
    }
    // Served by Postern, a policy that credits reporters in a hall of fame points to the one
    // Postern keeps, unless it names another.
    let served_hall_of_fame = (policy.credit.offered
        && policy.credit.places.contains(&CreditPlace::HallOfFame))
    .then(|| ctx.url("/hall-of-fame"))
    .flatten();
    let acknowledgments = policy
        .security_txt
        .acknowledgments
        .clone()
        .or_else(|| policy.credit.hall_of_fame_url.clone())
        .or(served_hall_of_fame);
    if let Some(url) = acknowledgments {
        let _ = writeln!(out, "Acknowledgments: {url}");
    }
    let languages = policy.terms.languages.join(", ");
    if !languages.is_empty() {
        let _ = writeln!(out, "Preferred-Languages: {languages}");
    }
    let mut canonical = policy.security_txt.canonical.clone();
    if let Some(url) = ctx.url("/.well-known/security.txt")
        && !canonical.contains(&url)
    {
        canonical.push(url);
    }
    for url in canonical {
        let _ = writeln!(out, "Canonical: {url}");
    }
    if let Some(url) = policy_url(policy, ctx) {
        let _ = writeln!(out, "Policy: {url}");
    }
    if let Some(url) = &policy.security_txt.hiring {
        let _ = writeln!(out, "Hiring: {url}");
    }
    // CSAF 7.1.8: the provider the policy names, else the one Postern serves. One only: a
    // second provider-metadata.json is for mergers, and the standard asks to avoid it.
    if let Some(url) = policy
        .security_txt
        .csaf
        .as_ref()
        .or(ctx.csaf_provider.as_ref())
    {
        let _ = writeln!(out, "CSAF: {url}");
    }
    out
}

/// An untimed promise's words inside a sentence of ours, which brings its own full stop.
fn said(words: &str) -> String {
    one_line(words).trim_end_matches('.').to_owned()
}

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

/// The event a promise counts from, as the end of "within 3 days of ...".
fn start_noun(start: Start) -> &'static str {
    match start {
        Start::Receipt => "receiving your report",
        Start::Acknowledgement => "acknowledging your report",
        Start::Triage => "confirming the vulnerability",
    }
}

/// How a response promise completes "We will acknowledge receipt of your report ...": its time
/// and, when it is not counted from receipt (which the list's heading says), what it is
/// counted from. An untimed promise reads in the policy's own words.
fn promise_phrase(promise: &Promise) -> String {
    let from = (promise.starts != Start::Receipt).then(|| start_noun(promise.starts));
    match (&promise.within, from) {
        (Within::Time(t), from) => {
            let mut text = format!("within {}", t.limit);
            if let Some(from) = from {
                let _ = write!(text, " of {from}");
            }
            if t.is_range() {
                let _ = write!(text, " (aiming for {})", t.target);
            }
            format!(" {text}")
        }
        (Within::Untimed(words), from) => {
            let mut text = words
                .as_deref()
                .map(|w| format!(" {}", said(w)))
                .unwrap_or_default();
            if let Some(from) = from {
                let _ = write!(text, " after {from}");
            }
            text
        }
    }
}

/// A cell of the severity table: the time, and what it counts from when that is not triage
/// (which the sentence above the table says).
fn deadline_cell(promise: &Promise, untimed_column: bool) -> String {
    let from = match promise.starts {
        Start::Triage => None,
        Start::Receipt => Some("receipt"),
        Start::Acknowledgement => Some("acknowledgement"),
    };
    match &promise.within {
        Within::Time(t) => {
            let mut text = if untimed_column {
                format!("within {t}")
            } else {
                t.to_string()
            };
            if let Some(from) = from {
                let _ = write!(text, " from {from}");
            }
            text
        }
        Within::Untimed(words) => {
            let mut text = cell(words.as_deref().unwrap_or("no set time"));
            if let Some(from) = from {
                let _ = write!(text, " (from {from})");
            }
            text
        }
    }
}

/// SECURITY.md: every promise of the policy, as a maintainer would write it by hand.
pub fn security_md(policy: &Policy, ctx: &RenderContext) -> String {
    let mut md = String::new();
    let name = one_line(&policy.project.name);
    let _ = writeln!(md, "# Security Policy for {name}\n");
    if let Some(description) = &policy.project.description {
        let _ = writeln!(md, "{}\n", description.trim());
    }
    // Only what the policy goes on to say: no promise, disclosure or credit it is silent on.
    let mut says = vec!["how to report a vulnerability privately"];
    if has_response_promises(policy) {
        says.push("what we promise in return");
    }
    match (says_disclosure(policy), policy.credit.offered) {
        (true, true) => says.push("how we disclose and credit fixes"),
        (true, false) => says.push("how we disclose fixes"),
        (false, true) => says.push("how we credit reporters"),
        (false, false) => {}
    }
    let says = match says.as_slice() {
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
        [] => String::new(),
    };
    let _ = writeln!(
        md,
        "We take the security of {name} seriously. This policy says {says}.\n"
    );
    products(&mut md, policy);
    supported_versions(&mut md, policy);
    reporting(&mut md, policy, ctx);
    response(&mut md, policy);
    scope(&mut md, policy);
    disclosure(&mut md, policy);
    credit(&mut md, policy);
    privacy(&mut md, policy);
    updates(&mut md, policy);
    if let Some(text) = &policy.terms.safe_harbour {
        let _ = writeln!(md, "## Safe Harbour\n\n{}\n", text.trim());
    }
    for section in &policy.sections {
        let _ = writeln!(
            md,
            "## {}\n\n{}\n",
            one_line(&section.title),
            section.body.trim()
        );
    }
    let _ = writeln!(md, "## About This Policy\n");
    if !policy.terms.languages.is_empty() {
        let _ = writeln!(
            md,
            "- We read reports in these languages: {}.",
            policy.terms.languages.join(", ")
        );
    }
    let expires = expires_at(policy, ctx.now);
    match policy.terms.expires {
        Expiry::At(_) => {
            let _ = writeln!(
                md,
                "- This policy is valid until {}.",
                expires.strftime("%Y-%m-%d")
            );
        }
        Expiry::Rolling(span) => {
            let _ = writeln!(
                md,
                "- This policy is reviewed continuously; each published copy is valid for {span} (this one until {}).",
                expires.strftime("%Y-%m-%d")
            );
        }
    }
    let _ = writeln!(
        md,
        "- It is generated by Postern from the project's policy file, which also runs our deadlines."
    );
    md
}

fn products(md: &mut String, policy: &Policy) {
    if policy.products.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Products\n\nThis policy covers:\n");
    for product in &policy.products {
        let mut line = format!("- **{}**", one_line(&product.name));
        if let (Some(eco), Some(pkg)) = (&product.ecosystem, &product.package) {
            let _ = write!(line, ": {eco} package `{pkg}`");
        } else if let Some(eco) = &product.ecosystem {
            let _ = write!(line, " ({eco})");
        }
        if let Some(repo) = &product.repository {
            let _ = write!(line, ", source at <{repo}>");
        }
        let _ = writeln!(md, "{line}");
    }
    md.push('\n');
}

fn supported_versions(md: &mut String, policy: &Policy) {
    // No table, no section: `policy check` warns instead of the renderer inventing a rule.
    if policy.supported_versions.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Supported Versions\n");
    let _ = writeln!(md, "These versions receive security updates:\n");
    let with_eos = policy
        .supported_versions
        .iter()
        .any(|v| v.end_of_support.is_some());
    let with_note = policy.supported_versions.iter().any(|v| v.note.is_some());
    let mut header = String::from("| Version | Supported |");
    let mut rule = String::from("| ------- | --------- |");
    if with_eos {
        header.push_str(" End of support |");
        rule.push_str(" -------------- |");
    }
    if with_note {
        header.push_str(" Notes |");
        rule.push_str(" ----- |");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    for v in &policy.supported_versions {
        let mut row = format!(
            "| {} | {} |",
            cell(&v.versions),
            if v.supported { "✅ Yes" } else { "❌ No" }
        );
        if with_eos {
            let eos = v.end_of_support.map(|d| d.to_string()).unwrap_or_default();
            let _ = write!(row, " {eos} |");
        }
        if with_note {
            let _ = write!(
                row,
                " {} |",
                v.note.as_deref().map(cell).unwrap_or_default()
            );
        }
        let _ = writeln!(md, "{row}");
    }
    md.push('\n');
}

fn reporting(md: &mut String, policy: &Policy, ctx: &RenderContext) {
    let _ = writeln!(md, "## Reporting a Vulnerability\n");
    if let Some(request) = &policy.disclosure.request {
        let _ = writeln!(md, "**{}**\n", request.trim());
    }
    let _ = writeln!(md, "Report it privately through one of these channels:\n");
    let mut channels: Vec<&Channel> = policy.channels.iter().collect();
    channels.sort_by_key(|c| !c.preferred);
    for (i, c) in channels.iter().enumerate() {
        let mut line = format!("{}. **{}", i + 1, one_line(c.display_name()));
        if c.preferred {
            line.push_str(" (preferred)");
        }
        line.push_str("**: ");
        let address = match c.kind {
            ChannelKind::Email => c.email.as_ref().map(|e| format!("[{e}](mailto:{e})")),
            ChannelKind::Phone => c.phone.clone(),
            ChannelKind::WebForm => ctx
                .form_url(c)
                .map(|u| format!("our private report form at <{u}>"))
                .or(Some("our private report form".to_owned())),
            ChannelKind::GithubAdvisories => github_advisories_url(policy, c)
                .map(|u| format!("report privately through GitHub Security Advisories at <{u}>")),
            ChannelKind::IssueTracker => Some(c.url.as_ref().map_or_else(
                || "our issue tracker".to_owned(),
                |u| format!("our issue tracker at <{u}>"),
            )),
            ChannelKind::PullRequest => Some(c.url.as_ref().map_or_else(
                || "a pull request".to_owned(),
                |u| format!("a pull request at <{u}>"),
            )),
            ChannelKind::Chat => match (&c.handle, &c.url) {
                (Some(handle), Some(url)) => Some(format!("{} at <{url}>", one_line(handle))),
                (Some(handle), None) => Some(one_line(handle)),
                (None, Some(url)) => Some(format!("<{url}>")),
                (None, None) => None,
            },
        };
        line.push_str(&address.unwrap_or_default());
        if let Some(note) = &c.note {
            let _ = write!(line, " ({})", one_line(note));
        }
        let _ = writeln!(md, "{line}");
    }
    md.push('\n');
    if !policy.encryption.is_empty() {
        let _ = writeln!(md, "### Encrypting Sensitive Details\n");
        let _ = writeln!(
            md,
            "You can encrypt sensitive details, such as a working exploit, to one of our keys:\n"
        );
        for key in &policy.encryption {
            let kind = match key.kind {
                KeyKind::Openpgp => "OpenPGP key",
                KeyKind::Age => "age recipient",
            };
            let mut line = format!("- {kind}");
            if let Some(fp) = &key.fingerprint {
                let _ = write!(line, " with fingerprint `{fp}`");
            }
            if let Some(url) = &key.url {
                let _ = write!(line, ", at <{url}>");
            }
            if key.kind == KeyKind::Age
                && let Some(recipient) = &key.key
            {
                let _ = write!(line, ": `{recipient}`");
            }
            let _ = writeln!(md, "{line}");
        }
        md.push('\n');
        for key in policy
            .encryption
            .iter()
            .filter(|k| k.kind == KeyKind::Openpgp)
        {
            if let Some(armored) = &key.key {
                let _ = writeln!(md, "```\n{}\n```\n", armored.trim());
            }
        }
    }
    if let Some(key) = ctx.served_key(policy) {
        let _ = writeln!(md, "### Encrypting Sensitive Details\n");
        let _ = writeln!(
            md,
            "You can encrypt your report to our OpenPGP key, with fingerprint `{}`. Download it from <{}>, or let GnuPG find it by our address: `gpg --locate-keys {}`.{}\n",
            grouped_fingerprint(&key.fingerprint),
            key.url,
            key.address,
            if ctx.report_form {
                " The report form takes an encrypted message (`gpg --encrypt --armor`) in place of the fields."
            } else {
                ""
            }
        );
    }
    let _ = writeln!(md, "### What to Include in Your Report\n");
    let _ = writeln!(
        md,
        "To help us understand and fix the issue quickly, please include:\n"
    );
    for field in &policy.form.fields {
        let mut line = format!("- **{}**", one_line(&field.label));
        line.push_str(if field.required {
            " (required)"
        } else {
            " (optional)"
        });
        if let Some(help) = &field.help {
            let _ = write!(line, ": {}", one_line(help));
        }
        let _ = writeln!(md, "{line}");
    }
    let credit = if policy.credit.offered {
        ", and the name you would like to be credited under"
    } else {
        ""
    };
    let _ = writeln!(
        md,
        "- **Contact** (optional): how we can reach you{credit}.\n"
    );
    if let Some(example) = &policy.form.example {
        let _ = writeln!(
            md,
            "A report could look like this:\n\n```\n{}\n```\n",
            example.trim_end()
        );
    }
}

/// Whether the policy promises anything in its response targets (a section of its own).
fn has_response_promises(policy: &Policy) -> bool {
    let r = &policy.response;
    r.acknowledge.is_some()
        || r.assess.is_some()
        || r.plan.is_some()
        || r.update_interval.is_some()
        || !r.promises.is_empty()
        || !policy.severity.is_empty()
}

/// Whether the policy says anything about disclosure (its section is rendered).
fn says_disclosure(policy: &Policy) -> bool {
    let d = &policy.disclosure;
    d.coordinated.is_some()
        || d.default_embargo.is_some()
        || d.max_embargo.is_some()
        || d.reporter_timeline == Some(true)
        || !d.advisories.is_empty()
}

/// Picks one deadline of a severity's row.
type DeadlineOf = fn(&SeverityDeadlines) -> Option<&Promise>;

fn response(md: &mut String, policy: &Policy) {
    let r = &policy.response;
    let steps = [
        ("Acknowledge receipt of your report", &r.acknowledge),
        ("Give an initial assessment", &r.assess),
        ("Send a detailed response with our plan", &r.plan),
    ];
    let any_step = steps.iter().any(|(_, p)| p.is_some())
        || r.update_interval.is_some()
        || !r.promises.is_empty();
    if any_step || !policy.severity.is_empty() {
        let _ = writeln!(md, "## Our Response Targets\n");
    }
    if any_step {
        let _ = writeln!(md, "After we receive your report, we will:\n");
        for (what, promise) in steps {
            if let Some(p) = promise {
                let _ = writeln!(md, "- {what}{}.", promise_phrase(p));
            }
        }
        if let Some(p) = &r.update_interval {
            let mut line = "- Keep you updated on our progress".to_owned();
            match &p.within {
                Within::Time(t) => {
                    let _ = write!(line, " at least every {}", t.limit);
                }
                Within::Untimed(Some(words)) => {
                    let _ = write!(line, " {}", said(words));
                }
                Within::Untimed(None) => {}
            }
            match p.starts {
                Start::Receipt => {}
                Start::Acknowledgement => line.push_str(", from when we acknowledge your report"),
                Start::Triage => line.push_str(", from when we confirm the vulnerability"),
            }
            let _ = writeln!(md, "{line}.");
        }
        for promise in &r.promises {
            let _ = writeln!(md, "- {}.", one_line(promise).trim_end_matches('.'));
        }
        md.push('\n');
    }
    if policy.uses_business_days() {
        let mut line = format!(
            "Business days are Monday to Friday in the {} time zone",
            r.time_zone
        );
        if !r.holidays.is_empty() {
            let days: Vec<String> = r.holidays.iter().map(|d| d.to_string()).collect();
            let _ = write!(line, ", except these holidays: {}", days.join(", "));
        }
        let _ = writeln!(md, "{line}.\n");
    }
    if policy.severity.is_empty() {
        return;
    }
    let _ = writeln!(md, "### Fix and Disclosure Deadlines\n");
    let all_from_triage = policy
        .severity
        .iter()
        .flat_map(SeverityDeadlines::promises)
        .all(|p| p.starts == Start::Triage);
    let _ = writeln!(
        md,
        "Once we have confirmed a vulnerability and rated its severity, we commit to these deadlines, counted from that assessment{}:\n",
        if all_from_triage {
            ""
        } else {
            " unless a deadline says otherwise"
        }
    );
    let columns: Vec<(&str, DeadlineOf, bool)> = [
        ("Fixed", (|s| s.fix.as_ref()) as DeadlineOf),
        ("Fix released", |s| s.release.as_ref()),
        ("Disclosed", |s| s.disclose.as_ref()),
    ]
    .into_iter()
    .filter(|(_, f)| policy.severity.iter().any(|s| f(s).is_some()))
    .map(|(title, f)| {
        // A column with an untimed promise cannot say "within" in its heading.
        let untimed = policy
            .severity
            .iter()
            .filter_map(f)
            .any(|p| p.time().is_none());
        (title, f, untimed)
    })
    .collect();
    let mut header = String::from("| Severity |");
    let mut rule = String::from("| -------- |");
    for (title, _, untimed) in &columns {
        let title = if *untimed {
            (*title).to_owned()
        } else {
            format!("{title} within")
        };
        let _ = write!(header, " {title} |");
        let _ = write!(rule, " {} |", "-".repeat(title.len()));
    }
    let _ = writeln!(md, "{header}\n{rule}");
    for s in &policy.severity {
        let mut row = format!("| {} |", s.severity.title());
        for (_, f, untimed) in &columns {
            let _ = write!(
                row,
                " {} |",
                f(s).map(|p| deadline_cell(p, *untimed))
                    .unwrap_or_else(|| "-".into())
            );
        }
        let _ = writeln!(md, "{row}");
    }
    md.push('\n');
    // Said only where the table has a range to read.
    let any_range = policy
        .severity
        .iter()
        .flat_map(SeverityDeadlines::promises)
        .filter_map(Promise::time)
        .any(|t| t.is_range());
    if any_range {
        let _ = writeln!(
            md,
            "Where a deadline is a range, we aim for the shorter time and promise the longer one.\n"
        );
    }
}

fn scope(md: &mut String, policy: &Policy) {
    let s = &policy.scope;
    if s.in_scope.is_empty() && s.out_of_scope.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Scope\n");
    let item = |md: &mut String, i: &ScopeItem| {
        let mut line = format!("- **{}**", one_line(&i.title));
        if let Some(e) = &i.explanation {
            let _ = write!(line, ": {}", one_line(e));
        }
        let _ = writeln!(md, "{line}");
    };
    if !s.in_scope.is_empty() {
        let _ = writeln!(md, "### In Scope\n");
        for i in &s.in_scope {
            item(md, i);
        }
        md.push('\n');
    }
    if !s.out_of_scope.is_empty() {
        let _ = writeln!(
            md,
            "### Out of Scope\n\nThese are not treated as vulnerabilities:\n"
        );
        for i in &s.out_of_scope {
            item(md, i);
        }
        md.push('\n');
    }
}

fn disclosure(md: &mut String, policy: &Policy) {
    let d = &policy.disclosure;
    // Each sentence stands for one key the policy wrote; a policy silent on disclosure gets no
    // section at all.
    let mut sentences: Vec<String> = Vec::new();
    match d.coordinated {
        Some(true) => sentences.push("We practise coordinated disclosure.".into()),
        Some(false) => {
            sentences.push("We do not coordinate the disclosure date with reporters.".into())
        }
        None => {}
    }
    match (d.default_embargo, d.max_embargo) {
        (Some(e), Some(max)) => sentences.push(format!(
            "Unless we agree otherwise, the embargo lasts {e} from our assessment, and never longer than {max}."
        )),
        (Some(e), None) => sentences.push(format!(
            "Unless we agree otherwise, the embargo lasts {e} from our assessment."
        )),
        (None, Some(max)) => sentences.push(format!("The embargo never lasts longer than {max}.")),
        (None, None) => {}
    }
    if d.reporter_timeline == Some(true) {
        sentences.push(
            "Tell us about any timeline constraints you have, and we will take them into account."
                .into(),
        );
    }
    if !says_disclosure(policy) {
        return;
    }
    let heading = if d.coordinated == Some(false) {
        "Disclosure"
    } else {
        "Coordinated Disclosure"
    };
    let _ = writeln!(md, "## {heading}\n");
    if !sentences.is_empty() {
        let _ = writeln!(md, "{}\n", sentences.join(" "));
    }
    if !d.advisories.is_empty() {
        let _ = writeln!(
            md,
            "When the embargo ends we publish a security advisory with the details, affected versions and the fix, in: {}.\n",
            d.advisories.join(", ")
        );
    }
}

/// `[privacy]` in plain words: what is kept, for how long, and how to get or erase it.
fn privacy(md: &mut String, policy: &Policy) {
    let Some(p) = &policy.privacy else {
        return;
    };
    let _ = writeln!(
        md,
        "## Your Personal Data
"
    );
    let _ = writeln!(
        md,
        "{}
",
        privacy_sentences(p).join(" ")
    );
}

/// The retention promises of `[privacy]`, one sentence each (SECURITY.md and the privacy
/// notice page say the same).
pub fn privacy_sentences(p: &crate::policy::Privacy) -> Vec<String> {
    let mut out = Vec::new();
    out.push(match p.contact_kept {
        Some(kept) => format!(
            "We keep your contact address and the name you want to be credited under for {kept} after we close your report, then erase them."
        ),
        None => "We keep your contact address and the name you want to be credited under until you ask us to erase them.".to_owned(),
    });
    out.push(match (p.contents_kept, p.contents_kept_after) {
        (Some(kept), crate::policy::KeptAfter::Closure) => {
            format!("We keep your report and our conversation for {kept} after we close it, then erase them.")
        }
        (Some(kept), crate::policy::KeptAfter::Advisory) => format!(
            "We keep your report and our conversation for {kept} after its advisory is published (or after we close it, if there is none), then erase them."
        ),
        (None, _) => "We keep your report and our conversation until you ask us to erase them.".to_owned(),
    });
    out.push(if p.ip_addresses {
        "We may store the IP address you report from.".to_owned()
    } else {
        "We do not store your IP address.".to_owned()
    });
    out.push("With your case key you can download everything we hold about your report, and ask us to erase it, at any time; we tell you if something must be kept longer, and why.".to_owned());
    out
}

fn credit(md: &mut String, policy: &Policy) {
    let c = &policy.credit;
    if !c.offered {
        // The policy promises no credit; say nothing rather than invent a promise either way.
        return;
    }
    let _ = writeln!(md, "## Credit\n");
    if c.places.is_empty() {
        let _ = writeln!(
            md,
            "We are grateful to everyone who reports a vulnerability responsibly, and we will credit you for your contribution.\n"
        );
    } else {
        let _ = writeln!(
            md,
            "We are grateful to everyone who reports a vulnerability responsibly. We will credit you:\n"
        );
    }
    for place in &c.places {
        let mut line = format!("- In {}", place.title());
        if *place == CreditPlace::HallOfFame
            && let Some(url) = &c.hall_of_fame_url
        {
            let _ = write!(line, " at <{url}>");
        }
        let _ = writeln!(md, "{line}");
    }
    if !c.places.is_empty() {
        md.push('\n');
    }
    if c.anonymity {
        let _ = writeln!(
            md,
            "If you prefer to remain anonymous, tell us and we will not name you anywhere.\n"
        );
    }
}

fn updates(md: &mut String, policy: &Policy) {
    let u = &policy.updates;
    if u.channels.is_empty() && u.early_access.is_none() {
        return;
    }
    let _ = writeln!(md, "## Security Updates\n");
    if !u.channels.is_empty() {
        let _ = writeln!(md, "We announce security fixes through:\n");
        for c in &u.channels {
            let mut line = format!(
                "- {}",
                c.label
                    .as_deref()
                    .map(one_line)
                    .unwrap_or(c.kind.title().to_owned())
            );
            if let Some(url) = &c.url {
                let _ = write!(line, ": <{url}>");
            }
            let _ = writeln!(md, "{line}");
        }
        md.push('\n');
    }
    if let Some(e) = &u.early_access {
        let who = if e.who.is_empty() {
            "trusted parties".to_owned()
        } else {
            e.who.join(", ")
        };
        let mut line = format!("We provide early access to security updates for {who}");
        if let Some(days) = e.days_before {
            let _ = write!(line, ", {days} days before publication");
        }
        let _ = writeln!(md, "{line}.\n");
    }
}

/// A fingerprint grouped by four digits, as GnuPG prints it for people to compare.
pub fn grouped_fingerprint(fingerprint: &str) -> String {
    let digits: Vec<char> = fingerprint.chars().filter(|c| !c.is_whitespace()).collect();
    digits
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}
