//! Objects registered without their key (1.2 §3.41 and §3.42, 1.3 and 1.4 §3.41 and §3.42, 2.0
//! and 2.1 §4.28 and §4.27): a Key Block whose Key Value is absent ("Key Value: No" in 1.2 and
//! later, Table 7) describes a key kept elsewhere, at the Key Value Location the client may give.
//! The server then creates Key Value Present, false, which neither side may change; the object is
//! otherwise an ordinary managed object (Get returns it as registered, Locate finds it), and any
//! use of the absent key answers Key Value Not Present.
//!
//! Key Value Present "does not apply to Templates, Certificates, Public Keys or Opaque Objects":
//! it applies to Symmetric Key, Private Key, Split Key and Secret Data (1.2 Table 131), so only
//! those may come without their value. 1.0 and 1.1 require the Key Value (1.0 Table 7) and have
//! neither attribute.

use keyward_kmip::enums::ObjectType;
use keyward_ttlv::KmipVersion;

use crate::error::{OpError, OpResult};

/// The object types whose Key Block may come without a Key Value.
const WITHOUT_VALUE: &[ObjectType] =
    &[ObjectType::SymmetricKey, ObjectType::PrivateKey, ObjectType::SplitKey, ObjectType::SecretData];

/// Whether a Key Block of `object_type` may be registered without its Key Value in `version`.
pub(super) fn admit(version: KmipVersion, object_type: ObjectType) -> OpResult<()> {
    if version < KmipVersion::V1_2 {
        return Err(OpError::MissingData(format!("KMIP {version} requires the Key Value of a Key Block")));
    }
    if !WITHOUT_VALUE.contains(&object_type) {
        return Err(OpError::MissingData(format!("a {object_type:?} is registered with its Key Value")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_types_key_value_present_applies_to_and_only_from_1_2() {
        assert!(admit(KmipVersion::V1_2, ObjectType::SymmetricKey).is_ok());
        assert!(admit(KmipVersion::V2_1, ObjectType::SecretData).is_ok());
        assert!(admit(KmipVersion::V1_4, ObjectType::PrivateKey).is_ok());
        assert!(matches!(admit(KmipVersion::V1_1, ObjectType::SymmetricKey), Err(OpError::MissingData(_))));
        assert!(matches!(admit(KmipVersion::V1_4, ObjectType::PublicKey), Err(OpError::MissingData(_))));
    }
}
