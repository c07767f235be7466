//! The users who may call the service, from a JSON file (`--users FILE`):
//!
//! ```json
//! {"users": [{
//!   "name": "CORP\\alice",
//!   "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$…",
//!   "permissions": ["/workflows/instances/read/"],
//!   "scopes": ["configuration:manage,delete", "certificate:approve"],
//!   "identity": "local:{…}"
//! }]}
//! ```
//!
//! `name` is the Keyfactor login (`DOMAIN\user`) and the Venafi username;
//! names compare ignoring case. `identity` defaults to `local:<name>`.
//! Passwords are only ever held as argon2id hashes.
//!
//! Checking a password costs argon2's work (tens of milliseconds, on
//! purpose), and Keyfactor clients send their password on every request.
//! A successful check is remembered for [`VERIFIED_FOR`], keyed by a
//! SHA-256 of name and password under a key drawn at start, so the cache
//! holds nothing that reveals a password and a wrong password always pays
//! the full cost.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a checked password is remembered.
pub const VERIFIED_FOR: Duration = Duration::from_secs(60);

/// A user of the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// `DOMAIN\user`: the Keyfactor login and the Venafi username.
    pub name: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    /// Keyfactor permissions, such as `/workflows/instances/read/`.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Venafi scopes the user may ask for, such as
    /// `configuration:manage,delete`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The Venafi identity, a prefixed name; `local:<name>` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

impl User {
    /// The Venafi identity: the configured one or `local:<name>`.
    pub fn identity(&self) -> String {
        self.identity
            .clone()
            .unwrap_or_else(|| format!("local:{}", self.name))
    }

    /// Whether the user holds a Keyfactor permission (compared ignoring
    /// case and a missing trailing slash).
    pub fn has_permission(&self, permission: &str) -> bool {
        let want = permission.trim_end_matches('/');
        self.permissions
            .iter()
            .any(|p| p.trim_end_matches('/').eq_ignore_ascii_case(want))
    }
}

/// A users file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a users file.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A password could not be hashed, or no random bytes were available.
    #[error("{0}")]
    Crypto(String),
}

#[derive(Serialize, Deserialize, Default)]
struct File {
    users: Vec<User>,
}

/// The users, and the cache of recently checked passwords. Cheap to clone.
#[derive(Clone)]
pub struct Users {
    users: Arc<Vec<User>>,
    cache_key: [u8; 32],
    verified: Arc<Mutex<HashMap<[u8; 32], Instant>>>,
    /// Password checks that may run at once.
    checks: Arc<tokio::sync::Semaphore>,
}

impl Users {
    /// These users.
    pub fn new(users: Vec<User>) -> Result<Users, UsersError> {
        let mut cache_key = [0u8; 32];
        getrandom::fill(&mut cache_key).map_err(|e| UsersError::Crypto(e.to_string()))?;
        Ok(Users {
            users: Arc::new(users),
            cache_key,
            verified: Arc::new(Mutex::new(HashMap::new())),
            checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        })
    }

    /// Reads a users file; every entry's hash must be a PHC string.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let file = read_file(path)?;
        for (i, u) in file.users.iter().enumerate() {
            if let Err(e) = PasswordHash::new(&u.password_hash) {
                return Err(UsersError::Invalid {
                    path: path.display().to_string(),
                    message: format!("user {} ({:?}): password_hash: {e}", i + 1, u.name),
                });
            }
        }
        Users::new(file.users)
    }

    /// One administrator with every permission and scope and a random
    /// password, returned once for the caller to show: `kfql serve`
    /// without `--users`.
    pub fn with_random_admin(name: &str) -> Result<(Users, String), UsersError> {
        let password = random_token(18)?;
        let user = User {
            name: name.to_owned(),
            password_hash: hash_password(&password)?,
            permissions: vec!["/workflows/instances/read/".to_owned()],
            scopes: vec![
                "configuration:manage,delete".to_owned(),
                "certificate:approve".to_owned(),
            ],
            identity: None,
        };
        Ok((Users::new(vec![user])?, password))
    }

    /// Every user.
    pub fn all(&self) -> &[User] {
        &self.users
    }

    /// The user with this name (ignoring case).
    pub fn find(&self, name: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.name.eq_ignore_ascii_case(name))
    }

    /// The user if the password is theirs. Runs argon2 on a blocking
    /// thread unless the pair was checked in the last `VERIFIED_FOR` (one minute).
    pub async fn verify(&self, name: &str, password: &str) -> Option<User> {
        let user = self.find(name)?.clone();
        let key = self.cache_slot(&user.name, password);
        if self.recently_verified(&key) {
            return Some(user);
        }
        // Each check holds argon2's 19 MiB: a burst of requests (64
        // connections whose cached check has just expired, or a flood of
        // wrong passwords) would hold that many at once (measured: 1.2 GB).
        // Checks wait for one of a few permits, and look at the cache
        // again once they have one: the first check of a burst serves the
        // rest.
        let _permit = self.checks.acquire().await.ok()?;
        if self.recently_verified(&key) {
            return Some(user);
        }
        let hash = user.password_hash.clone();
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|h| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        if !ok {
            return None;
        }
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() > 10_000 {
            verified.retain(|_, at| at.elapsed() < VERIFIED_FOR);
        }
        verified.insert(key, Instant::now());
        Some(user)
    }

    /// Whether this name and password passed a check in the last
    /// `VERIFIED_FOR`.
    fn recently_verified(&self, key: &[u8; 32]) -> bool {
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        match verified.get(key) {
            Some(at) if at.elapsed() < VERIFIED_FOR => true,
            Some(_) => {
                verified.remove(key);
                false
            }
            None => false,
        }
    }

    fn cache_slot(&self, name: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.cache_key);
        h.update(name.to_lowercase().as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        h.finalize().into()
    }
}

/// Adds or replaces `user` in the users file at `path`, creating it.
/// The file is written whole to a temporary file and renamed over.
pub fn add_user(path: &Path, user: User) -> Result<(), UsersError> {
    let mut file = if path.exists() {
        read_file(path)?
    } else {
        File::default()
    };
    file.users
        .retain(|u| !u.name.eq_ignore_ascii_case(&user.name));
    file.users.push(user);
    let io = |source| UsersError::Io {
        path: path.display().to_string(),
        source,
    };
    let text = serde_json::to_string_pretty(&file).expect("users serialize");
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text + "\n").map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// An argon2id PHC string for `password`, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, UsersError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| UsersError::Crypto(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| UsersError::Crypto(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Crypto(e.to_string()))
}

/// `bytes` random bytes from the OS, as unpadded URL-safe base64.
pub fn random_token(bytes: usize) -> Result<String, UsersError> {
    use base64::Engine as _;
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| UsersError::Crypto(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

fn read_file(path: &Path) -> Result<File, UsersError> {
    let text = std::fs::read_to_string(path).map_err(|source| UsersError::Io {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| UsersError::Invalid {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}
