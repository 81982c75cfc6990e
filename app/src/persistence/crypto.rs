//! Encryption at rest for stored webhook secrets: XChaCha20-Poly1305 with a
//! random 192-bit nonce per value and associated data that binds each
//! ciphertext to its tenant, endpoint and secret kind (so a ciphertext copied
//! to another row does not decrypt).
//!
//! The same key also keys the hashes of search terms (a blind index): a
//! tenant can find its events by call id or extension number although the
//! bodies are encrypted, and the stored hashes say nothing without the key.

use anyhow::{anyhow, bail, Context};
use base64::{engine::general_purpose::STANDARD, Engine};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, RngCore};
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::{fmt, path::Path};

use super::entities::app_setting;

const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
const KEY_CHECK_NAME: &str = "secret_key_check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"eventurl secret key check v1";

/// The key that encrypts stored secrets. `Debug` never shows it.
#[derive(Clone)]
pub struct SecretCipher {
    cipher: XChaCha20Poly1305,
    /// HMAC-SHA-256 keyed with a key derived from the secret key, for
    /// search terms (`term_hash`).
    terms: Hmac<sha2::Sha256>,
}

/// Bytes kept of a search term's hash: enough that two terms of a tenant
/// never collide in practice, small in the index.
pub const TERM_HASH_LEN: usize = 16;

impl fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretCipher([redacted])")
    }
}

impl SecretCipher {
    /// From the base64 text of a 32-byte key (`EVENTURL_SECRET_KEY` or the key file).
    pub fn from_base64(encoded: &SecretString) -> anyhow::Result<Self> {
        let bytes = SecretBox::new(Box::new(
            STANDARD
                .decode(encoded.expose_secret().trim())
                .map_err(|_| anyhow!("the key is not valid base64"))?,
        ));
        if bytes.expose_secret().len() != KEY_LEN {
            bail!(
                "the key must be {KEY_LEN} bytes (base64 of 32 random bytes, e.g. `openssl rand -base64 32`), got {}",
                bytes.expose_secret().len()
            );
        }
        let cipher = XChaCha20Poly1305::new_from_slice(bytes.expose_secret())
            .map_err(|_| anyhow!("the key has the wrong length"))?;
        // A key of its own for the search terms, derived from the secret
        // key (HMAC as the PRF), so no hash is ever made with the AEAD key.
        let mut derive = <Hmac<sha2::Sha256> as Mac>::new_from_slice(bytes.expose_secret())
            .map_err(|_| anyhow!("the key has the wrong length"))?;
        derive.update(b"eventurl/v1/search-terms");
        let terms_key = SecretBox::new(Box::new(derive.finalize().into_bytes().to_vec()));
        let terms = <Hmac<sha2::Sha256> as Mac>::new_from_slice(terms_key.expose_secret())
            .map_err(|_| anyhow!("the key has the wrong length"))?;
        Ok(Self { cipher, terms })
    }

    /// A fresh random key, as base64 text.
    pub fn generate_key() -> SecretString {
        let mut key = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut key);
        let encoded = SecretString::from(STANDARD.encode(key));
        key.fill(0);
        encoded
    }

    /// A random key for tests.
    pub fn for_testing() -> Self {
        Self::from_base64(&Self::generate_key()).expect("a generated key is valid")
    }

    /// Reads the key file, creating it (owner-only) with a fresh key when missing.
    pub fn from_key_file(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            if let Some(dir) = path.parent() {
                super::private_files::create_dir(dir)
                    .with_context(|| format!("creating the folder of {}", path.display()))?;
            }
            write_owner_only(path, Self::generate_key().expose_secret().as_bytes())
                .with_context(|| format!("creating the key file {}", path.display()))?;
            tracing::info!(path = %path.display(), "created a new secret-encryption key file; back it up with the database");
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the key file {}", path.display()))?;
        Self::from_base64(&SecretString::from(text))
            .with_context(|| format!("the key file {} is not usable", path.display()))
    }

    /// The keyed hash of a tenant's search term (`kind:value`, e.g.
    /// `call:Q0sX…` or `ext:101`): equal for equal terms of one tenant.
    pub fn term_hash(&self, tenant_id: i32, term: &str) -> Vec<u8> {
        let mut mac = self.terms.clone();
        mac.update(&tenant_id.to_be_bytes());
        mac.update(term.as_bytes());
        mac.finalize().into_bytes()[..TERM_HASH_LEN].to_vec()
    }

    pub fn encrypt(&self, plaintext: &[u8], context: &str) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("encryption failed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    pub fn decrypt(&self, stored: &[u8], context: &str) -> anyhow::Result<SecretBox<Vec<u8>>> {
        if stored.len() < NONCE_LEN {
            bail!("stored secret is truncated");
        }
        let (nonce, ciphertext) = stored.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("stored secret does not decrypt with this key"))?;
        Ok(SecretBox::new(Box::new(plaintext)))
    }

    /// Proves at start that this key is the one that encrypted the
    /// database's secrets, storing a check value on first use.
    pub async fn verify_against(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        if app_setting::Entity::find_by_id(KEY_CHECK_NAME)
            .one(db)
            .await?
            .is_none()
        {
            let check = app_setting::ActiveModel {
                name: Set(KEY_CHECK_NAME.to_owned()),
                value: Set(self.encrypt(KEY_CHECK_PLAINTEXT, KEY_CHECK_NAME)?),
            };
            // Another instance may have stored its check value first; the
            // read below then decides.
            app_setting::Entity::insert(check)
                .on_conflict_do_nothing_on([app_setting::Column::Name])
                .exec(db)
                .await?;
        }
        let stored = app_setting::Entity::find_by_id(KEY_CHECK_NAME)
            .one(db)
            .await?
            .context("the key check value vanished")?;
        match self.decrypt(&stored.value, KEY_CHECK_NAME) {
            Ok(plain) if plain.expose_secret() == KEY_CHECK_PLAINTEXT => Ok(()),
            _ => bail!(
                "the secret-encryption key (EVENTURL_SECRET_KEY, or the key file) is not the key that \
                 encrypted this database's secrets; use the original key"
            ),
        }
    }
}

