//! The `[audit]` table: the tamper-evident audit trail (docs/security/audit.md).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What happens to requests when the trail cannot be written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Refuse them (the server does not start without a writable trail): nothing happens
    /// unrecorded.
    #[default]
    Closed,
    /// Serve them anyway, dropping their records, with an error line and a metric.
    Open,
}

/// The `[audit]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Whether every request item is recorded.
    pub enabled: bool,
    /// Where the trail is written; `<data_dir>/audit` when unset.
    pub directory: Option<PathBuf>,
    pub fail_mode: FailMode,
    /// A MAC'd checkpoint at least every this many records.
    pub checkpoint_every: u64,
    /// A file is closed (with a checkpoint) and the next begun once it reaches this many bytes.
    pub rotate_size: u64,
    /// How long the record of a request that changed nothing may wait in memory before it is
    /// written (a change's record is written before the change is acknowledged).
    pub flush_interval_ms: u64,
    /// How long such a record, once written, may wait for the disk's sync (fdatasync): it
    /// survives the server's end at once, the machine's after this. A change's record is synced
    /// before the change is acknowledged.
    pub sync_interval_ms: u64,
    /// A local datagram socket (`/dev/log`) that gets a copy of each record as an RFC 5424
    /// message, best effort; none when unset.
    pub syslog: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig {
            enabled: true,
            directory: None,
            fail_mode: FailMode::Closed,
            checkpoint_every: 1000,
            rotate_size: 64 * 1024 * 1024,
            flush_interval_ms: 20,
            sync_interval_ms: 1000,
            syslog: None,
        }
    }
}

impl AuditConfig {
    /// The trail's directory for a server whose data lives in `data_dir`.
    pub fn directory(&self, data_dir: &Path) -> PathBuf {
        self.directory.clone().unwrap_or_else(|| data_dir.join("audit"))
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.checkpoint_every == 0 {
            return Err("audit.checkpoint_every must be at least 1".into());
        }
        if self.rotate_size < 4096 {
            return Err("audit.rotate_size must be at least 4096 bytes".into());
        }
        if self.flush_interval_ms == 0 || self.flush_interval_ms > 10_000 {
            return Err("audit.flush_interval_ms must be between 1 and 10000".into());
        }
        if self.sync_interval_ms > 60_000 {
            return Err("audit.sync_interval_ms must be at most 60000".into());
        }
        Ok(())
    }
}
