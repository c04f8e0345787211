//! Multi-part encryption and decryption: a [`CipherStream`] is created on the first request (KMIP
//! Init Indicator), fed with [`CipherStream::update`] on each request and closed with
//! [`CipherStream::finish`] (Final Indicator). It is `Send`, so the server can keep it in its
//! table of operations in progress under the Correlation Value between requests.
//!
//! How each mode streams:
//!
//! - CBC and ECB with PKCS#7 padding, CTR, CFB-128 and OFB: aws-lc's streaming keys, which carry
//!   the chaining state and the partial block; decryption holds back the last block until
//!   `finish` so the padding can be checked.
//! - CBC and ECB without padding: whole blocks go through aws-lc's one-shot keys as they arrive,
//!   a partial block waits for the next part, and for CBC the last ciphertext block of one call
//!   is the IV of the next, which is exactly CBC's chaining. (aws-lc-rs streams only padded CBC.)
//! - ChaCha20: the RustCrypto keystream, which keeps its position.
//! - GCM, ChaCha20-Poly1305, XTS and key wrap: the data is buffered (in a zeroizing buffer) and
//!   processed at `finish`. For the AEADs this is also the safe behaviour for decryption, since no
//!   plaintext may be released before the tag is checked; for XTS the message is one data unit.
//!   The buffer is capped at [`MAX_BUFFERED_LEN`].

#![allow(deprecated)] // Triple DES, see block.rs.

use aws_lc_rs::cipher::{
    DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, OperatingMode, StreamingDecryptingKey,
    StreamingEncryptingKey,
};
use aws_lc_rs::iv::FixedLength;
use chacha20::ChaCha20;
use chacha20::cipher::StreamCipher;
use zeroize::Zeroizing;

use super::block::{self, Spec};
use super::{Cipher, Padding, chacha};
use crate::{CryptoError, CryptoResult};

/// The most data a buffered mode (GCM, ChaCha20-Poly1305, XTS, key wrap) holds: 64 MiB.
pub const MAX_BUFFERED_LEN: usize = 64 << 20;

/// Which way a stream goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Encrypt,
    Decrypt,
}

/// What [`CipherStream::finish`] returns: the last of the data and, when encrypting with an
/// authenticated mode, the tag.
#[derive(Debug)]
pub struct StreamOutput {
    pub data: Zeroizing<Vec<u8>>,
    pub tag: Option<Vec<u8>>,
}

/// A multi-part encryption or decryption; see the module doc.
pub struct CipherStream {
    cipher: Cipher,
    direction: Direction,
    state: State,
}

enum State {
    Enc(StreamingEncryptingKey, usize),
    Dec(StreamingDecryptingKey, usize),
    Blocks(Box<Blocks>),
    ChaCha(Box<ChaCha20>),
    Buffered(Buffered),
}

/// Unpadded CBC or ECB: whole blocks now, the rest later.
struct Blocks {
    spec: Spec,
    key: BlockKey,
    /// The IV for the next call (CBC); empty for ECB.
    chain: Vec<u8>,
    pending: Zeroizing<Vec<u8>>,
}

enum BlockKey {
    Enc(EncryptingKey),
    Dec(DecryptingKey),
}

struct Buffered {
    key: Zeroizing<Vec<u8>>,
    iv: Vec<u8>,
    aad: Vec<u8>,
    data: Zeroizing<Vec<u8>>,
}

impl CipherStream {
    /// Starts a multi-part operation. The key, IV and AAD are checked here, so a bad one fails the
    /// first request rather than the last. AAD is only for authenticated modes.
    pub fn new(direction: Direction, cipher: Cipher, key: &[u8], iv: &[u8], aad: &[u8]) -> CryptoResult<Self> {
        super::check_aad(cipher, aad)?;
        let state = match cipher {
            Cipher::AesGcm { .. } | Cipher::ChaCha20Poly1305 | Cipher::AesXts | Cipher::AesKeyWrap(_) => {
                // Validate key and IV now by running the mode on nothing where it allows that.
                precheck(cipher, key, iv)?;
                State::Buffered(Buffered {
                    key: Zeroizing::new(key.to_vec()),
                    iv: iv.to_vec(),
                    aad: aad.to_vec(),
                    data: Zeroizing::new(Vec::new()),
                })
            }
            Cipher::ChaCha20 { initial_counter } => {
                State::ChaCha(Box::new(chacha::keystream(key, iv, initial_counter)?))
            }
            _ => block_state(direction, Spec::of(cipher)?, key, iv)?,
        };
        Ok(CipherStream { cipher, direction, state })
    }

