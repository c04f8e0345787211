//! AES and Triple DES in the classic block modes (CBC, ECB, CTR, CFB-128, OFB), one-shot, on
//! aws-lc-rs. Also the key and IV plumbing [`super::stream`] shares.

#![allow(deprecated)] // aws-lc-rs marks its Triple DES items deprecated; we offer it on purpose.

use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, Algorithm, DES_EDE_FOR_LEGACY_USE_ONLY, DES_EDE3_FOR_LEGACY_USE_ONLY, DecryptingKey,
    DecryptionContext, EncryptingKey, EncryptionContext, OperatingMode, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use zeroize::Zeroizing;

use super::{Cipher, Padding, check_iv, legacy_des};
use crate::{CryptoError, CryptoResult};

/// The block cipher family; the key length picks the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    Aes,
    TripleDes,
}

/// A block mode as aws-lc-rs sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Spec {
    pub family: Family,
    pub mode: OperatingMode,
    pub padding: Padding,
}

impl Spec {
    pub fn of(cipher: Cipher) -> CryptoResult<Spec> {
        let (family, mode, padding) = match cipher {
            Cipher::AesCbc(p) => (Family::Aes, OperatingMode::CBC, p),
            Cipher::AesEcb(p) => (Family::Aes, OperatingMode::ECB, p),
            Cipher::AesCtr => (Family::Aes, OperatingMode::CTR, Padding::None),
            Cipher::AesCfb128 => (Family::Aes, OperatingMode::CFB128, Padding::None),
            Cipher::AesOfb => (Family::Aes, OperatingMode::OFB, Padding::None),
            Cipher::TripleDesCbc(p) => (Family::TripleDes, OperatingMode::CBC, p),
            Cipher::TripleDesEcb(p) => (Family::TripleDes, OperatingMode::ECB, p),
            other => return Err(CryptoError::unsupported(format!("{other:?} is not a block mode"))),
        };
        Ok(Spec { family, mode, padding })
    }

    pub fn block_len(self) -> usize {
        match self.family {
            Family::Aes => 16,
            Family::TripleDes => 8,
        }
    }

    /// Whether the mode only takes whole blocks (CBC and ECB); the others are stream modes.
    pub fn needs_blocks(self) -> bool {
        matches!(self.mode, OperatingMode::CBC | OperatingMode::ECB)
    }

    pub fn iv_len(self) -> usize {
        if self.mode == OperatingMode::ECB { 0 } else { self.block_len() }
    }
}

/// The aws-lc-rs key for `family` and the key bytes. A 24-byte Triple DES key whose first and
/// third parts are equal is 2-key Triple DES written out in full; aws-lc wants it as 16 bytes.
pub(super) fn unbound_key(family: Family, key: &[u8]) -> CryptoResult<UnboundCipherKey> {
    let (alg, material): (&'static Algorithm, Zeroizing<Vec<u8>>) = match (family, key.len()) {
        (Family::Aes, 16) => (&AES_128, Zeroizing::new(key.to_vec())),
        (Family::Aes, 24) => (&AES_192, Zeroizing::new(key.to_vec())),
        (Family::Aes, 32) => (&AES_256, Zeroizing::new(key.to_vec())),
        (Family::TripleDes, 16) => (&DES_EDE_FOR_LEGACY_USE_ONLY, Zeroizing::new(key.to_vec())),
        (Family::TripleDes, 24) if key[..8] == key[16..] => {
            (&DES_EDE_FOR_LEGACY_USE_ONLY, Zeroizing::new(key[..16].to_vec()))
        }
        (Family::TripleDes, 24) => (&DES_EDE3_FOR_LEGACY_USE_ONLY, Zeroizing::new(key.to_vec())),
        (Family::Aes, n) => return Err(CryptoError::key(format!("an AES key is 16, 24 or 32 bytes, not {n}"))),
        (Family::TripleDes, n) => return Err(CryptoError::key(format!("a Triple DES key is 16 or 24 bytes, not {n}"))),
    };
    UnboundCipherKey::new(alg, &material).map_err(|_| CryptoError::key("key rejected"))
}

/// The aws-lc-rs context carrying `iv`, after checking its length for the mode.
pub(super) fn context(spec: Spec, iv: &[u8]) -> CryptoResult<EncryptionContext> {
    check_iv(iv, spec.iv_len())?;
    Ok(match iv.len() {
        0 => EncryptionContext::None,
        16 => EncryptionContext::Iv128(FixedLength::try_from(iv).map_err(|_| CryptoError::input("IV"))?),
        _ => EncryptionContext::Iv64(FixedLength::try_from(iv).map_err(|_| CryptoError::input("IV"))?),
    })
}

/// Key construction errors: aws-lc-rs validates Triple DES keys (weak keys, equal parts) only
/// here, so a failure means the key, not the library.
fn key_err(_: aws_lc_rs::error::Unspecified) -> CryptoError {
    CryptoError::key("the key was rejected (for Triple DES: a weak key or repeated parts)")
}

