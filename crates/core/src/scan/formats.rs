//! Each scanner's JSON as serde types that borrow from the input (`Cow<str>`: borrowed unless
//! the JSON escaped something) and name only the fields Postern keeps; whatever else a report
//! holds is skipped without being built. `read` tells the format from the top-level keys.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Collector, Finding, FindingKind, FindingSeverity, Format, ScanError, json_error};

type Text<'a> = Option<Cow<'a, str>>;

fn owned(text: &Text<'_>) -> String {
    text.as_deref().unwrap_or("").trim().to_owned()
}

/// How many top-level keys an unknown report's error names.
const KEYS_NAMED_MAX: usize = 12;

/// The top level of a report: an object's keys, a list's first element's keys, or nothing.
enum Top {
    Object(Vec<String>),
    List { first: Option<Vec<String>> },
    Null,
    Other(&'static str),
}

struct TopVisitor;

/// The keys of an object, values skipped.
struct Keys(Vec<String>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    map.next_value::<IgnoredAny>()?;
                    if keys.len() < 64 {
                        keys.push(key.into_owned());
                    }
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(KeysVisitor)
    }
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Top, D::Error> {
        d.deserialize_any(TopVisitor)
    }
}

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object or list")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut keys = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            map.next_value::<IgnoredAny>()?;
            keys.push(key.into_owned());
        }
        Ok(Top::Object(keys))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
        let first = seq.next_element::<Keys>()?.map(|k| k.0);
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Top::List { first })
    }
    fn visit_unit<E>(self) -> Result<Top, E> {
        Ok(Top::Null)
    }
    fn visit_none<E>(self) -> Result<Top, E> {
        Ok(Top::Null)
    }
    fn visit_str<E>(self, _: &str) -> Result<Top, E> {
        Ok(Top::Other("a string"))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Top, E> {
        Ok(Top::Other("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Top, E> {
        Ok(Top::Other("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Top, E> {
        Ok(Top::Other("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Top, E> {
        Ok(Top::Other("a number"))
    }
}

const KNOWN: &str = "Trivy JSON, pip-audit, cargo-audit, osv-scanner, npm audit (npm 7+), GitHub Dependabot alerts (GraphQL vulnerabilityAlerts) and SARIF 2.1.0";

fn has(keys: &[String], key: &str) -> bool {
    keys.iter().any(|k| k == key)
}

/// Tells the format and reads the report into `out`.
pub(super) fn read(bytes: &[u8], out: &mut Collector) -> Result<Format, ScanError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Format::Empty);
    }
    let top: Top = serde_json::from_slice(bytes).map_err(|e| json_error(&e, "the report"))?;
    let format = match top {
        Top::Null | Top::List { first: None } => return Ok(Format::Empty),
        Top::Other(what) => {
            return Err(ScanError::UnknownFormat(format!(
                "the report is {what}, not a scanner's report; Postern reads {KNOWN}"
            )));
        }
        Top::List { first: Some(keys) } => {
            if has(&keys, "Target") {
                Format::TrivyLegacy
            } else if has(&keys, "name") && (has(&keys, "vulns") || has(&keys, "version")) {
                Format::PipAuditLegacy
            } else {
                return Err(unknown("a list whose first element", &keys));
            }
        }
        Top::Object(keys) => {
            if has(&keys, "SchemaVersion") || (has(&keys, "Results") && has(&keys, "ArtifactName"))
            {
                Format::Trivy
            } else if has(&keys, "ClusterName") || has(&keys, "Resources") {
                Format::TrivyKubernetes
            } else if has(&keys, "auditReportVersion") {
                Format::NpmAudit
            } else if has(&keys, "database") && has(&keys, "vulnerabilities") {
                Format::CargoAudit
            } else if has(&keys, "dependencies") {
                Format::PipAudit
            } else if has(&keys, "runs") {
                Format::Sarif
            } else if has(&keys, "results") {
                Format::OsvScanner
            } else if has(&keys, "data") {
                Format::Dependabot
            } else if has(&keys, "advisories") && has(&keys, "actions") {
                return Err(ScanError::UnknownFormat(
                    "this is npm audit's report of npm 6 and earlier (\"advisories\"); run npm audit --json with npm 7 or later".into(),
                ));
            } else {
                return Err(unknown("an object", &keys));
            }
        }
    };
    let read = |e: serde_json::Error| json_error(&e, &format!("a {} report", format.name()));
    match format {
        Format::Trivy => {
            let report: TrivyReport = serde_json::from_slice(bytes).map_err(read)?;
            for result in report.results.unwrap_or_default() {
                trivy_result(out, "", result)?;
            }
        }
        Format::TrivyLegacy => {
            let results: Vec<TrivyResult> = serde_json::from_slice(bytes).map_err(read)?;
            for result in results {
                trivy_result(out, "", result)?;
            }
        }
        Format::TrivyKubernetes => {
            let report: TrivyKubernetes = serde_json::from_slice(bytes).map_err(read)?;
            for resource in [
                report.vulnerabilities,
                report.misconfigurations,
                report.resources,
            ]
            .into_iter()
            .flatten()
            .flatten()
            {
                let prefix = format!(
                    "{}/{}/{}: ",
                    owned(&resource.namespace),
                    owned(&resource.kind),
                    owned(&resource.name)
                );
                for result in resource.results.unwrap_or_default() {
                    trivy_result(out, &prefix, result)?;
                }
            }
        }
        Format::PipAudit => {
            let report: PipAudit = serde_json::from_slice(bytes).map_err(read)?;
            pip_audit(out, report.dependencies)?;
        }
        Format::PipAuditLegacy => {
            let dependencies: Vec<PipDependency> = serde_json::from_slice(bytes).map_err(read)?;
            pip_audit(out, dependencies)?;
        }
        Format::CargoAudit => {
            let report: CargoAudit = serde_json::from_slice(bytes).map_err(read)?;
            cargo_audit(out, report)?;
        }
        Format::OsvScanner => {
            let report: Osv = serde_json::from_slice(bytes).map_err(read)?;
            osv(out, report)?;
        }
        Format::NpmAudit => {
            let report: Npm = serde_json::from_slice(bytes).map_err(read)?;
            npm(out, report)?;
        }
        Format::Dependabot => {
            let report: Dependabot = serde_json::from_slice(bytes).map_err(read)?;
            dependabot(out, report)?;
        }
        Format::Sarif => {
            let report: Sarif = serde_json::from_slice(bytes).map_err(read)?;
            sarif(out, report)?;
        }
        Format::Empty => {}
    }
    Ok(format)
}

fn unknown(what: &str, keys: &[String]) -> ScanError {
    let mut named: Vec<&str> = keys
        .iter()
        .take(KEYS_NAMED_MAX)
        .map(String::as_str)
        .collect();
    if keys.len() > KEYS_NAMED_MAX {
        named.push("...");
    }
    ScanError::UnknownFormat(format!(
        "not a report Postern reads: recognised JSON, {what} has the keys [{}], which match no scanner's format; Postern reads {KNOWN}",
        named.join(", ")
    ))
}

// ---- Trivy -------------------------------------------------------------------------------

#[derive(Deserialize)]
struct TrivyReport<'a> {
    #[serde(rename = "Results", borrow)]
    results: Option<Vec<TrivyResult<'a>>>,
}

#[derive(Deserialize)]
struct TrivyKubernetes<'a> {
    #[serde(rename = "Vulnerabilities", borrow)]
    vulnerabilities: Option<Vec<TrivyResource<'a>>>,
    #[serde(rename = "Misconfigurations", borrow)]
    misconfigurations: Option<Vec<TrivyResource<'a>>>,
    #[serde(rename = "Resources", borrow)]
    resources: Option<Vec<TrivyResource<'a>>>,
}

#[derive(Deserialize)]
struct TrivyResource<'a> {
    #[serde(rename = "Namespace", borrow)]
    namespace: Text<'a>,
    #[serde(rename = "Kind", borrow)]
    kind: Text<'a>,
    #[serde(rename = "Name", borrow)]
    name: Text<'a>,
    #[serde(rename = "Results", borrow)]
    results: Option<Vec<TrivyResult<'a>>>,
}

