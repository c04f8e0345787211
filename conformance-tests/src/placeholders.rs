//! The placeholders of the OASIS test cases: `$UNIQUE_IDENTIFIER_0`, `$NOW-3600`, `$DATA_0`...
//!
//! In a request a placeholder is filled: the time by the clock, every other value by what a
//! previous response returned. In an expected response a placeholder either binds (its first
//! occurrence takes the server's value) or is checked (against the value it bound, or the clock).
//! The XML reader only knows typed values, so before an expected response is read, each Date-Time
//! and Byte String placeholder is replaced by a sentinel of its type that the comparison
//! recognizes; Text String placeholders are valid text and stay as they are.
//!
//! A Byte String may also hold placeholders among literal hex (`0011$DATA_0`,
//! `$IV_COUNTER_NONCE$DATA_1`): a request gets each one's bytes in its place, and an expected
//! response is a [`Placeholder::Pattern`], whose bound parts are checked and whose one unbound
//! part, if any, binds to what the server's bytes hold there.

use std::collections::HashMap;

use keyward_ttlv::Value;
use keyward_ttlv::datetime::{format_seconds, now_seconds};

/// Sentinel Date-Times are counted down from here: about the year 5, where no test case has a
/// real date.
const SENTINEL_DATE_BASE: i64 = -62_000_000_000;
/// Sentinel Byte Strings start with these bytes and end with the placeholder's number.
const SENTINEL_BYTES_MAGIC: &[u8] = b"KEYWARD-PLACEHOLDER:";

/// A placeholder of a test case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placeholder {
    /// `$NOW`, `$NOW-3600`, `$NOW+86400`: the time of the run, shifted by seconds.
    Now(i64),
    /// Any other: a value the server returns first and the test case refers to later.
    Value(String),
    /// A Byte String made of literal bytes and placeholders.
    Pattern(Vec<Piece>),
}

/// A part of a Byte String [`Placeholder::Pattern`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Bytes(Vec<u8>),
    Name(String),
}

/// The pieces of a Byte String value holding at least one placeholder among hex digits; `None`
/// when it holds none, or is not hex around them.
pub fn byte_string_pieces(value: &str) -> Option<Vec<Piece>> {
    if !value.contains('$') {
        return None;
    }
    let mut pieces = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('$') {
            let end = after
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            pieces.push(Piece::Name(format!("${}", &after[..end])));
            rest = &after[end..];
        } else {
            let end = rest.find('$').unwrap_or(rest.len());
            pieces.push(Piece::Bytes(hex::decode(&rest[..end]).ok()?));
            rest = &rest[end..];
        }
    }
    Some(pieces)
}

impl Placeholder {
    pub fn parse(text: &str) -> Option<Placeholder> {
        let name = text.strip_prefix('$')?;
        if let Some(offset) = name.strip_prefix("NOW") {
            return match offset {
                "" => Some(Placeholder::Now(0)),
                _ => offset.trim_start_matches('+').parse().ok().map(Placeholder::Now),
            };
        }
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        valid.then(|| Placeholder::Value(text.to_string()))
    }
}

/// The values bound so far in one test case.
#[derive(Default, Debug)]
pub struct Bindings {
    values: HashMap<String, Value>,
}

impl Bindings {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn bind(&mut self, name: &str, value: Value) {
        self.values.insert(name.to_string(), value);
    }

    /// A copy, for a trial comparison that may have to be undone.
    pub fn clone_values(&self) -> Bindings {
        Bindings { values: self.values.clone() }
    }

    /// Fills the placeholders of a request's text; an unbound one is an error of the test case.
    pub fn fill_request(&self, text: &str) -> Result<String, String> {
        let now = now_seconds();
        let unbound = |name: &str| format!("{name} is used before any response gave it a value");
        rewrite_values(text, |item_type, placeholder| match Placeholder::parse(placeholder) {
            Some(Placeholder::Now(offset)) => Ok(format_seconds(now + offset)),
            Some(Placeholder::Value(name)) => match self.values.get(&name) {
                Some(value) => Ok(value_text(value)),
                None => Err(unbound(&name)),
            },
            Some(Placeholder::Pattern(_)) | None => match byte_string_pieces(placeholder) {
                Some(pieces) if item_type == "ByteString" => {
                    let mut filled = String::new();
                    for piece in pieces {
                        match piece {
                            Piece::Bytes(bytes) => filled.push_str(&hex::encode(bytes)),
                            Piece::Name(name) => match self.values.get(&name) {
                                Some(Value::ByteString(bytes)) => filled.push_str(&hex::encode(bytes.as_slice())),
                                Some(_) => return Err(format!("{name} is not a Byte String")),
                                None => return Err(unbound(&name)),
                            },
                        }
                    }
                    Ok(filled)
                }
                _ => Ok(placeholder.to_string()),
            },
        })
    }
}

