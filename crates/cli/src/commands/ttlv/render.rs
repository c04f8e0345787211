//! Printing decoded messages as text, XML or JSON. One message prints as itself; several print
//! in a form the encoder reads back: an XML `<KMIP>` wrapper, as the OASIS test cases use, or a
//! JSON array.

use keyward_ttlv::{Item, json, text, xml};

use super::decode::DecodeOutput;

pub fn render(messages: &[Item], output: DecodeOutput) -> String {
    match (output, messages) {
        (DecodeOutput::Text, _) => messages.iter().map(text::dump).collect::<Vec<_>>().join("\n"),
        (DecodeOutput::Xml, [only]) => xml::to_string(only),
        (DecodeOutput::Xml, _) => {
            let body: Vec<String> = messages.iter().map(|m| indent(&xml::to_string(m))).collect();
            format!("<KMIP>\n{}\n</KMIP>\n", body.join("\n"))
        }
        (DecodeOutput::Json, [only]) => format!("{}\n", json::to_string(only)),
        (DecodeOutput::Json, _) => {
            let elements: Vec<String> = messages.iter().map(|m| indent(&json::to_string(m))).collect();
            format!("[\n{}\n]\n", elements.join(",\n"))
        }
    }
}

/// Indents every line by two spaces, and leaves no line break at the end. Both writers escape line
/// breaks inside values (`&#10;` in XML, `\n` in JSON), so every line break in their output is
/// between elements and indenting changes no value.
fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}")).collect::<Vec<_>>().join("\n")
}
