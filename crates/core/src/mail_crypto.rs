//! What OpenPGP made of a message that came by mail, as the team is shown it: whether it was
//! encrypted and could be decrypted with the project's keys, and whether its signature holds
//! against the reporter's key.
//!
//! The cryptography runs at intake (`postern-app`, with `postern-openpgp`); this is its
//! record, kept sealed with the message it describes, and the sentence each result reads as on
//! the report page, the screening view and `report show`.

use serde::{Deserialize, Serialize};

/// OpenPGP's verdict on one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailCrypto {
    /// Whether it was encrypted, and what became of that.
    pub encryption: Encryption,
    /// Whether it was signed, and whether the signature holds.
    pub signature: Signature,
}

impl MailCrypto {
    /// A message sent in the clear, unsigned.
    pub fn plain() -> MailCrypto {
        MailCrypto {
            encryption: Encryption::None,
            signature: Signature::NotSigned,
        }
    }
}

/// How the ciphertext was carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// RFC 3156 `multipart/encrypted`.
    PgpMime,
    /// An armoured block in a text body.
    InlinePgp,
}

impl Format {
    /// As the team reads it.
    pub fn name(self) -> &'static str {
        match self {
            Format::PgpMime => "PGP/MIME",
            Format::InlinePgp => "inline PGP",
        }
    }
}

/// Whether a message was encrypted, and what became of that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Encryption {
    /// Sent in the clear.
    None,
    /// Decrypted at intake with the project's key of this fingerprint.
    Decrypted {
        /// PGP/MIME or inline.
        format: Format,
        /// The fingerprint of the project's key that opened it (current or retired).
        key: String,
    },
    /// It could not be decrypted; it is kept sealed as it came, to be tried again.
    Sealed {
        /// PGP/MIME or inline.
        format: Format,
        /// Why, in one sentence for the team.
        why: String,
    },
}

/// Which key a signature was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeySource {
    /// The public key stored with the report (given on the form, by the API, or with the
    /// report's first mail).
    OnRecord,
    /// The public key attached to this very message (`application/pgp-keys`): it shows that
    /// the message and the key come from the same holder, not who that is.
    SentWithMessage,
}

/// Whether a message was signed, and whether the signature holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Signature {
    /// No OpenPGP signature.
    NotSigned,
    /// A good signature by the key of this fingerprint.
    Verified {
        /// The signing key's fingerprint (primary key), hex.
        fingerprint: String,
        /// Which key it was checked against.
        key: KeySource,
    },
    /// A signature that claims the reporter's key but does not verify: the message was
    /// altered, or the signature forged.
    Bad {
        /// The key it claims, hex.
        fingerprint: String,
    },
    /// Signed by a key Postern was not given.
    UnknownKey {
        /// The issuer the signature names (fingerprint or key id, hex), if any.
        issuer: Option<String>,
    },
}

/// A fingerprint as people compare them: upper case, in groups of four.
pub fn spaced(fingerprint: &str) -> String {
    let hex: Vec<char> = fingerprint
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex.chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Encryption {
    /// One sentence for the team.
    pub fn describe(&self) -> String {
        match self {
            Encryption::None => "Sent without encryption.".to_owned(),
            Encryption::Decrypted { format, key } => format!(
                "Encrypted ({}) to the project's key {}; decrypted at intake.",
                format.name(),
                spaced(key)
            ),
            Encryption::Sealed { format, why } => format!(
                "Encrypted ({}) and not decrypted: {why} It is kept sealed as it came; once the right key is imported (postern key openpgp import), making it a report decrypts it.",
                format.name()
            ),
        }
    }
}

impl Signature {
    /// One sentence for the team.
    pub fn describe(&self) -> String {
        match self {
            Signature::NotSigned => "Not signed.".to_owned(),
            Signature::Verified {
                fingerprint,
                key: KeySource::OnRecord,
            } => format!(
                "Signature verified with the reporter's key on record, fingerprint {}.",
                spaced(fingerprint)
            ),
            Signature::Verified {
                fingerprint,
                key: KeySource::SentWithMessage,
            } => format!(
                "Signature verified with the key sent with this message, fingerprint {}: the message and the key come from the same holder.",
                spaced(fingerprint)
            ),
            Signature::Bad { fingerprint } => format!(
                "Bad signature: it claims the key {} but does not match the message, which may have been altered.",
                spaced(fingerprint)
            ),
            Signature::UnknownKey {
                issuer: Some(issuer),
            } => format!(
                "Signed by a key Postern does not have ({}); the signature could not be checked.",
                spaced(issuer)
            ),
            Signature::UnknownKey { issuer: None } => {
                "Signed by a key Postern does not have; the signature could not be checked."
                    .to_owned()
            }
        }
    }

    /// A short word for lists: `verified`, `bad signature`, `unknown key`, `not signed`.
    pub fn label(&self) -> &'static str {
        match self {
            Signature::NotSigned => "not signed",
            Signature::Verified { .. } => "verified",
            Signature::Bad { .. } => "bad signature",
            Signature::UnknownKey { .. } => "unknown key",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_in_groups_of_four() {
        assert_eq!(
            spaced("0123456789abcdef0123456789ABCDEF01234567"),
            "0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567"
        );
        assert_eq!(spaced("ab cd"), "ABCD");
    }

    #[test]
    fn every_verdict_is_a_sentence_that_survives_storage() {
        let all = [
            MailCrypto::plain(),
            MailCrypto {
                encryption: Encryption::Decrypted {
                    format: Format::PgpMime,
                    key: "aa".repeat(20),
                },
                signature: Signature::Verified {
                    fingerprint: "bb".repeat(20),
                    key: KeySource::SentWithMessage,
                },
            },
            MailCrypto {
                encryption: Encryption::Sealed {
                    format: Format::InlinePgp,
                    why: "It is encrypted to a key the project does not hold (0x1122334455667788)."
                        .into(),
                },
                signature: Signature::UnknownKey { issuer: None },
            },
            MailCrypto {
                encryption: Encryption::None,
                signature: Signature::Bad {
                    fingerprint: "cc".repeat(20),
                },
            },
        ];
        for verdict in all {
            let json = serde_json::to_string(&verdict).unwrap();
            assert_eq!(serde_json::from_str::<MailCrypto>(&json).unwrap(), verdict);
            assert!(verdict.encryption.describe().ends_with('.'));
            assert!(verdict.signature.describe().ends_with('.'));
        }
    }
}
