//! The options every client command shares (where the server is, the credentials, `--json`), and
//! opening a KMIP session with them.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use clap::Args;
use keyward_client::{Client, ClientCredentials, ManagementClient, Session};

use super::client_error::CliError;
use super::output::Output;
use super::profile::{PROFILE_VARIABLE, Profile};

/// Given before the command: `keyward --profile FILE keys list`. The flags override the profile.
#[derive(Clone, Debug, Default, Args)]
pub struct ClientOptions {
    /// The KMIP server, HOST:PORT (client commands).
    #[arg(long, value_name = "HOST:PORT")]
    pub server: Option<String>,
    /// The name the server's certificate must carry (default: the host of --server).
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,
    /// The CA certificates (PEM) the server's certificate must chain to.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// This client's certificate (PEM).
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// This client's private key (PEM).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// A profile (TOML: server, ca, cert, key, server_name); default: $KEYWARD_PROFILE.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Print results, and errors (on stderr), as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Where to connect and with what, once flags and profile are merged.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub server: String,
    pub server_name: String,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl ClientOptions {
    /// True when any connection flag was given (they mean nothing to serve, pki, ttlv or bench).
    pub fn any_connection_flag(&self) -> bool {
        self.server.is_some()
            || self.server_name.is_some()
            || self.ca.is_some()
            || self.cert.is_some()
            || self.key.is_some()
            || self.profile.is_some()
    }

    pub fn output(&self, json: bool) -> Output {
        Output { json: self.json || json }
    }

    /// The profile named by --profile, else by $KEYWARD_PROFILE, else none.
    fn profile(&self) -> Result<Profile, CliError> {
        let path = self.profile.clone().or_else(|| std::env::var_os(PROFILE_VARIABLE).map(PathBuf::from));
        match path {
            Some(path) => Profile::load(&path)
                .map_err(|error| CliError::connect(error.to_string(), Some("see docs/cli.md for the profile format"))),
            None => Ok(Profile::default()),
        }
    }

    /// The flags over the profile.
    pub fn target(&self) -> Result<Target, CliError> {
        let profile = self.profile()?;
        let missing = |what: &str| {
            CliError::Usage(format!(
                "no {what}: give --{what}, or --profile FILE (or ${PROFILE_VARIABLE}) naming a profile that has it"
            ))
        };
        let server = self.server.clone().or(profile.server).ok_or_else(|| missing("server"))?;
        let server_name = match self.server_name.clone().or(profile.server_name) {
            Some(name) => name,
            None => host_of(&server)?.to_string(),
        };
        Ok(Target {
            server_name,
            ca: self.ca.clone().or(profile.ca).ok_or_else(|| missing("ca"))?,
            cert: self.cert.clone().or(profile.cert).ok_or_else(|| missing("cert"))?,
            key: self.key.clone().or(profile.key).ok_or_else(|| missing("key"))?,
            server,
        })
    }
}

/// The host of HOST:PORT, without the brackets of an IPv6 address.
pub fn host_of(server: &str) -> Result<&str, CliError> {
    let (host, port) =
        server.rsplit_once(':').ok_or_else(|| CliError::Usage(format!("--server {server:?}: expected HOST:PORT")))?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(CliError::Usage(format!("--server {server:?}: expected HOST:PORT")));
    }
    Ok(host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host))
}

impl Target {
    fn address(&self) -> Result<SocketAddr, CliError> {
        let unresolved = |detail: String| {
            CliError::connect(format!("cannot resolve {}: {detail}", self.server), Some("check --server (HOST:PORT)"))
        };
        self.server
            .to_socket_addrs()
            .map_err(|error| unresolved(error.to_string()))?
            .next()
            .ok_or_else(|| unresolved("no address".into()))
    }

    pub fn client(&self) -> Result<Client, CliError> {
        let credentials = ClientCredentials::from_pem_files(&self.ca, &self.cert, &self.key)
            .map_err(|error| CliError::from(keyward_client::SessionError::Transport(error)))?;
        Client::new(self.address()?, &self.server_name, &credentials)
            .map_err(|error| CliError::from(keyward_client::SessionError::Transport(error)))
    }
}

impl Target {
    /// The management API's client, on the same port and credentials as KMIP.
    pub fn management(&self) -> Result<ManagementClient, CliError> {
        let credentials = ClientCredentials::from_pem_files(&self.ca, &self.cert, &self.key)
            .map_err(|error| CliError::from(keyward_client::SessionError::Transport(error)))?;
        ManagementClient::new(self.address()?, &self.server_name, &credentials).map_err(CliError::from_management)
    }
}

/// Runs `work` with the management API's client on a runtime of its own (see [`with_session`]).
pub fn with_management<T>(
    options: &ClientOptions,
    work: impl AsyncFnOnce(&ManagementClient) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let client = options.target()?.management()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError::connect(format!("cannot start the async runtime: {error}"), None))?;
    runtime.block_on(work(&client))
}

/// Runs `work` with a session to the target on a runtime of its own: a client command is one
/// short conversation, and one thread does it.
pub fn with_session<T>(
    options: &ClientOptions,
    work: impl AsyncFnOnce(&mut Session) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let client = options.target()?.client()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError::connect(format!("cannot start the async runtime: {error}"), None))?;
    runtime.block_on(async {
        let mut session = Session::open(&client).await?;
        let outcome = work(&mut session).await;
        session.close().await;
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_name_is_the_host_of_the_server() {
        assert_eq!(host_of("kms.example.com:5696").unwrap(), "kms.example.com");
        assert_eq!(host_of("[::1]:5696").unwrap(), "::1");
        assert_eq!(host_of("127.0.0.1:5696").unwrap(), "127.0.0.1");
        assert!(host_of("kms.example.com").is_err());
        assert!(host_of(":5696").is_err());
        assert!(host_of("host:port").is_err());
    }

    #[test]
    fn flags_override_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "server = \"127.0.0.1:1\"\nca = \"ca.pem\"\ncert = \"c.pem\"\nkey = \"c.key\"\n")
            .unwrap();
        let options = ClientOptions {
            profile: Some(path),
            server: Some("localhost:5696".into()),
            key: Some("/other.key".into()),
            ..ClientOptions::default()
        };
        let target = options.target().unwrap();
        assert_eq!(target.server, "localhost:5696");
        assert_eq!(target.server_name, "localhost");
        assert_eq!(target.ca, dir.path().join("ca.pem"));
        assert_eq!(target.key, PathBuf::from("/other.key"));
    }

    #[test]
    fn a_missing_setting_is_a_usage_error() {
        let options = ClientOptions { server: Some("localhost:5696".into()), ..ClientOptions::default() };
        // $KEYWARD_PROFILE may be set where the tests run: name an empty profile instead.
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.toml");
        std::fs::write(&empty, "").unwrap();
        let options = ClientOptions { profile: Some(empty), ..options };
        assert!(matches!(options.target(), Err(CliError::Usage(m)) if m.contains("--ca")));
    }
}
