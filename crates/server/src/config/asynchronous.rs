//! The `[asynchronous]` table of keyward.toml: which operations a client that sets the
//! Asynchronous Indicator (KMIP 1.4 §6.7, 2.1 §9.2) may have answered Operation Pending, to Poll
//! for later, and how many it may have pending. The policy is keyward-core's
//! ([`AsynchronousPolicy`]); operations are written by their specification names ("Locate",
//! "Create Key Pair"), in any case.

use keyward_core::AsynchronousPolicy;
use keyward_ttlv::KmipEnum;
use keyward_ttlv::enums::Operation;
use serde::Deserialize;

use crate::config::ConfigError;

/// The table as written; a key left out keeps its default.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AsynchronousConfig {
    /// Off: every request is answered synchronously.
    pub enabled: bool,
    /// The operations that may be deferred.
    pub operations: Vec<String>,
    /// The most operations one client may have pending; past it, requests are answered at once.
    pub max_pending_per_client: usize,
    /// How long a pending operation waits for its Poll, in seconds.
    pub lifetime_seconds: i64,
}

impl Default for AsynchronousConfig {
    fn default() -> AsynchronousConfig {
        let policy = AsynchronousPolicy::default();
        AsynchronousConfig {
            enabled: policy.enabled,
            operations: policy.operations.iter().map(|o| name_of(*o)).collect(),
            max_pending_per_client: policy.max_pending_per_client,
            lifetime_seconds: policy.lifetime,
        }
    }
}

impl AsynchronousConfig {
    pub fn policy(&self) -> Result<AsynchronousPolicy, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid(format!("asynchronous: {message}"));
        if self.lifetime_seconds <= 0 {
            return Err(invalid(format!("lifetime_seconds: {} is not a duration", self.lifetime_seconds)));
        }
        let mut operations = Vec::new();
        for name in &self.operations {
            let wanted = name.trim();
            let found = Operation::DEF
                .values
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(wanted) || d.camel.eq_ignore_ascii_case(wanted))
                .map(|d| Operation::from_value(d.value));
            match found {
                // Poll and Cancel "SHALL NOT be asynchronous" (1.4 §4.27, §4.28).
                Some(Operation::Poll | Operation::Cancel) => {
                    return Err(invalid(format!("operations: {name} cannot be asynchronous")));
                }
                Some(operation) => operations.push(operation),
                None => {
                    return Err(invalid(format!("operations: {name:?} is not an operation the specification names")));
                }
            }
        }
        Ok(AsynchronousPolicy {
            enabled: self.enabled,
            operations,
            max_pending_per_client: self.max_pending_per_client,
            lifetime: self.lifetime_seconds,
        })
    }
}

fn name_of(operation: Operation) -> String {
    let mut rows = Operation::DEF.values.iter().filter(|d| d.value == operation.value());
    rows.next_back().map_or_else(|| format!("{:#x}", operation.value()), |d| d.name.to_string())
}

#[cfg(test)]
mod tests {
    use crate::config::ServerConfig;

    use super::*;

    #[test]
    fn the_default_is_the_core_policy() {
        assert_eq!(AsynchronousConfig::default().policy().unwrap(), AsynchronousPolicy::default());
    }

    #[test]
    fn operations_are_read_by_name_and_poll_is_refused() {
        let config = ServerConfig::from_toml(
            "[asynchronous]\noperations = [\"Locate\", \"create key pair\"]\nmax_pending_per_client = 4\n",
        )
        .unwrap();
        let policy = config.asynchronous.policy().unwrap();
        assert_eq!(policy.operations, vec![Operation::Locate, Operation::CreateKeyPair]);
        assert_eq!(policy.max_pending_per_client, 4);
        assert!(policy.enabled);
        let off = ServerConfig::from_toml("[asynchronous]\nenabled = false\n").unwrap();
        assert!(!off.asynchronous.policy().unwrap().enabled);
        for bad in ["operations = [\"Poll\"]", "operations = [\"Lokate\"]", "lifetime_seconds = 0"] {
            assert!(ServerConfig::from_toml(&format!("[asynchronous]\n{bad}\n")).is_err(), "{bad}");
        }
    }
}
