//! The advisory as an OSV record (<https://ossf.github.io/osv-schema/>), the format package
//! managers, osv-scanner and OSV.dev read. A project that publishes these records lets its users'
//! tooling match the vulnerability against their dependencies without anyone re-typing it.

use serde_json::{Map, Value, json};

use crate::advisory::{Advisory, AdvisoryId, CreditRole, ReferenceKind, VersionRange};
use crate::export::ExportContext;
use crate::policy::Severity;

/// The OSV schema version the records follow (the specification version whose schema the tests
/// validate against); every field written here exists in it.
pub const SCHEMA_VERSION: &str = "1.7.4";

/// The OSV `id` of an advisory: its own id behind `x_`, the prefix OSV reserves for databases
/// that are not registered with it. A bare `ACME-2026-0007` would be rejected, since OSV ids
/// must start with a registered home-database prefix (`GHSA-`, `CVE-`, ...).
pub fn osv_id(id: &AdvisoryId) -> String {
    format!("x_{id}")
}

/// The advisory as an OSV record, ready to serve as `{osv_id}.json`.
///
/// Relies on `Advisory::check` having passed (one of `fixed` and `last_affected` per range,
/// non-empty versions); the output is still well-formed JSON if it did not.
pub fn osv(advisory: &Advisory, context: &ExportContext) -> Value {
    let mut record = Map::new();
    record.insert("schema_version".into(), SCHEMA_VERSION.into());
    record.insert("id".into(), osv_id(&advisory.id).into());
    // jiff prints a Timestamp in RFC 3339 UTC with a `Z`, which is what OSV requires.
    record.insert("modified".into(), advisory.modified.to_string().into());
    if let Some(published) = advisory.published {
        record.insert("published".into(), published.to_string().into());
    }
    if !advisory.aliases.is_empty() {
        record.insert("aliases".into(), json!(advisory.aliases));
    }
    record.insert("summary".into(), advisory.summary.clone().into());
    if !advisory.details.is_empty() {
        record.insert("details".into(), advisory.details.clone().into());
    }
    let severity = severity(advisory);
    if !severity.is_empty() {
        record.insert("severity".into(), Value::Array(severity));
    }
    record.insert(
        "affected".into(),
        advisory
            .affected
            .iter()
            .map(|a| {
                let mut entry = Map::new();
                entry.insert(
                    "package".into(),
                    json!({ "ecosystem": a.ecosystem, "name": a.package }),
                );
                if !a.ranges.is_empty() {
                    entry.insert("ranges".into(), Value::Array(ranges(&a.ranges)));
                }
                if !a.versions.is_empty() {
                    entry.insert("versions".into(), json!(a.versions));
                }
                Value::Object(entry)
            })
            .collect(),
    );
    record.insert("references".into(), references(advisory, context));
    if !advisory.credits.is_empty() {
        let credits = advisory
            .credits
            .iter()
            .map(|c| {
                let mut credit = Map::new();
                // `shown_name` is "Anonymous" for someone who asked not to be named, and
                // contacts are only ever written for named credits, so nothing identifies them.
                credit.insert("name".into(), c.shown_name().into());
                if c.name.is_some() && !c.contact.is_empty() {
                    credit.insert("contact".into(), json!(c.contact));
                }
                credit.insert("type".into(), credit_type(c.role).into());
                Value::Object(credit)
            })
            .collect();
        record.insert("credits".into(), credits);
    }
    let database_specific = database_specific(advisory);
    if !database_specific.is_empty() {
        record.insert("database_specific".into(), Value::Object(database_specific));
    }
    Value::Object(record)
}

/// OSV's severity entries: the CVSS vectors themselves, which is what OSV puts in `score`.
fn severity(advisory: &Advisory) -> Vec<Value> {
    [
        ("CVSS_V3", &advisory.cvss_v3),
        ("CVSS_V4", &advisory.cvss_v4),
    ]
    .into_iter()
    .filter_map(|(kind, vector)| {
        vector
            .as_deref()
            .map(|v| json!({ "type": kind, "score": v.trim() }))
    })
    .collect()
}

