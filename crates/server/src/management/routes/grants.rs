//! `/v1/grants`: rights on an object or an Object Group given to another identity. KMIP has no
//! operation for them. Who may do what is keyward-core's (`keyward_core::access`):
//!
//! - `POST` `{"object": UID | "group": NAME, "to": IDENTITY, "operations": ["get", ...]}`: the
//!   object's owner, a custodian of its tenant or an administrator grants on an object; anyone
//!   but an auditor grants on a group, and the grant reaches only the group's objects its maker
//!   manages. An object the caller may not see is answered 404, as one that does not exist.
//! - `GET` `?object=UID` or `?group=NAME` (optional): the grants the caller made, holds, or
//!   manages the objects of (all for an administrator, its tenant's for a custodian).
//! - `DELETE` with the body `{"object" | "group", "to", "operations"?}` (or the same as query
//!   parameters): takes the operations (all when none are named) away from the grants the caller
//!   may remove: those it made, or on objects it manages.

use keyward_core::access::{Access, Authority, Grant, GrantTarget, Right, Role, rights};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, Call, Reply};

/// A grant's subject, grantee and operations, as a body or query parameters give them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantRequest {
    object: Option<String>,
    group: Option<String>,
    to: Option<String>,
    /// Names (`["get", "encrypt"]`) or one comma-separated text (`"get,encrypt"`).
    operations: Option<Operations>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Operations {
    List(Vec<String>),
    Text(String),
}

impl GrantRequest {
    fn from_query(call: &Call<'_>) -> Result<GrantRequest, ApiError> {
        let value = |name| query_value(call.query, name);
        Ok(GrantRequest {
            object: value("object")?,
            group: value("group")?,
            to: value("to")?,
            operations: value("operations")?.map(Operations::Text),
        })
    }

    fn target(&self) -> Result<Option<GrantTarget>, ApiError> {
        match (&self.object, &self.group) {
            (Some(_), Some(_)) => Err(ApiError::bad_request("give `object` or `group`, not both")),
            (Some(uid), None) => Ok(Some(GrantTarget::Object(uid.clone()))),
            (None, Some(group)) => Ok(Some(GrantTarget::Group(group.clone()))),
            (None, None) => Ok(None),
        }
    }

    fn rights(&self) -> Result<Option<Vec<Right>>, ApiError> {
        let text = match &self.operations {
            None => return Ok(None),
            Some(Operations::Text(text)) => text.clone(),
            Some(Operations::List(names)) => names.join(","),
        };
        rights::parse_list(&text).map(Some).map_err(ApiError::bad_request)
    }

    fn grantee(&self) -> Result<String, ApiError> {
        match self.to.as_deref().map(str::trim) {
            Some(to) if !to.is_empty() && !to.chars().any(char::is_control) => Ok(to.to_string()),
            _ => Err(ApiError::bad_request(
                "`to` names the identity (or `group:NAME`, the identity group) the grant is for",
            )),
        }
    }
}

/// A query parameter, percent-decoded (group names and identities may hold spaces).
fn query_value(query: &str, name: &str) -> Result<Option<String>, ApiError> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == name {
            return percent_decode(value)
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("query {name}: bad percent-encoding")));
        }
    }
    Ok(None)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The caller as core's rules see it.
fn caller(call: &Call<'_>) -> Authority {
    let policy = &call.shared.dispatcher.services().policy;
    policy.access.authority_of(call.caller, policy.role_of(call.caller))
}

/// The owner of an object the caller may see; an object it may not see is missing.
fn owner_of(call: &Call<'_>, uid: &str) -> Result<String, ApiError> {
    let services = call.shared.dispatcher.services();
    let missing = || ApiError::not_found(format!("no object {uid}"));
    let object = services.store.get(uid).map_err(ApiError::internal)?.ok_or_else(missing)?;
    let role = services.policy.role_of(call.caller);
    let read = keyward_core::access::GrantsRead::default();
    match services.policy.access.decide(call.caller, role, &object, Some(Right::GetAttributes), &read) {
        Access::Hidden => Err(missing()),
        _ => Ok(object.owner.clone()),
    }
}

/// Whether the caller manages the target's objects: an object it manages; for a group, nobody
/// but an administrator manages every member.
fn manages_target(call: &Call<'_>, me: &Authority, target: &GrantTarget) -> bool {
    let access = &call.shared.dispatcher.services().policy.access;
    match target {
        GrantTarget::Object(uid) => call
            .shared
            .dispatcher
            .services()
            .store
            .get(uid)
            .ok()
            .flatten()
            .is_some_and(|object| access.manages(me, &object.owner)),
        GrantTarget::Group(_) => me.role == Role::Administrator,
    }
}

