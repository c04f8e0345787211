//! RSA key formats: PKCS#1 RSAPrivateKey / RSAPublicKey, PKCS#8, SubjectPublicKeyInfo and the
//! transparent components.
//!
//! The DER structures come from the RustCrypto `pkcs1`, `pkcs8` and `spki` crates; consistency of
//! private components is checked by aws-lc-rs (`RSA_check_key`) for 2048- to 8192-bit keys and by
//! the `rsa` crate for others.

use der::asn1::{AnyRef, BitStringRef, OctetStringRef, UintRef};
use der::{Decode, Encode};
use pkcs1::{RsaPrivateKeyRef, RsaPublicKeyRef};
use pkcs8::PrivateKeyInfoRef;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use super::oids;
use crate::asymmetric::KeyAlgorithm;
use crate::{CryptoError, CryptoResult};

/// The components of an RSA private key (KMIP's Transparent RSA Private Key), each a big-endian
/// unsigned integer. Leading zero bytes are accepted on input and absent on output.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPrivateComponents {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    pub d: Zeroizing<Vec<u8>>,
    pub p: Zeroizing<Vec<u8>>,
    pub q: Zeroizing<Vec<u8>>,
    /// d mod (p − 1).
    pub dp: Zeroizing<Vec<u8>>,
    /// d mod (q − 1).
    pub dq: Zeroizing<Vec<u8>>,
    /// q⁻¹ mod p.
    pub qinv: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for RsaPrivateComponents {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print private components.
        f.debug_struct("RsaPrivateComponents").field("bits", &modulus_bits(&self.n)).finish_non_exhaustive()
    }
}

/// The components of an RSA public key (KMIP's Transparent RSA Public Key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicComponents {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

fn der_err(what: &str) -> impl Fn(der::Error) -> CryptoError + '_ {
    move |e| CryptoError::key(format!("{what}: {e}"))
}

fn rsa_alg_id() -> AlgorithmIdentifierRef<'static> {
    // RFC 8017 Appendix C: the parameters of rsaEncryption are an explicit NULL.
    AlgorithmIdentifierRef { oid: oids::RSA_ENCRYPTION, parameters: Some(AnyRef::NULL) }
}

/// The size of a modulus in bits (its big-endian bytes, leading zeros ignored).
pub(crate) fn modulus_bits(n: &[u8]) -> u32 {
    let n = strip(n);
    match n.first() {
        None => 0,
        Some(first) => (n.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
    }
}

fn strip(x: &[u8]) -> &[u8] {
    let zeros = x.iter().take_while(|b| **b == 0).count();
    &x[zeros..]
}

/// PKCS#1 RSAPrivateKey → PKCS#8.
pub(super) fn private_pkcs1_to_pkcs8(pkcs1: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    RsaPrivateKeyRef::from_der(pkcs1).map_err(der_err("not a PKCS#1 RSA private key"))?;
    let octets = OctetStringRef::new(pkcs1).map_err(der_err("PKCS#1 key"))?;
    let info = PrivateKeyInfoRef::new(rsa_alg_id(), octets);
    Ok(Zeroizing::new(info.to_der().map_err(der_err("PKCS#8 encoding"))?))
}

/// PKCS#8 → PKCS#1 RSAPrivateKey.
pub(super) fn private_pkcs8_to_pkcs1(pkcs8: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let info = oids::parse_pkcs8(pkcs8)?;
    if oids::algorithm_of(&info.algorithm, None)? != KeyAlgorithm::Rsa {
        return Err(CryptoError::format("only an RSA key has a PKCS#1 form"));
    }
    let inner = info.private_key.as_bytes();
    RsaPrivateKeyRef::from_der(inner).map_err(der_err("the PKCS#8 key holds no PKCS#1 RSA key"))?;
    Ok(Zeroizing::new(inner.to_vec()))
}

/// PKCS#1 RSAPublicKey → SubjectPublicKeyInfo.
pub(super) fn public_pkcs1_to_spki(pkcs1: &[u8]) -> CryptoResult<Vec<u8>> {
    RsaPublicKeyRef::from_der(pkcs1).map_err(der_err("not a PKCS#1 RSA public key"))?;
    let spki = SubjectPublicKeyInfoRef {
        algorithm: rsa_alg_id(),
        subject_public_key: BitStringRef::from_bytes(pkcs1).map_err(der_err("PKCS#1 key"))?,
    };
    spki.to_der().map_err(der_err("SubjectPublicKeyInfo encoding"))
}

/// SubjectPublicKeyInfo → PKCS#1 RSAPublicKey.
pub(super) fn public_spki_to_pkcs1(spki: &[u8]) -> CryptoResult<Vec<u8>> {
    let info = oids::parse_spki(spki)?;
    if oids::algorithm_of(&info.algorithm, None)? != KeyAlgorithm::Rsa {
        return Err(CryptoError::format("only an RSA key has a PKCS#1 form"));
    }
    let inner = info.subject_public_key.as_bytes().ok_or_else(|| CryptoError::key("a partial-byte public key"))?;
    RsaPublicKeyRef::from_der(inner).map_err(der_err("the key holds no PKCS#1 RSA public key"))?;
    Ok(inner.to_vec())
}

/// The components of a PKCS#8 RSA private key.
pub fn rsa_private_components(pkcs8: &[u8]) -> CryptoResult<RsaPrivateComponents> {
    let pkcs1 = private_pkcs8_to_pkcs1(pkcs8)?;
    let k = RsaPrivateKeyRef::from_der(&pkcs1).map_err(der_err("PKCS#1 key"))?;
    if k.other_prime_infos.is_some() {
        return Err(CryptoError::format("multi-prime RSA keys have no transparent form"));
    }
    Ok(RsaPrivateComponents {
        n: k.modulus.as_bytes().to_vec(),
        e: k.public_exponent.as_bytes().to_vec(),
        d: secret(k.private_exponent),
        p: secret(k.prime1),
        q: secret(k.prime2),
        dp: secret(k.exponent1),
        dq: secret(k.exponent2),
        qinv: secret(k.coefficient),
    })
}

fn uint(x: &[u8]) -> CryptoResult<UintRef<'_>> {
    UintRef::new(x).map_err(der_err("an RSA component"))
}

