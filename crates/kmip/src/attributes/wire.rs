//! How attributes travel.
//!
//! KMIP 1.x sends an attribute as an Attribute structure {Attribute Name (text), Attribute Index,
//! Attribute Value}, and the attributes of a new object in a Template-Attribute that may also name
//! Template objects. KMIP 2.x sends each attribute as an item under its own tag inside an
//! Attributes structure, and custom attributes as vendor attributes {Vendor Identification,
//! Attribute Name, Attribute Value}.
//!
//! The mapping between them: a 1.x custom attribute `x-Name` is the vendor attribute of vendor
//! "x" named "Name" (2.0 §4.60 reserves "x" and "y" for exactly this); a 1.x attribute that 2.x
//! dropped (Operation Policy Name, the 1.0 certificate attributes) travels to 2.x clients as a
//! vendor attribute of vendor "x" under its 1.x name, and comes back the same way; a 2.x attribute
//! that 1.x does not know is not sent to 1.x clients.

use keyward_ttlv::dictionary::{tag_by_spec_name, tag_def};
use keyward_ttlv::{Encoder, ItemRef, ItemType, KmipVersion, Tag, Value, ValueRef};

use super::{Attribute, Name, rules_for};
use crate::codec::{Codec, Cx, expect_structure, field, wrong_type};
use crate::error::{ModelError, ModelResult};

/// The vendor of client-created 1.x custom attributes (`x-...`).
pub const CLIENT_VENDOR: &str = "x";
/// The vendor of server-created 1.x custom attributes (`y-...`).
pub const SERVER_VENDOR: &str = "y";

/// A vendor (2.x) or custom (1.x) attribute: any value, named by a vendor and a name.
#[derive(Clone, Debug, PartialEq)]
pub struct VendorAttribute {
    pub vendor: String,
    pub name: String,
    pub value: Value,
}

impl VendorAttribute {
    /// A 1.x custom attribute from its full name ("x-Product_Version").
    pub fn from_custom_name(full_name: &str, value: Value) -> Option<VendorAttribute> {
        let (vendor, name) = split_custom_name(full_name)?;
        Some(VendorAttribute { vendor: vendor.to_string(), name: name.to_string(), value })
    }

    /// True for server-created custom attributes (`y-`), which clients may not set.
    pub fn is_server_custom(&self) -> bool {
        self.vendor == SERVER_VENDOR
    }

    /// The 1.x custom attribute name, when this attribute has one (vendors "x" and "y").
    pub fn custom_name(&self) -> Option<String> {
        (self.vendor == CLIENT_VENDOR || self.vendor == SERVER_VENDOR).then(|| format!("{}-{}", self.vendor, self.name))
    }

    pub(crate) fn encode_value(&self, tag: Tag, out: &mut Encoder) {
        out.value(tag, &self.value);
    }

    /// Writes the 2.x Attribute structure.
    fn encode_v2(&self, out: &mut Encoder) {
        let open = out.begin(Tag::Attribute);
        out.text(Tag::VendorIdentification, &self.vendor);
        out.text(Tag::AttributeName, &self.name);
        out.value(Tag::AttributeValue, &self.value);
        out.end(open);
    }
}

/// "x-Name" -> ("x", "Name"); anything else is not a custom attribute name.
fn split_custom_name(full_name: &str) -> Option<(&str, &str)> {
    let (vendor, name) = full_name.split_once('-')?;
    ((vendor == CLIENT_VENDOR || vendor == SERVER_VENDOR) && !name.is_empty()).then_some((vendor, name))
}

/// True for an attribute that 1.x defines and 2.x dropped (Operation Policy Name, the 1.0
/// certificate attributes).
fn is_retired_1x_attribute(tag: Tag) -> bool {
    let retired = tag_def(tag)
        .is_some_and(|d| d.versions.first().is_some_and(KmipVersion::is_1x) && !d.versions.contains(KmipVersion::V2_0));
    retired && rules_for(tag).is_some()
}

/// The name of an attribute, in a request for it (Get Attributes, Delete Attribute) or a list of
/// names (Get Attribute List): a 1.x Attribute Name, or a 2.x Attribute Reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AttributeRef {
    Standard(Tag),
    Vendor { vendor: String, name: String },
}

