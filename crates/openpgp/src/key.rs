//! Keys: a project's secret key (made here or brought in), and public keys checked before use.
//!
//! A key is usable when its own self-signatures say so at the moment given: not revoked, not
//! expired, RSA keys of at least [`RSA_BITS_MIN`](crate::RSA_BITS_MIN) bits, and at least one
//! (sub)key that may encrypt. Third-party certifications (signatures by other people's keys)
//! are carried along and never trusted or required.

use std::io::Cursor;

use jiff::Timestamp;
use pgp::composed::{
    ArmorOptions, Deserializable, EncryptionCaps, KeyType, SecretKeyParamsBuilder, SignedPublicKey,
    SignedPublicSubKey, SignedSecretKey, SubkeyParamsBuilder,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{Signature as SigPacket, SignatureType};
use pgp::ser::Serialize as _;
use pgp::types::{CompressionAlgorithm, KeyDetails as _, PublicParams, Tag};
use zeroize::Zeroizing;

use crate::{Error, KEY_BYTES_MAX, RSA_BITS_MIN, Result, Seed, USER_ID_BYTES_MAX, failed};

/// A key's fingerprint: 40 upper-case hexadecimal digits (version 4 keys).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint from its hexadecimal form (any case, spaces allowed), if it is one.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let hex: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        (matches!(hex.len(), 40 | 64) && hex.chars().all(|c| c.is_ascii_hexdigit()))
            .then(|| Fingerprint(hex.to_ascii_uppercase()))
    }

    /// The 40 (or 64) hexadecimal digits, upper case, no spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key id: the last 16 digits (version 4).
    pub fn key_id(&self) -> KeyId {
        KeyId(self.0[self.0.len() - 16..].to_owned())
    }

    fn of(key: &impl pgp::types::KeyDetails) -> Fingerprint {
        Fingerprint(format!("{:X}", key.fingerprint()))
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key id: 16 upper-case hexadecimal digits, as messages and signatures name their keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub(crate) String);

impl KeyId {
    /// The 16 hexadecimal digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn of(id: &pgp::types::KeyId) -> KeyId {
        let hex: String = id.as_ref().iter().map(|b| format!("{b:02X}")).collect();
        KeyId(hex)
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A checked public key (certificate). `Debug` shows its fingerprint.
#[derive(Clone)]
pub struct PublicKey {
    pub(crate) key: SignedPublicKey,
    fingerprint: Fingerprint,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint)
    }
}

/// A secret key (a project's). `Debug` shows its fingerprint only; the secret bytes are
/// handed out only by [`SecretKey::to_bytes`], wiped when dropped.
#[derive(Clone)]
pub struct SecretKey {
    pub(crate) key: SignedSecretKey,
    public: PublicKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.public.fingerprint)
    }
}

fn is_armoured(input: &[u8]) -> bool {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    input[start..].starts_with(b"-----BEGIN PGP")
}

fn armour_kind(input: &[u8]) -> Option<&'static str> {
    let head = &input[..input.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    [
        ("PUBLIC KEY BLOCK", "a public key"),
        ("PRIVATE KEY BLOCK", "a private key"),
        ("BEGIN PGP MESSAGE", "a message"),
        ("BEGIN PGP SIGNATURE", "a signature"),
        ("BEGIN PGP SIGNED MESSAGE", "a signed message"),
    ]
    .into_iter()
    .find(|(marker, _)| text.contains(marker))
    .map(|(_, kind)| kind)
}

/// Refuses input over [`KEY_BYTES_MAX`], and armour of another kind than `expected` (the
/// words for which `wrong` gives).
fn expect_key(input: &[u8], expected: &str, wrong: impl Fn(&str) -> String) -> Result<()> {
    if input.len() > KEY_BYTES_MAX {
        return Err(Error::TooLarge {
            what: "the key",
            limit: KEY_BYTES_MAX,
        });
    }
    match is_armoured(input).then(|| armour_kind(input)).flatten() {
        Some(kind) if kind != expected => Err(Error::Malformed(wrong(kind))),
        _ => Ok(()),
    }
}

