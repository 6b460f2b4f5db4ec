//! Secrets at rest (TOTP seeds now, ESB consumer keys later): AES-256-GCM under the
//! installation's data key, a fresh random nonce per value. The key comes from configuration
//! (`security.data_key`, 32 bytes in base64); `quanyi dev` keeps one in `var/`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

const NONCE_LEN: usize = 12;

/// Encrypts and decrypts small values; cheap to clone.
#[derive(Clone)]
pub struct DataKey(Aes256Gcm);

/// Never shows the key.
impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DataKeyError {
    #[error("the data key must be 32 bytes in base64")]
    Malformed,
    #[error("a stored secret does not decrypt under this data key")]
    Undecryptable,
}

impl DataKey {
    /// A key from its base64 text (configuration or the dev key file).
    pub fn from_base64(text: &str) -> Result<Self, DataKeyError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| DataKeyError::Malformed)?;
        if bytes.len() != 32 {
            return Err(DataKeyError::Malformed);
        }
        Ok(Self(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes))))
    }

    /// A new random key in base64, for `quanyi dev` and the tests.
    pub fn generate_base64() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        STANDARD.encode(bytes)
    }

    /// nonce ‖ ciphertext ‖ tag
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        self.seal_bound(plain, b"")
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, DataKeyError> {
        self.open_bound(sealed, b"")
    }

    /// Like [`DataKey::seal`], the value bound to `context` (authenticated, not stored): it opens
    /// only with the same context, so a sealed value copied to another row does not open there.
    pub fn seal_bound(&self, plain: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain,
            aad: context,
        };
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("AES-GCM encrypts any input shorter than 64 GiB");
        [nonce.as_slice(), &sealed].concat()
    }

    pub fn open_bound(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, DataKeyError> {
        if sealed.len() < NONCE_LEN {
            return Err(DataKeyError::Undecryptable);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let payload = Payload {
            msg: body,
            aad: context,
        };
        self.0
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| DataKeyError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_under_its_key_and_never_twice_the_same() {
        let key = DataKey::from_base64(&DataKey::generate_base64()).unwrap();
        let other = DataKey::from_base64(&DataKey::generate_base64()).unwrap();
        let a = key.seal(b"JBSWY3DPEHPK3PXP");
        let b = key.seal(b"JBSWY3DPEHPK3PXP");
        assert_ne!(a, b, "a fresh nonce per value");
        assert_eq!(key.open(&a).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(other.open(&a).is_err());
        let mut tampered = a.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(&tampered).is_err());
    }

    #[test]
    fn a_bound_value_opens_only_in_its_context() {
        let key = DataKey::from_base64(&DataKey::generate_base64()).unwrap();
        let sealed = key.seal_bound(b"13812345678", b"C10000001");
        assert_eq!(
            key.open_bound(&sealed, b"C10000001").unwrap(),
            b"13812345678"
        );
        assert!(key.open_bound(&sealed, b"C10000002").is_err());
        assert!(key.open(&sealed).is_err());
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(DataKey::from_base64("not base64!").is_err());
        assert!(DataKey::from_base64(&STANDARD.encode([0u8; 16])).is_err());
    }
}
