//! Staff sign-in credentials: password rules and hashing, TOTP second factors, and recovery codes.
//!
//! Postern holds unpublished vulnerability reports, so a staff account is worth attacking. This
//! module keeps every credential decision in one place: which new passwords are acceptable
//! (length plus a zxcvbn guessability check), how passwords are stored (Argon2id, OWASP
//! parameters), how one-time codes are checked (RFC 6238 with replay protection), and how
//! single-use recovery codes are generated and hashed. It does no I/O; the caller stores the
//! results (the TOTP secret encrypted, everything else as returned).

use std::fmt;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use totp_rs::{Builder, Secret, Totp};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Fewest characters (Unicode scalar values, not bytes) in a new password.
pub const PASSWORD_CHARS_MIN: usize = 12;
/// Most bytes in a password, so hashing cost stays bounded.
pub const PASSWORD_BYTES_MAX: usize = 1024;
/// Bytes of a TOTP secret (160 bits, as RFC 4226 recommends).
pub const TOTP_SECRET_BYTES: usize = 20;
/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;

const ARGON2_M_KIB: u32 = 19_456;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;
const SALT_BYTES: usize = 16;
const TOTP_DIGITS: usize = 6;
const TOTP_STEP_SECONDS: u64 = 30;
const RECOVERY_CODE_CHARS: usize = 10;
/// Crockford's base32 alphabet: no i, l, o or u, so nothing reads as another character.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const RECOVERY_HASH_DOMAIN: &[u8] = b"postern recovery code v1\0";
const COMMON_PASSWORD_ADVICE: &str = "this password is among the most common passwords; choose a longer passphrase of unrelated words";

/// A credential operation that failed for a reason other than a wrong password or code.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Random,
    /// Argon2 could not hash the password.
    #[error("password hashing failed")]
    Hash,
    /// A stored TOTP secret has the wrong length.
    #[error("a TOTP secret must be {TOTP_SECRET_BYTES} bytes")]
    TotpSecretLength,
    /// The otpauth URI could not be built.
    #[error("could not build the otpauth URI")]
    OtpAuth,
    /// The data does not fit in a QR code.
    #[error("the data does not fit in a QR code")]
    QrCode,
}

fn random_bytes<const N: usize>() -> Result<[u8; N], CredentialError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| CredentialError::Random)?;
    Ok(bytes)
}

/// Checks a password a user wants to set; the error says what is wrong and what to do instead.
pub fn check_new_password(password: &str, email: &str) -> Result<(), String> {
    if password.chars().count() < PASSWORD_CHARS_MIN {
        return Err(format!(
            "use at least {PASSWORD_CHARS_MIN} characters; a passphrase of several unrelated words is long and easy to remember"
        ));
    }
    if password.len() > PASSWORD_BYTES_MAX {
        return Err(format!(
            "use at most {PASSWORD_BYTES_MAX} bytes; a passphrase of a few unrelated words is enough"
        ));
    }
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    let mut inputs = vec![email.as_str(), local];
    inputs.extend(
        local
            .split(['.', '_', '-', '+'])
            .filter(|part| part.len() >= 3),
    );
    // zxcvbn only lowers the score for these, which a few extra characters make up for; a
    // password built around the user's own name or address is refused outright.
    let lower = password.to_lowercase();
    if inputs[1..]
        .iter()
        .any(|input| input.chars().count() >= 4 && lower.contains(input))
    {
        return Err("this password contains part of your email address; choose a passphrase of unrelated words instead".into());
    }
    let entropy = zxcvbn::zxcvbn(password, &inputs);
    if entropy.score() >= zxcvbn::Score::Three {
        return Ok(());
    }
    use zxcvbn::feedback::Warning;
    let warning = entropy.feedback().and_then(|feedback| feedback.warning());
    Err(match warning {
        Some(
            Warning::ThisIsATop10Password
            | Warning::ThisIsATop100Password
            | Warning::ThisIsACommonPassword
            | Warning::ThisIsSimilarToACommonlyUsedPassword,
        ) => COMMON_PASSWORD_ADVICE.into(),
        Some(warning) => format!(
            "this password is too easy to guess ({warning}); choose a longer passphrase of unrelated words"
        ),
        None => "this password is too easy to guess; add another uncommon word or two".into(),
    })
}