/// The range objects of one package. OSV models several affected lines as one range whose
/// events alternate introduced/fixed, but forbids `fixed` and `last_affected` in the same range:
/// lines ending in `last_affected` therefore get a second range object.
fn ranges(lines: &[VersionRange]) -> Vec<Value> {
    // OSV recommends sorted events. Sorting versions needs each ecosystem's rules, but "0"
    // sorts first in every ecosystem, so that line goes first and the others keep the
    // author's order (evaluators sort events anyway).
    let mut lines: Vec<&VersionRange> = lines.iter().collect();
    lines.sort_by_key(|r| r.introduced.trim() != "0");
    let (capped, fixed_or_open): (Vec<&VersionRange>, Vec<&VersionRange>) =
        lines.into_iter().partition(|r| r.last_affected.is_some());
    [fixed_or_open, capped]
        .into_iter()
        .filter(|group| !group.is_empty())
        .map(|group| {
            let events: Vec<Value> = group
                .iter()
                .flat_map(|r| {
                    let end = match (&r.fixed, &r.last_affected) {
                        (Some(fixed), _) => Some(json!({ "fixed": fixed })),
                        (None, Some(last)) => Some(json!({ "last_affected": last })),
                        (None, None) => None,
                    };
                    std::iter::once(json!({ "introduced": r.introduced })).chain(end)
                })
                .collect();
            json!({ "type": "ECOSYSTEM", "events": events })
        })
        .collect()
}

/// The advisory's own page first, so readers of the record find the authoritative text, then
/// its references (without repeating the page).
fn references(advisory: &Advisory, context: &ExportContext) -> Value {
    let page = context.page_url(&advisory.id);
    let mut references = vec![json!({ "type": "ADVISORY", "url": page })];
    references.extend(
        advisory
            .references
            .iter()
            .filter(|r| r.url != page)
            .map(|r| json!({ "type": reference_type(r.kind), "url": r.url })),
    );
    Value::Array(references)
}

/// OSV's name of a reference kind (the same spelling as the enum's serialization; a match
/// keeps the mapping infallible and checked by the compiler).
fn reference_type(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::Advisory => "ADVISORY",
        ReferenceKind::Article => "ARTICLE",
        ReferenceKind::Detection => "DETECTION",
        ReferenceKind::Discussion => "DISCUSSION",
        ReferenceKind::Report => "REPORT",
        ReferenceKind::Fix => "FIX",
        ReferenceKind::Introduced => "INTRODUCED",
        ReferenceKind::Package => "PACKAGE",
        ReferenceKind::Evidence => "EVIDENCE",
        ReferenceKind::Web => "WEB",
    }
}

/// OSV's name of a credit role.
fn credit_type(role: CreditRole) -> &'static str {
    match role {
        CreditRole::Finder => "FINDER",
        CreditRole::Reporter => "REPORTER",
        CreditRole::Analyst => "ANALYST",
        CreditRole::Coordinator => "COORDINATOR",
        CreditRole::RemediationDeveloper => "REMEDIATION_DEVELOPER",
        CreditRole::RemediationReviewer => "REMEDIATION_REVIEWER",
        CreditRole::RemediationVerifier => "REMEDIATION_VERIFIER",
        CreditRole::Tool => "TOOL",
        CreditRole::Sponsor => "SPONSOR",
        CreditRole::Other => "OTHER",
    }
}

