//! The `[access]` table of keyward.toml: tenants (client CAs mapped to a tenant) and the rules
//! that give identities a role. The rules themselves are keyward-core's (`keyward_core::access`);
//! this reads them and refuses what cannot be meant.
//!
//! ```toml
//! [[access.tenants]]
//! name = "acme"
//! ca = "/etc/keyward/acme-clients-ca.pem"
//!
//! [[access.roles]]
//! role = "custodian"
//! field = "ou"
//! value = "key-custodians"
//! tenant = "acme"          # optional: only clients of this tenant
//!
//! [[access.roles]]
//! role = "auditor"
//! identity = "audit.example.com"
//!
//! [[access.groups]]          # grants to "group:vcenters" reach every member
//! group = "vcenters"
//! field = "ou"
//! value = "vcenter"
//! ```

use std::path::PathBuf;

use keyward_core::access::Role;
use serde::Deserialize;

use crate::config::ConfigError;
use crate::identity::CertificateField;

/// The table as written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// Client CAs whose clients form a tenant. Their certificates are trusted as client CAs
    /// besides `tls.ca`.
    pub tenants: Vec<TenantConfig>,
    /// Role rules, first match wins; an identity no rule matches is a client.
    pub roles: Vec<RoleRule>,
    /// Identity group rules: an identity is in every group one of whose rules it matches.
    pub groups: Vec<GroupRule>,
}

/// One identity group rule: identities whose `identity` is the one given, or whose certificate
/// has `value` in `field`, are members of `group` (optionally only in one tenant). Several rules
/// may name one group.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRule {
    pub group: String,
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub field: Option<CertificateField>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
}

/// One tenant: its name (the prefix of its clients' identities, `name/...`) and its CA file.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    pub name: String,
    pub ca: PathBuf,
}

/// One role rule: `role` for identities whose `identity` is the one given, or whose certificate
/// has `value` in `field` (any of its values, for a field that has several), optionally only in
/// one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRule {
    pub role: String,
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub field: Option<CertificateField>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
}

impl RoleRule {
    /// The role named, once checked.
    pub fn parsed_role(&self) -> Result<Role, ConfigError> {
        Role::parse(&self.role).ok_or_else(|| {
            ConfigError::Invalid(format!(
                "access.roles: {:?} is not a role (administrator, custodian, auditor or client)",
                self.role
            ))
        })
    }
}

impl AccessConfig {
    /// The tenant names.
    pub fn tenant_names(&self) -> Vec<String> {
        self.tenants.iter().map(|t| t.name.clone()).collect()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        for (i, tenant) in self.tenants.iter().enumerate() {
            let name = &tenant.name;
            if name.is_empty() || name.contains('/') || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(ConfigError::Invalid(format!(
                    "access.tenants: {name:?} is not a tenant name (no '/', no spaces)"
                )));
            }
            if self.tenants[..i].iter().any(|t| t.name == *name) {
                return Err(ConfigError::Invalid(format!("access.tenants: {name:?} is named twice")));
            }
        }
        for rule in &self.roles {
            rule.parsed_role()?;
            self.check_rule("access.roles", &rule.role, &rule.identity, rule.field, &rule.value, &rule.tenant)?;
        }
        for rule in &self.groups {
            let name = &rule.group;
            if name.is_empty() || name.chars().any(|c| c.is_control() || c.is_whitespace() || c == ',') {
                return Err(ConfigError::Invalid(format!("access.groups: {name:?} is not a group name")));
            }
            self.check_rule("access.groups", name, &rule.identity, rule.field, &rule.value, &rule.tenant)?;
        }
        Ok(())
    }

    /// A role or group rule matches either an identity, or a certificate field's value, and
    /// names only a configured tenant.
    fn check_rule(
        &self,
        table: &str,
        name: &str,
        identity: &Option<String>,
        field: Option<CertificateField>,
        value: &Option<String>,
        tenant: &Option<String>,
    ) -> Result<(), ConfigError> {
        match (identity, field, value) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "{table}: the rule for {name:?} needs either `identity`, or `field` and `value`"
                )));
            }
        }
        if let Some(tenant) = tenant
            && !self.tenants.iter().any(|t| t.name == *tenant)
        {
            return Err(ConfigError::Invalid(format!("{table}: tenant {tenant:?} is not in access.tenants")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::ServerConfig;
    use crate::identity::CertificateField;

    #[test]
    fn reads_tenants_and_role_rules() {
        let config = ServerConfig::from_toml(
            r#"
            administrators = ["root"]
            [[access.tenants]]
            name = "acme"
            ca = "/etc/keyward/acme.pem"
            [[access.roles]]
            role = "key-custodian"
            field = "ou"
            value = "keys"
            tenant = "acme"
            [[access.roles]]
            role = "auditor"
            identity = "audit"
            "#,
        )
        .unwrap();
        assert_eq!(config.access.tenant_names(), ["acme"]);
        assert_eq!(config.access.roles[0].field, Some(CertificateField::OrganizationalUnit));
        assert_eq!(config.access.roles[0].parsed_role().unwrap(), keyward_core::access::Role::Custodian);
        assert_eq!(config.administrators, ["root"]);
    }

    #[test]
    fn refuses_what_cannot_be_meant() {
        for bad in [
            "[[access.roles]]\nrole = \"janitor\"\nidentity = \"x\"",
            "[[access.roles]]\nrole = \"auditor\"",
            "[[access.roles]]\nrole = \"auditor\"\nfield = \"ou\"",
            "[[access.roles]]\nrole = \"auditor\"\nidentity = \"x\"\ntenant = \"nowhere\"",
            "[[access.tenants]]\nname = \"a/b\"\nca = \"x.pem\"",
            "[[access.tenants]]\nname = \"a\"\nca = \"x.pem\"\n[[access.tenants]]\nname = \"a\"\nca = \"y.pem\"",
            "[[access.roles]]\nrole = \"auditor\"\nfield = \"street\"\nvalue = \"x\"",
        ] {
            assert!(ServerConfig::from_toml(bad).is_err(), "{bad}");
        }
    }
}
