//! From a verified certificate chain to a [`ClientIdentity`] with its role, once per connection:
//! the name (`identity` setting), the tenant of the CA that issued it (`[[access.tenants]]`,
//! which prefixes the name with `tenant/`), and the role of the first `[[access.roles]]` rule
//! that matches. Requests then only read the result.
//!
//! Which CA issued a chain: the one whose subject is the issuer of a certificate of the chain.
//! TLS has already verified the chain up to one of the trusted CAs, so the only way to be
//! mistaken for a tenant's CA is to be a trusted CA with the same subject name; the configuration
//! refuses two tenant CAs with one subject, and docs/configuration.md says not to trust another.

use keyward_core::ClientIdentity;
use keyward_core::access::Role;
use rustls::pki_types::CertificateDer;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::config::ConfigError;
use crate::config::access::AccessConfig;
use crate::identity::{CertificateField, IdentityError, IdentitySource};

/// A tenant's CA: its name and the subject of each of its certificates.
struct TenantCa {
    name: String,
    subjects: Vec<Vec<u8>>,
}

enum Matcher {
    Identity(String),
    Field(CertificateField, String),
}

struct Rule {
    role: Role,
    matcher: Matcher,
    tenant: Option<String>,
}

/// The rules, read once at start.
pub(crate) struct IdentityRules {
    source: IdentitySource,
    tenants: Vec<TenantCa>,
    rules: Vec<Rule>,
    /// The tenants' CA certificates, to trust as client CAs.
    pub(crate) tenant_roots: Vec<CertificateDer<'static>>,
}

impl IdentityRules {
    /// Identities by `source` alone: no tenants, every client a client.
    pub(crate) fn plain(source: IdentitySource) -> IdentityRules {
        IdentityRules { source, tenants: Vec::new(), rules: Vec::new(), tenant_roots: Vec::new() }
    }

    pub(crate) fn new(source: IdentitySource, access: &AccessConfig) -> Result<IdentityRules, ConfigError> {
        access.validate()?;
        let mut rules = IdentityRules::plain(source);
        for tenant in &access.tenants {
            let certificates = keyward_client::pem::certificates_from_file(&tenant.ca)
                .map_err(|e| ConfigError::Invalid(format!("access.tenants {:?}: {e}", tenant.name)))?;
            let mut subjects = Vec::new();
            for certificate in &certificates {
                let (_, parsed) = X509Certificate::from_der(certificate).map_err(|e| {
                    ConfigError::Invalid(format!("access.tenants {:?}: {}: {e}", tenant.name, tenant.ca.display()))
                })?;
                let subject = parsed.subject().as_raw().to_vec();
                if rules.tenants.iter().any(|t| t.subjects.contains(&subject)) {
                    return Err(ConfigError::Invalid(format!(
                        "access.tenants {:?}: its CA has the subject of another tenant's CA",
                        tenant.name
                    )));
                }
                subjects.push(subject);
            }
            rules.tenant_roots.extend(certificates);
            rules.tenants.push(TenantCa { name: tenant.name.clone(), subjects });
        }
        for rule in &access.roles {
            let matcher = match (&rule.identity, rule.field, &rule.value) {
                (Some(identity), _, _) => Matcher::Identity(identity.clone()),
                (None, Some(field), Some(value)) => Matcher::Field(field, value.clone()),
                _ => unreachable!("validated above"),
            };
            rules.rules.push(Rule { role: rule.parsed_role()?, matcher, tenant: rule.tenant.clone() });
        }
        Ok(rules)
    }

