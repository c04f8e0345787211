//! Set Attribute (2.1 §6.1.51; KMIP 2.x only): sets a single-instance attribute, adding it or
//! replacing its value.

use crate::attributes::IndexedAttribute;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    pub struct SetAttributeRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        new_attribute: one IndexedAttribute = NewAttribute,
    }
}

kmip_struct! {
    pub struct SetAttributeResponse {
        unique_identifier: one String = UniqueIdentifier,
    }
}
