//! Encryption of connection credentials at rest.
//!
//! AES-256-GCM with a random 96-bit nonce per message. Each ciphertext is
//! stored beside the id of the key that sealed it (the first 16 hex digits of
//! the key's SHA-256), so a [`Keyring`] holding the new key and the retired
//! ones can open old rows while `inlet admin rotate-master-key` re-seals them.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{CoreError, CoreResult};

const NONCE_LEN: usize = 12;
/// Associated data binding ciphertexts to their purpose.
const AAD: &[u8] = b"inlet.connection.secrets.v1";
/// Associated data of the store's master-key check value: a purpose of its
/// own, so a check value can never be taken for sealed credentials.
const CHECK_AAD: &[u8] = b"inlet.master-key-check.v1";
/// The known plaintext of the check value.
const CHECK_PLAINTEXT: &[u8] = b"inlet master key check";

/// One 256-bit master key.
pub struct MasterKey {
    id: String,
    cipher: Aes256Gcm,
}

impl MasterKey {
    /// Builds a key from 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> CoreResult<Self> {
        if bytes.len() != 32 {
            return Err(CoreError::Crypto(format!(
                "a master key is 32 bytes, got {}",
                bytes.len()
            )));
        }
        let digest = Sha256::digest(bytes);
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let cipher = Aes256Gcm::new_from_slice(bytes)
            .map_err(|_| CoreError::Crypto("invalid master key length".into()))?;
        Ok(Self { id, cipher })
    }

    /// Parses the base64 form used in `INLET_MASTER_KEY` and key files.
    pub fn from_base64(text: &str) -> CoreResult<Self> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| CoreError::Crypto("master key is not valid base64".into()))?,
        );
        Self::from_bytes(&bytes)
    }

    /// A fresh random key, returned with its base64 form (to be written once).
    pub fn generate() -> (Self, Zeroizing<String>) {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        let text = Zeroizing::new(STANDARD.encode(bytes.as_ref()));
        // 32 bytes always make a valid key.
        let key = Self::from_bytes(bytes.as_ref()).unwrap_or_else(|_| unreachable!());
        (key, text)
    }

    /// The key id stored beside ciphertexts.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A sealed value: ciphertext (nonce ‖ ciphertext ‖ tag) and the sealing key's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the master key that sealed `data`.
    pub key_id: String,
    /// Nonce followed by the AEAD output.
    pub data: Vec<u8>,
}

/// The current master key plus retired keys that may still open old rows.
pub struct Keyring {
    current: MasterKey,
    retired: Vec<MasterKey>,
}

impl Keyring {
    /// A keyring sealing with `current` and opening with it or any of `retired`.
    pub fn new(current: MasterKey, retired: Vec<MasterKey>) -> Self {
        Self { current, retired }
    }

    /// The id new ciphertexts are sealed under.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// Encrypts `plaintext` under the current key.
    pub fn seal(&self, plaintext: &[u8]) -> CoreResult<Sealed> {
        self.seal_for(plaintext, AAD)
    }

    /// Decrypts a sealed value with whichever key sealed it.
    pub fn open(&self, sealed: &Sealed) -> CoreResult<Zeroizing<Vec<u8>>> {
        self.open_for(sealed, AAD)
    }

    /// A check value for the store: a known plaintext sealed under the
    /// current key. A key that opens it is the key the store's secrets are
    /// sealed with, so a wrong key is found at start rather than at the
    /// first use of a secret.
    pub fn seal_check(&self) -> CoreResult<Sealed> {
        self.seal_for(CHECK_PLAINTEXT, CHECK_AAD)
    }

    /// Whether this keyring (current or retired keys) opens `check` to the
    /// known plaintext.
    pub fn opens_check(&self, check: &Sealed) -> bool {
        self.open_for(check, CHECK_AAD)
            .is_ok_and(|plain| plain.as_slice() == CHECK_PLAINTEXT)
    }

