//! Scanner reports read into findings: Trivy, pip-audit, cargo-audit, osv-scanner, npm audit,
//! GitHub's Dependabot alerts and SARIF 2.1.0, told apart by their content.
//!
//! Pure: bytes in, a `ScanReport` (or a located `ScanError`) out. Each format is read with
//! typed serde structures that borrow from the input and skip what Postern does not keep
//! (descriptions, references, code snippets), so a 15,000-finding report is read without
//! building a generic JSON tree. A finding's identity (`Finding::key`) is what makes a
//! re-import idempotent: the same report read twice gives the same keys.

mod formats;
mod policy;
mod reconcile;

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use sha2::{Digest, Sha256};

use crate::policy::Severity;

pub use policy::{
    Support, fix_clock, fix_due, fix_reminder, next_fix_reminder, risk_expiry, support,
};
pub use reconcile::{Existing, FindingState, Plan, reconcile};

/// Largest report accepted, in bytes (the API's body limit is the same).
pub const REPORT_BYTES_MAX: usize = 128 * 1024 * 1024;
/// Most findings one report may hold (after duplicates are merged).
pub const FINDINGS_MAX: usize = 100_000;
/// Most warnings kept for one import; the rest are counted.
pub const WARNINGS_MAX: usize = 50;
/// Longest text kept of a finding's title, in characters.
pub const TITLE_CHARS_MAX: usize = 300;
/// Longest id, package, version, target or location kept, in characters.
pub const FIELD_CHARS_MAX: usize = 500;

/// Which scanner wrote a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Trivy `--format json` with `SchemaVersion: 2` (images, filesystems, repositories).
    Trivy,
    /// Trivy's Kubernetes report (`ClusterName`, resources with results).
    TrivyKubernetes,
    /// Trivy's legacy list of results (before schema version 2).
    TrivyLegacy,
    /// pip-audit `-f json`, the object with `dependencies` (2.x).
    PipAudit,
    /// pip-audit's old layout: a list of dependencies.
    PipAuditLegacy,
    /// cargo-audit `--json`.
    CargoAudit,
    /// osv-scanner `--format json`.
    OsvScanner,
    /// npm audit `--json`, npm 7 and later (`auditReportVersion: 2`).
    NpmAudit,
    /// GitHub's GraphQL `vulnerabilityAlerts` (Dependabot alerts).
    Dependabot,
    /// SARIF 2.1.0 (code scanning).
    Sarif,
    /// An empty report (no bytes, `null` or `[]`): valid, and it closes what is gone.
    Empty,
}

impl Format {
    /// The name shown to people and stored with an import.
    pub fn name(self) -> &'static str {
        match self {
            Format::Trivy => "trivy",
            Format::TrivyKubernetes => "trivy-kubernetes",
            Format::TrivyLegacy => "trivy-legacy",
            Format::PipAudit => "pip-audit",
            Format::PipAuditLegacy => "pip-audit-legacy",
            Format::CargoAudit => "cargo-audit",
            Format::OsvScanner => "osv-scanner",
            Format::NpmAudit => "npm-audit",
            Format::Dependabot => "dependabot",
            Format::Sarif => "sarif",
            Format::Empty => "empty",
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// A known vulnerability in a dependency or a system package.
    Dependency,
    /// A misconfiguration (Dockerfile, Kubernetes, IaC).
    Misconfiguration,
    /// A secret found in files (only the rule and place are kept, never the match).
    Secret,
    /// A code scanner's result (SARIF).
    Code,
}

impl FindingKind {
    /// Every kind.
    pub const ALL: [FindingKind; 4] = [
        FindingKind::Dependency,
        FindingKind::Misconfiguration,
        FindingKind::Secret,
        FindingKind::Code,
    ];

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Dependency => "dependency",
            FindingKind::Misconfiguration => "misconfiguration",
            FindingKind::Secret => "secret",
            FindingKind::Code => "code",
        }
    }

    /// The kind with this stored name.
    pub fn parse(name: &str) -> Option<FindingKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A finding's severity as the scanner gave it: the policy's four levels, or `Unknown` for what
/// scanners call negligible, unknown or informational.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingSeverity {
    /// Critical.
    Critical,
    /// High.
    High,
    /// Medium (npm's and GitHub's "moderate").
    Medium,
    /// Low.
    Low,
    /// Unknown, negligible or informational: no policy deadline.
    Unknown,
}

impl FindingSeverity {
    /// From most to least severe.
    pub const ALL: [FindingSeverity; 5] = [
        FindingSeverity::Critical,
        FindingSeverity::High,
        FindingSeverity::Medium,
        FindingSeverity::Low,
        FindingSeverity::Unknown,
    ];

