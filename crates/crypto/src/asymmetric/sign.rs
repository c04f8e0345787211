//! Signing and verification, over a message or a pre-computed digest.

use aws_lc_rs::digest::Digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, UnparsedPublicKey};

use super::keys::Inner;
use super::{KeyAlgorithm, PrivateKey, PublicKey, SignatureScheme, ecdsa, legacy_rsa, rsa_sig};
use crate::hash::{HashAlgorithm, hash};
use crate::{CryptoError, CryptoResult};

fn mismatch(scheme: SignatureScheme, algorithm: KeyAlgorithm) -> CryptoError {
    CryptoError::unsupported(format!("{scheme:?} with a {algorithm:?} key"))
}

/// The hash of an RSA or ECDSA scheme.
pub(super) fn scheme_hash(scheme: SignatureScheme) -> Option<HashAlgorithm> {
    match scheme {
        SignatureScheme::RsaPkcs1v15(h) | SignatureScheme::RsaPss { hash: h, .. } | SignatureScheme::Ecdsa(h) => {
            Some(h)
        }
        SignatureScheme::Ed25519 => None,
    }
}

fn check_pss_salt(scheme: SignatureScheme, bits: u32) -> CryptoResult<()> {
    if let SignatureScheme::RsaPss { hash, salt_len } = scheme {
        let salt = salt_len.unwrap_or(hash.output_len());
        // RFC 8017 §9.1.1 step 3: emLen ≥ hLen + sLen + 2.
        let em_len = (bits as usize).saturating_sub(1).div_ceil(8);
        if salt + hash.output_len() + 2 > em_len {
            return Err(CryptoError::input("the PSS salt is too long for this key"));
        }
    }
    Ok(())
}

/// Signs `message` under `key`. The scheme must suit the key (RSA schemes with RSA keys, ECDSA
/// with EC keys, Ed25519 with Ed25519 keys).
pub fn sign(key: &PrivateKey, scheme: SignatureScheme, message: &[u8]) -> CryptoResult<Vec<u8>> {
    match (&key.inner, scheme) {
        (Inner::Rsa(Some(pair)), SignatureScheme::RsaPkcs1v15(_) | SignatureScheme::RsaPss { .. }) => {
            check_pss_salt(scheme, key.bits())?;
            match rsa_sig::signing(scheme) {
                Some(encoding) => {
                    let mut out = vec![0u8; pair.public_modulus_len()];
                    pair.sign(encoding, &SystemRandom::new(), message, &mut out)
                        .map_err(|_| CryptoError::failed("RSA signing"))?;
                    Ok(out)
                }
                None => sign_digest(key, scheme, &hash(hash_of(scheme)?, message)),
            }
        }
        (Inner::Rsa(None), SignatureScheme::RsaPkcs1v15(_) | SignatureScheme::RsaPss { .. }) => {
            sign_digest(key, scheme, &hash(hash_of(scheme)?, message))
        }
        (Inner::Ec(curve, pair), SignatureScheme::Ecdsa(h)) => ecdsa::sign(pair, *curve, h, message),
        (Inner::Ed25519(pair), SignatureScheme::Ed25519) => Ok(pair.sign(message).as_ref().to_vec()),
        _ => Err(mismatch(scheme, key.algorithm())),
    }
}

fn hash_of(scheme: SignatureScheme) -> CryptoResult<HashAlgorithm> {
    scheme_hash(scheme).ok_or_else(|| CryptoError::unsupported("Ed25519 signs messages, not digests (pure EdDSA)"))
}

/// Signs a digest computed by the caller with the scheme's hash (KMIP "Digested Data"). Not for
/// Ed25519, which signs whole messages.
pub fn sign_digest(key: &PrivateKey, scheme: SignatureScheme, digest: &[u8]) -> CryptoResult<Vec<u8>> {
    let h = hash_of(scheme)?;
    if digest.len() != h.output_len() {
        return Err(CryptoError::input(format!("a {h:?} digest is {} bytes, not {}", h.output_len(), digest.len())));
    }
    match (&key.inner, scheme) {
        (Inner::Rsa(pair), SignatureScheme::RsaPkcs1v15(_) | SignatureScheme::RsaPss { .. }) => {
            check_pss_salt(scheme, key.bits())?;
            if let (Some(pair), Some(encoding), Some(alg)) = (pair, rsa_sig::signing(scheme), h.aws()) {
                let digest = Digest::import_less_safe(digest, alg).map_err(|_| CryptoError::input("digest"))?;
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign_digest(encoding, &digest, &mut out).map_err(|_| CryptoError::failed("RSA signing"))?;
                return Ok(out);
            }
            legacy_rsa::sign_digest(key.pkcs8_der(), scheme, digest)
        }
        (Inner::Ec(curve, pair), SignatureScheme::Ecdsa(_)) => ecdsa::sign_digest(pair, *curve, h, digest),
        _ => Err(mismatch(scheme, key.algorithm())),
    }
}

/// Verifies `signature` over `message`; a signature that does not verify is
/// [`CryptoError::VerificationFailed`] (KMIP's Validity Indicator "Invalid").
pub fn verify(key: &PublicKey, scheme: SignatureScheme, message: &[u8], signature: &[u8]) -> CryptoResult<()> {
    let spki = key.spki_der();
    match (key.algorithm(), scheme) {
        (KeyAlgorithm::Rsa, SignatureScheme::RsaPkcs1v15(_) | SignatureScheme::RsaPss { .. }) => {
            match rsa_sig::verification(scheme, key.bits()) {
                Some(params) => UnparsedPublicKey::new(params, spki)
                    .verify(message, signature)
                    .map_err(|_| CryptoError::VerificationFailed),
                None => legacy_rsa::verify_digest(spki, scheme, &hash(hash_of(scheme)?, message), signature),
            }
        }
        (KeyAlgorithm::Ec(curve), SignatureScheme::Ecdsa(h)) => ecdsa::verify(spki, curve, h, message, signature),
        (KeyAlgorithm::Ed25519, SignatureScheme::Ed25519) => UnparsedPublicKey::new(&sig::ED25519, spki)
            .verify(message, signature)
            .map_err(|_| CryptoError::VerificationFailed),
        (algorithm, _) => Err(mismatch(scheme, algorithm)),
    }
}

/// Verifies `signature` over a digest made with the scheme's hash. Not for Ed25519.
pub fn verify_digest(key: &PublicKey, scheme: SignatureScheme, digest: &[u8], signature: &[u8]) -> CryptoResult<()> {
    let h = hash_of(scheme)?;
    if digest.len() != h.output_len() {
        return Err(CryptoError::input(format!("a {h:?} digest is {} bytes, not {}", h.output_len(), digest.len())));
    }
    let spki = key.spki_der();
    match (key.algorithm(), scheme) {
        (KeyAlgorithm::Rsa, SignatureScheme::RsaPkcs1v15(_) | SignatureScheme::RsaPss { .. }) => {
            if let (Some(params), Some(alg)) = (rsa_sig::verification(scheme, key.bits()), h.aws()) {
                let digest = Digest::import_less_safe(digest, alg).map_err(|_| CryptoError::input("digest"))?;
                return UnparsedPublicKey::new(params, spki)
                    .verify_digest(&digest, signature)
                    .map_err(|_| CryptoError::VerificationFailed);
            }
            legacy_rsa::verify_digest(spki, scheme, digest, signature)
        }
        (KeyAlgorithm::Ec(curve), SignatureScheme::Ecdsa(_)) => ecdsa::verify_digest(spki, curve, h, digest, signature),
        (algorithm, _) => Err(mismatch(scheme, algorithm)),
    }
}
