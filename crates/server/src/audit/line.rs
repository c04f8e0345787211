//! Writing a request record's line by hand: serde's general path (a [`Record`](super::record::Record)
//! of owned strings, then serialized) cost several times more. The output is the same JSON, field
//! for field, that `Record` reads back (a test checks it).
//!
//! A request writes its own records' bodies (everything after `seq` and `prev`) on its own
//! thread, while its event is in the cache, and hands the flusher bytes; the flusher only puts
//! the chain's fields in front and hashes (docs/performance.md, "Audit trail"). The time's text up
//! to the second is kept per thread ([`super::record::push_rfc3339_cached`]).

use std::io::Write;

use keyward_core::audit::{AuditEvent, AuditOrigin};
use keyward_ttlv::KmipEnum;
use keyward_ttlv::enums::{Operation, ResultStatus};

/// Appends a request record's fields after `seq` and `prev` (from `"time"` to the closing brace,
/// no newline) to `out`; `millis` is the request's time since the Unix epoch.
pub fn request_body(out: &mut Vec<u8>, millis: u64, origin: &AuditOrigin, event: &AuditEvent) {
    out.extend_from_slice(b"\"time\":\"");
    super::record::push_rfc3339_cached(out, millis / 1000, (millis % 1000) as u32);
    out.extend_from_slice(b"\",\"kind\":\"request\",");
    out.extend_from_slice(origin.rendered(origin_fields));
    event_fields(out, event);
}

/// A request record's fields from `"identity"` to `"transport"`: once per connection.
fn origin_fields(origin: &AuditOrigin) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    out.extend_from_slice(b"\"identity\":");
    string(&mut out, &origin.identity);
    if let Some(fingerprint) = &origin.fingerprint {
        out.extend_from_slice(b",\"fingerprint\":");
        string(&mut out, fingerprint);
    }
    if let Some(peer) = &origin.peer {
        out.extend_from_slice(b",\"peer\":");
        string(&mut out, peer);
    }
    out.extend_from_slice(b",\"transport\":");
    string(&mut out, origin.transport);
    out
}

/// The fields of the event, from `,"version"` to the closing brace.
fn event_fields(out: &mut Vec<u8>, event: &AuditEvent) {
    if let Some(version) = event.version {
        out.extend_from_slice(b",\"version\":\"");
        number(out, u64::from(version.major().unsigned_abs()));
        out.push(b'.');
        number(out, u64::from(version.minor().unsigned_abs()));
        out.push(b'"');
    }
    if let Some(operation) = event.operation {
        out.extend_from_slice(b",\"operation\":\"");
        OPERATIONS.write(out, operation);
        out.push(b'"');
    } else if let Some(action) = &event.action {
        out.extend_from_slice(b",\"operation\":");
        string(out, action);
    }
    if let Some(id) = &event.batch_item_id {
        out.extend_from_slice(b",\"batch_item\":\"");
        let start = out.len();
        out.resize(start + 2 * id.len(), 0);
        let _ = hex::encode_to_slice(id, &mut out[start..]);
        out.push(b'"');
    }
    out.extend_from_slice(b",\"status\":\"");
    STATUSES.write(out, event.status);
    out.push(b'"');
    if let Some(reason) = event.reason {
        out.extend_from_slice(b",\"reason\":\"");
        enum_name(out, reason);
        out.push(b'"');
    }
    list(out, "inputs", &event.inputs);
    list(out, "outputs", &event.outputs);
    if event.outputs_omitted > 0 {
        out.extend_from_slice(b",\"outputs_omitted\":");
        number(out, event.outputs_omitted as u64);
    }
    if let Some(commit) = event.commit {
        out.extend_from_slice(b",\"commit\":");
        number(out, commit);
    }
    out.push(b'}');
}

/// An enumeration value's name as its Debug form writes it (the dictionary's CamelCase name, an
/// identifier: nothing to escape), taken from the dictionary without the formatter.
fn enum_name<E: KmipEnum + std::fmt::Debug>(out: &mut Vec<u8>, value: E) {
    match E::DEF.value_def(value.value()) {
        Some(def) => out.extend_from_slice(def.camel.as_bytes()),
        None => {
            let _ = write!(out, "{value:?}");
        }
    }
}

