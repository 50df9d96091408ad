//! OpenPGP: each project's keys (made, brought in, rotated, exported), signing with the
//! current one, decrypting with any of them, and team members' own public keys.
//!
//! A project key's user id is the project's security address (its policy's first `email`
//! channel), so that GnuPG finds it by that address through the Web Key Directory. The
//! secret keys never leave the store unsealed except here, in memory, for one operation (and
//! on `export --secret`, for an admin, audited).

use postern_core::intake::{FIELD_TEXT_BYTES_MAX, FieldError, ValidSubmission};
use postern_core::policy::Policy;
use postern_core::role::Role;
use postern_openpgp::{Decrypted, PublicKey, SecretKey, Seed, Signature};
use postern_store::NewAttachment;
use postern_store::openpgp::{
    ArrivalState, EncryptedArrival, MemberKey, NewProjectKey, ProjectKey,
};

use crate::{Actor, App, Error};

/// A project key as the terminal and the pages show it.
#[derive(Debug, Clone)]
pub struct ProjectKeyInfo {
    /// The stored row (fingerprint, project, when, by whom, retired).
    pub key: ProjectKey,
    /// The user ids of the key.
    pub user_ids: Vec<String>,
}

/// Why a message could not be decrypted with a project's keys.
pub type DecryptError = postern_openpgp::Error;

/// Most bytes of an armoured OpenPGP message a reporter sends in a form or the API: a
/// decrypted report is at most one text field (64 KiB), which its armour stays well under.
pub const ENCRYPTED_MESSAGE_BYTES_MAX: usize = 1024 * 1024;
/// The name of the attachment an encrypted report no key opens is kept as.
pub const UNREAD_MESSAGE_FILENAME: &str = "encrypted-report.asc";

/// What a reporter sent besides the plain fields: an encrypted message, their public key.
pub(crate) struct EncryptedInput<'a> {
    message: Option<&'a str>,
    reporter_key: Option<&'a str>,
}

impl<'a> EncryptedInput<'a> {
    /// `None` when neither was given (blank counts as not given).
    pub(crate) fn given(
        message: Option<&'a str>,
        reporter_key: Option<&'a str>,
    ) -> Option<EncryptedInput<'a>> {
        let message = message.map(str::trim).filter(|m| !m.is_empty());
        let reporter_key = reporter_key.map(str::trim).filter(|k| !k.is_empty());
        (message.is_some() || reporter_key.is_some()).then_some(EncryptedInput {
            message,
            reporter_key,
        })
    }

    /// Whether a message carries the report (so no plain field is required).
    pub(crate) fn has_message(&self) -> bool {
        self.message.is_some()
    }
}

