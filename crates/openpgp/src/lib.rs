//! Postern's OpenPGP: what a project needs to offer reporters an encrypted channel and to sign
//! what it publishes, over rPGP (the `pgp` crate), with GnuPG 2.2 as the peer to agree with.
//!
//! - [`generate`] makes a project key: an Ed25519 primary key that certifies and signs, and a
//!   Curve25519 (ECDH) subkey that encrypts, the algorithms GnuPG 2.2 makes by default for
//!   ECC keys. [`SecretKey`] keeps it; its bytes are for sealing (the store does that).
//! - [`PublicKey::parse`] reads a public key someone gives (armoured or binary) and refuses,
//!   saying why, one that is expired, revoked, weaker than RSA 2048, or has nothing to encrypt
//!   to. [`SecretKey::parse`] does the same for a project key brought in from elsewhere.
//! - [`encrypt`] writes a message GnuPG reads (SEIPD version 1, AES-256), signed when a secret
//!   key is given; [`decrypt`] reads one with whichever of the given secret keys it was
//!   encrypted to, within a size limit that also holds against decompression bombs, and checks
//!   its signature against the sender's key when one is known.
//! - [`sign_detached`] and [`verify_detached`]: armoured detached signatures, as `gpg --verify`
//!   takes them.
//! - [`wkd`]: the names of the Web Key Directory.
//!
//! No IO: the randomness is a [`Seed`] the caller draws, and the moment keys are checked
//! against is a parameter. (rPGP stamps the creation time of the signatures it makes from the
//! system clock; nothing here depends on it.)
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod key;
mod message;
pub mod wkd;

pub use key::{Fingerprint, KeyId, PublicKey, SecretKey, generate};
pub use message::{
    Decrypted, Signature, decrypt, encrypt, recipients, sign_detached, verify_detached,
};

/// Largest armoured (or binary) key accepted, in bytes: real keys with many signatures stay
/// well under it.
pub const KEY_BYTES_MAX: usize = 256 * 1024;
/// Largest message [`decrypt`] reads, as given (armoured or binary), in bytes.
pub const MESSAGE_BYTES_MAX: usize = 32 * 1024 * 1024;
/// Largest detached signature accepted, in bytes.
pub const SIGNATURE_BYTES_MAX: usize = 64 * 1024;
/// Smallest RSA modulus accepted, in bits.
pub const RSA_BITS_MIN: usize = 2048;
/// Longest user id of a generated key, in bytes.
pub const USER_ID_BYTES_MAX: usize = 256;

/// 32 random bytes from which every random choice of one operation is drawn (ChaCha20). Draw
/// a new one from the operating system for each operation; only tests repeat one.
pub struct Seed(pub [u8; 32]);

impl Seed {
    fn rng(self) -> rand_chacha::ChaCha20Rng {
        use rand_chacha::rand_core::SeedableRng as _;
        rand_chacha::ChaCha20Rng::from_seed(self.0)
    }
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seed(..)")
    }
}

/// What went wrong, in words for whoever gave the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is not an OpenPGP key, message or signature (or not the kind expected), or
    /// its armour is damaged or cut short.
    #[error("{0}")]
    Malformed(String),
    /// A key that cannot be used: expired, revoked, too weak, nothing to encrypt to.
    #[error("{0}")]
    Unusable(String),
    /// The message was encrypted to none of the keys given; the key ids it names.
    #[error("{}", no_key_message(.0))]
    NoKey(Vec<KeyId>),
    /// The input, or what it unpacks to, is larger than allowed (the limit in bytes).
    #[error("{what} is larger than {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The message names one of our keys but does not decrypt or its integrity check fails.
    #[error("{0}")]
    Corrupt(String),
    /// rPGP could not do what it was asked (making a key, a signature or a message).
    #[error("OpenPGP operation failed: {0}")]
    Failed(String),
}

fn no_key_message(ids: &[KeyId]) -> String {
    if ids.is_empty() {
        return "the message is not encrypted to any key (it names no recipient)".into();
    }
    let ids: Vec<String> = ids.iter().map(|k| k.to_string()).collect();
    format!(
        "the message is encrypted to {} {}, which this server does not hold",
        if ids.len() == 1 { "key" } else { "keys" },
        ids.join(", ")
    )
}

/// The result of this crate's operations.
pub type Result<T> = std::result::Result<T, Error>;

fn failed(e: impl std::fmt::Display) -> Error {
    Error::Failed(e.to_string())
}
