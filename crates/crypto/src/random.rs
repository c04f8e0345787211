//! Random bytes and keys from the DRBG of aws-lc, and the KMIP RNG Seed operation.
//!
//! aws-lc seeds its CTR-DRBG from the operating system and reseeds it itself (with fork and
//! thread safety), so there is nothing useful a client's seed could add and aws-lc-rs offers no
//! safe way to mix it in. [`seed`] therefore accepts the data and ignores it, which KMIP allows:
//! the RNG Seed response says how many bytes were used, and that is zero.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::{CryptoError, CryptoResult};

/// `len` random bytes, for nonces, identifiers and the KMIP RNG Retrieve operation.
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

/// Accepts seed data for the generator and returns how many of its bytes were used: always 0,
/// because aws-lc's DRBG seeds and reseeds itself from the operating system (see the module doc).
pub fn seed(data: &[u8]) -> usize {
    let _ = data;
    0
}

/// The aws-lc generator in the shape the RustCrypto `rsa` crate asks for (rand_core 0.10), so
/// that every random byte in this crate comes from one DRBG.
pub(crate) struct AwsLcRng;

/// The generator failed; only the `rsa` fallback sees this, and it maps it to its own error.
#[derive(Debug)]
pub(crate) struct RngFailure;

impl core::fmt::Display for RngFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the system random number generator failed")
    }
}

impl core::error::Error for RngFailure {}

impl rand_core::TryRng for AwsLcRng {
    type Error = RngFailure;

    fn try_next_u32(&mut self) -> Result<u32, RngFailure> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, RngFailure> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngFailure> {
        SystemRandom::new().fill(dst).map_err(|_| RngFailure)
    }
}

impl rand_core::TryCryptoRng for AwsLcRng {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::TryRng;

    #[test]
    fn keys_have_the_length_asked_and_differ() {
        let a = random_key(32).unwrap();
        let b = random_key(32).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(*a, *b);
    }

    #[test]
    fn any_length_can_be_retrieved() {
        for len in [0usize, 1, 15, 16, 17, 1000, 65536] {
            assert_eq!(random_bytes(len).unwrap().len(), len);
        }
    }

    #[test]
    fn seeding_is_accepted_and_reports_zero_bytes_used() {
        assert_eq!(seed(b"some client entropy"), 0);
        assert_eq!(random_bytes(8).unwrap().len(), 8);
    }

    #[test]
    fn the_rand_core_adapter_fills() {
        let mut buf = [0u8; 64];
        AwsLcRng.try_fill_bytes(&mut buf).unwrap();
        assert_ne!(buf, [0u8; 64]);
        let _ = AwsLcRng.try_next_u64().unwrap();
    }
}