    /// The stored (and command-line) name.
    pub fn name(self) -> &'static str {
        match self {
            FindingSeverity::Critical => "critical",
            FindingSeverity::High => "high",
            FindingSeverity::Medium => "medium",
            FindingSeverity::Low => "low",
            FindingSeverity::Unknown => "unknown",
        }
    }

    /// The severity with this stored name.
    pub fn parse(name: &str) -> Option<FindingSeverity> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// A scanner's word for a severity, in any case: critical, high, medium/moderate, low;
    /// anything else (unknown, negligible, info, none) is `Unknown`.
    pub fn from_word(word: &str) -> FindingSeverity {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => FindingSeverity::Critical,
            "high" | "error" => FindingSeverity::High,
            "medium" | "moderate" | "warning" => FindingSeverity::Medium,
            "low" | "note" => FindingSeverity::Low,
            _ => FindingSeverity::Unknown,
        }
    }

    /// From a CVSS base score (CVSS's own bands; 0.0 is `Unknown`).
    pub fn from_score(score: f64) -> FindingSeverity {
        if score >= 9.0 {
            FindingSeverity::Critical
        } else if score >= 7.0 {
            FindingSeverity::High
        } else if score >= 4.0 {
            FindingSeverity::Medium
        } else if score > 0.0 {
            FindingSeverity::Low
        } else {
            FindingSeverity::Unknown
        }
    }

    /// The policy's severity whose deadlines apply; `None` for `Unknown`.
    pub fn policy(self) -> Option<Severity> {
        match self {
            FindingSeverity::Critical => Some(Severity::Critical),
            FindingSeverity::High => Some(Severity::High),
            FindingSeverity::Medium => Some(Severity::Medium),
            FindingSeverity::Low => Some(Severity::Low),
            FindingSeverity::Unknown => None,
        }
    }
}

/// One finding of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What it is about.
    pub kind: FindingKind,
    /// What was scanned inside the product: an image, a lockfile, a manifest, a resource, a
    /// tool (SARIF).
    pub target: String,
    /// The package (dependencies), else empty.
    pub package: String,
    /// The package's ecosystem or type (npm, pip, debian, ...), else empty.
    pub ecosystem: String,
    /// The version installed, where the scanner says.
    pub installed_version: String,
    /// Versions that fix it, as the scanner lists them (comma-separated), else empty.
    pub fixed_versions: String,
    /// The vulnerability or rule id (CVE-..., GHSA-..., RUSTSEC-..., a rule id).
    pub vuln_id: String,
    /// Other ids of the same vulnerability.
    pub aliases: Vec<String>,
    /// One line saying what it is.
    pub title: String,
    /// The severity the scanner gave (or its CVSS score's band).
    pub severity: FindingSeverity,
    /// A CVSS v3.x or v4.0 vector that parses, with its base score.
    pub cvss: Option<(String, f64)>,
    /// Where: a file and line, a package path, a resource; else empty.
    pub location: String,
    /// A link to read more, else empty.
    pub url: String,
}

impl Finding {
    /// The finding's identity within a product: SHA-256 (hex) of its kind, target, package,
    /// vulnerability id and location. The installed version is not part of it, so a finding
    /// still there after an upgrade that did not fix it stays the same finding.
    pub fn key(&self) -> String {
        let mut hash = Sha256::new();
        for part in [
            self.kind.name(),
            &self.target,
            &self.package,
            &self.vuln_id,
            &self.location,
        ] {
            hash.update(part.as_bytes());
            hash.update([0u8]);
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = hash.finalize();
        let mut out = String::with_capacity(64);
        for byte in digest.iter() {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        out
    }
}

/// A report read: its format, its findings (duplicates merged), and what was noticed on the
/// way.
#[derive(Debug, Clone)]
pub struct ScanReport {
    /// Which scanner wrote it.
    pub format: Format,
    /// The findings, in the report's order, each key once.
    pub findings: Vec<Finding>,
    /// What was noticed (duplicates merged, vectors that did not parse, entries skipped), at
    /// most `WARNINGS_MAX`, then one line counting the rest.
    pub warnings: Vec<String>,
}

/// Why a report could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// Over `REPORT_BYTES_MAX`.
    #[error("the report is {bytes} bytes; at most {max} bytes are accepted", max = REPORT_BYTES_MAX)]
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// Not JSON, or JSON cut short; the text says where.
    #[error("{0}")]
    Json(String),
    /// JSON of no format Postern reads; the text says what was recognised.
    #[error("{0}")]
    UnknownFormat(String),
    /// The format was recognised but a part of it has the wrong shape; the text says where.
    #[error("{0}")]
    Shape(String),
    /// More findings than `FINDINGS_MAX`.
    #[error("the report holds more than {max} findings; split it by target", max = FINDINGS_MAX)]
    TooManyFindings,
}

/// Collects findings and warnings while a format is read.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    findings: Vec<Finding>,
    index: HashMap<String, usize>,
    warnings: Vec<String>,
    warnings_dropped: usize,
    duplicates: usize,
    vectors: HashMap<String, Option<f64>>,
}

