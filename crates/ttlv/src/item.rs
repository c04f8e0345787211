//! The owned item tree, for building messages and for the XML and JSON encodings.
//!
//! Decoding does not need it: [`crate::ItemRef`] reads a validated buffer in place. Byte strings and
//! Big Integers are held in [`Zeroizing`] buffers because they carry key material.

use zeroize::Zeroizing;

use crate::{ItemType, Tag};

/// An item: a tag and a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub tag: Tag,
    pub value: Value,
}

/// The value of an item, one variant per item type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Structure(Vec<Item>),
    Integer(i32),
    LongInteger(i64),
    /// Two's complement, big-endian, as many bytes as given. The encoder sign-extends it to a
    /// multiple of eight bytes.
    BigInteger(Zeroizing<Vec<u8>>),
    Enumeration(u32),
    Boolean(bool),
    TextString(String),
    ByteString(Zeroizing<Vec<u8>>),
    /// Seconds since the Unix epoch.
    DateTime(i64),
    /// Seconds.
    Interval(u32),
    /// Microseconds since the Unix epoch (KMIP 2.0 and later).
    DateTimeExtended(i64),
}

impl Value {
    pub fn item_type(&self) -> ItemType {
        match self {
            Value::Structure(_) => ItemType::Structure,
            Value::Integer(_) => ItemType::Integer,
            Value::LongInteger(_) => ItemType::LongInteger,
            Value::BigInteger(_) => ItemType::BigInteger,
            Value::Enumeration(_) => ItemType::Enumeration,
            Value::Boolean(_) => ItemType::Boolean,
            Value::TextString(_) => ItemType::TextString,
            Value::ByteString(_) => ItemType::ByteString,
            Value::DateTime(_) => ItemType::DateTime,
            Value::Interval(_) => ItemType::Interval,
            Value::DateTimeExtended(_) => ItemType::DateTimeExtended,
        }
    }
}

impl Item {
    pub fn new(tag: Tag, value: Value) -> Item {
        Item { tag, value }
    }

    pub fn structure(tag: Tag, children: Vec<Item>) -> Item {
        Item::new(tag, Value::Structure(children))
    }

    pub fn integer(tag: Tag, value: i32) -> Item {
        Item::new(tag, Value::Integer(value))
    }

    pub fn long_integer(tag: Tag, value: i64) -> Item {
        Item::new(tag, Value::LongInteger(value))
    }

    pub fn big_integer(tag: Tag, twos_complement: Vec<u8>) -> Item {
        Item::new(tag, Value::BigInteger(Zeroizing::new(twos_complement)))
    }

    pub fn enumeration(tag: Tag, value: u32) -> Item {
        Item::new(tag, Value::Enumeration(value))
    }

    pub fn boolean(tag: Tag, value: bool) -> Item {
        Item::new(tag, Value::Boolean(value))
    }

    pub fn text(tag: Tag, value: impl Into<String>) -> Item {
        Item::new(tag, Value::TextString(value.into()))
    }

    pub fn bytes(tag: Tag, value: impl Into<Vec<u8>>) -> Item {
        Item::new(tag, Value::ByteString(Zeroizing::new(value.into())))
    }

    pub fn date_time(tag: Tag, seconds: i64) -> Item {
        Item::new(tag, Value::DateTime(seconds))
    }

    pub fn interval(tag: Tag, seconds: u32) -> Item {
        Item::new(tag, Value::Interval(seconds))
    }

    pub fn date_time_extended(tag: Tag, microseconds: i64) -> Item {
        Item::new(tag, Value::DateTimeExtended(microseconds))
    }

    pub fn item_type(&self) -> ItemType {
        self.value.item_type()
    }

    /// The children of a structure; empty for any other type.
    pub fn children(&self) -> &[Item] {
        match &self.value {
            Value::Structure(children) => children,
            _ => &[],
        }
    }

    /// The first child with this tag.
    pub fn child(&self, tag: Tag) -> Option<&Item> {
        self.children().iter().find(|c| c.tag == tag)
    }

    /// Encodes this item as TTLV.
    pub fn to_ttlv(&self) -> Vec<u8> {
        let mut encoder = crate::Encoder::new();
        encoder.item(self);
        encoder.into_bytes()
    }
}

/// Big Integer helpers: KMIP carries them as two's complement, big-endian, padded with sign bytes to
/// a multiple of eight (KMIP 1.4 §9.1.1.4).
pub mod big_integer {
    /// The padded encoding of a two's complement value: sign-extended on the left to a non-zero
    /// multiple of eight bytes. An empty input is zero.
    pub fn padded(twos_complement: &[u8]) -> impl Iterator<Item = u8> + '_ {
        let negative = twos_complement.first().is_some_and(|b| b & 0x80 != 0);
        let fill = if negative { 0xff } else { 0x00 };
        let padded_len = twos_complement.len().div_ceil(8).max(1) * 8;
        std::iter::repeat_n(fill, padded_len - twos_complement.len()).chain(twos_complement.iter().copied())
    }

    /// The length of [`padded`].
    pub fn padded_len(twos_complement: &[u8]) -> usize {
        twos_complement.len().div_ceil(8).max(1) * 8
    }

    /// The two's complement form of an unsigned magnitude (a leading zero byte is added when its
    /// top bit is set, so the value stays positive).
    pub fn from_unsigned(magnitude: &[u8]) -> Vec<u8> {
        let start = magnitude.iter().position(|b| *b != 0).unwrap_or(magnitude.len());
        let significant = &magnitude[start..];
        let mut out = Vec::with_capacity(significant.len() + 1);
        if significant.first().is_some_and(|b| b & 0x80 != 0) {
            out.push(0);
        }
        out.extend_from_slice(significant);
        out
    }

    /// The unsigned magnitude of a non-negative two's complement value, without leading zeros, or
    /// `None` when it is negative.
    pub fn to_unsigned(twos_complement: &[u8]) -> Option<&[u8]> {
        if twos_complement.first().is_some_and(|b| b & 0x80 != 0) {
            return None;
        }
        let start = twos_complement.iter().position(|b| *b != 0).unwrap_or(twos_complement.len());
        Some(&twos_complement[start..])
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn pads_with_sign_bytes() {
            assert_eq!(padded(&[]).collect::<Vec<_>>(), vec![0; 8]);
            assert_eq!(padded(&[0x01]).collect::<Vec<_>>(), vec![0, 0, 0, 0, 0, 0, 0, 1]);
            assert_eq!(padded(&[0x80]).collect::<Vec<_>>(), vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80]);
            assert_eq!(padded(&[0; 9]).count(), 16);
            assert_eq!(padded_len(&[1; 8]), 8);
        }

        #[test]
        fn converts_unsigned_magnitudes() {
            assert_eq!(from_unsigned(&[0x00, 0x80, 0x01]), vec![0x00, 0x80, 0x01]);
            assert_eq!(from_unsigned(&[0x7f]), vec![0x7f]);
            assert_eq!(from_unsigned(&[0, 0]), Vec::<u8>::new());
            assert_eq!(to_unsigned(&[0, 0, 0x80]), Some(&[0x80][..]));
            assert_eq!(to_unsigned(&[0xff]), None);
        }
    }
}
