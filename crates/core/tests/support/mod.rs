//! A dispatcher over an in-memory store with a fixed clock, and requests written in the KMIP XML
//! encoding, so that tests read like the OASIS test cases.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use keyward_core::{AlgorithmPolicy, ClientIdentity, Clock, Dispatcher, Policy, Services};
use keyward_kmip::enums::{CryptographicAlgorithm, HashingAlgorithm};
use keyward_store::MemoryStore;
use keyward_ttlv::{Encoder, Item, KmipVersion, Limits, Tag, Value, xml};

/// 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

pub struct TestClock(pub AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct Server {
    pub dispatcher: Dispatcher,
    pub clock: Arc<TestClock>,
}

impl Server {
    pub fn new() -> Server {
        Server::with_algorithms(AlgorithmPolicy::default())
    }

    /// A server whose algorithm policy is not the default: for published test vectors made under
    /// keys the default refuses ([`legacy_algorithms`]), and for the tests of the policy.
    pub fn with_algorithms(algorithms: AlgorithmPolicy) -> Server {
        let clock = Arc::new(TestClock(AtomicI64::new(NOW)));
        let policy = Policy { administrators: vec!["admin".into()], algorithms, ..Policy::default() };
        let services = Services {
            store: Arc::new(MemoryStore::new(keyward_core::record_schema::schema())),
            policy,
            clock: clock.clone(),
        };
        Server { dispatcher: Dispatcher::new(services), clock }
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.0.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Sends a request of `version` holding the given batch items (XML), as `client`; returns the
    /// response, after checking that it uses only what `version` defines.
    pub fn send(&self, client: &str, version: KmipVersion, header_extra: &str, items: &[&str]) -> Item {
        self.send_item(client, &request_message(version, header_extra, items), version)
    }

    pub fn send_item(&self, client: &str, request: &Item, version: KmipVersion) -> Item {
        let mut out = Encoder::new();
        let ticket =
            self.dispatcher.handle(&ClientIdentity::new(client), &request.to_ttlv(), &Limits::default(), &mut out);
        if let Some(ticket) = ticket {
            ticket.wait().expect("the commit is durable");
        }
        let response = keyward_ttlv::decode_owned(out.as_bytes(), &Limits::default()).expect("the response decodes");
        // A batch item repeats its request's Operation (1.0 Table 190), even one the version lacks
        // that the client named (then answered Operation Not Supported): that echo is not the
        // server's choice, anything else the version lacks is.
        let problems: Vec<String> = keyward_ttlv::version_check::check(&response, version)
            .into_iter()
            .filter(|p| !p.starts_with("/ResponseMessage/BatchItem/Operation:"))
            .collect();
        assert!(
            problems.is_empty(),
            "response uses what KMIP {version} does not define: {problems:#?}\n{}",
            xml::to_string(&response)
        );
        response
    }

    /// One batch item, expected to succeed; returns its payload.
    pub fn ok(&self, client: &str, version: KmipVersion, item: &str) -> Item {
        let response = self.send(client, version, "", &[item]);
        let batch = batch_items(&response);
        assert_eq!(status(batch[0]), "Success", "{}", xml::to_string(&response));
        batch[0].child(Tag::ResponsePayload).cloned().unwrap_or_else(|| Item::structure(Tag::ResponsePayload, vec![]))
    }

    /// One batch item, expected to fail; returns its Result Reason name.
    pub fn fails(&self, client: &str, version: KmipVersion, item: &str) -> String {
        let response = self.send(client, version, "", &[item]);
        let batch = batch_items(&response);
        assert_eq!(status(batch[0]), "OperationFailed", "{}", xml::to_string(&response));
        reason(batch[0])
    }
}

/// A request message of `version` holding the given batch items (XML), with `header_extra` (XML)
/// in its header before the Batch Count.
/// The default algorithm policy widened to what old test vectors use: RSA-1024, DES and Triple
/// DES, keys of any length (RFC 4231's case 2 MACs under a four-byte key), SHA-1 and MD5 signing.
pub fn legacy_algorithms() -> AlgorithmPolicy {
    let mut policy = AlgorithmPolicy::default();
    policy.rsa_sizes.push(1024);
    for (_, lengths) in &mut policy.symmetric {
        lengths.clear();
    }
    policy.symmetric.extend([(CryptographicAlgorithm::DES3, Vec::new()), (CryptographicAlgorithm::DES, Vec::new())]);
    policy.signature_hashes.extend([HashingAlgorithm::SHA_1, HashingAlgorithm::MD5]);
    policy.min_mac_key_bits = 8;
    policy
}

pub fn request_message(version: KmipVersion, header_extra: &str, items: &[&str]) -> Item {
    let (major, minor) = (version.major(), version.minor());
    let request = format!(
        "<RequestMessage><RequestHeader><ProtocolVersion>\
         <ProtocolVersionMajor type=\"Integer\" value=\"{major}\"/><ProtocolVersionMinor type=\"Integer\" value=\"{minor}\"/>\
         </ProtocolVersion>{header_extra}<BatchCount type=\"Integer\" value=\"{}\"/></RequestHeader>{}</RequestMessage>",
        items.len(),
        items.concat()
    );
    xml::from_str(&request).unwrap_or_else(|e| panic!("test request: {e}\n{request}"))
}

pub fn batch_items(response: &Item) -> Vec<&Item> {
    response.children().iter().filter(|c| c.tag == Tag::BatchItem).collect()
}

fn enum_name(item: &Item, tag: Tag) -> String {
    match item.child(tag).map(|c| &c.value) {
        Some(Value::Enumeration(v)) => tag
            .def()
            .and_then(|d| d.enumeration())
            .and_then(|e| e.value_def(*v))
            .map_or(format!("{v}"), |d| d.camel.to_string()),
        _ => String::new(),
    }
}

pub fn status(batch_item: &Item) -> String {
    enum_name(batch_item, Tag::ResultStatus)
}

pub fn reason(batch_item: &Item) -> String {
    enum_name(batch_item, Tag::ResultReason)
}

/// The first text of a tag anywhere under `item`.
pub fn text(item: &Item, tag: Tag) -> Option<String> {
    if item.tag == tag
        && let Value::TextString(t) = &item.value
    {
        return Some(t.clone());
    }
    item.children().iter().find_map(|c| text(c, tag))
}

/// Every text of a tag anywhere under `item`.
pub fn texts(item: &Item, tag: Tag) -> Vec<String> {
    let mut found = Vec::new();
    if item.tag == tag
        && let Value::TextString(t) = &item.value
    {
        found.push(t.clone());
    }
    for child in item.children() {
        found.extend(texts(child, tag));
    }
    found
}

/// The XML of an item, for asserting on its shape.
pub fn show(item: &Item) -> String {
    xml::to_string(item)
}

/// The value of the 1.x attribute `name` (or the 2.x tag) in a Get Attributes response payload.
pub fn attribute_xml(payload: &Item, name: &str) -> Option<String> {
    for child in payload.children() {
        if child.tag == Tag::Attribute && text(child, Tag::AttributeName).as_deref() == Some(name) {
            // The whole Attribute: its value is named after the Attribute Name beside it.
            return Some(show(child));
        }
        if child.tag == Tag::Attributes {
            let tag = keyward_ttlv::dictionary::tag_by_spec_name(name)?.tag;
            return child.child(tag).map(show);
        }
    }
    None
}

pub fn create_aes_1x(name: &str) -> String {
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="Create"/><RequestPayload>
        <ObjectType type="Enumeration" value="SymmetricKey"/>
        <TemplateAttribute>
          <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
          <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="256"/></Attribute>
          <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Encrypt Decrypt"/></Attribute>
          <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>
        </TemplateAttribute></RequestPayload></BatchItem>"#
    )
}

pub fn create_aes_2x(name: &str) -> String {
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="Create"/><RequestPayload>
        <ObjectType type="Enumeration" value="SymmetricKey"/>
        <Attributes>
          <CryptographicAlgorithm type="Enumeration" value="AES"/>
          <CryptographicLength type="Integer" value="256"/>
          <CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/>
          <Name><NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name>
        </Attributes></RequestPayload></BatchItem>"#
    )
}

