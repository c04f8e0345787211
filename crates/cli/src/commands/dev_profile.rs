//! The client profile `keyward serve` writes for the development administrator, beside the
//! development PKI, so that `keyward --profile <data-dir>/pki/admin-profile.toml keys list` works
//! at once.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use keyward_server::pki::{ADMIN, DevPki};

use super::profile::Profile;

/// The profile's file name in the PKI directory.
pub const FILE_NAME: &str = "admin-profile.toml";

/// The profile for the admin client of `pki`, dialling `host:port`: written when missing (mode
/// 0600), never replaced; returns its path, or `None` when it could not be written (the server
/// runs all the same, and says why in its log).
pub fn ensure(pki: &DevPki, host: &str, port: u16) -> Option<PathBuf> {
    let path = pki.dir().join(FILE_NAME);
    if path.exists() {
        return Some(keyward_server::pki::absolute(&path));
    }
    match write_new(&path, &contents(pki, host, port)) {
        Ok(()) => Some(keyward_server::pki::absolute(&path)),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "cannot write the development client profile");
            None
        }
    }
}

/// The profile's text: paths relative to the PKI directory, so the data directory can move.
fn contents(pki: &DevPki, host: &str, port: u16) -> String {
    let relative = |path: PathBuf| path.strip_prefix(pki.dir()).map(Path::to_path_buf).unwrap_or(path);
    let admin = pki.client(ADMIN);
    let server = match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => format!("[{v6}]:{port}"),
        _ => format!("{host}:{port}"),
    };
    let profile = Profile {
        server: Some(server),
        server_name: None,
        ca: Some(relative(pki.ca_cert())),
        cert: Some(relative(admin.cert)),
        key: Some(relative(admin.key)),
    };
    format!(
        "# The development administrator of this Keyward server, for `keyward --profile FILE ...`\n\
         # (written by keyward serve; paths are relative to this file's folder).\n{}",
        profile.to_toml()
    )
}

/// Creates the file, failing if it exists (another start may have written it meanwhile).
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_once_for_the_owner_only_and_readable_as_a_profile() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(dir.path());
        let path = ensure(&pki, "::1", 5696).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let profile = Profile::load(&path).unwrap();
        assert_eq!(profile.server.as_deref(), Some("[::1]:5696"));
        assert_eq!(profile.ca, Some(dir.path().join("ca.pem")));
        assert_eq!(profile.cert, Some(dir.path().join("clients/admin.pem")));
        // A second start with another port leaves the first profile alone.
        ensure(&pki, "127.0.0.1", 7000).unwrap();
        assert_eq!(Profile::load(&path).unwrap().server.as_deref(), Some("[::1]:5696"));
    }
}
