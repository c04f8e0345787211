//! From KMIP Cryptographic Parameters (2.1 §4.16, 1.4 §3.6) to the algorithms of keyward-crypto.
//!
//! Every cryptographic operation (Encrypt, Decrypt, Sign, Signature Verify, MAC, MAC Verify, Hash,
//! key wrapping) describes what it wants with the same structure; this module is the one place
//! that reads it. The functions take the parameters an operation uses (the request's, or the
//! key's: see [`super::parameters::effective`], which also fills in the key's Cryptographic
//! Algorithm) and answer with a keyward-crypto enum or an [`OpError`]:
//!
//! - a value KMIP defines but keyward-crypto does not offer (MD5, Blowfish, CCM...) is
//!   [`OpError::UnsupportedParameters`];
//! - a value that makes no sense for the key or the mode (an ECDSA signature with an RSA key, a
//!   GCM tag of 32 bytes) is [`OpError::BadCryptographicParameters`] or [`OpError::InvalidField`];
//! - a parameter the algorithm cannot do without (the Block Cipher Mode of an AES key) is
//!   [`OpError::MissingData`]: "If there are no Cryptographic Parameters ... and the algorithm
//!   requires parameters then the operation SHALL return with a Result Status of Operation Failed"
//!   (2.1 §6.1.17).
//!
//! Defaults are those of the specification where it gives one (OAEP and MGF1 hash SHA-1, empty
//! P Source, MGF1 as mask generator) and otherwise the common choice, named where it is made.

use keyward_crypto::asymmetric::{KeyAlgorithm, RsaEncryptionPadding, SignatureScheme};
use keyward_crypto::hash::HashAlgorithm;
use keyward_crypto::mac::MacAlgorithm;
use keyward_crypto::symmetric::{self, Cipher, KeyWrap, Padding};
use keyward_kmip::attributes::CryptographicParameters;
use keyward_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, DigitalSignatureAlgorithm, HashingAlgorithm, MaskGenerator, PaddingMethod,
};

use super::failure;
use crate::error::{OpError, OpResult};

/// The tag length of an authenticated mode when the parameters name none: the full 128 bits.
pub const DEFAULT_TAG_LEN: usize = 16;

/// The hash function a KMIP Hashing Algorithm names.
pub fn hash_algorithm(algorithm: HashingAlgorithm) -> OpResult<HashAlgorithm> {
    Ok(match algorithm {
        HashingAlgorithm::SHA_1 => HashAlgorithm::Sha1,
        HashingAlgorithm::SHA_224 => HashAlgorithm::Sha224,
        HashingAlgorithm::SHA_256 => HashAlgorithm::Sha256,
        HashingAlgorithm::SHA_384 => HashAlgorithm::Sha384,
        HashingAlgorithm::SHA_512 => HashAlgorithm::Sha512,
        HashingAlgorithm::SHA_512_224 => HashAlgorithm::Sha512_224,
        HashingAlgorithm::SHA_512_256 => HashAlgorithm::Sha512_256,
        HashingAlgorithm::SHA3_224 => HashAlgorithm::Sha3_224,
        HashingAlgorithm::SHA3_256 => HashAlgorithm::Sha3_256,
        HashingAlgorithm::SHA3_384 => HashAlgorithm::Sha3_384,
        HashingAlgorithm::SHA3_512 => HashAlgorithm::Sha3_512,
        other => return Err(OpError::UnsupportedParameters(format!("hashing algorithm {other:?}"))),
    })
}

/// The hash an HMAC algorithm is built on (HMAC-SHA256: SHA-256); `None` for any other algorithm.
pub fn hmac_hash(algorithm: CryptographicAlgorithm) -> Option<HashAlgorithm> {
    Some(match algorithm {
        CryptographicAlgorithm::HMAC_SHA1 => HashAlgorithm::Sha1,
        CryptographicAlgorithm::HMAC_SHA224 => HashAlgorithm::Sha224,
        CryptographicAlgorithm::HMAC_SHA256 => HashAlgorithm::Sha256,
        CryptographicAlgorithm::HMAC_SHA384 => HashAlgorithm::Sha384,
        CryptographicAlgorithm::HMAC_SHA512 => HashAlgorithm::Sha512,
        CryptographicAlgorithm::HMAC_SHA3_224 => HashAlgorithm::Sha3_224,
        CryptographicAlgorithm::HMAC_SHA3_256 => HashAlgorithm::Sha3_256,
        CryptographicAlgorithm::HMAC_SHA3_384 => HashAlgorithm::Sha3_384,
        CryptographicAlgorithm::HMAC_SHA3_512 => HashAlgorithm::Sha3_512,
        _ => return None,
    })
}

