//! Versions as advisories and policies write them: dotted numbers compared as numbers, and
//! OSV's ecosystems. `Advisory::check` and the supported-versions table (`supported`) build on
//! these; the pages and the terminal share them.

use std::cmp::Ordering;

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn ecosystems_are_checked_with_a_suggestion() {
        assert!(check_ecosystem("PyPI").is_ok());
        assert!(check_ecosystem("Debian:12").is_ok());
        let wrong = check_ecosystem("pypi").unwrap_err();
        assert!(wrong.contains("did you mean PyPI?"), "{wrong}");
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
