//! API tokens for automation: a team member makes one scoped to projects they see and to
//! actions (`scans:write`), with an expiry; it is shown once. A request that carries one acts
//! as a triager of those projects only, for those actions only.

use postern_core::role::Role;
use postern_store::StoreError;
use postern_store::tokens::ApiToken;
use zeroize::Zeroizing;

use crate::{Actor, App, Error};

/// Import scanner reports (`POST /api/v1/projects/{slug}/scans`).
pub const SCANS_WRITE: &str = "scans:write";
/// Every scope a token may carry.
pub const SCOPES: [&str; 1] = [SCANS_WRITE];
/// Days a token lasts unless told otherwise.
pub const TOKEN_DAYS_DEFAULT: i64 = 90;
/// Longest a token may last, in days: a forgotten token should stop by itself.
pub const TOKEN_DAYS_MAX: i64 = 365;
/// Longest name of a token, in characters.
pub const TOKEN_NAME_CHARS_MAX: usize = 100;

/// A token as a team member asks for it.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// What it is for.
    pub name: String,
    /// The projects it may act on (slugs).
    pub projects: Vec<String>,
    /// The actions it may take.
    pub scopes: Vec<String>,
    /// Days until it expires.
    pub days: i64,
}

impl App {
    /// Makes a token; returns it with its value, shown once (`token.created` audited).
    /// Triagers and admins, for projects they see.
    pub async fn create_token(
        &self,
        actor: &Actor,
        new: NewToken,
    ) -> Result<(ApiToken, Zeroizing<String>), Error> {
        actor.require(Role::Triager)?;
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > TOKEN_NAME_CHARS_MAX {
            return Err(Error::field(
                "name",
                format!("give what the token is for, 1 to {TOKEN_NAME_CHARS_MAX} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(Error::field("name", "contains control characters"));
        }
        let mut projects: Vec<String> = Vec::new();
        for p in new
            .projects
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
        {
            if self.project(p).is_none() || !actor.can_see(p) {
                return Err(Error::field(
                    "projects",
                    format!("\"{p}\" is not a project you see here"),
                ));
            }
            if !projects.iter().any(|x| x == p) {
                projects.push(p.to_owned());
            }
        }
        if projects.is_empty() {
            return Err(Error::field("projects", "name at least one project"));
        }
        let mut scopes: Vec<String> = Vec::new();
        for s in new
            .scopes
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            if !SCOPES.contains(&s) {
                return Err(Error::field(
                    "scopes",
                    format!("unknown scope \"{s}\"; known: {}", SCOPES.join(", ")),
                ));
            }
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_owned());
            }
        }
        if scopes.is_empty() {
            return Err(Error::field(
                "scopes",
                format!("name at least one: {}", SCOPES.join(", ")),
            ));
        }
        if !(1..=TOKEN_DAYS_MAX).contains(&new.days) {
            return Err(Error::field(
                "days",
                format!("a token lasts 1 to {TOKEN_DAYS_MAX} days"),
            ));
        }
        let now = self.now();
        let expires = now + jiff::SignedDuration::from_hours(24 * new.days);
        let value = postern_store::tokens::new_token()?;
        let token = self
            .store()
            .create_api_token(&value, name, &projects, &scopes, expires, actor.name(), now)
            .await
            .map_err(|e| match e {
                StoreError::Limit(m) => Error::Refused(m),
                other => other.into(),
            })?;
        Ok((token, value))
    }

    /// The tokens of projects the actor sees (all of a token's projects).
    pub async fn tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, Error> {
        actor.require(Role::Triager)?;
        Ok(self
            .store()
            .api_tokens()
            .await?
            .into_iter()
            .filter(|t| t.projects.iter().all(|p| actor.can_see(p)))
            .collect())
    }

    /// Revokes a token (`token.revoked` audited): triagers and admins who see its projects.
    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<(), Error> {
        let seen = self.tokens(actor).await?;
        if !seen.iter().any(|t| t.id == id && t.revoked_at.is_none()) {
            return Err(Error::NotFound);
        }
        Ok(self
            .store()
            .revoke_api_token(id, actor.name(), self.now())
            .await?)
    }

    /// Who a request carrying `token` is, to take `scope` on `project`. `Unauthenticated`
    /// for a token that is unknown, expired or revoked (the same words for each: a guess
    /// learns nothing); `Forbidden` for a live token of other projects or actions.
    pub async fn token_actor(
        &self,
        token: &str,
        project: &str,
        scope: &str,
    ) -> Result<Actor, Error> {
        let unknown = || {
            Error::Unauthenticated(
                "the token is unknown, expired or revoked; make one with `postern token create` or on /team/tokens".into(),
            )
        };
        let token = self
            .store()
            .api_token_by_value(token)
            .await?
            .ok_or_else(unknown)?;
        if !token.is_live(self.now()) {
            return Err(unknown());
        }
        if !token.projects.iter().any(|p| p == project) {
            return Err(Error::Forbidden(format!(
                "this token is for project(s) {} only, not \"{project}\"",
                token.projects.join(", ")
            )));
        }
        if !token.scopes.iter().any(|s| s == scope) {
            return Err(Error::Forbidden(format!(
                "this token does not carry the {scope} scope"
            )));
        }
        Ok(Actor::token(&token))
    }
}
