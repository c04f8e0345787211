//! After the load: every object the bench made is destroyed, an active one revoked first (KMIP
//! destroys only objects that are not active). Many objects at a time per request, on a few
//! connections at once, so that a run that created tens of thousands of keys cleans up in seconds.

use std::collections::BTreeMap;

use keyward_client::Client;
use keyward_kmip::KmipVersion;
use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::RequestPayload;

use super::requests;
use super::setup::{call_batch, outcome};

/// Objects per cleanup request: large enough to spare round trips, small enough for any server's
/// message limits (PyKMIP's included).
const OBJECTS_PER_REQUEST: usize = 64;

/// At most this many cleanup connections at once.
const MAX_CONNECTIONS: usize = 4;

/// An object the bench made.
#[derive(Clone, Debug)]
pub struct OwnedObject {
    pub uid: String,
    /// Active objects are revoked before they are destroyed.
    pub active: bool,
}

/// How the cleanup went.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CleanupReport {
    pub destroyed: u64,
    /// Objects left on the server, by the reason their Destroy failed.
    pub left: BTreeMap<String, u64>,
}

impl CleanupReport {
    fn merge(&mut self, other: CleanupReport) {
        self.destroyed += other.destroyed;
        for (reason, count) in other.left {
            *self.left.entry(reason).or_default() += count;
        }
    }
}

/// Destroys `objects` on the server of `client`, on up to `connections` connections.
pub async fn destroy_all(
    client: &Client,
    version: KmipVersion,
    objects: Vec<OwnedObject>,
    connections: usize,
) -> CleanupReport {
    let mut report = CleanupReport::default();
    if objects.is_empty() {
        return report;
    }
    let connections = connections.clamp(1, MAX_CONNECTIONS);
    let share = objects.len().div_ceil(connections);
    let mut workers = Vec::new();
    for chunk in objects.chunks(share) {
        let (client, chunk) = (client.clone(), chunk.to_vec());
        workers.push(tokio::spawn(async move { destroy_on_one_connection(&client, version, chunk).await }));
    }
    for worker in workers {
        match worker.await {
            Ok(part) => report.merge(part),
            Err(error) => *report.left.entry(format!("cleanup task failed: {error}")).or_default() += 1,
        }
    }
    report
}

async fn destroy_on_one_connection(client: &Client, version: KmipVersion, objects: Vec<OwnedObject>) -> CleanupReport {
    let mut report = CleanupReport::default();
    let mut connection = match client.connect().await {
        Ok(connection) => connection,
        Err(error) => {
            report.left.insert(format!("cannot connect: {error}"), objects.len() as u64);
            return report;
        }
    };
    let mut retry = Vec::new();
    for chunk in objects.chunks(OBJECTS_PER_REQUEST) {
        let failed = destroy_batch(&mut connection, version, chunk, &mut report).await;
        // A Destroy refused for an object thought inactive: perhaps the server activated it.
        // Once more with a Revoke first.
        retry.extend(failed.into_iter().filter(|object| !object.active).map(|uid| OwnedObject { active: true, ..uid }));
    }
    for chunk in retry.chunks(OBJECTS_PER_REQUEST) {
        // Failures of the second try are recorded with their reasons; there is no third.
        destroy_batch(&mut connection, version, chunk, &mut report).await;
    }
    connection.close().await;
    report
}

/// Sends one batch of Revoke and Destroy items; counts the destroyed objects and returns those
/// whose Destroy failed. Their reasons are recorded only for objects not retried.
async fn destroy_batch(
    connection: &mut keyward_client::Connection,
    version: KmipVersion,
    objects: &[OwnedObject],
    report: &mut CleanupReport,
) -> Vec<OwnedObject> {
    let mut payloads: Vec<RequestPayload> = Vec::new();
    // For each Destroy item, its object.
    let mut destroyed_by_item: Vec<Option<&OwnedObject>> = Vec::new();
    for object in objects {
        if object.active {
            payloads.push(requests::revoke(&object.uid));
            destroyed_by_item.push(None);
        }
        payloads.push(requests::destroy(&object.uid));
        destroyed_by_item.push(Some(object));
    }
    let response = match call_batch(connection, version, payloads).await {
        Ok(response) => response,
        Err(error) => {
            *report.left.entry(error.to_string()).or_default() += objects.len() as u64;
            return Vec::new();
        }
    };
    if response.batch_items.len() != destroyed_by_item.len() {
        // The message as a whole was refused: one failed item answers all.
        let reason = response.batch_items.into_iter().next().map_or_else(
            || "an empty response".into(),
            |item| outcome(item).err().unwrap_or_else(|| "a response with too few batch items".into()),
        );
        *report.left.entry(reason).or_default() += objects.len() as u64;
        return Vec::new();
    }
    let mut failed = Vec::new();
    for (item, object) in response.batch_items.into_iter().zip(destroyed_by_item) {
        let Some(object) = object else { continue };
        let is_destroy = item.operation == Some(Operation::Destroy);
        match outcome(item) {
            Ok(_) if is_destroy => report.destroyed += 1,
            Ok(_) => *report.left.entry("a Destroy answered as another operation".into()).or_default() += 1,
            Err(reason) => {
                if object.active {
                    *report.left.entry(reason).or_default() += 1;
                }
                failed.push(object.clone());
            }
        }
    }
    failed
}
