//! The TTLV encoder: writes items into a buffer that is reused from message to message.
//!
//! Structures are written header first with a placeholder length, which [`Encoder::end`] fills in,
//! so nothing is built twice. The buffer may hold key material: it is zeroized when cleared and
//! when dropped.

use zeroize::Zeroize;

use crate::item::big_integer;
use crate::view::ItemRef;
use crate::{Item, ItemType, Tag, Value};

/// A TTLV writer over a reusable buffer.
#[derive(Default)]
pub struct Encoder {
    buf: Vec<u8>,
    /// An item was longer than a TTLV length can say (4 GiB): what was written is not a valid
    /// message, and [`Encoder::finish`] says so instead of a length being silently cut.
    too_long: bool,
}

/// What was written holds an item longer than the four-byte TTLV length field can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an item is longer than a TTLV length can say ({} bytes)", u32::MAX)]
pub struct TooLong;

/// The position of a structure opened by [`Encoder::begin`], to be closed by [`Encoder::end`].
#[must_use = "a structure must be closed with Encoder::end"]
#[derive(Debug)]
pub struct Open(usize);

impl Encoder {
    pub fn new() -> Encoder {
        Encoder { buf: Vec::new(), too_long: false }
    }

    pub fn with_capacity(capacity: usize) -> Encoder {
        Encoder { buf: Vec::with_capacity(capacity), too_long: false }
    }

    /// Forgets (and zeroizes) what was written, keeping the allocation.
    pub fn clear(&mut self) {
        self.buf.as_mut_slice().zeroize();
        self.buf.clear();
        self.too_long = false;
    }

    /// The length of what was written, or [`TooLong`] when an item could not have its length
    /// written: the bytes must then not be sent.
    pub fn finish(&self) -> Result<usize, TooLong> {
        if self.too_long { Err(TooLong) } else { Ok(self.buf.len()) }
    }

