//! Key Format Type PKCS#12 (1.4 §4.11 Get, §3.45 PKCS#12 Friendly Name, Table 330; 2.0 and 2.1
//! §6.1.19 Get, §4.39, Result Reason Bad Password): a private key leaves the server as an RFC 7292
//! container with its certificate chain, protected by the password of the Secret Data its PKCS#12
//! Password Link names; a client registers a private key by handing in such a container.
//!
//! The chain is found as Get describes it: the private key's Public Key Link, that public key's
//! PKCS#12 Certificate Link (1.4 says its Certificate Link; either is followed) to the base
//! certificate, then each certificate's Certificate Link to its issuer; "it is an error if there
//! is more than one valid certificate chain". A private key registered from a container has no
//! public key object; its own PKCS#12 Certificate Link names the base certificate instead.

use keyward_crypto::formats::{Pkcs12Contents, read_pkcs12, write_pkcs12};
use keyward_kmip::Bytes;
use keyward_kmip::UniqueIdentifierRef;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{KeyFormatType, LinkType, ObjectType, SecretDataType, State};
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject};
use keyward_store::StoredObject;
use zeroize::Zeroizing;

use super::failure;
use super::material::{private_key_pkcs8, symmetric_key};
use crate::attributes::find;
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::lifecycle::effective_state;
use crate::ops::readable;

/// The friendly name a container is written under when the key has no PKCS#12 Friendly Name
/// ("the server SHOULD use an alias/friendly name of 'alias'", 1.4 §3.45).
const DEFAULT_FRIENDLY_NAME: &str = "alias";

/// The longest chain followed: a guard against a cycle of links the store might hold.
const MAX_CHAIN: usize = 16;

/// The private key of `stored` as a PKCS#12 container.
pub fn export(cx: &Context<'_>, stored: &StoredObject) -> OpResult<ManagedObject> {
    let object = readable(stored)?;
    let ManagedObject::PrivateKey(private) = object else {
        return Err(OpError::KeyFormatTypeNotSupported(format!(
            "PKCS#12 is given for a private key, not a {:?}",
            object.object_type()
        )));
    };
    let password = password(cx, &links(stored, LinkType::PKCS_12PasswordLink))?;
    let pkcs8 = private_key_pkcs8(object)?;
    let chain = certificate_chain(cx, stored)?;
    let friendly_name =
        find(stored, |a| if let Attribute::PKCS_12FriendlyName(n) = a { Some(n.clone()) } else { None });
    let container = write_pkcs12(&pkcs8, &chain, friendly_name.as_deref().unwrap_or(DEFAULT_FRIENDLY_NAME), &password)
        .map_err(failure)?;
    let block = &private.key_block;
    Ok(ManagedObject::PrivateKey(keyward_kmip::objects::PrivateKey {
        key_block: KeyBlock {
            key_format_type: KeyFormatType::PKCS_12,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain {
                key_material: KeyMaterial::Bytes(Bytes::new(container)),
                attributes: vec![],
            }),
            cryptographic_algorithm: block.cryptographic_algorithm,
            cryptographic_length: block.cryptographic_length,
            key_wrapping_data: None,
        },
    }))
}

/// Opens a container a client registers, with the password of the Secret Data named by the
/// PKCS#12 Password Link among its attributes; the key is the one of the PKCS#12 Friendly Name
/// given, or the first ("If no such alias/friendly name is supplied, the server SHALL record the
/// alias/friendly name (if any) it finds for the first Private Key", 1.4 §3.45).
pub fn open(cx: &Context<'_>, container: &[u8], attributes: &[Attribute]) -> OpResult<Pkcs12Contents> {
    let password_links: Vec<String> = attributes
        .iter()
        .filter_map(|a| match a {
            Attribute::Link(link) if link.link_type == LinkType::PKCS_12PasswordLink => {
                Some(uid_of(&link.linked_object_identifier))
            }
            _ => None,
        })
        .collect();
    let password = password(cx, &password_links)?;
    let name =
        attributes.iter().find_map(|a| if let Attribute::PKCS_12FriendlyName(n) = a { Some(n.as_str()) } else { None });
    read_pkcs12(container, &password, name).map_err(|e| match e {
        keyward_crypto::CryptoError::VerificationFailed => {
            OpError::BadPassword("the password does not open the PKCS#12 container".into())
        }
        other => failure(other),
    })
}

