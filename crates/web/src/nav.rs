//! The public navigation at the top of every public page: where to report, follow a report,
//! read the policy, the advisories, the statistics and the hall of fame; and, when the server
//! runs several projects, a link to each project (to the same kind of page when there is one).
//!
//! A page that concerns one project (its policy, its report form, one of its advisories) names
//! it, so that Report and Policy lead to that project's pages. Elsewhere, with several projects,
//! they lead to the start page, which lists every project with its own links: a reporter never
//! lands on another project's form by accident.

use crate::state::{AppState, Project};

/// Which part of the public site a page belongs to (marked as current in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// The start page.
    Home,
    /// A report form, or the page that shows the case key.
    Report,
    /// /track and the case page.
    Track,
    /// A project's security policy.
    Policy,
    /// The advisory list and one advisory.
    Advisories,
    /// /stats.
    Statistics,
    /// A hall of fame.
    HallOfFame,
    /// The privacy notice.
    Privacy,
    /// Anything else (subscriptions, errors).
    Other,
}

/// One link of the navigation.
pub(crate) struct NavLink {
    pub(crate) label: String,
    pub(crate) href: String,
    /// This link is the page's own section (or project): `aria-current`.
    pub(crate) current: bool,
}

/// The navigation a public page shows.
pub(crate) struct Nav {
    /// Report, Track, Policy, Advisories, Statistics, Hall of fame, Privacy.
    pub(crate) sections: Vec<NavLink>,
    /// One link per project, only when there are several.
    pub(crate) projects: Vec<NavLink>,
}

/// Where a project's own pages live: the default project at the root, the others under
/// `/projects/{slug}`.
pub(crate) fn project_base(state: &AppState, project: &Project) -> String {
    if project.slug() == state.default_project().slug() {
        String::new()
    } else {
        format!("/projects/{}", project.slug())
    }
}

/// Where a reporter reports to a project: its form, or, when its policy takes reports through
/// other channels only, its policy (which names them).
pub(crate) fn report_path(state: &AppState, project: &Project) -> String {
    let page = if project.policy.offers_report_form() {
        "report"
    } else {
        "security-policy"
    };
    format!("{}/{page}", project_base(state, project))
}

impl Nav {
    /// The navigation of a page in `section`, about `project` when it concerns one.
    pub(crate) fn new(state: &AppState, section: Section, project: Option<&str>) -> Nav {
        let projects = state.projects();
        let current = match project {
            Some(slug) => state.project(slug),
            None if projects.len() == 1 => Some(state.default_project()),
            None => None,
        };
        // Several projects and none chosen: the start page lists each with its links.
        let (report, policy) = match current {
            Some(p) => (
                report_path(state, p),
                format!("{}/security-policy", project_base(state, p)),
            ),
            None => ("/".to_owned(), "/".to_owned()),
        };
        let sections = Nav::sections(
            report,
            policy,
            section,
            current.is_none() && section == Section::Home,
        );
        let projects = if projects.len() < 2 || section == Section::Home {
            Vec::new()
        } else {
            projects
                .iter()
                .map(|p| NavLink {
                    label: p.policy.project.name.clone(),
                    href: match section {
                        Section::Report => report_path(state, p),
                        Section::HallOfFame => format!("/projects/{}/hall-of-fame", p.slug()),
                        Section::Advisories => format!("/advisories?project={}", p.slug()),
                        _ => format!("{}/security-policy", project_base(state, p)),
                    },
                    current: project == Some(p.slug()),
                })
                .collect()
        };
        Nav { sections, projects }
    }

    /// The navigation of a page that cannot know the projects (an error page): every link
    /// valid whatever the server runs.
    pub(crate) fn fallback() -> Nav {
        Nav {
            sections: Nav::sections("/".into(), "/security-policy".into(), Section::Other, false),
            projects: Vec::new(),
        }
    }

    fn sections(report: String, policy: String, here: Section, home: bool) -> Vec<NavLink> {
        [
            ("Report", report, Section::Report),
            ("Track", "/track".to_owned(), Section::Track),
            ("Policy", policy, Section::Policy),
            ("Advisories", "/advisories".to_owned(), Section::Advisories),
            ("Statistics", "/stats".to_owned(), Section::Statistics),
            (
                "Hall of fame",
                "/hall-of-fame".to_owned(),
                Section::HallOfFame,
            ),
            ("Privacy", "/privacy".to_owned(), Section::Privacy),
        ]
        .into_iter()
        .map(|(label, href, section)| NavLink {
            label: label.to_owned(),
            current: section == here || (home && section == Section::Report),
            href,
        })
        .collect()
    }
}
