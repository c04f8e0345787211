//! Opening what the dispatcher runs on: the data directory, the key-encryption key and the sealed
//! store, with the administrators of the configuration.

use crate::pkcs11_module::CryptokiModule;
use std::sync::Arc;

use keyward_core::access::{AccessPolicy, Grants};
use keyward_core::{Dispatcher, Policy, ServerInformation, Services, SystemClock};
use keyward_store::pkcs11::{Pkcs11KekSource, Pkcs11Settings};
use keyward_store::{
    CompactReport, FileKekSource, KekSource, ObjectStore, PostgresOptions, PostgresStore, SledOptions, SledStore,
    StoreError, VerifyReport,
};
use zeroize::Zeroizing;

use crate::config::store::StoreBackend;
use crate::config::{KekSourceKind, ServerConfig};
use crate::error::ServerError;
use crate::files;
use crate::metrics::Metrics;

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
    let source = kek_source(config)?;
    let (store, audit_root): (Arc<dyn ObjectStore>, _) = match config.store.backend {
        StoreBackend::Sled => {
            let store = open_sled(config, Arc::clone(&source), metrics)?;
            let root = store.derive_key(crate::audit::KEYRING_PURPOSE);
            (Arc::new(store), root)
        }
        StoreBackend::Postgres => {
            let store = open_postgres(config, Arc::clone(&source), metrics, true)?;
            let root = store.derive_key(crate::audit::KEYRING_PURPOSE);
            (Arc::new(store), root)
        }
    };
    // Grants live in the store's settings; they are read here and kept in memory (and kept fresh
    // on a store several servers share).
    let grants = Grants::load_from(Arc::clone(&store)).map_err(|error| store_error(config, source.as_ref(), error))?;
    let access = AccessPolicy { tenants: config.access.tenant_names(), grants: Arc::new(grants) };
    let mut policy = Policy {
        administrators: config.administrators.clone(),
        algorithms: config.algorithms.policy()?,
        access,
        issuing_ca: crate::config::issuing_ca::policy(config.issuing_ca.as_ref())?,
        operation_policies: crate::config::operation_policies::policies(&config.operation_policies)?,
        asynchronous: config.asynchronous.policy()?,
        ..Policy::default()
    };
    policy.server_information = ServerInformation {
        cluster_info: config.cluster.info.clone(),
        alternate_failover_endpoints: config.cluster.failover_endpoints.clone(),
        ..ServerInformation::default()
    };
    let counters = metrics.map(Metrics::audit_counters).unwrap_or_default();
    let audit =
        crate::audit::open(&config.audit, data_dir, audit_root.as_ref(), counters).map_err(ServerError::Audit)?;
    let mut dispatcher = Dispatcher::new(Services { store, policy, clock: Arc::new(SystemClock) });
    if let Some(pkcs11) = &config.pkcs11 {
        let module = CryptokiModule::load(&pkcs11.module).map_err(|error| ServerError::Pkcs11(error.to_string()))?;
        dispatcher = dispatcher.with_pkcs11(Arc::new(module));
    }
    if let Some(audit) = audit {
        dispatcher = dispatcher.with_audit(audit);
    }
    Ok(match metrics {
        Some(metrics) => dispatcher.with_observer(metrics.dispatch_observer()),
        None => dispatcher,
    })
}

/// The sled store in the data directory.
fn open_sled(
    config: &ServerConfig,
    source: Arc<dyn KekSource>,
    metrics: Option<&Metrics>,
) -> Result<SledStore, ServerError> {
    let data_dir = &config.data_dir;
    let snapshots = config.store_index_snapshot_interval;
    let mut options = SledOptions {
        cache_capacity: config.store_cache_size,
        index_snapshot_interval: (snapshots > 0).then(|| std::time::Duration::from_secs(snapshots)),
        ..SledOptions::new(keyward_core::record_schema::schema())
    };
    if let Some(metrics) = metrics {
        options.observer = metrics.store_observer();
    }
    SledStore::open_with_source(data_dir, Arc::clone(&source), &options).map_err(|error| {
        if let StoreError::Damaged(what) = &error {
            tracing::error!(data_dir = %data_dir.display(), %what, "the store is damaged; refusing to serve it");
        }
        store_error(config, source.as_ref(), error)
    })
}

