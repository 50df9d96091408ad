//! Semantic checks on a decoded policy: what TOML types cannot say.
//!
//! Errors are promises that cannot be kept or addresses that cannot work; warnings are legal
//! but unwise; notes say what a choice means for how Postern serves the policy. Each finding is located through the `SpanMap` by the path of the key it is about.

use std::collections::HashSet;

use jiff::{SignedDuration, Timestamp};

use super::diagnostic::{Diagnostic, SpanMap};
use super::model::*;
use super::time_span::Target;

struct Checker<'a> {
    spans: &'a SpanMap,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        self.out
            .push(Diagnostic::error(self.spans.get(path), message.into()));
    }

    fn warning(&mut self, path: &str, message: impl Into<String>) {
        self.out
            .push(Diagnostic::warning(self.spans.get(path), message.into()));
    }

    fn note(&mut self, path: &str, message: impl Into<String>) {
        self.out
            .push(Diagnostic::note(self.spans.get(path), message.into()));
    }

    fn https_url(&mut self, path: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        if let Err(problem) = check_https_url(value) {
            self.error(path, format!("`{path}` {problem}"));
        }
    }

    fn email(&mut self, path: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        if let Err(problem) = check_email(value) {
            self.error(path, format!("`{path}` {problem}"));
        }
    }
}

/// Checks an https URL; the error completes "`key` ...".
pub fn check_https_url(value: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(value).map_err(|e| {
        format!("is not a URL ({e}): write a full address such as \"https://example.org/security\"")
    })?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            return Err(format!(
                "must use https, not http: write \"https{}\"",
                &value["http".len()..]
            ));
        }
        other => {
            return Err(format!("must be an https:// address, not {other}:"));
        }
    }
    if parsed.host_str().is_none_or(|h| !h.contains('.')) {
        return Err("needs a public host name such as example.org".to_owned());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry a user name or password".to_owned());
    }
    Ok(parsed)
}

/// Checks an email address in the form mail clients accept (RFC 5321 dot-atom, no comments).
pub fn check_email(value: &str) -> Result<(), String> {
    let problem = |why: &str| {
        Err(format!(
            "is not a valid email address ({why}): write one such as \"security@example.org\""
        ))
    };
    let Some((local, domain)) = value.rsplit_once('@') else {
        return problem("no @");
    };
    if value.len() > 254 || local.len() > 64 {
        return problem("too long");
    }
    let atom = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    if local.is_empty()
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || !local.chars().all(|c| atom(c) || c == '.')
    {
        return problem("bad characters before the @");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return problem("the part after the @ is not a domain name");
    }
    Ok(())
}

fn is_slug(text: &str, extra: char) -> bool {
    !text.is_empty()
        && text.len() <= super::SLUG_CHARS_MAX
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == extra)
        && !text.starts_with(extra)
}

fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Longer than RFC 9116's recommendation for Expires.
const EXPIRY_DAYS_MAX: i64 = 365;
/// A fixed expiry this close deserves a reminder.
const EXPIRY_DAYS_WARN: i64 = 30;

pub(crate) fn check(policy: &Policy, spans: &SpanMap, now: Timestamp) -> Vec<Diagnostic> {
    let mut c = Checker {
        spans,
        out: Vec::new(),
    };
    check_project(&mut c, policy);
    check_channels(&mut c, policy);
    check_form(&mut c, policy);
    check_response(&mut c, policy);
    check_severity(&mut c, policy);
    check_scope(&mut c, policy);
    check_disclosure(&mut c, policy);
    check_privacy(&mut c, policy);
    check_defaults(&mut c, policy);
    check_keys(&mut c, policy);
    check_terms(&mut c, policy, now);
    for (i, channel) in policy.updates.channels.iter().enumerate() {
        c.https_url(
            &format!("updates.channels[{i}].url"),
            channel.url.as_deref(),
        );
    }
    c.https_url(
        "credit.hall_of_fame_url",
        policy.credit.hall_of_fame_url.as_deref(),
    );
    let links = &policy.security_txt;
    for (i, url) in links.canonical.iter().enumerate() {
        c.https_url(&format!("security_txt.canonical[{i}]"), Some(url));
    }
    c.https_url("security_txt.policy", links.policy.as_deref());
    c.https_url(
        "security_txt.acknowledgments",
        links.acknowledgments.as_deref(),
    );
    c.https_url("security_txt.hiring", links.hiring.as_deref());
    c.https_url("security_txt.csaf", links.csaf.as_deref());
    c.out
}

