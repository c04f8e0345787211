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

/// Discover Versions (1.4 §4.26, 2.1 §6.1.19): the server answers with the versions it supports,
/// "ranked in decreasing order of preference", all of them when the client listed none, else "only
/// the protocol versions that are supported by both". A reference server that spoke fewer versions
/// wrote fewer. A server that speaks more answers as rightly, provided every version the test case
/// expects is in its answer in the same relative order, and, when the client listed versions,
/// nothing outside that list.
pub fn is_discover_versions_superset(
    operation: Option<&str>,
    asked: &[Item],
    expected: &[&Item],
    actual: &[&Item],
) -> bool {
    let versions = |items: &[&Item]| items.iter().all(|i| i.tag == Tag::ProtocolVersion);
    if operation != Some("DiscoverVersions") || !versions(expected) || !versions(actual) {
        return false;
    }
    if !asked.is_empty() && !actual.iter().all(|a| asked.contains(a)) {
        return false;
    }
    // The expected versions are a subsequence of the actual ones.
    let mut remaining = actual.iter();
    expected.iter().all(|e| remaining.any(|a| a == e))
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
        // AES-128 in ECB mode (FIPS 197, SP 800-38A) under the key 0123456789abcdef0123456789abcdef
        // turns 0102...16 into d9bcce11..., as CS-BC-M-4-13 and CS-BC-M-6-14 (the same case in 1.4)
        // expect; CS-BC-M-6-13 expects the ciphertext of CS-BC-M-1-13, under a key the reference
        // server generated, for its Encrypt and decrypts that ciphertext back to 0102...16.
        || file.ends_with("CS-BC-M-6-13.xml") && at("ResponseMessage/BatchItem[1]/ResponsePayload/Data")
}

/// Test cases whose expected Result Reason is not the one the specification gives for the error,
/// each tolerated for exactly that reason in exactly those files (also in docs/conformance.md).
/// `expected` and `actual` are the Result Reasons.
pub fn is_result_reason_erratum(file: &str, expected: &Item, actual: &Item) -> bool {
    let reason = |item: &Item| match item.value {
        Value::Enumeration(value) if item.tag == Tag::ResultReason => {
            Tag::ResultReason.def().and_then(|d| d.enumeration()).and_then(|e| e.value_def(value)).map(|d| d.camel)
        }
        _ => None,
    };
    let name = file.rsplit('/').next().unwrap_or(file);
    let case = |prefix: &str| name.starts_with(prefix);
    match (reason(expected), reason(actual)) {
        // A Decrypt without the IV its mode needs. 1.4 §6.10 (Result Reason): Missing Data is
        // "The operation REQUIRED additional information in the request, which was not present",
        // Invalid Message "The request message was not understood by the server"; 2.0 added the
        // reason Missing Initialization Vector for exactly this (2.1 §6.1.11.1 lists it for
        // Decrypt). CS-BC-M-11, -12 and -13 expect Invalid Message in every version.
        (Some("InvalidMessage"), Some("MissingData" | "MissingInitializationVector")) => {
            case("CS-BC-M-11-") || case("CS-BC-M-12-") || case("CS-BC-M-13-")
        }
        // An Encrypt asking for a tag of 1 or 32 bytes, which AES-GCM (SP 800-38D §5.2.1.2: 4, 8,
        // 12 to 16 bytes) and Poly1305 (16 bytes) do not have: "Some data item in the request has
        // an invalid value" is Invalid Field (1.4 §6.10), General Failure being "for a reason
        // other than the defined reasons above". CS-BC-M-GCM-1 and CS-BC-M-CHACHA20POLY1305-1
        // expect General Failure.
        (Some("GeneralFailure"), Some("InvalidField")) => case("CS-BC-M-GCM-1-") || case("CS-BC-M-CHACHA20POLY1305-1-"),
        _ => false,
    }
}

/// A value a test case refers to by a placeholder that its response does not define: the
/// response gives a literal where the later request names `placeholder`. `random` says whether
/// the literal is a random choice of the reference server (then only its length is compared)
/// or a value that must come out the same (then it is compared, and bound too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErratumBinding {
    pub placeholder: &'static str,
    pub random: bool,
}

