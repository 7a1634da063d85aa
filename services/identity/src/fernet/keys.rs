use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use fernet::{Fernet, MultiFernet};

use super::TokenPayload;

/// A Keystone key repository: files named by index; `0` is the staged key, the
/// highest index is the primary (used to encrypt), the rest are secondaries.
#[derive(Debug, Clone)]
pub struct KeyRepository {
    dir: PathBuf,
    max_active_keys: usize,
}

/// Why keys could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("fernet key repository {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("fernet key repository {0} has no keys; run `ferrostack-identity fernet setup`")]
    Empty(PathBuf),
    #[error("fernet key file {0} is not a valid key")]
    Invalid(PathBuf),
}

impl KeyRepository {
    pub fn new(dir: impl Into<PathBuf>, max_active_keys: usize) -> Self {
        KeyRepository {
            dir: dir.into(),
            max_active_keys: max_active_keys.max(2),
        }
    }

    /// Creates the repository with a staged and a primary key unless keys exist.
    pub fn setup(&self) -> Result<(), KeyError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e))?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| self.io(e))?;
        if !self.read_keys()?.is_empty() {
            return Ok(());
        }
        self.write_key(0)?;
        self.rotate()
    }

    /// Promotes the staged key to primary, stages a new key and prunes the oldest
    /// secondaries beyond `max_active_keys` (as `keystone-manage fernet_rotate`).
    pub fn rotate(&self) -> Result<(), KeyError> {
        let keys = self.read_keys()?;
        let Some(&current_primary) = keys.keys().next_back() else {
            return Err(KeyError::Empty(self.dir.clone()));
        };
        let new_primary = current_primary + 1;
        if keys.contains_key(&0) {
            std::fs::rename(self.dir.join("0"), self.dir.join(new_primary.to_string()))
                .map_err(|e| self.io(e))?;
        } else {
            self.write_key(new_primary)?;
        }
        self.write_key(0)?;
        let mut indexes: Vec<u64> = self.read_keys()?.into_keys().filter(|&i| i != 0).collect();
        while indexes.len() + 1 > self.max_active_keys {
            let oldest = indexes.remove(0);
            std::fs::remove_file(self.dir.join(oldest.to_string())).map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    /// Loads every key: the primary encrypts, all of them decrypt.
    pub fn load(&self) -> Result<KeySet, KeyError> {
        let mut keys = self.read_keys()?;
        let staged = keys.remove(&0);
        let ordered: Vec<(u64, String)> = keys
            .into_iter()
            .rev()
            .chain(staged.map(|key| (0, key)))
            .collect();
        let mut fernets = Vec::with_capacity(ordered.len());
        for (index, key) in &ordered {
            let fernet = Fernet::new(key)
                .ok_or_else(|| KeyError::Invalid(self.dir.join(index.to_string())))?;
            fernets.push(fernet);
        }
        if fernets.is_empty() {
            return Err(KeyError::Empty(self.dir.clone()));
        }
        let primary = Fernet::new(&ordered[0].1).expect("validated above");
        let digest = <sha2::Sha256 as sha2::Digest>::digest(ordered[0].1.as_bytes());
        Ok(KeySet {
            primary,
            primary_hash: digest.iter().map(|b| format!("{b:02x}")).collect(),
            all: MultiFernet::new(fernets),
        })
    }

    fn read_keys(&self) -> Result<BTreeMap<u64, String>, KeyError> {
        let mut keys = BTreeMap::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(keys),
            Err(e) => return Err(self.io(e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| self.io(e))?;
            let Some(index) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            let text = std::fs::read_to_string(entry.path()).map_err(|e| self.io(e))?;
            keys.insert(index, text.trim().to_string());
        }
        Ok(keys)
    }

    /// Writes a new random key atomically with mode 0600.
    fn write_key(&self, index: u64) -> Result<(), KeyError> {
        let tmp = self.dir.join(format!(".{index}.tmp"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| self.io(e))?;
        file.write_all(Fernet::generate_key().as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| self.io(e))?;
        std::fs::rename(&tmp, self.dir.join(index.to_string())).map_err(|e| self.io(e))
    }

    fn io(&self, e: std::io::Error) -> KeyError {
        KeyError::Io(self.dir.clone(), e)
    }

    /// The repository directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Loaded keys.
pub struct KeySet {
    primary: Fernet,
    /// SHA-256 of the primary key: which key encrypted a stored secret.
    primary_hash: String,
    all: MultiFernet,
}

impl KeySet {
    /// Encrypts `data` with the primary key (Fernet text).
    pub fn encrypt(&self, data: &[u8]) -> String {
        self.primary.encrypt(data)
    }

    /// Decrypts what any of the keys encrypted.
    pub fn decrypt(&self, text: &str) -> Option<Vec<u8>> {
        self.all.decrypt(text).ok()
    }

    /// Names the primary key without revealing it.
    pub fn primary_hash(&self) -> &str {
        &self.primary_hash
    }

    /// Encrypts a payload with the primary key; the token is unpadded like Keystone's.
    pub fn seal(&self, payload: &TokenPayload) -> String {
        let mut token = self.primary.encrypt(&payload.to_msgpack());
        while token.ends_with('=') {
            token.pop();
        }
        token
    }

    /// Decrypts with any key and returns the payload and the creation time (unix
    /// seconds from the Fernet header), or `None` for anything that is not a valid
    /// token of ours.
    pub fn open(&self, token: &str) -> Option<(TokenPayload, i64)> {
        if token.len() > 1024 {
            return None;
        }
        let plaintext = self.all.decrypt(token).ok()?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .ok()?;
        let issued_at = i64::from_be_bytes(raw.get(1..9)?.try_into().ok()?);
        Some((TokenPayload::from_msgpack(&plaintext)?, issued_at))
    }
}

/// A repository's keys as loaded, reloaded after a rotation by another process.
pub struct LiveKeys {
    repository: KeyRepository,
    keys: std::sync::RwLock<std::sync::Arc<KeySet>>,
}

impl LiveKeys {
    /// Loads `repository`.
    pub fn load(repository: KeyRepository) -> Result<Self, KeyError> {
        let keys = repository.load()?;
        Ok(LiveKeys {
            repository,
            keys: std::sync::RwLock::new(std::sync::Arc::new(keys)),
        })
    }

    /// The keys now.
    pub fn current(&self) -> std::sync::Arc<KeySet> {
        self.keys.read().expect("keys lock").clone()
    }

    /// Re-reads the repository; on failure the keys in use stay.
    pub fn reload(&self) {
        match self.repository.load() {
            Ok(keys) => *self.keys.write().expect("keys lock") = std::sync::Arc::new(keys),
            Err(err) => tracing::warn!(%err, "cannot reload keys"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fernet::{AuthMethod, TokenScope};

    fn temp_repo(tag: &str, max: usize) -> KeyRepository {
        let dir = std::env::temp_dir().join(format!("ferro-fernet-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        KeyRepository::new(dir, max)
    }

    fn payload() -> TokenPayload {
        TokenPayload {
            user_id: "0123456789abcdef0123456789abcdef".into(),
            methods: vec![AuthMethod::Password],
            scope: TokenScope::Project("fedcba9876543210fedcba9876543210".into()),
            expires_at: 1_900_000_000.0,
            audit_ids: vec!["AAAAAAAAAAAAAAAAAAAAAA".into()],
        }
    }

    fn indexes(repo: &KeyRepository) -> Vec<u64> {
        repo.read_keys().unwrap().into_keys().collect()
    }

    #[test]
    fn setup_creates_staged_and_primary_once() {
        let repo = temp_repo("setup", 3);
        repo.setup().unwrap();
        assert_eq!(indexes(&repo), vec![0, 1]);
        repo.setup().unwrap();
        assert_eq!(indexes(&repo), vec![0, 1]);
        std::fs::remove_dir_all(repo.dir()).unwrap();
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_until_pruned() {
        let repo = temp_repo("rotate", 3);
        repo.setup().unwrap();
        let token = repo.load().unwrap().seal(&payload());
        assert!(!token.ends_with('='));
        repo.rotate().unwrap();
        assert_eq!(indexes(&repo), vec![0, 1, 2]);
        let (decoded, issued_at) = repo.load().unwrap().open(&token).unwrap();
        assert_eq!(decoded, payload());
        assert!(issued_at > 1_600_000_000);
        repo.rotate().unwrap();
        assert_eq!(indexes(&repo), vec![0, 2, 3]);
        assert!(
            repo.load().unwrap().open(&token).is_none(),
            "key 1 was pruned"
        );
        std::fs::remove_dir_all(repo.dir()).unwrap();
    }

    #[test]
    fn staged_key_decrypts_before_promotion() {
        let repo = temp_repo("staged", 3);
        repo.setup().unwrap();
        let staged = std::fs::read_to_string(repo.dir.join("0")).unwrap();
        let token = Fernet::new(&staged)
            .unwrap()
            .encrypt(&payload().to_msgpack());
        assert!(repo.load().unwrap().open(&token).is_some());
        std::fs::remove_dir_all(repo.dir()).unwrap();
    }

    #[test]
    fn garbage_is_rejected() {
        let repo = temp_repo("garbage", 3);
        repo.setup().unwrap();
        let keys = repo.load().unwrap();
        assert!(keys.open("not-a-token").is_none());
        assert!(keys.open("").is_none());
        let mut token = keys.seal(&payload());
        token.replace_range(10..11, if &token[10..11] == "A" { "B" } else { "A" });
        assert!(keys.open(&token).is_none());
        std::fs::remove_dir_all(repo.dir()).unwrap();
    }
}
