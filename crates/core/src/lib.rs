//! # keyward-core
//!
//! The KMIP dispatcher. [`Dispatcher::handle`] takes a client identity and a request message and
//! writes the response message; it never touches a socket, so everything here is tested and
//! fuzzed without one. A request that changed objects returns a [`CommitTicket`]: the transport
//! sends the response only when the ticket completes, that is when the changes are on disk.
//!
//! Layout: [`dispatch`] runs a message (version, batch options, placeholders, response size);
//! [`context`] is what an operation sees (the client, the clock, the objects of the batch);
//! `ops/` holds one module per operation; [`lifecycle`] the state machine; [`error`] the mapping
//! of failures to Result Reasons; [`observer`] the hook through which the server counts batch
//! items; [`rotation`] the decisions of automatic rotation; [`audit`] the events of the audit
//! trail, which the server writes.

pub mod access;
pub mod algorithm_policy;
pub mod asynchronous;
pub mod attribute_rules;
pub mod attributes;
pub mod audit;
pub mod context;
pub mod creation;
pub mod crypto;
pub mod digest;
pub mod dispatch;
pub mod error;
pub mod lifecycle;
pub mod observer;
pub mod operation_policy;
mod ops;
pub mod pkcs11_relay;
pub mod policy;
pub mod record_schema;
pub mod replacement;
pub mod rotation;
pub mod streams;
mod template;
pub mod usage;
pub mod usage_limits;

use std::sync::Arc;

pub use asynchronous::{AsyncWorker, AsynchronousPolicy};
pub use audit::{AuditEvent, AuditOrigin, AuditSink, AuditUnavailable};
pub use dispatch::{Dispatcher, Handled};
pub use error::{OpError, OpResult};
pub use keyward_store::CommitTicket;
pub use observer::DispatchObserver;
pub use policy::{AlgorithmPolicy, Clock, IssuingCa, Policy, ServerInformation, SystemClock};

/// Who is asking: the name the transport derived from the client's certificate (its subject
/// common name by default; `tenant/name` for a client of a CA mapped to a tenant), and the role
/// its certificate maps to. Objects belong to the identity that created them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientIdentity {
    pub name: String,
    /// The role the transport found for it; identities listed as administrators in the
    /// [`Policy`] are administrators whatever this says.
    pub role: access::Role,
    /// The identity groups its certificate puts it in (`[[access.groups]]`): a grant to
    /// `group:NAME` is a grant to each of them.
    pub groups: Vec<String>,
}

impl ClientIdentity {
    /// An identity with the client role.
    pub fn new(name: impl Into<String>) -> ClientIdentity {
        ClientIdentity { name: name.into(), role: access::Role::Client, groups: Vec::new() }
    }

    pub fn with_role(name: impl Into<String>, role: access::Role) -> ClientIdentity {
        ClientIdentity { name: name.into(), role, groups: Vec::new() }
    }
}

/// The operations the dispatcher implements (others are answered Operation Not Supported).
pub fn supported_operations() -> &'static [keyward_kmip::enums::Operation] {
    ops::SUPPORTED_OPERATIONS
}

/// Everything the dispatcher is built from.
pub struct Services {
    pub store: Arc<dyn keyward_store::ObjectStore>,
    pub policy: Policy,
    pub clock: Arc<dyn Clock>,
}