/// The postgres store in the configured database, its keyring opened by the KEK from `source`;
/// `serving` for a server (a cache of objects, and a lease among the nodes), not for a tool.
fn open_postgres(
    config: &ServerConfig,
    source: Arc<dyn KekSource>,
    metrics: Option<&Metrics>,
    serving: bool,
) -> Result<PostgresStore, ServerError> {
    let url = config.store.url.as_ref().ok_or_else(|| {
        ServerError::Config(crate::config::ConfigError::Invalid("store: backend \"postgres\" needs `url`".into()))
    })?;
    let mut options = PostgresOptions {
        pool_size: config.store.pool_size,
        cache: serving,
        ..PostgresOptions::new(keyward_core::record_schema::schema())
    };
    if let Some(ca) = &config.store.ca {
        let pem = std::fs::read(ca).map_err(|error| {
            ServerError::Database(StoreError::Backend(format!(
                "the database's CA certificates {}: {error}",
                ca.display()
            )))
        })?;
        options.tls_ca_pem = Some(pem);
    }
    if let Some(metrics) = metrics {
        options.observer = metrics.store_observer();
    }
    // A KEK file this start would make: a new node must be given the KEK of the nodes before it.
    let new_kek_file = match config.kek.source {
        KekSourceKind::File => Some(config.kek_path()).filter(|path| !path.exists()),
        KekSourceKind::Pkcs11 => None,
    };
    let described = source.describe(1);
    let store = PostgresStore::connect_with_source(url.as_str(), source, &options).map_err(|error| {
        match (error, &new_kek_file) {
            // The database has a keyring under a KEK this node does not have.
            (StoreError::KekUnavailable(_), Some(kek)) => ServerError::DatabaseMissingKek { kek: kek.clone() },
            // Nodes starting together on a new database: another made the keyring first, under
            // its KEK. Take the file made for this start away again, so that a refused start
            // leaves nothing behind, and say what to copy.
            (StoreError::WrongKek, Some(kek)) => {
                if let Err(error) = std::fs::remove_file(kek) {
                    tracing::warn!(%error, path = %kek.display(), "could not remove the KEK made for this start");
                }
                ServerError::DatabaseMissingKek { kek: kek.clone() }
            }
            (StoreError::WrongKek, None) => ServerError::DatabaseWrongKek { kek: described },
            (StoreError::KekUnavailable(message), None) => ServerError::DatabaseKekUnavailable { message },
            (error, _) => ServerError::Database(error),
        }
    })?;
    tracing::info!(database = %url.redacted(), "store: postgres");
    Ok(store)
}

/// What `keyward store` does to a stopped server's store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Maintenance {
    /// Read and check every record (nothing written but what sled writes as it opens).
    Verify,
    /// Verify, then record the store's state as what it acknowledged (a restored store).
    Accept,
}

/// Verifies (or accepts) the store of `config`, with its KEK from the source `keyward serve`
/// uses (a file or a token), through the store's keyring. Neither a KEK nor a keyring is ever
/// made: a missing one is an error.
pub fn verify_store(config: &ServerConfig, action: Maintenance) -> Result<VerifyReport, ServerError> {
    let source = kek_source(config)?;
    let (data_dir, schema) = (&config.data_dir, keyward_core::record_schema::schema());
    let result = match action {
        Maintenance::Verify => SledStore::verify(data_dir, source.as_ref(), &schema, config.store_cache_size),
        Maintenance::Accept => SledStore::accept(data_dir, source.as_ref(), &schema, config.store_cache_size),
    };
    result.map_err(|error| store_error(config, source.as_ref(), error))
}

/// Compacts the store of `config` (see [`SledStore::compact`]), its KEK had as for
/// [`verify_store`]; the server must be stopped.
pub fn compact_store(config: &ServerConfig) -> Result<CompactReport, ServerError> {
    let source = kek_source(config)?;
    SledStore::compact(
        &config.data_dir,
        source.as_ref(),
        &keyward_core::record_schema::schema(),
        config.store_cache_size,
    )
    .map_err(|error| store_error(config, source.as_ref(), error))
}

/// The key that checks the checkpoints of the audit trail of the server of `config`: derived from
/// its store's keyring, opened with the KEK as `keyward serve` has it (a file or a token). On sled
/// the keyring file is read (the server may be running); on PostgreSQL the database is. Nothing
/// is made: a missing KEK file is an error.
pub fn audit_key(config: &ServerConfig) -> Result<crate::audit::AuditMacKey, ServerError> {
    if config.kek.source == KekSourceKind::File && !config.kek_path().exists() {
        return Err(ServerError::KekUnavailable {
            message: format!("the KEK file {} is missing", config.kek_path().display()),
            data_dir: config.data_dir.clone(),
        });
    }
    let source = kek_source(config)?;
    let root = match config.store.backend {
        StoreBackend::Sled => {
            keyward_store::derive_key_offline(&config.data_dir, source.as_ref(), crate::audit::KEYRING_PURPOSE)
                .map_err(|error| store_error(config, source.as_ref(), error))?
        }
        StoreBackend::Postgres => {
            open_postgres(config, Arc::clone(&source), None, false)?.derive_key(crate::audit::KEYRING_PURPOSE)
        }
    };
    Ok(crate::audit::AuditMacKey::derive(root.as_ref()))
}