#[cfg(unix)]
fn write_owner_only(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_owner_only(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// A new bearer credential of ours (an ingest key, an API token): `prefix`
/// and 256 random bits, base64url. Shown once; only its `digest` is kept.
pub fn new_bearer_credential(prefix: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored of such a credential, and looked up by: its SHA-256, hex.
pub fn credential_digest(credential: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(credential.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_the_same_key_and_context() {
        let cipher = SecretCipher::for_testing();
        let sealed = cipher.encrypt(b"hunter2", "tenant=1").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(
            cipher.decrypt(&sealed, "tenant=1").unwrap().expose_secret(),
            b"hunter2"
        );
    }

    #[test]
    fn term_hashes_match_per_tenant_and_key_only() {
        let cipher = SecretCipher::for_testing();
        let a = cipher.term_hash(1, "ext:101");
        assert_eq!(a.len(), TERM_HASH_LEN);
        assert_eq!(a, cipher.term_hash(1, "ext:101"));
        assert_ne!(a, cipher.term_hash(2, "ext:101"), "another tenant");
        assert_ne!(a, cipher.term_hash(1, "ext:102"), "another term");
        assert_ne!(
            a,
            SecretCipher::for_testing().term_hash(1, "ext:101"),
            "another key"
        );
    }

    #[test]
    fn each_encryption_uses_a_fresh_nonce() {
        let cipher = SecretCipher::for_testing();
        assert_ne!(
            cipher.encrypt(b"x", "c").unwrap(),
            cipher.encrypt(b"x", "c").unwrap()
        );
    }

    #[test]
    fn a_wrong_key_fails_instead_of_returning_garbage() {
        let sealed = SecretCipher::for_testing()
            .encrypt(b"hunter2", "c")
            .unwrap();
        assert!(SecretCipher::for_testing().decrypt(&sealed, "c").is_err());
    }

    #[test]
    fn a_ciphertext_moved_to_another_context_does_not_decrypt() {
        let cipher = SecretCipher::for_testing();
        let sealed = cipher.encrypt(b"hunter2", "tenant=1").unwrap();
        assert!(cipher.decrypt(&sealed, "tenant=2").is_err());
        assert!(cipher.decrypt(&sealed[..10], "tenant=1").is_err());
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(SecretCipher::from_base64(&SecretString::from("not base64!")).is_err());
        assert!(
            SecretCipher::from_base64(&SecretString::from(STANDARD.encode([0u8; 16]))).is_err()
        );
        assert!(SecretCipher::from_base64(&SecretString::from(STANDARD.encode([7u8; 32]))).is_ok());
    }

    #[test]
    fn the_key_file_is_created_once_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/secret.key");
        let first = SecretCipher::from_key_file(&path).unwrap();
        let sealed = first.encrypt(b"x", "c").unwrap();
        let again = SecretCipher::from_key_file(&path).unwrap();
        assert_eq!(again.decrypt(&sealed, "c").unwrap().expose_secret(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
