//! `GET /v1/cluster` (administrators): the servers that share this one's store, as the store
//! knows them: on PostgreSQL, every node's lease on its cache (docs/operations/high-availability.md),
//! this node marked; and what Query Server Information tells clients about the cluster.

use serde_json::{Value, json};

use super::{ApiError, Call, Reply};

pub(super) fn status(call: &Call<'_>) -> Result<Reply, ApiError> {
    call.require_administrator()?;
    let services = call.shared.dispatcher.services();
    let nodes = services.store.cluster_nodes().map_err(ApiError::internal)?;
    let information = &services.policy.server_information;
    let nodes: Value = match nodes {
        None => Value::Null,
        Some(nodes) => nodes
            .iter()
            .map(|node| {
                json!({
                    "node": node.node,
                    "this_node": node.this_node,
                    "live": node.lease_seconds_left > 0.0,
                    "lease_seconds_left": node.lease_seconds_left,
                })
            })
            .collect(),
    };
    Ok(Reply::ok(json!({
        "shared_store": !nodes.is_null(),
        "nodes": nodes,
        "cluster_info": information.cluster_info,
        "alternate_failover_endpoints": information.alternate_failover_endpoints,
    })))
}
