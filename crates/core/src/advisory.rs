//! A security advisory: what the world is told about a fixed vulnerability, in one record from
//! which every format (the HTML page, OSV, CSAF 2.0, CVE JSON 5, Atom) is derived by the
//! `export` modules. The record is checked when built (`Advisory::check`), so exporters can
//! rely on it: ids and versions non-empty, vectors that score, OSV's ecosystems, ranges in
//! order (`versions`).

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::policy::Severity;

/// Longest title, in characters.
pub const TITLE_CHARS_MAX: usize = 200;
/// Longest summary, in characters (OSV asks for one line).
pub const SUMMARY_CHARS_MAX: usize = 300;
/// Largest details text (Markdown), in bytes.
pub const DETAILS_BYTES_MAX: usize = 64 * 1024;
/// Most affected packages, references, credits, CWEs or aliases of one advisory.
pub const ITEMS_MAX: usize = 100;
/// Most ranges or listed versions of one affected package.
pub const RANGES_MAX: usize = 100;

/// How an advisory is identified: the project's prefix, the year, a number (`ACME-2026-0001`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AdvisoryId(String);

impl AdvisoryId {
    /// The id of the `number`th advisory of `year` under `prefix`.
    pub fn new(prefix: &str, year: i16, number: u32) -> AdvisoryId {
        AdvisoryId(format!("{prefix}-{year}-{number:04}"))
    }

    /// Parses an id as written in URLs: letters, digits and dashes, at most 64 characters.
    pub fn parse(text: &str) -> Option<AdvisoryId> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && text.matches('-').count() >= 2;
        ok.then(|| AdvisoryId(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AdvisoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One range of affected versions, as OSV models them: affected from `introduced` (`"0"` for
/// every version before the fix), until `fixed` (excluded) or up to `last_affected` (included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRange {
    /// First affected version; `"0"` for "all versions before".
    pub introduced: String,
    /// First version with the fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// Last affected version, when no fix exists on this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
}

impl VersionRange {
    /// Whether the range is in order: its end (fixed or last affected) does not come before
    /// its start, where both are dotted numbers (other versions are not compared).
    pub fn check_order(&self) -> Result<(), String> {
        use crate::versions::{compare, numeric};
        let end = self.fixed.as_ref().or(self.last_affected.as_ref());
        if let Some(end) = end
            && let (Some(from), Some(to)) = (numeric(&self.introduced), numeric(end))
            && compare(&to, &from) == std::cmp::Ordering::Less
        {
            return Err(format!(
                "{end} comes before the introduced version {}; the range would be empty",
                self.introduced
            ));
        }
        Ok(())
    }
}

/// A package the vulnerability is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// OSV ecosystem name, such as `PyPI`, `npm`, `crates.io`, `Go`.
    pub ecosystem: String,
    /// Package name in that ecosystem.
    pub package: String,
    /// Affected ranges.
    #[serde(default)]
    pub ranges: Vec<VersionRange>,
    /// Affected versions listed one by one (in addition to the ranges).
    #[serde(default)]
    pub versions: Vec<String>,
}

/// What a reference points to (OSV's reference types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReferenceKind {
    /// A published advisory.
    Advisory,
    /// An article or blog post.
    Article,
    /// A way to detect the issue.
    Detection,
    /// A discussion.
    Discussion,
    /// The report.
    Report,
    /// The fix (commit, pull request).
    Fix,
    /// Where the issue was introduced.
    Introduced,
    /// The package.
    Package,
    /// Evidence such as a proof of concept.
    Evidence,
    /// Anything else on the web.
    Web,
}

/// A link with its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// What it is.
    pub kind: ReferenceKind,
    /// Where (https).
    pub url: String,
}

/// The part someone played (OSV's credit types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CreditRole {
    /// Found the vulnerability.
    Finder,
    /// Reported it.
    Reporter,
    /// Analysed it.
    Analyst,
    /// Coordinated the disclosure.
    Coordinator,
    /// Wrote the fix.
    RemediationDeveloper,
    /// Reviewed the fix.
    RemediationReviewer,
    /// Verified the fix.
    RemediationVerifier,
    /// Built a tool that found it.
    Tool,
    /// Sponsored the work.
    Sponsor,
    /// Anything else.
    Other,
}

