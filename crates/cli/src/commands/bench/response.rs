//! Reading a response on the hot path: the strict TTLV decoder's zero-copy view, then only what the
//! bench needs (each batch item's status and reason, and the identifiers Create returns), with no
//! typed model and no allocation unless something failed or was created.

use keyward_kmip::Tag;
use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};
use keyward_ttlv::KmipEnum;
use keyward_ttlv::{ItemRef, Limits};

/// How a response is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A KMIP Response Message.
    Response,
    /// The request itself, sent back by the echo server: only its framing and batch items count.
    Echo,
}

/// What went wrong with one operation, or with a whole request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Failure {
    /// A failed batch item, by its Result Reason.
    Reason(u32),
    /// A batch item that did not succeed and gave no reason, by its Result Status.
    Status(u32),
    /// The response cannot be read, or does not answer the request.
    Malformed(String),
    /// The connection failed: no response.
    Transport(String),
}

impl Failure {
    /// A name a person reads: the specification's name of the reason or status.
    pub fn describe(&self) -> String {
        let named = |def: &keyward_ttlv::dictionary::EnumDef, value: u32| {
            def.value_def(value).map_or_else(|| format!("{} 0x{value:08X}", def.name), |v| v.name.to_string())
        };
        match self {
            Failure::Reason(value) => named(ResultReason::DEF, *value),
            Failure::Status(value) => format!("{} (no Result Reason)", named(ResultStatus::DEF, *value)),
            Failure::Malformed(what) => format!("unreadable response: {what}"),
            Failure::Transport(what) => format!("connection failed: {what}"),
        }
    }
}

/// Where a scan reports what it found.
pub trait Findings {
    /// A batch item failed; `message` is its Result Message, if any.
    fn failed(&mut self, failure: Failure, message: Option<&str>);
    /// A Create succeeded with this identifier.
    fn created(&mut self, uid: &str);
}

/// The limits responses are read with: larger messages than a server accepts, since a response
/// may carry a whole object, but still bounded.
pub fn limits() -> Limits {
    Limits { max_message_size: 64 * 1024 * 1024, ..Limits::default() }
}

/// Reads a response to a request of `expected_items` batch items. Returns how many operations
/// it answered (failures included), or why the whole response is unusable.
pub fn scan(
    bytes: &[u8],
    expect: Expect,
    expected_items: usize,
    limits: &Limits,
    findings: &mut impl Findings,
) -> Result<usize, Failure> {
    let root = keyward_ttlv::decode(bytes, limits).map_err(|error| Failure::Malformed(error.to_string()))?;
    let root_tag = match expect {
        Expect::Response => Tag::ResponseMessage,
        Expect::Echo => Tag::RequestMessage,
    };
    if root.tag() != root_tag {
        return Err(Failure::Malformed(format!("a {:?} instead of a {root_tag:?}", root.tag())));
    }
    let mut items = 0;
    for item in root.children().filter(|child| child.tag() == Tag::BatchItem) {
        items += 1;
        if expect == Expect::Response {
            check_result(item, findings);
        }
    }
    if items == expected_items {
        Ok(items)
    } else if items == 1 && expected_items > 1 {
        // A whole message refused (Invalid Message, say) is answered with one failed item.
        Ok(expected_items)
    } else {
        Err(Failure::Malformed(format!("{items} batch items for a request of {expected_items}")))
    }
}

/// Reads one response batch item: its status and reason, and a created object's identifier.
fn check_result(item: ItemRef<'_>, findings: &mut impl Findings) {
    let status = item.child(Tag::ResultStatus).and_then(|s| s.as_enumeration());
    if status == Some(ResultStatus::Success.0) {
        // Create answers with the new object's identifier; other operations name an existing one.
        let is_create = item.child(Tag::Operation).and_then(|o| o.as_enumeration()) == Some(Operation::Create.0);
        if is_create
            && let Some(uid) =
                item.child(Tag::ResponsePayload).and_then(|p| p.child(Tag::UniqueIdentifier)).and_then(|u| u.as_text())
        {
            findings.created(uid);
        }
        return;
    }
    let message = item.child(Tag::ResultMessage).and_then(|m| m.as_text());
    let failure = match (item.child(Tag::ResultReason).and_then(|r| r.as_enumeration()), status) {
        (Some(reason), _) => Failure::Reason(reason),
        (None, Some(status)) => Failure::Status(status),
        (None, None) => Failure::Malformed("a batch item without a Result Status".into()),
    };
    findings.failed(failure, message);
}

#[cfg(test)]
mod tests {
    use keyward_kmip::enums::{ObjectType, ResultReason};
    use keyward_kmip::message::{ResponseBatchItem, ResponseMessage};
    use keyward_kmip::payloads::ResponsePayload;
    use keyward_kmip::payloads::create::CreateResponse;
    use keyward_kmip::{DateTime, KmipVersion};
    use keyward_ttlv::Encoder;

    use super::*;

    #[derive(Default)]
    struct Seen {
        failures: Vec<(Failure, Option<String>)>,
        created: Vec<String>,
    }

    impl Findings for Seen {
        fn failed(&mut self, failure: Failure, message: Option<&str>) {
            self.failures.push((failure, message.map(str::to_string)));
        }
        fn created(&mut self, uid: &str) {
            self.created.push(uid.to_string());
        }
    }

    fn response(items: Vec<ResponseBatchItem>) -> Vec<u8> {
        let mut out = Encoder::new();
        ResponseMessage::new(KmipVersion::V1_4, DateTime(0), items).encode(&mut out);
        out.into_bytes()
    }

    #[test]
    fn counts_failures_by_reason_and_collects_created_keys() {
        let created = ResponseBatchItem::success(
            Operation::Create,
            None,
            ResponsePayload::Create(CreateResponse {
                object_type: ObjectType::SymmetricKey,
                unique_identifier: "key-1".into(),
                attributes: None,
            }),
        );
        let refused =
            ResponseBatchItem::failure(Some(Operation::Encrypt), None, ResultReason::OperationNotSupported, "not here");
        let bytes = response(vec![created, refused]);
        let mut seen = Seen::default();
        assert_eq!(scan(&bytes, Expect::Response, 2, &limits(), &mut seen), Ok(2));
        assert_eq!(seen.created, ["key-1"]);
        assert_eq!(seen.failures, [(Failure::Reason(ResultReason::OperationNotSupported.0), Some("not here".into()))]);
        assert_eq!(seen.failures[0].0.describe(), "Operation Not Supported");
    }

    #[test]
    fn refuses_garbage_and_a_wrong_number_of_items() {
        let mut seen = Seen::default();
        assert!(matches!(scan(b"not ttlv", Expect::Response, 1, &limits(), &mut seen), Err(Failure::Malformed(_))));
        let two = response(vec![
            ResponseBatchItem::failure(None, None, ResultReason::InvalidMessage, "a"),
            ResponseBatchItem::failure(None, None, ResultReason::InvalidMessage, "b"),
        ]);
        assert!(matches!(scan(&two, Expect::Response, 3, &limits(), &mut seen), Err(Failure::Malformed(_))));
        // A request sent back is not a response, unless the echo server was asked for.
        let request = keyward_kmip::message::RequestMessage::new(
            KmipVersion::V1_4,
            vec![super::super::requests::discover_versions()],
        )
        .to_bytes();
        assert!(scan(&request, Expect::Response, 1, &limits(), &mut seen).is_err());
        assert_eq!(scan(&request, Expect::Echo, 1, &limits(), &mut seen), Ok(1));
    }
}