#[derive(Deserialize)]
struct TrivyResult<'a> {
    #[serde(rename = "Target", borrow)]
    target: Text<'a>,
    #[serde(rename = "Type", borrow)]
    kind: Text<'a>,
    #[serde(rename = "Vulnerabilities", borrow)]
    vulnerabilities: Option<Vec<TrivyVulnerability<'a>>>,
    #[serde(rename = "Misconfigurations", borrow)]
    misconfigurations: Option<Vec<TrivyMisconfiguration<'a>>>,
    #[serde(rename = "Secrets", borrow)]
    secrets: Option<Vec<TrivySecret<'a>>>,
}

#[derive(Deserialize)]
struct TrivyVulnerability<'a> {
    #[serde(rename = "VulnerabilityID", borrow)]
    id: Text<'a>,
    #[serde(rename = "VendorIDs", borrow)]
    vendor_ids: Option<Vec<Cow<'a, str>>>,
    #[serde(rename = "PkgName", borrow)]
    package: Text<'a>,
    #[serde(rename = "PkgPath", borrow)]
    path: Text<'a>,
    #[serde(rename = "InstalledVersion", borrow)]
    installed: Text<'a>,
    #[serde(rename = "FixedVersion", borrow)]
    fixed: Text<'a>,
    #[serde(rename = "Severity", borrow)]
    severity: Text<'a>,
    #[serde(rename = "SeveritySource", borrow)]
    severity_source: Text<'a>,
    #[serde(rename = "Title", borrow)]
    title: Text<'a>,
    #[serde(rename = "PrimaryURL", borrow)]
    url: Text<'a>,
    #[serde(rename = "CVSS", borrow)]
    cvss: Option<BTreeMap<Cow<'a, str>, TrivyCvss<'a>>>,
}

#[derive(Deserialize)]
struct TrivyCvss<'a> {
    #[serde(rename = "V40Vector", borrow)]
    v4: Text<'a>,
    #[serde(rename = "V3Vector", borrow)]
    v3: Text<'a>,
}

