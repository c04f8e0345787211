//! The server's policy: who administers, what the server says about itself, the clock.

use crate::ClientIdentity;
use crate::access::{AccessPolicy, Role};
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
    /// Tenants and grants (roles come with each [`ClientIdentity`]).
    pub access: AccessPolicy,
    /// The CA that signs Certify and Re-certify requests that name none (no Parent Link).
    pub issuing_ca: IssuingCa,
    /// The operation policies an object may name besides `default` (see `operation_policy`).
    pub operation_policies: crate::operation_policy::OperationPolicies,
    /// Which operations may be answered Operation Pending, for clients that allow it.
    pub asynchronous: crate::asynchronous::AsynchronousPolicy,
}

impl Policy {
    pub fn is_administrator(&self, client: &str) -> bool {
        self.administrators.iter().any(|a| a == client)
    }

    /// The role `client` acts with: administrator when listed in `administrators`, else the one
    /// its certificate mapped to.
    pub fn role_of(&self, client: &ClientIdentity) -> Role {
        if client.role == Role::Administrator || self.is_administrator(&client.name) {
            Role::Administrator
        } else {
            client.role
        }
    }
}

/// The server's own issuing CA: what signs a certificate whose request names no CA with a Parent
/// Link (1.4 §4.7 and 2.1 §6.1.6 leave the choice of CA to the server then).
#[derive(Clone, Default)]
pub enum IssuingCa {
    /// None: such a request is refused (Missing Data), the client must name a CA.
    #[default]
    None,
    /// A CA the operator configured: its certificate (DER) and private key (PKCS#8 DER).
    Configured { certificate: Vec<u8>, private_key: zeroize::Zeroizing<Vec<u8>> },
    /// A CA the server keeps among its managed objects: an EC P-256 key pair and a self-signed
    /// certificate, created on first use (see `crypto::issuing_ca`).
    Managed,
}

/// Never the key: only which kind of CA it is.
impl std::fmt::Debug for IssuingCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IssuingCa::None => "IssuingCa::None",
            IssuingCa::Configured { .. } => "IssuingCa::Configured",
            IssuingCa::Managed => "IssuingCa::Managed",
        })
    }
}

/// What Query (Query Server Information) reports.
#[derive(Clone, Debug)]
pub struct ServerInformation {
    pub vendor_identification: String,
    pub server_name: String,
    pub server_version: String,
}

impl Default for ServerInformation {
    fn default() -> ServerInformation {
        ServerInformation {
            vendor_identification: "Keyward".into(),
            server_name: "Keyward KMIP server".into(),
            server_version: env!("CARGO_PKG_VERSION").into(),
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
