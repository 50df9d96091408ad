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

/// Parses and scores a vector; the error says what to write instead.
pub fn rate(vector: &str) -> Result<CvssRating, String> {
    let vector = vector.trim();
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

#[cfg(test)]
mod tests {
    use super::*;

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
