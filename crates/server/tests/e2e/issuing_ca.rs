//! The server's issuing CA over TLS: on the development PKI, with no `[issuing_ca]` table, a
//! Certify that names no CA (no Parent Link) is signed by the managed CA made on first use.

use keyward_kmip::UniqueIdentifierRef;
use keyward_kmip::attributes::{Attribute, Attributes};
use keyward_kmip::enums::{CryptographicAlgorithm, ResultStatus};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::message::{RequestMessage, ResponseMessage};
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::payloads::certify::CertifyRequest;
use keyward_kmip::payloads::create_key_pair::CreateKeyPairRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_ttlv::KmipVersion;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::common::TestServer;

fn get(uid: &str) -> RequestPayload {
    RequestPayload::Get(GetRequest::of(UniqueIdentifierRef::from(uid)))
}

fn certificate_of(response: &ResponseMessage) -> Vec<u8> {
    match &response.batch_items[0].payload {
        Some(ResponsePayload::Get(got)) => match &got.object {
            ManagedObject::Certificate(c) => c.certificate_value.as_slice().to_vec(),
            other => panic!("not a certificate: {other:?}"),
        },
        other => panic!("not a Get response: {other:?}"),
    }
}

#[tokio::test]
async fn certify_without_a_parent_is_signed_by_the_development_issuing_ca() {
    let server = TestServer::start().await;
    let mut connection = server.client().connect().await.unwrap();
    let mut call = async |payloads: Vec<RequestPayload>| {
        let message = RequestMessage::new(KmipVersion::V2_1, payloads);
        let response = ResponseMessage::from_bytes(connection.call(&message.to_bytes()).await.unwrap()).unwrap();
        assert!(response.batch_items.iter().all(|i| i.result_status == ResultStatus::Success), "{response:?}");
        response
    };
    let pair = RequestPayload::CreateKeyPair(CreateKeyPairRequest {
        common_attributes: Some(Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::RSA),
            Attribute::CryptographicLength(2048),
        ])),
        private_key_attributes: Some(Attributes::new(vec![Attribute::CryptographicUsageMask(
            CryptographicUsageMask::Sign,
        )])),
        public_key_attributes: Some(Attributes::new(vec![Attribute::CryptographicUsageMask(
            CryptographicUsageMask::Verify,
        )])),
        common_protection_storage_masks: None,
        private_protection_storage_masks: None,
        public_protection_storage_masks: None,
    });
    let created = call(vec![pair]).await;
    let Some(ResponsePayload::CreateKeyPair(created)) = &created.batch_items[0].payload else { panic!() };
    let certify = RequestPayload::Certify(CertifyRequest {
        unique_identifier: Some(UniqueIdentifierRef::from(created.public_key_unique_identifier.as_str())),
        certificate_request_type: None,
        certificate_request_value: None,
        attributes: Some(Attributes::new(vec![Attribute::CertificateSubjectCN("e2e-leaf".into())])),
        protection_storage_masks: None,
    });
    let certified = call(vec![certify]).await;
    let Some(ResponsePayload::Certify(certified)) = &certified.batch_items[0].payload else { panic!() };
    let leaf = certificate_of(&call(vec![get(&certified.unique_identifier)]).await);
    // The development client is an administrator: it may read the CA's certificate.
    let ca = certificate_of(&call(vec![get("keyward-issuing-ca-certificate")]).await);
    let (_, leaf) = X509Certificate::from_der(&leaf).unwrap();
    let (_, ca) = X509Certificate::from_der(&ca).unwrap();
    assert_eq!(leaf.issuer().as_raw(), ca.subject().as_raw());
    assert!(leaf.verify_signature(Some(ca.public_key())).is_ok(), "signed by the issuing CA");
    server.stop().await.unwrap();
}
