//! Attributes as text for a person (and for `--json`, where the same text is the value): each
//! attribute's value is encoded with the protocol model and read back generically, so that every
//! attribute of every version prints without a case of its own.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::{Cx, KmipVersion, Tag};
use keyward_ttlv::dictionary::tag_def;
use keyward_ttlv::{Encoder, ItemRef, Limits, ValueRef};

/// The attribute's name as KMIP writes it ("Cryptographic Algorithm"; "x-Name" for a custom one).
pub fn name(attribute: &Attribute) -> String {
    attribute.reference().name()
}

/// The value as text: names for enumerations and masks, dates in UTC, hex for bytes, the fields of
/// a structure as `Field: value` pairs (a Name is its text, a Link its type and target).
pub fn value(attribute: &Attribute) -> String {
    let tag = match attribute {
        Attribute::Vendor(_) => Tag::AttributeValue,
        other => other.tag(),
    };
    // Every field is written, whatever version defines it: this is for reading, not for a peer.
    let cx = Cx { keep_all_fields: true, ..Cx::new(KmipVersion::LATEST) };
    let mut out = Encoder::new();
    attribute.encode_value(tag, &mut out, &cx);
    let bytes = out.into_bytes();
    match keyward_ttlv::decode(&bytes, &Limits::default()) {
        Ok(item) => item_text(item),
        Err(_) => format!("{attribute:?}"),
    }
}

fn item_text(item: ItemRef<'_>) -> String {
    let def = tag_def(item.tag());
    match item.value() {
        ValueRef::Structure(_) => structure_text(item),
        ValueRef::Integer(value) => match def.and_then(|d| d.mask()) {
            Some(mask) => {
                let bits = u32::from_ne_bytes(value.to_ne_bytes());
                let names: Vec<&str> =
                    mask.values.iter().filter(|v| v.value != 0 && bits & v.value == v.value).map(|v| v.name).collect();
                if names.is_empty() { value.to_string() } else { names.join(", ") }
            }
            None => value.to_string(),
        },
        ValueRef::LongInteger(value) => value.to_string(),
        ValueRef::BigInteger(bytes) | ValueRef::ByteString(bytes) => hex::encode(bytes),
        ValueRef::Enumeration(value) => def
            .and_then(|d| d.enumeration())
            .and_then(|e| e.value_def(value))
            .map_or_else(|| format!("0x{value:08X}"), |v| v.name.to_string()),
        ValueRef::Boolean(flag) => flag.to_string(),
        ValueRef::TextString(text) => text.to_string(),
        ValueRef::DateTime(seconds) => keyward_ttlv::datetime::format_seconds(seconds),
        ValueRef::DateTimeExtended(micros) => keyward_ttlv::datetime::format_micros(micros),
        ValueRef::Interval(seconds) => format!("{seconds} s"),
    }
}

fn structure_text(item: ItemRef<'_>) -> String {
    // The two structures everyone reads: a Name is its text, a Link says where it points.
    match item.tag() {
        Tag::Name => {
            if let Some(text) = item.child(Tag::NameValue).and_then(|v| v.as_text()) {
                return text.to_string();
            }
        }
        Tag::Link => {
            if let (Some(kind), Some(target)) = (item.child(Tag::LinkType), item.child(Tag::LinkedObjectIdentifier)) {
                return format!("{} -> {}", item_text(kind), item_text(target));
            }
        }
        _ => {}
    }
    let fields: Vec<String> = item
        .children()
        .map(|child| {
            let label = tag_def(child.tag()).map_or_else(|| format!("{}", child.tag()), |d| d.name.to_string());
            format!("{label}: {}", item_text(child))
        })
        .collect();
    fields.join("; ")
}

#[cfg(test)]
mod tests {
    use keyward_kmip::DateTime;
    use keyward_kmip::attributes::{Link, Name};
    use keyward_kmip::enums::{CryptographicAlgorithm, LinkType, State};
    use keyward_kmip::masks::CryptographicUsageMask;

    use super::*;

    #[test]
    fn values_read_as_the_specification_names_them() {
        let cases = [
            (Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES), "Cryptographic Algorithm", "AES"),
            (Attribute::State(State::PreActive), "State", "Pre-Active"),
            (Attribute::CryptographicLength(256), "Cryptographic Length", "256"),
            (Attribute::Name(Name::text("backup")), "Name", "backup"),
            (
                Attribute::CryptographicUsageMask(CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt),
                "Cryptographic Usage Mask",
                "Encrypt, Decrypt",
            ),
            (Attribute::InitialDate(DateTime(0)), "Initial Date", "1970-01-01T00:00:00+00:00"),
        ];
        for (attribute, expected_name, expected_value) in cases {
            assert_eq!(name(&attribute), expected_name);
            assert_eq!(value(&attribute), expected_value, "{attribute:?}");
        }
        let link = Attribute::Link(Link { link_type: LinkType::PublicKeyLink, linked_object_identifier: "k2".into() });
        assert_eq!(value(&link), "Public Key Link -> k2");
    }
}