fn check_project(c: &mut Checker, policy: &Policy) {
    let project = &policy.project;
    if !is_slug(&project.slug, '-') {
        c.error(
            "project.slug",
            format!(
                "`project.slug` \"{}\" must be lower-case letters, digits and dashes (at most {} characters), such as \"{}\"",
                project.slug,
                super::SLUG_CHARS_MAX,
                super::slugify(&project.name).chars().take(20).collect::<String>()
            ),
        );
    }
    let prefix = &project.advisory_prefix;
    if prefix.is_empty()
        || prefix.len() > 16
        || !prefix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    {
        c.error(
            "project.advisory_prefix",
            "`project.advisory_prefix` must be 1-16 upper-case letters, digits or dashes, such as \"ACME\"",
        );
    }
    c.https_url("project.homepage", project.homepage.as_deref());
    c.https_url("project.repository", project.repository.as_deref());
    for (i, product) in policy.products.iter().enumerate() {
        c.https_url(
            &format!("products[{i}].repository"),
            product.repository.as_deref(),
        );
        if product.package.is_some() && product.ecosystem.is_none() {
            c.error(
                &format!("products[{i}]"),
                format!("`products[{i}]` names a package but no ecosystem: add `ecosystem = \"PyPI\"` (or npm, crates.io, Go, ...)"),
            );
        }
    }
    if policy.supported_versions.is_empty() {
        c.warning("supported_versions", "no [[supported_versions]]: reporters cannot tell which versions get fixes; add at least one row");
    } else if !policy.supported_versions.iter().any(|v| v.supported) {
        c.warning(
            "supported_versions",
            "no version is marked `supported = true`: nothing will receive security fixes",
        );
    }
}

fn check_channels(c: &mut Checker, policy: &Policy) {
    if policy.channels.is_empty() {
        c.error(
            "",
            "the policy offers no private channel: add a [[channels]] table, such as kind = \"email\" with email = \"security@example.org\", or kind = \"web-form\"",
        );
        return;
    }
    let mut seen = HashSet::new();
    for (i, channel) in policy.channels.iter().enumerate() {
        let path = format!("channels[{i}]");
        c.email(&format!("{path}.email"), channel.email.as_deref());
        c.https_url(&format!("{path}.url"), channel.url.as_deref());
        if let Some(phone) = &channel.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !phone.starts_with('+')
                || !(7..=15).contains(&digits)
                || !phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c))
            {
                c.error(
                    &format!("{path}.phone"),
                    format!(
                        "`{path}.phone` must be an international number such as \"+1 555 0100\""
                    ),
                );
            }
        }
        if channel.kind == ChannelKind::GithubAdvisories
            && channel.url.is_none()
            && !policy
                .project
                .repository
                .as_deref()
                .is_some_and(|r| r.starts_with("https://github.com/"))
        {
            c.error(
                &path,
                format!("`{path}` is GitHub Security Advisories but neither it nor `project.repository` gives the GitHub repository: add url = \"https://github.com/OWNER/REPO/security/advisories/new\""),
            );
        }
        let identity = (
            channel.kind,
            channel.email.clone(),
            channel.url.clone(),
            channel.phone.clone(),
        );
        if !seen.insert(identity) {
            c.warning(
                &path,
                format!("`{path}` repeats an earlier channel: remove one of them"),
            );
        }
    }
    if policy.channels.iter().filter(|ch| ch.preferred).count() > 1 {
        c.warning(
            "channels",
            "more than one channel has `preferred = true`: reporters cannot tell which to use; keep one",
        );
    }
    // security.txt must have a Contact (RFC 9116). Postern's form is one wherever Postern
    // serves the policy; otherwise the policy itself must give an address.
    let has_form = policy.offers_report_form();
    // The addresses `render::contact_uris` can use without a server (the tests keep the two in
    // step); a GitHub advisories channel always has one, checked above.
    let has_address = policy.channels.iter().any(|ch| {
        ch.url.is_some()
            || match ch.kind {
                ChannelKind::Email => ch.email.is_some(),
                ChannelKind::Phone => ch.phone.is_some(),
                ChannelKind::GithubAdvisories => true,
                _ => false,
            }
    }) || policy.security_txt.policy.is_some();
    if !has_form && has_address {
        c.note(
            "channels",
            "no kind = \"web-form\" channel: Postern serves no report form for this project (/report and POST /api/v1/reports answer 404 naming the channels it lists, and SECURITY.md and security.txt mention no form); add [[channels]] kind = \"web-form\" to take reports through Postern's own encrypted form. A report that comes in another way is recorded with `postern report add` or on /team/reports/new, so that its deadlines run from its real receipt",
        );
    }
    if !has_form && !has_address {
        c.error(
            "channels",
            "security.txt needs a Contact, and no channel gives an address (a chat handle or a pull request has none): add `url` to one of the channels, an email channel (kind = \"email\", email = \"security@example.org\"), a kind = \"web-form\" channel (Postern's own form), or the address of your published policy as `[security_txt] policy = \"https://...\"`",
        );
    }
}