/// Credit for one person or organisation. `name` is `None` for someone who asked to stay
/// anonymous: no output may show a name for them, and exports say "Anonymous" where a credit
/// needs one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// Who, or `None` for anonymous.
    pub name: Option<String>,
    /// Their part.
    pub role: CreditRole,
    /// Where to reach or find them (URLs or `mailto:`), never for anonymous credits.
    #[serde(default)]
    pub contact: Vec<String>,
}

impl Credit {
    /// The name to show: the given one, or "Anonymous".
    pub fn shown_name(&self) -> &str {
        self.name.as_deref().unwrap_or("Anonymous")
    }
}

/// A security advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// Its id.
    pub id: AdvisoryId,
    /// The project's slug.
    pub project: String,
    /// A short title.
    pub title: String,
    /// One line for feeds and OSV's `summary`.
    pub summary: String,
    /// The full description, Markdown (rendered sanitized).
    pub details: String,
    /// Qualitative severity.
    pub severity: Option<Severity>,
    /// A CVSS v3.1 vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_v3: Option<String>,
    /// A CVSS v4.0 vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_v4: Option<String>,
    /// Weakness ids such as `CWE-79`.
    #[serde(default)]
    pub cwes: Vec<String>,
    /// Affected packages.
    pub affected: Vec<Affected>,
    /// Links.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Credits.
    #[serde(default)]
    pub credits: Vec<Credit>,
    /// Other ids, such as a CVE id once assigned.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// When it was (or will be) published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Timestamp>,
    /// Last change; every edit moves it.
    pub modified: Timestamp,
}

/// What is wrong with an advisory; the text names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryError(pub String);

impl fmt::Display for AdvisoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AdvisoryError {}

fn too_many(what: &str, n: usize) -> Result<(), AdvisoryError> {
    if n > ITEMS_MAX {
        return Err(AdvisoryError(format!("at most {ITEMS_MAX} {what}")));
    }
    Ok(())
}

impl Advisory {
    /// Checks what every export relies on; the error names the field and says what to write
    /// (the first problem of `problems`).
    pub fn check(&self) -> Result<(), AdvisoryError> {
        match self.problems().into_iter().next() {
            Some(first) => Err(first),
            None => Ok(()),
        }
    }

