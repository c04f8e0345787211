//! The audit trail's records: one JSON object per line, chained by SHA-256.
//!
//! Every line holds `seq` (1, 2, 3, ... across all files) and `prev`, the SHA-256 of the previous
//! line's exact bytes (without its newline; 64 zeros before the first record). A `checkpoint`
//! line adds a MAC under the audit key over its sequence number and `prev`, which stands for every
//! line before it. See docs/security/audit.md.

use std::time::{SystemTime, UNIX_EPOCH};

use keyward_core::audit::{AuditEvent, AuditOrigin};
use keyward_crypto::audit::AuditMacKey;
use serde::{Deserialize, Serialize};

/// The `prev` of the very first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Why a checkpoint was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckpointReason {
    /// The server started writing (after its previous checkpoint, possibly in an earlier run).
    Start,
    /// `checkpoint_every` records since the last one.
    Interval,
    /// The last record of a file, before the next file begins.
    Rotation,
    /// The server stopped cleanly.
    Shutdown,
}

/// One line of the trail, as written and as read back. Fields a kind does not use are absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub seq: u64,
    pub prev: String,
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    /// "request" or "checkpoint".
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub identity: Option<String>,
    /// SHA-256 of the client certificate (DER), hexadecimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub transport: Option<String>,
    /// "2.1", "1.4", ...
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// The KMIP operation's name; absent when the request could not be read that far.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub operation: Option<String>,
    /// The Unique Batch Item ID, hexadecimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub batch_item: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub inputs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub outputs: Vec<String>,
    #[serde(skip_serializing_if = "is_zero", default)]
    pub outputs_omitted: usize,
    /// A change on a store several servers share: its commit's number in the cluster's order.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub commit: Option<u64>,
    /// Checkpoints: why it was written.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub checkpoint: Option<CheckpointReason>,
    /// Checkpoints at start: bytes of an incomplete last line the server found and removed.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub discarded_bytes: usize,
    /// Checkpoints: HMAC-SHA256 of [`checkpoint_message`], hexadecimal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mac: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

pub const KIND_REQUEST: &str = "request";
pub const KIND_CHECKPOINT: &str = "checkpoint";

impl Record {
    /// The record of one answered batch item.
    pub fn request(seq: u64, prev: String, time: String, origin: &AuditOrigin, event: &AuditEvent) -> Record {
        Record {
            seq,
            prev,
            time,
            kind: KIND_REQUEST.into(),
            identity: Some(origin.identity.clone()),
            fingerprint: origin.fingerprint.clone(),
            peer: origin.peer.clone(),
            transport: Some(origin.transport.to_string()),
            version: event.version.map(|v| format!("{}.{}", v.major(), v.minor())),
            operation: event.operation.map(|o| format!("{o:?}")).or_else(|| event.action.clone()),
            batch_item: event.batch_item_id.as_deref().map(hex::encode),
            status: Some(format!("{:?}", event.status)),
            reason: event.reason.map(|r| format!("{r:?}")),
            inputs: event.inputs.clone(),
            outputs: event.outputs.clone(),
            outputs_omitted: event.outputs_omitted,
            commit: event.commit,
            ..Record::default()
        }
    }

    /// A checkpoint, MAC'd under `key`.
    pub fn checkpoint(
        seq: u64,
        prev: String,
        time: String,
        reason: CheckpointReason,
        discarded_bytes: usize,
        key: &AuditMacKey,
    ) -> Record {
        let mac = hex::encode(key.mac(&checkpoint_message(seq, &prev, &time, reason, discarded_bytes)));
        Record {
            seq,
            prev,
            time,
            kind: KIND_CHECKPOINT.into(),
            checkpoint: Some(reason),
            discarded_bytes,
            mac: Some(mac),
            ..Record::default()
        }
    }

    pub fn is_checkpoint(&self) -> bool {
        self.kind == KIND_CHECKPOINT
    }

