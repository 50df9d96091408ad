//! The advisories the advisory benchmark publishes, shared with the OpenPGP benchmark (which
//! signs and hashes their CSAF documents): varied severities, ecosystems, ranges and credits.

#![allow(dead_code)]

use jiff::{SignedDuration, Timestamp};
use postern_core::advisory::{
    Advisory, AdvisoryId, Affected, Credit, CreditRole, Reference, VersionRange,
};
use postern_core::policy::Severity;

/// Projects (slug, advisory prefix, share in percent).
pub const PROJECTS: [(&str, &str); 3] = [("acme", "ACME"), ("openchat", "OC"), ("linly", "LT")];

/// The n-th advisory: varied severities, ecosystems, ranges, credits (some anonymous).
pub fn advisory(n: usize, published: Timestamp) -> Advisory {
    let (slug, prefix) = PROJECTS[match n % 10 {
        0..=6 => 0,
        7 | 8 => 1,
        _ => 2,
    }];
    let year = published.to_zoned(jiff::tz::TimeZone::UTC).year();
    let severity = [
        Severity::Low,
        Severity::Medium,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ][n % 5];
    let kinds = [
        ("path traversal", "CWE-22"),
        ("stored XSS", "CWE-79"),
        ("SQL injection", "CWE-89"),
        ("SSRF", "CWE-918"),
        ("missing authorization", "CWE-862"),
    ];
    let (kind, cwe) = kinds[(n / 5) % kinds.len()];
    let ecosystems = [
        ("npm", "acme-widgets"),
        ("PyPI", "acme"),
        ("crates.io", "acme-core"),
    ];
    let (ecosystem, package) = ecosystems[n % ecosystems.len()];
    let minor = n % 40;
    Advisory {
        id: AdvisoryId::new(prefix, year, n as u32 + 1),
        project: slug.into(),
        title: format!("{kind} in the {package} request handler"),
        summary: format!("A {kind} lets a remote attacker reach data of other users ({n})"),
        details: format!(
            "## Impact\n\nThe handler passes the `id` parameter unchecked. A **{kind}** follows.\n\n\
             ## Patches\n\nUpgrade to 2.{minor}.1 or later.\n\n## Workarounds\n\nNone."
        ),
        severity: Some(severity),
        cvss_v3: Some(
            match severity {
                Severity::Critical => "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                Severity::High => "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N",
                Severity::Medium => "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
                Severity::Low => "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N",
            }
            .into(),
        ),
        cvss_v4: None,
        cwes: vec![cwe.into()],
        affected: vec![Affected {
            ecosystem: ecosystem.into(),
            package: package.into(),
            ranges: vec![
                VersionRange {
                    introduced: "0".into(),
                    fixed: Some(format!("1.{minor}.9")),
                    last_affected: None,
                },
                VersionRange {
                    introduced: format!("2.{minor}.0"),
                    fixed: Some(format!("2.{minor}.1")),
                    last_affected: None,
                },
            ],
            versions: Vec::new(),
        }],
        references: vec![Reference {
            kind: postern_core::advisory::ReferenceKind::Fix,
            url: format!("https://github.com/acme/{package}/commit/{n:040x}"),
        }],
        credits: vec![Credit {
            name: (!n.is_multiple_of(3)).then(|| format!("Researcher {}", n % 700)),
            role: CreditRole::Finder,
            contact: Vec::new(),
        }],
        aliases: if n.is_multiple_of(4) {
            vec![format!("CVE-{year}-{}", 40_000 + n)]
        } else {
            Vec::new()
        },
        published: None,
        modified: published,
    }
}

/// When the n-th of `count` advisories was published: evenly over three years up to `now`.
pub fn published_at(n: usize, count: usize, now: Timestamp) -> Timestamp {
    let history = SignedDuration::from_hours(3 * 365 * 24).as_millis() as i64;
    now - SignedDuration::from_millis(history * (count - n) as i64 / count as i64)
}

/// A count given on the command line (`10_000` reads as 10000).
pub fn count(value: Option<String>, option: &str) -> anyhow::Result<usize> {
    use anyhow::Context as _;
    Ok(value
        .with_context(|| format!("{option} N"))?
        .replace('_', "")
        .parse()?)
}
