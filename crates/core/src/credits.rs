//! The hall of fame: who is credited in a project's published advisories, by year. Only named
//! credits appear; someone who asked for anonymity is not listed at all, not even as
//! "Anonymous", so the list cannot be used to count or date their reports.

use std::collections::BTreeMap;

use crate::advisory::{Advisory, AdvisoryId};

/// One credited person in one year, with the advisories that credit them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credited {
    /// The name as given.
    pub name: String,
    /// Advisories that credit them that year, in id order.
    pub advisories: Vec<AdvisoryId>,
}

/// Credits by year of publication, newest year first; names in alphabetical order.
/// Unpublished advisories are left out.
pub fn hall_of_fame(advisories: &[Advisory]) -> Vec<(i16, Vec<Credited>)> {
    let mut years: BTreeMap<i16, BTreeMap<String, Vec<AdvisoryId>>> = BTreeMap::new();
    for a in advisories {
        let Some(published) = a.published else {
            continue;
        };
        let year = published.to_zoned(jiff::tz::TimeZone::UTC).year();
        for name in a.credits.iter().filter_map(|c| c.name.as_deref()) {
            let ids = years
                .entry(year)
                .or_default()
                .entry(name.trim().to_owned())
                .or_default();
            if !ids.contains(&a.id) {
                ids.push(a.id.clone());
                ids.sort();
            }
        }
    }
    years
        .into_iter()
        .rev()
        .map(|(year, names)| {
            let people = names
                .into_iter()
                .map(|(name, advisories)| Credited { name, advisories })
                .collect();
            (year, people)
        })
        .collect()
}

/// The hall of fame as Markdown, for release notes and CONTRIBUTORS.md.
pub fn markdown(project_name: &str, hall: &[(i16, Vec<Credited>)]) -> String {
    let mut out = format!("# Security acknowledgements: {project_name}\n\n");
    if hall.is_empty() {
        out.push_str("No published advisory credits anyone yet.\n");
    }
    for (year, people) in hall {
        out.push_str(&format!("## {year}\n\n"));
        for p in people {
            let ids: Vec<String> = p.advisories.iter().map(ToString::to_string).collect();
            out.push_str(&format!("- {} ({})\n", escape(&p.name), ids.join(", ")));
        }
        out.push('\n');
    }
    out
}

/// Keeps a name from being read as Markdown markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::{Credit, CreditRole};

    #[test]
    fn named_credits_by_year_and_never_the_anonymous() {
        let mut first = crate::advisory::tests::full();
        first.credits[1].name = None;
        let mut second = crate::advisory::tests::full();
        second.id = AdvisoryId::new("ACME", 2025, 2);
        second.published = Some("2025-03-01T00:00:00Z".parse().unwrap());
        second.credits = vec![
            Credit {
                name: Some("Ada Lovelace".into()),
                role: CreditRole::Finder,
                contact: Vec::new(),
            },
            Credit {
                name: Some("Bob *bold*".into()),
                role: CreditRole::Reporter,
                contact: Vec::new(),
            },
        ];
        let mut draft = crate::advisory::tests::full();
        draft.id = AdvisoryId::new("ACME", 2026, 9);
        draft.published = None;
        draft.credits[0].name = Some("Not Yet Public".into());
        let hall = hall_of_fame(&[first, second, draft]);
        assert_eq!(hall.len(), 2);
        assert_eq!(hall[0].0, 2026);
        assert_eq!(hall[0].1.len(), 1, "the anonymous reporter is not listed");
        assert_eq!(hall[0].1[0].name, "Ada Lovelace");
        assert_eq!(hall[1].0, 2025);
        let text = markdown("Acme", &hall);
        assert_eq!(
            text,
            "# Security acknowledgements: Acme\n\n## 2026\n\n- Ada Lovelace (ACME-2026-0007)\n\n## 2025\n\n- Ada Lovelace (ACME-2025-0002)\n- Bob \\*bold\\* (ACME-2025-0002)\n\n"
        );
        assert!(!text.contains("Anonymous") && !text.contains("Not Yet Public"));
    }
}
