//! `GET /v1/kek/status` and `POST /v1/kek/rotate`: the key-encryption key's versions, and its
//! rotation, for administrators. A rotation answers once the new KEK is in force (the keyring
//! rewrapped); a re-seal it starts (a new data key) goes on in the background, and the status
//! tells its progress.

use hyper::StatusCode;
use keyward_store::{KekAdmin, KekState, KekStatus, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, Call, Reply};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RotateRequest {
    /// Also replace the data key and re-seal every record under the new one.
    new_data_key: bool,
}

fn admin(call: &Call<'_>) -> Result<std::sync::Arc<dyn KekAdmin>, ApiError> {
    call.require_administrator()?;
    call.shared
        .dispatcher
        .services()
        .store
        .kek_admin()
        .ok_or_else(|| ApiError::not_found("this server's store has no key-encryption key"))
}

pub(super) fn status(call: &Call<'_>) -> Result<Reply, ApiError> {
    let status = admin(call)?.status().map_err(ApiError::internal)?;
    Ok(Reply::ok(status_json(&status)))
}

pub(super) async fn rotate(call: &Call<'_>) -> Result<Reply, ApiError> {
    let admin = admin(call)?;
    let request: RotateRequest = call.json()?;
    tracing::info!(caller = %call.caller.name, peer = %call.peer, new_data_key = request.new_data_key, "KEK rotation asked");
    // Disk writes and, for a token, PKCS#11 calls: off the connection's thread.
    let outcome =
        tokio::task::spawn_blocking(move || admin.rotate(request.new_data_key)).await.map_err(ApiError::internal)?;
    match outcome {
        Ok(status) => Ok(Reply::ok(status_json(&status))),
        Err(StoreError::Busy(message)) => Err(ApiError::new(StatusCode::CONFLICT, message)),
        Err(StoreError::KekUnavailable(message)) => {
            tracing::error!(%message, "KEK rotation failed: the new KEK could not be made");
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, format!("the new KEK could not be made: {message}")))
        }
        Err(StoreError::Io(error)) => {
            // A KEK directory the server may not write to, a full disk: the operator can act on it.
            tracing::error!(%error, "KEK rotation failed; the old KEK stays in force");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the rotation failed, the old KEK stays in force: {error}"),
            ))
        }
        Err(error) => Err(ApiError::internal(error)),
    }
}

fn status_json(status: &KekStatus) -> Value {
    let versions: Vec<Value> = status
        .versions
        .iter()
        .map(|v| {
            let meaning = match v.state {
                KekState::Active => "wraps the keyring: needed to open the store",
                KekState::Retiring => {
                    "not needed to open the store; records sealed under a data key derived from it are being re-sealed"
                }
                KekState::Retired => "needed for nothing: it may be destroyed",
            };
            json!({
                "version": v.version,
                "state": v.state.as_str(),
                "needed": v.state == KekState::Active,
                "location": v.location,
                "meaning": meaning,
            })
        })
        .collect();
    let reseal = status.reseal.as_ref().map(|r| {
        json!({
            "from_generations": r.from_generations,
            "objects_done": r.objects_done,
            "running": r.running,
            "error": r.error,
        })
    });
    json!({
        "source": status.source,
        "active_version": status.active_version,
        "data_key_generation": status.data_key_generation,
        "data_key_derived_from_kek": status.data_key_derived_from_kek,
        "versions": versions,
        "reseal": reseal,
    })
}