fn check_blocks(spec: Spec, len: usize) -> CryptoResult<()> {
    if spec.needs_blocks() && spec.padding == Padding::None && !len.is_multiple_of(spec.block_len()) {
        return Err(CryptoError::input(format!(
            "without padding the data must be a multiple of {} bytes",
            spec.block_len()
        )));
    }
    Ok(())
}

/// The mode [`legacy_des`] computes for a Triple DES key aws-lc refused, if it does this one.
fn legacy_mode(spec: Spec, refusal: &CryptoResult<impl Sized>) -> Option<legacy_des::Mode> {
    let refused = matches!(refusal, Err(CryptoError::InvalidKey(_)));
    match (refused, spec.family, spec.mode) {
        (true, Family::TripleDes, OperatingMode::ECB) => Some(legacy_des::Mode::Ecb),
        (true, Family::TripleDes, OperatingMode::CBC) => Some(legacy_des::Mode::Cbc),
        _ => None,
    }
}

pub(super) fn encrypt(spec: Spec, key: &[u8], iv: &[u8], plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
    let result = aws_lc_encrypt(spec, key, iv, plaintext);
    match legacy_mode(spec, &result) {
        Some(mode) => legacy_des::encrypt(mode, spec.padding, key, iv, plaintext),
        None => result,
    }
}

pub(super) fn decrypt(spec: Spec, key: &[u8], iv: &[u8], ciphertext: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let result = aws_lc_decrypt(spec, key, iv, ciphertext);
    match legacy_mode(spec, &result) {
        Some(mode) => legacy_des::decrypt(mode, spec.padding, key, iv, ciphertext),
        None => result,
    }
}

fn aws_lc_encrypt(spec: Spec, key: &[u8], iv: &[u8], plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
    let ctx = context(spec, iv)?;
    check_blocks(spec, plaintext.len())?;
    let key = unbound_key(spec.family, key)?;
    let mut buf = plaintext.to_vec();
    let fail = |_| CryptoError::failed("encryption");
    if spec.padding == Padding::Pkcs7 {
        let k = match spec.mode {
            OperatingMode::CBC => PaddedBlockEncryptingKey::cbc_pkcs7(key),
            _ => PaddedBlockEncryptingKey::ecb_pkcs7(key),
        }
        .map_err(key_err)?;
        k.less_safe_encrypt(&mut buf, ctx).map_err(fail)?;
    } else {
        let k = encrypting_key(spec.mode, key)?;
        k.less_safe_encrypt(&mut buf, ctx).map_err(fail)?;
    }
    Ok(buf)
}

fn aws_lc_decrypt(spec: Spec, key: &[u8], iv: &[u8], ciphertext: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let ctx = DecryptionContext::from(context(spec, iv)?);
    if spec.needs_blocks() && !ciphertext.len().is_multiple_of(spec.block_len()) {
        return Err(CryptoError::input(format!("the ciphertext must be a multiple of {} bytes", spec.block_len())));
    }
    let key = unbound_key(spec.family, key)?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = if spec.padding == Padding::Pkcs7 {
        let k = match spec.mode {
            OperatingMode::CBC => PaddedBlockDecryptingKey::cbc_pkcs7(key),
            _ => PaddedBlockDecryptingKey::ecb_pkcs7(key),
        }
        .map_err(key_err)?;
        // The only way decryption itself fails here is a padding that does not check out.
        k.decrypt(&mut buf, ctx).map_err(|_| CryptoError::VerificationFailed)?.len()
    } else {
        let k = decrypting_key(spec.mode, key)?;
        k.decrypt(&mut buf, ctx).map_err(|_| CryptoError::failed("decryption"))?.len()
    };
    buf.truncate(len);
    Ok(buf)
}

pub(super) fn encrypting_key(mode: OperatingMode, key: UnboundCipherKey) -> CryptoResult<EncryptingKey> {
    match mode {
        OperatingMode::CBC => EncryptingKey::cbc(key),
        OperatingMode::ECB => EncryptingKey::ecb(key),
        OperatingMode::CTR => EncryptingKey::ctr(key),
        OperatingMode::CFB128 => EncryptingKey::cfb128(key),
        _ => EncryptingKey::ofb(key),
    }
    .map_err(key_err)
}

pub(super) fn decrypting_key(mode: OperatingMode, key: UnboundCipherKey) -> CryptoResult<DecryptingKey> {
    match mode {
        OperatingMode::CBC => DecryptingKey::cbc(key),
        OperatingMode::ECB => DecryptingKey::ecb(key),
        OperatingMode::CTR => DecryptingKey::ctr(key),
        OperatingMode::CFB128 => DecryptingKey::cfb128(key),
        _ => DecryptingKey::ofb(key),
    }
    .map_err(key_err)
}