fn check_form(c: &mut Checker, policy: &Policy) {
    let mut ids = HashSet::new();
    for (i, field) in policy.form.fields.iter().enumerate() {
        let path = format!("form.fields[{i}].id");
        if !is_slug(&field.id, '_') {
            c.error(&path, format!("form field id \"{}\" must be lower-case letters, digits and underscores, such as \"affected_component\"", field.id));
        }
        if !ids.insert(field.id.as_str()) {
            c.error(
                &path,
                format!(
                    "form field id \"{}\" is used twice: give each field its own id",
                    field.id
                ),
            );
        }
    }
    if !policy.form.fields.iter().any(|f| f.required) {
        c.warning("form", "no form field is required: reports could arrive empty; mark the description `required = true`");
    }
    if policy.form.fields.len() > FORM_FIELDS_MAX {
        c.error(
            "form.fields",
            format!(
                "the form has {} fields; at most {FORM_FIELDS_MAX} are allowed",
                policy.form.fields.len()
            ),
        );
    }
}

/// Most fields a report form may ask for.
pub const FORM_FIELDS_MAX: usize = 40;

fn longer(a: &Target, b: &Target) -> bool {
    a.limit.nominal_hours() > b.limit.nominal_hours()
}

/// Two promises' times, when both have one and both are counted from the same event: times
/// counted from different events cannot be compared.
fn comparable(a: Option<&Promise>, b: Option<&Promise>) -> Option<(Target, Target)> {
    let (a, b) = (a?, b?);
    (a.starts == b.starts).then_some((a.time()?, b.time()?))
}

fn check_response(c: &mut Checker, policy: &Policy) {
    let response = &policy.response;
    if jiff::tz::TimeZone::get(&response.time_zone).is_err() {
        let hint = if response.time_zone.contains('/') || response.time_zone == "UTC" {
            "check its spelling"
        } else {
            "use an IANA name such as \"Europe/Berlin\" or \"America/New_York\", not an abbreviation"
        };
        c.error(
            "response.time_zone",
            format!(
                "`response.time_zone` \"{}\" is not a known time zone: {hint}",
                response.time_zone
            ),
        );
    }
    let steps = [
        ("acknowledge", &response.acknowledge),
        ("assess", &response.assess),
        ("plan", &response.plan),
    ];
    // Each step against the one before it counted from the same event.
    for (i, (second, b)) in steps.iter().enumerate() {
        let earlier = steps[..i]
            .iter()
            .rev()
            .find(|(_, a)| comparable(a.as_ref(), b.as_ref()).is_some());
        if let Some((first, a)) = earlier
            && let Some((a, b)) = comparable(a.as_ref(), b.as_ref())
            && longer(&a, &b)
        {
            c.error(
                &format!("response.{second}"),
                format!("`response.{second}` ({b}) comes before `response.{first}` ({a}): a team cannot {second} before it can {first}; make {second} at least {a}"),
            );
        }
    }
    if response.acknowledge.is_none() {
        c.warning("response", "no `acknowledge` target: reporters will not know when to expect an answer; add acknowledge = \"48 hours\", or acknowledge = { untimed = true, says = \"...\" } in your own words");
    }
    if response
        .acknowledge
        .as_ref()
        .and_then(Promise::time)
        .is_some_and(|a| a.limit.nominal_hours() > 24 * 14)
    {
        c.warning("response.acknowledge", "acknowledging takes longer than two weeks: reporters may give up and disclose; most projects promise 1-3 days");
    }
    if policy.uses_business_days()
        && response.time_zone == "UTC"
        && !policy.response.holidays.is_empty()
    {
        c.warning(
            "response.time_zone",
            "business days are counted in UTC: set `time_zone` to where the team works",
        );
    }
}

