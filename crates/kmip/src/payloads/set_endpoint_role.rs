//! Set Endpoint Role (2.1 §6.1.54 and, server to client, §6.2.5; KMIP 2.x): swaps the client
//! and server roles on the connection.

use keyward_ttlv::enums::EndpointRole;

use crate::kmip_struct;

kmip_struct! {
    pub struct SetEndpointRoleRequest {
        endpoint_role: one EndpointRole = EndpointRole,
    }
}

kmip_struct! {
    /// The role as applied.
    pub struct SetEndpointRoleResponse {
        endpoint_role: one EndpointRole = EndpointRole,
    }
}