/// rPGP's own words name its internals (byte lists, parser states): not for a reporter.
fn malformed_key(what: &str, _: impl std::fmt::Display) -> Error {
    Error::Malformed(format!(
        "this is not a readable OpenPGP {what}: its armour is damaged or cut short, or it holds something else; give it as exported, armoured (`gpg --armor --export` ...) or binary, complete from its BEGIN line to its END line"
    ))
}

/// The moment as rPGP keeps it (seconds since 1970, 32 bits).
fn seconds(t: Timestamp) -> i64 {
    t.as_second()
}

fn moment(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn date(secs: i64) -> String {
    moment(secs).strftime("%Y-%m-%d").to_string()
}

/// The newest of the signatures that verify, by creation time.
fn newest<'s>(sigs: impl Iterator<Item = &'s SigPacket>) -> Option<&'s SigPacket> {
    sigs.max_by_key(|s| s.created().map(|t| t.as_secs()).unwrap_or(0))
}

/// When a key made at `created` expires under this self-signature, if it does.
fn expiry(created: i64, sig: &SigPacket) -> Option<i64> {
    sig.key_expiration_time()
        .map(|d| d.as_secs())
        .filter(|d| *d > 0)
        .map(|d| created + i64::from(d))
}

fn rsa_bits(params: &PublicParams) -> Option<usize> {
    use rsa::traits::PublicKeyParts as _;
    match params {
        PublicParams::RSA(p) => Some(p.key.n().bits()),
        _ => None,
    }
}

fn weak(params: &PublicParams) -> Option<String> {
    match rsa_bits(params) {
        Some(bits) if bits < RSA_BITS_MIN => Some(format!(
            "it is an RSA key of {bits} bits, and keys under {RSA_BITS_MIN} bits are too weak; make a new key (RSA 3072 or more, or Curve25519)"
        )),
        _ => None,
    }
}

