//! CVSS v3.1 and v4.0 vectors: parsed and scored by the RustSec `cvss` crate, mapped to
//! Postern's severities.

use crate::policy::Severity;

/// Which CVSS version a vector is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CvssVersion {
    /// CVSS 3.0 or 3.1 (scored by the 3.1 rules where they differ).
    V3,
    /// CVSS 4.0.
    V4,
}

/// A checked vector with its score.
#[derive(Debug, Clone, PartialEq)]
pub struct CvssRating {
    /// The vector as the crate writes it back (canonical metric order).
    pub vector: String,
    /// Version.
    pub version: CvssVersion,
    /// Base score, 0.0 to 10.0.
    pub score: f64,
    /// Qualitative severity; `None` for a score of 0.0 ("None" in CVSS).
    pub severity: Option<Severity>,
}

fn map(severity: cvss::Severity) -> Option<Severity> {
    match severity {
        cvss::Severity::None => None,
        cvss::Severity::Low => Some(Severity::Low),
        cvss::Severity::Medium => Some(Severity::Medium),
        cvss::Severity::High => Some(Severity::High),
        cvss::Severity::Critical => Some(Severity::Critical),
    }
}

/// The base metrics a CVSS v3.x vector must carry.
const V3_BASE: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
/// The base metrics a CVSS v4.0 vector must carry.
const V4_BASE: [&str; 11] = [
    "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
];

/// Parses and scores a vector; the error says what to write instead.
pub fn rate(vector: &str) -> Result<CvssRating, String> {
    let vector = vector.trim();
    let rating = score(vector)?;
    let base: &[&str] = match rating.version {
        CvssVersion::V3 => &V3_BASE,
        CvssVersion::V4 => &V4_BASE,
    };
    // The parser scores a vector that leaves base metrics out; a rating must have them all.
    let given: Vec<&str> = vector
        .split('/')
        .skip(1)
        .filter_map(|part| part.split_once(':').map(|(k, _)| k))
        .collect();
    let missing: Vec<&str> = base
        .iter()
        .filter(|m| !given.contains(m))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the vector lacks the base metric(s) {}; give every base metric",
            missing.join(", ")
        ));
    }
    Ok(rating)
}

fn score(vector: &str) -> Result<CvssRating, String> {
    if vector.starts_with("CVSS:3.0/") || vector.starts_with("CVSS:3.1/") {
        let parsed: cvss::v3::Vector = vector
            .parse()
            .map_err(|e| format!("not a valid CVSS v3 vector ({e}); write one such as CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"))?;
        let score = parsed.score();
        Ok(CvssRating {
            vector: parsed.to_string(),
            version: CvssVersion::V3,
            score: score.value(),
            severity: map(score.severity()),
        })
    } else if vector.starts_with("CVSS:4.0/") {
        let parsed: cvss::v4::Vector = vector
            .parse()
            .map_err(|e| format!("not a valid CVSS v4.0 vector ({e}); write one such as CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"))?;
        let score = parsed.score();
        let severity = map(score.clone().severity());
        Ok(CvssRating {
            vector: parsed.to_string(),
            version: CvssVersion::V4,
            score: score.value(),
            severity,
        })
    } else {
        Err("a CVSS vector starts with CVSS:3.1/ or CVSS:4.0/".to_owned())
    }
}

/// One value a base metric can take, as a calculator form offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricValue {
    /// The value's code in a vector, e.g. `"N"`.
    pub code: &'static str,
    /// The value's official name, e.g. `"Network"`.
    pub label: &'static str,
}

/// One base metric of a CVSS version, with the values it can take in specification order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The metric's code in a vector (and the form field's name), e.g. `"AV"`.
    pub code: &'static str,
    /// The metric's official name, e.g. `"Attack Vector"`.
    pub name: &'static str,
    /// The values the metric can take, in specification order.
    pub values: &'static [MetricValue],
}

const fn value(code: &'static str, label: &'static str) -> MetricValue {
    MetricValue { code, label }
}

const ATTACK_VECTOR: &[MetricValue] = &[
    value("N", "Network"),
    value("A", "Adjacent"),
    value("L", "Local"),
    value("P", "Physical"),
];
const LOW_HIGH: &[MetricValue] = &[value("L", "Low"), value("H", "High")];
const NONE_LOW_HIGH: &[MetricValue] = &[value("N", "None"), value("L", "Low"), value("H", "High")];
const HIGH_LOW_NONE: &[MetricValue] = &[value("H", "High"), value("L", "Low"), value("N", "None")];

