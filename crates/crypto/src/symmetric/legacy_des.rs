//! Triple DES, ECB and CBC, under the keys aws-lc refuses: DES weak keys and degenerate keys
//! (K1 = K2 or K2 = K3, which reduce Triple DES to single DES), on the RustCrypto `des` crate.
//!
//! Such a key is the client's: it registered it, and KMIP leaves key strength to the client. The
//! OASIS case CS-BC-M-4-12-3DES-13 (mandatory in the 1.3 cryptographic profile) encrypts under
//! 0101...01, three copies of a DES weak key, and expects the ciphertext; OpenSSL computes it too.
//! The server never makes such a key itself (it draws Triple DES keys at random), and [`super::block`]
//! sends only the keys aws-lc refuses here. Multi-part streams under these keys stay refused.

use des::cipher::block_padding::{NoPadding, Pkcs7};
use des::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit};
use des::{TdesEde2, TdesEde3};
use zeroize::Zeroizing;

use super::Padding;
use crate::{CryptoError, CryptoResult};

/// ECB (no IV) or CBC (an 8-byte IV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Ecb,
    Cbc,
}

pub(super) fn encrypt(mode: Mode, padding: Padding, key: &[u8], iv: &[u8], plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
    if padding == Padding::None && !plaintext.len().is_multiple_of(8) {
        return Err(CryptoError::input("without padding the data must be a multiple of 8 bytes"));
    }
    macro_rules! run {
        ($cipher:ty) => {
            match (mode, padding) {
                (Mode::Ecb, Padding::Pkcs7) => ecb_encryptor::<$cipher>(key)?.encrypt_padded_vec::<Pkcs7>(plaintext),
                (Mode::Ecb, Padding::None) => ecb_encryptor::<$cipher>(key)?.encrypt_padded_vec::<NoPadding>(plaintext),
                (Mode::Cbc, Padding::Pkcs7) => {
                    cbc_encryptor::<$cipher>(key, iv)?.encrypt_padded_vec::<Pkcs7>(plaintext)
                }
                (Mode::Cbc, Padding::None) => {
                    cbc_encryptor::<$cipher>(key, iv)?.encrypt_padded_vec::<NoPadding>(plaintext)
                }
            }
        };
    }
    Ok(match key.len() {
        16 => run!(TdesEde2),
        24 => run!(TdesEde3),
        n => return Err(CryptoError::key(format!("a Triple DES key is 16 or 24 bytes, not {n}"))),
    })
}

pub(super) fn decrypt(
    mode: Mode,
    padding: Padding,
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    if !ciphertext.len().is_multiple_of(8) {
        return Err(CryptoError::input("the ciphertext must be a multiple of 8 bytes"));
    }
    macro_rules! run {
        ($cipher:ty) => {
            match (mode, padding) {
                (Mode::Ecb, Padding::Pkcs7) => ecb_decryptor::<$cipher>(key)?.decrypt_padded_vec::<Pkcs7>(ciphertext),
                (Mode::Ecb, Padding::None) => {
                    ecb_decryptor::<$cipher>(key)?.decrypt_padded_vec::<NoPadding>(ciphertext)
                }
                (Mode::Cbc, Padding::Pkcs7) => {
                    cbc_decryptor::<$cipher>(key, iv)?.decrypt_padded_vec::<Pkcs7>(ciphertext)
                }
                (Mode::Cbc, Padding::None) => {
                    cbc_decryptor::<$cipher>(key, iv)?.decrypt_padded_vec::<NoPadding>(ciphertext)
                }
            }
        };
    }
    let plaintext = match key.len() {
        16 => run!(TdesEde2),
        24 => run!(TdesEde3),
        n => return Err(CryptoError::key(format!("a Triple DES key is 16 or 24 bytes, not {n}"))),
    };
    // The length was checked, so only a padding that does not check out fails here.
    plaintext.map(Zeroizing::new).map_err(|_| CryptoError::VerificationFailed)
}

fn bad_key<E>(_: E) -> CryptoError {
    CryptoError::key("a Triple DES key is 16 or 24 bytes")
}

fn bad_iv<E>(_: E) -> CryptoError {
    CryptoError::input("CBC takes an 8-byte IV")
}

fn ecb_encryptor<C: KeyInit + BlockCipherEncrypt>(key: &[u8]) -> CryptoResult<ecb::Encryptor<C>> {
    ecb::Encryptor::<C>::new_from_slice(key).map_err(bad_key)
}

fn ecb_decryptor<C: KeyInit + BlockCipherDecrypt>(key: &[u8]) -> CryptoResult<ecb::Decryptor<C>> {
    ecb::Decryptor::<C>::new_from_slice(key).map_err(bad_key)
}

fn cbc_encryptor<C: KeyInit + BlockCipherEncrypt>(key: &[u8], iv: &[u8]) -> CryptoResult<cbc::Encryptor<C>> {
    let cipher = C::new_from_slice(key).map_err(bad_key)?;
    cbc::Encryptor::<C>::inner_iv_slice_init(cipher, iv).map_err(bad_iv)
}

fn cbc_decryptor<C: KeyInit + BlockCipherDecrypt>(key: &[u8], iv: &[u8]) -> CryptoResult<cbc::Decryptor<C>> {
    let cipher = C::new_from_slice(key).map_err(bad_key)?;
    cbc::Decryptor::<C>::inner_iv_slice_init(cipher, iv).map_err(bad_iv)
}
