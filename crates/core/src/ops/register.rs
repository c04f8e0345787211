//! Register (2.1 §6.1.43, 1.4 §4.3): the client hands over an object it made.
//!
//! A wrapped key is unwrapped with the managed key its Key Wrapping Data names (which must allow
//! Unwrap Key) and stored in the clear, like every other key. The attributes the object itself
//! determines are set from it: for an X.509 certificate its type, length, identifier, subject and
//! issuer, signature algorithm and the algorithm and length of its key; for an asymmetric key its
//! algorithm, length and curve. A client may restate such an attribute (BL-M-10-21 sends the
//! Certificate Type) as long as it says what the object says. A private key may come in a PKCS#12
//! container (`pkcs12`), a key block without its value where `metadata_only` admits it.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{CertificateType, ObjectType, UniqueIdentifier};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::payloads::register::{RegisterRequest, RegisterResponse};
use keyward_store::StoredObject;
use keyward_ttlv::{KmipEnum, KmipVersion};

use crate::attributes::add;
use crate::context::Context;
use crate::creation::{expand_templates, new_object};
use crate::crypto::{certificate_attributes, keypair, wrapping};
use crate::error::{OpError, OpResult};

mod material;
mod metadata_only;
mod pkcs12;
mod unwrapped;

/// The usage mask of a key registered without one. A key's mask "SHALL always have a value"
/// (2.1 §4.17 Table 61, 1.4 §3.19), set by the server when the client does not, and clients such
/// as libmongocrypt omit it (interop notes, item 11). A symmetric key may encrypt and decrypt; a
/// private or public key gets what a generated pair of its algorithm gets (signing, and
/// encryption too for RSA; key agreement for ECDH). Other objects keep what the client said.
fn default_mask(
    object_type: ObjectType,
    object: Option<&ManagedObject>,
    attributes: &[Attribute],
) -> Option<CryptographicUsageMask> {
    let stated =
        || attributes.iter().find_map(|a| if let Attribute::CryptographicAlgorithm(a) = a { Some(*a) } else { None });
    let algorithm =
        || object.and_then(ManagedObject::key_block).and_then(|block| block.cryptographic_algorithm).or_else(stated);
    match object_type {
        ObjectType::SymmetricKey => Some(CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt),
        ObjectType::PrivateKey => algorithm().map(|a| keypair::default_masks(a).0),
        ObjectType::PublicKey => algorithm().map(|a| keypair::default_masks(a).1),
        _ => None,
    }
}

