//! The projects one instance serves: each a checked policy named by its slug. `Projects` is
//! never empty and its slugs are unique; the first is the default project, served at the root.

use crate::policy::Policy;

/// A project served by this instance.
#[derive(Debug, Clone)]
pub struct Project {
    /// Its checked policy.
    pub policy: Policy,
}

impl Project {
    /// The project's slug, used in its URLs and stored on its reports.
    pub fn slug(&self) -> &str {
        &self.policy.project.slug
    }

    /// The project's name, as people read it.
    pub fn name(&self) -> &str {
        &self.policy.project.name
    }
}

/// Checks a project slug as a person typed it (on the command line, in a form): the same
/// rule as the policy's `[project] slug`. The error says what to write.
pub fn check_slug(text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && text.len() <= crate::policy::SLUG_CHARS_MAX
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !text.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a project slug; write the slug of the policy's project (lowercase letters, digits and -), such as acme-widgets"
        ))
    }
}

/// The projects of one instance, the default first.
#[derive(Debug, Clone)]
pub struct Projects(Vec<Project>);

impl Projects {
    /// The set, if it is not empty and no two projects share a slug; the error says which.
    pub fn new(projects: Vec<Project>) -> Result<Projects, String> {
        if projects.is_empty() {
            return Err("no project: give at least one policy".into());
        }
        for (i, p) in projects.iter().enumerate() {
            if projects[..i].iter().any(|q| q.slug() == p.slug()) {
                return Err(format!(
                    "two policies use the project slug \"{}\"; give one of them another `slug` in [project]",
                    p.slug()
                ));
            }
        }
        Ok(Projects(projects))
    }

    /// Every project, the default first.
    pub fn all(&self) -> &[Project] {
        &self.0
    }

    /// The default project.
    pub fn default_project(&self) -> &Project {
        &self.0[0]
    }

    /// A project by slug.
    pub fn get(&self, slug: &str) -> Option<&Project> {
        self.0.iter().find(|p| p.slug() == slug)
    }

    /// The slugs, for a message that lists what exists.
    pub fn slugs(&self) -> Vec<&str> {
        self.0.iter().map(Project::slug).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(slug: &str) -> Project {
        let text = include_str!("../../../examples/policies/example.toml")
            .replace("name = \"Acme Widgets\"", &format!("name = \"P {slug}\""))
            .replace("slug = \"acme-widgets\"", &format!("slug = \"{slug}\""));
        let checked = crate::policy::parse_str(&text, jiff::Timestamp::UNIX_EPOCH);
        Project {
            policy: checked
                .policy
                .unwrap_or_else(|| panic!("{:?}", checked.diagnostics)),
        }
    }

    #[test]
    fn slugs_are_checked_as_the_policy_checks_them() {
        assert!(check_slug("acme-widgets").is_ok());
        for bad in ["", "Acme", "-acme", "acme_widgets", "a b"] {
            let problem = check_slug(bad).unwrap_err();
            assert!(problem.contains("not a project slug"), "{problem}");
        }
    }

    #[test]
    fn a_set_is_never_empty_and_slugs_are_unique() {
        assert!(Projects::new(Vec::new()).is_err());
        let twice = Projects::new(vec![project("a"), project("a")]).unwrap_err();
        assert!(twice.contains("\"a\""), "{twice}");
        let set = Projects::new(vec![project("a"), project("b")]).unwrap();
        assert_eq!(set.default_project().slug(), "a");
        assert_eq!(set.get("b").map(Project::name), Some("P b"));
        assert!(set.get("c").is_none());
        assert_eq!(set.slugs(), ["a", "b"]);
    }
}
