//! Messages and signatures: encrypt to public keys (signed or not), decrypt with secret keys
//! within limits, detached signatures made and verified.
//!
//! Decryption reads the plaintext as a stream and stops one byte past the limit it is given,
//! so a compressed message that unpacks to gigabytes (a decompression bomb) costs no more than
//! the limit. A message that names none of the keys given is refused with the key ids it
//! names, so that the team can tell an old key from a stranger's.

use std::io::{BufReader, Cursor, Read as _};

use jiff::Timestamp;
use pgp::composed::{
    ArmorOptions, Deserializable, DetachedSignature, Esk, Message, MessageBuilder,
    VerificationResult,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::types::{CompressionAlgorithm, Password};

use crate::key::Recipient;
use crate::{
    Error, Fingerprint, KeyId, MESSAGE_BYTES_MAX, PublicKey, Result, SIGNATURE_BYTES_MAX,
    SecretKey, Seed, failed,
};

/// What a message's signature says, when the message was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// The message carries no signature.
    Unsigned,
    /// Signed by the sender's key given, and the signature verifies.
    Verified(KeyId),
    /// Signed in the name of the sender's key given, but the signature does not verify: the
    /// message was altered, or the signature forged.
    Bad(KeyId),
    /// Signed by a key that was not given (no sender key, or another one): nothing can be said.
    UnknownKey(KeyId),
}

impl Signature {
    /// A few words for the team: "unsigned", "verified (key ...)", ...
    pub fn describe(&self) -> String {
        match self {
            Signature::Unsigned => "not signed".into(),
            Signature::Verified(k) => format!("signature verified (key {k})"),
            Signature::Bad(k) => format!("BAD signature in the name of key {k}"),
            Signature::UnknownKey(k) => {
                format!("signed by key {k}, which is not the sender's known key")
            }
        }
    }
}

/// A decrypted message.
pub struct Decrypted {
    /// The plaintext; wiped when dropped.
    pub plaintext: zeroize::Zeroizing<Vec<u8>>,
    /// Which of the given secret keys decrypted it.
    pub key: Fingerprint,
    /// The signature, if the message carried one.
    pub signature: Signature,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decrypted")
            .field("plaintext", &format_args!("{} bytes", self.plaintext.len()))
            .field("key", &self.key)
            .field("signature", &self.signature)
            .finish()
    }
}

fn armoured(input: &[u8]) -> bool {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    input[start..].starts_with(b"-----BEGIN PGP")
}

/// rPGP's own words name its internals (byte lists, parser states): not for a reporter.
fn malformed_message(_: impl std::fmt::Display) -> Error {
    Error::Malformed(
        "this is not a readable OpenPGP message: its armour is damaged or cut short; paste the whole output of `gpg --encrypt --armor`, from `-----BEGIN PGP MESSAGE-----` to `-----END PGP MESSAGE-----`".into(),
    )
}

/// Reads a message (armoured or binary) as far as its encryption layer.
fn parse(input: &[u8]) -> Result<Message<'_>> {
    if input.len() > MESSAGE_BYTES_MAX {
        return Err(Error::TooLarge {
            what: "the message",
            limit: MESSAGE_BYTES_MAX,
        });
    }
    if armoured(input) {
        let head = String::from_utf8_lossy(&input[..input.len().min(512)]).into_owned();
        if !head.contains("BEGIN PGP MESSAGE") {
            let what = if head.contains("PUBLIC KEY") {
                "a public key"
            } else if head.contains("PRIVATE KEY") {
                "a private key"
            } else if head.contains("SIGNED MESSAGE") {
                "a signed but unencrypted message"
            } else {
                "not an encrypted message"
            };
            return Err(Error::Malformed(format!(
                "this is {what}; paste the output of `gpg --encrypt --armor`, which starts with `-----BEGIN PGP MESSAGE-----`"
            )));
        }
        Message::from_armor(BufReader::new(Cursor::new(input)))
            .map(|(m, _)| m)
            .map_err(malformed_message)
    } else {
        Message::from_bytes(BufReader::new(Cursor::new(input))).map_err(malformed_message)
    }
}

fn esk_ids(esk: &[Esk]) -> Vec<KeyId> {
    esk.iter()
        .filter_map(|e| match e {
            Esk::PublicKeyEncryptedSessionKey(p) => p.id().ok().map(KeyId::of),
            Esk::SymKeyEncryptedSessionKey(_) => None,
        })
        .collect()
}