/// An encrypted input, opened: how it arrived, the reporter's key, and what the report
/// becomes (the plaintext, or the ciphertext kept as it came).
pub(crate) struct Opened {
    pub(crate) arrival: EncryptedArrival,
    pub(crate) reporter_key: Option<Vec<u8>>,
    plaintext: Option<zeroize::Zeroizing<String>>,
    ciphertext: Option<String>,
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn signature_name(signature: &Signature) -> (&'static str, Option<String>) {
    match signature {
        Signature::Unsigned => ("unsigned", None),
        Signature::Verified(k) => ("verified", Some(k.to_string())),
        Signature::Bad(k) => ("bad", Some(k.to_string())),
        Signature::UnknownKey(k) => ("unknown_key", Some(k.to_string())),
    }
}

impl Opened {
    /// Puts what was opened into the report: the plaintext as the body field (after any plain
    /// text the reporter typed there), or, for a message no key opened, the ciphertext as a
    /// sealed attachment and a body that says so.
    pub(crate) fn fill(
        &self,
        policy: &Policy,
        valid: &mut ValidSubmission,
        attachments: &mut Vec<NewAttachment>,
    ) {
        let body_field = postern_core::intake::encrypted_body_field(policy);
        let body = match (&self.plaintext, &self.ciphertext) {
            (Some(text), _) => text.replace("\r\n", "\n").trim().to_owned(),
            (None, Some(armour)) => {
                attachments.push(crate::intake::attachment(
                    UNREAD_MESSAGE_FILENAME,
                    Some("application/pgp-encrypted"),
                    armour.as_bytes().to_vec(),
                ));
                format!(
                    "(This report arrived encrypted and could not be decrypted: {}. The message is kept sealed as the attachment {UNREAD_MESSAGE_FILENAME}.)",
                    self.arrival.detail
                )
            }
            (None, None) => return,
        };
        let mut fields = std::mem::take(&mut valid.fields);
        match fields.iter_mut().find(|(id, _)| id == body_field) {
            Some((_, value)) => {
                value.push_str("\n\n");
                value.push_str(&body);
            }
            None => fields.push((body_field.to_owned(), body)),
        }
        // In the form's order, as a checked submission keeps them.
        fields.sort_by_key(|(id, _)| {
            policy
                .form
                .fields
                .iter()
                .position(|f| &f.id == id)
                .unwrap_or(usize::MAX)
        });
        valid.fields = fields;
    }
}

fn seed() -> Result<Seed, Error> {
    Ok(Seed(postern_store::vault::random_bytes::<32>()?))
}

fn openpgp_refused(field: &str, e: postern_openpgp::Error) -> Error {
    Error::field(field, e.to_string())
}

impl App {
    /// The address a project's key is made for: the policy's first `email` channel, else
    /// `security@` the public URL's host.
    pub fn project_security_address(&self, slug: &str) -> Result<String, Error> {
        let project = self.served(slug)?;
        if let Some(email) = project.policy.channels.iter().find_map(|c| c.email.clone()) {
            return Ok(email);
        }
        let host = url::Url::parse(self.public_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into());
        Ok(format!("security@{host}"))
    }

    fn project_user_id(&self, slug: &str) -> Result<String, Error> {
        let project = self.served(slug)?;
        let name: String = project
            .policy
            .project
            .name
            .chars()
            .filter(|c| !matches!(c, '<' | '>' | '\r' | '\n'))
            .collect();
        Ok(format!(
            "{} security <{}>",
            name.trim(),
            self.project_security_address(slug)?
        ))
    }

