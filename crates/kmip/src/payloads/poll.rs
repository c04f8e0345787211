//! Poll (2.1 §6.1.38, 1.4 §4.28): the state of an asynchronous request.
//!
//! A pending request is answered without a payload; a completed one with the payload of the
//! operation polled, exactly as if it had completed synchronously. Which operation that is, the
//! Poll response does not say (its Operation is Poll), so the payload is kept as items until the
//! client, who knows, reads it with [`PollResponse::decode_as`].

use keyward_ttlv::enums::Operation;
use keyward_ttlv::{Encoder, Item, ItemRef, Limits, Tag};

use crate::codec::{Bytes, Codec, Cx, expect_structure};
use crate::error::ModelResult;
use crate::kmip_struct;
use crate::payloads::ResponsePayload;

kmip_struct! {
    pub struct PollRequest {
        asynchronous_correlation_value: one Bytes = AsynchronousCorrelationValue,
    }
}

/// The response payload of the operation polled, as items.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PollResponse {
    pub fields: Vec<Item>,
}

impl PollResponse {
    /// The payload of a completed operation, encoded for the version of the Poll response.
    pub fn completed(payload: &ResponsePayload, cx: &Cx) -> ModelResult<PollResponse> {
        let mut out = Encoder::new();
        payload.encode(&mut out, cx);
        let root = keyward_ttlv::decode(out.as_bytes(), &Limits::default())?;
        Ok(PollResponse { fields: root.children().map(|child| child.to_owned_item()).collect() })
    }

    /// Reads the payload as the response of `operation`, the operation that was polled.
    pub fn decode_as(&self, operation: Operation, cx: &Cx) -> ModelResult<ResponsePayload> {
        let bytes = Item::structure(Tag::ResponsePayload, self.fields.clone()).to_ttlv();
        let root = keyward_ttlv::decode(&bytes, &Limits::default())?;
        ResponsePayload::decode(operation, root, cx)
    }
}

impl Codec for PollResponse {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        Ok(PollResponse { fields: item.children().map(|child| child.to_owned_item()).collect() })
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        let open = out.begin(tag);
        for field in &self.fields {
            out.item(field);
        }
        out.end(open);
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::V2_1;

    use super::*;
    use crate::payloads::lifecycle::ActivateResponse;
    use crate::payloads::test_support::decode_xml;

    #[test]
    fn the_payload_of_the_polled_operation_is_read_once_the_operation_is_known() {
        let xml = r#"<ResponsePayload><UniqueIdentifier type="TextString" value="key-1"/></ResponsePayload>"#;
        let cx = Cx::new(V2_1);
        let poll: PollResponse = decode_xml(xml, V2_1);
        let activate = ResponsePayload::Activate(ActivateResponse { unique_identifier: "key-1".into() });
        assert_eq!(poll.decode_as(Operation::Activate, &cx), Ok(activate.clone()));
        assert_eq!(PollResponse::completed(&activate, &cx), Ok(poll));
    }
}
