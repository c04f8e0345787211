//! `--in-process`: a Keyward server of our own for each test case, on a fresh data directory, so
//! that no test case sees another's objects. One development PKI serves them all.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use keyward_client::ClientCredentials;
use keyward_server::pki::{ADMIN, DevPki};
use keyward_server::{HttpsConfig, Server, ServerConfig, TlsConfig};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A temporary home for the servers of a run.
pub struct Workspace {
    dir: tempfile::TempDir,
    pki: DevPki,
    next: usize,
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
        Ok(Workspace { dir, pki, next: 0 })
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

    /// Starts a server on a fresh data directory.
    pub async fn start(&mut self) -> Result<Running, String> {
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().map_err(|e: std::net::AddrParseError| e.to_string())?,
            data_dir: self.data_dir(),
            administrators: vec![ADMIN.to_string()],
            tls: self.tls(),
            https: Some(HttpsConfig {
                listen: "127.0.0.1:0".parse().map_err(|e: std::net::AddrParseError| e.to_string())?,
            }),
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