/// The sentinels of one expected response: which placeholder each stands for.
#[derive(Default, Debug)]
pub struct Sentinels {
    names: Vec<String>,
}

impl Sentinels {
    /// Replaces the Date-Time and Byte String placeholders of an expected response by sentinels.
    pub fn mark(text: &str) -> (String, Sentinels) {
        let mut sentinels = Sentinels::default();
        let marked = rewrite_values(text, |item_type, placeholder| {
            let pattern = item_type == "ByteString" && byte_string_pieces(placeholder).is_some();
            if Placeholder::parse(placeholder).is_none() && !pattern {
                return Ok(placeholder.to_string());
            }
            let index = sentinels.names.len();
            Ok(match item_type {
                "DateTime" => {
                    sentinels.names.push(placeholder.to_string());
                    format_seconds(SENTINEL_DATE_BASE - index as i64)
                }
                "ByteString" => {
                    sentinels.names.push(placeholder.to_string());
                    let mut bytes = SENTINEL_BYTES_MAGIC.to_vec();
                    bytes.extend_from_slice(&(index as u32).to_be_bytes());
                    hex::encode(bytes)
                }
                _ => placeholder.to_string(),
            })
        })
        .unwrap_or_else(|e: String| e);
        (marked, sentinels)
    }

    /// The placeholder an expected value stands for, if it is one.
    pub fn placeholder(&self, expected: &Value) -> Option<Placeholder> {
        let name = match expected {
            Value::TextString(text) => return Placeholder::parse(text),
            Value::DateTime(seconds) if *seconds <= SENTINEL_DATE_BASE => {
                let index = usize::try_from(SENTINEL_DATE_BASE - seconds).ok()?;
                self.names.get(index)?
            }
            Value::ByteString(bytes) => {
                let number = bytes.strip_prefix(SENTINEL_BYTES_MAGIC)?;
                let index = u32::from_be_bytes(number.try_into().ok()?);
                self.names.get(usize::try_from(index).ok()?)?
            }
            _ => return None,
        };
        Placeholder::parse(name).or_else(|| byte_string_pieces(name).map(Placeholder::Pattern))
    }
}