fn check_severity(c: &mut Checker, policy: &Policy) {
    type Pick = fn(&SeverityDeadlines) -> Option<&Promise>;
    let kinds: [(&str, Pick); 3] = [
        ("fix", |s| s.fix.as_ref()),
        ("release", |s| s.release.as_ref()),
        ("disclose", |s| s.disclose.as_ref()),
    ];
    for (kind, pick) in kinds {
        // Each severity against the next less severe one counted from the same event.
        for (i, more) in policy.severity.iter().enumerate() {
            let less = policy.severity[i + 1..]
                .iter()
                .find(|less| comparable(pick(more), pick(less)).is_some());
            if let Some(less) = less
                && let Some((a, b)) = comparable(pick(more), pick(less))
                && longer(&a, &b)
            {
                c.error(
                    &format!("severity.{}.{kind}", name_of(more.severity)),
                    format!(
                        "`severity.{}.{kind}` ({a}) is longer than for {} ({b}): a more severe issue must not wait longer; shorten it to at most {b}",
                        name_of(more.severity),
                        name_of(less.severity)
                    ),
                );
            }
        }
    }
    for s in &policy.severity {
        let name = name_of(s.severity);
        if let Some((fix, release)) = comparable(s.fix.as_ref(), s.release.as_ref())
            && longer(&fix, &release)
        {
            c.warning(&format!("severity.{name}.release"), format!("`severity.{name}.release` ({release}) is shorter than `fix` ({fix}): a fix cannot ship before it exists"));
        }
        let shipped = s.fix.as_ref().or(s.release.as_ref());
        if let Some((fix, disclose)) = comparable(shipped, s.disclose.as_ref())
            && longer(&fix, &disclose)
        {
            c.warning(&format!("severity.{name}.disclose"), format!("`severity.{name}.disclose` ({disclose}) is shorter than the fix ({fix}): users would learn of the issue before they can patch"));
        }
    }
    if policy.severity.is_empty() {
        c.warning("severity", "no severity deadlines: reporters cannot tell when a fix will come; add [severity.critical] fix = \"7 days\" and so on");
    }
}

fn name_of(severity: Severity) -> &'static str {
    Severity::ALL
        .iter()
        .find(|(_, s)| *s == severity)
        .map_or("", |(n, _)| *n)
}

fn check_scope(c: &mut Checker, policy: &Policy) {
    let mut seen = HashSet::new();
    let items = policy
        .scope
        .in_scope
        .iter()
        .enumerate()
        .map(|(i, item)| (format!("scope.in[{i}].category"), item))
        .chain(
            policy
                .scope
                .out_of_scope
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("scope.out[{i}].category"), item)),
        );
    for (path, item) in items {
        if !is_slug(&item.category, '-') {
            c.error(&path, format!("scope category \"{}\" must be lower-case letters, digits and dashes, such as \"rce\"", item.category));
        }
        if !seen.insert(item.category.clone()) {
            c.error(&path, format!("scope category \"{}\" appears twice: each category is either in or out of scope, once", item.category));
        }
    }
    if policy.scope.in_scope.is_empty() && !policy.scope.out_of_scope.is_empty() {
        c.warning("scope", "the scope lists only what is out: add [[scope.in]] entries so reporters can pick a category");
    }
}

/// Defaults that put words in SECURITY.md the author did not write: each is said, with how to
/// turn it off, so that nothing is promised unawares.
fn check_defaults(c: &mut Checker, policy: &Policy) {
    if !c.spans.written("credit") && policy.credit.offered {
        c.warning(
            "credit",
            "the policy has no [credit] table, so Postern promises credit in your advisories and anonymity on request, and SECURITY.md says so; write [credit] offered = true to keep it (with `places` and `anonymity` as you mean them), or offered = false to promise no credit",
        );
    }
}

fn check_disclosure(c: &mut Checker, policy: &Policy) {
    let d = &policy.disclosure;
    if let (Some(default), Some(max)) = (d.default_embargo, d.max_embargo)
        && default.nominal_hours() > max.nominal_hours()
    {
        c.error(
            "disclosure.default_embargo",
            format!("`disclosure.default_embargo` ({default}) is longer than `max_embargo` ({max}): make the default at most {max}"),
        );
    }
    if let Some(max) = d.max_embargo
        && max.nominal_hours() > 24 * 180
    {
        c.warning("disclosure.max_embargo", format!("an embargo of up to {max} is longer than the common 90 days; reporters may not agree"));
    }
}

