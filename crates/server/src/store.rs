//! Opening what the dispatcher runs on: the data directory, the key-encryption key and the sealed
//! store, with the administrators of the configuration.

use std::sync::Arc;

use keyward_core::{Dispatcher, Policy, Services, SystemClock};
use keyward_store::{CompactReport, Kek, SledOptions, SledStore, StoreError, VerifyReport};

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::files;
use crate::metrics::Metrics;

/// The name sled gives the store inside the data directory.
const STORE_NAME: &str = "objects.sled";

/// Opens the store of `config` (creating the data directory and, on first start, the KEK) and
/// builds the dispatcher over it.
pub fn open_dispatcher(config: &ServerConfig) -> Result<Dispatcher, ServerError> {
    open(config, None)
}

/// [`open_dispatcher`], with the store and the dispatcher reporting to `metrics` (give the same to
/// [`crate::Server::bind_with_metrics`]).
pub fn open_dispatcher_with_metrics(config: &ServerConfig, metrics: &Metrics) -> Result<Dispatcher, ServerError> {
    open(config, Some(metrics))
}

fn open(config: &ServerConfig, metrics: Option<&Metrics>) -> Result<Dispatcher, ServerError> {
    let data_dir = &config.data_dir;
    files::create_private_dir(data_dir).map_err(|error| ServerError::DataDir { path: data_dir.clone(), error })?;
    let kek_path = config.kek_path();
    // A new KEK beside an existing store could never open it; say what is really wrong instead.
    if !kek_path.exists() && data_dir.join(STORE_NAME).exists() {
        return Err(ServerError::MissingKek { kek: kek_path, data_dir: data_dir.clone() });
    }
    if let Some(parent) = kek_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        files::create_private_dir(parent).map_err(|error| ServerError::DataDir { path: parent.into(), error })?;
    }
    let kek = Kek::load_or_create(&kek_path).map_err(|error| ServerError::Kek { path: kek_path.clone(), error })?;
    let mut options = SledOptions { cache_capacity: config.store_cache_size, ..SledOptions::default() };
    if let Some(metrics) = metrics {
        options.observer = metrics.store_observer();
    }
    let store = SledStore::open_with(data_dir, &kek, &options).map_err(|error| match error {
        StoreError::Damaged(what) => {
            tracing::error!(data_dir = %data_dir.display(), %what, "the store is damaged; refusing to serve it");
            ServerError::Damaged { data_dir: data_dir.clone(), what }
        }
        error => store_error(config, error),
    })?;
    let policy = Policy {
        administrators: config.administrators.clone(),
        algorithms: config.algorithms.policy()?,
        ..Policy::default()
    };
    let dispatcher = Dispatcher::new(Services { store: Arc::new(store), policy, clock: Arc::new(SystemClock) });
    Ok(match metrics {
        Some(metrics) => dispatcher.with_observer(metrics.dispatch_observer()),
        None => dispatcher,
    })
}

/// What `keyward store` does to a stopped server's store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Maintenance {
    /// Read and check every record (nothing written but what sled writes as it opens).
    Verify,
    /// Verify, then record the store's state as what it acknowledged (a restored store).
    Accept,
}

/// Verifies (or accepts) the store of `config`, with its KEK loaded as `keyward serve` loads it
/// (never created: a missing KEK is an error).
pub fn verify_store(config: &ServerConfig, action: Maintenance) -> Result<VerifyReport, ServerError> {
    let kek = existing_kek(config)?;
    let data_dir = &config.data_dir;
    let result = match action {
        Maintenance::Verify => SledStore::verify(data_dir, &kek, config.store_cache_size),
        Maintenance::Accept => SledStore::accept(data_dir, &kek, config.store_cache_size),
    };
    result.map_err(|error| store_error(config, error))
}

/// Compacts the store of `config` (see [`SledStore::compact`]); the server must be stopped.
pub fn compact_store(config: &ServerConfig) -> Result<CompactReport, ServerError> {
    let kek = existing_kek(config)?;
    SledStore::compact(&config.data_dir, &kek, config.store_cache_size).map_err(|error| store_error(config, error))
}

fn existing_kek(config: &ServerConfig) -> Result<Kek, ServerError> {
    let kek_path = config.kek_path();
    if !kek_path.exists() {
        return Err(ServerError::MissingKek { kek: kek_path, data_dir: config.data_dir.clone() });
    }
    Kek::load(&kek_path).map_err(|error| ServerError::Kek { path: kek_path, error })
}

fn store_error(config: &ServerConfig, error: StoreError) -> ServerError {
    match error {
        StoreError::Damaged(what) => ServerError::Damaged { data_dir: config.data_dir.clone(), what },
        StoreError::WrongKek => ServerError::WrongKek { kek: config.kek_path(), data_dir: config.data_dir.clone() },
        error => ServerError::Store { path: config.data_dir.clone(), error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path) -> ServerConfig {
        ServerConfig { data_dir: dir.join("data"), ..ServerConfig::default() }
    }

    /// Opens again a store that was just dropped. The store's flusher thread lets go of the
    /// database a moment after the drop, and sled refuses a second open while it holds it.
    fn reopen(config: &ServerConfig) -> Result<Dispatcher, ServerError> {
        for _ in 0..100 {
            match open_dispatcher(config) {
                Err(ServerError::Store { error, .. }) if error.to_string().contains("lock") => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
        open_dispatcher(config)
    }

    #[test]
    fn creates_the_kek_once_and_refuses_another() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        drop(open_dispatcher(&config).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(config.kek_path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(reopen(&config).unwrap());

        let other = ServerConfig { kek_file: Some(dir.path().join("other-kek")), ..config.clone() };
        std::fs::write(other.kek_path(), format!("{}\n", "ab".repeat(32))).unwrap();
        let error = reopen(&other).err().unwrap();
        assert!(matches!(error, ServerError::WrongKek { .. }), "{error}");
        assert!(error.to_string().contains("does not open the store"));

        let lost = ServerConfig { kek_file: Some(dir.path().join("lost-kek")), ..config };
        let error = open_dispatcher(&lost).err().unwrap();
        assert!(matches!(error, ServerError::MissingKek { .. }), "{error}");
        assert!(!lost.kek_path().exists());
    }
}
