//! The Cryptographic Parameters an operation uses: those of the request, or else those of the
//! object's Cryptographic Parameters attribute with the lowest Attribute Index (KMIP 1.4 §4.29
//! Encrypt: "If omitted then the Cryptographic Parameters associated with the Managed
//! Cryptographic Object with the lowest Attribute Index SHALL be used"). The Cryptographic
//! Algorithm falls back to the object's.

use keyward_kmip::attributes::{Attribute, CryptographicParameters};
use keyward_kmip::enums::CryptographicAlgorithm;
use keyward_store::StoredObject;

use crate::attributes::find;

/// The parameters of an operation on `object`.
pub fn effective(request: Option<&CryptographicParameters>, object: &StoredObject) -> CryptographicParameters {
    let mut parameters = match request {
        Some(given) => given.clone(),
        None => {
            let mut attached: Vec<_> = object
                .attributes
                .iter()
                .filter_map(|a| match &a.attribute {
                    Attribute::CryptographicParameters(p) => Some((a.index, p)),
                    _ => None,
                })
                .collect();
            attached.sort_by_key(|(index, _)| *index);
            attached.first().map_or_else(CryptographicParameters::default, |(_, p)| (*p).clone())
        }
    };
    if parameters.cryptographic_algorithm.is_none() {
        parameters.cryptographic_algorithm = algorithm_of(object);
    }
    parameters
}

/// The object's Cryptographic Algorithm attribute.
pub fn algorithm_of(object: &StoredObject) -> Option<CryptographicAlgorithm> {
    find(object, |a| if let Attribute::CryptographicAlgorithm(x) = a { Some(*x) } else { None })
}
