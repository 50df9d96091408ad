//! What a team member may do, and which projects' reports they see: the rules every entry
//! point applies through the use cases.

/// What a team member may do; each role may also do everything of the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads reports and the queue.
    Viewer,
    /// Also acts on reports and advisories.
    Triager,
    /// Also manages accounts, webhooks and lists.
    Admin,
}

impl Role {
    /// The stored and command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Triager => "triager",
            Role::Admin => "admin",
        }
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Option<Role> {
        [Role::Viewer, Role::Triager, Role::Admin]
            .into_iter()
            .find(|r| r.name() == name)
    }
}

/// Whether a member of `role` limited to `projects` (empty for every project) sees `project`:
/// admins see every project.
pub fn can_see(role: Role, projects: &[String], project: &str) -> bool {
    role == Role::Admin || projects.is_empty() || projects.iter().any(|p| p == project)
}

/// The projects to filter a member's queue by; `None` for all.
pub fn project_filter(role: Role, projects: &[String]) -> Option<Vec<String>> {
    (role != Role::Admin && !projects.is_empty()).then(|| projects.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_named_and_read_back() {
        assert!(Role::Viewer < Role::Triager && Role::Triager < Role::Admin);
        for role in [Role::Viewer, Role::Triager, Role::Admin] {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn a_member_limited_to_projects_sees_only_those_and_admins_see_all() {
        let acme = vec!["acme".to_owned()];
        assert!(can_see(Role::Triager, &acme, "acme"));
        assert!(!can_see(Role::Triager, &acme, "other"));
        assert!(can_see(Role::Admin, &acme, "other"));
        assert!(can_see(Role::Viewer, &[], "other"));
        assert_eq!(project_filter(Role::Triager, &acme), Some(acme.clone()));
        assert_eq!(project_filter(Role::Admin, &acme), None);
        assert_eq!(project_filter(Role::Viewer, &[]), None);
    }
}