#[derive(Deserialize)]
struct TrivyMisconfiguration<'a> {
    #[serde(rename = "ID", borrow)]
    id: Text<'a>,
    #[serde(rename = "AVDID", borrow)]
    avd_id: Text<'a>,
    #[serde(rename = "Title", borrow)]
    title: Text<'a>,
    #[serde(rename = "Severity", borrow)]
    severity: Text<'a>,
    #[serde(rename = "Status", borrow)]
    status: Text<'a>,
    #[serde(rename = "PrimaryURL", borrow)]
    url: Text<'a>,
    #[serde(rename = "CauseMetadata", borrow)]
    cause: Option<TrivyCause<'a>>,
}

#[derive(Deserialize)]
struct TrivyCause<'a> {
    #[serde(rename = "Resource", borrow)]
    resource: Text<'a>,
    #[serde(rename = "StartLine")]
    start: Option<u64>,
    #[serde(rename = "EndLine")]
    end: Option<u64>,
}

/// A secret Trivy found: its rule and place. `Match` (the line, however redacted) and `Code`
/// are deliberately not read.
#[derive(Deserialize)]
struct TrivySecret<'a> {
    #[serde(rename = "RuleID", borrow)]
    rule: Text<'a>,
    #[serde(rename = "Title", borrow)]
    title: Text<'a>,
    #[serde(rename = "Severity", borrow)]
    severity: Text<'a>,
    #[serde(rename = "StartLine")]
    start: Option<u64>,
}

fn lines(start: Option<u64>, end: Option<u64>) -> String {
    match (start, end) {
        (Some(s), Some(e)) if e > s => format!("lines {s}-{e}"),
        (Some(s), _) if s > 0 => format!("line {s}"),
        _ => String::new(),
    }
}

fn trivy_result(out: &mut Collector, prefix: &str, result: TrivyResult) -> Result<(), ScanError> {
    let target = format!("{prefix}{}", owned(&result.target));
    let ecosystem = owned(&result.kind);
    for v in result.vulnerabilities.unwrap_or_default() {
        let vuln_id = owned(&v.id);
        let cvss = v.cvss.as_ref().and_then(|sources| {
            // The source Trivy took the severity from first, then NVD, then any.
            let preferred = v.severity_source.as_deref().unwrap_or("nvd");
            let order = sources
                .get(preferred)
                .into_iter()
                .chain(sources.get("nvd"))
                .chain(sources.values());
            order
                .flat_map(|c| [c.v4.as_deref(), c.v3.as_deref()])
                .flatten()
                .find(|v| !v.trim().is_empty())
                .map(str::to_owned)
        });
        let cvss = cvss.and_then(|vector| out.cvss(&vuln_id, &vector));
        out.push(Finding {
            kind: FindingKind::Dependency,
            target: target.clone(),
            package: owned(&v.package),
            ecosystem: ecosystem.clone(),
            installed_version: owned(&v.installed),
            fixed_versions: owned(&v.fixed),
            aliases: v
                .vendor_ids
                .unwrap_or_default()
                .into_iter()
                .map(Cow::into_owned)
                .collect(),
            title: owned(&v.title),
            severity: FindingSeverity::from_word(v.severity.as_deref().unwrap_or("")),
            cvss,
            location: owned(&v.path),
            url: owned(&v.url),
            vuln_id,
        })?;
    }
    for m in result.misconfigurations.unwrap_or_default() {
        // Trivy lists checks that passed too (with --include-non-failures).
        if matches!(m.status.as_deref(), Some("PASS" | "EXCEPTION")) {
            continue;
        }
        let id = if m.id.as_deref().is_some_and(|i| !i.is_empty()) {
            owned(&m.id)
        } else {
            owned(&m.avd_id)
        };
        let (resource, place) = match &m.cause {
            Some(c) => (owned(&c.resource), lines(c.start, c.end)),
            None => (String::new(), String::new()),
        };
        let location = match (resource.is_empty(), place.is_empty()) {
            (false, false) => format!("{resource}, {place}"),
            (false, true) => resource,
            _ => place,
        };
        out.push(Finding {
            kind: FindingKind::Misconfiguration,
            target: target.clone(),
            package: String::new(),
            ecosystem: ecosystem.clone(),
            installed_version: String::new(),
            fixed_versions: String::new(),
            vuln_id: id,
            aliases: Vec::new(),
            title: owned(&m.title),
            severity: FindingSeverity::from_word(m.severity.as_deref().unwrap_or("")),
            cvss: None,
            location,
            url: owned(&m.url),
        })?;
    }
    for s in result.secrets.unwrap_or_default() {
        out.push(Finding {
            kind: FindingKind::Secret,
            target: target.clone(),
            package: String::new(),
            ecosystem: String::new(),
            installed_version: String::new(),
            fixed_versions: String::new(),
            vuln_id: owned(&s.rule),
            aliases: Vec::new(),
            title: owned(&s.title),
            severity: FindingSeverity::from_word(s.severity.as_deref().unwrap_or("")),
            cvss: None,
            location: lines(s.start, None),
            url: String::new(),
        })?;
    }
    Ok(())
}

// ---- pip-audit ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct PipAudit<'a> {
    #[serde(borrow)]
    dependencies: Vec<PipDependency<'a>>,
}