/// The text of a bound value as the XML encoding writes it.
fn value_text(value: &Value) -> String {
    match value {
        Value::TextString(text) => xml_escape(text),
        Value::ByteString(bytes) => hex::encode(bytes.as_slice()),
        Value::DateTime(seconds) => format_seconds(*seconds),
        Value::Integer(v) => v.to_string(),
        Value::LongInteger(v) => v.to_string(),
        Value::Enumeration(v) => format!("0x{v:08X}"),
        Value::Interval(v) => v.to_string(),
        Value::Boolean(v) => v.to_string(),
        Value::BigInteger(bytes) => hex::encode(bytes.as_slice()),
        Value::DateTimeExtended(micros) => keyward_ttlv::datetime::format_micros(*micros),
        Value::Structure(_) => String::new(),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Rewrites each `value="..."` of the text that holds a `$` with `rewrite(item type,
/// value)`: in any element of a line, whether its `type` comes before or after its `value`.
pub fn rewrite_values(
    text: &str,
    mut rewrite: impl FnMut(&str, &str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>').map(|c| open + c + 1) else { break };
        out.push_str(&rest[..open]);
        out.push_str(&rewrite_element(&rest[open..close], &mut rewrite)?);
        rest = &rest[close..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One start tag: its `value` rewritten when it holds a `$`.
fn rewrite_element(
    element: &str,
    rewrite: &mut impl FnMut(&str, &str) -> Result<String, String>,
) -> Result<String, String> {
    let attribute = |name: &str| {
        let pattern = format!(" {name}=\"");
        let start = element.find(&pattern)? + pattern.len();
        let length = element[start..].find('"')?;
        Some((start, length))
    };
    let Some((start, length)) = attribute("value") else { return Ok(element.to_string()) };
    let value = &element[start..start + length];
    if !value.contains('$') {
        return Ok(element.to_string());
    }
    let item_type = attribute("type").map_or("TextString", |(s, l)| &element[s..s + l]);
    Ok(format!("{}{}{}", &element[..start], rewrite(item_type, value)?, &element[start + length..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_placeholders() {
        assert_eq!(Placeholder::parse("$NOW"), Some(Placeholder::Now(0)));
        assert_eq!(Placeholder::parse("$NOW-3600"), Some(Placeholder::Now(-3600)));
        assert_eq!(Placeholder::parse("$NOW+60"), Some(Placeholder::Now(60)));
        assert_eq!(Placeholder::parse("$UNIQUE_IDENTIFIER_3"), Some(Placeholder::Value("$UNIQUE_IDENTIFIER_3".into())));
        assert_eq!(Placeholder::parse("SKLC-M-1-10"), None);
        assert_eq!(Placeholder::parse("$ not one"), None);
    }

    #[test]
    fn marks_and_recognizes_sentinels() {
        let text = concat!(
            "<ActivationDate type=\"DateTime\" value=\"$NOW-60\"/>\n",
            "<Data type=\"ByteString\" value=\"$DATA_0\"/>\n",
            "<UniqueIdentifier type=\"TextString\" value=\"$UNIQUE_IDENTIFIER_0\"/>\n",
        );
        let (marked, sentinels) = Sentinels::mark(text);
        let items = keyward_ttlv::xml::parse_items(&format!("<KMIP>{marked}</KMIP>")).unwrap();
        assert_eq!(sentinels.placeholder(&items[0].value), Some(Placeholder::Now(-60)));
        assert_eq!(sentinels.placeholder(&items[1].value), Some(Placeholder::Value("$DATA_0".into())));
        assert_eq!(sentinels.placeholder(&items[2].value), Some(Placeholder::Value("$UNIQUE_IDENTIFIER_0".into())));
    }

    #[test]
    fn placeholders_inside_byte_strings_are_filled_and_matched() {
        let mut bindings = Bindings::default();
        bindings.bind("$DATA_0", Value::ByteString(vec![0xab, 0xcd].into()));
        bindings.bind("$IV_COUNTER_NONCE", Value::ByteString(vec![0x01].into()));
        // Any order of attributes, several elements on a line.
        let text = "<A type=\"ByteString\" value=\"0011$DATA_0\"/><B value=\"$IV_COUNTER_NONCE$DATA_0ff\" type=\"ByteString\"/>\n";
        let filled = bindings.fill_request(text).unwrap();
        assert!(filled.contains("value=\"0011abcd\"") && filled.contains("value=\"01abcdff\""), "{filled}");
        assert!(bindings.fill_request("<A type=\"ByteString\" value=\"00$DATA_9\"/>").is_err());
        assert_eq!(byte_string_pieces("00$DATA_1"), Some(vec![Piece::Bytes(vec![0]), Piece::Name("$DATA_1".into())]));
        assert_eq!(byte_string_pieces("0a0b"), None);
        assert_eq!(byte_string_pieces("0$DATA_1"), None, "not hex around it");
        // In an expected response it is a pattern.
        let (marked, sentinels) = Sentinels::mark("<Data type=\"ByteString\" value=\"0011$DATA_1\"/>\n");
        let items = keyward_ttlv::xml::parse_items(&format!("<KMIP>{marked}</KMIP>")).unwrap();
        let expected = vec![Piece::Bytes(vec![0, 0x11]), Piece::Name("$DATA_1".into())];
        assert_eq!(sentinels.placeholder(&items[0].value), Some(Placeholder::Pattern(expected)));
    }

    #[test]
    fn fills_requests_from_bindings() {
        let mut bindings = Bindings::default();
        bindings.bind("$UNIQUE_IDENTIFIER_0", Value::TextString("abc".into()));
        let filled = bindings.fill_request("<U type=\"TextString\" value=\"$UNIQUE_IDENTIFIER_0\"/>\n").unwrap();
        assert!(filled.contains("value=\"abc\""));
        assert!(bindings.fill_request("<U type=\"TextString\" value=\"$UNIQUE_IDENTIFIER_1\"/>\n").is_err());
    }
}