fn argon2() -> Result<Argon2<'static>, CredentialError> {
    let params =
        Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).map_err(|_| CredentialError::Hash)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with Argon2id (m=19456 KiB, t=2, p=1) and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, CredentialError> {
    let salt = random_bytes::<SALT_BYTES>()?;
    let hash = argon2()?
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|_| CredentialError::Hash)?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `phc` (constant-time); false if `phc` is malformed.
pub fn verify_password(phc: &str, password: &str) -> bool {
    // The parameters come from the PHC string, so hashes made with older parameters still verify.
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Does the work of one password verification and discards the result, so that signing in with
/// an unknown email takes as long as signing in with a known one.
pub fn dummy_verify(password: &str) {
    // Verifying is one Argon2id hash with the stored parameters, then a comparison; hashing with
    // the same parameters and a fixed salt costs the same, with no stored hash to compute first.
    let mut out = Zeroizing::new([0u8; 32]);
    if let Ok(argon2) = argon2() {
        let _ = argon2.hash_password_into(password.as_bytes(), b"postern-dummy-salt", &mut *out);
    }
}

/// A TOTP shared secret (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps), wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TotpSecret {
    bytes: [u8; TOTP_SECRET_BYTES],
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// A new secret from the operating system's random source.
    pub fn generate() -> Result<TotpSecret, CredentialError> {
        Ok(TotpSecret {
            bytes: random_bytes()?,
        })
    }

    /// A secret from its stored bytes, which must be exactly [`TOTP_SECRET_BYTES`] long.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<TotpSecret, CredentialError> {
        let bytes = Zeroizing::new(bytes);
        let bytes = <[u8; TOTP_SECRET_BYTES]>::try_from(bytes.as_slice())
            .map_err(|_| CredentialError::TotpSecretLength)?;
        Ok(TotpSecret { bytes })
    }

    /// The raw secret, for the caller to store encrypted.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The secret in unpadded RFC 4648 base32, for typing into an authenticator app by hand.
    pub fn base32(&self) -> String {
        Secret::new_stack(self.bytes).to_base32()
    }

    /// The `otpauth://totp/...` URI that authenticator apps scan; colons (not allowed in either
    /// part of the label) are replaced with spaces.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<String, CredentialError> {
        self.totp(Some(issuer.replace(':', " ")), account.replace(':', " "))
            .to_url()
            .map_err(|_| CredentialError::OtpAuth)
    }

    fn totp(&self, issuer: Option<String>, account: String) -> Totp {
        // The parameters are fixed RFC 6238 values, so the unchecked build cannot go wrong.
        Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(TOTP_DIGITS as u8)
            .with_step_duration(TOTP_STEP_SECONDS)
            .with_skew(0)
            .with_secret(Secret::new_stack(self.bytes))
            .with_issuer(issuer)
            .with_account_name(account)
            .build_noncompliant()
    }
}

/// The 6-digit code for the 30-second step containing `now_unix_seconds`.
pub fn totp_code(secret: &TotpSecret, now_unix_seconds: u64) -> String {
    secret
        .totp(None, String::new())
        .generate(now_unix_seconds)
        .to_string()
}

/// Checks a TOTP code (spaces allowed, as in "123 456") against the current step and one step
/// either side. A step at or before `last_used_step` is refused, so a code works only once.
/// Returns the matched step, which the caller stores as the new `last_used_step`.
pub fn verify_totp(
    secret: &TotpSecret,
    code: &str,
    now_unix_seconds: u64,
    last_used_step: Option<u64>,
) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != TOTP_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = secret.totp(None, String::new());
    let current = now_unix_seconds / TOTP_STEP_SECONDS;
    let mut matched = None;
    // Every candidate step is checked, so timing does not reveal which one matched.
    for step in current.saturating_sub(1)..=current.saturating_add(1) {
        if last_used_step.is_some_and(|last| step <= last) {
            continue;
        }
        let Some(time) = step.checked_mul(TOTP_STEP_SECONDS) else {
            continue;
        };
        if totp.check(&code, time).is_some() && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

/// A QR code of `data` as an inline `<svg>` element (no XML declaration), to embed in HTML.
pub fn qr_svg(data: &str) -> Result<String, CredentialError> {
    let code = qrcode::QrCode::new(data.as_bytes()).map_err(|_| CredentialError::QrCode)?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    let start = svg.find("<svg").ok_or(CredentialError::QrCode)?;
    Ok(svg[start..].replacen("<svg ", r#"<svg role="img" aria-label="QR code" "#, 1))
}

/// Ten new recovery codes, each 10 random Crockford base32 characters as "xxxxx-xxxxx".
pub fn generate_recovery_codes() -> Result<Vec<String>, CredentialError> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let random = Zeroizing::new(random_bytes::<RECOVERY_CODE_CHARS>()?);
            let mut code = String::with_capacity(RECOVERY_CODE_CHARS + 1);
            for (i, byte) in random.iter().enumerate() {
                if i == RECOVERY_CODE_CHARS / 2 {
                    code.push('-');
                }
                // 256 is a multiple of 32, so the low five bits are uniform.
                code.push(char::from(RECOVERY_ALPHABET[usize::from(byte & 31)]));
            }
            Ok(code)
        })
        .collect()
}

/// The stored form of a recovery code: SHA-256 of the normalised code (lower case, no dashes or
/// spaces, and o/i/l read as 0/1/1 as Crockford base32 does), with a domain-separation prefix.
pub fn recovery_code_hash(code: &str) -> [u8; 32] {
    // A fast hash is enough: each code is 50 random bits and works only once, so an attacker
    // with the database would need about 2^49 guesses per code, unlike a human-chosen password.
    let normalised: Zeroizing<String> = Zeroizing::new(
        code.chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(|c| match c.to_ascii_lowercase() {
                'o' => '0',
                'i' | 'l' => '1',
                other => other,
            })
            .collect(),
    );
    let mut hasher = Sha256::new();
    hasher.update(RECOVERY_HASH_DOMAIN);
    hasher.update(normalised.as_bytes());
    hasher.finalize().into()
}

