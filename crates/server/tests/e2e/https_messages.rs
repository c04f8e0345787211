//! KMIP over HTTPS, the messages: the three encodings, the OASIS test cases of the HTTPS and JSON
//! profiles, unreadable bodies, and the identities of the TLS port.

use keyward_client::Encoding;
use keyward_client::{ClientCredentials, HttpsClient};
use keyward_kmip::enums::{ResultReason, ResultStatus};
use keyward_kmip::message::ResponseMessage;
use keyward_ttlv::{Tag, Value, json, xml};

use crate::common::{TestServer, assert_discover_versions_answer, decode_response, discover_versions};
use crate::raw_http::RawHttps;

/// Discover Versions in KMIP 1.4, written by hand as the OASIS test cases write JSON.
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

/// The same as the OASIS test cases write XML.
const DISCOVER_VERSIONS_XML: &str = r#"<RequestMessage>
  <RequestHeader>
    <ProtocolVersion>
      <ProtocolVersionMajor type="Integer" value="1"/>
      <ProtocolVersionMinor type="Integer" value="4"/>
    </ProtocolVersion>
    <BatchCount type="Integer" value="1"/>
  </RequestHeader>
  <BatchItem>
    <Operation type="Enumeration" value="DiscoverVersions"/>
    <RequestPayload/>
  </BatchItem>
</RequestMessage>
"#;

/// MSGENC-JSON-M-1-10, as the specification prints it (with the closing brace it lost), with
/// the Maximum Response Size to put in it.
fn query_json(maximum_response_size: &str) -> String {
    r#"{"tag":"RequestMessage", "value":[
  {"tag":"RequestHeader", "value":[
    {"tag":"ProtocolVersion", "value":[
      {"tag":"ProtocolVersionMajor", "type":"Integer", "value":"0x00000001"},
      {"tag":"ProtocolVersionMinor", "type":"Integer", "value":"0x00000000"}
    ]},
    {"tag":"MaximumResponseSize", "type":"Integer", "value":"SIZE"},
    {"tag":"BatchCount", "type":"Integer", "value":"0x00000001"}
  ]},
  {"tag":"BatchItem", "value":[
    {"tag":"Operation", "type":"Enumeration", "value":"Query"},
    {"tag":"RequestPayload", "value":[
      {"tag":"QueryFunction", "type":"Enumeration", "value":"QueryOperations"},
      {"tag":"QueryFunction", "type":"Enumeration", "value":"QueryObjects"}
    ]}
  ]}
]}"#
    .replace("SIZE", maximum_response_size)
}

/// A response body in its encoding, as TTLV.
fn ttlv_of(encoding: Encoding, body: &[u8]) -> Vec<u8> {
    let text = || std::str::from_utf8(body).expect("a text response");
    match encoding {
        Encoding::Ttlv => body.to_vec(),
        Encoding::Json => json::from_str(text()).expect("a KMIP JSON response").to_ttlv(),
        Encoding::Xml => xml::from_str(text()).expect("a KMIP XML response").to_ttlv(),
    }
}

fn response_in(encoding: Encoding, body: &[u8]) -> ResponseMessage {
    decode_response(&ttlv_of(encoding, body))
}

