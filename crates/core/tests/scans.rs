//! Every real scanner report in ../shared/testdata/scans is read, and its finding count is
//! checked against a count made independently from the same file as a plain
//! `serde_json::Value` (or, where the rule needs words, justified in a comment).

use std::collections::HashSet;
use std::path::PathBuf;

use postern_core::scan::{FindingKind, FindingSeverity, Format, ScanError, parse};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/scans")
}

/// The file's bytes, or `None` with a visible note where ../shared is absent.
fn read(name: &str) -> Option<Vec<u8>> {
    let path = dir().join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            eprintln!(
                "NOTE: skipping {name}: {} not found (../shared is absent)",
                path.display()
            );
            None
        }
    }
}

fn value(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn check(name: &str, format: Format, count: impl Fn(&Value) -> usize) {
    let Some(bytes) = read(name) else { return };
    let report = parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(report.format, format, "{name}");
    let expected = if bytes.iter().all(u8::is_ascii_whitespace) {
        0
    } else {
        count(&value(&bytes))
    };
    assert_eq!(
        report.findings.len(),
        expected,
        "{name}: {:#?}",
        report.warnings
    );
    // Importing the same bytes gives the same keys, in the same order (idempotent re-import).
    let again = parse(&bytes).unwrap();
    let keys: Vec<String> = report.findings.iter().map(|f| f.key()).collect();
    let keys_again: Vec<String> = again.findings.iter().map(|f| f.key()).collect();
    assert_eq!(keys, keys_again);
    for f in &report.findings {
        assert!(!f.vuln_id.is_empty(), "{name}: a finding without id: {f:?}");
        assert!(
            !f.target.is_empty(),
            "{name}: a finding without target: {f:?}"
        );
    }
}

/// Trivy: every vulnerability, every misconfiguration that did not pass, and every secret of
/// every result. Keys that repeat (same target, package, id and path) count once.
fn trivy_results(results: &[Value], prefix: &str, keys: &mut HashSet<String>) {
    for r in results {
        let target = format!("{prefix}{}", r["Target"].as_str().unwrap_or(""));
        for v in arr(&r["Vulnerabilities"]) {
            keys.insert(format!(
                "v|{target}|{}|{}|{}",
                v["PkgName"], v["VulnerabilityID"], v["PkgPath"]
            ));
        }
        for m in arr(&r["Misconfigurations"]) {
            if m["Status"] == "PASS" {
                continue;
            }
            keys.insert(format!(
                "m|{target}|{}|{}|{}|{}",
                m["ID"],
                m["CauseMetadata"]["Resource"],
                m["CauseMetadata"]["StartLine"],
                m["CauseMetadata"]["EndLine"]
            ));
        }
        for s in arr(&r["Secrets"]) {
            keys.insert(format!("s|{target}|{}|{}", s["RuleID"], s["StartLine"]));
        }
    }
}

fn trivy_count(v: &Value) -> usize {
    let mut keys = HashSet::new();
    if let Some(list) = v.as_array() {
        trivy_results(list, "", &mut keys);
    } else if v.get("ClusterName").is_some() {
        for part in ["Vulnerabilities", "Misconfigurations", "Resources"] {
            for res in arr(&v[part]) {
                let prefix = format!(
                    "{}/{}/{}: ",
                    res["Namespace"].as_str().unwrap_or(""),
                    res["Kind"].as_str().unwrap_or(""),
                    res["Name"].as_str().unwrap_or("")
                );
                trivy_results(arr(&res["Results"]), &prefix, &mut keys);
            }
        }
    } else {
        trivy_results(arr(&v["Results"]), "", &mut keys);
    }
    keys.len()
}

#[test]
fn trivy_reports() {
    check("trivy/scheme_2_many_vulns.json", Format::Trivy, trivy_count);
    check("trivy/scheme_2_no_vuln.json", Format::Trivy, trivy_count);
    check("trivy/severity_prio.json", Format::Trivy, trivy_count);
    check(
        "trivy/misconfigurations_and_secrets.json",
        Format::Trivy,
        trivy_count,
    );
    check(
        "trivy/kubernetes.json",
        Format::TrivyKubernetes,
        trivy_count,
    );
    check(
        "trivy/legacy_many_vulns.json",
        Format::TrivyLegacy,
        trivy_count,
    );
    // `null`: Trivy's legacy output for an image with nothing found.
    check("trivy/legacy_no_vuln.json", Format::Empty, |_| 0);
}

#[test]
fn trivy_kinds_and_secrets_without_their_match() {
    let Some(bytes) = read("trivy/misconfigurations_and_secrets.json") else {
        return;
    };
    let report = parse(&bytes).unwrap();
    let kinds: HashSet<FindingKind> = report.findings.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&FindingKind::Dependency));
    assert!(kinds.contains(&FindingKind::Misconfiguration));
    assert!(kinds.contains(&FindingKind::Secret));
    let secret = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Secret)
        .unwrap();
    assert_eq!(secret.vuln_id, "github-pat");
    assert_eq!(secret.severity, FindingSeverity::Critical);
    // The matched line ("GITHUB_PAT=*****") is never kept.
    let text = format!("{:?}", report.findings);
    assert!(!text.contains("GITHUB_PAT="), "{text}");
}

