//! Put (2.1 §6.2.3, 1.4 §5.2): a server pushes an object to a client, new or replacing another.
//! The request is the server's message; the client answers with an empty payload.

use keyward_ttlv::enums::PutFunction;
use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::attributes::IndexedAttribute;
use crate::codec::{Codec, Cx, expect_structure, field};
use crate::error::ModelResult;
use crate::kmip_struct;
use crate::objects::ManagedObject;
use crate::payloads::attribute_fields::{encode_optional_attribute_list, read_attribute_list};
use crate::payloads::object_field::missing_object;

/// The attributes sent with the object travel as Attribute structures directly in the payload in
/// 1.x, as one Attributes structure in 2.x.
#[derive(Clone, Debug, PartialEq)]
pub struct PutRequest {
    pub unique_identifier: String,
    pub put_function: PutFunction,
    /// The object this one replaces, for Put Function Replace.
    pub replaced_unique_identifier: Option<String>,
    pub object: ManagedObject,
    pub attribute: Vec<IndexedAttribute>,
}

impl Codec for PutRequest {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut unique_identifier = None;
        let mut put_function = None;
        let mut replaced_unique_identifier = None;
        let mut object: Option<ManagedObject> = None;
        let mut attribute = Vec::new();
        for child in item.children() {
            match child.tag() {
                Tag::UniqueIdentifier => field::set_once(&mut unique_identifier, item.tag(), child, cx)?,
                Tag::PutFunction => field::set_once(&mut put_function, item.tag(), child, cx)?,
                Tag::ReplacedUniqueIdentifier => {
                    field::set_once(&mut replaced_unique_identifier, item.tag(), child, cx)?
                }
                Tag::Attribute | Tag::Attributes => read_attribute_list(&mut attribute, child, cx)?,
                tag if ManagedObject::is_object_tag(tag) => field::set_once(&mut object, item.tag(), child, cx)?,
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        Ok(PutRequest {
            unique_identifier: field::required(unique_identifier, item, Tag::UniqueIdentifier)?,
            put_function: field::required(put_function, item, Tag::PutFunction)?,
            replaced_unique_identifier,
            object: object.ok_or_else(|| missing_object(item, None))?,
            attribute,
        })
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        out.text(Tag::UniqueIdentifier, &self.unique_identifier);
        self.put_function.encode(Tag::PutFunction, out, cx);
        field::encode_opt(&self.replaced_unique_identifier, Tag::ReplacedUniqueIdentifier, out, cx);
        self.object.encode(self.object.tag(), out, cx);
        encode_optional_attribute_list(&self.attribute, out, cx);
        out.end(open);
    }
}

kmip_struct! {
    /// The client's acknowledgement: no payload.
    pub struct PutResponse {}
}
