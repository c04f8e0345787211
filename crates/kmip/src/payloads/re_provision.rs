//! Re-Provision (2.1 §6.1.48; KMIP 2.x): a new certificate (and key) for the client itself.

use crate::kmip_struct;
use crate::objects::{Certificate, CertificateRequest};

kmip_struct! {
    pub struct ReProvisionRequest {
        /// A request for the server to sign.
        certificate_request: opt CertificateRequest = CertificateRequest,
        /// A certificate to replace the existing one.
        certificate: opt Certificate = Certificate,
    }
}

kmip_struct! {
    pub struct ReProvisionResponse {
        /// The new certificate or private key.
        unique_identifier: opt String = UniqueIdentifier,
    }
}