/// The hash function of the Hash operation: the Hashing Algorithm, or a Cryptographic Algorithm
/// that is itself a hash (SHA3-256...), which 1.4 added as algorithms too.
pub fn digest_algorithm(parameters: &CryptographicParameters) -> OpResult<HashAlgorithm> {
    if let Some(hashing) = parameters.hashing_algorithm {
        return hash_algorithm(hashing);
    }
    match parameters.cryptographic_algorithm {
        Some(CryptographicAlgorithm::SHA3_224) => Ok(HashAlgorithm::Sha3_224),
        Some(CryptographicAlgorithm::SHA3_256) => Ok(HashAlgorithm::Sha3_256),
        Some(CryptographicAlgorithm::SHA3_384) => Ok(HashAlgorithm::Sha3_384),
        Some(CryptographicAlgorithm::SHA3_512) => Ok(HashAlgorithm::Sha3_512),
        Some(other) => Err(OpError::UnsupportedParameters(format!("{other:?} is not a hash"))),
        None => Err(OpError::MissingData("the Hashing Algorithm".into())),
    }
}

/// The symmetric cipher the parameters describe: the Cryptographic Algorithm (the key's, when
/// the parameters do not name one), the Block Cipher Mode, the Padding Method (PKCS5 is PKCS#7
/// padding, as it is for every block size; absent is none), the Tag Length of GCM and the Initial
/// Counter Value of ChaCha20.
///
/// AES needs a Block Cipher Mode. ChaCha20 and ChaCha20-Poly1305 have one mode each and take
/// the parameters' mode only when it is that mode (AEAD for ChaCha20-Poly1305).
pub fn symmetric_cipher(parameters: &CryptographicParameters) -> OpResult<Cipher> {
    let algorithm = parameters
        .cryptographic_algorithm
        .ok_or_else(|| OpError::MissingData("the Cryptographic Algorithm of the key".into()))?;
    let mode = parameters.block_cipher_mode;
    let padding = || block_padding(parameters.padding_method);
    let no_padding = || match parameters.padding_method {
        None | Some(PaddingMethod::None) => Ok(()),
        Some(other) => Err(OpError::BadCryptographicParameters(format!("{other:?} padding with {mode:?}"))),
    };
    let unsupported = || OpError::UnsupportedParameters(format!("{algorithm:?} in {mode:?} mode"));
    Ok(match algorithm {
        CryptographicAlgorithm::AES => {
            let mode = mode.ok_or_else(|| OpError::MissingData("the Block Cipher Mode of an AES key".into()))?;
            match mode {
                BlockCipherMode::ECB => Cipher::AesEcb(padding()?),
                BlockCipherMode::CBC => Cipher::AesCbc(padding()?),
                _ => {
                    no_padding()?;
                    match mode {
                        BlockCipherMode::CTR => Cipher::AesCtr,
                        BlockCipherMode::CFB => Cipher::AesCfb128,
                        BlockCipherMode::OFB => Cipher::AesOfb,
                        BlockCipherMode::XTS => Cipher::AesXts,
                        BlockCipherMode::GCM => Cipher::AesGcm { tag_len: tag_length(parameters)? },
                        BlockCipherMode::NISTKeyWrap => Cipher::AesKeyWrap(KeyWrap::Rfc3394),
                        BlockCipherMode::AESKeyWrapPadding => Cipher::AesKeyWrap(KeyWrap::Rfc5649),
                        _ => return Err(unsupported()),
                    }
                }
            }
        }
        CryptographicAlgorithm::DES3 => match mode {
            Some(BlockCipherMode::ECB) => Cipher::TripleDesEcb(padding()?),
            Some(BlockCipherMode::CBC) => Cipher::TripleDesCbc(padding()?),
            Some(_) => return Err(unsupported()),
            None => return Err(OpError::MissingData("the Block Cipher Mode of a Triple DES key".into())),
        },
        CryptographicAlgorithm::ChaCha20 if mode.is_none() => {
            no_padding()?;
            let initial_counter = parameters.initial_counter_value.unwrap_or(0);
            let initial_counter = u32::try_from(initial_counter)
                .map_err(|_| OpError::InvalidField(format!("Initial Counter Value {initial_counter}")))?;
            Cipher::ChaCha20 { initial_counter }
        }
        CryptographicAlgorithm::ChaCha20Poly1305 if matches!(mode, None | Some(BlockCipherMode::AEAD)) => {
            no_padding()?;
            tag_length(parameters)?;
            Cipher::ChaCha20Poly1305
        }
        _ => return Err(unsupported()),
    })
}