    /// The cipher this stream runs.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The direction this stream runs.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Feeds the next part; returns whatever output is ready, possibly nothing.
    pub fn update(&mut self, data: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
        match &mut self.state {
            State::Enc(k, block) => {
                let mut out = Zeroizing::new(vec![0u8; data.len() + *block]);
                let n = k.update(data, &mut out).map_err(|_| CryptoError::failed("encryption"))?.written().len();
                out.truncate(n);
                Ok(out)
            }
            State::Dec(k, block) => {
                let mut out = Zeroizing::new(vec![0u8; data.len() + *block]);
                let n = k.update(data, &mut out).map_err(|_| CryptoError::failed("decryption"))?.written().len();
                out.truncate(n);
                Ok(out)
            }
            State::Blocks(b) => b.update(data),
            State::ChaCha(c) => {
                let mut out = Zeroizing::new(data.to_vec());
                c.try_apply_keystream(&mut out)
                    .map_err(|_| CryptoError::input("the message would run the ChaCha20 block counter past 2^32"))?;
                Ok(out)
            }
            State::Buffered(b) => {
                if b.data.len() + data.len() > MAX_BUFFERED_LEN {
                    return Err(CryptoError::input(format!(
                        "a multi-part {:?} is limited to {MAX_BUFFERED_LEN} bytes",
                        self.cipher
                    )));
                }
                b.data.extend_from_slice(data);
                Ok(Zeroizing::new(Vec::new()))
            }
        }
    }

    /// Ends the operation with the last output. `tag` is the authentication tag when decrypting
    /// with an authenticated mode (KMIP sends it with the final part), and must be absent
    /// otherwise.
    pub fn finish(self, tag: Option<&[u8]>) -> CryptoResult<StreamOutput> {
        let decrypting_aead = self.direction == Direction::Decrypt && self.cipher.is_aead();
        if tag.is_some() && !decrypting_aead {
            return Err(CryptoError::input("only decryption with an authenticated mode takes a tag"));
        }
        let plain = |data| Ok(StreamOutput { data, tag: None });
        match self.state {
            State::Enc(k, block) => {
                let mut out = Zeroizing::new(vec![0u8; block]);
                let n = k.finish(&mut out).map_err(|_| CryptoError::failed("encryption"))?.1.written().len();
                out.truncate(n);
                plain(out)
            }
            State::Dec(k, block) => {
                let padded = matches!(k.mode(), OperatingMode::CBC | OperatingMode::ECB);
                let mut out = Zeroizing::new(vec![0u8; block]);
                let n = k
                    .finish(&mut out)
                    .map_err(
                        |_| if padded { CryptoError::VerificationFailed } else { CryptoError::failed("decryption") },
                    )?
                    .written()
                    .len();
                out.truncate(n);
                plain(out)
            }
            State::Blocks(b) => {
                if !b.pending.is_empty() {
                    return Err(CryptoError::input(format!(
                        "without padding the data must be a multiple of {} bytes",
                        b.spec.block_len()
                    )));
                }
                plain(Zeroizing::new(Vec::new()))
            }
            State::ChaCha(_) => plain(Zeroizing::new(Vec::new())),
            State::Buffered(b) => match self.direction {
                Direction::Encrypt => {
                    let out = super::encrypt(self.cipher, &b.key, &b.iv, &b.aad, &b.data)?;
                    Ok(StreamOutput { data: Zeroizing::new(out.ciphertext), tag: out.tag })
                }
                Direction::Decrypt => plain(super::decrypt(self.cipher, &b.key, &b.iv, &b.aad, &b.data, tag)?),
            },
        }
    }
}

