//! Record format 1: the plaintext of a stored object, before the store seals it. A TTLV
//! structure in the extension tag range.
//!
//! ```text
//! Record (0x544B01)
//!   Record Format (0x544B04)                    absent: format 1 (the only one so far)
//!   Unique Identifier
//!   Owner (0x544B02)
//!   <the managed object under its own tag>      absent once destroyed
//!   Stored Attribute (0x544B03)*
//!     Attribute Index
//!     <the attribute under its own tag, or a vendor Attribute structure>
//! ```
//!
//! The disk format is this module's, not the wire's: format 1 encodes objects and attributes as
//! KMIP 2.1 lays them out with every field of every version kept ([`FORMAT_1`], fixed here, so
//! that a newer KMIP version's layout never silently changes what is on disk), and a test pins the
//! bytes of a reference record. A change of the codec that changes those bytes must come with a
//! new format number, written in the record, and a decoder kept for the old one; a record of a
//! format this build does not know is refused as such, never misread. Format 1 leaves the field
//! out, so that records stay readable by the builds from before it (a downgrade with nothing
//! written since).
//!
//! Written against `keyward_store`'s public types only: the store's own unit tests compile this
//! file into the store crate (see `keyward_store`'s `schema_for_tests`).

use keyward_kmip::attributes::IndexedAttribute;
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::{Codec, Cx};
use keyward_ttlv::{Encoder, KmipVersion, Limits, Tag};
use zeroize::Zeroizing;

use keyward_store::{StoreError, StoreResult, StoredObject};

const RECORD: Tag = Tag(0x544B01);
const OWNER: Tag = Tag(0x544B02);
const STORED_ATTRIBUTE: Tag = Tag(0x544B03);
const RECORD_FORMAT: Tag = Tag(0x544B04);

/// The format this build writes.
const CURRENT_FORMAT: i32 = 1;
/// The codec context of format 1: KMIP 2.1's layout, every version's fields kept.
const FORMAT_1: Cx = Cx { version: KmipVersion::V2_1, ignore_unknown_fields: false, keep_all_fields: true };

/// Encodes an object's record (the revision is kept outside, in the clear header). An attribute
/// index the record's Integer cannot hold is an error, never a saturated value.
pub(super) fn encode(object: &StoredObject) -> StoreResult<Zeroizing<Vec<u8>>> {
    let cx = FORMAT_1;
    let mut out = Encoder::with_capacity(512);
    let open = out.begin(RECORD);
    if CURRENT_FORMAT != 1 {
        out.integer(RECORD_FORMAT, CURRENT_FORMAT);
    }
    out.text(Tag::UniqueIdentifier, &object.unique_identifier);
    out.text(OWNER, &object.owner);
    if let Some(managed) = &object.object {
        managed.encode(managed.tag(), &mut out, &cx);
    }
    for attribute in &object.attributes {
        let inner = out.begin(STORED_ATTRIBUTE);
        let index = i32::try_from(attribute.index).map_err(|_| {
            StoreError::LimitExceeded(format!(
                "attribute index {} of object {}",
                attribute.index, object.unique_identifier
            ))
        })?;
        out.integer(Tag::AttributeIndex, index);
        attribute.encode_for(Tag::Attribute, &mut out, &cx);
        out.end(inner);
    }
    out.end(open);
    Ok(Zeroizing::new(out.into_bytes()))
}

/// Decodes a record made by [`encode`].
pub(super) fn decode(bytes: &[u8], revision: u64) -> StoreResult<StoredObject> {
    let corrupt = |what: String| StoreError::Corrupt(what);
    let limits = Limits { max_message_size: usize::MAX, ..Limits::default() };
    let root = keyward_ttlv::decode(bytes, &limits).map_err(|e| corrupt(e.to_string()))?;
    if root.tag() != RECORD {
        return Err(corrupt("not a record".into()));
    }
    let format = match root.child(RECORD_FORMAT) {
        Some(format) => format.as_integer().ok_or_else(|| corrupt("a record format that is not an Integer".into()))?,
        None => 1,
    };
    if format != CURRENT_FORMAT {
        return Err(corrupt(format!(
            "a record of format {format}, which this version of Keyward does not read (it reads format \
             {CURRENT_FORMAT}): was the store written by a newer version?"
        )));
    }
    let cx = FORMAT_1;
    let mut unique_identifier = None;
    let mut owner = None;
    let mut object = None;
    let mut attributes = Vec::new();
    for child in root.children() {
        match child.tag() {
            RECORD_FORMAT => {}
            Tag::UniqueIdentifier => unique_identifier = child.as_text().map(str::to_owned),
            OWNER => owner = child.as_text().map(str::to_owned),
            STORED_ATTRIBUTE => {
                let index = match child.child(Tag::AttributeIndex) {
                    Some(index) => {
                        index.as_integer().ok_or_else(|| corrupt("an attribute index that is not an Integer".into()))?
                    }
                    None => 0,
                };
                let value = child
                    .children()
                    .find(|c| c.tag() != Tag::AttributeIndex)
                    .ok_or_else(|| corrupt("an attribute without a value".into()))?;
                let mut attribute = IndexedAttribute::decode(value, &cx).map_err(|e| corrupt(e.to_string()))?;
                attribute.index =
                    u32::try_from(index).map_err(|_| corrupt(format!("a negative attribute index {index}")))?;
                attributes.push(attribute);
            }
            tag if ManagedObject::is_object_tag(tag) => {
                object = Some(ManagedObject::decode(child, &cx).map_err(|e| corrupt(e.to_string()))?);
            }
            other => return Err(corrupt(format!("unexpected {other} in a record"))),
        }
    }
    Ok(StoredObject {
        unique_identifier: unique_identifier.ok_or_else(|| corrupt("a record without an identifier".into()))?,
        owner: owner.ok_or_else(|| corrupt("a record without an owner".into()))?,
        object,
        attributes,
        revision,
    })
}

