//! CSAF 2.0 export: the advisory as a `csaf_security_advisory` document, the format
//! enterprises' vulnerability management tools (and national CERTs) ingest. It is a pure
//! function of the advisory and the export context, so the same advisory always gives the same
//! document, product ids included: downstream tools match products across revisions by id.
//!
//! Mapping choices, where CSAF and OSV-style records differ:
//! - each affected package becomes a `product_name` branch under one `vendor` branch (the
//!   project); every affected range becomes a `product_version_range` named with a `vers:`
//!   string, every listed version and every fixed version a `product_version`;
//! - CSAF 2.0 knows CVSS v2 and v3 only, so a CVSS v4.0 vector is told in a note;
//! - an anonymous credit is acknowledged as "Anonymous", never with a name or contact.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::ExportContext;
use crate::advisory::{Advisory, AdvisoryId, Affected, CreditRole, ReferenceKind, VersionRange};
use crate::cvss::{self, CvssVersion};
use crate::policy::Severity;

/// The advisory as a CSAF 2.0 document of category `csaf_security_advisory`.
///
/// Expects an advisory that passed `Advisory::check`; anything that would still break the
/// schema (a CVE alias or CWE id CSAF cannot spell, a vector that does not score) is left out
/// rather than written wrong. An advisory counts as published (status `final`, TLP:WHITE)
/// once its publication date is reached; before, the document is a `draft` marked TLP:AMBER,
/// because it is then still under embargo.
pub fn csaf(advisory: &Advisory, context: &ExportContext) -> Value {
    let products = Products::of(advisory, context);
    json!({
        "document": document(advisory, context),
        "product_tree": products.tree.clone(),
        "vulnerabilities": [vulnerability(advisory, &products)],
    })
}

/// The `document` object: metadata, tracking, notes, self link and acknowledgments.
fn document(advisory: &Advisory, context: &ExportContext) -> Value {
    // A scheduled publication date in the future does not make the advisory public yet.
    let published = advisory.published.filter(|p| *p <= context.now);
    let initial: Timestamp = published.unwrap_or(context.now);
    // CSAF requires the current release not to predate the initial one (or any revision).
    let current = advisory.modified.max(initial);

    let mut notes = vec![note("summary", "Summary", &advisory.summary)];
    if !advisory.details.trim().is_empty() {
        notes.push(note("description", "Details", &advisory.details));
    }

    let mut doc = Map::new();
    doc.insert("category".into(), json!("csaf_security_advisory"));
    doc.insert("csaf_version".into(), json!("2.0"));
    doc.insert("lang".into(), json!(context.lang));
    doc.insert("title".into(), json!(advisory.title));
    doc.insert(
        "publisher".into(),
        json!({
            "category": "vendor",
            "name": context.publisher,
            "namespace": context.publisher_url,
        }),
    );
    doc.insert(
        "tracking".into(),
        json!({
            "id": advisory.id.as_str(),
            "status": if published.is_some() { "final" } else { "draft" },
            "version": "1",
            "revision_history": [{
                "number": "1",
                "date": initial.to_string(),
                "summary": "Initial release",
            }],
            "initial_release_date": initial.to_string(),
            "current_release_date": current.to_string(),
            // The document is made again from the record at each request, so it is dated
            // by its last change: the same record gives the same bytes, which its hashes and
            // signature in the provider directory cover.
            "generator": {
                "engine": { "name": "Postern", "version": env!("CARGO_PKG_VERSION") },
                "date": current.to_string(),
            },
        }),
    );
    let distribution = if published.is_some() {
        json!({ "tlp": { "label": "WHITE" } })
    } else {
        json!({
            "text": "Embargoed: not for disclosure before the advisory is published.",
            "tlp": { "label": "AMBER" },
        })
    };
    doc.insert("distribution".into(), distribution);
    if let Some(severity) = advisory.severity {
        doc.insert(
            "aggregate_severity".into(),
            json!({ "text": severity_label(severity) }),
        );
    }
    doc.insert("notes".into(), Value::Array(notes));
    // Published, the document's canonical address is its place in the provider directory
    // (CSAF 6.2.11); the page for people is another reference. A draft has no place there yet.
    let page = json!({
        "category": if published.is_some() { "external" } else { "self" },
        "summary": format!("{} on {}", advisory.id, context.project_name),
        "url": context.page_url(&advisory.id),
    });
    let references = match published {
        Some(published) => json!([
            {
                "category": "self",
                "summary": format!("{} as CSAF 2.0", advisory.id),
                "url": document_url(context, &advisory.id, published),
            },
            page,
        ]),
        None => json!([page]),
    };
    doc.insert("references".into(), references);
    let acknowledgments: Vec<Value> = advisory
        .credits
        .iter()
        .map(|credit| {
            let mut ack = Map::new();
            ack.insert("names".into(), json!([credit.shown_name()]));
            ack.insert("summary".into(), json!(role_text(credit.role)));
            // Contacts identify a person: never for an anonymous credit, even if one slipped
            // past the advisory's check.
            if credit.name.is_some() && !credit.contact.is_empty() {
                ack.insert("urls".into(), json!(credit.contact));
            }
            Value::Object(ack)
        })
        .collect();
    if !acknowledgments.is_empty() {
        doc.insert("acknowledgments".into(), Value::Array(acknowledgments));
    }
    Value::Object(doc)
}

/// The products of one affected package, by status.
struct PackageProducts {
    /// Package name and ecosystem, for remediation texts.
    label: String,
    /// Ids of the affected ranges and listed versions.
    affected: Vec<String>,
    /// Fixed versions with their ids.
    fixed: Vec<(String, String)>,
}

/// The product tree with the ids it defines, grouped by package.
struct Products {
    tree: Value,
    packages: Vec<PackageProducts>,
}

