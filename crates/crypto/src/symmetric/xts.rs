//! AES-XTS (IEEE 1619, NIST SP 800-38E) from the RustCrypto `xts-mode` crate; aws-lc-rs has no
//! XTS. The whole message is one data unit and the 16-byte IV is the tweak (for storage, the data
//! unit number as a 128-bit little-endian integer).

use aes::cipher::KeyInit;
use aes::{Aes128, Aes256};
use xts_mode::{Array, Xts128};
use zeroize::Zeroizing;

use super::check_iv;
use crate::{CryptoError, CryptoResult};

// A short-lived local, so the size difference between the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Key {
    Aes128(Xts128<Aes128>),
    Aes256(Xts128<Aes256>),
}

fn key(key: &[u8]) -> CryptoResult<Key> {
    let half = match key.len() {
        32 | 64 => key.len() / 2,
        n => return Err(CryptoError::key(format!("an XTS key is 32 or 64 bytes (two AES keys), not {n}"))),
    };
    let (k1, k2) = key.split_at(half);
    // SP 800-38E and FIPS 140 implementation guidance require the two halves to differ.
    if aws_lc_rs::constant_time::verify_slices_are_equal(k1, k2).is_ok() {
        return Err(CryptoError::key("the two halves of an XTS key must differ"));
    }
    let bad = |_| CryptoError::key("AES key");
    Ok(if half == 16 {
        Key::Aes128(Xts128::new(Aes128::new_from_slice(k1).map_err(bad)?, Aes128::new_from_slice(k2).map_err(bad)?))
    } else {
        Key::Aes256(Xts128::new(Aes256::new_from_slice(k1).map_err(bad)?, Aes256::new_from_slice(k2).map_err(bad)?))
    })
}

fn prepare(tweak: &[u8], data: &[u8]) -> CryptoResult<Array<u8, aes::cipher::consts::U16>> {
    check_iv(tweak, 16)?;
    if data.len() < 16 {
        return Err(CryptoError::input("XTS needs at least 16 bytes of data"));
    }
    Array::try_from(tweak).map_err(|_| CryptoError::input("XTS tweak"))
}

pub(super) fn encrypt(k: &[u8], tweak: &[u8], plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
    let t = prepare(tweak, plaintext)?;
    let mut buf = plaintext.to_vec();
    match key(k)? {
        Key::Aes128(x) => x.encrypt_sector(&mut buf, t),
        Key::Aes256(x) => x.encrypt_sector(&mut buf, t),
    }
    Ok(buf)
}

pub(super) fn decrypt(k: &[u8], tweak: &[u8], ciphertext: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let t = prepare(tweak, ciphertext)?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    match key(k)? {
        Key::Aes128(x) => x.decrypt_sector(&mut buf, t),
        Key::Aes256(x) => x.decrypt_sector(&mut buf, t),
    }
    Ok(buf)
}
