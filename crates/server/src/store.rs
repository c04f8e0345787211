//! Opening what the dispatcher runs on: the data directory, the key-encryption key and the sealed
//! store, with the administrators of the configuration.

use std::sync::Arc;

use keyward_core::{Dispatcher, Policy, Services, SystemClock};
use keyward_store::{Kek, SledOptions, SledStore, StoreError};

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
        StoreError::WrongKek => ServerError::WrongKek { kek: kek_path.clone(), data_dir: data_dir.clone() },
        StoreError::Damaged(what) => ServerError::Damaged { data_dir: data_dir.clone(), what },
        error => ServerError::Store { path: data_dir.clone(), error },
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
