//! The tamper-evident audit trail (docs/security/audit.md): keyward-core hands over one
//! [`keyward_core::AuditEvent`] per answered batch item; this module writes them as hash-chained
//! JSON Lines with MAC'd checkpoints under `<data_dir>/audit`, and checks such a trail.
//!
//! Layout: `record` is the line format and the chain, `line` writes a request's line fast; `files` the segments and the head file;
//! `log` the writer and its group flusher; `verify` the check `keyward audit verify` runs.

mod files;
mod line;
mod log;
pub mod record;
mod syslog;
pub mod verify;

use std::path::Path;
use std::sync::Arc;

use keyward_core::AuditSink;
use keyward_store::{FileKekSource, KekSource};

pub use files::{HEAD_FILE, segment_name};
pub use log::{AuditLog, Settings};
pub use record::Record;
pub use verify::{Broken, Verified, trail_files, verify};

use crate::config::{AuditConfig, FailMode};
use crate::metrics::AuditCounters;

pub use keyward_crypto::audit::AuditMacKey;

/// What the store's keyring derives the trail's secret for (`SledStore::derive_key`).
pub const KEYRING_PURPOSE: &[u8] = b"audit trail checkpoints, version 1";

/// The checkpoint key of the trail of the store in `data_dir`, whose KEK comes from `source`:
/// read from the store's keyring file, so it works while the server runs.
pub fn mac_key_offline(data_dir: &Path, source: &dyn KekSource) -> Result<AuditMacKey, String> {
    keyward_store::derive_key_offline(data_dir, source, KEYRING_PURPOSE)
        .map(|root| AuditMacKey::derive(root.as_ref()))
        .map_err(|error| format!("the keyring of {} ({}): {error}", data_dir.display(), source.describe(1)))
}

/// [`mac_key_offline`] with the KEK in the file `kek` (and its versions `kek.vN`).
pub fn mac_key_from_files(data_dir: &Path, kek: &Path) -> Result<AuditMacKey, String> {
    mac_key_offline(data_dir, &FileKekSource::new(kek))
}

/// Opens the trail the configuration asks for: `None` when auditing is off. A trail that cannot
/// be written is an error when it fails closed, and a loud line (then every record is dropped)
/// when it fails open.
pub fn open(
    config: &AuditConfig,
    data_dir: &Path,
    root: &[u8],
    counters: AuditCounters,
) -> Result<Option<Arc<dyn AuditSink>>, String> {
    if !config.enabled {
        tracing::warn!("auditing is off ([audit] enabled = false): requests are not recorded");
        return Ok(None);
    }
    let settings = Settings::new(config, data_dir);
    match AuditLog::open(settings.clone(), AuditMacKey::derive(root), counters.clone()) {
        Ok(log) => Ok(Some(Arc::new(log))),
        Err(error) if config.fail_mode == FailMode::Open => {
            tracing::error!(%error, "AUDIT TRAIL UNAVAILABLE: serving without one (fail_mode = \"open\")");
            Ok(Some(Arc::new(AuditLog::failed_open(settings, AuditMacKey::derive(root), counters, error))))
        }
        Err(error) => Err(error),
    }
}

/// What a transport does with the audit events of an answered message before it answers: append
/// them and, for a change, get the wait for their durability (started now, so that the audit
/// flush runs alongside the store's). An error means the response must be replaced by a refusal.
pub(crate) fn record(
    dispatcher: &keyward_core::Dispatcher,
    origin: &Arc<keyward_core::AuditOrigin>,
    handled: &mut keyward_core::Handled,
) -> Result<Option<keyward_core::audit::Durable>, keyward_core::AuditUnavailable> {
    let Some(sink) = dispatcher.audit() else {
        return Ok(None);
    };
    let sequence = sink.append(origin, std::mem::take(&mut handled.audit)).inspect_err(log_refusal)?;
    Ok(handled.changed.then(|| sink.durable(sequence)))
}

/// The version to refuse a message in when its records could not be written.
pub(crate) fn refusal_version(handled: &keyward_core::Handled) -> Option<keyward_ttlv::KmipVersion> {
    handled.audit.iter().find_map(|event| event.version)
}

pub(crate) fn log_refusal(error: &keyward_core::AuditUnavailable) {
    tracing::error!(%error, "request refused: its audit record cannot be written (fail_mode = \"closed\")");
}

/// The origin of a connection's requests: its identity, the SHA-256 of its certificate, its peer.
pub(crate) fn origin(
    identity: &keyward_core::ClientIdentity,
    certificate: Option<&[u8]>,
    peer: std::net::SocketAddr,
    transport: &'static str,
) -> keyward_core::AuditOrigin {
    keyward_core::AuditOrigin {
        identity: identity.name.clone(),
        fingerprint: certificate.map(|der| hex::encode(keyward_crypto::sha256(der))),
        peer: Some(peer.to_string()),
        transport,
        ..keyward_core::AuditOrigin::default()
    }
}

#[cfg(test)]
mod tests;
