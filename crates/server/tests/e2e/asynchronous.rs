//! Asynchronous operations through a real server (1.4 §6.7, §6.8, §4.28): a Locate the client
//! allows to be asynchronous is answered Operation Pending and runs on the server's blocking pool,
//! and its owner's Poll, on another connection, gets its result; another client's Poll gets nothing; the `[asynchronous]` table
//! turns it off.

use keyward_client::{ClientCredentials, Connection};
use keyward_kmip::Bytes;
use keyward_kmip::attributes::{Attribute, Attributes};
use keyward_kmip::codec::Cx;
use keyward_kmip::enums::{CryptographicAlgorithm, ObjectType, Operation, ResultReason, ResultStatus};
use keyward_kmip::message::{AsynchronousIndicator, RequestMessage, ResponseMessage};
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::locate::LocateRequest;
use keyward_kmip::payloads::poll::PollRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_ttlv::KmipVersion;

use crate::common::TestServer;

const V1_4: KmipVersion = KmipVersion::V1_4;

async fn send(connection: &mut Connection, message: RequestMessage) -> ResponseMessage {
    let response = connection.call(&message.to_bytes()).await.unwrap();
    ResponseMessage::from_bytes(response).unwrap()
}

fn locate_allowing_asynchronous() -> RequestMessage {
    let locate = RequestPayload::Locate(LocateRequest {
        maximum_items: None,
        offset_items: None,
        storage_status_mask: None,
        object_group_member: None,
        attributes: Attributes::default(),
    });
    let mut message = RequestMessage::new(V1_4, vec![locate]);
    message.header.asynchronous_indicator = Some(AsynchronousIndicator::Flag(true));
    message
}

fn poll(correlation: &Bytes) -> RequestMessage {
    let request = PollRequest { asynchronous_correlation_value: correlation.clone() };
    RequestMessage::new(V1_4, vec![RequestPayload::Poll(request)])
}

fn create() -> RequestMessage {
    let create = RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
        ]),
        protection_storage_masks: None,
    });
    RequestMessage::new(V1_4, vec![create])
}

#[tokio::test]
async fn a_pending_locate_is_polled_by_its_owner_only() {
    let server = TestServer::start().await;
    let connect = |name: &str| {
        let files = server.pki.issue_client(name).unwrap();
        let credentials = ClientCredentials::from_pem_files(&server.pki.ca_cert(), &files.cert, &files.key).unwrap();
        keyward_client::Client::new(server.address, "localhost", &credentials).unwrap()
    };
    let (alice, bob) = (connect("alice"), connect("bob"));
    let mut first = alice.connect().await.unwrap();
    assert_eq!(send(&mut first, create()).await.batch_items[0].result_status, ResultStatus::Success);

    let pending = send(&mut first, locate_allowing_asynchronous()).await;
    let item = &pending.batch_items[0];
    assert_eq!(item.result_status, ResultStatus::OperationPending, "{pending:?}");
    assert!(item.payload.is_none());
    let correlation = item.asynchronous_correlation_value.clone().expect("an Asynchronous Correlation Value");

    let stranger = send(&mut bob.connect().await.unwrap(), poll(&correlation)).await;
    assert_eq!(stranger.batch_items[0].result_reason, Some(ResultReason::ItemNotFound));

    // The owner polls on a new connection: Operation Pending while the server's worker runs the
    // Locate, then its answer, as if it had been synchronous.
    let mut second = alice.connect().await.unwrap();
    let mut done = send(&mut second, poll(&correlation)).await;
    for _ in 0..100 {
        if done.batch_items[0].result_status != ResultStatus::OperationPending {
            break;
        }
        assert!(done.batch_items[0].payload.is_none(), "a pending Poll has no payload");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        done = send(&mut second, poll(&correlation)).await;
    }
    assert_eq!(done.batch_items[0].result_status, ResultStatus::Success, "{done:?}");
    let Some(ResponsePayload::Poll(polled)) = &done.batch_items[0].payload else { panic!("{done:?}") };
    let Ok(ResponsePayload::Locate(found)) = polled.decode_as(Operation::Locate, &Cx::new(V1_4)) else {
        panic!("not a Locate payload: {polled:?}")
    };
    assert_eq!(found.unique_identifier.len(), 1);
    // Polled once, it is gone.
    let again = send(&mut second, poll(&correlation)).await;
    assert_eq!(again.batch_items[0].result_reason, Some(ResultReason::ItemNotFound));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_configuration_turns_it_off() {
    let server = TestServer::start_with(|config| config.asynchronous.enabled = false).await;
    let mut connection = server.client().connect().await.unwrap();
    let answered = send(&mut connection, locate_allowing_asynchronous()).await;
    assert_eq!(answered.batch_items[0].result_status, ResultStatus::Success);
    server.stop().await.unwrap();
}
