//! Splitting a key into parts and joining them (Create Split Key, Join Split Key; 2.1 §6.1.10,
//! §6.1.27; the methods in 1.4 §2.2.5 and 2.1 §13.1).
//!
//! - XOR: every part is needed (the threshold is the number of parts). N − 1 parts are random and
//!   the last is the key XORed with all of them, so fewer than N parts say nothing about the key.
//! - Polynomial Sharing GF(2^8), GF(2^16) and Prime Field: Shamir's scheme
//!   (`keyward_crypto::secret_sharing`, whose module doc gives the fields and the byte layout of a
//!   part), any threshold of 2 to the number of parts. Part i has Key Part Identifier i, the x of
//!   its share; a prime-field part also carries the Prime Field Size (2.1 §2.8 Table 9: REQUIRED
//!   for that method).
//!
//! Parts of one split have the same method, counts and prime; when more parts than the threshold
//! are given, keyward-crypto also checks the further ones against the first threshold of them.
//!
//! Errors, as the 1.2–1.4 error tables (1.4 §11.39, §11.40) name them: an unsupported method and
//! incorrect values (counts, a prime that is not one, parts of different splits, a Key Part
//! Identifier twice) are Invalid Field; fewer parts than the threshold at Join is Cryptographic
//! Failure.

use keyward_crypto::secret_sharing::{self, MAX_PARTS, Method, PrimeField};
use keyward_kmip::codec::BigInt;
use keyward_kmip::enums::{CryptographicAlgorithm, SplitKeyMethod};
use keyward_kmip::objects::SplitKey;
use zeroize::Zeroizing;

use crate::crypto::failure;
use crate::error::{OpError, OpResult};

/// A split the server can make, checked before the key to split is read.
#[derive(Debug)]
pub struct Plan {
    pub method: SplitKeyMethod,
    pub parts: usize,
    pub threshold: usize,
    field: Field,
}

#[derive(Debug)]
enum Field {
    Xor,
    Gf256,
    Gf65536,
    Prime(PrimeField),
}

impl Plan {
    /// The Prime Field Size each part records: the request's, for the prime field only.
    pub fn prime_field_size(&self, request: Option<&BigInt>) -> Option<BigInt> {
        match self.field {
            Field::Prime(_) => request.cloned(),
            _ => None,
        }
    }

    /// The Cryptographic Length the parts record for a key of `key_len` bytes: the key's own; for
    /// the prime field, where joining needs it (see [`key_bytes`]), its bytes when it has none.
    pub fn recorded_length(&self, key_len: usize, bits: Option<i32>) -> Option<i32> {
        match self.field {
            Field::Prime(_) => bits.or_else(|| i32::try_from(key_len * 8).ok()),
            _ => bits,
        }
    }
}

/// Checks the request's method, counts and Prime Field Size.
pub fn plan(method: SplitKeyMethod, parts: i32, threshold: i32, prime: Option<&BigInt>) -> OpResult<Plan> {
    let field = field(method, prime)?;
    let parts = usize::try_from(parts)
        .ok()
        .filter(|n| (2..=MAX_PARTS).contains(n))
        .ok_or_else(|| OpError::InvalidField(format!("a key is split into 2 to {MAX_PARTS} parts")))?;
    let threshold = usize::try_from(threshold).unwrap_or(0);
    match field {
        Field::Xor if threshold != parts => {
            // 2.1 §13.1: for XOR the number of parts is "identical to Split Key Threshold".
            return Err(OpError::InvalidField(
                "an XOR split needs every part: the threshold is the number of parts".into(),
            ));
        }
        // A threshold of 1 would make every part the key itself.
        _ if !(2..=parts).contains(&threshold) => {
            return Err(OpError::InvalidField(format!("the threshold must be 2 to {parts}, the number of parts")));
        }
        _ => {}
    }
    Ok(Plan { method, parts, threshold, field })
}

fn field(method: SplitKeyMethod, prime: Option<&BigInt>) -> OpResult<Field> {
    Ok(match method {
        SplitKeyMethod::XOR => Field::Xor,
        SplitKeyMethod::PolynomialSharingGF2_8 => Field::Gf256,
        SplitKeyMethod::PolynomialSharingGF2_16 => Field::Gf65536,
        SplitKeyMethod::PolynomialSharingPrimeField => {
            let prime = prime.ok_or_else(|| {
                OpError::InvalidField("Polynomial Sharing Prime Field needs the Prime Field Size".into())
            })?;
            let magnitude =
                prime.to_unsigned().ok_or_else(|| OpError::InvalidField("the Prime Field Size is negative".into()))?;
            Field::Prime(PrimeField::new(magnitude).map_err(failure)?)
        }
        // 1.4 §11.39: "Split Key Method not supported" is Invalid Field.
        other => return Err(OpError::InvalidField(format!("the split key method {other:?}"))),
    })
}

