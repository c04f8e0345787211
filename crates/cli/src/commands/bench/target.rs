//! Where the load goes and who sends it: the server's address and TLS name, the client's
//! credentials, and the two client TLS configurations the workloads use.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyward_client::{Client, ClientCredentials};
use keyward_server::pki::{ADMIN, DevPki};
use rustls::client::Resumption;

use super::args::ServerArgs;
use super::error::BenchError;

/// A KMIP server (or the echo server) and how to reach it.
#[derive(Clone)]
pub struct Target {
    /// What the report calls it.
    pub label: String,
    pub address: SocketAddr,
    server_name: String,
    /// Connections of this client resume each other's TLS sessions.
    resuming: Arc<rustls::ClientConfig>,
    /// Every connection of this client makes a full handshake.
    fresh: Arc<rustls::ClientConfig>,
}

impl Target {
    pub fn new(
        label: String,
        address: SocketAddr,
        server_name: String,
        credentials: &ClientCredentials,
    ) -> Result<Target, BenchError> {
        let resuming = credentials.tls_config().map_err(BenchError::Client)?;
        let mut fresh = resuming.clone();
        fresh.resumption = Resumption::disabled();
        Ok(Target { label, address, server_name, resuming: Arc::new(resuming), fresh: Arc::new(fresh) })
    }

    /// A client whose connections resume sessions (with `resume`) or make full handshakes.
    pub fn client(&self, resume: bool) -> Result<Client, BenchError> {
        let config = if resume { &self.resuming } else { &self.fresh };
        Client::with_tls_config(self.address, &self.server_name, Arc::clone(config)).map_err(BenchError::Client)
    }
}

/// The certificate files of a TLS endpoint or client.
#[derive(Clone, Debug)]
pub struct PemFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl PemFiles {
    pub fn credentials(&self) -> Result<ClientCredentials, BenchError> {
        ClientCredentials::from_pem_files(&self.ca, &self.cert, &self.key).map_err(BenchError::Client)
    }

    /// The admin client of a development PKI.
    pub fn dev_admin(pki: &DevPki) -> PemFiles {
        let admin = pki.client(ADMIN);
        PemFiles { ca: pki.ca_cert(), cert: admin.cert, key: admin.key }
    }

    /// The ECDSA server certificate of a development PKI, the one Keyward serves first.
    pub fn dev_server(pki: &DevPki) -> PemFiles {
        let server = pki.ecdsa_server();
        PemFiles { ca: pki.ca_cert(), cert: server.cert, key: server.key }
    }
}

/// The client files the arguments name: the admin client of --data-dir, or --ca/--cert/--key.
pub fn client_files(args: &ServerArgs) -> Result<PemFiles, BenchError> {
    if let Some(dir) = &args.data_dir {
        return Ok(PemFiles::dev_admin(&DevPki::of_data_dir(dir)));
    }
    match (&args.ca, &args.cert, &args.key) {
        (Some(ca), Some(cert), Some(key)) => Ok(PemFiles { ca: ca.clone(), cert: cert.clone(), key: key.clone() }),
        _ => Err(BenchError::NoCredentials),
    }
}

/// The server of the arguments: its address, and the name its certificate must carry.
pub fn server(args: &ServerArgs, credentials: &ClientCredentials) -> Result<Target, BenchError> {
    let address = args
        .server
        .to_socket_addrs()
        .map_err(|error| BenchError::Address { address: args.server.clone(), error })?
        .next()
        .ok_or_else(|| BenchError::Address {
            address: args.server.clone(),
            error: std::io::ErrorKind::NotFound.into(),
        })?;
    let server_name = match &args.server_name {
        Some(name) => name.clone(),
        None => host_of(&args.server).to_string(),
    };
    Target::new(format!("server {}", args.server), address, server_name, credentials)
}

/// The host part of HOST:PORT, without the brackets of an IPv6 address.
fn host_of(server: &str) -> &str {
    let host = server.rsplit_once(':').map_or(server, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// A data directory's development PKI, checked to exist (the server creates it on first start).
pub fn existing_dev_pki(dir: &Path) -> Result<DevPki, BenchError> {
    let pki = DevPki::of_data_dir(dir);
    if pki.ca_cert().exists() { Ok(pki) } else { Err(BenchError::NoDevPki(dir.to_path_buf())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_addresses() {
        assert_eq!(host_of("127.0.0.1:5696"), "127.0.0.1");
        assert_eq!(host_of("kms.example.com:5696"), "kms.example.com");
        assert_eq!(host_of("[::1]:5696"), "::1");
    }
}
