//! `[rotation]`: how often the scheduler looks for due rotations, and the rotation policies of the
//! configuration (`[[rotation.policy]]`), which sit beside those added through the management API
//! and cannot be removed through it.

use std::time::Duration;

use keyward_core::rotation::RotationPolicy;
use serde::Deserialize;

use super::ConfigError;

/// The rotation scheduler's settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RotationConfig {
    /// Off: nothing rotates automatically (the policies are still kept and listed).
    pub enabled: bool,
    /// How often due rotations are looked for: whole seconds, at least one. A rotation runs at
    /// most this late.
    #[serde(deserialize_with = "crate::limits::duration")]
    pub check_interval: Duration,
    /// The configuration's policies.
    pub policy: Vec<RotationPolicy>,
}

impl Default for RotationConfig {
    fn default() -> RotationConfig {
        RotationConfig { enabled: true, check_interval: Duration::from_secs(10), policy: Vec::new() }
    }
}

impl RotationConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.check_interval < Duration::from_secs(1) || self.check_interval.subsec_nanos() != 0 {
            return Err(ConfigError::Invalid(
                "rotation: check_interval must be a whole number of seconds, at least 1s".into(),
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for policy in &self.policy {
            policy.validate().map_err(|error| ConfigError::Invalid(error.to_string()))?;
            if !ids.insert(&policy.id) {
                return Err(ConfigError::Invalid(format!("rotation: two policies have the id {:?}", policy.id)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_read_from_toml() {
        let config: RotationConfig = toml::from_str(
            r#"
            check_interval = "1s"
            [[policy]]
            id = "backups"
            object_group = "backup"
            interval = "90d"
            offset = "1h"
            replaced = { grace = "7d", protect_stop = true }
            "#,
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.check_interval, Duration::from_secs(1));
        assert_eq!(config.policy[0].interval, 90 * 86_400);
        assert_eq!(config.policy[0].replaced.grace, Some(7 * 86_400));
        let fast = RotationConfig { check_interval: Duration::from_millis(500), ..RotationConfig::default() };
        assert!(fast.validate().is_err());
    }
}
