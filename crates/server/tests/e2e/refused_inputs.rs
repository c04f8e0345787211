//! Input the server refuses with a KMIP error rather than work on (issue 16): a certificate chain
//! longer than Validate takes, and key material that cannot be a key of the type it is
//! registered as.

use keyward_kmip::Bytes;
use keyward_kmip::attributes::{Attribute, Attributes};
use keyward_kmip::enums::{
    CertificateType, CryptographicAlgorithm, KeyFormatType, ObjectType, ResultReason, ResultStatus,
};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::message::RequestMessage;
use keyward_kmip::objects::{Certificate, KeyBlock, KeyMaterial, KeyValue, ManagedObject, PublicKey};
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::register::RegisterRequest;
use keyward_kmip::payloads::validate::ValidateRequest;
use keyward_ttlv::{Item, KmipVersion, Tag};

use crate::common::{TestServer, decode_response};

/// Sends one request and returns its item's status and reason.
async fn outcome(server: &TestServer, payload: RequestPayload) -> (ResultStatus, Option<ResultReason>) {
    let request = RequestMessage::new(KmipVersion::V2_1, vec![payload]).to_bytes();
    let response = decode_response(&server.client().call_once(&request).await.unwrap());
    let [item] = response.batch_items.as_slice() else { panic!("one item expected: {response:?}") };
    (item.result_status, item.result_reason)
}

#[tokio::test]
async fn a_chain_longer_than_validate_takes_is_invalid_field() {
    let server = TestServer::start().await;
    // The length is refused before a certificate is read, so their contents do not matter.
    let certificate =
        Certificate { certificate_type: CertificateType::X_509, certificate_value: Bytes::new(vec![0x30]) };
    let request =
        ValidateRequest { certificate: vec![certificate; 17], unique_identifier: Vec::new(), validity_date: None };
    let refused = outcome(&server, RequestPayload::Validate(request)).await;
    assert_eq!(refused, (ResultStatus::OperationFailed, Some(ResultReason::InvalidField)));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_transparent_symmetric_key_is_not_a_public_key() {
    let server = TestServer::start().await;
    let material = KeyMaterial::Structure(vec![Item::bytes(Tag::Key, vec![7; 32])]);
    let key_block = KeyBlock {
        key_format_type: KeyFormatType::TransparentSymmetricKey,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain { key_material: material, attributes: Vec::new() }),
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        cryptographic_length: Some(256),
        key_wrapping_data: None,
    };
    let request = RegisterRequest {
        object_type: ObjectType::PublicKey,
        attributes: Attributes::new(vec![Attribute::CryptographicUsageMask(CryptographicUsageMask::Verify)]),
        object: Some(ManagedObject::PublicKey(PublicKey { key_block })),
        protection_storage_masks: None,
    };
    let refused = outcome(&server, RequestPayload::Register(request)).await;
    assert_eq!(refused, (ResultStatus::OperationFailed, Some(ResultReason::InvalidField)));
    server.stop().await.unwrap();
}