pub(crate) fn run(cx: &mut Context<'_>, request: &RegisterRequest) -> OpResult<RegisterResponse> {
    if !request.object_type.exists_in(cx.version) {
        return Err(OpError::InvalidField(format!(
            "object type {:?} does not exist in KMIP {}",
            request.object_type, cx.version
        )));
    }
    let mut attributes = expand_templates(cx, &request.attributes)?;
    let mut container = None;
    let object = match &request.object {
        Some(object)
            if crate::crypto::pkcs12::is_container(object) && request.object_type == ObjectType::PrivateKey =>
        {
            let (key, contents) = pkcs12::private_key(cx, object, &mut attributes)?;
            container = Some(contents);
            Some(key)
        }
        Some(object) => {
            let mut object = opened(cx, object, request.object_type)?;
            if request.object.as_ref().and_then(ManagedObject::key_block).is_some_and(|b| b.key_wrapping_data.is_some())
            {
                unwrapped::adopt_carried(&mut object, &mut attributes);
            }
            Some(object)
        }
        None => None,
    };
    if let Some(ManagedObject::Template(template)) = &object {
        let stored = crate::template::new_template(cx, template, attributes)?;
        return Ok(registered(cx, stored));
    }
    if !attributes.iter().any(|a| matches!(a, Attribute::CryptographicUsageMask(_)))
        && let Some(mask) = default_mask(request.object_type, object.as_ref(), &attributes)
    {
        attributes.push(Attribute::CryptographicUsageMask(mask));
    }
    // A key block's algorithm and length are the object's; attributes saying otherwise are wrong.
    if let Some(block) = object.as_ref().and_then(ManagedObject::key_block) {
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
    let derived = match &object {
        Some(object) => derived_attributes(object, cx.version)?,
        None => Vec::new(),
    };
    drop_restated(&mut attributes, &derived)?;
    let without_value = object.as_ref().and_then(ManagedObject::key_block).is_some_and(|b| b.key_value.is_none());
    let mut stored = new_object(cx, object, request.object_type, attributes, false)?;
    add_derived(&mut stored, derived);
    if without_value {
        add(&mut stored, Attribute::KeyValuePresent(false));
    }
    if let Some(contents) = container {
        pkcs12::register_chain(cx, &mut stored, &contents.chain)?;
    }
    Ok(registered(cx, stored))
}

/// Keeps the new object with the batch and answers with its identifier.
fn registered(cx: &mut Context<'_>, stored: StoredObject) -> RegisterResponse {
    let uid = stored.unique_identifier.clone();
    cx.insert(stored);
    cx.set_placeholder(Some(uid.clone()));
    cx.record_result(UniqueIdentifier::Register, &uid);
    cx.record_returned([&uid]);
    RegisterResponse { unique_identifier: uid, attributes: None }
}

/// The object as it is to be stored: of the type the request says, unwrapped; a Key Block without
/// a Key Value only where `metadata_only` admits it.
fn opened(cx: &Context<'_>, object: &ManagedObject, object_type: ObjectType) -> OpResult<ManagedObject> {
    if object.object_type() != object_type {
        return Err(OpError::InvalidField(format!(
            "Object Type is {object_type:?} but the object is a {:?}",
            object.object_type()
        )));
    }
    let mut object = object.clone();
    if let Some(block) = object.key_block_mut() {
        if block.key_value.is_none() {
            metadata_only::admit(cx.version, object_type)?;
        } else if block.key_wrapping_data.is_some() {
            *block = wrapping::unwrap(cx, block)?;
        }
    }
    material::check(&object)?;
    Ok(object)
}

/// The attributes the object determines.
pub(crate) fn derived_attributes(object: &ManagedObject, version: KmipVersion) -> OpResult<Vec<Attribute>> {
    Ok(match object {
        ManagedObject::Certificate(certificate) if certificate.certificate_type == CertificateType::X_509 => {
            let info = certificate_attributes::read(certificate)?;
            certificate_attributes::attributes_of(certificate, &info, version)
        }
        ManagedObject::Certificate(certificate) => vec![Attribute::CertificateType(certificate.certificate_type)],
        ManagedObject::PrivateKey(_) | ManagedObject::PublicKey(_) => {
            // A key the server cannot read is still stored as given; it says nothing more.
            keypair::describe(object).map(|info| keypair::attributes_of(&info, version)).unwrap_or_default()
        }
        _ => Vec::new(),
    })
}

/// Adds the attributes the object determines; the client's own value of a settable one (an
/// algorithm it named) stands.
pub(crate) fn add_derived(stored: &mut StoredObject, derived: Vec<Attribute>) {
    for attribute in derived {
        let reference = attribute.reference();
        if attribute.rules().multiple || !stored.attributes.iter().any(|a| reference.matches(&a.attribute)) {
            add(stored, attribute);
        }
    }
}

/// Removes from the client's attributes those only the server sets that restate what the object
/// determines; one that says something else is refused as read-only.
fn drop_restated(attributes: &mut Vec<Attribute>, derived: &[Attribute]) -> OpResult<()> {
    let mut kept = Vec::with_capacity(attributes.len());
    for attribute in attributes.drain(..) {
        if attribute.rules().client_sets {
            kept.push(attribute);
            continue;
        }
        let reference = attribute.reference();
        let known = derived.iter().filter(|d| reference.matches(d)).collect::<Vec<_>>();
        if known.is_empty() {
            // Not one the object determines: new_object refuses it as read-only.
            kept.push(attribute);
        } else if !known.contains(&&attribute) {
            return Err(OpError::ReadOnlyAttribute(reference.name()));
        }
    }
    *attributes = kept;
    Ok(())
}
