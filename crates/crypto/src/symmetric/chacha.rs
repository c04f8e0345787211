//! ChaCha20 (RFC 8439 §2.4, from the RustCrypto `chacha20` crate, as aws-lc-rs does not expose
//! the bare cipher) and ChaCha20-Poly1305 (RFC 8439 §2.8, from aws-lc-rs).

use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use zeroize::Zeroizing;

use super::{Encrypted, check_iv};
use crate::{CryptoError, CryptoResult};

/// A ChaCha20 keystream positioned at block `initial_counter`.
pub(super) fn keystream(key: &[u8], nonce: &[u8], initial_counter: u32) -> CryptoResult<ChaCha20> {
    if key.len() != 32 {
        return Err(CryptoError::key(format!("a ChaCha20 key is 32 bytes, not {}", key.len())));
    }
    check_iv(nonce, 12)?;
    let mut cipher = ChaCha20::new_from_slices(key, nonce).map_err(|_| CryptoError::input("ChaCha20 key or nonce"))?;
    // The position is in bytes; blocks are 64 bytes.
    cipher.try_seek(u64::from(initial_counter) * 64).map_err(|_| CryptoError::input("ChaCha20 counter"))?;
    Ok(cipher)
}

/// Encrypts or decrypts (the same operation) with ChaCha20.
pub(super) fn apply(key: &[u8], nonce: &[u8], initial_counter: u32, data: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let mut cipher = keystream(key, nonce, initial_counter)?;
    let mut buf = Zeroizing::new(data.to_vec());
    cipher
        .try_apply_keystream(&mut buf)
        .map_err(|_| CryptoError::input("the message would run the ChaCha20 block counter past 2^32"))?;
    Ok(buf)
}

fn aead_key(key: &[u8], nonce: &[u8]) -> CryptoResult<(LessSafeKey, Nonce)> {
    if key.len() != 32 {
        return Err(CryptoError::key(format!("a ChaCha20-Poly1305 key is 32 bytes, not {}", key.len())));
    }
    check_iv(nonce, 12)?;
    let key = UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| CryptoError::key("ChaCha20-Poly1305 key"))?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::input("nonce"))?;
    Ok((LessSafeKey::new(key), nonce))
}

pub(super) fn seal(key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> CryptoResult<Encrypted> {
    let (key, nonce) = aead_key(key, nonce)?;
    let mut buf = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| CryptoError::failed("ChaCha20-Poly1305 encryption"))?;
    Ok(Encrypted { ciphertext: buf, tag: Some(tag.as_ref().to_vec()) })
}

pub(super) fn open(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let (key, nonce) = aead_key(key, nonce)?;
    if tag.len() != 16 {
        return Err(CryptoError::input("a Poly1305 tag is 16 bytes"));
    }
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    key.open_in_place_separate_tag(nonce, Aad::from(aad), tag, &mut buf)
        .map_err(|_| CryptoError::VerificationFailed)?;
    Ok(buf)
}