    fn seal_for(&self, plaintext: &[u8], aad: &[u8]) -> CoreResult<Sealed> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let n = Nonce::try_from(&nonce[..])
            .map_err(|_| CoreError::Crypto("bad nonce length".into()))?;
        let ct = self
            .current
            .cipher
            .encrypt(
                &n,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| CoreError::Crypto("encryption failed".into()))?;
        let mut data = Vec::with_capacity(NONCE_LEN + ct.len());
        data.extend_from_slice(&nonce);
        data.extend_from_slice(&ct);
        Ok(Sealed {
            key_id: self.current.id.clone(),
            data,
        })
    }

    fn open_for(&self, sealed: &Sealed, aad: &[u8]) -> CoreResult<Zeroizing<Vec<u8>>> {
        let key = std::iter::once(&self.current)
            .chain(self.retired.iter())
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| {
                CoreError::Crypto(format!(
                    "no master key with id {} is configured",
                    sealed.key_id
                ))
            })?;
        if sealed.data.len() < NONCE_LEN {
            return Err(CoreError::Crypto("ciphertext too short".into()));
        }
        let (nonce, ct) = sealed.data.split_at(NONCE_LEN);
        let n = Nonce::try_from(nonce).map_err(|_| CoreError::Crypto("bad nonce length".into()))?;
        key.cipher
            .decrypt(&n, Payload { msg: ct, aad })
            .map(Zeroizing::new)
            .map_err(|_| CoreError::Crypto("decryption failed (wrong key or tampered data)".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_rotation() {
        let (old, _) = MasterKey::generate();
        let old_id = old.id().to_owned();
        let ring = Keyring::new(old, vec![]);
        let sealed = ring.seal(b"s3cret").unwrap();
        assert_eq!(sealed.key_id, old_id);
        assert!(!sealed.data.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(ring.open(&sealed).unwrap().as_slice(), b"s3cret");

        // A new keyring with the old key retired still opens, and seals under the new id.
        let Keyring { current: old, .. } = ring;
        let (new, _) = MasterKey::generate();
        let ring = Keyring::new(new, vec![old]);
        assert_eq!(ring.open(&sealed).unwrap().as_slice(), b"s3cret");
        assert_ne!(ring.seal(b"x").unwrap().key_id, old_id);
    }

    #[test]
    fn check_values_open_only_under_their_key_and_purpose() {
        let (k, _) = MasterKey::generate();
        let ring = Keyring::new(k, vec![]);
        let check = ring.seal_check().unwrap();
        assert_eq!(check.key_id, ring.current_id());
        assert!(ring.opens_check(&check));
        // Another key does not, whatever id the value claims.
        let (other, _) = MasterKey::generate();
        let other = Keyring::new(other, vec![]);
        assert!(!other.opens_check(&check));
        let mut claimed = check.clone();
        claimed.key_id = other.current_id().to_owned();
        assert!(!other.opens_check(&claimed));
        // A retired key still opens it (a rotation in progress).
        let Keyring { current: old, .. } = ring;
        let (new, _) = MasterKey::generate();
        let rotated = Keyring::new(new, vec![old]);
        assert!(rotated.opens_check(&check));
        // Purposes do not mix: sealed credentials are no check value, and
        // a check value opens as no credentials.
        assert!(!rotated.opens_check(&rotated.seal(CHECK_PLAINTEXT).unwrap()));
        assert!(rotated.open(&check).is_err());
    }

    #[test]
    fn tampering_and_unknown_keys_fail() {
        let (k, text) = MasterKey::generate();
        let ring = Keyring::new(k, vec![]);
        let mut sealed = ring.seal(b"abc").unwrap();
        let last = sealed.data.len() - 1;
        sealed.data[last] ^= 1;
        assert!(ring.open(&sealed).is_err());
        sealed.key_id = "nope".into();
        assert!(ring.open(&sealed).is_err());
        assert!(MasterKey::from_base64(&text).is_ok());
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    }
}
