//! What administrators do: team accounts (add, change, reset), a project's webhooks (add, remove, test),
//! its early-access list (add, remove) and its advisory subscribers (list masked, remove). Each needs the admin role and is audited by the
//! store in the same transaction as its change.

use postern_core::role::Role;
use postern_store::StoreError;
use postern_store::subscriptions::{EarlyAccessMember, SubscriberListing};
use postern_store::team::{User, UserChange};
use postern_store::webhooks::{Webhook, WebhookEvent, WebhookKind, WebhookSecrets};

use crate::{Actor, App, Error};

/// What a generic webhook's signing secret starts with (Standard Webhooks' `whsec_`).
pub const SIGNING_SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a signing secret.
pub const SIGNING_SECRET_BYTES: usize = 32;

/// A new random signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_signing_secret() -> Result<String, Error> {
    let bytes =
        zeroize::Zeroizing::new(postern_store::vault::random_bytes::<SIGNING_SECRET_BYTES>()?);
    Ok(format!(
        "{SIGNING_SECRET_PREFIX}{}",
        data_encoding::BASE64.encode(&*bytes)
    ))
}

/// A webhook as an administrator asks for it.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// The project's slug.
    pub project: String,
    /// Slack, Discord, or a signed generic body.
    pub kind: WebhookKind,
    /// Where to post; a credential for Slack and Discord.
    pub url: String,
    /// Event names; empty for all.
    pub events: Vec<String>,
}

/// A stored webhook and what the administrator is shown once.
#[derive(Debug)]
pub struct AddedWebhook {
    /// The webhook.
    pub webhook: Webhook,
    /// Its address and, for a generic webhook, its signing secret (shown once).
    pub secrets: WebhookSecrets,
    /// Whether the address is plain http, which only `serve --webhooks-allow-private` posts to.
    pub plain_http: bool,
}

fn slug(field: &str, text: &str) -> Result<(), Error> {
    postern_core::project::check_slug(text).map_err(|m| Error::field(field, m))
}

impl App {
    /// Adds a team account; returns it with its one-time setup code.
    pub async fn add_member(
        &self,
        actor: &Actor,
        email: &str,
        role: Role,
        projects: &[String],
    ) -> Result<(User, String), Error> {
        actor.require(Role::Admin)?;
        for p in projects {
            slug("projects", p)?;
        }
        self.store()
            .create_user(email, role, projects, actor.name(), self.now())
            .await
            .map_err(|e| match e {
                StoreError::Limit(m) | StoreError::Conflict(m) => Error::field("email", m),
                other => other.into(),
            })
    }

    /// Resets an account: its password, second factor and sessions are gone, and a new
    /// one-time setup code is returned.
    pub async fn reset_member(&self, actor: &Actor, email: &str) -> Result<String, Error> {
        actor.require(Role::Admin)?;
        self.store()
            .reset_user(email, actor.name(), self.now())
            .await
            .map_err(|e| match e {
                StoreError::Limit(m) => Error::field("email", m),
                other => other.into(),
            })
    }

    /// Every team account, by email (admins only).
    pub async fn members(&self, actor: &Actor) -> Result<Vec<User>, Error> {
        actor.require(Role::Admin)?;
        Ok(self.store().list_users().await?)
    }

    /// One team account (admins only); `NotFound` for an unknown id.
    pub async fn member(&self, actor: &Actor, id: &str) -> Result<User, Error> {
        actor.require(Role::Admin)?;
        self.store().user_by_id(id).await?.ok_or(Error::NotFound)
    }

