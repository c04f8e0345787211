//! Adjust Attribute (2.1 §6.1.3; KMIP 2.x only): increments, decrements or negates a numeric,
//! interval or date attribute.

use keyward_ttlv::enums::AdjustmentType;

use crate::attributes::AttributeRef;
use crate::codec::Raw;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    pub struct AdjustAttributeRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        attribute_reference: one AttributeRef = AttributeReference,
        adjustment_type: one AdjustmentType = AdjustmentType,
        /// The amount, of the attribute's own type (an Integer, an Interval...); absent for Negate.
        adjustment_value: opt Raw = AdjustmentValue,
    }
}

kmip_struct! {
    pub struct AdjustAttributeResponse {
        unique_identifier: one String = UniqueIdentifier,
    }
}