impl AttributeRef {
    /// Reads a 1.x Attribute Name ("Cryptographic Usage Mask", "x-Product_Version"). Runs of
    /// whitespace and the separators of the CamelCase form are forgiven, so "Cryptographic
    /// Usage  Mask" (as some OASIS test cases have it) names the same attribute.
    pub fn from_name(name: &str) -> ModelResult<AttributeRef> {
        if let Some((vendor, name)) = split_custom_name(name) {
            return Ok(AttributeRef::Vendor { vendor: vendor.to_string(), name: name.to_string() });
        }
        match tag_by_spec_name(name) {
            Some(def) if rules_for(def.tag).is_some() => Ok(AttributeRef::Standard(def.tag)),
            _ => Err(ModelError::UnknownAttribute(name.to_string())),
        }
    }

    /// The 1.x Attribute Name.
    pub fn name(&self) -> String {
        match self {
            AttributeRef::Standard(tag) => tag_def(*tag).map_or_else(|| format!("{tag}"), |d| d.name.to_string()),
            AttributeRef::Vendor { vendor, name } => format!("{vendor}-{name}"),
        }
    }

    /// True when `attribute` is an instance of the attribute this names.
    pub fn matches(&self, attribute: &Attribute) -> bool {
        match (self, attribute) {
            (AttributeRef::Vendor { vendor, name }, Attribute::Vendor(v)) => *vendor == v.vendor && *name == v.name,
            (AttributeRef::Standard(tag), other) => other.tag() == *tag && !matches!(other, Attribute::Vendor(_)),
            _ => false,
        }
    }

    /// A vendor reference of vendor "x" that carries the name of a retired 1.x attribute means
    /// that attribute (see the module documentation).
    fn normalized(self) -> AttributeRef {
        if let AttributeRef::Vendor { vendor, name } = &self
            && vendor == CLIENT_VENDOR
            && let Some(def) = tag_by_spec_name(name).filter(|d| is_retired_1x_attribute(d.tag))
        {
            return AttributeRef::Standard(def.tag);
        }
        self
    }
}

impl Codec for AttributeRef {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::TextString(name) => AttributeRef::from_name(name),
            ValueRef::Enumeration(value) => {
                let tag = Tag(value);
                if rules_for(tag).is_some() {
                    Ok(AttributeRef::Standard(tag))
                } else {
                    Err(ModelError::UnknownAttribute(format!("{tag}")))
                }
            }
            ValueRef::Structure(_) => {
                let mut vendor: Option<String> = None;
                let mut name: Option<String> = None;
                for child in item.children() {
                    match child.tag() {
                        Tag::VendorIdentification => {
                            field::set_once(&mut vendor, item.tag(), child, &Cx::new(KmipVersion::LATEST))?
                        }
                        Tag::AttributeName => {
                            field::set_once(&mut name, item.tag(), child, &Cx::new(KmipVersion::LATEST))?
                        }
                        _ => return Err(field::unexpected(item, child)),
                    }
                }
                let name = field::required(name, item, Tag::AttributeName)?;
                // A reference without a vendor (PyKMIP sends an empty one) names a standard
                // attribute by its name.
                match vendor.filter(|v| !v.is_empty()) {
                    Some(vendor) => Ok(AttributeRef::Vendor { vendor, name }.normalized()),
                    None => AttributeRef::from_name(&name),
                }
            }
            _ => Err(wrong_type(item, ItemType::TextString)),
        }
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        if cx.is_1x() {
            return out.text(tag, &self.name());
        }
        match self {
            AttributeRef::Standard(t) if cx.has(*t) => out.enumeration(tag, t.0),
            AttributeRef::Standard(t) => {
                // A retired 1.x attribute, by its vendor form.
                let open = out.begin(tag);
                out.text(Tag::VendorIdentification, CLIENT_VENDOR);
                out.text(Tag::AttributeName, &AttributeRef::Standard(*t).name());
                out.end(open);
            }
            AttributeRef::Vendor { vendor, name } => {
                let open = out.begin(tag);
                out.text(Tag::VendorIdentification, vendor);
                out.text(Tag::AttributeName, name);
                out.end(open);
            }
        }
    }
}

