//! The advisory form as the person typed it: every field as text and every repeated group
//! (affected packages and their ranges, references, credits) as rows, empty ones included, so
//! that a form sent back with a problem looks as it was sent. Here it is read from the posted
//! pairs, grown by one row on "add another", and turned into a checked `Advisory` or into
//! problems placed next to the fields they concern. The handlers are in mod.rs, the pages in
//! page.rs.

use jiff::Timestamp;
use postern_core::advisory::{
    Advisory, AdvisoryError, AdvisoryId, Affected, Credit, CreditRole, ITEMS_MAX, Reference,
    ReferenceKind, VersionRange,
};
use postern_core::case::parse_severity;
use postern_core::deadline::Calendar;
use postern_core::policy::{Policy, Severity};

use crate::error::Error;

pub(super) const REFERENCE_KINDS: [(&str, ReferenceKind); 10] = [
    ("ADVISORY", ReferenceKind::Advisory),
    ("ARTICLE", ReferenceKind::Article),
    ("DETECTION", ReferenceKind::Detection),
    ("DISCUSSION", ReferenceKind::Discussion),
    ("REPORT", ReferenceKind::Report),
    ("FIX", ReferenceKind::Fix),
    ("INTRODUCED", ReferenceKind::Introduced),
    ("PACKAGE", ReferenceKind::Package),
    ("EVIDENCE", ReferenceKind::Evidence),
    ("WEB", ReferenceKind::Web),
];

pub(super) const CREDIT_ROLES: [(&str, &str, CreditRole); 10] = [
    ("FINDER", "Finder", CreditRole::Finder),
    ("REPORTER", "Reporter", CreditRole::Reporter),
    ("ANALYST", "Analyst", CreditRole::Analyst),
    ("COORDINATOR", "Coordinator", CreditRole::Coordinator),
    (
        "REMEDIATION_DEVELOPER",
        "Wrote the fix",
        CreditRole::RemediationDeveloper,
    ),
    (
        "REMEDIATION_REVIEWER",
        "Reviewed the fix",
        CreditRole::RemediationReviewer,
    ),
    (
        "REMEDIATION_VERIFIER",
        "Verified the fix",
        CreditRole::RemediationVerifier,
    ),
    ("TOOL", "Tool", CreditRole::Tool),
    ("SPONSOR", "Sponsor", CreditRole::Sponsor),
    ("OTHER", "Other", CreditRole::Other),
];

/// Rows one form may carry per group, beyond which input is refused (the record's own limits
/// are lower; this bounds what a post can make the server allocate).
const FORM_ROWS_MAX: usize = ITEMS_MAX + 10;

#[derive(Debug, Clone, Default)]
pub(super) struct RangeRow {
    pub(super) introduced: String,
    pub(super) fixed: String,
    pub(super) last_affected: String,
    pub(super) error: Option<String>,
}