    /// Makes a project's first OpenPGP key (admins; the terminal's operator is one). Refused
    /// when the project has a key already: rotate it instead.
    pub async fn generate_project_key(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<ProjectKeyInfo, Error> {
        self.add_generated_key(actor, slug, false).await
    }

    /// Makes a new key for a project and retires the current one, which stays to decrypt
    /// what was encrypted to it; the new one is served from now on (admins). A project
    /// without a key simply gets its first.
    pub async fn rotate_project_key(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<ProjectKeyInfo, Error> {
        self.add_generated_key(actor, slug, true).await
    }

    async fn add_generated_key(
        &self,
        actor: &Actor,
        slug: &str,
        rotate: bool,
    ) -> Result<ProjectKeyInfo, Error> {
        actor.require(Role::Admin)?;
        actor.check_sees(slug)?;
        let user_id = self.project_user_id(slug)?;
        let secret = postern_openpgp::generate(&user_id, seed()?)
            .map_err(|e| Error::Refused(e.to_string()))?;
        let how = if rotate { "rotated" } else { "generated" };
        self.store_project_key(actor, slug, &secret, how, rotate)
            .await
    }

    /// Brings in a project key made elsewhere (`gpg --armor --export-secret-keys`, no
    /// passphrase), checked like any key; with `rotate`, the current key is retired (admins).
    pub async fn import_project_key(
        &self,
        actor: &Actor,
        slug: &str,
        secret_key: &[u8],
        rotate: bool,
    ) -> Result<ProjectKeyInfo, Error> {
        actor.require(Role::Admin)?;
        actor.check_sees(slug)?;
        self.served(slug)?;
        let secret =
            SecretKey::parse(secret_key, self.now()).map_err(|e| openpgp_refused("key", e))?;
        self.store_project_key(actor, slug, &secret, "imported", rotate)
            .await
    }

    async fn store_project_key(
        &self,
        actor: &Actor,
        slug: &str,
        secret: &SecretKey,
        how: &'static str,
        rotate: bool,
    ) -> Result<ProjectKeyInfo, Error> {
        let public = secret.public_key();
        let key = self
            .store()
            .add_project_key(
                &NewProjectKey {
                    project: slug,
                    fingerprint: secret.fingerprint().as_str(),
                    public_key: &public.to_bytes(),
                    secret_key: &secret.to_bytes(),
                    how,
                    retire_current: rotate,
                },
                actor.name(),
                self.now(),
            )
            .await?;
        Ok(ProjectKeyInfo {
            key,
            user_ids: public.user_ids(),
        })
    }

    /// A project's keys, the current one first, then the retired ones newest first.
    pub async fn project_keys(&self, slug: &str) -> Result<Vec<ProjectKeyInfo>, Error> {
        self.served(slug)?;
        let keys = self.store().project_keys(slug).await?;
        Ok(keys
            .into_iter()
            .map(|key| {
                let user_ids = PublicKey::parse(&key.public_key, self.now())
                    .map(|k| k.user_ids())
                    .unwrap_or_default();
                ProjectKeyInfo { key, user_ids }
            })
            .collect())
    }

    /// The public key a project serves (its current key), if it has one. Read as stored,
    /// without the checks of time: the key is the project's own.
    pub async fn project_public_key(&self, slug: &str) -> Result<Option<PublicKey>, Error> {
        self.served(slug)?;
        let Some(key) = self.store().current_project_key(slug).await? else {
            return Ok(None);
        };
        Ok(Some(stored_public_key(&key)?))
    }

    /// The armoured secret key of a project's current key, for a backup kept elsewhere
    /// (admins; audited as `openpgp.secret_key_exported`).
    pub async fn export_project_secret_key(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<zeroize::Zeroizing<String>, Error> {
        actor.require(Role::Admin)?;
        actor.check_sees(slug)?;
        let keys = self.project_secret_keys(slug).await?;
        let Some(current) = keys.first() else {
            return Err(Error::Refused(format!(
                "project {slug} has no OpenPGP key; make one with `postern key openpgp generate --project {slug}`"
            )));
        };
        self.store()
            .record_project_key_export(current.fingerprint().as_str(), actor.name(), self.now())
            .await?;
        Ok(zeroize::Zeroizing::new(current.armored_secret()))
    }

    /// A project's secret keys, the current one first (retired ones after it).
    async fn project_secret_keys(&self, slug: &str) -> Result<Vec<SecretKey>, Error> {
        let mut out = Vec::new();
        for (key, secret) in self.store().project_secret_keys(slug).await? {
            let retired = key.retired_at.is_some();
            let secret = SecretKey::from_bytes(&secret).map_err(|e| {
                Error::Store(postern_store::StoreError::Corrupt(format!(
                    "OpenPGP key {}: {e}",
                    key.fingerprint
                )))
            })?;
            if retired {
                out.push(secret);
            } else {
                out.insert(0, secret);
            }
        }
        Ok(out)
    }

    /// An armoured detached signature of `bytes` by the project's current key (what the
    /// CSAF provider signs its documents with). Refused when the project has no key.
    pub async fn openpgp_sign_detached(&self, slug: &str, bytes: &[u8]) -> Result<String, Error> {
        let keys = self.project_secret_keys(slug).await?;
        let Some(current) = keys.first() else {
            return Err(Error::Refused(format!(
                "project {slug} has no OpenPGP key to sign with; make one with `postern key openpgp generate --project {slug}`"
            )));
        };
        postern_openpgp::sign_detached(bytes, current, seed()?)
            .map_err(|e| Error::Refused(e.to_string()))
    }

    /// Encrypts `bytes` to `recipients`, signed by the project's current key (mail to a
    /// reporter or a member who gave a key). Refused when the project has no key or a
    /// recipient's key cannot be used now.
    pub async fn openpgp_encrypt_signed(
        &self,
        slug: &str,
        bytes: &[u8],
        recipients: &[&PublicKey],
    ) -> Result<String, Error> {
        let keys = self.project_secret_keys(slug).await?;
        let Some(current) = keys.first() else {
            return Err(Error::Refused(format!(
                "project {slug} has no OpenPGP key to sign with"
            )));
        };
        postern_openpgp::encrypt(bytes, recipients, Some(current), self.now(), seed()?)
            .map_err(|e| Error::Refused(e.to_string()))
    }

    /// Decrypts a message sent to a project, with its current or any retired key, reading at
    /// most `plaintext_bytes_max` bytes; the signature is checked against `sender` when given.
    /// The outer `Result` is the store's; the inner one says why the message does not open
    /// (no key of the project, damaged, too large), for the caller to keep it sealed.
    pub async fn openpgp_decrypt(
        &self,
        slug: &str,
        message: &[u8],
        sender: Option<&PublicKey>,
        plaintext_bytes_max: usize,
    ) -> Result<Result<Decrypted, DecryptError>, Error> {
        let keys = self.project_secret_keys(slug).await?;
        let refs: Vec<&SecretKey> = keys.iter().collect();
        Ok(postern_openpgp::decrypt(
            message,
            &refs,
            sender,
            plaintext_bytes_max,
        ))
    }

    /// The key the Web Key Directory serves for a hashed local part (`hash`, z-base-32 of
    /// the SHA-1 of the lower-cased local part): the current key of the project whose
    /// security address it names. `domain` is the address's domain: required to match for the
    /// advanced method (`/.well-known/openpgpkey/DOMAIN/hu/...`); for the direct method, the
    /// request's host, preferred when several projects share a local part.
    pub async fn wkd_key(
        &self,
        hash: &str,
        domain: Option<&str>,
        advanced: bool,
    ) -> Result<Option<PublicKey>, Error> {
        let mut found: Vec<(bool, String)> = Vec::new();
        for project in self.projects().all() {
            let address = self.project_security_address(project.slug())?;
            let Some((local, address_domain)) = postern_openpgp::wkd::split_address(&address)
            else {
                continue;
            };
            if postern_openpgp::wkd::hashed_local_part(local) != hash {
                continue;
            }
            let same_domain = domain.is_some_and(|d| d.eq_ignore_ascii_case(address_domain));
            if advanced && !same_domain {
                continue;
            }
            found.push((same_domain, project.slug().to_owned()));
        }
        found.sort_by_key(|(same, _)| !*same);
        for (_, slug) in found {
            if let Some(key) = self.project_public_key(&slug).await? {
                return Ok(Some(key));
            }
        }
        Ok(None)
    }

    /// Opens what a reporter sent encrypted: their key checked, the message's armour read
    /// (refused by field when unreadable, or when what it decrypts to is over a text field's
    /// limit), then decrypted with the project's keys. A message no key of the project opens
    /// (or that is damaged inside) is not refused: it is kept as it came.
    pub(crate) async fn open_encrypted(
        &self,
        slug: &str,
        input: &EncryptedInput<'_>,
    ) -> Result<Opened, Error> {
        let mut errors = Vec::new();
        let reporter = match input.reporter_key {
            Some(key) => match self.check_public_key("openpgp_key", key.as_bytes()) {
                Ok(k) => Some(k),
                Err(Error::Invalid(e)) => {
                    errors.extend(e);
                    None
                }
                Err(other) => return Err(other),
            },
            None => None,
        };
        if let Some(message) = input.message {
            if message.len() > ENCRYPTED_MESSAGE_BYTES_MAX {
                errors.push(field_error(
                    "encrypted_message",
                    format!(
                        "the encrypted message may be at most {} KiB; send long material (logs, a proof of concept) as attachments",
                        ENCRYPTED_MESSAGE_BYTES_MAX / 1024
                    ),
                ));
            } else if let Err(e) = postern_openpgp::recipients(message.as_bytes()) {
                errors.push(field_error("encrypted_message", e.to_string()));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let reporter_fingerprint = reporter.as_ref().map(|k| k.fingerprint().to_string());
        let reporter_key = reporter.as_ref().map(|k| k.to_bytes());
        let Some(message) = input.message else {
            return Ok(Opened {
                arrival: EncryptedArrival {
                    state: ArrivalState::Plain,
                    decrypted_with: None,
                    signature: "unsigned".into(),
                    signer: None,
                    detail: "sent in plain text, with the reporter's OpenPGP key".into(),
                    reporter_fingerprint,
                },
                reporter_key,
                plaintext: None,
                ciphertext: None,
            });
        };
        let decrypted = self
            .openpgp_decrypt(
                slug,
                message.as_bytes(),
                reporter.as_ref(),
                FIELD_TEXT_BYTES_MAX,
            )
            .await?;
        match decrypted {
            Ok(d) => {
                let (signature, signer) = signature_name(&d.signature);
                Ok(Opened {
                    arrival: EncryptedArrival {
                        state: ArrivalState::Decrypted,
                        decrypted_with: Some(d.key.to_string()),
                        signature: signature.into(),
                        signer,
                        detail: format!(
                            "decrypted with the project's key {}; {}",
                            d.key,
                            d.signature.describe()
                        ),
                        reporter_fingerprint,
                    },
                    reporter_key,
                    plaintext: Some(zeroize::Zeroizing::new(
                        String::from_utf8_lossy(&d.plaintext).into_owned(),
                    )),
                    ciphertext: None,
                })
            }
            Err(e @ (DecryptError::TooLarge { .. } | DecryptError::Malformed(_))) => {
                let words = match e {
                    DecryptError::TooLarge { .. } => format!(
                        "the decrypted report is larger than {} KiB; put long material (logs, a proof of concept) in attachments",
                        FIELD_TEXT_BYTES_MAX / 1024
                    ),
                    other => other.to_string(),
                };
                Err(Error::field("encrypted_message", words))
            }
            Err(e) => Ok(Opened {
                arrival: EncryptedArrival {
                    state: ArrivalState::Undecryptable,
                    decrypted_with: None,
                    signature: "unknown".into(),
                    signer: None,
                    detail: e.to_string(),
                    reporter_fingerprint,
                },
                reporter_key,
                plaintext: None,
                ciphertext: Some(message.to_owned()),
            }),
        }
    }

    /// Reads a public key someone gives (a reporter, a member): armoured or binary, checked
    /// at this moment (not expired, revoked or too weak; something to encrypt to). The error
    /// names `field`.
    pub fn check_public_key(&self, field: &str, key: &[u8]) -> Result<PublicKey, Error> {
        PublicKey::parse(key, self.now()).map_err(|e| openpgp_refused(field, e))
    }

    /// Sets the acting member's own public key, for notices encrypted to them (audited).
    pub async fn set_member_key(
        &self,
        actor: &Actor,
        user_id: &str,
        key: &[u8],
    ) -> Result<MemberKey, Error> {
        let public = self.check_public_key("openpgp_key", key)?;
        let key = MemberKey {
            user_id: user_id.to_owned(),
            fingerprint: public.fingerprint().to_string(),
            public_key: public.to_bytes(),
            expires_at: public.expires_at(),
            created_at: self.now(),
        };
        self.store()
            .set_member_key(&key, actor.name(), self.now())
            .await?;
        Ok(key)
    }

    /// Removes the acting member's public key (audited); `NotFound` when they had none.
    pub async fn remove_member_key(&self, actor: &Actor, user_id: &str) -> Result<(), Error> {
        Ok(self
            .store()
            .remove_member_key(user_id, actor.name(), self.now())
            .await?)
    }

    /// A member's public key, if they set one and it can still be used now.
    pub async fn member_public_key(&self, user_id: &str) -> Result<Option<PublicKey>, Error> {
        let Some(key) = self.store().member_key(user_id).await? else {
            return Ok(None);
        };
        Ok(PublicKey::parse(&key.public_key, self.now()).ok())
    }

    /// A reporter's follow-up message (on /track or through the API) that is an
    /// ASCII-armoured OpenPGP message, opened with the project's keys: the plaintext, headed
    /// by a line saying how it came and what its signature (checked against the key the
    /// reporter gave) says. One no key of the project opens is kept as it came, sealed at rest
    /// like every message, headed so: the team can read it once the right key is back.
    /// Damaged or cut armour, a message that does not decrypt with the key it names, and a
    /// plaintext over a message's limit are the reporter's to fix.
    /// Any other message is returned as typed.
    pub(crate) async fn open_reporter_message(
        &self,
        id: &postern_core::report::ReportId,
        slug: &str,
        body: &str,
    ) -> Result<String, Error> {
        if !is_armoured_message(body) {
            return Ok(body.to_owned());
        }
        let armoured = body.trim();
        if armoured.len() > ENCRYPTED_MESSAGE_BYTES_MAX {
            return Err(Error::field(
                "body",
                format!(
                    "the encrypted message may be at most {} KiB",
                    ENCRYPTED_MESSAGE_BYTES_MAX / 1024
                ),
            ));
        }
        let sender = self.reporter_public_key(id).await?;
        let decrypted = self
            .openpgp_decrypt(
                slug,
                armoured.as_bytes(),
                sender.as_ref(),
                postern_core::intake::MESSAGE_BYTES_MAX,
            )
            .await?;
        match decrypted {
            Ok(d) => Ok(format!(
                "[Sent encrypted with OpenPGP: decrypted with the project's key {}; {}.]\n\n{}",
                d.key,
                d.signature.describe(),
                String::from_utf8_lossy(&d.plaintext)
            )),
            Err(DecryptError::TooLarge { .. }) => Err(Error::field(
                "body",
                format!(
                    "the decrypted message is longer than {} KiB; send long material as attachments",
                    postern_core::intake::MESSAGE_BYTES_MAX / 1024
                ),
            )),
            Err(e @ (DecryptError::Malformed(_) | DecryptError::Corrupt(_))) => {
                Err(Error::field("body", e.to_string()))
            }
            Err(e) => Ok(format!(
                "[Sent encrypted with OpenPGP and not decrypted: {e}. Kept as it came.]\n\n{armoured}"
            )),
        }
    }

    /// The public key a reporter gave with their report, if any and still usable now (for
    /// mail encrypted to them).
    pub async fn reporter_public_key(
        &self,
        id: &postern_core::report::ReportId,
    ) -> Result<Option<PublicKey>, Error> {
        let Some(key) = self.store().reporter_key(id).await? else {
            return Ok(None);
        };
        Ok(PublicKey::parse(&key, self.now()).ok())
    }
}

fn stored_public_key(key: &ProjectKey) -> Result<PublicKey, Error> {
    PublicKey::read(&key.public_key).map_err(|e| {
        Error::Store(postern_store::StoreError::Corrupt(format!(
            "OpenPGP key {}: {e}",
            key.fingerprint
        )))
    })
}

/// Whether a text is one ASCII-armoured OpenPGP message (as pasted: its first line, after
/// any blank space, the armour's header).
pub(crate) fn is_armoured_message(text: &str) -> bool {
    text.trim_start().starts_with("-----BEGIN PGP MESSAGE-----")
}
