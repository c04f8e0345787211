//! `keyward grants add|list|remove`: rights on an object or an Object Group given to another
//! identity, through the management API (`/v1/grants`) with the client connection flags or
//! profile. KMIP has no operation for grants. docs/security/access-control.md has the rules.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::client_error::CliError;
use super::connection::{ClientOptions, with_management};
use super::output::{Output, table};

#[derive(Debug, Args)]
pub struct GrantsArgs {
    #[command(subcommand)]
    command: GrantsCommand,
}

#[derive(Debug, Subcommand)]
enum GrantsCommand {
    /// Grant operations on an object (--object) or on every object of an Object Group (--group).
    Add {
        #[command(flatten)]
        target: Target,
        /// The identity the grant is for (as `keyward identity` shows it to that client).
        #[arg(long)]
        to: String,
        /// Comma-separated operations: get, get-attributes, locate, modify-attributes, activate,
        /// revoke, destroy, archive, re-key, encrypt, decrypt, sign, verify, mac, mac-verify,
        /// wrap, unwrap, derive, certify, import (or all).
        #[arg(long)]
        operations: String,
    },
    /// List the grants you made, hold, or manage the objects of.
    List {
        /// Only the grants on this object.
        #[arg(long, conflicts_with = "group")]
        object: Option<String>,
        /// Only the grants on this Object Group.
        #[arg(long)]
        group: Option<String>,
    },
    /// Take operations (all of them without --operations) away from an identity.
    Remove {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        to: String,
        /// Comma-separated operations to take away; all when left out.
        #[arg(long)]
        operations: Option<String>,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct Target {
    /// The object's Unique Identifier.
    #[arg(long)]
    object: Option<String>,
    /// The Object Group: the grant reaches its members now and later.
    #[arg(long)]
    group: Option<String>,
}

impl Target {
    fn json(&self) -> Value {
        match (&self.object, &self.group) {
            (Some(uid), _) => json!({ "object": uid }),
            (_, Some(group)) => json!({ "group": group }),
            _ => json!({}),
        }
    }
}

/// The operations as the API takes them: a list of names.
fn operation_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect()
}

pub fn run(options: &ClientOptions, args: GrantsArgs) -> Result<(), CliError> {
    let output = Output { json: options.json };
    match args.command {
        GrantsCommand::Add { target, to, operations } => {
            let mut body = target.json();
            body["to"] = json!(to);
            body["operations"] = json!(operation_list(&operations));
            let answer = call(options, "POST", "/v1/grants".into(), Some(body))?;
            let grant = &answer["grant"];
            output.print(&format!("granted: {}", describe(grant)), answer.clone());
        }
        GrantsCommand::List { object, group } => {
            let mut path = "/v1/grants".to_string();
            if let Some(uid) = object {
                path = format!("{path}?object={}", encode(&uid));
            } else if let Some(group) = group {
                path = format!("{path}?group={}", encode(&group));
            }
            let answer = call(options, "GET", path, None)?;
            let grants = answer["grants"].as_array().cloned().unwrap_or_default();
            let rows: Vec<Vec<String>> = grants.iter().map(row).collect();
            let human = if rows.is_empty() {
                "no grants".to_string()
            } else {
                table(&["OBJECT/GROUP", "TO", "OPERATIONS", "GRANTED BY"], &rows)
            };
            output.print(&human, answer);
        }
        GrantsCommand::Remove { target, to, operations } => {
            let mut body = target.json();
            body["to"] = json!(to);
            if let Some(operations) = operations {
                body["operations"] = json!(operation_list(&operations));
            }
            let answer = call(options, "DELETE", "/v1/grants".into(), Some(body))?;
            let remaining = answer["remaining"].as_array().cloned().unwrap_or_default();
            let left: Vec<String> = remaining
                .iter()
                .filter(|g| g["operations"].as_array().is_some_and(|o| !o.is_empty()))
                .map(describe)
                .collect();
            let human =
                if left.is_empty() { "removed".to_string() } else { format!("removed; left: {}", left.join("; ")) };
            output.print(&human, answer);
        }
    }
    Ok(())
}

fn call(options: &ClientOptions, method: &str, path: String, body: Option<Value>) -> Result<Value, CliError> {
    with_management(options, async |client| {
        client.call(method, &path, body.as_ref()).await.map_err(CliError::from_management)
    })
}

fn target_of(grant: &Value) -> String {
    match (grant["object"].as_str(), grant["group"].as_str()) {
        (Some(uid), _) => uid.to_string(),
        (_, Some(group)) => format!("group {group}"),
        _ => String::new(),
    }
}

fn operations_of(grant: &Value) -> String {
    let names: Vec<&str> =
        grant["operations"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    names.join(",")
}

fn describe(grant: &Value) -> String {
    format!("{} to {} on {}", operations_of(grant), grant["to"].as_str().unwrap_or_default(), target_of(grant))
}

fn row(grant: &Value) -> Vec<String> {
    vec![
        target_of(grant),
        grant["to"].as_str().unwrap_or_default().to_string(),
        operations_of(grant),
        grant["granted_by"].as_str().unwrap_or_default().to_string(),
    ]
}

/// Percent-encodes a query value (group names may hold spaces).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("web servers/1"), "web%20servers%2F1");
        assert_eq!(operation_list("get, encrypt,,"), vec!["get", "encrypt"]);
    }
}
