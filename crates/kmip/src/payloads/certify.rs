//! Certify (2.1 §6.1.6, 1.4 §4.7): a certificate for a public key, from a certificate request.

use keyward_ttlv::enums::CertificateRequestType;

use crate::attributes::Attributes;
use crate::codec::Bytes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::ProtectionStorageMasks;

kmip_struct! {
    pub struct CertifyRequest {
        /// The public key (or 2.x certificate request object) to certify; absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        certificate_request_type: opt CertificateRequestType = CertificateRequestType,
        /// The request itself: Certificate Request in 1.x, Certificate Request Value in 2.x.
        certificate_request_value: opt Bytes = CertificateRequest | CertificateRequestValue,
        attributes: opt Attributes = TemplateAttribute | Attributes,
        protection_storage_masks: opt ProtectionStorageMasks = ProtectionStorageMasks,
    }
}

kmip_struct! {
    pub struct CertifyResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// 1.x only: attributes the server set implicitly.
        attributes: opt Attributes = TemplateAttribute,
    }
}
