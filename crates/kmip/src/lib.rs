//! # keyward-kmip
//!
//! The typed KMIP protocol model, one for all versions from 1.0 to 2.1: messages, payloads,
//! managed objects and attributes. Each type decodes from a validated TTLV view and encodes for the
//! version of the message it belongs to; the differences between 1.x and 2.x live in the codecs of
//! the few types that changed shape (attributes above all), not in the operations.

pub mod attributes;
pub mod codec;
pub mod error;
pub mod identifiers;
mod macros;
pub mod objects;

pub use codec::{BigInt, Bytes, Codec, Cx, DateTime, DateTimeExtended, Interval};
pub use error::{ModelError, ModelResult};
pub use identifiers::UniqueIdentifierRef;
pub use keyward_ttlv::{KmipVersion, Tag, enums, masks};
pub mod message;
pub mod payloads;