/// The bytes of a key of this algorithm and Cryptographic Length: what a prime-field part, whose
/// bytes are as long as the prime, cannot say itself. Triple DES and DES keys carry parity bits
/// their length leaves out (create.rs records 112 and 168 for 16- and 24-byte keys).
fn key_bytes(algorithm: Option<CryptographicAlgorithm>, bits: Option<i32>) -> Option<usize> {
    let bits = usize::try_from(bits?).ok().filter(|b| *b > 0)?;
    Some(match (algorithm, bits) {
        (Some(CryptographicAlgorithm::DES3), 112) => 16,
        (Some(CryptographicAlgorithm::DES3), 168) => 24,
        (Some(CryptographicAlgorithm::DES), 56) => 8,
        _ => bits.div_ceil(8),
    })
}

/// The parts of `key` (of this algorithm and length, which the parts record), part i first at
/// index i − 1.
pub fn split(
    plan: &Plan,
    key: &[u8],
    algorithm: Option<CryptographicAlgorithm>,
    bits: Option<i32>,
) -> OpResult<Vec<Zeroizing<Vec<u8>>>> {
    let method = match &plan.field {
        Field::Xor => return split_xor(key, plan.parts),
        Field::Gf256 => Method::Gf256,
        Field::Gf65536 => Method::Gf65536,
        Field::Prime(field) => {
            // Joining reads the secret's length from the parts' Cryptographic Length: it must say
            // this key's.
            if key_bytes(algorithm, bits).is_some_and(|n| n != key.len()) {
                return Err(OpError::InvalidField(format!(
                    "the key's Cryptographic Length does not give its {} bytes, which the prime field method needs",
                    key.len()
                )));
            }
            Method::Prime { field: field.clone(), secret_len: key.len() }
        }
    };
    secret_sharing::split(&method, key, plan.threshold, plan.parts).map_err(failure)
}

/// The key that `parts` (with their key material, `values`, in the same order) make together,
/// after checking that they are enough different parts of one split.
pub fn join(parts: &[SplitKey], values: &[Zeroizing<Vec<u8>>]) -> OpResult<Zeroizing<Vec<u8>>> {
    let first = parts.first().ok_or_else(|| OpError::MissingData("the parts to join".into()))?;
    let plan = plan(
        first.split_key_method,
        first.split_key_parts,
        first.split_key_threshold,
        first.prime_field_size.as_ref(),
    )?;
    let prime = |p: &SplitKey| p.prime_field_size.as_ref().and_then(|b| b.to_unsigned().map(<[u8]>::to_vec));
    let same_split = |p: &SplitKey| {
        p.split_key_method == first.split_key_method
            && p.split_key_parts == first.split_key_parts
            && p.split_key_threshold == first.split_key_threshold
            && (!matches!(plan.field, Field::Prime(_)) || prime(p) == prime(first))
    };
    if !parts.iter().all(same_split) {
        return Err(OpError::InvalidField(
            "the parts are of different splits (method, parts, threshold or prime field)".into(),
        ));
    }
    let mut seen = [false; MAX_PARTS + 1];
    let mut identifiers = Vec::with_capacity(parts.len());
    for part in parts {
        // 2.1 §2.8: the Key Part Identifier "SHALL be at least 1 and SHALL be less than or equal
        // to Split Key Parts".
        let x = usize::try_from(part.key_part_identifier)
            .ok()
            .filter(|x| (1..=plan.parts).contains(x))
            .ok_or_else(|| OpError::InvalidField(format!("Key Part Identifier {}", part.key_part_identifier)))?;
        if std::mem::replace(&mut seen[x], true) {
            return Err(OpError::InvalidField(format!("the part {x} is given twice")));
        }
        identifiers.push(u8::try_from(x).map_err(|_| OpError::InvalidField(format!("Key Part Identifier {x}")))?);
    }
    if parts.len() < plan.threshold {
        // 1.4 §11.40: fewer identifiers than the Split Key Threshold is Cryptographic Failure.
        return Err(OpError::CryptographicFailure(format!(
            "{} parts given, and {} are needed to join the key",
            parts.len(),
            plan.threshold
        )));
    }
    let method = match plan.field {
        Field::Xor => return join_xor(values),
        Field::Gf256 => Method::Gf256,
        Field::Gf65536 => Method::Gf65536,
        Field::Prime(field) => {
            let block = &first.key_block;
            let secret_len = key_bytes(block.cryptographic_algorithm, block.cryptographic_length)
                .unwrap_or_else(|| field.max_secret_len());
            Method::Prime { field, secret_len }
        }
    };
    let shares: Vec<(u8, &[u8])> = identifiers.iter().copied().zip(values.iter().map(|v| v.as_slice())).collect();
    secret_sharing::join(&method, &shares, plan.threshold).map_err(failure)
}