    /// Every problem of the record, each naming its field (`title: ...`,
    /// `affected[1].ranges[0]: ...`), so that a form can show them all at once.
    pub fn problems(&self) -> Vec<AdvisoryError> {
        let mut problems = Vec::new();
        let mut err = |m: String| problems.push(AdvisoryError(m));
        if self.title.trim().is_empty() || self.title.chars().count() > TITLE_CHARS_MAX {
            err(format!("title: write 1 to {TITLE_CHARS_MAX} characters"));
        }
        if self.summary.trim().is_empty()
            || self.summary.chars().count() > SUMMARY_CHARS_MAX
            || self.summary.contains('\n')
        {
            err(format!(
                "summary: write one line of 1 to {SUMMARY_CHARS_MAX} characters"
            ));
        }
        if self.details.len() > DETAILS_BYTES_MAX {
            err(format!("details: at most {} KiB", DETAILS_BYTES_MAX / 1024));
        }
        for (name, vector, prefix) in [
            ("cvss_v3", &self.cvss_v3, "CVSS:3."),
            ("cvss_v4", &self.cvss_v4, "CVSS:4.0/"),
        ] {
            if let Some(v) = vector {
                if !v.starts_with(prefix) {
                    err(format!("{name}: a vector starting {prefix}"));
                } else if let Err(e) = crate::cvss::rate(v) {
                    err(format!("{name}: {e}"));
                }
            }
        }
        let mut count = |what: &str, n: usize| {
            if let Err(AdvisoryError(m)) = too_many(what, n) {
                err(m);
            }
        };
        count("CWE ids", self.cwes.len());
        count("affected packages", self.affected.len());
        count("references", self.references.len());
        count("credits", self.credits.len());
        count("aliases", self.aliases.len());
        if let Some(bad) = self.cwes.iter().find(|c| {
            c.strip_prefix("CWE-")
                .is_none_or(|n| n.is_empty() || !n.chars().all(|d| d.is_ascii_digit()))
        }) {
            err(format!("cwes: {bad:?} is not a CWE id such as CWE-79"));
        }
        if let Some(bad) = self.aliases.iter().find(|a| !is_alias(a)) {
            err(format!(
                "aliases: {bad:?} is not an id such as CVE-2026-12345 or GHSA-xxxx-xxxx-xxxx"
            ));
        }
        if self.affected.is_empty() {
            err("affected: name at least one package".into());
        }
        for (i, a) in self.affected.iter().enumerate() {
            if a.ecosystem.trim().is_empty() || a.package.trim().is_empty() {
                err(format!(
                    "affected[{i}]: give the ecosystem and the package name"
                ));
                continue;
            }
            if let Err(problem) = crate::versions::check_ecosystem(&a.ecosystem) {
                err(format!("affected[{i}]: {problem}"));
                continue;
            }
            if a.ranges.is_empty() && a.versions.is_empty() {
                err(format!(
                    "affected[{i}] ({}): give a version range or versions",
                    a.package
                ));
            }
            if a.ranges.len() > RANGES_MAX || a.versions.len() > RANGES_MAX {
                err(format!(
                    "affected[{i}]: at most {RANGES_MAX} ranges and versions"
                ));
            }
            // A blank listed version is skipped by every export; any other must be a version.
            if let Some(bad) = a
                .versions
                .iter()
                .find(|v| !v.trim().is_empty() && !is_version(v))
            {
                err(format!("affected[{i}]: {}", not_a_version(bad)));
            }
            for (j, r) in a.ranges.iter().enumerate() {
                let problem = if r.introduced.trim().is_empty() {
                    Some(
                        "introduced is empty; write \"0\" for every version before the fix"
                            .to_owned(),
                    )
                } else if r.fixed.is_some() && r.last_affected.is_some() {
                    Some("give fixed or last_affected, not both".to_owned())
                } else if [&r.fixed, &r.last_affected]
                    .into_iter()
                    .flatten()
                    .any(|v| v.trim().is_empty())
                {
                    Some("an empty version".to_owned())
                } else if let Some(bad) = [
                    Some(&r.introduced),
                    r.fixed.as_ref(),
                    r.last_affected.as_ref(),
                ]
                .into_iter()
                .flatten()
                .find(|v| !is_version(v))
                {
                    Some(not_a_version(bad))
                } else {
                    r.check_order().err()
                };
                if let Some(problem) = problem {
                    err(format!("affected[{i}].ranges[{j}]: {problem}"));
                }
            }
        }
        if let Some(r) = self
            .references
            .iter()
            .find(|r| !r.url.starts_with("https://") && !r.url.starts_with("http://"))
        {
            err(format!("references: {:?} is not a web address", r.url));
        }
        if let Some(c) = self
            .credits
            .iter()
            .find(|c| c.name.is_none() && !c.contact.is_empty())
        {
            err(format!(
                "credits: an anonymous {:?} credit cannot have contacts",
                c.role
            ));
        }
        problems
    }
}

/// Whether `text` reads as a vulnerability id: a prefix of letters, a dash, then letters,
/// digits, dashes, dots, colons or underscores (CVE-2026-12345, GHSA-..., PYSEC-2026-1,
/// RUSTSEC-2026-0001, DSA-5555-1); no spaces.
fn is_alias(text: &str) -> bool {
    let Some((prefix, rest)) = text.split_once('-') else {
        return false;
    };
    text.len() <= 100
        && !prefix.is_empty()
        && prefix.chars().all(|c| c.is_ascii_alphabetic())
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_'))
}

/// Whether `text` can be a version of a package: no spaces, at most 100 characters, and at
/// least one digit (what every ecosystem's versions have; `banana` is not one).
fn is_version(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text.len() <= 100
        && !text.chars().any(char::is_whitespace)
        && text.chars().any(|c| c.is_ascii_digit())
}

fn not_a_version(text: &str) -> String {
    format!("{text:?} is not a version (a version has digits, such as 2.4.1, and no spaces)")
}

/// A CVSS vector as the advisory's v3.1 or v4.0 field.
fn by_version(vector: Option<String>) -> (Option<String>, Option<String>) {
    let v3 = vector.clone().filter(|v| v.starts_with("CVSS:3."));
    (v3, vector.filter(|v| v.starts_with("CVSS:4.0/")))
}

/// What a draft is made from: an accepted report and its project's policy.
#[derive(Debug, Clone, Copy)]
pub struct DraftSource<'a> {
    /// The project's policy (products, advisory prefix).
    pub policy: &'a crate::policy::Policy,
    /// The report's fields, as submitted.
    pub fields: &'a [(String, String)],
    /// The name the reporter asked to be credited under; `None` for anonymous.
    pub credit_name: Option<&'a str>,
    /// The report's working state (severity, CVSS, fix versions).
    pub case: &'a crate::case::Case,
}