impl Products {
    /// Builds the tree; ids are numbered in advisory order, so they are stable for a given
    /// advisory.
    fn of(advisory: &Advisory, context: &ExportContext) -> Products {
        // The same package may be listed twice (one entry per range line); CSAF wants one
        // product_name branch per package.
        let mut groups: Vec<(&str, &str, Vec<&Affected>)> = Vec::new();
        for a in &advisory.affected {
            match groups
                .iter_mut()
                .find(|(e, p, _)| *e == a.ecosystem && *p == a.package)
            {
                Some((_, _, entries)) => entries.push(a),
                None => groups.push((&a.ecosystem, &a.package, vec![a])),
            }
        }

        let mut next = 0usize;
        let mut new_id = || {
            next += 1;
            format!("CSAFPID-{next:04}")
        };
        let mut package_branches = Vec::new();
        let mut packages = Vec::new();
        for (ecosystem, package, entries) in groups {
            // Every product names its package by a purl (CSAF 6.2.16): with the version for
            // a listed or fixed version, without one for a range of them.
            let product = |version: &str, id: &str, exact: bool| {
                json!({
                    "name": format!("{package} {version} ({ecosystem})"),
                    "product_id": id,
                    "product_identification_helper": {
                        "purl": purl(ecosystem, package, exact.then_some(version)),
                    },
                })
            };
            let mut branches = Vec::new();
            let mut affected = Vec::new();

            let mut ranges: Vec<String> = Vec::new();
            for r in entries.iter().flat_map(|a| &a.ranges) {
                let vers = vers(ecosystem, r);
                if !ranges.contains(&vers) {
                    ranges.push(vers);
                }
            }
            for vers in ranges {
                let id = new_id();
                branches.push(json!({
                    "category": "product_version_range",
                    "name": vers,
                    "product": product(&vers, &id, false),
                }));
                affected.push(id);
            }

            let mut listed: Vec<&str> = Vec::new();
            for v in entries.iter().flat_map(|a| &a.versions) {
                if !listed.contains(&v.as_str()) {
                    listed.push(v);
                }
            }
            for version in &listed {
                let id = new_id();
                branches.push(json!({
                    "category": "product_version",
                    "name": version,
                    "product": product(version, &id, true),
                }));
                affected.push(id);
            }

            // A version listed as affected stays affected: saying it is also fixed would
            // contradict (CSAF 6.1.6).
            let mut fixed: Vec<(String, String)> = Vec::new();
            for v in entries
                .iter()
                .flat_map(|a| &a.ranges)
                .filter_map(|r| r.fixed.as_deref())
            {
                if !listed.contains(&v) && !fixed.iter().any(|(f, _)| f == v) {
                    let id = new_id();
                    branches.push(json!({
                        "category": "product_version",
                        "name": v,
                        "product": product(v, &id, true),
                    }));
                    fixed.push((v.to_owned(), id));
                }
            }

            package_branches.push(json!({
                "category": "product_name",
                "name": package,
                "branches": branches,
            }));
            packages.push(PackageProducts {
                label: format!("{package} ({ecosystem})"),
                affected,
                fixed,
            });
        }

        let vendor = if context.project_name.trim().is_empty() {
            advisory.project.as_str()
        } else {
            context.project_name.as_str()
        };
        let tree = json!({
            "branches": [{
                "category": "vendor",
                "name": vendor,
                "branches": package_branches,
            }],
        });
        Products { tree, packages }
    }

    fn affected_ids(&self) -> Vec<String> {
        self.packages
            .iter()
            .flat_map(|p| p.affected.iter().cloned())
            .collect()
    }
}

/// The one vulnerability the advisory is about.
fn vulnerability(advisory: &Advisory, products: &Products) -> Value {
    let mut v = Map::new();
    v.insert("title".into(), json!(advisory.title));

    let cve = advisory.aliases.iter().find(|a| is_cve(a));
    if let Some(cve) = cve {
        v.insert("cve".into(), json!(cve));
    }
    // Other aliases (GHSA, PYSEC, further CVE ids) go to `ids`, named by their prefix.
    let ids: Vec<Value> = advisory
        .aliases
        .iter()
        .filter(|a| Some(*a) != cve && !a.trim().is_empty())
        .map(|a| {
            let system = a.split_once('-').map_or(a.as_str(), |(prefix, _)| prefix);
            json!({ "system_name": system, "text": a })
        })
        .collect();
    if !ids.is_empty() {
        v.insert("ids".into(), Value::Array(ids));
    }

    // CSAF 2.0 holds one CWE; the others are told in a note.
    let mut cwes = advisory.cwes.iter().filter(|c| is_csaf_cwe(c));
    if let Some(cwe) = cwes.next() {
        v.insert(
            "cwe".into(),
            json!({ "id": cwe, "name": cwe_name(cwe).unwrap_or(cwe) }),
        );
    }
    let more_cwes: Vec<&str> = cwes.map(String::as_str).collect();

    let mut notes = vec![note("description", "Description", &advisory.summary)];
    if !more_cwes.is_empty() {
        notes.push(note(
            "other",
            "Further weaknesses",
            &format!("Also classified as {}.", more_cwes.join(", ")),
        ));
    }
    if let Some(rating) = advisory.cvss_v4.as_deref().and_then(|v| cvss::rate(v).ok()) {
        notes.push(note(
            "other",
            "CVSS v4.0",
            &format!(
                "CVSS v4.0 base score {:.1} ({}): {}",
                rating.score,
                cvss_severity(rating.severity),
                rating.vector
            ),
        ));
    }
    v.insert("notes".into(), Value::Array(notes));

    let known_affected = products.affected_ids();
    let fixed: Vec<&str> = products
        .packages
        .iter()
        .flat_map(|p| p.fixed.iter().map(|(_, id)| id.as_str()))
        .collect();
    // Empty lists break the schema (minItems 1), so only non-empty statuses are written.
    let mut status = Map::new();
    if !known_affected.is_empty() {
        status.insert("known_affected".into(), json!(known_affected));
    }
    if !fixed.is_empty() {
        status.insert("fixed".into(), json!(fixed));
    }
    if !status.is_empty() {
        v.insert("product_status".into(), Value::Object(status));
    }

    if let Some(rating) = advisory.cvss_v3.as_deref().and_then(|v| cvss::rate(v).ok())
        && rating.version == CvssVersion::V3
        && !known_affected.is_empty()
    {
        let version = if rating.vector.starts_with("CVSS:3.0/") {
            "3.0"
        } else {
            "3.1"
        };
        v.insert(
            "scores".into(),
            json!([{
                "products": known_affected,
                "cvss_v3": {
                    "version": version,
                    "vectorString": rating.vector,
                    "baseScore": rating.score,
                    "baseSeverity": cvss_severity(rating.severity),
                },
            }]),
        );
    }

    let remediations: Vec<Value> = products
        .packages
        .iter()
        .filter(|p| !p.affected.is_empty())
        .map(|p| {
            if p.fixed.is_empty() {
                json!({
                    "category": "none_available",
                    "details": format!("No fixed version of {} is available yet.", p.label),
                    "product_ids": p.affected,
                })
            } else {
                let versions: Vec<&str> = p.fixed.iter().map(|(v, _)| v.as_str()).collect();
                json!({
                    "category": "vendor_fix",
                    "details": format!("Upgrade {} to {}.", p.label, versions.join(" or ")),
                    "product_ids": p.affected,
                })
            }
        })
        .collect();
    if !remediations.is_empty() {
        v.insert("remediations".into(), Value::Array(remediations));
    }

    let references: Vec<Value> = advisory
        .references
        .iter()
        .map(|r| {
            json!({
                "category": "external",
                "summary": reference_text(r.kind),
                "url": r.url,
            })
        })
        .collect();
    if !references.is_empty() {
        v.insert("references".into(), Value::Array(references));
    }
    if let Some(published) = advisory.published {
        v.insert("release_date".into(), json!(published.to_string()));
    }
    Value::Object(v)
}

