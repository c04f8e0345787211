//! How the text encodings (XML, JSON, the text dump) name tags, enumeration values and mask bits.
//!
//! An Enumeration or Integer value is named by the dictionary entry of its tag, except inside a 1.x
//! Attribute, where the value's tag is the generic Attribute Value and the name comes from the
//! sibling Attribute Name ("Cryptographic Algorithm" makes "AES" mean 3).

use crate::dictionary::{EnumDef, TagDef, TagValues, tag_by_name, tag_by_spec_name, tag_def};
use crate::{Item, Tag, Value};
use crate::{ItemType, datetime};
use zeroize::Zeroizing;

/// The names that apply to one item's value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Naming {
    None,
    Enumeration(&'static EnumDef),
    Mask(&'static EnumDef),
    /// The values are tags (KMIP 2.x Attribute Reference).
    Tags,
}

impl Naming {
    fn of_values(values: TagValues) -> Naming {
        match (values, TagDef::values_def(values)) {
            (TagValues::Tags, _) => Naming::Tags,
            (TagValues::Enumeration(_), Some(def)) => Naming::Enumeration(def),
            (TagValues::Mask(_), Some(def)) => Naming::Mask(def),
            _ => Naming::None,
        }
    }

    /// The naming of an item with `tag`, whose earlier siblings are `siblings`.
    pub(crate) fn for_item(tag: Tag, siblings: &[Item]) -> Naming {
        if tag == Tag::AttributeValue {
            let attribute_name = siblings.iter().rev().find(|s| s.tag == Tag::AttributeName);
            if let Some(Item { value: Value::TextString(name), .. }) = attribute_name {
                return tag_by_spec_name(name).map_or(Naming::None, |def| Naming::of_values(def.values));
            }
            return Naming::None;
        }
        tag_def(tag).map_or(Naming::None, |def| Naming::of_values(def.values))
    }
}

/// The text of a tag: its CamelCase name, or `0x42XXXX` when the dictionary does not know it.
pub(crate) fn tag_text(tag: Tag) -> String {
    match tag.name() {
        Some(name) => name.to_string(),
        None => format!("0x{:06X}", tag.0),
    }
}

/// A tag from its text: `0x42XXXX`, `x54XXXX` (the element-name form for unnamed extensions), or a
/// CamelCase name.
pub(crate) fn parse_tag(text: &str) -> Option<Tag> {
    let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).or_else(|| text.strip_prefix('x'));
    if let Some(hex) = hex.filter(|h| h.len() == 6)
        && let Ok(value) = u32::from_str_radix(hex, 16)
    {
        return Some(Tag(value));
    }
    tag_by_name(text).map(|def| def.tag)
}

/// `0x` followed by eight hex digits, the form of a 32-bit value the encodings use.
pub(crate) fn hex32(value: u32) -> String {
    format!("0x{value:08X}")
}

