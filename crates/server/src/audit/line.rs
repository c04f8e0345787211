//! Writing a request record's line by hand: what a request pays for its record is mostly this,
//! and serde's general path (a [`Record`](super::record::Record) of owned strings, then
//! serialized) cost several times more. The output is the same JSON, field for field, that
//! `Record` reads back (a test checks it).

use std::io::Write;

use keyward_core::audit::{AuditEvent, AuditOrigin};

/// Appends a request record's fields after `seq` and `prev` (from `,"time"` to the closing
/// brace, no newline) to `out`.
pub fn request_body(out: &mut Vec<u8>, time: &str, origin: &AuditOrigin, event: &AuditEvent) {
    out.extend_from_slice(b"\"time\":\"");
    out.extend_from_slice(time.as_bytes());
    out.extend_from_slice(b"\",\"kind\":\"request\",\"identity\":");
    string(out, &origin.identity);
    if let Some(fingerprint) = &origin.fingerprint {
        out.extend_from_slice(b",\"fingerprint\":");
        string(out, fingerprint);
    }
    if let Some(peer) = &origin.peer {
        out.extend_from_slice(b",\"peer\":");
        string(out, peer);
    }
    out.extend_from_slice(b",\"transport\":");
    string(out, origin.transport);
    if let Some(version) = event.version {
        let _ = write!(out, ",\"version\":\"{}.{}\"", version.major(), version.minor());
    }
    // Enumeration names from their Debug form: identifiers, nothing to escape.
    if let Some(operation) = event.operation {
        let _ = write!(out, ",\"operation\":\"{operation:?}\"");
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
    let _ = write!(out, ",\"status\":\"{:?}\"", event.status);
    if let Some(reason) = event.reason {
        let _ = write!(out, ",\"reason\":\"{reason:?}\"");
    }
    list(out, "inputs", &event.inputs);
    list(out, "outputs", &event.outputs);
    if event.outputs_omitted > 0 {
        let _ = write!(out, ",\"outputs_omitted\":{}", event.outputs_omitted);
    }
    out.push(b'}');
}

fn list(out: &mut Vec<u8>, name: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    let _ = write!(out, ",\"{name}\":[");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, value);
    }
    out.push(b']');
}

/// A JSON string (RFC 8259 §7): quotes, backslashes and control characters escaped.
fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    // Most values (identifiers, names, addresses) have nothing to escape: copied at once.
    if !text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
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
    use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};
    use keyward_ttlv::KmipVersion;

    use super::*;
    use crate::audit::record::Record;

    #[test]
    fn the_line_is_what_serde_writes_and_reads() {
        let origin = AuditOrigin {
            identity: "o\"dd\\name\u{1}\n\té".into(),
            fingerprint: Some("ab".repeat(32)),
            peer: Some("[::1]:5000".into()),
            transport: "https",
        };
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
        };
        let time = "2026-12-05T20:31:07.412Z";
        let mut line = br#"{"seq":0,"prev":"","#.to_vec();
        request_body(&mut line, time, &origin, &event);
        let by_serde = Record::request(0, String::new(), time.into(), &origin, &event);
        assert_eq!(String::from_utf8(line.clone()).unwrap(), by_serde.to_line());
        assert_eq!(serde_json::from_slice::<Record>(&line).unwrap(), by_serde);
        let bare = AuditEvent {
            version: None,
            operation: None,
            action: None,
            batch_item_id: None,
            reason: None,
            inputs: vec![],
            outputs: vec![],
            outputs_omitted: 0,
            ..event
        };
        let mut line = br#"{"seq":0,"prev":"","#.to_vec();
        request_body(&mut line, time, &AuditOrigin { fingerprint: None, peer: None, ..origin.clone() }, &bare);
        let by_serde = Record::request(
            0,
            String::new(),
            time.into(),
            &AuditOrigin { fingerprint: None, peer: None, ..origin },
            &bare,
        );
        assert_eq!(String::from_utf8(line).unwrap(), by_serde.to_line());

        // A management call: its action in place of the operation, escaped as any string.
        let call = AuditEvent { operation: None, action: Some("POST /v1/grants?x=\"".into()), ..bare };
        let mut line = br#"{"seq":0,"prev":"","#.to_vec();
        request_body(&mut line, time, &AuditOrigin { transport: "management", ..AuditOrigin::default() }, &call);
        let read: Record = serde_json::from_slice(&line).unwrap();
        assert_eq!(read.operation.as_deref(), Some("POST /v1/grants?x=\""));
    }
}