/// An attribute instance with its 1.x Attribute Index (0 for single-instance attributes; never
/// sent to 2.x clients, which address instances by value).
#[derive(Clone, Debug, PartialEq)]
pub struct IndexedAttribute {
    pub index: u32,
    pub attribute: Attribute,
}

impl IndexedAttribute {
    pub fn new(attribute: Attribute) -> IndexedAttribute {
        IndexedAttribute { index: 0, attribute }
    }

    /// Reads a 1.x Attribute structure {Attribute Name, Attribute Index, Attribute Value}, or a 2.x
    /// vendor attribute {Vendor Identification, Attribute Name, Attribute Value}.
    pub fn decode_structure(item: ItemRef<'_>, cx: &Cx) -> ModelResult<IndexedAttribute> {
        expect_structure(item)?;
        let mut vendor: Option<String> = None;
        let mut name: Option<String> = None;
        let mut index: Option<i32> = None;
        let mut value: Option<ItemRef<'_>> = None;
        for child in item.children() {
            match child.tag() {
                Tag::VendorIdentification => field::set_once(&mut vendor, item.tag(), child, cx)?,
                Tag::AttributeName => field::set_once(&mut name, item.tag(), child, cx)?,
                Tag::AttributeIndex => field::set_once(&mut index, item.tag(), child, cx)?,
                Tag::AttributeValue if value.is_none() => value = Some(child),
                Tag::AttributeValue => {
                    return Err(ModelError::DuplicateField {
                        parent: item.tag(),
                        field: child.tag(),
                        offset: child.offset(),
                    });
                }
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        let name = field::required(name, item, Tag::AttributeName)?;
        let index = u32::try_from(index.unwrap_or(0))
            .map_err(|_| ModelError::invalid(Tag::AttributeIndex, item.offset(), "negative index"))?;
        let reference = match vendor {
            Some(vendor) => AttributeRef::Vendor { vendor, name }.normalized(),
            None => AttributeRef::from_name(&name)?,
        };
        // A request may name an attribute without a value (a 1.x Locate or Delete Attribute).
        let value = field::required(value, item, Tag::AttributeValue)?;
        let attribute = match reference {
            AttributeRef::Standard(tag) => {
                Attribute::decode_value(tag, value, cx)?.ok_or_else(|| ModelError::UnknownAttribute(name_of(tag)))?
            }
            AttributeRef::Vendor { vendor, name } => {
                Attribute::Vendor(VendorAttribute { vendor, name, value: value.to_owned_item().value })
            }
        };
        Ok(IndexedAttribute { index, attribute })
    }

    /// Writes the attribute in the form of the version: a 1.x Attribute structure under `tag`, or
    /// the 2.x tagged item (where `tag` is not used: each attribute has its own).
    pub fn encode_for(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let attribute = &self.attribute;
        if cx.is_1x() {
            let name = match attribute {
                Attribute::Vendor(vendor) => match vendor.custom_name() {
                    Some(name) => name,
                    None => return, // 2.x vendors other than x and y have no 1.x form
                },
                standard if super::attribute_exists(standard.tag(), cx) => {
                    AttributeRef::Standard(standard.tag()).name()
                }
                _ => return, // not an attribute of this version
            };
            let open = out.begin(tag);
            out.text(Tag::AttributeName, &name);
            if self.index > 0 {
                out.integer(Tag::AttributeIndex, i32::try_from(self.index).unwrap_or(i32::MAX));
            }
            attribute.encode_value(Tag::AttributeValue, out, cx);
            out.end(open);
            return;
        }
        match attribute {
            Attribute::Vendor(vendor) => vendor.encode_v2(out),
            standard if super::attribute_exists(standard.tag(), cx) => standard.encode_value(standard.tag(), out, cx),
            retired if is_retired_1x_attribute(retired.tag()) => {
                let open = out.begin(Tag::Attribute);
                out.text(Tag::VendorIdentification, CLIENT_VENDOR);
                out.text(Tag::AttributeName, &AttributeRef::Standard(retired.tag()).name());
                retired.encode_value(Tag::AttributeValue, out, cx);
                out.end(open);
            }
            _ => {} // an attribute of a later version
        }
    }
}

fn name_of(tag: Tag) -> String {
    AttributeRef::Standard(tag).name()
}

impl Codec for IndexedAttribute {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        match item.tag() {
            Tag::Attribute => IndexedAttribute::decode_structure(item, cx),
            // 2.x New Attribute and Current Attribute wrap one attribute.
            Tag::NewAttribute | Tag::CurrentAttribute => {
                expect_structure(item)?;
                let mut children = item.children();
                match (children.next(), children.next()) {
                    (Some(inner), None) => decode_attribute(inner, cx).map(IndexedAttribute::new),
                    _ => Err(ModelError::invalid(item.tag(), item.offset(), "must hold exactly one attribute")),
                }
            }
            _ => decode_attribute(item, cx).map(IndexedAttribute::new),
        }
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        match tag {
            Tag::NewAttribute | Tag::CurrentAttribute if !cx.is_1x() => {
                let open = out.begin(tag);
                self.encode_for(Tag::Attribute, out, cx);
                out.end(open);
            }
            _ => self.encode_for(tag, out, cx),
        }
    }
}

/// Reads one attribute: a 2.x tagged value, or an Attribute structure (1.x, or a 2.x vendor
/// attribute).
pub fn decode_attribute(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Attribute> {
    if item.tag() == Tag::Attribute {
        return IndexedAttribute::decode_structure(item, cx).map(|a| a.attribute);
    }
    Attribute::decode_value(item.tag(), item, cx)?
        .ok_or_else(|| ModelError::UnknownAttribute(format!("{}", item.tag())))
}

/// The attributes of a new object, or the attributes to match: a 1.x Template-Attribute
/// (Common/Private Key/Public Key Template-Attribute) or a 2.x Attributes structure (Common/Private
/// Key/Public Key Attributes).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Attributes {
    pub attributes: Vec<Attribute>,
    /// Template objects referenced by name (1.x only; resolved by the server).
    pub templates: Vec<Name>,
}

impl Attributes {
    pub fn new(attributes: Vec<Attribute>) -> Attributes {
        Attributes { attributes, templates: Vec::new() }
    }

