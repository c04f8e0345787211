//! Discover Versions (2.1 §6.1.16 and, server to client, §6.2.1; 1.4 §4.26 and §5.4; KMIP 1.1
//! and later): the versions both sides speak.

use crate::kmip_struct;
use crate::message::ProtocolVersion;

kmip_struct! {
    /// The versions the client speaks, most preferred first; empty to ask for all.
    pub struct DiscoverVersionsRequest {
        protocol_version: many ProtocolVersion = ProtocolVersion,
    }
}

kmip_struct! {
    /// The versions the server speaks (of those the client offered), most preferred first.
    pub struct DiscoverVersionsResponse {
        protocol_version: many ProtocolVersion = ProtocolVersion,
    }
}
