//! The `[cluster]` table: what a node tells clients about its cluster (KMIP 2.x Query Server
//! Information: Cluster Info and Alternate Failover Endpoints, 2.1 §7.37), so that a client
//! learns the other nodes.
//!
//! ```toml
//! [cluster]
//! info = "kms-prod (3 nodes on PostgreSQL)"
//! failover_endpoints = ["kms2.example.net:5696", "kms3.example.net:5696"]
//! ```

use serde::Deserialize;

use super::ConfigError;

/// The `[cluster]` table; empty by default (nothing is reported).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Cluster Info: free text naming the cluster.
    pub info: Option<String>,
    /// Alternate Failover Endpoints: the other nodes, as HOST:PORT.
    pub failover_endpoints: Vec<String>,
}

impl ClusterConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(empty) = self.failover_endpoints.iter().find(|e| e.trim().is_empty()) {
            return Err(ConfigError::Invalid(format!("cluster: failover endpoint {empty:?} is empty")));
        }
        Ok(())
    }
}
