//! Splitting a key into parts and joining them (Create Split Key, Join Split Key; 2.1 §6.1.10,
//! §6.1.27): the XOR method, where every part is needed. N − 1 parts are random and the last is
//! the key XORed with all of them, so fewer than N parts say nothing about the key. The polynomial
//! sharing methods (threshold schemes) are not offered.

use keyward_kmip::enums::SplitKeyMethod;
use zeroize::Zeroizing;

use crate::error::{OpError, OpResult};

/// Checks a split the server can make: XOR, with as many parts needed as there are.
pub fn check_method(method: SplitKeyMethod, parts: i32, threshold: i32) -> OpResult<usize> {
    if method != SplitKeyMethod::XOR {
        return Err(OpError::FeatureNotSupported(format!("the split key method {method:?}")));
    }
    if threshold != parts {
        return Err(OpError::InvalidField(
            "an XOR split needs every part: the threshold is the number of parts".into(),
        ));
    }
    usize::try_from(parts)
        .ok()
        .filter(|n| (2..=255).contains(n))
        .ok_or_else(|| OpError::InvalidField("a key is split into 2 to 255 parts".into()))
}

/// The `count` parts of `key`.
pub fn split(key: &[u8], count: usize) -> OpResult<Vec<Zeroizing<Vec<u8>>>> {
    let mut parts = Vec::with_capacity(count);
    let mut last = Zeroizing::new(key.to_vec());
    for _ in 1..count {
        let part = keyward_crypto::random_key(key.len()).map_err(|e| OpError::CryptographicFailure(e.to_string()))?;
        xor_into(&mut last, &part);
        parts.push(part);
    }
    parts.push(last);
    Ok(parts)
}

/// The key the parts make together.
pub fn join(parts: &[Zeroizing<Vec<u8>>]) -> OpResult<Zeroizing<Vec<u8>>> {
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
    fn the_parts_join_into_the_key_and_each_is_needed() {
        let key = [7u8; 32];
        let parts = split(&key, 3).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(join(&parts).unwrap().as_slice(), key);
        assert_ne!(join(&parts[..2]).unwrap().as_slice(), key);
    }

    #[test]
    fn only_xor_with_every_part_needed() {
        assert!(check_method(SplitKeyMethod::XOR, 3, 3).is_ok());
        assert!(check_method(SplitKeyMethod::XOR, 3, 2).is_err());
        assert!(check_method(SplitKeyMethod::PolynomialSharingGF2_8, 3, 2).is_err());
        assert!(check_method(SplitKeyMethod::XOR, 1, 1).is_err());
    }
}
