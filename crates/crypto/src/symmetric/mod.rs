//! Symmetric encryption: AES in GCM, CBC, ECB, CTR, CFB-128, OFB and XTS; Triple DES in CBC and
//! ECB; ChaCha20 and ChaCha20-Poly1305; AES key wrap (RFC 3394 / RFC 5649, NIST SP 800-38F KW and
//! KWP).
//!
//! - One-shot: [`encrypt`] and [`decrypt`], with the mode and its parameters in a [`Cipher`].
//!   The key length picks the variant: 16/24/32 bytes for AES-128/192/256 (32/64 for XTS), 16 or
//!   24 bytes for 2-key or 3-key Triple DES, 32 for ChaCha20.
//! - Multi-part: [`CipherStream`], whose state the server keeps between the requests of a KMIP
//!   Init Indicator / Final Indicator / Correlation Value exchange.
//! - Server-generated IVs: [`generate_iv`] makes a random IV of [`iv_len`] bytes for the mode.
//! - Key wrap: [`wrap_key`] / [`unwrap_key`] (also reachable as [`Cipher::AesKeyWrap`]).
//!
//! aws-lc-rs does the work wherever it can: AES-GCM with a 96-bit IV and a 128-bit tag, AES and
//! Triple DES in the block modes, ChaCha20-Poly1305 and key wrap with 128- and 256-bit KEKs. The
//! RustCrypto crates cover what it lacks: GCM with other IV or tag lengths (`aes-gcm`), XTS
//! (`xts-mode`), raw ChaCha20 (`chacha20`) and key wrap under a 192-bit KEK (`aes-kw`).

mod block;
mod chacha;
mod gcm;
mod keywrap;
mod legacy_des;
mod stream;
mod xts;

pub use keywrap::{KeyWrap, unwrap_key, wrap_key};
pub use stream::{CipherStream, Direction, MAX_BUFFERED_LEN, StreamOutput};

use zeroize::Zeroizing;

use crate::{CryptoError, CryptoResult};

/// Block padding for CBC and ECB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Padding {
    /// No padding: the data must be a whole number of blocks.
    None,
    /// PKCS#7 padding (PKCS#5 is the same scheme for 8-byte blocks): 1 to a block of bytes, each
    /// holding the count, always added.
    Pkcs7,
}

/// A symmetric cipher and its mode, with the parameters the mode needs besides key, IV and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipher {
    /// AES-GCM (NIST SP 800-38D). IVs of 96 bits are the norm; other lengths from 1 to 128 bytes
    /// are accepted (see [`gcm_iv_len_supported`]). `tag_len` is 4, 8 or 12 to 16 bytes, the
    /// lengths SP 800-38D §5.2.1.2 allows.
    AesGcm { tag_len: usize },
    /// AES-CBC; the IV is 16 bytes.
    AesCbc(Padding),
    /// AES-ECB; no IV.
    AesEcb(Padding),
    /// AES-CTR (SP 800-38A). The IV is the 16-byte initial counter block, incremented as one
    /// 128-bit big-endian integer for each block (the standard incrementing function over the
    /// whole block, as OpenSSL and aws-lc do). [`ctr_counter_block`] builds it from a nonce and
    /// an initial counter value.
    AesCtr,
    /// AES-CFB with 128-bit feedback; the IV is 16 bytes.
    AesCfb128,
    /// AES-OFB; the IV is 16 bytes.
    AesOfb,
    /// AES-XTS (IEEE 1619, SP 800-38E) with the whole message as one data unit and the IV as the
    /// 16-byte tweak. The key is both AES keys, 32 bytes (AES-128) or 64 (AES-256), and its halves
    /// must differ. The message must be at least 16 bytes; ciphertext stealing handles the rest.
    AesXts,
    /// Triple DES (TDEA, SP 800-67) in CBC; the IV is 8 bytes. Legacy: NIST disallows it for
    /// encryption after 2023; kept for clients that still need it.
    TripleDesCbc(Padding),
    /// Triple DES in ECB; no IV. Legacy, as above.
    TripleDesEcb(Padding),
    /// ChaCha20 (RFC 8439 §2.4): 32-byte key, 12-byte nonce as the IV, 32-bit block counter
    /// starting at `initial_counter`.
    ChaCha20 { initial_counter: u32 },
    /// ChaCha20-Poly1305 (RFC 8439 §2.8): 32-byte key, 12-byte nonce, 16-byte tag.
    ChaCha20Poly1305,
    /// AES key wrap: the data is the key to wrap, under an AES key-encryption key; no IV (the
    /// RFC's default initial values are used).
    AesKeyWrap(KeyWrap),
}

impl Cipher {
    /// Whether the mode authenticates (and so produces and checks a tag and accepts AAD).
    pub fn is_aead(self) -> bool {
        matches!(self, Cipher::AesGcm { .. } | Cipher::ChaCha20Poly1305)
    }

    /// The tag length of an authenticated mode.
    pub fn tag_len(self) -> Option<usize> {
        match self {
            Cipher::AesGcm { tag_len } => Some(tag_len),
            Cipher::ChaCha20Poly1305 => Some(16),
            _ => None,
        }
    }
}

/// The IV length a mode takes by default, in bytes; 0 when it takes none. For GCM this is the
/// recommended 12; GCM also accepts the lengths in [`gcm_iv_len_supported`].
pub fn iv_len(cipher: Cipher) -> usize {
    match cipher {
        Cipher::AesGcm { .. } | Cipher::ChaCha20 { .. } | Cipher::ChaCha20Poly1305 => 12,
        Cipher::AesCbc(_) | Cipher::AesCtr | Cipher::AesCfb128 | Cipher::AesOfb | Cipher::AesXts => 16,
        Cipher::TripleDesCbc(_) => 8,
        Cipher::AesEcb(_) | Cipher::TripleDesEcb(_) | Cipher::AesKeyWrap(_) => 0,
    }
}