/// What OSV has no field for, in the shape GitHub's advisory database uses, since tools that
/// read these keys already know GitHub's: the qualitative severity (`MODERATE` for medium, as
/// GitHub spells it) and the CWE ids.
fn database_specific(advisory: &Advisory) -> Map<String, Value> {
    let mut specific = Map::new();
    if let Some(severity) = advisory.severity {
        let name = match severity {
            Severity::Critical => "CRITICAL",
            Severity::High => "HIGH",
            Severity::Medium => "MODERATE",
            Severity::Low => "LOW",
        };
        specific.insert("severity".into(), name.into());
    }
    if !advisory.cwes.is_empty() {
        specific.insert("cwe_ids".into(), json!(advisory.cwes));
    }
    specific
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::tests::full;
    use crate::advisory::{Affected, Credit, Reference};
    use crate::export::tests::{context, read_json, schemas_dir};

    /// A validator for the official OSV schema (draft 2020-12, formats checked too), or `None`
    /// when the shared schemas are absent. The schema has no remote `$ref`, and the crate is
    /// built without its HTTP resolver, so nothing is fetched.
    fn validator() -> Option<jsonschema::Validator> {
        let dir = schemas_dir()?;
        let schema = read_json(&dir.join("osv/schema.json"));
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("the OSV schema does not compile: {e}"));
        Some(validator)
    }

    fn assert_valid(validator: &jsonschema::Validator, record: &Value, label: &str) {
        if !validator.is_valid(record) {
            let errors: Vec<String> = validator
                .iter_errors(record)
                .map(|e| format!("  at {}: {e}", e.instance_path()))
                .collect();
            panic!(
                "{label} is not valid OSV:\n{}\n{}",
                errors.join("\n"),
                serde_json::to_string_pretty(record).unwrap()
            );
        }
    }

    fn range(introduced: &str, fixed: Option<&str>, last_affected: Option<&str>) -> VersionRange {
        VersionRange {
            introduced: introduced.into(),
            fixed: fixed.map(Into::into),
            last_affected: last_affected.map(Into::into),
        }
    }

    fn package(ecosystem: &str, name: &str, ranges: Vec<VersionRange>) -> Affected {
        Affected {
            ecosystem: ecosystem.into(),
            package: name.into(),
            ranges,
            versions: Vec::new(),
        }
    }

    /// The least an advisory can say: one package, listed versions, no CVSS, no credits.
    fn minimal() -> Advisory {
        let mut a = full();
        a.id = AdvisoryId::new("TINY", 2025, 1);
        a.details = String::new();
        a.severity = None;
        a.cvss_v3 = None;
        a.cvss_v4 = None;
        a.cwes = Vec::new();
        a.affected = vec![Affected {
            ecosystem: "RubyGems".into(),
            package: "tiny".into(),
            ranges: Vec::new(),
            versions: vec!["0.1.0".into(), "0.1.1".into()],
        }];
        a.references = Vec::new();
        a.credits = Vec::new();
        a.aliases = Vec::new();
        a.published = None;
        a
    }

    /// Many packages across ecosystems, with the unusual ranges.
    fn many_packages() -> Advisory {
        let mut a = full();
        a.severity = Some(Severity::Medium);
        a.cvss_v4 = None;
        a.cwes = vec!["CWE-22".into(), "CWE-59".into()];
        a.affected = vec![
            // No fix yet: the last affected version caps the range.
            package(
                "npm",
                "@acme/widgets",
                vec![range("0", None, Some("3.1.4"))],
            ),
            // Three maintained lines, fixed in each.
            package(
                "crates.io",
                "acme-widgets",
                vec![
                    range("1.0.0", Some("1.0.9"), None),
                    range("1.1.0", Some("1.1.3"), None),
                    range("2.0.0-rc.1", Some("2.0.1"), None),
                ],
            ),
            // Never fixed, still affected.
            package(
                "Go",
                "github.com/acme/widgets/v2",
                vec![range("2.0.0", None, None)],
            ),
            // A fixed line and a capped one: OSV needs two range objects.
            Affected {
                versions: vec!["4.0.0".into(), "4.0.1".into()],
                ..package(
                    "Maven",
                    "com.acme:widgets-core",
                    vec![
                        range("4.0.0", None, Some("4.0.1")),
                        range("3.0.0", Some("3.2.5"), None),
                    ],
                )
            },
            package(
                "Debian:12",
                "acme-widgets",
                vec![range("0", Some("2.4.1-1"), None)],
            ),
        ];
        a.references = vec![
            Reference {
                kind: ReferenceKind::Report,
                url: "https://github.com/acme/widgets/issues/42".into(),
            },
            Reference {
                kind: ReferenceKind::Web,
                url: "https://example.org/write-up".into(),
            },
        ];
        a.credits = vec![Credit {
            name: Some("Grace Hopper".into()),
            role: CreditRole::RemediationDeveloper,
            contact: vec!["mailto:grace@example.org".into()],
        }];
        a
    }

    #[test]
    fn the_official_example_validates_so_the_validator_set_up_works() {
        let Some(validator) = validator() else { return };
        let dir = schemas_dir().unwrap();
        let example = read_json(&dir.join("examples/osv-full-ranges.json"));
        assert_valid(&validator, &example, "examples/osv-full-ranges.json");
        // And it is not a validator that accepts anything.
        let mut broken = example.clone();
        broken["modified"] = "21 Sep 2021".into();
        assert!(!validator.is_valid(&broken));
        let mut broken = example;
        broken["affected"][0]["ranges"][0]["events"][1] = json!({ "last_affected": "2.5.15" });
        broken["affected"][0]["ranges"][0]["events"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "fixed": "2.5.16" }));
        assert!(!validator.is_valid(&broken));
    }

    #[test]
    fn varied_advisories_export_as_valid_osv() {
        let Some(validator) = validator() else { return };
        let ecosystems = read_json(&schemas_dir().unwrap().join("osv/ecosystems.json"));
        for (label, advisory) in [
            ("full", full()),
            ("minimal", minimal()),
            ("many packages", many_packages()),
        ] {
            advisory
                .check()
                .unwrap_or_else(|e| panic!("{label}: test advisory does not check: {e}"));
            for a in &advisory.affected {
                let base = a.ecosystem.split(':').next().unwrap();
                assert!(
                    ecosystems.get(base).is_some(),
                    "{label}: {base} is not in ecosystems.json"
                );
            }
            assert_valid(&validator, &osv(&advisory, &context()), label);
        }
    }

    #[test]
    fn the_full_advisory_says_everything_in_osv_terms() {
        let a = full();
        let record = osv(&a, &context());
        assert_eq!(record["schema_version"], SCHEMA_VERSION);
        assert_eq!(record["id"], "x_ACME-2026-0007");
        assert_eq!(record["aliases"], json!(["CVE-2026-12345"]));
        assert_eq!(record["summary"], a.summary.as_str());
        assert_eq!(record["details"], a.details.as_str());
        assert_eq!(record["published"], "2026-11-20T10:00:00Z");
        let modified: jiff::Timestamp = record["modified"].as_str().unwrap().parse().unwrap();
        assert_eq!(modified, a.modified);
        assert_eq!(
            record["severity"],
            json!([
                { "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" },
                { "type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N" },
            ])
        );
        // One range with both lines, the "0" line first, each introduced before its fix.
        assert_eq!(
            record["affected"],
            json!([{
                "package": { "ecosystem": "PyPI", "name": "acme-widgets" },
                "ranges": [{ "type": "ECOSYSTEM", "events": [
                    { "introduced": "0" }, { "fixed": "1.9.8" },
                    { "introduced": "2.0.0" }, { "fixed": "2.4.1" },
                ] }],
            }])
        );
        assert_eq!(
            record["references"],
            json!([
                { "type": "ADVISORY", "url": "https://security.acme.example/advisories/ACME-2026-0007" },
                { "type": "FIX", "url": "https://github.com/acme/widgets/commit/abc123" },
            ])
        );
        assert_eq!(
            record["database_specific"],
            json!({ "severity": "HIGH", "cwe_ids": ["CWE-22"] })
        );
        assert_eq!(
            record["credits"],
            json!([
                { "name": "Ada Lovelace", "contact": ["https://ada.example.org"], "type": "FINDER" },
                { "name": "Anonymous", "type": "REPORTER" },
            ])
        );
    }

    #[test]
    fn an_anonymous_credit_shows_no_name_and_no_contact() {
        let text = serde_json::to_string(&osv(&full(), &context())).unwrap();
        assert_eq!(text.matches("Ada").count(), 1, "{text}");
        // The same person asking to stay anonymous leaves no trace of who they are.
        let mut a = full();
        a.credits[0].name = None;
        a.credits[0].contact = Vec::new();
        let record = osv(&a, &context());
        let text = serde_json::to_string(&record).unwrap();
        assert!(
            !text.contains("Ada") && !text.contains("ada.example"),
            "{text}"
        );
        assert_eq!(
            record["credits"][0],
            json!({ "name": "Anonymous", "type": "FINDER" })
        );
        // Even a record that failed `check` with contacts on an anonymous credit hides them.
        let mut a = full();
        a.credits[1].contact = vec!["mailto:hidden@example.org".into()];
        let text = serde_json::to_string(&osv(&a, &context())).unwrap();
        assert!(!text.contains("hidden@"), "{text}");
    }

    #[test]
    fn unusual_ranges_keep_fixed_and_last_affected_apart() {
        let record = osv(&many_packages(), &context());
        let affected = record["affected"].as_array().unwrap();
        assert_eq!(affected.len(), 5);
        assert_eq!(
            affected[0]["ranges"],
            json!([{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "last_affected": "3.1.4" }] }])
        );
        assert_eq!(
            affected[1]["ranges"][0]["events"],
            json!([
                { "introduced": "1.0.0" }, { "fixed": "1.0.9" },
                { "introduced": "1.1.0" }, { "fixed": "1.1.3" },
                { "introduced": "2.0.0-rc.1" }, { "fixed": "2.0.1" },
            ])
        );
        assert_eq!(
            affected[2]["ranges"],
            json!([{ "type": "ECOSYSTEM", "events": [{ "introduced": "2.0.0" }] }])
        );
        assert_eq!(
            affected[3]["package"],
            json!({ "ecosystem": "Maven", "name": "com.acme:widgets-core" })
        );
        assert_eq!(
            affected[3]["ranges"],
            json!([
                { "type": "ECOSYSTEM", "events": [{ "introduced": "3.0.0" }, { "fixed": "3.2.5" }] },
                { "type": "ECOSYSTEM", "events": [{ "introduced": "4.0.0" }, { "last_affected": "4.0.1" }] },
            ])
        );
        assert_eq!(affected[3]["versions"], json!(["4.0.0", "4.0.1"]));
        assert_eq!(record["database_specific"]["severity"], "MODERATE");
        assert_eq!(record["severity"].as_array().unwrap().len(), 1);
        assert_eq!(record["references"][0]["type"], "ADVISORY");
        assert_eq!(record["references"][1]["type"], "REPORT");
        assert_eq!(record["references"][2]["type"], "WEB");
    }

    #[test]
    fn a_minimal_advisory_leaves_out_what_it_lacks() {
        let record = osv(&minimal(), &context());
        let keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for absent in [
            "severity",
            "credits",
            "aliases",
            "published",
            "details",
            "database_specific",
        ] {
            assert!(!keys.contains(&absent), "{absent} in {record}");
        }
        assert_eq!(
            record["affected"],
            json!([{ "package": { "ecosystem": "RubyGems", "name": "tiny" }, "versions": ["0.1.0", "0.1.1"] }])
        );
        assert_eq!(
            record["references"],
            json!([{ "type": "ADVISORY", "url": "https://security.acme.example/advisories/TINY-2025-0001" }])
        );
    }

    #[test]
    fn kinds_and_roles_use_the_names_the_enums_serialize_to() {
        use ReferenceKind as K;
        for kind in [
            K::Advisory,
            K::Article,
            K::Detection,
            K::Discussion,
            K::Report,
            K::Fix,
            K::Introduced,
            K::Package,
            K::Evidence,
            K::Web,
        ] {
            assert_eq!(
                json!(reference_type(kind)),
                serde_json::to_value(kind).unwrap()
            );
        }
        use CreditRole as R;
        for role in [
            R::Finder,
            R::Reporter,
            R::Analyst,
            R::Coordinator,
            R::RemediationDeveloper,
            R::RemediationReviewer,
            R::RemediationVerifier,
            R::Tool,
            R::Sponsor,
            R::Other,
        ] {
            assert_eq!(
                json!(credit_type(role)),
                serde_json::to_value(role).unwrap()
            );
        }
    }
}
