//! Managed objects (KMIP 2.1 §2, 1.4 §2.2) and the Key Block that carries key material.

use keyward_ttlv::enums::{
    CertificateRequestType, CertificateType, CryptographicAlgorithm, EncodingOption, KeyCompressionType, KeyFormatType,
    ObjectType, OpaqueDataType, SecretDataType, SplitKeyMethod, WrappingMethod,
};
use keyward_ttlv::{Encoder, Item, ItemRef, ItemType, Tag, ValueRef};

use crate::attributes::wire::decode_attribute;
use crate::attributes::{Attribute, CryptographicParameters, IndexedAttribute};
use crate::codec::{BigInt, Bytes, Codec, Cx, expect_structure, field, wrong_type};
use crate::error::{ModelError, ModelResult};
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

/// Key material: bytes (Raw, Opaque, PKCS#1, PKCS#8, X.509, ECPrivateKey...) or the structure of
/// a Transparent key format, kept as items (their fields depend on the Key Format Type and are
/// read by the cryptographic layer). Byte strings and Big Integers inside are zeroized on drop.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyMaterial {
    Bytes(Bytes),
    Structure(Vec<Item>),
}

impl Codec for KeyMaterial {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::ByteString(bytes) => Ok(KeyMaterial::Bytes(Bytes::new(bytes))),
            ValueRef::Structure(children) => Ok(KeyMaterial::Structure(children.map(|c| c.to_owned_item()).collect())),
            _ => Err(wrong_type(item, ItemType::ByteString)),
        }
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        match self {
            KeyMaterial::Bytes(bytes) => out.bytes(tag, bytes.as_slice()),
            KeyMaterial::Structure(children) => {
                let open = out.begin(tag);
                for child in children {
                    out.item(child);
                }
                out.end(open);
            }
        }
    }
}

/// The Key Value of a Key Block: the material with attributes bound to it, or, when the key is
/// wrapped, the wrapped bytes.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyValue {
    Plain { key_material: KeyMaterial, attributes: Vec<Attribute> },
    Wrapped(Bytes),
}

impl Codec for KeyValue {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::ByteString(bytes) => Ok(KeyValue::Wrapped(Bytes::new(bytes))),
            ValueRef::Structure(children) => {
                let mut key_material = None;
                let mut attributes = Vec::new();
                for child in children {
                    match child.tag() {
                        Tag::KeyMaterial => field::set_once(&mut key_material, item.tag(), child, cx)?,
                        Tag::Attribute => attributes.push(decode_attribute(child, cx)?),
                        Tag::Attributes => {
                            for attribute in child.children() {
                                attributes.push(decode_attribute(attribute, cx)?);
                            }
                        }
                        _ => field::unexpected_unless_ignorable(item, child, cx)?,
                    }
                }
                Ok(KeyValue::Plain { key_material: field::required(key_material, item, Tag::KeyMaterial)?, attributes })
            }
            _ => Err(wrong_type(item, ItemType::Structure)),
        }
    }

    /// Attributes inside a Key Value are only written for 2.x: 1.x clients such as Veeam refuse
    /// them there, and the object's attributes reach them through Get Attributes anyway.
    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        match self {
            KeyValue::Wrapped(bytes) => out.bytes(tag, bytes.as_slice()),
            KeyValue::Plain { key_material, attributes } => {
                let open = out.begin(tag);
                key_material.encode(Tag::KeyMaterial, out, cx);
                if !cx.is_1x() && !attributes.is_empty() {
                    let inner = out.begin(Tag::Attributes);
                    for attribute in attributes {
                        IndexedAttribute::new(attribute.clone()).encode_for(Tag::Attribute, out, cx);
                    }
                    out.end(inner);
                }
                out.end(open);
            }
        }
    }
}

kmip_struct! {
    /// The key (or secret) of an object and how it is formatted, compressed or wrapped (2.1 §2.1.3).
    pub struct KeyBlock {
        key_format_type: one KeyFormatType = KeyFormatType,
        key_compression_type: opt KeyCompressionType = KeyCompressionType,
        key_value: opt KeyValue = KeyValue,
        cryptographic_algorithm: opt CryptographicAlgorithm = CryptographicAlgorithm,
        cryptographic_length: opt i32 = CryptographicLength,
        key_wrapping_data: opt KeyWrappingData = KeyWrappingData,
    }
}

kmip_struct! {
    /// The key that encrypts (wraps) another (2.1 §2.1.6).
    pub struct EncryptionKeyInformation {
        unique_identifier: one UniqueIdentifierRef = UniqueIdentifier,
        cryptographic_parameters: opt CryptographicParameters = CryptographicParameters,
    }
}

kmip_struct! {
    /// The key that MACs or signs a wrapped key (2.1 §2.1.7).
    pub struct MacSignatureKeyInformation {
        unique_identifier: one UniqueIdentifierRef = UniqueIdentifier,
        cryptographic_parameters: opt CryptographicParameters = CryptographicParameters,
    }
}