/// The block padding a Padding Method names: PKCS5 is PKCS#7 (the same scheme, named after its
/// 8-byte case), None or absent is none.
pub fn block_padding(method: Option<PaddingMethod>) -> OpResult<Padding> {
    match method {
        None | Some(PaddingMethod::None) => Ok(Padding::None),
        Some(PaddingMethod::PKCS5) => Ok(Padding::Pkcs7),
        Some(other) => Err(OpError::UnsupportedParameters(format!("{other:?} block padding"))),
    }
}

/// The tag length of an authenticated mode, in bytes: the Tag Length, or 16. GCM allows 4, 8 and
/// 12 to 16 bytes (NIST SP 800-38D §5.2.1.2); the same lengths are accepted for
/// ChaCha20-Poly1305, whose tag is then truncated like GCM's. Any other length is an invalid
/// value of the field (Invalid Field).
pub fn tag_length(parameters: &CryptographicParameters) -> OpResult<usize> {
    let Some(given) = parameters.tag_length else { return Ok(DEFAULT_TAG_LEN) };
    match usize::try_from(given) {
        Ok(len @ (4 | 8 | 12..=16)) => Ok(len),
        _ => Err(OpError::InvalidField(format!("a Tag Length of {given} bytes (4, 8 or 12 to 16 are allowed)"))),
    }
}

/// Whether the cipher needs an IV, counter or nonce.
pub fn needs_iv(cipher: Cipher) -> bool {
    symmetric::iv_len(cipher) > 0
}

/// The IV a cipher is run with, from the IV/Counter/Nonce a client gave (or the server made):
///
/// - AES-CTR takes the 16-byte initial counter block; a shorter value is a nonce, followed by the
///   Initial Counter Value (0 when absent) in the remaining bytes.
/// - ChaCha20 takes the 12-byte nonce of RFC 8439, or the 8-byte nonce of the original ChaCha20,
///   whose 64-bit block counter starts at zero: that is the RFC 8439 state with four zero bytes
///   before the nonce (valid while the counter stays below 2^32, which keyward-crypto enforces).
/// - Every other mode takes the value as it is; keyward-crypto checks its length.
pub fn cipher_iv(cipher: Cipher, given: &[u8], parameters: &CryptographicParameters) -> OpResult<Vec<u8>> {
    match cipher {
        Cipher::AesCtr if !given.is_empty() && given.len() < 16 => {
            let counter = parameters.initial_counter_value.unwrap_or(0);
            let counter = u64::try_from(counter)
                .map_err(|_| OpError::InvalidField(format!("Initial Counter Value {counter}")))?;
            Ok(symmetric::ctr_counter_block(given, counter).map_err(failure)?.to_vec())
        }
        Cipher::ChaCha20 { .. } if given.len() == 8 => Ok([&[0u8; 4][..], given].concat()),
        _ => Ok(given.to_vec()),
    }
}

/// The IV of an encryption and whether the server made it (then the response returns it, 2.1
/// §6.1.17): the client's IV/Counter/Nonce when it gave one; otherwise a fresh [`random_iv`] for
/// a mode that needs one, whether Random IV asked for it or the client simply left it out (a
/// random IV is the safe answer to both); nothing for a mode without an IV, whatever Random IV
/// says.
pub fn encryption_iv(
    cipher: Cipher,
    given: Option<&[u8]>,
    parameters: &CryptographicParameters,
) -> OpResult<(Vec<u8>, bool)> {
    match given {
        Some(iv) => Ok((iv.to_vec(), false)),
        None if needs_iv(cipher) => Ok((random_iv(cipher, parameters)?, true)),
        None => Ok((Vec::new(), false)),
    }
}