#[test]
fn trivy_cvss_and_versions() {
    let Some(bytes) = read("trivy/scheme_2_many_vulns.json") else {
        return;
    };
    let report = parse(&bytes).unwrap();
    let v = value(&bytes);
    let first = &v["Results"][0]["Vulnerabilities"][0];
    let f = &report.findings[0];
    assert_eq!(f.vuln_id, first["VulnerabilityID"].as_str().unwrap());
    assert_eq!(f.package, first["PkgName"].as_str().unwrap());
    assert_eq!(
        f.installed_version,
        first["InstalledVersion"].as_str().unwrap()
    );
    assert_eq!(f.fixed_versions, first["FixedVersion"].as_str().unwrap());
    // Every v3 vector in the file that parses is kept with its score.
    assert!(report.findings.iter().any(|f| f.cvss.is_some()));
}

/// pip-audit: one finding per entry of `vulns` of every dependency; skipped dependencies
/// (`skip_reason`) are warnings.
fn pip_count(v: &Value) -> usize {
    let deps = v
        .as_array()
        .map_or_else(|| arr(&v["dependencies"]), Vec::as_slice);
    deps.iter().map(|d| arr(&d["vulns"]).len()).sum()
}

#[test]
fn pip_audit_reports() {
    check("pip_audit/many_vulns_new.json", Format::PipAudit, pip_count);
    check("pip_audit/zero_vulns_new.json", Format::PipAudit, pip_count);
    // `[]`: the old layout (a list of dependencies) with none, or Trivy's legacy list: both
    // empty, so the format does not matter.
    check("pip_audit/empty.json", Format::Empty, |_| 0);
    let Some(bytes) = read("pip_audit/many_vulns_new.json") else {
        return;
    };
    let report = parse(&bytes).unwrap();
    assert!(
        report.warnings.iter().any(|w| w.contains("azure-devops")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn pip_audit_old_layout() {
    // The old layout is the list of dependencies itself.
    let old = br#"[{"name": "django", "version": "3.2.9", "vulns": [{"id": "PYSEC-2021-439", "fix_versions": ["3.2.10"], "description": "x"}]}]"#;
    let report = parse(old).unwrap();
    assert_eq!(report.format, Format::PipAuditLegacy);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].fixed_versions, "3.2.10");
}

/// cargo-audit: the entries of `vulnerabilities.list` (many_findings.json has RUSTSEC-2021-0003
/// twice, for smallvec 0.6.13 and 1.5.0: two findings); `warnings` (unmaintained, yanked) are
/// not vulnerabilities and are reported as warnings.
#[test]
fn cargo_audit_reports() {
    let count = |v: &Value| arr(&v["vulnerabilities"]["list"]).len();
    check("cargo_audit/many_findings.json", Format::CargoAudit, count);
    check("cargo_audit/no_findings.json", Format::CargoAudit, count);
    let Some(bytes) = read("cargo_audit/many_findings.json") else {
        return;
    };
    let report = parse(&bytes).unwrap();
    assert!(report.warnings.iter().any(|w| w.contains("yanked")));
}

/// osv-scanner: one finding per group of aliases of each package (its `groups`), else per
/// vulnerability. The empty file is what osv-scanner leaves when it found nothing.
#[test]
fn osv_scanner_reports() {
    let count = |v: &Value| {
        arr(&v["results"])
            .iter()
            .flat_map(|r| arr(&r["packages"]))
            .map(|p| {
                let groups = arr(&p["groups"]).len();
                if groups > 0 {
                    groups
                } else {
                    arr(&p["vulnerabilities"]).len()
                }
            })
            .sum()
    };
    check("osv_scanner/some_findings.json", Format::OsvScanner, count);
    check("osv_scanner/no_findings.json", Format::Empty, |_| 0);
}

/// npm audit: one finding per advisory object in a package's `via` (a string in `via` names
/// the dependency it comes through, whose own entry holds the advisory).
#[test]
fn npm_audit_reports() {
    let count = |v: &Value| {
        let mut keys = HashSet::new();
        for p in v["vulnerabilities"].as_object().unwrap().values() {
            for via in arr(&p["via"]).iter().filter(|x| x.is_object()) {
                keys.insert(format!("{}|{}|{}", via["name"], via["url"], via["range"]));
            }
        }
        keys.len()
    };
    check("npm_audit_7_plus/many_vulns.json", Format::NpmAudit, count);
    check("npm_audit_7_plus/one_vuln.json", Format::NpmAudit, count);
    check("npm_audit_7_plus/no_vuln.json", Format::NpmAudit, count);
}

/// Dependabot: every alert node of every repository.
#[test]
fn dependabot_reports() {
    let count = |v: &Value| {
        arr(&v["data"]["search"]["nodes"])
            .iter()
            .map(|r| arr(&r["vulnerabilityAlerts"]["nodes"]).len())
            .sum()
    };
    check(
        "github_vulnerability/github-0-vuln.json",
        Format::Dependabot,
        count,
    );
    check(
        "github_vulnerability/github-1-vuln.json",
        Format::Dependabot,
        count,
    );
    check(
        "github_vulnerability/github-5-vuln.json",
        Format::Dependabot,
        count,
    );
}

/// SARIF: every result of every run that is a failure (no `kind`, or `fail`), not suppressed
/// and not absent from the baseline; results with the same rule at the same file and line
/// are one finding (bash-report.sarif lists several twice).
#[test]
fn sarif_reports() {
    let count = |v: &Value| {
        let mut keys = HashSet::new();
        for run in arr(&v["runs"]) {
            for r in arr(&run["results"]) {
                let kind = r["kind"].as_str().unwrap_or("fail");
                if !matches!(kind, "fail" | "open" | "review")
                    || !arr(&r["suppressions"]).is_empty()
                    || r["baselineState"] == "absent"
                {
                    continue;
                }
                let loc = &r["locations"][0]["physicalLocation"];
                keys.insert(format!(
                    "{}|{}|{}",
                    r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"]
                ));
            }
        }
        keys.len()
    };
    for name in [
        "sarif/appendix_k.sarif",
        "sarif/appendix_k1.sarif",
        "sarif/bash-report.sarif",
        "sarif/dockle_0_3_15.sarif",
        "sarif/njsscan.sarif",
    ] {
        check(name, Format::Sarif, count);
    }
    let Some(bytes) = read("sarif/bash-report.sarif") else {
        return;
    };
    let report = parse(&bytes).unwrap();
    assert!(
        report.warnings.iter().any(|w| w.contains("merged")),
        "duplicates are merged with a warning: {:?}",
        report.warnings
    );
}

#[test]
fn every_file_in_the_folder_is_covered() {
    let Ok(folders) = std::fs::read_dir(dir()) else {
        eprintln!("NOTE: skipping: ../shared/testdata/scans is absent");
        return;
    };
    let mut files = 0;
    for folder in folders.flatten().filter(|e| e.path().is_dir()) {
        for file in std::fs::read_dir(folder.path()).unwrap().flatten() {
            let bytes = std::fs::read(file.path()).unwrap();
            parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.path().display()));
            files += 1;
        }
    }
    assert_eq!(files, 25, "a file was added: give it a count above");
}