fn secret(u: UintRef<'_>) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(u.as_bytes().to_vec())
}

/// A PKCS#8 RSA private key from its components, after checking that they agree (n = pq,
/// d, dP, dQ and qInv consistent). Inconsistent components are [`CryptoError::InvalidKey`].
pub fn rsa_private_from_components(c: &RsaPrivateComponents) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let key = RsaPrivateKeyRef {
        modulus: uint(&c.n)?,
        public_exponent: uint(&c.e)?,
        private_exponent: uint(&c.d)?,
        prime1: uint(&c.p)?,
        prime2: uint(&c.q)?,
        exponent1: uint(&c.dp)?,
        exponent2: uint(&c.dq)?,
        coefficient: uint(&c.qinv)?,
        other_prime_infos: None,
    };
    let pkcs1 = Zeroizing::new(key.to_der().map_err(der_err("PKCS#1 encoding"))?);
    let bits = modulus_bits(&c.n);
    if (2048..=8192).contains(&bits) {
        let components = aws_lc_rs::rsa::KeyPairComponents {
            public_key: aws_lc_rs::rsa::PublicKeyComponents { n: strip(&c.n), e: strip(&c.e) },
            d: &c.d[..],
            p: &c.p[..],
            q: &c.q[..],
            dP: &c.dp[..],
            dQ: &c.dq[..],
            qInv: &c.qinv[..],
        };
        aws_lc_rs::rsa::KeyPair::from_components(&components)
            .map_err(|e| CryptoError::key(format!("inconsistent RSA components: {e}")))?;
    } else {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let key =
            rsa::PrivateKey::from_pkcs1_der(&pkcs1).map_err(|e| CryptoError::key(format!("RSA components: {e}")))?;
        key.validate().map_err(|e| CryptoError::key(format!("inconsistent RSA components: {e}")))?;
    }
    private_pkcs1_to_pkcs8(&pkcs1)
}

/// The components of an RSA SubjectPublicKeyInfo.
pub fn rsa_public_components(spki: &[u8]) -> CryptoResult<RsaPublicComponents> {
    let pkcs1 = public_spki_to_pkcs1(spki)?;
    let k = RsaPublicKeyRef::from_der(&pkcs1).map_err(der_err("PKCS#1 key"))?;
    Ok(RsaPublicComponents { n: k.modulus.as_bytes().to_vec(), e: k.public_exponent.as_bytes().to_vec() })
}

/// An RSA SubjectPublicKeyInfo from the modulus and public exponent.
pub fn rsa_public_from_components(c: &RsaPublicComponents) -> CryptoResult<Vec<u8>> {
    if modulus_bits(&c.n) < 512 || strip(&c.e).is_empty() || c.e.last().is_some_and(|b| b & 1 == 0) {
        return Err(CryptoError::key("an RSA public key needs a modulus of at least 512 bits and an odd exponent"));
    }
    let key = RsaPublicKeyRef {
        modulus: UintRef::new(&c.n).map_err(der_err("modulus"))?,
        public_exponent: UintRef::new(&c.e).map_err(der_err("exponent"))?,
    };
    public_pkcs1_to_spki(&key.to_der().map_err(der_err("PKCS#1 encoding"))?)
}

/// The SubjectPublicKeyInfo of a PKCS#8 RSA private key.
pub(crate) fn public_of_private(pkcs8: &[u8]) -> CryptoResult<Vec<u8>> {
    let c = rsa_private_components(pkcs8)?;
    rsa_public_from_components(&RsaPublicComponents { n: c.n.clone(), e: c.e.clone() })
}

/// The modulus size of an RSA SubjectPublicKeyInfo or PKCS#8 key, in bits.
pub(super) fn bits_of_spki(spki: &[u8]) -> CryptoResult<u32> {
    Ok(modulus_bits(&rsa_public_components(spki)?.n))
}

pub(super) fn bits_of_pkcs8(pkcs8: &[u8]) -> CryptoResult<u32> {
    let pkcs1 = private_pkcs8_to_pkcs1(pkcs8)?;
    let k = RsaPrivateKeyRef::from_der(&pkcs1).map_err(der_err("PKCS#1 key"))?;
    Ok(modulus_bits(k.modulus.as_bytes()))
}
