//! Authenticated encryption (AES-GCM, ChaCha20-Poly1305) as KMIP uses it, where keyward-crypto's
//! calls do not reach:
//!
//! - ChaCha20-Poly1305 tags shorter than 16 bytes, which KMIP's Tag Length allows as it does for
//!   GCM (the OASIS case CS-BC-M-CHACHA20POLY1305-1 decrypts with a 12-byte tag). A short tag is
//!   the leading bytes of the full one, as GCM's is (SP 800-38D §7.1).
//! - Multi-part encryption that hands out the ciphertext of each part as it arrives, as the OASIS
//!   case CS-BC-M-GCM-3 expects, where keyward-crypto's `CipherStream` holds everything back until
//!   the end. Both modes encrypt with a keystream (GCM: AES in counter mode from the counter block
//!   after J0, SP 800-38D §7.1 step 4; ChaCha20-Poly1305: ChaCha20 from block 1, RFC 8439 §2.8), so
//!   each part's ciphertext is its plaintext XORed with the next bytes of that keystream, which
//!   keyward-crypto's streaming counter-mode ciphers produce. The tag covers the whole message: the
//!   plaintext is kept (zeroized when dropped) and sealed in one call at the end, and the
//!   ciphertext handed out is checked against that call's, so a mistake here can never go
//!   unnoticed.
//! - Multi-part decryption, which releases nothing before the tag has been checked over the whole
//!   message.
//!
//! Nothing here computes a block cipher, a hash or a tag itself: it only arranges keyward-crypto's
//! primitives.

use keyward_crypto::hash::{HashAlgorithm, Hasher};
use keyward_crypto::symmetric::{self, Cipher, CipherStream, Direction, MAX_BUFFERED_LEN, Padding};
use keyward_crypto::{CryptoError, CryptoResult};
use keyward_kmip::KmipVersion;
use zeroize::Zeroizing;

use super::failure;
use crate::error::{OpError, OpResult};

/// The length of a full Poly1305 tag.
const POLY1305_TAG_LEN: usize = 16;
/// An AES block, and so a GCM counter block.
const BLOCK_LEN: usize = 16;

/// Refuses authenticated encryption to a client older than KMIP 1.4, which added the
/// Authenticated Encryption Tag: it could be given no tag, or give none back.
pub fn needs_tag_field(version: KmipVersion) -> OpResult<()> {
    if version < KmipVersion::V1_4 {
        return Err(OpError::FeatureNotSupported(format!("authenticated encryption needs KMIP 1.4, not {version}")));
    }
    Ok(())
}

/// An authenticated encryption: the mode, the tag length asked, the key, the IV (as the mode
/// takes it) and the additional data.
#[derive(Clone, Copy)]
pub struct AeadSetup<'a> {
    pub cipher: Cipher,
    pub tag_len: usize,
    pub key: &'a [u8],
    pub iv: &'a [u8],
    pub aad: &'a [u8],
}

/// The ciphertext and the tag (of the length asked) of `plaintext`.
pub fn seal(setup: AeadSetup<'_>, plaintext: &[u8]) -> OpResult<(Vec<u8>, Vec<u8>)> {
    let sealed = symmetric::encrypt(setup.cipher, setup.key, setup.iv, setup.aad, plaintext).map_err(failure)?;
    let mut tag = sealed.tag.ok_or_else(|| OpError::GeneralFailure(format!("{:?} gave no tag", setup.cipher)))?;
    // GCM truncates its tag itself; Poly1305's is cut here to the length asked.
    tag.truncate(setup.tag_len);
    Ok((sealed.ciphertext, tag))
}

/// The plaintext of `ciphertext`, released only when `tag` (of the length asked) authenticates
/// it and the additional data.
pub fn open(setup: AeadSetup<'_>, ciphertext: &[u8], tag: &[u8]) -> OpResult<Zeroizing<Vec<u8>>> {
    let AeadSetup { cipher, tag_len, key, iv, aad } = setup;
    if tag.len() != tag_len {
        return Err(OpError::InvalidField(format!("the tag is {} bytes; the Tag Length says {tag_len}", tag.len())));
    }
    if cipher != Cipher::ChaCha20Poly1305 || tag_len == POLY1305_TAG_LEN {
        return symmetric::decrypt(cipher, key, iv, aad, ciphertext, Some(tag)).map_err(failure);
    }
    // A short Poly1305 tag: decrypt with the keystream alone, seal the result again for the full
    // tag, and compare its leading bytes. The plaintext is dropped (and zeroized) on a mismatch.
    let keystream = Cipher::ChaCha20 { initial_counter: 1 };
    let plaintext = symmetric::decrypt(keystream, key, iv, &[], ciphertext, None).map_err(failure)?;
    let (_, full_tag) = seal(AeadSetup { tag_len: POLY1305_TAG_LEN, ..setup }, &plaintext)?;
    if !same_bytes(&full_tag[..tag_len], tag) {
        return Err(failure(CryptoError::VerificationFailed));
    }
    Ok(plaintext)
}

