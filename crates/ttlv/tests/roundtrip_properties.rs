//! Property tests: any item tree survives TTLV, XML and JSON unchanged, and no byte string makes the
//! decoder panic.

use keyward_ttlv::{Item, Limits, Tag, Value, decode, json, xml};
use proptest::prelude::*;
use zeroize::Zeroizing;

/// Tags from the dictionary (so the encodings use names) and from the extension range (so they use
/// the hex forms).
fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        prop::sample::select(vec![
            Tag::ActivationDate,
            Tag::AttributeValue,
            Tag::ObjectType,
            Tag::CryptographicUsageMask,
            Tag::KeyMaterial,
            Tag::UniqueIdentifier,
            Tag::BatchCount,
            Tag::Attribute,
        ]),
        (0x540000u32..=0x54FFFF).prop_map(Tag),
    ]
}

/// A Big Integer in its canonical TTLV form: whole eight-byte words, so that decoding gives back the
/// same bytes.
fn big_integer() -> impl Strategy<Value = Vec<u8>> {
    (1usize..4).prop_flat_map(|words| prop::collection::vec(any::<u8>(), words * 8))
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        any::<i64>().prop_map(Value::LongInteger),
        big_integer().prop_map(|b| Value::BigInteger(Zeroizing::new(b))),
        any::<u32>().prop_map(Value::Enumeration),
        any::<bool>().prop_map(Value::Boolean),
        // Any text XML 1.0 can carry: everything but the C0 controls other than tab and line breaks.
        "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F]*".prop_map(Value::TextString),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| Value::ByteString(Zeroizing::new(b))),
        (-62_135_596_800i64..253_402_300_799).prop_map(Value::DateTime),
        any::<u32>().prop_map(Value::Interval),
        (-62_135_596_800_000_000i64..253_402_300_799_000_000).prop_map(Value::DateTimeExtended),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    let leaf = (tag(), scalar()).prop_map(|(tag, value)| Item::new(tag, value));
    leaf.prop_recursive(5, 64, 8, |inner| {
        (tag(), prop::collection::vec(inner, 0..8)).prop_map(|(tag, children)| Item::structure(tag, children))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ttlv_round_trips(item in item()) {
        let wire = item.to_ttlv();
        let decoded = decode(&wire, &Limits::default()).expect("our own encoding decodes");
        prop_assert_eq!(decoded.to_owned_item(), item);
    }

    #[test]
    fn xml_round_trips(item in item()) {
        let text = xml::to_string(&item);
        let back = xml::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, item);
    }

    #[test]
    fn json_round_trips(item in item()) {
        let text = json::to_string(&item);
        let back = json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, item);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes, &Limits::default());
    }

    #[test]
    fn corrupted_messages_never_panic_the_decoder(item in item(), position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut wire = item.to_ttlv();
        let at = position.index(wire.len());
        wire[at] = byte;
        if let Ok(root) = decode(&wire, &Limits::default()) {
            // Whatever still decodes is readable to the end.
            let _ = root.to_owned_item();
        }
    }
}
