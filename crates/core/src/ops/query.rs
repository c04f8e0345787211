//! Query (2.1 §6.1.37, 1.4 §4.25): what the server supports, for each Query Function asked. Lists
//! are limited to what the request's version defines.

use keyward_kmip::enums::{ObjectType, Operation, QueryFunction, RNGMode};
use keyward_kmip::payloads::query::{QueryRequest, QueryResponse};
use keyward_kmip::payloads::query_types::{CapabilityInformation, ServerInformation};
use keyward_ttlv::KmipEnum;

use crate::context::Context;
use crate::error::OpResult;
use crate::ops::SUPPORTED_OPERATIONS;

/// The object types this server stores.
const OBJECT_TYPES: &[ObjectType] = &[
    ObjectType::Certificate,
    ObjectType::SymmetricKey,
    ObjectType::PublicKey,
    ObjectType::PrivateKey,
    ObjectType::SplitKey,
    ObjectType::Template,
    ObjectType::SecretData,
    ObjectType::OpaqueObject,
    ObjectType::PGPKey,
];

pub(crate) fn run(cx: &mut Context<'_>, request: &QueryRequest) -> OpResult<QueryResponse> {
    let version = cx.version;
    let asked = |function: QueryFunction| request.query_function.contains(&function);
    let mut response = QueryResponse {
        operation: Vec::new(),
        object_type: Vec::new(),
        vendor_identification: None,
        server_information: None,
        application_namespace: Vec::new(),
        extension_information: Vec::new(),
        attestation_type: Vec::new(),
        rng_parameters: Vec::new(),
        profile_information: Vec::new(),
        validation_information: Vec::new(),
        capability_information: Vec::new(),
        client_registration_method: Vec::new(),
        defaults_information: None,
        protection_storage_masks: None,
    };
    if asked(QueryFunction::QueryOperations) {
        // PKCS#11 is offered only when the server has a module to relay it to.
        let offered = |o: &Operation| o.exists_in(version) && (*o != Operation::PKCS_11 || cx.pkcs11.is_some());
        response.operation = SUPPORTED_OPERATIONS.iter().copied().filter(offered).collect();
    }
    if asked(QueryFunction::QueryObjects) {
        response.object_type = OBJECT_TYPES.iter().copied().filter(|t| t.exists_in(version)).collect();
    }
    if asked(QueryFunction::QueryServerInformation) {
        let info = &cx.services.policy.server_information;
        response.vendor_identification = Some(info.vendor_identification.clone());
        // 1.x leaves the structure to vendors and 2.x defines its fields; 1.x clients get the
        // vendor identification alone.
        if !version.is_1x() {
            response.server_information = Some(ServerInformation {
                server_name: Some(info.server_name.clone()),
                server_serial_number: None,
                server_version: Some(info.server_version.clone()),
                server_load: None,
                product_name: Some("Keyward".into()),
                build_level: None,
                build_date: None,
                cluster_info: None,
                alternate_failover_endpoints: Vec::new(),
                vendor_specific: Vec::new(),
            });
        }
    }
    if asked(QueryFunction::QueryRNGs) {
        // The generator of keys, then the one RNG Retrieve draws from and RNG Seed feeds.
        response.rng_parameters.push(crate::creation::server_rng());
        response.rng_parameters.push(crate::creation::retrieve_rng());
    }
    if asked(QueryFunction::QueryCapabilities) {
        response.capability_information.push(CapabilityInformation {
            // Multi-part Encrypt, Decrypt, Sign, Signature Verify, MAC, MAC Verify and Hash.
            streaming_capability: Some(true),
            asynchronous_capability: Some(cx.services.policy.asynchronous.enabled),
            attestation_capability: Some(false),
            batch_undo_capability: Some(true),
            batch_continue_capability: Some(true),
            unwrap_mode: None,
            destroy_action: None,
            shredding_algorithm: None,
            rng_mode: Some(RNGMode::SharedInstantiation),
            quantum_safe_capability: Some(false),
        });
    }
    Ok(response)
}
