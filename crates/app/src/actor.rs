//! Who acts on the team's side: a signed-in member (their account's role and projects) or the
//! operator at the terminal, who holds the keyring and so may do everything.

use postern_core::role::Role;
use postern_store::team::User;

use crate::Error;

/// A team member or the terminal's operator, as the audit log names them.
#[derive(Debug, Clone)]
pub struct Actor {
    name: String,
    role: Role,
    /// Projects the actor may see; empty for every project.
    projects: Vec<String>,
}

impl Actor {
    /// A signed-in team member.
    pub fn member(user: &User) -> Actor {
        Actor {
            name: user.email.clone(),
            role: user.role,
            projects: user.projects.clone(),
        }
    }

    /// The operator at the terminal: an admin of every project (they hold the keyring).
    pub fn operator(name: &str) -> Actor {
        Actor {
            name: name.to_owned(),
            role: Role::Admin,
            projects: Vec::new(),
        }
    }

    /// An API token acting for automation: a triager of its projects only, named in the
    /// audit log by its id and name (never its value).
    pub fn token(token: &postern_store::tokens::ApiToken) -> Actor {
        Actor {
            name: format!("token:{} ({})", token.id, token.name),
            role: Role::Triager,
            projects: token.projects.clone(),
        }
    }

    /// The name the audit log records.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Refuses actors below `role`.
    pub fn require(&self, role: Role) -> Result<(), Error> {
        if self.role >= role {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "this needs the {} role; your account is a {}",
                role.name(),
                self.role.name()
            )))
        }
    }

    /// Whether the actor may see a project's reports and advisories.
    pub fn can_see(&self, project: &str) -> bool {
        postern_core::role::can_see(self.role, &self.projects, project)
    }

    /// The projects a list is limited to for the actor; `None` for every project.
    pub fn project_filter(&self) -> Option<Vec<String>> {
        postern_core::role::project_filter(self.role, &self.projects)
    }

    /// Refuses a project the actor may not see, as if the item did not exist.
    pub fn check_sees(&self, project: &str) -> Result<(), Error> {
        if self.can_see(project) {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}