#[derive(Deserialize)]
struct PipDependency<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Text<'a>,
    #[serde(borrow)]
    vulns: Option<Vec<PipVuln<'a>>>,
    #[serde(borrow)]
    skip_reason: Text<'a>,
}

#[derive(Deserialize)]
struct PipVuln<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    fix_versions: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    aliases: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    description: Text<'a>,
}

fn first_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("");
    match line.char_indices().nth(160) {
        Some((at, _)) => format!("{}...", &line[..at]),
        None => line.to_owned(),
    }
}

fn pip_audit(out: &mut Collector, dependencies: Vec<PipDependency>) -> Result<(), ScanError> {
    for d in dependencies {
        if let Some(reason) = d.skip_reason.as_deref() {
            out.warn(format!(
                "pip-audit did not audit {}: {reason}",
                owned(&d.name)
            ));
        }
        for v in d.vulns.unwrap_or_default() {
            out.push(Finding {
                kind: FindingKind::Dependency,
                target: "Python dependencies".into(),
                package: owned(&d.name),
                ecosystem: "PyPI".into(),
                installed_version: owned(&d.version),
                fixed_versions: v.fix_versions.unwrap_or_default().join(", "),
                vuln_id: owned(&v.id),
                aliases: v
                    .aliases
                    .unwrap_or_default()
                    .into_iter()
                    .map(Cow::into_owned)
                    .collect(),
                title: first_line(v.description.as_deref().unwrap_or("")),
                // pip-audit gives no severity.
                severity: FindingSeverity::Unknown,
                cvss: None,
                location: String::new(),
                url: String::new(),
            })?;
        }
    }
    Ok(())
}

// ---- cargo-audit -------------------------------------------------------------------------

#[derive(Deserialize)]
struct CargoAudit<'a> {
    #[serde(borrow)]
    vulnerabilities: CargoVulnerabilities<'a>,
    #[serde(borrow)]
    warnings: Option<BTreeMap<Cow<'a, str>, Option<Vec<IgnoredAny>>>>,
}

#[derive(Deserialize)]
struct CargoVulnerabilities<'a> {
    #[serde(borrow)]
    list: Vec<CargoVulnerability<'a>>,
}

#[derive(Deserialize)]
struct CargoVulnerability<'a> {
    #[serde(borrow)]
    advisory: CargoAdvisory<'a>,
    #[serde(borrow)]
    versions: Option<CargoVersions<'a>>,
    #[serde(borrow)]
    package: CargoPackage<'a>,
}

#[derive(Deserialize)]
struct CargoAdvisory<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    title: Text<'a>,
    #[serde(borrow)]
    aliases: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    cvss: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
}

#[derive(Deserialize)]
struct CargoVersions<'a> {
    #[serde(borrow)]
    patched: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct CargoPackage<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Text<'a>,
}

fn cargo_audit(out: &mut Collector, report: CargoAudit) -> Result<(), ScanError> {
    for v in report.vulnerabilities.list {
        let vuln_id = owned(&v.advisory.id);
        let cvss = v
            .advisory
            .cvss
            .as_deref()
            .and_then(|vector| out.cvss(&vuln_id, vector));
        out.push(Finding {
            kind: FindingKind::Dependency,
            target: "Cargo.lock".into(),
            package: owned(&v.package.name),
            ecosystem: "crates.io".into(),
            installed_version: owned(&v.package.version),
            fixed_versions: v
                .versions
                .and_then(|v| v.patched)
                .unwrap_or_default()
                .join(", "),
            aliases: v
                .advisory
                .aliases
                .unwrap_or_default()
                .into_iter()
                .map(Cow::into_owned)
                .collect(),
            title: owned(&v.advisory.title),
            severity: cvss.as_ref().map_or(FindingSeverity::Unknown, |(_, s)| {
                FindingSeverity::from_score(*s)
            }),
            cvss,
            // A lockfile may hold several versions of one crate, each its own finding.
            location: format!("{}@{}", owned(&v.package.name), owned(&v.package.version)),
            url: owned(&v.advisory.url),
            vuln_id,
        })?;
    }
    // Unmaintained, unsound and yanked crates are cargo-audit's warnings, not vulnerabilities.
    for (kind, list) in report.warnings.unwrap_or_default() {
        let count = list.map_or(0, |l| l.len());
        if count > 0 {
            out.warn(format!(
                "cargo-audit also warns of {count} {kind} crate(s); warnings are not imported as findings"
            ));
        }
    }
    Ok(())
}

// ---- osv-scanner -------------------------------------------------------------------------

#[derive(Deserialize)]
struct Osv<'a> {
    #[serde(borrow)]
    results: Option<Vec<OsvResult<'a>>>,
}

#[derive(Deserialize)]
struct OsvResult<'a> {
    #[serde(borrow)]
    source: Option<OsvSource<'a>>,
    #[serde(borrow)]
    packages: Option<Vec<OsvPackages<'a>>>,
}

#[derive(Deserialize)]
struct OsvSource<'a> {
    #[serde(borrow)]
    path: Text<'a>,
}

