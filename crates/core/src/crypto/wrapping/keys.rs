//! The managed keys that wrap and unwrap, MAC and sign: found, checked for their purpose and
//! parameters, and used.

use keyward_crypto::asymmetric::{
    self, PrivateKey as CryptoPrivateKey, PublicKey as CryptoPublicKey, RsaEncryptionPadding,
};
use keyward_crypto::symmetric::{self, Cipher, KeyWrap};
use keyward_kmip::attributes::{Attribute, AttributeRef, CryptographicParameters};
use keyward_kmip::enums::{CryptographicAlgorithm, LinkType, ObjectType, PaddingMethod};
use keyward_kmip::objects::{EncryptionKeyInformation, MacSignatureKeyInformation};
use keyward_kmip::{Bytes, Tag, UniqueIdentifierRef};
use keyward_store::StoredObject;
use zeroize::Zeroizing;

use crate::access::Right;
use crate::attributes::instances;
use crate::context::Context;
use crate::creation::linked;
use crate::crypto::material::{private_key_pkcs8, public_key_spki, symmetric_key};
use crate::crypto::parameters::{algorithm_of, effective};
use crate::crypto::{failure, mapping};
use crate::error::{OpError, OpResult};
use crate::ops::readable;
use crate::usage::{self, Use};

/// A managed key used to wrap or unwrap, checked for its purpose, with the parameters it uses.
struct WrappingKey {
    stored: StoredObject,
    parameters: CryptographicParameters,
}

/// The key `reference` names, if it may serve `wanted` now: its state, usage mask and dates allow
/// it, and the parameters `given`, if any, are among its own (2.1 §7.18). Its parameters are the
/// given ones, else its Cryptographic Parameters attribute of lowest index, with its algorithm.
fn wrapping_key(
    cx: &Context<'_>,
    reference: &UniqueIdentifierRef,
    given: Option<&CryptographicParameters>,
    wanted: Use,
) -> OpResult<WrappingKey> {
    // A cross-object reference: the caller needs the right of this use on the key itself, not
    // only on the object wrapped or unwrapped (docs/security/access-control.md).
    let stored = cx.load_for(&cx.resolve(Some(reference))?, right_for(wanted))?;
    readable(&stored)?;
    usage::check(&stored, wanted, cx.now)?;
    if let Some(given) = given
        && !instances(&stored, &AttributeRef::Standard(Tag::CryptographicParameters))
            .iter()
            .any(|a| matches!(&a.attribute, Attribute::CryptographicParameters(p) if subset_of(given, p)))
    {
        return Err(OpError::BadCryptographicParameters(format!(
            "the parameters match no Cryptographic Parameters of key {}",
            stored.unique_identifier
        )));
    }
    let parameters = effective(given, &stored);
    Ok(WrappingKey { stored, parameters })
}

/// The grantable right a use of a key in wrapping needs.
fn right_for(wanted: Use) -> Right {
    let mask = wanted.mask;
    if mask == Use::WRAP.mask {
        Right::Wrap
    } else if mask == Use::UNWRAP.mask {
        Right::Unwrap
    } else if mask == Use::SIGN.mask {
        Right::Sign
    } else if mask == Use::VERIFY.mask {
        Right::Verify
    } else if mask == Use::MAC_GENERATE.mask {
        Right::Mac
    } else {
        Right::MacVerify
    }
}

/// True when every field `given` sets has the same value in `attached`.
fn subset_of(given: &CryptographicParameters, attached: &CryptographicParameters) -> bool {
    fn same<T: PartialEq>(given: &Option<T>, attached: &Option<T>) -> bool {
        given.is_none() || given == attached
    }
    same(&given.block_cipher_mode, &attached.block_cipher_mode)
        && same(&given.padding_method, &attached.padding_method)
        && same(&given.hashing_algorithm, &attached.hashing_algorithm)
        && same(&given.key_role_type, &attached.key_role_type)
        && same(&given.digital_signature_algorithm, &attached.digital_signature_algorithm)
        && same(&given.cryptographic_algorithm, &attached.cryptographic_algorithm)
        && same(&given.random_iv, &attached.random_iv)
        && same(&given.iv_length, &attached.iv_length)
        && same(&given.tag_length, &attached.tag_length)
        && same(&given.fixed_field_length, &attached.fixed_field_length)
        && same(&given.invocation_field_length, &attached.invocation_field_length)
        && same(&given.counter_length, &attached.counter_length)
        && same(&given.initial_counter_value, &attached.initial_counter_value)
        && same(&given.salt_length, &attached.salt_length)
        && same(&given.mask_generator, &attached.mask_generator)
        && same(&given.mask_generator_hashing_algorithm, &attached.mask_generator_hashing_algorithm)
        && same(&given.p_source, &attached.p_source)
        && same(&given.trailer_field, &attached.trailer_field)
}