/// Whether `code` hashes to `stored`, compared in constant time.
pub fn recovery_code_matches(code: &str, stored: &[u8]) -> bool {
    recovery_code_hash(code).ct_eq(stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn password_rules() {
        let email = "margaret.hamilton@example.org";
        assert_eq!(
            check_new_password("password1234", email).unwrap_err(),
            COMMON_PASSWORD_ADVICE
        );
        assert_eq!(
            check_new_password("qwertyuiop123", email).unwrap_err(),
            COMMON_PASSWORD_ADVICE
        );
        assert!(
            check_new_password("short", email)
                .unwrap_err()
                .contains("12")
        );
        assert!(check_new_password(&"é".repeat(11), email).is_err());
        assert!(check_new_password(&"x".repeat(PASSWORD_BYTES_MAX + 1), email).is_err());
        assert!(check_new_password("Margaret.Hamilton-2024!", email).is_err());
        assert!(check_new_password("violin-hamilton-1969", email).is_err());
        check_new_password("correct-horse-battery-staple-violin", email).unwrap();
    }

    #[test]
    fn password_hash_round_trip() {
        let phc = hash_password("correct-horse-battery-staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(&phc, "correct-horse-battery-staple"));
        assert!(!verify_password(&phc, "correct-horse-battery-stapler"));
        assert!(!verify_password(
            "not a hash",
            "correct-horse-battery-staple"
        ));
        assert_ne!(phc, hash_password("correct-horse-battery-staple").unwrap());
        dummy_verify("anything");
    }

    #[test]
    fn totp_rfc6238_vectors() {
        let secret = rfc_secret();
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp_code(&secret, time), code);
            assert_eq!(verify_totp(&secret, code, time, None), Some(time / 30));
        }
    }

    #[test]
    fn totp_window_spaces_and_replay() {
        let secret = rfc_secret();
        let step = 1_111_111_109 / 30;
        assert_eq!(
            verify_totp(&secret, "081 804", 1_111_111_109, None),
            Some(step)
        );
        assert_eq!(
            verify_totp(&secret, "081804", 1_111_111_109 + 30, None),
            Some(step)
        );
        assert_eq!(
            verify_totp(&secret, "081804", 1_111_111_109 - 30, None),
            Some(step)
        );
        assert_eq!(
            verify_totp(&secret, "081804", 1_111_111_109 + 60, None),
            None
        );
        assert_eq!(
            verify_totp(&secret, "081804", 1_111_111_109, Some(step)),
            None
        );
        assert_eq!(
            verify_totp(&secret, "081804", 1_111_111_109, Some(step - 1)),
            Some(step)
        );
        assert_eq!(verify_totp(&secret, "81804", 1_111_111_109, None), None);
        assert_eq!(verify_totp(&secret, "+81804", 1_111_111_109, None), None);
    }

    #[test]
    fn totp_secret_handling() {
        let secret = TotpSecret::generate().unwrap();
        assert_eq!(secret.as_bytes().len(), TOTP_SECRET_BYTES);
        let again = TotpSecret::from_bytes(secret.as_bytes().to_vec()).unwrap();
        assert_eq!(again.base32(), secret.base32());
        assert!(TotpSecret::from_bytes(vec![0; 16]).is_err());
        assert_eq!(format!("{secret:?}"), "TotpSecret(<redacted>)");
        assert_eq!(rfc_secret().base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = rfc_secret()
            .otpauth_uri("Postern: Acme", "ada@example.org")
            .unwrap();
        assert_eq!(
            uri,
            "otpauth://totp/Postern%20%20Acme:ada%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Postern%20%20Acme"
        );
    }

    #[test]
    fn qr_is_inline_svg() {
        let svg = qr_svg("otpauth://totp/Postern:ada?secret=GEZDGNBV").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<script") && !svg.contains("<?xml"));
    }

    #[test]
    fn recovery_codes() {
        let codes = generate_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(&code[5..6], "-");
            assert!(
                code.bytes()
                    .filter(|b| *b != b'-')
                    .all(|b| RECOVERY_ALPHABET.contains(&b))
            );
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        let hash = recovery_code_hash("abcdefghjk");
        assert_eq!(recovery_code_hash("ABCDE-FGHJK"), hash);
        assert_eq!(recovery_code_hash(" abcde fghjk "), hash);
        assert_ne!(recovery_code_hash("abcdefghjm"), hash);
        assert_eq!(
            recovery_code_hash("0O1IL-00000"),
            recovery_code_hash("00111-00000")
        );
        assert!(recovery_code_matches("abcde-fghjk", &hash));
        assert!(!recovery_code_matches("abcde-fghjm", &hash));
    }
}