#[derive(Deserialize)]
struct OsvPackages<'a> {
    #[serde(borrow)]
    package: OsvPackage<'a>,
    #[serde(borrow)]
    vulnerabilities: Option<Vec<OsvVulnerability<'a>>>,
    #[serde(borrow)]
    groups: Option<Vec<OsvGroup<'a>>>,
}

#[derive(Deserialize)]
struct OsvPackage<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Text<'a>,
    #[serde(borrow)]
    ecosystem: Text<'a>,
}

#[derive(Deserialize)]
struct OsvVulnerability<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    aliases: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    summary: Text<'a>,
    #[serde(borrow)]
    severity: Option<Vec<OsvSeverity<'a>>>,
    #[serde(borrow)]
    affected: Option<Vec<OsvAffected<'a>>>,
    #[serde(borrow)]
    database_specific: Option<OsvDatabaseSpecific<'a>>,
}

#[derive(Deserialize)]
struct OsvSeverity<'a> {
    #[serde(borrow)]
    score: Text<'a>,
}

#[derive(Deserialize)]
struct OsvDatabaseSpecific<'a> {
    #[serde(borrow)]
    severity: Text<'a>,
}

#[derive(Deserialize)]
struct OsvAffected<'a> {
    #[serde(borrow)]
    package: Option<OsvPackage<'a>>,
    #[serde(borrow)]
    ranges: Option<Vec<OsvRange<'a>>>,
}

#[derive(Deserialize)]
struct OsvRange<'a> {
    #[serde(borrow)]
    events: Option<Vec<OsvEvent<'a>>>,
}

#[derive(Deserialize)]
struct OsvEvent<'a> {
    #[serde(borrow)]
    fixed: Text<'a>,
}

#[derive(Deserialize)]
struct OsvGroup<'a> {
    #[serde(borrow)]
    ids: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    aliases: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    max_severity: Text<'a>,
}

fn osv(out: &mut Collector, report: Osv) -> Result<(), ScanError> {
    for result in report.results.unwrap_or_default() {
        let target = result
            .source
            .as_ref()
            .map(|s| owned(&s.path))
            .unwrap_or_default();
        for p in result.packages.unwrap_or_default() {
            let package = owned(&p.package.name);
            let vulns = p.vulnerabilities.unwrap_or_default();
            // osv-scanner groups the entries that are aliases of one another: one finding each.
            let groups: Vec<(Vec<String>, Option<f64>)> = match p.groups {
                Some(groups) if !groups.is_empty() => groups
                    .into_iter()
                    .map(|g| {
                        let mut ids: Vec<String> = g.ids.into_iter().map(Cow::into_owned).collect();
                        ids.extend(
                            g.aliases
                                .unwrap_or_default()
                                .into_iter()
                                .map(Cow::into_owned),
                        );
                        let max = g
                            .max_severity
                            .as_deref()
                            .and_then(|s| s.trim().parse().ok());
                        (ids, max)
                    })
                    .collect(),
                _ => vulns.iter().map(|v| (vec![owned(&v.id)], None)).collect(),
            };
            for (ids, max_severity) in groups {
                let Some(primary) = vulns
                    .iter()
                    .find(|v| ids.iter().any(|id| v.id.as_deref() == Some(id.as_str())))
                else {
                    out.warn(format!(
                        "osv-scanner lists the group {} for {package} without its entry; skipped",
                        ids.join(", ")
                    ));
                    continue;
                };
                let vuln_id = owned(&primary.id);
                let mut aliases: Vec<String> = ids.into_iter().filter(|i| *i != vuln_id).collect();
                aliases.extend(
                    primary
                        .aliases
                        .iter()
                        .flatten()
                        .map(|a| a.clone().into_owned()),
                );
                let vector = primary
                    .severity
                    .iter()
                    .flatten()
                    .filter_map(|s| s.score.as_deref())
                    .find(|s| s.starts_with("CVSS:3") || s.starts_with("CVSS:4"))
                    .map(str::to_owned);
                let cvss = vector.and_then(|v| out.cvss(&vuln_id, &v));
                let severity = match (max_severity, &cvss, &primary.database_specific) {
                    (Some(score), _, _) => FindingSeverity::from_score(score),
                    (None, Some((_, score)), _) => FindingSeverity::from_score(*score),
                    (None, None, Some(db)) => {
                        FindingSeverity::from_word(db.severity.as_deref().unwrap_or(""))
                    }
                    (None, None, None) => FindingSeverity::Unknown,
                };
                let mut fixed: Vec<String> = Vec::new();
                for affected in primary.affected.iter().flatten() {
                    let same = affected
                        .package
                        .as_ref()
                        .is_none_or(|ap| ap.name.as_deref() == p.package.name.as_deref());
                    if !same {
                        continue;
                    }
                    for event in affected
                        .ranges
                        .iter()
                        .flatten()
                        .flat_map(|r| r.events.iter().flatten())
                    {
                        if let Some(f) = event.fixed.as_deref()
                            && !fixed.iter().any(|x| x == f)
                        {
                            fixed.push(f.to_owned());
                        }
                    }
                }
                out.push(Finding {
                    kind: FindingKind::Dependency,
                    target: target.clone(),
                    package: package.clone(),
                    ecosystem: owned(&p.package.ecosystem),
                    installed_version: owned(&p.package.version),
                    fixed_versions: fixed.join(", "),
                    aliases,
                    title: owned(&primary.summary),
                    severity,
                    cvss,
                    location: String::new(),
                    url: format!("https://osv.dev/vulnerability/{vuln_id}"),
                    vuln_id,
                })?;
            }
        }
    }
    Ok(())
}

