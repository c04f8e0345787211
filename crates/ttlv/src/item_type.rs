//! The eleven TTLV item types and their fixed value lengths.

use std::fmt;

/// The type byte of a TTLV item (KMIP 2.1 §11.23 Item Type Enumeration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ItemType {
    Structure = 0x01,
    Integer = 0x02,
    LongInteger = 0x03,
    BigInteger = 0x04,
    Enumeration = 0x05,
    Boolean = 0x06,
    TextString = 0x07,
    ByteString = 0x08,
    DateTime = 0x09,
    Interval = 0x0A,
    /// KMIP 2.0 and later: a Date-Time in microseconds.
    DateTimeExtended = 0x0B,
}

impl ItemType {
    pub const ALL: [ItemType; 11] = [
        ItemType::Structure,
        ItemType::Integer,
        ItemType::LongInteger,
        ItemType::BigInteger,
        ItemType::Enumeration,
        ItemType::Boolean,
        ItemType::TextString,
        ItemType::ByteString,
        ItemType::DateTime,
        ItemType::Interval,
        ItemType::DateTimeExtended,
    ];

    pub const fn from_byte(byte: u8) -> Option<ItemType> {
        Some(match byte {
            0x01 => ItemType::Structure,
            0x02 => ItemType::Integer,
            0x03 => ItemType::LongInteger,
            0x04 => ItemType::BigInteger,
            0x05 => ItemType::Enumeration,
            0x06 => ItemType::Boolean,
            0x07 => ItemType::TextString,
            0x08 => ItemType::ByteString,
            0x09 => ItemType::DateTime,
            0x0A => ItemType::Interval,
            0x0B => ItemType::DateTimeExtended,
            _ => return None,
        })
    }

    /// The length every value of this type must declare, for the fixed-size types.
    pub const fn fixed_length(self) -> Option<u32> {
        match self {
            ItemType::Integer | ItemType::Enumeration | ItemType::Interval => Some(4),
            ItemType::LongInteger | ItemType::Boolean | ItemType::DateTime | ItemType::DateTimeExtended => Some(8),
            ItemType::Structure | ItemType::BigInteger | ItemType::TextString | ItemType::ByteString => None,
        }
    }

    /// The name the XML and JSON encodings use ("TextString", "DateTimeExtended").
    pub const fn name(self) -> &'static str {
        match self {
            ItemType::Structure => "Structure",
            ItemType::Integer => "Integer",
            ItemType::LongInteger => "LongInteger",
            ItemType::BigInteger => "BigInteger",
            ItemType::Enumeration => "Enumeration",
            ItemType::Boolean => "Boolean",
            ItemType::TextString => "TextString",
            ItemType::ByteString => "ByteString",
            ItemType::DateTime => "DateTime",
            ItemType::Interval => "Interval",
            ItemType::DateTimeExtended => "DateTimeExtended",
        }
    }

    pub fn from_name(name: &str) -> Option<ItemType> {
        ItemType::ALL.into_iter().find(|t| t.name() == name)
    }

    const fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

impl fmt::Display for ItemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The item types a tag may carry.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeSet(u16);

impl TypeSet {
    pub const ANY: TypeSet = TypeSet(0x0ffe);

    pub const fn from_bits(bits: u16) -> TypeSet {
        TypeSet(bits & 0x0ffe)
    }

    pub const fn of(item_type: ItemType) -> TypeSet {
        TypeSet(item_type.bit())
    }

    pub const fn contains(self, item_type: ItemType) -> bool {
        self.0 & item_type.bit() != 0
    }

    /// The one type of the set, when it has exactly one.
    pub fn single(self) -> Option<ItemType> {
        let mut types = self.iter();
        match (types.next(), types.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    pub fn iter(self) -> impl Iterator<Item = ItemType> {
        ItemType::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

impl fmt::Debug for TypeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
