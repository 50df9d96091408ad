//! Versions as advisories and policies write them: dotted numbers compared as numbers, OSV's
//! ecosystems, a range's order, and how a line of the policy's supported-versions table stands
//! against an advisory's affected ranges. The pages, the terminal and `Advisory::check` share
//! these rules.

use std::cmp::Ordering;

use crate::advisory::{Affected, VersionRange};

/// A version as numbers when it is dotted digits ("1.9.8", "v2.0"); anything else (pre-releases,
/// commit hashes) is not compared.
pub fn numeric(version: &str) -> Option<Vec<u64>> {
    let v = version.trim();
    let v = v.strip_prefix('v').unwrap_or(v);
    if v.is_empty() {
        return None;
    }
    v.split('.').map(|p| p.parse().ok()).collect()
}

/// Compares dotted versions, missing parts counting as 0 (2.4 = 2.4.0).
pub fn compare(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// How one line of the policy's supported-versions table stands against one package's ranges.
pub fn line_status(line: &str, affected: &Affected) -> LineStatus {
    let text = line.trim();
    let below = text.strip_prefix('<').map(str::trim);
    let series = text
        .trim_end_matches(".x")
        .trim_end_matches(".*")
        .trim_end_matches('x');
    let bound = below.map_or_else(|| numeric(series.trim_end_matches('.')), numeric);
    let Some(bound) = bound.filter(|_| !text.starts_with("<=")) else {
        return LineStatus::ByHand;
    };
    let mut fixed_in = Vec::new();
    let mut affected_without_fix = false;
    let mut unknown = false;
    for r in &affected.ranges {
        let Some(from) = numeric(&r.introduced) else {
            unknown = true;
            continue;
        };
        let fixed = r.fixed.as_deref().map(|f| (f, numeric(f)));
        let last = r.last_affected.as_deref().map(numeric);
        if matches!(fixed, Some((_, None))) || matches!(last, Some(None)) {
            unknown = true;
            continue;
        }
        let fixed = fixed.map(|(text, v)| (text, v.unwrap_or_default()));
        let last = last.flatten();
        if below.is_some() {
            // Versions below `bound`.
            if compare(&from, &bound) != Ordering::Less {
                continue;
            }
            match (&fixed, &last) {
                (Some((text, f)), _) if compare(f, &bound) == Ordering::Less => {
                    fixed_in.push(text.to_string());
                }
                _ => affected_without_fix = true,
            }
            continue;
        }
        // The series `bound` (2.4 for "2.4.x"): its versions share that prefix.
        let n = bound.len();
        let cut = |v: &[u64]| -> Vec<u64> { (0..n).map(|i| *v.get(i).unwrap_or(&0)).collect() };
        if compare(&cut(&from), &bound) == Ordering::Greater {
            continue;
        }
        match (&fixed, &last) {
            (Some((text, f)), _) => match compare(&cut(f), &bound) {
                Ordering::Less => {}
                Ordering::Equal if compare(f, &bound) == Ordering::Equal => {}
                Ordering::Equal => fixed_in.push(text.to_string()),
                Ordering::Greater => affected_without_fix = true,
            },
            (None, Some(l)) => {
                if compare(&cut(l), &bound) != Ordering::Less {
                    affected_without_fix = true;
                }
            }
            (None, None) => affected_without_fix = true,
        }
    }
    if affected.versions.iter().any(|v| {
        numeric(v).is_some_and(|v| match below {
            Some(_) => compare(&v, &bound) == Ordering::Less,
            None => compare(&v[..bound.len().min(v.len())], &bound) == Ordering::Equal,
        })
    }) && fixed_in.is_empty()
    {
        affected_without_fix = true;
    }
    if affected_without_fix {
        LineStatus::AffectedWithoutFix
    } else if !fixed_in.is_empty() {
        LineStatus::FixedIn(fixed_in)
    } else if unknown {
        LineStatus::ByHand
    } else {
        LineStatus::NotAffected
    }
}

/// OSV's ecosystems (https://ossf.github.io/osv-schema/#defined-ecosystems), as of the schema
/// in `shared/schemas/osv/ecosystems.json`. An ecosystem may carry a suffix after a colon
/// (`Debian:12`, `Alpine:v3.19`).
pub const OSV_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpaquita",
    "Alpine",
    "Android",
    "Azure Linux",
    "BellSoft Hardened Containers",
    "Bioconductor",
    "Bitnami",
    "Chainguard",
    "CleanStart",
    "ConanCenter",
    "CRAN",
    "crates.io",
    "Debian",
    "Docker Hardened Images",
    "Echo",
    "FreeBSD",
    "GHC",
    "GitHub Actions",
    "Go",
    "Hackage",
    "Hex",
    "Julia",
    "Kubernetes",
    "Linux",
    "Mageia",
    "Maven",
    "MinimOS",
    "npm",
    "NuGet",
    "opam",
    "openEuler",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "Root",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "TuxCare",
    "Ubuntu",
    "VSCode",
    "Wolfi",
];