#[cfg(test)]
mod tests {
    use keyward_kmip::Bytes;
    use keyward_kmip::attributes::{Attribute, Name};
    use keyward_kmip::codec::DateTime;
    use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType, ObjectType, State};
    use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, SymmetricKey};

    use super::*;

    /// A record touching the parts of the format: a key block, attributes of several types, a
    /// second instance of one (its index), and one only KMIP 1.x has.
    fn reference() -> StoredObject {
        let key_block = KeyBlock {
            key_format_type: KeyFormatType::Raw,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain {
                key_material: KeyMaterial::Bytes(Bytes::new(vec![7; 16])),
                attributes: vec![],
            }),
            cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
            cryptographic_length: Some(128),
            key_wrapping_data: None,
        };
        let mut second_name = IndexedAttribute::new(Attribute::Name(Name::text("second")));
        second_name.index = 1;
        StoredObject {
            unique_identifier: "01930000-0000-7000-8000-000000000001".into(),
            owner: "alice".into(),
            object: Some(ManagedObject::SymmetricKey(SymmetricKey { key_block })),
            attributes: vec![
                IndexedAttribute::new(Attribute::ObjectType(ObjectType::SymmetricKey)),
                IndexedAttribute::new(Attribute::Name(Name::text("first"))),
                second_name,
                IndexedAttribute::new(Attribute::State(State::Active)),
                IndexedAttribute::new(Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES)),
                IndexedAttribute::new(Attribute::CryptographicLength(128)),
                IndexedAttribute::new(Attribute::InitialDate(DateTime(1_700_000_000))),
                IndexedAttribute::new(Attribute::ObjectGroup("group".into())),
                IndexedAttribute::new(Attribute::OperationPolicyName("default".into())),
            ],
            revision: 3,
        }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Format 1's bytes, as this build writes the reference record. If this test fails, the
    /// codec changed what is on disk: give the record a new format number, keep a decoder of
    /// format 1, and pin the new format beside this one.
    const FORMAT_1_REFERENCE: &str = concat!(
        "544b010100000238420094070000002430313933303030302d303030302d373030302d383030302d3030303030303030",
        "3030303100000000544b020700000005616c69636500000042008f010000005842004001000000504200420500000004",
        "000000010000000042004501000000184200430800000010070707070707070707070707070707074200280500000004",
        "000000030000000042002a02000000040000008000000000544b03010000002042000902000000040000000000000000",
        "42005705000000040000000200000000544b030100000038420009020000000400000000000000004200530100000020",
        "4200550700000005666972737400000042005405000000040000000100000000544b0301000000384200090200000004",
        "0000000100000000420053010000002042005507000000067365636f6e64000042005405000000040000000100000000",
        "544b0301000000204200090200000004000000000000000042008d05000000040000000200000000544b030100000020",
        "4200090200000004000000000000000042002805000000040000000300000000544b0301000000204200090200000004",
        "000000000000000042002a02000000040000008000000000544b03010000002042000902000000040000000000000000",
        "4200390900000008000000006553f100544b030100000020420009020000000400000000000000004200560700000005",
        "67726f7570000000544b0301000000204200090200000004000000000000000042005d070000000764656661756c7400"
    );

    #[test]
    fn format_1_is_pinned_and_reads_back() {
        let encoded = encode(&reference()).unwrap();
        assert_eq!(hex(&encoded), FORMAT_1_REFERENCE, "the disk format of records changed");
        assert_eq!(decode(&encoded, 3).unwrap(), reference());
    }

    /// A record of an unknown format is refused as such; one without the field (written before
    /// it existed) reads as format 1.
    #[test]
    fn a_record_names_its_format() {
        let with_format = |format: Option<i32>| {
            let mut out = Encoder::with_capacity(64);
            let open = out.begin(RECORD);
            if let Some(format) = format {
                out.integer(RECORD_FORMAT, format);
            }
            out.text(Tag::UniqueIdentifier, "u");
            out.text(OWNER, "alice");
            out.end(open);
            out.into_bytes()
        };
        assert_eq!(decode(&with_format(None), 1).unwrap().owner, "alice");
        assert_eq!(decode(&with_format(Some(1)), 1).unwrap().owner, "alice");
        let refused = decode(&with_format(Some(2)), 1).unwrap_err();
        assert!(refused.to_string().contains("format 2"), "{refused}");
    }
}