/// Equality in a time that depends on the length only, not on where the inputs differ, so that a
/// forged tag learns nothing from how long its rejection took.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| std::hint::black_box(acc | (x ^ y)));
    a.len() == b.len() && difference == 0
}

/// A multi-part authenticated encryption; see the module doc.
pub struct SealingStream {
    cipher: Cipher,
    tag_len: usize,
    key: Zeroizing<Vec<u8>>,
    iv: Vec<u8>,
    aad: Vec<u8>,
    plaintext: Zeroizing<Vec<u8>>,
    keystream: Keystream,
    /// SHA-256 of the ciphertext handed out so far, to be checked against the final sealing.
    handed_out: Hasher,
}

impl SealingStream {
    /// The bytes of data held until the end.
    pub fn buffered(&self) -> usize {
        self.plaintext.len()
    }

    /// Starts an encryption; the key, IV and tag length are checked now.
    pub fn new(setup: AeadSetup<'_>) -> OpResult<SealingStream> {
        // A trial on no data checks key, IV and tag length before any part is accepted.
        seal(setup, &[])?;
        let keystream = match setup.cipher {
            Cipher::AesGcm { .. } => Keystream::gcm(setup.key, setup.iv)?,
            Cipher::ChaCha20Poly1305 => Keystream::ChaCha(
                CipherStream::new(
                    Direction::Encrypt,
                    Cipher::ChaCha20 { initial_counter: 1 },
                    setup.key,
                    setup.iv,
                    &[],
                )
                .map_err(failure)?,
            ),
            other => return Err(OpError::GeneralFailure(format!("{other:?} is not an authenticated mode"))),
        };
        Ok(SealingStream {
            cipher: setup.cipher,
            tag_len: setup.tag_len,
            key: Zeroizing::new(setup.key.to_vec()),
            iv: setup.iv.to_vec(),
            aad: setup.aad.to_vec(),
            plaintext: Zeroizing::new(Vec::new()),
            keystream,
            handed_out: Hasher::new(HashAlgorithm::Sha256),
        })
    }

    /// Encrypts the next part; returns its ciphertext.
    pub fn update(&mut self, part: &[u8]) -> OpResult<Vec<u8>> {
        if self.plaintext.len() + part.len() > MAX_BUFFERED_LEN {
            return Err(OpError::InvalidField(format!("a multi-part message is limited to {MAX_BUFFERED_LEN} bytes")));
        }
        self.plaintext.extend_from_slice(part);
        let keystream = self.keystream.apply(&self.key, part).map_err(failure)?;
        let ciphertext = keystream.to_vec();
        self.handed_out.update(&ciphertext);
        Ok(ciphertext)
    }

    /// Seals the whole message: returns the ciphertext of the last part and the tag.
    pub fn finish(self, last: &[u8]) -> OpResult<(Vec<u8>, Vec<u8>)> {
        let mut plaintext = self.plaintext;
        let handed_len = plaintext.len();
        if handed_len + last.len() > MAX_BUFFERED_LEN {
            return Err(OpError::InvalidField(format!("a multi-part message is limited to {MAX_BUFFERED_LEN} bytes")));
        }
        plaintext.extend_from_slice(last);
        let setup =
            AeadSetup { cipher: self.cipher, tag_len: self.tag_len, key: &self.key, iv: &self.iv, aad: &self.aad };
        let (mut ciphertext, tag) = seal(setup, &plaintext)?;
        let mut check = Hasher::new(HashAlgorithm::Sha256);
        check.update(&ciphertext[..handed_len]);
        if check.finish() != self.handed_out.finish() {
            return Err(OpError::CryptographicFailure("the parts were not encrypted as the whole message".into()));
        }
        Ok((ciphertext.split_off(handed_len), tag))
    }
}

/// The keystream that encrypts the parts.
enum Keystream {
    Gcm(Box<GcmCounter>),
    ChaCha(CipherStream),
}