    /// A length for a header; one beyond `u32` marks the output unusable rather than being cut.
    fn length(&mut self, length: usize) -> u32 {
        u32::try_from(length).unwrap_or_else(|_| {
            self.too_long = true;
            u32::MAX
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Hands the written bytes over; the caller becomes responsible for them.
    pub fn into_bytes(mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    fn header(&mut self, tag: Tag, item_type: ItemType, length: u32) {
        let tag = tag.0.to_be_bytes();
        self.buf.extend_from_slice(&tag[1..]);
        self.buf.push(item_type as u8);
        self.buf.extend_from_slice(&length.to_be_bytes());
    }

    fn pad(&mut self, length: usize) {
        let padding = (8 - length % 8) % 8;
        self.buf.extend(std::iter::repeat_n(0, padding));
    }

    /// Opens a structure; everything written until the matching [`Encoder::end`] is inside it.
    pub fn begin(&mut self, tag: Tag) -> Open {
        let at = self.buf.len();
        self.header(tag, ItemType::Structure, 0);
        Open(at)
    }

    /// Closes a structure, writing its length.
    pub fn end(&mut self, open: Open) {
        let length = self.buf.len() - open.0 - crate::decode::HEADER_LEN;
        let length = self.length(length);
        if let Some(field) = self.buf.get_mut(open.0 + 4..open.0 + 8) {
            field.copy_from_slice(&length.to_be_bytes());
        }
    }

    pub fn integer(&mut self, tag: Tag, value: i32) {
        self.header(tag, ItemType::Integer, 4);
        self.buf.extend_from_slice(&value.to_be_bytes());
        self.pad(4);
    }

    pub fn long_integer(&mut self, tag: Tag, value: i64) {
        self.header(tag, ItemType::LongInteger, 8);
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// Writes a Big Integer given in two's complement, sign-extended to a multiple of eight bytes.
    pub fn big_integer(&mut self, tag: Tag, twos_complement: &[u8]) {
        let length = big_integer::padded_len(twos_complement);
        let length = self.length(length);
        self.header(tag, ItemType::BigInteger, length);
        self.buf.extend(big_integer::padded(twos_complement));
    }

    pub fn enumeration(&mut self, tag: Tag, value: u32) {
        self.header(tag, ItemType::Enumeration, 4);
        self.buf.extend_from_slice(&value.to_be_bytes());
        self.pad(4);
    }

    pub fn boolean(&mut self, tag: Tag, value: bool) {
        self.header(tag, ItemType::Boolean, 8);
        self.buf.extend_from_slice(&u64::from(value).to_be_bytes());
    }

    pub fn text(&mut self, tag: Tag, value: &str) {
        self.bytes_of_type(tag, ItemType::TextString, value.as_bytes());
    }

    pub fn bytes(&mut self, tag: Tag, value: &[u8]) {
        self.bytes_of_type(tag, ItemType::ByteString, value);
    }

    fn bytes_of_type(&mut self, tag: Tag, item_type: ItemType, value: &[u8]) {
        let length = self.length(value.len());
        self.header(tag, item_type, length);
        self.buf.extend_from_slice(value);
        self.pad(value.len());
    }

    pub fn date_time(&mut self, tag: Tag, seconds: i64) {
        self.header(tag, ItemType::DateTime, 8);
        self.buf.extend_from_slice(&seconds.to_be_bytes());
    }

    pub fn interval(&mut self, tag: Tag, seconds: u32) {
        self.header(tag, ItemType::Interval, 4);
        self.buf.extend_from_slice(&seconds.to_be_bytes());
        self.pad(4);
    }

    pub fn date_time_extended(&mut self, tag: Tag, microseconds: i64) {
        self.header(tag, ItemType::DateTimeExtended, 8);
        self.buf.extend_from_slice(&microseconds.to_be_bytes());
    }

    /// Writes an owned item and everything inside it.
    pub fn item(&mut self, item: &Item) {
        self.value(item.tag, &item.value);
    }

    /// Writes a value under a tag (an item re-tagged, without copying it).
    pub fn value(&mut self, tag: Tag, value: &Value) {
        match value {
            Value::Structure(children) => {
                let open = self.begin(tag);
                for child in children {
                    self.item(child);
                }
                self.end(open);
            }
            Value::Integer(v) => self.integer(tag, *v),
            Value::LongInteger(v) => self.long_integer(tag, *v),
            Value::BigInteger(v) => self.big_integer(tag, v),
            Value::Enumeration(v) => self.enumeration(tag, *v),
            Value::Boolean(v) => self.boolean(tag, *v),
            Value::TextString(v) => self.text(tag, v),
            Value::ByteString(v) => self.bytes(tag, v),
            Value::DateTime(v) => self.date_time(tag, *v),
            Value::Interval(v) => self.interval(tag, *v),
            Value::DateTimeExtended(v) => self.date_time_extended(tag, *v),
        }
    }

    /// Copies an item of a validated message, re-tagged, without decoding its value.
    pub fn item_ref_as(&mut self, tag: Tag, item: ItemRef<'_>) {
        let raw = item.raw_value();
        let length = self.length(raw.len());
        self.header(tag, item.item_type(), length);
        self.buf.extend_from_slice(raw);
        self.pad(raw.len());
    }

    /// Copies an item of a validated message without decoding it.
    pub fn item_ref(&mut self, item: ItemRef<'_>) {
        self.item_ref_as(item.tag(), item);
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_beyond_u32_is_an_error_not_a_cut() {
        let mut out = Encoder::new();
        out.integer(Tag(0x42_0001), 1);
        assert_eq!(out.finish(), Ok(16));
        // Writing a real 4 GiB item would take 4 GiB; the length itself is what is checked.
        if let Ok(huge) = usize::try_from(u64::from(u32::MAX) + 1) {
            assert_eq!(out.length(huge), u32::MAX);
            assert_eq!(out.finish(), Err(TooLong));
        }
        out.clear();
        assert_eq!(out.finish(), Ok(0));
    }
}