// ---- npm audit (npm 7+) ------------------------------------------------------------------

#[derive(Deserialize)]
struct Npm<'a> {
    #[serde(borrow)]
    vulnerabilities: Option<BTreeMap<Cow<'a, str>, NpmPackage<'a>>>,
}

#[derive(Deserialize)]
struct NpmPackage<'a> {
    #[serde(borrow)]
    via: Option<Vec<NpmVia<'a>>>,
    #[serde(rename = "fixAvailable")]
    fix: Option<NpmFix>,
}

/// An entry of `via`: an advisory, or the name of the dependency it comes through (that
/// package has its own entry, with the advisory).
#[derive(Deserialize)]
#[serde(untagged)]
enum NpmVia<'a> {
    Advisory(#[serde(borrow)] NpmAdvisory<'a>),
    Package(#[allow(dead_code)] IgnoredAny),
}

#[derive(Deserialize)]
struct NpmAdvisory<'a> {
    source: serde_json::Value,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    title: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
    #[serde(borrow)]
    severity: Text<'a>,
    cvss: Option<NpmCvss>,
    #[serde(borrow)]
    range: Text<'a>,
}

#[derive(Deserialize)]
struct NpmCvss {
    #[serde(rename = "vectorString")]
    vector: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NpmFix {
    Upgrade { name: String, version: String },
    Other(#[allow(dead_code)] IgnoredAny),
}

fn npm(out: &mut Collector, report: Npm) -> Result<(), ScanError> {
    for (name, package) in report.vulnerabilities.unwrap_or_default() {
        for via in package.via.unwrap_or_default() {
            let NpmVia::Advisory(a) = via else { continue };
            let url = owned(&a.url);
            let source = match &a.source {
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::String(s) => s.clone(),
                _ => String::new(),
            };
            let ghsa = url
                .rsplit('/')
                .next()
                .filter(|s| s.starts_with("GHSA-"))
                .map(str::to_owned);
            let (vuln_id, aliases) = match ghsa {
                Some(g) => (g, Vec::new()),
                None => (format!("npm-advisory-{source}"), Vec::new()),
            };
            let cvss = a
                .cvss
                .as_ref()
                .and_then(|c| c.vector.as_deref())
                .and_then(|v| out.cvss(&vuln_id, v));
            let fixed = match &package.fix {
                Some(NpmFix::Upgrade { name: n, version }) if *n == *a.name => version.clone(),
                Some(NpmFix::Upgrade { name: n, version }) => format!("{n}@{version}"),
                _ => String::new(),
            };
            out.push(Finding {
                kind: FindingKind::Dependency,
                target: "package-lock.json".into(),
                package: a.name.clone().into_owned(),
                ecosystem: "npm".into(),
                installed_version: String::new(),
                fixed_versions: fixed,
                aliases,
                title: owned(&a.title),
                severity: FindingSeverity::from_word(a.severity.as_deref().unwrap_or("")),
                cvss,
                location: if *a.name == *name {
                    owned(&a.range)
                } else {
                    format!("{} {}", a.name, owned(&a.range))
                },
                url,
                vuln_id,
            })?;
        }
    }
    Ok(())
}

// ---- Dependabot (GitHub GraphQL vulnerabilityAlerts) -------------------------------------

#[derive(Deserialize)]
struct Dependabot<'a> {
    #[serde(borrow)]
    data: GithubData<'a>,
}

#[derive(Deserialize)]
struct GithubData<'a> {
    #[serde(borrow)]
    search: Option<GithubNodes<GithubRepository<'a>>>,
    #[serde(borrow)]
    repository: Option<GithubRepository<'a>>,
}

#[derive(Deserialize)]
struct GithubNodes<T> {
    nodes: Vec<T>,
}

#[derive(Deserialize)]
struct GithubRepository<'a> {
    #[serde(borrow, alias = "nameWithOwner")]
    name: Text<'a>,
    #[serde(rename = "vulnerabilityAlerts", borrow)]
    alerts: Option<GithubNodes<GithubAlert<'a>>>,
}

#[derive(Deserialize)]
struct GithubAlert<'a> {
    #[serde(borrow)]
    state: Text<'a>,
    #[serde(rename = "vulnerableManifestPath", borrow)]
    manifest: Text<'a>,
    #[serde(rename = "vulnerableRequirements", borrow)]
    requirements: Text<'a>,
    #[serde(rename = "securityVulnerability", borrow)]
    vulnerability: GithubVulnerability<'a>,
}

#[derive(Deserialize)]
struct GithubVulnerability<'a> {
    #[serde(borrow)]
    severity: Text<'a>,
    #[serde(borrow)]
    package: GithubPackage<'a>,
    #[serde(borrow)]
    advisory: GithubAdvisory<'a>,
    #[serde(rename = "firstPatchedVersion", borrow)]
    patched: Option<GithubPatched<'a>>,
}

