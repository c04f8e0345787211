//! Encryption at rest. Records are sealed with AES-256-GCM under the store's data key, and index
//! values become opaque index keys through an HMAC-SHA256 under the store's index key; both keys
//! are in the keyring ([`crate::keyring`]), which the KEK wraps.
//!
//! A sealed value is `KWS\x01`, the generation of the data key that sealed it (32 bits, big
//! endian: readable without decrypting, so that a re-seal finds what it has left to do), a random
//! 96-bit nonce, then the ciphertext and tag; the associated data binds it to where it is stored.
//! Values sealed before generations existed are the nonce, ciphertext and tag alone: they read as
//! generation 1. A legacy value whose random nonce happens to begin like the marker (one in 2^32)
//! fails the tag check under the generation it seems to name, and is then opened as a legacy one.

use std::sync::RwLock;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::Mac;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::index::IndexTerm;
use crate::keyring::KeyRing;
use crate::{StoreError, StoreResult};

const NONCE_LEN: usize = 12;
/// The marker of a sealed value that names its data key's generation.
const MARKER: [u8; 4] = *b"KWS\x01";
const PREFIX_LEN: usize = MARKER.len() + 4;
/// The generation of values sealed before generations were written down.
pub(crate) const LEGACY_GENERATION: u32 = 1;
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

/// The data keys of the keyring, ready to use.
struct DataKeys {
    /// The generation that seals.
    current: u32,
    ciphers: Vec<(u32, Aes256Gcm)>,
}

impl DataKeys {
    fn cipher(&self, generation: u32) -> Option<&Aes256Gcm> {
        self.ciphers.iter().find(|(g, _)| *g == generation).map(|(_, c)| c)
    }
}

/// The keys of the keyring, ready to seal records and make index keys.
pub struct Sealer {
    /// Changes only when a KEK rotation brings a new data key (a read lock, uncontended, on the
    /// path of every seal and open: a few nanoseconds beside the AES-GCM of a record).
    keys: RwLock<DataKeys>,
    /// The HMAC keyed once: each index key clones it instead of hashing the key pads again. It
    /// never changes with a rotation, so the index keys in the records' headers stay valid.
    index_mac: hmac::Hmac<Sha256>,
}

impl Sealer {
    pub(crate) fn new(ring: &KeyRing) -> Sealer {
        let index_mac = <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(ring.index_key.as_ref())
            .expect("HMAC accepts keys of any length");
        Sealer { keys: RwLock::new(data_keys(ring)), index_mac }
    }