    /// The first attribute for which `select` returns a value.
    pub fn find<T>(&self, select: impl Fn(&Attribute) -> Option<T>) -> Option<T> {
        self.attributes.iter().find_map(select)
    }
}

impl Codec for Attributes {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let template_form = matches!(
            item.tag(),
            Tag::TemplateAttribute
                | Tag::CommonTemplateAttribute
                | Tag::PrivateKeyTemplateAttribute
                | Tag::PublicKeyTemplateAttribute
        );
        let mut attributes = Attributes::default();
        for child in item.children() {
            match child.tag() {
                Tag::Name if template_form => attributes.templates.push(Name::decode(child, cx)?),
                other if other.is_extension() => {}
                _ => attributes.attributes.push(decode_attribute(child, cx)?),
            }
        }
        Ok(attributes)
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        if cx.is_1x() {
            for name in &self.templates {
                name.encode(Tag::Name, out, cx);
            }
        }
        for attribute in &self.attributes {
            IndexedAttribute { index: 0, attribute: attribute.clone() }.encode_for(Tag::Attribute, out, cx);
        }
        out.end(open);
    }
}

/// Writes a list of attributes as a 1.x message carries them directly in a payload (Attribute
/// structures) or, for 2.x, inside one Attributes structure.
pub fn encode_attribute_list(attributes: &[IndexedAttribute], out: &mut Encoder, cx: &Cx) {
    if cx.is_1x() {
        for attribute in attributes {
            attribute.encode_for(Tag::Attribute, out, cx);
        }
    } else {
        let open = out.begin(Tag::Attributes);
        for attribute in attributes {
            attribute.encode_for(Tag::Attribute, out, cx);
        }
        out.end(open);
    }
}