/// A fresh random IV for the cipher, for a client that asked the server for one (Random IV) or
/// gave none to a mode that needs one: of IV Length bits when the parameters give it (GCM accepts
/// several lengths; other modes only their own), else of the mode's usual length (12 bytes for
/// GCM and ChaCha20, 16 for AES's other modes, 8 for Triple DES).
pub fn random_iv(cipher: Cipher, parameters: &CryptographicParameters) -> OpResult<Vec<u8>> {
    let usual = symmetric::iv_len(cipher);
    let len = match parameters.iv_length {
        None => usual,
        Some(bits) => {
            let bytes = usize::try_from(bits).ok().filter(|b| b % 8 == 0).map(|b| b / 8);
            match (cipher, bytes) {
                (Cipher::AesGcm { .. }, Some(len)) if symmetric::gcm_iv_len_supported(len) => len,
                (_, Some(len)) if len == usual => len,
                _ => return Err(OpError::InvalidField(format!("an IV Length of {bits} bits for {cipher:?}"))),
            }
        }
    };
    keyward_crypto::random_bytes(len).map_err(failure)
}

/// The hashes of RSA-OAEP: the Hashing Algorithm hashes the label, the Mask Generator Hashing
/// Algorithm drives MGF1; each is SHA-1 when absent (2.1 §4.16, as RFC 8017 §A.2.1).
pub fn oaep_hashes(parameters: &CryptographicParameters) -> OpResult<(HashAlgorithm, HashAlgorithm)> {
    mgf1_only(parameters)?;
    let label = parameters.hashing_algorithm.map(hash_algorithm).transpose()?.unwrap_or(HashAlgorithm::Sha1);
    let mgf1 =
        parameters.mask_generator_hashing_algorithm.map(hash_algorithm).transpose()?.unwrap_or(HashAlgorithm::Sha1);
    Ok((label, mgf1))
}

/// The padding of RSA encryption: OAEP (with [`oaep_hashes`] and the P Source as label, empty
/// when absent) or PKCS#1 v1.5. RSA encryption needs one: an absent Padding Method is missing
/// data.
pub fn rsa_encryption_padding(parameters: &CryptographicParameters) -> OpResult<RsaEncryptionPadding<'_>> {
    match parameters.padding_method {
        Some(PaddingMethod::OAEP) => {
            let (hash, mgf1_hash) = oaep_hashes(parameters)?;
            let label = parameters.p_source.as_ref().map_or(&[][..], |p| p.as_slice());
            Ok(RsaEncryptionPadding::Oaep { hash, mgf1_hash, label })
        }
        Some(PaddingMethod::PKCS1V1_5) => Ok(RsaEncryptionPadding::Pkcs1v15),
        Some(other) => Err(OpError::UnsupportedParameters(format!("RSA encryption with {other:?} padding"))),
        None => Err(OpError::MissingData("the Padding Method of RSA encryption".into())),
    }
}

/// The signature scheme for a key of `key` algorithm.
///
/// A Digital Signature Algorithm names the scheme and its hash, and must suit the key. Otherwise
/// the key's own algorithm decides the family, and the parameters what that family takes: RSA
/// signs with PSS when the Padding Method says PSS and with PKCS#1 v1.5 otherwise; ECDSA and RSA
/// hash with the Hashing Algorithm, or SHA-256 (ECDSA: the hash matching the curve's size) when
/// none is named; Ed25519 hashes on its own. A Cryptographic Algorithm in the parameters that
/// names another family is not held against the key: the OASIS test case CS-AC-M-3-ECC-13
/// verifies an ECDSA signature with parameters naming RSA and PSS and expects "Valid".
///
/// PSS uses MGF1 over the message hash, with a salt of Salt Length bytes (the hash's length when
/// absent).
pub fn signature_scheme(key: KeyAlgorithm, parameters: &CryptographicParameters) -> OpResult<SignatureScheme> {
    let named_hash = parameters.hashing_algorithm.map(hash_algorithm).transpose()?;
    if let Some(algorithm) = parameters.digital_signature_algorithm {
        return named_signature(key, algorithm, named_hash, parameters);
    }
    Ok(match key {
        KeyAlgorithm::Rsa => match parameters.padding_method {
            Some(PaddingMethod::PSS) => pss(named_hash.unwrap_or(HashAlgorithm::Sha256), parameters)?,
            None | Some(PaddingMethod::PKCS1V1_5) => {
                SignatureScheme::RsaPkcs1v15(named_hash.unwrap_or(HashAlgorithm::Sha256))
            }
            Some(other) => {
                return Err(OpError::UnsupportedParameters(format!("RSA signatures with {other:?} padding")));
            }
        },
        KeyAlgorithm::Ec(curve) => SignatureScheme::Ecdsa(named_hash.unwrap_or(match curve.bits() {
            384 => HashAlgorithm::Sha384,
            521 => HashAlgorithm::Sha512,
            _ => HashAlgorithm::Sha256,
        })),
        KeyAlgorithm::Ed25519 => SignatureScheme::Ed25519,
        KeyAlgorithm::X25519 => {
            return Err(OpError::BadCryptographicParameters("an X25519 key only agrees keys; it cannot sign".into()));
        }
    })
}