#[test]
fn truncated_json_is_located() {
    let Some(bytes) = read("trivy/scheme_2_many_vulns.json") else {
        return;
    };
    let cut = &bytes[..bytes.len() / 2];
    let error = parse(cut).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, ScanError::Json(_)), "{error:?}");
    assert!(
        text.contains("truncated") && text.contains("line "),
        "{text}"
    );
}

#[test]
fn unknown_formats_name_what_was_recognised() {
    let error = parse(br#"{"foo": 1, "bar": [2]}"#).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, ScanError::UnknownFormat(_)));
    assert!(
        text.contains("[foo, bar]") && text.contains("SARIF 2.1.0"),
        "{text}"
    );
    let error = parse(b"\"hello\"").unwrap_err();
    assert!(error.to_string().contains("a string"), "{error}");
    let error = parse(br#"{"version": "2.0.0", "runs": []}"#).unwrap_err();
    assert!(error.to_string().contains("2.1.0"), "{error}");
    let error = parse(b"not json").unwrap_err();
    assert!(matches!(error, ScanError::Json(_)), "{error:?}");
}

#[test]
fn a_bad_cvss_vector_is_a_warning_and_duplicates_merge() {
    let report = br#"{"SchemaVersion": 2, "Results": [{"Target": "app", "Type": "npm", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-1", "PkgName": "a", "InstalledVersion": "1", "Severity": "HIGH",
         "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:X/nonsense"}}},
        {"VulnerabilityID": "CVE-1", "PkgName": "a", "InstalledVersion": "1", "Severity": "CRITICAL"}
    ]}]}"#;
    let parsed = parse(report).unwrap();
    assert_eq!(parsed.findings.len(), 1);
    assert_eq!(parsed.findings[0].cvss, None);
    // The merged finding keeps the higher severity.
    assert_eq!(parsed.findings[0].severity, FindingSeverity::Critical);
    assert!(parsed.warnings.iter().any(|w| w.contains("does not parse")));
    assert!(parsed.warnings.iter().any(|w| w.contains("more than once")));
}

#[test]
fn sarif_with_ten_thousand_rules() {
    let rules: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{"id": "R{i}", "shortDescription": {{"text": "rule {i}"}}}}"#))
        .collect();
    let report = format!(
        r#"{{"version": "2.1.0", "runs": [{{"tool": {{"driver": {{"name": "t", "rules": [{}]}}}},
           "results": [{{"ruleId": "R9999", "ruleIndex": 9999, "level": "error", "message": {{"text": "m"}}}}]}}]}}"#,
        rules.join(",")
    );
    let parsed = parse(report.as_bytes()).unwrap();
    assert_eq!(parsed.findings.len(), 1);
    assert_eq!(parsed.findings[0].title, "rule 9999");
    assert_eq!(parsed.findings[0].severity, FindingSeverity::High);
}

#[test]
fn too_large_is_refused_before_reading() {
    let big = vec![b' '; postern_core::scan::REPORT_BYTES_MAX + 1];
    assert!(matches!(parse(&big), Err(ScanError::TooLarge { .. })));
}
