//! The runner itself: a passing case passes, a wrong expectation fails at the right path, and the
//! binary tests a server given by address.

use std::collections::HashSet;

use keyward_client::Client;
use keyward_conformance::in_process::Workspace;
use keyward_conformance::run::{Outcome, TtlvExchange, run_case};

const CASE: &str = r#"<KMIP>
<RequestMessage>
  <RequestHeader>
    <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="4"/></ProtocolVersion>
    <BatchCount type="Integer" value="1"/>
  </RequestHeader>
  <BatchItem>
    <Operation type="Enumeration" value="Create"/>
    <RequestPayload>
      <ObjectType type="Enumeration" value="SymmetricKey"/>
      <TemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="256"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Activation Date"/>
          <AttributeValue type="DateTime" value="$NOW-3600"/>
        </Attribute>
      </TemplateAttribute>
    </RequestPayload>
  </BatchItem>
</RequestMessage>
<ResponseMessage>
  <ResponseHeader>
    <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="4"/></ProtocolVersion>
    <TimeStamp type="DateTime" value="2012-04-27T08:12:24+00:00"/>
    <BatchCount type="Integer" value="1"/>
  </ResponseHeader>
  <BatchItem>
    <Operation type="Enumeration" value="Create"/>
    <ResultStatus type="Enumeration" value="Success"/>
    <ResponsePayload>
      <ObjectType type="Enumeration" value="SymmetricKey"/>
      <UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
    </ResponsePayload>
  </BatchItem>
</ResponseMessage>
<RequestMessage>
  <RequestHeader>
    <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="4"/></ProtocolVersion>
    <BatchCount type="Integer" value="1"/>
  </RequestHeader>
  <BatchItem>
    <Operation type="Enumeration" value="GetAttributes"/>
    <RequestPayload>
      <UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
      <AttributeName type="TextString" value="State"/>
      <AttributeName type="TextString" value="Activation Date"/>
    </RequestPayload>
  </BatchItem>
</RequestMessage>
<ResponseMessage>
  <ResponseHeader>
    <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="4"/></ProtocolVersion>
    <TimeStamp type="DateTime" value="$NOW"/>
    <BatchCount type="Integer" value="1"/>
  </ResponseHeader>
  <BatchItem>
    <Operation type="Enumeration" value="GetAttributes"/>
    <ResultStatus type="Enumeration" value="Success"/>
    <ResponsePayload>
      <UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
      <Attribute><AttributeName type="TextString" value="Activation Date"/>
        <AttributeValue type="DateTime" value="$NOW-3600"/>
      </Attribute>
      <Attribute><AttributeName type="TextString" value="State"/><AttributeValue type="Enumeration" value="STATE"/></Attribute>
    </ResponsePayload>
  </BatchItem>
</ResponseMessage>
</KMIP>
"#;

async fn run(text: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("CASE-M-1-14.xml");
    std::fs::write(&path, text).unwrap();
    let mut workspace = Workspace::new().unwrap();
    let running = workspace.start().await.unwrap();
    let client = Client::new(running.address, "localhost", &workspace.credentials().unwrap()).unwrap();
    let mut exchange = TtlvExchange(client.connect().await.unwrap());
    let result = run_case(&path, &mut exchange, &mut HashSet::new()).await;
    running.stop().await;
    result.outcome
}

#[tokio::test]
async fn a_case_the_server_answers_as_expected_passes() {
    // The attributes come in another order than the server's; the Time Stamp is a date of 2012.
    assert_eq!(run(&CASE.replace("STATE", "Active")).await, Outcome::Pass);
}