/// A draft advisory from an accepted report, for the team to edit before publishing: title
/// and description from the report, severity and CVSS from triage, the policy's first package
/// as affected up to the first fix version, and the reporter's credit (anonymous unless they
/// gave a name). The error says what the policy or report lacks.
pub fn draft_from_report(
    source: DraftSource<'_>,
    id: AdvisoryId,
    now: Timestamp,
) -> Result<Advisory, AdvisoryError> {
    let field = |key: &str| {
        source
            .fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let product = source
        .policy
        .products
        .iter()
        .find_map(|p| Some((p.ecosystem.clone()?, p.package.clone()?)))
        .ok_or_else(|| {
            AdvisoryError(
                "the policy names no product with an ecosystem and a package; add one to [[products]]".into(),
            )
        })?;
    let title: String = field("title")
        .unwrap_or_else(|| format!("Vulnerability in {}", source.policy.project.name))
        .chars()
        .take(TITLE_CHARS_MAX)
        .collect();
    let summary: String = title
        .replace('\n', " ")
        .chars()
        .take(SUMMARY_CHARS_MAX)
        .collect();
    let record = &source.case.record;
    let mut details = field("description").unwrap_or_default();
    if record.fix_versions.len() > 1 {
        details.push_str(&format!("\n\nFixed in {}.", record.fix_versions.join(", ")));
    }
    let (cvss_v3, cvss_v4) = by_version(record.cvss_vector.clone());
    let advisory = Advisory {
        id,
        project: source.policy.project.slug.clone(),
        title,
        summary,
        details: details.chars().take(DETAILS_BYTES_MAX / 4).collect(),
        severity: source.case.severity,
        cvss_v3,
        cvss_v4,
        cwes: Vec::new(),
        affected: vec![Affected {
            ecosystem: product.0,
            package: product.1,
            ranges: vec![VersionRange {
                introduced: "0".into(),
                fixed: record.fix_versions.first().cloned(),
                last_affected: None,
            }],
            versions: Vec::new(),
        }],
        references: Vec::new(),
        credits: vec![Credit {
            name: source.credit_name.map(str::to_owned),
            role: CreditRole::Finder,
            contact: Vec::new(),
        }],
        aliases: Vec::new(),
        published: None,
        modified: now,
    };
    advisory.check()?;
    Ok(advisory)
}

/// What a draft from a finding is made from: the project ships a dependency with a known
/// vulnerability, found by a scanner in one of its products.
#[derive(Debug, Clone, Copy)]
pub struct FindingSource<'a> {
    /// The project's policy (products, name).
    pub policy: &'a crate::policy::Policy,
    /// The finding.
    pub finding: &'a crate::scan::Finding,
    /// The product it was found in, as imported.
    pub product: &'a str,
    /// The version or ref scanned.
    pub version: &'a str,
}