/// How an AES key wraps: in the block cipher mode of its parameters (AES key wrap, GCM or any
/// other mode keyward-crypto offers), or, with no mode named, with NIST Key Wrap (RFC 3394), or
/// AES Key Wrap with Padding (RFC 5649) for a length RFC 3394 cannot take.
fn aes_cipher(parameters: &CryptographicParameters, plain_len: usize) -> OpResult<Cipher> {
    match parameters.block_cipher_mode {
        Some(_) => mapping::symmetric_cipher(parameters),
        None if plain_len >= 16 && plain_len.is_multiple_of(8) => Ok(Cipher::AesKeyWrap(KeyWrap::Rfc3394)),
        None => Ok(Cipher::AesKeyWrap(KeyWrap::Rfc5649)),
    }
}

/// RSA wraps with OAEP only: PKCS#1 v1.5 encryption is open to padding-oracle attacks.
fn oaep_only(parameters: &CryptographicParameters) -> OpResult<()> {
    match parameters.padding_method {
        None | Some(PaddingMethod::OAEP) => Ok(()),
        Some(other) => Err(OpError::UnsupportedParameters(format!("RSA key wrapping with {other:?} padding"))),
    }
}

/// Encrypts `plain` under the key `information` names; returns the ciphertext (with the GCM tag
/// appended) and the IV, when the mode has one.
pub(super) fn encrypt(
    cx: &Context<'_>,
    information: &EncryptionKeyInformation,
    plain: &[u8],
) -> OpResult<(Vec<u8>, Option<Vec<u8>>)> {
    let key =
        wrapping_key(cx, &information.unique_identifier, information.cryptographic_parameters.as_ref(), Use::WRAP)?;
    let object = readable(&key.stored)?;
    match (object.object_type(), algorithm_of(&key.stored)) {
        (ObjectType::SymmetricKey, Some(CryptographicAlgorithm::AES)) => {
            let kek = symmetric_key(object)?;
            let cipher = aes_cipher(&key.parameters, plain.len())?;
            let iv = if mapping::needs_iv(cipher) { mapping::random_iv(cipher, &key.parameters)? } else { Vec::new() };
            let sealed = symmetric::encrypt(cipher, &kek, &iv, &[], plain).map_err(failure)?;
            let mut wrapped = sealed.ciphertext;
            wrapped.extend(sealed.tag.unwrap_or_default());
            Ok((wrapped, (!iv.is_empty()).then_some(iv)))
        }
        (ObjectType::PublicKey, Some(CryptographicAlgorithm::RSA)) => {
            oaep_only(&key.parameters)?;
            let (hash, mgf1_hash) = mapping::oaep_hashes(&key.parameters)?;
            let label = key.parameters.p_source.as_ref().map(Bytes::as_slice).unwrap_or_default();
            let public = CryptoPublicKey::from_spki(&public_key_spki(object)?).map_err(failure)?;
            let padding = RsaEncryptionPadding::Oaep { hash, mgf1_hash, label };
            Ok((asymmetric::rsa_encrypt(&public, padding, plain).map_err(failure)?, None))
        }
        (kind, algorithm) => Err(OpError::IllegalOperation(format!("a {kind:?} of {algorithm:?} does not wrap keys"))),
    }
}

pub(super) fn decrypt(
    cx: &Context<'_>,
    information: &EncryptionKeyInformation,
    wrapped: &[u8],
    iv: Option<&[u8]>,
) -> OpResult<Zeroizing<Vec<u8>>> {
    let key =
        wrapping_key(cx, &information.unique_identifier, information.cryptographic_parameters.as_ref(), Use::UNWRAP)
            .or_else(|error| private_half(cx, information, error))?;
    let object = readable(&key.stored)?;
    match (object.object_type(), algorithm_of(&key.stored)) {
        (ObjectType::SymmetricKey, Some(CryptographicAlgorithm::AES)) => {
            let kek = symmetric_key(object)?;
            if key.parameters.block_cipher_mode.is_none() {
                // Wrapped with the default: NIST Key Wrap, or with padding for odd lengths.
                return symmetric::unwrap_key(KeyWrap::Rfc3394, &kek, wrapped)
                    .or_else(|_| symmetric::unwrap_key(KeyWrap::Rfc5649, &kek, wrapped))
                    .map_err(failure);
            }
            let cipher = mapping::symmetric_cipher(&key.parameters)?;
            let (body, tag) = match cipher.tag_len() {
                Some(len) if wrapped.len() >= len => wrapped.split_at(wrapped.len() - len),
                Some(_) => return Err(OpError::InvalidField("the wrapped key is shorter than its tag".into())),
                None => (wrapped, &[][..]),
            };
            let tag = cipher.tag_len().map(|_| tag);
            symmetric::decrypt(cipher, &kek, iv.unwrap_or_default(), &[], body, tag).map_err(failure)
        }
        (ObjectType::PrivateKey, Some(CryptographicAlgorithm::RSA)) => {
            oaep_only(&key.parameters)?;
            let (hash, mgf1_hash) = mapping::oaep_hashes(&key.parameters)?;
            let label = key.parameters.p_source.as_ref().map(Bytes::as_slice).unwrap_or_default();
            let private = CryptoPrivateKey::from_pkcs8(&private_key_pkcs8(object)?).map_err(failure)?;
            asymmetric::rsa_decrypt(&private, RsaEncryptionPadding::Oaep { hash, mgf1_hash, label }, wrapped)
                .map_err(failure)
        }
        (kind, algorithm) => {
            Err(OpError::IllegalOperation(format!("a {kind:?} of {algorithm:?} does not unwrap keys")))
        }
    }
}

