//! The `[store]` table: where the managed objects are kept.
//!
//! ```toml
//! [store]
//! backend = "postgres"                                  # "sled" (the default) or "postgres"
//! url = "postgres://keyward:secret@db.example:5432/keyward"
//! pool_size = 16                                        # connections per node (postgres)
//! ca = "/etc/keyward/database-ca.pem"                   # TLS to the database, required
//! ```

use std::path::PathBuf;

use serde::Deserialize;

use super::ConfigError;

/// The store backends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// sled in `<data_dir>/objects.sled`: one node, nothing to set up.
    #[default]
    Sled,
    /// PostgreSQL at `url`: several nodes on one database.
    Postgres,
}

/// The `[store]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub backend: StoreBackend,
    /// The database (postgres): `postgres://user:password@host:port/database`, or libpq's
    /// `key=value` form.
    pub url: Option<DatabaseUrl>,
    /// The CA certificates (PEM) the database server's certificate must chain to (postgres). Set,
    /// every connection is TLS and the server's name is checked against the URL's host; unset,
    /// connections are in clear (the records are sealed under the KEK either way).
    pub ca: Option<PathBuf>,
    /// The most connections a node opens to the database (postgres).
    pub pool_size: usize,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig {
            backend: StoreBackend::Sled,
            url: None,
            ca: None,
            pool_size: keyward_store::POSTGRES_DEFAULT_POOL_SIZE,
        }
    }
}

impl StoreConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        match (self.backend, &self.url) {
            (StoreBackend::Postgres, None) => {
                Err(ConfigError::Invalid("store: backend \"postgres\" needs `url` (postgres://...)".into()))
            }
            (StoreBackend::Sled, Some(_)) => Err(ConfigError::Invalid(
                "store: `url` is for backend = \"postgres\"; sled keeps its files in data_dir".into(),
            )),
            (StoreBackend::Sled, None) if self.ca.is_some() => {
                Err(ConfigError::Invalid("store: `ca` is for backend = \"postgres\"".into()))
            }
            _ if self.pool_size == 0 => Err(ConfigError::Invalid("store: pool_size must be at least 1".into())),
            _ => Ok(()),
        }
    }
}

/// A database URL, which may hold a password: never printed whole.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL without what could be a password: the part after the last '@' (the host and
    /// database), or nothing of a `key=value` form that names a password.
    pub fn redacted(&self) -> String {
        match self.0.rsplit_once('@') {
            Some((_, host)) => format!("postgres://…@{host}"),
            None if self.0.contains("password") => "(a URL with a password)".to_string(),
            None => self.0.clone(),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DatabaseUrl").field(&self.redacted()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password() {
        let url = DatabaseUrl("postgres://keyward:s3cret@db:5432/keyward".into());
        let shown = format!("{url:?}");
        assert!(!shown.contains("s3cret") && shown.contains("db:5432/keyward"), "{shown}");
        assert!(!format!("{:?}", DatabaseUrl("host=db password=s3cret".into())).contains("s3cret"));
    }

    #[test]
    fn postgres_needs_a_url_and_sled_none() {
        let postgres = StoreConfig { backend: StoreBackend::Postgres, ..StoreConfig::default() };
        assert!(postgres.validate().is_err());
        let with_url = StoreConfig { url: Some(DatabaseUrl("postgres://db/k".into())), ..postgres };
        assert!(with_url.validate().is_ok());
        assert!(StoreConfig { backend: StoreBackend::Sled, ..with_url.clone() }.validate().is_err());
        assert!(StoreConfig { pool_size: 0, ..with_url }.validate().is_err());
        let sled_with_ca = StoreConfig { ca: Some("/ca.pem".into()), ..StoreConfig::default() };
        assert!(sled_with_ca.validate().is_err());
    }
}