/// The placeholders the test cases use without defining them, each tied to exactly the response
/// field that should have defined it (also in docs/conformance.md):
///
/// - CS-BC-M-13-13, -14 and -20 encrypt with a Random IV (1.4 §3.6: the server generates it) and
///   give the reference server's IV and ciphertext as literals, then decrypt with `$DATA_0` and
///   `$IV_COUNTER_NONCE`; CS-BC-M-13-21 writes those placeholders in the response.
/// - CS-AC-M-6 (every version) gives the MAC as a literal, then verifies `$MAC_DATA`.
/// - CS-AC-M-1-13 gives an RSA-PSS signature (randomized: RFC 8017 §9.1.1) as a literal, where
///   CS-AC-M-1-14 writes `$SIGNATURE_DATA`.
pub fn erratum_binding(file: &str, operation: Option<&str>, path: &[String]) -> Option<ErratumBinding> {
    let name = file.rsplit('/').next().unwrap_or(file);
    let field = path.last().map(String::as_str);
    let bind = |placeholder, random| Some(ErratumBinding { placeholder, random });
    match (operation, field) {
        (Some("Encrypt"), Some("Data"))
            if matches!(name, "CS-BC-M-13-13.xml" | "CS-BC-M-13-14.xml" | "CS-BC-M-13-20.xml") =>
        {
            bind("$DATA_0", true)
        }
        (Some("Encrypt"), Some("IVCounterNonce"))
            if matches!(name, "CS-BC-M-13-13.xml" | "CS-BC-M-13-14.xml" | "CS-BC-M-13-20.xml") =>
        {
            bind("$IV_COUNTER_NONCE", true)
        }
        (Some("MAC"), Some("MACData")) if name.starts_with("CS-AC-M-6-") => bind("$MAC_DATA", false),
        (Some("Sign"), Some("SignatureData")) if name == "CS-AC-M-1-13.xml" => bind("$SIGNATURE_DATA", true),
        _ => None,
    }
}

/// Output of a cryptographic operation that is the server's random choice, compared by length
/// only:
///
/// - the bytes of RNG Retrieve (2.1 §6.1.49: "output from a Random Number Generator");
/// - the output of an operation under a key the server generated (2.1 §6.1.10 Create: the key is
///   the server's random choice, so is what it computes): Data, MAC Data, Signature Data and the
///   Authenticated Encryption Tag;
/// - RSA encryption under a public key, whose padding is random (RFC 8017 §7.1.1 OAEP seed,
///   §7.2.1 PKCS#1 v1.5 padding string).
pub fn is_random_output(operation: Option<&str>, path: &[String], generated_key: bool, public_key: bool) -> bool {
    let field = path.last().map(String::as_str);
    let output = matches!(field, Some("Data" | "MACData" | "SignatureData" | "AuthenticatedEncryptionTag"));
    match operation {
        Some("RNGRetrieve") => field == Some("Data"),
        Some("Encrypt") if public_key => field == Some("Data"),
        Some("Encrypt" | "Decrypt" | "Sign" | "MAC") => generated_key && output,
        _ => false,
    }
}

/// The PKCS#11 operation's output parameters (2.1 §6.1.37) come from the server's own PKCS#11
/// module: C_GetInfo's CK_INFO (PKCS#11 3.0 §3.1) names that module's manufacturer, description
/// and versions, which are the reference server's in the test case ("TEST Pty Ltd") and another
/// module's anywhere else. The runner accepts any output of the same length (CK_INFO's fixed
/// layout, 76 bytes as encoded), and says so in docs/conformance.md.
pub fn is_pkcs11_module_output(operation: Option<&str>, path: &[String]) -> bool {
    operation == Some("PKCS_11") && path.last().map(String::as_str) == Some("PKCS_11OutputParameters")
}

/// The Data Length of an RNG Seed response is "the amount of seed data used" (1.4 §4.36, 2.1
/// §6.1.50), and a server "MAY elect to ignore the information provided by the client" and then
/// answer zero. The reference server ignored the seed; a server that uses some or all of it
/// answers as rightly with any amount from zero to the length of the seed sent.
pub fn is_rng_seed_amount(operation: Option<&str>, path: &[String], used: i32, sent: Option<usize>) -> bool {
    operation == Some("RNGSeed")
        && path.last().is_some_and(|p| p == "DataLength")
        && sent.is_some_and(|sent| usize::try_from(used).is_ok_and(|used| used <= sent))
}

