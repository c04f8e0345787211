//! The RustCrypto `rsa` crate, for the RSA operations aws-lc-rs does not offer (see the module
//! doc of [`super`]): keys under 2048 bits, SHA-1/SHA-224/SHA-3 with PKCS#1 v1.5 or PSS, PSS
//! salts aws-lc cannot take, and OAEP with a different MGF1 hash. Every private-key operation
//! here is blinded, with randomness from aws-lc's DRBG.

use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{Oaep, Pkcs1v15Encrypt, Pkcs1v15Sign, PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey, pss::Pss};
use zeroize::Zeroizing;

use super::SignatureScheme;
use crate::hash::HashAlgorithm;
use crate::random::AwsLcRng;
use crate::{CryptoError, CryptoResult};

/// Runs `$body` with `$d` standing for the RustCrypto hash type of `$hash`.
macro_rules! with_hash {
    ($hash:expr, $d:ident => $body:expr) => {
        match $hash {
            HashAlgorithm::Sha1 => {
                type $d = sha1::Sha1;
                $body
            }
            HashAlgorithm::Sha224 => {
                type $d = sha2::Sha224;
                $body
            }
            HashAlgorithm::Sha256 => {
                type $d = sha2::Sha256;
                $body
            }
            HashAlgorithm::Sha384 => {
                type $d = sha2::Sha384;
                $body
            }
            HashAlgorithm::Sha512 => {
                type $d = sha2::Sha512;
                $body
            }
            HashAlgorithm::Sha3_256 => {
                type $d = sha3::Sha3_256;
                $body
            }
            HashAlgorithm::Sha3_384 => {
                type $d = sha3::Sha3_384;
                $body
            }
            HashAlgorithm::Sha3_512 => {
                type $d = sha3::Sha3_512;
                $body
            }
            other => Err(CryptoError::unsupported(format!("RSA with {other:?}"))),
        }
    };
}

pub(super) fn private_key(pkcs8: &[u8]) -> CryptoResult<RsaPrivateKey> {
    let key = RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|e| CryptoError::key(format!("RSA key: {e}")))?;
    key.validate().map_err(|e| CryptoError::key(format!("RSA key: {e}")))?;
    Ok(key)
}

pub(super) fn public_key(spki: &[u8]) -> CryptoResult<RsaPublicKey> {
    RsaPublicKey::from_public_key_der(spki).map_err(|e| CryptoError::key(format!("RSA public key: {e}")))
}

fn failed(e: rsa::Error) -> CryptoError {
    CryptoError::failed(format!("RSA: {e}"))
}

/// Signs a digest made with the scheme's hash.
pub(super) fn sign_digest(pkcs8: &[u8], scheme: SignatureScheme, digest: &[u8]) -> CryptoResult<Vec<u8>> {
    let key = private_key(pkcs8)?;
    let mut rng = AwsLcRng;
    match scheme {
        SignatureScheme::RsaPkcs1v15(hash) => {
            with_hash!(hash, D => key.sign_with_rng(&mut rng, Pkcs1v15Sign::new::<D>(), digest).map_err(failed))
        }
        SignatureScheme::RsaPss { hash, salt_len } => with_hash!(hash, D => {
            let salt = salt_len.unwrap_or(hash.output_len());
            key.sign_with_rng(&mut rng, Pss::<D>::new_with_salt(salt), digest).map_err(failed)
        }),
        other => Err(CryptoError::unsupported(format!("{other:?} with an RSA key"))),
    }
}

/// Verifies a signature over a digest made with the scheme's hash.
pub(super) fn verify_digest(spki: &[u8], scheme: SignatureScheme, digest: &[u8], signature: &[u8]) -> CryptoResult<()> {
    let key = public_key(spki)?;
    let bad = |_| CryptoError::VerificationFailed;
    match scheme {
        SignatureScheme::RsaPkcs1v15(hash) => {
            with_hash!(hash, D => key.verify(Pkcs1v15Sign::new::<D>(), digest, signature).map_err(bad))
        }
        SignatureScheme::RsaPss { hash, salt_len } => with_hash!(hash, D => {
            let salt = salt_len.unwrap_or(hash.output_len());
            key.verify(Pss::<D>::new_with_salt(salt), digest, signature).map_err(bad)
        }),
        other => Err(CryptoError::unsupported(format!("{other:?} with an RSA key"))),
    }
}

/// OAEP with any pair of hashes (label hash, MGF1 hash) and a label.
pub(super) fn oaep_encrypt(
    spki: &[u8],
    hash: HashAlgorithm,
    mgf1: HashAlgorithm,
    label: &[u8],
    plaintext: &[u8],
) -> CryptoResult<Vec<u8>> {
    let key = public_key(spki)?;
    let mut rng = AwsLcRng;
    with_hash!(hash, D => with_hash!(mgf1, M => {
        let padding = Oaep::<D, M>::new_with_mgf_hash_and_label(label.to_vec());
        key.encrypt(&mut rng, padding, plaintext).map_err(|e| CryptoError::input(format!("RSA-OAEP: {e}")))
    }))
}

pub(super) fn oaep_decrypt(
    pkcs8: &[u8],
    hash: HashAlgorithm,
    mgf1: HashAlgorithm,
    label: &[u8],
    ciphertext: &[u8],
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let key = private_key(pkcs8)?;
    let mut rng = AwsLcRng;
    with_hash!(hash, D => with_hash!(mgf1, M => {
        let padding = Oaep::<D, M>::new_with_mgf_hash_and_label(label.to_vec());
        key.decrypt_blinded(&mut rng, padding, ciphertext).map(Zeroizing::new).map_err(|_| CryptoError::VerificationFailed)
    }))
}

pub(super) fn pkcs1_encrypt(spki: &[u8], plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
    public_key(spki)?
        .encrypt(&mut AwsLcRng, Pkcs1v15Encrypt, plaintext)
        .map_err(|e| CryptoError::input(format!("RSA PKCS#1 v1.5: {e}")))
}

pub(super) fn pkcs1_decrypt(pkcs8: &[u8], ciphertext: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    private_key(pkcs8)?
        .decrypt_blinded(&mut AwsLcRng, Pkcs1v15Encrypt, ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::VerificationFailed)
}
