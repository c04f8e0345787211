//! The KMIP JSON encoding (KMIP Additional Message Encodings 1.0 §4).
//!
//! Each item is an object `{"tag": ..., "type": ..., "value": ...}`; `type` defaults to Structure,
//! whose value is an array of items. Numbers that JSON cannot carry exactly (Long Integers from
//! 2^52, Big Integers) are hex strings.

use serde_json::{Map, Value as Json, json};
use zeroize::Zeroizing;

use crate::names::{Naming, enum_text, hex_bytes, mask_text, parse_scalar, parse_tag, tag_text};
use crate::xml::TEXT_EXPANSION;
use crate::{Item, ItemType, Limits, Value, datetime};

/// Why a JSON text could not be read, with the path of the item at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct JsonError {
    /// Where: `$` for the root, `$.value[2].value[0]` for a nested item.
    pub path: String,
    pub message: String,
}

/// The largest integer a JSON number carries exactly (JavaScript's 2^53 - 1 is the limit; the
/// specification asks for hex from 2^52).
const EXACT_JSON_LIMIT: i64 = 1 << 52;

/// Writes an item as indented JSON.
pub fn to_string(item: &Item) -> String {
    serde_json::to_string_pretty(&to_json(item, &[])).unwrap_or_default()
}

/// Writes an item as compact JSON (for the HTTPS profile).
pub fn to_string_compact(item: &Item) -> String {
    serde_json::to_string(&to_json(item, &[])).unwrap_or_default()
}

fn to_json(item: &Item, siblings: &[Item]) -> Json {
    let mut object = Map::new();
    object.insert("tag".into(), Json::String(tag_text(item.tag)));
    if item.item_type() != ItemType::Structure {
        object.insert("type".into(), Json::String(item.item_type().name().into()));
    }
    let naming = Naming::for_item(item.tag, siblings);
    let value = match &item.value {
        Value::Structure(children) => {
            Json::Array(children.iter().enumerate().map(|(i, c)| to_json(c, &children[..i])).collect())
        }
        Value::Integer(v) => match naming {
            Naming::Mask(def) => Json::String(mask_text(*v as u32, def, "|")),
            _ => json!(v),
        },
        Value::LongInteger(v) if v.unsigned_abs() < EXACT_JSON_LIMIT as u64 => json!(v),
        Value::LongInteger(v) => Json::String(format!("0x{v:016x}")),
        Value::BigInteger(v) => Json::String(format!(
            "0x{}",
            hex_bytes(&Zeroizing::new(crate::big_integer::padded(v).collect::<Vec<u8>>()))
        )),
        Value::Enumeration(v) => Json::String(enum_text(*v, naming)),
        Value::Boolean(v) => json!(v),
        Value::TextString(v) => Json::String(v.clone()),
        Value::ByteString(v) => Json::String(hex_bytes(v)),
        Value::DateTime(v) => Json::String(datetime::format_seconds(*v)),
        Value::Interval(v) => json!(v),
        Value::DateTimeExtended(v) => Json::String(datetime::format_micros(*v)),
    };
    object.insert("value".into(), value);
    Json::Object(object)
}

/// Reads the single item of a JSON text.
pub fn from_str(text: &str) -> Result<Item, JsonError> {
    let mut items = parse_items(text)?;
    match items.len() {
        1 => Ok(items.remove(0)),
        n => Err(JsonError { path: "$".into(), message: format!("expected one item, found {n}") }),
    }
}

/// Reads a JSON text holding one item, or an array of items.
pub fn parse_items(text: &str) -> Result<Vec<Item>, JsonError> {
    parse_items_with(text, &Limits::default())
}

/// [`parse_items`] within limits on size, nesting depth and item count.
pub fn parse_items_with(text: &str, limits: &Limits) -> Result<Vec<Item>, JsonError> {
    let root_error = |message: String| JsonError { path: "$".into(), message };
    let max_text = limits.max_message_size.saturating_mul(TEXT_EXPANSION);
    if text.len() > max_text {
        return Err(root_error(format!("document larger than {max_text} bytes")));
    }
    // serde_json refuses nesting deeper than 128 levels on its own, so parsing is bounded.
    let json: Json = serde_json::from_str(text).map_err(|e| root_error(e.to_string()))?;
    let mut reader = Reader { limits, count: 0 };
    match &json {
        Json::Array(items) => {
            items.iter().enumerate().map(|(i, j)| reader.item(j, &[], &format!("$[{i}]"), 1)).collect()
        }
        _ => Ok(vec![reader.item(&json, &[], "$", 1)?]),
    }
}

struct Reader<'l> {
    limits: &'l Limits,
    count: usize,
}

