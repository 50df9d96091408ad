//! Encryption at rest: per-report data keys, wrapped by a master key that never enters the
//! database, and the keyed hash that lets a case key be checked without being stored.
//!
//! Every ciphertext is `nonce (24 bytes) || XChaCha20-Poly1305 output`, with associated data that
//! names the row and the column it belongs to, so that a ciphertext copied to another row or
//! field fails to decrypt. The keyring (master keys by id, plus the case-key secret) lives in a
//! file created with mode 0600, or in the `POSTERN_KEYRING` environment variable.

use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use chacha20poly1305::aead::{Aead as _, Payload};
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::StoreError;

/// Bytes of every symmetric key.
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
/// The keyring file's name inside the data directory.
pub const KEYRING_FILE: &str = "keyring.json";
/// Environment variable that may hold the keyring instead of a file.
pub const KEYRING_ENV: &str = "POSTERN_KEYRING";

/// Fills a buffer from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| StoreError::Crypto("the OS random source failed"))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn unhex(text: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| StoreError::Keyring("a key is not hexadecimal".into()))
}

/// Encrypts `plaintext` under `key`, bound to `aad`.
pub fn seal(key: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
    let cipher = XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| StoreError::Crypto("a key has the wrong length"))?;
    let nonce_bytes = random_bytes::<NONCE_BYTES>()?;
    let nonce = XNonce::try_from(&nonce_bytes[..]).map_err(|_| StoreError::Crypto("nonce"))?;
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| StoreError::Crypto("encryption failed"))?;
    let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts what `seal` made with the same key and associated data.
pub fn open(key: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    if sealed.len() < NONCE_BYTES {
        return Err(StoreError::Crypto("a ciphertext is truncated"));
    }
    let cipher = XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| StoreError::Crypto("a key has the wrong length"))?;
    let (nonce, body) = sealed.split_at(NONCE_BYTES);
    let nonce = XNonce::try_from(nonce).map_err(|_| StoreError::Crypto("nonce"))?;
    cipher
        .decrypt(&nonce, Payload { msg: body, aad })
        .map(Zeroizing::new)
        .map_err(|_| {
            StoreError::Crypto("a ciphertext does not authenticate (wrong key or moved data)")
        })
}

/// The keyring as stored: hex keys by id, newest last.
#[derive(Serialize, Deserialize, Clone)]
struct KeyringFile {
    /// Secret of the keyed hash of case keys; never rotated, so case keys stay valid.
    case_key_secret: String,
    /// Master keys; the last one wraps new data keys.
    master_keys: Vec<MasterKeyEntry>,
}

#[derive(Serialize, Deserialize, Clone)]
struct MasterKeyEntry {
    id: String,
    key: String,
}

impl Drop for KeyringFile {
    fn drop(&mut self) {
        self.case_key_secret.zeroize();
        for k in &mut self.master_keys {
            k.key.zeroize();
        }
    }
}

struct Keys {
    case_key_secret: Zeroizing<Vec<u8>>,
    /// (id, key), newest last.
    master: Vec<(String, Zeroizing<Vec<u8>>)>,
}

impl Keys {
    fn from_file(file: &KeyringFile) -> Result<Keys, StoreError> {
        let case_key_secret = unhex(&file.case_key_secret)?;
        let master = file
            .master_keys
            .iter()
            .map(|e| Ok((e.id.clone(), unhex(&e.key)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        if case_key_secret.len() != KEY_BYTES
            || master.is_empty()
            || master.iter().any(|(_, k)| k.len() != KEY_BYTES)
        {
            return Err(StoreError::Keyring(format!(
                "the keyring needs a case_key_secret and at least one master key, each {KEY_BYTES} bytes in hex"
            )));
        }
        Ok(Keys {
            case_key_secret,
            master,
        })
    }
}

/// Where the keyring came from, so that it can be re-read when another process rotates it.
enum Source {
    File(PathBuf),
    Env,
}

/// The master keys and the case-key secret.
pub struct Vault {
    source: Source,
    keys: RwLock<Keys>,
    /// Modification time of the keyring file when last read, to notice a rotation.
    loaded_mtime: RwLock<Option<std::time::SystemTime>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault { .. }")
    }
}

fn new_key_id() -> Result<String, StoreError> {
    Ok(hex(&random_bytes::<4>()?))
}

fn read_keyring_file(path: &Path) -> Result<KeyringFile, StoreError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| StoreError::Keyring(format!("cannot read {}: {e}", path.display())))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(StoreError::Keyring(format!(
            "{} can be read by other users; run `chmod 600 {}` and start again",
            path.display(),
            path.display()
        )));
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| StoreError::Keyring(format!("cannot read {}: {e}", path.display())))?,
    );
    serde_json::from_str(&text).map_err(|e| {
        StoreError::Keyring(format!("{} is not a Postern keyring: {e}", path.display()))
    })
}

