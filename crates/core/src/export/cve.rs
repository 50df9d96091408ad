//! CVE JSON 5.1 export: the record a CNA publishes for one CVE id, so a project that is its
//! own CNA (or hands the record to one) does not retype the advisory into Vulnogram.
//!
//! The record follows the CVE JSON 5.1.1 schema (`CVE_JSON_bundled_5.1.1.json`); CVE Services
//! takes the `containers.cna` part of it. Where the advisory holds more than the schema allows
//! (long details, unusual CWE spellings), the record keeps what fits rather than failing, and the
//! full text stays on the advisory page, which is the first reference.

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::advisory::{Advisory, CreditRole, ReferenceKind};
use crate::cvss::{self, CvssVersion};
use crate::export::ExportContext;
use crate::policy::Severity;

/// The schema's limit for a description's `value`, in characters.
const DESCRIPTION_CHARS_MAX: usize = 4096;
/// The schema's limit for the Markdown copy of the description (`supportingMedia`).
const MEDIA_CHARS_MAX: usize = 16384;
/// The schema's limits for `shortName`.
const SHORT_NAME_CHARS: std::ops::RangeInclusive<usize> = 2..=32;
/// The schema's limit for a URI.
const URI_CHARS_MAX: usize = 2048;

/// The advisory as a CVE JSON 5.1 record (`dataType` `CVE_RECORD`, state `PUBLISHED`).
///
/// The CVE id is the first alias that is one (`CVE-YYYY-NNNN...`). The assigner's `orgId` is
/// derived from `context.publisher` (a stable UUID), because Postern does not know the UUID the
/// CVE Program gave the CNA: a CNA replaces it with its own when submitting.
///
/// # Errors
///
/// When no alias is a CVE id (a CVE record exists only for one), when a CVSS vector does not
/// score, or when a reference is not a valid web address; the text says what to change.
pub fn cve(advisory: &Advisory, context: &ExportContext) -> Result<Value, String> {
    let cve_id = advisory
        .aliases
        .iter()
        .find_map(|a| cve_id(a))
        .ok_or_else(|| {
            format!(
                "advisory {} has no CVE id: assign a CVE id first: add it to the advisory's aliases",
                advisory.id
            )
        })?;
    let org_id = org_uuid(&context.publisher);
    let short_name = short_name(&context.publisher);
    let modified = advisory.modified.to_string();
    // A PUBLISHED record has a publication date; an advisory exported before its own
    // publication is being published by this very export.
    let published = advisory.published.unwrap_or(context.now).to_string();

    let mut cna = Map::new();
    cna.insert(
        "providerMetadata".into(),
        json!({ "orgId": org_id, "shortName": short_name, "dateUpdated": modified }),
    );
    if let Some(p) = advisory.published {
        cna.insert("datePublic".into(), json!(p.to_string()));
    }
    cna.insert("title".into(), json!(clip(advisory.title.trim(), 256)));
    cna.insert("descriptions".into(), descriptions(advisory));
    cna.insert("affected".into(), affected(advisory, context));
    let problem_types = problem_types(&advisory.cwes);
    if !problem_types.is_empty() {
        cna.insert("problemTypes".into(), Value::Array(problem_types));
    }
    let metrics = metrics(advisory)?;
    if !metrics.is_empty() {
        cna.insert("metrics".into(), Value::Array(metrics));
    }
    let credits = credits(advisory);
    if !credits.is_empty() {
        cna.insert("credits".into(), Value::Array(credits));
    }
    cna.insert("references".into(), references(advisory, context)?);

    Ok(json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": cve_id,
            "assignerOrgId": org_id,
            "assignerShortName": short_name,
            "state": "PUBLISHED",
            "datePublished": published,
            "dateUpdated": modified,
        },
        "containers": { "cna": Value::Object(cna) },
    }))
}

/// The alias as a CVE id in the schema's spelling (`^CVE-[0-9]{4}-[0-9]{4,19}$`), if it is one;
/// a lower-case `cve-` prefix is accepted because people type it.
fn cve_id(alias: &str) -> Option<String> {
    let alias = alias.trim();
    let rest = alias
        .get(..4)?
        .eq_ignore_ascii_case("CVE-")
        .then(|| &alias[4..])?;
    let (year, number) = rest.split_once('-')?;
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    (year.len() == 4 && digits(year) && (4..=19).contains(&number.len()) && digits(number))
        .then(|| format!("CVE-{year}-{number}"))
}