/// The names of the values 0 to 63 of one enumeration, indexed by value: every record names an
/// operation and a status, and the dictionary's binary search, its branches unpredictable, cost
/// more than the rest of the field (docs/performance.md, "Audit trail").
struct SmallNames<E>(std::sync::OnceLock<[Option<&'static str>; 64]>, std::marker::PhantomData<E>);

impl<E: KmipEnum + std::fmt::Debug> SmallNames<E> {
    const fn new() -> SmallNames<E> {
        SmallNames(std::sync::OnceLock::new(), std::marker::PhantomData)
    }

    fn write(&self, out: &mut Vec<u8>, value: E) {
        let names = self.0.get_or_init(|| std::array::from_fn(|at| E::DEF.value_def(at as u32).map(|def| def.camel)));
        match usize::try_from(value.value()).ok().and_then(|at| names.get(at).copied().flatten()) {
            Some(name) => out.extend_from_slice(name.as_bytes()),
            None => enum_name(out, value),
        }
    }
}

static OPERATIONS: SmallNames<Operation> = SmallNames::new();
static STATUSES: SmallNames<ResultStatus> = SmallNames::new();

/// A decimal number.
pub fn number(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

fn list(out: &mut Vec<u8>, name: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":[");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, value);
    }
    out.push(b']');
}

/// The bytes a JSON string cannot hold as they are: control characters, quote, backslash (a table
/// look-up: the check runs over every identifier of every record).
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// True when a byte of `text` is in [`ESCAPED`]. Eight bytes at a time (the identifiers of every
/// record go through it), with the word tests of "Bit Twiddling Hacks": a word has a byte below
/// n (n <= 128) when `(w - n * 0x01..01) & !w & 0x80..80` is not zero, and a byte equal to b when
/// `w ^ (b * 0x01..01)` has a byte below 1.
fn needs_escape(text: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let mut words = text.chunks_exact(8);
    for chunk in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let word = u64::from_le_bytes(bytes);
        let control = word.wrapping_sub(0x20 * ONES) & !word & HIGH;
        if control | has_zero(word ^ (u64::from(b'"') * ONES)) | has_zero(word ^ (u64::from(b'\\') * ONES)) != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&b| ESCAPED[usize::from(b)])
}

