//! The KMIP versions this crate knows, and sets of them.
//!
//! A [`VersionSet`] says in which versions a tag, an enumeration value or a mask bit exists; the
//! protocol layer uses it to never send a client something its version does not define.

use std::fmt;

/// A KMIP protocol version defined by OASIS, oldest first. The order is the order of the
/// specifications, so `KmipVersion::V1_2 < KmipVersion::V2_0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KmipVersion {
    V1_0,
    V1_1,
    V1_2,
    V1_3,
    V1_4,
    V2_0,
    V2_1,
}

impl KmipVersion {
    /// Every version, oldest first.
    pub const ALL: [KmipVersion; 7] = [
        KmipVersion::V1_0,
        KmipVersion::V1_1,
        KmipVersion::V1_2,
        KmipVersion::V1_3,
        KmipVersion::V1_4,
        KmipVersion::V2_0,
        KmipVersion::V2_1,
    ];

    /// The newest version.
    pub const LATEST: KmipVersion = KmipVersion::V2_1;

    /// The version with this major and minor number, if OASIS defined one.
    pub const fn from_numbers(major: i32, minor: i32) -> Option<KmipVersion> {
        Some(match (major, minor) {
            (1, 0) => KmipVersion::V1_0,
            (1, 1) => KmipVersion::V1_1,
            (1, 2) => KmipVersion::V1_2,
            (1, 3) => KmipVersion::V1_3,
            (1, 4) => KmipVersion::V1_4,
            (2, 0) => KmipVersion::V2_0,
            (2, 1) => KmipVersion::V2_1,
            _ => return None,
        })
    }

    pub const fn major(self) -> i32 {
        match self {
            KmipVersion::V2_0 | KmipVersion::V2_1 => 2,
            _ => 1,
        }
    }

    pub const fn minor(self) -> i32 {
        match self {
            KmipVersion::V1_0 | KmipVersion::V2_0 => 0,
            KmipVersion::V1_1 | KmipVersion::V2_1 => 1,
            KmipVersion::V1_2 => 2,
            KmipVersion::V1_3 => 3,
            KmipVersion::V1_4 => 4,
        }
    }

    /// True for the 1.x family (Template-Attribute, attribute names as text, Attribute Index).
    pub const fn is_1x(self) -> bool {
        self.major() == 1
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for KmipVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major(), self.minor())
    }
}

impl std::str::FromStr for KmipVersion {
    type Err = UnknownVersion;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (major, minor) = text.split_once('.').ok_or(UnknownVersion)?;
        let (major, minor) = (major.parse().map_err(|_| UnknownVersion)?, minor.parse().map_err(|_| UnknownVersion)?);
        KmipVersion::from_numbers(major, minor).ok_or(UnknownVersion)
    }
}

/// A text that names no KMIP version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a KMIP version (expected one of 1.0, 1.1, 1.2, 1.3, 1.4, 2.0, 2.1)")]
pub struct UnknownVersion;

/// A set of KMIP versions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VersionSet(u8);

impl VersionSet {
    pub const EMPTY: VersionSet = VersionSet(0);
    pub const ALL: VersionSet = VersionSet(0x7f);

    /// The set of the raw bits, bit `n` standing for the `n`-th version of [`KmipVersion::ALL`].
    /// This is how the generated dictionary writes its sets.
    pub const fn from_bits(bits: u8) -> VersionSet {
        VersionSet(bits & 0x7f)
    }

    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The versions from `first` to `last`, both included.
    pub const fn range(first: KmipVersion, last: KmipVersion) -> VersionSet {
        let low = first as u8;
        let high = last as u8;
        let mut bits = 0;
        let mut v = low;
        while v <= high {
            bits |= 1 << v;
            v += 1;
        }
        VersionSet(bits)
    }

    pub const fn contains(self, version: KmipVersion) -> bool {
        self.0 & version.bit() != 0
    }

    pub const fn union(self, other: VersionSet) -> VersionSet {
        VersionSet(self.0 | other.0)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The oldest version in the set.
    pub fn first(self) -> Option<KmipVersion> {
        KmipVersion::ALL.into_iter().find(|v| self.contains(*v))
    }

    /// The newest version in the set.
    pub fn last(self) -> Option<KmipVersion> {
        KmipVersion::ALL.into_iter().rev().find(|v| self.contains(*v))
    }

    pub fn iter(self) -> impl Iterator<Item = KmipVersion> {
        KmipVersion::ALL.into_iter().filter(move |v| self.contains(*v))
    }
}

impl fmt::Debug for VersionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|v| v.to_string())).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_and_parse() {
        assert!(KmipVersion::V1_4 < KmipVersion::V2_0);
        assert_eq!("2.1".parse::<KmipVersion>(), Ok(KmipVersion::V2_1));
        assert_eq!("1.5".parse::<KmipVersion>(), Err(UnknownVersion));
        assert_eq!(KmipVersion::V1_3.to_string(), "1.3");
        assert_eq!(KmipVersion::from_numbers(2, 0), Some(KmipVersion::V2_0));
    }

    #[test]
    fn sets_hold_ranges() {
        let set = VersionSet::range(KmipVersion::V1_1, KmipVersion::V1_4);
        assert!(!set.contains(KmipVersion::V1_0));
        assert!(set.contains(KmipVersion::V1_1) && set.contains(KmipVersion::V1_4));
        assert!(!set.contains(KmipVersion::V2_0));
        assert_eq!(set.first(), Some(KmipVersion::V1_1));
        assert_eq!(set.last(), Some(KmipVersion::V1_4));
        assert_eq!(VersionSet::range(KmipVersion::V1_0, KmipVersion::V2_1), VersionSet::ALL);
    }
}