#[derive(Deserialize)]
struct GithubPackage<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    ecosystem: Text<'a>,
}

#[derive(Deserialize)]
struct GithubAdvisory<'a> {
    #[serde(borrow)]
    summary: Text<'a>,
    #[serde(borrow)]
    identifiers: Option<Vec<GithubIdentifier<'a>>>,
    #[serde(borrow)]
    cvss: Option<GithubCvss<'a>>,
    #[serde(borrow)]
    permalink: Text<'a>,
}

#[derive(Deserialize)]
struct GithubIdentifier<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    value: Text<'a>,
}

#[derive(Deserialize)]
struct GithubCvss<'a> {
    #[serde(rename = "vectorString", borrow)]
    vector: Text<'a>,
}

#[derive(Deserialize)]
struct GithubPatched<'a> {
    #[serde(borrow)]
    identifier: Text<'a>,
}

fn dependabot(out: &mut Collector, report: Dependabot) -> Result<(), ScanError> {
    let repositories = report
        .data
        .search
        .map(|s| s.nodes)
        .unwrap_or_default()
        .into_iter()
        .chain(report.data.repository);
    let mut settled = 0usize;
    for repository in repositories {
        let repo = owned(&repository.name);
        for alert in repository.alerts.map(|a| a.nodes).unwrap_or_default() {
            // Alerts GitHub shows as fixed or dismissed are no longer open there.
            if matches!(
                alert.state.as_deref(),
                Some("FIXED" | "DISMISSED" | "AUTO_DISMISSED")
            ) {
                settled += 1;
                continue;
            }
            let v = alert.vulnerability;
            let ids: Vec<(String, String)> = v
                .advisory
                .identifiers
                .unwrap_or_default()
                .iter()
                .map(|i| (owned(&i.kind), owned(&i.value)))
                .filter(|(_, value)| !value.is_empty())
                .collect();
            let vuln_id = ids
                .iter()
                .find(|(kind, _)| kind == "GHSA")
                .or(ids.first())
                .map(|(_, value)| value.clone())
                .unwrap_or_default();
            let aliases = ids.into_iter().map(|(_, value)| value).collect();
            let cvss = v
                .advisory
                .cvss
                .as_ref()
                .and_then(|c| c.vector.as_deref())
                .and_then(|vector| out.cvss(&vuln_id, vector));
            let manifest = owned(&alert.manifest);
            out.push(Finding {
                kind: FindingKind::Dependency,
                target: if manifest.is_empty() {
                    repo.clone()
                } else {
                    format!("{repo}: {manifest}")
                },
                package: owned(&v.package.name),
                ecosystem: owned(&v.package.ecosystem),
                installed_version: owned(&alert.requirements),
                fixed_versions: v.patched.map(|p| owned(&p.identifier)).unwrap_or_default(),
                aliases,
                title: owned(&v.advisory.summary),
                severity: FindingSeverity::from_word(v.severity.as_deref().unwrap_or("")),
                cvss,
                location: String::new(),
                url: owned(&v.advisory.permalink),
                vuln_id,
            })?;
        }
    }
    if settled > 0 {
        out.warn(format!(
            "{settled} alert(s) fixed or dismissed on GitHub were not imported"
        ));
    }
    Ok(())
}

// ---- SARIF 2.1.0 -------------------------------------------------------------------------

#[derive(Deserialize)]
struct Sarif<'a> {
    #[serde(borrow)]
    version: Text<'a>,
    #[serde(borrow)]
    runs: Vec<SarifRun<'a>>,
}

#[derive(Deserialize)]
struct SarifRun<'a> {
    #[serde(borrow)]
    tool: SarifTool<'a>,
    #[serde(borrow)]
    results: Option<Vec<SarifResult<'a>>>,
}

#[derive(Deserialize)]
struct SarifTool<'a> {
    #[serde(borrow)]
    driver: SarifDriver<'a>,
}

#[derive(Deserialize)]
struct SarifDriver<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    rules: Option<Vec<SarifRule<'a>>>,
}

#[derive(Deserialize)]
struct SarifRule<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(rename = "shortDescription", borrow)]
    short: Option<SarifMessage<'a>>,
    #[serde(rename = "defaultConfiguration", borrow)]
    configuration: Option<SarifConfiguration<'a>>,
    #[serde(borrow)]
    properties: Option<SarifRuleProperties<'a>>,
    #[serde(rename = "helpUri", borrow)]
    help: Text<'a>,
}

#[derive(Deserialize)]
struct SarifConfiguration<'a> {
    #[serde(borrow)]
    level: Text<'a>,
}

#[derive(Deserialize)]
struct SarifRuleProperties<'a> {
    #[serde(rename = "security-severity", borrow)]
    security_severity: Text<'a>,
}

#[derive(Deserialize)]
struct SarifMessage<'a> {
    #[serde(borrow)]
    text: Text<'a>,
}