impl Keystream {
    /// GCM's keystream starts at the counter block inc32(J0). J0 depends on the IV (for IVs other
    /// than 96 bits it is a GHASH of it), so it is read back from GCM itself: the ciphertext of a
    /// zero block is the encryption of that counter block, which AES decryption turns back into
    /// it.
    fn gcm(key: &[u8], iv: &[u8]) -> OpResult<Keystream> {
        let first = symmetric::encrypt(Cipher::AesGcm { tag_len: 16 }, key, iv, &[], &[0u8; BLOCK_LEN])
            .map_err(failure)?
            .ciphertext;
        let counter =
            symmetric::decrypt(Cipher::AesEcb(Padding::None), key, &[], &[], &first, None).map_err(failure)?;
        let counter: [u8; BLOCK_LEN] =
            counter.as_slice().try_into().map_err(|_| OpError::GeneralFailure("AES block".into()))?;
        Ok(Keystream::Gcm(Box::new(GcmCounter::new(key, counter).map_err(failure)?)))
    }

    fn apply(&mut self, key: &[u8], data: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
        match self {
            Keystream::Gcm(counter) => counter.apply(key, data),
            Keystream::ChaCha(stream) => stream.update(data),
        }
    }
}

/// AES in counter mode with GCM's counter: only the low 32 bits of the block count (inc32, SP
/// 800-38D §6.2), where keyward-crypto's CTR counts with all 128. The two agree until the low
/// 32 bits wrap; there the stream restarts from the block whose low 32 bits are zero.
struct GcmCounter {
    /// The counter block's upper 96 bits, which inc32 never changes.
    fixed: [u8; 12],
    stream: CipherStream,
    /// Bytes the stream may still produce before its low 32 bits would wrap.
    before_wrap: u64,
}

impl GcmCounter {
    fn new(key: &[u8], counter: [u8; BLOCK_LEN]) -> CryptoResult<GcmCounter> {
        let mut fixed = [0u8; 12];
        fixed.copy_from_slice(&counter[..12]);
        let low = u32::from_be_bytes([counter[12], counter[13], counter[14], counter[15]]);
        let blocks = (1u64 << 32) - u64::from(low);
        let stream = CipherStream::new(Direction::Encrypt, Cipher::AesCtr, key, &counter, &[])?;
        Ok(GcmCounter { fixed, stream, before_wrap: blocks * BLOCK_LEN as u64 })
    }

    fn apply(&mut self, key: &[u8], mut data: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
        while !data.is_empty() {
            if self.before_wrap == 0 {
                let mut wrapped = [0u8; BLOCK_LEN];
                wrapped[..12].copy_from_slice(&self.fixed);
                self.stream = CipherStream::new(Direction::Encrypt, Cipher::AesCtr, key, &wrapped, &[])?;
                self.before_wrap = (1u64 << 32) * BLOCK_LEN as u64;
            }
            let take = usize::try_from(self.before_wrap).map_or(data.len(), |limit| limit.min(data.len()));
            out.extend_from_slice(&self.stream.update(&data[..take])?);
            self.before_wrap -= take as u64;
            data = &data[take..];
        }
        Ok(out)
    }
}

