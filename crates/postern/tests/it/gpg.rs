//! GnuPG, the real peer of Postern's OpenPGP, as a reporter's mail program uses it: the
//! keyring harness of postern-openpgp's own tests (included by path: a temporary GNUPGHOME,
//! `gpg --batch`, its agent stopped when dropped), with what mail needs on top: encrypt (and
//! sign), detached signatures, decrypt with the status lines that say whose signature holds.

#[path = "../../../openpgp/tests/gpg/mod.rs"]
mod keyring;

pub(crate) use keyring::Gpg;

/// What `gpg --decrypt` made of a message: the plaintext and its status lines
/// (`--status-fd`: `[GNUPG:] GOODSIG ...`, `VALIDSIG <fingerprint> ...`).
pub(crate) struct Decrypted {
    pub plaintext: Vec<u8>,
    pub status: String,
}

impl Decrypted {
    /// The fingerprint of a good, valid signature, if there is one.
    pub(crate) fn valid_signature(&self) -> Option<String> {
        if !self.status.contains("[GNUPG:] GOODSIG ") {
            return None;
        }
        self.status.lines().find_map(|l| {
            l.strip_prefix("[GNUPG:] VALIDSIG ")
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_owned)
        })
    }
}

/// What a reporter does with gpg.
pub(crate) trait Reporter {
    /// A new Ed25519/Curve25519 key without passphrase for `uid`; its fingerprint.
    fn key_for(&self, uid: &str) -> String;
    /// The armoured public key, as text.
    fn public(&self, who: &str) -> String;
    /// The armoured secret key.
    fn secret(&self, who: &str) -> String;
    /// Imports armoured keys.
    fn import(&self, armoured: &str);
    /// `data` encrypted to `to`, signed by `signer` when given, then `extra` arguments;
    /// armoured.
    fn encrypt(&self, to: &str, signer: Option<&str>, extra: &[&str], data: &[u8]) -> String;
    /// A detached, armoured signature of `data` by `signer`.
    fn detach_sign(&self, signer: &str, data: &[u8]) -> String;
    /// Decrypts (and checks the signature inside) `armoured`; fails the test when gpg cannot.
    fn decrypt(&self, armoured: &str) -> Decrypted;
}

impl Reporter for Gpg {
    fn key_for(&self, uid: &str) -> String {
        self.generate(uid, "future-default", "never")
    }

    fn public(&self, who: &str) -> String {
        String::from_utf8(self.export(who)).unwrap()
    }

    fn secret(&self, who: &str) -> String {
        String::from_utf8(self.ok(&["--armor", "--export-secret-keys", who], b"")).unwrap()
    }

    fn import(&self, armoured: &str) {
        self.ok(&["--import"], armoured.as_bytes());
    }

    fn encrypt(&self, to: &str, signer: Option<&str>, extra: &[&str], data: &[u8]) -> String {
        let mut args = vec!["--armor", "--encrypt", "--recipient", to];
        if let Some(signer) = signer {
            args.extend(["--sign", "--local-user", signer]);
        }
        args.extend_from_slice(extra);
        String::from_utf8(self.ok(&args, data)).unwrap()
    }

    fn detach_sign(&self, signer: &str, data: &[u8]) -> String {
        String::from_utf8(self.ok(&["--armor", "--detach-sign", "--local-user", signer], data))
            .unwrap()
    }

    fn decrypt(&self, armoured: &str) -> Decrypted {
        let out = self.run(&["--status-fd", "2", "--decrypt"], armoured.as_bytes());
        let status = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "gpg --decrypt: {status}");
        Decrypted {
            plaintext: out.stdout,
            status,
        }
    }
}
