//! Every way the decoder refuses a message, and where it says the fault is.

use keyward_ttlv::{DecodeErrorKind, Item, ItemType, Limits, Tag, decode, message_length};

fn hex(spec: &str) -> Vec<u8> {
    let digits: String = spec.chars().filter(char::is_ascii_hexdigit).collect();
    hex::decode(digits).expect("hex")
}

fn refuse(wire: &[u8], limits: &Limits) -> (usize, DecodeErrorKind) {
    let error = decode(wire, limits).expect_err("the message must be refused");
    (error.offset, error.kind)
}

fn refused(wire: &[u8]) -> (usize, DecodeErrorKind) {
    refuse(wire, &Limits::default())
}

#[test]
fn truncated_header() {
    assert_eq!(refused(&hex("42 00 20 | 02 | 00 00")), (0, DecodeErrorKind::TruncatedHeader));
    assert_eq!(refused(&[]), (0, DecodeErrorKind::TruncatedHeader));
}

#[test]
fn truncated_value() {
    let (offset, kind) = refused(&hex("42 00 20 | 07 | 00 00 00 0B | 48 65 6C 6C 6F"));
    assert_eq!(offset, 8);
    assert_eq!(kind, DecodeErrorKind::TruncatedValue { needed: 16, available: 5 });
}

#[test]
fn non_zero_padding() {
    assert_eq!(
        refused(&hex("42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 01 00")),
        (12, DecodeErrorKind::NonZeroPadding)
    );
    assert_eq!(
        refused(&hex("42 00 20 | 08 | 00 00 00 03 | 01 02 03 00 00 00 00 FF")),
        (11, DecodeErrorKind::NonZeroPadding)
    );
}

#[test]
fn wrong_fixed_length() {
    let (_, kind) = refused(&hex("42 00 20 | 02 | 00 00 00 08 | 00 00 00 08 00 00 00 00"));
    assert_eq!(kind, DecodeErrorKind::WrongLength { item_type: ItemType::Integer, expected: 4, length: 8 });
    let (_, kind) = refused(&hex("42 00 20 | 06 | 00 00 00 04 | 00 00 00 01 00 00 00 00"));
    assert_eq!(kind, DecodeErrorKind::WrongLength { item_type: ItemType::Boolean, expected: 8, length: 4 });
    let (_, kind) = refused(&hex("42 00 20 | 04 | 00 00 00 04 | 00 00 00 01 00 00 00 00"));
    assert_eq!(kind, DecodeErrorKind::BigIntegerLength(4));
}

#[test]
fn boolean_other_than_zero_or_one() {
    assert_eq!(
        refused(&hex("42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 02")),
        (8, DecodeErrorKind::InvalidBoolean(2))
    );
}

#[test]
fn invalid_utf8() {
    assert_eq!(
        refused(&hex("42 00 20 | 07 | 00 00 00 02 | C3 28 00 00 00 00 00 00")),
        (8, DecodeErrorKind::InvalidUtf8)
    );
}

#[test]
fn unknown_type_and_tag_range() {
    assert_eq!(refused(&hex("42 00 20 | 0C | 00 00 00 00")), (0, DecodeErrorKind::UnknownItemType(0x0C)));
    assert_eq!(
        refused(&hex("43 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00")),
        (0, DecodeErrorKind::InvalidTag(0x430020))
    );
}

#[test]
fn structure_overrun() {
    // The structure claims 8 bytes; its child needs 16.
    let wire = hex("42 00 20 | 01 | 00 00 00 08 | 42 00 04 | 02 | 00 00 00 04 | 00 00 00 FE 00 00 00 00");
    assert_eq!(refused(&wire), (8, DecodeErrorKind::StructureOverrun));
}

#[test]
fn structure_length_not_matching_contents() {
    // The structure claims 24 bytes: its 16-byte child leaves 8 bytes that are not an item.
    let wire = hex(
        "42 00 20 | 01 | 00 00 00 18 | 42 00 04 | 02 | 00 00 00 04 | 00 00 00 FE 00 00 00 00 | 00 00 00 00 00 00 00 00",
    );
    assert_eq!(refused(&wire), (24, DecodeErrorKind::InvalidTag(0)));
    // A structure length that is not a multiple of eight cannot match padded children.
    let wire = hex("42 00 20 | 01 | 00 00 00 0C | 42 00 04 | 02 | 00 00 00 04 | 00 00 00 FE 00 00 00 00");
    assert!(decode(&wire, &Limits::default()).is_err());
}

#[test]
fn trailing_bytes() {
    let mut wire = Item::integer(Tag(0x420020), 8).to_ttlv();
    wire.extend_from_slice(&[0; 8]);
    assert_eq!(refused(&wire), (16, DecodeErrorKind::TrailingBytes(8)));
}

#[test]
fn depth_bomb() {
    let mut item = Item::integer(Tag(0x420020), 1);
    for _ in 0..100 {
        item = Item::structure(Tag(0x420020), vec![item]);
    }
    let wire = item.to_ttlv();
    let limits = Limits { max_depth: 16, ..Limits::default() };
    let (_, kind) = refuse(&wire, &limits);
    assert_eq!(kind, DecodeErrorKind::TooDeep { limit: 16 });
}

#[test]
fn item_count_bomb() {
    let item = Item::structure(Tag(0x420020), (0..1000).map(|i| Item::integer(Tag(0x420005), i)).collect());
    let limits = Limits { max_items: 100, ..Limits::default() };
    assert_eq!(refuse(&item.to_ttlv(), &limits).1, DecodeErrorKind::TooManyItems { limit: 100 });
}

#[test]
fn oversized_length_is_refused_from_the_header() {
    // A 4 GiB structure announced in eight bytes: refused before anything is read or allocated.
    let header: [u8; 8] = hex("42 00 78 | 01 | FF FF FF F8").try_into().unwrap();
    let kind = message_length(&header, &Limits::default()).unwrap_err().kind;
    assert!(matches!(kind, DecodeErrorKind::MessageTooLarge { length: 0x1_0000_0000, .. }), "{kind:?}");
    let small: [u8; 8] = hex("42 00 78 | 01 | 00 00 00 10").try_into().unwrap();
    assert_eq!(message_length(&small, &Limits::default()), Ok(24));
    // The same header on a short buffer is a truncation, not an allocation.
    assert!(matches!(refused(&header).1, DecodeErrorKind::TruncatedValue { .. }));
}
