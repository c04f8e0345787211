//! Arbitrary bytes through the strict decoder. Whatever it accepts must survive every conversion
//! the server and `keyward ttlv` make: to an owned tree, back to TTLV, and through the XML and
//! JSON encodings, each time unchanged.

#![no_main]

use keyward_ttlv::{Item, Limits, Value, decode, json, xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|wire: &[u8]| {
    let limits = Limits::default();
    let Ok(root) = decode(wire, &limits) else { return };
    let item = root.to_owned_item();

    // The decoder accepts only the canonical form (exact lengths, zero padding, Booleans of 0 or
    // 1), so encoding what it read gives back the very same bytes.
    let reencoded = item.to_ttlv();
    assert_eq!(reencoded, wire, "re-encoding changed the bytes");
    let again = decode(&reencoded, &limits).expect("the re-encoding decodes");
    assert_eq!(again.to_owned_item(), item, "the re-encoding decodes to another tree");

    if xml_can_carry(&item) {
        let text = xml::to_string(&item);
        let parsed = xml::from_str(&text).unwrap_or_else(|e| panic!("the XML writer's output is refused: {e}\n{text}"));
        assert_eq!(parsed, item, "XML changed the tree:\n{text}");
    }

    let text = json::to_string(&item);
    let parsed = json::from_str(&text).unwrap_or_else(|e| panic!("the JSON writer's output is refused: {e}\n{text}"));
    assert_eq!(parsed, item, "JSON changed the tree:\n{text}");
});

/// XML 1.0 has no way to write the C0 control characters other than tab, line feed and carriage
/// return, not even as character references, so a Text String holding one cannot go through XML.
fn xml_can_carry(item: &Item) -> bool {
    match &item.value {
        Value::Structure(children) => children.iter().all(xml_can_carry),
        Value::TextString(text) => !text.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r')),
        _ => true,
    }
}
