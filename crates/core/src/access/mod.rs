//! Who may do what: roles, tenants, grants, and the one decision every object access goes
//! through ([`AccessPolicy::decide`]). docs/security/access-control.md describes the rules.
//!
//! - An identity's **role** comes with it from the transport (the server maps certificate fields
//!   to roles at the handshake); identities listed in `administrators` are administrators too.
//! - An identity's **tenant** is part of its name: the server names a client of a CA mapped to
//!   tenant `acme` `acme/<name>`, and refuses that prefix to clients of other CAs. An object's
//!   tenant is its owner's. No tenant (`None`) is a tenant of its own: the default one.
//! - An object the caller may not see at all is [`Access::Hidden`]: the operation answers as for
//!   an identifier never issued. One it may see but not use this way is [`Access::Denied`]
//!   (Permission Denied): the caller holds some right on it, so its existence is no secret.
//!
//! The owner's own requests, the common case, are decided by one string comparison; grants are
//! read only for someone else's object.

pub(crate) mod enforce;
mod grants;
pub mod rights;

use std::sync::Arc;

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::Operation;
use keyward_store::StoredObject;

pub use grants::{Grant, GrantTarget, Grants, GrantsRead};
pub use rights::{Right, right_of};

use crate::ClientIdentity;

/// What an identity is, beyond the owner of its own objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, on every object.
    Administrator,
    /// Every right on the objects of its tenant, and grants on them.
    Custodian,
    /// Metadata only (Get Attributes, Get Attribute List, Locate, Check) of its tenant's objects;
    /// never key material, never a change.
    Auditor,
    /// Its own objects, and what it is granted.
    #[default]
    Client,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Administrator, Role::Custodian, Role::Auditor, Role::Client];

    pub fn name(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Custodian => "custodian",
            Role::Auditor => "auditor",
            Role::Client => "client",
        }
    }

    /// Reads a role name; `key-custodian` is a custodian.
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "administrator" | "admin" => Some(Role::Administrator),
            "custodian" | "key-custodian" => Some(Role::Custodian),
            "auditor" => Some(Role::Auditor),
            "client" => Some(Role::Client),
            _ => None,
        }
    }
}

/// The rights an auditor's role gives on its tenant's objects.
const AUDITOR_RIGHTS: [Right; 2] = [Right::GetAttributes, Right::Locate];

/// An identity with its effective role and tenant: who acts, or who made a grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority {
    pub name: String,
    pub role: Role,
    pub tenant: Option<Arc<str>>,
}

/// The answer for one access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// Visible to the caller, but not for this: Permission Denied.
    Denied,
    /// As if it did not exist: Object Not Found (Item Not Found in 1.x).
    Hidden,
}

/// What a grantee name starts with when it names an identity group rather than an identity.
/// Identities are never given names that start with it (the server refuses such a certificate).
pub const GROUP_GRANTEE_PREFIX: &str = "group:";

/// The access rules: who administers, the tenants, the grants.
#[derive(Clone, Debug, Default)]
pub struct AccessPolicy {
    /// The configured tenants; an identity `t/...` belongs to tenant `t` only if `t` is here.
    pub tenants: Vec<String>,
    /// The grants, shared with the management API that changes them.
    pub grants: Arc<Grants>,
}

