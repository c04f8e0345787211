//! Before the load: the objects the workload needs (a key to get, locate or encrypt with, a
//! ciphertext, a signing key pair), made on one connection with the typed model, where speed does
//! not matter and clear errors do.
//!
//! A step the server refuses that the workload can do without (Activate, an Encrypt to make a
//! ciphertext, a key pair for Sign: servers without cryptographic services refuse them) becomes a
//! note, and stand-ins of the same size take the place of what it would have made: the load then
//! measures the server's refusals, and the report says so.

use keyward_client::{Client, Connection};
use keyward_kmip::KmipVersion;
use keyward_kmip::enums::ResultStatus;
use keyward_kmip::message::{ResponseBatchItem, ResponseMessage};
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};

use super::args::Op;
use super::cleanup::OwnedObject;
use super::error::BenchError;
use super::requests::{self, GCM_IV_LENGTH};
use super::response::Failure;
use super::workload::{Ciphertext, Fixtures, data};

/// What the setup made.
pub struct Prepared {
    pub fixtures: Fixtures,
    /// To destroy after the run.
    pub objects: Vec<OwnedObject>,
    /// Steps the server refused, for the report.
    pub notes: Vec<String>,
}

/// Makes what `op` needs on the server of `client`. `run_name` names the objects, so that
/// concurrent or aborted runs never collide (names are unique per owner in Keyward).
pub async fn prepare(
    client: &Client,
    op: Op,
    version: KmipVersion,
    payload_size: usize,
    run_name: &str,
) -> Result<Prepared, BenchError> {
    let mut connection = client.connect().await.map_err(BenchError::Client)?;
    let mut prepared =
        Prepared { fixtures: Fixtures::stand_ins(payload_size, run_name), objects: Vec::new(), notes: Vec::new() };
    let needs_key = matches!(op, Op::Get | Op::GetAttributes | Op::Locate | Op::Encrypt | Op::Decrypt | Op::Mix);
    let needs_active_key = matches!(op, Op::Encrypt | Op::Decrypt | Op::Mix);
    if needs_key {
        let created = call(&mut connection, version, requests::create_aes_256(Some(run_name))).await?;
        let uid = match created {
            Ok(Some(ResponsePayload::Create(created))) => created.unique_identifier,
            Ok(other) => return Err(BenchError::Setup(format!("Create answered with {other:?}"))),
            Err(refusal) => return Err(BenchError::Setup(format!("the server refused to create the key: {refusal}"))),
        };
        prepared.objects.push(OwnedObject { uid: uid.clone(), active: false });
        prepared.fixtures.key_uid = uid;
    }
    if needs_active_key {
        let uid = prepared.fixtures.key_uid.clone();
        match call(&mut connection, version, requests::activate(&uid)).await? {
            Ok(_) => prepared.objects.iter_mut().filter(|object| object.uid == uid).for_each(|key| key.active = true),
            Err(refusal) => prepared.notes.push(format!("setup: Activate of the key refused: {refusal}")),
        }
    }
    if op == Op::Decrypt {
        encrypt_once(&mut connection, version, payload_size, &mut prepared).await?;
    }
    if op == Op::Sign {
        create_signing_key(&mut connection, version, run_name, &mut prepared).await?;
    }
    connection.close().await;
    Ok(prepared)
}

/// A ciphertext to decrypt, made by the server itself.
async fn encrypt_once(
    connection: &mut Connection,
    version: KmipVersion,
    payload_size: usize,
    prepared: &mut Prepared,
) -> Result<(), BenchError> {
    let iv = [0x5a; GCM_IV_LENGTH];
    let request = requests::encrypt(&prepared.fixtures.key_uid, &data(payload_size), &iv);
    match call(connection, version, request).await? {
        Ok(Some(ResponsePayload::Encrypt(encrypted))) => {
            let (Some(data), Some(tag)) = (encrypted.data, encrypted.authenticated_encryption_tag) else {
                prepared
                    .notes
                    .push("setup: Encrypt returned no data or no tag: Decrypt gets a made-up ciphertext".into());
                return Ok(());
            };
            let iv = encrypted.iv_counter_nonce.map_or_else(|| iv.to_vec(), |iv| iv.as_slice().to_vec());
            prepared.fixtures.ciphertext =
                Ciphertext { data: data.as_slice().to_vec(), iv, tag: tag.as_slice().to_vec() };
        }
        Ok(other) => prepared.notes.push(format!("setup: Encrypt answered with {other:?}")),
        Err(refusal) => prepared
            .notes
            .push(format!("setup: Encrypt refused ({refusal}): Decrypt gets a made-up ciphertext of the same size")),
    }
    Ok(())
}

/// An RSA key pair whose private key is active.
async fn create_signing_key(
    connection: &mut Connection,
    version: KmipVersion,
    run_name: &str,
    prepared: &mut Prepared,
) -> Result<(), BenchError> {
    let pair = match call(connection, version, requests::create_signing_key_pair(run_name)).await? {
        Ok(Some(ResponsePayload::CreateKeyPair(pair))) => pair,
        Ok(other) => return Err(BenchError::Setup(format!("Create Key Pair answered with {other:?}"))),
        Err(refusal) => {
            prepared
                .notes
                .push(format!("setup: Create Key Pair refused ({refusal}): Sign names a key that does not exist"));
            return Ok(());
        }
    };
    prepared.objects.push(OwnedObject { uid: pair.public_key_unique_identifier, active: false });
    let private = pair.private_key_unique_identifier;
    let active = match call(connection, version, requests::activate(&private)).await? {
        Ok(_) => true,
        Err(refusal) => {
            prepared.notes.push(format!("setup: Activate of the signing key refused: {refusal}"));
            false
        }
    };
    prepared.objects.push(OwnedObject { uid: private.clone(), active });
    prepared.fixtures.signing_key_uid = private;
    Ok(())
}

/// Sends one operation and returns its payload, or the server's refusal as text. The outer error
/// is for a connection that failed or a response that cannot be read.
pub async fn call(
    connection: &mut Connection,
    version: KmipVersion,
    payload: RequestPayload,
) -> Result<Result<Option<ResponsePayload>, String>, BenchError> {
    let operation = payload.operation();
    let response = call_batch(connection, version, vec![payload]).await?;
    let Some(item) = response.batch_items.into_iter().next() else {
        return Err(BenchError::Setup(format!("{operation:?}: a response without a batch item")));
    };
    Ok(outcome(item))
}

/// Sends a batch and decodes the whole response.
pub async fn call_batch(
    connection: &mut Connection,
    version: KmipVersion,
    payloads: Vec<RequestPayload>,
) -> Result<ResponseMessage, BenchError> {
    let request = requests::message(version, payloads);
    let bytes = connection.call(&request).await.map_err(BenchError::Client)?;
    ResponseMessage::from_bytes(bytes).map_err(|error| BenchError::Setup(format!("unreadable response: {error}")))
}

/// A batch item's payload (if it has one), or why it failed.
pub fn outcome(item: ResponseBatchItem) -> Result<Option<ResponsePayload>, String> {
    if item.result_status == ResultStatus::Success {
        return Ok(item.payload);
    }
    let failure = match item.result_reason {
        Some(reason) => Failure::Reason(reason.0),
        None => Failure::Status(item.result_status.0),
    };
    Err(match item.result_message {
        Some(message) => format!("{}: {message}", failure.describe()),
        None => failure.describe(),
    })
}
