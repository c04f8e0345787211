//! Key wrapping (2.1 §3.3, §7.18; 1.4 §2.1.5): a key handed out under another managed key, and a
//! wrapped key handed in (Register, Import) opened with the key it names.
//!
//! - Encryption: AES key wrap (NIST Key Wrap, RFC 3394; AES Key Wrap Padding, RFC 5649), AES-GCM
//!   (the IV travels in the Key Wrapping Data, the tag after the ciphertext) or any other AES mode
//!   the parameters name (`mapping::symmetric_cipher`), or RSA-OAEP under a public key. An AES key
//!   without a mode wraps with RFC 3394 (RFC 5649 for lengths RFC 3394 cannot take); an RSA key
//!   with OAEP.
//! - MAC or signature over the wrapped bytes (Encrypt then MAC/sign), over the plain encoding
//!   (MAC/sign then encrypt, MAC/sign alone), with an HMAC or CMAC key or a private key.
//! - Encoding: the Key Value structure in TTLV (the default), with the attributes the
//!   specification names, or the bare key material (No Encoding).
//!
//! The wrapping key must be allowed to Wrap Key (Unwrap Key to open), be Active (or, to open,
//! still able to process), and, when the request names Cryptographic Parameters, have a
//! Cryptographic Parameters attribute they match (2.1 §7.18).

mod encoding;
mod keys;

use keyward_kmip::Bytes;
use keyward_kmip::attributes::{AttributeRef, IndexedAttribute};
use keyward_kmip::enums::{EncodingOption, WrappingMethod};
use keyward_kmip::objects::{KeyBlock, KeyValue, KeyWrappingData, KeyWrappingSpecification};
use keyward_store::StoredObject;
use zeroize::Zeroizing;

use self::encoding::{decode, encode, plain_material};
use self::keys::{decrypt, encrypt, mac_or_sign, verify};
use crate::attributes::instances;
use crate::context::Context;
use crate::error::{OpError, OpResult};

/// Wraps the plain key block of `owner` as `spec` asks; the result carries the Key Wrapping Data.
pub fn wrap(
    cx: &Context<'_>,
    owner: &StoredObject,
    block: &KeyBlock,
    spec: &KeyWrappingSpecification,
) -> OpResult<KeyBlock> {
    let encoding = spec.encoding_option.unwrap_or(EncodingOption::TTLVEncoding);
    if encoding == EncodingOption::NoEncoding && !spec.attribute_name.is_empty() {
        return Err(OpError::EncodingOption("with No Encoding, no attributes travel with the key".into()));
    }
    let attributes = named_attributes(owner, &spec.attribute_name)?;
    let plain = encode(plain_material(block)?, &attributes, encoding, cx.version)?;
    let encryption = spec.encryption_key_information.as_ref();
    let signing = spec.mac_signature_key_information.as_ref();
    let (needs_encryption, needs_signature) = method_parts(spec.wrapping_method)?;
    let mut data = KeyWrappingData {
        wrapping_method: spec.wrapping_method,
        encryption_key_information: encryption.cloned(),
        mac_signature_key_information: signing.cloned(),
        mac_signature: None,
        iv_counter_nonce: None,
        encoding_option: spec.encoding_option,
    };
    let sign_first = spec.wrapping_method == WrappingMethod::MACSignThenEncrypt;
    if needs_signature && (sign_first || !needs_encryption) {
        data.mac_signature =
            Some(Bytes::new(mac_or_sign(cx, required(signing, "MAC/Signature Key Information")?, &plain)?));
    }
    let value = if needs_encryption {
        let (wrapped, iv) = encrypt(cx, required(encryption, "Encryption Key Information")?, &plain)?;
        data.iv_counter_nonce = iv.map(Bytes::new);
        wrapped
    } else {
        plain.to_vec()
    };
    if needs_signature && needs_encryption && !sign_first {
        data.mac_signature =
            Some(Bytes::new(mac_or_sign(cx, required(signing, "MAC/Signature Key Information")?, &value)?));
    }
    Ok(KeyBlock {
        key_format_type: block.key_format_type,
        key_compression_type: block.key_compression_type,
        key_value: Some(KeyValue::Wrapped(Bytes::new(value))),
        cryptographic_algorithm: block.cryptographic_algorithm,
        cryptographic_length: block.cryptographic_length,
        key_wrapping_data: Some(data),
    })
}