/// The scheme a Digital Signature Algorithm names, checked against the key.
fn named_signature(
    key: KeyAlgorithm,
    algorithm: DigitalSignatureAlgorithm,
    named_hash: Option<HashAlgorithm>,
    parameters: &CryptographicParameters,
) -> OpResult<SignatureScheme> {
    use DigitalSignatureAlgorithm as D;
    let pkcs1 = |hash| (true, SignatureScheme::RsaPkcs1v15(hash));
    let ecdsa = |hash| (false, SignatureScheme::Ecdsa(hash));
    let (rsa, scheme) = match algorithm {
        D::SHA_1WithRSAEncryption => pkcs1(HashAlgorithm::Sha1),
        D::SHA_224WithRSAEncryption => pkcs1(HashAlgorithm::Sha224),
        D::SHA_256WithRSAEncryption => pkcs1(HashAlgorithm::Sha256),
        D::SHA_384WithRSAEncryption => pkcs1(HashAlgorithm::Sha384),
        D::SHA_512WithRSAEncryption => pkcs1(HashAlgorithm::Sha512),
        D::SHA3_256WithRSAEncryption => pkcs1(HashAlgorithm::Sha3_256),
        D::SHA3_384WithRSAEncryption => pkcs1(HashAlgorithm::Sha3_384),
        D::SHA3_512WithRSAEncryption => pkcs1(HashAlgorithm::Sha3_512),
        D::RSASSA_PSS => (true, pss(named_hash.unwrap_or(HashAlgorithm::Sha256), parameters)?),
        D::ECDSAWithSHA_1 => ecdsa(HashAlgorithm::Sha1),
        D::ECDSAWithSHA224 => ecdsa(HashAlgorithm::Sha224),
        D::ECDSAWithSHA256 => ecdsa(HashAlgorithm::Sha256),
        D::ECDSAWithSHA384 => ecdsa(HashAlgorithm::Sha384),
        D::ECDSAWithSHA512 => ecdsa(HashAlgorithm::Sha512),
        other => return Err(OpError::UnsupportedParameters(format!("{other:?} signatures"))),
    };
    let suits = match key {
        KeyAlgorithm::Rsa => rsa,
        KeyAlgorithm::Ec(_) => !rsa,
        KeyAlgorithm::Ed25519 | KeyAlgorithm::X25519 => false,
    };
    if !suits {
        return Err(OpError::BadCryptographicParameters(format!("{algorithm:?} with a {key:?} key")));
    }
    Ok(scheme)
}

/// RSASSA-PSS with `hash`, MGF1 over the same hash and the Salt Length of the parameters.
fn pss(hash: HashAlgorithm, parameters: &CryptographicParameters) -> OpResult<SignatureScheme> {
    mgf1_only(parameters)?;
    if let Some(mgf1) = parameters.mask_generator_hashing_algorithm.map(hash_algorithm).transpose()?
        && mgf1 != hash
    {
        return Err(OpError::UnsupportedParameters(format!("PSS with MGF1 over {mgf1:?} and a {hash:?} message hash")));
    }
    let salt_len = match parameters.salt_length {
        None => None,
        Some(bytes) => {
            Some(usize::try_from(bytes).map_err(|_| OpError::InvalidField(format!("a Salt Length of {bytes} bytes")))?)
        }
    };
    Ok(SignatureScheme::RsaPss { hash, salt_len })
}

