//! The store's keyring: the keys that protect records, wrapped by the KEK (envelope encryption).
//!
//! - The index key keys the HMAC that turns index values into index keys. It is made once, when
//!   the store is, and never changes: the index keys in every record's clear header stay valid
//!   across every rotation.
//! - The data keys, by generation, seal records with AES-256-GCM. One is current; an older one
//!   stays only while a re-seal moves its records to the current one.
//!
//! A KEK rotation wraps this keyring under the new KEK: a few hundred bytes, at once, whatever the
//! size of the store. A store made before keyrings had its keys derived from the KEK's bytes
//! (HKDF-SHA256); its keyring holds those derived keys as generation 1, and its first rotation
//! also makes a random data key and re-seals every record under it (see `sled_store::kek`), so
//! that the old KEK's bytes derive nothing that still opens a record.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::kek::Kek;
use crate::{StoreError, StoreResult};

const FORMAT: &[u8; 4] = b"KWR1";
const KEY_LEN: usize = 32;

pub(crate) type Key = Zeroizing<[u8; KEY_LEN]>;

/// What a KEK wraps to prove itself (its check value): a wrong KEK fails to unwrap it, which tells
/// a wrong KEK from a damaged keyring. The same in every backend.
pub(crate) const CHECK_VALUE: &[u8] = b"keyward kek check v2";
/// The check value of a store made before keyrings, sealed under the keys its KEK derived.
pub(crate) const LEGACY_CHECK_VALUE: &[u8] = b"keyward kek check v1";

/// What the check value of KEK `version` is bound to.
pub(crate) fn check_context(version: u32) -> Vec<u8> {
    [b"kek check\0".as_slice(), &version.to_be_bytes()].concat()
}

/// What the keyring wrapped by KEK `version` is bound to.
pub(crate) fn keyring_context(version: u32) -> Vec<u8> {
    [b"keyring\0".as_slice(), &version.to_be_bytes()].concat()
}

/// The keys of a store, in clear: held in memory only (zeroized when dropped).
pub(crate) struct KeyRing {
    pub(crate) index_key: Key,
    /// The generation of the data key that seals.
    pub(crate) current: u32,
    pub(crate) data_keys: Vec<(u32, Key)>,
}

impl KeyRing {
    /// The keyring of a new store: random keys, data key generation 1.
    pub(crate) fn generate() -> StoreResult<KeyRing> {
        Ok(KeyRing { index_key: random_key()?, current: 1, data_keys: vec![(1, random_key()?)] })
    }

    /// The keys a store made before keyrings derived from its KEK.
    pub(crate) fn legacy(kek: &Kek) -> KeyRing {
        let hkdf = Hkdf::<Sha256>::new(Some(b"keyward store"), kek.bytes());
        let mut record_key = Zeroizing::new([0u8; KEY_LEN]);
        let mut index_key = Zeroizing::new([0u8; KEY_LEN]);
        // 32 bytes is far below HKDF-SHA256's limit of 8160, so expansion cannot fail.
        let _ = hkdf.expand(b"record sealing v1", record_key.as_mut());
        let _ = hkdf.expand(b"index mac v1", index_key.as_mut());
        KeyRing { index_key, current: 1, data_keys: vec![(1, record_key)] }
    }

    /// This keyring with a new random data key, current.
    pub(crate) fn with_new_data_key(&self) -> StoreResult<KeyRing> {
        let next = self.data_keys.iter().map(|(g, _)| *g).max().unwrap_or(0) + 1;
        let mut data_keys: Vec<(u32, Key)> = self.data_keys.iter().map(|(g, k)| (*g, k.clone())).collect();
        data_keys.push((next, random_key()?));
        Ok(KeyRing { index_key: self.index_key.clone(), current: next, data_keys })
    }

    /// This keyring without the data keys that are not current (once nothing is sealed under them).
    pub(crate) fn retaining_current_only(&self) -> KeyRing {
        self.retaining(&[self.current])
    }

    /// This keyring with only the data keys of `generations` (and the current one).
    pub(crate) fn retaining(&self, generations: &[u32]) -> KeyRing {
        let kept = |g: u32| g == self.current || generations.contains(&g);
        let data_keys = self.data_keys.iter().filter(|(g, _)| kept(*g)).map(|(g, k)| (*g, k.clone())).collect();
        KeyRing { index_key: self.index_key.clone(), current: self.current, data_keys }
    }

    /// A key for another purpose of the server (the audit trail's checkpoints), derived from the
    /// index key with HKDF-SHA256 (RFC 5869) and `purpose` as its info: like the index key it
    /// never changes across KEK rotations, and only the holder of the KEK can compute it.
    pub(crate) fn derive(&self, purpose: &[u8]) -> Key {
        let hkdf = Hkdf::<Sha256>::new(Some(b"keyward keyring derivation"), self.index_key.as_ref());
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        // 32 bytes is far below HKDF-SHA256's limit, so expansion cannot fail.
        let _ = hkdf.expand(purpose, key.as_mut());
        key
    }

    /// The generations of the data keys that are not current.
    pub(crate) fn older_generations(&self) -> Vec<u32> {
        self.data_keys.iter().map(|(g, _)| *g).filter(|g| *g != self.current).collect()
    }

    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(4 + KEY_LEN + 8 + self.data_keys.len() * (4 + KEY_LEN)));
        out.extend_from_slice(FORMAT);
        out.extend_from_slice(self.index_key.as_ref());
        out.extend_from_slice(&self.current.to_be_bytes());
        out.extend_from_slice(&(self.data_keys.len() as u32).to_be_bytes());
        for (generation, key) in &self.data_keys {
            out.extend_from_slice(&generation.to_be_bytes());
            out.extend_from_slice(key.as_ref());
        }
        out
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> StoreResult<KeyRing> {
        let corrupt = || StoreError::Corrupt("the keyring is malformed".into());
        let rest = bytes.strip_prefix(FORMAT).ok_or_else(corrupt)?;
        let (index_key, rest) = rest.split_first_chunk::<KEY_LEN>().ok_or_else(corrupt)?;
        let (current, rest) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let (count, mut rest) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let mut data_keys = Vec::new();
        for _ in 0..u32::from_be_bytes(*count) {
            let (generation, after) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
            let (key, after) = after.split_first_chunk::<KEY_LEN>().ok_or_else(corrupt)?;
            data_keys.push((u32::from_be_bytes(*generation), Zeroizing::new(*key)));
            rest = after;
        }
        let current = u32::from_be_bytes(*current);
        if !rest.is_empty() || !data_keys.iter().any(|(g, _)| *g == current) {
            return Err(corrupt());
        }
        Ok(KeyRing { index_key: Zeroizing::new(*index_key), current, data_keys })
    }
}

fn random_key() -> StoreResult<Key> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(key.as_mut()).map_err(|e| StoreError::Backend(format!("no randomness: {e}")))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyring_reads_back_and_rotates_its_data_key_only() {
        let ring = KeyRing::generate().unwrap().with_new_data_key().unwrap();
        let read = KeyRing::from_bytes(&ring.to_bytes()).unwrap();
        assert_eq!(read.current, 2);
        assert_eq!(read.older_generations(), [1]);
        assert_eq!(read.index_key, ring.index_key);
        let kept = read.retaining_current_only();
        assert_eq!((kept.data_keys.len(), kept.older_generations().len()), (1, 0));
        assert_eq!(kept.data_keys[0].1, ring.data_keys[1].1);
        assert!(KeyRing::from_bytes(&ring.to_bytes()[..40]).is_err());
    }
}
