//! A response, and what a batch retains while it runs, stay within `max_response_size` whatever
//! the client asks for (issue 16): the item that would exceed it fails with Response Too Large.

use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};
use keyward_kmip::message::RequestMessage;
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::rng_retrieve::RngRetrieveRequest;
use keyward_ttlv::KmipVersion;

use crate::common::{TestServer, decode_response};

const MIB: usize = 1024 * 1024;

fn rng_retrieve(length: i32) -> RequestPayload {
    RequestPayload::RngRetrieve(RngRetrieveRequest { data_length: length })
}

#[tokio::test]
async fn a_batch_stops_at_the_item_that_would_exceed_the_budget() {
    let server = TestServer::start_with(|config| config.limits.max_response_size = 3 * MIB).await;
    let client = server.client();
    let one_mib = i32::try_from(MIB).unwrap();
    let batch = RequestMessage::new(KmipVersion::V1_4, vec![rng_retrieve(one_mib); 5]).to_bytes();
    let response = decode_response(&client.call_once(&batch).await.unwrap());
    let statuses: Vec<_> = response.batch_items.iter().map(|item| (item.result_status, item.result_reason)).collect();
    let success = (ResultStatus::Success, None);
    let too_large = (ResultStatus::OperationFailed, Some(ResultReason::ResponseTooLarge));
    // Two megabytes and their headers fit; the third would not, and the batch stops there.
    assert_eq!(statuses, [success, success, too_large]);
    assert_eq!(response.batch_items[2].operation, Some(Operation::RNGRetrieve));
    assert!(response.batch_items[2].payload.is_none());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_largest_data_length_is_refused_before_anything_is_made() {
    let server = TestServer::start().await;
    let client = server.client();
    let request = RequestMessage::new(KmipVersion::V1_4, vec![rng_retrieve(i32::MAX)]).to_bytes();
    let response = decode_response(&client.call_once(&request).await.unwrap());
    let [item] = response.batch_items.as_slice() else { panic!("one item expected: {response:?}") };
    assert_eq!(item.result_status, ResultStatus::OperationFailed);
    assert_eq!(item.result_reason, Some(ResultReason::InvalidField), "{item:?}");
    server.stop().await.unwrap();
}
