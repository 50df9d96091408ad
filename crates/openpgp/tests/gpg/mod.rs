//! GnuPG as the real peer: a keyring of its own in a temporary directory, `--batch`, no
//! passphrases (loopback pinentry), its agent stopped when the test ends. Tests skip with a
//! visible note when `gpg` is not installed (Debian: `apt-get install gnupg`).

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A GnuPG home of the test's own.
pub struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    /// A fresh keyring, or `None` (after saying so) when gpg is not installed.
    pub fn new() -> Option<Gpg> {
        let found = Command::new("gpg")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            eprintln!(
                "NOTE: gpg is not installed (Debian: apt-get install gnupg); skipping the GnuPG interop test"
            );
            return None;
        }
        // Short path: the agent's socket path must fit in 108 bytes.
        let home = tempfile::Builder::new()
            .prefix("pg")
            .tempdir_in("/tmp")
            .expect("temporary GNUPGHOME");
        std::fs::write(
            home.path().join("gpg-agent.conf"),
            "allow-loopback-pinentry\n",
        )
        .expect("agent config");
        Some(Gpg { home })
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs gpg with these arguments and this input; the output, whatever the exit code.
    pub fn run(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = Command::new("gpg")
            .env("GNUPGHOME", self.home.path())
            .args([
                "--batch",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--trust-model",
                "always",
            ])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gpg runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("input written");
        child.wait_with_output().expect("gpg finishes")
    }

    /// Runs gpg and insists that it succeeds; its standard output.
    pub fn ok(&self, args: &[&str], input: &[u8]) -> Vec<u8> {
        let out = self.run(args, input);
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Makes a key for `user_id` (`algo` as `--quick-gen-key` takes it, such as `default`,
    /// `rsa3072`, `rsa1024`), with an encryption subkey; its fingerprint.
    pub fn generate(&self, user_id: &str, algo: &str, expire: &str) -> String {
        self.ok(&["--quick-gen-key", user_id, algo, "default", expire], b"");
        let fpr = self.fingerprint(user_id);
        if algo.starts_with("rsa") {
            self.ok(&["--quick-add-key", &fpr, algo, "encr", expire], b"");
        }
        fpr
    }

    /// The fingerprint of the key for `user_id`.
    pub fn fingerprint(&self, user_id: &str) -> String {
        let listing = self.ok(&["--with-colons", "--list-keys", user_id], b"");
        String::from_utf8_lossy(&listing)
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .expect("a fingerprint")
            .to_owned()
    }

    /// The armoured public key.
    pub fn export(&self, fpr: &str) -> Vec<u8> {
        self.ok(&["--armor", "--export", fpr], b"")
    }

    /// A file in the home directory with these bytes; its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.home.path().join(name);
        std::fs::write(&path, bytes).expect("file written");
        path
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}