#[derive(Deserialize)]
struct SarifResult<'a> {
    #[serde(rename = "ruleId", borrow)]
    rule_id: Text<'a>,
    #[serde(rename = "ruleIndex")]
    rule_index: Option<usize>,
    #[serde(borrow)]
    rule: Option<SarifRuleReference<'a>>,
    #[serde(borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    level: Text<'a>,
    #[serde(borrow)]
    message: Option<SarifMessage<'a>>,
    #[serde(borrow)]
    locations: Option<Vec<SarifLocation<'a>>>,
    suppressions: Option<Vec<IgnoredAny>>,
    #[serde(rename = "baselineState", borrow)]
    baseline: Text<'a>,
}

#[derive(Deserialize)]
struct SarifRuleReference<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    index: Option<usize>,
}

#[derive(Deserialize)]
struct SarifLocation<'a> {
    #[serde(rename = "physicalLocation", borrow)]
    physical: Option<SarifPhysical<'a>>,
}

#[derive(Deserialize)]
struct SarifPhysical<'a> {
    #[serde(rename = "artifactLocation", borrow)]
    artifact: Option<SarifArtifact<'a>>,
    region: Option<SarifRegion>,
}

#[derive(Deserialize)]
struct SarifArtifact<'a> {
    #[serde(borrow)]
    uri: Text<'a>,
}

#[derive(Deserialize)]
struct SarifRegion {
    #[serde(rename = "startLine")]
    start: Option<u64>,
}

fn sarif(out: &mut Collector, report: Sarif) -> Result<(), ScanError> {
    if let Some(version) = report.version.as_deref()
        && version != "2.1.0"
    {
        return Err(ScanError::UnknownFormat(format!(
            "this is SARIF version {version}; Postern reads SARIF 2.1.0"
        )));
    }
    let (mut suppressed, mut absent, mut not_failures) = (0usize, 0usize, 0usize);
    for run in report.runs {
        let tool = owned(&run.tool.driver.name);
        let rules = run.tool.driver.rules.unwrap_or_default();
        for result in run.results.unwrap_or_default() {
            if matches!(
                result.kind.as_deref(),
                Some("pass" | "notApplicable" | "informational")
            ) {
                not_failures += 1;
                continue;
            }
            if result.suppressions.as_ref().is_some_and(|s| !s.is_empty()) {
                suppressed += 1;
                continue;
            }
            if result.baseline.as_deref() == Some("absent") {
                absent += 1;
                continue;
            }
            let index = result
                .rule_index
                .or(result.rule.as_ref().and_then(|r| r.index));
            let rule_id = result
                .rule_id
                .as_deref()
                .or(result.rule.as_ref().and_then(|r| r.id.as_deref()))
                .map(str::to_owned);
            let rule = match (index, &rule_id) {
                (Some(i), _) if rules.get(i).is_some() => rules.get(i),
                (_, Some(id)) => rules.iter().find(|r| r.id.as_deref() == Some(id.as_str())),
                _ => None,
            };
            let vuln_id = rule_id
                .or_else(|| rule.map(|r| owned(&r.id)))
                .unwrap_or_else(|| "unnamed rule".into());
            let security_severity = rule
                .and_then(|r| r.properties.as_ref())
                .and_then(|p| p.security_severity.as_deref())
                .and_then(|s| s.trim().parse::<f64>().ok());
            let level = result
                .level
                .as_deref()
                .or(rule
                    .and_then(|r| r.configuration.as_ref())
                    .and_then(|c| c.level.as_deref()))
                .unwrap_or("warning");
            let severity = match security_severity {
                Some(score) => FindingSeverity::from_score(score),
                None if level == "none" => FindingSeverity::Unknown,
                None => FindingSeverity::from_word(level),
            };
            let message = result
                .message
                .as_ref()
                .and_then(|m| m.text.as_deref())
                .map(first_line)
                .unwrap_or_default();
            let title = rule
                .and_then(|r| r.short.as_ref())
                .and_then(|s| s.text.as_deref())
                .map(first_line)
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| {
                    if message.is_empty() {
                        vuln_id.clone()
                    } else {
                        message.clone()
                    }
                });
            let physical = result
                .locations
                .iter()
                .flatten()
                .find_map(|l| l.physical.as_ref());
            let location = match physical {
                Some(p) => {
                    let uri = p
                        .artifact
                        .as_ref()
                        .map(|a| owned(&a.uri))
                        .unwrap_or_default();
                    match p.region.as_ref().and_then(|r| r.start) {
                        Some(line) => format!("{uri}:{line}"),
                        None => uri,
                    }
                }
                None => String::new(),
            };
            out.push(Finding {
                kind: FindingKind::Code,
                target: tool.clone(),
                package: String::new(),
                ecosystem: String::new(),
                installed_version: String::new(),
                fixed_versions: String::new(),
                aliases: Vec::new(),
                title,
                severity,
                cvss: None,
                location,
                url: rule.map(|r| owned(&r.help)).unwrap_or_default(),
                vuln_id,
            })?;
        }
    }
    for (count, what) in [
        (suppressed, "suppressed in the report"),
        (absent, "marked absent from the baseline"),
        (not_failures, "passes or notes, not failures"),
    ] {
        if count > 0 {
            out.warn(format!("{count} SARIF result(s) {what} were not imported"));
        }
    }
    Ok(())
}