/// The 8 CVSS v3.1 base metrics in specification order, with their values.
pub const V3_1_BASE_METRICS: &[Metric] = &[
    Metric {
        code: "AV",
        name: "Attack Vector",
        values: ATTACK_VECTOR,
    },
    Metric {
        code: "AC",
        name: "Attack Complexity",
        values: LOW_HIGH,
    },
    Metric {
        code: "PR",
        name: "Privileges Required",
        values: NONE_LOW_HIGH,
    },
    Metric {
        code: "UI",
        name: "User Interaction",
        values: &[value("N", "None"), value("R", "Required")],
    },
    Metric {
        code: "S",
        name: "Scope",
        values: &[value("U", "Unchanged"), value("C", "Changed")],
    },
    Metric {
        code: "C",
        name: "Confidentiality",
        values: HIGH_LOW_NONE,
    },
    Metric {
        code: "I",
        name: "Integrity",
        values: HIGH_LOW_NONE,
    },
    Metric {
        code: "A",
        name: "Availability",
        values: HIGH_LOW_NONE,
    },
];

/// The 11 CVSS v4.0 base metrics in specification order, with their values.
pub const V4_0_BASE_METRICS: &[Metric] = &[
    Metric {
        code: "AV",
        name: "Attack Vector",
        values: ATTACK_VECTOR,
    },
    Metric {
        code: "AC",
        name: "Attack Complexity",
        values: LOW_HIGH,
    },
    Metric {
        code: "AT",
        name: "Attack Requirements",
        values: &[value("N", "None"), value("P", "Present")],
    },
    Metric {
        code: "PR",
        name: "Privileges Required",
        values: NONE_LOW_HIGH,
    },
    Metric {
        code: "UI",
        name: "User Interaction",
        values: &[
            value("N", "None"),
            value("P", "Passive"),
            value("A", "Active"),
        ],
    },
    Metric {
        code: "VC",
        name: "Vulnerable System Confidentiality",
        values: HIGH_LOW_NONE,
    },
    Metric {
        code: "VI",
        name: "Vulnerable System Integrity",
        values: HIGH_LOW_NONE,
    },
    Metric {
        code: "VA",
        name: "Vulnerable System Availability",
        values: HIGH_LOW_NONE,
    },
    Metric {
        code: "SC",
        name: "Subsequent System Confidentiality",
        values: HIGH_LOW_NONE,
    },
    Metric {
        code: "SI",
        name: "Subsequent System Integrity",
        values: HIGH_LOW_NONE,
    },
    Metric {
        code: "SA",
        name: "Subsequent System Availability",
        values: HIGH_LOW_NONE,
    },
];

/// The base metrics of a version, in specification order: one form field per metric.
pub fn metrics(version: CvssVersion) -> &'static [Metric] {
    match version {
        CvssVersion::V3 => V3_1_BASE_METRICS,
        CvssVersion::V4 => V4_0_BASE_METRICS,
    }
}

/// The prefix [`build_vector`] writes: v3 vectors are always built as 3.1.
fn prefix(version: CvssVersion) -> &'static str {
    match version {
        CvssVersion::V3 => "CVSS:3.1",
        CvssVersion::V4 => "CVSS:4.0",
    }
}

impl Metric {
    fn allowed(&self) -> String {
        let codes: Vec<&str> = self.values.iter().map(|v| v.code).collect();
        codes.join(", ")
    }

    fn has(&self, code: &str) -> bool {
        self.values.iter().any(|v| v.code == code)
    }
}

/// Builds a vector from a calculator form's (metric code, value code) pairs, e.g.
/// `("AV", "N")`, written in specification order (`CVSS:3.1/AV:N/…` or `CVSS:4.0/AV:N/…`)
/// so that [`rate`] accepts it and writes it back unchanged.
///
/// Keys that are not base metrics of `version` (such as `"version"`) are ignored; codes
/// match exactly (upper case, as [`metrics`] lists them). An empty value counts as not
/// chosen, and the same metric given twice with different values is refused. The error
/// names every metric in question by its full name with the values allowed, e.g.
/// "choose a value for Attack Vector (AV): N, A, L, P".
pub fn build_vector(version: CvssVersion, chosen: &[(String, String)]) -> Result<String, String> {
    let mut vector = prefix(version).to_owned();
    let mut problems = Vec::new();
    for metric in metrics(version) {
        let mut values = chosen
            .iter()
            .filter(|(key, value)| key == metric.code && !value.is_empty())
            .map(|(_, value)| value.as_str());
        let Some(first) = values.next() else {
            problems.push(format!(
                "choose a value for {} ({}): {}",
                metric.name,
                metric.code,
                metric.allowed()
            ));
            continue;
        };
        if values.any(|other| other != first) {
            problems.push(format!(
                "choose only one value for {} ({}): {}",
                metric.name,
                metric.code,
                metric.allowed()
            ));
        } else if !metric.has(first) {
            problems.push(format!(
                "not a value for {} ({}); choose one of {}",
                metric.name,
                metric.code,
                metric.allowed()
            ));
        } else {
            vector.push('/');
            vector.push_str(metric.code);
            vector.push(':');
            vector.push_str(first);
        }
    }
    if problems.is_empty() {
        Ok(vector)
    } else {
        Err(problems.join("; "))
    }
}

