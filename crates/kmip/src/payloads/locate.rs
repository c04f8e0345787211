//! Locate (2.1 §6.1.28, 1.4 §4.9): the identifiers of the objects whose attributes match.
//!
//! The attributes to match travel as Attribute structures directly in a 1.x payload, and as one
//! Attributes structure in 2.x. Some 1.0 clients (FortiGate) wrap them in a Template-Attribute,
//! which is accepted too.

use keyward_ttlv::enums::ObjectGroupMember;
use keyward_ttlv::masks::StorageStatusMask;
use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::attributes::wire::decode_attribute;
use crate::attributes::{Attribute, Attributes, IndexedAttribute};
use crate::codec::{Codec, Cx, expect_structure, field};
use crate::error::ModelResult;
use crate::kmip_struct;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct LocateRequest {
    pub maximum_items: Option<i32>,
    /// How many matching identifiers to skip (KMIP 1.3 and later).
    pub offset_items: Option<i32>,
    pub storage_status_mask: Option<StorageStatusMask>,
    /// KMIP 1.1 and later.
    pub object_group_member: Option<ObjectGroupMember>,
    /// The attributes a candidate must match, all of them; none matches every object. A Locate
    /// refers to no templates: `templates` stays empty, and a Name found in a Template-Attribute
    /// (where 1.x would read it as a template's name) is taken as a Name attribute to match.
    pub attributes: Attributes,
}

impl LocateRequest {
    /// Adds the attributes of a filter in any of its forms.
    fn read_filter(&mut self, child: ItemRef<'_>, cx: &Cx) -> ModelResult<()> {
        if child.tag() == Tag::Attribute {
            self.attributes.attributes.push(decode_attribute(child, cx)?);
            return Ok(());
        }
        let Attributes { attributes, templates } = Attributes::decode(child, cx)?;
        self.attributes.attributes.extend(attributes);
        self.attributes.attributes.extend(templates.into_iter().map(Attribute::Name));
        Ok(())
    }
}

impl Codec for LocateRequest {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut request = LocateRequest::default();
        for child in item.children() {
            match child.tag() {
                Tag::MaximumItems => field::set_once(&mut request.maximum_items, item.tag(), child, cx)?,
                Tag::OffsetItems => field::set_once(&mut request.offset_items, item.tag(), child, cx)?,
                Tag::StorageStatusMask => field::set_once(&mut request.storage_status_mask, item.tag(), child, cx)?,
                Tag::ObjectGroupMember => field::set_once(&mut request.object_group_member, item.tag(), child, cx)?,
                Tag::Attribute | Tag::Attributes | Tag::TemplateAttribute => request.read_filter(child, cx)?,
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        Ok(request)
    }

    /// 1.x: Attribute structures directly in the payload; 2.x: the (required) Attributes structure.
    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        field::encode_opt(&self.maximum_items, Tag::MaximumItems, out, cx);
        field::encode_opt(&self.offset_items, Tag::OffsetItems, out, cx);
        field::encode_opt(&self.storage_status_mask, Tag::StorageStatusMask, out, cx);
        field::encode_opt(&self.object_group_member, Tag::ObjectGroupMember, out, cx);
        if cx.is_1x() {
            for attribute in &self.attributes.attributes {
                IndexedAttribute::new(attribute.clone()).encode_for(Tag::Attribute, out, cx);
            }
        } else {
            // Templates are written to 1.x messages only: this writes the attributes alone.
            self.attributes.encode(Tag::Attributes, out, cx);
        }
        out.end(open);
    }
}