    /// Changes an account's role, projects (each one this server serves) and whether it may
    /// sign in; disabling ends its sessions. Refused when no enabled admin would remain.
    pub async fn change_member(
        &self,
        actor: &Actor,
        id: &str,
        change: UserChange,
    ) -> Result<User, Error> {
        actor.require(Role::Admin)?;
        for p in &change.projects {
            if self.projects().get(p).is_none() {
                return Err(Error::field(
                    "projects",
                    format!("{p:?} is not a project this server serves"),
                ));
            }
        }
        self.store()
            .change_user(id, &change, actor.name(), self.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) => Error::Refused(m),
                other => other.into(),
            })
    }

    /// Adds a webhook to a project: the address must be an http(s) URL with a host, the
    /// events known; a generic webhook gets a new signing secret.
    pub async fn add_webhook(&self, actor: &Actor, new: NewWebhook) -> Result<AddedWebhook, Error> {
        actor.require(Role::Admin)?;
        slug("project", &new.project)?;
        let parsed = url::Url::parse(&new.url).map_err(|_| {
            Error::field(
                "url",
                "not a URL; give the full address, such as https://hooks.slack.com/services/...",
            )
        })?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
            return Err(Error::field("url", "must be an https:// address"));
        }
        let mut events = Vec::new();
        for name in &new.events {
            let event = WebhookEvent::parse(name.trim()).ok_or_else(|| {
                Error::field(
                    "events",
                    format!(
                        "unknown event {name:?}; known: new_report, reporter_message, case_update"
                    ),
                )
            })?;
            if !events.contains(&event) {
                events.push(event);
            }
        }
        let secrets = WebhookSecrets {
            url: new.url.clone(),
            signing_secret: match new.kind {
                WebhookKind::Generic => Some(new_signing_secret()?),
                WebhookKind::Slack | WebhookKind::Discord => None,
            },
        };
        let webhook = self
            .store()
            .add_webhook(
                &new.project,
                new.kind,
                &events,
                &secrets,
                actor.name(),
                self.now(),
            )
            .await
            .map_err(|e| match e {
                StoreError::Limit(m) => Error::field("url", m),
                other => other.into(),
            })?;
        Ok(AddedWebhook {
            webhook,
            secrets,
            plain_http: parsed.scheme() == "http",
        })
    }

    /// Removes a webhook.
    pub async fn remove_webhook(&self, actor: &Actor, id: &str) -> Result<Webhook, Error> {
        actor.require(Role::Admin)?;
        self.store()
            .remove_webhook(id, actor.name(), self.now())
            .await
            .map_err(|e| match e {
                StoreError::NotFound | StoreError::Conflict(_) => Error::NotFound,
                other => other.into(),
            })
    }

    /// The webhooks of the projects the actor sees (admins only), without their secrets.
    pub async fn webhooks(&self, actor: &Actor) -> Result<Vec<Webhook>, Error> {
        actor.require(Role::Admin)?;
        Ok(self
            .store()
            .webhooks(None)
            .await?
            .into_iter()
            .filter(|w| actor.can_see(&w.project))
            .collect())
    }

    /// Queues a test delivery to a webhook; returns the job's id.
    pub async fn test_webhook(&self, actor: &Actor, id: &str) -> Result<String, Error> {
        actor.require(Role::Admin)?;
        Ok(self
            .store()
            .test_webhook(id, actor.name(), self.now())
            .await?)
    }

    /// Adds an address to a project's early-access list; `false` when it was there already.
    pub async fn add_early_access(
        &self,
        actor: &Actor,
        project: &str,
        email: &str,
        name: Option<&str>,
    ) -> Result<bool, Error> {
        actor.require(Role::Admin)?;
        slug("project", project)?;
        self.store()
            .add_early_access(project, email, name, actor.name(), self.now())
            .await
            .map_err(|e| match e {
                StoreError::Limit(m) => Error::field("email", m),
                other => other.into(),
            })
    }

    /// Removes an address from a project's early-access list; `false` when it was not there.
    pub async fn remove_early_access(
        &self,
        actor: &Actor,
        project: &str,
        email: &str,
    ) -> Result<bool, Error> {
        actor.require(Role::Admin)?;
        slug("project", project)?;
        Ok(self
            .store()
            .remove_early_access(project, email, actor.name(), self.now())
            .await?)
    }

    /// A project's early-access list (or every project's), with the addresses unsealed.
    pub async fn early_access_list(
        &self,
        actor: &Actor,
        project: Option<&str>,
    ) -> Result<Vec<EarlyAccessMember>, Error> {
        actor.require(Role::Admin)?;
        Ok(self.store().early_access_list(project).await?)
    }

    /// The advisory subscribers of the projects the actor sees (or of one), newest first, with
    /// their addresses masked: admins tell them apart and remove them, and write to none.
    pub async fn subscribers(
        &self,
        actor: &Actor,
        project: Option<&str>,
    ) -> Result<Vec<SubscriberListing>, Error> {
        actor.require(Role::Admin)?;
        if let Some(project) = project {
            actor.check_sees(project)?;
        }
        Ok(self
            .store()
            .subscriber_list(project)
            .await?
            .into_iter()
            .filter(|s| actor.can_see(&s.project))
            .collect())
    }

    /// Removes an advisory subscriber, named by the row's id (from the list) or by project and
    /// address (a request by mail; the address is looked up by its keyed hash). `NotFound`
    /// when there is no such subscriber.
    pub async fn remove_subscriber(
        &self,
        actor: &Actor,
        which: &SubscriberRef<'_>,
    ) -> Result<(), Error> {
        actor.require(Role::Admin)?;
        let id = match which {
            SubscriberRef::Id(id) => (*id).to_owned(),
            SubscriberRef::Address { project, email } => {
                slug("project", project)?;
                actor.check_sees(project)?;
                postern_core::policy::check_email(email.trim())
                    .map_err(|why| Error::field("email", format!("the address {why}")))?;
                self.store()
                    .subscriber_by_address(project, email)
                    .await?
                    .ok_or_else(|| {
                        Error::field(
                            "email",
                            format!("{} has no subscriber with this address", project),
                        )
                    })?
            }
        };
        if self
            .store()
            .remove_subscriber(&id, actor.name(), self.now())
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}

/// Which subscriber an admin removes.
#[derive(Debug, Clone, Copy)]
pub enum SubscriberRef<'a> {
    /// The row's id, as the list gives it.
    Id(&'a str),
    /// A project and an address, as someone asked by mail.
    Address {
        /// The project's slug.
        project: &'a str,
        /// The address as typed.
        email: &'a str,
    },
}
