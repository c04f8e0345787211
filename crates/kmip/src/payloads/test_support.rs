//! Helpers for the payload tests. The expected wire forms are written by hand as KMIP XML (the
//! encoding of the OASIS test cases), following the specification's tables; they are never
//! taken from our own encoder.

use std::fmt::Debug;

use keyward_ttlv::{KmipVersion, Limits, Tag};

use crate::codec::{Codec, Cx, decode_bytes, encode_bytes};

/// The TTLV bytes of one item written in XML.
pub(crate) fn wire(xml: &str) -> Vec<u8> {
    keyward_ttlv::xml::from_str(xml).expect("the test's XML is valid").to_ttlv()
}

/// Decodes a payload written in XML, as a message of `version` would carry it.
pub(crate) fn decode_xml<T: Codec>(xml: &str, version: KmipVersion) -> T {
    decode_bytes(&wire(xml), &Cx::new(version)).expect("the payload decodes")
}

/// Checks both directions: `value` encodes for `version` to exactly the XML's bytes, and the
/// XML decodes to `value`.
pub(crate) fn assert_wire_form<T: Codec + PartialEq + Debug>(value: &T, xml: &str, version: KmipVersion) {
    assert_encodes_to(value, xml, version);
    assert_eq!(&decode_xml::<T>(xml, version), value, "decoding the {version:?} form");
}

/// Checks that `value` encodes for `version` to exactly the XML's bytes.
pub(crate) fn assert_encodes_to<T: Codec>(value: &T, xml: &str, version: KmipVersion) {
    let expected = wire(xml);
    let tag = keyward_ttlv::xml::from_str(xml).map(|item| item.tag).unwrap_or(Tag::RequestPayload);
    let ours = encode_bytes(value, tag, &Cx::new(version));
    if ours != expected {
        let dump = |bytes: &[u8]| {
            keyward_ttlv::decode_owned(bytes, &Limits::default())
                .map_or_else(|e| e.to_string(), |i| keyward_ttlv::text::dump(&i))
        };
        panic!("encoding for {version:?} differs.\nexpected:\n{}\ngot:\n{}", dump(&expected), dump(&ours));
    }
}
