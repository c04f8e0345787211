//! `keyward ttlv decode`: strict decoding of one or more concatenated TTLV messages.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use keyward_ttlv::{HEADER_LEN, Item, Limits, decode, message_length};

use super::error::{InputProblem, TtlvError};
use super::{hex_text, render, streams};

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The file to read; standard input when absent or `-`.
    file: Option<PathBuf>,
    /// How the TTLV of the input is written.
    #[arg(long, value_enum, default_value_t = DecodeInput::Binary)]
    input: DecodeInput,
    /// What to print the messages as.
    #[arg(long, value_enum, default_value_t = DecodeOutput::Text)]
    output: DecodeOutput,
    /// The largest message accepted, header included.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_message_size)]
    max_size: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DecodeInput {
    /// Raw TTLV bytes.
    Binary,
    /// Hex digits; whitespace and `|` separators are ignored.
    Hex,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DecodeOutput {
    /// An indented dump with tag and enumeration names.
    Text,
    /// The KMIP XML encoding.
    Xml,
    /// The KMIP JSON encoding.
    Json,
}

pub fn run(args: DecodeArgs) -> Result<(), TtlvError> {
    let input = streams::read_input(args.file.as_deref())?;
    let wire = match args.input {
        DecodeInput::Binary if hex_text::looks_like_hex(&input.bytes) => {
            return Err(InputProblem::LooksLikeHex.of(&input.name));
        }
        DecodeInput::Binary => input.bytes,
        DecodeInput::Hex => hex_text::parse(&input.bytes).map_err(|e| InputProblem::from(e).of(&input.name))?,
    };
    let limits = Limits { max_message_size: args.max_size, ..Limits::default() };
    let messages = decode_messages(&wire, &limits).map_err(|problem| problem.of(&input.name))?;
    streams::write_output(render::render(&messages, args.output).as_bytes())
}

/// Decodes the messages that follow one another in `wire`, each as long as its first header says.
pub fn decode_messages(wire: &[u8], limits: &Limits) -> Result<Vec<Item>, InputProblem> {
    if wire.is_empty() {
        return Err(InputProblem::NoMessage);
    }
    let mut messages = Vec::new();
    let mut start = 0;
    while start < wire.len() {
        let rest = &wire[start..];
        let fault = |error: keyward_ttlv::DecodeError| InputProblem::Decode {
            number: messages.len() + 1,
            start,
            offset: start + error.offset,
            kind: error.kind,
        };
        // A message whose header or value is cut short is decoded as it is, so that the decoder
        // reports the truncation with its usual precision.
        let length = match rest.first_chunk::<HEADER_LEN>() {
            Some(header) => message_length(header, limits).map_err(fault)?.min(rest.len()),
            None => rest.len(),
        };
        let message = &rest[..length];
        let root = decode(message, limits).map_err(fault)?;
        messages.push(root.to_owned_item());
        start += length;
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::{DecodeErrorKind, Tag};

    use super::*;

    fn message(value: i32) -> Vec<u8> {
        Item::integer(Tag::BatchCount, value).to_ttlv()
    }

    #[test]
    fn decodes_messages_one_after_another() {
        let wire = [message(1), message(2)].concat();
        let items = decode_messages(&wire, &Limits::default()).expect("two messages");
        assert_eq!(items, vec![Item::integer(Tag::BatchCount, 1), Item::integer(Tag::BatchCount, 2)]);
    }

    #[test]
    fn reports_offsets_from_the_start_of_the_input() {
        let mut wire = [message(1), message(2)].concat();
        wire.truncate(wire.len() - 4);
        let problem = decode_messages(&wire, &Limits::default()).expect_err("truncated");
        let InputProblem::Decode { number, start, offset, kind } = problem else { panic!("{problem:?}") };
        assert_eq!((number, start, offset), (2, 16, 24));
        assert_eq!(kind, DecodeErrorKind::TruncatedValue { needed: 8, available: 4 });
    }

    #[test]
    fn refuses_a_short_header_after_a_message() {
        let wire = [message(1), vec![0x42, 0x00]].concat();
        let problem = decode_messages(&wire, &Limits::default()).expect_err("truncated");
        assert!(matches!(
            problem,
            InputProblem::Decode { number: 2, offset: 16, kind: DecodeErrorKind::TruncatedHeader, .. }
        ));
    }

    #[test]
    fn refuses_empty_input() {
        assert!(matches!(decode_messages(&[], &Limits::default()), Err(InputProblem::NoMessage)));
    }
}
