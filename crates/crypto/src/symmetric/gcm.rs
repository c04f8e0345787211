//! AES-GCM (NIST SP 800-38D).
//!
//! The common case, a 96-bit IV, runs on aws-lc-rs, which always produces a 128-bit tag: shorter
//! tags are its leading bytes (SP 800-38D §7.1 step 6, MSB_t). Decrypting with the full tag also
//! runs on aws-lc-rs. The rest comes from the RustCrypto `aes-gcm` crate, instantiated with a
//! 128-bit tag for each IV length we accept (the crate fixes both lengths in the type, and one
//! instantiation per IV length × tag length would be hundreds):
//!
//! - other IV lengths: `aes-gcm` with that nonce size;
//! - a truncated tag on decryption: GCM's confidentiality part is CTR, so encrypting the
//!   ciphertext with the same key and IV yields the plaintext; encrypting that plaintext again
//!   yields the ciphertext and its full tag, whose leading bytes are compared in constant time
//!   with the tag given. The plaintext is released only if they match.

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::AesGcm;
use aes_gcm::aead::array::{Array, ArraySize};
use aes_gcm::aead::consts::{
    U1, U2, U3, U4, U5, U6, U7, U8, U9, U10, U11, U12, U13, U14, U15, U16, U20, U24, U32, U48, U60, U64, U128,
};
use aes_gcm::aead::{AeadInOut, KeyInit};
use aws_lc_rs::aead::{self as aws, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::constant_time;
use zeroize::Zeroizing;

use super::Encrypted;
use crate::{CryptoError, CryptoResult};

/// The IV lengths (bytes) the RustCrypto path is instantiated for, besides aws-lc's 12.
pub(super) fn iv_len_supported(len: usize) -> bool {
    matches!(len, 1..=16 | 20 | 24 | 32 | 48 | 60 | 64 | 128)
}

fn check_tag_len(tag_len: usize) -> CryptoResult<()> {
    // SP 800-38D §5.2.1.2: 128, 120, 112, 104 or 96 bits, or 64 and 32 for some applications.
    if matches!(tag_len, 4 | 8 | 12..=16) {
        Ok(())
    } else {
        Err(CryptoError::unsupported(format!("a GCM tag of {tag_len} bytes (4, 8 or 12 to 16 are allowed)")))
    }
}

fn check_iv(iv: &[u8]) -> CryptoResult<()> {
    if iv.is_empty() {
        return Err(CryptoError::MissingIv);
    }
    if !iv_len_supported(iv.len()) {
        return Err(CryptoError::unsupported(format!("a GCM IV of {} bytes", iv.len())));
    }
    Ok(())
}

fn aws_key(key: &[u8]) -> CryptoResult<LessSafeKey> {
    let alg = match key.len() {
        16 => &aws::AES_128_GCM,
        24 => &aws::AES_192_GCM,
        32 => &aws::AES_256_GCM,
        n => return Err(CryptoError::key(format!("an AES key is 16, 24 or 32 bytes, not {n}"))),
    };
    Ok(LessSafeKey::new(UnboundKey::new(alg, key).map_err(|_| CryptoError::key("AES key rejected"))?))
}

/// Encrypts; the tag is the first `tag_len` bytes of the full GCM tag.
pub(super) fn seal(key: &[u8], iv: &[u8], aad: &[u8], plaintext: &[u8], tag_len: usize) -> CryptoResult<Encrypted> {
    check_tag_len(tag_len)?;
    check_iv(iv)?;
    let mut buf = plaintext.to_vec();
    let full_tag = if iv.len() == 12 {
        let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| CryptoError::input("GCM IV"))?;
        let tag = aws_key(key)?
            .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| CryptoError::failed("AES-GCM encryption"))?;
        tag.as_ref().to_vec()
    } else {
        rust_seal(key, iv, aad, &mut buf)?.to_vec()
    };
    Ok(Encrypted { ciphertext: buf, tag: Some(full_tag[..tag_len].to_vec()) })
}

/// Decrypts after checking the tag, which must be `tag_len` bytes.
pub(super) fn open(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
    tag_len: usize,
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    check_tag_len(tag_len)?;
    check_iv(iv)?;
    if tag.len() != tag_len {
        return Err(CryptoError::input(format!("the tag must be {tag_len} bytes, not {}", tag.len())));
    }
    if iv.len() == 12 && tag_len == 16 {
        let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| CryptoError::input("GCM IV"))?;
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        aws_key(key)?
            .open_in_place_separate_tag(nonce, Aad::from(aad), tag, &mut buf)
            .map_err(|_| CryptoError::VerificationFailed)?;
        return Ok(buf);
    }
    if tag_len == 16 {
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        rust_open(key, iv, aad, &mut buf, &full_tag(tag)?)?;
        return Ok(buf);
    }
    // Truncated tag: see the module doc. The first pass turns the ciphertext into the plaintext,
    // the second recomputes the ciphertext and its full tag.
    let mut plain = Zeroizing::new(ciphertext.to_vec());
    if iv.len() == 12 {
        let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| CryptoError::input("GCM IV"))?;
        // The tag of this pass covers nothing of interest and is dropped.
        let _ = aws_key(key)?
            .seal_in_place_separate_tag(nonce, Aad::empty(), &mut plain)
            .map_err(|_| CryptoError::failed("AES-GCM"))?;
    } else {
        rust_seal(key, iv, &[], &mut plain)?;
    }
    let recomputed = seal(key, iv, aad, &plain, 16)?;
    let expected = recomputed.tag.unwrap_or_default();
    constant_time::verify_slices_are_equal(&expected[..tag_len], tag).map_err(|_| CryptoError::VerificationFailed)?;
    Ok(plain)
}