/// The base metric choices of a vector as (metric code, value code) pairs in
/// specification order, to pre-fill the calculator form from an existing vector.
///
/// The version comes from the prefix (`CVSS:3.0/` and `CVSS:3.1/` give the v3.1 metrics,
/// `CVSS:4.0/` the v4.0 ones); without one the answer is empty. Parts that are not base
/// metrics of that version or whose value is not one of the metric's values are skipped,
/// as are repeats of a metric (the first wins); case and surrounding spaces are ignored.
/// Metrics missing from the vector are simply absent, so the form leaves them unchosen.
pub fn chosen_values(vector: &str) -> Vec<(String, String)> {
    let vector = vector.trim().to_ascii_uppercase();
    let mut parts = vector.split('/');
    let version = match parts.next().map(str::trim) {
        Some("CVSS:3.0" | "CVSS:3.1") => CvssVersion::V3,
        Some("CVSS:4.0") => CvssVersion::V4,
        _ => return Vec::new(),
    };
    let mut found: Vec<Option<&str>> = vec![None; metrics(version).len()];
    for part in parts {
        let Some((key, value)) = part.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if let Some(index) = metrics(version).iter().position(|m| m.code == key)
            && found[index].is_none()
            && metrics(version)[index].has(value)
        {
            found[index] = Some(value);
        }
    }
    metrics(version)
        .iter()
        .zip(found)
        .filter_map(|(metric, value)| Some((metric.code.to_owned(), value?.to_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_without_every_base_metric_is_refused_by_name() {
        let v3 = rate("CVSS:3.1/AV:N/AC:L").unwrap_err();
        assert!(
            v3.contains("lacks the base metric(s) PR, UI, S, C, I, A"),
            "{v3}"
        );
        let v4 = rate("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H").unwrap_err();
        assert!(v4.contains("SA"), "the v4.0 parser names it itself: {v4}");
    }

    #[test]
    fn known_vectors_score_as_published() {
        let cases = [
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                9.8,
                Some(Severity::Critical),
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                6.1,
                Some(Severity::Medium),
            ),
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
                7.8,
                Some(Severity::High),
            ),
            ("CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0, None),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
                Some(Severity::Critical),
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                8.5,
                Some(Severity::High),
            ),
        ];
        for (vector, score, severity) in cases {
            let rating = rate(vector).unwrap();
            assert!(
                (rating.score - score).abs() < 1e-9,
                "{vector}: {}",
                rating.score
            );
            assert_eq!(rating.severity, severity, "{vector}");
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    const PUBLISHED: [&str; 6] = [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    ];

    fn version_of(vector: &str) -> CvssVersion {
        if vector.starts_with("CVSS:4.0/") {
            CvssVersion::V4
        } else {
            CvssVersion::V3
        }
    }

    #[test]
    fn metric_lists_follow_the_specifications() {
        let codes = |version| -> Vec<&str> { metrics(version).iter().map(|m| m.code).collect() };
        assert_eq!(
            codes(CvssVersion::V3),
            ["AV", "AC", "PR", "UI", "S", "C", "I", "A"]
        );
        assert_eq!(
            codes(CvssVersion::V4),
            [
                "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"
            ]
        );
        for version in [CvssVersion::V3, CvssVersion::V4] {
            for metric in metrics(version) {
                assert!(!metric.name.is_empty() && !metric.values.is_empty());
                for (i, value) in metric.values.iter().enumerate() {
                    assert!(!value.label.is_empty());
                    assert!(
                        !metric.values[..i].iter().any(|v| v.code == value.code),
                        "{} lists {} twice",
                        metric.code,
                        value.code
                    );
                }
            }
        }
    }

    #[test]
    fn published_vectors_build_from_their_choices() {
        for vector in PUBLISHED {
            let version = version_of(vector);
            let mut chosen = chosen_values(vector);
            assert_eq!(chosen.len(), metrics(version).len(), "{vector}");
            // A form also submits its version field; it is ignored.
            chosen.push(("version".to_owned(), "4.0".to_owned()));
            chosen.reverse();
            let built = build_vector(version, &chosen).unwrap();
            assert_eq!(built, vector);
            let (from_built, published) = (rate(&built).unwrap(), rate(vector).unwrap());
            assert_eq!(from_built, published);
            assert_eq!(from_built.vector, vector);
        }
        assert_eq!(
            build_vector(
                CvssVersion::V3,
                &pairs(&[
                    ("AV", "N"),
                    ("AC", "L"),
                    ("PR", "N"),
                    ("UI", "N"),
                    ("S", "U"),
                    ("C", "H"),
                    ("I", "H"),
                    ("A", "H"),
                ])
            )
            .unwrap(),
            PUBLISHED[0]
        );
    }

    #[test]
    fn missing_and_bad_choices_name_the_metric() {
        let mut chosen = chosen_values(PUBLISHED[0]);
        chosen.retain(|(k, _)| k != "AV");
        assert_eq!(
            build_vector(CvssVersion::V3, &chosen).unwrap_err(),
            "choose a value for Attack Vector (AV): N, A, L, P"
        );
        chosen.push(("AV".to_owned(), String::new()));
        assert_eq!(
            build_vector(CvssVersion::V3, &chosen).unwrap_err(),
            "choose a value for Attack Vector (AV): N, A, L, P"
        );

        let mut chosen = chosen_values(PUBLISHED[4]);
        for (key, value) in &mut chosen {
            if key == "UI" {
                *value = "R".to_owned(); // a v3 value, not a v4 one
            }
        }
        assert_eq!(
            build_vector(CvssVersion::V4, &chosen).unwrap_err(),
            "not a value for User Interaction (UI); choose one of N, P, A"
        );
        chosen.retain(|(k, _)| k != "SA");
        let both = build_vector(CvssVersion::V4, &chosen).unwrap_err();
        assert!(both.contains("User Interaction (UI)"), "{both}");
        assert!(
            both.contains("choose a value for Subsequent System Availability (SA): H, L, N"),
            "{both}"
        );

        // Lower case is not a listed code; conflicting repeats are refused.
        let mut chosen = chosen_values(PUBLISHED[0]);
        chosen[0].1 = "n".to_owned();
        assert!(
            build_vector(CvssVersion::V3, &chosen)
                .unwrap_err()
                .contains("Attack Vector (AV)")
        );
        let mut chosen = chosen_values(PUBLISHED[0]);
        chosen.push(("AV".to_owned(), "N".to_owned()));
        assert_eq!(
            build_vector(CvssVersion::V3, &chosen).unwrap(),
            PUBLISHED[0]
        );
        chosen.push(("AV".to_owned(), "L".to_owned()));
        assert_eq!(
            build_vector(CvssVersion::V3, &chosen).unwrap_err(),
            "choose only one value for Attack Vector (AV): N, A, L, P"
        );
        assert_eq!(
            build_vector(CvssVersion::V4, &[])
                .unwrap_err()
                .matches("choose a value for")
                .count(),
            11
        );
    }

    #[test]
    fn every_listed_value_builds_and_scores() {
        for version in [CvssVersion::V3, CvssVersion::V4] {
            let base: Vec<(String, String)> = metrics(version)
                .iter()
                .map(|m| (m.code.to_owned(), m.values[0].code.to_owned()))
                .collect();
            for (index, metric) in metrics(version).iter().enumerate() {
                for value in metric.values {
                    let mut chosen = base.clone();
                    chosen[index].1 = value.code.to_owned();
                    let built = build_vector(version, &chosen).unwrap();
                    let rating = rate(&built).unwrap_or_else(|e| panic!("{built}: {e}"));
                    assert_eq!(rating.version, version, "{built}");
                    assert_eq!(rating.vector, built);
                    assert!((0.0..=10.0).contains(&rating.score), "{built}");
                    assert_eq!(chosen_values(&built), chosen, "{built}");
                }
            }
        }
    }

    #[test]
    fn chosen_values_read_base_metrics_only() {
        assert_eq!(
            chosen_values(" cvss:3.0/s:c/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/E:P/AV:L/X:Y/junk "),
            pairs(&[
                ("AV", "N"),
                ("AC", "L"),
                ("PR", "N"),
                ("UI", "N"),
                ("S", "C"),
                ("C", "H"),
                ("I", "H"),
                ("A", "H"),
            ])
        );
        assert_eq!(
            chosen_values("CVSS:4.0/AV:N/AC:Q/UI:R/VC:H/E:A/SI:S/MAV:L"),
            pairs(&[("AV", "N"), ("VC", "H")])
        );
        for garbage in [
            "",
            "garbage",
            "AV:N/AC:L",
            "CVSS:2.0/AV:N",
            "CVSS:3.1",
            "//::",
        ] {
            assert!(chosen_values(garbage).is_empty(), "{garbage}");
        }
    }

    #[test]
    fn bad_vectors_say_what_to_write() {
        assert!(
            rate("AV:N/AC:L")
                .unwrap_err()
                .contains("starts with CVSS:3.1/")
        );
        assert!(
            rate("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                .unwrap_err()
                .contains("such as CVSS:3.1/")
        );
        assert!(
            rate("CVSS:4.0/AV:N")
                .unwrap_err()
                .contains("such as CVSS:4.0/")
        );
    }
}
