//! The form in which an object leaves the server (Get 2.1 §6.1.19, Export §6.1.18): in the Key
//! Format Type asked for, wrapped as the Key Wrapping Specification says, or as it was
//! registered; and never against its Sensitive and Extractable attributes (2.1 §4.55, §4.23): a
//! Sensitive key leaves only encrypted under another key, a key that is not Extractable not at
//! all.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{KeyCompressionType, KeyFormatType, KeyWrapType};
use keyward_kmip::objects::{KeyWrappingSpecification, ManagedObject};
use keyward_store::StoredObject;

use super::conversion::convert;
use super::wrapping::{conceals, unwrap, wrap};
use crate::attributes::find;
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::ops::readable;

/// What the client asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Form<'r> {
    pub key_format_type: Option<KeyFormatType>,
    pub key_wrap_type: Option<KeyWrapType>,
    pub key_compression_type: Option<KeyCompressionType>,
    pub wrapping: Option<&'r KeyWrappingSpecification>,
}

/// The object of `stored` in the form asked for.
pub fn deliver(cx: &Context<'_>, stored: &StoredObject, form: &Form<'_>) -> OpResult<ManagedObject> {
    let object = readable(stored)?;
    let uid = &stored.unique_identifier;
    if find(stored, |a| if let Attribute::Extractable(e) = a { Some(*e) } else { None }) == Some(false) {
        return Err(OpError::NotExtractable(format!("object {uid} never leaves the server")));
    }
    let sensitive = find(stored, |a| if let Attribute::Sensitive(s) = a { Some(*s) } else { None }) == Some(true);
    let Some(block) = object.key_block() else {
        if form.key_format_type.is_some() || form.wrapping.is_some() {
            return Err(OpError::KeyFormatTypeNotSupported(format!(
                "a {:?} has no key to format or wrap",
                object.object_type()
            )));
        }
        return if sensitive { Err(sensitive_refusal(uid)) } else { Ok(object.clone()) };
    };
    if block.key_value.is_none() {
        return without_value(stored, object, form);
    }
    if form.key_compression_type.is_some_and(|asked| Some(asked) != block.key_compression_type) {
        return Err(OpError::KeyCompressionTypeNotSupported("keys are returned uncompressed".into()));
    }
    let reformat = form.key_format_type.is_some_and(|asked| asked != block.key_format_type);
    let stored_wrapped = block.key_wrapping_data.is_some();
    // A key registered wrapped goes out as registered unless the client wants it otherwise.
    let open_first =
        stored_wrapped && (reformat || form.wrapping.is_some() || form.key_wrap_type == Some(KeyWrapType::NotWrapped));
    if stored_wrapped && !open_first {
        return Ok(object.clone());
    }
    let mut object = object.clone();
    if open_first && let Some(block) = object.key_block_mut() {
        *block = unwrap(cx, block)?;
    }
    match form.key_format_type {
        // A container built from the key, its chain and its password (1.4 §4.11, 2.1 §6.1.19).
        Some(KeyFormatType::PKCS_12) => object = super::pkcs12::export(cx, stored)?,
        Some(format) => object = convert(&object, format)?,
        None => {}
    }
    match form.wrapping {
        Some(spec) => {
            if sensitive && !conceals(spec) {
                return Err(sensitive_refusal(uid));
            }
            if let Some(block) = object.key_block_mut() {
                *block = wrap(cx, stored, block, spec)?;
            }
        }
        None if sensitive => return Err(sensitive_refusal(uid)),
        None => {}
    }
    Ok(object)
}

/// An object registered without its Key Value (1.2 §3.41) goes out as registered: its Key Block
/// describes the key, and no key material leaves the server. Anything that needs the key (another
/// format, a wrapping) is Key Value Not Present (2.0 and 2.1 list it for Get and Export).
fn without_value(stored: &StoredObject, object: &ManagedObject, form: &Form<'_>) -> OpResult<ManagedObject> {
    let block = object.key_block();
    let reformat = form.key_format_type.is_some_and(|asked| block.is_some_and(|b| b.key_format_type != asked));
    if reformat || form.wrapping.is_some() {
        return Err(OpError::KeyValueNotPresent(stored.unique_identifier.clone()));
    }
    Ok(object.clone())
}

fn sensitive_refusal(uid: &str) -> OpError {
    OpError::Sensitive(format!("object {uid} leaves the server only wrapped"))
}
