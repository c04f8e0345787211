//! Between a request's encoding and TTLV, which is all the dispatcher reads and writes. JSON and
//! XML are read within the decoder's limits (nesting depth, item count, size) before any TTLV is
//! built, so a hostile text costs no more than a hostile TTLV message would.

use std::ops::Deref;

use keyward_ttlv::{DecodeError, Encoder, Item, Limits, Tag, Value, json, xml};
use zeroize::Zeroizing;

use keyward_client::Encoding;

/// Why a JSON or XML body is not a KMIP message: the text for the Result Message of the Invalid
/// Message answer.
#[derive(Debug, thiserror::Error)]
#[error("{encoding} request: {reason}")]
pub(crate) struct Unreadable {
    encoding: Encoding,
    reason: String,
}

/// A request as TTLV: the body itself, or what its JSON or XML said.
pub(crate) enum RequestTtlv<'b> {
    AsSent(&'b [u8]),
    Converted(Zeroizing<Vec<u8>>),
}

impl Deref for RequestTtlv<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            RequestTtlv::AsSent(bytes) => bytes,
            RequestTtlv::Converted(bytes) => bytes,
        }
    }
}

/// The TTLV of a request body. A TTLV body is passed on as it is: the dispatcher answers a
/// malformed one itself, with the decoder's own diagnosis.
pub(crate) fn request_ttlv<'b>(
    encoding: Encoding,
    body: &'b [u8],
    limits: &Limits,
) -> Result<RequestTtlv<'b>, Unreadable> {
    let unreadable = |reason: String| Unreadable { encoding, reason };
    let items = match encoding {
        Encoding::Ttlv => return Ok(RequestTtlv::AsSent(body)),
        Encoding::Json => json::parse_items_with(text(body).map_err(unreadable)?, limits).map_err(|e| e.to_string()),
        Encoding::Xml => xml::parse_items_with(text(body).map_err(unreadable)?, limits).map_err(|e| e.to_string()),
    };
    let items = items.map_err(unreadable)?;
    let [item] = items.as_slice() else {
        return Err(unreadable(format!("expected one message, found {} items", items.len())));
    };
    let mut ttlv = Encoder::new();
    ttlv.item(item);
    Ok(RequestTtlv::Converted(Zeroizing::new(ttlv.into_bytes())))
}

fn text(body: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(body).map_err(|error| format!("not UTF-8 text: {error}"))
}

/// Writes the dispatcher's TTLV response in `encoding`. When the request was `unreadable`, the
/// response is the dispatcher's Invalid Message answer to an empty message, and the reason the
/// text could not be read takes the place of its Result Message.
pub(crate) fn response_body(
    encoding: Encoding,
    response: Encoder,
    unreadable: Option<&Unreadable>,
) -> Result<Zeroizing<Vec<u8>>, DecodeError> {
    if encoding == Encoding::Ttlv && unreadable.is_none() {
        return Ok(Zeroizing::new(response.into_bytes()));
    }
    // The dispatcher's own output: no limit but its length, which is known.
    let limits = Limits { max_message_size: response.len(), max_depth: usize::MAX, max_items: usize::MAX };
    let mut message = keyward_ttlv::decode_owned(response.as_bytes(), &limits)?;
    if let Some(unreadable) = unreadable {
        set_result_messages(&mut message, &unreadable.to_string());
    }
    let bytes = match encoding {
        Encoding::Ttlv => message.to_ttlv(),
        Encoding::Json => json::to_string_compact(&message).into_bytes(),
        Encoding::Xml => xml::to_string(&message).into_bytes(),
    };
    Ok(Zeroizing::new(bytes))
}

/// Replaces the Result Message of every batch item of a response message.
fn set_result_messages(message: &mut Item, text: &str) {
    let Value::Structure(children) = &mut message.value else { return };
    for batch_item in children.iter_mut().filter(|child| child.tag == Tag::BatchItem) {
        let Value::Structure(fields) = &mut batch_item.value else { continue };
        for field in fields.iter_mut().filter(|field| field.tag == Tag::ResultMessage) {
            field.value = Value::TextString(text.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISCOVER_VERSIONS_JSON: &str = r#"{"tag":"RequestMessage", "value":[
        {"tag":"RequestHeader", "value":[
          {"tag":"ProtocolVersion", "value":[
            {"tag":"ProtocolVersionMajor", "type":"Integer", "value":"0x00000001"},
            {"tag":"ProtocolVersionMinor", "type":"Integer", "value":"0x00000004"}
          ]},
          {"tag":"BatchCount", "type":"Integer", "value":"0x00000001"}
        ]},
        {"tag":"BatchItem", "value":[
          {"tag":"Operation", "type":"Enumeration", "value":"DiscoverVersions"},
          {"tag":"RequestPayload", "value":[]}
        ]}
      ]}"#;

    #[test]
    fn ttlv_is_passed_on_as_sent() {
        let body = [0x42, 0x00, 0x78];
        let ttlv = request_ttlv(Encoding::Ttlv, &body, &Limits::default()).unwrap();
        assert!(matches!(ttlv, RequestTtlv::AsSent(_)));
        assert_eq!(&*ttlv, &body);
    }

    #[test]
    fn json_and_xml_become_the_same_ttlv() {
        let from_json = request_ttlv(Encoding::Json, DISCOVER_VERSIONS_JSON.as_bytes(), &Limits::default()).unwrap();
        let message = keyward_ttlv::decode_owned(&from_json, &Limits::default()).unwrap();
        assert_eq!(message.tag, Tag::RequestMessage);
        let as_xml = xml::to_string(&message);
        let from_xml = request_ttlv(Encoding::Xml, as_xml.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(&*from_json, &*from_xml);
    }

    #[test]
    fn refuses_what_is_not_one_message_within_the_limits() {
        let limits = Limits::default();
        let cases: [(Encoding, &[u8], &str); 5] = [
            (Encoding::Json, b"{\"tag\":", "JSON request"),
            (Encoding::Json, b"[]", "found 0 items"),
            (Encoding::Xml, b"<RequestMessage><Nonsense/></RequestMessage>", "XML request"),
            (Encoding::Xml, b"\xff\xfe<", "not UTF-8"),
            (Encoding::Json, DISCOVER_VERSIONS_JSON.as_bytes(), "deeper than 2"),
        ];
        for (index, (encoding, body, expected)) in cases.into_iter().enumerate() {
            let limits = if index == 4 { Limits { max_depth: 2, ..limits } } else { limits };
            let error = request_ttlv(encoding, body, &limits).err().expect("refused");
            assert!(error.to_string().contains(expected), "{error}");
        }
    }

    #[test]
    fn an_unreadable_request_gets_its_reason_as_result_message() {
        let mut response = Encoder::new();
        let message = Item::structure(
            Tag::ResponseMessage,
            vec![Item::structure(
                Tag::BatchItem,
                vec![Item::text(Tag::ResultMessage, "message ends inside an item header at byte 0")],
            )],
        );
        response.item(&message);
        let unreadable = Unreadable { encoding: Encoding::Json, reason: "expected value at line 1".into() };
        let body = response_body(Encoding::Json, response, Some(&unreadable)).unwrap();
        let answer = json::from_str(std::str::from_utf8(&body).unwrap()).unwrap();
        let batch_item = answer.child(Tag::BatchItem).unwrap();
        let text = batch_item.child(Tag::ResultMessage).unwrap();
        assert_eq!(text.value, Value::TextString("JSON request: expected value at line 1".into()));
    }
}