/// A note; CSAF requires a non-empty text, which callers ensure.
fn note(category: &str, title: &str, text: &str) -> Value {
    json!({ "category": category, "title": title, "text": text })
}

/// A range as a `vers:` string (the notation CSAF recommends for `product_version_range`),
/// e.g. `vers:pypi/>=2.0.0|<2.4.1`.
fn vers(ecosystem: &str, range: &VersionRange) -> String {
    let lower = (range.introduced != "0").then(|| format!(">={}", vers_version(&range.introduced)));
    let upper = match (&range.fixed, &range.last_affected) {
        (Some(fixed), _) => Some(format!("<{}", vers_version(fixed))),
        (None, Some(last)) => Some(format!("<={}", vers_version(last))),
        (None, None) => None,
    };
    let constraints: Vec<String> = lower.into_iter().chain(upper).collect();
    let constraints = if constraints.is_empty() {
        "*".to_owned()
    } else {
        constraints.join("|")
    };
    format!("vers:{}/{constraints}", purl_type(ecosystem))
}

/// A package URL (purl) for a package of an OSV ecosystem, with a version or without:
/// `pkg:pypi/django@4.2.1`, `pkg:npm/%40acme/widgets`, `pkg:maven/org.acme/widgets@1.0`,
/// `pkg:deb/debian/openssl`. Names are normalised as the purl types ask (PyPI's lower case
/// with `-`); a name's `/` (npm scopes, Go modules, Composer, GitHub) and Maven's `:` separate
/// the namespace; every segment is percent-encoded.
fn purl(ecosystem: &str, package: &str, version: Option<&str>) -> String {
    let kind = purl_type(ecosystem);
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    let mut name = match kind {
        "pypi" => package.to_lowercase().replace(['_', '.'], "-"),
        "composer" | "github" | "deb" | "apk" => package.to_lowercase(),
        _ => package.to_owned(),
    };
    // Distributions name their vendor as the namespace.
    let vendor = match base {
        "Debian" => Some("debian"),
        "Ubuntu" => Some("ubuntu"),
        "Alpine" => Some("alpine"),
        "Red Hat" => Some("redhat"),
        "Rocky Linux" => Some("rocky"),
        "AlmaLinux" => Some("almalinux"),
        "openSUSE" => Some("opensuse"),
        "SUSE" => Some("suse"),
        _ => None,
    };
    let mut namespace: Vec<String> = vendor.map(str::to_owned).into_iter().collect();
    if kind == "maven"
        && let Some((group, artifact)) = name.split_once(':')
    {
        namespace.push(group.to_owned());
        name = artifact.to_owned();
    } else if matches!(kind, "npm" | "golang" | "composer" | "github" | "swift")
        && let Some((path, last)) = name.rsplit_once('/')
    {
        namespace.extend(path.split('/').filter(|s| !s.is_empty()).map(str::to_owned));
        name = last.to_owned();
    }
    let mut out = format!("pkg:{kind}/");
    for segment in &namespace {
        out.push_str(&purl_encode(segment));
        out.push('/');
    }
    out.push_str(&purl_encode(&name));
    if let Some(version) = version {
        out.push('@');
        out.push_str(&purl_encode(version));
    }
    out
}

/// A purl segment percent-encoded: everything but ASCII letters, digits and `.-_~`.
fn purl_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b".-_~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The package-URL type of an OSV ecosystem, which is also its `vers` versioning scheme;
/// `generic` when there is none, so the strings stay well-formed.
fn purl_type(ecosystem: &str) -> &'static str {
    // OSV qualifies some ecosystems with a release, as in `Debian:12` or `Alpine:v3.19`.
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    match base {
        "PyPI" => "pypi",
        "npm" => "npm",
        "crates.io" => "cargo",
        "Go" => "golang",
        "Maven" => "maven",
        "NuGet" => "nuget",
        "RubyGems" => "gem",
        "Packagist" => "composer",
        "Hex" => "hex",
        "Pub" => "pub",
        "Hackage" => "hackage",
        "CRAN" => "cran",
        "SwiftURL" => "swift",
        "Debian" | "Ubuntu" => "deb",
        "Alpine" => "apk",
        "Red Hat" | "Rocky Linux" | "AlmaLinux" | "openSUSE" | "SUSE" => "rpm",
        "GitHub Actions" => "github",
        _ => "generic",
    }
}

