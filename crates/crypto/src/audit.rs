//! The key that authenticates the audit trail's checkpoints.
//!
//! A hash chain alone shows that records were changed only to someone who did not recompute the
//! hashes after the change; a checkpoint's MAC cannot be recomputed without this key. The key is
//! derived (HKDF-SHA256, RFC 5869) from a secret of the store's keyring, which the key-encryption
//! key wraps, rather than kept apart: whoever may check the trail's authenticity already holds
//! the KEK, there is no second secret to back up or lose, it stays the same across KEK rotations
//! (the keyring is re-wrapped, not changed), and the label keeps it independent of every other
//! use of that secret (a MAC under it reveals nothing about the keys the store holds).

use aws_lc_rs::{constant_time, hmac};
use zeroize::Zeroizing;

use crate::hash::HashAlgorithm;
use crate::kdf::hkdf;

/// HKDF salt and info: the derivation's purpose and version, so that no other derivation from
/// the KEK can produce this key.
const SALT: &[u8] = b"keyward audit trail";
const INFO: &[u8] = b"checkpoint HMAC-SHA256 key, version 1";

/// The length of a checkpoint MAC (HMAC-SHA256).
pub const AUDIT_MAC_LEN: usize = 32;

/// The HMAC-SHA256 key of the audit checkpoints; zeroized when dropped.
pub struct AuditMacKey(Zeroizing<Vec<u8>>);

impl AuditMacKey {
    /// Derives the key from the store's secret for the audit trail.
    pub fn derive(root: &[u8]) -> AuditMacKey {
        // HKDF-SHA256 to 32 bytes cannot fail: the hash is supported and the length in range.
        let key = hkdf(HashAlgorithm::Sha256, root, SALT, INFO, AUDIT_MAC_LEN)
            .unwrap_or_else(|_| Zeroizing::new(vec![0; AUDIT_MAC_LEN]));
        AuditMacKey(key)
    }

    /// HMAC-SHA256 of `data`.
    pub fn mac(&self, data: &[u8]) -> [u8; AUDIT_MAC_LEN] {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &self.0), data);
        let mut out = [0u8; AUDIT_MAC_LEN];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Whether `tag` is the MAC of `data`, compared in constant time.
    pub fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
        constant_time::verify_slices_are_equal(&self.mac(data), tag).is_ok()
    }
}

impl std::fmt::Debug for AuditMacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditMacKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_depends_on_the_kek_and_verifies_its_own_tags_only() {
        let key = AuditMacKey::derive(&[7; 32]);
        let tag = key.mac(b"checkpoint 1000");
        assert!(key.verify(b"checkpoint 1000", &tag));
        assert!(!key.verify(b"checkpoint 1001", &tag));
        assert!(!AuditMacKey::derive(&[8; 32]).verify(b"checkpoint 1000", &tag));
        assert_ne!(
            tag,
            crate::mac::mac(crate::mac::MacAlgorithm::Hmac(HashAlgorithm::Sha256), &[7; 32], b"checkpoint 1000")
                .unwrap()[..]
        );
    }
}