#[tokio::test]
async fn a_different_value_fails_with_its_path() {
    match run(&CASE.replace("STATE", "PreActive")).await {
        Outcome::Fail { message, difference, .. } => {
            assert_eq!(message, 3);
            assert!(difference.starts_with("ResponseMessage/BatchItem[1]/ResponsePayload"), "{difference}");
            assert!(difference.contains("State"), "{difference}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn the_binary_tests_a_server_given_by_address() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("CASE-M-1-14.xml"), CASE.replace("STATE", "Active")).unwrap();
    let mut workspace = Workspace::new().unwrap();
    let running = workspace.start().await.unwrap();
    let pki = workspace.path().join("pki");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_keyward-conformance"))
        .arg("--server")
        .arg(running.address.to_string())
        .arg("--ca")
        .arg(pki.join("ca.pem"))
        .arg("--cert")
        .arg(pki.join("clients/admin.pem"))
        .arg("--key")
        .arg(pki.join("clients/admin.key"))
        .arg("--json")
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    running.stop().await;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    });
    assert!(output.status.success(), "{report}");
    assert_eq!(report["passed"], 1);
    assert_eq!(report["cases"][0]["profile"], "CASE");
}

/// A request and its expected response in 1.4, around one batch item each.
fn exchange_1_4(operation: &str, request: &str, response: &str) -> String {
    let header = |kind: &str, time: &str| {
        format!(
            r#"<{kind}Header><ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="4"/></ProtocolVersion>{time}<BatchCount type="Integer" value="1"/></{kind}Header>"#
        )
    };
    format!(
        "<RequestMessage>{}\n<BatchItem><Operation type=\"Enumeration\" value=\"{operation}\"/><RequestPayload>\n{request}\n</RequestPayload></BatchItem></RequestMessage>\n\
         <ResponseMessage>{}\n<BatchItem><Operation type=\"Enumeration\" value=\"{operation}\"/><ResultStatus type=\"Enumeration\" value=\"Success\"/><ResponsePayload>\n{response}\n</ResponsePayload></BatchItem></ResponseMessage>\n",
        header("Request", ""),
        header("Response", r#"<TimeStamp type="DateTime" value="$NOW"/>"#)
    )
}

/// Placeholders among the hex of a Byte String: filled in requests, and in responses checked
/// where bound and bound where not.
fn byte_string_case(get_expects: &str) -> String {
    let secret = |material: &str| {
        format!(
            r#"<SecretData><SecretDataType type="Enumeration" value="Password"/><KeyBlock><KeyFormatType type="Enumeration" value="Opaque"/><KeyValue>
<KeyMaterial type="ByteString" value="{material}"/>
</KeyValue></KeyBlock></SecretData>"#
        )
    };
    let rng = exchange_1_4(
        "RNGRetrieve",
        r#"<DataLength type="Integer" value="8"/>"#,
        r#"<Data type="ByteString" value="$DATA_0"/>"#,
    );
    let register = exchange_1_4(
        "Register",
        &format!(
            r#"<ObjectType type="Enumeration" value="SecretData"/><TemplateAttribute><Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Verify"/></Attribute></TemplateAttribute>
{}"#,
            secret("ff$DATA_0ff")
        ),
        r#"<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>"#,
    );
    let get = exchange_1_4(
        "Get",
        r#"<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>"#,
        &format!(
            r#"<ObjectType type="Enumeration" value="SecretData"/><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
{}"#,
            secret(get_expects)
        ),
    );
    format!("<KMIP>\n{rng}{register}{get}</KMIP>\n")
}

#[tokio::test]
async fn placeholders_inside_byte_strings_are_filled_checked_and_bound() {
    // All bound: the server's bytes must be the literal ones around $DATA_0.
    assert_eq!(run(&byte_string_case("ff$DATA_0ff")).await, Outcome::Pass);
    // One unbound: $DATA_1 takes what lies after the literal byte.
    assert_eq!(run(&byte_string_case("ff$DATA_1")).await, Outcome::Pass);
    // A wrong literal is a difference.
    match run(&byte_string_case("00$DATA_0ff")).await {
        Outcome::Fail { message, difference, .. } => {
            assert_eq!(message, 5);
            assert!(difference.contains("KeyMaterial"), "{difference}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
