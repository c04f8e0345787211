//! Message digests: SHA-1, the SHA-2 family and SHA-3, one-shot ([`hash`]) or streaming
//! ([`Hasher`]).
//!
//! aws-lc-rs computes every digest it offers; SHA-512/224 and SHA3-224, which it lacks, come from
//! the RustCrypto `sha2` and `sha3` crates. Digests are not secret, so they come back in plain
//! vectors.

use aws_lc_rs::digest;
use sha2::Digest as _;

/// A hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1 (FIPS 180-4); for legacy use only.
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    /// SHA-512 truncated to 224 bits, with its own initial value (FIPS 180-4 §5.3.6).
    Sha512_224,
    /// SHA-512 truncated to 256 bits, with its own initial value (FIPS 180-4 §5.3.6).
    Sha512_256,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
}

impl HashAlgorithm {
    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha224 | HashAlgorithm::Sha512_224 | HashAlgorithm::Sha3_224 => 28,
            HashAlgorithm::Sha256 | HashAlgorithm::Sha512_256 | HashAlgorithm::Sha3_256 => 32,
            HashAlgorithm::Sha384 | HashAlgorithm::Sha3_384 => 48,
            HashAlgorithm::Sha512 | HashAlgorithm::Sha3_512 => 64,
        }
    }

    /// The aws-lc-rs algorithm, where aws-lc-rs has it.
    pub(crate) fn aws(self) -> Option<&'static digest::Algorithm> {
        Some(match self {
            HashAlgorithm::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlgorithm::Sha224 => &digest::SHA224,
            HashAlgorithm::Sha256 => &digest::SHA256,
            HashAlgorithm::Sha384 => &digest::SHA384,
            HashAlgorithm::Sha512 => &digest::SHA512,
            HashAlgorithm::Sha512_256 => &digest::SHA512_256,
            HashAlgorithm::Sha3_256 => &digest::SHA3_256,
            HashAlgorithm::Sha3_384 => &digest::SHA3_384,
            HashAlgorithm::Sha3_512 => &digest::SHA3_512,
            HashAlgorithm::Sha512_224 | HashAlgorithm::Sha3_224 => return None,
        })
    }
}

/// The digest of `data`.
pub fn hash(algorithm: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    let mut hasher = Hasher::new(algorithm);
    hasher.update(data);
    hasher.finish()
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

/// A digest computed over data given in parts. It is `Send` and `Clone`, so the server can hold
/// it between requests or fork it.
#[derive(Clone)]
pub struct Hasher {
    algorithm: HashAlgorithm,
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Aws(digest::Context),
    Sha512_224(sha2::Sha512_224),
    Sha3_224(sha3::Sha3_224),
}

impl Hasher {
    /// A new digest computation.
    pub fn new(algorithm: HashAlgorithm) -> Self {
        let inner = match algorithm.aws() {
            Some(aws) => Inner::Aws(digest::Context::new(aws)),
            None if algorithm == HashAlgorithm::Sha512_224 => Inner::Sha512_224(sha2::Sha512_224::new()),
            None => Inner::Sha3_224(sha3::Sha3_224::new()),
        };
        Hasher { algorithm, inner }
    }

    /// The algorithm being computed.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// Feeds the next part of the data.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.inner {
            Inner::Aws(ctx) => ctx.update(data),
            Inner::Sha512_224(h) => h.update(data),
            Inner::Sha3_224(h) => h.update(data),
        }
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Vec<u8> {
        match self.inner {
            Inner::Aws(ctx) => ctx.finish().as_ref().to_vec(),
            Inner::Sha512_224(h) => h.finalize().to_vec(),
            Inner::Sha3_224(h) => h.finalize().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::h;

    // FIPS 180-4 and FIPS 202 example values ("abc", the empty string and the two-block message),
    // as published by NIST in the Cryptographic Standards and Guidelines "Examples with
    // Intermediate Values" (SHA1.pdf, SHA224.pdf, SHA256.pdf, SHA384.pdf, SHA512.pdf,
    // SHA512_224.pdf, SHA512_256.pdf, SHA3-224.pdf … SHA3-512.pdf), which are also the first
    // entries of the CAVP SHAVS / SHA3VS short-message files.
    const ABC: &[(HashAlgorithm, &str)] = &[
        (HashAlgorithm::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (HashAlgorithm::Sha224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
        (HashAlgorithm::Sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            HashAlgorithm::Sha384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            HashAlgorithm::Sha512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd\
             454d4423643ce80e2a9ac94fa54ca49f",
        ),
        (HashAlgorithm::Sha512_224, "4634270f707b6a54daae7530460842e20e37ed265ceee9a43e8924aa"),
        (HashAlgorithm::Sha512_256, "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"),
        (HashAlgorithm::Sha3_224, "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf"),
        (HashAlgorithm::Sha3_256, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"),
        (
            HashAlgorithm::Sha3_384,
            "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25",
        ),
        (
            HashAlgorithm::Sha3_512,
            "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934\
             057340b4cf408d5a56592f8274eec53f0",
        ),
    ];

    #[test]
    fn abc_matches_the_nist_examples() {
        for (alg, want) in ABC {
            assert_eq!(hash(*alg, b"abc"), h(want), "{alg:?}");
            assert_eq!(hash(*alg, b"abc").len(), alg.output_len(), "{alg:?}");
        }
    }

    #[test]
    fn empty_message_matches_the_nist_examples() {
        // FIPS 180-4 / FIPS 202 digests of the empty message (CAVP ShortMsg, Len = 0).
        assert_eq!(hash(HashAlgorithm::Sha1, b""), h("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
        assert_eq!(
            hash(HashAlgorithm::Sha256, b""),
            h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(
            hash(HashAlgorithm::Sha3_256, b""),
            h("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
        );
    }

    #[test]
    fn two_block_message_matches_the_fips_180_example() {
        // FIPS 180-4 examples: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".
        let msg = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            hash(HashAlgorithm::Sha256, msg),
            h("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        );
        assert_eq!(hash(HashAlgorithm::Sha1, msg), h("84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
    }

    #[test]
    fn streaming_equals_one_shot_for_every_algorithm() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        for (alg, _) in ABC {
            let mut hasher = Hasher::new(*alg);
            for part in data.chunks(97) {
                hasher.update(part);
            }
            assert_eq!(hasher.finish(), hash(*alg, &data), "{alg:?}");
        }
    }

    #[test]
    fn sha256_helper_agrees() {
        assert_eq!(sha256(b"abc").to_vec(), hash(HashAlgorithm::Sha256, b"abc"));
    }
}
