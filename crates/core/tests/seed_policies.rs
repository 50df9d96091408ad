//! The three real SECURITY.md files in ../shared/policies, rewritten as Postern policies under
//! examples/policies, keep every promise: facts are read from each original and looked for,
//! promise by promise, in the SECURITY.md that Postern renders from the policy.

use std::path::PathBuf;

use jiff::Timestamp;
use postern_core::policy::{Policy, Severity, TimeSpan, Unit, parse};
use postern_core::render::{RenderContext, security_md, security_txt};

fn now() -> Timestamp {
    "2026-11-23T00:00:00Z".parse().unwrap()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Seed {
    name: &'static str,
    original: String,
    policy: Policy,
    markdown: String,
    security_txt: String,
}

/// Loads a seed, or `None` (with a visible note) where ../shared is not beside the checkout.
fn seed(name: &'static str) -> Option<Seed> {
    let original_path = root().join(format!("../shared/policies/{name}.SECURITY.md"));
    let Ok(original) = std::fs::read_to_string(&original_path) else {
        skip_notice(format_args!(
            "skipping {name}: {} not found (../shared is absent)",
            original_path.display()
        ));
        return None;
    };
    let bytes = std::fs::read(root().join(format!("examples/policies/{name}.toml"))).unwrap();
    let checked = parse(&bytes, now());
    let policy = checked
        .policy
        .unwrap_or_else(|| panic!("{name}.toml has errors: {:#?}", checked.diagnostics));
    let ctx = RenderContext::offline(now());
    Some(Seed {
        name,
        markdown: security_md(&policy, &ctx),
        security_txt: security_txt(&policy, &ctx),
        original,
        policy,
    })
}

/// Email addresses in a text, by a plain scan.
fn emails(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || "@.-_".contains(c)))
        .filter(|w| w.contains('@') && w.rsplit('@').next().is_some_and(|d| d.contains('.')))
        .map(|w| w.trim_matches('.').to_owned())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Every "within N unit" promise in a text, normalised to the renderer's words.
fn within_promises(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if *w != "within" || i + 2 >= words.len() {
            continue;
        }
        let Ok(amount) = words[i + 1].trim_matches('*').parse::<u32>() else {
            continue;
        };
        let unit = words[i + 2].trim_matches(|c: char| !c.is_alphabetic());
        let unit = match unit {
            "hour" | "hours" => "hour",
            "day" | "days" => "day",
            "week" | "weeks" => "week",
            "business" => "business day",
            _ => continue,
        };
        let plural = if amount == 1 { "" } else { "s" };
        found.push(format!("within {amount} {unit}{plural}"));
    }
    found
}

/// Rows of the first Markdown table after a heading: (first cell, second cell).
fn table_after(text: &str, heading: &str) -> Vec<(String, String)> {
    let start = text.find(heading).expect("heading present");
    text[start..]
        .lines()
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_owned(), cells[2].to_owned())
        })
        .collect()
}

/// Bold labels of the bullets under a heading, up to the next heading.
fn bullet_labels(text: &str, heading: &str) -> Vec<String> {
    let start = text.find(heading).expect("heading present") + heading.len();
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .filter_map(|l| l.trim().strip_prefix("- **"))
        .filter_map(|l| {
            l.split_once("**")
                .map(|(label, _)| label.trim_end_matches(':').to_owned())
        })
        .collect()
}

#[track_caller]
fn assert_has(seed: &Seed, needle: &str) {
    assert!(
        seed.markdown
            .to_lowercase()
            .contains(&needle.to_lowercase()),
        "{}: rendered SECURITY.md lacks `{needle}`:\n{}",
        seed.name,
        seed.markdown
    );
}

fn span(amount: u32, unit: Unit) -> TimeSpan {
    TimeSpan { amount, unit }
}

#[test]
fn every_email_of_every_original_is_a_contact() {
    for name in ["linly-talker", "openchat", "openinteractions"] {
        let Some(seed) = seed(name) else { continue };
        let addresses = emails(&seed.original);
        assert!(!addresses.is_empty(), "{name}: the scan found no address");
        for address in addresses {
            assert_has(&seed, &format!("[{address}](mailto:{address})"));
            assert!(
                seed.security_txt
                    .contains(&format!("Contact: mailto:{address}\n")),
                "{name}: security.txt lacks {address}:\n{}",
                seed.security_txt
            );
        }
        assert_eq!(
            seed.security_txt.matches("\nExpires: ").count(),
            1,
            "{name}"
        );
    }
}

#[test]
fn every_response_time_of_every_original_is_promised() {
    for name in ["linly-talker", "openchat", "openinteractions"] {
        let Some(seed) = seed(name) else { continue };
        let promises = within_promises(&seed.original);
        assert!(
            !promises.is_empty(),
            "{name}: the scan found no time promise"
        );
        for promise in promises {
            let in_targets = seed.markdown.contains(&promise);
            // Severity deadlines are rendered as a table: "within 7 days" becomes "| 7 days |".
            let in_table = seed
                .markdown
                .contains(&format!("| {} |", promise.trim_start_matches("within ")));
            assert!(
                in_targets || in_table,
                "{name}: `{promise}` is missing:\n{}",
                seed.markdown
            );
        }
    }
}