#[tokio::test]
async fn discover_versions_in_each_encoding() {
    let server = TestServer::start_https().await;
    let client = server.https_client();
    let requests = [
        (Encoding::Ttlv, discover_versions()),
        (Encoding::Json, DISCOVER_VERSIONS_JSON.as_bytes().to_vec()),
        (Encoding::Xml, DISCOVER_VERSIONS_XML.as_bytes().to_vec()),
    ];
    for (encoding, request) in requests {
        let reply = client.post(encoding, &request).await.unwrap();
        assert_eq!(reply.content_type.as_deref(), Some(encoding.content_type()), "{encoding}");
        assert_discover_versions_answer(&ttlv_of(encoding, &reply.body));
    }
    // XML's registered media type works too, and is answered in kind.
    let mut connection = client.connect().await.unwrap();
    let reply =
        connection.send("POST", "/kmip", Some("application/xml"), DISCOVER_VERSIONS_XML.as_bytes()).await.unwrap();
    assert_eq!((reply.status, reply.content_type.as_deref()), (200, Some("application/xml")));
    assert_discover_versions_answer(&ttlv_of(Encoding::Xml, &reply.body));
    connection.close().await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_query_with_a_small_maximum_response_size_is_too_large_in_json() {
    let server = TestServer::start_https().await;
    let mut connection = server.https_client().connect().await.unwrap();
    let reply = connection.post(Encoding::Json, query_json("0x00000100").as_bytes()).await.unwrap();
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    let refused = response_in(Encoding::Json, &reply.body);
    let item = &refused.batch_items[0];
    assert_eq!(item.result_status, ResultStatus::OperationFailed, "{item:?}");
    assert_eq!(item.result_reason, Some(ResultReason::ResponseTooLarge), "{item:?}");
    // TIME 1 of the test case: a larger limit, the same query answered.
    let reply = connection.post(Encoding::Json, query_json("0x00000800").as_bytes()).await.unwrap();
    let answered = response_in(Encoding::Json, &reply.body);
    assert_eq!(answered.batch_items[0].result_status, ResultStatus::Success, "{answered:?}");
    connection.close().await;
    server.stop().await.unwrap();
}

/// MSGENC-HTTPS-M-1-10 byte for byte: HTTP/1.0 with keep-alive, and a Content-Length padded
/// with spaces, as the specification's capture shows them.
#[tokio::test]
async fn the_oasis_https_test_case_as_its_bytes() {
    const HEAD: &[u8] = b"POST /kmip HTTP/1.0\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n\
        Connection: keep-alive\r\nContent-Type: application/octet-stream\r\nContent-Length: 152       \r\n\r\n";
    const QUERY: &str = "42007801000000904200770100000048420069010000002042006a02000000040000000100000000\
        42006b02000000040000000000000000420050020000000400000SIZE0000000042000d0200000004\
        000000010000000042000f010000003842005c050000000400000018000000004200790100000020\
        4200740500000004000000010000000042007405000000040000000200000000";
    let server = TestServer::start_https().await;
    let mut connection = RawHttps::connect(&server).await;
    for (size, expected) in [("100", ResultStatus::OperationFailed), ("800", ResultStatus::Success)] {
        let body = hex::decode(QUERY.replace("SIZE", size)).unwrap();
        assert_eq!(body.len(), 152);
        connection.send(&[HEAD, &body].concat()).await;
        let response = connection.response().await.expect("an answer");
        assert_eq!(response.status, 200, "{response:?}");
        // An HTTP/1.0 client keeps its connection only if the answer says so.
        assert_eq!(response.status_line, "HTTP/1.0 200 OK");
        assert_eq!(response.header("Connection"), Some("keep-alive"));
        assert_eq!(response.header("Content-Type"), Some("application/octet-stream"));
        assert_eq!(response.header("Cache-Control"), Some("no-cache"));
        assert_eq!(response.header("Content-Length"), Some(response.body.len().to_string().as_str()));
        let answer = decode_response(&response.body);
        assert_eq!(answer.batch_items[0].result_status, expected, "{answer:?}");
    }
    server.stop().await.unwrap();
}

/// The Result Message of the only batch item of a response.
fn result_message(response: &ResponseMessage) -> &str {
    response.batch_items[0].result_message.as_deref().unwrap_or_default()
}

#[tokio::test]
async fn an_unreadable_body_gets_invalid_message_in_its_encoding() {
    let server = TestServer::start_https().await;
    let client = server.https_client();
    let cases: [(Encoding, &[u8], &str); 5] = [
        (Encoding::Json, b"{\"tag\":\"RequestMessage\", \"value\":[", "JSON request"),
        (Encoding::Json, b"[]", "found 0 items"),
        (Encoding::Xml, b"<RequestMessage><NoSuchTag type=\"Integer\" value=\"1\"/></RequestMessage>", "XML request"),
        (Encoding::Xml, b"\xff\xfe<\x00", "not UTF-8"),
        (Encoding::Ttlv, b"\x42\x00\x78\x01\x00\x00\x00\x08garbage!", ""),
    ];
    for (encoding, body, reason) in cases {
        let reply = client.post(encoding, body).await.unwrap();
        assert_eq!(reply.content_type.as_deref(), Some(encoding.content_type()));
        let response = response_in(encoding, &reply.body);
        let item = &response.batch_items[0];
        assert_eq!(item.result_reason, Some(ResultReason::InvalidMessage), "{encoding}: {item:?}");
        assert!(result_message(&response).contains(reason), "{encoding}: {}", result_message(&response));
    }
    server.stop().await.unwrap();
}

/// A JSON request with the operation and payload given, in KMIP 2.1.
fn json_request(operation: &str, payload: &str) -> String {
    format!(
        r#"{{"tag":"RequestMessage", "value":[
  {{"tag":"RequestHeader", "value":[
    {{"tag":"ProtocolVersion", "value":[
      {{"tag":"ProtocolVersionMajor", "type":"Integer", "value":2}},
      {{"tag":"ProtocolVersionMinor", "type":"Integer", "value":1}}
    ]}},
    {{"tag":"BatchCount", "type":"Integer", "value":1}}
  ]}},
  {{"tag":"BatchItem", "value":[
    {{"tag":"Operation", "type":"Enumeration", "value":"{operation}"}},
    {{"tag":"RequestPayload", "value":[{payload}]}}
  ]}}
]}}"#
    )
}

