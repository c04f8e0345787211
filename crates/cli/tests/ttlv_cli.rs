//! `keyward ttlv` run as a user runs it: the built binary, fed through stdin or files, judged by
//! its output and exit status.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The structure example of KMIP 1.4 §9.1.2, in the specification's own notation.
const STRUCTURE_EXAMPLE: &str = "42 00 20 | 01 | 00 00 00 20 | 42 00 04 | 05 | 00 00 00 04 | 00 00 00 FE 00 00 00 00 | \
                                 42 00 05 | 02 | 00 00 00 04 | 00 00 00 FF 00 00 00 00";

/// The same example as the XML encoding writes it. The dictionary names the three tags
/// (Compromise Date, Application Specific Information, Archive Date), though the example gives
/// them other types than KMIP does: names come from the tag, types from the item.
const STRUCTURE_XML: &str = r#"<CompromiseDate>
  <ApplicationSpecificInformation type="Enumeration" value="0x000000FE"/>
  <ArchiveDate type="Integer" value="255"/>
</CompromiseDate>
"#;

/// A test case file in the OASIS form: a `<KMIP>` wrapper around a request and its response.
const TWO_MESSAGES_XML: &str = r#"<KMIP>
  <RequestMessage>
    <RequestHeader>
      <ProtocolVersion>
        <ProtocolVersionMajor type="Integer" value="2"/>
        <ProtocolVersionMinor type="Integer" value="1"/>
      </ProtocolVersion>
      <BatchCount type="Integer" value="1"/>
    </RequestHeader>
    <BatchItem>
      <Operation type="Enumeration" value="Query"/>
      <RequestPayload>
        <QueryFunction type="Enumeration" value="QueryOperations"/>
      </RequestPayload>
    </BatchItem>
  </RequestMessage>
  <ResponseMessage>
    <ResponseHeader>
      <ProtocolVersion>
        <ProtocolVersionMajor type="Integer" value="2"/>
        <ProtocolVersionMinor type="Integer" value="1"/>
      </ProtocolVersion>
      <TimeStamp type="DateTime" value="2024-05-01T12:00:00+00:00"/>
      <BatchCount type="Integer" value="1"/>
    </ResponseHeader>
    <BatchItem>
      <Operation type="Enumeration" value="Query"/>
      <ResultStatus type="Enumeration" value="Success"/>
    </BatchItem>
  </ResponseMessage>
</KMIP>
"#;

fn keyward(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the keyward binary starts");
    // A command that fails early may close stdin before reading it all; that is not this test's
    // concern, so a failed write is ignored and the exit status tells.
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin);
    }
    child.wait_with_output().expect("keyward runs to the end")
}

/// Runs a command that must succeed and returns its standard output as text.
fn succeed(args: &[&str], stdin: &[u8]) -> String {
    let output = keyward(args, stdin);
    assert!(output.status.success(), "keyward {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("the output is UTF-8")
}

/// Runs a command that must fail with `status` and returns its standard error as text.
fn fail(args: &[&str], stdin: &[u8], status: i32) -> String {
    let output = keyward(args, stdin);
    assert_eq!(output.status.code(), Some(status), "keyward {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty(), "a failed command prints nothing on stdout");
    String::from_utf8(output.stderr).expect("the error is UTF-8")
}

/// A file of this test's own under Cargo's scratch directory for integration tests.
fn scratch_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("ttlv_cli-{name}"));
    std::fs::write(&path, contents).expect("the scratch file is written");
    path
}

fn hex_digits(spec: &str) -> String {
    spec.chars().filter(char::is_ascii_hexdigit).collect()
}

#[test]
fn decodes_the_structure_example_as_text() {
    let text = succeed(&["ttlv", "decode", "--input", "hex"], STRUCTURE_EXAMPLE.as_bytes());
    assert_eq!(
        text,
        "CompromiseDate\n  ApplicationSpecificInformation (Enumeration): 0x000000FE\n  ArchiveDate (Integer): 255\n"
    );
}

#[test]
fn decodes_the_structure_example_as_xml() {
    let xml = succeed(&["ttlv", "decode", "--input", "hex", "--output", "xml"], STRUCTURE_EXAMPLE.as_bytes());
    assert_eq!(xml, STRUCTURE_XML);
}

#[test]
fn decodes_the_structure_example_as_json() {
    let json = succeed(&["ttlv", "decode", "--input", "hex", "--output", "json"], STRUCTURE_EXAMPLE.as_bytes());
    let compact: String = json.split_whitespace().collect();
    assert_eq!(
        compact,
        r#"{"tag":"CompromiseDate","value":[{"tag":"ApplicationSpecificInformation","type":"Enumeration","value":"0x000000FE"},{"tag":"ArchiveDate","type":"Integer","value":255}]}"#
    );
}

#[test]
fn reads_hex_without_separators_and_with_line_breaks() {
    let digits = hex_digits(STRUCTURE_EXAMPLE);
    let (first, second) = digits.split_at(37);
    let wrapped = format!("{first}\n  {second}\n");
    let xml = succeed(&["ttlv", "decode", "--input", "hex", "--output", "xml"], wrapped.as_bytes());
    assert_eq!(xml, STRUCTURE_XML);
}