/// Parses `0x` hex of at most `width` bytes into its bit pattern.
pub(crate) fn parse_hex_bits(text: &str, width: usize) -> Option<u64> {
    let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?;
    if hex.is_empty() || hex.len() > width * 2 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// The text of an enumeration value: its name, or hex when it has none.
pub(crate) fn enum_text(value: u32, naming: Naming) -> String {
    let name = match naming {
        Naming::Enumeration(def) => def.value_def(value).map(|d| d.camel),
        Naming::Tags => Tag(value).name(),
        Naming::None | Naming::Mask(_) => None,
    };
    name.map_or_else(|| hex32(value), str::to_string)
}

/// An enumeration value from its text: a name, hex, or (JSON) a decimal number.
pub(crate) fn parse_enum(text: &str, naming: Naming) -> Option<u32> {
    if let Some(bits) = parse_hex_bits(text, 4) {
        return u32::try_from(bits).ok();
    }
    match naming {
        Naming::Enumeration(def) => def.value_of(text),
        Naming::Tags => tag_by_name(text).map(|def| def.tag.0),
        Naming::None | Naming::Mask(_) => None,
    }
}

/// The text of a mask value: its bit names joined by `separator`, hex for bits without a name.
pub(crate) fn mask_text(value: u32, def: &EnumDef, separator: &str) -> String {
    if value == 0 {
        return "0".to_string();
    }
    let parts: Vec<String> = (0..32)
        .map(|bit| 1u32 << bit)
        .filter(|bit| value & bit != 0)
        .map(|bit| def.value_def(bit).map_or_else(|| hex32(bit), |d| d.camel.to_string()))
        .collect();
    parts.join(separator)
}

/// An Integer from its text: decimal, `0x` hex (a 32-bit pattern), or mask components (names or
/// hex) separated by spaces or `|`.
pub(crate) fn parse_integer(text: &str, naming: Naming) -> Option<i32> {
    let text = text.trim();
    if let Ok(value) = text.parse::<i32>() {
        return Some(value);
    }
    if let Some(bits) = parse_hex_bits(text, 4) {
        return Some(bits as u32 as i32);
    }
    let Naming::Mask(def) = naming else {
        return None;
    };
    let mut value = 0u32;
    for part in text.split(|c: char| c == '|' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        value |= match parse_hex_bits(part, 4) {
            Some(bits) => u32::try_from(bits).ok()?,
            None => def.value_of(part)?,
        };
    }
    Some(value as i32)
}

/// Lower-case hex of a byte string.
pub(crate) fn hex_bytes(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Bytes from hex; an optional `0x` prefix is forgiven.
pub(crate) fn parse_hex_bytes(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    let text = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    hex::decode(text).ok()
}

/// A scalar value from the text both encodings accept for it (XML always, JSON for strings).
pub(crate) fn parse_scalar(item_type: ItemType, text: &str, naming: Naming) -> Result<Value, String> {
    let bad = || format!("{text:?} is not a valid {item_type} value");
    Ok(match item_type {
        ItemType::Structure => return Err("a structure has no value attribute".to_string()),
        ItemType::Integer => Value::Integer(parse_integer(text, naming).ok_or_else(bad)?),
        ItemType::LongInteger => Value::LongInteger(match parse_hex_bits(text, 8) {
            Some(bits) => bits as i64,
            None => text.trim().parse().map_err(|_| bad())?,
        }),
        ItemType::BigInteger => Value::BigInteger(Zeroizing::new(parse_hex_bytes(text).ok_or_else(bad)?)),
        ItemType::Enumeration => Value::Enumeration(parse_enum(text.trim(), naming).ok_or_else(bad)?),
        ItemType::Boolean => Value::Boolean(match text.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => parse_hex_bits(other, 8).filter(|b| *b <= 1).ok_or_else(bad)? == 1,
        }),
        ItemType::TextString => Value::TextString(text.to_string()),
        ItemType::ByteString => Value::ByteString(Zeroizing::new(parse_hex_bytes(text).ok_or_else(bad)?)),
        ItemType::DateTime => Value::DateTime(match parse_hex_bits(text, 8) {
            Some(bits) => bits as i64,
            None => datetime::parse_seconds(text).map_err(|e| e.to_string())?,
        }),
        ItemType::Interval => Value::Interval(match parse_hex_bits(text, 4) {
            Some(bits) => bits as u32,
            None => text.trim().parse().map_err(|_| bad())?,
        }),
        ItemType::DateTimeExtended => Value::DateTimeExtended(match parse_hex_bits(text, 8) {
            Some(bits) => bits as i64,
            None => datetime::parse_micros(text).map_err(|e| e.to_string())?,
        }),
    })
}

/// The text of a scalar value as the XML encoding writes it (and JSON where it writes a string).
pub(crate) fn scalar_text(value: &Value, naming: Naming, mask_separator: &str) -> String {
    match value {
        Value::Structure(_) => String::new(),
        Value::Integer(v) => match naming {
            Naming::Mask(def) => mask_text(*v as u32, def, mask_separator),
            _ => v.to_string(),
        },
        Value::LongInteger(v) => v.to_string(),
        Value::BigInteger(v) => hex_bytes(&Zeroizing::new(crate::big_integer::padded(v).collect::<Vec<u8>>())),
        Value::Enumeration(v) => enum_text(*v, naming),
        Value::Boolean(v) => v.to_string(),
        Value::TextString(v) => v.clone(),
        Value::ByteString(v) => hex_bytes(v),
        Value::DateTime(v) => datetime::format_seconds(*v),
        Value::Interval(v) => v.to_string(),
        Value::DateTimeExtended(v) => datetime::format_micros(*v),
    }
}