    /// The identity of the client whose verified chain (leaf first) is `chain`.
    pub(crate) fn identify(&self, chain: &[CertificateDer<'_>]) -> Result<ClientIdentity, IdentityError> {
        let leaf = chain.first().ok_or(IdentityError::NoCertificate)?;
        let mut identity = self.source.identify(leaf)?;
        if self.tenants.is_empty() && self.rules.is_empty() {
            return Ok(identity);
        }
        let tenant = self.tenant_of(chain);
        match tenant {
            Some(tenant) => identity.name = format!("{tenant}/{}", identity.name),
            None => {
                // Only a tenant's CA names identities `tenant/...`.
                if let Some((prefix, _)) = identity.name.split_once('/')
                    && self.tenants.iter().any(|t| t.name == prefix)
                {
                    return Err(IdentityError::ForeignTenant(identity.name));
                }
            }
        }
        identity.role = self.role_of(&identity.name, tenant, leaf);
        Ok(identity)
    }

    fn tenant_of(&self, chain: &[CertificateDer<'_>]) -> Option<&str> {
        let issuers: Vec<Vec<u8>> = chain
            .iter()
            .filter_map(|c| X509Certificate::from_der(c).ok().map(|(_, p)| p.issuer().as_raw().to_vec()))
            .collect();
        self.tenants.iter().find(|t| t.subjects.iter().any(|s| issuers.contains(s))).map(|t| t.name.as_str())
    }

    fn role_of(&self, name: &str, tenant: Option<&str>, leaf: &[u8]) -> Role {
        self.rules
            .iter()
            .filter(|rule| rule.tenant.is_none() || rule.tenant.as_deref() == tenant)
            .find(|rule| match &rule.matcher {
                Matcher::Identity(identity) => identity == name,
                Matcher::Field(field, value) => field.values(leaf).iter().any(|v| v == value),
            })
            .map_or(Role::Client, |rule| rule.role)
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair};

    use super::*;
    use crate::config::access::{RoleRule, TenantConfig};

    struct Ca {
        pem: String,
        issuer: Issuer<'static, KeyPair>,
    }

    fn ca(name: &str) -> Ca {
        let mut params = CertificateParams::default();
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, name);
        params.distinguished_name = subject;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let certificate = params.self_signed(&key).unwrap();
        Ca { pem: certificate.pem(), issuer: Issuer::new(params, key) }
    }

    fn client(ca: &Ca, cn: &str, ou: &str) -> CertificateDer<'static> {
        let mut params = CertificateParams::default();
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, cn);
        subject.push(DnType::OrganizationalUnitName, ou);
        params.distinguished_name = subject;
        let key = KeyPair::generate().unwrap();
        params.signed_by(&key, &ca.issuer).unwrap().der().clone()
    }

    #[test]
    fn tenants_prefix_names_and_rules_give_roles() {
        let dir = tempfile::tempdir().unwrap();
        let (acme, other) = (ca("Acme CA"), ca("Other CA"));
        std::fs::write(dir.path().join("acme.pem"), &acme.pem).unwrap();
        let access = AccessConfig {
            tenants: vec![TenantConfig { name: "acme".into(), ca: dir.path().join("acme.pem") }],
            roles: vec![
                RoleRule {
                    role: "custodian".into(),
                    identity: None,
                    field: Some(CertificateField::OrganizationalUnit),
                    value: Some("keys".into()),
                    tenant: Some("acme".into()),
                },
                RoleRule {
                    role: "auditor".into(),
                    identity: Some("audit".into()),
                    field: None,
                    value: None,
                    tenant: None,
                },
            ],
        };
        let rules = IdentityRules::new(IdentitySource::CommonName, &access).unwrap();
        assert_eq!(rules.tenant_roots.len(), 1);
        let ops = rules.identify(&[client(&acme, "ops", "keys")]).unwrap();
        assert_eq!((ops.name.as_str(), ops.role), ("acme/ops", Role::Custodian));
        let app = rules.identify(&[client(&acme, "app", "apps")]).unwrap();
        assert_eq!((app.name.as_str(), app.role), ("acme/app", Role::Client));
        // The custodian rule is acme's: the same OU from another CA gives nothing.
        let elsewhere = rules.identify(&[client(&other, "ops", "keys")]).unwrap();
        assert_eq!((elsewhere.name.as_str(), elsewhere.role), ("ops", Role::Client));
        assert_eq!(rules.identify(&[client(&other, "audit", "x")]).unwrap().role, Role::Auditor);
        // Another CA cannot name a client into acme.
        let forged = rules.identify(&[client(&other, "acme/ops", "keys")]);
        assert!(matches!(forged, Err(IdentityError::ForeignTenant(_))), "{forged:?}");
    }
}
