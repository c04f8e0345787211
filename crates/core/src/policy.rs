//! The server's policy: who administers, what the server says about itself, the clock.

pub use crate::algorithm_policy::{AlgorithmPolicy, KeyKind};

/// Settings that shape answers.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Client identities that may manage every object, whoever owns it.
    pub administrators: Vec<String>,
    /// What Query answers about the server.
    pub server_information: ServerInformation,
    /// The algorithms and key sizes the server makes keys of and protects data with.
    pub algorithms: AlgorithmPolicy,
}

impl Policy {
    pub fn is_administrator(&self, client: &str) -> bool {
        self.administrators.iter().any(|a| a == client)
    }
}

/// What Query (Query Server Information) reports.
#[derive(Clone, Debug)]
pub struct ServerInformation {
    pub vendor_identification: String,
    pub server_name: String,
    pub server_version: String,
    /// The cluster this server is a node of (KMIP 2.x Cluster Info), when configured.
    pub cluster_info: Option<String>,
    /// The other nodes a client may use (KMIP 2.x Alternate Failover Endpoints).
    pub alternate_failover_endpoints: Vec<String>,
}

impl Default for ServerInformation {
    fn default() -> ServerInformation {
        ServerInformation {
            vendor_identification: "Keyward".into(),
            server_name: "Keyward KMIP server".into(),
            server_version: env!("CARGO_PKG_VERSION").into(),
            cluster_info: None,
            alternate_failover_endpoints: Vec::new(),
        }
    }
}

/// The time, in seconds since the epoch. A trait so that tests can fix it.
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        keyward_ttlv::datetime::now_seconds()
    }
}
