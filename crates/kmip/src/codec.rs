//! The typed codec: every protocol type decodes from a validated TTLV item and encodes into an
//! [`Encoder`], for one KMIP version at a time.
//!
//! Encoding is where versions are told apart: an optional field or attribute whose tag does not
//! exist in the version of the message is left out, so no 1.0 client ever receives a 1.1 tag.

use keyward_ttlv::{Encoder, ItemRef, ItemType, KmipVersion, Tag, ValueRef};
use zeroize::Zeroizing;

use crate::error::{ModelError, ModelResult};

/// The context of one message: the version it is decoded from or encoded for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cx {
    pub version: KmipVersion,
    /// Skip fields no type knows instead of refusing them: for a client of a newer minor version
    /// than ours, as KMIP 1.4 §11.1 requires ("ignore unknown fields, process rest normally").
    pub ignore_unknown_fields: bool,
    /// Write every field, whatever version defines it: the form objects are stored in, so that a
    /// 1.x-only attribute or field survives to be returned to 1.x clients.
    pub keep_all_fields: bool,
}

impl Cx {
    pub const fn new(version: KmipVersion) -> Cx {
        Cx { version, ignore_unknown_fields: false, keep_all_fields: false }
    }

    /// The context of the server's own storage format: the newest version, with every field kept.
    pub const fn storage() -> Cx {
        Cx { version: KmipVersion::LATEST, ignore_unknown_fields: false, keep_all_fields: true }
    }

    /// True when `tag` exists in this version (extension tags always do).
    pub fn has(&self, tag: Tag) -> bool {
        self.keep_all_fields || keyward_ttlv::dictionary::tag_exists_in(tag, self.version)
    }

    pub fn is_1x(&self) -> bool {
        self.version.is_1x()
    }
}

/// A protocol type: decoded from an item, encoded under a tag.
pub trait Codec: Sized {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self>;
    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx);
}

/// The error for an item of the wrong type.
pub fn wrong_type(item: ItemRef<'_>, expected: ItemType) -> ModelError {
    ModelError::WrongType { tag: item.tag(), expected, found: item.item_type(), offset: item.offset() }
}

/// Checks that an item is a structure, for hand-written decoders.
pub fn expect_structure(item: ItemRef<'_>) -> ModelResult<()> {
    if item.item_type() == ItemType::Structure { Ok(()) } else { Err(wrong_type(item, ItemType::Structure)) }
}

impl Codec for i32 {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        item.as_integer().ok_or_else(|| wrong_type(item, ItemType::Integer))
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.integer(tag, *self);
    }
}

impl Codec for i64 {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        item.as_long_integer().ok_or_else(|| wrong_type(item, ItemType::LongInteger))
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.long_integer(tag, *self);
    }
}

impl Codec for bool {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        item.as_boolean().ok_or_else(|| wrong_type(item, ItemType::Boolean))
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.boolean(tag, *self);
    }
}

impl Codec for String {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        item.as_text().map(str::to_owned).ok_or_else(|| wrong_type(item, ItemType::TextString))
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.text(tag, self);
    }
}

/// A Byte String. Zeroized when dropped: byte strings carry key material, IVs and secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Zeroizing<Vec<u8>>);

impl Bytes {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Bytes {
        Bytes(Zeroizing::new(bytes.into()))
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Bytes {
    /// Prints the length only, never the content: it may be a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl Codec for Bytes {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        item.as_bytes().map(Bytes::new).ok_or_else(|| wrong_type(item, ItemType::ByteString))
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.bytes(tag, &self.0);
    }
}

/// A Big Integer in two's complement, big-endian; zeroized when dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BigInt(pub Zeroizing<Vec<u8>>);

impl BigInt {
    /// From an unsigned big-endian magnitude (a modulus, an exponent).
    pub fn from_unsigned(magnitude: &[u8]) -> BigInt {
        BigInt(Zeroizing::new(keyward_ttlv::big_integer::from_unsigned(magnitude)))
    }

    /// The unsigned magnitude, or `None` for a negative value.
    pub fn to_unsigned(&self) -> Option<&[u8]> {
        keyward_ttlv::big_integer::to_unsigned(&self.0)
    }
}

impl std::fmt::Debug for BigInt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BigInt({} bytes)", self.0.len())
    }
}

impl Codec for BigInt {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        item.as_big_integer()
            .map(|b| BigInt(Zeroizing::new(b.to_vec())))
            .ok_or_else(|| wrong_type(item, ItemType::BigInteger))
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.big_integer(tag, &self.0);
    }
}

/// A Date-Time: seconds since the Unix epoch. A KMIP 2.x Date-Time Extended (microseconds) is
/// accepted wherever a Date-Time is, and truncated to seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub i64);

impl DateTime {
    pub fn now() -> DateTime {
        DateTime(keyward_ttlv::datetime::now_seconds())
    }

    pub fn seconds(self) -> i64 {
        self.0
    }
}

impl Codec for DateTime {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::DateTime(seconds) => Ok(DateTime(seconds)),
            ValueRef::DateTimeExtended(micros) => Ok(DateTime(micros.div_euclid(1_000_000))),
            _ => Err(wrong_type(item, ItemType::DateTime)),
        }
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.date_time(tag, self.0);
    }
}

