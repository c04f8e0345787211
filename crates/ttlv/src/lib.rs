//! # keyward-ttlv
//!
//! The KMIP wire format, without I/O: TTLV items (an owned tree to build, a zero-copy view to
//! read), a strict decoder with limits, a reusable encoder, the dictionary of every tag and
//! enumeration of KMIP 1.0 to 2.1, and the XML and JSON encodings of the OASIS test cases and the
//! HTTPS profile.

pub mod datetime;
mod decode;
pub mod dictionary;
mod encode;
#[cfg(feature = "tokio")]
pub mod frame;
mod item;
mod item_type;
pub mod json;
mod names;
pub(crate) mod normalize;
pub mod peek;
mod tag;
pub mod text;
mod version;
pub mod version_check;
mod view;
pub mod xml;

pub use decode::{
    DecodeError, DecodeErrorKind, HEADER_LEN, Header, Limits, decode, decode_owned, message_length, parse_header,
};
pub use dictionary::{KmipEnum, enums, masks};
pub use encode::{Encoder, Open, TooLong};
pub use item::{Item, Value, big_integer};
pub use item_type::{ItemType, TypeSet};
pub use normalize::camel_case;
pub use tag::Tag;
pub use version::{KmipVersion, UnknownVersion, VersionSet};
pub use view::{Children, ItemRef, ValueRef};
