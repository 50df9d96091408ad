//! The policy's supported-versions table against an advisory: how each line ("2.4.x", "< 2.0") stands against an affected package's ranges, so that the
//! team sees which supported lines a fix still misses.

use std::cmp::Ordering;

use crate::advisory::Affected;
use crate::versions::{compare, numeric};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::VersionRange;

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
    fn a_range_whose_end_comes_before_its_start_is_refused() {
        let backwards = VersionRange {
            introduced: "2.0".into(),
            fixed: Some("1.9".into()),
            last_affected: None,
        };
        let problem = backwards.check_order().unwrap_err();
        assert!(
            problem.contains("comes before the introduced version 2.0"),
            "{problem}"
        );
        let hashes = VersionRange {
            introduced: "abc123".into(),
            fixed: Some("def456".into()),
            last_affected: None,
        };
        assert!(hashes.check_order().is_ok());
    }
}
