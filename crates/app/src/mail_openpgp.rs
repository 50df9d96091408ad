//! Mail and OpenPGP at intake: a message to a project's address, encrypted with PGP/MIME
//! (RFC 3156) or inline PGP, is opened with the project's keys (the current one or any that
//! rotation retired), and its signature (inside the encryption, or an RFC 3156
//! `multipart/signed`) is checked against the reporter's key.
//!
//! Which key is the reporter's: the one stored with the report for a reply; for a new report,
//! the public key attached to the message (`application/pgp-keys`, as Thunderbird and mutt
//! attach it, encrypted or not), which is then kept with the report, so that the mail Postern
//! sends back is encrypted to it. A signature checked against a key sent with the same message shows that
//! the two come from one holder, not who that is; the team is told which it was.
//!
//! A message that does not open (encrypted to a key the project does not hold, damaged or cut
//! short, or unpacking to more than a message may be) is never dropped: it waits in screening,
//! sealed as it came, with why; making it a report once the right key is imported opens it.

use postern_core::mail_crypto::{Encryption, Format, KeySource, MailCrypto, Signature};
use postern_core::report::ReportId;
use postern_mail::{Encrypted, Mail};
use postern_openpgp::PublicKey;
use postern_store::openpgp::{ArrivalState, EncryptedArrival};

use crate::{App, Error};

/// The MIME type of an attached OpenPGP public key (RFC 3156 section 7).
pub const KEYS_CONTENT_TYPE: &str = "application/pgp-keys";

/// A message as the team will read it, with what OpenPGP made of it.
pub(crate) struct Opened {
    /// The message, decrypted when it could be (else as it came).
    pub mail: Mail,
    /// The verdict kept with the message.
    pub crypto: MailCrypto,
    /// What the team is told beside the text (why it stays sealed, a key not taken).
    pub notes: Vec<String>,
    /// The checked public key attached to the message, to keep with a new report.
    pub sent_key: Option<PublicKey>,
}

impl Opened {
    /// Whether it was encrypted and could not be opened.
    pub fn sealed(&self) -> bool {
        matches!(self.crypto.encryption, Encryption::Sealed { .. })
    }

    /// How a report made from this message arrived, for `report_openpgp` (with the reporter's
    /// key to keep), when it came encrypted or with a key: a reporter who attaches a key to
    /// mail in the clear gets mail back encrypted to it too.
    pub fn arrival(&self) -> Option<(EncryptedArrival, Option<Vec<u8>>)> {
        let (state, decrypted_with) = match &self.crypto.encryption {
            Encryption::Decrypted { key, .. } => (ArrivalState::Decrypted, Some(key.clone())),
            Encryption::Sealed { .. } => (ArrivalState::Undecryptable, None),
            Encryption::None if self.sent_key.is_some() => (ArrivalState::Plain, None),
            Encryption::None => return None,
        };
        let (signature, signer) = match &self.crypto.signature {
            Signature::NotSigned => ("unsigned", None),
            Signature::Verified { fingerprint, .. } => ("verified", Some(fingerprint.clone())),
            Signature::Bad { fingerprint } => ("bad", Some(fingerprint.clone())),
            Signature::UnknownKey { issuer } => ("unknown_key", issuer.clone()),
        };
        // Short: the report page lists each message's verdict in full under it.
        let detail = format!(
            "by mail, signature: {} (each message under How the mail arrived)",
            self.crypto.signature.label()
        );
        Some((
            EncryptedArrival {
                state,
                decrypted_with,
                signature: signature.to_owned(),
                signer,
                detail,
                reporter_fingerprint: self.sent_key.as_ref().map(|k| k.fingerprint().to_string()),
            },
            self.sent_key.as_ref().map(PublicKey::to_bytes),
        ))
    }
}

/// A library's error as a sentence for the team: capitalised, ending in a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>())
        .unwrap_or_default();
    out.extend(chars);
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The first public key attached to a message, checked now; the reason when one was attached
/// but cannot be used.
fn attached_key(app: &App, mail: &Mail) -> (Option<PublicKey>, Option<String>) {
    let Some(attachment) = mail
        .attachments
        .iter()
        .find(|a| a.content_type == KEYS_CONTENT_TYPE)
    else {
        return (None, None);
    };
    match app.check_public_key("key", &attachment.bytes) {
        Ok(key) => (Some(key), None),
        Err(e) => (
            None,
            Some(format!(
                "The public key attached as {} was not taken: {}",
                attachment.name,
                sentence(&e.to_string())
            )),
        ),
    }
}

fn verdict(signature: &postern_openpgp::Signature, sender: &Sender) -> Signature {
    use postern_openpgp::Signature as S;
    match (signature, sender) {
        (S::Unsigned, _) => Signature::NotSigned,
        (S::Verified(_), Some((key, source))) => Signature::Verified {
            fingerprint: key.fingerprint().to_string(),
            key: *source,
        },
        (S::Bad(_), Some((key, _))) => Signature::Bad {
            fingerprint: key.fingerprint().to_string(),
        },
        (S::Verified(id) | S::Bad(id) | S::UnknownKey(id), _) => Signature::UnknownKey {
            issuer: Some(id.to_string()),
        },
    }
}

/// The reporter's key the signature is checked against, and where it came from.
type Sender = Option<(PublicKey, KeySource)>;

