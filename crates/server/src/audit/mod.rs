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
pub mod verify;

use std::path::Path;
use std::sync::Arc;

use keyward_core::AuditSink;
use keyward_store::Kek;

pub use files::{HEAD_FILE, segment_name};
pub use log::{AuditLog, Settings};
pub use record::Record;
pub use verify::{Broken, Verified, trail_files, verify};

use crate::config::{AuditConfig, FailMode};
use crate::metrics::AuditCounters;

pub use keyward_crypto::audit::AuditMacKey;

/// The checkpoint key of the trail of a store sealed under `kek`.
pub fn mac_key(kek: &Kek) -> AuditMacKey {
    AuditMacKey::derive(kek.secret_bytes())
}

/// The checkpoint key of the trail of the store whose KEK file is `path`.
pub fn mac_key_from_file(path: &Path) -> Result<AuditMacKey, String> {
    Kek::load(path).map(|kek| mac_key(&kek)).map_err(|error| format!("KEK {}: {error}", path.display()))
}

/// Opens the trail the configuration asks for: `None` when auditing is off. A trail that cannot
/// be written is an error when it fails closed, and a loud line (then every record is dropped)
/// when it fails open.
pub fn open(
    config: &AuditConfig,
    data_dir: &Path,
    kek: &Kek,
    counters: AuditCounters,
) -> Result<Option<Arc<dyn AuditSink>>, String> {
    if !config.enabled {
        tracing::warn!("auditing is off ([audit] enabled = false): requests are not recorded");
        return Ok(None);
    }
    let settings = Settings::new(config, data_dir);
    match AuditLog::open(settings.clone(), mac_key(kek), counters.clone()) {
        Ok(log) => Ok(Some(Arc::new(log))),
        Err(error) if config.fail_mode == FailMode::Open => {
            tracing::error!(%error, "AUDIT TRAIL UNAVAILABLE: serving without one (fail_mode = \"open\")");
            Ok(Some(Arc::new(AuditLog::failed_open(settings, mac_key(kek), counters, error))))
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
    }
}

#[cfg(test)]
mod tests;
