//! Who may do what (KMIP 2.x): the tickets of Login and Delegated Login with the rights they
//! grant (2.1 §7.34, 7.35, 7.39), and the constraints of Set and Get Constraints (§7.6, 7.7).

use keyward_ttlv::enums::TicketType;

use crate::attributes::{Attributes, UsageLimits};
use crate::codec::Bytes;
use crate::kmip_struct;
use crate::payloads::common::{ObjectGroups, ObjectTypes, Objects, Operations};

kmip_struct! {
    /// A credential issued by Login, presented in the Authentication of later requests.
    pub struct Ticket {
        ticket_type: one TicketType = TicketType,
        ticket_value: one Bytes = TicketValue,
    }
}

kmip_struct! {
    /// One grant: these operations, on these objects or object groups, within these limits.
    pub struct Right {
        usage_limits: opt UsageLimits = UsageLimits,
        operations: opt Operations = Operations,
        objects: opt Objects = Objects,
        object_groups: opt ObjectGroups = ObjectGroups,
    }
}

kmip_struct! {
    /// Grants; a request is allowed when one of them allows it.
    pub struct Rights {
        right: many Right = Right,
    }
}

kmip_struct! {
    /// Attributes that objects of some types or groups must have (KMIP 2.1).
    pub struct Constraint {
        object_types: opt ObjectTypes = ObjectTypes,
        object_groups: opt ObjectGroups = ObjectGroups,
        attributes: opt Attributes = Attributes,
    }
}

kmip_struct! {
    /// The constraints applied during operations (KMIP 2.1).
    pub struct Constraints {
        constraint: many Constraint = Constraint,
    }
}
