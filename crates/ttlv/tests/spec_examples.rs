//! The encoding examples of KMIP 1.4 §9.1.2, decoded and encoded byte for byte.

use keyward_ttlv::{Encoder, Item, Limits, Tag, ValueRef, decode};

/// Bytes from the specification's spaced hex notation ("42 00 20 | 02 | ...").
fn bytes(spec: &str) -> Vec<u8> {
    let digits: String = spec.chars().filter(char::is_ascii_hexdigit).collect();
    hex::decode(digits).expect("hex")
}

const TAG: Tag = Tag(0x420020);

fn check(example: &str, item: Item) {
    let wire = bytes(example);
    assert_eq!(item.to_ttlv(), wire, "encoding {item:?}");
    let decoded = decode(&wire, &Limits::default()).expect("the example decodes");
    assert_eq!(decoded.to_owned_item(), item);
}

#[test]
fn integer() {
    check("42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00", Item::integer(TAG, 8));
}

#[test]
fn long_integer() {
    check("42 00 20 | 03 | 00 00 00 08 | 01 B6 9B 4B A5 74 92 00", Item::long_integer(TAG, 123_456_789_000_000_000));
}

#[test]
fn big_integer_is_sign_extended_to_eight_byte_words() {
    let wire = bytes("42 00 20 | 04 | 00 00 00 10 | 00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00");
    // 1234567890000000000000000000 in its minimal two's complement form: twelve bytes.
    let minimal = bytes("03 FD 35 EB 6B C2 DF 46 18 08 00 00");
    assert_eq!(Item::big_integer(TAG, minimal.clone()).to_ttlv(), wire);
    let decoded = decode(&wire, &Limits::default()).unwrap();
    assert_eq!(decoded.value(), ValueRef::BigInteger(&bytes("00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00")));
    // A negative value is extended with 0xFF.
    let mut encoder = Encoder::new();
    encoder.big_integer(TAG, &[0x80, 0x00]);
    assert_eq!(encoder.as_bytes(), bytes("42 00 20 | 04 | 00 00 00 08 | FF FF FF FF FF FF 80 00"));
}

#[test]
fn enumeration() {
    check("42 00 20 | 05 | 00 00 00 04 | 00 00 00 FF 00 00 00 00", Item::enumeration(TAG, 255));
}

#[test]
fn boolean() {
    check("42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 01", Item::boolean(TAG, true));
}

#[test]
fn text_string() {
    check(
        "42 00 20 | 07 | 00 00 00 0B | 48 65 6C 6C 6F 20 57 6F 72 6C 64 00 00 00 00 00",
        Item::text(TAG, "Hello World"),
    );
}

#[test]
fn byte_string() {
    check("42 00 20 | 08 | 00 00 00 03 | 01 02 03 00 00 00 00 00", Item::bytes(TAG, vec![1, 2, 3]));
}

#[test]
fn date_time() {
    // Friday, March 14, 2008, 11:56:40 GMT.
    check("42 00 20 | 09 | 00 00 00 08 | 00 00 00 00 47 DA 67 F8", Item::date_time(TAG, 1_205_495_800));
}

#[test]
fn interval() {
    check("42 00 20 | 0A | 00 00 00 04 | 00 0D 2F 00 00 00 00 00", Item::interval(TAG, 10 * 86_400));
}

#[test]
fn structure() {
    check(
        "42 00 20 | 01 | 00 00 00 20 | 42 00 04 | 05 | 00 00 00 04 | 00 00 00 FE 00 00 00 00 | 42 00 05 | 02 | 00 00 00 04 | 00 00 00 FF 00 00 00 00",
        Item::structure(TAG, vec![Item::enumeration(Tag(0x420004), 254), Item::integer(Tag(0x420005), 255)]),
    );
}

#[test]
fn date_time_extended_carries_microseconds() {
    check(
        "42 00 20 | 0B | 00 00 00 08 | 00 04 48 64 5C EF EE 00",
        Item::date_time_extended(TAG, 1_205_495_800_000_000),
    );
}