/// Checks key and IV of a buffered mode before any data arrives.
fn precheck(cipher: Cipher, key: &[u8], iv: &[u8]) -> CryptoResult<()> {
    match cipher {
        // GCM and ChaCha20-Poly1305 accept an empty message, so a trial run checks everything.
        Cipher::AesGcm { .. } | Cipher::ChaCha20Poly1305 => super::encrypt(cipher, key, iv, &[], &[]).map(|_| ()),
        // XTS needs a block of data: run it on a dummy block.
        Cipher::AesXts => super::encrypt(cipher, key, iv, &[], &[0u8; 16]).map(|_| ()),
        _ => {
            super::expect_no_iv(iv)?;
            super::encrypt(cipher, key, &[], &[], &[0u8; 16]).map(|_| ())
        }
    }
}

fn block_state(direction: Direction, spec: Spec, key: &[u8], iv: &[u8]) -> CryptoResult<State> {
    let ctx = block::context(spec, iv)?;
    let unbound = block::unbound_key(spec.family, key)?;
    let key_err = |_| CryptoError::key("the key was rejected (for Triple DES: a weak key or repeated parts)");
    let block_len = spec.block_len();
    if spec.needs_blocks() && spec.padding == Padding::None {
        let key = match direction {
            Direction::Encrypt => BlockKey::Enc(block::encrypting_key(spec.mode, unbound)?),
            Direction::Decrypt => BlockKey::Dec(block::decrypting_key(spec.mode, unbound)?),
        };
        return Ok(State::Blocks(Box::new(Blocks {
            spec,
            key,
            chain: iv.to_vec(),
            pending: Zeroizing::new(Vec::new()),
        })));
    }
    Ok(match direction {
        Direction::Encrypt => State::Enc(
            match spec.mode {
                OperatingMode::CBC => StreamingEncryptingKey::less_safe_cbc_pkcs7(unbound, ctx),
                OperatingMode::ECB => StreamingEncryptingKey::ecb_pkcs7(unbound),
                OperatingMode::CTR => StreamingEncryptingKey::less_safe_ctr(unbound, ctx),
                OperatingMode::CFB128 => StreamingEncryptingKey::less_safe_cfb128(unbound, ctx),
                _ => StreamingEncryptingKey::less_safe_ofb(unbound, ctx),
            }
            .map_err(key_err)?,
            block_len,
        ),
        Direction::Decrypt => {
            let ctx = DecryptionContext::from(ctx);
            State::Dec(
                match spec.mode {
                    OperatingMode::CBC => StreamingDecryptingKey::cbc_pkcs7(unbound, ctx),
                    OperatingMode::ECB => StreamingDecryptingKey::ecb_pkcs7(unbound, ctx),
                    OperatingMode::CTR => StreamingDecryptingKey::ctr(unbound, ctx),
                    OperatingMode::CFB128 => StreamingDecryptingKey::cfb128(unbound, ctx),
                    _ => StreamingDecryptingKey::ofb(unbound, ctx),
                }
                .map_err(key_err)?,
                block_len,
            )
        }
    })
}

impl Blocks {
    fn update(&mut self, data: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
        self.pending.extend_from_slice(data);
        let block_len = self.spec.block_len();
        let whole = self.pending.len() / block_len * block_len;
        if whole == 0 {
            return Ok(Zeroizing::new(Vec::new()));
        }
        let rest = Zeroizing::new(self.pending[whole..].to_vec());
        let mut out = std::mem::replace(&mut self.pending, rest);
        out.truncate(whole);
        let fail = |_| CryptoError::failed("block cipher");
        match &self.key {
            BlockKey::Enc(k) => {
                k.less_safe_encrypt(&mut out, self.context()?).map_err(fail)?;
                if !self.chain.is_empty() {
                    self.chain = out[whole - block_len..].to_vec();
                }
            }
            BlockKey::Dec(k) => {
                let next = out[whole - block_len..].to_vec();
                k.decrypt(&mut out, DecryptionContext::from(self.context()?)).map_err(fail)?;
                if !self.chain.is_empty() {
                    self.chain = next;
                }
            }
        }
        Ok(out)
    }

    fn context(&self) -> CryptoResult<EncryptionContext> {
        let bad = |_| CryptoError::input("IV");
        Ok(match self.chain.len() {
            0 => EncryptionContext::None,
            16 => EncryptionContext::Iv128(FixedLength::try_from(self.chain.as_slice()).map_err(bad)?),
            _ => EncryptionContext::Iv64(FixedLength::try_from(self.chain.as_slice()).map_err(bad)?),
        })
    }
}
