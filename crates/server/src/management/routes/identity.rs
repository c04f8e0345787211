//! `GET /v1/identity`: who the server takes the caller for, and with which rights; what an
//! operator checks first when a certificate does not get the access it should.

use super::{ApiError, Call, Reply};

pub(super) fn show(call: &Call<'_>) -> Result<Reply, ApiError> {
    let policy = &call.shared.dispatcher.services().policy;
    let role = policy.role_of(call.caller);
    Ok(Reply::ok(serde_json::json!({
        "identity": call.caller.name,
        "administrator": role == keyward_core::access::Role::Administrator,
        "role": role.name(),
        "tenant": policy.access.tenant_of(&call.caller.name),
    })))
}