/// Two Byte Strings of the same length (what [`is_random_output`] and random [`ErratumBinding`]s
/// compare).
pub fn same_length(expected: &Value, actual: &Value) -> bool {
    matches!((expected, actual), (Value::ByteString(e), Value::ByteString(a)) if e.len() == a.len())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rng_seed_may_be_used_in_part_or_whole() {
        let path = vec!["ResponsePayload".to_string(), "DataLength".to_string()];
        let seed = Some("RNGSeed");
        assert!(is_rng_seed_amount(seed, &path, 0, Some(16)));
        assert!(is_rng_seed_amount(seed, &path, 16, Some(16)));
        assert!(!is_rng_seed_amount(seed, &path, 17, Some(16)), "more than was sent");
        assert!(!is_rng_seed_amount(seed, &path, -1, Some(16)));
        assert!(!is_rng_seed_amount(Some("RNGRetrieve"), &path, 16, Some(16)));
        assert!(!is_rng_seed_amount(seed, &path, 0, None));
    }

    fn reason(name: &str) -> Item {
        let def = Tag::ResultReason.def().and_then(|d| d.enumeration()).expect("Result Reason");
        let value = def.values.iter().find(|v| v.camel == name).map(|v| v.value).expect(name);
        Item::new(Tag::ResultReason, Value::Enumeration(value))
    }

    fn path(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| p.to_string()).collect()
    }

    fn version(major: i32, minor: i32) -> Item {
        Item::structure(
            Tag::ProtocolVersion,
            vec![Item::integer(Tag::ProtocolVersionMajor, major), Item::integer(Tag::ProtocolVersionMinor, minor)],
        )
    }

    #[test]
    fn more_versions_than_expected_are_accepted_in_the_expected_order_only() {
        let (v21, v14, v12, v11) = (version(2, 1), version(1, 4), version(1, 2), version(1, 1));
        let ours = [&v21, &v14, &v12, &v11];
        let op = Some("DiscoverVersions");
        assert!(is_discover_versions_superset(op, &[], &[&v12, &v11], &ours));
        assert!(!is_discover_versions_superset(op, &[], &[&v11, &v12], &ours), "order of preference");
        assert!(!is_discover_versions_superset(op, &[], &[&v12, &v11], &[&v12]), "a version is missing");
        // The client listed 1.2 and 1.1: 2.1 is not among them.
        let asked = [v12.clone(), v11.clone()];
        assert!(is_discover_versions_superset(op, &asked, &[&v12, &v11], &[&v12, &v11]));
        assert!(!is_discover_versions_superset(op, &asked, &[&v12, &v11], &ours));
        assert!(!is_discover_versions_superset(Some("Query"), &[], &[&v12], &ours));
    }

    #[test]
    fn reason_errata_hold_for_their_files_and_reasons_only() {
        let file = "../shared/kmip-testcases/v2.1/mandatory/CS-BC-M-12-21.xml";
        let expected = reason("InvalidMessage");
        assert!(is_result_reason_erratum(file, &expected, &reason("MissingInitializationVector")));
        assert!(!is_result_reason_erratum(file, &expected, &reason("PermissionDenied")));
        assert!(!is_result_reason_erratum("v2.1/mandatory/CS-BC-M-10-21.xml", &expected, &reason("MissingData")));
        let gcm = "v1.4/mandatory/CS-BC-M-GCM-1-14.xml";
        assert!(is_result_reason_erratum(gcm, &reason("GeneralFailure"), &reason("InvalidField")));
        assert!(!is_result_reason_erratum(gcm, &reason("GeneralFailure"), &reason("CryptographicFailure")));
    }

    #[test]
    fn placeholders_are_bound_only_where_the_test_case_needs_them() {
        let data = path(&["ResponseMessage", "BatchItem[1]", "ResponsePayload", "Data"]);
        let bound = erratum_binding("v1.4/mandatory/CS-BC-M-13-14.xml", Some("Encrypt"), &data);
        assert_eq!(bound, Some(ErratumBinding { placeholder: "$DATA_0", random: true }));
        assert_eq!(erratum_binding("v1.4/mandatory/CS-BC-M-13-14.xml", Some("Decrypt"), &data), None);
        assert_eq!(erratum_binding("v2.1/mandatory/CS-BC-M-13-21.xml", Some("Encrypt"), &data), None);
        let mac = path(&["ResponseMessage", "BatchItem[1]", "ResponsePayload", "MACData"]);
        let bound = erratum_binding("v2.0/mandatory/CS-AC-M-6-20.xml", Some("MAC"), &mac);
        assert_eq!(bound, Some(ErratumBinding { placeholder: "$MAC_DATA", random: false }));
    }

    #[test]
    fn random_outputs_are_those_of_random_choices() {
        let data = path(&["ResponseMessage", "BatchItem[1]", "ResponsePayload", "Data"]);
        assert!(is_random_output(Some("RNGRetrieve"), &data, false, false));
        assert!(is_random_output(Some("Encrypt"), &data, true, false));
        assert!(is_random_output(Some("Encrypt"), &data, false, true));
        assert!(!is_random_output(Some("Encrypt"), &data, false, false));
        assert!(!is_random_output(Some("Hash"), &data, true, true));
        assert!(same_length(&Value::ByteString(vec![1, 2].into()), &Value::ByteString(vec![3, 4].into())));
        assert!(!same_length(&Value::ByteString(vec![1].into()), &Value::ByteString(vec![3, 4].into())));
    }
}
