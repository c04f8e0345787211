//! A borrowed, zero-copy view of a validated message.
//!
//! An [`ItemRef`] is only made by [`crate::decode`], after the whole message has been checked, so
//! reading values and walking children cannot meet malformed bytes. The accessors still never
//! panic: they return `None` for a value of another type.

use zeroize::Zeroizing;

use crate::decode::{HEADER_LEN, parse_header};
use crate::{Item, ItemType, Tag, Value};

/// A view of one item of a validated message.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ItemRef<'a> {
    tag: Tag,
    item_type: ItemType,
    /// The value bytes without padding (for a structure, its children).
    value: &'a [u8],
    /// Where the item's header starts in the message.
    offset: usize,
}

/// The value of an [`ItemRef`], borrowed from the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRef<'a> {
    Structure(Children<'a>),
    Integer(i32),
    LongInteger(i64),
    BigInteger(&'a [u8]),
    Enumeration(u32),
    Boolean(bool),
    TextString(&'a str),
    ByteString(&'a [u8]),
    DateTime(i64),
    Interval(u32),
    DateTimeExtended(i64),
}

impl<'a> ItemRef<'a> {
    pub(crate) fn new(tag: Tag, item_type: ItemType, value: &'a [u8], offset: usize) -> ItemRef<'a> {
        ItemRef { tag, item_type, value, offset }
    }

    pub fn tag(&self) -> Tag {
        self.tag
    }

    pub fn item_type(&self) -> ItemType {
        self.item_type
    }

    /// Where this item starts in the message, for error reports.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The raw value bytes, without padding.
    pub fn raw_value(&self) -> &'a [u8] {
        self.value
    }

    pub fn value(&self) -> ValueRef<'a> {
        match self.item_type {
            ItemType::Structure => ValueRef::Structure(self.children()),
            ItemType::Integer => ValueRef::Integer(self.be::<4>().map_or(0, i32::from_be_bytes)),
            ItemType::LongInteger => ValueRef::LongInteger(self.be::<8>().map_or(0, i64::from_be_bytes)),
            ItemType::BigInteger => ValueRef::BigInteger(self.value),
            ItemType::Enumeration => ValueRef::Enumeration(self.be::<4>().map_or(0, u32::from_be_bytes)),
            ItemType::Boolean => ValueRef::Boolean(self.be::<8>().is_some_and(|b| u64::from_be_bytes(b) == 1)),
            ItemType::TextString => ValueRef::TextString(std::str::from_utf8(self.value).unwrap_or_default()),
            ItemType::ByteString => ValueRef::ByteString(self.value),
            ItemType::DateTime => ValueRef::DateTime(self.be::<8>().map_or(0, i64::from_be_bytes)),
            ItemType::Interval => ValueRef::Interval(self.be::<4>().map_or(0, u32::from_be_bytes)),
            ItemType::DateTimeExtended => ValueRef::DateTimeExtended(self.be::<8>().map_or(0, i64::from_be_bytes)),
        }
    }

    fn be<const N: usize>(&self) -> Option<[u8; N]> {
        self.value.try_into().ok()
    }

    /// The children of a structure; an empty iterator for any other type.
    pub fn children(&self) -> Children<'a> {
        let body = if self.item_type == ItemType::Structure { self.value } else { &[] };
        Children { rest: body, offset: self.offset + HEADER_LEN }
    }

    /// The first child with this tag.
    pub fn child(&self, tag: Tag) -> Option<ItemRef<'a>> {
        self.children().find(|c| c.tag == tag)
    }

    pub fn as_integer(&self) -> Option<i32> {
        match self.value() {
            ValueRef::Integer(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_long_integer(&self) -> Option<i64> {
        match self.value() {
            ValueRef::LongInteger(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_enumeration(&self) -> Option<u32> {
        match self.value() {
            ValueRef::Enumeration(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_boolean(&self) -> Option<bool> {
        match self.value() {
            ValueRef::Boolean(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&'a str> {
        match self.value() {
            ValueRef::TextString(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self.value() {
            ValueRef::ByteString(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_big_integer(&self) -> Option<&'a [u8]> {
        match self.value() {
            ValueRef::BigInteger(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_date_time(&self) -> Option<i64> {
        match self.value() {
            ValueRef::DateTime(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_interval(&self) -> Option<u32> {
        match self.value() {
            ValueRef::Interval(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_date_time_extended(&self) -> Option<i64> {
        match self.value() {
            ValueRef::DateTimeExtended(v) => Some(v),
            _ => None,
        }
    }

    /// Copies the item and everything inside it into an owned tree.
    pub fn to_owned_item(&self) -> Item {
        let value = match self.value() {
            ValueRef::Structure(children) => Value::Structure(children.map(|c| c.to_owned_item()).collect()),
            ValueRef::Integer(v) => Value::Integer(v),
            ValueRef::LongInteger(v) => Value::LongInteger(v),
            ValueRef::BigInteger(v) => Value::BigInteger(Zeroizing::new(v.to_vec())),
            ValueRef::Enumeration(v) => Value::Enumeration(v),
            ValueRef::Boolean(v) => Value::Boolean(v),
            ValueRef::TextString(v) => Value::TextString(v.to_owned()),
            ValueRef::ByteString(v) => Value::ByteString(Zeroizing::new(v.to_vec())),
            ValueRef::DateTime(v) => Value::DateTime(v),
            ValueRef::Interval(v) => Value::Interval(v),
            ValueRef::DateTimeExtended(v) => Value::DateTimeExtended(v),
        };
        Item { tag: self.tag, value }
    }
}

impl std::fmt::Debug for ItemRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemRef").field("tag", &self.tag).field("value", &self.value()).finish()
    }
}

/// The children of a validated structure, in order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Children<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl std::fmt::Debug for Children<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(*self).finish()
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = ItemRef<'a>;

    fn next(&mut self) -> Option<ItemRef<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        // The structure was validated, so this cannot fail; if it somehow did, iteration ends.
        let (after_header, header) = parse_header(self.rest, self.offset).ok()?;
        let padded = usize::try_from(header.padded_length()).ok()?;
        let padded_value = after_header.get(..padded)?;
        let value = padded_value.get(..header.length as usize)?;
        let item = ItemRef::new(header.tag, header.item_type, value, self.offset);
        self.rest = after_header.get(padded..)?;
        self.offset += HEADER_LEN + padded;
        Some(item)
    }
}