fn full_tag(tag: &[u8]) -> CryptoResult<[u8; 16]> {
    tag.try_into().map_err(|_| CryptoError::input("GCM tag"))
}

/// Runs `$f::<AesN, NonceSize>(args)` for the key length and IV length at hand.
macro_rules! dispatch {
    ($f:ident, $key:expr, $iv:expr, $($arg:expr),*) => {{
        macro_rules! by_nonce {
            ($aes:ty) => {
                match $iv.len() {
                    1 => $f::<$aes, U1>($key, $iv, $($arg),*), 2 => $f::<$aes, U2>($key, $iv, $($arg),*),
                    3 => $f::<$aes, U3>($key, $iv, $($arg),*), 4 => $f::<$aes, U4>($key, $iv, $($arg),*),
                    5 => $f::<$aes, U5>($key, $iv, $($arg),*), 6 => $f::<$aes, U6>($key, $iv, $($arg),*),
                    7 => $f::<$aes, U7>($key, $iv, $($arg),*), 8 => $f::<$aes, U8>($key, $iv, $($arg),*),
                    9 => $f::<$aes, U9>($key, $iv, $($arg),*), 10 => $f::<$aes, U10>($key, $iv, $($arg),*),
                    11 => $f::<$aes, U11>($key, $iv, $($arg),*), 12 => $f::<$aes, U12>($key, $iv, $($arg),*),
                    13 => $f::<$aes, U13>($key, $iv, $($arg),*), 14 => $f::<$aes, U14>($key, $iv, $($arg),*),
                    15 => $f::<$aes, U15>($key, $iv, $($arg),*), 16 => $f::<$aes, U16>($key, $iv, $($arg),*),
                    20 => $f::<$aes, U20>($key, $iv, $($arg),*), 24 => $f::<$aes, U24>($key, $iv, $($arg),*),
                    32 => $f::<$aes, U32>($key, $iv, $($arg),*), 48 => $f::<$aes, U48>($key, $iv, $($arg),*),
                    60 => $f::<$aes, U60>($key, $iv, $($arg),*), 64 => $f::<$aes, U64>($key, $iv, $($arg),*),
                    128 => $f::<$aes, U128>($key, $iv, $($arg),*),
                    n => Err(CryptoError::unsupported(format!("a GCM IV of {n} bytes"))),
                }
            };
        }
        match $key.len() {
            16 => by_nonce!(Aes128),
            24 => by_nonce!(Aes192),
            32 => by_nonce!(Aes256),
            n => Err(CryptoError::key(format!("an AES key is 16, 24 or 32 bytes, not {n}"))),
        }
    }};
}

fn rust_seal(key: &[u8], iv: &[u8], aad: &[u8], buf: &mut [u8]) -> CryptoResult<[u8; 16]> {
    dispatch!(seal_with, key, iv, aad, buf)
}

fn rust_open(key: &[u8], iv: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8; 16]) -> CryptoResult<()> {
    dispatch!(open_with, key, iv, aad, buf, tag)
}

fn seal_with<A, N>(key: &[u8], iv: &[u8], aad: &[u8], buf: &mut [u8]) -> CryptoResult<[u8; 16]>
where
    AesGcm<A, N>: KeyInit + AeadInOut<NonceSize = N, TagSize = U16>,
    N: ArraySize,
{
    let gcm = AesGcm::<A, N>::new_from_slice(key).map_err(|_| CryptoError::key("AES key"))?;
    let nonce = Array::<u8, N>::try_from(iv).map_err(|_| CryptoError::input("GCM IV"))?;
    let tag =
        gcm.encrypt_inout_detached(&nonce, aad, buf.into()).map_err(|_| CryptoError::input("GCM message too long"))?;
    Ok(tag.into())
}

fn open_with<A, N>(key: &[u8], iv: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8; 16]) -> CryptoResult<()>
where
    AesGcm<A, N>: KeyInit + AeadInOut<NonceSize = N, TagSize = U16>,
    N: ArraySize,
{
    let gcm = AesGcm::<A, N>::new_from_slice(key).map_err(|_| CryptoError::key("AES key"))?;
    let nonce = Array::<u8, N>::try_from(iv).map_err(|_| CryptoError::input("GCM IV"))?;
    gcm.decrypt_inout_detached(&nonce, aad, buf.into(), &Array::from(*tag)).map_err(|_| CryptoError::VerificationFailed)
}