kmip_struct! {
    pub struct LocateResponse {
        /// How many objects matched in all, beyond those returned (KMIP 1.3 and later).
        located_items: opt i32 = LocatedItems,
        unique_identifier: many String = UniqueIdentifier,
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_0, V1_4, V2_1};
    use keyward_ttlv::enums::{NameType, ObjectType};

    use super::*;
    use crate::attributes::Name;
    use crate::payloads::test_support::{assert_encodes_to, assert_wire_form, decode_xml};

    fn by_name(text: &str) -> LocateRequest {
        let name = Name { name_value: text.into(), name_type: NameType::UninterpretedTextString };
        LocateRequest { attributes: Attributes::new(vec![Attribute::Name(name)]), ..LocateRequest::default() }
    }

    const BY_NAME_1_4: &str = r#"<RequestPayload>
        <Attribute>
            <AttributeName type="TextString" value="Name"/>
            <AttributeValue>
                <NameValue type="TextString" value="ipsec-enc"/>
                <NameType type="Enumeration" value="UninterpretedTextString"/>
            </AttributeValue>
        </Attribute>
    </RequestPayload>"#;

    const BY_NAME_2_1: &str = r#"<RequestPayload>
        <Attributes>
            <Name>
                <NameValue type="TextString" value="ipsec-enc"/>
                <NameType type="Enumeration" value="UninterpretedTextString"/>
            </Name>
        </Attributes>
    </RequestPayload>"#;

    #[test]
    fn attributes_are_direct_in_1x_and_in_an_attributes_structure_in_2x() {
        assert_wire_form(&by_name("ipsec-enc"), BY_NAME_1_4, V1_4);
        assert_wire_form(&by_name("ipsec-enc"), BY_NAME_2_1, V2_1);
    }

    #[test]
    fn a_1_0_name_attribute_inside_a_template_attribute_is_a_name_to_match() {
        let fortigate = r#"<RequestPayload>
            <TemplateAttribute>
                <Attribute>
                    <AttributeName type="TextString" value="Name"/>
                    <AttributeValue>
                        <NameValue type="TextString" value="ipsec-enc"/>
                        <NameType type="Enumeration" value="UninterpretedTextString"/>
                    </AttributeValue>
                </Attribute>
            </TemplateAttribute>
        </RequestPayload>"#;
        let request: LocateRequest = decode_xml(fortigate, V1_0);
        assert_eq!(request, by_name("ipsec-enc"));
        // Answered in the forms of the specification.
        assert_encodes_to(&request, BY_NAME_1_4, V1_0);
        assert_encodes_to(&request, BY_NAME_2_1, V2_1);
    }

    #[test]
    fn a_1_0_bare_name_inside_a_template_attribute_is_a_name_to_match_too() {
        let fortigate = r#"<RequestPayload>
            <TemplateAttribute>
                <Name>
                    <NameValue type="TextString" value="ipsec-enc"/>
                    <NameType type="Enumeration" value="UninterpretedTextString"/>
                </Name>
            </TemplateAttribute>
        </RequestPayload>"#;
        let request: LocateRequest = decode_xml(fortigate, V1_0);
        assert_eq!(request, by_name("ipsec-enc"));
        assert!(request.attributes.templates.is_empty());
    }

    #[test]
    fn paging_fields_are_left_out_of_versions_that_lack_them() {
        let request = LocateRequest {
            maximum_items: Some(10),
            offset_items: Some(20),
            object_group_member: Some(ObjectGroupMember::GroupMemberFresh),
            attributes: Attributes::new(vec![Attribute::ObjectType(ObjectType::SymmetricKey)]),
            ..LocateRequest::default()
        };
        let v10 = r#"<RequestPayload>
            <MaximumItems type="Integer" value="10"/>
            <Attribute>
                <AttributeName type="TextString" value="Object Type"/>
                <AttributeValue type="Enumeration" value="SymmetricKey"/>
            </Attribute>
        </RequestPayload>"#;
        let v21 = r#"<RequestPayload>
            <MaximumItems type="Integer" value="10"/>
            <OffsetItems type="Integer" value="20"/>
            <ObjectGroupMember type="Enumeration" value="GroupMemberFresh"/>
            <Attributes>
                <ObjectType type="Enumeration" value="SymmetricKey"/>
            </Attributes>
        </RequestPayload>"#;
        assert_encodes_to(&request, v10, V1_0);
        assert_wire_form(&request, v21, V2_1);
    }

    #[test]
    fn no_attributes_is_an_empty_attributes_structure_in_2x() {
        assert_wire_form(&LocateRequest::default(), "<RequestPayload/>", V1_4);
        assert_wire_form(&LocateRequest::default(), "<RequestPayload><Attributes/></RequestPayload>", V2_1);
    }
}