impl Collector {
    pub(crate) fn warn(&mut self, warning: String) {
        if self.warnings.len() < WARNINGS_MAX {
            self.warnings.push(warning);
        } else {
            self.warnings_dropped += 1;
        }
    }

    /// A CVSS vector's score, or a warning naming the finding when it does not parse (v2
    /// vectors are not rated and not warned about: scanners give them beside v3).
    pub(crate) fn cvss(&mut self, vuln_id: &str, vector: &str) -> Option<(String, f64)> {
        let vector = vector.trim();
        if vector.is_empty() {
            return None;
        }
        let score = match self.vectors.get(vector) {
            Some(score) => *score,
            None => {
                let rated = crate::cvss::rate(vector);
                let score = match &rated {
                    Ok(rating) => Some(rating.score),
                    Err(why) => {
                        self.warn(format!(
                            "{vuln_id}: the CVSS vector {vector:?} does not parse ({why}); kept without it"
                        ));
                        None
                    }
                };
                self.vectors.insert(vector.to_owned(), score);
                score
            }
        };
        score.map(|s| (vector.to_owned(), s))
    }

    pub(crate) fn push(&mut self, mut finding: Finding) -> Result<(), ScanError> {
        clip(&mut finding.title, TITLE_CHARS_MAX);
        for field in [
            &mut finding.target,
            &mut finding.package,
            &mut finding.ecosystem,
            &mut finding.installed_version,
            &mut finding.fixed_versions,
            &mut finding.vuln_id,
            &mut finding.location,
            &mut finding.url,
        ] {
            clip(field, FIELD_CHARS_MAX);
        }
        finding.aliases.retain(|a| *a != finding.vuln_id);
        finding.aliases.sort();
        finding.aliases.dedup();
        let key = finding.key();
        match self.index.entry(key) {
            Entry::Occupied(at) => {
                self.duplicates += 1;
                let at = *at.get();
                if self.duplicates <= 3 {
                    let kept = &self.findings[at];
                    let place = if kept.location.is_empty() {
                        kept.target.clone()
                    } else {
                        format!("{} at {}", kept.target, kept.location)
                    };
                    let what = if kept.package.is_empty() {
                        kept.vuln_id.clone()
                    } else {
                        format!("{} in {}", kept.vuln_id, kept.package)
                    };
                    let message = format!("{what} ({place}) is listed more than once; merged");
                    self.warn(message);
                }
                // The merged finding keeps the highest severity and every alias.
                let kept = &mut self.findings[at];
                kept.severity = kept.severity.min(finding.severity);
                for alias in finding.aliases {
                    if !kept.aliases.contains(&alias) {
                        kept.aliases.push(alias);
                    }
                }
                if kept.cvss.is_none() {
                    kept.cvss = finding.cvss;
                }
            }
            Entry::Vacant(slot) => {
                if self.findings.len() >= FINDINGS_MAX {
                    return Err(ScanError::TooManyFindings);
                }
                slot.insert(self.findings.len());
                self.findings.push(finding);
            }
        }
        Ok(())
    }

    fn finish(mut self, format: Format) -> ScanReport {
        if self.duplicates > 3 {
            self.warn(format!(
                "{} duplicate findings merged in all",
                self.duplicates
            ));
        }
        if self.warnings_dropped > 0 {
            self.warnings
                .push(format!("and {} more warnings", self.warnings_dropped));
        }
        ScanReport {
            format,
            findings: self.findings,
            warnings: self.warnings,
        }
    }
}

fn clip(text: &mut String, chars: usize) {
    if let Some((at, _)) = text.char_indices().nth(chars) {
        text.truncate(at);
    }
}

/// Reads a scanner's report, whichever of the known formats it is.
pub fn parse(bytes: &[u8]) -> Result<ScanReport, ScanError> {
    if bytes.len() > REPORT_BYTES_MAX {
        return Err(ScanError::TooLarge { bytes: bytes.len() });
    }
    let mut collector = Collector::default();
    let format = formats::read(bytes, &mut collector)?;
    Ok(collector.finish(format))
}

/// A serde_json error in words that say where: line and column, and whether the report ends
/// too early (cut short in transfer) or has something wrong at that place.
pub(crate) fn json_error(error: &serde_json::Error, what: &str) -> ScanError {
    match error.classify() {
        serde_json::error::Category::Eof => ScanError::Json(format!(
            "the report ends too early, at line {} column {}: it looks cut short (truncated); send the whole file",
            error.line(),
            error.column()
        )),
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            ScanError::Json(format!("the report is not valid JSON: {error}"))
        }
        serde_json::error::Category::Data => ScanError::Shape(format!("{what}: {error}")),
    }
}

#[cfg(test)]
mod tests;