impl AccessPolicy {
    /// The tenant an identity (or an object's owner) belongs to.
    pub fn tenant_of<'n>(&self, name: &'n str) -> Option<&'n str> {
        let (prefix, _) = name.split_once('/')?;
        self.tenants.iter().any(|t| t == prefix).then_some(prefix)
    }

    /// The caller, acting with `role` (see [`crate::Policy::role_of`]), as an [`Authority`], to
    /// record on the grants it makes.
    pub fn authority_of(&self, client: &ClientIdentity, role: Role) -> Authority {
        Authority { name: client.name.clone(), role, tenant: self.tenant_of(&client.name).map(Arc::from) }
    }

    /// Whether `authority` may manage `object` (and so grant on it): its owner, an administrator,
    /// or a custodian of the owner's tenant.
    pub fn manages(&self, authority: &Authority, owner: &str) -> bool {
        authority.name == owner
            || authority.role == Role::Administrator
            || (authority.role == Role::Custodian && authority.tenant.as_deref() == self.tenant_of(owner))
    }

    /// Whether `client` may run `operation` at all, before any object is looked at: an auditor
    /// only reads.
    pub fn may_run(&self, role: Role, operation: Operation) -> bool {
        match role {
            Role::Auditor => {
                rights::is_read_only_service(operation)
                    || right_of(operation).is_some_and(|right| AUDITOR_RIGHTS.contains(&right))
            }
            _ => true,
        }
    }

    /// The decision for `client`, acting with `role`, doing what needs `right` on `object`
    /// (`None`: an access that no grant gives, such as reading an object to create another beside
    /// it).
    /// `read` says whether the request has read the grants fresh already (see [`GrantsRead`]).
    pub fn decide(
        &self,
        client: &ClientIdentity,
        role: Role,
        object: &StoredObject,
        right: Option<Right>,
        read: &GrantsRead,
    ) -> Access {
        if object.owner == client.name && role != Role::Auditor {
            return Access::Allowed;
        }
        if role == Role::Administrator {
            return Access::Allowed;
        }
        let same_tenant = || self.tenant_of(&client.name) == self.tenant_of(&object.owner);
        match role {
            Role::Custodian if same_tenant() => return Access::Allowed,
            Role::Auditor if same_tenant() => {
                return if right.is_some_and(|r| AUDITOR_RIGHTS.contains(&r)) {
                    Access::Allowed
                } else {
                    Access::Denied
                };
            }
            _ => {}
        }
        let granted = self.granted(client, object, read);
        if granted.is_empty() {
            return Access::Hidden;
        }
        let allowed = right.is_some_and(|r| granted.contains(&r))
            && (role != Role::Auditor || right.is_some_and(|r| AUDITOR_RIGHTS.contains(&r)));
        if allowed { Access::Allowed } else { Access::Denied }
    }

    /// The rights the grants give `client` (itself or through its identity groups) on `object`:
    /// those on the object itself and on each of its Object Groups (read from the object now, so
    /// a new member inherits them), from makers that manage the object.
    pub fn granted(&self, client: &ClientIdentity, object: &StoredObject, read: &GrantsRead) -> Vec<Right> {
        let mut targets = vec![GrantTarget::Object(object.unique_identifier.clone())];
        targets.extend(object.attributes.iter().filter_map(|a| match &a.attribute {
            Attribute::ObjectGroup(group) => Some(GrantTarget::Group(group.clone())),
            _ => None,
        }));
        let mut rights = Vec::new();
        self.grants.each_for(client, &targets, read, |grant| {
            if self.manages(&grant.granted_by, &object.owner) {
                rights.extend_from_slice(&grant.rights);
            }
        });
        rights
    }

    /// Whether Locate must look beyond the caller's own objects: it administers, has a role
    /// over a tenant, or holds grants (itself or through a group).
    pub fn sees_beyond_own(&self, client: &ClientIdentity, role: Role, read: &GrantsRead) -> bool {
        role != Role::Client || self.grants.has_any(client, read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(uid: &str, owner: &str, group: Option<&str>) -> StoredObject {
        StoredObject {
            unique_identifier: uid.into(),
            owner: owner.into(),
            object: None,
            attributes: group
                .map(|g| keyward_kmip::attributes::IndexedAttribute {
                    index: 0,
                    attribute: Attribute::ObjectGroup(g.into()),
                })
                .into_iter()
                .collect(),
            revision: 0,
        }
    }

    fn who(name: &str, role: Role) -> ClientIdentity {
        ClientIdentity::with_role(name, role)
    }

    fn decide(policy: &AccessPolicy, client: &ClientIdentity, object: &StoredObject, right: Option<Right>) -> Access {
        policy.decide(client, client.role, object, right, &GrantsRead::default())
    }

    fn policy() -> AccessPolicy {
        AccessPolicy { tenants: vec!["acme".into(), "umbrella".into()], ..AccessPolicy::default() }
    }

    fn grant(policy: &AccessPolicy, target: GrantTarget, to: &str, by: &ClientIdentity, rights: &[Right]) {
        let store = keyward_store::MemoryStore::new(crate::record_schema::schema());
        let grant =
            Grant { target, grantee: to.into(), rights: rights.to_vec(), granted_by: policy.authority_of(by, by.role) };
        let _ = policy.grants.add(&store, grant).unwrap();
    }

    #[test]
    fn a_grant_to_an_identity_group_reaches_each_member_and_nobody_else() {
        let policy = policy();
        let owner = who("alice", Role::Client);
        let key = object("k", "alice", None);
        grant(
            &policy,
            GrantTarget::Object("k".into()),
            &format!("{GROUP_GRANTEE_PREFIX}vcenters"),
            &owner,
            &[Right::Get],
        );
        let mut member = who("vc-02", Role::Client);
        member.groups = vec!["backup".into(), "vcenters".into()];
        assert_eq!(decide(&policy, &member, &key, Some(Right::Get)), Access::Allowed);
        assert_eq!(decide(&policy, &member, &key, Some(Right::Destroy)), Access::Denied);
        assert!(policy.sees_beyond_own(&member, Role::Client, &GrantsRead::default()));
        let outsider = who("vc-03", Role::Client);
        assert_eq!(decide(&policy, &outsider, &key, Some(Right::Get)), Access::Hidden);
        assert!(!policy.sees_beyond_own(&outsider, Role::Client, &GrantsRead::default()));
        let mut other_group = who("vc-04", Role::Client);
        other_group.groups = vec!["vcenter".into()];
        assert_eq!(decide(&policy, &other_group, &key, Some(Right::Get)), Access::Hidden);
    }

    #[test]
    fn roles_by_tenant() {
        let policy = policy();
        let key = object("k", "acme/alice", None);
        assert_eq!(decide(&policy, &who("acme/alice", Role::Client), &key, Some(Right::Get)), Access::Allowed);
        assert_eq!(decide(&policy, &who("acme/bob", Role::Client), &key, Some(Right::Get)), Access::Hidden);
        assert_eq!(decide(&policy, &who("acme/ops", Role::Custodian), &key, Some(Right::Destroy)), Access::Allowed);
        assert_eq!(decide(&policy, &who("umbrella/ops", Role::Custodian), &key, Some(Right::Get)), Access::Hidden);
        assert_eq!(decide(&policy, &who("ops", Role::Custodian), &key, Some(Right::Get)), Access::Hidden);
        let auditor = who("acme/audit", Role::Auditor);
        assert_eq!(decide(&policy, &auditor, &key, Some(Right::GetAttributes)), Access::Allowed);
        assert_eq!(decide(&policy, &auditor, &key, Some(Right::Get)), Access::Denied);
        assert!(!policy.may_run(auditor.role, Operation::Create));
        assert!(policy.may_run(auditor.role, Operation::Locate));
        assert_eq!(decide(&policy, &who("root", Role::Administrator), &key, None), Access::Allowed);
        // A name that looks tenanted but names no configured tenant is in the default tenant.
        assert_eq!(policy.tenant_of("spiffe://x/y"), None);
    }

    #[test]
    fn group_grants_reach_only_what_their_maker_manages() {
        let policy = policy();
        let alice = who("alice", Role::Client);
        grant(&policy, GrantTarget::Group("vcenter".into()), "bob", &alice, &[Right::Encrypt]);
        let hers = object("1", "alice", Some("vcenter"));
        let carols = object("2", "carol", Some("vcenter"));
        let bob = who("bob", Role::Client);
        assert_eq!(decide(&policy, &bob, &hers, Some(Right::Encrypt)), Access::Allowed);
        assert_eq!(decide(&policy, &bob, &hers, Some(Right::Get)), Access::Denied);
        assert_eq!(decide(&policy, &bob, &carols, Some(Right::Encrypt)), Access::Hidden);
        assert!(policy.sees_beyond_own(&bob, bob.role, &GrantsRead::default()));
        assert!(!policy.sees_beyond_own(&alice, alice.role, &GrantsRead::default()));
    }

    #[test]
    fn an_auditor_never_gets_key_material_even_when_granted() {
        let policy = policy();
        let alice = who("alice", Role::Client);
        grant(&policy, GrantTarget::Object("1".into()), "audit", &alice, &[Right::Get, Right::GetAttributes]);
        let auditor = who("audit", Role::Auditor);
        let hers = object("1", "alice", None);
        assert_eq!(decide(&policy, &auditor, &hers, Some(Right::Get)), Access::Denied);
        assert_eq!(decide(&policy, &auditor, &hers, Some(Right::GetAttributes)), Access::Allowed);
    }
}