/// A Date-Time Extended (KMIP 2.x): microseconds since the Unix epoch, for the fields whose type
/// it is (the Submission Date of an Asynchronous Request). A Date-Time is accepted too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTimeExtended(pub i64);

impl Codec for DateTimeExtended {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::DateTimeExtended(micros) => Ok(DateTimeExtended(micros)),
            ValueRef::DateTime(seconds) => Ok(DateTimeExtended(seconds.saturating_mul(1_000_000))),
            _ => Err(wrong_type(item, ItemType::DateTimeExtended)),
        }
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.date_time_extended(tag, self.0);
    }
}

/// An Interval in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval(pub u32);

impl Codec for Interval {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        item.as_interval().map(Interval).ok_or_else(|| wrong_type(item, ItemType::Interval))
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.interval(tag, self.0);
    }
}

/// Every enumeration of the dictionary is an Enumeration item.
macro_rules! enumeration_codec {
    ($name:ident) => {
        impl Codec for keyward_ttlv::enums::$name {
            fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
                item.as_enumeration()
                    .map(keyward_ttlv::enums::$name)
                    .ok_or_else(|| wrong_type(item, ItemType::Enumeration))
            }
            fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
                out.enumeration(tag, self.0);
            }
        }
    };
}
keyward_ttlv::for_each_enumeration!(enumeration_codec);

/// Every mask of the dictionary is an Integer item holding the bits.
macro_rules! mask_codec {
    ($name:ident) => {
        impl Codec for keyward_ttlv::masks::$name {
            fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
                item.as_integer()
                    .map(|bits| keyward_ttlv::masks::$name(bits as u32))
                    .ok_or_else(|| wrong_type(item, ItemType::Integer))
            }
            fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
                out.integer(tag, self.0 as i32);
            }
        }
    };
}
keyward_ttlv::for_each_mask!(mask_codec);

/// Decoding helpers for hand-written structures and the `kmip_struct!` macro.
pub mod field {
    use super::*;

    /// Stores a single-occurrence field, refusing a second one.
    pub fn set_once<T: Codec>(slot: &mut Option<T>, parent: Tag, item: ItemRef<'_>, cx: &Cx) -> ModelResult<()> {
        if slot.is_some() {
            return Err(ModelError::DuplicateField { parent, field: item.tag(), offset: item.offset() });
        }
        *slot = Some(T::decode(item, cx)?);
        Ok(())
    }

    /// Unwraps a required field.
    pub fn required<T>(slot: Option<T>, parent: ItemRef<'_>, field: Tag) -> ModelResult<T> {
        slot.ok_or(ModelError::MissingField { parent: parent.tag(), field, offset: parent.offset() })
    }

    /// A child no field matches: skipped when it is an extension (0x54XXXX) or the client speaks a
    /// newer minor version than ours, refused otherwise.
    pub fn unexpected_unless_ignorable(parent: ItemRef<'_>, child: ItemRef<'_>, cx: &Cx) -> ModelResult<()> {
        if child.tag().is_extension() || cx.ignore_unknown_fields {
            return Ok(());
        }
        Err(unexpected(parent, child))
    }

    /// The error for a child no field matches.
    pub fn unexpected(parent: ItemRef<'_>, child: ItemRef<'_>) -> ModelError {
        ModelError::UnexpectedField { parent: parent.tag(), field: child.tag(), offset: child.offset() }
    }

    /// Encodes an optional field when present and defined in the message's version.
    pub fn encode_opt<T: Codec>(value: &Option<T>, tag: Tag, out: &mut Encoder, cx: &Cx) {
        if let Some(value) = value
            && cx.has(tag)
        {
            value.encode(tag, out, cx);
        }
    }

    /// Encodes each instance of a repeated field, when the field is defined in the version.
    pub fn encode_all<T: Codec>(values: &[T], tag: Tag, out: &mut Encoder, cx: &Cx) {
        if cx.has(tag) {
            for value in values {
                value.encode(tag, out, cx);
            }
        }
    }
}

/// Any item, kept as it came (a credential value, a vendor extension, a payload this model has
/// no type for).
#[derive(Clone, Debug, PartialEq)]
pub struct Raw(pub keyward_ttlv::Value);

impl Codec for Raw {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        Ok(Raw(item.to_owned_item().value))
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        out.value(tag, &self.0);
    }
}

/// Decodes a whole message buffer into a type, for tests and tools.
pub fn decode_bytes<T: Codec>(bytes: &[u8], cx: &Cx) -> ModelResult<T> {
    let root = keyward_ttlv::decode(bytes, &keyward_ttlv::Limits::default())?;
    T::decode(root, cx)
}

/// Encodes a type under a tag into a fresh buffer, for tests and tools.
pub fn encode_bytes<T: Codec>(value: &T, tag: Tag, cx: &Cx) -> Vec<u8> {
    let mut out = Encoder::new();
    value.encode(tag, &mut out, cx);
    out.into_bytes()
}