/// A key that may encrypt: a subkey, or the primary key itself (old RSA keys).
pub(crate) enum Recipient<'k> {
    Subkey(&'k SignedPublicSubKey),
    Primary(&'k pgp::packet::PublicKey),
}

impl PublicKey {
    /// Reads a public key (armoured or binary) and checks that it can be used at `now`: its
    /// self-signatures verify, it is neither revoked nor expired, not an RSA key under 2048
    /// bits, and has a key to encrypt to. Every refusal says why.
    pub fn parse(input: &[u8], now: Timestamp) -> Result<PublicKey> {
        expect_key(input, "a public key", |kind| {
            if kind == "a private key" {
                "this is a private key: give the public key only (`gpg --armor --export KEY`), and keep the private one to yourself".into()
            } else {
                format!(
                    "this is {kind}, not a public key; give the output of `gpg --armor --export KEY`"
                )
            }
        })?;
        let public = PublicKey::read(input)?;
        public.check(now)?;
        Ok(public)
    }

    /// Reads a key without the checks of [`PublicKey::parse`] (for keys this server stored
    /// itself, whose time may have passed).
    pub fn read(input: &[u8]) -> Result<PublicKey> {
        let key = if is_armoured(input) {
            SignedPublicKey::from_armor_single(Cursor::new(input))
                .map(|(k, _)| k)
                .map_err(|e| malformed_key("public key", e))?
        } else {
            SignedPublicKey::from_bytes(Cursor::new(input))
                .map_err(|e| malformed_key("public key", e))?
        };
        Ok(PublicKey::new(key))
    }

    fn new(key: SignedPublicKey) -> PublicKey {
        let fingerprint = Fingerprint::of(&key.primary_key);
        PublicKey { key, fingerprint }
    }

    /// The primary key's fingerprint.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The primary key's id.
    pub fn key_id(&self) -> KeyId {
        self.fingerprint.key_id()
    }

    /// The fingerprints of the primary key and of every subkey.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        std::iter::once(self.fingerprint.clone())
            .chain(
                self.key
                    .public_subkeys
                    .iter()
                    .map(|s| Fingerprint::of(&s.key)),
            )
            .collect()
    }

    /// The user ids with a valid self-signature (names and addresses), as written.
    pub fn user_ids(&self) -> Vec<String> {
        let primary = &self.key.primary_key;
        self.key
            .details
            .users
            .iter()
            .filter(|u| {
                u.signatures
                    .iter()
                    .any(|s| s.verify_certification(primary, Tag::UserId, &u.id).is_ok())
            })
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .collect()
    }

    /// When the key was made.
    pub fn created_at(&self) -> Timestamp {
        moment(i64::from(self.key.primary_key.created_at().as_secs()))
    }

    /// When the key expires, if its newest self-signature says it does.
    pub fn expires_at(&self) -> Option<Timestamp> {
        let created = i64::from(self.key.primary_key.created_at().as_secs());
        self.self_signature()
            .and_then(|s| expiry(created, s))
            .map(moment)
    }

    /// The key, armoured (`-----BEGIN PGP PUBLIC KEY BLOCK-----`).
    pub fn armored(&self) -> String {
        self.key
            .to_armored_string(ArmorOptions::default())
            .unwrap_or_default()
    }

    /// The key in binary form, as the Web Key Directory serves it.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.key.to_bytes().unwrap_or_default()
    }

    /// The self-signatures (user id certifications and direct-key signatures by the key
    /// itself) that verify.
    fn self_signatures(&self) -> Vec<&SigPacket> {
        let primary = &self.key.primary_key;
        let mut sigs: Vec<&SigPacket> = self
            .key
            .details
            .users
            .iter()
            .flat_map(|u| {
                u.signatures.iter().filter(move |s| {
                    s.is_certification()
                        && s.verify_certification(primary, Tag::UserId, &u.id).is_ok()
                })
            })
            .collect();
        sigs.extend(
            self.key
                .details
                .direct_signatures
                .iter()
                .filter(|s| s.verify_key(primary).is_ok()),
        );
        sigs
    }

    fn self_signature(&self) -> Option<&SigPacket> {
        newest(self.self_signatures().into_iter())
    }

    /// Checks that the key can be used at `now` (see [`PublicKey::parse`]).
    pub fn check(&self, now: Timestamp) -> Result<()> {
        let fp = &self.fingerprint;
        let primary = &self.key.primary_key;
        if self
            .key
            .details
            .revocation_signatures
            .iter()
            .any(|s| s.verify_key(primary).is_ok())
        {
            return Err(Error::Unusable(format!(
                "key {fp} has been revoked by its owner; give a current key"
            )));
        }
        let Some(self_sig) = self.self_signature() else {
            return Err(Error::Unusable(format!(
                "key {fp} carries no valid self-signature (no user id signed by the key itself); export it again from its owner's keyring"
            )));
        };
        let created = i64::from(primary.created_at().as_secs());
        if let Some(expired) = expiry(created, self_sig).filter(|e| *e <= seconds(now)) {
            return Err(Error::Unusable(format!(
                "key {fp} expired on {}; extend it (`gpg --quick-set-expire {fp} 1y`) or give a current key",
                date(expired)
            )));
        }
        if let Some(why) = weak(primary.public_params()) {
            return Err(Error::Unusable(format!("key {fp} cannot be used: {why}")));
        }
        self.recipients(now).map(|_| ())
    }

    /// The keys a message to this key is encrypted to: every valid subkey that may encrypt
    /// (or the primary key, when it may and no subkey does). Refused, saying why, when none.
    pub(crate) fn recipients(&self, now: Timestamp) -> Result<Vec<Recipient<'_>>> {
        let fp = &self.fingerprint;
        let primary = &self.key.primary_key;
        let mut found = Vec::new();
        let mut reasons = Vec::new();
        for sub in &self.key.public_subkeys {
            let sub_fp = Fingerprint::of(&sub.key);
            let bindings = sub.signatures.iter().filter(|s| {
                s.typ() == Some(SignatureType::SubkeyBinding)
                    && s.verify_subkey_binding(primary, &sub.key).is_ok()
            });
            let Some(binding) = newest(bindings) else {
                continue;
            };
            let flags = binding.key_flags();
            if !(flags.encrypt_comms() || flags.encrypt_storage())
                || !sub.key.algorithm().can_encrypt()
            {
                continue;
            }
            if sub.signatures.iter().any(|s| {
                s.typ() == Some(SignatureType::SubkeyRevocation)
                    && s.verify_subkey_binding(primary, &sub.key).is_ok()
            }) {
                reasons.push(format!("subkey {sub_fp} is revoked"));
                continue;
            }
            let created = i64::from(sub.key.created_at().as_secs());
            if let Some(expired) = expiry(created, binding).filter(|e| *e <= seconds(now)) {
                reasons.push(format!("subkey {sub_fp} expired on {}", date(expired)));
                continue;
            }
            if let Some(why) = weak(sub.key.public_params()) {
                reasons.push(format!("subkey {sub_fp}: {why}"));
                continue;
            }
            found.push(Recipient::Subkey(sub));
        }
        if found.is_empty() {
            let primary_encrypts = self.self_signature().is_some_and(|s| {
                let flags = s.key_flags();
                flags.encrypt_comms() || flags.encrypt_storage()
            }) && primary.algorithm().can_encrypt();
            if primary_encrypts {
                found.push(Recipient::Primary(primary));
            }
        }
        if found.is_empty() {
            let why = if reasons.is_empty() {
                "it has no subkey for encryption".to_owned()
            } else {
                reasons.join("; ")
            };
            return Err(Error::Unusable(format!(
                "key {fp} cannot be encrypted to: {why}; add an encryption subkey (`gpg --quick-add-key {fp} cv25519 encr`) or give another key"
            )));
        }
        Ok(found)
    }

    /// Every key a signature by this key's owner may come from: the primary and the subkeys.
    pub(crate) fn verifiers(&self) -> Vec<&dyn pgp::types::VerifyingKey> {
        let mut keys: Vec<&dyn pgp::types::VerifyingKey> = vec![&self.key.primary_key];
        keys.extend(
            self.key
                .public_subkeys
                .iter()
                .map(|s| &s.key as &dyn pgp::types::VerifyingKey),
        );
        keys
    }

    /// Whether this key or one of its subkeys has this key id.
    pub fn has_key_id(&self, id: &KeyId) -> bool {
        self.fingerprints().iter().any(|f| &f.key_id() == id)
    }
}

