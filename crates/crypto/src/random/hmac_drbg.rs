//! HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1 §10.1.2), the generator behind the KMIP RNG
//! Seed and RNG Retrieve operations (see the parent module for why one is needed at all).
//!
//! HMAC_DRBG was chosen over CTR_DRBG and Hash_DRBG because its whole definition is two HMAC
//! calls per update, over the RustCrypto `hmac` and `sha2` crates this crate already uses, so
//! there is little room for a mistake; the NIST CAVP answers below check it. The state (Key and
//! V) is zeroized when dropped.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The output length of SHA-256, `outlen` in SP 800-90A.
const OUTLEN: usize = 32;

/// The most bytes one Generate call may return: 2^19 bits (SP 800-90A Table 2,
/// max_number_of_bits_per_request).
pub(crate) const MAX_REQUEST_BYTES: usize = 1 << 16;

/// Generate calls allowed between reseeds. SP 800-90A allows 2^48; the owner reseeds far sooner
/// (every call mixes in fresh entropy), this is only the backstop of §10.1.2.5 step 1.
const RESEED_INTERVAL: u64 = 1 << 32;

/// The working state of §10.1.2.1: Key, V and the reseed counter.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct HmacDrbg {
    key: [u8; OUTLEN],
    value: [u8; OUTLEN],
    #[zeroize(skip)]
    reseed_counter: u64,
}

/// The Generate function refused: the state must be reseeded first (§10.1.2.5 step 1).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ReseedRequired;

fn hmac(key: &[u8; OUTLEN], parts: &[&[u8]]) -> [u8; OUTLEN] {
    // A key of 32 bytes is always accepted by HMAC.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl HmacDrbg {
    /// HMAC_DRBG_Instantiate_algorithm (§10.1.2.3): seed material is entropy || nonce ||
    /// personalization string.
    pub(crate) fn instantiate(entropy: &[u8], nonce: &[u8], personalization: &[u8]) -> HmacDrbg {
        let mut drbg = HmacDrbg { key: [0; OUTLEN], value: [1; OUTLEN], reseed_counter: 1 };
        drbg.update(&[entropy, nonce, personalization]);
        drbg
    }

    /// HMAC_DRBG_Reseed_algorithm (§10.1.2.4): seed material is entropy || additional input.
    pub(crate) fn reseed(&mut self, entropy: &[u8], additional: &[u8]) {
        self.update(&[entropy, additional]);
        self.reseed_counter = 1;
    }

    /// HMAC_DRBG_Generate_algorithm (§10.1.2.5), `out.len()` at most [`MAX_REQUEST_BYTES`].
    pub(crate) fn generate(&mut self, out: &mut [u8], additional: &[u8]) -> Result<(), ReseedRequired> {
        debug_assert!(out.len() <= MAX_REQUEST_BYTES);
        if self.reseed_counter > RESEED_INTERVAL {
            return Err(ReseedRequired);
        }
        if !additional.is_empty() {
            self.update(&[additional]);
        }
        for chunk in out.chunks_mut(OUTLEN) {
            self.value = hmac(&self.key, &[&self.value]);
            chunk.copy_from_slice(&self.value[..chunk.len()]);
        }
        self.update(&[additional]);
        self.reseed_counter += 1;
        Ok(())
    }

    /// HMAC_DRBG_Update (§10.1.2.2), the provided data being the concatenation of `data`.
    fn update(&mut self, data: &[&[u8]]) {
        let provided_is_empty = data.iter().all(|part| part.is_empty());
        for round in [0x00u8, 0x01] {
            let round = [round];
            let mut parts: Vec<&[u8]> = vec![&self.value, &round];
            parts.extend_from_slice(data);
            self.key = hmac(&self.key, &parts);
            self.value = hmac(&self.key, &[&self.value]);
            if provided_is_empty {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        hex::decode(text).unwrap()
    }

    /// NIST CAVP HMAC_DRBG test vectors, [SHA-256], no prediction resistance, no reseed, no
    /// personalization or additional input, COUNT = 0: instantiate, generate 1024 bits and
    /// discard them, generate 1024 bits again and compare.
    #[test]
    fn nist_cavp_sha256_count_0() {
        let mut drbg = HmacDrbg::instantiate(
            &hex("ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488"),
            &hex("659ba96c601dc69fc902940805ec0ca8"),
            &[],
        );
        let mut out = [0u8; 128];
        drbg.generate(&mut out, &[]).unwrap();
        drbg.generate(&mut out, &[]).unwrap();
        let expected = hex(concat!(
            "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89",
            "d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc1",
            "07694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668",
            "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8",
        ));
        assert_eq!(out.to_vec(), expected);
    }

    /// NIST CAVP HMAC_DRBG, [SHA-256], no prediction resistance, with a reseed, COUNT = 0.
    #[test]
    fn nist_cavp_sha256_reseed_count_0() {
        let mut drbg = HmacDrbg::instantiate(
            &hex("06032cd5eed33f39265f49ecb142c511da9aff2af71203bffaf34a9ca5bd9c0d"),
            &hex("0e66f71edc43e42a45ad3c6fc6cdc4df"),
            &[],
        );
        drbg.reseed(&hex("01920a4e669ed3a85ae8a33b35a74ad7fb2a6bb4cf395ce00334a9c9a5a5d552"), &[]);
        let mut out = [0u8; 128];
        drbg.generate(&mut out, &[]).unwrap();
        drbg.generate(&mut out, &[]).unwrap();
        let expected = hex(concat!(
            "76fc79fe9b50beccc991a11b5635783a83536add03c157fb30645e611c2898bb",
            "2b1bc215000209208cd506cb28da2a51bdb03826aaf2bd2335d576d519160842",
            "e7158ad0949d1a9ec3e66ea1b1a064b005de914eac2e9d4f2d72a8616a802254",
            "22918250ff66a41bd2f864a6a38cc5b6499dc43f7f2bd09e1e0f8f5885935124",
        ));
        assert_eq!(out.to_vec(), expected);
    }

    #[test]
    fn additional_input_changes_the_output() {
        let mut a = HmacDrbg::instantiate(&[7; 32], &[8; 16], &[]);
        let mut b = HmacDrbg::instantiate(&[7; 32], &[8; 16], &[]);
        let (mut x, mut y) = ([0u8; 48], [0u8; 48]);
        a.generate(&mut x, &[]).unwrap();
        b.generate(&mut y, b"more").unwrap();
        assert_ne!(x, y);
    }

    #[test]
    fn the_reseed_counter_is_enforced() {
        let mut drbg = HmacDrbg::instantiate(&[1; 32], &[2; 16], &[]);
        drbg.reseed_counter = RESEED_INTERVAL + 1;
        assert_eq!(drbg.generate(&mut [0u8; 4], &[]), Err(ReseedRequired));
        drbg.reseed(&[3; 32], &[]);
        assert!(drbg.generate(&mut [0u8; 4], &[]).is_ok());
    }
}