impl Reader<'_> {
    fn item(&mut self, json: &Json, siblings: &[Item], path: &str, depth: usize) -> Result<Item, JsonError> {
        let fail = |message: String| JsonError { path: path.to_string(), message };
        self.count += 1;
        if self.count > self.limits.max_items {
            return Err(fail(format!("more than {} items", self.limits.max_items)));
        }
        if depth > self.limits.max_depth {
            return Err(fail(format!("structures nested deeper than {}", self.limits.max_depth)));
        }
        let object = json.as_object().ok_or_else(|| fail("an item must be an object".into()))?;
        let tag_text = object.get("tag").and_then(Json::as_str).ok_or_else(|| fail("missing \"tag\"".into()))?;
        let tag = parse_tag(tag_text).ok_or_else(|| fail(format!("unknown tag {tag_text:?}")))?;
        let item_type = match object.get("type") {
            None => ItemType::Structure,
            Some(Json::String(name)) => {
                ItemType::from_name(name).ok_or_else(|| fail(format!("unknown type {name:?}")))?
            }
            Some(other) => return Err(fail(format!("\"type\" must be a string, not {other}"))),
        };
        let value = object.get("value").unwrap_or(&Json::Null);
        if item_type == ItemType::Structure {
            let children = match value {
                Json::Null => Vec::new(),
                Json::Array(children) => {
                    let mut items: Vec<Item> = Vec::with_capacity(children.len());
                    for (index, child) in children.iter().enumerate() {
                        let item = self.item(child, &items, &format!("{path}.value[{index}]"), depth + 1)?;
                        items.push(item);
                    }
                    items
                }
                other => {
                    return Err(fail(format!("a structure's value must be an array, not {other}")));
                }
            };
            return Ok(Item::structure(tag, children));
        }
        let naming = Naming::for_item(tag, siblings);
        let value = scalar(item_type, value, naming).map_err(fail)?;
        Ok(Item::new(tag, value))
    }
}

fn scalar(item_type: ItemType, json: &Json, naming: Naming) -> Result<Value, String> {
    let out_of_range = || format!("{json} is out of range for {item_type}");
    match (item_type, json) {
        (_, Json::String(text)) => parse_scalar(item_type, text, naming),
        (ItemType::Integer, Json::Number(n)) => {
            Ok(Value::Integer(n.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or_else(out_of_range)?))
        }
        (ItemType::LongInteger, Json::Number(n)) => Ok(Value::LongInteger(n.as_i64().ok_or_else(out_of_range)?)),
        (ItemType::BigInteger, Json::Number(n)) => {
            let value = n.as_i64().ok_or_else(out_of_range)?;
            Ok(Value::BigInteger(Zeroizing::new(value.to_be_bytes().to_vec())))
        }
        (ItemType::Enumeration, Json::Number(n)) => {
            Ok(Value::Enumeration(n.as_u64().and_then(|v| u32::try_from(v).ok()).ok_or_else(out_of_range)?))
        }
        (ItemType::Interval, Json::Number(n)) => {
            Ok(Value::Interval(n.as_u64().and_then(|v| u32::try_from(v).ok()).ok_or_else(out_of_range)?))
        }
        (ItemType::DateTime, Json::Number(n)) => Ok(Value::DateTime(n.as_i64().ok_or_else(out_of_range)?)),
        (ItemType::DateTimeExtended, Json::Number(n)) => {
            Ok(Value::DateTimeExtended(n.as_i64().ok_or_else(out_of_range)?))
        }
        (ItemType::Boolean, Json::Bool(b)) => Ok(Value::Boolean(*b)),
        (_, other) => Err(format!("{other} is not a valid {item_type} value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tag;

    #[test]
    fn reads_the_specification_forms() {
        let cases = [
            (
                r#"{"tag": "0x420001", "type":"DateTime", "value":"2001-01-01T10:00:00+10:00"}"#,
                Item::date_time(Tag::ActivationDate, 978_307_200),
            ),
            (
                r#"{"tag": "ActivationDate", "type":"DateTime", "value":"0x000000003a505520"}"#,
                Item::date_time(Tag::ActivationDate, 0x3a505520),
            ),
            (
                r#"{"tag": "0x540001", "type":"LongInteger", "value":"0xfffffffffffffffe"}"#,
                Item::long_integer(Tag(0x540001), -2),
            ),
            (r#"{"tag": "0x540001", "type":"LongInteger", "value":-2}"#, Item::long_integer(Tag(0x540001), -2)),
            (r#"{"tag": "ObjectType", "type":"Enumeration", "value":2}"#, Item::enumeration(Tag::ObjectType, 2)),
            (
                r#"{"tag": "ObjectType", "type":"Enumeration", "value":"0x00000002"}"#,
                Item::enumeration(Tag::ObjectType, 2),
            ),
            (
                r#"{"tag": "ObjectType", "type":"Enumeration", "value":"SymmetricKey"}"#,
                Item::enumeration(Tag::ObjectType, 2),
            ),
            (
                r#"{"tag": "CryptographicUsageMask", "type":"Integer", "value":"Encrypt|Decrypt"}"#,
                Item::integer(Tag::CryptographicUsageMask, 12),
            ),
            (
                r#"{"tag": "CryptographicUsageMask", "type":"Integer", "value":"Sign|0x0000000c"}"#,
                Item::integer(Tag::CryptographicUsageMask, 13),
            ),
            (r#"{"tag": "ObjectType", "value":[]}"#, Item::structure(Tag::ObjectType, vec![])),
        ];
        for (text, expected) in cases {
            assert_eq!(from_str(text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn writes_large_numbers_as_hex() {
        let text = to_string_compact(&Item::long_integer(Tag(0x540001), 1 << 60));
        assert!(text.contains(r#""value":"0x1000000000000000""#), "{text}");
        assert_eq!(from_str(&text).unwrap(), Item::long_integer(Tag(0x540001), 1 << 60));
    }

    #[test]
    fn reports_the_path_of_a_bad_item() {
        let error =
            from_str(r#"{"tag":"Attribute","value":[{"tag":"ObjectType","type":"Enumeration","value":"Nope"}]}"#)
                .unwrap_err();
        assert_eq!(error.path, "$.value[0]");
    }
}