impl SecretKey {
    /// Reads a secret key brought in from elsewhere (`gpg --armor --export-secret-keys`),
    /// armoured or binary, without a passphrase, and checks its public part as
    /// [`PublicKey::parse`] does.
    pub fn parse(input: &[u8], now: Timestamp) -> Result<SecretKey> {
        expect_key(input, "a private key", |kind| {
            format!(
                "this is {kind}, not a secret key; give the output of `gpg --armor --export-secret-keys KEY`"
            )
        })?;
        let secret = SecretKey::read(input)?;
        if secret.key.primary_key.secret_params().is_encrypted()
            || secret
                .key
                .secret_subkeys
                .iter()
                .any(|s| s.key.secret_params().is_encrypted())
        {
            return Err(Error::Unusable(format!(
                "key {} is protected by a passphrase; Postern seals it with its own master key instead, so remove the passphrase from a copy first (`gpg --passwd`, empty) and export that",
                secret.fingerprint()
            )));
        }
        secret.public.check(now)?;
        secret.signing_key()?;
        Ok(secret)
    }

    fn read(input: &[u8]) -> Result<SecretKey> {
        let key = if is_armoured(input) {
            SignedSecretKey::from_armor_single(Cursor::new(input))
                .map(|(k, _)| k)
                .map_err(|e| malformed_key("secret key", e))?
        } else {
            SignedSecretKey::from_bytes(Cursor::new(input))
                .map_err(|e| malformed_key("secret key", e))?
        };
        let public = PublicKey::new(key.to_public_key());
        Ok(SecretKey { key, public })
    }

