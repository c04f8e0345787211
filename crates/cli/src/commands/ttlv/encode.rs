//! `keyward ttlv encode`: items written in the KMIP XML or JSON encoding, encoded as TTLV.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use keyward_ttlv::{Encoder, Item, Limits, decode, json, xml};

use super::error::{InputProblem, TtlvError};
use super::{hex_text, streams};

#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// The file to read; standard input when absent or `-`. A test case's `<KMIP>` wrapper (or a
    /// JSON array) may hold several messages: they are encoded one after another.
    file: Option<PathBuf>,
    /// The encoding of the input; by default told from its first character.
    #[arg(long, value_enum)]
    input: Option<EncodeInput>,
    /// How to write the TTLV.
    #[arg(long, value_enum, default_value_t = EncodeOutput::Binary)]
    output: EncodeOutput,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum EncodeInput {
    /// The KMIP XML encoding.
    Xml,
    /// The KMIP JSON encoding.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum EncodeOutput {
    /// Raw TTLV bytes (not to a terminal).
    Binary,
    /// Upper-case hex, one message a line.
    Hex,
}

pub fn run(args: EncodeArgs) -> Result<(), TtlvError> {
    // Refused before reading, so that nobody types a message only to be told this afterwards.
    if args.output == EncodeOutput::Binary && streams::stdout_is_terminal() {
        return Err(TtlvError::BinaryToTerminal);
    }
    let input = streams::read_input(args.file.as_deref())?;
    let wire = encode_text(&input.bytes, args.input, args.output).map_err(|problem| problem.of(&input.name))?;
    streams::write_output(&wire)
}

fn encode_text(bytes: &[u8], format: Option<EncodeInput>, output: EncodeOutput) -> Result<Vec<u8>, InputProblem> {
    let text = std::str::from_utf8(bytes).map_err(|e| InputProblem::NotUtf8(e.valid_up_to()))?;
    // Editors on some systems start UTF-8 files with a byte order mark; neither parser wants it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let items = match format.or_else(|| detect_format(text)) {
        Some(EncodeInput::Xml) => xml::parse_items(text)?,
        Some(EncodeInput::Json) => json::parse_items(text)?,
        None => return Err(InputProblem::UnknownFormat),
    };
    if items.is_empty() {
        return Err(InputProblem::NoItems);
    }
    let mut out = Vec::new();
    let mut encoder = Encoder::new();
    for (index, item) in items.iter().enumerate() {
        encoder.clear();
        encode_checked(&mut encoder, item).map_err(|error| InputProblem::Unencodable { number: index + 1, error })?;
        match output {
            EncodeOutput::Binary => out.extend_from_slice(encoder.as_bytes()),
            EncodeOutput::Hex => out.extend_from_slice(hex_text::message_line(encoder.as_bytes()).as_bytes()),
        }
    }
    Ok(out)
}

/// Encodes an item and decodes the result again, so that nothing leaves this command that a strict
/// peer would refuse. The check is of form only: the readers have bounded the size already.
fn encode_checked(encoder: &mut Encoder, item: &Item) -> Result<(), keyward_ttlv::DecodeError> {
    encoder.item(item);
    let unlimited = Limits { max_message_size: usize::MAX, max_depth: usize::MAX, max_items: usize::MAX };
    decode(encoder.as_bytes(), &unlimited).map(drop)
}

/// XML starts with `<`, JSON with `{` (one item) or `[` (several).
fn detect_format(text: &str) -> Option<EncodeInput> {
    match text.trim_start().chars().next()? {
        '<' => Some(EncodeInput::Xml),
        '{' | '[' => Some(EncodeInput::Json),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::Tag;

    use super::*;

    #[test]
    fn tells_xml_from_json() {
        assert_eq!(detect_format("  \n<KMIP>"), Some(EncodeInput::Xml));
        assert_eq!(detect_format("{\"tag\":1}"), Some(EncodeInput::Json));
        assert_eq!(detect_format("\t[ ]"), Some(EncodeInput::Json));
        assert_eq!(detect_format("42 00 20"), None);
        assert_eq!(detect_format(""), None);
    }

    #[test]
    fn encodes_every_message_of_a_wrapper() {
        let xml = br#"<KMIP><BatchCount type="Integer" value="1"/><BatchCount type="Integer" value="2"/></KMIP>"#;
        let wire = encode_text(xml, None, EncodeOutput::Binary).expect("encodes");
        let expected =
            [Item::integer(Tag::BatchCount, 1).to_ttlv(), Item::integer(Tag::BatchCount, 2).to_ttlv()].concat();
        assert_eq!(wire, expected);
    }

    #[test]
    fn refuses_a_tag_outside_the_kmip_ranges() {
        let xml = br#"<TTLV tag="0x990001" type="Integer" value="1"/>"#;
        let problem = encode_text(xml, None, EncodeOutput::Hex).expect_err("refused");
        assert!(matches!(problem, InputProblem::Unencodable { number: 1, .. }), "{problem}");
    }
}