#[test]
fn supported_versions_tables_are_kept_row_by_row() {
    for name in ["linly-talker", "openinteractions"] {
        let Some(seed) = seed(name) else { continue };
        let original = table_after(&seed.original, "## Supported Versions");
        let rendered = table_after(&seed.markdown, "## Supported Versions");
        assert_eq!(original.len(), rendered.len(), "{name}: {rendered:?}");
        for ((version, mark), (r_version, r_mark)) in original.iter().zip(&rendered) {
            assert_eq!(version, r_version, "{name}");
            let supported = mark.contains("white_check_mark") || mark.contains("Yes");
            assert_eq!(
                r_mark,
                if supported { "✅ Yes" } else { "❌ No" },
                "{name} {version}"
            );
        }
    }
    // OpenChat states its support in prose.
    if let Some(seed) = seed("openchat") {
        let rows = &seed.policy.supported_versions;
        assert!(rows[0].supported && rows[0].versions.contains("Latest stable"));
        assert!(!rows[1].supported);
        assert_has(&seed, "might not receive immediate attention");
    }
}

#[test]
fn linly_talker_keeps_its_promises() {
    let Some(seed) = seed("linly-talker") else {
        return;
    };
    let response = &seed.policy.response;
    assert_eq!(
        response.acknowledge.as_ref().unwrap().time().unwrap().limit,
        span(48, Unit::Hours)
    );
    assert_eq!(
        response.assess.as_ref().unwrap().time().unwrap().limit,
        span(48, Unit::Hours)
    );
    for phrase in [
        "Acknowledge receipt of your report within 48 hours",
        "Give an initial assessment within 48 hours",
        "Provide regular updates on our progress",
        "Do not disclose the vulnerability publicly",
        "we publish a security advisory with the details, affected versions and the fix, in: the repository, if the issue impacts users",
        "Develop and test a patch, and notify you about the status",
        "detailed description of the vulnerability, steps to reproduce it, and potential impact",
        "pip-audit",
        "Trivy and Dependabot",
        "Least Privilege Principle",
        "| Latest (main) | ✅ Yes |",
    ] {
        assert_has(&seed, phrase);
    }
    assert!(
        !seed.markdown.contains("## Credit"),
        "the original promises no credit"
    );
}

#[test]
fn openchat_keeps_its_promises() {
    let Some(seed) = seed("openchat") else { return };
    assert_eq!(
        seed.policy
            .response
            .acknowledge
            .as_ref()
            .unwrap()
            .time()
            .unwrap()
            .limit,
        span(1, Unit::BusinessDays)
    );
    for phrase in [
        "Acknowledge receipt of your report within 1 business day",
        "**Issue tracker**: our issue tracker",
        "Provide an estimated timeline for a response",
        "Develop a plan to resolve the vulnerability",
        "release a patch or update",
        "Provide you with feedback and credit (if requested)",
        "we will credit you for your contribution",
        "If you prefer to remain anonymous",
        "do not publicly disclose any vulnerabilities",
        "Code of Conduct",
        "two-factor authentication",
        "Business days are Monday to Friday",
    ] {
        assert_has(&seed, phrase);
    }
}

#[test]
fn openinteractions_keeps_its_promises() {
    let Some(seed) = seed("openinteractions") else {
        return;
    };
    let policy = &seed.policy;
    assert_eq!(
        policy
            .response
            .acknowledge
            .as_ref()
            .unwrap()
            .time()
            .unwrap()
            .limit,
        span(24, Unit::Hours)
    );
    assert_eq!(
        policy
            .response
            .assess
            .as_ref()
            .unwrap()
            .time()
            .unwrap()
            .limit,
        span(48, Unit::Hours)
    );
    assert_eq!(
        policy.response.plan.as_ref().unwrap().time().unwrap().limit,
        span(1, Unit::Weeks)
    );
    let expected = [
        (Severity::Critical, 7),
        (Severity::High, 14),
        (Severity::Medium, 30),
        (Severity::Low, 60),
    ];
    for (severity, days) in expected {
        let row = policy
            .severity
            .iter()
            .find(|s| s.severity == severity)
            .unwrap();
        assert_eq!(
            row.fix.as_ref().unwrap().time().unwrap().limit,
            span(days, Unit::Days),
            "{severity:?}"
        );
        assert_eq!(
            row.disclose.as_ref().unwrap().time().unwrap().limit,
            span(days, Unit::Days),
            "{severity:?}"
        );
        assert_has(
            &seed,
            &format!("| {} | {days} days | {days} days |", severity.title()),
        );
    }
    // The report template: every field the original asks for, and its example report.
    for label in bullet_labels(&seed.original, "### What to Include in Your Report") {
        assert_has(&seed, &format!("- **{label}** ("));
    }
    assert_has(
        &seed,
        "Subject: Security Vulnerability Report - [Brief Description]",
    );
    // Channels, credit, early access.
    for phrase in [
        "**Email (preferred)**",
        "**Discord**: <https://discord.gg/3U6Qy6nz> (contact moderators in our Discord server for urgent issues)",
        "GitHub Security Advisories at <https://github.com/OpenInteractions/OpenInteractions/security/advisories>",
        "In our security advisories",
        "In our security hall of fame",
        "If you prefer to remain anonymous",
        "early access to security updates for reporters",
        "Please DO NOT create a public GitHub issue",
        "Keep researchers updated on progress",
        "audit logging",
    ] {
        assert_has(&seed, phrase);
    }
    // Every update channel the original lists.
    for label in bullet_labels(&seed.original, "### Update Channels") {
        assert_has(&seed, &format!("- {label}:"));
    }
}

/// Says that a test skipped part of its work, on the terminal even when the harness captures
/// test output (a direct write to stderr is not captured).
fn skip_notice(message: std::fmt::Arguments) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "NOTE: {message}");
}