/// A store error met with the store of `config`, told with where the store is.
fn store_error(config: &ServerConfig, source: &dyn KekSource, error: StoreError) -> ServerError {
    if config.store.backend == StoreBackend::Postgres {
        return ServerError::Database(error);
    }
    let data_dir = config.data_dir.clone();
    match error {
        StoreError::Damaged(what) => ServerError::Damaged { data_dir, what },
        StoreError::WrongKek => ServerError::WrongKek { kek: source.describe(1), data_dir },
        StoreError::KekUnavailable(message) => ServerError::KekUnavailable { message, data_dir },
        error => ServerError::Store { path: data_dir, error },
    }
}

/// The KEK source of the configuration: the file (its directory made private if need be), or
/// the token, logged in.
fn kek_source(config: &ServerConfig) -> Result<Arc<dyn KekSource>, ServerError> {
    let unavailable = |error: StoreError| match error {
        StoreError::KekUnavailable(message) => {
            ServerError::KekUnavailable { message, data_dir: config.data_dir.clone() }
        }
        error => ServerError::Store { path: config.data_dir.clone(), error },
    };
    match config.kek.source {
        KekSourceKind::File => {
            let path = config.kek_path();
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                files::create_private_dir(parent)
                    .map_err(|error| ServerError::DataDir { path: parent.into(), error })?;
            }
            Ok(Arc::new(FileKekSource::new(path)))
        }
        KekSourceKind::Pkcs11 => {
            // validate() made sure these are given.
            let missing =
                |what: &str| ServerError::Config(crate::config::ConfigError::Invalid(format!("kek: no {what}")));
            let pin_file = config.kek.pin_file.clone().ok_or_else(|| missing("pin_file"))?;
            let settings = Pkcs11Settings {
                module: config.kek.module.clone().ok_or_else(|| missing("module"))?,
                token_label: config.kek.token_label.clone().ok_or_else(|| missing("token_label"))?,
                pin: read_pin(&pin_file)?,
                key_label: config.kek.key_label.clone(),
            };
            Ok(Arc::new(Pkcs11KekSource::open(settings).map_err(unavailable)?))
        }
    }
}

/// The PIN in its file, without the line's end; the file must be its owner's only, as a KEK file.
fn read_pin(path: &std::path::Path) -> Result<Zeroizing<String>, ServerError> {
    let refuse = |message: String| ServerError::PinFile { path: path.into(), message };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| refuse(e.to_string()))?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(refuse(format!("mode {mode:04o}: it must be readable by its owner only (chmod 600)")));
        }
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?);
    let pin = text.trim_end_matches(['\r', '\n']);
    if pin.is_empty() {
        return Err(refuse("it is empty".into()));
    }
    Ok(Zeroizing::new(pin.to_string()))
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
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let error = reopen(&other).err().unwrap();
            assert!(matches!(error, ServerError::KekUnavailable { .. }), "{error}");
            assert!(error.to_string().contains("chmod 600"), "{error}");
            std::fs::set_permissions(other.kek_path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let error = reopen(&other).err().unwrap();
        assert!(matches!(error, ServerError::WrongKek { .. }), "{error}");
        assert!(error.to_string().contains("does not open the store"));

        let lost = ServerConfig { kek_file: Some(dir.path().join("lost-kek")), ..config };
        let error = open_dispatcher(&lost).err().unwrap();
        assert!(matches!(error, ServerError::KekUnavailable { .. }), "{error}");
        assert!(error.to_string().contains("missing"), "{error}");
        assert!(!lost.kek_path().exists());
    }

    /// `keyward store verify` and `compact` have the KEK from the source serve uses, through the
    /// keyring; a missing KEK is an error, never made.
    #[test]
    fn verify_and_compact_use_the_servers_kek_source_and_never_make_a_kek() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        drop(open_dispatcher(&config).unwrap());
        // The flusher lets go of the database a moment after the drop.
        let report = (0..100)
            .find_map(|_| match verify_store(&config, Maintenance::Verify) {
                Err(ServerError::Store { error, .. }) if error.to_string().contains("lock") => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                }
                other => Some(other),
            })
            .unwrap()
            .unwrap();
        assert!(report.is_clean(), "{report:?}");
        compact_store(&config).unwrap();
        let lost = ServerConfig { kek_file: Some(dir.path().join("lost-kek")), ..config };
        for error in [verify_store(&lost, Maintenance::Verify).err(), compact_store(&lost).err()] {
            let error = error.unwrap();
            assert!(matches!(error, ServerError::KekUnavailable { .. }), "{error}");
        }
        assert!(!lost.kek_path().exists(), "a KEK was made");
    }
}