const WILDCARD: &str = "0000000000000000";

/// The key ids an encrypted message names as its recipients (a hidden recipient is
/// `0000000000000000`).
pub fn recipients(input: &[u8]) -> Result<Vec<KeyId>> {
    match parse(input)? {
        Message::Encrypted { esk, .. } => Ok(esk_ids(&esk)),
        _ => Err(not_encrypted()),
    }
}

fn not_encrypted() -> Error {
    Error::Malformed(
        "this message is not encrypted; encrypt it to the project's key (`gpg --encrypt --armor -r KEY`)".into(),
    )
}

/// Decrypts a message (armoured or binary) with whichever of `keys` it was encrypted to, and
/// reads at most `plaintext_bytes_max` bytes of plaintext: more is [`Error::TooLarge`], however
/// well it compresses. When it is signed, the signature is checked against `sender`'s key.
/// A message for none of the keys is [`Error::NoKey`] with the ids it names; one that names a
/// key but does not decrypt, or fails its integrity check, is [`Error::Corrupt`].
pub fn decrypt(
    input: &[u8],
    keys: &[&SecretKey],
    sender: Option<&PublicKey>,
    plaintext_bytes_max: usize,
) -> Result<Decrypted> {
    let ids = recipients(input)?;
    let hidden = ids.iter().any(|id| id.as_str() == WILDCARD);
    let candidates: Vec<&SecretKey> = keys
        .iter()
        .copied()
        .filter(|k| hidden || ids.iter().any(|id| k.public_key().has_key_id(id)))
        .collect();
    if candidates.is_empty() {
        return Err(Error::NoKey(ids));
    }
    let (mut message, key) = {
        let mut found = None;
        // A try consumes the message: each key reads it afresh (more than one only when
        // several of the keys are named, or the recipient is hidden).
        for key in &candidates {
            let attempt = parse(input)?;
            match attempt.decrypt(&Password::empty(), &key.key) {
                Ok(m) => {
                    found = Some((m, key.fingerprint().clone()));
                    break;
                }
                Err(_) => continue,
            }
        }
        found.ok_or_else(|| {
            Error::Corrupt(
                "the message names this server's key but does not decrypt; it may have been damaged: send it again".into(),
            )
        })?
    };
    while message.is_compressed() {
        message = message.decompress().map_err(|_| {
            Error::Corrupt("the compressed data inside the message is damaged".into())
        })?;
    }
    let mut plaintext = zeroize::Zeroizing::new(Vec::new());
    let limit = u64::try_from(plaintext_bytes_max).unwrap_or(u64::MAX);
    (&mut message)
        .take(limit.saturating_add(1))
        .read_to_end(&mut plaintext)
        .map_err(|_| {
            Error::Corrupt(
                "the message does not decrypt cleanly (its integrity check fails): it was altered or cut short; send it again".into(),
            )
        })?;
    if plaintext.len() > plaintext_bytes_max {
        return Err(Error::TooLarge {
            what: "the decrypted message",
            limit: plaintext_bytes_max,
        });
    }
    let signature = signature_of(&message, sender);
    Ok(Decrypted {
        plaintext,
        key,
        signature,
    })
}

fn signature_of(message: &Message<'_>, sender: Option<&PublicKey>) -> Signature {
    let Message::Signed { reader, .. } = message else {
        return Signature::Unsigned;
    };
    let issuer = reader
        .signature(0)
        .and_then(|s| {
            s.issuer_fingerprint()
                .first()
                .map(|f| Fingerprint::parse(&format!("{f:X}")).map(|f| f.key_id()))
                .unwrap_or(None)
                .or_else(|| s.issuer_key_id().first().map(|k| KeyId::of(k)))
        })
        .unwrap_or_else(|| KeyId(WILDCARD.to_owned()));
    let Some(sender) = sender.filter(|s| s.has_key_id(&issuer)) else {
        return Signature::UnknownKey(issuer);
    };
    let verified = message
        .verify_nested(&sender.verifiers())
        .map(|results| {
            results
                .iter()
                .any(|r| matches!(r, VerificationResult::Valid(_)))
        })
        .unwrap_or(false);
    if verified {
        Signature::Verified(issuer)
    } else {
        Signature::Bad(issuer)
    }
}

