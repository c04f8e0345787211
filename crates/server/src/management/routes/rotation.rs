//! Rotation policies and the rotation schedule.
//!
//! - `GET /v1/rotation/policies`: every policy, with where it comes from (administrators).
//! - `POST /v1/rotation/policies`: adds one (administrators); body: a policy as JSON (see
//!   docs/operations/rotation.md). 201 with the policy; 409 when the id exists.
//! - `DELETE /v1/rotation/policies/{id}`: removes one added here (administrators); 409 for one of
//!   the configuration file.
//! - `GET /v1/rotation/schedule[?object=UID]`: the next rotation of every object that rotates
//!   (an administrator sees all, anyone else their own objects).

use std::sync::Arc;

use hyper::StatusCode;
use keyward_core::rotation::RotationPolicy;
use keyward_ttlv::datetime::format_seconds;

use super::{ApiError, Call, Reply};
use crate::rotation::{PolicyChangeError, Rotator};

fn refusal(error: PolicyChangeError) -> ApiError {
    match error {
        PolicyChangeError::Invalid(_) => ApiError::bad_request(error.to_string()),
        PolicyChangeError::NotFound(_) => ApiError::not_found(error.to_string()),
        PolicyChangeError::Exists(_) | PolicyChangeError::FromConfiguration(_) => {
            ApiError::new(StatusCode::CONFLICT, error.to_string())
        }
        PolicyChangeError::Store(error) => ApiError::internal(error),
    }
}

/// Runs scheduler work (it takes the scheduler's lock, which a check holds while it rotates, and
/// reads the store) off the async threads.
async fn blocking<T: Send + 'static>(
    rotator: &Arc<Rotator>,
    work: impl FnOnce(&Rotator) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let rotator = Arc::clone(rotator);
    tokio::task::spawn_blocking(move || work(&rotator)).await.map_err(ApiError::internal)?
}

pub(super) async fn list_policies(call: &Call<'_>) -> Result<Reply, ApiError> {
    call.require_administrator()?;
    let policies = blocking(&call.shared.rotator, |rotator| Ok(rotator.policies())).await?;
    let policies: Vec<serde_json::Value> = policies
        .into_iter()
        .map(|(policy, origin)| {
            let mut value = serde_json::to_value(&policy).unwrap_or_default();
            if let Some(object) = value.as_object_mut() {
                object.insert("origin".into(), origin.as_str().into());
            }
            value
        })
        .collect();
    Ok(Reply::ok(serde_json::json!({ "policies": policies })))
}

pub(super) async fn add_policy(call: &Call<'_>) -> Result<Reply, ApiError> {
    call.require_administrator()?;
    let policy: RotationPolicy = call.json()?;
    let shown = serde_json::to_value(&policy).unwrap_or_default();
    blocking(&call.shared.rotator, move |rotator| rotator.add_policy(policy).map_err(refusal)).await?;
    Ok(Reply::Json(StatusCode::CREATED, serde_json::json!({ "policy": shown })))
}

pub(super) async fn remove_policy(call: &Call<'_>, id: &str) -> Result<Reply, ApiError> {
    call.require_administrator()?;
    let id = id.to_string();
    let shown = id.clone();
    blocking(&call.shared.rotator, move |rotator| rotator.remove_policy(&id).map_err(refusal)).await?;
    Ok(Reply::ok(serde_json::json!({ "removed": shown })))
}

pub(super) async fn schedule(call: &Call<'_>) -> Result<Reply, ApiError> {
    let object = call.query_value("object")?.map(str::to_string);
    let administrator = call.shared.dispatcher.services().policy.is_administrator(&call.caller.name);
    let caller = call.caller.name.clone();
    let rows = blocking(&call.shared.rotator, |rotator| rotator.schedule().map_err(ApiError::internal)).await?;
    let now = call.shared.dispatcher.services().clock.now();
    let rows: Vec<serde_json::Value> = rows
        .into_iter()
        .filter(|row| administrator || row.owner == caller)
        .filter(|row| object.as_ref().is_none_or(|uid| *uid == row.object))
        .map(|row| {
            serde_json::json!({
                "object": row.object,
                "owner": row.owner,
                "next_rotation": format_seconds(row.due),
                "next_rotation_unix": row.due,
                "overdue": row.due <= now,
                "source": row.source,
            })
        })
        .collect();
    Ok(Reply::ok(serde_json::json!({
        "check_interval_seconds": call.shared.rotator.check_interval().as_secs(),
        "schedule": rows,
    })))
}
