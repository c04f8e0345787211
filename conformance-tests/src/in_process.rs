//! `--in-process`: a Keyward server of our own for each test case, on a fresh data directory, so
//! that no test case sees another's objects. One development PKI serves them all.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use keyward_client::ClientCredentials;
use keyward_server::pki::{ADMIN, DevPki};
use keyward_server::{HttpsConfig, Server, ServerConfig, TlsConfig};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// SoftHSM2's PKCS#11 module where Debian installs it (scripts/test installs the package).
const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The algorithm policy the OASIS profiles need: the server's default (docs/configuration.md,
/// which refuses what NIST SP 800-131A Rev. 2 retired) widened to what the test cases make and
/// protect with. RSA-1024: CS-AC-M-OAEP-9 and -10 encrypt under a registered 1024-bit public key.
/// Triple DES: SKFF-M creates such keys and CS-BC-M-4-12-3DES-13 encrypts with one. SKIPJACK:
/// SKFF-O-1 creates a key of it. secp256k1: CS-AC-M-3-ECC-13 signs under a registered key on that
/// curve. A server facing these profiles must allow them; a production server should not.
const PROFILE_ALGORITHMS: &str = r#"
[algorithms]
rsa_sizes = [1024, 2048, 3072, 4096, 8192]
curves = ["P-256", "P-384", "P-521", "SECP256K1", "CURVE25519"]

[algorithms.symmetric]
AES = [128, 192, 256]
ChaCha20 = [256]
ChaCha20Poly1305 = [256]
HMAC-SHA1 = []
HMAC-SHA224 = []
HMAC-SHA256 = []
HMAC-SHA384 = []
HMAC-SHA512 = []
3DES = []
SKIPJACK = []
"#;

fn profile_algorithms() -> Result<keyward_server::config::algorithms::AlgorithmsConfig, String> {
    ServerConfig::from_toml(PROFILE_ALGORITHMS).map(|c| c.algorithms).map_err(|e| e.to_string())
}

/// A temporary home for the servers of a run.
pub struct Workspace {
    dir: tempfile::TempDir,
    pki: DevPki,
    next: usize,
    /// The PostgreSQL server the servers' stores are made on; sled in the data directory without.
    postgres: Option<String>,
}

/// A running server of ours.
pub struct Running {
    pub address: SocketAddr,
    /// Its KMIP-over-HTTPS listener.
    pub https_address: Option<SocketAddr>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Workspace {
    pub fn new() -> Result<Workspace, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let pki = DevPki::at(dir.path().join("pki"));
        pki.ensure().map_err(|e| e.to_string())?;
        Ok(Workspace { dir, pki, next: 0, postgres: None })
    }

    /// The same, its servers on the PostgreSQL store: a new database for each, made on the server
    /// at `url` (`postgres://user@host:port/database`, a user that may create databases).
    pub fn on_postgres(url: &str) -> Result<Workspace, String> {
        Ok(Workspace { postgres: Some(url.to_string()), ..Workspace::new()? })
    }

    /// A new empty database on the PostgreSQL server; its URL.
    async fn fresh_database(&self, server: &str) -> Result<String, String> {
        let name = format!("kw_conformance_{}_{}", std::process::id(), self.next);
        let (client, connection) =
            tokio_postgres::connect(server, tokio_postgres::NoTls).await.map_err(|e| format!("PostgreSQL: {e}"))?;
        let driving = tokio::spawn(connection);
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.map_err(|e| format!("PostgreSQL: {e}"))?;
        drop(client);
        let _ = driving.await;
        Ok(keyward_store::postgres_database_url(server, &name))
    }

    /// The credentials of the administrator client of the development PKI.
    pub fn credentials(&self) -> Result<ClientCredentials, String> {
        let admin = self.pki.client(ADMIN);
        ClientCredentials::from_pem_files(&self.pki.ca_cert(), &admin.cert, &admin.key).map_err(|e| e.to_string())
    }

    fn tls(&self) -> TlsConfig {
        let server = self.pki.ecdsa_server();
        let rsa = self.pki.rsa_server();
        TlsConfig {
            ca: Some(self.pki.ca_cert()),
            cert: Some(server.cert),
            key: Some(server.key),
            second_cert: Some(rsa.cert),
            second_key: Some(rsa.key),
            ..TlsConfig::default()
        }
    }

    fn data_dir(&mut self) -> PathBuf {
        self.next += 1;
        self.dir.path().join(format!("case-{}", self.next))
    }

    /// Starts a server on a fresh data directory (and a fresh database on PostgreSQL).
    pub async fn start(&mut self) -> Result<Running, String> {
        let data_dir = self.data_dir();
        let store = match &self.postgres {
            Some(server) => keyward_server::config::store::StoreConfig {
                backend: keyward_server::config::store::StoreBackend::Postgres,
                url: Some(keyward_server::config::store::DatabaseUrl(self.fresh_database(server).await?)),
                ..Default::default()
            },
            None => Default::default(),
        };
        let config = ServerConfig {
            store,
            listen: "127.0.0.1:0".parse().map_err(|e: std::net::AddrParseError| e.to_string())?,
            data_dir,
            administrators: vec![ADMIN.to_string()],
            tls: self.tls(),
            https: Some(HttpsConfig {
                listen: "127.0.0.1:0".parse().map_err(|e: std::net::AddrParseError| e.to_string())?,
            }),
            algorithms: profile_algorithms()?,
            // The PKCS#11 profile's cases need a module: SoftHSM2 where the test command installed it.
            pkcs11: Path::new(SOFTHSM_MODULE)
                .exists()
                .then(|| keyward_server::config::Pkcs11Config { module: SOFTHSM_MODULE.into() }),
            ..ServerConfig::default()
        };
        let dispatcher = keyward_server::open_dispatcher(&config).map_err(|e| e.to_string())?;
        let server = Server::bind(&config, dispatcher).await.map_err(|e| e.to_string())?;
        let address = server.local_addr();
        let https_address = server.https_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = server
                .run(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Running { address, https_address, stop, task })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
