//! Arbitrary bytes through the TTLV decoder and then the typed KMIP model: the request message in
//! the version it claims, and every batch item in every version we speak. Neither may panic, and
//! whatever decodes must encode again without a panic.

#![no_main]

use keyward_kmip::Cx;
use keyward_kmip::message::{RequestBatchItem, RequestMessage};
use keyward_ttlv::{Encoder, KmipVersion, Limits, Tag, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|wire: &[u8]| {
    let limits = Limits::default();
    let Ok(root) = decode(wire, &limits) else { return };

    // The path the dispatcher takes: the header's Protocol Version decides how the rest is read.
    if let Ok(message) = RequestMessage::decode(root) {
        let mut out = Encoder::new();
        message.encode(&mut out);
        decode(out.as_bytes(), &limits).expect("a re-encoded request message is valid TTLV");
    }

    // Each batch item in every version, strict and ignoring unknown fields (a client of a newer
    // minor version), whatever the header says.
    let items = root.children().filter(|c| c.tag() == Tag::BatchItem);
    for item in items.take(4) {
        for version in KmipVersion::ALL {
            for ignore_unknown_fields in [false, true] {
                let cx = Cx { ignore_unknown_fields, ..Cx::new(version) };
                if let Ok(decoded) = RequestBatchItem::decode(item, &cx) {
                    let mut out = Encoder::new();
                    decoded.encode(&mut out, &cx);
                    decode(out.as_bytes(), &limits).expect("a re-encoded batch item is valid TTLV");
                }
            }
        }
    }
});