    /// Takes the data keys of `ring` (its index key must be this sealer's).
    pub(crate) fn replace_data_keys(&self, ring: &KeyRing) {
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = data_keys(ring);
    }

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, DataKeys> {
        // Nothing is left half-done under the write lock by a panic: carry on.
        self.keys.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The generation new values are sealed under.
    pub(crate) fn current_generation(&self) -> u32 {
        self.keys().current
    }

    /// Whether this sealer holds the data key of `generation`.
    pub(crate) fn holds(&self, generation: u32) -> bool {
        self.keys().cipher(generation).is_some()
    }

    /// Encrypts `plaintext`, bound to `context`, under the current data key.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> StoreResult<Vec<u8>> {
        let keys = self.keys();
        let cipher = keys.cipher(keys.current).ok_or_else(|| StoreError::Backend("no current data key".into()))?;
        let nonce = Nonce::generate();
        let ciphertext = cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: context })
            .map_err(|_| StoreError::Backend("encryption failed".into()))?;
        let mut sealed = Vec::with_capacity(PREFIX_LEN + NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&MARKER);
        sealed.extend_from_slice(&keys.current.to_be_bytes());
        sealed.extend_from_slice(nonce.as_slice());
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts what [`Sealer::seal`] made with the same context. A wrong key or a tampered value
    /// fails the tag check.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
        self.open_with_generation(sealed, context).map(|(plaintext, _)| plaintext)
    }

    /// [`Sealer::open`], and the generation of the data key that opened it.
    pub(crate) fn open_with_generation(&self, sealed: &[u8], context: &[u8]) -> StoreResult<(Zeroizing<Vec<u8>>, u32)> {
        let keys = self.keys();
        if let Some((generation, body)) = split_generation(sealed) {
            match keys.cipher(generation) {
                Some(cipher) => {
                    if let Ok(plaintext) = open_body(cipher, body, context) {
                        return Ok((plaintext, generation));
                    }
                }
                None if keys.cipher(LEGACY_GENERATION).is_none() => {
                    return Err(StoreError::Corrupt(format!(
                        "sealed under data key generation {generation}, which the keyring does not hold"
                    )));
                }
                None => {}
            }
        }
        let legacy =
            keys.cipher(LEGACY_GENERATION).ok_or_else(|| StoreError::Corrupt("authentication tag mismatch".into()))?;
        Ok((open_body(legacy, sealed, context)?, LEGACY_GENERATION))
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

/// How every value sealed under `generation` begins (a database can find the values left to
/// re-seal by it, without decrypting anything).
pub(crate) fn generation_prefix(generation: u32) -> [u8; PREFIX_LEN] {
    let mut prefix = [0u8; PREFIX_LEN];
    prefix[..MARKER.len()].copy_from_slice(&MARKER);
    prefix[MARKER.len()..].copy_from_slice(&generation.to_be_bytes());
    prefix
}

/// The generation a sealed value names, read without decrypting (values without a marker are of
/// [`LEGACY_GENERATION`]).
pub(crate) fn generation_of(sealed: &[u8]) -> u32 {
    split_generation(sealed).map_or(LEGACY_GENERATION, |(generation, _)| generation)
}

fn split_generation(sealed: &[u8]) -> Option<(u32, &[u8])> {
    let rest = sealed.strip_prefix(&MARKER)?;
    let (generation, body) = rest.split_first_chunk::<4>()?;
    Some((u32::from_be_bytes(*generation), body))
}

fn open_body(cipher: &Aes256Gcm, body: &[u8], context: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
    if body.len() < NONCE_LEN {
        return Err(StoreError::Corrupt("sealed value too short".into()));
    }
    let (nonce, ciphertext) = body.split_at(NONCE_LEN);
    let nonce = Nonce::try_from(nonce).map_err(|_| StoreError::Corrupt("bad nonce".into()))?;
    cipher
        .decrypt(&nonce, Payload { msg: ciphertext, aad: context })
        .map(Zeroizing::new)
        .map_err(|_| StoreError::Corrupt("authentication tag mismatch".into()))
}

fn data_keys(ring: &KeyRing) -> DataKeys {
    let ciphers = ring
        .data_keys
        .iter()
        .map(|(g, key)| (*g, Aes256Gcm::new_from_slice(key.as_ref()).expect("the key is 32 bytes")))
        .collect();
    DataKeys { current: ring.current, ciphers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kek::Kek;

    fn legacy_sealer(byte: u8) -> Sealer {
        Sealer::new(&KeyRing::legacy(&Kek::from_bytes([byte; 32])))
    }

    #[test]
    fn seals_and_opens_and_detects_a_wrong_key_or_context() {
        let sealer = legacy_sealer(7);
        let sealed = sealer.seal(b"key material", b"uid-1").unwrap();
        assert!(!sealed.windows(12).any(|w| w == b"key material"));
        assert_eq!(&sealer.open(&sealed, b"uid-1").unwrap()[..], b"key material");
        assert!(sealer.open(&sealed, b"uid-2").is_err());
        assert!(legacy_sealer(8).open(&sealed, b"uid-1").is_err());
    }

    /// A value sealed the way the store did before generations (nonce, ciphertext, tag, under the
    /// key HKDF derives from the KEK) opens as generation 1.
    #[test]
    fn a_value_without_a_generation_reads_as_generation_one() {
        let kek = Kek::from_bytes([7; 32]);
        let ring = KeyRing::legacy(&kek);
        let cipher = Aes256Gcm::new_from_slice(ring.data_keys[0].1.as_ref()).unwrap();
        let nonce = Nonce::generate();
        let old = [nonce.as_slice(), &cipher.encrypt(&nonce, Payload { msg: b"old", aad: b"ctx" }).unwrap()].concat();
        let (plaintext, generation) = Sealer::new(&ring).open_with_generation(&old, b"ctx").unwrap();
        assert_eq!((&plaintext[..], generation), (b"old".as_slice(), 1));
        assert_eq!(generation_of(&old), 1);
        // Even one whose nonce begins like the marker of another generation.
        let marked = [MARKER.as_slice(), &2u32.to_be_bytes(), &[0; 4]].concat();
        let nonce = Nonce::try_from(marked.as_slice()).unwrap();
        let odd = [nonce.as_slice(), &cipher.encrypt(&nonce, Payload { msg: b"odd", aad: b"ctx" }).unwrap()].concat();
        let next = ring.with_new_data_key().unwrap();
        assert_eq!(generation_of(&odd), 2);
        assert_eq!(&Sealer::new(&next).open(&odd, b"ctx").unwrap()[..], b"odd");
    }

    #[test]
    fn values_name_their_generation_and_a_new_one_opens_both() {
        let ring = KeyRing::generate().unwrap();
        let sealer = Sealer::new(&ring);
        let first = sealer.seal(b"one", b"ctx").unwrap();
        assert_eq!(generation_of(&first), 1);
        let next = ring.with_new_data_key().unwrap();
        sealer.replace_data_keys(&next);
        let second = sealer.seal(b"two", b"ctx").unwrap();
        assert_eq!(generation_of(&second), 2);
        assert_eq!(sealer.open_with_generation(&first, b"ctx").unwrap().1, 1);
        assert_eq!(sealer.open_with_generation(&second, b"ctx").unwrap().1, 2);
        sealer.replace_data_keys(&next.retaining_current_only());
        let error = sealer.open(&first, b"ctx").unwrap_err().to_string();
        assert!(error.contains("generation 1"), "{error}");
    }

    #[test]
    fn index_keys_hide_values_but_are_stable() {
        let sealer = legacy_sealer(7);
        let a = sealer.index_key(&IndexTerm::name("payroll"));
        assert_eq!(a, sealer.index_key(&IndexTerm::name("payroll")));
        assert_ne!(a, sealer.index_key(&IndexTerm::name("payroll2")));
        assert_ne!(a, sealer.index_key(&IndexTerm::object_group("payroll")));
        assert!(!a.windows(7).any(|w| w == b"payroll"));
    }
}
