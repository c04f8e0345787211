//! Operation policies (1.0 §3.13, 1.1–1.4 §3.18 Operation Policy Name): which entities may run
//! which operations on an object, by the policy its Operation Policy Name names.
//!
//! The entities are those a request names with a Credential in its header (1.x and 2.x §2.1.2):
//! Username and Password (the user name), or Device (its serial number, else the first of its
//! device, machine, network and media identifiers). A request without a Credential is not
//! evaluated: the owner and administrator rules (`context`) alone decide, as before. With one:
//!
//! - The object's owner, in the policy's sense, is the entity whose request created it (recorded
//!   on the object, out of the clients' sight); an object created without a Credential has no
//!   such owner, and any entity of the client that owns it is its owner.
//! - Administrators are not held by operation policies: they manage every object.
//! - Create, Create Key Pair, Register, Certify, Re-certify, Validate, Query, Cancel and Poll are
//!   outside policy control (§3.18.1), but for the templates they name (Table 94).
//! - An object without an Operation Policy Name follows `default` (§3.18.2, which a server MAY
//!   implement and this one does): for certificates and public keys Locate, Check, Get, Get
//!   Attributes, Get Attribute List and Obtain Lease are allowed to all (Table 93), everything
//!   else to the owner only (Tables 92, 93 and 94). Operations the tables predate (Encrypt,
//!   Sign...) are the owner's too.
//! - Other names are the server's configured policies ([`NamedPolicy`]): for each operation,
//!   who may run it; an operation a policy does not list is the owner's. A name the server does
//!   not know is the owner's for every operation.
//! - A policy that does not allow the operation refuses it with Permission Denied.
//!
//! "All" means every entity that can reach the object at all: a policy narrows what the owner
//! and administrator rules allow, it never shows an object to a client that does not own it
//! (sharing across clients is the business of roles and grants).
//!
//! Credentials identify here; the client's TLS certificate authenticates. Passwords are not
//! checked, never stored and never logged: a credential can only narrow what its client may do.

use std::collections::BTreeMap;

use keyward_kmip::attributes::{Attribute, VendorAttribute};
use keyward_kmip::enums::{CredentialType, ObjectType, Operation};
use keyward_kmip::message::RequestHeader;
use keyward_store::StoredObject;
use keyward_ttlv::{Item, Tag, Value};

use crate::attributes::find;
use crate::context::Context;
use crate::error::{OpError, OpResult};

/// The name of the policy of objects that name none (1.4 §3.18.2).
pub const DEFAULT_POLICY: &str = "default";

/// The server's own (`y-`) custom attribute that records the entity that created an object.
const CREATOR_VENDOR: &str = "y";
const CREATOR_NAME: &str = "keyward-policy-owner";

/// An entity a Credential names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entity {
    User(String),
    Device(String),
}

impl Entity {
    /// The entity as the configuration writes it: `user:NAME`, `device:SERIAL`.
    pub fn label(&self) -> String {
        match self {
            Entity::User(name) => format!("user:{name}"),
            Entity::Device(id) => format!("device:{id}"),
        }
    }
}

/// Who a policy rule allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// The entity that created the object.
    Owner,
    /// Every entity that can reach the object.
    All,
    /// One entity, by its label (`user:NAME`, `device:SERIAL`).
    Entity(String),
    /// Requests of one client identity (its certificate), whatever their credential.
    Client(String),
}

/// A policy the server is configured with: who may run each operation it lists; an operation it
/// does not list is allowed to the owner only. An empty list allows no one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamedPolicy {
    pub operations: Vec<(Operation, Vec<Allowed>)>,
}

/// The configured policies, by name (`default` is built in and cannot be replaced).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperationPolicies {
    pub named: BTreeMap<String, NamedPolicy>,
}

/// What the running batch item asks, as the policy check sees it.
#[derive(Clone, Debug, Default)]
pub struct PolicyRequest {
    pub operation: Option<Operation>,
    pub entity: Option<Entity>,
}

/// The entity the request header's first usable Credential names, if any.
pub fn entity_of(header: &RequestHeader) -> Option<Entity> {
    let credentials = header.authentication.as_ref()?;
    credentials.credential.iter().find_map(|credential| {
        let Value::Structure(fields) = &credential.credential_value.0 else {
            return None;
        };
        let field = |tag: Tag| fields.iter().find(|f| f.tag == tag).and_then(text).filter(|t| !t.is_empty());
        match credential.credential_type {
            CredentialType::UsernameAndPassword => field(Tag::Username).map(Entity::User),
            CredentialType::Device => [
                Tag::DeviceSerialNumber,
                Tag::DeviceIdentifier,
                Tag::MachineIdentifier,
                Tag::NetworkIdentifier,
                Tag::MediaIdentifier,
            ]
            .into_iter()
            .find_map(field)
            .map(Entity::Device),
            _ => None,
        }
    })
}

fn text(item: &Item) -> Option<String> {
    match &item.value {
        Value::TextString(text) => Some(text.clone()),
        _ => None,
    }
}

/// Records on a new object the entity whose request creates it.
pub(crate) fn record_creator(cx: &Context<'_>, object: &mut StoredObject) {
    if let Some(entity) = &cx.policy_request.entity {
        crate::attributes::add(
            object,
            Attribute::Vendor(VendorAttribute {
                vendor: CREATOR_VENDOR.into(),
                name: CREATOR_NAME.into(),
                value: Value::TextString(entity.label()),
            }),
        );
    }
}