impl App {
    /// Opens a message sent to `project` (see the module's documentation). `report` is the
    /// report a reply belongs to (its key on record is the reporter's). The outer error is
    /// the store's (worth a retry); a message that does not open is an `Opened` that is
    /// `sealed()`.
    pub(crate) async fn open_mail(
        &self,
        project: &str,
        report: Option<&ReportId>,
        mail: Mail,
    ) -> Result<Opened, Error> {
        let on_record = match report {
            Some(report) => self.reporter_public_key(report).await?,
            None => None,
        };
        let mut notes = Vec::new();
        let Some(encrypted) = mail.encrypted.clone() else {
            let (sent_key, refused) = attached_key(self, &mail);
            notes.extend(refused);
            let sender = sender(on_record, sent_key.clone());
            let signature = self.detached_verdict(&mail, &sender);
            return Ok(Opened {
                mail,
                crypto: MailCrypto {
                    encryption: Encryption::None,
                    signature,
                },
                notes,
                sent_key,
            });
        };
        let (format, armoured) = match &encrypted {
            Encrypted::PgpMime { armoured } => (Format::PgpMime, armoured.as_bytes()),
            Encrypted::InlinePgp { armoured } => (Format::InlinePgp, armoured.as_bytes()),
        };
        let limit = postern_mail::MESSAGE_BYTES_MAX;
        let first = self
            .openpgp_decrypt(project, armoured, on_record.as_ref(), limit)
            .await?;
        let decrypted = match first {
            Ok(decrypted) => decrypted,
            Err(why) => return Ok(sealed(mail, format, sentence(&why.to_string()), notes)),
        };
        let key = decrypted.key.to_string();
        let opened = match format {
            Format::PgpMime => postern_mail::read_decrypted(&mail, &decrypted.plaintext),
            Format::InlinePgp => Ok(postern_mail::with_inline_plaintext(
                &mail,
                &decrypted.plaintext,
            )),
        };
        let opened = match opened {
            Ok(opened) => opened,
            Err(why) => {
                let why = format!("It decrypts, but what is inside is not readable mail: {why}");
                return Ok(sealed(mail, format, why, notes));
            }
        };
        let (sent_key, refused) = attached_key(self, &opened);
        notes.extend(refused);
        let mut signature = decrypted.signature.clone();
        let sender = sender(on_record.clone(), sent_key.clone());
        // Signed inside the encryption by the key that came with it: read again with that key
        // as the sender's (the key was inside).
        if on_record.is_none()
            && let (postern_openpgp::Signature::UnknownKey(issuer), Some((key, _))) =
                (&signature, &sender)
            && key.has_key_id(issuer)
            && let Ok(again) = self
                .openpgp_decrypt(project, armoured, Some(key), limit)
                .await?
        {
            signature = again.signature;
        }
        let signature = match signature {
            // Not signed inside: an RFC 3156 multipart/signed inside the encryption may be.
            postern_openpgp::Signature::Unsigned => self.detached_verdict(&opened, &sender),
            other => verdict(&other, &sender),
        };
        Ok(Opened {
            mail: opened,
            crypto: MailCrypto {
                encryption: Encryption::Decrypted { format, key },
                signature,
            },
            notes,
            sent_key,
        })
    }

    /// The verdict on a message's `multipart/signed` signature, if it has one.
    fn detached_verdict(&self, mail: &Mail, sender: &Sender) -> Signature {
        let Some(signed) = &mail.signed else {
            return Signature::NotSigned;
        };
        let issuer = postern_openpgp::signature_issuer(signed.signature.as_bytes()).ok();
        match (sender, &issuer) {
            (Some((key, source)), Some(id)) if key.has_key_id(id) => {
                match postern_openpgp::verify_detached(
                    &signed.content,
                    signed.signature.as_bytes(),
                    key,
                ) {
                    Ok(_) => Signature::Verified {
                        fingerprint: key.fingerprint().to_string(),
                        key: *source,
                    },
                    Err(_) => Signature::Bad {
                        fingerprint: key.fingerprint().to_string(),
                    },
                }
            }
            _ => Signature::UnknownKey {
                issuer: issuer.map(|id| id.to_string()),
            },
        }
    }
}

/// A message that stays sealed as it came, and why.
fn sealed(mail: Mail, format: Format, why: String, mut notes: Vec<String>) -> Opened {
    notes.push(format!(
        "The message is encrypted with OpenPGP ({}) and was not decrypted: {why}",
        format.name()
    ));
    Opened {
        mail,
        crypto: MailCrypto {
            encryption: Encryption::Sealed { format, why },
            signature: Signature::NotSigned,
        },
        notes,
        sent_key: None,
    }
}

/// The key on record wins over one sent with the message (a reply cannot swap the reporter's
/// key by attaching another).
fn sender(on_record: Option<PublicKey>, sent: Option<PublicKey>) -> Sender {
    on_record
        .map(|k| (k, KeySource::OnRecord))
        .or_else(|| sent.map(|k| (k, KeySource::SentWithMessage)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_errors_read_as_sentences() {
        assert_eq!(
            sentence(
                "the message is encrypted to key 1122334455667788, which this server does not hold"
            ),
            "The message is encrypted to key 1122334455667788, which this server does not hold."
        );
        assert_eq!(sentence("Done."), "Done.");
    }
}
