//! Encryption at rest. From the KEK, HKDF-SHA256 derives two keys: one seals records with
//! AES-256-GCM, the other keys the HMAC-SHA256 that turns index values into opaque index keys. A
//! sealed value is a random 96-bit nonce followed by the ciphertext and tag; the associated data
//! binds it to where it is stored.

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use hmac::Mac;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::index::IndexTerm;
use crate::kek::Kek;
use crate::{StoreError, StoreResult};

const NONCE_LEN: usize = 12;
/// The length of an index MAC kept in an index key: 128 bits is ample against collisions between
/// the values of one store.
pub const INDEX_MAC_LEN: usize = 16;

/// The keyed HMAC state is key material: it must wipe itself when dropped. `Hmac` carries no
/// marker of its own, but all it holds is two SHA-256 cores and a block buffer, which do.
const _: () = {
    const fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroized_on_drop::<<Sha256 as sha2::digest::block_api::CoreProxy>::Core>();
    zeroized_on_drop::<sha2::digest::block_api::Buffer<<Sha256 as sha2::digest::block_api::CoreProxy>::Core>>();
};

/// The keys derived from a KEK.
pub struct Sealer {
    cipher: Aes256Gcm,
    /// The HMAC keyed once: each index key clones it instead of hashing the key pads again.
    index_mac: hmac::Hmac<Sha256>,
}

impl Sealer {
    pub fn new(kek: &Kek) -> Sealer {
        let hkdf = Hkdf::<Sha256>::new(Some(b"keyward store"), kek.bytes());
        let mut record_key = Zeroizing::new([0u8; 32]);
        let mut index_key = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit of 8160, so expansion cannot fail.
        let _ = hkdf.expand(b"record sealing v1", record_key.as_mut());
        let _ = hkdf.expand(b"index mac v1", index_key.as_mut());
        let cipher = Aes256Gcm::new_from_slice(record_key.as_ref()).expect("the record key is 32 bytes");
        let index_mac = <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(index_key.as_ref())
            .expect("HMAC accepts keys of any length");
        Sealer { cipher, index_mac }
    }

    /// Encrypts `plaintext`, bound to `context`.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> StoreResult<Vec<u8>> {
        let nonce = Nonce::generate();
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: context })
            .map_err(|_| StoreError::Backend("encryption failed".into()))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(nonce.as_slice());
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts what [`Sealer::seal`] made with the same context. A wrong key or a tampered value
    /// fails the tag check.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::Corrupt("sealed value too short".into()));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| StoreError::Corrupt("bad nonce".into()))?;
        self.cipher
            .decrypt(&nonce, Payload { msg: ciphertext, aad: context })
            .map(Zeroizing::new)
            .map_err(|_| StoreError::Corrupt("authentication tag mismatch".into()))
    }

    /// The opaque form of an index term: its kind, then a MAC of the value.
    pub fn index_key(&self, term: &IndexTerm) -> [u8; 1 + INDEX_MAC_LEN] {
        let mut mac = self.index_mac.clone();
        mac.update(&[term.kind as u8]);
        mac.update(&term.value);
        let digest = mac.finalize().into_bytes();
        let mut key = [0u8; 1 + INDEX_MAC_LEN];
        key[0] = term.kind as u8;
        key[1..].copy_from_slice(&digest[..INDEX_MAC_LEN]);
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_detects_a_wrong_key_or_context() {
        let sealer = Sealer::new(&Kek::from_bytes([7; 32]));
        let sealed = sealer.seal(b"key material", b"uid-1").unwrap();
        assert!(!sealed.windows(12).any(|w| w == b"key material"));
        assert_eq!(&sealer.open(&sealed, b"uid-1").unwrap()[..], b"key material");
        assert!(sealer.open(&sealed, b"uid-2").is_err());
        assert!(Sealer::new(&Kek::from_bytes([8; 32])).open(&sealed, b"uid-1").is_err());
    }

    #[test]
    fn index_keys_hide_values_but_are_stable() {
        let sealer = Sealer::new(&Kek::from_bytes([7; 32]));
        let a = sealer.index_key(&IndexTerm::name("payroll"));
        assert_eq!(a, sealer.index_key(&IndexTerm::name("payroll")));
        assert_ne!(a, sealer.index_key(&IndexTerm::name("payroll2")));
        assert_ne!(a, sealer.index_key(&IndexTerm::object_group("payroll")));
        assert!(!a.windows(7).any(|w| w == b"payroll"));
    }
}