fn to_json(grant: &Grant) -> Value {
    let mut value = json!({
        "to": grant.grantee,
        "operations": grant.rights.iter().map(|r| r.name()).collect::<Vec<_>>(),
        "granted_by": grant.granted_by.name,
    });
    let (key, target) = match &grant.target {
        GrantTarget::Object(uid) => ("object", uid),
        GrantTarget::Group(group) => ("group", group),
    };
    value[key] = json!(target);
    value
}

pub(super) async fn add(call: &Call<'_>) -> Result<Reply, ApiError> {
    let request: GrantRequest = call.json()?;
    let target = request.target()?.ok_or_else(|| ApiError::bad_request("give `object` or `group`"))?;
    let grantee = request.grantee()?;
    let rights = request.rights()?.ok_or_else(|| ApiError::bad_request("`operations` names what is granted"))?;
    let me = caller(call);
    let services = call.shared.dispatcher.services();
    match &target {
        _ if me.role == Role::Auditor => return Err(ApiError::forbidden("an auditor grants nothing")),
        GrantTarget::Object(uid) => {
            let owner = owner_of(call, uid)?;
            if !services.policy.access.manages(&me, &owner) {
                return Err(ApiError::forbidden(format!(
                    "only the owner of {uid}, a custodian of its tenant or an administrator grants on it"
                )));
            }
        }
        GrantTarget::Group(_) => {}
    }
    let grant = Grant { target, grantee, rights, granted_by: me };
    let (grant, ticket) = services.policy.access.grants.add(&*services.store, grant).map_err(ApiError::internal)?;
    ticket.await.map_err(ApiError::internal)?;
    tracing::info!(grant = ?to_json(&grant), "grant added");
    Ok(Reply::ok(json!({ "grant": to_json(&grant) })))
}

pub(super) fn list(call: &Call<'_>) -> Result<Reply, ApiError> {
    let filter = GrantRequest::from_query(call)?;
    let target = filter.target()?;
    let me = caller(call);
    let access = &call.shared.dispatcher.services().policy.access;
    let grants = access.grants.list(|grant| {
        target.as_ref().is_none_or(|t| *t == grant.target)
            && (me.role == Role::Administrator
                || grant.granted_by.name == me.name
                || grant.is_for(call.caller)
                || (me.role == Role::Custodian && grant.granted_by.tenant == me.tenant)
                || manages_target(call, &me, &grant.target))
    });
    Ok(Reply::ok(json!({ "grants": grants.iter().map(to_json).collect::<Vec<_>>() })))
}

pub(super) async fn remove(call: &Call<'_>) -> Result<Reply, ApiError> {
    let mut request: GrantRequest = call.json()?;
    if request.object.is_none() && request.group.is_none() {
        request = GrantRequest::from_query(call)?;
    }
    let target = request.target()?.ok_or_else(|| ApiError::bad_request("give `object` or `group`"))?;
    let grantee = request.grantee()?;
    let rights = request.rights()?;
    let me = caller(call);
    if let GrantTarget::Object(uid) = &target {
        owner_of(call, uid)?;
    }
    let services = call.shared.dispatcher.services();
    let manages = manages_target(call, &me, &target);
    let (changed, ticket) = services
        .policy
        .access
        .grants
        .remove(&*services.store, &target, &grantee, rights.as_deref(), |grant| {
            manages
                || grant.granted_by.name == me.name
                || (me.role == Role::Custodian && grant.granted_by.tenant == me.tenant)
        })
        .map_err(ApiError::internal)?;
    let Some(ticket) = ticket else {
        return Err(ApiError::not_found(format!("no grant to {grantee} on {} that you may remove", target.value())));
    };
    ticket.await.map_err(ApiError::internal)?;
    tracing::info!(to = %grantee, target = ?target, "grant removed");
    Ok(Reply::ok(json!({ "remaining": changed.iter().map(to_json).collect::<Vec<_>>() })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(query_value("group=web%20servers&to=a", "group").unwrap().as_deref(), Some("web servers"));
        assert_eq!(query_value("to=spiffe://x/y", "to").unwrap().as_deref(), Some("spiffe://x/y"));
        assert!(query_value("to=%zz", "to").is_err());
        assert_eq!(query_value("a=1", "to").unwrap(), None);
    }
}
