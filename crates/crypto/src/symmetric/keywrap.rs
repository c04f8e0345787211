//! AES key wrap: RFC 3394 (NIST SP 800-38F KW) and RFC 5649 (KWP, with padding).
//!
//! aws-lc-rs wraps under 128- and 256-bit KEKs; it has no AES-192 KEK, so those come from the
//! RustCrypto `aes-kw` crate.

use aes_kw::{KeyInit, KwAes192, KwpAes192};
use aws_lc_rs::key_wrap::{AES_128, AES_256, AesBlockCipher, KeyEncryptionKey, KeyWrap as _, KeyWrapPadded as _};
use zeroize::Zeroizing;

use crate::{CryptoError, CryptoResult};

/// The key wrap variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyWrap {
    /// RFC 3394 / SP 800-38F KW: the key is a multiple of 8 bytes, at least 16.
    Rfc3394,
    /// RFC 5649 / SP 800-38F KWP: any key length from 1 byte.
    Rfc5649,
}

enum Kek {
    Aws(&'static AesBlockCipher),
    Aes192,
}

fn kek(kek: &[u8]) -> CryptoResult<Kek> {
    Ok(match kek.len() {
        16 => Kek::Aws(&AES_128),
        24 => Kek::Aes192,
        32 => Kek::Aws(&AES_256),
        n => return Err(CryptoError::key(format!("a key-encryption key is 16, 24 or 32 bytes, not {n}"))),
    })
}

fn check_key_len(kind: KeyWrap, len: usize) -> CryptoResult<()> {
    let ok = match kind {
        KeyWrap::Rfc3394 => len >= 16 && len.is_multiple_of(8),
        KeyWrap::Rfc5649 => len >= 1,
    };
    if ok {
        Ok(())
    } else {
        Err(CryptoError::input(match kind {
            KeyWrap::Rfc3394 => "RFC 3394 wraps keys of a multiple of 8 bytes, at least 16",
            KeyWrap::Rfc5649 => "there is no key to wrap",
        }))
    }
}

/// Wraps `key` under the AES key-encryption key `kek_bytes`.
pub fn wrap_key(kind: KeyWrap, kek_bytes: &[u8], key: &[u8]) -> CryptoResult<Vec<u8>> {
    check_key_len(kind, key.len())?;
    // KW adds 8 bytes; KWP pads to a multiple of 8 and then adds 8.
    let mut out = vec![0u8; key.len() + 16];
    let len = match kek(kek_bytes)? {
        Kek::Aws(cipher) => {
            let k = KeyEncryptionKey::new(cipher, kek_bytes).map_err(|_| CryptoError::key("KEK rejected"))?;
            match kind {
                KeyWrap::Rfc3394 => k.wrap(key, &mut out).map_err(wrap_failed)?.len(),
                KeyWrap::Rfc5649 => k.wrap_with_padding(key, &mut out).map_err(wrap_failed)?.len(),
            }
        }
        Kek::Aes192 => match kind {
            KeyWrap::Rfc3394 => {
                rust(KwAes192::new_from_slice(kek_bytes))?.wrap_key(key, &mut out).map_err(wrap_failed)?.len()
            }
            KeyWrap::Rfc5649 => {
                rust(KwpAes192::new_from_slice(kek_bytes))?.wrap_key(key, &mut out).map_err(wrap_failed)?.len()
            }
        },
    };
    out.truncate(len);
    Ok(out)
}

/// Unwraps `wrapped` under `kek_bytes`. A failed integrity check (wrong KEK or altered data) is
/// [`CryptoError::VerificationFailed`].
pub fn unwrap_key(kind: KeyWrap, kek_bytes: &[u8], wrapped: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let min = match kind {
        KeyWrap::Rfc3394 => 24,
        KeyWrap::Rfc5649 => 16,
    };
    if wrapped.len() < min || !wrapped.len().is_multiple_of(8) {
        return Err(CryptoError::input("a wrapped key is a multiple of 8 bytes, at least 16 (24 for RFC 3394)"));
    }
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let len = match kek(kek_bytes)? {
        Kek::Aws(cipher) => {
            let k = KeyEncryptionKey::new(cipher, kek_bytes).map_err(|_| CryptoError::key("KEK rejected"))?;
            match kind {
                KeyWrap::Rfc3394 => k.unwrap(wrapped, &mut out).map_err(integrity)?.len(),
                KeyWrap::Rfc5649 => k.unwrap_with_padding(wrapped, &mut out).map_err(integrity)?.len(),
            }
        }
        Kek::Aes192 => match kind {
            KeyWrap::Rfc3394 => {
                rust(KwAes192::new_from_slice(kek_bytes))?.unwrap_key(wrapped, &mut out).map_err(integrity)?.len()
            }
            KeyWrap::Rfc5649 => {
                rust(KwpAes192::new_from_slice(kek_bytes))?.unwrap_key(wrapped, &mut out).map_err(integrity)?.len()
            }
        },
    };
    out.truncate(len);
    Ok(out)
}

fn wrap_failed<E>(_: E) -> CryptoError {
    CryptoError::failed("key wrap")
}

/// Unwrapping fails only when the integrity check does (lengths were checked before).
fn integrity<E>(_: E) -> CryptoError {
    CryptoError::VerificationFailed
}

fn rust<T, E>(r: Result<T, E>) -> CryptoResult<T> {
    r.map_err(|_| CryptoError::key("KEK rejected"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::h;

    const DATA_128: &str = "00112233445566778899AABBCCDDEEFF";
    const DATA_192: &str = "00112233445566778899AABBCCDDEEFF0001020304050607";
    const DATA_256: &str = "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F";
    const KEK_128: &str = "000102030405060708090A0B0C0D0E0F";
    const KEK_192: &str = "000102030405060708090A0B0C0D0E0F1011121314151617";
    const KEK_256: &str = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";

    #[test]
    fn kw_matches_rfc_3394_section_4() {
        // RFC 3394 §4.1 to §4.6.
        let cases = [
            (KEK_128, DATA_128, "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"),
            (KEK_192, DATA_128, "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"),
            (KEK_256, DATA_128, "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"),
            (KEK_192, DATA_192, "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2"),
            (KEK_256, DATA_192, "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1"),
            (KEK_256, DATA_256, "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"),
        ];
        for (k, data, wrapped) in cases {
            assert_eq!(wrap_key(KeyWrap::Rfc3394, &h(k), &h(data)).unwrap(), h(wrapped), "{k} {data}");
            assert_eq!(*unwrap_key(KeyWrap::Rfc3394, &h(k), &h(wrapped)).unwrap(), h(data));
        }
    }

    #[test]
    fn kwp_matches_rfc_5649_section_6() {
        // RFC 5649 §6: both examples use a 192-bit KEK.
        let k = h("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
        let cases = [
            (
                "c37b7e6492584340bed12207808941155068f738",
                "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a",
            ),
            ("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"),
        ];
        for (key, wrapped) in cases {
            assert_eq!(wrap_key(KeyWrap::Rfc5649, &k, &h(key)).unwrap(), h(wrapped));
            assert_eq!(*unwrap_key(KeyWrap::Rfc5649, &k, &h(wrapped)).unwrap(), h(key));
        }
    }

    #[test]
    fn kwp_round_trips_under_aws_lc_keks() {
        for kek_hex in [KEK_128, KEK_256] {
            for len in [1usize, 7, 8, 9, 16, 31, 32, 33] {
                let key: Vec<u8> = (0..len as u8).collect();
                let wrapped = wrap_key(KeyWrap::Rfc5649, &h(kek_hex), &key).unwrap();
                assert_eq!(*unwrap_key(KeyWrap::Rfc5649, &h(kek_hex), &wrapped).unwrap(), key);
            }
        }
    }

    #[test]
    fn tampering_or_a_wrong_kek_fails_the_integrity_check() {
        for (kind, kek_hex) in [(KeyWrap::Rfc3394, KEK_128), (KeyWrap::Rfc3394, KEK_192), (KeyWrap::Rfc5649, KEK_256)] {
            let mut wrapped = wrap_key(kind, &h(kek_hex), &h(DATA_128)).unwrap();
            let wrong: Vec<u8> = h(kek_hex).iter().map(|b| b ^ 1).collect();
            assert_eq!(unwrap_key(kind, &wrong, &wrapped), Err(CryptoError::VerificationFailed));
            wrapped[3] ^= 0x80;
            assert_eq!(unwrap_key(kind, &h(kek_hex), &wrapped), Err(CryptoError::VerificationFailed));
        }
    }

    #[test]
    fn bad_lengths_are_refused() {
        assert!(matches!(wrap_key(KeyWrap::Rfc3394, &h(KEK_128), &[0; 12]), Err(CryptoError::InvalidInput(_))));
        assert!(matches!(wrap_key(KeyWrap::Rfc3394, &h(KEK_128), &[0; 8]), Err(CryptoError::InvalidInput(_))));
        assert!(matches!(wrap_key(KeyWrap::Rfc5649, &h(KEK_128), &[]), Err(CryptoError::InvalidInput(_))));
        assert!(matches!(wrap_key(KeyWrap::Rfc3394, &[0; 20], &[0; 16]), Err(CryptoError::InvalidKey(_))));
        assert!(matches!(unwrap_key(KeyWrap::Rfc3394, &h(KEK_128), &[0; 20]), Err(CryptoError::InvalidInput(_))));
    }
}
