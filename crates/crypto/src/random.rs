//! Random bytes and keys from the DRBG of aws-lc, and the generator of the KMIP RNG Seed and RNG
//! Retrieve operations.
//!
//! Keys and nonces come from aws-lc's CTR-DRBG, which seeds and reseeds itself from the operating
//! system; aws-lc-rs offers no way to mix a client's bytes into it. RNG Seed (1.4 §4.36) asks the
//! server to seed "a Random Number Generator", and RNG Retrieve (1.4 §4.35) draws from one, so
//! the two use [`SeededGenerator`]: one HMAC_DRBG (SP 800-90A, see `hmac_drbg`) per server,
//! instantiated from the system generator. A client's seed only ever adds to it: it is the
//! additional input of a reseed whose entropy input comes from the system generator, so a seed
//! chosen by an attacker cannot make the output weaker than the system generator alone. Every
//! Generate also takes fresh system entropy as additional input, so the output of RNG Retrieve is
//! never less random than the system's even between reseeds.

use std::sync::Mutex;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::{CryptoError, CryptoResult};

mod hmac_drbg;

use hmac_drbg::{HmacDrbg, MAX_REQUEST_BYTES};

/// The most seed bytes one RNG Seed request may give: more adds nothing to a 256-bit state, and
/// the rest is reported as not used.
pub const MAX_SEED_LEN: usize = 4096;

/// The bytes of system entropy drawn for each instantiate and reseed: 256 bits, the security
/// strength of HMAC_DRBG with SHA-256, and a nonce of half that (SP 800-90A §8.6.7).
const ENTROPY_LEN: usize = 32;
const NONCE_LEN: usize = 16;

/// The server's generator for RNG Seed and RNG Retrieve (see the module doc).
pub struct SeededGenerator {
    state: Mutex<Option<HmacDrbg>>,
}

impl Default for SeededGenerator {
    fn default() -> Self {
        SeededGenerator::new()
    }
}

impl SeededGenerator {
    /// A generator instantiated from the system generator on first use.
    pub fn new() -> SeededGenerator {
        SeededGenerator { state: Mutex::new(None) }
    }

    /// Mixes `seed` into the generator (a reseed with fresh system entropy and the seed as
    /// additional input) and returns how many of its bytes were used: all of them up to
    /// [`MAX_SEED_LEN`].
    pub fn seed(&self, seed: &[u8]) -> CryptoResult<usize> {
        let used = &seed[..seed.len().min(MAX_SEED_LEN)];
        let entropy = random_key(ENTROPY_LEN)?;
        self.with_state(|drbg| {
            drbg.reseed(&entropy, used);
            Ok(())
        })?;
        Ok(used.len())
    }

    /// `len` bytes from the generator.
    pub fn generate(&self, len: usize) -> CryptoResult<Vec<u8>> {
        let mut out = vec![0u8; len];
        for chunk in out.chunks_mut(MAX_REQUEST_BYTES) {
            let fresh = random_key(ENTROPY_LEN)?;
            self.with_state(|drbg| match drbg.generate(chunk, &fresh) {
                Ok(()) => Ok(()),
                Err(hmac_drbg::ReseedRequired) => {
                    drbg.reseed(&fresh, &[]);
                    drbg.generate(chunk, &[]).map_err(|_| CryptoError::Rng)
                }
            })?;
        }
        Ok(out)
    }

    fn with_state<T>(&self, work: impl FnOnce(&mut HmacDrbg) -> CryptoResult<T>) -> CryptoResult<T> {
        // A panic while the lock was held cannot leave a half-updated state that matters: every
        // update replaces Key and V whole, and fresh entropy goes into each call anyway.
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.is_none() {
            let entropy = random_key(ENTROPY_LEN)?;
            let nonce = random_key(NONCE_LEN)?;
            *state = Some(HmacDrbg::instantiate(&entropy, &nonce, b"keyward RNG Retrieve"));
        }
        match state.as_mut() {
            Some(drbg) => work(drbg),
            None => Err(CryptoError::Rng),
        }
    }
}

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
    fn a_seed_is_used_up_to_the_limit_and_reported() {
        let generator = SeededGenerator::new();
        assert_eq!(generator.seed(b"some client entropy").unwrap(), 19);
        assert_eq!(generator.seed(&[]).unwrap(), 0);
        assert_eq!(generator.seed(&vec![7; MAX_SEED_LEN + 10]).unwrap(), MAX_SEED_LEN);
    }

    #[test]
    fn the_seeded_generator_gives_any_length_and_never_repeats() {
        let generator = SeededGenerator::new();
        for len in [0usize, 1, 31, 32, 33, MAX_REQUEST_BYTES, MAX_REQUEST_BYTES + 1, 200_000] {
            assert_eq!(generator.generate(len).unwrap().len(), len);
        }
        assert_ne!(generator.generate(32).unwrap(), generator.generate(32).unwrap());
    }

    #[test]
    fn a_known_seed_does_not_make_two_generators_agree() {
        // The seed is mixed in with system entropy, never a replacement for it.
        let (a, b) = (SeededGenerator::new(), SeededGenerator::new());
        a.seed(&[0; 64]).unwrap();
        b.seed(&[0; 64]).unwrap();
        assert_ne!(a.generate(64).unwrap(), b.generate(64).unwrap());
    }

    #[test]
    fn the_rand_core_adapter_fills() {
        let mut buf = [0u8; 64];
        AwsLcRng.try_fill_bytes(&mut buf).unwrap();
        assert_ne!(buf, [0u8; 64]);
        let _ = AwsLcRng.try_next_u64().unwrap();
    }
}