fn uid_of(reference: &UniqueIdentifierRef) -> String {
    match reference {
        UniqueIdentifierRef::Text(uid) => uid.clone(),
        other => format!("{other:?}"),
    }
}

/// The identifiers the object's Links of `link_type` name.
fn links(stored: &StoredObject, link_type: LinkType) -> Vec<String> {
    stored
        .attributes
        .iter()
        .filter_map(|a| match &a.attribute {
            Attribute::Link(link) if link.link_type == link_type => Some(uid_of(&link.linked_object_identifier)),
            _ => None,
        })
        .collect()
}

/// The password of the one Secret Data a PKCS#12 Password Link names: "missing or multiple
/// PKCS#12 Password Links, or not Secret Data, or not Active" (2.1), "does not contain the Unique
/// Identifier of a Secret Data object or the Secret Data Type is not Password" (1.4 Table 330).
fn password(cx: &Context<'_>, password_links: &[String]) -> OpResult<Zeroizing<String>> {
    let [uid] = password_links else {
        return Err(OpError::BadPassword(format!("{} PKCS#12 Password Links, one is needed", password_links.len())));
    };
    let stored = cx.read(uid).map_err(|_| OpError::BadPassword(format!("no object {uid}")))?;
    let object = readable(&stored).map_err(|_| OpError::BadPassword(format!("{uid} is not available")))?;
    match object {
        ManagedObject::SecretData(secret) if secret.secret_data_type == SecretDataType::Password => {}
        _ => return Err(OpError::BadPassword(format!("{uid} is not Secret Data of type Password"))),
    }
    if effective_state(&stored, cx.now) != State::Active {
        return Err(OpError::BadPassword(format!("the password {uid} is not Active")));
    }
    let bytes = symmetric_key(object)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| OpError::BadPassword(format!("{uid} is not UTF-8 text")))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// The certificate chain of a private key, base certificate first (DER).
fn certificate_chain(cx: &Context<'_>, private: &StoredObject) -> OpResult<Vec<Vec<u8>>> {
    let mut base = links(private, LinkType::PKCS_12CertificateLink);
    if base.is_empty() {
        for public_uid in links(private, LinkType::PublicKeyLink) {
            let public = cx.read(&public_uid)?;
            let mut of_public = links(&public, LinkType::PKCS_12CertificateLink);
            if of_public.is_empty() {
                of_public = links(&public, LinkType::CertificateLink);
            }
            base.extend(of_public);
        }
    }
    let mut next = one_link(base, "base certificate")?;
    let mut chain: Vec<Vec<u8>> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    while let Some(uid) = next {
        if seen.contains(&uid) || chain.len() >= MAX_CHAIN {
            break;
        }
        let stored = cx.read(&uid)?;
        let certificate = match readable(&stored)? {
            ManagedObject::Certificate(certificate) => certificate.certificate_value.as_slice().to_vec(),
            other => {
                return Err(OpError::IllegalOperation(format!(
                    "the certificate chain links to a {:?}",
                    other.object_type()
                )));
            }
        };
        chain.push(certificate);
        seen.push(uid);
        // A self-signed certificate names no issuer; a link to itself ends the chain too.
        next = one_link(links(&stored, LinkType::CertificateLink), "issuer")?;
    }
    Ok(chain)
}

/// The one target of a step of the chain: none ends it, several make more than one chain.
fn one_link(mut targets: Vec<String>, what: &str) -> OpResult<Option<String>> {
    targets.sort_unstable();
    targets.dedup();
    match targets.len() {
        0 | 1 => Ok(targets.pop()),
        n => Err(OpError::IllegalOperation(format!("{n} candidates for the {what}: more than one certificate chain"))),
    }
}

/// Whether a Key Block holds a PKCS#12 container (Register of a private key in that format).
pub fn is_container(object: &ManagedObject) -> bool {
    object.object_type() == ObjectType::PrivateKey
        && object.key_block().is_some_and(|b| b.key_format_type == KeyFormatType::PKCS_12)
}