/// Encrypts `plaintext` to every usable encryption key of each recipient (checked at `now`),
/// as SEIPD version 1 with AES-256 and zlib compression, armoured; signed by `signer` when
/// given. A recipient whose key cannot be used refuses the whole message, saying why.
pub fn encrypt(
    plaintext: &[u8],
    recipients: &[&PublicKey],
    signer: Option<&SecretKey>,
    now: Timestamp,
    seed: Seed,
) -> Result<String> {
    if recipients.is_empty() {
        return Err(Error::Unusable(
            "a message needs at least one recipient".into(),
        ));
    }
    let mut rng = seed.rng();
    let mut targets = Vec::new();
    for r in recipients {
        r.check(now)?;
        targets.extend(r.recipients(now)?);
    }
    let signing = signer.map(SecretKey::signing_key).transpose()?;
    let mut builder = MessageBuilder::from_bytes("", plaintext.to_vec())
        .seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
    builder.compression(CompressionAlgorithm::ZLIB);
    for target in &targets {
        match target {
            Recipient::Subkey(k) => builder.encrypt_to_key(&mut rng, *k),
            Recipient::Primary(k) => builder.encrypt_to_key(&mut rng, *k),
        }
        .map_err(failed)?;
    }
    if let Some(key) = signing {
        builder.sign(key, Password::empty(), HashAlgorithm::Sha512);
    }
    builder
        .to_armored_string(&mut rng, ArmorOptions::default())
        .map_err(failed)
}

/// An armoured detached signature of `data` by `key` (SHA-512), as `gpg --verify SIG DATA`
/// checks it.
pub fn sign_detached(data: &[u8], key: &SecretKey, seed: Seed) -> Result<String> {
    let signing = Box::new(key.signing_key()?);
    let signature = DetachedSignature::sign_binary_data(
        seed.rng(),
        &signing,
        &Password::empty(),
        HashAlgorithm::Sha512,
        data,
    )
    .map_err(failed)?;
    signature
        .to_armored_string(ArmorOptions::default())
        .map_err(failed)
}

/// The key that says it made a detached signature (armoured or binary): its issuer
/// fingerprint's key id, else its issuer key id. What to check it against is the caller's
/// choice; this proves nothing by itself.
pub fn signature_issuer(signature: &[u8]) -> Result<KeyId> {
    let sig = read_detached(signature)?;
    sig.signature
        .issuer_fingerprint()
        .first()
        .and_then(|f| Fingerprint::parse(&format!("{f:X}")).map(|f| f.key_id()))
        .or_else(|| sig.signature.issuer_key_id().first().map(|k| KeyId::of(k)))
        .ok_or_else(|| Error::Malformed("the signature names no key that made it".into()))
}

fn read_detached(signature: &[u8]) -> Result<DetachedSignature> {
    if signature.len() > SIGNATURE_BYTES_MAX {
        return Err(Error::TooLarge {
            what: "the signature",
            limit: SIGNATURE_BYTES_MAX,
        });
    }
    if armoured(signature) {
        DetachedSignature::from_armor_single(Cursor::new(signature)).map(|(s, _)| s)
    } else {
        DetachedSignature::from_bytes(Cursor::new(signature))
    }
    .map_err(|e| Error::Malformed(format!("this is not a readable OpenPGP signature ({e})")))
}

/// Checks a detached signature (armoured or binary) of `data` against `key` (its primary key
/// or any subkey); the id of the key that made it when it verifies.
pub fn verify_detached(data: &[u8], signature: &[u8], key: &PublicKey) -> Result<KeyId> {
    if signature.len() > SIGNATURE_BYTES_MAX {
        return Err(Error::TooLarge {
            what: "the signature",
            limit: SIGNATURE_BYTES_MAX,
        });
    }
    let sig = if armoured(signature) {
        DetachedSignature::from_armor_single(Cursor::new(signature)).map(|(s, _)| s)
    } else {
        DetachedSignature::from_bytes(Cursor::new(signature))
    }
    .map_err(|_| Error::Malformed("this is not a readable OpenPGP signature".into()))?;
    let primary = &key.key.primary_key;
    let ok = sig.verify(primary, data).is_ok()
        || key
            .key
            .public_subkeys
            .iter()
            .any(|s| sig.verify(&s.key, data).is_ok());
    if ok {
        let issuer = sig
            .signature
            .issuer_key_id()
            .first()
            .map(|k| KeyId::of(k))
            .unwrap_or_else(|| key.key_id());
        Ok(issuer)
    } else {
        Err(Error::Corrupt(format!(
            "the signature does not verify with key {}",
            key.fingerprint()
        )))
    }
}
