//! Every variation between the expected and the actual response that the runner accepts, each with
//! the rule that permits it. Anything not listed here must match exactly.

use keyward_ttlv::dictionary::tag_by_spec_name;
use keyward_ttlv::{Item, Tag, Value};

/// How far from the run's clock a server-clock date may be, in seconds: the run's own duration
/// plus a margin for a server clock a little off.
pub const CLOCK_SLACK: i64 = 300;

/// The Time Stamp of a response header is the server's clock when it answered (KMIP 2.1 §8.5,
/// 1.4 §6.5): any time during the run is right.
pub fn is_response_time_stamp(path: &[String]) -> bool {
    path.len() >= 2 && path[path.len() - 2] == "ResponseHeader" && path[path.len() - 1] == "TimeStamp"
}

/// A Result Message is free text, OPTIONAL when the Result Status is not Success (2.1 §8.6): its
/// presence and its words are the server's.
pub fn is_result_message(item: &Item) -> bool {
    item.tag == Tag::ResultMessage
}

/// The operations, object types and other lists a Query answers are the server's: the profiles'
/// test cases say "The specific list of operations and object types returned in the response MAY
/// vary" (KMIP Profiles, e.g. BL-M-1 and MSGENC-*-M-1). The payload must be there; its content is
/// not compared.
pub fn is_query_payload(operation: Option<&str>, item: &Item) -> bool {
    operation == Some("Query") && item.tag == Tag::ResponsePayload
}

/// Attributes are a set: their order in a response is not specified (2.1 §6.1.22 Get Attributes
/// returns "the requested attributes", §6.1.23 Get Attribute List "a list of the attribute names",
/// 1.4 §4.12 and §4.13 likewise), so attributes and lists of attribute names are compared without
/// regard to order.
pub fn is_unordered_list(parent: &Item) -> bool {
    let listed = |tag: Tag| matches!(tag, Tag::Attribute | Tag::AttributeName | Tag::AttributeReference);
    parent.tag == Tag::Attributes
        || parent.tag == Tag::ResponsePayload && parent.children().iter().any(|c| listed(c.tag))
}

/// A Server Correlation Value is the server's own (2.1 §8.5: OPTIONAL in a response header); the
/// reference server of the 2.1 test cases sends one, others need not.
pub fn is_server_correlation_value(item: &Item) -> bool {
    item.tag == Tag::ServerCorrelationValue
}

/// The value of the Random Number Generator attribute describes the server's own generator (2.1
/// §4.46, 1.4 §3.44): the reference server's is not ours. Its presence is compared, not its
/// content. `item` is a 1.x Attribute structure or the 2.x attribute.
pub fn is_random_number_generator(item: &Item) -> bool {
    item.tag == Tag::RandomNumberGenerator
        || item.tag == Tag::Attribute
            && matches!(item.child(Tag::AttributeName).map(|n| &n.value), Some(Value::TextString(n)) if n == "Random Number Generator")
}

/// Test cases that contradict the specification, each tolerated exactly where it does, with the
/// clause it contradicts (also listed in docs/conformance.md).
pub fn is_test_case_erratum(file: &str, path: &[String]) -> bool {
    let at = |p: &str| path.join("/") == p;
    // KMIP 1.4 §6.1: the response to a 1.4 request is in 1.4; OMOS-O-1-14 expects 1.3 for its
    // Destroy.
    file.ends_with("OMOS-O-1-14.xml") && at("ResponseMessage/ResponseHeader/ProtocolVersion/ProtocolVersionMinor")
}

/// Attributes a server MAY set on its own (their Attribute Rules say "Initially set by: Server" and
/// no value is required, or they exist only to record the server's own choices): when a client asks
/// for all attributes (Get Attributes naming none, Get Attribute List), their presence depends on
/// the server, so they may be present or absent on either side.
const SERVER_OPTIONAL: &[&str] = &[
    "Lease Time",
    "Random Number Generator",
    "Original Creation Date",
    "Key Value Present",
    "Key Format Type",
    "Short Unique Identifier",
    "Fresh",
    "Sensitive",
    "Always Sensitive",
    "Extractable",
    "Never Extractable",
    "Digest",
    "Last Change Date",
    "Compromise Date",
    "Compromise Occurrence Date",
];

/// True when `item` is a server-optional attribute, in any of its forms: a 1.x Attribute structure,
/// a 2.x tagged attribute, or a 1.x Attribute Name or 2.x Attribute Reference in a list of names.
pub fn is_server_optional_attribute(item: &Item) -> bool {
    let tag = match (&item.tag, &item.value) {
        (&Tag::Attribute, _) => match item.child(Tag::AttributeName).map(|n| &n.value) {
            Some(Value::TextString(name)) => tag_by_spec_name(name).map(|d| d.tag),
            _ => None,
        },
        (&Tag::AttributeName, Value::TextString(name)) => tag_by_spec_name(name).map(|d| d.tag),
        (&Tag::AttributeReference, Value::Enumeration(tag)) => Some(Tag(*tag)),
        (tag, _) => Some(*tag),
    };
    tag.and_then(|t| t.def()).is_some_and(|d| SERVER_OPTIONAL.contains(&d.name))
}

/// The value of a Digest is computed over the key material (2.1 §4.21); for a key the server
/// generated, the material, hence the digest, is the server's own random choice.
pub fn is_digest_value(path: &[String]) -> bool {
    path.last().is_some_and(|p| p == "DigestValue")
}

/// Key material and wrapped key values of objects the server generated are random (2.1 §6.1.10
/// Create: "the server SHALL generate"); the test cases name them with placeholders, and where
/// they do not, the reference server's random bytes are not to be matched.
pub fn is_generated_key_material(path: &[String]) -> bool {
    path.last().is_some_and(|p| p == "KeyMaterial" || p == "KeyValue")
}

/// A date the reference server took from its clock (Initial Date, Last Change Date, the date an
/// Activate or Destroy set) is written in a test case as a literal of the day it was recorded: any
/// date during the run is right, as long as the test case did not send that literal itself (then
/// the server must give back exactly what it was sent).
pub fn is_server_clock_date(expected: i64, actual: i64, sent_literals: &[i64], run_started: i64, now: i64) -> bool {
    !sent_literals.contains(&expected) && actual >= run_started - CLOCK_SLACK && actual <= now + CLOCK_SLACK
}

/// Some KMIP 1.0 test cases write attribute names with runs of spaces ("Unique   Identifier"), an
/// artifact of their extraction from the PDF of the profiles; the specification's names have
/// single spaces (1.4 §3). An Attribute Name is compared with its whitespace folded.
pub fn attribute_names_equal(expected: &Item, actual: &Item) -> bool {
    match (&expected.value, &actual.value) {
        (Value::TextString(e), Value::TextString(a)) if expected.tag == Tag::AttributeName => {
            e.split_whitespace().eq(a.split_whitespace())
        }
        _ => false,
    }
}
