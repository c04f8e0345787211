//! Discover Versions (KMIP 1.1 and later; 2.1 §6.1.17): the versions both sides speak.

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