    /// Whether a checkpoint's MAC is right under `key`.
    pub fn checkpoint_mac_valid(&self, key: &AuditMacKey) -> bool {
        let (Some(reason), Some(mac)) = (self.checkpoint, &self.mac) else {
            return false;
        };
        let Ok(tag) = hex::decode(mac) else {
            return false;
        };
        key.verify(&checkpoint_message(self.seq, &self.prev, &self.time, reason, self.discarded_bytes), &tag)
    }

    /// The line to write (without its newline).
    pub fn to_line(&self) -> String {
        // A struct of strings, numbers and lists always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What a checkpoint's MAC covers: a label, its sequence number, the hash of the line before it
/// (which covers, through the chain, every earlier line), and its own fields.
fn checkpoint_message(seq: u64, prev: &str, time: &str, reason: CheckpointReason, discarded: usize) -> Vec<u8> {
    format!("keyward audit checkpoint\0{seq}\0{prev}\0{time}\0{reason:?}\0{discarded}").into_bytes()
}

/// What the head file's MAC covers.
pub fn head_message(seq: u64, hash: &str, file: &str) -> Vec<u8> {
    format!("keyward audit head\0{seq}\0{hash}\0{file}").into_bytes()
}

/// SHA-256 of a line, hexadecimal: the next record's `prev`.
pub fn line_hash(line: &[u8]) -> String {
    String::from_utf8_lossy(&line_hash_hex(line)).into_owned()
}

/// [`line_hash`] as the bytes of its text, without allocating: the flusher's form, one per record.
pub fn line_hash_hex(line: &[u8]) -> [u8; 64] {
    let mut text = [0u8; 64];
    let _ = hex::encode_to_slice(keyward_crypto::sha256(line), &mut text);
    text
}

/// Now, in RFC 3339 UTC with milliseconds. The text up to the second is kept per thread and
/// made again only when the second changes: most requests of a busy server share it.
pub fn now_rfc3339() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    rfc3339_cached(since.as_secs(), since.subsec_millis())
}

/// [`rfc3339`], with the text up to the second kept per thread.
pub fn rfc3339_cached(seconds: u64, millis: u32) -> String {
    let mut text = Vec::with_capacity(24);
    push_rfc3339_cached(&mut text, seconds, millis);
    String::from_utf8_lossy(&text).into_owned()
}

/// Appends [`rfc3339_cached`]'s text to `out`, without allocating: the flusher writes one per
/// record.
pub fn push_rfc3339_cached(out: &mut Vec<u8>, seconds: u64, millis: u32) {
    use std::cell::RefCell;
    thread_local! {
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    SECOND.with_borrow_mut(|(second, prefix)| {
        if *second != seconds {
            let full = rfc3339(seconds as i64, 0);
            *prefix = full.strip_suffix("000Z").unwrap_or(&full).to_string();
            *second = seconds;
        }
        out.extend_from_slice(prefix.as_bytes());
    });
    let millis = millis % 1000;
    out.extend_from_slice(&[b'0' + (millis / 100) as u8, b'0' + (millis / 10 % 10) as u8, b'0' + (millis % 10) as u8]);
    out.push(b'Z');
}

/// A Unix time in RFC 3339 UTC with milliseconds.
pub fn rfc3339(seconds: i64, millis: u32) -> String {
    match time::OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            millis
        ),
        Err(_) => format!("{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_rfc3339_with_milliseconds() {
        let now = now_rfc3339();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T' && now.as_bytes()[19] == b'.', "{now}");
        assert_eq!(rfc3339(1_700_000_000, 7), "2023-11-14T22:13:20.007Z");
    }

    #[test]
    fn a_checkpoint_mac_covers_its_fields() {
        let key = AuditMacKey::derive(&[1; 32]);
        let record = Record::checkpoint(7, GENESIS.into(), rfc3339(0, 5), CheckpointReason::Interval, 0, &key);
        assert_eq!(record.time, "1970-01-01T00:00:00.005Z");
        assert!(record.checkpoint_mac_valid(&key));
        let parsed: Record = serde_json::from_str(&record.to_line()).unwrap();
        assert_eq!(parsed, record);
        let moved = Record { seq: 8, ..record.clone() };
        assert!(!moved.checkpoint_mac_valid(&key));
        assert!(!record.checkpoint_mac_valid(&AuditMacKey::derive(&[2; 32])));
    }
}