/// Whether `ecosystem` (with an optional `:suffix`, as in `Debian:12`) is one of OSV's; the
/// error says what to write instead.
pub fn check_ecosystem(ecosystem: &str) -> Result<(), String> {
    let ecosystem = ecosystem.trim();
    let base = ecosystem.split(':').next().unwrap_or_default();
    if OSV_ECOSYSTEMS.contains(&base) {
        return Ok(());
    }
    let near = OSV_ECOSYSTEMS
        .iter()
        .find(|e| e.eq_ignore_ascii_case(base))
        .map(|e| format!(" (did you mean {e}?)"))
        .unwrap_or_default();
    Err(format!(
        "{ecosystem:?} is not an OSV ecosystem{near}; write one such as PyPI, npm, crates.io, Go, Maven"
    ))
}

/// Whether a range is in order: its end (fixed or last affected) does not come before its
/// start, where both are dotted numbers (other versions are not compared).
pub fn check_range_order(range: &VersionRange) -> Result<(), String> {
    let end = range.fixed.as_ref().or(range.last_affected.as_ref());
    if let Some(end) = end
        && let (Some(from), Some(to)) = (numeric(&range.introduced), numeric(end))
        && compare(&to, &from) == Ordering::Less
    {
        return Err(format!(
            "{end} comes before the introduced version {}; the range would be empty",
            range.introduced
        ));
    }
    Ok(())
}

/// How a supported-versions line stands against one affected package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineStatus {
    /// Some version of the line is affected and no fix on the line is known.
    AffectedWithoutFix,
    /// The line is affected and fixed in these versions.
    FixedIn(Vec<String>),
    /// No version of the line is affected.
    NotAffected,
    /// The versions are not dotted numbers (or the line is not a series): compare by hand.
    ByHand,
}

impl LineStatus {
    /// The words the pages show.
    pub fn words(&self) -> String {
        match self {
            LineStatus::AffectedWithoutFix => "affected, no fix on this line".into(),
            LineStatus::FixedIn(versions) => format!("fixed in {}", versions.join(", ")),
            LineStatus::NotAffected => "not affected".into(),
            LineStatus::ByHand => "compare by hand".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(ranges: &[(&str, Option<&str>, Option<&str>)]) -> Affected {
        Affected {
            ecosystem: "PyPI".into(),
            package: "acme".into(),
            ranges: ranges
                .iter()
                .map(|(i, f, l)| VersionRange {
                    introduced: (*i).into(),
                    fixed: f.map(Into::into),
                    last_affected: l.map(Into::into),
                })
                .collect(),
            versions: Vec::new(),
        }
    }

    #[test]
    fn supported_lines_are_read_against_the_ranges() {
        let a = package(&[("2.0.0", Some("2.4.1"), None), ("0", Some("1.9.8"), None)]);
        let status = |line: &str| line_status(line, &a).words();
        assert_eq!(status("2.4.x"), "fixed in 2.4.1");
        assert_eq!(status("2.3.x"), "affected, no fix on this line");
        assert_eq!(status("1.9.x"), "fixed in 1.9.8");
        assert_eq!(status("2.5.x"), "not affected");
        assert_eq!(status("3.x"), "not affected");
        assert_eq!(status("< 1.0"), "affected, no fix on this line");
        assert_eq!(status("main"), "compare by hand");
        let open = package(&[("1.2", None, Some("1.4.3"))]);
        assert_eq!(line_status("1.4.x", &open), LineStatus::AffectedWithoutFix);
        assert_eq!(line_status("1.5.x", &open), LineStatus::NotAffected);
        assert_eq!(line_status("1.1.x", &open), LineStatus::NotAffected);
    }

    #[test]
    fn the_ecosystem_list_is_osv_s() {
        let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(|d| std::path::PathBuf::from(d).join("../../../shared/schemas/osv"))
            .filter(|d| d.is_dir())
        else {
            eprintln!("NOTE: ../shared/schemas/osv is missing; the ecosystem list is not compared");
            return;
        };
        let text = std::fs::read_to_string(dir.join("ecosystems.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut ours = OSV_ECOSYSTEMS.to_vec();
        names.sort_unstable();
        ours.sort_unstable();
        assert_eq!(ours, names);
    }

    #[test]
    fn ecosystems_and_ranges_are_checked_with_a_suggestion() {
        assert!(check_ecosystem("PyPI").is_ok());
        assert!(check_ecosystem("Debian:12").is_ok());
        let wrong = check_ecosystem("pypi").unwrap_err();
        assert!(wrong.contains("did you mean PyPI?"), "{wrong}");
        let backwards = VersionRange {
            introduced: "2.0".into(),
            fixed: Some("1.9".into()),
            last_affected: None,
        };
        let problem = check_range_order(&backwards).unwrap_err();
        assert!(
            problem.contains("comes before the introduced version 2.0"),
            "{problem}"
        );
        let hashes = VersionRange {
            introduced: "abc123".into(),
            fixed: Some("def456".into()),
            last_affected: None,
        };
        assert!(check_range_order(&hashes).is_ok());
    }

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(
            compare(&numeric("1.10").unwrap(), &numeric("1.9").unwrap()),
            Ordering::Greater
        );
        assert_eq!(
            compare(&numeric("2.4").unwrap(), &numeric("v2.4.0").unwrap()),
            Ordering::Equal
        );
        assert_eq!(numeric("2.0.0-rc1"), None);
    }
}
