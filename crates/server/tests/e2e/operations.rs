//! The managed-object lifecycle over mutual TLS, in each protocol version, with batches, and with
//! a second client identity that must not see the first one's keys.

use keyward_client::{ClientCredentials, Connection};
use keyward_kmip::attributes::{Attribute, Attributes, Name};
use keyward_kmip::enums::{
    BatchErrorContinuationOption, CryptographicAlgorithm, ObjectType, ResultReason, ResultStatus, RevocationReasonCode,
};
use keyward_kmip::message::{RequestMessage, ResponseMessage};
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::lifecycle::{ActivateRequest, DestroyRequest};
use keyward_kmip::payloads::locate::LocateRequest;
use keyward_kmip::payloads::revoke::RevokeRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_kmip::{UniqueIdentifierRef, attributes::RevocationReason};
use keyward_ttlv::KmipVersion;

use crate::common::TestServer;

fn create(name: &str) -> RequestPayload {
    RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
            Attribute::Name(Name::text(name)),
        ]),
        protection_storage_masks: None,
    })
}

fn get(uid: Option<&str>) -> RequestPayload {
    RequestPayload::Get(GetRequest {
        unique_identifier: uid.map(UniqueIdentifierRef::from),
        key_format_type: None,
        key_wrap_type: None,
        key_compression_type: None,
        key_wrapping_specification: None,
    })
}

fn activate(uid: Option<&str>) -> RequestPayload {
    RequestPayload::Activate(ActivateRequest { unique_identifier: uid.map(UniqueIdentifierRef::from) })
}

fn destroy(uid: &str) -> RequestPayload {
    RequestPayload::Destroy(DestroyRequest { unique_identifier: Some(uid.into()) })
}

fn revoke(uid: &str) -> RequestPayload {
    RequestPayload::Revoke(RevokeRequest {
        unique_identifier: Some(uid.into()),
        revocation_reason: RevocationReason {
            revocation_reason_code: RevocationReasonCode::CessationOfOperation,
            revocation_message: None,
        },
        compromise_occurrence_date: None,
    })
}

async fn send(connection: &mut Connection, message: RequestMessage) -> ResponseMessage {
    let response = connection.call(&message.to_bytes()).await.unwrap();
    ResponseMessage::from_bytes(response).unwrap()
}

fn statuses(response: &ResponseMessage) -> Vec<ResultStatus> {
    response.batch_items.iter().map(|i| i.result_status).collect()
}

fn created_uid(response: &ResponseMessage) -> String {
    match &response.batch_items[0].payload {
        Some(ResponsePayload::Create(created)) => created.unique_identifier.clone(),
        other => panic!("not a Create response: {other:?}"),
    }
}

#[tokio::test]
async fn the_lifecycle_in_every_version_over_tls() {
    let server = TestServer::start().await;
    let mut connection = server.client().connect().await.unwrap();
    for version in [KmipVersion::V1_0, KmipVersion::V1_2, KmipVersion::V1_4, KmipVersion::V2_0, KmipVersion::V2_1] {
        // Create, then Activate and Get through the ID Placeholder, in one batch.
        let batch = RequestMessage::new(version, vec![create(&format!("key-{version}")), activate(None), get(None)]);
        let response = send(&mut connection, batch).await;
        assert_eq!(statuses(&response), vec![ResultStatus::Success; 3], "{version}: {response:?}");
        let uid = created_uid(&response);
        let refused = send(&mut connection, RequestMessage::new(version, vec![destroy(&uid)])).await;
        assert_eq!(refused.batch_items[0].result_status, ResultStatus::OperationFailed, "{version}");
        let done = send(&mut connection, RequestMessage::new(version, vec![revoke(&uid), destroy(&uid)])).await;
        assert_eq!(statuses(&done), vec![ResultStatus::Success; 2], "{version}: {done:?}");
        let gone = send(&mut connection, RequestMessage::new(version, vec![get(Some(&uid))])).await;
        assert_eq!(gone.batch_items[0].result_status, ResultStatus::OperationFailed, "{version}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn undo_and_continue_over_tls() {
    let server = TestServer::start().await;
    let mut connection = server.client().connect().await.unwrap();
    let mut undo = RequestMessage::new(KmipVersion::V1_4, vec![create("undone"), get(Some("no-such-key"))]);
    undo.header.batch_error_continuation_option = Some(BatchErrorContinuationOption::Undo);
    let response = send(&mut connection, undo).await;
    assert_eq!(statuses(&response), vec![ResultStatus::OperationUndone, ResultStatus::OperationFailed]);

    let mut keep_going = RequestMessage::new(KmipVersion::V1_4, vec![get(Some("no-such-key")), create("kept")]);
    keep_going.header.batch_error_continuation_option = Some(BatchErrorContinuationOption::Continue);
    let response = send(&mut connection, keep_going).await;
    assert_eq!(statuses(&response), vec![ResultStatus::OperationFailed, ResultStatus::Success]);

    let locate = RequestPayload::Locate(LocateRequest {
        maximum_items: None,
        offset_items: None,
        storage_status_mask: None,
        object_group_member: None,
        attributes: Attributes::default(),
    });
    let found = send(&mut connection, RequestMessage::new(KmipVersion::V1_4, vec![locate])).await;
    let Some(ResponsePayload::Locate(found)) = &found.batch_items[0].payload else { panic!("{found:?}") };
    assert_eq!(found.unique_identifier.len(), 1, "only the Continue batch's key exists");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn another_identity_cannot_reach_a_key() {
    let server = TestServer::start().await;
    let mut owner = server.client().connect().await.unwrap();
    // The development admin is an administrator; issue two ordinary clients.
    let alice = server.pki.issue_client("alice").unwrap();
    let bob = server.pki.issue_client("bob").unwrap();
    let connect = |files: &keyward_server::pki::CertFiles| {
        let credentials = ClientCredentials::from_pem_files(&server.pki.ca_cert(), &files.cert, &files.key).unwrap();
        keyward_client::Client::new(server.address, "localhost", &credentials).unwrap()
    };
    let mut alice = connect(&alice).connect().await.unwrap();
    let mut bob = connect(&bob).connect().await.unwrap();
    let uid = created_uid(&send(&mut alice, RequestMessage::new(KmipVersion::V2_1, vec![create("alice-only")])).await);
    let denied = send(&mut bob, RequestMessage::new(KmipVersion::V2_1, vec![get(Some(&uid))])).await;
    // Another client's object does not exist for bob.
    assert_eq!(denied.batch_items[0].result_reason, Some(ResultReason::ObjectNotFound));
    let allowed = send(&mut owner, RequestMessage::new(KmipVersion::V2_1, vec![get(Some(&uid))])).await;
    assert_eq!(allowed.batch_items[0].result_status, ResultStatus::Success, "administrators manage every object");
    server.stop().await.unwrap();
}
