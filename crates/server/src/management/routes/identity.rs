//! `GET /v1/identity`: who the server takes the caller for, and with which rights; what an
//! operator checks first when a certificate does not get the access it should.

use super::{ApiError, Call, Reply};

pub(super) fn show(call: &Call<'_>) -> Result<Reply, ApiError> {
    let policy = &call.shared.dispatcher.services().policy;
    Ok(Reply::ok(serde_json::json!({
        "identity": call.caller.name,
        "administrator": policy.is_administrator(&call.caller.name),
    })))
}