kmip_struct! {
    /// How a wrapped key was wrapped (2.1 §2.1.5).
    pub struct KeyWrappingData {
        wrapping_method: one WrappingMethod = WrappingMethod,
        encryption_key_information: opt EncryptionKeyInformation = EncryptionKeyInformation,
        mac_signature_key_information: opt MacSignatureKeyInformation = MACSignatureKeyInformation,
        mac_signature: opt Bytes = MACSignature,
        iv_counter_nonce: opt Bytes = IVCounterNonce,
        encoding_option: opt EncodingOption = EncodingOption,
    }
}

kmip_struct! {
    /// How a client wants a key wrapped when it is handed out (2.1 §2.1.8).
    pub struct KeyWrappingSpecification {
        wrapping_method: one WrappingMethod = WrappingMethod,
        encryption_key_information: opt EncryptionKeyInformation = EncryptionKeyInformation,
        mac_signature_key_information: opt MacSignatureKeyInformation = MACSignatureKeyInformation,
        attribute_name: many String = AttributeName,
        encoding_option: opt EncodingOption = EncodingOption,
    }
}

kmip_struct! {
    pub struct SymmetricKey {
        key_block: one KeyBlock = KeyBlock,
    }
}

kmip_struct! {
    pub struct PublicKey {
        key_block: one KeyBlock = KeyBlock,
    }
}

kmip_struct! {
    pub struct PrivateKey {
        key_block: one KeyBlock = KeyBlock,
    }
}

kmip_struct! {
    pub struct SecretData {
        secret_data_type: one SecretDataType = SecretDataType,
        key_block: one KeyBlock = KeyBlock,
    }
}

kmip_struct! {
    pub struct Certificate {
        certificate_type: one CertificateType = CertificateType,
        certificate_value: one Bytes = CertificateValue,
    }
}

kmip_struct! {
    pub struct OpaqueObject {
        opaque_data_type: one OpaqueDataType = OpaqueDataType,
        opaque_data_value: one Bytes = OpaqueDataValue,
    }
}

kmip_struct! {
    pub struct SplitKey {
        split_key_parts: one i32 = SplitKeyParts,
        key_part_identifier: one i32 = KeyPartIdentifier,
        split_key_threshold: one i32 = SplitKeyThreshold,
        split_key_method: one SplitKeyMethod = SplitKeyMethod,
        prime_field_size: opt BigInt = PrimeFieldSize,
        key_block: one KeyBlock = KeyBlock,
    }
}

kmip_struct! {
    pub struct PgpKey {
        pgp_key_version: one i32 = PGPKeyVersion,
        key_block: one KeyBlock = KeyBlock,
    }
}

kmip_struct! {
    /// A certificate signing request (2.x).
    pub struct CertificateRequest {
        certificate_request_type: one CertificateRequestType = CertificateRequestType,
        certificate_request_value: one Bytes = CertificateRequestValue,
    }
}

/// A 1.x Template: a named set of attributes that Create and Register may refer to.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Template {
    pub attributes: Vec<IndexedAttribute>,
}

impl Codec for Template {
    /// A template's attributes come as 1.x Attribute structures; in the server's storage form (and
    /// from a lenient reading of a 2.x client) as tagged attributes. Both are read.
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut attributes = Vec::new();
        for child in item.children() {
            if child.tag().is_extension() && child.tag() != Tag::Attribute {
                continue;
            }
            attributes.push(IndexedAttribute::decode(child, cx)?);
        }
        Ok(Template { attributes })
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        for attribute in &self.attributes {
            attribute.encode_for(Tag::Attribute, out, cx);
        }
        out.end(open);
    }
}

/// Any managed object.
#[derive(Clone, Debug, PartialEq)]
pub enum ManagedObject {
    Certificate(Certificate),
    SymmetricKey(SymmetricKey),
    PublicKey(PublicKey),
    PrivateKey(PrivateKey),
    SplitKey(SplitKey),
    Template(Template),
    SecretData(SecretData),
    OpaqueObject(OpaqueObject),
    PgpKey(PgpKey),
    CertificateRequest(CertificateRequest),
}

impl ManagedObject {
    pub fn object_type(&self) -> ObjectType {
        match self {
            ManagedObject::Certificate(_) => ObjectType::Certificate,
            ManagedObject::SymmetricKey(_) => ObjectType::SymmetricKey,
            ManagedObject::PublicKey(_) => ObjectType::PublicKey,
            ManagedObject::PrivateKey(_) => ObjectType::PrivateKey,
            ManagedObject::SplitKey(_) => ObjectType::SplitKey,
            ManagedObject::Template(_) => ObjectType::Template,
            ManagedObject::SecretData(_) => ObjectType::SecretData,
            ManagedObject::OpaqueObject(_) => ObjectType::OpaqueObject,
            ManagedObject::PgpKey(_) => ObjectType::PGPKey,
            ManagedObject::CertificateRequest(_) => ObjectType::CertificateRequest,
        }
    }

