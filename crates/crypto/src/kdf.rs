//! Key derivation: PBKDF2 (RFC 8018), HKDF (RFC 5869), NIST SP 800-108 KDF in counter mode with
//! an HMAC PRF, and a plain digest of the input (KMIP's "Hash" derivation method). All from
//! aws-lc-rs; every derived key comes back in a zeroizing buffer.
//!
//! ## SP 800-108 counter mode layout
//!
//! [`sp800_108_counter_hmac`] builds the fixed input of SP 800-108r1 §4 / §5.1:
//!
//! ```text
//! K(i) = HMAC(K_in, [i]_32 || Label || 0x00 || Context || [L]_32)     i = 1, 2, …
//! ```
//!
//! where `[i]_32` is the block counter and `[L]_32` the output length *in bits*, both 32-bit
//! big-endian, and the output is the first L bits of K(1) || K(2) || …. The counter comes before
//! the fixed input (CAVP's `CTRLOCATION=BEFORE_FIXED`, `RLEN=32_BITS`).
//! [`sp800_108_counter_hmac_fixed`] takes an already assembled fixed input instead.

use std::num::NonZeroU32;

use aws_lc_rs::kdf::{KbkdfCtrHmacAlgorithmId, get_kbkdf_ctr_hmac_algorithm, kbkdf_ctr_hmac};
use aws_lc_rs::{hkdf, hmac, pbkdf2};
use zeroize::Zeroizing;

use crate::hash::{HashAlgorithm, hash};
use crate::{CryptoError, CryptoResult};

/// PBKDF2 with HMAC over `prf_hash` (SHA-1, SHA-256, SHA-384 or SHA-512).
pub fn pbkdf2(
    prf_hash: HashAlgorithm,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out_len: usize,
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let alg = match prf_hash {
        HashAlgorithm::Sha1 => pbkdf2::PBKDF2_HMAC_SHA1,
        HashAlgorithm::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
        HashAlgorithm::Sha384 => pbkdf2::PBKDF2_HMAC_SHA384,
        HashAlgorithm::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
        other => return Err(CryptoError::unsupported(format!("PBKDF2 with HMAC-{other:?}"))),
    };
    let iterations =
        NonZeroU32::new(iterations).ok_or_else(|| CryptoError::input("PBKDF2 needs at least one iteration"))?;
    check_out_len(out_len)?;
    let mut out = Zeroizing::new(vec![0u8; out_len]);
    pbkdf2::derive(alg, iterations, salt, password, &mut out);
    Ok(out)
}

fn hkdf_alg(h: HashAlgorithm) -> CryptoResult<(hkdf::Algorithm, hmac::Algorithm)> {
    Ok(match h {
        HashAlgorithm::Sha1 => (hkdf::HKDF_SHA1_FOR_LEGACY_USE_ONLY, hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
        HashAlgorithm::Sha256 => (hkdf::HKDF_SHA256, hmac::HMAC_SHA256),
        HashAlgorithm::Sha384 => (hkdf::HKDF_SHA384, hmac::HMAC_SHA384),
        HashAlgorithm::Sha512 => (hkdf::HKDF_SHA512, hmac::HMAC_SHA512),
        other => return Err(CryptoError::unsupported(format!("HKDF with {other:?}"))),
    })
}

/// HKDF (RFC 5869): extract with `salt` (empty means HashLen zero bytes), then expand with `info`
/// to `out_len` bytes (at most 255 × the hash length).
pub fn hkdf(
    hash: HashAlgorithm,
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    out_len: usize,
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let prk = hkdf_extract(hash, salt, ikm)?;
    hkdf_expand(hash, &prk, info, out_len)
}

/// HKDF-Extract (RFC 5869 §2.2): the pseudorandom key, HMAC-Hash(salt, IKM).
///
/// aws-lc-rs keeps its PRK opaque, so this computes the definition directly with aws-lc's HMAC;
/// an empty salt is the same HMAC key as HashLen zero bytes, as the RFC requires.
pub fn hkdf_extract(hash: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let (_, mac) = hkdf_alg(hash)?;
    Ok(Zeroizing::new(hmac::sign(&hmac::Key::new(mac, salt), ikm).as_ref().to_vec()))
}

/// HKDF-Expand (RFC 5869 §2.3) of a pseudorandom key `prk` to `out_len` bytes.
pub fn hkdf_expand(hash: HashAlgorithm, prk: &[u8], info: &[u8], out_len: usize) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let (alg, _) = hkdf_alg(hash)?;
    check_out_len(out_len)?;
    if out_len > 255 * hash.output_len() {
        return Err(CryptoError::input(format!("HKDF can derive at most {} bytes", 255 * hash.output_len())));
    }
    let prk = hkdf::Prk::new_less_safe(alg, prk);
    let info = [info];
    let okm = prk.expand(&info, OutLen(out_len)).map_err(|_| CryptoError::failed("HKDF expand"))?;
    let mut out = Zeroizing::new(vec![0u8; out_len]);
    okm.fill(&mut out).map_err(|_| CryptoError::failed("HKDF expand"))?;
    Ok(out)
}