/// Whether AES-GCM accepts an IV of `len` bytes: 1 to 16, and 20, 24, 32, 48, 60, 64 and 128.
pub fn gcm_iv_len_supported(len: usize) -> bool {
    gcm::iv_len_supported(len)
}

/// A fresh random IV (or nonce, or tweak) of the mode's default length, for the server to use
/// when the client asks it to generate one; empty for modes without an IV.
pub fn generate_iv(cipher: Cipher) -> CryptoResult<Vec<u8>> {
    crate::random::random_bytes(iv_len(cipher))
}

/// The AES-CTR initial counter block for a `nonce` of up to 16 bytes followed by
/// `initial_counter` as a big-endian integer in the remaining bytes. A full 16-byte nonce is the
/// counter block itself (and `initial_counter` must then be 0).
pub fn ctr_counter_block(nonce: &[u8], initial_counter: u64) -> CryptoResult<[u8; 16]> {
    if nonce.len() > 16 {
        return Err(CryptoError::input("a CTR nonce is at most 16 bytes"));
    }
    let counter_len = 16 - nonce.len();
    let counter = initial_counter.to_be_bytes();
    let significant = 8 - (initial_counter.leading_zeros() / 8) as usize;
    if significant > counter_len {
        return Err(CryptoError::input("the initial counter does not fit beside the nonce"));
    }
    let mut block = [0u8; 16];
    block[..nonce.len()].copy_from_slice(nonce);
    let take = counter_len.min(8);
    block[16 - take..].copy_from_slice(&counter[8 - take..]);
    Ok(block)
}

/// The result of an encryption: the ciphertext and, for an authenticated mode, the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    pub ciphertext: Vec<u8>,
    pub tag: Option<Vec<u8>>,
}

/// Encrypts `plaintext` in one call. `iv` must have a length the mode accepts (empty for ECB and
/// key wrap); `aad` is only for authenticated modes.
pub fn encrypt(cipher: Cipher, key: &[u8], iv: &[u8], aad: &[u8], plaintext: &[u8]) -> CryptoResult<Encrypted> {
    check_aad(cipher, aad)?;
    let plain = |ciphertext| Ok(Encrypted { ciphertext, tag: None });
    match cipher {
        Cipher::AesGcm { tag_len } => gcm::seal(key, iv, aad, plaintext, tag_len),
        Cipher::ChaCha20Poly1305 => chacha::seal(key, iv, aad, plaintext),
        Cipher::ChaCha20 { initial_counter } => plain(chacha::apply(key, iv, initial_counter, plaintext)?.to_vec()),
        Cipher::AesXts => plain(xts::encrypt(key, iv, plaintext)?),
        Cipher::AesKeyWrap(kind) => {
            expect_no_iv(iv)?;
            plain(wrap_key(kind, key, plaintext)?)
        }
        block_mode => plain(block::encrypt(block::Spec::of(block_mode)?, key, iv, plaintext)?),
    }
}

/// Decrypts `ciphertext` in one call; `tag` is required for authenticated modes and refused
/// otherwise. A wrong tag, bad padding or failed unwrap integrity check is
/// [`CryptoError::VerificationFailed`].
pub fn decrypt(
    cipher: Cipher,
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: Option<&[u8]>,
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    check_aad(cipher, aad)?;
    let tag = match (cipher.is_aead(), tag) {
        (true, Some(tag)) => tag,
        (true, None) => return Err(CryptoError::input("an authenticated mode needs its tag to decrypt")),
        (false, Some(_)) => return Err(CryptoError::input("only authenticated modes take a tag")),
        (false, None) => &[],
    };
    match cipher {
        Cipher::AesGcm { tag_len } => gcm::open(key, iv, aad, ciphertext, tag, tag_len),
        Cipher::ChaCha20Poly1305 => chacha::open(key, iv, aad, ciphertext, tag),
        Cipher::ChaCha20 { initial_counter } => chacha::apply(key, iv, initial_counter, ciphertext),
        Cipher::AesXts => xts::decrypt(key, iv, ciphertext),
        Cipher::AesKeyWrap(kind) => {
            expect_no_iv(iv)?;
            unwrap_key(kind, key, ciphertext)
        }
        block_mode => block::decrypt(block::Spec::of(block_mode)?, key, iv, ciphertext),
    }
}

fn check_aad(cipher: Cipher, aad: &[u8]) -> CryptoResult<()> {
    if !aad.is_empty() && !cipher.is_aead() {
        return Err(CryptoError::input("additional authenticated data is only for authenticated modes"));
    }
    Ok(())
}

fn expect_no_iv(iv: &[u8]) -> CryptoResult<()> {
    if !iv.is_empty() {
        return Err(CryptoError::input("this mode takes no IV"));
    }
    Ok(())
}

/// The IV check shared by the modes with a fixed IV length: absent is [`CryptoError::MissingIv`].
fn check_iv(iv: &[u8], len: usize) -> CryptoResult<()> {
    match iv.len() {
        0 if len > 0 => Err(CryptoError::MissingIv),
        n if n == len => Ok(()),
        n => Err(CryptoError::input(format!("the IV must be {len} bytes, not {n}"))),
    }
}

#[cfg(test)]
mod tests;
