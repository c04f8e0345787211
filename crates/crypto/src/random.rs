//! Random bytes and keys from the system DRBG of aws-lc.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::{CryptoError, CryptoResult};

/// `len` random bytes, for nonces and identifiers.
pub fn random_bytes(len: usize) -> CryptoResult<Vec<u8>> {
    let mut bytes = vec![0u8; len];
    SystemRandom::new().fill(&mut bytes).map_err(|_| CryptoError::Rng)?;
    Ok(bytes)
}

/// A new secret key of `len` bytes, zeroized when dropped.
pub fn random_key(len: usize) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let mut key = Zeroizing::new(vec![0u8; len]);
    SystemRandom::new().fill(&mut key).map_err(|_| CryptoError::Rng)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_length_asked_and_differ() {
        let a = random_key(32).unwrap();
        let b = random_key(32).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(*a, *b);
    }
}
