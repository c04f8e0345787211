//! Register (2.1 §6.1.46, 1.4 §4.3): the client hands over an object it made.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{ObjectType, UniqueIdentifier};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::payloads::register::{RegisterRequest, RegisterResponse};
use keyward_ttlv::KmipEnum;

use crate::context::Context;
use crate::creation::{expand_templates, new_object};
use crate::error::{OpError, OpResult};

pub(crate) fn run(cx: &mut Context<'_>, request: &RegisterRequest) -> OpResult<RegisterResponse> {
    if !request.object_type.exists_in(cx.version) {
        return Err(OpError::InvalidField(format!(
            "object type {:?} does not exist in KMIP {}",
            request.object_type, cx.version
        )));
    }
    if let Some(object) = &request.object {
        if object.object_type() != request.object_type {
            return Err(OpError::InvalidField(format!(
                "Object Type is {:?} but the object is a {:?}",
                request.object_type,
                object.object_type()
            )));
        }
        if object.key_block().is_some_and(|b| b.key_value.is_none()) {
            return Err(OpError::MissingData("the Key Block has no Key Value".into()));
        }
    }
    let mut attributes = expand_templates(cx, &request.attributes)?;
    if request.object_type == ObjectType::SymmetricKey
        && !attributes.iter().any(|a| matches!(a, Attribute::CryptographicUsageMask(_)))
    {
        // KMIP says a key always has a usage mask; clients such as libmongocrypt omit it, so the
        // server gives the usual one rather than refuse (interop notes, item 11).
        attributes
            .push(Attribute::CryptographicUsageMask(CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt));
    }
    // A key block's algorithm and length are the object's; attributes saying otherwise are wrong.
    if let Some(block) = request.object.as_ref().and_then(ManagedObject::key_block) {
        for attribute in &attributes {
            let conflicting = match attribute {
                Attribute::CryptographicAlgorithm(a) => block.cryptographic_algorithm.is_some_and(|b| b != *a),
                Attribute::CryptographicLength(l) => block.cryptographic_length.is_some_and(|b| b != *l),
                _ => false,
            };
            if conflicting {
                return Err(OpError::InvalidField(format!(
                    "{} contradicts the Key Block",
                    attribute.reference().name()
                )));
            }
        }
    }
    let stored = new_object(cx, request.object.clone(), request.object_type, attributes, false)?;
    let uid = stored.unique_identifier.clone();
    cx.insert(stored);
    cx.set_placeholder(Some(uid.clone()));
    cx.record_result(UniqueIdentifier::Register, &uid);
    cx.record_returned([&uid]);
    Ok(RegisterResponse { unique_identifier: uid, attributes: None })
}