/// True when the wrapping `spec` asks for hides the key (it is encrypted, not only MACed or
/// signed): the only form in which a Sensitive key may leave the server.
pub fn conceals(spec: &KeyWrappingSpecification) -> bool {
    method_parts(spec.wrapping_method).is_ok_and(|(encrypts, _)| encrypts)
}

/// Opens a wrapped key block with the keys its Key Wrapping Data names; the result is plain.
pub fn unwrap(cx: &Context<'_>, block: &KeyBlock) -> OpResult<KeyBlock> {
    let data =
        block.key_wrapping_data.as_ref().ok_or_else(|| OpError::InvalidField("the key is not wrapped".into()))?;
    let (encrypted, signed) = method_parts(data.wrapping_method)?;
    let encoding = data.encoding_option.unwrap_or(EncodingOption::TTLVEncoding);
    let wrapped = match &block.key_value {
        Some(KeyValue::Wrapped(bytes)) => bytes.as_slice(),
        // MAC/sign only leaves the key readable: a client may send the Key Value structure itself
        // (1.4 Table 7: "Structure: for plaintext Key Value"), whose MAC or signature is over its
        // encoding (§2.1.5: the MAC/Signature is "of the Key Value").
        Some(plain @ KeyValue::Plain { key_material, attributes }) if signed && !encrypted => {
            let carried: Vec<IndexedAttribute> = attributes.iter().cloned().map(IndexedAttribute::new).collect();
            let encoded = encode(key_material, &carried, encoding, cx.version)?;
            verify(
                cx,
                required(data.mac_signature_key_information.as_ref(), "MAC/Signature Key Information")?,
                &encoded,
                data.mac_signature
                    .as_ref()
                    .map(Bytes::as_slice)
                    .ok_or_else(|| OpError::MissingData("MAC/Signature".into()))?,
            )?;
            return Ok(KeyBlock { key_value: Some(plain.clone()), key_wrapping_data: None, ..block.clone() });
        }
        _ => return Err(OpError::InvalidField("an encrypted key's Key Value is a Byte String".into())),
    };
    let sign_first = data.wrapping_method == WrappingMethod::MACSignThenEncrypt;
    let tag =
        || data.mac_signature.as_ref().map(Bytes::as_slice).ok_or_else(|| OpError::MissingData("MAC/Signature".into()));
    if signed && encrypted && !sign_first {
        verify(
            cx,
            required(data.mac_signature_key_information.as_ref(), "MAC/Signature Key Information")?,
            wrapped,
            tag()?,
        )?;
    }
    let plain = if encrypted {
        let information = required(data.encryption_key_information.as_ref(), "Encryption Key Information")?;
        decrypt(cx, information, wrapped, data.iv_counter_nonce.as_ref().map(Bytes::as_slice))?
    } else {
        Zeroizing::new(wrapped.to_vec())
    };
    if signed && (sign_first || !encrypted) {
        verify(
            cx,
            required(data.mac_signature_key_information.as_ref(), "MAC/Signature Key Information")?,
            &plain,
            tag()?,
        )?;
    }
    let key_value = decode(&plain, encoding, cx.version)?;
    Ok(KeyBlock { key_value: Some(key_value), key_wrapping_data: None, ..block.clone() })
}

fn required<'a, T>(field: Option<&'a T>, name: &str) -> OpResult<&'a T> {
    field.ok_or_else(|| OpError::MissingData(format!("the wrapping method needs {name}")))
}

/// (encrypts, MACs or signs) for a wrapping method.
fn method_parts(method: WrappingMethod) -> OpResult<(bool, bool)> {
    Ok(match method {
        WrappingMethod::Encrypt => (true, false),
        WrappingMethod::MACSign => (false, true),
        WrappingMethod::EncryptThenMACSign | WrappingMethod::MACSignThenEncrypt => (true, true),
        other => return Err(OpError::FeatureNotSupported(format!("wrapping method {other:?}"))),
    })
}

/// The object's attributes named by the specification, to travel inside the wrapped Key Value,
/// each instance with its Attribute Index (which 1.x writes when it is not 0, 1.4 §2.1.1).
fn named_attributes(owner: &StoredObject, names: &[String]) -> OpResult<Vec<IndexedAttribute>> {
    let mut selected = Vec::new();
    for name in names {
        let reference = AttributeRef::from_name(name)?;
        selected.extend(instances(owner, &reference).into_iter().cloned());
    }
    Ok(selected)
}
