//! Choosing the protocol version of a session from the server's Discover Versions answer.

use keyward_kmip::KmipVersion;
use keyward_kmip::message::ProtocolVersion;

/// The version the Discover Versions request itself is sent in: 1.1 introduced the operation
/// (1.4 §4.26), and every server that has it reads 1.x messages.
pub const DISCOVERY_VERSION: KmipVersion = KmipVersion::V1_1;

/// The newest of the versions the server offers that this client speaks. The server lists them
/// most preferred first, but a client that asks for none is offered all: the newest one gives the
/// richest operations (Offset Items, authenticated encryption, 2.x attributes).
pub fn choose(offered: &[ProtocolVersion]) -> Option<KmipVersion> {
    offered.iter().filter_map(|v| KmipVersion::from_numbers(v.major, v.minor)).max()
}

/// The offered versions as a person reads them ("2.1, 1.4"), for an error message.
pub fn describe(offered: &[ProtocolVersion]) -> String {
    if offered.is_empty() {
        return "none".into();
    }
    offered.iter().map(|v| format!("{}.{}", v.major, v.minor)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(list: &[(i32, i32)]) -> Vec<ProtocolVersion> {
        list.iter().map(|&(major, minor)| ProtocolVersion { major, minor }).collect()
    }

    #[test]
    fn takes_the_newest_version_both_sides_speak() {
        assert_eq!(choose(&versions(&[(1, 2), (2, 1), (1, 4)])), Some(KmipVersion::V2_1));
        // 3.0 and 2.2 are not versions this client knows: the newest known one wins.
        assert_eq!(choose(&versions(&[(3, 0), (2, 2), (1, 4), (1, 3)])), Some(KmipVersion::V1_4));
        assert_eq!(choose(&versions(&[(3, 0)])), None);
        assert_eq!(choose(&[]), None);
    }

    #[test]
    fn describes_what_was_offered() {
        assert_eq!(describe(&versions(&[(3, 0), (2, 2)])), "3.0, 2.2");
        assert_eq!(describe(&[]), "none");
    }
}