#[test]
fn encodes_xml_to_hex_and_decodes_it_back() {
    let hex = succeed(&["ttlv", "encode", "--output", "hex"], STRUCTURE_XML.as_bytes());
    assert_eq!(hex.trim_end(), hex_digits(STRUCTURE_EXAMPLE));
    let xml = succeed(&["ttlv", "decode", "--input", "hex", "--output", "xml"], hex.as_bytes());
    assert_eq!(xml, STRUCTURE_XML);
}

#[test]
fn encodes_json_to_the_same_ttlv_as_xml() {
    let json = succeed(&["ttlv", "decode", "--input", "hex", "--output", "json"], STRUCTURE_EXAMPLE.as_bytes());
    let hex = succeed(&["ttlv", "encode", "--output", "hex"], json.as_bytes());
    assert_eq!(hex.trim_end(), hex_digits(STRUCTURE_EXAMPLE));
}

#[test]
fn reports_the_offset_of_malformed_input_and_exits_1() {
    // An Integer whose padding is not zero: the fault is the byte after the value, at offset 12.
    let error =
        fail(&["ttlv", "decode", "--input", "hex"], b"42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 01 00", 1);
    assert!(error.contains("padding bytes are not zero at byte 12"), "{error}");
}

#[test]
fn reports_a_truncated_binary_message() {
    let wire = hex::decode(hex_digits(STRUCTURE_EXAMPLE)).expect("hex");
    let error = fail(&["ttlv", "decode"], &wire[..20], 1);
    assert!(error.contains("message ends inside an item value"), "{error}");
    assert!(error.contains("at byte 8"), "{error}");
}

#[test]
fn tells_hex_text_given_as_binary_to_use_input_hex() {
    let error = fail(&["ttlv", "decode"], STRUCTURE_EXAMPLE.as_bytes(), 1);
    assert!(error.contains("--input hex"), "{error}");
}

#[test]
fn reports_where_hex_text_goes_wrong() {
    let error = fail(&["ttlv", "decode", "--input", "hex"], b"42 00 20\n01 0g", 1);
    assert!(error.contains("line 2, column 5"), "{error}");
}

#[test]
fn refuses_a_message_larger_than_max_size() {
    let error = fail(&["ttlv", "decode", "--input", "hex", "--max-size", "16"], STRUCTURE_EXAMPLE.as_bytes(), 1);
    assert!(error.contains("exceeds the limit of 16"), "{error}");
}

#[test]
fn encodes_and_decodes_a_file_with_several_messages() {
    let xml_file = scratch_file("two-messages.xml", TWO_MESSAGES_XML.as_bytes());
    let hex = succeed(&["ttlv", "encode", "--output", "hex", xml_file.to_str().expect("UTF-8 path")], b"");
    assert_eq!(hex.lines().count(), 2, "one line per message: {hex}");

    let output = keyward(&["ttlv", "encode", xml_file.to_str().expect("UTF-8 path")], b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let wire_file = scratch_file("two-messages.ttlv", &output.stdout);
    assert_eq!(hex::encode_upper(&output.stdout), hex.replace('\n', ""), "binary and hex agree");

    let xml = succeed(&["ttlv", "decode", "--output", "xml", wire_file.to_str().expect("UTF-8 path")], b"");
    assert_eq!(xml, TWO_MESSAGES_XML);
    let text = succeed(&["ttlv", "decode", wire_file.to_str().expect("UTF-8 path")], b"");
    assert!(text.starts_with("RequestMessage\n"), "{text}");
    assert!(text.contains("\n\nResponseMessage\n"), "{text}");
    let json = succeed(&["ttlv", "decode", "--output", "json", wire_file.to_str().expect("UTF-8 path")], b"");
    assert!(json.starts_with('['), "several messages make a JSON array: {json}");
    let again = succeed(&["ttlv", "encode", "--output", "hex"], json.as_bytes());
    assert_eq!(again, hex);
}

#[test]
fn counts_offsets_from_the_start_of_the_input_in_later_messages() {
    let one = hex_digits(STRUCTURE_EXAMPLE);
    // The second copy loses its last byte: the fault is in message 2, which starts at byte 40.
    let input = format!("{one}{}", &one[..one.len() - 2]);
    let error = fail(&["ttlv", "decode", "--input", "hex"], input.as_bytes(), 1);
    assert!(error.contains("message 2 (starting at byte 40)"), "{error}");
    assert!(error.contains("at byte 48"), "{error}");
}

#[test]
fn reports_the_line_and_column_of_bad_xml() {
    let error = fail(
        &["ttlv", "encode", "--output", "hex"],
        b"<KMIP>\n  <NoSuchTag type=\"Integer\" value=\"1\"/>\n</KMIP>\n",
        1,
    );
    assert!(error.contains("line 2, column"), "{error}");
    assert!(error.contains("NoSuchTag"), "{error}");
}

#[test]
fn reports_the_path_of_bad_json() {
    let json = br#"{"tag":"RequestMessage","value":[{"tag":"BatchCount","type":"Integer","value":"many"}]}"#;
    let error = fail(&["ttlv", "encode", "--output", "hex"], json, 1);
    assert!(error.contains("$.value[0]"), "{error}");
}

#[test]
fn asks_for_the_input_format_when_it_cannot_tell() {
    let error = fail(&["ttlv", "encode", "--output", "hex"], b"RequestMessage", 1);
    assert!(error.contains("--input xml"), "{error}");
}

#[test]
fn usage_errors_exit_2() {
    fail(&["ttlv", "decode", "--output", "yaml"], b"", 2);
    fail(&["ttlv", "transmogrify"], b"", 2);
}
