use keyward_kmip::enums::ObjectType;
use keyward_kmip::payloads::create::CreateResponse;
use keyward_kmip::payloads::lifecycle::ActivateResponse;
use keyward_kmip::{DateTime, KmipVersion};
use keyward_ttlv::Encoder;

use super::*;

fn response(items: Vec<ResponseBatchItem>) -> Vec<u8> {
    let mut out = Encoder::new();
    ResponseMessage::new(KmipVersion::V2_1, DateTime(0), items).encode(&mut out);
    out.into_bytes()
}

fn created(uid: &str) -> ResponseBatchItem {
    ResponseBatchItem::success(
        Operation::Create,
        None,
        ResponsePayload::Create(CreateResponse {
            object_type: ObjectType::SymmetricKey,
            unique_identifier: uid.into(),
            attributes: None,
        }),
    )
}

fn read_one(item: ResponseBatchItem, asked: Operation) -> Result<ResponsePayload, SessionError> {
    let mut items = read_response(&response(vec![item]), &response_limits())?;
    item_result(items.remove(0), asked)
}

#[test]
fn a_successful_item_gives_its_payload() {
    let payload = read_one(created("key-1"), Operation::Create).unwrap();
    assert!(matches!(payload, ResponsePayload::Create(r) if r.unique_identifier == "key-1"));
}

#[test]
fn a_failed_item_gives_its_status_reason_and_message() {
    let refused = ResponseBatchItem::failure(Some(Operation::Get), None, ResultReason::ItemNotFound, "no object key-9");
    let error = read_one(refused, Operation::Get).unwrap_err();
    let failed = error.operation_error().unwrap();
    assert_eq!(failed.operation, Some(Operation::Get));
    assert_eq!(failed.status, ResultStatus::OperationFailed);
    assert_eq!(failed.reason, Some(ResultReason::ItemNotFound));
    assert_eq!(failed.message.as_deref(), Some("no object key-9"));
    assert_eq!(failed.reason_name(), "Item Not Found");
}

#[test]
fn an_answer_to_another_operation_is_unexpected() {
    let error = read_one(created("key-1"), Operation::Activate).unwrap_err();
    assert!(matches!(error, SessionError::Unexpected(_)), "{error:?}");
}

#[test]
fn garbage_is_malformed() {
    assert!(matches!(read_response(b"not a message", &response_limits()), Err(SessionError::Malformed(_))));
}

#[test]
fn batch_results_follow_the_batch_item_ids() {
    let mut first = created("key-1");
    first.unique_batch_item_id = Some(batch_item_id(0));
    let mut second = ResponseBatchItem::success(
        Operation::Activate,
        Some(batch_item_id(1)),
        ResponsePayload::Activate(ActivateResponse { unique_identifier: "key-1".into() }),
    );
    second.unique_batch_item_id = Some(batch_item_id(1));
    // Answered out of order: the IDs put them back.
    let items = read_response(&response(vec![second, first]), &response_limits()).unwrap();
    let results = match_batch(items, &[Operation::Create, Operation::Activate]).unwrap();
    assert!(matches!(&results[0], Ok(ResponsePayload::Create(_))));
    assert!(matches!(&results[1], Ok(ResponsePayload::Activate(_))));
}

#[test]
fn a_message_refused_whole_fails_every_item() {
    let refused = ResponseBatchItem::failure(None, None, ResultReason::InvalidMessage, "bad header");
    let items = read_response(&response(vec![refused]), &response_limits()).unwrap();
    let results = match_batch(items, &[Operation::Get, Operation::Get]).unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.as_ref().is_err_and(|e| e.reason == Some(ResultReason::InvalidMessage))));
}