/// A JSON string (RFC 8259 §7): quotes, backslashes and control characters escaped.
fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    // Most values (identifiers, names, addresses) have nothing to escape: copied at once.
    if !needs_escape(text.as_bytes()) {
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        return;
    }
    for &byte in text.as_bytes() {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            // The short forms serde_json writes, so that both write the same bytes.
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..0x20 => {
                let _ = write!(out, "\\u{byte:04x}");
            }
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};
    use keyward_ttlv::KmipVersion;

    use super::*;
    use crate::audit::record::{Record, rfc3339};

    /// The line [`request_body`] makes, after a `seq` and `prev` of 0 and "".
    fn line(millis: u64, origin: &AuditOrigin, event: &AuditEvent) -> Vec<u8> {
        let mut line = br#"{"seq":0,"prev":"","#.to_vec();
        request_body(&mut line, millis, origin, event);
        line
    }

    fn serde_line(millis: u64, origin: &AuditOrigin, event: &AuditEvent) -> String {
        let time = rfc3339((millis / 1000) as i64, (millis % 1000) as u32);
        Record::request(0, String::new(), time, origin, event).to_line()
    }

    #[test]
    fn the_line_is_what_serde_writes_and_reads() {
        let origin = Arc::new(AuditOrigin {
            identity: "o\"dd\\name\u{1}\n\té".into(),
            fingerprint: Some("ab".repeat(32)),
            peer: Some("[::1]:5000".into()),
            transport: "https",
            ..AuditOrigin::default()
        });
        let event = AuditEvent {
            version: Some(KmipVersion::V1_4),
            operation: Some(Operation::ReKeyKeyPair),
            action: None,
            batch_item_id: Some(vec![0, 0xff]),
            status: ResultStatus::OperationFailed,
            reason: Some(ResultReason::ItemNotFound),
            inputs: vec!["a".into(), "b\"".into()],
            outputs: vec!["c".into()],
            outputs_omitted: 3,
            commit: Some(1_234_567),
        };
        let millis = 1_796_502_667_412;
        let written = line(millis, &origin, &event);
        let by_serde = serde_line(millis, &origin, &event);
        assert_eq!(String::from_utf8(written.clone()).unwrap(), by_serde);
        assert_eq!(serde_json::from_slice::<Record>(&written).unwrap().to_line(), by_serde);

        // The origin's rendering and the second's text reused; the milliseconds' zeros kept.
        for millis in [millis, millis + 5, millis + 1_000, 0, 999] {
            let written = line(millis, &origin, &event);
            assert_eq!(String::from_utf8(written).unwrap(), serde_line(millis, &origin, &event));
        }

        let bare_origin = Arc::new(AuditOrigin { fingerprint: None, peer: None, ..(*origin).clone() });
        let bare = AuditEvent {
            version: None,
            operation: None,
            action: None,
            batch_item_id: None,
            reason: None,
            inputs: vec![],
            outputs: vec![],
            outputs_omitted: 0,
            commit: None,
            ..event
        };
        let written = line(millis, &bare_origin, &bare);
        assert_eq!(String::from_utf8(written).unwrap(), serde_line(millis, &bare_origin, &bare));

        // Values the dictionary does not name are written as their Debug form is.
        let unknown = AuditEvent {
            operation: Some(Operation(0x8000_0001)),
            reason: Some(ResultReason(0x0000_7777)),
            version: Some(KmipVersion::V2_1),
            ..bare.clone()
        };
        let written = line(millis, &origin, &unknown);
        assert_eq!(String::from_utf8(written).unwrap(), serde_line(millis, &origin, &unknown));

        // A management call: its action in place of the operation, escaped as any string.
        let call = AuditEvent { operation: None, action: Some("POST /v1/grants?x=\"".into()), ..bare };
        let management = Arc::new(AuditOrigin { transport: "management", ..AuditOrigin::default() });
        let read: Record = serde_json::from_slice(&line(millis, &management, &call)).unwrap();
        assert_eq!(read.operation.as_deref(), Some("POST /v1/grants?x=\""));
    }

    #[test]
    fn numbers_are_decimal() {
        for value in [0, 7, 10, 1234567890, u64::MAX] {
            let mut out = Vec::new();
            number(&mut out, value);
            assert_eq!(out, value.to_string().into_bytes());
        }
    }

    #[test]
    fn the_word_check_finds_what_the_table_finds() {
        let by_table = |text: &[u8]| text.iter().any(|&b| ESCAPED[usize::from(b)]);
        // Every byte value at every place of a string one longer than two words, on fillers
        // just above and below the bytes that must be escaped, and on bytes with the high bit set.
        for filler in [b'a', b' ', b'#', b'!', b'[', b']', 0x7f, 0x80, 0xff] {
            for place in 0..17 {
                for byte in 0..=255u8 {
                    let mut text = vec![filler; 17];
                    text[place] = byte;
                    assert_eq!(needs_escape(&text), by_table(&text), "{byte:#x} at {place} among {filler:#x}");
                }
            }
        }
        for length in 0..24 {
            let text = vec![b'x'; length];
            assert!(!needs_escape(&text));
        }
    }

    #[test]
    fn enumeration_names_come_from_the_dictionary() {
        for operation in [Operation::Get, Operation::Create, Operation::Encrypt, Operation::from_value(0x8000_0001)] {
            let (mut fast, mut general) = (Vec::new(), Vec::new());
            OPERATIONS.write(&mut fast, operation);
            enum_name(&mut general, operation);
            assert_eq!(fast, general);
            assert_eq!(String::from_utf8(fast).unwrap(), format!("{operation:?}"));
        }
        let mut out = Vec::new();
        STATUSES.write(&mut out, ResultStatus::OperationFailed);
        assert_eq!(out, b"OperationFailed");
    }
}
