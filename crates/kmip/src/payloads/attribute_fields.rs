//! Attribute fields whose shape differs between 1.x and 2.x in a way `kmip_struct!` cannot
//! express, for the hand-written payload codecs:
//!
//! - a list of attributes, which 1.x carries as Attribute structures directly in the payload and
//!   2.x as one Attributes structure (Get Attributes, Export, Import, Notify, Put);
//! - the attribute that a 1.x Add, Modify or Delete Attribute response echoes and a 2.x one does
//!   not (1.4 §4.14-4.16; 2.1 §6.1.2, 6.1.13, 6.1.34).

use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::attributes::IndexedAttribute;
use crate::codec::{Codec, Cx, expect_structure, field};
use crate::error::ModelResult;

/// Reads an Attribute (1.x) or an Attributes structure (2.x) of a payload into `list`. Both
/// forms are accepted in any version; extension items inside Attributes are skipped.
pub(crate) fn read_attribute_list(list: &mut Vec<IndexedAttribute>, child: ItemRef<'_>, cx: &Cx) -> ModelResult<()> {
    if child.tag() == Tag::Attributes {
        expect_structure(child)?;
        for attribute in child.children().filter(|a| !a.tag().is_extension()) {
            list.push(IndexedAttribute::decode(attribute, cx)?);
        }
    } else {
        list.push(IndexedAttribute::decode(child, cx)?);
    }
    Ok(())
}

/// Writes an optional list: nothing when it is empty, in either version.
pub(crate) fn encode_optional_attribute_list(list: &[IndexedAttribute], out: &mut Encoder, cx: &Cx) {
    if !list.is_empty() {
        crate::attributes::wire::encode_attribute_list(list, out, cx);
    }
}

/// Decodes {Unique Identifier, Attribute (1.x)}, the response of Add, Modify and Delete Attribute.
pub(crate) fn decode_echo(item: ItemRef<'_>, cx: &Cx) -> ModelResult<(String, Option<IndexedAttribute>)> {
    expect_structure(item)?;
    let mut unique_identifier: Option<String> = None;
    let mut attribute: Option<IndexedAttribute> = None;
    for child in item.children() {
        match child.tag() {
            Tag::UniqueIdentifier => field::set_once(&mut unique_identifier, item.tag(), child, cx)?,
            Tag::Attribute => field::set_once(&mut attribute, item.tag(), child, cx)?,
            _ => field::unexpected_unless_ignorable(item, child, cx)?,
        }
    }
    Ok((field::required(unique_identifier, item, Tag::UniqueIdentifier)?, attribute))
}

/// Encodes {Unique Identifier, Attribute}; the attribute is written for 1.x only.
pub(crate) fn encode_echo(
    tag: Tag,
    unique_identifier: &str,
    attribute: &Option<IndexedAttribute>,
    out: &mut Encoder,
    cx: &Cx,
) {
    let open = out.begin(tag);
    out.text(Tag::UniqueIdentifier, unique_identifier);
    if let Some(attribute) = attribute.as_ref().filter(|_| cx.is_1x()) {
        attribute.encode_for(Tag::Attribute, out, cx);
    }
    out.end(open);
}

/// Declares a response {Unique Identifier, Attribute (1.x only)} with its codec.
macro_rules! attribute_echo_response {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            pub unique_identifier: String,
            /// The attribute, echoed to 1.x clients only (2.x responses carry the identifier alone).
            pub attribute: Option<$crate::attributes::IndexedAttribute>,
        }

        impl $crate::codec::Codec for $name {
            fn decode(item: ::keyward_ttlv::ItemRef<'_>, cx: &$crate::codec::Cx) -> $crate::error::ModelResult<Self> {
                let (unique_identifier, attribute) = $crate::payloads::attribute_fields::decode_echo(item, cx)?;
                Ok($name { unique_identifier, attribute })
            }

            fn encode(&self, tag: ::keyward_ttlv::Tag, out: &mut ::keyward_ttlv::Encoder, cx: &$crate::codec::Cx) {
                $crate::payloads::attribute_fields::encode_echo(tag, &self.unique_identifier, &self.attribute, out, cx);
            }
        }
    };
}
pub(crate) use attribute_echo_response;