/// The Unique Identifier in a JSON response.
fn unique_identifier(body: &[u8]) -> String {
    let message = json::from_str(std::str::from_utf8(body).unwrap()).unwrap();
    let payload = message.child(Tag::BatchItem).and_then(|item| item.child(Tag::ResponsePayload)).expect("a payload");
    match &payload.child(Tag::UniqueIdentifier).expect("an identifier").value {
        Value::TextString(uid) => uid.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn clients_are_who_their_certificates_say_as_on_the_kmip_port() {
    let server = TestServer::start_https().await;
    let https_client_of = |name: &str| {
        let files = server.pki.issue_client(name).unwrap();
        let credentials = ClientCredentials::from_pem_files(&server.pki.ca_cert(), &files.cert, &files.key).unwrap();
        HttpsClient::new(server.https_address(), "localhost", &credentials).unwrap()
    };
    let (alice, bob) = (https_client_of("alice"), https_client_of("bob"));
    let create = json_request(
        "Create",
        r#"{"tag":"ObjectType", "type":"Enumeration", "value":"SymmetricKey"},
           {"tag":"Attributes", "value":[
             {"tag":"CryptographicAlgorithm", "type":"Enumeration", "value":"AES"},
             {"tag":"CryptographicLength", "type":"Integer", "value":256}
           ]}"#,
    );
    let created = alice.post(Encoding::Json, create.as_bytes()).await.unwrap();
    let uid = unique_identifier(&created.body);
    let get = json_request("Get", &format!(r#"{{"tag":"UniqueIdentifier", "type":"TextString", "value":"{uid}"}}"#));
    let denied = response_in(Encoding::Json, &bob.post(Encoding::Json, get.as_bytes()).await.unwrap().body);
    // Another client's object does not exist for bob.
    assert_eq!(denied.batch_items[0].result_reason, Some(ResultReason::ObjectNotFound), "{denied:?}");
    let owned = response_in(Encoding::Json, &alice.post(Encoding::Json, get.as_bytes()).await.unwrap().body);
    assert_eq!(owned.batch_items[0].result_status, ResultStatus::Success, "{owned:?}");
    // The administrator of the configuration manages it, over either transport.
    let admin =
        response_in(Encoding::Json, &server.https_client().post(Encoding::Json, get.as_bytes()).await.unwrap().body);
    assert_eq!(admin.batch_items[0].result_status, ResultStatus::Success, "{admin:?}");
    let get_ttlv = ttlv_of(Encoding::Json, get.as_bytes());
    let over_tls = decode_response(&server.client().call_once(&get_ttlv).await.unwrap());
    assert_eq!(over_tls.batch_items[0].result_status, ResultStatus::Success, "{over_tls:?}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn https_is_off_unless_configured() {
    let server = TestServer::start().await;
    assert_eq!(server.https, None);
    server.stop().await.unwrap();
}