/// A version escaped for a `vers` string: characters with a meaning there (`|`, `<`, `!`,
/// `/`, ...) are percent-encoded, as the vers specification asks.
fn vers_version(version: &str) -> String {
    let mut out = String::with_capacity(version.len());
    for c in version.chars() {
        if c.is_ascii_alphanumeric() || "-._~+:".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Whether an alias is a CVE id as CSAF's schema spells it (`CVE-2026-12345`).
fn is_cve(alias: &str) -> bool {
    alias.strip_prefix("CVE-").is_some_and(|rest| {
        rest.split_once('-').is_some_and(|(year, number)| {
            year.len() == 4
                && number.len() >= 4
                && year
                    .bytes()
                    .chain(number.bytes())
                    .all(|b| b.is_ascii_digit())
        })
    })
}

/// Whether a CWE id fits CSAF's pattern `^CWE-[1-9]\d{0,5}$` (no leading zero, at most six
/// digits), which is stricter than the advisory's check.
fn is_csaf_cwe(id: &str) -> bool {
    id.strip_prefix("CWE-").is_some_and(|n| {
        (1..=6).contains(&n.len()) && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The official name of common CWEs (CSAF requires a name, and its test 6.1.11 compares it
/// with the CWE catalogue); `None` for others, whose id then stands for the name.
fn cwe_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "CWE-20" => "Improper Input Validation",
        "CWE-22" => {
            "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')"
        }
        "CWE-77" => {
            "Improper Neutralization of Special Elements used in a Command ('Command Injection')"
        }
        "CWE-78" => {
            "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')"
        }
        "CWE-79" => {
            "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')"
        }
        "CWE-89" => {
            "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')"
        }
        "CWE-94" => "Improper Control of Generation of Code ('Code Injection')",
        "CWE-119" => "Improper Restriction of Operations within the Bounds of a Memory Buffer",
        "CWE-125" => "Out-of-bounds Read",
        "CWE-190" => "Integer Overflow or Wraparound",
        "CWE-200" => "Exposure of Sensitive Information to an Unauthorized Actor",
        "CWE-269" => "Improper Privilege Management",
        "CWE-287" => "Improper Authentication",
        "CWE-306" => "Missing Authentication for Critical Function",
        "CWE-352" => "Cross-Site Request Forgery (CSRF)",
        "CWE-400" => "Uncontrolled Resource Consumption",
        "CWE-416" => "Use After Free",
        "CWE-434" => "Unrestricted Upload of File with Dangerous Type",
        "CWE-476" => "NULL Pointer Dereference",
        "CWE-502" => "Deserialization of Untrusted Data",
        "CWE-601" => "URL Redirection to Untrusted Site ('Open Redirect')",
        "CWE-611" => "Improper Restriction of XML External Entity Reference",
        "CWE-787" => "Out-of-bounds Write",
        "CWE-862" => "Missing Authorization",
        "CWE-863" => "Incorrect Authorization",
        "CWE-918" => "Server-Side Request Forgery (SSRF)",
        _ => return None,
    })
}

/// CVSS's qualitative rating in the spelling of FIRST's schemas.
fn cvss_severity(severity: Option<Severity>) -> &'static str {
    match severity {
        None => "NONE",
        Some(Severity::Low) => "LOW",
        Some(Severity::Medium) => "MEDIUM",
        Some(Severity::High) => "HIGH",
        Some(Severity::Critical) => "CRITICAL",
    }
}

/// The advisory's qualitative severity as `aggregate_severity` text.
fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

/// What an acknowledged person did, for the acknowledgment's summary.
fn role_text(role: CreditRole) -> &'static str {
    match role {
        CreditRole::Finder => "found the vulnerability",
        CreditRole::Reporter => "reported the vulnerability",
        CreditRole::Analyst => "analysed the vulnerability",
        CreditRole::Coordinator => "coordinated the disclosure",
        CreditRole::RemediationDeveloper => "developed the fix",
        CreditRole::RemediationReviewer => "reviewed the fix",
        CreditRole::RemediationVerifier => "verified the fix",
        CreditRole::Tool => "provided the tool that found the vulnerability",
        CreditRole::Sponsor => "sponsored the work",
        CreditRole::Other => "contributed",
    }
}

/// What a reference is, for its CSAF summary.
fn reference_text(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::Advisory => "Advisory",
        ReferenceKind::Article => "Article",
        ReferenceKind::Detection => "Detection",
        ReferenceKind::Discussion => "Discussion",
        ReferenceKind::Report => "Report",
        ReferenceKind::Fix => "Fix",
        ReferenceKind::Introduced => "Change that introduced the vulnerability",
        ReferenceKind::Package => "Package",
        ReferenceKind::Evidence => "Evidence",
        ReferenceKind::Web => "Web page",
    }
}

/// Where a provider serves its TLP:WHITE documents, below the public address.
pub const PROVIDER_DIRECTORY: &str = "/.well-known/csaf/white";

/// The file name of an advisory's document in a provider directory (CSAF 2.0, 5.1): the
/// tracking id in lower case, with every run of characters other than letters, digits, `+` and
/// `-` replaced by one `_`, and `.json`.
pub fn file_name(id: &AdvisoryId) -> String {
    let mut stem = String::with_capacity(id.as_str().len() + 5);
    for c in id.as_str().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '-' {
            stem.push(c);
        } else if !stem.ends_with('_') {
            stem.push('_');
        }
    }
    stem.push_str(".json");
    stem
}

/// The path of a published advisory's document below `PROVIDER_DIRECTORY` (CSAF 2.0,
/// 7.1.11): the year of its initial release, then its file name, as `2026/acme-2026-0007.json`.
pub fn document_path(id: &AdvisoryId, published: Timestamp) -> String {
    let year = published.to_zoned(jiff::tz::TimeZone::UTC).year();
    format!("{year}/{}", file_name(id))
}