/// A retention shorter than the longest embargo would erase what a running promise still
/// needs (the report, the reporter to credit and tell).
fn check_privacy(c: &mut Checker, policy: &Policy) {
    let Some(privacy) = &policy.privacy else {
        return;
    };
    let d = &policy.disclosure;
    let (promise_key, promise) = match (d.max_embargo, d.default_embargo) {
        (Some(max), _) => ("disclosure.max_embargo", max),
        (None, Some(default)) => ("disclosure.default_embargo", default),
        (None, None) => return,
    };
    for (key, kept) in [
        ("privacy.contact_kept", privacy.contact_kept),
        ("privacy.contents_kept", privacy.contents_kept),
    ] {
        if let Some(kept) = kept
            && kept.nominal_hours() < promise.nominal_hours()
        {
            c.error(
                key,
                format!("`{key}` ({kept}) is shorter than `{promise_key}` ({promise}), a promise that may still be running: keep the data at least {promise}"),
            );
        }
    }
}

fn check_keys(c: &mut Checker, policy: &Policy) {
    for (i, key) in policy.encryption.iter().enumerate() {
        let path = format!("encryption[{i}]");
        c.https_url(&format!("{path}.url"), key.url.as_deref());
        if let Some(fp) = &key.fingerprint {
            let hex: String = fp.chars().filter(|c| !c.is_whitespace()).collect();
            if key.kind != KeyKind::Openpgp {
                c.error(
                    &format!("{path}.fingerprint"),
                    "only OpenPGP keys have a fingerprint: remove it",
                );
            } else if !(hex.len() == 40 || hex.len() == 64)
                || !hex.chars().all(|c| c.is_ascii_hexdigit())
            {
                c.error(
                    &format!("{path}.fingerprint"),
                    format!("`{path}.fingerprint` must be 40 (v4) or 64 (v6) hexadecimal digits"),
                );
            }
        }
        if let Some(text) = &key.key {
            let ok = match key.kind {
                KeyKind::Openpgp => text.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
                KeyKind::Age => {
                    text.starts_with("age1")
                        && text.len() == 62
                        && !text.contains(char::is_whitespace)
                }
            };
            if !ok {
                let want = match key.kind {
                    KeyKind::Openpgp => {
                        "an ASCII-armored public key starting with -----BEGIN PGP PUBLIC KEY BLOCK-----"
                    }
                    KeyKind::Age => "an age X25519 recipient: 62 characters starting with age1",
                };
                c.error(
                    &format!("{path}.key"),
                    format!("`{path}.key` must be {want}"),
                );
            }
        }
    }
    if policy.encryption.is_empty() && !policy.offers_report_form() {
        c.warning("encryption", "no encryption key is offered and no web-form channel: reporters cannot protect sensitive details; add an [[encryption]] key or a kind = \"web-form\" channel (Postern's form is encrypted at rest)");
    }
}

fn check_terms(c: &mut Checker, policy: &Policy, now: Timestamp) {
    let terms = &policy.terms;
    match terms.expires {
        Expiry::At(at) => {
            let left = at.duration_since(now);
            if left <= SignedDuration::ZERO {
                c.error("policy.expires", format!("the policy expired on {at}: set `expires` to a date in the coming year, or to a rolling period such as \"180 days\""));
            } else if left > SignedDuration::from_hours(24 * EXPIRY_DAYS_MAX) {
                c.error("policy.expires", format!("`policy.expires` ({at}) is more than a year ahead: RFC 9116 asks for less; use a date within {EXPIRY_DAYS_MAX} days or a rolling period such as \"180 days\""));
            } else if left < SignedDuration::from_hours(24 * EXPIRY_DAYS_WARN) {
                c.warning("policy.expires", format!("the policy expires in less than {EXPIRY_DAYS_WARN} days ({at}): review it and move `expires` on"));
            }
        }
        Expiry::Rolling(span) => {
            if span.nominal_hours() >= (EXPIRY_DAYS_MAX as u64) * 24 {
                c.error("policy.expires", format!("a rolling expiry of {span} is a year or more: RFC 9116 asks for less; use \"180 days\""));
            }
            if span.nominal_hours() < 24 * 7 {
                c.warning("policy.expires", format!("a rolling expiry of {span} makes caches of security.txt go stale quickly; \"180 days\" is usual"));
            }
        }
    }
    let mut seen = HashSet::new();
    for (i, tag) in terms.languages.iter().enumerate() {
        let path = format!("policy.languages[{i}]");
        if !is_language_tag(tag) {
            c.error(
                &path,
                format!("\"{tag}\" is not a language tag: write \"en\", \"de\", \"pt-BR\""),
            );
        } else if !seen.insert(tag.to_ascii_lowercase()) {
            c.warning(&path, format!("language \"{tag}\" is listed twice"));
        }
    }
}