    /// The tag the object travels under.
    pub fn tag(&self) -> Tag {
        match self {
            ManagedObject::Certificate(_) => Tag::Certificate,
            ManagedObject::SymmetricKey(_) => Tag::SymmetricKey,
            ManagedObject::PublicKey(_) => Tag::PublicKey,
            ManagedObject::PrivateKey(_) => Tag::PrivateKey,
            ManagedObject::SplitKey(_) => Tag::SplitKey,
            ManagedObject::Template(_) => Tag::Template,
            ManagedObject::SecretData(_) => Tag::SecretData,
            ManagedObject::OpaqueObject(_) => Tag::OpaqueObject,
            ManagedObject::PgpKey(_) => Tag::PGPKey,
            ManagedObject::CertificateRequest(_) => Tag::CertificateRequest,
        }
    }

    /// True for the tags that carry a managed object.
    pub fn is_object_tag(tag: Tag) -> bool {
        matches!(
            tag,
            Tag::Certificate
                | Tag::SymmetricKey
                | Tag::PublicKey
                | Tag::PrivateKey
                | Tag::SplitKey
                | Tag::Template
                | Tag::SecretData
                | Tag::OpaqueObject
                | Tag::PGPKey
                | Tag::CertificateRequest
        )
    }

    /// The Key Block, for the objects that have one.
    pub fn key_block(&self) -> Option<&KeyBlock> {
        match self {
            ManagedObject::SymmetricKey(o) => Some(&o.key_block),
            ManagedObject::PublicKey(o) => Some(&o.key_block),
            ManagedObject::PrivateKey(o) => Some(&o.key_block),
            ManagedObject::SplitKey(o) => Some(&o.key_block),
            ManagedObject::SecretData(o) => Some(&o.key_block),
            ManagedObject::PgpKey(o) => Some(&o.key_block),
            _ => None,
        }
    }

    pub fn key_block_mut(&mut self) -> Option<&mut KeyBlock> {
        match self {
            ManagedObject::SymmetricKey(o) => Some(&mut o.key_block),
            ManagedObject::PublicKey(o) => Some(&mut o.key_block),
            ManagedObject::PrivateKey(o) => Some(&mut o.key_block),
            ManagedObject::SplitKey(o) => Some(&mut o.key_block),
            ManagedObject::SecretData(o) => Some(&mut o.key_block),
            ManagedObject::PgpKey(o) => Some(&mut o.key_block),
            _ => None,
        }
    }
}

impl Codec for ManagedObject {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        Ok(match item.tag() {
            Tag::Certificate => ManagedObject::Certificate(Codec::decode(item, cx)?),
            Tag::SymmetricKey => ManagedObject::SymmetricKey(Codec::decode(item, cx)?),
            Tag::PublicKey => ManagedObject::PublicKey(Codec::decode(item, cx)?),
            Tag::PrivateKey => ManagedObject::PrivateKey(Codec::decode(item, cx)?),
            Tag::SplitKey => ManagedObject::SplitKey(Codec::decode(item, cx)?),
            Tag::Template => ManagedObject::Template(Codec::decode(item, cx)?),
            Tag::SecretData => ManagedObject::SecretData(Codec::decode(item, cx)?),
            Tag::OpaqueObject => ManagedObject::OpaqueObject(Codec::decode(item, cx)?),
            Tag::PGPKey => ManagedObject::PgpKey(Codec::decode(item, cx)?),
            Tag::CertificateRequest => ManagedObject::CertificateRequest(Codec::decode(item, cx)?),
            other => {
                return Err(ModelError::invalid(other, item.offset(), "not a managed object"));
            }
        })
    }

    /// Writes the object under its own tag (`tag` is ignored: an object's tag is its type).
    fn encode(&self, _tag: Tag, out: &mut Encoder, cx: &Cx) {
        let tag = self.tag();
        match self {
            ManagedObject::Certificate(o) => o.encode(tag, out, cx),
            ManagedObject::SymmetricKey(o) => o.encode(tag, out, cx),
            ManagedObject::PublicKey(o) => o.encode(tag, out, cx),
            ManagedObject::PrivateKey(o) => o.encode(tag, out, cx),
            ManagedObject::SplitKey(o) => o.encode(tag, out, cx),
            ManagedObject::Template(o) => o.encode(tag, out, cx),
            ManagedObject::SecretData(o) => o.encode(tag, out, cx),
            ManagedObject::OpaqueObject(o) => o.encode(tag, out, cx),
            ManagedObject::PgpKey(o) => o.encode(tag, out, cx),
            ManagedObject::CertificateRequest(o) => o.encode(tag, out, cx),
        }
    }
}
