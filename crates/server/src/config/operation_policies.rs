//! The `[operation_policies]` table of keyward.toml: the named operation policies an object's
//! Operation Policy Name (KMIP 1.x §3.18) may name besides the built-in `default`. The policy
//! itself, and what the names mean, is keyward-core's (`operation_policy`).
//!
//! ```toml
//! [operation_policies.shared-read]
//! Get = ["owner", "user:Barney", "device:SN-0042"]
//! "Get Attributes" = ["all"]
//! Destroy = []            # no one (administrators excepted)
//! # any operation not listed: the owner only
//! ```
//!
//! Operations are named as the specification names them ("Get Attributes" or "GetAttributes");
//! who may run one is a list of `owner`, `all`, `user:NAME` (a Username and Password credential),
//! `device:SERIAL` (a Device credential) and `client:IDENTITY` (a client certificate's identity).

use std::collections::BTreeMap;

use keyward_core::operation_policy::{Allowed, DEFAULT_POLICY, NamedPolicy, OperationPolicies};
use keyward_ttlv::KmipEnum;
use keyward_ttlv::enums::Operation;

use crate::config::ConfigError;

/// The table as written: policy name, then operation name, then who.
pub type OperationPoliciesConfig = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The policies the table describes; an unknown operation or entity, or a policy named `default`,
/// is an error.
pub fn policies(config: &OperationPoliciesConfig) -> Result<OperationPolicies, ConfigError> {
    let mut named = BTreeMap::new();
    for (name, rules) in config {
        if name == DEFAULT_POLICY || name.trim().is_empty() {
            return Err(invalid(format!("{name:?} cannot be configured (\"default\" is the specification's)")));
        }
        let mut operations = Vec::new();
        for (operation, who) in rules {
            let allowed = who.iter().map(|w| allowed(name, w)).collect::<Result<Vec<_>, _>>()?;
            operations.push((operation_named(name, operation)?, allowed));
        }
        named.insert(name.clone(), NamedPolicy { operations });
    }
    Ok(OperationPolicies { named })
}

fn operation_named(policy: &str, name: &str) -> Result<Operation, ConfigError> {
    let wanted = name.trim();
    Operation::DEF
        .values
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(wanted) || d.camel.eq_ignore_ascii_case(wanted))
        .map(|d| Operation::from_value(d.value))
        .ok_or_else(|| invalid(format!("{policy}: {name:?} is not an operation the specification names")))
}

fn allowed(policy: &str, who: &str) -> Result<Allowed, ConfigError> {
    let labelled = |prefix: &str| who.strip_prefix(prefix).filter(|rest| !rest.is_empty());
    Ok(match who {
        "owner" => Allowed::Owner,
        "all" => Allowed::All,
        _ if labelled("user:").is_some() || labelled("device:").is_some() => Allowed::Entity(who.to_string()),
        _ => match labelled("client:") {
            Some(identity) => Allowed::Client(identity.to_string()),
            None => {
                return Err(invalid(format!(
                    "{policy}: {who:?} is none of owner, all, user:NAME, device:SERIAL, client:IDENTITY"
                )));
            }
        },
    })
}

fn invalid(message: String) -> ConfigError {
    ConfigError::Invalid(format!("operation_policies: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;

    #[test]
    fn policies_are_read_from_keyward_toml() {
        let text = "[operation_policies.shared]\nGet = [\"owner\", \"user:Barney\", \"client:ops\"]\n\"Get Attributes\" = [\"all\"]\nDestroy = []\n";
        let config = ServerConfig::from_toml(text).unwrap();
        let policies = policies(&config.operation_policies).unwrap();
        let shared = &policies.named["shared"];
        assert!(shared.operations.contains(&(
            Operation::Get,
            vec![Allowed::Owner, Allowed::Entity("user:Barney".into()), Allowed::Client("ops".into())]
        )));
        assert!(shared.operations.contains(&(Operation::GetAttributes, vec![Allowed::All])));
        assert!(shared.operations.contains(&(Operation::Destroy, Vec::new())));
    }

    #[test]
    fn mistakes_are_refused() {
        for text in [
            "[operation_policies.default]\nGet = [\"all\"]\n",
            "[operation_policies.p]\nGett = [\"all\"]\n",
            "[operation_policies.p]\nGet = [\"everyone\"]\n",
            "[operation_policies.p]\nGet = [\"user:\"]\n",
        ] {
            assert!(ServerConfig::from_toml(text).is_err(), "{text}");
        }
    }
}
