//! Three realistic KMIP 2.1 messages, built with the `Item` API: what a server decodes and encodes
//! all day. Shared by the codec benchmark and the `decode_loop` example (through `#[path]`), so that
//! the instruction count and the timings are of the very same bytes.

// Each user takes only the messages it needs.
#![allow(dead_code)]

use keyward_ttlv::{Item, KmipEnum, Tag, enums, masks};

/// 2024-05-01T12:00:00Z, for the response time stamps.
const TIME_STAMP: i64 = 1_714_564_800;

fn protocol_version_2_1() -> Item {
    Item::structure(
        Tag::ProtocolVersion,
        vec![Item::integer(Tag::ProtocolVersionMajor, 2), Item::integer(Tag::ProtocolVersionMinor, 1)],
    )
}

fn enumeration(tag: Tag, value: impl KmipEnum) -> Item {
    Item::enumeration(tag, value.value())
}

/// A Create request for an AES-256 key that may encrypt and decrypt, with a name.
pub fn create_request() -> Item {
    let usage = masks::CryptographicUsageMask::Encrypt | masks::CryptographicUsageMask::Decrypt;
    let attributes = Item::structure(
        Tag::Attributes,
        vec![
            enumeration(Tag::CryptographicAlgorithm, enums::CryptographicAlgorithm::AES),
            Item::integer(Tag::CryptographicLength, 256),
            // A mask is carried in an Integer: the same 32 bits, read as signed.
            Item::integer(Tag::CryptographicUsageMask, usage.value() as i32),
            Item::structure(
                Tag::Name,
                vec![
                    Item::text(Tag::NameValue, "payments/card-data-key"),
                    enumeration(Tag::NameType, enums::NameType::UninterpretedTextString),
                ],
            ),
        ],
    );
    Item::structure(
        Tag::RequestMessage,
        vec![
            Item::structure(Tag::RequestHeader, vec![protocol_version_2_1(), Item::integer(Tag::BatchCount, 1)]),
            Item::structure(
                Tag::BatchItem,
                vec![
                    enumeration(Tag::Operation, enums::Operation::Create),
                    Item::structure(
                        Tag::RequestPayload,
                        vec![enumeration(Tag::ObjectType, enums::ObjectType::SymmetricKey), attributes],
                    ),
                ],
            ),
        ],
    )
}

/// A successful Get response carrying a 256-bit symmetric key in Raw format.
pub fn get_response() -> Item {
    let key_material: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
    let key_block = Item::structure(
        Tag::KeyBlock,
        vec![
            enumeration(Tag::KeyFormatType, enums::KeyFormatType::Raw),
            Item::structure(Tag::KeyValue, vec![Item::bytes(Tag::KeyMaterial, key_material)]),
            enumeration(Tag::CryptographicAlgorithm, enums::CryptographicAlgorithm::AES),
            Item::integer(Tag::CryptographicLength, 256),
        ],
    );
    let payload = Item::structure(
        Tag::ResponsePayload,
        vec![
            enumeration(Tag::ObjectType, enums::ObjectType::SymmetricKey),
            Item::text(Tag::UniqueIdentifier, uuid(1)),
            Item::structure(Tag::SymmetricKey, vec![key_block]),
        ],
    );
    response(enums::Operation::Get, payload)
}

/// A successful Locate response listing 100 objects.
pub fn locate_response() -> Item {
    let mut found = vec![Item::integer(Tag::LocatedItems, 100)];
    found.extend((0..100).map(|n| Item::text(Tag::UniqueIdentifier, uuid(n))));
    response(enums::Operation::Locate, Item::structure(Tag::ResponsePayload, found))
}

fn response(operation: enums::Operation, payload: Item) -> Item {
    Item::structure(
        Tag::ResponseMessage,
        vec![
            Item::structure(
                Tag::ResponseHeader,
                vec![
                    protocol_version_2_1(),
                    Item::date_time(Tag::TimeStamp, TIME_STAMP),
                    Item::integer(Tag::BatchCount, 1),
                ],
            ),
            Item::structure(
                Tag::BatchItem,
                vec![
                    enumeration(Tag::Operation, operation),
                    enumeration(Tag::ResultStatus, enums::ResultStatus::Success),
                    payload,
                ],
            ),
        ],
    )
}

/// A version 4 UUID in its 36-character text form, distinct for each `n`.
fn uuid(n: u64) -> String {
    let bits = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", bits >> 32, (bits >> 16) & 0xffff, bits & 0xfff, n & 0xfff, n)
}