/// A key wrapped under a public key names that public key; its private key, found by the Private
/// Key Link, opens it. Any other failure stands.
fn private_half(cx: &Context<'_>, information: &EncryptionKeyInformation, error: OpError) -> OpResult<WrappingKey> {
    let public = cx.load_for(&cx.resolve(Some(&information.unique_identifier))?, Right::Unwrap)?;
    let Some(private_uid) = (public.object.as_ref().map(|o| o.object_type()) == Some(ObjectType::PublicKey))
        .then(|| linked(&public, LinkType::PrivateKeyLink))
        .flatten()
    else {
        return Err(error);
    };
    wrapping_key(
        cx,
        &UniqueIdentifierRef::Text(private_uid),
        information.cryptographic_parameters.as_ref(),
        Use::UNWRAP,
    )
}

/// A MAC (with a symmetric key) or a signature (with a private key) over `data`.
pub(super) fn mac_or_sign(
    cx: &Context<'_>,
    information: &MacSignatureKeyInformation,
    data: &[u8],
) -> OpResult<Vec<u8>> {
    let uid = cx.resolve(Some(&information.unique_identifier))?;
    let signer = cx.load_for(&uid, Right::Sign).or_else(|_| cx.load_for(&uid, Right::Mac))?;
    let wanted = match readable(&signer)?.object_type() {
        ObjectType::PrivateKey => Use::SIGN,
        _ => Use::MAC_GENERATE,
    };
    let key = wrapping_key(cx, &information.unique_identifier, information.cryptographic_parameters.as_ref(), wanted)?;
    let object = readable(&key.stored)?;
    match object.object_type() {
        ObjectType::PrivateKey => {
            let private = CryptoPrivateKey::from_pkcs8(&private_key_pkcs8(object)?).map_err(failure)?;
            let scheme = mapping::signature_scheme(private.algorithm(), &key.parameters)?;
            asymmetric::sign(&private, scheme, data).map_err(failure)
        }
        _ => {
            let algorithm = mapping::mac_algorithm(&key.parameters)?;
            keyward_crypto::mac::mac(algorithm, &symmetric_key(object)?, data).map_err(failure)
        }
    }
}

/// Checks a MAC or signature over `data`; a signature is checked with the public key named, or
/// with the public key linked to the private key named.
pub(super) fn verify(
    cx: &Context<'_>,
    information: &MacSignatureKeyInformation,
    data: &[u8],
    tag: &[u8],
) -> OpResult<()> {
    let uid = cx.resolve(Some(&information.unique_identifier))?;
    let named = cx.load_for(&uid, Right::Verify).or_else(|_| cx.load_for(&uid, Right::MacVerify))?;
    let given = information.cryptographic_parameters.as_ref();
    match readable(&named)?.object_type() {
        ObjectType::PrivateKey | ObjectType::PublicKey => {
            let public_uid = match readable(&named)?.object_type() {
                ObjectType::PrivateKey => linked(&named, LinkType::PublicKeyLink)
                    .ok_or_else(|| OpError::MissingData("the signing key has no Public Key Link".into()))?,
                _ => named.unique_identifier.clone(),
            };
            let key = wrapping_key(cx, &UniqueIdentifierRef::Text(public_uid), given, Use::VERIFY)?;
            let public = CryptoPublicKey::from_spki(&public_key_spki(readable(&key.stored)?)?).map_err(failure)?;
            let scheme = mapping::signature_scheme(public.algorithm(), &key.parameters)?;
            asymmetric::verify(&public, scheme, data, tag).map_err(failure)
        }
        _ => {
            let key = wrapping_key(cx, &information.unique_identifier, given, Use::MAC_VERIFY)?;
            let algorithm = mapping::mac_algorithm(&key.parameters)?;
            keyward_crypto::mac::verify_mac(algorithm, &symmetric_key(readable(&key.stored)?)?, data, tag)
                .map_err(failure)
        }
    }
}
