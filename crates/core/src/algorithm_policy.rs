//! Which algorithms and key sizes the server generates keys of and protects data with: an
//! allowlist the operator configures (`[algorithms]` in keyward.toml, docs/configuration.md).
//!
//! The split follows NIST SP 800-131A Rev. 2, which distinguishes applying protection (generating
//! keys, encrypting, signing, computing MACs) from "legacy use" (decrypting and verifying what
//! was protected before an algorithm was retired). So the policy is checked when a key is made
//! (Create, Create Key Pair, Re-key, Re-key Key Pair, Derive Key) and when a key protects data
//! (Encrypt, Sign, MAC); a key may still be registered or imported, and may decrypt and verify,
//! whatever it is, so that data protected under a retired key stays readable.

use keyward_kmip::attributes::{Attribute, CryptographicParameters};
use keyward_kmip::enums::{CryptographicAlgorithm, HashingAlgorithm, RecommendedCurve};
use keyward_kmip::objects::{ManagedObject, SymmetricKey};
use keyward_store::StoredObject;
use keyward_ttlv::KmipEnum;

use crate::attributes::find;
use crate::context::Context;
use crate::error::{OpError, OpResult};

/// The allowlists. Anything not listed is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmPolicy {
    /// RSA modulus sizes, in bits.
    pub rsa_sizes: Vec<i32>,
    /// Elliptic curves (of EC, ECDSA, ECDH, ECMQV, Ed25519 and X25519 keys).
    pub curves: Vec<RecommendedCurve>,
    /// Every other algorithm (symmetric ciphers, HMAC, DSA...), each with the key lengths allowed;
    /// an empty list allows any length (of at least `min_mac_key_bits` for an HMAC key).
    pub symmetric: Vec<(CryptographicAlgorithm, Vec<i32>)>,
    /// Hashes a signature may be made with.
    pub signature_hashes: Vec<HashingAlgorithm>,
    /// The shortest HMAC key, in bits.
    pub min_mac_key_bits: i32,
}

impl Default for AlgorithmPolicy {
    /// The secure default (docs/configuration.md gives the reasons): RSA of 2048 bits or more,
    /// the NIST curves of 256 bits or more and Curve25519, AES, ChaCha20 and HMAC with keys of at
    /// least 112 bits, signatures over SHA-2 and SHA-3. No DES, Triple DES, MD5 or SHA-1 signing.
    fn default() -> AlgorithmPolicy {
        use CryptographicAlgorithm as A;
        use HashingAlgorithm as H;
        let hmac = [A::HMAC_SHA1, A::HMAC_SHA224, A::HMAC_SHA256, A::HMAC_SHA384, A::HMAC_SHA512];
        let mut symmetric =
            vec![(A::AES, vec![128, 192, 256]), (A::ChaCha20, vec![256]), (A::ChaCha20Poly1305, vec![256])];
        symmetric.extend(hmac.into_iter().map(|a| (a, Vec::new())));
        AlgorithmPolicy {
            rsa_sizes: vec![2048, 3072, 4096, 8192],
            curves: vec![
                RecommendedCurve::P_256,
                RecommendedCurve::P_384,
                RecommendedCurve::P_521,
                RecommendedCurve::CURVE25519,
            ],
            symmetric,
            signature_hashes: vec![
                H::SHA_224,
                H::SHA_256,
                H::SHA_384,
                H::SHA_512,
                H::SHA_512_224,
                H::SHA_512_256,
                H::SHA3_224,
                H::SHA3_256,
                H::SHA3_384,
                H::SHA3_512,
            ],
            min_mac_key_bits: 112,
        }
    }
}

/// What a key is, as far as the policy cares.
#[derive(Clone, Copy, Debug)]
pub struct KeyKind {
    pub algorithm: CryptographicAlgorithm,
    /// The Cryptographic Length, when known.
    pub bits: Option<i32>,
    /// The curve of an elliptic-curve key, when known.
    pub curve: Option<RecommendedCurve>,
}

impl AlgorithmPolicy {
    /// Whether a key of this kind may be made or may protect data; the reason when not.
    pub fn check_key(&self, key: KeyKind) -> Result<(), String> {
        use CryptographicAlgorithm as A;
        match key.algorithm {
            A::RSA => match key.bits {
                Some(bits) if self.rsa_sizes.contains(&bits) => Ok(()),
                bits => Err(format!("RSA keys of {} bits are not allowed by the server's policy", shown(bits))),
            },
            A::EC | A::ECDSA | A::ECDH | A::ECMQV | A::Ed25519 => {
                let curve = key.curve.or_else(|| curve_of(key.algorithm, key.bits));
                match curve {
                    Some(curve) if self.curves.contains(&curve) => Ok(()),
                    Some(curve) => Err(format!("the curve {curve:?} is not allowed by the server's policy")),
                    None => Err(format!("a {:?} key on an unknown curve is not allowed", key.algorithm)),
                }
            }
            algorithm => {
                let Some((_, lengths)) = self.symmetric.iter().find(|(a, _)| *a == algorithm) else {
                    return Err(format!("{algorithm:?} keys are not allowed by the server's policy"));
                };
                let too_short = is_hmac(algorithm) && key.bits.is_some_and(|b| b < self.min_mac_key_bits);
                let listed = lengths.is_empty() || key.bits.is_some_and(|b| lengths.contains(&b));
                if too_short || !listed {
                    return Err(format!(
                        "{algorithm:?} keys of {} bits are not allowed by the server's policy",
                        shown(key.bits)
                    ));
                }
                Ok(())
            }
        }
    }

