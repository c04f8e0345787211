//! The strict TTLV decoder.
//!
//! [`decode`] walks a whole message once and checks everything the specification requires before
//! anyone looks at a value: the fixed length of each fixed-size type, Boolean values of 0 or 1,
//! zero padding to eight bytes, structure lengths that exactly match their contents, valid UTF-8,
//! Big Integers in whole eight-byte words. It allocates nothing: the result is an [`ItemRef`] over the
//! caller's buffer. The limits (message size, nesting depth, item count) are checked before any
//! work that depends on them, so a hostile length header costs nothing.

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u24, be_u32};

use crate::view::ItemRef;
use crate::{ItemType, Tag};

/// The length of an item header: a three-byte tag, a type byte and a four-byte length.
pub const HEADER_LEN: usize = 8;

/// Bounds on what a decoder accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest message, header included, in bytes.
    pub max_message_size: usize,
    /// The deepest nesting of structures; the message itself is depth 1.
    pub max_depth: usize,
    /// The most items in one message, structures included.
    pub max_items: usize,
}

impl Default for Limits {
    /// Generous for any real KMIP message (a Register of a 16 KiB certificate chain is a few
    /// hundred items and kilobytes), small enough that a hostile one is cheap to refuse.
    fn default() -> Limits {
        Limits { max_message_size: 4 * 1024 * 1024, max_depth: 64, max_items: 100_000 }
    }
}

/// Why and where a message was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct DecodeError {
    /// The offset, from the start of the message, of the item header or value at fault.
    pub offset: usize,
    pub kind: DecodeErrorKind,
}

/// The rule a message broke.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    #[error("message ends inside an item header")]
    TruncatedHeader,
    #[error("message ends inside an item value ({needed} bytes needed, {available} available)")]
    TruncatedValue { needed: u64, available: usize },
    #[error("message of {length} bytes exceeds the limit of {limit}")]
    MessageTooLarge { length: u64, limit: usize },
    #[error("structures nested deeper than {limit}")]
    TooDeep { limit: usize },
    #[error("more than {limit} items")]
    TooManyItems { limit: usize },
    #[error("unknown item type 0x{0:02X}")]
    UnknownItemType(u8),
    #[error("{item_type} must have length {expected}, not {length}")]
    WrongLength { item_type: ItemType, expected: u32, length: u32 },
    #[error("Big Integer length {0} is not a non-zero multiple of eight")]
    BigIntegerLength(u32),
    #[error("padding bytes are not zero")]
    NonZeroPadding,
    #[error("Boolean value {0} is neither 0 nor 1")]
    InvalidBoolean(u64),
    #[error("Text String is not valid UTF-8")]
    InvalidUtf8,
    #[error("item runs past the end of its structure")]
    StructureOverrun,
    #[error("{0} bytes follow the message")]
    TrailingBytes(usize),
    #[error("tag 0x{0:06X} is not in the KMIP (0x42) or extension (0x54) range")]
    InvalidTag(u32),
}

impl DecodeError {
    pub(crate) fn at(offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { offset, kind }
    }
}

/// A parsed item header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub tag: Tag,
    pub item_type: ItemType,
    /// The declared length of the value, without padding.
    pub length: u32,
}

impl Header {
    /// The length of the value including its padding to a multiple of eight.
    pub fn padded_length(&self) -> u64 {
        u64::from(self.length).div_ceil(8) * 8
    }
}

/// Parses one item header, checking the tag range, the type byte and the length rules of the type.
/// `offset` is where `input` starts in the message, for the error.
pub fn parse_header(input: &[u8], offset: usize) -> Result<(&[u8], Header), DecodeError> {
    let parsed: nom::IResult<&[u8], (u32, u8, u32)> = (be_u24, be_u8, be_u32).parse(input);
    let (rest, (tag, type_byte, length)) =
        parsed.map_err(|_| DecodeError::at(offset, DecodeErrorKind::TruncatedHeader))?;
    if !matches!(tag >> 16, 0x42 | 0x54) {
        return Err(DecodeError::at(offset, DecodeErrorKind::InvalidTag(tag)));
    }
    let item_type =
        ItemType::from_byte(type_byte).ok_or(DecodeError::at(offset, DecodeErrorKind::UnknownItemType(type_byte)))?;
    if let Some(expected) = item_type.fixed_length()
        && length != expected
    {
        return Err(DecodeError::at(offset, DecodeErrorKind::WrongLength { item_type, expected, length }));
    }
    if item_type == ItemType::BigInteger && (length == 0 || length % 8 != 0) {
        return Err(DecodeError::at(offset, DecodeErrorKind::BigIntegerLength(length)));
    }
    Ok((rest, Header { tag: Tag(tag), item_type, length }))
}