/// An HKDF output length that aws-lc-rs accepts as a key type.
struct OutLen(usize);

impl hkdf::KeyType for OutLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// NIST SP 800-108 KDF in counter mode with HMAC over `prf_hash` (SHA-224, SHA-256, SHA-384 or
/// SHA-512): the fixed input is `label || 0x00 || context || [L]_32`, see the module doc.
pub fn sp800_108_counter_hmac(
    prf_hash: HashAlgorithm,
    key: &[u8],
    label: &[u8],
    context: &[u8],
    out_len: usize,
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let bits = out_len
        .checked_mul(8)
        .and_then(|b| u32::try_from(b).ok())
        .ok_or_else(|| CryptoError::input("SP 800-108 output too long"))?;
    let mut fixed = Vec::with_capacity(label.len() + context.len() + 5);
    fixed.extend_from_slice(label);
    fixed.push(0x00);
    fixed.extend_from_slice(context);
    fixed.extend_from_slice(&bits.to_be_bytes());
    sp800_108_counter_hmac_fixed(prf_hash, key, &fixed, out_len)
}

/// NIST SP 800-108 counter mode with a caller-assembled fixed input: block i is
/// `HMAC(key, [i]_32 || fixed_input)`.
pub fn sp800_108_counter_hmac_fixed(
    prf_hash: HashAlgorithm,
    key: &[u8],
    fixed_input: &[u8],
    out_len: usize,
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let id = match prf_hash {
        HashAlgorithm::Sha224 => KbkdfCtrHmacAlgorithmId::Sha224,
        HashAlgorithm::Sha256 => KbkdfCtrHmacAlgorithmId::Sha256,
        HashAlgorithm::Sha384 => KbkdfCtrHmacAlgorithmId::Sha384,
        HashAlgorithm::Sha512 => KbkdfCtrHmacAlgorithmId::Sha512,
        other => return Err(CryptoError::unsupported(format!("SP 800-108 with HMAC-{other:?}"))),
    };
    let alg = get_kbkdf_ctr_hmac_algorithm(id).ok_or_else(|| CryptoError::unsupported("SP 800-108 PRF"))?;
    check_out_len(out_len)?;
    if key.is_empty() {
        return Err(CryptoError::key("SP 800-108 needs a non-empty key"));
    }
    let mut out = Zeroizing::new(vec![0u8; out_len]);
    kbkdf_ctr_hmac(alg, key, fixed_input, &mut out).map_err(|_| CryptoError::failed("SP 800-108 derivation"))?;
    Ok(out)
}

/// KMIP's "Hash" derivation: the digest of `data` (the derivation data, or the base key's value)
/// as the derived key.
pub fn derive_by_hash(hash_alg: HashAlgorithm, data: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(hash(hash_alg, data))
}