/// A replacement (Re-key, Re-key Key Pair, Re-certify) made by a request without a Credential
/// keeps the creator of the object it replaces, so that it stays under the same owner's policy.
pub(crate) fn carry_creator(existing: &StoredObject, replacement: &mut StoredObject) {
    if creator(replacement).is_some() {
        return;
    }
    if let Some(record) = existing.attributes.iter().find(|a| is_bookkeeping(&a.attribute)) {
        crate::attributes::add(replacement, record.attribute.clone());
    }
}

/// True for the record of [`record_creator`], which no client is shown.
pub fn is_bookkeeping(attribute: &Attribute) -> bool {
    matches!(attribute, Attribute::Vendor(v) if v.vendor == CREATOR_VENDOR && v.name == CREATOR_NAME)
}

fn creator(object: &StoredObject) -> Option<String> {
    object.attributes.iter().find_map(|a| match &a.attribute {
        Attribute::Vendor(v) if is_bookkeeping(&a.attribute) => match &v.value {
            Value::TextString(label) => Some(label.clone()),
            _ => None,
        },
        _ => None,
    })
}

/// Refuses the running operation on `object` when the object's operation policy does not allow
/// it to the request's entity (Permission Denied). Called where an object is read for a client.
pub(crate) fn check(cx: &Context<'_>, object: &StoredObject) -> OpResult<()> {
    let (Some(entity), Some(operation)) = (&cx.policy_request.entity, cx.policy_request.operation) else {
        return Ok(());
    };
    // A template named by a Create or Register is in its policy's control all the same (Table
    // 94: "any operation referencing the Template using a Template-Attribute").
    let template = object_type(object) == Some(ObjectType::Template);
    if cx.is_administrator() || (outside_policy_control(operation) && !template) {
        return Ok(());
    }
    let name = find(object, |a| if let Attribute::OperationPolicyName(n) = a { Some(n.clone()) } else { None })
        .unwrap_or_else(|| DEFAULT_POLICY.to_string());
    let label = entity.label();
    let is_owner = creator(object).is_none_or(|c| c == label);
    let allowed = rule(&cx.services.policy.operation_policies, &name, object_type(object), operation);
    let permitted = allowed.iter().any(|a| match a {
        Allowed::Owner => is_owner,
        Allowed::All => true,
        Allowed::Entity(e) => *e == label,
        Allowed::Client(c) => *c == cx.client.name,
    });
    if permitted {
        Ok(())
    } else {
        Err(OpError::PermissionDenied(format!(
            "the operation policy {name:?} of object {} does not allow {operation:?} to this credential",
            object.unique_identifier
        )))
    }
}

/// 1.4 §3.18.1: operations any client may run at any time.
fn outside_policy_control(operation: Operation) -> bool {
    [
        Operation::Create,
        Operation::CreateKeyPair,
        Operation::Register,
        Operation::Certify,
        Operation::ReCertify,
        Operation::Validate,
        Operation::Query,
        Operation::Cancel,
        Operation::Poll,
    ]
    .contains(&operation)
}

fn object_type(object: &StoredObject) -> Option<ObjectType> {
    find(object, |a| if let Attribute::ObjectType(t) = a { Some(*t) } else { None })
}

/// Who the policy `name` allows to run `operation` on an object of `object_type`.
fn rule(
    policies: &OperationPolicies,
    name: &str,
    object_type: Option<ObjectType>,
    operation: Operation,
) -> Vec<Allowed> {
    if name == DEFAULT_POLICY {
        return default_rule(object_type, operation);
    }
    policies
        .named
        .get(name)
        .and_then(|policy| policy.operations.iter().find(|(o, _)| *o == operation))
        .map_or_else(|| vec![Allowed::Owner], |(_, allowed)| allowed.clone())
}

/// The `default` policy (1.4 §3.18.2, Tables 92–94).
fn default_rule(object_type: Option<ObjectType>, operation: Operation) -> Vec<Allowed> {
    let public = matches!(object_type, Some(ObjectType::Certificate | ObjectType::PublicKey));
    let read = [
        Operation::Locate,
        Operation::Check,
        Operation::Get,
        Operation::GetAttributes,
        Operation::GetAttributeList,
        Operation::ObtainLease,
    ];
    if public && read.contains(&operation) { vec![Allowed::All] } else { vec![Allowed::Owner] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_follows_the_tables() {
        let policies = OperationPolicies::default();
        let secret = Some(ObjectType::SymmetricKey);
        let public = Some(ObjectType::PublicKey);
        assert_eq!(rule(&policies, DEFAULT_POLICY, secret, Operation::Get), [Allowed::Owner]);
        assert_eq!(rule(&policies, DEFAULT_POLICY, public, Operation::Get), [Allowed::All]);
        assert_eq!(rule(&policies, DEFAULT_POLICY, public, Operation::Destroy), [Allowed::Owner]);
        assert_eq!(rule(&policies, DEFAULT_POLICY, Some(ObjectType::Template), Operation::Get), [Allowed::Owner]);
        assert!(outside_policy_control(Operation::Register) && !outside_policy_control(Operation::Destroy));
    }

    #[test]
    fn named_policies_list_operations_and_unknown_names_are_the_owner_s() {
        let shared = NamedPolicy {
            operations: vec![
                (Operation::Get, vec![Allowed::Owner, Allowed::Entity("user:Barney".into())]),
                (Operation::Destroy, Vec::new()),
            ],
        };
        let policies = OperationPolicies { named: BTreeMap::from([("shared".to_string(), shared)]) };
        let key = Some(ObjectType::SymmetricKey);
        assert_eq!(rule(&policies, "shared", key, Operation::Get).len(), 2);
        assert!(rule(&policies, "shared", key, Operation::Destroy).is_empty());
        assert_eq!(rule(&policies, "shared", key, Operation::Activate), [Allowed::Owner]);
        assert_eq!(rule(&policies, "unknown", key, Operation::Get), [Allowed::Owner]);
    }
}