/// Reads the total length of the message (header included) from its first eight bytes, refusing
/// it when it exceeds the limit. This is what a transport calls before it allocates for the body.
pub fn message_length(first_header: &[u8; HEADER_LEN], limits: &Limits) -> Result<usize, DecodeError> {
    let (_, header) = parse_header(first_header, 0)?;
    let total = HEADER_LEN as u64 + header.padded_length();
    if total > limits.max_message_size as u64 {
        return Err(DecodeError::at(
            0,
            DecodeErrorKind::MessageTooLarge { length: total, limit: limits.max_message_size },
        ));
    }
    // The limit fits in a usize, so the total does too.
    Ok(total as usize)
}

/// Validates a whole message and returns a view of its root item.
pub fn decode<'a>(message: &'a [u8], limits: &Limits) -> Result<ItemRef<'a>, DecodeError> {
    if message.len() > limits.max_message_size {
        return Err(DecodeError::at(
            0,
            DecodeErrorKind::MessageTooLarge { length: message.len() as u64, limit: limits.max_message_size },
        ));
    }
    let mut walker = Walker { limits, items: 0 };
    let (rest, root) = walker.item(message, 0, 1)?;
    if !rest.is_empty() {
        return Err(DecodeError::at(message.len() - rest.len(), DecodeErrorKind::TrailingBytes(rest.len())));
    }
    Ok(root)
}

/// Decodes a message into an owned tree.
pub fn decode_owned(message: &[u8], limits: &Limits) -> Result<crate::Item, DecodeError> {
    decode(message, limits).map(|root| root.to_owned_item())
}

struct Walker<'l> {
    limits: &'l Limits,
    items: usize,
}

impl Walker<'_> {
    /// Checks the item at the start of `input` (which sits at `offset` in the message) and
    /// everything inside it; returns the rest of the input and a view of the item.
    fn item<'a>(
        &mut self,
        input: &'a [u8],
        offset: usize,
        depth: usize,
    ) -> Result<(&'a [u8], ItemRef<'a>), DecodeError> {
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(DecodeError::at(offset, DecodeErrorKind::TooManyItems { limit: self.limits.max_items }));
        }
        let (after_header, header) = parse_header(input, offset)?;
        let value_offset = offset + HEADER_LEN;
        let padded = header.padded_length();
        if padded > after_header.len() as u64 {
            return Err(DecodeError::at(
                value_offset,
                DecodeErrorKind::TruncatedValue { needed: padded, available: after_header.len() },
            ));
        }
        // `padded` fits in the buffer, so these conversions and splits cannot fail.
        let taken: nom::IResult<&[u8], &[u8]> = take(padded as usize).parse(after_header);
        let (rest, padded_value) = taken.map_err(|_| {
            DecodeError::at(
                value_offset,
                DecodeErrorKind::TruncatedValue { needed: padded, available: after_header.len() },
            )
        })?;
        let (value, padding) = padded_value.split_at(header.length as usize);
        if padding.iter().any(|b| *b != 0) {
            return Err(DecodeError::at(value_offset + value.len(), DecodeErrorKind::NonZeroPadding));
        }
        match header.item_type {
            ItemType::Structure => self.structure(value, value_offset, depth)?,
            ItemType::Boolean => {
                let raw = u64::from_be_bytes(value.try_into().unwrap_or_default());
                if raw > 1 {
                    return Err(DecodeError::at(value_offset, DecodeErrorKind::InvalidBoolean(raw)));
                }
            }
            ItemType::TextString if std::str::from_utf8(value).is_err() => {
                return Err(DecodeError::at(value_offset, DecodeErrorKind::InvalidUtf8));
            }
            _ => {}
        }
        Ok((rest, ItemRef::new(header.tag, header.item_type, value, offset)))
    }

    fn structure(&mut self, mut body: &[u8], offset: usize, depth: usize) -> Result<(), DecodeError> {
        let child_depth = depth + 1;
        if !body.is_empty() && child_depth > self.limits.max_depth {
            return Err(DecodeError::at(offset, DecodeErrorKind::TooDeep { limit: self.limits.max_depth }));
        }
        let end = offset + body.len();
        while !body.is_empty() {
            let child_offset = end - body.len();
            let (rest, _) = self.item(body, child_offset, child_depth).map_err(|e| overrun_inside(e, child_offset))?;
            body = rest;
        }
        Ok(())
    }
}

/// An item that needs more bytes than its structure holds overruns the structure: the message as a
/// whole holds every byte its header announced (that was checked at the top), so inside a
/// structure running short is never a truncation. Reported at the child that overruns.
fn overrun_inside(error: DecodeError, child_offset: usize) -> DecodeError {
    match error.kind {
        DecodeErrorKind::TruncatedHeader | DecodeErrorKind::TruncatedValue { .. } => {
            DecodeError::at(child_offset, DecodeErrorKind::StructureOverrun)
        }
        _ => error,
    }
}
