//! Re-certify (2.1 §6.1.45, 1.4 §4.8): a renewed certificate.

use keyward_ttlv::enums::CertificateRequestType;

use crate::attributes::Attributes;
use crate::codec::{Bytes, Interval};
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::ProtectionStorageMasks;

kmip_struct! {
    pub struct ReCertifyRequest {
        /// The certificate to renew; absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        /// 2.x: a certificate request object held by the server.
        certificate_request_unique_identifier: opt String = CertificateRequestUniqueIdentifier,
        certificate_request_type: opt CertificateRequestType = CertificateRequestType,
        /// The request itself: Certificate Request in 1.x, Certificate Request Value in 2.x.
        certificate_request_value: opt Bytes = CertificateRequest | CertificateRequestValue,
        /// From the new certificate's Initial Date to its Activation Date.
        offset: opt Interval = Offset,
        attributes: opt Attributes = TemplateAttribute | Attributes,
        protection_storage_masks: opt ProtectionStorageMasks = ProtectionStorageMasks,
    }
}

kmip_struct! {
    pub struct ReCertifyResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// 1.x only: attributes the server set implicitly.
        attributes: opt Attributes = TemplateAttribute,
    }
}
