//! The placeholders of the OASIS test cases: `$UNIQUE_IDENTIFIER_0`, `$NOW-3600`, `$DATA_0`...
//!
//! In a request a placeholder is filled: the time by the clock, every other value by what a
//! previous response returned. In an expected response a placeholder either binds (its first
//! occurrence takes the server's value) or is checked (against the value it bound, or the clock).
//! The XML reader only knows typed values, so before an expected response is read, each Date-Time
//! and Byte String placeholder is replaced by a sentinel of its type that the comparison
//! recognizes; Text String placeholders are valid text and stay as they are.

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
        rewrite_values(text, |_, placeholder| match Placeholder::parse(placeholder) {
            Some(Placeholder::Now(offset)) => Ok(format_seconds(now + offset)),
            Some(Placeholder::Value(name)) => match self.values.get(&name) {
                Some(value) => Ok(value_text(value)),
                None => Err(format!("{name} is used before any response gave it a value")),
            },
            None => Ok(placeholder.to_string()),
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
            if Placeholder::parse(placeholder).is_none() {
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
        Placeholder::parse(name)
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

/// Rewrites each `value="$..."` of the text with `rewrite(item type, placeholder)`. The test cases
/// write one element per line, its `type` before its `value`.
pub fn rewrite_values(
    text: &str,
    mut rewrite: impl FnMut(&str, &str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let Some(start) = line.find("value=\"$") else {
            out.push_str(line);
            continue;
        };
        let value_start = start + "value=\"".len();
        let Some(length) = line[value_start..].find('"') else {
            out.push_str(line);
            continue;
        };
        let placeholder = &line[value_start..value_start + length];
        let item_type = line.split("type=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("TextString");
        out.push_str(&line[..value_start]);
        out.push_str(&rewrite(item_type, placeholder)?);
        out.push_str(&line[value_start + length..]);
    }
    Ok(out)
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
    fn fills_requests_from_bindings() {
        let mut bindings = Bindings::default();
        bindings.bind("$UNIQUE_IDENTIFIER_0", Value::TextString("abc".into()));
        let filled = bindings.fill_request("<U type=\"TextString\" value=\"$UNIQUE_IDENTIFIER_0\"/>\n").unwrap();
        assert!(filled.contains("value=\"abc\""));
        assert!(bindings.fill_request("<U type=\"TextString\" value=\"$UNIQUE_IDENTIFIER_1\"/>\n").is_err());
    }
}