/// A stable UUID for the publisher, shaped as the schema's `uuidType` demands (version nibble
/// 4, variant 10xx) although it is name-based: the same publisher always gets the same id, with
/// no new dependency.
fn org_uuid(publisher: &str) -> String {
    let hash = Sha256::digest(format!("postern-cna:{}", publisher.trim()).as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&hash[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The publisher as a CNA short name: ASCII letters and digits joined by `_` (as CVE short
/// names are spelled), 2 to 32 characters; "Postern" when nothing usable is left.
fn short_name(publisher: &str) -> String {
    let mut name = String::new();
    for word in publisher
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let sep = usize::from(!name.is_empty());
        if name.len() + sep + word.len() > *SHORT_NAME_CHARS.end() {
            if name.is_empty() {
                name.push_str(&word[..*SHORT_NAME_CHARS.end()]);
            }
            break;
        }
        if sep == 1 {
            name.push('_');
        }
        name.push_str(word);
    }
    if SHORT_NAME_CHARS.contains(&name.len()) {
        name
    } else {
        "Postern".to_owned()
    }
}

/// At most `max` characters of `text`, ending in "…" when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One English description: the summary, then the details. The schema calls `value` plain text
/// and caps it at 4096 characters, so the Markdown also goes, longer, in `supportingMedia`.
fn descriptions(advisory: &Advisory) -> Value {
    let details = advisory.details.trim();
    let text = if details.is_empty() {
        advisory.summary.trim().to_owned()
    } else {
        format!("{}\n\n{details}", advisory.summary.trim())
    };
    json!([{
        "lang": "en",
        "value": clip(&text, DESCRIPTION_CHARS_MAX),
        "supportingMedia": [{
            "type": "text/markdown",
            "base64": false,
            "value": clip(&text, MEDIA_CHARS_MAX),
        }],
    }])
}

/// The package registry an OSV ecosystem names, as CVE's `collectionURL` (spelled as in the
/// schema's list of examples, which is what consumers match), and the ecosystem's `versionType`.
fn ecosystem(name: &str) -> (Option<&'static str>, &'static str) {
    match name {
        "PyPI" => (Some("https://pypi.python.org"), "python"),
        "npm" => (Some("https://registry.npmjs.org"), "semver"),
        "crates.io" => (Some("https://crates.io"), "semver"),
        "RubyGems" => (Some("https://rubygems.org"), "custom"),
        "Packagist" => (Some("https://packagist.org"), "custom"),
        "NuGet" => (Some("https://nuget.org/packages"), "custom"),
        "Maven" => (Some("https://repo.maven.apache.org/maven2"), "maven"),
        "Hex" => (Some("https://repo.hex.pm"), "semver"),
        "Pub" => (Some("https://pub.dev"), "semver"),
        "Go" => (Some("https://pkg.go.dev"), "semver"),
        _ => (None, "custom"),
    }
}

/// One product per affected package; every version not listed is unaffected, since the
/// advisory lists all affected ones.
fn affected(advisory: &Advisory, context: &ExportContext) -> Value {
    let vendor = match context.project_name.trim() {
        "" => "N/A".to_owned(),
        name => clip(name, 512),
    };
    let products = advisory.affected.iter().map(|a| {
        let (collection, version_type) = ecosystem(&a.ecosystem);
        let mut versions: Vec<Value> = Vec::new();
        let mut push = |v: Value| {
            // The schema wants unique items; a repeated range says nothing new.
            if !versions.contains(&v) {
                versions.push(v);
            }
        };
        for r in &a.ranges {
            let mut v = json!({
                "version": r.introduced.trim(),
                "status": "affected",
                "versionType": version_type,
            });
            match (&r.fixed, &r.last_affected) {
                (Some(fixed), _) => v["lessThan"] = json!(fixed.trim()),
                (None, Some(last)) => v["lessThanOrEqual"] = json!(last.trim()),
                // No fix on this line: CVE writes "every later version" as `lessThan: "*"`.
                (None, None) => v["lessThan"] = json!("*"),
            }
            push(v);
        }
        for version in a
            .versions
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            push(json!({ "version": version, "status": "affected" }));
        }
        let mut product = json!({
            "vendor": vendor,
            "product": clip(a.package.trim(), 2048),
            // Without any affected version the record cannot claim the rest are unaffected.
            "defaultStatus": if versions.is_empty() { "unknown" } else { "unaffected" },
        });
        if let Some(url) = collection {
            product["collectionURL"] = json!(url);
            product["packageName"] = json!(clip(a.package.trim(), 2048));
        }
        if !versions.is_empty() {
            product["versions"] = Value::Array(versions);
        }
        product
    });
    Value::Array(products.collect())
}

/// One problem type per distinct CWE; `cweId` only where the id has the schema's shape
/// (`CWE-` and a number without leading zero), the text in any case.
fn problem_types(cwes: &[String]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for cwe in cwes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        let mut description = json!({ "lang": "en", "description": cwe, "type": "CWE" });
        let well_formed = cwe.len() <= 9
            && cwe.strip_prefix("CWE-").is_some_and(|n| {
                n.starts_with(|c: char| ('1'..='9').contains(&c))
                    && n.chars().all(|c| c.is_ascii_digit())
            });
        if well_formed {
            description["cweId"] = json!(cwe);
        }
        let entry = json!({ "descriptions": [description] });
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// The CVSS scores, computed by `cvss::rate` so they agree with what Postern shows elsewhere.
fn metrics(advisory: &Advisory) -> Result<Vec<Value>, String> {
    let mut out: Vec<Value> = Vec::new();
    for (field, vector) in [
        ("cvss_v3", &advisory.cvss_v3),
        ("cvss_v4", &advisory.cvss_v4),
    ] {
        let Some(vector) = vector else { continue };
        let rating = cvss::rate(vector).map_err(|e| format!("{field}: {e}"))?;
        let (key, version) = match rating.version {
            CvssVersion::V4 => ("cvssV4_0", "4.0"),
            CvssVersion::V3 if rating.vector.starts_with("CVSS:3.0/") => ("cvssV3_0", "3.0"),
            CvssVersion::V3 => ("cvssV3_1", "3.1"),
        };
        let severity = match rating.severity {
            None => "NONE",
            Some(Severity::Low) => "LOW",
            Some(Severity::Medium) => "MEDIUM",
            Some(Severity::High) => "HIGH",
            Some(Severity::Critical) => "CRITICAL",
        };
        // The schema lists the allowed scores (0, 0.1, ... 10): round to one decimal so float
        // noise cannot make a correct score fail.
        let score = (rating.score * 10.0).round() / 10.0;
        let entry = json!({
            "format": "CVSS",
            "scenarios": [{ "lang": "en", "value": "GENERAL" }],
            key: {
                "version": version,
                "vectorString": rating.vector,
                "baseScore": score,
                "baseSeverity": severity,
            },
        });
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    Ok(out)
}

/// CVE's name for a credit role (the schema's `type` enumeration).
fn credit_type(role: CreditRole) -> &'static str {
    match role {
        CreditRole::Finder => "finder",
        CreditRole::Reporter => "reporter",
        CreditRole::Analyst => "analyst",
        CreditRole::Coordinator => "coordinator",
        CreditRole::RemediationDeveloper => "remediation developer",
        CreditRole::RemediationReviewer => "remediation reviewer",
        CreditRole::RemediationVerifier => "remediation verifier",
        CreditRole::Tool => "tool",
        CreditRole::Sponsor => "sponsor",
        CreditRole::Other => "other",
    }
}

/// Credits by shown name only: an anonymous credit reads "Anonymous", and contacts are left
/// out (CVE credits have no place for them). Two anonymous reporters become one entry, as the
/// schema wants unique items.
fn credits(advisory: &Advisory) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for credit in &advisory.credits {
        let name = credit.shown_name().trim();
        let entry = json!({
            "lang": "en",
            "value": clip(if name.is_empty() { "Anonymous" } else { name }, 4096),
            "type": credit_type(credit.role),
        });
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// CVE's reference tag for a reference kind, where one fits; kinds with no CVE counterpart
/// stay untagged rather than mislabelled.
fn reference_tag(kind: ReferenceKind) -> Option<&'static str> {
    match kind {
        // The project's own advisory is the Postern page (tagged vendor-advisory); others
        // listed are someone else's.
        ReferenceKind::Advisory => Some("third-party-advisory"),
        ReferenceKind::Fix => Some("patch"),
        ReferenceKind::Report => Some("issue-tracking"),
        ReferenceKind::Evidence => Some("exploit"),
        ReferenceKind::Detection => Some("signature"),
        ReferenceKind::Package => Some("product"),
        ReferenceKind::Article
        | ReferenceKind::Discussion
        | ReferenceKind::Introduced
        | ReferenceKind::Web => None,
    }
}

/// A web address in the form the schema's `uri` format accepts (parsed and re-serialised, so
/// spaces and the like are percent-encoded).
fn web_address(field: &str, text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .ok_or_else(|| format!("{field}: {text:?} is not a valid web address"))?;
    let url = String::from(url);
    if url.chars().count() > URI_CHARS_MAX {
        return Err(format!(
            "{field}: {text:?} is longer than {URI_CHARS_MAX} characters"
        ));
    }
    Ok(url)
}

/// The advisory page first (the CNA's own advisory), then the advisory's links; a repeated
/// address is kept once, as the schema wants unique items.
fn references(advisory: &Advisory, context: &ExportContext) -> Result<Value, String> {
    let page = web_address("base_url", &context.page_url(&advisory.id))?;
    let mut seen = vec![page.clone()];
    let mut out = vec![json!({ "url": page, "tags": ["vendor-advisory"] })];
    for reference in &advisory.references {
        let url = web_address("references", &reference.url)?;
        if seen.contains(&url) {
            continue;
        }
        seen.push(url.clone());
        let mut entry = json!({ "url": url });
        if let Some(tag) = reference_tag(reference.kind) {
            entry["tags"] = json!([tag]);
        }
        out.push(entry);
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::tests::full;
    use crate::advisory::{Affected, Credit, Reference, VersionRange};
    use crate::export::tests::{context, read_json, schemas_dir};

    /// Validators for the full record and for the CNA container alone (what CVE Services
    /// takes), or `None` when the shared schemas are absent.
    fn validators() -> Option<(jsonschema::Validator, jsonschema::Validator)> {
        let dir = schemas_dir()?.join("cve-5");
        // Both schemas declare draft-07; they are self-contained, so nothing is fetched.
        let build = |file: &str| {
            let schema = read_json(&dir.join(file));
            assert_eq!(
                schema["$schema"], "http://json-schema.org/draft-07/schema#",
                "{file}"
            );
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("{file} does not compile: {e}"))
        };
        Some((
            build("CVE_JSON_bundled_5.1.1.json"),
            build("CVE_JSON_cnaPublishedContainer_5.1.1.json"),
        ))
    }

    /// The schema errors of `value`, one per line, with where they are.
    fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
        validator
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// One package, listed versions only, no CVSS, no credits, no CWE, one CVE alias.
    fn minimal() -> Advisory {
        Advisory {
            cvss_v3: None,
            cvss_v4: None,
            cwes: Vec::new(),
            affected: vec![Affected {
                ecosystem: "npm".into(),
                package: "@acme/widgets".into(),
                ranges: Vec::new(),
                versions: vec!["1.0.0".into()],
            }],
            references: Vec::new(),
            credits: Vec::new(),
            aliases: vec!["CVE-2026-0001".into()],
            published: None,
            severity: None,
            details: String::new(),
            ..full()
        }
    }

    /// Several packages and ecosystems, unusual ranges, a 10.0 score, odd CWEs, duplicate
    /// credits and references, details far over the schema's description limit.
    fn many() -> Advisory {
        let range = |introduced: &str, fixed: Option<&str>, last: Option<&str>| VersionRange {
            introduced: introduced.into(),
            fixed: fixed.map(Into::into),
            last_affected: last.map(Into::into),
        };
        Advisory {
            cvss_v3: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into()),
            cvss_v4: None,
            cwes: vec![
                "CWE-79".into(),
                "CWE-79".into(),
                "CWE-0".into(),
                "CWE-1000000".into(),
            ],
            details: "A long write-up. ".repeat(3500),
            affected: vec![
                Affected {
                    ecosystem: "crates.io".into(),
                    package: "acme-widgets".into(),
                    ranges: vec![
                        range("0", None, Some("0.9.3")),
                        range("1.0.0", Some("1.2.0"), None),
                        range("1.0.0", Some("1.2.0"), None),
                        range("2.0.0-rc.1", None, None),
                    ],
                    versions: vec!["0.1.0".into(), "0.1.0".into(), "  ".into()],
                },
                Affected {
                    ecosystem: "Debian:12".into(),
                    package: "acme-widgets".into(),
                    ranges: vec![range("0", Some("1:2.4.1-1"), None)],
                    versions: Vec::new(),
                },
                Affected {
                    ecosystem: "Go".into(),
                    package: "github.com/acme/widgets".into(),
                    ranges: vec![range("1.3.0", None, None)],
                    versions: Vec::new(),
                },
                Affected {
                    ecosystem: "PyPI".into(),
                    package: "acme-widgets".into(),
                    ranges: vec![range("0", Some("2.4.1"), None)],
                    versions: vec!["3.0.0a1".into()],
                },
            ],
            references: vec![
                Reference {
                    kind: ReferenceKind::Report,
                    url: "https://github.com/acme/widgets/issues/1 and more".into(),
                },
                Reference {
                    kind: ReferenceKind::Web,
                    url: "https://security.acme.example/advisories/ACME-2026-0007".into(),
                },
                Reference {
                    kind: ReferenceKind::Evidence,
                    url: "https://gist.example.org/poc".into(),
                },
                Reference {
                    kind: ReferenceKind::Evidence,
                    url: "https://gist.example.org/poc".into(),
                },
            ],
            credits: vec![
                Credit {
                    name: None,
                    role: CreditRole::Reporter,
                    contact: Vec::new(),
                },
                Credit {
                    name: None,
                    role: CreditRole::Reporter,
                    contact: Vec::new(),
                },
                Credit {
                    name: Some("Grace Hopper".into()),
                    role: CreditRole::RemediationDeveloper,
                    contact: Vec::new(),
                },
            ],
            aliases: vec!["GHSA-xxxx-yyyy-zzzz".into(), "cve-2026-1234567".into()],
            ..full()
        }
    }

    #[test]
    fn records_validate_against_the_cve_5_1_1_schemas() {
        let Some((record_schema, cna_schema)) = validators() else {
            return;
        };
        // The official example proves the set-up accepts a known-good record...
        let example = read_json(
            &schemas_dir()
                .expect("schemas dir")
                .join("examples/cve-full-record-basic.json"),
        );
        assert_eq!(errors(&record_schema, &example), Vec::<String>::new());
        // ...and rejects a broken one, so a pass below means something.
        let mut broken = cve(&full(), &context()).unwrap();
        broken["cveMetadata"]["assignerOrgId"] = json!("not-a-uuid");
        assert!(!errors(&record_schema, &broken).is_empty());
        // Formats and lengths are checked too, which the export's clipping and URL handling
        // rely on.
        let mut broken = cve(&full(), &context()).unwrap();
        broken["containers"]["cna"]["references"][1]["url"] = json!("https://a b.example/");
        assert!(!errors(&record_schema, &broken).is_empty(), "uri format");
        let mut broken = cve(&full(), &context()).unwrap();
        broken["containers"]["cna"]["descriptions"][0]["value"] = json!("x".repeat(4097));
        assert!(!errors(&record_schema, &broken).is_empty(), "maxLength");

        let mut odd_context = context();
        odd_context.project_name = "  ".into();
        odd_context.publisher = "Ünïcödé".into();
        for (name, advisory, context) in [
            ("full", full(), context()),
            ("minimal", minimal(), context()),
            ("many", many(), context()),
            ("odd context", full(), odd_context),
        ] {
            advisory.check().unwrap();
            let record = cve(&advisory, &context).unwrap();
            let problems = errors(&record_schema, &record);
            assert!(
                problems.is_empty(),
                "{name}: record invalid:\n{}\n{record:#}",
                problems.join("\n")
            );
            let cna = &record["containers"]["cna"];
            let problems = errors(&cna_schema, cna);
            assert!(
                problems.is_empty(),
                "{name}: CNA container invalid:\n{}",
                problems.join("\n")
            );
        }
    }

    #[test]
    fn the_record_carries_the_advisory() {
        let advisory = full();
        let record = cve(&advisory, &context()).unwrap();
        let meta = &record["cveMetadata"];
        assert_eq!(meta["cveId"], "CVE-2026-12345");
        assert_eq!(meta["state"], "PUBLISHED");
        assert_eq!(meta["datePublished"], "2026-11-20T10:00:00Z");
        assert_eq!(meta["dateUpdated"], "2026-11-21T08:30:00Z");
        assert_eq!(meta["assignerShortName"], "Acme_Widgets_security_team");
        let cna = &record["containers"]["cna"];
        assert_eq!(cna["providerMetadata"]["orgId"], meta["assignerOrgId"]);
        assert_eq!(cna["title"], advisory.title.as_str());
        let description = cna["descriptions"][0]["value"].as_str().unwrap();
        assert!(description.starts_with(&advisory.summary));
        assert!(description.ends_with("Upgrade to 2.4.1 or 1.9.8."));

        let product = &cna["affected"][0];
        assert_eq!(product["vendor"], "Acme Widgets");
        assert_eq!(product["product"], "acme-widgets");
        assert_eq!(product["packageName"], "acme-widgets");
        assert_eq!(product["defaultStatus"], "unaffected");
        assert_eq!(
            product["versions"],
            json!([
                {"version": "2.0.0", "lessThan": "2.4.1", "status": "affected", "versionType": "python"},
                {"version": "0", "lessThan": "1.9.8", "status": "affected", "versionType": "python"},
            ])
        );
        assert_eq!(
            cna["problemTypes"][0]["descriptions"][0]["cweId"],
            json!("CWE-22")
        );

        // The scores are cvss::rate's.
        for (key, vector) in [
            ("cvssV3_1", advisory.cvss_v3.as_deref().unwrap()),
            ("cvssV4_0", advisory.cvss_v4.as_deref().unwrap()),
        ] {
            let rating = cvss::rate(vector).unwrap();
            let metric = cna["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|m| m.get(key))
                .unwrap_or_else(|| panic!("no {key}"));
            assert_eq!(metric["vectorString"], rating.vector.as_str());
            let score = metric["baseScore"].as_f64().unwrap();
            assert!((score - rating.score).abs() < 0.05, "{key}: {score}");
            assert_eq!(metric["baseSeverity"], "HIGH", "{key}");
        }

        let references = cna["references"].as_array().unwrap();
        assert_eq!(
            references[0],
            json!({"url": "https://security.acme.example/advisories/ACME-2026-0007", "tags": ["vendor-advisory"]})
        );
        assert_eq!(
            references[1],
            json!({"url": "https://github.com/acme/widgets/commit/abc123", "tags": ["patch"]})
        );
    }

    #[test]
    fn unusual_ranges_and_limits_are_written_as_cve_means_them() {
        let record = cve(&many(), &context()).unwrap();
        let cna = &record["containers"]["cna"];
        assert_eq!(record["cveMetadata"]["cveId"], "CVE-2026-1234567");
        let crate_versions = &cna["affected"][0]["versions"];
        assert_eq!(
            crate_versions,
            &json!([
                {"version": "0", "lessThanOrEqual": "0.9.3", "status": "affected", "versionType": "semver"},
                {"version": "1.0.0", "lessThan": "1.2.0", "status": "affected", "versionType": "semver"},
                {"version": "2.0.0-rc.1", "lessThan": "*", "status": "affected", "versionType": "semver"},
                {"version": "0.1.0", "status": "affected"},
            ])
        );
        // Debian is not in the registry table: vendor and product only, custom versions.
        let debian = &cna["affected"][1];
        assert!(debian.get("collectionURL").is_none());
        assert_eq!(debian["versions"][0]["versionType"], "custom");
        assert_eq!(
            cna["metrics"][0]["cvssV3_1"]["baseScore"].as_f64(),
            Some(10.0)
        );
        assert_eq!(cna["metrics"][0]["cvssV3_1"]["baseSeverity"], "CRITICAL");
        let description = cna["descriptions"][0]["value"].as_str().unwrap();
        assert_eq!(description.chars().count(), DESCRIPTION_CHARS_MAX);
        assert!(description.ends_with('…'));
        // The odd CWE ids stay as text, without a cweId the schema would reject.
        let cwe_ids: Vec<&Value> = cna["problemTypes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["descriptions"][0]["cweId"])
            .collect();
        assert_eq!(cwe_ids, [&json!("CWE-79"), &Value::Null, &Value::Null]);
        // Repeated references and the page itself appear once; the space is encoded.
        let urls: Vec<&str> = cna["references"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["url"].as_str().unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                "https://security.acme.example/advisories/ACME-2026-0007",
                "https://github.com/acme/widgets/issues/1%20and%20more",
                "https://gist.example.org/poc",
            ]
        );
    }

    #[test]
    fn credits_show_names_only_for_those_who_gave_them() {
        let record = cve(&full(), &context()).unwrap();
        assert_eq!(
            record["containers"]["cna"]["credits"],
            json!([
                {"lang": "en", "value": "Ada Lovelace", "type": "finder"},
                {"lang": "en", "value": "Anonymous", "type": "reporter"},
            ])
        );
        // An anonymous credit whose details still name them elsewhere in Postern must not leak:
        // build one from a named credit and check the name is gone from the whole record.
        let mut advisory = full();
        advisory.credits[0].name = None;
        advisory.credits[0].contact.clear();
        let text = serde_json::to_string(&cve(&advisory, &context()).unwrap()).unwrap();
        assert!(!text.contains("Ada Lovelace"), "{text}");
        assert!(!text.contains("ada.example.org"), "{text}");
        assert!(text.contains("\"Anonymous\""));
        // And the named one is there when named.
        let text = serde_json::to_string(&cve(&full(), &context()).unwrap()).unwrap();
        assert!(text.contains("Ada Lovelace"));
    }

    #[test]
    fn without_a_cve_alias_there_is_no_record() {
        let mut advisory = full();
        advisory.aliases = vec!["GHSA-aaaa-bbbb-cccc".into(), "CVE-26-1".into()];
        let err = cve(&advisory, &context()).unwrap_err();
        assert!(
            err.contains("assign a CVE id first: add it to the advisory's aliases"),
            "{err}"
        );
        advisory.aliases.clear();
        assert!(cve(&advisory, &context()).is_err());
    }

    #[test]
    fn bad_vectors_and_addresses_are_errors_naming_the_field() {
        let mut advisory = full();
        advisory.cvss_v3 = Some("CVSS:3.1/AV:X".into());
        assert!(
            cve(&advisory, &context())
                .unwrap_err()
                .starts_with("cvss_v3:")
        );
        let mut advisory = full();
        advisory.references[0].url = "https://exa mple.org/x".into();
        assert!(
            cve(&advisory, &context())
                .unwrap_err()
                .starts_with("references:")
        );
    }

    #[test]
    fn derived_names_are_stable_and_fit_the_schema() {
        let id = org_uuid("Acme Widgets security team");
        assert_eq!(id, org_uuid("Acme Widgets security team"));
        assert_ne!(id, org_uuid("Other team"));
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(parts[3].starts_with(['8', '9', 'a', 'b']));
        assert_eq!(short_name("x"), "Postern");
        assert_eq!(short_name("ACME"), "ACME");
        assert_eq!(short_name(&"a".repeat(40)).len(), 32);
        assert_eq!(
            short_name("The Very Long Named Open Source Foundation Security Team"),
            "The_Very_Long_Named_Open_Source"
        );
        assert_eq!(cve_id(" CVE-2026-0001 "), Some("CVE-2026-0001".into()));
        assert_eq!(cve_id("CVE-2026-001"), None);
        assert_eq!(cve_id("CVE-2026-00x1"), None);
        assert_eq!(cve_id("CVÉ-2026-0001"), None);
    }
}