impl RangeRow {
    fn is_blank(&self) -> bool {
        [&self.introduced, &self.fixed, &self.last_affected]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct PackageRow {
    pub(super) ecosystem: String,
    pub(super) package: String,
    pub(super) versions: String,
    pub(super) ranges: Vec<RangeRow>,
    pub(super) error: Option<String>,
}

impl PackageRow {
    fn is_blank(&self) -> bool {
        [&self.ecosystem, &self.package, &self.versions]
            .iter()
            .all(|v| v.trim().is_empty())
            && self.ranges.iter().all(RangeRow::is_blank)
    }
}

#[derive(Debug, Clone)]
pub(super) struct ReferenceRow {
    pub(super) kind: String,
    pub(super) url: String,
    pub(super) error: Option<String>,
}

impl Default for ReferenceRow {
    fn default() -> Self {
        ReferenceRow {
            kind: "WEB".into(),
            url: String::new(),
            error: None,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct CreditRow {
    pub(super) name: String,
    pub(super) anonymous: bool,
    pub(super) role: String,
    pub(super) contact: String,
    pub(super) error: Option<String>,
}

impl Default for CreditRow {
    fn default() -> Self {
        CreditRow {
            name: String::new(),
            anonymous: false,
            role: "FINDER".into(),
            contact: String::new(),
            error: None,
        }
    }
}

impl CreditRow {
    fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && !self.anonymous && self.contact.trim().is_empty()
    }
}

/// Problems by field id (`title`, `cvss_v3`, `affected`, ...); row problems live in the rows.
#[derive(Debug, Clone, Default)]
pub(super) struct Errors(pub(super) Vec<(String, String)>);

impl Errors {
    pub(super) fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn add(&mut self, field: &str, message: String) {
        if self.get(field).is_none() {
            self.0.push((field.to_owned(), message));
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Typed {
    /// `modified` of the stored advisory when the form was shown (RFC 3339); empty for new.
    pub(super) seen_modified: String,
    /// The project of a new advisory.
    pub(super) project: String,
    pub(super) title: String,
    pub(super) summary: String,
    pub(super) details: String,
    pub(super) severity: String,
    pub(super) cvss_v3: String,
    pub(super) cvss_v4: String,
    pub(super) cwes: String,
    pub(super) aliases: String,
    pub(super) packages: Vec<PackageRow>,
    pub(super) references: Vec<ReferenceRow>,
    pub(super) credits: Vec<CreditRow>,
    /// The moment typed for "Save and schedule" (a `datetime-local` value or RFC 3339).
    pub(super) publish_at: String,
    /// Why it is published before the date agreed with the reporter.
    pub(super) early_reason: String,
    pub(super) errors: Errors,
}

fn lines(items: &[String]) -> String {
    items.join("\n")
}

/// Splits a list typed one per line or comma-separated.
fn split_list(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl Typed {
    /// The stored record as a form, with one empty row per group to type into.
    pub(super) fn from_advisory(a: &Advisory) -> Typed {
        let mut packages: Vec<PackageRow> = a
            .affected
            .iter()
            .map(|p| {
                let mut ranges: Vec<RangeRow> = p
                    .ranges
                    .iter()
                    .map(|r| RangeRow {
                        introduced: r.introduced.clone(),
                        fixed: r.fixed.clone().unwrap_or_default(),
                        last_affected: r.last_affected.clone().unwrap_or_default(),
                        error: None,
                    })
                    .collect();
                ranges.push(RangeRow::default());
                PackageRow {
                    ecosystem: p.ecosystem.clone(),
                    package: p.package.clone(),
                    versions: p.versions.join(", "),
                    ranges,
                    error: None,
                }
            })
            .collect();
        if packages.is_empty() {
            packages.push(PackageRow {
                ranges: vec![RangeRow::default()],
                ..PackageRow::default()
            });
        }
        let mut references: Vec<ReferenceRow> = a
            .references
            .iter()
            .map(|r| ReferenceRow {
                kind: REFERENCE_KINDS
                    .iter()
                    .find(|(_, k)| *k == r.kind)
                    .map_or("WEB", |(n, _)| n)
                    .to_owned(),
                url: r.url.clone(),
                error: None,
            })
            .collect();
        references.push(ReferenceRow::default());
        let mut credits: Vec<CreditRow> = a
            .credits
            .iter()
            .map(|c| CreditRow {
                name: c.name.clone().unwrap_or_default(),
                anonymous: c.name.is_none(),
                role: CREDIT_ROLES
                    .iter()
                    .find(|(_, _, r)| *r == c.role)
                    .map_or("OTHER", |(n, _, _)| n)
                    .to_owned(),
                contact: lines(&c.contact),
                error: None,
            })
            .collect();
        credits.push(CreditRow::default());
        Typed {
            seen_modified: a.modified.to_string(),
            project: a.project.clone(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            details: a.details.clone(),
            severity: a
                .severity
                .and_then(|s| Severity::ALL.iter().find(|(_, v)| *v == s))
                .map_or("", |(n, _)| n)
                .to_owned(),
            cvss_v3: a.cvss_v3.clone().unwrap_or_default(),
            cvss_v4: a.cvss_v4.clone().unwrap_or_default(),
            cwes: a.cwes.join(", "),
            aliases: a.aliases.join(", "),
            packages,
            references,
            credits,
            publish_at: String::new(),
            early_reason: String::new(),
            errors: Errors::default(),
        }
    }

    /// A blank advisory for `policy`'s project: its first package, affected from "0".
    pub(super) fn blank(policy: &Policy) -> Typed {
        let (ecosystem, package) = policy
            .products
            .iter()
            .find_map(|p| Some((p.ecosystem.clone()?, p.package.clone()?)))
            .unwrap_or_default();
        Typed {
            project: policy.project.slug.clone(),
            packages: vec![PackageRow {
                ecosystem,
                package,
                ranges: vec![
                    RangeRow {
                        introduced: "0".into(),
                        ..RangeRow::default()
                    },
                    RangeRow::default(),
                ],
                ..PackageRow::default()
            }],
            references: vec![ReferenceRow::default()],
            credits: vec![CreditRow::default()],
            ..Typed::default()
        }
    }

    /// The form as posted: fields by name, rows by their numbers (`a0-r1-fixed`). Rows are
    /// kept as typed, empty ones included, so that a re-rendered form looks as it was.
    pub(super) fn from_pairs(pairs: &[(String, String)]) -> Result<Typed, Error> {
        let mut t = Typed::default();
        let too_many = || Error::BadRequest(format!("at most {FORM_ROWS_MAX} rows per group"));
        let index = |text: &str| -> Result<usize, Error> {
            let n: usize = text
                .parse()
                .map_err(|_| Error::BadRequest(format!("{text:?} is not a row number")))?;
            if n >= FORM_ROWS_MAX {
                return Err(too_many());
            }
            Ok(n)
        };
        fn row<T: Default>(rows: &mut Vec<T>, i: usize) -> &mut T {
            if rows.len() <= i {
                rows.resize_with(i + 1, T::default);
            }
            &mut rows[i]
        }
        for (name, value) in pairs {
            let value = value.clone();
            match name.as_str() {
                "modified" => t.seen_modified = value,
                "project" => t.project = value,
                "title" => t.title = value,
                "summary" => t.summary = value,
                "details" => t.details = value.replace("\r\n", "\n"),
                "severity" => t.severity = value,
                "cvss_v3" => t.cvss_v3 = value,
                "cvss_v4" => t.cvss_v4 = value,
                "cwes" => t.cwes = value,
                "aliases" => t.aliases = value,
                "at" => t.publish_at = value,
                "early_reason" => t.early_reason = value.replace("\r\n", "\n"),
                _ => {
                    let parts: Vec<&str> = name.split('-').collect();
                    match parts.as_slice() {
                        [a, field] if a.starts_with('a') => {
                            let p = row(&mut t.packages, index(&a[1..])?);
                            match *field {
                                "ecosystem" => p.ecosystem = value,
                                "package" => p.package = value,
                                "versions" => p.versions = value,
                                _ => {}
                            }
                        }
                        [a, r, field] if a.starts_with('a') && r.starts_with('r') => {
                            let p = row(&mut t.packages, index(&a[1..])?);
                            let range = row(&mut p.ranges, index(&r[1..])?);
                            match *field {
                                "introduced" => range.introduced = value,
                                "fixed" => range.fixed = value,
                                "last_affected" => range.last_affected = value,
                                _ => {}
                            }
                        }
                        ["ref", i, field] => {
                            let r = row(&mut t.references, index(i)?);
                            match *field {
                                "kind" => r.kind = value,
                                "url" => r.url = value,
                                _ => {}
                            }
                        }
                        ["credit", i, field] => {
                            let c = row(&mut t.credits, index(i)?);
                            match *field {
                                "name" => c.name = value,
                                "anonymous" => c.anonymous = !value.is_empty(),
                                "role" => c.role = value,
                                "contact" => c.contact = value,
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(t)
    }

    /// The record the form describes, or the problems, each noted next to its field. The
    /// record is also run through `Advisory::check`, whose error is placed by the field it
    /// names.
    pub(super) fn checked_advisory(
        &mut self,
        id: AdvisoryId,
        project: &str,
        published: Option<Timestamp>,
        modified: Timestamp,
    ) -> Option<Advisory> {
        let mut errors = Errors::default();
        let severity = match self.severity.trim() {
            "" => None,
            s => match parse_severity(s) {
                Some(s) => Some(s),
                None => {
                    errors.add(
                        "severity",
                        format!("{s:?} is not a severity: choose critical, high, medium or low"),
                    );
                    None
                }
            },
        };
        // Where each kept row came from, to put check()'s errors by the right row.
        let mut package_rows = Vec::new();
        let mut range_rows: Vec<Vec<usize>> = Vec::new();
        let mut affected = Vec::new();
        for (i, p) in self.packages.iter_mut().enumerate() {
            p.error = None;
            if p.is_blank() {
                continue;
            }
            let ecosystem = p.ecosystem.trim().to_owned();
            if !ecosystem.is_empty()
                && let Err(problem) = postern_core::versions::check_ecosystem(&ecosystem)
            {
                p.error = Some(problem);
            }
            let mut ranges = Vec::new();
            let mut kept = Vec::new();
            for (j, r) in p.ranges.iter_mut().enumerate() {
                r.error = None;
                if r.is_blank() {
                    continue;
                }
                let range = VersionRange {
                    introduced: r.introduced.trim().to_owned(),
                    fixed: non_empty(&r.fixed),
                    last_affected: non_empty(&r.last_affected),
                };
                if let Err(problem) = range.check_order() {
                    r.error = Some(problem);
                }
                ranges.push(range);
                kept.push(j);
            }
            package_rows.push(i);
            range_rows.push(kept);
            affected.push(Affected {
                ecosystem,
                package: p.package.trim().to_owned(),
                ranges,
                versions: split_list(&p.versions),
            });
        }
        let mut reference_rows = Vec::new();
        let mut references = Vec::new();
        for (i, r) in self.references.iter_mut().enumerate() {
            r.error = None;
            let url = r.url.trim();
            if url.is_empty() {
                continue;
            }
            let kind = match REFERENCE_KINDS.iter().find(|(n, _)| *n == r.kind) {
                Some((_, k)) => *k,
                None => {
                    r.error = Some(format!("{:?} is not a kind of reference", r.kind));
                    continue;
                }
            };
            if !url.starts_with("https://") && !url.starts_with("http://") {
                r.error = Some(format!("{url:?} is not a web address (https://...)"));
            }
            reference_rows.push(i);
            references.push(Reference {
                kind,
                url: url.to_owned(),
            });
        }
        let mut credit_rows = Vec::new();
        let mut credits = Vec::new();
        for (i, c) in self.credits.iter_mut().enumerate() {
            c.error = None;
            if c.is_blank() {
                continue;
            }
            let Some((_, _, role)) = CREDIT_ROLES.iter().find(|(n, _, _)| *n == c.role) else {
                c.error = Some(format!("{:?} is not a role", c.role));
                continue;
            };
            let name = non_empty(&c.name);
            let contact = split_list(&c.contact);
            if c.anonymous && name.is_some() {
                c.error = Some(
                    "an anonymous credit shows no name: clear the name or untick anonymous".into(),
                );
            } else if !c.anonymous && name.is_none() {
                c.error = Some("give a name, or tick anonymous".into());
            } else if c.anonymous && !contact.is_empty() {
                c.error = Some("an anonymous credit cannot have contacts".into());
            }
            credit_rows.push(i);
            credits.push(Credit {
                name: if c.anonymous { None } else { name },
                role: *role,
                contact,
            });
        }
        let advisory = Advisory {
            id,
            project: project.to_owned(),
            title: self.title.trim().to_owned(),
            summary: self.summary.trim().to_owned(),
            details: self.details.clone(),
            severity,
            cvss_v3: non_empty(&self.cvss_v3),
            cvss_v4: non_empty(&self.cvss_v4),
            cwes: split_list(&self.cwes),
            affected,
            references,
            credits,
            aliases: split_list(&self.aliases),
            published,
            modified,
        };
        let row_errors = self
            .packages
            .iter()
            .any(|p| p.error.is_some() || p.ranges.iter().any(|r| r.error.is_some()))
            || self.references.iter().any(|r| r.error.is_some())
            || self.credits.iter().any(|c| c.error.is_some());
        // Every problem of the record at once, each by its field (a field the form already
        // found wrong keeps the form's own words).
        for AdvisoryError(message) in advisory.problems() {
            self.place(&message, &package_rows, &range_rows, &mut errors);
        }
        let failed = !errors.0.is_empty() || row_errors;
        self.errors = errors;
        (!failed).then_some(advisory)
    }

    /// Puts one of `Advisory::check`'s messages by the field it names.
    fn place(
        &mut self,
        message: &str,
        package_rows: &[usize],
        range_rows: &[Vec<usize>],
        errors: &mut Errors,
    ) {
        let (head, rest) = message.split_once(':').unwrap_or(("", message));
        let rest = rest.trim().to_owned();
        // "affected[1].ranges[0]" or "affected[1] (name)"
        if let Some(tail) = head.strip_prefix("affected[") {
            let number = |t: &str| t.split(']').next().and_then(|n| n.parse::<usize>().ok());
            if let Some(i) = number(tail)
                && let Some(&row) = package_rows.get(i)
            {
                if let Some(r) = tail.split_once(".ranges[").and_then(|(_, r)| number(r))
                    && let Some(&range) = range_rows.get(i).and_then(|k| k.get(r))
                {
                    self.packages[row].ranges[range].error.get_or_insert(rest);
                } else {
                    self.packages[row].error.get_or_insert(rest);
                }
                return;
            }
        }
        let field = match head {
            "title" | "summary" | "details" | "cvss_v3" | "cvss_v4" | "cwes" | "aliases" => head,
            "affected" => "affected",
            "references" => "references",
            "credits" => "credits",
            _ if message.contains("aliases") => "aliases",
            _ if message.contains("CWE") => "cwes",
            _ if message.contains("references") => "references",
            _ if message.contains("credits") => "credits",
            _ if message.contains("affected") => "affected",
            _ => "form",
        };
        let text = if field == head {
            rest
        } else {
            message.to_owned()
        };
        errors.add(field, text);
    }
}

/// What the post asks for: save (and then schedule or publish), or re-render with one more
/// row or a fresh preview.
pub(super) enum Intent {
    Save,
    SaveAndSchedule,
    SaveAndPublish,
    Preview,
    AddPackage,
    AddRange(usize),
    AddReference,
    AddCredit,
}

pub(super) fn intent(pairs: &[(String, String)]) -> Intent {
    let value = pairs
        .iter()
        .find(|(k, _)| k == "do")
        .map_or("save", |(_, v)| v.as_str());
    match value {
        "preview" => Intent::Preview,
        "schedule" => Intent::SaveAndSchedule,
        "publish" => Intent::SaveAndPublish,
        "add-package" => Intent::AddPackage,
        "add-reference" => Intent::AddReference,
        "add-credit" => Intent::AddCredit,
        other => match other
            .strip_prefix("add-range-")
            .and_then(|i| i.parse().ok())
        {
            Some(i) => Intent::AddRange(i),
            None => Intent::Save,
        },
    }
}

/// Applies a re-render intent to the typed form; `false` for a save.
pub(super) fn grow(t: &mut Typed, intent: &Intent) -> bool {
    match intent {
        Intent::Save | Intent::SaveAndSchedule | Intent::SaveAndPublish => return false,
        Intent::Preview => {}
        Intent::AddPackage if t.packages.len() < FORM_ROWS_MAX => t.packages.push(PackageRow {
            ranges: vec![RangeRow::default()],
            ..PackageRow::default()
        }),
        Intent::AddRange(i) => {
            if let Some(p) = t.packages.get_mut(*i)
                && p.ranges.len() < FORM_ROWS_MAX
            {
                p.ranges.push(RangeRow::default());
            }
        }
        Intent::AddReference if t.references.len() < FORM_ROWS_MAX => {
            t.references.push(ReferenceRow::default())
        }
        Intent::AddCredit if t.credits.len() < FORM_ROWS_MAX => {
            t.credits.push(CreditRow::default())
        }
        _ => {}
    }
    true
}

/// A moment typed as RFC 3339, or as a local date and time (a `datetime-local` input) in the
/// policy's time zone.
pub(super) fn parse_moment(text: &str, calendar: &Calendar) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at);
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    civil
        .to_zoned(calendar.time_zone().clone())
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_carries_at_most_form_rows_max_rows_per_group() {
        let last = FORM_ROWS_MAX - 1;
        let pairs = |i: usize| vec![(format!("a0-r{i}-introduced"), "0".to_owned())];
        let t = Typed::from_pairs(&pairs(last)).unwrap();
        assert_eq!(t.packages[0].ranges.len(), FORM_ROWS_MAX);
        assert!(Typed::from_pairs(&pairs(FORM_ROWS_MAX)).is_err());
        let credit = vec![(format!("credit-{FORM_ROWS_MAX}-name"), "Ada".to_owned())];
        assert!(Typed::from_pairs(&credit).is_err());
    }
}