/// A batch item of `operation` with the request payload's fields (XML).
pub fn item(operation: &str, payload: &str) -> String {
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="{operation}"/><RequestPayload>{payload}</RequestPayload></BatchItem>"#
    )
}

/// A Unique Identifier field.
pub fn uid_xml(uid: &str) -> String {
    format!(r#"<UniqueIdentifier type="TextString" value="{uid}"/>"#)
}

/// A 2.x Name (Uninterpreted Text String).
pub fn name_2x(name: &str) -> String {
    format!(
        r#"<Name><NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name>"#
    )
}

/// The first item of `tag` anywhere under `item`.
pub fn find(item: &Item, tag: Tag) -> Option<&Item> {
    if item.tag == tag {
        return Some(item);
    }
    item.children().iter().find_map(|c| find(c, tag))
}

/// The first Byte String of `tag` anywhere under `item`.
pub fn bytes(item: &Item, tag: Tag) -> Option<Vec<u8>> {
    if item.tag == tag
        && let Value::ByteString(b) = &item.value
    {
        return Some(b.to_vec());
    }
    item.children().iter().find_map(|c| bytes(c, tag))
}

/// Attributes in `version`'s form: a 1.x Template-Attribute, a 2.x Attributes structure.
pub fn versioned_attributes(version: KmipVersion, inner: &str) -> String {
    if version.is_1x() {
        format!("<TemplateAttribute>{inner}</TemplateAttribute>")
    } else {
        format!("<Attributes>{inner}</Attributes>")
    }
}

/// A Date-Time attribute in `version`'s form: in 1.x an Attribute named `name`, in 2.x the field
/// `tag`.
pub fn versioned_date(version: KmipVersion, name: &str, tag: &str, seconds: i64) -> String {
    let value = keyward_ttlv::datetime::format_seconds(seconds);
    if version.is_1x() {
        format!(
            r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue type="DateTime" value="{value}"/></Attribute>"#
        )
    } else {
        format!(r#"<{tag} type="DateTime" value="{value}"/>"#)
    }
}

/// A batch item for an operation that takes only a Unique Identifier (absent: the placeholder).
pub fn on(operation: &str, uid: Option<&str>) -> String {
    item(operation, &uid.map_or(String::new(), uid_xml))
}

pub fn revoke(uid: &str, reason: &str) -> String {
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="Revoke"/><RequestPayload>
        <UniqueIdentifier type="TextString" value="{uid}"/>
        <RevocationReason><RevocationReasonCode type="Enumeration" value="{reason}"/></RevocationReason>
        </RequestPayload></BatchItem>"#
    )
}
