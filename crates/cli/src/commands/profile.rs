//! Client profiles: a small TOML file naming a server and the credentials to reach it, so that
//! `keyward --profile FILE keys list` needs no other flag.
//!
//! ```toml
//! server = "127.0.0.1:5696"
//! ca = "ca.pem"
//! cert = "clients/admin.pem"
//! key = "clients/admin.key"
//! # server_name = "kms.example.com"   # when the certificate names the server otherwise
//! ```
//!
//! Relative paths are read from the profile's own folder, so a profile travels with its files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The environment variable naming a profile when `--profile` is not given.
pub const PROFILE_VARIABLE: &str = "KEYWARD_PROFILE";

/// A profile as written; every field may be left out and given as a flag instead.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read the profile {path}: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("the profile {path} is not valid: {error}")]
    Invalid { path: PathBuf, error: String },
}

impl Profile {
    /// Reads a profile and makes its relative paths relative to its folder.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|error| ProfileError::Read { path: path.into(), error })?;
        let mut profile = Profile::parse(&text)
            .map_err(|error| ProfileError::Invalid { path: path.into(), error: error.to_string() })?;
        let folder = path.parent().unwrap_or(Path::new(""));
        for file in [&mut profile.ca, &mut profile.cert, &mut profile.key].into_iter().flatten() {
            if file.is_relative() {
                *file = folder.join(&*file);
            }
        }
        Ok(profile)
    }

    pub fn parse(text: &str) -> Result<Profile, toml::de::Error> {
        toml::from_str(text)
    }

    pub fn to_toml(&self) -> String {
        // Serializing a struct of optional strings and paths cannot fail; an empty profile is the
        // fallback all the same rather than a panic.
        toml::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_read_from_the_profile_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.toml");
        let written =
            "server = \"127.0.0.1:5696\"\nca = \"ca.pem\"\ncert = \"clients/admin.pem\"\nkey = \"/abs/admin.key\"\n";
        std::fs::write(&path, written).unwrap();
        let profile = Profile::load(&path).unwrap();
        assert_eq!(profile.server.as_deref(), Some("127.0.0.1:5696"));
        assert_eq!(profile.ca, Some(dir.path().join("ca.pem")));
        assert_eq!(profile.cert, Some(dir.path().join("clients/admin.pem")));
        assert_eq!(profile.key, Some(PathBuf::from("/abs/admin.key")));
        assert_eq!(profile.server_name, None);
    }

    #[test]
    fn an_unknown_field_is_refused_and_a_profile_reads_back() {
        assert!(Profile::parse("sever = \"x:1\"").is_err());
        let profile = Profile { server: Some("[::1]:5696".into()), ca: Some("ca.pem".into()), ..Profile::default() };
        assert_eq!(Profile::parse(&profile.to_toml()).unwrap(), profile);
    }
}