/// The canonical address of a published advisory's document in the provider directory.
pub fn document_url(context: &ExportContext, id: &AdvisoryId, published: Timestamp) -> String {
    format!(
        "{}{PROVIDER_DIRECTORY}/{}",
        context.base_url,
        document_path(id, published)
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::PathBuf;

    use jiff::Timestamp;
    use serde_json::Value;

    use super::{csaf, file_name};
    use crate::advisory::tests::full;
    use crate::advisory::{
        Advisory, AdvisoryId, Affected, Credit, CreditRole, Reference, ReferenceKind, VersionRange,
    };
    use crate::export::ExportContext;
    use crate::export::csaf_directory::{SigningKey, provider_metadata};
    use crate::export::tests::{context, read_json, schemas_dir};
    use serde_json::json;

    /// Serves FIRST's CVSS schemas, which the CSAF schema `$ref`s by https URL, from the
    /// shared folder: validation must never reach the network.
    struct LocalCvss(PathBuf);

    impl jsonschema::Retrieve for LocalCvss {
        fn retrieve(
            &self,
            uri: &jsonschema::Uri<String>,
        ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
            let file = match uri.as_str() {
                "https://www.first.org/cvss/cvss-v2.0.json" => "cvss-v2.0.json",
                "https://www.first.org/cvss/cvss-v3.0.json" => "cvss-v3.0.json",
                "https://www.first.org/cvss/cvss-v3.1.json" => "cvss-v3.1.json",
                "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json" => {
                    "csaf_json_schema.json"
                }
                other => return Err(format!("{other} is not available offline").into()),
            };
            Ok(read_json(&self.0.join(file)))
        }
    }

    /// The CSAF 2.0 validator with the CVSS schemas served locally, and the shared folder.
    fn validator() -> Option<(jsonschema::Validator, PathBuf)> {
        let dir = schemas_dir()?;
        let csaf_dir = dir.join("csaf-2.0");
        let schema = read_json(&csaf_dir.join("csaf_json_schema.json"));
        let validator = jsonschema::options()
            .with_retriever(LocalCvss(csaf_dir))
            .build(&schema)
            .unwrap_or_else(|e| panic!("the CSAF schema does not build: {e}"));
        Some((validator, dir))
    }

    fn schema_errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
        validator
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    fn assert_valid(validator: &jsonschema::Validator, doc: &Value) {
        let errors = schema_errors(validator, doc);
        assert!(
            errors.is_empty(),
            "not valid CSAF 2.0:\n{}\n{doc:#}",
            errors.join("\n")
        );
    }

    /// Every product id the product tree defines, in order (branches, full product names and
    /// relationships).
    fn defined_ids(tree: &Value) -> Vec<String> {
        fn walk(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    for (key, v) in map {
                        if key == "product" || key == "full_product_name" {
                            if let Some(id) = v["product_id"].as_str() {
                                out.push(id.to_owned());
                            }
                        } else if key == "full_product_names" {
                            for p in v.as_array().into_iter().flatten() {
                                out.extend(p["product_id"].as_str().map(str::to_owned));
                            }
                        }
                        if key != "product" && key != "full_product_names" {
                            walk(v, out);
                        }
                    }
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(tree, &mut out);
        out
    }

    fn strings(value: &Value) -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().expect("a product id is a string").to_owned())
            .collect()
    }

    fn timestamp(value: &Value) -> Timestamp {
        let text = value.as_str().expect("a date is a string");
        text.parse()
            .unwrap_or_else(|e| panic!("{text:?} is not a date: {e}"))
    }

    /// The CSAF 2.0 mandatory tests (section 6.1) that can apply to what Postern writes; each
    /// failure names its test.
    fn mandatory_tests(doc: &Value) {
        let tree = doc
            .get("product_tree")
            .expect("6.1.27.4: a security advisory has a product tree");
        let defined = defined_ids(tree);
        let unique: HashSet<&String> = defined.iter().collect();
        assert_eq!(
            unique.len(),
            defined.len(),
            "6.1.2: product ids are defined more than once: {defined:?}"
        );

        let vulnerabilities = doc["vulnerabilities"]
            .as_array()
            .expect("vulnerabilities is a list");
        for v in vulnerabilities {
            assert!(
                v["notes"].as_array().is_some_and(|n| !n.is_empty()),
                "6.1.27.5: a vulnerability has notes"
            );
            let status = v
                .get("product_status")
                .expect("6.1.27.6: a vulnerability has a product status");
            let mut referenced = Vec::new();
            let mut seen_in: Vec<(String, &str)> = Vec::new();
            for (group, ids) in status.as_object().expect("product_status is an object") {
                for id in strings(ids) {
                    // 6.1.6: one product in contradicting groups (affected, not affected,
                    // fixed, under investigation).
                    let class = match group.as_str() {
                        "first_affected" | "known_affected" | "last_affected" => "affected",
                        "known_not_affected" => "not affected",
                        "first_fixed" | "fixed" => "fixed",
                        _ => "under investigation",
                    };
                    if let Some((_, other)) = seen_in.iter().find(|(i, c)| *i == id && *c != class)
                    {
                        panic!("6.1.6: {id} is both {other} and {class}");
                    }
                    seen_in.push((id.clone(), class));
                    referenced.push(id);
                }
            }
            for score in v["scores"].as_array().into_iter().flatten() {
                referenced.extend(strings(&score["products"]));
                if let Some(v3) = score.get("cvss_v3") {
                    let vector = v3["vectorString"].as_str().expect("a vector string");
                    let rating = crate::cvss::rate(vector)
                        .unwrap_or_else(|e| panic!("6.1.8: {vector} does not score: {e}"));
                    assert_eq!(
                        v3["baseScore"].as_f64(),
                        Some(rating.score),
                        "6.1.9: base score of {vector}"
                    );
                    assert_eq!(
                        v3["baseSeverity"].as_str(),
                        Some(super::cvss_severity(rating.severity)),
                        "6.1.9: base severity of {vector}"
                    );
                }
            }
            for r in v["remediations"].as_array().into_iter().flatten() {
                referenced.extend(strings(&r["product_ids"]));
            }
            for t in v["threats"].as_array().into_iter().flatten() {
                referenced.extend(strings(&t["product_ids"]));
            }
            for id in referenced {
                assert!(
                    defined.contains(&id),
                    "6.1.1: {id} is referenced but not defined in the product tree"
                );
            }
        }

        let tracking = &doc["document"]["tracking"];
        let current = timestamp(&tracking["current_release_date"]);
        assert!(
            timestamp(&tracking["initial_release_date"]) <= current,
            "the initial release is after the current one"
        );
        let history = tracking["revision_history"]
            .as_array()
            .expect("a revision history");
        for revision in history {
            assert!(
                timestamp(&revision["date"]) <= current,
                "6.1.14-ish: a revision is dated after the current release"
            );
        }
        // 6.1.16: the document version is the latest revision's number.
        assert_eq!(
            history.last().map(|r| &r["number"]),
            Some(&tracking["version"]),
            "6.1.16: latest document version"
        );
    }

    fn check(doc: &Value) {
        mandatory_tests(doc);
        if let Some((validator, _)) = validator() {
            assert_valid(&validator, doc);
        }
    }

    /// The product ids of the branches named `name` (in the tree, under any package).
    fn ids_named(doc: &Value, name: &str) -> Vec<String> {
        fn walk(value: &Value, name: &str, out: &mut Vec<String>) {
            for b in value["branches"].as_array().into_iter().flatten() {
                if b["name"] == name
                    && let Some(id) = b["product"]["product_id"].as_str()
                {
                    out.push(id.to_owned());
                }
                walk(b, name, out);
            }
        }
        let mut out = Vec::new();
        walk(&doc["product_tree"], name, &mut out);
        out
    }

    fn minimal() -> Advisory {
        Advisory {
            id: AdvisoryId::new("ACME", 2026, 8),
            project: "acme-widgets".into(),
            title: "Crash on malformed input".into(),
            summary: "A malformed header crashes the parser".into(),
            details: String::new(),
            severity: None,
            cvss_v3: None,
            cvss_v4: None,
            cwes: Vec::new(),
            affected: vec![Affected {
                ecosystem: "npm".into(),
                package: "acme-parser".into(),
                ranges: Vec::new(),
                versions: vec!["1.0.0".into(), "1.0.1".into()],
            }],
            references: Vec::new(),
            credits: Vec::new(),
            aliases: Vec::new(),
            published: None,
            modified: "2026-11-25T09:00:00Z".parse().unwrap(),
        }
    }

    fn range(introduced: &str, fixed: Option<&str>, last: Option<&str>) -> VersionRange {
        VersionRange {
            introduced: introduced.into(),
            fixed: fixed.map(Into::into),
            last_affected: last.map(Into::into),
        }
    }

    fn many() -> Advisory {
        let package = |ecosystem: &str, name: &str, ranges, versions: &[&str]| Affected {
            ecosystem: ecosystem.into(),
            package: name.into(),
            ranges,
            versions: versions.iter().map(|v| (*v).to_owned()).collect(),
        };
        let mut a = full();
        a.cvss_v3 = Some("CVSS:3.0/AV:N/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:N".into());
        a.cvss_v4 = None;
        a.cwes = vec!["CWE-79".into(), "CWE-1336".into(), "CWE-0079".into()];
        a.aliases = vec![
            "GHSA-abcd-efgh-ijkl".into(),
            "CVE-2026-99999".into(),
            "PYSEC-2026-1".into(),
        ];
        a.affected = vec![
            package(
                "PyPI",
                "acme-widgets",
                vec![
                    range("2.0.0", Some("2.4.1"), None),
                    range("0", Some("1.9.8"), None),
                    range("3.0.0rc1", None, Some("3.0.0rc4")),
                ],
                &["1.0.0.post1"],
            ),
            package(
                "npm",
                "@acme/widgets",
                vec![range("0", None, None), range("5.0.0", Some("5.0.3"), None)],
                &[],
            ),
            package(
                "crates.io",
                "acme-widgets",
                vec![range("0.3.0", Some("0.3.7"), None)],
                &["0.3.7"],
            ),
            package(
                "Go",
                "github.com/acme/widgets",
                vec![range("1.2.0", None, None), range("0", Some("1.1.9"), None)],
                &[],
            ),
            package(
                "Maven",
                "com.acme:widgets",
                vec![
                    range("4.0", Some("4.2"), None),
                    range("0", Some("3.9.1"), None),
                ],
                &[],
            ),
            package(
                "Debian:12",
                "acme-widgets",
                vec![range("0", Some("1:2.4.1-1"), None)],
                &[],
            ),
            package(
                "OSS-Fuzz",
                "acme|widgets",
                vec![range("1|2", Some("1!3"), None)],
                &[],
            ),
            // The same package again, as a second entry: merged into one product_name.
            package(
                "PyPI",
                "acme-widgets",
                vec![range("2.0.0", Some("2.4.1"), None)],
                &["2.5.0"],
            ),
        ];
        a.references.push(Reference {
            kind: ReferenceKind::Advisory,
            url: "https://github.com/advisories/GHSA-abcd-efgh-ijkl".into(),
        });
        a.credits.push(Credit {
            name: Some("Grace Hopper".into()),
            role: CreditRole::RemediationDeveloper,
            contact: Vec::new(),
        });
        a
    }

    #[test]
    fn the_validator_accepts_the_shared_examples_and_rejects_broken_documents() {
        let Some((validator, dir)) = validator() else {
            return;
        };
        for example in [
            "csaf-bsi-2022-0001.json",
            "csaf-cisco-sa-20180328-smi2.json",
        ] {
            assert_valid(&validator, &read_json(&dir.join("examples").join(example)));
        }
        // The CVSS schemas are really applied (not skipped): a score above 10 is refused, as
        // is a v3.1 severity FIRST does not know.
        let mut doc = csaf(&full(), &context());
        assert_valid(&validator, &doc);
        doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = 11.0.into();
        assert!(!schema_errors(&validator, &doc).is_empty());
        let mut doc = csaf(&full(), &context());
        doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseSeverity"] = "EXTREME".into();
        assert!(!schema_errors(&validator, &doc).is_empty());
        let mut doc = csaf(&full(), &context());
        doc["document"]["tracking"]["status"] = "published".into();
        assert!(!schema_errors(&validator, &doc).is_empty());
    }

    #[test]
    fn a_full_advisory_is_a_valid_final_security_advisory() {
        let a = full();
        a.check().unwrap();
        let ctx = context();
        let doc = csaf(&a, &ctx);
        check(&doc);

        let document = &doc["document"];
        assert_eq!(document["category"], "csaf_security_advisory");
        assert_eq!(document["csaf_version"], "2.0");
        assert_eq!(document["title"], a.title.as_str());
        assert_eq!(document["publisher"]["name"], ctx.publisher.as_str());
        assert_eq!(
            document["publisher"]["namespace"],
            ctx.publisher_url.as_str()
        );
        let tracking = &document["tracking"];
        assert_eq!(tracking["id"], "ACME-2026-0007");
        assert_eq!(tracking["status"], "final");
        assert_eq!(tracking["initial_release_date"], "2026-11-20T10:00:00Z");
        assert_eq!(tracking["current_release_date"], "2026-11-21T08:30:00Z");
        assert_eq!(
            tracking["revision_history"][0]["date"],
            "2026-11-20T10:00:00Z"
        );
        assert_eq!(document["distribution"]["tlp"]["label"], "WHITE");
        assert_eq!(document["aggregate_severity"]["text"], "High");
        assert_eq!(document["notes"][0]["category"], "summary");
        assert_eq!(document["notes"][1]["category"], "description");
        assert_eq!(document["notes"][1]["text"], a.details.as_str());
        assert_eq!(document["lang"], "en");
        assert_eq!(document["references"][0]["category"], "self");
        assert_eq!(
            document["references"][0]["url"],
            "https://security.acme.example/.well-known/csaf/white/2026/acme-2026-0007.json"
        );
        assert_eq!(document["references"][1]["category"], "external");
        assert_eq!(
            document["references"][1]["url"],
            "https://security.acme.example/advisories/ACME-2026-0007"
        );
        // Dated by its last change, not the moment of export: the same record, the same bytes.
        assert_eq!(tracking["generator"]["date"], "2026-11-21T08:30:00Z");
        let later = ExportContext {
            now: "2027-01-01T00:00:00Z".parse().unwrap(),
            ..ctx.clone()
        };
        assert_eq!(csaf(&a, &later).to_string(), doc.to_string());

        // vendor → package → ranges, then fixed versions, numbered in that order.
        let vendor = &doc["product_tree"]["branches"][0];
        assert_eq!(vendor["category"], "vendor");
        assert_eq!(vendor["name"], "Acme Widgets");
        let package = &vendor["branches"][0];
        assert_eq!(package["category"], "product_name");
        assert_eq!(package["name"], "acme-widgets");
        let branches: Vec<(&str, &str, &str)> = package["branches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["category"].as_str().unwrap(),
                    b["name"].as_str().unwrap(),
                    b["product"]["product_id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            branches,
            [
                (
                    "product_version_range",
                    "vers:pypi/>=2.0.0|<2.4.1",
                    "CSAFPID-0001"
                ),
                ("product_version_range", "vers:pypi/<1.9.8", "CSAFPID-0002"),
                ("product_version", "2.4.1", "CSAFPID-0003"),
                ("product_version", "1.9.8", "CSAFPID-0004"),
            ]
        );

        let v = &doc["vulnerabilities"][0];
        assert_eq!(v["cve"], "CVE-2026-12345");
        assert_eq!(v["cwe"]["id"], "CWE-22");
        assert_eq!(
            v["cwe"]["name"],
            "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')"
        );
        assert_eq!(
            v["product_status"],
            serde_json::json!({
                "known_affected": ["CSAFPID-0001", "CSAFPID-0002"],
                "fixed": ["CSAFPID-0003", "CSAFPID-0004"],
            })
        );
        let v3 = &v["scores"][0]["cvss_v3"];
        assert_eq!(v3["version"], "3.1");
        assert_eq!(
            v3["vectorString"],
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
        );
        assert_eq!(v3["baseScore"], 7.5);
        assert_eq!(v3["baseSeverity"], "HIGH");
        assert_eq!(v["remediations"][0]["category"], "vendor_fix");
        assert_eq!(
            v["remediations"][0]["details"],
            "Upgrade acme-widgets (PyPI) to 2.4.1 or 1.9.8."
        );
        assert_eq!(
            v["remediations"][0]["product_ids"],
            serde_json::json!(["CSAFPID-0001", "CSAFPID-0002"])
        );
        let v4 = a.cvss_v4.as_deref().unwrap();
        assert!(
            v["notes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["text"].as_str().unwrap().contains(v4)),
            "the CVSS v4.0 vector is told in a note"
        );
        assert_eq!(v["references"][0]["url"], a.references[0].url.as_str());
        assert_eq!(v["references"][0]["category"], "external");

        // Stable: the same advisory gives the same document.
        assert_eq!(csaf(&a, &ctx), doc);
    }

    #[test]
    fn a_minimal_unpublished_advisory_is_a_valid_draft() {
        let a = minimal();
        a.check().unwrap();
        let ctx = context();
        let doc = csaf(&a, &ctx);
        check(&doc);

        let document = &doc["document"];
        assert_eq!(document["tracking"]["status"], "draft");
        assert_eq!(
            document["tracking"]["initial_release_date"],
            "2026-11-27T12:00:00Z"
        );
        assert_eq!(
            document["tracking"]["current_release_date"],
            "2026-11-27T12:00:00Z"
        );
        assert_ne!(document["distribution"]["tlp"]["label"], "WHITE");
        assert!(document.get("acknowledgments").is_none());
        assert!(document.get("aggregate_severity").is_none());
        assert_eq!(document["notes"].as_array().unwrap().len(), 1);

        let v = &doc["vulnerabilities"][0];
        assert!(v.get("cve").is_none() && v.get("cwe").is_none());
        assert!(v.get("scores").is_none());
        assert!(v.get("references").is_none());
        let affected = ids_named(&doc, "1.0.0")
            .into_iter()
            .chain(ids_named(&doc, "1.0.1"))
            .collect::<Vec<_>>();
        assert_eq!(
            v["product_status"],
            serde_json::json!({ "known_affected": affected })
        );
        assert_eq!(v["remediations"][0]["category"], "none_available");

        // A publication date still ahead keeps the advisory a draft.
        let mut scheduled = a.clone();
        scheduled.published = Some("2026-12-01T00:00:00Z".parse().unwrap());
        let doc = csaf(&scheduled, &ctx);
        check(&doc);
        assert_eq!(doc["document"]["tracking"]["status"], "draft");
    }

    #[test]
    fn many_packages_in_several_ecosystems_are_valid() {
        let a = many();
        a.check().unwrap();
        let doc = csaf(&a, &context());
        check(&doc);

        let ranges: Vec<&str> = doc["product_tree"]["branches"][0]["branches"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["branches"].as_array().unwrap())
            .filter(|b| b["category"] == "product_version_range")
            .map(|b| b["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            ranges,
            [
                "vers:pypi/>=2.0.0|<2.4.1",
                "vers:pypi/<1.9.8",
                "vers:pypi/>=3.0.0rc1|<=3.0.0rc4",
                "vers:npm/*",
                "vers:npm/>=5.0.0|<5.0.3",
                "vers:cargo/>=0.3.0|<0.3.7",
                "vers:golang/>=1.2.0",
                "vers:golang/<1.1.9",
                "vers:maven/>=4.0|<4.2",
                "vers:maven/<3.9.1",
                "vers:deb/<1:2.4.1-1",
                "vers:generic/>=1%7C2|<1%213",
            ]
        );
        // The two PyPI entries are one package; its duplicate range is written once.
        let packages: Vec<&str> = doc["product_tree"]["branches"][0]["branches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(packages.len(), 7);
        // Every product names its package by a purl (CSAF 6.2.16): ranges without a version.
        let purls: Vec<(&str, &str)> = doc["product_tree"]["branches"][0]["branches"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["branches"].as_array().unwrap())
            .map(|b| {
                (
                    b["name"].as_str().unwrap(),
                    b["product"]["product_identification_helper"]["purl"]
                        .as_str()
                        .unwrap(),
                )
            })
            .collect();
        for expected in [
            ("vers:pypi/>=2.0.0|<2.4.1", "pkg:pypi/acme-widgets"),
            ("1.0.0.post1", "pkg:pypi/acme-widgets@1.0.0.post1"),
            ("vers:npm/*", "pkg:npm/%40acme/widgets"),
            ("5.0.3", "pkg:npm/%40acme/widgets@5.0.3"),
            ("0.3.7", "pkg:cargo/acme-widgets@0.3.7"),
            ("1.1.9", "pkg:golang/github.com/acme/widgets@1.1.9"),
            ("4.2", "pkg:maven/com.acme/widgets@4.2"),
            ("1:2.4.1-1", "pkg:deb/debian/acme-widgets@1%3A2.4.1-1"),
            ("1!3", "pkg:generic/acme%7Cwidgets@1%213"),
        ] {
            assert!(purls.contains(&expected), "{expected:?} in {purls:#?}");
        }

        let v = &doc["vulnerabilities"][0];
        assert_eq!(v["cve"], "CVE-2026-99999");
        let ids: Vec<&str> = v["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["text"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["GHSA-abcd-efgh-ijkl", "PYSEC-2026-1"]);
        // CWE-1336 has no name in the table: its id stands in; CWE-0079 cannot be written.
        assert_eq!(v["cwe"]["id"], "CWE-79");
        let text = doc.to_string();
        assert!(text.contains("CWE-1336") && !text.contains("CWE-0079"));
        assert_eq!(v["scores"][0]["cvss_v3"]["version"], "3.0");

        // 0.3.7 is listed as affected, so it is not also fixed (no contradiction).
        let crate_fixed = ids_named(&doc, "0.3.7");
        assert_eq!(crate_fixed.len(), 1);
        assert!(strings(&v["product_status"]["known_affected"]).contains(&crate_fixed[0]));
        // Every affected range is covered by a remediation, one per package.
        let remediations = v["remediations"].as_array().unwrap();
        assert_eq!(remediations.len(), 7);
        let covered: HashSet<String> = remediations
            .iter()
            .flat_map(|r| strings(&r["product_ids"]))
            .collect();
        let affected: HashSet<String> = strings(&v["product_status"]["known_affected"])
            .into_iter()
            .collect();
        assert_eq!(covered, affected);
    }

    #[test]
    fn an_anonymous_credit_shows_no_name() {
        let a = many();
        let doc = csaf(&a, &context());
        let acknowledgments = doc["document"]["acknowledgments"].as_array().unwrap();
        let names: Vec<&str> = acknowledgments
            .iter()
            .flat_map(|ack| ack["names"].as_array().into_iter().flatten())
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(names, ["Ada Lovelace", "Anonymous", "Grace Hopper"]);
        let anonymous = &acknowledgments[1];
        assert!(anonymous.get("urls").is_none());
        let text = serde_json::to_string(&doc).unwrap();
        assert!(text.contains("Ada Lovelace") && text.contains("https://ada.example.org"));

        // Even a contact that slipped past the check is not written for an anonymous credit.
        let mut leaky = full();
        leaky.credits[1].contact = vec!["mailto:secret-reporter@example.org".into()];
        let text = serde_json::to_string(&csaf(&leaky, &context())).unwrap();
        assert!(!text.contains("secret-reporter"));
    }

    #[test]
    #[should_panic(expected = "6.1.1")]
    fn the_mandatory_tests_catch_an_undefined_product() {
        let mut doc = csaf(&full(), &context());
        doc["vulnerabilities"][0]["remediations"][0]["product_ids"] =
            serde_json::json!(["CSAFPID-9999"]);
        mandatory_tests(&doc);
    }

    #[test]
    #[should_panic(expected = "6.1.9")]
    fn the_mandatory_tests_catch_a_wrong_score() {
        let mut doc = csaf(&full(), &context());
        doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = 9.8.into();
        mandatory_tests(&doc);
    }

    #[test]
    fn helpers_follow_the_patterns_of_the_schema() {
        assert!(super::is_cve("CVE-2026-12345") && super::is_cve("CVE-1999-0001"));
        assert!(!super::is_cve("CVE-26-1234") && !super::is_cve("CVE-2026-123"));
        assert!(!super::is_cve("GHSA-2026-1234") && !super::is_cve("CVE-2026-12a4"));
        assert!(super::is_csaf_cwe("CWE-79") && super::is_csaf_cwe("CWE-999999"));
        assert!(!super::is_csaf_cwe("CWE-0") && !super::is_csaf_cwe("CWE-1000000"));
    }

    #[test]
    fn provider_metadata_validates_and_file_names_follow_the_standard() {
        assert_eq!(
            file_name(&AdvisoryId::new("ACME", 2026, 7)),
            "acme-2026-0007.json"
        );
        let Some(dir) = schemas_dir() else { return };
        let csaf_dir = dir.join("csaf-2.0");
        let schema = read_json(&csaf_dir.join("provider_json_schema.json"));
        let validator = jsonschema::options()
            .with_retriever(LocalCvss(csaf_dir))
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("the provider schema does not build: {e}"));
        let at: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let key = SigningKey {
            fingerprint: "8F5F267907B2C4559DB360DB2294BA7D2B2298B1".into(),
        };
        for (keys, signed, role) in [
            (vec![], true, "csaf_provider"),
            (vec![key.clone()], false, "csaf_provider"),
            (vec![key.clone()], true, "csaf_trusted_provider"),
        ] {
            let metadata = provider_metadata(&context(), at, &keys, signed);
            let errors = schema_errors(&validator, &metadata);
            assert!(errors.is_empty(), "{errors:#?}\n{metadata:#}");
            assert_eq!(metadata["role"], role);
        }
        let metadata = provider_metadata(&context(), at, &[key], true);
        assert_eq!(
            metadata["public_openpgp_keys"][0]["url"],
            "https://security.acme.example/.well-known/csaf/openpgp/8F5F267907B2C4559DB360DB2294BA7D2B2298B1.asc"
        );
        assert_eq!(
            metadata["distributions"][1]["rolie"]["feeds"][0]["url"],
            "https://security.acme.example/.well-known/csaf/feed-tlp-white.json"
        );
        // The validator does check: a wrong role is refused.
        let mut wrong = metadata.clone();
        wrong["role"] = json!("csaf_reseller");
        assert!(!validator.is_valid(&wrong));
    }
}
