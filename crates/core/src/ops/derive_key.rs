//! Derive Key (2.1 §6.1.14, 1.4 §4.6): a Symmetric Key or Secret Data derived from managed keys
//! or secrets that allow Derive Key, by one of the methods of `crypto::derivation`. The first
//! object named is the derivation key (or password, or input key material); a second, if it is
//! Secret Data, gives the derivation data instead of the Derivation Data field. The new object is
//! linked to its bases (Derivation Base Object) and they to it (Derived Key).
//!
//! The Cryptographic Parameters used are the request's, else those of the key's Cryptographic
//! Parameters attribute with the lowest index; as KMIP 2.1 §7.12, the request's are not required
//! to match one of the key's.

use keyward_kmip::Bytes;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{
    CryptographicAlgorithm, KeyFormatType, LinkType, ObjectType, SecretDataType, UniqueIdentifier,
};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SecretData, SymmetricKey};
use keyward_kmip::payloads::derive_key::{DeriveKeyRequest, DeriveKeyResponse};
use keyward_store::StoredObject;
use zeroize::Zeroizing;

use crate::algorithm_policy::allow_new_object;
use crate::context::Context;
use crate::creation::{add_link, expand_templates, new_object};
use crate::crypto::derivation::{self, Inputs};
use crate::crypto::material::symmetric_key;
use crate::crypto::parameters::{algorithm_of, effective};
use crate::error::{OpError, OpResult};
use crate::ops::readable;
use crate::usage::{self, Use};

pub(crate) fn run(cx: &mut Context<'_>, request: &DeriveKeyRequest) -> OpResult<DeriveKeyResponse> {
    if !matches!(request.object_type, ObjectType::SymmetricKey | ObjectType::SecretData) {
        return Err(OpError::InvalidField(format!(
            "Derive Key makes keys and secrets, not a {:?}",
            request.object_type
        )));
    }
    let bases = request.unique_identifier.iter().map(|r| base(cx, r)).collect::<OpResult<Vec<_>>>()?;
    let Some(key_object) = bases.first() else {
        return Err(OpError::MissingData("Derive Key needs the object to derive from".into()));
    };
    let mut attributes = expand_templates(cx, &request.attributes)?;
    let (bits, length) = requested_length(&attributes)?;
    let algorithm =
        attributes.iter().find_map(|a| if let Attribute::CryptographicAlgorithm(x) = a { Some(*x) } else { None });
    if request.object_type == ObjectType::SymmetricKey && algorithm.is_none() {
        return Err(OpError::MissingData("the Cryptographic Algorithm of the derived key".into()));
    }

    let key = symmetric_key(readable(key_object)?)?;
    let parameters = &request.derivation_parameters;
    let inputs = Inputs {
        key: &key,
        key_algorithm: algorithm_of(key_object),
        data: derivation_data(request, &bases)?,
        parameters: effective(parameters.cryptographic_parameters.as_ref(), key_object),
        salt: parameters.salt.as_ref().map(Bytes::as_slice),
        iteration_count: parameters.iteration_count,
    };
    let derived = derivation::derive(request.derivation_method, &inputs, length)?;

    if request.object_type == ObjectType::SymmetricKey
        && !attributes.iter().any(|a| matches!(a, Attribute::CryptographicUsageMask(_)))
    {
        attributes
            .push(Attribute::CryptographicUsageMask(CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt));
    }
    let object = derived_object(request.object_type, derived, algorithm, bits);
    allow_new_object(cx, &object)?;
    let mut stored = new_object(cx, Some(object), request.object_type, attributes, false)?;
    let uid = stored.unique_identifier.clone();
    for base in &bases {
        add_link(&mut stored, LinkType::DerivationBaseObjectLink, &base.unique_identifier);
    }
    cx.insert(stored);
    for base in bases {
        // Read again: the same object may be named twice, or changed earlier in the batch.
        let mut base = cx.load(&base.unique_identifier)?;
        add_link(&mut base, LinkType::DerivedKeyLink, &uid);
        cx.update(base);
    }
    cx.set_placeholder(Some(uid.clone()));
    cx.record_result(UniqueIdentifier::DeriveKey, &uid);
    cx.record_returned([&uid]);
    Ok(DeriveKeyResponse { unique_identifier: uid, attributes: None })
}

/// The length the client asks for (2.1 §6.1.14: always given), in bits and in bytes.
fn requested_length(attributes: &[Attribute]) -> OpResult<(i32, usize)> {
    let bits = attributes
        .iter()
        .find_map(|a| if let Attribute::CryptographicLength(l) = a { Some(*l) } else { None })
        .ok_or_else(|| OpError::MissingData("the Cryptographic Length of the derived object".into()))?;
    let bytes = usize::try_from(bits)
        .ok()
        .filter(|b| *b > 0 && b % 8 == 0)
        .map(|b| b / 8)
        .ok_or_else(|| OpError::InvalidField("the derived length must be a whole number of bytes".into()))?;
    Ok((bits, bytes))
}

/// An object to derive from: a key or a secret that allows Derive Key now.
fn base(cx: &Context<'_>, reference: &keyward_kmip::UniqueIdentifierRef) -> OpResult<StoredObject> {
    let stored = cx.load_ref(Some(reference))?;
    match readable(&stored)?.object_type() {
        ObjectType::SymmetricKey | ObjectType::SecretData => {}
        other => return Err(OpError::IllegalOperation(format!("a {other:?} cannot be derived from"))),
    }
    usage::check(&stored, Use::DERIVE, cx.now)?;
    Ok(stored)
}

/// The Derivation Data given, or the value of a second object that is Secret Data; not both
/// (2.1 §7.12).
fn derivation_data(request: &DeriveKeyRequest, bases: &[StoredObject]) -> OpResult<Vec<Zeroizing<Vec<u8>>>> {
    let given: Vec<Zeroizing<Vec<u8>>> =
        request.derivation_parameters.derivation_data.iter().map(|d| d.0.clone()).collect();
    let secret = match bases.get(1) {
        Some(second) => match readable(second)? {
            object @ ManagedObject::SecretData(_) => Some(symmetric_key(object)?),
            _ => None,
        },
        None => None,
    };
    match (given.is_empty(), secret) {
        (false, Some(_)) => Err(OpError::InvalidField(
            "the derivation data comes from the request or a Secret Data object, not both".into(),
        )),
        (true, Some(secret)) => Ok(vec![secret]),
        (_, None) => Ok(given),
    }
}

fn derived_object(
    object_type: ObjectType,
    derived: Zeroizing<Vec<u8>>,
    algorithm: Option<CryptographicAlgorithm>,
    bits: i32,
) -> ManagedObject {
    let key_block = |algorithm, length| KeyBlock {
        key_format_type: KeyFormatType::Raw,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(Bytes(derived)), attributes: Vec::new() }),
        cryptographic_algorithm: algorithm,
        cryptographic_length: length,
        key_wrapping_data: None,
    };
    match object_type {
        ObjectType::SymmetricKey => {
            ManagedObject::SymmetricKey(SymmetricKey { key_block: key_block(algorithm, Some(bits)) })
        }
        _ => ManagedObject::SecretData(SecretData {
            secret_data_type: SecretDataType::Seed,
            key_block: key_block(None, None),
        }),
    }
}
