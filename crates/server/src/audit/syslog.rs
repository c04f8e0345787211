//! A copy of the trail for syslog: each record line, once durable in its file, sent as one
//! RFC 5424 message to a local datagram socket (`/dev/log`, or a collector's), so that the trail
//! also lives out of reach of whoever controls the server's disk.
//!
//! The files stay the record: the copy is best effort (a socket that refuses a message loses it,
//! and says so in the log, once until it accepts again), never fails a request, and never
//! changes the hash chain. `keyward audit verify` on the collected lines checks the copy.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

/// facility 13 (log audit) * 8 + severity 6 (informational), RFC 5424 §6.2.1.
const PRIORITY: u8 = 13 * 8 + 6;

pub(super) struct SyslogCopy {
    socket: UnixDatagram,
    path: PathBuf,
    hostname: String,
    process: String,
    /// The last send failed: the next failure is not logged again.
    failing: bool,
}

impl SyslogCopy {
    pub(super) fn new(path: &Path) -> std::io::Result<SyslogCopy> {
        Ok(SyslogCopy {
            socket: UnixDatagram::unbound()?,
            path: path.to_path_buf(),
            hostname: hostname(),
            process: std::process::id().to_string(),
            failing: false,
        })
    }

    /// Sends each line of `lines` (records, newline-terminated).
    pub(super) fn forward(&mut self, lines: &[u8], time: &str) {
        for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let message = self.message(time, line);
            match self.socket.send_to(&message, &self.path) {
                Ok(_) if self.failing => {
                    self.failing = false;
                    tracing::info!(socket = %self.path.display(), "the audit trail's syslog copy is sent again");
                }
                Ok(_) => {}
                Err(error) if !self.failing => {
                    self.failing = true;
                    tracing::warn!(socket = %self.path.display(), %error,
                        "the audit trail's syslog copy is not accepted; records are kept in the files only");
                }
                Err(_) => {}
            }
        }
    }

    /// `<PRI>1 TIMESTAMP HOSTNAME keyward PROCID audit - MSG` (RFC 5424 §6), the record's JSON as
    /// the message (no BOM: the lines are ASCII-escaped JSON text).
    fn message(&self, time: &str, line: &[u8]) -> Vec<u8> {
        let mut message =
            format!("<{PRIORITY}>1 {time} {} keyward {} audit - ", self.hostname, self.process).into_bytes();
        message.extend_from_slice(line);
        message
    }
}

/// The host's name as syslog wants it (printable ASCII, no spaces), or the NILVALUE.
fn hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) { "-".into() } else { name.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_one_rfc5424_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sock");
        let collector = UnixDatagram::bind(&path).unwrap();
        let mut copy = SyslogCopy::new(&path).unwrap();
        copy.forward(b"{\"seq\":1}\n{\"seq\":2}\n", "2026-12-05T20:31:07.412Z");
        let mut buffer = [0u8; 1024];
        for seq in [1, 2] {
            let n = collector.recv(&mut buffer).unwrap();
            let text = std::str::from_utf8(&buffer[..n]).unwrap();
            assert!(text.starts_with("<110>1 2026-12-05T20:31:07.412Z "), "{text}");
            assert!(text.ends_with(&format!(" keyward {} audit - {{\"seq\":{seq}}}", std::process::id())), "{text}");
        }
        // A socket that is gone loses the copy, not the server.
        drop(collector);
        copy.forward(b"{\"seq\":3}\n", "2026-12-05T20:31:08.000Z");
        assert!(copy.failing);
    }
}
