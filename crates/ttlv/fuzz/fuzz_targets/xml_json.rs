//! Arbitrary text through the XML and JSON readers: they may refuse it, but must never panic.

#![no_main]

use keyward_ttlv::{json, xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = xml::parse_items(text);
    let _ = json::parse_items(text);
});
