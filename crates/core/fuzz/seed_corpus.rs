//! Writes a seed corpus for the `dispatch` and `request_model` targets from the OASIS test cases:
//! every Request Message of every `*.xml` file under the given directory, placeholders replaced by
//! plausible values, encoded as TTLV. `dispatch` takes a first byte choosing the client (odd: the
//! administrator), so its files are written twice, once for each client.
//!
//! From `crates/core/fuzz` (the main workspace's target directory already holds its dependencies):
//!
//! ```text
//! cargo run --example seed_corpus --target-dir ../../../target -- \
//!     ../../../../shared/kmip-testcases corpus/request_model corpus/dispatch
//! ```

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use keyward_ttlv::{Tag, xml};

/// 2023-11-14T22:13:20Z, where the dispatch target's clock starts.
const NOW: i64 = 1_700_000_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cases, model_dir, dispatch_dir] = args.as_slice() else {
        eprintln!("usage: seed_corpus <test case dir> <request_model corpus dir> <dispatch corpus dir>");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    collect(Path::new(cases), &mut files);
    files.sort();
    fs::create_dir_all(model_dir).expect("create the request_model corpus directory");
    fs::create_dir_all(dispatch_dir).expect("create the dispatch corpus directory");
    let mut messages = BTreeSet::new();
    let mut refused = 0;
    for file in &files {
        let Ok(text) = fs::read_to_string(file) else { continue };
        match xml::parse_items(&replace_placeholders(&text)) {
            Ok(items) => {
                messages.extend(items.iter().filter(|i| i.tag == Tag::RequestMessage).map(|i| i.to_ttlv()));
            }
            Err(error) => {
                eprintln!("{}: {error}", file.display());
                refused += 1;
            }
        }
    }
    for message in &messages {
        let name = hex(&fnv(message).to_be_bytes());
        fs::write(Path::new(model_dir).join(&name), message).expect("write a seed");
        for who in [0u8, 1] {
            let mut seed = vec![who];
            seed.extend_from_slice(message);
            fs::write(Path::new(dispatch_dir).join(format!("{name}-{who}")), seed).expect("write a seed");
        }
    }
    eprintln!("{} files, {} refused, {} distinct request messages", files.len(), refused, messages.len());
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "xml") {
            files.push(path);
        }
    }
}

/// The test cases' placeholders (`$NOW`, `$UNIQUE_IDENTIFIER_3`, ...) as values of the right type.
/// Identifiers become fixed UUIDs: the dispatcher issues random ones, so they name no object, but
/// they take the paths of a well-formed identifier.
fn replace_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let len =
            after.find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')).unwrap_or(after.len());
        let name = &after[..len];
        let number: u32 = name.rsplit('_').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let mut len = len;
        let value = match name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_') {
            // `$NOW`, `$NOW-3600`, `$NOW+3600`: 2023-11-14T22:13:20Z, the dispatch target's clock.
            "NOW" => {
                let offset = &after[len..];
                let digits = offset.get(1..).map_or(0, |o| o.find(|c: char| !c.is_ascii_digit()).unwrap_or(o.len()));
                let shift: i64 = if digits > 0 && (offset.starts_with('-') || offset.starts_with('+')) {
                    len += 1 + digits;
                    offset[..1 + digits].parse().unwrap_or(0)
                } else {
                    0
                };
                keyward_ttlv::datetime::format_seconds(NOW + shift)
            }
            "UNIQUE_IDENTIFIER" => format!("00000000-0000-4000-8000-{number:012}"),
            "SHORT_UNIQUE_IDENTIFIER" => format!("{number:016x}"),
            // A Byte String in the 2.x streaming operations.
            "CORRELATION_VALUE" => "00010203".to_string(),
            // Byte Strings: signature, data, IV, key material, tag, MAC.
            "" => "$".to_string(),
            _ => "000102030405060708090a0b0c0d0e0f".to_string(),
        };
        out.push_str(&value);
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