fn check_out_len(out_len: usize) -> CryptoResult<()> {
    if out_len == 0 {
        return Err(CryptoError::input("the derived key length must not be zero"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::h;

    #[test]
    fn pbkdf2_sha1_matches_rfc_6070() {
        // RFC 6070 §2, all cases but the 16,777,216-iteration one (too slow for a unit test).
        let cases: [(&[u8], &[u8], u32, &str); 5] = [
            (b"password", b"salt", 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
            (b"password", b"salt", 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
            (b"password", b"salt", 4096, "4b007901b765489abead49d926f721d065a429c1"),
            (
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
            ),
            (b"pass\0word", b"sa\0lt", 4096, "56fa6aa75548099dcc37d7f03425e0c3"),
        ];
        for (p, s, c, dk) in cases {
            let want = h(dk);
            assert_eq!(*pbkdf2(HashAlgorithm::Sha1, p, s, c, want.len()).unwrap(), want, "c = {c}");
        }
    }

    #[test]
    fn pbkdf2_sha256_matches_rfc_7914() {
        // RFC 7914 §11, PBKDF2-HMAC-SHA256 test vector 1.
        let want = h("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
                      49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
        assert_eq!(*pbkdf2(HashAlgorithm::Sha256, b"passwd", b"salt", 1, 64).unwrap(), want);
    }

    #[test]
    fn pbkdf2_refuses_zero_iterations_and_other_prfs() {
        assert!(matches!(pbkdf2(HashAlgorithm::Sha256, b"p", b"s", 0, 16), Err(CryptoError::InvalidInput(_))));
        assert!(matches!(pbkdf2(HashAlgorithm::Sha3_256, b"p", b"s", 1, 16), Err(CryptoError::Unsupported(_))));
    }

    #[test]
    fn hkdf_matches_rfc_5869() {
        // RFC 5869 Appendix A: test cases 1, 2, 3 (SHA-256), 4 and 7 (SHA-1).
        let long = |start: u8| (0..80u8).map(|i| start.wrapping_add(i)).collect::<Vec<u8>>();
        // (hash, IKM, salt, info, PRK, OKM)
        type Case = (HashAlgorithm, Vec<u8>, Option<Vec<u8>>, Vec<u8>, &'static str, &'static str);
        let cases: [Case; 5] = [
            (
                HashAlgorithm::Sha256,
                vec![0x0b; 22],
                Some(h("000102030405060708090a0b0c")),
                h("f0f1f2f3f4f5f6f7f8f9"),
                "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
            ),
            (
                HashAlgorithm::Sha256,
                long(0x00),
                Some(long(0x60)),
                long(0xb0),
                "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09\
                 da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
            ),
            (
                HashAlgorithm::Sha256,
                vec![0x0b; 22],
                Some(vec![]),
                vec![],
                "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
            ),
            (
                HashAlgorithm::Sha1,
                vec![0x0b; 11],
                Some(h("000102030405060708090a0b0c")),
                h("f0f1f2f3f4f5f6f7f8f9"),
                "9b6c18c432a7bf8f0e71c8eb88f4b30baa2ba243",
                "085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896",
            ),
            (
                // Test case 7: salt not provided, which means HashLen zero bytes.
                HashAlgorithm::Sha1,
                vec![0x0c; 22],
                None,
                vec![],
                "2adccada18779e7c2077ad2eb19d3f3e731385dd",
                "2c91117204d745f3500d636a62f64f0ab3bae548aa53d423b0d1f27ebba6f5e5673a081d70cce7acfc48",
            ),
        ];
        for (hash, ikm, salt, info, prk, okm) in cases {
            let salt = salt.unwrap_or_default();
            let okm = h(okm);
            assert_eq!(*hkdf_extract(hash, &salt, &ikm).unwrap(), h(prk));
            assert_eq!(*hkdf_expand(hash, &h(prk), &info, okm.len()).unwrap(), okm);
            assert_eq!(*hkdf(hash, &ikm, &salt, &info, okm.len()).unwrap(), okm);
        }
    }

    #[test]
    fn hkdf_refuses_too_long_outputs() {
        assert!(matches!(hkdf(HashAlgorithm::Sha256, b"k", b"", b"", 255 * 32 + 1), Err(CryptoError::InvalidInput(_))));
        assert_eq!(hkdf(HashAlgorithm::Sha256, b"k", b"", b"", 255 * 32).unwrap().len(), 255 * 32);
    }

    #[test]
    fn sp800_108_matches_the_cavp_counter_mode_vector() {
        // NIST CAVP KBKDF (SP 800-108), KDFCTR_gen.rsp, [PRF=HMAC_SHA256] [CTRLOCATION=BEFORE_FIXED]
        // [RLEN=32_BITS], COUNT=0, L = 128.
        let ki = h("dd1d91b7d90b2bd3138533ce92b272fbf8a369316aefe242e659cc0ae238afe0");
        let fixed = h("01322b96b30acd197979444e468e1c5c6859bf1b1cf951b7e725303e237e46b8\
                       64a145fab25e517b08f8683d0315bb2911d80a0e8aba17f3b413faac");
        let ko = sp800_108_counter_hmac_fixed(HashAlgorithm::Sha256, &ki, &fixed, 16).unwrap();
        assert_eq!(*ko, h("10621342bfb0fd40046c0e29f2cfdbf0"));
    }

    #[test]
    fn sp800_108_label_context_layout_is_as_documented() {
        // The documented layout, checked against our HMAC: one block, counter 1, L = 256 bits.
        let key = [0x42u8; 32];
        let got = sp800_108_counter_hmac(HashAlgorithm::Sha256, &key, b"label", b"context", 32).unwrap();
        let input = [&[0, 0, 0, 1][..], b"label", &[0], b"context", &256u32.to_be_bytes()].concat();
        let want = crate::mac::mac(crate::mac::MacAlgorithm::Hmac(HashAlgorithm::Sha256), &key, &input).unwrap();
        assert_eq!(*got, want);
        // Two blocks: the second uses counter 2 and the same fixed input (L = 512).
        let got = sp800_108_counter_hmac(HashAlgorithm::Sha256, &key, b"l", b"c", 64).unwrap();
        let fixed = [&b"l"[..], &[0], b"c", &512u32.to_be_bytes()].concat();
        let mac = |i: u32| {
            let input = [&i.to_be_bytes()[..], &fixed].concat();
            crate::mac::mac(crate::mac::MacAlgorithm::Hmac(HashAlgorithm::Sha256), &key, &input).unwrap()
        };
        assert_eq!(*got, [mac(1), mac(2)].concat());
    }

    #[test]
    fn derive_by_hash_is_the_digest() {
        assert_eq!(*derive_by_hash(HashAlgorithm::Sha256, b"abc"), hash(HashAlgorithm::Sha256, b"abc"));
    }
}
