//! The objects the store's tests write: a symmetric key whose material and Name are easy to look
//! for in files and tables.

// Each test file uses a part of this module.
#![allow(dead_code)]

use keyward_kmip::Bytes;
use keyward_kmip::attributes::{Attribute, IndexedAttribute, Name};
use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType, ObjectType, State};
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SymmetricKey};
use keyward_store::{Change, ObjectStore, StoredObject};

/// The key material of every test key: found in the clear anywhere, it is a leak.
pub const KEY_BYTES: [u8; 32] = *b"\x42\x42CONTRACT-KEY-MATERIAL-01234567";

/// An AES key of `owner` named `name`: attributes Object Type, Name, State, Algorithm, Object
/// Group, Operation Policy Name, in that order (tests change them by position).
pub fn symmetric_key(uid: &str, owner: &str, name: &str) -> StoredObject {
    let key_block = KeyBlock {
        key_format_type: KeyFormatType::Raw,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(Bytes::new(KEY_BYTES.to_vec())),
            attributes: vec![],
        }),
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        cryptographic_length: Some(256),
        key_wrapping_data: None,
    };
    StoredObject {
        unique_identifier: uid.to_string(),
        owner: owner.to_string(),
        object: Some(ManagedObject::SymmetricKey(SymmetricKey { key_block })),
        attributes: vec![
            IndexedAttribute::new(Attribute::ObjectType(ObjectType::SymmetricKey)),
            IndexedAttribute::new(Attribute::Name(Name::text(name))),
            IndexedAttribute::new(Attribute::State(State::PreActive)),
            IndexedAttribute::new(Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES)),
            IndexedAttribute::new(Attribute::ObjectGroup("contract".into())),
            // An attribute that only KMIP 1.x has: records carry every version's.
            IndexedAttribute::new(Attribute::OperationPolicyName("default".into())),
        ],
        revision: 0,
    }
}

/// Inserts `object` and waits until it is durable.
pub fn insert(store: &dyn ObjectStore, object: StoredObject) {
    store.commit(vec![Change::Insert(object)]).unwrap().wait().unwrap();
}