/// A draft advisory about the project's own product when it ships a vulnerable dependency:
/// the policy's product (the one named like the scanned product, else the first with an
/// ecosystem and a package) affected, the scanned version listed when it is a version, the
/// finding's severity and CVSS, its link as a reference. The dependency's own id is named in
/// the text, not as an alias: this advisory is about the product, a different thing from the
/// dependency's. Only a dependency's vulnerability is drafted from.
pub fn draft_from_finding(
    source: FindingSource<'_>,
    id: AdvisoryId,
    now: Timestamp,
) -> Result<Advisory, AdvisoryError> {
    let f = source.finding;
    if f.kind != crate::scan::FindingKind::Dependency || f.package.trim().is_empty() {
        return Err(AdvisoryError(format!(
            "an advisory is drafted from a vulnerable dependency the project ships; this finding is a {}",
            f.kind.name()
        )));
    }
    let products = || {
        source
            .policy
            .products
            .iter()
            .filter_map(|p| Some((p, p.ecosystem.clone()?, p.package.clone()?)))
    };
    let (_, ecosystem, package) = products()
        .find(|(p, _, package)| {
            p.name.eq_ignore_ascii_case(source.product) || package.eq_ignore_ascii_case(source.product)
        })
        .or_else(|| products().next())
        .ok_or_else(|| {
            AdvisoryError(
                "the policy names no product with an ecosystem and a package; add one to [[products]]".into(),
            )
        })?;
    let project = &source.policy.project.name;
    let title: String = format!("{} in {} shipped with {project}", f.vuln_id, f.package)
        .chars()
        .take(TITLE_CHARS_MAX)
        .collect();
    let summary: String = format!(
        "{project} {} ships {} {}, affected by {}",
        source.version, f.package, f.installed_version, f.vuln_id
    )
    .replace('\n', " ")
    .chars()
    .take(SUMMARY_CHARS_MAX)
    .collect();
    let mut details = format!(
        "{project} ({} {}) ships {} {}{}, which is affected by {}",
        source.product,
        source.version,
        f.package,
        f.installed_version,
        if f.ecosystem.is_empty() {
            String::new()
        } else {
            format!(" ({})", f.ecosystem)
        },
        f.vuln_id
    );
    if !f.aliases.is_empty() {
        details.push_str(&format!(" (also known as {})", f.aliases.join(", ")));
    }
    details.push('.');
    if !f.title.is_empty() {
        details.push_str(&format!("\n\n{}", f.title));
    }
    if !f.fixed_versions.is_empty() {
        details.push_str(&format!(
            "\n\nThe dependency is fixed in {}; a release of {project} that ships it is fixed.",
            f.fixed_versions
        ));
    }
    let (cvss_v3, cvss_v4) = by_version(f.cvss.as_ref().map(|(v, _)| v.clone()));
    let references = if f.url.starts_with("https://") {
        vec![Reference {
            kind: ReferenceKind::Advisory,
            url: f.url.clone(),
        }]
    } else {
        Vec::new()
    };
    let advisory = Advisory {
        id,
        project: source.policy.project.slug.clone(),
        title,
        summary,
        details: details.chars().take(DETAILS_BYTES_MAX / 4).collect(),
        severity: f.severity.policy(),
        cvss_v3,
        cvss_v4,
        cwes: Vec::new(),
        affected: vec![Affected {
            ecosystem,
            package,
            ranges: vec![VersionRange {
                introduced: "0".into(),
                fixed: None,
                last_affected: None,
            }],
            versions: if is_version(source.version) {
                vec![source.version.trim().trim_start_matches('v').to_owned()]
            } else {
                Vec::new()
            },
        }],
        references,
        credits: Vec::new(),
        aliases: Vec::new(),
        published: None,
        modified: now,
    };
    advisory.check()?;
    Ok(advisory)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An advisory with every field used, for the export tests.
    pub fn full() -> Advisory {
        Advisory {
            id: AdvisoryId::new("ACME", 2026, 7),
            project: "acme-widgets".into(),
            title: "Path traversal in the file download endpoint".into(),
            summary: "Path traversal in acme-widgets lets remote users read any file".into(),
            details: "The `name` parameter of `/api/v1/files` was joined to the storage directory without normalisation.\n\nUpgrade to 2.4.1 or 1.9.8.".into(),
            severity: Some(Severity::High),
            cvss_v3: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into()),
            cvss_v4: Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N".into()),
            cwes: vec!["CWE-22".into()],
            affected: vec![Affected {
                ecosystem: "PyPI".into(),
                package: "acme-widgets".into(),
                ranges: vec![
                    VersionRange { introduced: "2.0.0".into(), fixed: Some("2.4.1".into()), last_affected: None },
                    VersionRange { introduced: "0".into(), fixed: Some("1.9.8".into()), last_affected: None },
                ],
                versions: Vec::new(),
            }],
            references: vec![Reference { kind: ReferenceKind::Fix, url: "https://github.com/acme/widgets/commit/abc123".into() }],
            credits: vec![
                Credit { name: Some("Ada Lovelace".into()), role: CreditRole::Finder, contact: vec!["https://ada.example.org".into()] },
                Credit { name: None, role: CreditRole::Reporter, contact: Vec::new() },
            ],
            aliases: vec!["CVE-2026-12345".into()],
            published: Some("2026-11-20T10:00:00Z".parse().unwrap()),
            modified: "2026-11-21T08:30:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_full_advisory_checks_and_problems_name_their_field() {
        full().check().unwrap();
        let mut a = full();
        a.summary = "two\nlines".into();
        assert!(a.check().unwrap_err().0.starts_with("summary:"));
        let mut a = full();
        a.cwes = vec!["79".into()];
        assert_eq!(
            a.check().unwrap_err().0,
            "cwes: \"79\" is not a CWE id such as CWE-79"
        );
        let mut a = full();
        a.affected[0].ranges[0].last_affected = Some("2.4.0".into());
        assert!(
            a.check()
                .unwrap_err()
                .0
                .contains("fixed or last_affected, not both")
        );
        let mut a = full();
        a.cvss_v4 = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into());
        assert!(a.check().unwrap_err().0.starts_with("cvss_v4:"));
        let mut a = full();
        a.credits[1].contact = vec!["mailto:x@example.org".into()];
        assert!(a.check().unwrap_err().0.contains("anonymous"));
        assert_eq!(
            AdvisoryId::parse("ACME-2026-0007"),
            Some(AdvisoryId::new("ACME", 2026, 7))
        );
        assert_eq!(AdvisoryId::parse("../etc"), None);
    }

    #[test]
    fn every_problem_is_found_at_once_and_aliases_and_versions_are_checked() {
        let mut a = full();
        a.title = String::new();
        a.aliases = vec!["CVE-2026-1234".into(), "not an id".into()];
        a.affected[0].ranges[0].fixed = Some("banana".into());
        let problems: Vec<String> = a.problems().into_iter().map(|p| p.0).collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("title:"), "{problems:?}");
        assert_eq!(
            problems[1],
            "aliases: \"not an id\" is not an id such as CVE-2026-12345 or GHSA-xxxx-xxxx-xxxx"
        );
        assert!(
            problems[2].starts_with("affected[0].ranges[0]: \"banana\" is not a version"),
            "{problems:?}"
        );
        for good in [
            "CVE-2026-12345",
            "GHSA-abcd-1234-wxyz",
            "PYSEC-2026-17",
            "RUSTSEC-2026-0001",
            "DSA-5555-1",
        ] {
            assert!(is_alias(good), "{good}");
        }
        for bad in [
            "not an id",
            "CVE",
            "-2026",
            "CVE-",
            "2026-1234",
            "CVE-2026 1",
        ] {
            assert!(!is_alias(bad), "{bad}");
        }
        for good in ["0", "2.4.1", "1:2.3-4", "v1.2.0", "3.0.0a1", "2026.11.30"] {
            assert!(is_version(good), "{good}");
        }
        for bad in ["banana", "", "2.4 .1", "latest"] {
            assert!(!is_version(bad), "{bad}");
        }
    }

    #[test]
    fn a_draft_comes_from_the_report_and_the_policy() {
        let text = "[project]\nname = \"Acme\"\nadvisory_prefix = \"ACME\"\n\n[[products]]\nname = \"acme\"\necosystem = \"PyPI\"\npackage = \"acme\"\n\n[[channels]]\nkind = \"web-form\"\n";
        let policy = crate::policy::parse_str(text, "2026-01-01T00:00:00Z".parse().unwrap())
            .policy
            .unwrap();
        let now: Timestamp = "2026-11-27T00:00:00Z".parse().unwrap();
        let mut case = crate::case::Case::received(&policy, now);
        case.severity = Some(Severity::High);
        case.record.cvss_vector = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into());
        case.record.fix_versions = vec!["2.4.1".into(), "1.9.8".into()];
        let fields = vec![
            ("title".to_owned(), "SSRF via webhook_url".to_owned()),
            (
                "description".to_owned(),
                "The server fetches any URL.".to_owned(),
            ),
        ];
        let source = DraftSource {
            policy: &policy,
            fields: &fields,
            credit_name: None,
            case: &case,
        };
        let draft = draft_from_report(source, AdvisoryId::new("ACME", 2026, 1), now).unwrap();
        assert_eq!(draft.title, "SSRF via webhook_url");
        assert_eq!(draft.affected[0].ranges[0].fixed.as_deref(), Some("2.4.1"));
        assert!(draft.details.ends_with("Fixed in 2.4.1, 1.9.8."));
        assert_eq!(
            draft.credits[0].name, None,
            "no credit name given: anonymous"
        );
        assert_eq!(draft.cvss_v3.as_deref(), case.record.cvss_vector.as_deref());
        let named = DraftSource {
            credit_name: Some("Ada"),
            ..source
        };
        let draft = draft_from_report(named, AdvisoryId::new("ACME", 2026, 1), now).unwrap();
        assert_eq!(draft.credits[0].shown_name(), "Ada");
        let bare = crate::policy::parse_str(
            "[project]\nname = \"Bare\"\n\n[[channels]]\nkind = \"web-form\"\n",
            now,
        )
        .policy
        .unwrap();
        let error = draft_from_report(
            DraftSource {
                policy: &bare,
                ..source
            },
            AdvisoryId::new("B", 2026, 1),
            now,
        )
        .unwrap_err();
        assert!(error.0.contains("[[products]]"), "{error}");
    }
}
