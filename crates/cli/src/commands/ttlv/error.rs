//! What can go wrong in `keyward ttlv`, worded to say where and why.

use std::io;

use keyward_ttlv::json::JsonError;
use keyward_ttlv::xml::XmlError;
use keyward_ttlv::{DecodeError, DecodeErrorKind};

use super::hex_text::HexError;

#[derive(Debug, thiserror::Error)]
pub enum TtlvError {
    /// Something is wrong with the input; `input` names it (a path or `<stdin>`).
    #[error("{input}: {problem}")]
    Input { input: String, problem: InputProblem },
    #[error("refusing to write binary TTLV to a terminal: use --output hex, or redirect the output to a file")]
    BinaryToTerminal,
    #[error("cannot write the output: {0}")]
    Write(#[source] io::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum InputProblem {
    #[error("cannot read: {0}")]
    Read(#[source] io::Error),
    #[error("{0}")]
    Hex(#[from] HexError),
    /// Binary TTLV always has a zero or non-hex byte among its first bytes, so input made only of
    /// hex digits and spacing was meant for `--input hex`.
    #[error("this is hex text, not binary TTLV: use --input hex")]
    LooksLikeHex,
    #[error("holds no TTLV message")]
    NoMessage,
    /// `offset` counts from the start of the whole input, not of the message.
    #[error("message {number} (starting at byte {start}): {kind} at byte {offset}")]
    Decode { number: usize, start: usize, offset: usize, kind: DecodeErrorKind },
    #[error("not UTF-8 text (invalid byte at {0})")]
    NotUtf8(usize),
    #[error("cannot tell XML from JSON (XML starts with '<', JSON with '{{' or '['): use --input xml or --input json")]
    UnknownFormat,
    #[error("{0}")]
    Xml(#[from] XmlError),
    #[error("{0}")]
    Json(#[from] JsonError),
    #[error("holds no item to encode")]
    NoItems,
    /// The XML and JSON readers take any three-byte tag, but TTLV only allows KMIP (0x42XXXX) and
    /// extension (0x54XXXX) tags: such an item would give a message no KMIP peer accepts.
    #[error("item {number} would encode to TTLV that a strict decoder refuses: {error}")]
    Unencodable { number: usize, error: DecodeError },
}

impl InputProblem {
    /// Attaches the name of the input the problem was found in.
    pub fn of(self, input: &str) -> TtlvError {
        TtlvError::Input { input: input.to_string(), problem: self }
    }
}
