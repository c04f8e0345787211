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
        enum_name(out, operation);
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
    enum_name(out, event.status);
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

/// A JSON string (RFC 8259 §7): quotes, backslashes and control characters escaped.
fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    // Most values (identifiers, names, addresses) have nothing to escape: copied at once.
    if !text.bytes().any(|b| ESCAPED[usize::from(b)]) {
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
}
