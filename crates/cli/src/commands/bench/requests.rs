//! The request payloads the bench sends, built with the typed model so that every KMIP version
//! gets its own wire form (a 1.x Template-Attribute, 2.x Attributes, and so on), and the request
//! messages that carry them.

use keyward_kmip::attributes::{Attribute, Attributes, CryptographicParameters, Name, RevocationReason};
use keyward_kmip::enums::{
    BatchErrorContinuationOption, BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, ObjectType, PaddingMethod,
    RevocationReasonCode,
};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::message::RequestMessage;
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::create_key_pair::CreateKeyPairRequest;
use keyward_kmip::payloads::decrypt::DecryptRequest;
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_kmip::payloads::encrypt::EncryptRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::get_attributes::GetAttributesRequest;
use keyward_kmip::payloads::lifecycle::{ActivateRequest, DestroyRequest};
use keyward_kmip::payloads::locate::LocateRequest;
use keyward_kmip::payloads::revoke::RevokeRequest;
use keyward_kmip::payloads::sign::SignRequest;
use keyward_kmip::{Bytes, KmipVersion};

/// The length of an AES-GCM nonce, and of the IVs the bench sends.
pub const GCM_IV_LENGTH: usize = 12;
/// The length of the GCM authentication tag asked for.
pub const GCM_TAG_LENGTH: i32 = 16;

/// A request message holding `payloads`, one batch item each, encoded.
///
/// With more than one item, each gets a Unique Batch Item ID (PyKMIP refuses a batch without them)
/// and the batch goes on past a failed item, so that one failure does not hide the others.
pub fn message(version: KmipVersion, payloads: Vec<RequestPayload>) -> Vec<u8> {
    let batched = payloads.len() > 1;
    let mut message = RequestMessage::new(version, payloads);
    if batched {
        message.header.batch_error_continuation_option = Some(BatchErrorContinuationOption::Continue);
        for (index, item) in message.batch_items.iter_mut().flatten().enumerate() {
            let id = u32::try_from(index).unwrap_or(u32::MAX);
            item.unique_batch_item_id = Some(Bytes::new(id.to_be_bytes()));
        }
    }
    message.to_bytes()
}

pub fn discover_versions() -> RequestPayload {
    RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() })
}

/// An AES-256 key for Encrypt and Decrypt (PyKMIP insists on the usage mask), with a Name or not.
pub fn create_aes_256(name: Option<&str>) -> RequestPayload {
    let usage = CryptographicUsageMask(CryptographicUsageMask::Encrypt.0 | CryptographicUsageMask::Decrypt.0);
    let mut attributes = vec![
        Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
        Attribute::CryptographicLength(256),
        Attribute::CryptographicUsageMask(usage),
    ];
    if let Some(name) = name {
        attributes.push(Attribute::Name(Name::text(name)));
    }
    RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(attributes),
        protection_storage_masks: None,
    })
}

/// An RSA-2048 key pair, the private key for signing and the public key for verifying.
pub fn create_signing_key_pair(name: &str) -> RequestPayload {
    let common =
        vec![Attribute::CryptographicAlgorithm(CryptographicAlgorithm::RSA), Attribute::CryptographicLength(2048)];
    let private = vec![
        Attribute::CryptographicUsageMask(CryptographicUsageMask::Sign),
        Attribute::Name(Name::text(format!("{name}-private"))),
    ];
    let public = vec![
        Attribute::CryptographicUsageMask(CryptographicUsageMask::Verify),
        Attribute::Name(Name::text(format!("{name}-public"))),
    ];
    RequestPayload::CreateKeyPair(CreateKeyPairRequest {
        common_attributes: Some(Attributes::new(common)),
        private_key_attributes: Some(Attributes::new(private)),
        public_key_attributes: Some(Attributes::new(public)),
        common_protection_storage_masks: None,
        private_protection_storage_masks: None,
        public_protection_storage_masks: None,
    })
}

pub fn get(uid: &str) -> RequestPayload {
    RequestPayload::Get(GetRequest::of(uid))
}

/// Get Attributes naming none: all of them.
pub fn get_attributes(uid: &str) -> RequestPayload {
    RequestPayload::GetAttributes(GetAttributesRequest {
        unique_identifier: Some(uid.into()),
        attribute_reference: Vec::new(),
    })
}

pub fn locate_by_name(name: &str) -> RequestPayload {
    RequestPayload::Locate(LocateRequest {
        attributes: Attributes::new(vec![Attribute::Name(Name::text(name))]),
        ..LocateRequest::default()
    })
}

pub fn activate(uid: &str) -> RequestPayload {
    RequestPayload::Activate(ActivateRequest { unique_identifier: Some(uid.into()) })
}

pub fn revoke(uid: &str) -> RequestPayload {
    RequestPayload::Revoke(RevokeRequest {
        unique_identifier: Some(uid.into()),
        revocation_reason: RevocationReason {
            revocation_reason_code: RevocationReasonCode::CessationOfOperation,
            revocation_message: None,
        },
        compromise_occurrence_date: None,
    })
}

pub fn destroy(uid: &str) -> RequestPayload {
    RequestPayload::Destroy(DestroyRequest { unique_identifier: Some(uid.into()) })
}

pub fn encrypt(uid: &str, data: &[u8], iv: &[u8]) -> RequestPayload {
    RequestPayload::Encrypt(EncryptRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: Some(aes_gcm()),
        data: Some(Bytes::new(data).into()),
        iv_counter_nonce: Some(Bytes::new(iv)),
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
        authenticated_encryption_additional_data: None,
    })
}

pub fn decrypt(uid: &str, ciphertext: &[u8], iv: &[u8], tag: &[u8]) -> RequestPayload {
    RequestPayload::Decrypt(DecryptRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: Some(aes_gcm()),
        data: Some(Bytes::new(ciphertext).into()),
        iv_counter_nonce: Some(Bytes::new(iv)),
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
        authenticated_encryption_additional_data: None,
        authenticated_encryption_tag: Some(Bytes::new(tag)),
    })
}

pub fn sign(uid: &str, data: &[u8]) -> RequestPayload {
    let parameters = CryptographicParameters {
        cryptographic_algorithm: Some(CryptographicAlgorithm::RSA),
        padding_method: Some(PaddingMethod::PKCS1V1_5),
        hashing_algorithm: Some(HashingAlgorithm::SHA_256),
        ..CryptographicParameters::default()
    };
    RequestPayload::Sign(SignRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: Some(parameters),
        data: Some(Bytes::new(data).into()),
        digested_data: None,
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
    })
}

fn aes_gcm() -> CryptographicParameters {
    CryptographicParameters {
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        block_cipher_mode: Some(BlockCipherMode::GCM),
        tag_length: Some(GCM_TAG_LENGTH),
        ..CryptographicParameters::default()
    }
}