    /// A key as [`SecretKey::to_bytes`] wrote it (from the store), without checks of time: a
    /// retired key still decrypts what was sent to it.
    pub fn from_bytes(bytes: &[u8]) -> Result<SecretKey> {
        SecretKey::read(bytes)
    }

    /// The secret key in binary form, to be sealed; wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.key.to_bytes().unwrap_or_default())
    }

    /// The secret key armoured (`-----BEGIN PGP PRIVATE KEY BLOCK-----`), as GnuPG imports it.
    pub fn armored_secret(&self) -> String {
        self.key
            .to_armored_string(ArmorOptions::default())
            .unwrap_or_default()
    }

    /// The public part.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The primary key's fingerprint.
    pub fn fingerprint(&self) -> &Fingerprint {
        self.public.fingerprint()
    }

    /// The key that makes signatures: the primary key when its self-signature lets it sign,
    /// else the newest valid signing subkey.
    pub(crate) fn signing_key(&self) -> Result<&dyn pgp::types::SigningKey> {
        let primary_signs = self
            .public
            .self_signature()
            .is_some_and(|s| s.key_flags().sign());
        if primary_signs {
            return Ok(&self.key.primary_key);
        }
        let primary = &self.public.key.primary_key;
        for (sub, public) in self
            .key
            .secret_subkeys
            .iter()
            .zip(&self.public.key.public_subkeys)
        {
            let signs = sub.signatures.iter().any(|s| {
                s.typ() == Some(SignatureType::SubkeyBinding)
                    && s.key_flags().sign()
                    && s.verify_subkey_binding(primary, &public.key).is_ok()
            });
            if signs {
                return Ok(&sub.key);
            }
        }
        Err(Error::Unusable(format!(
            "key {} has no key that may sign; a project key must sign what Postern publishes",
            self.fingerprint()
        )))
    }
}

/// Makes a project key for `user_id` (the project's security contact, `Name <address>`): an
/// Ed25519 primary key that certifies and signs, and a Curve25519 subkey that encrypts, both
/// without expiry, preferring AES-256, SHA-512 and zlib, announcing SEIPD version 1 only
/// (what GnuPG 2.2 reads).
pub fn generate(user_id: &str, seed: Seed) -> Result<SecretKey> {
    let user_id = user_id.trim();
    if user_id.is_empty() || user_id.len() > USER_ID_BYTES_MAX || user_id.contains(['\r', '\n']) {
        return Err(Error::Malformed(format!(
            "a key's user id is one line of at most {USER_ID_BYTES_MAX} bytes, such as `Project security <security@example.org>`"
        )));
    }
    let mut rng = seed.rng();
    let encryption = SubkeyParamsBuilder::default()
        .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
        .can_encrypt(EncryptionCaps::All)
        .build()
        .map_err(failed)?;
    let params = SecretKeyParamsBuilder::default()
        .key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(true)
        .primary_user_id(user_id.to_owned())
        .preferred_symmetric_algorithms(
            [
                SymmetricKeyAlgorithm::AES256,
                SymmetricKeyAlgorithm::AES192,
                SymmetricKeyAlgorithm::AES128,
            ]
            .into_iter()
            .collect(),
        )
        .preferred_hash_algorithms(
            [
                HashAlgorithm::Sha512,
                HashAlgorithm::Sha384,
                HashAlgorithm::Sha256,
            ]
            .into_iter()
            .collect(),
        )
        .preferred_compression_algorithms(
            [CompressionAlgorithm::ZLIB, CompressionAlgorithm::ZIP]
                .into_iter()
                .collect(),
        )
        .subkeys(vec![encryption])
        .build()
        .map_err(failed)?;
    let key = params.generate(&mut rng).map_err(failed)?;
    let public = PublicKey::new(key.to_public_key());
    Ok(SecretKey { key, public })
}
