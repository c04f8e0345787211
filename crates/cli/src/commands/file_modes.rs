//! Files the server creates are private to its user: the store, the KEK, the development PKI, the
//! client profile. sled creates its files with the process's default modes (0644 under the usual
//! umask) and offers no setting, so the server narrows the umask itself before it creates
//! anything: files 0600, directories 0700. Files that exist keep the modes their operator gave.

use rustix::fs::Mode;

/// Every file the process creates from now on is readable by its user only.
pub fn keep_new_files_private() {
    rustix::process::umask(Mode::from_raw_mode(0o077));
}