    /// Whether a signature may be made with these parameters: the hash they name, by itself or
    /// within a Digital Signature Algorithm, must be allowed. Parameters naming no hash pass (the
    /// algorithm then brings its own, as Ed25519 does, or the operation refuses them).
    pub fn check_signature(&self, parameters: &CryptographicParameters) -> Result<(), String> {
        let from_algorithm = parameters.digital_signature_algorithm.and_then(|d| signature_hash(d.value()));
        for hash in [parameters.hashing_algorithm, from_algorithm].into_iter().flatten() {
            if !self.signature_hashes.contains(&hash) {
                return Err(format!("signing with {hash:?} is not allowed by the server's policy"));
            }
        }
        Ok(())
    }
}

fn shown(bits: Option<i32>) -> String {
    bits.map_or_else(|| "unknown".to_string(), |b| b.to_string())
}

fn is_hmac(algorithm: CryptographicAlgorithm) -> bool {
    use CryptographicAlgorithm as A;
    matches!(algorithm, A::HMAC_SHA1 | A::HMAC_SHA224 | A::HMAC_SHA256 | A::HMAC_SHA384 | A::HMAC_SHA512 | A::HMAC_MD5)
}

/// The curve of an elliptic-curve key that does not name one, from its length: Curve25519 keys
/// are 255 bits (Ed25519 always), the NIST curves 256, 384 and 521.
fn curve_of(algorithm: CryptographicAlgorithm, bits: Option<i32>) -> Option<RecommendedCurve> {
    if algorithm == CryptographicAlgorithm::Ed25519 {
        return Some(RecommendedCurve::CURVE25519);
    }
    match bits? {
        255 => Some(RecommendedCurve::CURVE25519),
        256 => Some(RecommendedCurve::P_256),
        384 => Some(RecommendedCurve::P_384),
        521 => Some(RecommendedCurve::P_521),
        _ => None,
    }
}

/// The hash inside a Digital Signature Algorithm (2.1 §11.16, 1.4 §9.1.3.2.7), by value: the
/// RSA PKCS#1 v1.5, DSA and ECDSA rows each name theirs; RSASSA-PSS (8) takes the Hashing
/// Algorithm of the parameters instead.
fn signature_hash(value: u32) -> Option<HashingAlgorithm> {
    let hash = match value {
        1 => 0x01,          // MD2 with RSA
        2 => 0x03,          // MD5 with RSA
        3 | 9 | 12 => 0x04, // SHA-1 with RSA, DSA, ECDSA
        4 | 10 | 13 => 0x05,
        5 | 11 | 14 => 0x06,
        6 | 15 => 0x07,
        7 | 16 => 0x08,
        17 => 0x0F, // SHA3-256 with RSA
        18 => 0x10,
        19 => 0x11,
        _ => return None,
    };
    Some(HashingAlgorithm::from_value(hash))
}

/// Refuses to make a key the policy does not allow (Create, Create Key Pair, Re-key, Re-key Key
/// Pair, Derive Key).
pub(crate) fn allow_new_key(cx: &Context<'_>, key: KeyKind) -> OpResult<()> {
    cx.services.policy.algorithms.check_key(key).map_err(OpError::DisallowedKey)
}

/// Refuses to make a symmetric key (or a derived one) the policy does not allow.
pub(crate) fn allow_new_object(cx: &Context<'_>, object: &ManagedObject) -> OpResult<()> {
    if let ManagedObject::SymmetricKey(SymmetricKey { key_block }) = object
        && let Some(algorithm) = key_block.cryptographic_algorithm
    {
        return allow_new_key(cx, KeyKind { algorithm, bits: key_block.cryptographic_length, curve: None });
    }
    Ok(())
}

/// Refuses a key that protects data (Encrypt, Sign, MAC) when the policy does not allow it: such
/// a key is "not able to be used for" the operation, Permission Denied (1.4 Tables 353, 355 and
/// 357; 2.1 §6.1.17.1, §6.1.55.1 and §6.1.32.1 list it too).
pub(crate) fn allow_protection(
    cx: &Context<'_>,
    stored: &StoredObject,
    parameters: &CryptographicParameters,
) -> OpResult<()> {
    let policy = &cx.services.policy.algorithms;
    let algorithm = find(stored, |a| if let Attribute::CryptographicAlgorithm(x) = a { Some(*x) } else { None })
        .or(parameters.cryptographic_algorithm);
    if let Some(algorithm) = algorithm {
        let bits = find(stored, |a| if let Attribute::CryptographicLength(x) = a { Some(*x) } else { None });
        let curve = find(stored, |a| match a {
            Attribute::CryptographicDomainParameters(p) => p.recommended_curve,
            _ => None,
        });
        policy.check_key(KeyKind { algorithm, bits, curve }).map_err(OpError::PermissionDenied)?;
    }
    Ok(())
}

/// Refuses a signature over a hash the policy does not allow. The hash is a parameter the server
/// does not offer: Unsupported Cryptographic Parameters in 2.x (2.1 §6.1.55.1), Invalid Field in
/// 1.x, as for other parameters it does not offer.
pub(crate) fn allow_signature(cx: &Context<'_>, parameters: &CryptographicParameters) -> OpResult<()> {
    cx.services.policy.algorithms.check_signature(parameters).map_err(OpError::UnsupportedParameters)
}
