//! The cryptographic operations through the dispatcher: Encrypt, Decrypt, Sign, Signature
//! Verify, MAC, MAC Verify, Hash, RNG Retrieve and RNG Seed, in one part and in several, with the
//! refusals of the usage mask, the state, the dates and the Usage Limits.
//!
//! Expected values are published vectors (NIST SP 800-38A, SP 800-38B, SP 800-67, the GCM
//! specification, RFC 4231, RFC 8032, RFC 8439, FIPS 180-4), never values computed by this
//! server. Asymmetric keys without a published vector are generated here and checked by round
//! trips, and by a tampered signature failing.

mod support;

use keyward_crypto::asymmetric::{KeyPairSpec, generate_key_pair};
use keyward_ttlv::KmipVersion::{self, V1_2, V1_3, V1_4, V2_0, V2_1};
use keyward_ttlv::datetime::format_seconds;
use keyward_ttlv::{Item, Tag, Value};
use support::*;

// ---- Requests -----------------------------------------------------------------------------------

/// An hour before the test clock: keys registered with it are Active.
fn an_hour_ago() -> String {
    format_seconds(NOW - 3600)
}

/// Registers a key (the XML of its object, e.g. `<SymmetricKey>...`) with a usage mask and the
/// extra attributes given as (1.x name, 2.x tag, type, value); returns its identifier.
fn register(
    server: &Server,
    version: KmipVersion,
    object_type: &str,
    object: &str,
    extra: &[(&str, &str, &str, &str)],
) -> String {
    let attributes: Vec<String> = extra
        .iter()
        .map(|(name, tag, kind, value)| {
            if version.is_1x() {
                format!(
                    r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue type="{kind}" value="{value}"/></Attribute>"#
                )
            } else {
                format!(r#"<{tag} type="{kind}" value="{value}"/>"#)
            }
        })
        .collect();
    let attributes = if version.is_1x() {
        format!("<TemplateAttribute>{}</TemplateAttribute>", attributes.concat())
    } else {
        format!("<Attributes>{}</Attributes>", attributes.concat())
    };
    let item = format!(
        r#"<BatchItem><Operation type="Enumeration" value="Register"/><RequestPayload>
        <ObjectType type="Enumeration" value="{object_type}"/>{attributes}{object}</RequestPayload></BatchItem>"#
    );
    text(&server.ok("alice", version, &item), Tag::UniqueIdentifier).expect("Register returns the identifier")
}

fn key_block(format: &str, material: &str, algorithm: &str, bits: usize) -> String {
    format!(
        r#"<KeyBlock><KeyFormatType type="Enumeration" value="{format}"/><KeyValue><KeyMaterial type="ByteString" value="{material}"/></KeyValue><CryptographicAlgorithm type="Enumeration" value="{algorithm}"/><CryptographicLength type="Integer" value="{bits}"/></KeyBlock>"#
    )
}

/// An Active symmetric key with the usage mask `mask`.
fn symmetric(server: &Server, version: KmipVersion, algorithm: &str, key: &str, mask: &str) -> String {
    let object = format!("<SymmetricKey>{}</SymmetricKey>", key_block("Raw", key, algorithm, key.len() * 4));
    let active = an_hour_ago();
    let extra = [
        ("Cryptographic Usage Mask", "CryptographicUsageMask", "Integer", mask),
        ("Activation Date", "ActivationDate", "DateTime", active.as_str()),
    ];
    register(server, version, "SymmetricKey", &object, &extra)
}

fn aes(server: &Server, version: KmipVersion, key: &str) -> String {
    symmetric(server, version, "AES", key, "Encrypt Decrypt")
}

/// Cryptographic Parameters from (tag, type, value) triples.
fn parameters(fields: &[(&str, &str, &str)]) -> String {
    let fields: String =
        fields.iter().map(|(tag, kind, value)| format!(r#"<{tag} type="{kind}" value="{value}"/>"#)).collect();
    format!("<CryptographicParameters>{fields}</CryptographicParameters>")
}

fn mode(mode: &str) -> String {
    parameters(&[("BlockCipherMode", "Enumeration", mode)])
}

/// A batch item of `operation` on key `uid` with the given payload fields.
fn item(operation: &str, uid: &str, fields: &str) -> String {
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="{operation}"/><RequestPayload><UniqueIdentifier type="TextString" value="{uid}"/>{fields}</RequestPayload></BatchItem>"#
    )
}

fn bytes_field(tag: &str, hex: &str) -> String {
    format!(r#"<{tag} type="ByteString" value="{hex}"/>"#)
}

fn data(hex: &str) -> String {
    bytes_field("Data", hex)
}

fn iv(hex: &str) -> String {
    bytes_field("IVCounterNonce", hex)
}

// ---- Responses ----------------------------------------------------------------------------------

/// The bytes of the first `tag` in a payload, as hex.
fn hex_of(payload: &Item, tag: Tag) -> Option<String> {
    match payload.child(tag).map(|c| &c.value) {
        Some(Value::ByteString(bytes)) => Some(hex::encode(bytes.as_slice())),
        _ => None,
    }
}

fn output(payload: &Item) -> String {
    hex_of(payload, Tag::Data).unwrap_or_else(|| panic!("no Data in {}", show(payload)))
}

fn validity(payload: &Item) -> String {
    match payload.child(Tag::ValidityIndicator).map(|c| &c.value) {
        Some(Value::Enumeration(1)) => "Valid".into(),
        Some(Value::Enumeration(2)) => "Invalid".into(),
        Some(Value::Enumeration(3)) => "Unknown".into(),
        other => panic!("no Validity Indicator: {other:?} in {}", show(payload)),
    }
}

/// Encrypts with the fields given and decrypts the result back, checking both against the
/// published values.
fn round_trip(server: &Server, version: KmipVersion, uid: &str, setup: &str, plain: &str, cipher: &str) {
    let encrypted = server.ok("alice", version, &item("Encrypt", uid, &format!("{setup}{}", data(plain))));
    assert_eq!(output(&encrypted), cipher);
    let decrypted = server.ok("alice", version, &item("Decrypt", uid, &format!("{setup}{}", data(cipher))));
    assert_eq!(output(&decrypted), plain);
}

// ---- Block ciphers ------------------------------------------------------------------------------

// NIST SP 800-38A, appendix F: AES-128 key and the first plaintext block.
const SP800_38A_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const SP800_38A_BLOCK: &str = "6bc1bee22e409f96e93d7e117393172a";

#[test]
fn aes_ecb_cbc_and_ctr_match_sp_800_38a() {
    for version in [V1_4, V2_1] {
        let server = Server::new();
        let key = aes(&server, version, SP800_38A_KEY);
        // F.1.1 ECB-AES128.Encrypt.
        round_trip(&server, version, &key, &mode("ECB"), SP800_38A_BLOCK, "3ad77bb40d7a3660a89ecaf32466ef97");
        // F.2.1 CBC-AES128.Encrypt.
        let cbc = format!("{}{}", mode("CBC"), iv("000102030405060708090a0b0c0d0e0f"));
        round_trip(&server, version, &key, &cbc, SP800_38A_BLOCK, "7649abac8119b246cee98e9b12e9197d");
        // F.5.1 CTR-AES128.Encrypt, with the whole initial counter block as the IV.
        let ctr = format!("{}{}", mode("CTR"), iv("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"));
        round_trip(&server, version, &key, &ctr, SP800_38A_BLOCK, "874d6191b620e3261bef6864990db6ce");
    }
}

#[test]
fn a_ctr_nonce_is_completed_by_the_initial_counter_value() {
    // RFC 3686 §6, test vector #1: the 4-byte nonce and 8-byte IV, then a block counter from 1.
    let server = Server::new();
    let key = aes(&server, V2_1, "ae6852f8121067cc4bf7a5765577f39e");
    let setup = format!(
        "{}{}",
        parameters(&[("BlockCipherMode", "Enumeration", "CTR"), ("InitialCounterValue", "Integer", "1")]),
        iv("000000300000000000000000")
    );
    let plain = hex::encode("Single block msg");
    round_trip(&server, V2_1, &key, &setup, &plain, "e4095d4fb7a7b3792d6175a3261311b8");
}

#[test]
fn triple_des_matches_sp_800_67() {
    // SP 800-67 Rev. 1, appendix B: three-key TDEA in ECB on "The qufck brown fox jump".
    // Encrypting with Triple DES is outside the default algorithm policy (SP 800-131A Rev. 2).
    let server = Server::with_algorithms(legacy_algorithms());
    let key = symmetric(&server, V1_4, "DES3", "0123456789abcdef23456789abcdef01456789abcdef0123", "Encrypt Decrypt");
    let plain = hex::encode("The qufck brown fox jump");
    round_trip(&server, V1_4, &key, &mode("ECB"), &plain, "a826fd8ce53b855fcce21c8112256fe668d5c05dd9b6b900");
}

#[test]
fn pkcs5_padding_adds_a_block_and_is_checked() {
    // F.1.1's block with PKCS#5 padding: the block, then a full block of padding.
    let server = Server::new();
    let key = aes(&server, V1_4, SP800_38A_KEY);
    let padded = parameters(&[("BlockCipherMode", "Enumeration", "ECB"), ("PaddingMethod", "Enumeration", "PKCS5")]);
    let encrypted = server.ok("alice", V1_4, &item("Encrypt", &key, &format!("{padded}{}", data(SP800_38A_BLOCK))));
    let ciphertext = output(&encrypted);
    assert_eq!(ciphertext.len(), 64);
    assert!(ciphertext.starts_with("3ad77bb40d7a3660a89ecaf32466ef97"));
    // The same ciphertext without its padding block no longer ends with valid padding.
    let truncated = format!("{padded}{}", data("3ad77bb40d7a3660a89ecaf32466ef97"));
    assert_eq!(server.fails("alice", V1_4, &item("Decrypt", &key, &truncated)), "CryptographicFailure");
}

#[test]
fn the_server_makes_an_iv_when_asked_or_needed_and_returns_it() {
    for random in [true, false] {
        let server = Server::new();
        let key = aes(&server, V1_4, SP800_38A_KEY);
        let mut fields = vec![("BlockCipherMode", "Enumeration", "CBC")];
        if random {
            fields.push(("RandomIV", "Boolean", "true"));
        }
        let setup = parameters(&fields);
        let encrypted = server.ok("alice", V1_4, &item("Encrypt", &key, &format!("{setup}{}", data(SP800_38A_BLOCK))));
        let made = hex_of(&encrypted, Tag::IVCounterNonce).expect("the server's IV is returned");
        assert_eq!(made.len(), 32, "a 16-byte CBC IV");
        let back = format!("{setup}{}{}", data(&output(&encrypted)), iv(&made));
        assert_eq!(output(&server.ok("alice", V1_4, &item("Decrypt", &key, &back))), SP800_38A_BLOCK);
    }
}

#[test]
fn a_given_iv_is_not_returned_and_ecb_takes_none() {
    let server = Server::new();
    let key = aes(&server, V2_1, SP800_38A_KEY);
    let cbc = format!("{}{}{}", mode("CBC"), iv("000102030405060708090a0b0c0d0e0f"), data(SP800_38A_BLOCK));
    assert_eq!(hex_of(&server.ok("alice", V2_1, &item("Encrypt", &key, &cbc)), Tag::IVCounterNonce), None);
    let ecb = format!("{}{}", mode("ECB"), data(SP800_38A_BLOCK));
    assert_eq!(hex_of(&server.ok("alice", V2_1, &item("Encrypt", &key, &ecb)), Tag::IVCounterNonce), None);
}

#[test]
fn decrypting_without_the_iv_is_refused_in_each_versions_words() {
    for (version, reason) in [(V1_4, "MissingData"), (V2_1, "MissingInitializationVector")] {
        let server = Server::new();
        let key = aes(&server, version, SP800_38A_KEY);
        let request = item("Decrypt", &key, &format!("{}{}", mode("CBC"), data("7649abac8119b246cee98e9b12e9197d")));
        assert_eq!(server.fails("alice", version, &request), reason);
    }
}

#[test]
fn the_keys_cryptographic_parameters_apply_when_the_request_has_none() {
    let server = Server::new();
    let object = format!("<SymmetricKey>{}</SymmetricKey>", key_block("Raw", SP800_38A_KEY, "AES", 128));
    let active = an_hour_ago();
    let extra = [
        ("Cryptographic Usage Mask", "CryptographicUsageMask", "Integer", "Encrypt Decrypt"),
        ("Activation Date", "ActivationDate", "DateTime", active.as_str()),
    ];
    let key = register(&server, V1_4, "SymmetricKey", &object, &extra);
    let add = format!(
        r#"<BatchItem><Operation type="Enumeration" value="AddAttribute"/><RequestPayload><UniqueIdentifier type="TextString" value="{key}"/>
        <Attribute><AttributeName type="TextString" value="Cryptographic Parameters"/><AttributeValue><BlockCipherMode type="Enumeration" value="ECB"/></AttributeValue></Attribute>
        </RequestPayload></BatchItem>"#
    );
    server.ok("alice", V1_4, &add);
    round_trip(&server, V1_4, &key, "", SP800_38A_BLOCK, "3ad77bb40d7a3660a89ecaf32466ef97");
}

// ---- Authenticated encryption -------------------------------------------------------------------

// The GCM specification (McGrew and Viega), test cases 2 and 5.
const GCM_ZERO_KEY: &str = "00000000000000000000000000000000";
const GCM_KEY: &str = "feffe9928665731c6d6a8f9467308308";
const GCM_IV_64: &str = "cafebabefacedbad";
const GCM_AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
const GCM_PLAIN: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
const GCM_CIPHER: &str = "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598";
const GCM_TAG: &str = "3612d2e79e3b0785561be14aaca2fccb";

fn gcm(tag_len: usize) -> String {
    parameters(&[("BlockCipherMode", "Enumeration", "GCM"), ("TagLength", "Integer", &tag_len.to_string())])
}

#[test]
fn gcm_matches_the_gcm_specification_and_checks_its_tag() {
    let server = Server::new();
    let key = aes(&server, V1_4, GCM_ZERO_KEY);
    let setup = format!("{}{}", gcm(16), iv("000000000000000000000000"));
    let encrypted = server.ok("alice", V1_4, &item("Encrypt", &key, &format!("{setup}{}", data(GCM_ZERO_KEY))));
    assert_eq!(output(&encrypted), "0388dace60b6a392f328c2b971b2fe78");
    assert_eq!(hex_of(&encrypted, Tag::AuthenticatedEncryptionTag).unwrap(), "ab6e47d42cec13bdf53a67b21257bddf");

    let decrypt = |tag: &str, setup: &str| {
        item(
            "Decrypt",
            &key,
            &format!(
                "{setup}{}{}",
                data("0388dace60b6a392f328c2b971b2fe78"),
                bytes_field("AuthenticatedEncryptionTag", tag)
            ),
        )
    };
    let plain = server.ok("alice", V1_4, &decrypt("ab6e47d42cec13bdf53a67b21257bddf", &setup));
    assert_eq!(output(&plain), GCM_ZERO_KEY);
    // A tag one bit off, or the right tag with another IV, fails without releasing anything.
    assert_eq!(
        server.fails("alice", V1_4, &decrypt("ab6e47d42cec13bdf53a67b21257bdde", &setup)),
        "CryptographicFailure"
    );
    let other_iv = format!("{}{}", gcm(16), iv("ff0000000000000000000000"));
    assert_eq!(
        server.fails("alice", V1_4, &decrypt("ab6e47d42cec13bdf53a67b21257bddf", &other_iv)),
        "CryptographicFailure"
    );
    // A shorter tag is the leading bytes of the full one.
    let short = format!("{}{}", gcm(12), iv("000000000000000000000000"));
    assert_eq!(output(&server.ok("alice", V1_4, &decrypt("ab6e47d42cec13bdf53a67b2", &short))), GCM_ZERO_KEY);
    // Tag lengths GCM does not have are invalid values.
    let invalid = format!("{}{}{}", gcm(32), iv("000000000000000000000000"), data(GCM_ZERO_KEY));
    assert_eq!(server.fails("alice", V1_4, &item("Encrypt", &key, &invalid)), "InvalidField");
}

#[test]
fn gcm_with_a_64_bit_iv_and_additional_data() {
    let server = Server::new();
    let key = aes(&server, V2_1, GCM_KEY);
    let setup =
        format!("{}{}{}", gcm(16), iv(GCM_IV_64), bytes_field("AuthenticatedEncryptionAdditionalData", GCM_AAD));
    let encrypted = server.ok("alice", V2_1, &item("Encrypt", &key, &format!("{setup}{}", data(GCM_PLAIN))));
    assert_eq!(output(&encrypted), GCM_CIPHER);
    assert_eq!(hex_of(&encrypted, Tag::AuthenticatedEncryptionTag).unwrap(), GCM_TAG);
    let back = format!("{setup}{}{}", data(GCM_CIPHER), bytes_field("AuthenticatedEncryptionTag", GCM_TAG));
    assert_eq!(output(&server.ok("alice", V2_1, &item("Decrypt", &key, &back))), GCM_PLAIN);
}

#[test]
fn a_server_made_gcm_iv_is_12_bytes_and_opens_the_message() {
    let server = Server::new();
    let key = aes(&server, V2_1, GCM_KEY);
    let random = parameters(&[
        ("BlockCipherMode", "Enumeration", "GCM"),
        ("RandomIV", "Boolean", "true"),
        ("TagLength", "Integer", "16"),
    ]);
    let encrypted = server.ok("alice", V2_1, &item("Encrypt", &key, &format!("{random}{}", data(GCM_PLAIN))));
    let made = hex_of(&encrypted, Tag::IVCounterNonce).unwrap();
    assert_eq!(made.len(), 24);
    let tag = hex_of(&encrypted, Tag::AuthenticatedEncryptionTag).unwrap();
    let back = format!(
        "{}{}{}{}",
        gcm(16),
        iv(&made),
        data(&output(&encrypted)),
        bytes_field("AuthenticatedEncryptionTag", &tag)
    );
    assert_eq!(output(&server.ok("alice", V2_1, &item("Decrypt", &key, &back))), GCM_PLAIN);
}

#[test]
fn authenticated_encryption_needs_kmip_1_4() {
    let server = Server::new();
    let key = aes(&server, V1_3, GCM_KEY);
    let request = item("Encrypt", &key, &format!("{}{}{}", gcm(16), iv(GCM_IV_64), data(GCM_PLAIN)));
    assert_eq!(server.fails("alice", V1_3, &request), "FeatureNotSupported");
}

// RFC 8439 §2.8.2: the ChaCha20-Poly1305 example.
const CC_KEY: &str = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
const CC_NONCE: &str = "070000004041424344454647";
const CC_AAD: &str = "50515253c0c1c2c3c4c5c6c7";
const CC_PLAIN: &str = "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a204966204920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73637265656e20776f756c642062652069742e";
const CC_CIPHER: &str = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116";
const CC_TAG: &str = "1ae10b594f09e26a7e902ecbd0600691";

#[test]
fn chacha20_poly1305_matches_rfc_8439() {
    let server = Server::new();
    let key = symmetric(&server, V2_0, "ChaCha20Poly1305", CC_KEY, "Encrypt Decrypt");
    let setup = format!("{}{}", iv(CC_NONCE), bytes_field("AuthenticatedEncryptionAdditionalData", CC_AAD));
    let encrypted = server.ok("alice", V2_0, &item("Encrypt", &key, &format!("{setup}{}", data(CC_PLAIN))));
    assert_eq!(output(&encrypted), CC_CIPHER);
    assert_eq!(hex_of(&encrypted, Tag::AuthenticatedEncryptionTag).unwrap(), CC_TAG);
    let open = |tag: &str, tag_len: &str| {
        let setup = format!("{}{setup}", parameters(&[("TagLength", "Integer", tag_len)]));
        item("Decrypt", &key, &format!("{setup}{}{}", data(CC_CIPHER), bytes_field("AuthenticatedEncryptionTag", tag)))
    };
    assert_eq!(output(&server.ok("alice", V2_0, &open(CC_TAG, "16"))), CC_PLAIN);
    // A 12-byte tag is the full tag's first 12 bytes.
    assert_eq!(output(&server.ok("alice", V2_0, &open(&CC_TAG[..24], "12"))), CC_PLAIN);
    assert_eq!(server.fails("alice", V2_0, &open("ffe10b594f09e26a7e902ecbd0600691", "16")), "CryptographicFailure");
    assert_eq!(server.fails("alice", V2_0, &open("ffe10b594f09e26a7e902ecb", "12")), "CryptographicFailure");
}

#[test]
fn chacha20_takes_the_rfc_8439_and_the_original_nonce() {
    let server = Server::new();
    let key = symmetric(&server, V2_1, "ChaCha20", &"00".repeat(32), "Encrypt Decrypt");
    // RFC 8439 A.1, test vector #1: the all-zero key, nonce and block counter 0.
    let keystream = "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586";
    for nonce in ["000000000000000000000000", "0000000000000000"] {
        round_trip(&server, V2_1, &key, &iv(nonce), &"00".repeat(64), keystream);
    }
    // RFC 8439 A.1, test vector #2: the same with block counter 1.
    let second = "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f";
    let counter =
        format!("{}{}", parameters(&[("InitialCounterValue", "Integer", "1")]), iv("000000000000000000000000"));
    round_trip(&server, V2_1, &key, &counter, &"00".repeat(64), second);
}

// ---- Multi-part operations ----------------------------------------------------------------------

/// A part of a multi-part operation: the Init Indicator on the first, the Correlation Value on
/// the others, the Final Indicator on the last.
fn part(operation: &str, uid: &str, fields: &str, correlation: Option<&str>, last: bool) -> String {
    let position = match correlation {
        None => r#"<InitIndicator type="Boolean" value="true"/>"#.to_string(),
        Some(value) => bytes_field("CorrelationValue", value),
    };
    let last = if last { r#"<FinalIndicator type="Boolean" value="true"/>"# } else { "" };
    item(operation, uid, &format!("{fields}{position}{last}"))
}

#[test]
fn gcm_in_parts_hands_out_each_parts_ciphertext() {
    for version in [V1_4, V2_1] {
        let server = Server::new();
        let key = aes(&server, version, GCM_KEY);
        let setup =
            format!("{}{}{}", gcm(16), iv(GCM_IV_64), bytes_field("AuthenticatedEncryptionAdditionalData", GCM_AAD));
        let first = server.ok(
            "alice",
            version,
            &part("Encrypt", &key, &format!("{setup}{}", data(&GCM_PLAIN[..64])), None, false),
        );
        assert_eq!(output(&first), GCM_CIPHER[..64]);
        let correlation = hex_of(&first, Tag::CorrelationValue).expect("a Correlation Value");
        let middle =
            server.ok("alice", version, &part("Encrypt", &key, &data(&GCM_PLAIN[64..70]), Some(&correlation), false));
        assert_eq!(output(&middle), GCM_CIPHER[64..70]);
        let last =
            server.ok("alice", version, &part("Encrypt", &key, &data(&GCM_PLAIN[70..]), Some(&correlation), true));
        assert_eq!(output(&last), GCM_CIPHER[70..]);
        assert_eq!(hex_of(&last, Tag::AuthenticatedEncryptionTag).unwrap(), GCM_TAG);
        assert_eq!(hex_of(&last, Tag::CorrelationValue), None);
        // The stream is over.
        let after = part("Encrypt", &key, &data("00"), Some(&correlation), true);
        assert_eq!(
            server.fails("alice", version, &after),
            if version.is_1x() { "ItemNotFound" } else { "InvalidCorrelationValue" }
        );
    }
}

#[test]
fn gcm_decryption_in_parts_releases_the_plaintext_after_the_tag() {
    let server = Server::new();
    let key = aes(&server, V2_1, GCM_KEY);
    let setup = format!(
        "{}{}{}{}",
        gcm(16),
        iv(GCM_IV_64),
        bytes_field("AuthenticatedEncryptionAdditionalData", GCM_AAD),
        bytes_field("AuthenticatedEncryptionTag", GCM_TAG)
    );
    let first =
        server.ok("alice", V2_1, &part("Decrypt", &key, &format!("{setup}{}", data(&GCM_CIPHER[..40])), None, false));
    // Nothing before the tag is checked: the Correlation Value alone (Data is "No for multi-part").
    assert_eq!(hex_of(&first, Tag::Data), None, "nothing before the tag is checked");
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let last = server.ok("alice", V2_1, &part("Decrypt", &key, &data(&GCM_CIPHER[40..]), Some(&correlation), true));
    assert_eq!(output(&last), GCM_PLAIN);
}

#[test]
fn cbc_in_parts_equals_cbc_at_once() {
    // SP 800-38A F.2.1: the first two blocks, given as 5 + 27 bytes.
    let plain = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51";
    let cipher = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2";
    let server = Server::new();
    let key = aes(&server, V1_4, SP800_38A_KEY);
    let setup = format!("{}{}", mode("CBC"), iv("000102030405060708090a0b0c0d0e0f"));
    let first =
        server.ok("alice", V1_4, &part("Encrypt", &key, &format!("{setup}{}", data(&plain[..10])), None, false));
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let last = server.ok("alice", V1_4, &part("Encrypt", &key, &data(&plain[10..]), Some(&correlation), true));
    // Five bytes are less than a block: the first part answers no Data.
    assert_eq!(hex_of(&first, Tag::Data), None);
    assert_eq!(output(&last), cipher);
}

/// What a stream's response holds: its Data (if any), whether it has a Correlation Value, and its
/// IV.
fn shape(payload: &Item) -> (Option<String>, bool, Option<String>) {
    (hex_of(payload, Tag::Data), payload.child(Tag::CorrelationValue).is_some(), hex_of(payload, Tag::IVCounterNonce))
}

const SP800_38A_CBC_IV: &str = "000102030405060708090a0b0c0d0e0f";
/// SP 800-38A F.2.1: two blocks of plaintext and their CBC ciphertext under SP800_38A_KEY.
const CBC_PLAIN: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51";
const CBC_CIPHER: &str = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2";

fn cbc_pkcs5() -> String {
    parameters(&[("BlockCipherMode", "Enumeration", "CBC"), ("PaddingMethod", "Enumeration", "PKCS5")])
}

#[test]
fn a_stream_with_every_optional_field_answers_data_only_where_there_is_some() {
    // 1.4 §4.29: every request of the stream repeats the Unique Identifier, the Cryptographic
    // Parameters and the IV; the first part (Init Indicator) is shorter than a block, the second
    // completes two blocks, the last (Final Indicator) has no Data and ends with the padding.
    let server = Server::new();
    let key = aes(&server, V1_4, SP800_38A_KEY);
    let fields = format!("{}{}", cbc_pkcs5(), iv(SP800_38A_CBC_IV));
    let first =
        server.ok("alice", V1_4, &part("Encrypt", &key, &format!("{fields}{}", data(&CBC_PLAIN[..10])), None, false));
    assert_eq!(shape(&first), (None, true, None), "the Correlation Value alone");
    assert_eq!(text(&first, Tag::UniqueIdentifier), Some(key.clone()));
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let middle = server.ok(
        "alice",
        V1_4,
        &part("Encrypt", &key, &format!("{fields}{}", data(&CBC_PLAIN[10..])), Some(&correlation), false),
    );
    assert_eq!(hex_of(&middle, Tag::Data).as_deref(), Some(CBC_CIPHER), "both blocks, once complete");
    assert_eq!(hex_of(&middle, Tag::CorrelationValue), Some(correlation.clone()));
    let last = server.ok("alice", V1_4, &part("Encrypt", &key, &fields, Some(&correlation), true));
    let (padding, more, no_iv) = shape(&last);
    assert_eq!(
        (padding.map(|p| p.len()), more, no_iv),
        (Some(32), false, None),
        "the padding block, and no Correlation Value"
    );

    // The same request with Init and Final Indicator both true is the whole operation at once.
    let init_and_final = format!(
        r#"{fields}{}<InitIndicator type="Boolean" value="true"/><FinalIndicator type="Boolean" value="true"/>"#,
        data(CBC_PLAIN)
    );
    let whole = server.ok("alice", V1_4, &item("Encrypt", &key, &init_and_final));
    let (data_out, more, _) = shape(&whole);
    assert!(data_out.is_some_and(|d| d.starts_with(CBC_CIPHER) && d.len() == 96) && !more);

    // Decryption in parts: a first part shorter than a block answers no Data either.
    let ciphertext = format!("{CBC_CIPHER}{}", &hex_of(&whole, Tag::Data).unwrap()[64..]);
    let first =
        server.ok("alice", V1_4, &part("Decrypt", &key, &format!("{fields}{}", data(&ciphertext[..8])), None, false));
    assert_eq!(shape(&first), (None, true, None));
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let last = server.ok(
        "alice",
        V1_4,
        &part("Decrypt", &key, &format!("{fields}{}", data(&ciphertext[8..])), Some(&correlation), true),
    );
    assert_eq!(output(&last), CBC_PLAIN);
}

#[test]
fn a_later_part_may_repeat_the_first_parts_setup_but_not_change_it() {
    let server = Server::new();
    let key = aes(&server, V1_4, SP800_38A_KEY);
    let start = |server: &Server| {
        let first = server.ok(
            "alice",
            V1_4,
            &part("Encrypt", &key, &format!("{}{}{}", cbc_pkcs5(), iv(SP800_38A_CBC_IV), data("00")), None, false),
        );
        hex_of(&first, Tag::CorrelationValue).unwrap()
    };
    let changes = [
        mode("ECB"),
        format!("{}{}", cbc_pkcs5(), iv("ffffffffffffffffffffffffffffffff")),
        bytes_field("AuthenticatedEncryptionAdditionalData", "00"),
    ];
    for change in changes {
        let correlation = start(&server);
        let changed = part("Encrypt", &key, &format!("{change}{}", data("01")), Some(&correlation), true);
        assert_eq!(server.fails("alice", V1_4, &changed), "InvalidField", "{change}");
        // A refused part ends its stream, as any failed part does.
        assert_eq!(
            server.fails("alice", V1_4, &part("Encrypt", &key, &data("01"), Some(&correlation), true)),
            "ItemNotFound"
        );
    }
    // Init Indicator with a Correlation Value is a contradiction.
    let correlation = start(&server);
    let both =
        format!(r#"{}<InitIndicator type="Boolean" value="true"/>"#, bytes_field("CorrelationValue", &correlation));
    assert_eq!(server.fails("alice", V1_4, &item("Encrypt", &key, &both)), "InvalidField");
}

#[test]
fn a_random_iv_is_returned_with_the_first_part_only() {
    let server = Server::new();
    let key = aes(&server, V1_4, SP800_38A_KEY);
    let random = parameters(&[
        ("BlockCipherMode", "Enumeration", "CBC"),
        ("PaddingMethod", "Enumeration", "PKCS5"),
        ("RandomIV", "Boolean", "true"),
    ]);
    let first = server.ok("alice", V1_4, &part("Encrypt", &key, &format!("{random}{}", data(CBC_PLAIN)), None, false));
    let (first_data, more, server_iv) = shape(&first);
    let server_iv = server_iv.expect("the IV the server chose");
    assert!(first_data.is_some() && more && server_iv.len() == 32);
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let last = server.ok("alice", V1_4, &part("Encrypt", &key, "", Some(&correlation), true));
    assert_eq!(hex_of(&last, Tag::IVCounterNonce), None);
    let ciphertext = format!("{}{}", first_data.unwrap(), output(&last));
    let decrypted = server.ok(
        "alice",
        V1_4,
        &item("Decrypt", &key, &format!("{}{}{}", cbc_pkcs5(), iv(&server_iv), data(&ciphertext))),
    );
    assert_eq!(output(&decrypted), CBC_PLAIN);
}

#[test]
fn encrypt_with_all_the_fields_of_1_2_in_one_request() {
    // 1.2 §4.29 (no multi-part fields before 1.3): Unique Identifier, Cryptographic Parameters,
    // Data and IV. The client's IV is used even with Random IV true, and not returned (the
    // response's IV is "the value used if ... the IV/Counter/Nonce value was not provided").
    let server = Server::new();
    let key = aes(&server, V1_2, SP800_38A_KEY);
    for random_iv in ["false", "true"] {
        let fields = parameters(&[
            ("BlockCipherMode", "Enumeration", "CBC"),
            ("PaddingMethod", "Enumeration", "PKCS5"),
            ("RandomIV", "Boolean", random_iv),
        ]);
        let request = format!("{fields}{}{}", data(CBC_PLAIN), iv(SP800_38A_CBC_IV));
        let encrypted = server.ok("alice", V1_2, &item("Encrypt", &key, &request));
        let (out, more, returned_iv) = shape(&encrypted);
        assert!(out.is_some_and(|o| o.starts_with(CBC_CIPHER) && o.len() == 96), "random IV {random_iv}");
        assert!(!more && returned_iv.is_none());
    }
}

#[test]
fn a_stream_belongs_to_its_client() {
    let server = Server::new();
    let key = aes(&server, V2_1, SP800_38A_KEY);
    let first = server.ok(
        "alice",
        V2_1,
        &part("Encrypt", &key, &format!("{}{}", mode("ECB"), data(SP800_38A_BLOCK)), None, false),
    );
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let response =
        server.send("bob", V2_1, "", &[&part("Encrypt", &key, &data(SP800_38A_BLOCK), Some(&correlation), true)]);
    assert_eq!(reason(batch_items(&response)[0]), "InvalidCorrelationValue");
    // Alice's stream is still there.
    let last = server.ok("alice", V2_1, &part("Encrypt", &key, &data(SP800_38A_BLOCK), Some(&correlation), true));
    assert_eq!(output(&last), "3ad77bb40d7a3660a89ecaf32466ef97");
}

#[test]
fn a_correlation_value_of_another_operation_is_invalid() {
    let server = Server::new();
    let hash = format!("{}{}", parameters(&[("HashingAlgorithm", "Enumeration", "SHA_256")]), data("616263"));
    let first = server.ok("alice", V2_1, &format!(r#"<BatchItem><Operation type="Enumeration" value="Hash"/><RequestPayload>{hash}<InitIndicator type="Boolean" value="true"/></RequestPayload></BatchItem>"#));
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let key = aes(&server, V2_1, SP800_38A_KEY);
    let request = part("Encrypt", &key, &data(SP800_38A_BLOCK), Some(&correlation), true);
    assert_eq!(server.fails("alice", V2_1, &request), "InvalidCorrelationValue");
}

// ---- Signatures ---------------------------------------------------------------------------------

/// A generated key pair registered as an Active Private Key (PKCS#8) and Public Key (X.509).
fn key_pair(
    server: &Server,
    version: KmipVersion,
    spec: KeyPairSpec,
    algorithm: &str,
    bits: usize,
) -> (String, String) {
    let pair = generate_key_pair(spec).expect("a key pair");
    let active = an_hour_ago();
    let private =
        format!("<PrivateKey>{}</PrivateKey>", key_block("PKCS_8", &hex::encode(&*pair.private_key), algorithm, bits));
    let public =
        format!("<PublicKey>{}</PublicKey>", key_block("X_509", &hex::encode(&pair.public_key), algorithm, bits));
    let dated = |mask| {
        [
            ("Cryptographic Usage Mask", "CryptographicUsageMask", "Integer", mask),
            ("Activation Date", "ActivationDate", "DateTime", active.as_str()),
        ]
    };
    let private_uid = register(server, version, "PrivateKey", &private, &dated("Sign Decrypt"));
    let public_uid = register(server, version, "PublicKey", &public, &dated("Verify Encrypt"));
    (private_uid, public_uid)
}

fn sign(server: &Server, version: KmipVersion, key: &str, setup: &str, message: &str) -> String {
    let payload = server.ok("alice", version, &item("Sign", key, &format!("{setup}{}", data(message))));
    hex_of(&payload, Tag::SignatureData).expect("Signature Data")
}

fn verify(server: &Server, version: KmipVersion, key: &str, setup: &str, message: &str, signature: &str) -> String {
    let fields = format!("{setup}{}{}", data(message), bytes_field("SignatureData", signature));
    validity(&server.ok("alice", version, &item("SignatureVerify", key, &fields)))
}

/// A signature with one byte changed.
fn tampered(signature: &str) -> String {
    let flipped = if &signature[..2] == "ff" { "00" } else { "ff" };
    format!("{flipped}{}", &signature[2..])
}

#[test]
fn rsa_signatures_with_pkcs1_v1_5_and_pss() {
    let server = Server::new();
    let (private, public) = key_pair(&server, V2_1, KeyPairSpec::Rsa { bits: 2048 }, "RSA", 2048);
    let message = "01020304050607080910111213141516";
    let schemes = [
        parameters(&[("PaddingMethod", "Enumeration", "PKCS1V1_5"), ("HashingAlgorithm", "Enumeration", "SHA_256")]),
        parameters(&[("PaddingMethod", "Enumeration", "PSS"), ("HashingAlgorithm", "Enumeration", "SHA_256")]),
        parameters(&[
            ("PaddingMethod", "Enumeration", "PSS"),
            ("HashingAlgorithm", "Enumeration", "SHA_384"),
            ("SaltLength", "Integer", "20"),
        ]),
        parameters(&[("DigitalSignatureAlgorithm", "Enumeration", "SHA_512WithRSAEncryption")]),
    ];
    for setup in &schemes {
        let signature = sign(&server, V2_1, &private, setup, message);
        assert_eq!(signature.len(), 512, "{setup}");
        assert_eq!(verify(&server, V2_1, &public, setup, message, &signature), "Valid", "{setup}");
        assert_eq!(verify(&server, V2_1, &public, setup, "ff", &signature), "Invalid", "{setup}");
        assert_eq!(verify(&server, V2_1, &public, setup, message, &tampered(&signature)), "Invalid", "{setup}");
    }
    // PKCS#1 v1.5 is deterministic: the same signature twice; PSS is not.
    assert_eq!(
        sign(&server, V2_1, &private, &schemes[0], message),
        sign(&server, V2_1, &private, &schemes[0], message)
    );
    assert_ne!(
        sign(&server, V2_1, &private, &schemes[1], message),
        sign(&server, V2_1, &private, &schemes[1], message)
    );
    // Another hash does not verify.
    let signature = sign(&server, V2_1, &private, &schemes[1], message);
    let sha1 = parameters(&[("PaddingMethod", "Enumeration", "PSS"), ("HashingAlgorithm", "Enumeration", "SHA_1")]);
    assert_eq!(verify(&server, V2_1, &public, &sha1, message, &signature), "Invalid");
}

#[test]
fn ecdsa_signatures_and_digested_data() {
    let server = Server::new();
    let (private, public) =
        key_pair(&server, V2_1, KeyPairSpec::Ec(keyward_crypto::asymmetric::Curve::P256), "EC", 256);
    // FIPS 180-4 example: SHA-256("abc").
    let message = "616263";
    let digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let ecdsa = parameters(&[("DigitalSignatureAlgorithm", "Enumeration", "ECDSAWithSHA256")]);
    let signature = sign(&server, V2_1, &private, &ecdsa, message);
    assert_eq!(verify(&server, V2_1, &public, &ecdsa, message, &signature), "Valid");
    assert_eq!(verify(&server, V2_1, &public, &ecdsa, message, &tampered(&signature)), "Invalid");
    // A signature of the digest is a signature of the message, and the other way round.
    let of_digest =
        server.ok("alice", V2_1, &item("Sign", &private, &format!("{ecdsa}{}", bytes_field("DigestedData", digest))));
    let of_digest = hex_of(&of_digest, Tag::SignatureData).unwrap();
    assert_eq!(verify(&server, V2_1, &public, &ecdsa, message, &of_digest), "Valid");
    let by_digest =
        format!("{ecdsa}{}{}", bytes_field("DigestedData", digest), bytes_field("SignatureData", &signature));
    assert_eq!(validity(&server.ok("alice", V2_1, &item("SignatureVerify", &public, &by_digest))), "Valid");
    // An RSA scheme does not suit an EC key.
    let rsa = parameters(&[("DigitalSignatureAlgorithm", "Enumeration", "SHA_256WithRSAEncryption")]);
    let request = item("Sign", &private, &format!("{rsa}{}", data(message)));
    assert_eq!(server.fails("alice", V2_1, &request), "BadCryptographicParameters");
}

#[test]
fn ed25519_matches_rfc_8032() {
    // RFC 8032 §7.1, TEST 2: a one-byte message.
    let secret = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    let public_key = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    let expected = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
    let server = Server::new();
    let active = an_hour_ago();
    let dated = |mask| {
        [
            ("Cryptographic Usage Mask", "CryptographicUsageMask", "Integer", mask),
            ("Activation Date", "ActivationDate", "DateTime", active.as_str()),
        ]
    };
    let private = register(
        &server,
        V2_1,
        "PrivateKey",
        &format!("<PrivateKey>{}</PrivateKey>", key_block("Raw", secret, "Ed25519", 256)),
        &dated("Sign"),
    );
    let public = register(
        &server,
        V2_1,
        "PublicKey",
        &format!("<PublicKey>{}</PublicKey>", key_block("Raw", public_key, "Ed25519", 256)),
        &dated("Verify"),
    );
    assert_eq!(sign(&server, V2_1, &private, "", "72"), expected);
    assert_eq!(verify(&server, V2_1, &public, "", "72", expected), "Valid");
    assert_eq!(verify(&server, V2_1, &public, "", "73", expected), "Invalid");
}

#[test]
fn signing_and_verifying_in_parts() {
    let server = Server::new();
    let (private, public) = key_pair(&server, V1_4, KeyPairSpec::Rsa { bits: 2048 }, "RSA", 2048);
    let pkcs1 =
        parameters(&[("PaddingMethod", "Enumeration", "PKCS1V1_5"), ("HashingAlgorithm", "Enumeration", "SHA_256")]);
    let whole = sign(&server, V1_4, &private, &pkcs1, "0102030405060708");
    let first = server.ok("alice", V1_4, &part("Sign", &private, &format!("{pkcs1}{}", data("01020304")), None, false));
    assert_eq!(hex_of(&first, Tag::SignatureData), None);
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let last = server.ok("alice", V1_4, &part("Sign", &private, &data("05060708"), Some(&correlation), true));
    assert_eq!(hex_of(&last, Tag::SignatureData).unwrap(), whole, "PKCS#1 v1.5 is deterministic");

    let first =
        server.ok("alice", V1_4, &part("SignatureVerify", &public, &format!("{pkcs1}{}", data("0102")), None, false));
    assert_eq!(validity(&first), "Unknown", "1.x answers every part");
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let fields = format!("{}{}", data("030405060708"), bytes_field("SignatureData", &whole));
    let last = server.ok("alice", V1_4, &part("SignatureVerify", &public, &fields, Some(&correlation), true));
    assert_eq!(validity(&last), "Valid");
}

#[test]
fn rsa_encryption_with_oaep_and_pkcs1_v1_5() {
    let server = Server::new();
    let (private, public) = key_pair(&server, V2_1, KeyPairSpec::Rsa { bits: 2048 }, "RSA", 2048);
    let message = hex::encode("attack at dawn");
    let paddings = [
        parameters(&[("PaddingMethod", "Enumeration", "OAEP")]),
        parameters(&[
            ("PaddingMethod", "Enumeration", "OAEP"),
            ("HashingAlgorithm", "Enumeration", "SHA_384"),
            ("MaskGeneratorHashingAlgorithm", "Enumeration", "SHA_256"),
            ("PSource", "ByteString", "6c6162656c"),
        ]),
        parameters(&[("PaddingMethod", "Enumeration", "PKCS1V1_5")]),
    ];
    for setup in &paddings {
        let encrypted = server.ok("alice", V2_1, &item("Encrypt", &public, &format!("{setup}{}", data(&message))));
        let ciphertext = output(&encrypted);
        assert_eq!(ciphertext.len(), 512);
        let decrypted = server.ok("alice", V2_1, &item("Decrypt", &private, &format!("{setup}{}", data(&ciphertext))));
        assert_eq!(output(&decrypted), message);
    }
    // Decrypting with another label fails.
    let encrypted = server.ok("alice", V2_1, &item("Encrypt", &public, &format!("{}{}", paddings[1], data(&message))));
    let other_label = paddings[1].replace("6c6162656c", "6c6162656d");
    let request = item("Decrypt", &private, &format!("{other_label}{}", data(&output(&encrypted))));
    assert_eq!(server.fails("alice", V2_1, &request), "CryptographicFailure");
}

// ---- MACs and hashes ----------------------------------------------------------------------------

fn mac(server: &Server, version: KmipVersion, key: &str, setup: &str, message: &str) -> String {
    let payload = server.ok("alice", version, &item("MAC", key, &format!("{setup}{}", data(message))));
    hex_of(&payload, Tag::MACData).expect("MAC Data")
}

fn mac_verify(server: &Server, version: KmipVersion, key: &str, message: &str, tag: &str) -> String {
    let fields = format!("{}{}", data(message), bytes_field("MACData", tag));
    validity(&server.ok("alice", version, &item("MACVerify", key, &fields)))
}

#[test]
fn hmac_matches_rfc_4231_and_verifies() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?". A 32-bit HMAC key is
    // below the default policy's 112 bits (SP 800-131A Rev. 2 §10): a legacy policy.
    let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    let message = hex::encode("what do ya want for nothing?");
    for version in [V1_4, V2_1] {
        let server = Server::with_algorithms(legacy_algorithms());
        let key = symmetric(&server, version, "HMAC_SHA256", "4a656665", "MACGenerate MACVerify");
        assert_eq!(mac(&server, version, &key, "", &message), expected);
        assert_eq!(mac_verify(&server, version, &key, &message, expected), "Valid");
        assert_eq!(mac_verify(&server, version, &key, &message, &tampered(expected)), "Invalid");
        assert_eq!(mac_verify(&server, version, &key, "00", expected), "Invalid");
    }
}

#[test]
fn an_aes_key_computes_cmac_or_the_hmac_its_parameters_name() {
    let server = Server::with_algorithms(legacy_algorithms());
    let key = symmetric(&server, V1_4, "AES", SP800_38A_KEY, "MACGenerate MACVerify");
    // SP 800-38B, appendix D.1, example 2 (also RFC 4493).
    assert_eq!(mac(&server, V1_4, &key, "", SP800_38A_BLOCK), "070a16b46b4d4144f79bdd9dd04a287c");
    // RFC 4231 test case 2 again, with the key's bytes: only the data and key differ.
    let hmac = parameters(&[("CryptographicAlgorithm", "Enumeration", "HMAC_SHA256")]);
    let jefe = symmetric(&server, V1_4, "AES", "4a656665", "MACGenerate");
    let message = hex::encode("what do ya want for nothing?");
    assert_eq!(
        mac(&server, V1_4, &jefe, &hmac, &message),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn macs_in_parts() {
    let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    let message = hex::encode("what do ya want for nothing?");
    let server = Server::with_algorithms(legacy_algorithms());
    let key = symmetric(&server, V2_1, "HMAC_SHA256", "4a656665", "MACGenerate MACVerify");
    let first = server.ok("alice", V2_1, &part("MAC", &key, &data(&message[..20]), None, false));
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let last = server.ok("alice", V2_1, &part("MAC", &key, &data(&message[20..]), Some(&correlation), true));
    assert_eq!(hex_of(&last, Tag::MACData).unwrap(), expected);

    let first = server.ok("alice", V2_1, &part("MACVerify", &key, &data(&message[..8]), None, false));
    assert!(first.child(Tag::ValidityIndicator).is_none(), "2.x answers only the last part");
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let fields = format!("{}{}", data(&message[8..]), bytes_field("MACData", expected));
    assert_eq!(
        validity(&server.ok("alice", V2_1, &part("MACVerify", &key, &fields, Some(&correlation), true))),
        "Valid"
    );
}

fn hash_item(algorithm: &str, fields: &str) -> String {
    let setup = parameters(&[("HashingAlgorithm", "Enumeration", algorithm)]);
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="Hash"/><RequestPayload>{setup}{fields}</RequestPayload></BatchItem>"#
    )
}

#[test]
fn hashes_match_fips_180_4_and_202() {
    let server = Server::new();
    let cases = [
        ("SHA_1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("SHA_256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("SHA3_256", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"),
    ];
    for (algorithm, digest) in cases {
        assert_eq!(output(&server.ok("alice", V2_1, &hash_item(algorithm, &data("616263")))), digest, "{algorithm}");
    }
    // The same in three parts.
    let first = server.ok(
        "alice",
        V1_4,
        &hash_item("SHA_256", &format!("{}{}", data("61"), r#"<InitIndicator type="Boolean" value="true"/>"#)),
    );
    assert!(first.child(Tag::Data).is_none());
    let correlation = hex_of(&first, Tag::CorrelationValue).unwrap();
    let next = |fields: &str| {
        server.ok(
            "alice",
            V1_4,
            &hash_item("SHA_256", &format!("{fields}{}", bytes_field("CorrelationValue", &correlation))),
        )
    };
    next(&data("62"));
    let last = next(&format!("{}{}", data("63"), r#"<FinalIndicator type="Boolean" value="true"/>"#));
    assert_eq!(output(&last), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // MD5 is defined but not offered.
    assert_eq!(server.fails("alice", V2_1, &hash_item("MD5", &data("616263"))), "UnsupportedCryptographicParameters");
}

// ---- Random numbers -----------------------------------------------------------------------------

#[test]
fn rng_retrieve_and_seed() {
    let server = Server::new();
    let retrieve = |length: i64| {
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="RNGRetrieve"/><RequestPayload><DataLength type="Integer" value="{length}"/></RequestPayload></BatchItem>"#
        )
    };
    let first = output(&server.ok("alice", V1_4, &retrieve(32)));
    let second = output(&server.ok("alice", V1_4, &retrieve(32)));
    assert_eq!(first.len(), 64);
    assert_ne!(first, second);
    assert_eq!(server.fails("alice", V1_4, &retrieve(-1)), "InvalidField");
    // Every byte of the seed is used, mixed into the generator RNG Retrieve draws from (1.4
    // §4.36: the response says how much was used), and retrieving still works after it.
    let seed = |hex: &str| {
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="RNGSeed"/><RequestPayload>{}</RequestPayload></BatchItem>"#,
            data(hex)
        )
    };
    let payload = server.ok("alice", V1_4, &seed("00112233"));
    assert_eq!(payload.child(Tag::DataLength).map(|d| d.value.clone()), Some(Value::Integer(4)));
    let payload = server.ok("alice", V2_1, &seed(&"ab".repeat(5000)));
    assert_eq!(payload.child(Tag::DataLength).map(|d| d.value.clone()), Some(Value::Integer(4096)), "at most 4 KiB");
    let after = output(&server.ok("alice", V1_4, &retrieve(32)));
    assert!(after.len() == 64 && after != first && after != second);
}

#[test]
fn query_names_the_generator_rng_retrieve_draws_from() {
    let server = Server::new();
    let query = r#"<BatchItem><Operation type="Enumeration" value="Query"/><RequestPayload><QueryFunction type="Enumeration" value="QueryRNGs"/></RequestPayload></BatchItem>"#;
    let payload = server.ok("alice", V1_4, query);
    let generators: Vec<&Item> = payload.children().iter().filter(|c| c.tag == Tag::RNGParameters).collect();
    assert_eq!(generators.len(), 2, "{}", show(&payload));
    // DRBG Algorithm HMAC (4) over SHA-256 (Hashing Algorithm 6).
    let field = |tag| generators[1].child(tag).map(|c| c.value.clone());
    assert_eq!(field(Tag::DRBGAlgorithm), Some(Value::Enumeration(4)));
    assert_eq!(field(Tag::HashingAlgorithm), Some(Value::Enumeration(6)));
}

// ---- Refusals -----------------------------------------------------------------------------------

#[test]
fn the_usage_mask_is_enforced() {
    for (version, reason) in [(V1_4, "PermissionDenied"), (V2_1, "IncompatibleCryptographicUsageMask")] {
        let server = Server::new();
        let encrypt_only = symmetric(&server, version, "AES", SP800_38A_KEY, "Encrypt");
        let ecb = format!("{}{}", mode("ECB"), data(SP800_38A_BLOCK));
        server.ok("alice", version, &item("Encrypt", &encrypt_only, &ecb));
        assert_eq!(server.fails("alice", version, &item("Decrypt", &encrypt_only, &ecb)), reason);
        assert_eq!(server.fails("alice", version, &item("MAC", &encrypt_only, &data("00"))), reason);
    }
}

#[test]
fn only_an_active_key_protects_but_a_deactivated_one_still_processes() {
    for (version, reason) in [(V1_4, "PermissionDenied"), (V2_0, "PermissionDenied"), (V2_1, "WrongKeyLifecycleState")]
    {
        let server = Server::new();
        let create = if version.is_1x() { create_aes_1x("pre-active") } else { create_aes_2x("pre-active") };
        let key = text(&server.ok("alice", version, &create), Tag::UniqueIdentifier).unwrap();
        let ecb = format!("{}{}", mode("ECB"), data(SP800_38A_BLOCK));
        assert_eq!(server.fails("alice", version, &item("Encrypt", &key, &ecb)), reason, "Pre-Active");
        assert_eq!(server.fails("alice", version, &item("Decrypt", &key, &ecb)), reason, "Pre-Active");

        server.ok("alice", version, &on("Activate", Some(&key)));
        let ciphertext = output(&server.ok("alice", version, &item("Encrypt", &key, &ecb)));
        server.ok("alice", version, &revoke(&key, "CessationOfOperation"));
        assert_eq!(server.fails("alice", version, &item("Encrypt", &key, &ecb)), reason, "Deactivated");
        let back = format!("{}{}", mode("ECB"), data(&ciphertext));
        assert_eq!(output(&server.ok("alice", version, &item("Decrypt", &key, &back))), SP800_38A_BLOCK);
    }
}

#[test]
fn protect_stop_and_process_start_dates_are_enforced() {
    let server = Server::new();
    let object = format!("<SymmetricKey>{}</SymmetricKey>", key_block("Raw", SP800_38A_KEY, "AES", 128));
    let (active, later) = (an_hour_ago(), format_seconds(NOW + 3600));
    let extra = [
        ("Cryptographic Usage Mask", "CryptographicUsageMask", "Integer", "Encrypt Decrypt"),
        ("Activation Date", "ActivationDate", "DateTime", active.as_str()),
        ("Process Start Date", "ProcessStartDate", "DateTime", later.as_str()),
        ("Protect Stop Date", "ProtectStopDate", "DateTime", active.as_str()),
    ];
    let key = register(&server, V2_1, "SymmetricKey", &object, &extra);
    let ecb = format!("{}{}", mode("ECB"), data(SP800_38A_BLOCK));
    assert_eq!(server.fails("alice", V2_1, &item("Encrypt", &key, &ecb)), "WrongKeyLifecycleState");
    assert_eq!(server.fails("alice", V2_1, &item("Decrypt", &key, &ecb)), "WrongKeyLifecycleState");
}

#[test]
fn usage_limits_are_charged_and_enforced() {
    let server = Server::new();
    let object = format!("<SymmetricKey>{}</SymmetricKey>", key_block("Raw", SP800_38A_KEY, "AES", 128));
    let active = an_hour_ago();
    let attributes = format!(
        r#"<Attributes><CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/><ActivationDate type="DateTime" value="{active}"/>
        <UsageLimits><UsageLimitsTotal type="LongInteger" value="32"/><UsageLimitsUnit type="Enumeration" value="Byte"/></UsageLimits></Attributes>"#
    );
    let request = format!(
        r#"<BatchItem><Operation type="Enumeration" value="Register"/><RequestPayload><ObjectType type="Enumeration" value="SymmetricKey"/>{attributes}{object}</RequestPayload></BatchItem>"#
    );
    let key = text(&server.ok("alice", V2_1, &request), Tag::UniqueIdentifier).unwrap();
    let ecb = format!("{}{}", mode("ECB"), data(SP800_38A_BLOCK));
    server.ok("alice", V2_1, &item("Encrypt", &key, &ecb));
    server.ok("alice", V2_1, &item("Encrypt", &key, &ecb));
    assert_eq!(server.fails("alice", V2_1, &item("Encrypt", &key, &ecb)), "PermissionDenied");
    // Decryption is not limited.
    let back = format!("{}{}", mode("ECB"), data("3ad77bb40d7a3660a89ecaf32466ef97"));
    assert_eq!(output(&server.ok("alice", V2_1, &item("Decrypt", &key, &back))), SP800_38A_BLOCK);
}

#[test]
fn another_clients_key_is_not_usable() {
    let server = Server::new();
    let key = aes(&server, V2_1, SP800_38A_KEY);
    let response =
        server.send("bob", V2_1, "", &[&item("Encrypt", &key, &format!("{}{}", mode("ECB"), data(SP800_38A_BLOCK)))]);
    // To bob, alice's key does not exist.
    assert_eq!(reason(batch_items(&response)[0]), "ObjectNotFound");
}

// ---- Data references and Ephemeral (2.1) ----------------------------------------------------------

#[test]
fn an_ephemeral_output_feeds_a_later_item_without_being_returned() {
    let server = Server::new();
    let key = aes(&server, V2_1, SP800_38A_KEY);
    let encrypt = format!(
        r#"<BatchItem><Operation type="Enumeration" value="Encrypt"/><Ephemeral type="Boolean" value="true"/><UniqueBatchItemID type="ByteString" value="01"/><RequestPayload><UniqueIdentifier type="TextString" value="{key}"/>{}{}</RequestPayload></BatchItem>"#,
        mode("ECB"),
        data(SP800_38A_BLOCK)
    );
    let decrypt = format!(
        r#"<BatchItem><Operation type="Enumeration" value="Decrypt"/><UniqueBatchItemID type="ByteString" value="02"/><RequestPayload><UniqueIdentifier type="TextString" value="{key}"/>{}<Data type="Enumeration" value="Encrypt"/></RequestPayload></BatchItem>"#,
        mode("ECB")
    );
    let response = server.send("alice", V2_1, "", &[&encrypt, &decrypt]);
    let items = batch_items(&response);
    assert_eq!(status(items[0]), "Success");
    assert!(items[0].child(Tag::ResponsePayload).and_then(|p| p.child(Tag::Data)).is_none(), "{}", show(&response));
    assert_eq!(output(items[1].child(Tag::ResponsePayload).unwrap()), SP800_38A_BLOCK);
}