/// MGF1 is the only Mask Generator KMIP defines, and the default.
fn mgf1_only(parameters: &CryptographicParameters) -> OpResult<()> {
    match parameters.mask_generator {
        None | Some(MaskGenerator::MGF1) => Ok(()),
        Some(other) => Err(OpError::UnsupportedParameters(format!("mask generator {other:?}"))),
    }
}

/// The MAC the parameters describe: an HMAC algorithm (the parameters', else the key's) computes
/// that HMAC; otherwise a Hashing Algorithm asks for HMAC over it with whatever key it is given;
/// otherwise an AES key computes CMAC (its only MAC here, and the Block Cipher Mode CMAC names
/// it).
pub fn mac_algorithm(parameters: &CryptographicParameters) -> OpResult<MacAlgorithm> {
    let algorithm = parameters.cryptographic_algorithm;
    if let Some(hash) = algorithm.and_then(hmac_hash) {
        return Ok(MacAlgorithm::Hmac(hash));
    }
    if let Some(hashing) = parameters.hashing_algorithm {
        return Ok(MacAlgorithm::Hmac(hash_algorithm(hashing)?));
    }
    match (algorithm, parameters.block_cipher_mode) {
        (Some(CryptographicAlgorithm::AES), None | Some(BlockCipherMode::CMAC)) => Ok(MacAlgorithm::CmacAes),
        (Some(other), mode) => Err(OpError::UnsupportedParameters(format!("a MAC with {other:?} ({mode:?})"))),
        (None, _) => Err(OpError::MissingData("the Cryptographic Algorithm of the MAC".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_crypto::asymmetric::Curve;
    use keyward_kmip::Bytes;

    fn with(edit: impl FnOnce(&mut CryptographicParameters)) -> CryptographicParameters {
        let mut parameters = CryptographicParameters::default();
        edit(&mut parameters);
        parameters
    }

    #[test]
    fn aes_modes_and_padding() {
        let aes = |mode, padding| {
            symmetric_cipher(&with(|p| {
                p.cryptographic_algorithm = Some(CryptographicAlgorithm::AES);
                p.block_cipher_mode = mode;
                p.padding_method = padding;
            }))
        };
        assert_eq!(aes(Some(BlockCipherMode::ECB), None).unwrap(), Cipher::AesEcb(Padding::None));
        assert_eq!(
            aes(Some(BlockCipherMode::CBC), Some(PaddingMethod::PKCS5)).unwrap(),
            Cipher::AesCbc(Padding::Pkcs7)
        );
        assert_eq!(aes(Some(BlockCipherMode::GCM), None).unwrap(), Cipher::AesGcm { tag_len: 16 });
        assert!(matches!(aes(None, None), Err(OpError::MissingData(_))));
        assert!(matches!(aes(Some(BlockCipherMode::CCM), None), Err(OpError::UnsupportedParameters(_))));
        assert!(matches!(
            aes(Some(BlockCipherMode::CTR), Some(PaddingMethod::PKCS5)),
            Err(OpError::BadCryptographicParameters(_))
        ));
    }

    #[test]
    fn tag_lengths_follow_sp_800_38d() {
        for (given, ok) in [(None, true), (Some(12), true), (Some(4), true), (Some(1), false), (Some(32), false)] {
            let result = tag_length(&with(|p| p.tag_length = given));
            assert_eq!(result.is_ok(), ok, "{given:?}");
        }
        assert_eq!(tag_length(&CryptographicParameters::default()).unwrap(), DEFAULT_TAG_LEN);
    }

    #[test]
    fn chacha20_takes_both_nonce_sizes() {
        let cipher = Cipher::ChaCha20 { initial_counter: 0 };
        let nonce = [7u8; 8];
        assert_eq!(
            cipher_iv(cipher, &nonce, &CryptographicParameters::default()).unwrap(),
            [[0u8; 4].as_slice(), &nonce].concat()
        );
        assert_eq!(cipher_iv(cipher, &[1u8; 12], &CryptographicParameters::default()).unwrap(), vec![1u8; 12]);
    }

    #[test]
    fn a_ctr_nonce_is_completed_by_the_initial_counter() {
        let parameters = with(|p| p.initial_counter_value = Some(1));
        let block = cipher_iv(Cipher::AesCtr, &[0xaa; 12], &parameters).unwrap();
        assert_eq!(block, [vec![0xaa; 12], vec![0, 0, 0, 1]].concat());
        assert_eq!(cipher_iv(Cipher::AesCtr, &[5; 16], &parameters).unwrap(), vec![5; 16]);
    }

    #[test]
    fn the_server_makes_an_iv_only_for_a_mode_that_takes_one() {
        let random = with(|p| p.random_iv = Some(true));
        let (iv, made) = encryption_iv(Cipher::AesCbc(Padding::None), None, &random).unwrap();
        assert_eq!((iv.len(), made), (16, true));
        assert_eq!(encryption_iv(Cipher::AesEcb(Padding::None), None, &random).unwrap(), (Vec::new(), false));
        assert_eq!(encryption_iv(Cipher::AesCtr, Some(&[1; 16]), &random).unwrap(), (vec![1; 16], false));
    }

    #[test]
    fn random_ivs_respect_the_iv_length() {
        let gcm = Cipher::AesGcm { tag_len: 16 };
        assert_eq!(random_iv(gcm, &CryptographicParameters::default()).unwrap().len(), 12);
        assert_eq!(random_iv(gcm, &with(|p| p.iv_length = Some(128))).unwrap().len(), 16);
        assert!(random_iv(Cipher::AesCbc(Padding::None), &with(|p| p.iv_length = Some(96))).is_err());
        assert_eq!(random_iv(Cipher::AesEcb(Padding::None), &CryptographicParameters::default()).unwrap().len(), 0);
    }

    #[test]
    fn oaep_defaults_to_sha1_and_takes_the_p_source_as_label() {
        let parameters = with(|p| {
            p.padding_method = Some(PaddingMethod::OAEP);
            p.p_source = Some(Bytes::new(b"label".to_vec()));
        });
        assert_eq!(
            rsa_encryption_padding(&parameters).unwrap(),
            RsaEncryptionPadding::Oaep { hash: HashAlgorithm::Sha1, mgf1_hash: HashAlgorithm::Sha1, label: b"label" }
        );
        assert!(matches!(rsa_encryption_padding(&CryptographicParameters::default()), Err(OpError::MissingData(_))));
    }

    #[test]
    fn signature_schemes() {
        let pss = with(|p| {
            p.padding_method = Some(PaddingMethod::PSS);
            p.hashing_algorithm = Some(HashingAlgorithm::SHA_384);
            p.salt_length = Some(20);
        });
        assert_eq!(
            signature_scheme(KeyAlgorithm::Rsa, &pss).unwrap(),
            SignatureScheme::RsaPss { hash: HashAlgorithm::Sha384, salt_len: Some(20) }
        );
        assert_eq!(
            signature_scheme(KeyAlgorithm::Rsa, &CryptographicParameters::default()).unwrap(),
            SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256)
        );
        assert_eq!(
            signature_scheme(KeyAlgorithm::Ec(Curve::P384), &CryptographicParameters::default()).unwrap(),
            SignatureScheme::Ecdsa(HashAlgorithm::Sha384)
        );
        let ecdsa = with(|p| p.digital_signature_algorithm = Some(DigitalSignatureAlgorithm::ECDSAWithSHA256));
        assert!(matches!(signature_scheme(KeyAlgorithm::Rsa, &ecdsa), Err(OpError::BadCryptographicParameters(_))));
        assert_eq!(
            signature_scheme(KeyAlgorithm::Ec(Curve::P256), &ecdsa).unwrap(),
            SignatureScheme::Ecdsa(HashAlgorithm::Sha256)
        );
    }

    #[test]
    fn macs() {
        let hmac = with(|p| p.cryptographic_algorithm = Some(CryptographicAlgorithm::HMAC_SHA512));
        assert_eq!(mac_algorithm(&hmac).unwrap(), MacAlgorithm::Hmac(HashAlgorithm::Sha512));
        let aes = with(|p| p.cryptographic_algorithm = Some(CryptographicAlgorithm::AES));
        assert_eq!(mac_algorithm(&aes).unwrap(), MacAlgorithm::CmacAes);
        let keyed_hash = with(|p| {
            p.cryptographic_algorithm = Some(CryptographicAlgorithm::AES);
            p.hashing_algorithm = Some(HashingAlgorithm::SHA_256);
        });
        assert_eq!(mac_algorithm(&keyed_hash).unwrap(), MacAlgorithm::Hmac(HashAlgorithm::Sha256));
    }
}
