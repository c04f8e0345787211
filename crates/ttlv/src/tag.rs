//! Tags: the three-byte names of TTLV items.

use std::fmt;

/// A TTLV tag. KMIP's own tags are 0x42XXXX; extensions, vendors' included, are 0x54XXXX.
///
/// Every tag the specifications define is an associated constant, generated from the dictionary:
/// `Tag::ActivationDate`, `Tag::CryptographicUsageMask`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

impl Tag {
    /// The largest value a three-byte tag can hold.
    pub const MAX: u32 = 0x00ff_ffff;

    pub const fn value(self) -> u32 {
        self.0
    }

    /// True for tags in the extension range (first byte 0x54).
    pub const fn is_extension(self) -> bool {
        self.0 >> 16 == 0x54
    }

    /// The definition of this tag in the dictionary, if KMIP defines it.
    pub fn def(self) -> Option<&'static crate::dictionary::TagDef> {
        crate::dictionary::tag_def(self)
    }

    /// The CamelCase name of a defined tag, as the XML and JSON encodings write it.
    pub fn name(self) -> Option<&'static str> {
        self.def().map(|d| d.camel)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "0x{:06X}", self.0),
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
