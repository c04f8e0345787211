//! Query (2.1 §6.1.40 and, server to client, §6.2.4; 1.4 §4.25 and §5.3): what the other side
//! supports.

use keyward_ttlv::enums::{AttestationType, ClientRegistrationMethod, ObjectType, Operation, QueryFunction};

use crate::attributes::RngParameters;
use crate::kmip_struct;
use crate::payloads::common::{ObjectGroups, ProtectionStorageMasks};
use crate::payloads::query_types::{
    CapabilityInformation, DefaultsInformation, ExtensionInformation, ProfileInformation, ServerInformation,
    ValidationInformation,
};

kmip_struct! {
    pub struct QueryRequest {
        query_function: many QueryFunction = QueryFunction,
        /// KMIP 2.1: the object groups the query is about.
        object_groups: opt ObjectGroups = ObjectGroups,
    }
}

kmip_struct! {
    /// Each field answers one Query Function; the payload is empty when there is nothing to say.
    pub struct QueryResponse {
        operation: many Operation = Operation,
        object_type: many ObjectType = ObjectType,
        vendor_identification: opt String = VendorIdentification,
        server_information: opt ServerInformation = ServerInformation,
        application_namespace: many String = ApplicationNamespace,
        /// KMIP 1.1 and later.
        extension_information: many ExtensionInformation = ExtensionInformation,
        /// KMIP 1.2 and later.
        attestation_type: many AttestationType = AttestationType,
        /// KMIP 1.3 and later, as the four fields below.
        rng_parameters: many RngParameters = RNGParameters,
        profile_information: many ProfileInformation = ProfileInformation,
        validation_information: many ValidationInformation = ValidationInformation,
        capability_information: many CapabilityInformation = CapabilityInformation,
        client_registration_method: many ClientRegistrationMethod = ClientRegistrationMethod,
        /// KMIP 2.0 and later.
        defaults_information: opt DefaultsInformation = DefaultsInformation,
        /// KMIP 2.0 and later. The 2.x table marks it required, but its own test cases leave it
        /// out of responses to other query functions: optional, so both decode.
        protection_storage_masks: opt ProtectionStorageMasks = ProtectionStorageMasks,
    }
}
