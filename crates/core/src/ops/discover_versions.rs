//! Discover Versions (2.1 §6.1.17): the versions this server speaks, newest first, restricted to
//! those the client offered (in the client's order of preference).

use keyward_kmip::message::ProtocolVersion;
use keyward_kmip::payloads::discover_versions::{DiscoverVersionsRequest, DiscoverVersionsResponse};
use keyward_ttlv::KmipVersion;

use crate::context::Context;
use crate::error::OpResult;

pub(crate) fn run(_cx: &mut Context<'_>, request: &DiscoverVersionsRequest) -> OpResult<DiscoverVersionsResponse> {
    let ours = || KmipVersion::ALL.into_iter().rev().map(ProtocolVersion::of);
    let protocol_version = if request.protocol_version.is_empty() {
        ours().collect()
    } else {
        request.protocol_version.iter().filter(|offered| ours().any(|v| v == **offered)).cloned().collect()
    };
    Ok(DiscoverVersionsResponse { protocol_version })
}