/// Writes the keyring atomically: a new 0600 file, synced, renamed over the old one.
fn write_keyring_file(path: &Path, file: &KeyringFile) -> Result<(), StoreError> {
    use std::io::Write as _;
    let text = Zeroizing::new(
        serde_json::to_string_pretty(file).map_err(|e| StoreError::Keyring(e.to_string()))?,
    );
    let tmp = path.with_extension("json.new");
    let _ = std::fs::remove_file(&tmp);
    let io =
        |e: std::io::Error| StoreError::Keyring(format!("cannot write {}: {e}", path.display()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates the first keyring without ever replacing one: the file is written and synced under a
/// name of its own, then hard-linked to its final name, which fails if it exists. Instances that
/// start together on a fresh data directory thus all end up with the one keyring that won.
fn create_keyring_file(path: &Path, file: &KeyringFile) -> Result<(), StoreError> {
    use std::io::Write as _;
    let text = Zeroizing::new(
        serde_json::to_string_pretty(file).map_err(|e| StoreError::Keyring(e.to_string()))?,
    );
    let tmp = path.with_extension(format!("json.{}.new", hex(&random_bytes::<8>()?)));
    let io =
        |e: std::io::Error| StoreError::Keyring(format!("cannot write {}: {e}", path.display()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            // A file system without hard links: fall back to a rename, atomic but racy.
            Err(_) => std::fs::rename(&tmp, path).map(|()| true),
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    if written.map_err(io)? {
        if let Some(dir) = path.parent()
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        tracing::info!(path = %path.display(), "created a new keyring; back it up: without it the reports cannot be read");
    }
    Ok(())
}

impl Vault {
    /// Opens the keyring from `POSTERN_KEYRING`, or from the data directory's keyring file,
    /// creating that file (mode 0600) on first start.
    pub fn open(data_dir: &Path) -> Result<Vault, StoreError> {
        if let Ok(text) = std::env::var(KEYRING_ENV) {
            let file: KeyringFile = serde_json::from_str(&text).map_err(|e| {
                StoreError::Keyring(format!(
                    "{KEYRING_ENV} does not hold a Postern keyring: {e}"
                ))
            })?;
            return Ok(Vault {
                keys: RwLock::new(Keys::from_file(&file)?),
                source: Source::Env,
                loaded_mtime: RwLock::new(None),
            });
        }
        let path = data_dir.join(KEYRING_FILE);
        if !path.exists() {
            let file = KeyringFile {
                case_key_secret: hex(&random_bytes::<KEY_BYTES>()?),
                master_keys: vec![MasterKeyEntry {
                    id: new_key_id()?,
                    key: hex(&random_bytes::<KEY_BYTES>()?),
                }],
            };
            create_keyring_file(&path, &file)?;
        }
        let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let file = read_keyring_file(&path)?;
        Ok(Vault {
            keys: RwLock::new(Keys::from_file(&file)?),
            source: Source::File(path),
            loaded_mtime: RwLock::new(mtime),
        })
    }

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-reads the keyring file, after another process rotated it.
    pub fn reload(&self) -> Result<(), StoreError> {
        let Source::File(path) = &self.source else {
            return Ok(());
        };
        let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let keys = Keys::from_file(&read_keyring_file(path)?)?;
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        *self.loaded_mtime.write().unwrap_or_else(|e| e.into_inner()) = mtime;
        Ok(())
    }

    /// Re-reads the keyring if its file changed since it was read (one `stat`).
    fn refresh(&self) -> Result<(), StoreError> {
        let Source::File(path) = &self.source else {
            return Ok(());
        };
        let now = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if now != *self.loaded_mtime.read().unwrap_or_else(|e| e.into_inner()) {
            self.reload()?;
        }
        Ok(())
    }

    /// The id of the master key that wraps new data keys.
    pub fn active_key_id(&self) -> String {
        self.keys()
            .master
            .last()
            .map(|(id, _)| id.clone())
            .unwrap_or_default()
    }

    /// Ids of every master key held.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys()
            .master
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The keyed hash under which a case key is stored and looked up.
    pub fn case_key_hash(&self, canonical_case_key: &[u8]) -> Vec<u8> {
        let keys = self.keys();
        let mut mac = <Hmac<Sha256>>::new_from_slice(&keys.case_key_secret)
            .expect("HMAC takes keys of any length");
        mac.update(b"postern case key v1\0");
        mac.update(canonical_case_key);
        mac.finalize().into_bytes().to_vec()
    }

    /// A key for one purpose, derived from the keyring's secret (so it needs no storage and
    /// is the same on every instance sharing the keyring).
    pub fn derived_key(&self, purpose: &str) -> [u8; KEY_BYTES] {
        let keys = self.keys();
        let mut mac = <Hmac<Sha256>>::new_from_slice(&keys.case_key_secret)
            .expect("HMAC takes keys of any length");
        mac.update(b"postern derived key v1\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Wraps a report's data key under the active master key; returns (key id, wrapped key).
    pub fn wrap(&self, report_id: &str, data_key: &[u8]) -> Result<(String, Vec<u8>), StoreError> {
        self.refresh()?;
        let keys = self.keys();
        let (id, master) = keys
            .master
            .last()
            .ok_or(StoreError::Crypto("no master key"))?;
        let aad = format!("postern data key v1\0{report_id}\0{id}");
        Ok((id.clone(), seal(master, aad.as_bytes(), data_key)?))
    }

    /// Unwraps a report's data key; re-reads the keyring once if the key id is unknown (another
    /// process may have rotated it).
    pub fn unwrap(
        &self,
        report_id: &str,
        key_id: &str,
        wrapped: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if !self.key_ids().iter().any(|id| id == key_id) {
            self.reload()?;
        }
        let keys = self.keys();
        let (_, master) = keys
            .master
            .iter()
            .find(|(id, _)| id == key_id)
            .ok_or_else(|| {
                StoreError::Keyring(format!("master key {key_id} is not in the keyring"))
            })?;
        let aad = format!("postern data key v1\0{report_id}\0{key_id}");
        open(master, aad.as_bytes(), wrapped)
    }

    /// Takes the keyring's rotation lock (an OS file lock on `keyring.lock`, released when the
    /// returned file is dropped or the process dies), so that two rotations cannot both read,
    /// change and write the keyring and lose a key. `None` for a keyring from the environment.
    pub fn lock_for_rotation(&self) -> Result<Option<std::fs::File>, StoreError> {
        let Source::File(path) = &self.source else {
            return Ok(None);
        };
        let lock_path = path.with_extension("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| {
                StoreError::Keyring(format!("cannot open {}: {e}", lock_path.display()))
            })?;
        file.lock().map_err(|e| {
            StoreError::Keyring(format!("cannot lock {}: {e}", lock_path.display()))
        })?;
        Ok(Some(file))
    }

    /// Writes the keyring as it is now into a new file (mode 0600; refused if the file exists),
    /// for a backup that carries it: whoever holds that file can read every report.
    pub fn write_copy(&self, path: &Path) -> Result<(), StoreError> {
        use std::io::Write as _;
        let file = {
            let keys = self.keys();
            KeyringFile {
                case_key_secret: hex(&keys.case_key_secret),
                master_keys: keys
                    .master
                    .iter()
                    .map(|(id, key)| MasterKeyEntry {
                        id: id.clone(),
                        key: hex(key),
                    })
                    .collect(),
            }
        };
        let text = Zeroizing::new(
            serde_json::to_string_pretty(&file).map_err(|e| StoreError::Keyring(e.to_string()))?,
        );
        let io = |e: std::io::Error| {
            StoreError::Keyring(format!("cannot write {}: {e}", path.display()))
        };
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// Adds a new active master key to the keyring file. Returns its id.
    pub fn add_master_key(&self) -> Result<String, StoreError> {
        let Source::File(path) = &self.source else {
            return Err(StoreError::Keyring(format!(
                "the keyring comes from {KEYRING_ENV}; rotate by editing that value"
            )));
        };
        let mut file = read_keyring_file(path)?;
        let id = new_key_id()?;
        file.master_keys.push(MasterKeyEntry {
            id: id.clone(),
            key: hex(&random_bytes::<KEY_BYTES>()?),
        });
        write_keyring_file(path, &file)?;
        self.reload()?;
        Ok(id)
    }

    /// Removes master keys from the keyring file; the caller has checked no row uses them.
    pub fn remove_master_keys(&self, ids: &[String]) -> Result<(), StoreError> {
        let Source::File(path) = &self.source else {
            return Ok(());
        };
        let mut file = read_keyring_file(path)?;
        file.master_keys.retain(|k| !ids.contains(&k.id));
        if file.master_keys.is_empty() {
            return Err(StoreError::Keyring(
                "refusing to remove the last master key".into(),
            ));
        }
        write_keyring_file(path, &file)?;
        self.reload()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_the_same_key_and_binding() {
        let key = [7u8; KEY_BYTES];
        let sealed = seal(&key, b"row 1/description", b"secret").unwrap();
        assert_eq!(
            &open(&key, b"row 1/description", &sealed).unwrap()[..],
            b"secret"
        );
        assert!(
            open(&key, b"row 2/description", &sealed).is_err(),
            "moved to another row"
        );
        assert!(open(&[8u8; KEY_BYTES], b"row 1/description", &sealed).is_err());
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(open(&key, b"row 1/description", &flipped).is_err());
        assert!(open(&key, b"", &sealed[..10]).is_err());
        // Same plaintext, fresh nonce: ciphertexts differ.
        assert_ne!(sealed, seal(&key, b"row 1/description", b"secret").unwrap());
    }

    #[test]
    fn the_keyring_file_is_private_and_a_shared_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        let path = dir.path().join(KEYRING_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (id, wrapped) = vault.wrap("r1", &[1u8; KEY_BYTES]).unwrap();
        assert_eq!(
            &vault.unwrap("r1", &id, &wrapped).unwrap()[..],
            &[1u8; KEY_BYTES]
        );
        assert!(vault.unwrap("r2", &id, &wrapped).is_err());

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = Vault::open(dir.path()).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
        assert!(
            !error.contains(&hex(&[1u8; 4])),
            "no key material in errors"
        );
    }

    #[test]
    fn instances_starting_together_share_one_new_keyring() {
        // Several processes may start at once on a fresh data directory; they must all end up
        // with the same keys, or reports sealed by the losers would be unreadable.
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let barrier = std::sync::Barrier::new(8);
            let seen: Vec<(String, Vec<u8>)> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        scope.spawn(|| {
                            barrier.wait();
                            let vault = Vault::open(dir.path()).unwrap();
                            (vault.active_key_id(), vault.case_key_hash(b"k"))
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert!(seen.windows(2).all(|w| w[0] == w[1]), "diverging keyrings");
            let leftovers: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .filter(|n| *n != KEYRING_FILE)
                .collect();
            assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
        }
    }

    #[test]
    fn case_key_hashes_are_keyed_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        let a = vault.case_key_hash(b"abc");
        assert_eq!(a, Vault::open(dir.path()).unwrap().case_key_hash(b"abc"));
        assert_ne!(a, vault.case_key_hash(b"abd"));
        let other = tempfile::tempdir().unwrap();
        assert_ne!(a, Vault::open(other.path()).unwrap().case_key_hash(b"abc"));
        vault.add_master_key().unwrap();
        assert_eq!(
            a,
            vault.case_key_hash(b"abc"),
            "rotation keeps case keys valid"
        );
    }
}
