//! Structures that several payloads share: the lists of KMIP 2.1 §7 and the Data of the
//! cryptographic operations.

use keyward_ttlv::enums::{Data as DataResult, ObjectType, Operation};
use keyward_ttlv::masks::ProtectionStorageMask;
use keyward_ttlv::{Encoder, ItemRef, ItemType, Tag, ValueRef};

use crate::codec::{Bytes, Codec, Cx, wrong_type};
use crate::error::ModelResult;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    /// The protection storage a client accepts for a new object, in order of preference (2.1
    /// §7.33). Also the layout of Common, Private and Public Protection Storage Masks.
    pub struct ProtectionStorageMasks {
        protection_storage_mask: many ProtectionStorageMask = ProtectionStorageMask,
    }
}

kmip_struct! {
    /// A list of operations (2.1 §7.25).
    pub struct Operations {
        operation: many Operation = Operation,
    }
}

kmip_struct! {
    /// A list of object types (2.1 §7.24).
    pub struct ObjectTypes {
        object_type: many ObjectType = ObjectType,
    }
}

kmip_struct! {
    /// A list of object groups (2.1 §7.23).
    pub struct ObjectGroups {
        object_group: many String = ObjectGroup,
    }
}

kmip_struct! {
    /// A list of objects, by identifier (2.1 §7.21).
    pub struct Objects {
        unique_identifier: many UniqueIdentifierRef = UniqueIdentifier,
    }
}

kmip_struct! {
    /// A list of asynchronous requests, by correlation value (2.1 §7.1).
    pub struct AsynchronousCorrelationValues {
        asynchronous_correlation_value: many Bytes = AsynchronousCorrelationValue,
    }
}

/// The Data of a cryptographic request (2.1 §7.9): the bytes themselves or, in KMIP 2.1, the
/// output of an earlier batch item: of the last operation of a kind (a Data enumeration such as
/// Encrypt), or the n-th Data of the batch (an Integer; negative counts back). The dispatcher
/// resolves references; responses always carry bytes.
#[derive(Clone, Debug, PartialEq)]
pub enum DataRef {
    Bytes(Bytes),
    Result(DataResult),
    Index(i32),
}

impl DataRef {
    /// The bytes, when they are given directly.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            DataRef::Bytes(bytes) => Some(bytes.as_slice()),
            _ => None,
        }
    }
}

impl From<Bytes> for DataRef {
    fn from(bytes: Bytes) -> Self {
        DataRef::Bytes(bytes)
    }
}

impl Codec for DataRef {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::ByteString(bytes) => Ok(DataRef::Bytes(Bytes::new(bytes))),
            ValueRef::Enumeration(value) => Ok(DataRef::Result(DataResult(value))),
            ValueRef::Integer(index) => Ok(DataRef::Index(index)),
            _ => Err(wrong_type(item, ItemType::ByteString)),
        }
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        match self {
            DataRef::Bytes(bytes) => out.bytes(tag, bytes.as_slice()),
            DataRef::Result(kind) => out.enumeration(tag, kind.0),
            DataRef::Index(index) => out.integer(tag, *index),
        }
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::V2_1;

    use super::*;
    use crate::payloads::test_support::assert_wire_form;

    kmip_struct! {
        pub struct WithData {
            data: one DataRef = Data,
        }
    }

    #[test]
    fn data_is_bytes_or_a_2_1_reference_to_an_earlier_result() {
        let forms = [
            (DataRef::Bytes(Bytes::new([0xca, 0xfe])), r#"<Data type="ByteString" value="cafe"/>"#),
            (DataRef::Result(DataResult::Encrypt), r#"<Data type="Enumeration" value="Encrypt"/>"#),
            (DataRef::Index(-1), r#"<Data type="Integer" value="-1"/>"#),
        ];
        for (data, xml) in forms {
            assert_wire_form(&WithData { data }, &format!("<RequestPayload>{xml}</RequestPayload>"), V2_1);
        }
    }
}
