//! `keyward cluster status`: the servers that share the store of the server asked (on
//! PostgreSQL, every node's lease on its cache), through the management API (administrators).

use clap::{Args, Subcommand};
use serde_json::Value;

use super::client_error::CliError;
use super::connection::{ClientOptions, with_management};
use super::output::Output;

#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    pub command: ClusterCommand,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// The nodes that hold a lease on the shared store (live or expired), this one marked, and
    /// what clients are told about the cluster.
    Status,
}

pub fn run(options: &ClientOptions, args: ClusterArgs) -> Result<(), CliError> {
    let ClusterCommand::Status = args.command;
    let answer = with_management(options, async |client| {
        client.call("GET", "/v1/cluster", None).await.map_err(CliError::from_management)
    })?;
    Output { json: options.json }.print(&describe(&answer), answer);
    Ok(())
}

/// The status for a person.
fn describe(status: &Value) -> String {
    let mut out = String::new();
    match status["nodes"].as_array() {
        None => out.push_str("a store of this server alone (sled): no other nodes\n"),
        Some(nodes) => {
            let live = nodes.iter().filter(|n| n["live"] == Value::Bool(true)).count();
            out.push_str(&format!("nodes with a live lease: {live}\n"));
            for node in nodes {
                let left = node["lease_seconds_left"].as_f64().unwrap_or(0.0);
                let state =
                    if left > 0.0 { format!("lease {left:.1} s left") } else { format!("expired {:.0} s ago", -left) };
                let this = if node["this_node"] == Value::Bool(true) { " (this node)" } else { "" };
                out.push_str(&format!("  {}{this}: {state}\n", node["node"].as_str().unwrap_or("?")));
            }
        }
    }
    if let Some(info) = status["cluster_info"].as_str() {
        out.push_str(&format!("cluster info told to clients: {info}\n"));
    }
    for endpoint in status["alternate_failover_endpoints"].as_array().into_iter().flatten() {
        out.push_str(&format!("failover endpoint told to clients: {}\n", endpoint.as_str().unwrap_or("?")));
    }
    out
}
