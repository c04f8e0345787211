//! RSA encryption: OAEP (RFC 8017 §7.1) and PKCS#1 v1.5 (RFC 8017 §7.2).

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512, OaepAlgorithm,
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use zeroize::Zeroizing;

use super::keys::Inner;
use super::{KeyAlgorithm, PrivateKey, PublicKey, legacy_rsa};
use crate::hash::HashAlgorithm;
use crate::{CryptoError, CryptoResult};

/// The RSA encryption padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsaEncryptionPadding<'a> {
    /// RSAES-OAEP: `hash` for the label (KMIP Hashing Algorithm), `mgf1_hash` for MGF1 (KMIP Mask
    /// Generator Hashing Algorithm, SHA-1 when a client leaves it out), and the label (KMIP
    /// P Source; empty when absent).
    Oaep { hash: HashAlgorithm, mgf1_hash: HashAlgorithm, label: &'a [u8] },
    /// RSAES-PKCS1-v1_5. Kept for compatibility; decryption failures all look alike.
    Pkcs1v15,
}

/// aws-lc-rs's OAEP algorithm for a pair of hashes, which it has only when they are equal.
fn aws_oaep(hash: HashAlgorithm, mgf1: HashAlgorithm) -> Option<&'static OaepAlgorithm> {
    match (hash, mgf1) {
        (HashAlgorithm::Sha1, HashAlgorithm::Sha1) => Some(&OAEP_SHA1_MGF1SHA1),
        (HashAlgorithm::Sha256, HashAlgorithm::Sha256) => Some(&OAEP_SHA256_MGF1SHA256),
        (HashAlgorithm::Sha384, HashAlgorithm::Sha384) => Some(&OAEP_SHA384_MGF1SHA384),
        (HashAlgorithm::Sha512, HashAlgorithm::Sha512) => Some(&OAEP_SHA512_MGF1SHA512),
        _ => None,
    }
}

fn rsa_only(algorithm: KeyAlgorithm) -> CryptoResult<()> {
    if algorithm != KeyAlgorithm::Rsa {
        return Err(CryptoError::unsupported(format!("RSA encryption with a {algorithm:?} key")));
    }
    Ok(())
}

fn label_opt(label: &[u8]) -> Option<&[u8]> {
    if label.is_empty() { None } else { Some(label) }
}

/// Encrypts `plaintext` (at most the key length minus the padding overhead) under an RSA public
/// key.
pub fn rsa_encrypt(key: &PublicKey, padding: RsaEncryptionPadding<'_>, plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
    rsa_only(key.algorithm())?;
    let spki = key.spki_der();
    let too_long = |_| CryptoError::input("the plaintext is too long for this key and padding");
    let modern = (2048..=8192).contains(&key.bits());
    match padding {
        RsaEncryptionPadding::Oaep { hash, mgf1_hash, label } => match aws_oaep(hash, mgf1_hash) {
            Some(alg) if modern => {
                let k = OaepPublicEncryptingKey::new(aws_public(spki)?).map_err(|_| CryptoError::key("RSA key"))?;
                let mut out = vec![0u8; k.ciphertext_size()];
                let len = k.encrypt(alg, plaintext, &mut out, label_opt(label)).map_err(too_long)?.len();
                out.truncate(len);
                Ok(out)
            }
            _ => legacy_rsa::oaep_encrypt(spki, hash, mgf1_hash, label, plaintext),
        },
        RsaEncryptionPadding::Pkcs1v15 if modern => {
            let k = Pkcs1PublicEncryptingKey::new(aws_public(spki)?).map_err(|_| CryptoError::key("RSA key"))?;
            let mut out = vec![0u8; k.ciphertext_size()];
            let len = k.encrypt(plaintext, &mut out).map_err(too_long)?.len();
            out.truncate(len);
            Ok(out)
        }
        RsaEncryptionPadding::Pkcs1v15 => legacy_rsa::pkcs1_encrypt(spki, plaintext),
    }
}

/// Decrypts under an RSA private key. Any failure of the padding check (wrong key, tampered data,
/// wrong label) is [`CryptoError::VerificationFailed`], whatever went wrong.
pub fn rsa_decrypt(
    key: &PrivateKey,
    padding: RsaEncryptionPadding<'_>,
    ciphertext: &[u8],
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    rsa_only(key.algorithm())?;
    let modern = matches!(key.inner, Inner::Rsa(Some(_)));
    let pkcs8 = key.pkcs8_der();
    match padding {
        RsaEncryptionPadding::Oaep { hash, mgf1_hash, label } => match aws_oaep(hash, mgf1_hash) {
            Some(alg) if modern => {
                let k = OaepPrivateDecryptingKey::new(aws_private(pkcs8)?).map_err(|_| CryptoError::key("RSA key"))?;
                let mut out = Zeroizing::new(vec![0u8; k.min_output_size()]);
                let len = k
                    .decrypt(alg, ciphertext, &mut out, label_opt(label))
                    .map_err(|_| CryptoError::VerificationFailed)?
                    .len();
                out.truncate(len);
                Ok(out)
            }
            _ => legacy_rsa::oaep_decrypt(pkcs8, hash, mgf1_hash, label, ciphertext),
        },
        RsaEncryptionPadding::Pkcs1v15 if modern => {
            let k = Pkcs1PrivateDecryptingKey::new(aws_private(pkcs8)?).map_err(|_| CryptoError::key("RSA key"))?;
            let mut out = Zeroizing::new(vec![0u8; k.min_output_size()]);
            let len = k.decrypt(ciphertext, &mut out).map_err(|_| CryptoError::VerificationFailed)?.len();
            out.truncate(len);
            Ok(out)
        }
        RsaEncryptionPadding::Pkcs1v15 => legacy_rsa::pkcs1_decrypt(pkcs8, ciphertext),
    }
}

fn aws_public(spki: &[u8]) -> CryptoResult<PublicEncryptingKey> {
    PublicEncryptingKey::from_der(spki).map_err(|e| CryptoError::key(format!("RSA public key: {e}")))
}

fn aws_private(pkcs8: &[u8]) -> CryptoResult<PrivateDecryptingKey> {
    PrivateDecryptingKey::from_pkcs8(pkcs8).map_err(|e| CryptoError::key(format!("RSA private key: {e}")))
}