/// The `count` parts of `key` for XOR.
fn split_xor(key: &[u8], count: usize) -> OpResult<Vec<Zeroizing<Vec<u8>>>> {
    let mut parts = Vec::with_capacity(count);
    let mut last = Zeroizing::new(key.to_vec());
    for _ in 1..count {
        let part = keyward_crypto::random_key(key.len()).map_err(failure)?;
        xor_into(&mut last, &part);
        parts.push(part);
    }
    parts.push(last);
    Ok(parts)
}

/// The key XOR parts make together.
fn join_xor(parts: &[Zeroizing<Vec<u8>>]) -> OpResult<Zeroizing<Vec<u8>>> {
    let Some((first, rest)) = parts.split_first() else {
        return Err(OpError::MissingData("no parts to join".into()));
    };
    let mut key = first.clone();
    for part in rest {
        if part.len() != key.len() {
            return Err(OpError::InvalidField("the parts are of different lengths".into()));
        }
        xor_into(&mut key, part);
    }
    Ok(key)
}

fn xor_into(target: &mut [u8], other: &[u8]) {
    for (t, o) in target.iter_mut().zip(other) {
        *t ^= o;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_parts_join_into_the_key_and_each_is_needed() {
        let key = [7u8; 32];
        let parts = split_xor(&key, 3).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(join_xor(&parts).unwrap().as_slice(), key);
        assert_ne!(join_xor(&parts[..2]).unwrap().as_slice(), key);
    }

    #[test]
    fn plans_check_counts_and_methods() {
        assert!(plan(SplitKeyMethod::XOR, 3, 3, None).is_ok());
        assert!(plan(SplitKeyMethod::XOR, 3, 2, None).is_err());
        assert!(plan(SplitKeyMethod::XOR, 1, 1, None).is_err());
        assert!(plan(SplitKeyMethod::PolynomialSharingGF2_8, 5, 3, None).is_ok());
        assert!(plan(SplitKeyMethod::PolynomialSharingGF2_16, 255, 2, None).is_ok());
        for (parts, threshold) in [(5, 1), (5, 0), (5, 6), (256, 3), (-1, 2), (5, -3)] {
            assert!(
                plan(SplitKeyMethod::PolynomialSharingGF2_8, parts, threshold, None).is_err(),
                "{threshold}/{parts}"
            );
        }
        assert!(plan(SplitKeyMethod::PolynomialSharingPrimeField, 5, 3, None).is_err());
        let prime = BigInt::from_unsigned(&[0x01, 0x01]); // 257
        assert!(plan(SplitKeyMethod::PolynomialSharingPrimeField, 5, 3, Some(&prime)).is_ok());
        let composite = BigInt::from_unsigned(&[0x01, 0x03]); // 259 = 7 · 37
        assert!(plan(SplitKeyMethod::PolynomialSharingPrimeField, 5, 3, Some(&composite)).is_err());
        assert!(plan(SplitKeyMethod(9), 5, 3, None).is_err());
    }

    #[test]
    fn key_lengths_with_parity_bits() {
        assert_eq!(key_bytes(Some(CryptographicAlgorithm::DES3), Some(168)), Some(24));
        assert_eq!(key_bytes(Some(CryptographicAlgorithm::DES3), Some(112)), Some(16));
        assert_eq!(key_bytes(Some(CryptographicAlgorithm::AES), Some(256)), Some(32));
        assert_eq!(key_bytes(None, Some(12)), Some(2));
        assert_eq!(key_bytes(None, None), None);
        assert_eq!(key_bytes(None, Some(-8)), None);
    }
}
