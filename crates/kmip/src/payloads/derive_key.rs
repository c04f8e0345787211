//! Derive Key (2.1 §6.1.14, 1.4 §4.6): a key or secret derived from others.

use keyward_ttlv::enums::{DerivationMethod, ObjectType};

use crate::attributes::{Attributes, CryptographicParameters};
use crate::codec::Bytes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    /// The inputs of a derivation method (2.1 §7.12, 1.4 §4.6): Salt and Iteration Count for
    /// PBKDF2, Derivation Data for the others.
    pub struct DerivationParameters {
        cryptographic_parameters: opt CryptographicParameters = CryptographicParameters,
        initialization_vector: opt Bytes = InitializationVector,
        /// Once in 1.x, repeatable in 2.1.
        derivation_data: many Bytes = DerivationData,
        salt: opt Bytes = Salt,
        iteration_count: opt i32 = IterationCount,
    }
}

kmip_struct! {
    pub struct DeriveKeyRequest {
        object_type: one ObjectType = ObjectType,
        /// The objects to derive from (the ID Placeholder is not used).
        unique_identifier: many UniqueIdentifierRef = UniqueIdentifier,
        derivation_method: one DerivationMethod = DerivationMethod,
        derivation_parameters: one DerivationParameters = DerivationParameters,
        attributes: one Attributes = TemplateAttribute | Attributes,
    }
}

kmip_struct! {
    pub struct DeriveKeyResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// 1.x only: attributes the server set implicitly.
        attributes: opt Attributes = TemplateAttribute,
    }
}