/// A multi-part authenticated decryption: the ciphertext is gathered, and opened at the end.
pub struct OpeningStream {
    cipher: Cipher,
    tag_len: usize,
    key: Zeroizing<Vec<u8>>,
    iv: Vec<u8>,
    aad: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl OpeningStream {
    /// The bytes of data held until the end.
    pub fn buffered(&self) -> usize {
        self.ciphertext.len()
    }

    /// Starts a decryption; the key and IV are checked now.
    pub fn new(setup: AeadSetup<'_>) -> OpResult<OpeningStream> {
        seal(setup, &[])?;
        Ok(OpeningStream {
            cipher: setup.cipher,
            tag_len: setup.tag_len,
            key: Zeroizing::new(setup.key.to_vec()),
            iv: setup.iv.to_vec(),
            aad: setup.aad.to_vec(),
            ciphertext: Vec::new(),
        })
    }

    /// Takes the next part; nothing is released before the end.
    pub fn update(&mut self, part: &[u8]) -> OpResult<()> {
        if self.ciphertext.len() + part.len() > MAX_BUFFERED_LEN {
            return Err(OpError::InvalidField(format!("a multi-part message is limited to {MAX_BUFFERED_LEN} bytes")));
        }
        self.ciphertext.extend_from_slice(part);
        Ok(())
    }

    /// Checks the tag over the whole message and returns the plaintext.
    pub fn finish(mut self, last: &[u8], tag: &[u8]) -> OpResult<Zeroizing<Vec<u8>>> {
        self.update(last)?;
        let setup =
            AeadSetup { cipher: self.cipher, tag_len: self.tag_len, key: &self.key, iv: &self.iv, aad: &self.aad };
        open(setup, &self.ciphertext, tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(text: &str) -> Vec<u8> {
        hex::decode(text).expect("hex")
    }

    // The GCM specification's test case 5 (McGrew and Viega, "The Galois/Counter Mode of
    // Operation", revised 2005, appendix B): a 64-bit IV, whose J0 is a GHASH of it. It is also
    // the message of the OASIS case CS-BC-M-GCM-3.
    const KEY: &str = "feffe9928665731c6d6a8f9467308308";
    const IV: &str = "cafebabefacedbad";
    const AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    const PLAIN: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    const CIPHER: &str = "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598";
    const TAG: &str = "3612d2e79e3b0785561be14aaca2fccb";

    #[test]
    fn gcm_parts_are_encrypted_as_they_come() {
        let (key, iv, aad, plain) = (h(KEY), h(IV), h(AAD), h(PLAIN));
        let setup = AeadSetup { cipher: Cipher::AesGcm { tag_len: 16 }, tag_len: 16, key: &key, iv: &iv, aad: &aad };
        let mut stream = SealingStream::new(setup).unwrap();
        let mut ciphertext = stream.update(&plain[..32]).unwrap();
        assert_eq!(ciphertext, h(CIPHER)[..32]);
        ciphertext.extend(stream.update(&plain[32..37]).unwrap());
        let (last, tag) = stream.finish(&plain[37..]).unwrap();
        ciphertext.extend(last);
        assert_eq!(ciphertext, h(CIPHER));
        assert_eq!(tag, h(TAG));
    }

    #[test]
    fn the_gcm_counter_wraps_in_its_low_32_bits() {
        // A counter block two blocks before the wrap: the third block must use ...00000000 with
        // the same upper 96 bits, which a plain 128-bit counter would not.
        let key = h(KEY);
        let mut block = [0x11u8; 16];
        block[12..].copy_from_slice(&0xffff_fffeu32.to_be_bytes());
        let mut counter = GcmCounter::new(&key, block).unwrap();
        let stream = counter.apply(&key, &[0u8; 48]).unwrap();
        let mut wrapped = [0x11u8; 16];
        wrapped[12..].copy_from_slice(&[0, 0, 0, 0]);
        let expected = symmetric::encrypt(Cipher::AesEcb(Padding::None), &key, &[], &[], &wrapped).unwrap().ciphertext;
        assert_eq!(&stream[32..], expected.as_slice());
    }

    // RFC 8439 §2.8.2: the AEAD example ("Ladies and Gentlemen of the class of '99...").
    const CC_KEY: &str = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
    const CC_NONCE: &str = "070000004041424344454647";
    const CC_AAD: &str = "50515253c0c1c2c3c4c5c6c7";
    const CC_PLAIN: &str = "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a204966204920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73637265656e20776f756c642062652069742e";
    const CC_CIPHER: &str = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116";
    const CC_TAG: &str = "1ae10b594f09e26a7e902ecbd0600691";

    #[test]
    fn short_poly1305_tags_are_the_leading_bytes() {
        let (key, nonce, aad, plain) = (h(CC_KEY), h(CC_NONCE), h(CC_AAD), h(CC_PLAIN));
        let setup = AeadSetup { cipher: Cipher::ChaCha20Poly1305, tag_len: 12, key: &key, iv: &nonce, aad: &aad };
        let (ciphertext, tag) = seal(setup, &plain).unwrap();
        assert_eq!(ciphertext, h(CC_CIPHER));
        assert_eq!(tag, h(CC_TAG)[..12]);
        assert_eq!(*open(setup, &ciphertext, &tag).unwrap(), plain);
        let mut forged = tag.clone();
        forged[11] ^= 1;
        assert!(matches!(open(setup, &ciphertext, &forged), Err(OpError::CryptographicFailure(_))));
    }

    #[test]
    fn chacha20_poly1305_parts() {
        let (key, nonce, aad, plain) = (h(CC_KEY), h(CC_NONCE), h(CC_AAD), h(CC_PLAIN));
        let setup = AeadSetup { cipher: Cipher::ChaCha20Poly1305, tag_len: 16, key: &key, iv: &nonce, aad: &aad };
        let mut stream = SealingStream::new(setup).unwrap();
        let mut ciphertext = stream.update(&plain[..50]).unwrap();
        let (last, tag) = stream.finish(&plain[50..]).unwrap();
        ciphertext.extend(last);
        assert_eq!((ciphertext.clone(), tag.clone()), (h(CC_CIPHER), h(CC_TAG)));

        let setup = AeadSetup { cipher: Cipher::ChaCha20Poly1305, tag_len: 16, key: &key, iv: &nonce, aad: &aad };
        let mut opening = OpeningStream::new(setup).unwrap();
        opening.update(&ciphertext[..7]).unwrap();
        assert_eq!(*opening.finish(&ciphertext[7..], &tag).unwrap(), plain);
    }
}
