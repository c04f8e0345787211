//! Keys the server makes, converts, wraps, derives and certifies: Create Key Pair, Get in every
//! format, key wrapping, Derive Key, Certify / Re-certify / Validate, Re-key and Re-key Key Pair,
//! split keys, Export and Import. Expected values come from published test vectors (RFC 3394,
//! RFC 6070, RFC 5869, RFC 4231, NIST CAVP, FIPS 180) or from independent code (rcgen's CAs).

mod support;

use keyward_crypto::certificates::{NameAttribute, describe_certificate};
use keyward_crypto::symmetric::{KeyWrap, unwrap_key};
use keyward_ttlv::KmipVersion::{self, V1_0, V1_4, V2_0, V2_1};
use keyward_ttlv::datetime::format_seconds;
use keyward_ttlv::{Item, Tag, Value, xml};
use support::*;

const OWNER: &str = "alice";

fn date(seconds: i64) -> String {
    format_seconds(seconds)
}

fn enumeration_name(item: &Item, tag: Tag) -> Option<String> {
    let found = find(item, tag)?;
    match &found.value {
        Value::Enumeration(v) => tag.def()?.enumeration()?.value_def(*v).map(|d| d.camel.to_string()),
        _ => None,
    }
}

/// A 2.x Create Key Pair of `algorithm` with `length` (or a curve), private key `Sign`, public
/// key `Verify`; returns (private, public).
fn create_pair_2x(server: &Server, version: KmipVersion, common: &str, name: &str) -> (String, String) {
    let payload = format!(
        r#"<CommonAttributes>{common}</CommonAttributes>
        <PrivateKeyAttributes>{}<CryptographicUsageMask type="Integer" value="Sign"/></PrivateKeyAttributes>
        <PublicKeyAttributes>{}<CryptographicUsageMask type="Integer" value="Verify"/></PublicKeyAttributes>"#,
        name_2x(&format!("{name}-private")),
        name_2x(&format!("{name}-public"))
    );
    let response = server.ok(OWNER, version, &item("CreateKeyPair", &payload));
    (
        text(&response, Tag::PrivateKeyUniqueIdentifier).expect("a private key"),
        text(&response, Tag::PublicKeyUniqueIdentifier).expect("a public key"),
    )
}

fn rsa(bits: u32) -> String {
    format!(
        r#"<CryptographicAlgorithm type="Enumeration" value="RSA"/><CryptographicLength type="Integer" value="{bits}"/>"#
    )
}

fn ec_curve(curve: &str) -> String {
    format!(
        r#"<CryptographicAlgorithm type="Enumeration" value="EC"/>
        <CryptographicDomainParameters><RecommendedCurve type="Enumeration" value="{curve}"/></CryptographicDomainParameters>"#
    )
}

const ED25519: &str = r#"<CryptographicAlgorithm type="Enumeration" value="Ed25519"/>"#;

fn get_attributes_2x(server: &Server, uid: &str, references: &[&str]) -> Item {
    let references: String =
        references.iter().map(|r| format!(r#"<AttributeReference type="Enumeration" value="{r}"/>"#)).collect();
    server.ok(OWNER, V2_1, &item("GetAttributes", &format!("{}{references}", uid_xml(uid))))
}

fn get(server: &Server, version: KmipVersion, uid: &str, format: Option<&str>) -> Item {
    let format = format.map_or(String::new(), |f| format!(r#"<KeyFormatType type="Enumeration" value="{f}"/>"#));
    server.ok(OWNER, version, &item("Get", &format!("{}{format}", uid_xml(uid))))
}

// ---------------------------------------------------------------------------------------------
// Create Key Pair
// ---------------------------------------------------------------------------------------------

#[test]
fn key_pairs_of_every_kind_are_linked_both_ways_with_their_own_attributes() {
    let server = Server::new();
    let kinds = [
        ("rsa-2048", rsa(2048), "RSA", 2048, "PKCS_1", "PKCS_1"),
        ("rsa-3072", rsa(3072), "RSA", 3072, "PKCS_1", "PKCS_1"),
        ("rsa-4096", rsa(4096), "RSA", 4096, "PKCS_1", "PKCS_1"),
        ("p-256", ec_curve("P_256"), "EC", 256, "ECPrivateKey", "X_509"),
        ("p-384", ec_curve("P_384"), "EC", 384, "ECPrivateKey", "X_509"),
        ("p-521", ec_curve("P_521"), "EC", 521, "ECPrivateKey", "X_509"),
        ("ed25519", ED25519.to_string(), "Ed25519", 255, "PKCS_8", "X_509"),
    ];
    for (name, common, algorithm, length, private_format, public_format) in kinds {
        let (private, public) = create_pair_2x(&server, V2_1, &common, name);
        for (uid, other, object_type, link, mask, format) in [
            (&private, &public, "PrivateKey", "PublicKeyLink", "Sign", private_format),
            (&public, &private, "PublicKey", "PrivateKeyLink", "Verify", public_format),
        ] {
            let attributes = get_attributes_2x(
                &server,
                uid,
                &[
                    "ObjectType",
                    "CryptographicAlgorithm",
                    "CryptographicLength",
                    "CryptographicUsageMask",
                    "Link",
                    "Name",
                    "KeyFormatType",
                    "State",
                ],
            );
            let shown = show(&attributes);
            assert!(shown.contains(&format!(r#"value="{object_type}""#)), "{name}: {shown}");
            assert!(
                shown.contains(&format!(r#"<CryptographicAlgorithm type="Enumeration" value="{algorithm}"/>"#)),
                "{name}: {shown}"
            );
            assert!(
                shown.contains(&format!(r#"<CryptographicLength type="Integer" value="{length}"/>"#)),
                "{name}: {shown}"
            );
            assert!(
                shown.contains(&format!(r#"<CryptographicUsageMask type="Integer" value="{mask}"/>"#)),
                "{name}: {shown}"
            );
            assert!(shown.contains(&format!(r#"<LinkType type="Enumeration" value="{link}"/>"#)), "{name}: {shown}");
            assert!(
                shown.contains(&format!(r#"<LinkedObjectIdentifier type="TextString" value="{other}"/>"#)),
                "{name}: {shown}"
            );
            assert!(
                shown.contains(&format!(r#"<KeyFormatType type="Enumeration" value="{format}"/>"#)),
                "{name}: {shown}"
            );
            assert!(shown.contains("PreActive"), "{name}: {shown}");
        }
    }
}

#[test]
fn a_1x_key_pair_takes_template_attributes_and_sets_the_placeholder() {
    let server = Server::new();
    let attribute = |name: &str, value: &str, kind: &str| {
        format!(
            r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue type="{kind}" value="{value}"/></Attribute>"#
        )
    };
    let payload = format!(
        r#"<CommonTemplateAttribute>{}{}</CommonTemplateAttribute>
        <PrivateKeyTemplateAttribute>{}{}</PrivateKeyTemplateAttribute>
        <PublicKeyTemplateAttribute>{}</PublicKeyTemplateAttribute>"#,
        attribute("Cryptographic Algorithm", "ECDSA", "Enumeration"),
        attribute("Cryptographic Length", "384", "Integer"),
        attribute("Cryptographic Usage Mask", "Sign", "Integer"),
        attribute("Object Group", "signers", "TextString"),
        attribute("Cryptographic Usage Mask", "Verify", "Integer"),
    );
    // The Get without an identifier takes the private key from the ID Placeholder.
    let response = server.send(OWNER, V1_4, "", &[&item("CreateKeyPair", &payload), &item("Get", "")]);
    let batch = batch_items(&response);
    assert!(batch.iter().all(|b| status(b) == "Success"), "{}", show(&response));
    let private = text(batch[0], Tag::PrivateKeyUniqueIdentifier).unwrap();
    assert_eq!(text(batch[1], Tag::UniqueIdentifier), Some(private.clone()));
    assert_eq!(enumeration_name(batch[1], Tag::KeyFormatType).as_deref(), Some("ECPrivateKey"));
    let attributes = server.ok(OWNER, V1_4, &item("GetAttributes", &uid_xml(&private)));
    let shown = show(&attributes);
    assert!(shown.contains("signers") && shown.contains("PublicKeyLink"), "{shown}");
    assert!(shown.contains("P_384"), "the curve is recorded: {shown}");
    // 1.0 has no Key Format Type attribute; the response must not carry one.
    let public = text(batch[0], Tag::PublicKeyUniqueIdentifier).unwrap();
    let old = server.ok(OWNER, V1_0, &item("GetAttributes", &uid_xml(&public)));
    assert!(show(&old).contains("PrivateKeyLink"));
}

#[test]
fn the_2_1_result_references_name_each_half_of_the_pair() {
    let server = Server::new();
    let payload = format!(
        r#"<CommonAttributes>{}</CommonAttributes><PrivateKeyAttributes><CryptographicUsageMask type="Integer" value="Sign"/></PrivateKeyAttributes>
        <PublicKeyAttributes><CryptographicUsageMask type="Integer" value="Verify"/></PublicKeyAttributes>"#,
        ec_curve("P_256")
    );
    let by_reference = |reference: &str| {
        item(
            "GetAttributes",
            &format!(
                r#"<UniqueIdentifier type="Enumeration" value="{reference}"/><AttributeReference type="Enumeration" value="ObjectType"/>"#
            ),
        )
    };
    let response = server.send(
        OWNER,
        V2_1,
        "",
        &[
            &item("CreateKeyPair", &payload),
            &by_reference("CreateKeyPairPublicKey"),
            &by_reference("CreateKeyPairPrivateKey"),
        ],
    );
    let batch = batch_items(&response);
    assert!(batch.iter().all(|b| status(b) == "Success"), "{}", show(&response));
    assert_eq!(enumeration_name(batch[1], Tag::ObjectType).as_deref(), Some("PublicKey"));
    assert_eq!(enumeration_name(batch[2], Tag::ObjectType).as_deref(), Some("PrivateKey"));
}

#[test]
fn a_pair_whose_halves_disagree_or_of_an_unknown_kind_is_refused() {
    let server = Server::new();
    let disagreeing = r#"<CommonAttributes><CryptographicAlgorithm type="Enumeration" value="RSA"/></CommonAttributes>
        <PrivateKeyAttributes><CryptographicLength type="Integer" value="2048"/></PrivateKeyAttributes>
        <PublicKeyAttributes><CryptographicLength type="Integer" value="3072"/></PublicKeyAttributes>"#;
    assert_eq!(server.fails(OWNER, V2_1, &item("CreateKeyPair", disagreeing)), "InvalidField");
    let weak = format!("<CommonAttributes>{}</CommonAttributes>", rsa(1024));
    assert_eq!(server.fails(OWNER, V2_1, &item("CreateKeyPair", &weak)), "InvalidField");
    let none = "<CommonAttributes><CryptographicLength type=\"Integer\" value=\"256\"/></CommonAttributes>";
    assert_eq!(server.fails(OWNER, V2_1, &item("CreateKeyPair", none)), "MissingData");
}

// ---------------------------------------------------------------------------------------------
// Get in every format
// ---------------------------------------------------------------------------------------------

/// The Key Block of a Get response, as XML, ready to be registered again.
fn key_block_xml(payload: &Item) -> String {
    xml::to_string(find(payload, Tag::KeyBlock).expect("a key block"))
}

/// Registers the key block (of a `PrivateKey` or `PublicKey`) and returns the new identifier.
fn register_block(server: &Server, object_type: &str, block: &str, mask: &str) -> String {
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="{object_type}"/>
        <Attributes><CryptographicUsageMask type="Integer" value="{mask}"/></Attributes>
        <{object_type}>{block}</{object_type}>"#
    );
    text(&server.ok(OWNER, V2_1, &item("Register", &payload)), Tag::UniqueIdentifier).unwrap()
}

/// Every format of the key goes out, comes back in by Register, and converts back to the very
/// bytes of the stored format.
fn round_trips(server: &Server, uid: &str, object_type: &str, stored: &str, formats: &[&str]) {
    let original = get(server, V2_1, uid, None);
    assert_eq!(enumeration_name(&original, Tag::KeyFormatType).as_deref(), Some(stored));
    let original_bytes = bytes(&original, Tag::KeyMaterial).expect("the stored format is a byte string");
    for format in formats {
        let converted = get(server, V2_1, uid, Some(format));
        assert_eq!(enumeration_name(&converted, Tag::KeyFormatType).as_deref(), Some(*format), "{format}");
        let again = register_block(server, object_type, &key_block_xml(&converted), "Sign Verify");
        let back = get(server, V2_1, &again, Some(stored));
        assert_eq!(bytes(&back, Tag::KeyMaterial), Some(original_bytes.clone()), "{object_type} through {format}");
    }
}

#[test]
fn rsa_keys_go_out_in_every_format_and_back() {
    let server = Server::new();
    let (private, public) = create_pair_2x(&server, V2_1, &rsa(2048), "formats-rsa");
    round_trips(&server, &private, "PrivateKey", "PKCS_1", &["PKCS_1", "PKCS_8", "TransparentRSAPrivateKey"]);
    round_trips(&server, &public, "PublicKey", "PKCS_1", &["PKCS_1", "X_509", "TransparentRSAPublicKey"]);
    let transparent = get(&server, V2_1, &private, Some("TransparentRSAPrivateKey"));
    for field in [Tag::Modulus, Tag::PrivateExponent, Tag::PublicExponent, Tag::P, Tag::Q, Tag::CRTCoefficient] {
        assert!(find(&transparent, field).is_some(), "{field}");
    }
}

#[test]
fn ec_and_ed25519_keys_go_out_in_every_format_and_back() {
    let server = Server::new();
    let (private, public) = create_pair_2x(&server, V2_1, &ec_curve("P_384"), "formats-ec");
    round_trips(&server, &private, "PrivateKey", "ECPrivateKey", &["PKCS_8", "TransparentECPrivateKey"]);
    round_trips(&server, &public, "PublicKey", "X_509", &["TransparentECPublicKey"]);
    let (private, public) = create_pair_2x(&server, V2_1, ED25519, "formats-ed");
    round_trips(&server, &private, "PrivateKey", "PKCS_8", &["Raw"]);
    round_trips(&server, &public, "PublicKey", "X_509", &["Raw"]);
}

#[test]
fn symmetric_keys_go_out_raw_or_transparent() {
    let server = Server::new();
    let key = "000102030405060708090a0b0c0d0e0f";
    let uid = register_aes(&server, key, "Encrypt Decrypt", "");
    let transparent = get(&server, V2_1, &uid, Some("TransparentSymmetricKey"));
    assert_eq!(bytes(find(&transparent, Tag::KeyMaterial).unwrap(), Tag::Key), Some(hex::decode(key).unwrap()));
    assert_eq!(bytes(&get(&server, V1_4, &uid, Some("Raw")), Tag::KeyMaterial), Some(hex::decode(key).unwrap()));
}

#[test]
fn a_conversion_the_key_does_not_have_is_refused() {
    let server = Server::new();
    let (private, public) = create_pair_2x(&server, V2_1, &ec_curve("P_256"), "refused");
    let refuse = |uid: &str, format: &str| {
        server.fails(
            OWNER,
            V2_1,
            &item("Get", &format!(r#"{}<KeyFormatType type="Enumeration" value="{format}"/>"#, uid_xml(uid))),
        )
    };
    assert_eq!(refuse(&private, "PKCS_1"), "KeyFormatTypeNotSupported");
    assert_eq!(refuse(&public, "TransparentRSAPublicKey"), "KeyFormatTypeNotSupported");
    let aes = register_aes(&server, "000102030405060708090a0b0c0d0e0f", "Encrypt", "");
    assert_eq!(refuse(&aes, "PKCS_8"), "KeyFormatTypeNotSupported");
}

/// Registers an AES key with the usage mask and extra 2.x attributes; returns its identifier.
fn register_aes(server: &Server, key_hex: &str, mask: &str, extra: &str) -> String {
    let bits = key_hex.len() * 4;
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/>
        <Attributes><CryptographicUsageMask type="Integer" value="{mask}"/>{extra}</Attributes>
        <SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
        <KeyValue><KeyMaterial type="ByteString" value="{key_hex}"/></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="{bits}"/>
        </KeyBlock></SymmetricKey>"#
    );
    text(&server.ok(OWNER, V2_1, &item("Register", &payload)), Tag::UniqueIdentifier).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Key wrapping
// ---------------------------------------------------------------------------------------------

const ACTIVE: &str = r#"<ActivationDate type="DateTime" value="2023-01-01T00:00:00Z"/>"#;

fn wrapping_spec(kek: &str, parameters: &str, encoding: &str) -> String {
    let encoding = if encoding.is_empty() {
        String::new()
    } else {
        format!(r#"<EncodingOption type="Enumeration" value="{encoding}"/>"#)
    };
    format!(
        r#"<KeyWrappingSpecification><WrappingMethod type="Enumeration" value="Encrypt"/>
        <EncryptionKeyInformation>{}{parameters}</EncryptionKeyInformation>{encoding}</KeyWrappingSpecification>"#,
        uid_xml(kek)
    )
}

fn key_wrap_parameters(mode: &str) -> String {
    format!(
        r#"<CryptographicParameters><BlockCipherMode type="Enumeration" value="{mode}"/></CryptographicParameters>"#
    )
}

#[test]
fn a_key_wrapped_with_nist_key_wrap_matches_rfc_3394() {
    // RFC 3394 §4.6: 256 bits of key data with a 256-bit KEK.
    let server = Server::new();
    let kek_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    let key_hex = "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f";
    let expected = "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21";
    let params = key_wrap_parameters("NISTKeyWrap");
    let kek = register_aes(&server, kek_hex, "WrapKey UnwrapKey", &format!("{ACTIVE}{params}"));
    let key = register_aes(&server, key_hex, "Encrypt", "");
    let spec = wrapping_spec(&kek, &params, "NoEncoding");
    let wrapped = server.ok(OWNER, V2_1, &item("Get", &format!("{}{spec}", uid_xml(&key))));
    assert_eq!(bytes(&wrapped, Tag::KeyValue), Some(hex::decode(expected).unwrap()), "{}", show(&wrapped));
    assert!(show(&wrapped).contains("NISTKeyWrap"), "the Key Wrapping Data says how: {}", show(&wrapped));

    // Registered wrapped, it is unwrapped with the KEK it names.
    let again = register_block(&server, "SymmetricKey", &key_block_xml(&wrapped), "Encrypt");
    assert_eq!(bytes(&get(&server, V2_1, &again, None), Tag::KeyMaterial), Some(hex::decode(key_hex).unwrap()));
}

#[test]
fn ttlv_encoded_wrapping_in_gcm_and_key_wrap_padding_round_trips() {
    let server = Server::new();
    let kek_hex = "00112233445566778899aabbccddeeff";
    for mode in ["AESKeyWrapPadding", "GCM", "NISTKeyWrap"] {
        let params = key_wrap_parameters(mode);
        let kek = register_aes(&server, kek_hex, "WrapKey UnwrapKey", &format!("{ACTIVE}{params}"));
        let key_hex = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
        let key = register_aes(&server, key_hex, "Encrypt", "");
        // TTLV encoding (the default) with the key's usage mask inside the wrapped Key Value.
        let spec = wrapping_spec(&kek, &params, "").replace(
            "</KeyWrappingSpecification>",
            r#"<AttributeName type="TextString" value="Cryptographic Usage Mask"/></KeyWrappingSpecification>"#,
        );
        let wrapped = server.ok(OWNER, V2_1, &item("Get", &format!("{}{spec}", uid_xml(&key))));
        let value = bytes(&wrapped, Tag::KeyValue).unwrap();
        assert!(value.len() > 16, "{mode}: the TTLV encoding is longer than the key");
        if mode == "NISTKeyWrap" {
            // Independently unwrapped, it is the Key Value structure in TTLV.
            let plain = unwrap_key(KeyWrap::Rfc3394, &hex::decode(kek_hex).unwrap(), &value).unwrap();
            let decoded = keyward_ttlv::decode_owned(&plain, &keyward_ttlv::Limits::default()).unwrap();
            assert_eq!(decoded.tag, Tag::KeyValue);
            assert_eq!(bytes(&decoded, Tag::KeyMaterial), Some(hex::decode(key_hex).unwrap()));
            assert!(find(&decoded, Tag::CryptographicUsageMask).is_some(), "{}", show(&decoded));
        }
        if mode == "GCM" {
            assert_eq!(bytes(&wrapped, Tag::IVCounterNonce).map(|iv| iv.len()), Some(12));
        }
        let again = register_block(&server, "SymmetricKey", &key_block_xml(&wrapped), "Encrypt");
        assert_eq!(
            bytes(&get(&server, V2_1, &again, None), Tag::KeyMaterial),
            Some(hex::decode(key_hex).unwrap()),
            "{mode}"
        );
    }
}

#[test]
fn a_key_wrapped_under_an_rsa_public_key_is_unwrapped_with_its_private_key() {
    let server = Server::new();
    let oaep = r#"<CryptographicParameters><PaddingMethod type="Enumeration" value="OAEP"/><HashingAlgorithm type="Enumeration" value="SHA_256"/></CryptographicParameters>"#;
    let payload = format!(
        r#"<CommonAttributes>{}{ACTIVE}{oaep}</CommonAttributes>
        <PrivateKeyAttributes><CryptographicUsageMask type="Integer" value="UnwrapKey"/></PrivateKeyAttributes>
        <PublicKeyAttributes><CryptographicUsageMask type="Integer" value="WrapKey"/></PublicKeyAttributes>"#,
        rsa(2048)
    );
    let pair = server.ok(OWNER, V2_1, &item("CreateKeyPair", &payload));
    let public = text(&pair, Tag::PublicKeyUniqueIdentifier).unwrap();
    let key_hex = "0f0e0d0c0b0a09080706050403020100";
    let key = register_aes(&server, key_hex, "Encrypt", "");
    let spec = wrapping_spec(&public, oaep, "NoEncoding");
    let wrapped = server.ok(OWNER, V2_1, &item("Get", &format!("{}{spec}", uid_xml(&key))));
    assert_eq!(bytes(&wrapped, Tag::KeyValue).map(|v| v.len()), Some(256));
    let again = register_block(&server, "SymmetricKey", &key_block_xml(&wrapped), "Encrypt");
    assert_eq!(bytes(&get(&server, V2_1, &again, None), Tag::KeyMaterial), Some(hex::decode(key_hex).unwrap()));
}

#[test]
fn encrypt_then_mac_is_checked_when_the_key_comes_back() {
    let server = Server::new();
    let params = key_wrap_parameters("NISTKeyWrap");
    let kek =
        register_aes(&server, "00112233445566778899aabbccddeeff", "WrapKey UnwrapKey", &format!("{ACTIVE}{params}"));
    let mac_key = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes><CryptographicUsageMask type="Integer" value="MACGenerate MACVerify"/>{ACTIVE}</Attributes>
        <SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/><KeyValue><KeyMaterial type="ByteString" value="4a656665"/></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="HMAC_SHA256"/><CryptographicLength type="Integer" value="32"/></KeyBlock></SymmetricKey>"#
    );
    let mac_key = text(&server.ok(OWNER, V2_1, &item("Register", &mac_key)), Tag::UniqueIdentifier).unwrap();
    let key = register_aes(&server, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "Encrypt", "");
    let spec = format!(
        r#"<KeyWrappingSpecification><WrappingMethod type="Enumeration" value="EncryptThenMACSign"/>
        <EncryptionKeyInformation>{}{params}</EncryptionKeyInformation>
        <MACSignatureKeyInformation>{}</MACSignatureKeyInformation></KeyWrappingSpecification>"#,
        uid_xml(&kek),
        uid_xml(&mac_key)
    );
    let wrapped = server.ok(OWNER, V2_1, &item("Get", &format!("{}{spec}", uid_xml(&key))));
    assert_eq!(bytes(&wrapped, Tag::MACSignature).map(|m| m.len()), Some(32));
    let block = key_block_xml(&wrapped);
    register_block(&server, "SymmetricKey", &block, "Encrypt");
    // A tampered MAC is caught.
    let mac_hex = hex::encode(bytes(&wrapped, Tag::MACSignature).unwrap());
    let tampered = block.replace(&mac_hex, &format!("00{}", &mac_hex[2..]));
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes><CryptographicUsageMask type="Integer" value="Encrypt"/></Attributes><SymmetricKey>{tampered}</SymmetricKey>"#
    );
    assert_eq!(server.fails(OWNER, V2_1, &item("Register", &payload)), "CryptographicFailure");
}

#[test]
fn wrapping_obeys_the_keys_attributes() {
    let server = Server::new();
    let params = key_wrap_parameters("NISTKeyWrap");
    let kek = register_aes(&server, "00112233445566778899aabbccddeeff", "WrapKey", &format!("{ACTIVE}{params}"));
    let encrypt_only =
        register_aes(&server, "00112233445566778899aabbccddeef0", "Encrypt", &format!("{ACTIVE}{params}"));
    let sensitive = register_aes(
        &server,
        "101112131415161718191a1b1c1d1e1f",
        "Encrypt",
        r#"<Sensitive type="Boolean" value="true"/>"#,
    );
    let sealed = register_aes(
        &server,
        "202122232425262728292a2b2c2d2e2f",
        "Encrypt",
        r#"<Extractable type="Boolean" value="false"/>"#,
    );
    let wrapped_get = |key: &str, kek: &str, parameters: &str| {
        item("Get", &format!("{}{}", uid_xml(key), wrapping_spec(kek, parameters, "")))
    };

    // A Sensitive key leaves only wrapped.
    assert_eq!(server.fails(OWNER, V2_1, &item("Get", &uid_xml(&sensitive))), "Sensitive");
    server.ok(OWNER, V2_1, &wrapped_get(&sensitive, &kek, &params));
    // A key that is not Extractable never leaves.
    assert_eq!(server.fails(OWNER, V2_1, &wrapped_get(&sealed, &kek, &params)), "NotExtractable");
    // The wrapping key must allow Wrap Key, and the parameters asked for must be its own.
    assert_eq!(
        server.fails(OWNER, V2_1, &wrapped_get(&sensitive, &encrypt_only, &params)),
        "IncompatibleCryptographicUsageMask"
    );
    assert_eq!(
        server.fails(OWNER, V2_1, &wrapped_get(&sensitive, &kek, &key_wrap_parameters("GCM"))),
        "BadCryptographicParameters"
    );
    // 1.x has no precise reasons: Permission Denied for the usage mask.
    assert_eq!(server.fails(OWNER, V1_4, &wrapped_get(&sensitive, &encrypt_only, &params)), "PermissionDenied");
    // With No Encoding, no attributes travel with the key.
    let spec = wrapping_spec(&kek, &params, "NoEncoding").replace(
        "</KeyWrappingSpecification>",
        r#"<AttributeName type="TextString" value="Name"/></KeyWrappingSpecification>"#,
    );
    assert_eq!(
        server.fails(OWNER, V2_1, &item("Get", &format!("{}{spec}", uid_xml(&sensitive)))),
        "EncodingOptionError"
    );
}

// ---------------------------------------------------------------------------------------------
// Derive Key
// ---------------------------------------------------------------------------------------------

/// Registers Secret Data (a password, or data) allowing Derive Key.
fn register_secret(server: &Server, value: &[u8]) -> String {
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SecretData"/>
        <Attributes><CryptographicUsageMask type="Integer" value="DeriveKey"/>{ACTIVE}</Attributes>
        <SecretData><SecretDataType type="Enumeration" value="Password"/><KeyBlock><KeyFormatType type="Enumeration" value="Opaque"/>
        <KeyValue><KeyMaterial type="ByteString" value="{}"/></KeyValue></KeyBlock></SecretData>"#,
        hex::encode(value)
    );
    text(&server.ok(OWNER, V2_1, &item("Register", &payload)), Tag::UniqueIdentifier).unwrap()
}

/// Registers a key of `algorithm` allowing Derive Key.
fn register_derivation_key(server: &Server, algorithm: &str, key: &[u8]) -> String {
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/>
        <Attributes><CryptographicUsageMask type="Integer" value="DeriveKey"/>{ACTIVE}</Attributes>
        <SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
        <KeyValue><KeyMaterial type="ByteString" value="{}"/></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="{algorithm}"/><CryptographicLength type="Integer" value="{}"/>
        </KeyBlock></SymmetricKey>"#,
        hex::encode(key),
        key.len() * 8
    );
    text(&server.ok(OWNER, V2_1, &item("Register", &payload)), Tag::UniqueIdentifier).unwrap()
}

/// Derives Secret Data of `bytes` bytes and returns its value.
fn derive(server: &Server, bases: &[&str], method: &str, parameters: &str, length: usize) -> Vec<u8> {
    let bases: String = bases.iter().map(|b| uid_xml(b)).collect();
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SecretData"/>{bases}
        <DerivationMethod type="Enumeration" value="{method}"/>
        <DerivationParameters>{parameters}</DerivationParameters>
        <Attributes><CryptographicLength type="Integer" value="{}"/></Attributes>"#,
        length * 8
    );
    let uid = text(&server.ok(OWNER, V2_1, &item("DeriveKey", &payload)), Tag::UniqueIdentifier).unwrap();
    bytes(&get(server, V2_1, &uid, None), Tag::KeyMaterial).unwrap()
}

fn hashing(algorithm: &str) -> String {
    format!(
        r#"<CryptographicParameters><HashingAlgorithm type="Enumeration" value="{algorithm}"/></CryptographicParameters>"#
    )
}

fn h(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

#[test]
fn pbkdf2_matches_rfc_6070() {
    let server = Server::new();
    let password = register_secret(&server, b"password");
    let salt = format!(r#"<Salt type="ByteString" value="{}"/>"#, hex::encode(b"salt"));
    for (iterations, expected) in
        [(1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"), (4096, "4b007901b765489abead49d926f721d065a429c1")]
    {
        let parameters = format!(r#"{}{salt}<IterationCount type="Integer" value="{iterations}"/>"#, hashing("SHA_1"));
        assert_eq!(derive(&server, &[&password], "PBKDF2", &parameters, 20), h(expected), "c = {iterations}");
    }
    // SHA-1 is PKCS#5's default PRF.
    let parameters = format!(r#"{salt}<IterationCount type="Integer" value="1"/>"#);
    assert_eq!(derive(&server, &[&password], "PBKDF2", &parameters, 20), h("0c60c80f961f0e71f3a9b524af6012062fe037a6"));
}

#[test]
fn hkdf_matches_rfc_5869() {
    // RFC 5869 Appendix A.1 (SHA-256, the default of KMIP 2.1 §7.12).
    let server = Server::new();
    let ikm = register_derivation_key(&server, "HMAC_SHA256", &[0x0b; 22]);
    let parameters = r#"<DerivationData type="ByteString" value="f0f1f2f3f4f5f6f7f8f9"/><Salt type="ByteString" value="000102030405060708090a0b0c"/>"#;
    let expected = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
    assert_eq!(derive(&server, &[&ikm], "HKDF", parameters, 42), h(expected));
}

#[test]
fn sp_800_108_counter_mode_matches_the_cavp_vector() {
    // NIST CAVP KBKDF, KDFCTR_gen.rsp, [PRF=HMAC_SHA256] [CTRLOCATION=BEFORE_FIXED] [RLEN=32_BITS],
    // COUNT=0: the Derivation Data is the whole fixed input.
    let server = Server::new();
    let key = register_derivation_key(
        &server,
        "HMAC_SHA256",
        &h("dd1d91b7d90b2bd3138533ce92b272fbf8a369316aefe242e659cc0ae238afe0"),
    );
    let fixed = "01322b96b30acd197979444e468e1c5c6859bf1b1cf951b7e725303e237e46b864a145fab25e517b08f8683d0315bb2911d80a0e8aba17f3b413faac";
    let parameters = format!(r#"{}<DerivationData type="ByteString" value="{fixed}"/>"#, hashing("SHA_256"));
    assert_eq!(derive(&server, &[&key], "NIST800_108_C", &parameters, 16), h("10621342bfb0fd40046c0e29f2cfdbf0"));
}

#[test]
fn hash_and_hmac_derivations_match_fips_180_and_rfc_4231() {
    let server = Server::new();
    // FIPS 180-2 Appendix B.1: SHA-256("abc").
    let key = register_derivation_key(&server, "AES", &[0x42; 16]);
    let abc = format!(r#"{}<DerivationData type="ByteString" value="{}"/>"#, hashing("SHA_256"), hex::encode(b"abc"));
    let sha256_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_eq!(derive(&server, &[&key], "HASH", &abc, 32), h(sha256_abc));
    // The data can come from a second object, Secret Data, instead.
    let data = register_secret(&server, b"abc");
    assert_eq!(derive(&server, &[&key, &data], "HASH", &hashing("SHA_256"), 32), h(sha256_abc));
    // RFC 4231 test case 2: HMAC-SHA-256 with the key "Jefe"; the key's algorithm names the PRF.
    let jefe = register_derivation_key(&server, "HMAC_SHA256", b"Jefe");
    let message =
        format!(r#"<DerivationData type="ByteString" value="{}"/>"#, hex::encode(b"what do ya want for nothing?"));
    let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    assert_eq!(derive(&server, &[&jefe], "HMAC", &message, 32), h(expected));
}

#[test]
fn derivation_is_linked_and_refused_where_the_specification_says() {
    let server = Server::new();
    let key = register_derivation_key(&server, "HMAC_SHA256", &[7; 32]);
    let payload = |length: usize, data: &str| {
        format!(
            r#"<ObjectType type="Enumeration" value="SymmetricKey"/>{}
            <DerivationMethod type="Enumeration" value="HMAC"/>
            <DerivationParameters><DerivationData type="ByteString" value="{data}"/></DerivationParameters>
            <Attributes><CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="{}"/></Attributes>"#,
            uid_xml(&key),
            length * 8
        )
    };
    let derived = text(&server.ok(OWNER, V2_1, &item("DeriveKey", &payload(16, "00"))), Tag::UniqueIdentifier).unwrap();
    let links = show(&get_attributes_2x(&server, &derived, &["Link"]));
    assert!(links.contains("DerivationBaseObjectLink") && links.contains(&key), "{links}");
    assert!(show(&get_attributes_2x(&server, &key, &["Link"])).contains(&derived));
    // Longer than HMAC-SHA256 gives: refused (1.4 §4.6).
    assert_eq!(server.fails(OWNER, V2_1, &item("DeriveKey", &payload(48, "00"))), "InvalidField");
    // A key without the Derive Key bit.
    let plain = register_aes(&server, "000102030405060708090a0b0c0d0e0f", "Encrypt", ACTIVE);
    let other = payload(16, "00").replace(&key, &plain);
    assert_eq!(server.fails(OWNER, V2_1, &item("DeriveKey", &other)), "IncompatibleCryptographicUsageMask");
}

// ---------------------------------------------------------------------------------------------
// Certify, Re-certify, Validate
// ---------------------------------------------------------------------------------------------

/// A CA made by rcgen, registered: its certificate (linked to its private key) and its private key
/// allowed to sign certificates. Returns (certificate, private key, certificate DER).
fn register_ca(server: &Server, name: &str) -> (String, String, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::OrganizationName, "Keyward Test");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    let certificate = params.self_signed(&key).unwrap().der().to_vec();
    let private = register_block(
        server,
        "PrivateKey",
        &format!(
            r#"<KeyBlock><KeyFormatType type="Enumeration" value="PKCS_8"/><KeyValue><KeyMaterial type="ByteString" value="{}"/></KeyValue></KeyBlock>"#,
            hex::encode(key.serialize_der())
        ),
        "CertificateSign",
    );
    server.ok(OWNER, V2_1, &item("Activate", &uid_xml(&private)));
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="Certificate"/>
        <Attributes><Link><LinkType type="Enumeration" value="PrivateKeyLink"/><LinkedObjectIdentifier type="TextString" value="{private}"/></Link></Attributes>
        <Certificate><CertificateType type="Enumeration" value="X_509"/><CertificateValue type="ByteString" value="{}"/></Certificate>"#,
        hex::encode(&certificate)
    );
    let uid = text(&server.ok(OWNER, V2_1, &item("Register", &payload)), Tag::UniqueIdentifier).unwrap();
    let link = format!(
        r#"{}<NewAttribute><Link><LinkType type="Enumeration" value="CertificateLink"/><LinkedObjectIdentifier type="TextString" value="{uid}"/></Link></NewAttribute>"#,
        uid_xml(&private)
    );
    server.ok(OWNER, V2_1, &item("AddAttribute", &link));
    (uid, private, certificate)
}

fn parent_link(uid: &str) -> String {
    format!(
        r#"<Link><LinkType type="Enumeration" value="ParentLink"/><LinkedObjectIdentifier type="TextString" value="{uid}"/></Link>"#
    )
}

fn certificate_der(server: &Server, uid: &str) -> Vec<u8> {
    bytes(&get(server, V2_1, uid, None), Tag::CertificateValue).expect("a certificate")
}

fn validate(server: &Server, version: KmipVersion, uids: &[&str], extra: &str) -> String {
    let uids: String = uids.iter().map(|u| uid_xml(u)).collect();
    let response = server.ok(OWNER, version, &item("Validate", &format!("{uids}{extra}")));
    enumeration_name(&response, Tag::ValidityIndicator).unwrap()
}

#[test]
fn a_managed_public_key_is_certified_by_the_ca_its_request_names() {
    let server = Server::new();
    let (ca, ca_key, ca_der) = register_ca(&server, "Keyward Test CA");
    let (_, public) = create_pair_2x(&server, V2_1, &rsa(2048), "certified");
    let attributes = format!(
        r#"{}<CertificateSubjectCN type="TextString" value="array-01"/><CertificateSubjectO type="TextString" value="Acme"/>{}"#,
        parent_link(&ca_key),
        name_2x("array-01-certificate")
    );
    let payload = format!("{}<Attributes>{attributes}</Attributes>", uid_xml(&public));
    let response = server.send(OWNER, V2_1, "", &[&item("Certify", &payload), &item("Get", "")]);
    let batch = batch_items(&response);
    assert!(batch.iter().all(|b| status(b) == "Success"), "{}", show(&response));
    let certificate = text(batch[0], Tag::UniqueIdentifier).unwrap();

    let info = describe_certificate(&bytes(batch[1], Tag::CertificateValue).unwrap()).unwrap();
    let ca_info = describe_certificate(&ca_der).unwrap();
    assert_eq!(info.subject.values(NameAttribute::CommonName), ["array-01"]);
    assert_eq!(info.subject.values(NameAttribute::Organization), ["Acme"]);
    assert_eq!(info.issuer.der, ca_info.subject.der);
    assert_eq!((info.not_before, info.not_after), (NOW, NOW + 365 * 24 * 3600));
    let public_der = bytes(&get(&server, V2_1, &public, Some("X_509")), Tag::KeyMaterial).unwrap();
    assert_eq!(info.spki_der, public_der, "the certificate is for the managed public key");

    let shown = show(&get_attributes_2x(
        &server,
        &certificate,
        &[
            "Link",
            "CertificateSubjectCN",
            "CertificateIssuerCN",
            "CertificateLength",
            "DigitalSignatureAlgorithm",
            "Name",
        ],
    ));
    assert!(shown.contains("PublicKeyLink") && shown.contains(&public) && shown.contains("ParentLink"), "{shown}");
    assert!(shown.contains(r#"<CertificateIssuerCN type="TextString" value="Keyward Test CA"/>"#), "{shown}");
    assert!(shown.contains("ECDSAWithSHA256"), "{shown}");
    assert!(show(&get_attributes_2x(&server, &public, &["Link"])).contains(&certificate));

    assert_eq!(validate(&server, V2_1, &[&certificate, &ca], ""), "Valid");
    // In any order, and by value as well as by identifier.
    let by_value = format!(
        r#"<Certificate><CertificateType type="Enumeration" value="X_509"/><CertificateValue type="ByteString" value="{}"/></Certificate>"#,
        hex::encode(&ca_der)
    );
    assert_eq!(validate(&server, V1_4, &[&certificate], &by_value), "Valid");
    // Not after it expires; and a leaf alone has no anchor.
    let later = format!(r#"<ValidityDate type="DateTime" value="{}"/>"#, date(NOW + 2 * 365 * 24 * 3600));
    assert_eq!(validate(&server, V2_1, &[&ca, &certificate], &later), "Invalid");
    assert_eq!(validate(&server, V2_1, &[&certificate], ""), "Unknown");
    assert_eq!(validate(&server, V2_1, &[&ca], ""), "Valid");
}

#[test]
fn a_certificate_request_is_certified_with_its_own_subject() {
    use rcgen::{CertificateParams, DnType, KeyPair};
    let server = Server::new();
    let (ca, _, _) = register_ca(&server, "Request CA");
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let mut params = CertificateParams::new(vec!["db.example.com".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "db.example.com");
    let csr = params.serialize_request(&key).unwrap();
    for (request_type, value) in [("PKCS_10", csr.der().to_vec()), ("PEM", csr.pem().unwrap().into_bytes())] {
        let payload = format!(
            r#"<CertificateRequestType type="Enumeration" value="{request_type}"/>
            <CertificateRequestValue type="ByteString" value="{}"/>
            <Attributes>{}<CertificateSubjectCN type="TextString" value="ignored"/></Attributes>"#,
            hex::encode(value),
            parent_link(&ca)
        );
        let uid = text(&server.ok(OWNER, V2_1, &item("Certify", &payload)), Tag::UniqueIdentifier).unwrap();
        let info = describe_certificate(&certificate_der(&server, &uid)).unwrap();
        assert_eq!(info.subject.values(NameAttribute::CommonName), ["db.example.com"], "the request's subject wins");
        assert_eq!(info.spki_der, rcgen::PublicKeyData::subject_public_key_info(&key));
    }
    let mut tampered = csr.der().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let payload = format!(
        r#"<CertificateRequestType type="Enumeration" value="PKCS_10"/><CertificateRequestValue type="ByteString" value="{}"/><Attributes>{}</Attributes>"#,
        hex::encode(&tampered),
        parent_link(&ca)
    );
    assert_eq!(server.fails(OWNER, V2_1, &item("Certify", &payload)), "InvalidCSR");
    // 1.x has no Invalid CSR: Invalid Field.
    let v14 = format!(
        r#"<CertificateRequestType type="Enumeration" value="PKCS_10"/><CertificateRequest type="ByteString" value="{}"/>
        <TemplateAttribute><Attribute><AttributeName type="TextString" value="Link"/><AttributeValue>
        <LinkType type="Enumeration" value="ParentLink"/><LinkedObjectIdentifier type="TextString" value="{ca}"/>
        </AttributeValue></Attribute></TemplateAttribute>"#,
        hex::encode(&tampered)
    );
    assert_eq!(server.fails(OWNER, V1_4, &item("Certify", &v14)), "InvalidField");
}

#[test]
fn certify_needs_a_ca_that_may_sign_certificates() {
    let server = Server::new();
    let (_, public) = create_pair_2x(&server, V2_1, &ec_curve("P_256"), "no-ca");
    let subject = r#"<CertificateSubjectCN type="TextString" value="x"/>"#;
    let without = format!("{}<Attributes>{subject}</Attributes>", uid_xml(&public));
    assert_eq!(server.fails(OWNER, V2_1, &item("Certify", &without)), "MissingData");
    // A key pair whose private key may not sign certificates is no CA.
    let (signer, _) = create_pair_2x(&server, V2_1, &ec_curve("P_256"), "not-a-ca");
    let named = format!("{}<Attributes>{subject}{}</Attributes>", uid_xml(&public), parent_link(&signer));
    assert_eq!(server.fails(OWNER, V2_1, &item("Certify", &named)), "MissingData");
}

#[test]
fn re_certify_renews_for_the_same_key_and_moves_the_links() {
    let server = Server::new();
    let (ca, _, _) = register_ca(&server, "Renewing CA");
    let (_, public) = create_pair_2x(&server, V2_1, &rsa(2048), "renewed");
    let payload = format!(
        r#"{}<Attributes>{}<CertificateSubjectCN type="TextString" value="renewed"/>{}</Attributes>"#,
        uid_xml(&public),
        parent_link(&ca),
        name_2x("renewed-certificate")
    );
    let old = text(&server.ok(OWNER, V2_1, &item("Certify", &payload)), Tag::UniqueIdentifier).unwrap();
    let offset = r#"<Offset type="Interval" value="86400"/>"#;
    let new =
        text(&server.ok(OWNER, V2_1, &item("ReCertify", &format!("{}{offset}", uid_xml(&old)))), Tag::UniqueIdentifier)
            .unwrap();
    let old_info = describe_certificate(&certificate_der(&server, &old)).unwrap();
    let new_info = describe_certificate(&certificate_der(&server, &new)).unwrap();
    assert_eq!(new_info.spki_der, old_info.spki_der);
    assert_eq!(new_info.subject.der, old_info.subject.der);
    assert_ne!(new_info.serial_number, old_info.serial_number);
    assert_eq!(new_info.not_before, NOW + 86400, "the Offset sets the new Activation Date");

    let new_attributes = show(&get_attributes_2x(&server, &new, &["Name", "Link", "ActivationDate"]));
    assert!(
        new_attributes.contains("renewed-certificate") && new_attributes.contains("ReplacedObjectLink"),
        "{new_attributes}"
    );
    let old_attributes = show(&get_attributes_2x(&server, &old, &["Name", "Link"]));
    assert!(
        !old_attributes.contains("renewed-certificate") && old_attributes.contains("ReplacementObjectLink"),
        "{old_attributes}"
    );
    let key_links = show(&get_attributes_2x(&server, &public, &["Link"]));
    assert!(key_links.contains(&new) && !key_links.contains(&old), "{key_links}");
}

#[test]
fn a_registered_certificate_gets_the_attributes_it_determines() {
    let server = Server::new();
    let (ca, _, ca_der) = register_ca(&server, "Attributes CA");
    let shown = show(&get_attributes_2x(
        &server,
        &ca,
        &[
            "CertificateType",
            "CertificateLength",
            "X_509CertificateSubject",
            "CertificateSubjectCN",
            "CertificateSubjectO",
            "CertificateIssuerCN",
            "DigitalSignatureAlgorithm",
            "CryptographicAlgorithm",
            "CryptographicLength",
        ],
    ));
    for expected in [
        r#"<CertificateType type="Enumeration" value="X_509"/>"#.to_string(),
        format!(r#"<CertificateLength type="Integer" value="{}"/>"#, ca_der.len()),
        r#"<CertificateSubjectCN type="TextString" value="Attributes CA"/>"#.to_string(),
        r#"<CertificateSubjectO type="TextString" value="Keyward Test"/>"#.to_string(),
        r#"<CertificateIssuerCN type="TextString" value="Attributes CA"/>"#.to_string(),
        r#"value="ECDSAWithSHA256""#.to_string(),
        r#"<CryptographicAlgorithm type="Enumeration" value="EC"/>"#.to_string(),
        r#"<CryptographicLength type="Integer" value="256"/>"#.to_string(),
    ] {
        assert!(shown.contains(&expected), "{expected} in {shown}");
    }
    // 1.0 clients get the 1.0 forms.
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="Certificate"/><TemplateAttribute/>
        <Certificate><CertificateType type="Enumeration" value="X_509"/><CertificateValue type="ByteString" value="{}"/></Certificate>"#,
        hex::encode(&ca_der)
    );
    let old = text(&server.ok(OWNER, V1_0, &item("Register", &payload)), Tag::UniqueIdentifier).unwrap();
    let attributes = show(&server.ok(OWNER, V1_0, &item("GetAttributes", &uid_xml(&old))));
    assert!(attributes.contains("CN=Attributes CA") && attributes.contains("O=Keyward Test"), "{attributes}");
    // A client may restate the type, not contradict it.
    let pgp = payload.replace(
        "<TemplateAttribute/>",
        r#"<Attributes><CertificateType type="Enumeration" value="PGP"/></Attributes>"#,
    );
    assert_eq!(server.fails(OWNER, V2_1, &item("Register", &pgp)), "AttributeReadOnly");
}

// ---------------------------------------------------------------------------------------------
// Re-key, Re-key Key Pair
// ---------------------------------------------------------------------------------------------

fn date_xml(tag: &str, seconds: i64) -> String {
    format!(r#"<{tag} type="DateTime" value="{}"/>"#, date(seconds))
}

fn date_of(payload: &Item, tag: Tag) -> Option<i64> {
    match &find(payload, tag)?.value {
        Value::DateTime(seconds) => Some(*seconds),
        _ => None,
    }
}

#[test]
fn re_key_moves_the_dates_by_the_offset_as_2_1_table_303_says() {
    let server = Server::new();
    // The existing key: activated 100 s ago; processing from 50 s ago; protection stops in 1000 s;
    // deactivated in 2000 s.
    let (activation, start, stop, deactivation) = (NOW - 100, NOW - 50, NOW + 1000, NOW + 2000);
    let dates = [
        date_xml("ActivationDate", activation),
        date_xml("ProcessStartDate", start),
        date_xml("ProtectStopDate", stop),
        date_xml("DeactivationDate", deactivation),
        r#"<UsageLimits><UsageLimitsTotal type="LongInteger" value="100"/><UsageLimitsCount type="LongInteger" value="3"/><UsageLimitsUnit type="Enumeration" value="Object"/></UsageLimits>"#.to_string(),
        name_2x("rotating"),
    ]
    .concat();
    let existing = register_aes(&server, "000102030405060708090a0b0c0d0e0f", "Encrypt Decrypt", &dates);
    server.advance(10);
    let offset = 3600;
    let response = server.ok(
        OWNER,
        V2_1,
        &item("ReKey", &format!(r#"{}<Offset type="Interval" value="{offset}"/>"#, uid_xml(&existing))),
    );
    let replacement = text(&response, Tag::UniqueIdentifier).unwrap();
    let now = NOW + 10;
    let new_activation = now + offset;
    let shift = new_activation - activation;
    let attributes = get_attributes_2x(
        &server,
        &replacement,
        &[
            "ActivationDate",
            "ProcessStartDate",
            "ProtectStopDate",
            "DeactivationDate",
            "InitialDate",
            "State",
            "Name",
            "Link",
            "UsageLimits",
            "CryptographicLength",
        ],
    );
    assert_eq!(date_of(&attributes, Tag::ActivationDate), Some(new_activation));
    assert_eq!(date_of(&attributes, Tag::ProcessStartDate), Some(start + shift));
    assert_eq!(date_of(&attributes, Tag::ProtectStopDate), Some(stop + shift));
    assert_eq!(date_of(&attributes, Tag::DeactivationDate), Some(deactivation + shift));
    assert_eq!(date_of(&attributes, Tag::InitialDate), Some(now));
    let shown = show(&attributes);
    assert!(shown.contains("PreActive") && shown.contains("rotating"), "{shown}");
    assert!(shown.contains("ReplacedObjectLink") && shown.contains(&existing), "{shown}");
    assert!(shown.contains(r#"<UsageLimitsCount type="LongInteger" value="100"/>"#), "a full allowance: {shown}");
    assert!(shown.contains(r#"<CryptographicLength type="Integer" value="128"/>"#), "{shown}");
    assert_ne!(
        bytes(&get(&server, V2_1, &replacement, None), Tag::KeyMaterial),
        Some(h("000102030405060708090a0b0c0d0e0f"))
    );

    let old = show(&get_attributes_2x(&server, &existing, &["Name", "Link", "State"]));
    assert!(!old.contains("rotating") && old.contains("ReplacementObjectLink") && old.contains(&replacement), "{old}");

    // Without an Offset the dates are copied: the replacement is Active at once.
    let copied = text(&server.ok(OWNER, V1_4, &item("ReKey", &uid_xml(&replacement))), Tag::UniqueIdentifier).unwrap();
    let attributes = get_attributes_2x(&server, &copied, &["ActivationDate", "DeactivationDate", "State"]);
    assert_eq!(date_of(&attributes, Tag::ActivationDate), Some(new_activation));
    assert_eq!(date_of(&attributes, Tag::DeactivationDate), Some(deactivation + shift));
}

#[test]
fn re_key_key_pair_replaces_both_halves_with_a_pair_of_the_same_kind() {
    let server = Server::new();
    let common = format!(
        "{}{}{}",
        ec_curve("P_384"),
        date_xml("ActivationDate", NOW - 60),
        date_xml("DeactivationDate", NOW + 600)
    );
    let (private, public) = create_pair_2x(&server, V2_1, &common, "pair");
    let payload = format!(
        r#"<PrivateKeyUniqueIdentifier type="TextString" value="{private}"/><Offset type="Interval" value="60"/>
        <PublicKeyAttributes><ObjectGroup type="TextString" value="verifiers"/></PublicKeyAttributes>"#
    );
    let response = server.ok(OWNER, V2_1, &item("ReKeyKeyPair", &payload));
    let new_private = text(&response, Tag::PrivateKeyUniqueIdentifier).unwrap();
    let new_public = text(&response, Tag::PublicKeyUniqueIdentifier).unwrap();

    let private_attributes = get_attributes_2x(
        &server,
        &new_private,
        &["Name", "Link", "ActivationDate", "DeactivationDate", "CryptographicLength", "KeyFormatType"],
    );
    let shown = show(&private_attributes);
    assert!(shown.contains("pair-private") && shown.contains(&new_public) && shown.contains(&private), "{shown}");
    assert!(shown.contains(r#"<CryptographicLength type="Integer" value="384"/>"#), "{shown}");
    assert_eq!(date_of(&private_attributes, Tag::ActivationDate), Some(NOW + 60));
    assert_eq!(date_of(&private_attributes, Tag::DeactivationDate), Some(NOW + 600 + 120));
    let public_attributes = show(&get_attributes_2x(&server, &new_public, &["Name", "Link", "ObjectGroup"]));
    assert!(
        public_attributes.contains("pair-public") && public_attributes.contains("verifiers"),
        "{public_attributes}"
    );
    assert!(public_attributes.contains("PrivateKeyLink") && public_attributes.contains(&public), "{public_attributes}");
    for (old, new) in [(&private, &new_private), (&public, &new_public)] {
        let links = show(&get_attributes_2x(&server, old, &["Link", "Name"]));
        assert!(
            links.contains("ReplacementObjectLink") && links.contains(new.as_str()) && !links.contains("<Name>"),
            "{links}"
        );
    }
    // The placeholder is the new private key.
    let batch = server.send(
        OWNER,
        V2_1,
        "",
        &[
            &item("ReKeyKeyPair", &uid_xml(&new_private).replace("UniqueIdentifier", "PrivateKeyUniqueIdentifier")),
            &item("Get", ""),
        ],
    );
    let items = batch_items(&batch);
    assert_eq!(enumeration_name(items[1], Tag::ObjectType).as_deref(), Some("PrivateKey"), "{}", show(&batch));
    // Only key pairs: a symmetric key is "not able to be re-keyed" (1.4 Table 332).
    let aes = register_aes(&server, "000102030405060708090a0b0c0d0e0f", "Encrypt", "");
    let refused = format!(r#"<PrivateKeyUniqueIdentifier type="TextString" value="{aes}"/>"#);
    assert_eq!(server.fails(OWNER, V1_4, &item("ReKeyKeyPair", &refused)), "PermissionDenied");
}

// ---------------------------------------------------------------------------------------------
// Split keys, Export and Import
// ---------------------------------------------------------------------------------------------

#[test]
fn an_xor_split_joins_back_into_the_key() {
    let server = Server::new();
    let key_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let key = register_aes(&server, key_hex, "Encrypt", "");
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SplitKey"/>{}<SplitKeyParts type="Integer" value="3"/>
        <SplitKeyThreshold type="Integer" value="3"/><SplitKeyMethod type="Enumeration" value="XOR"/>
        <Attributes><CryptographicUsageMask type="Integer" value="Export"/></Attributes>"#,
        uid_xml(&key)
    );
    let parts = texts(&server.ok(OWNER, V2_0, &item("CreateSplitKey", &payload)), Tag::UniqueIdentifier);
    assert_eq!(parts.len(), 3);
    for part in &parts {
        assert_ne!(bytes(&get(&server, V2_1, part, None), Tag::KeyMaterial), Some(h(key_hex)));
    }
    let join = |uids: &[String]| {
        let uids: String = uids.iter().map(|u| uid_xml(u)).collect();
        item("JoinSplitKey", &format!(r#"<ObjectType type="Enumeration" value="SymmetricKey"/>{uids}"#))
    };
    let joined = text(&server.ok(OWNER, V2_1, &join(&parts)), Tag::UniqueIdentifier).unwrap();
    let got = get(&server, V2_1, &joined, None);
    assert_eq!(bytes(&got, Tag::KeyMaterial), Some(h(key_hex)));
    assert_eq!(enumeration_name(&got, Tag::CryptographicAlgorithm).as_deref(), Some("AES"));
    // Fewer parts than the threshold: Cryptographic Failure (1.4 §11.40). Polynomial sharing is in
    // split_keys.rs.
    assert_eq!(server.fails(OWNER, V2_1, &join(&parts[..2])), "CryptographicFailure");
}

#[test]
fn an_exported_key_is_imported_under_its_identifier_with_its_attributes() {
    let exporter = Server::new();
    let (private, _) = create_pair_2x(&exporter, V2_1, &rsa(2048), "travelling");
    let export = exporter.ok(
        OWNER,
        V2_1,
        &item("Export", &format!(r#"{}<KeyFormatType type="Enumeration" value="PKCS_8"/>"#, uid_xml(&private))),
    );
    assert!(show(&export).contains("travelling-private"), "all the attributes travel: {}", show(&export));
    let attributes = xml::to_string(find(&export, Tag::Attributes).unwrap());
    let object = xml::to_string(find(&export, Tag::PrivateKey).unwrap());

    let importer = Server::new();
    let payload =
        format!(r#"{}<ObjectType type="Enumeration" value="PrivateKey"/>{attributes}{object}"#, uid_xml(&private));
    assert_eq!(
        text(&importer.ok(OWNER, V2_1, &item("Import", &payload)), Tag::UniqueIdentifier),
        Some(private.clone())
    );
    let imported = show(&get_attributes_2x(&importer, &private, &["Name", "Link", "InitialDate", "KeyFormatType"]));
    assert!(imported.contains("travelling-private") && imported.contains("PublicKeyLink"), "{imported}");
    assert_eq!(
        bytes(&get(&importer, V2_1, &private, Some("PKCS_8")), Tag::KeyMaterial),
        bytes(&export, Tag::KeyMaterial)
    );
    assert_eq!(importer.fails(OWNER, V2_1, &item("Import", &payload)), "ObjectAlreadyExists");
    let replace = payload.replacen(r#"<ObjectType"#, r#"<ReplaceExisting type="Boolean" value="true"/><ObjectType"#, 1);
    importer.ok(OWNER, V2_1, &item("Import", &replace));
}

/// A key registered without a usage mask gets one (2.1 §4.17: it "SHALL always have a value"):
/// what a generated pair of its algorithm gets, so that the key can be used at all.
#[test]
fn a_key_pair_registered_without_a_usage_mask_gets_the_generated_pairs() {
    let server = Server::new();
    let (private, public) = create_pair_2x(&server, V2_1, &rsa(2048), "unmasked");
    for (uid, object_type, format, expected) in
        [(&private, "PrivateKey", "PKCS_8", "Sign Decrypt"), (&public, "PublicKey", "X_509", "Verify Encrypt")]
    {
        let block = key_block_xml(&get(&server, V2_1, uid, Some(format)));
        let payload = format!(
            r#"<ObjectType type="Enumeration" value="{object_type}"/><Attributes/><{object_type}>{block}</{object_type}>"#
        );
        let again = text(&server.ok(OWNER, V2_1, &item("Register", &payload)), Tag::UniqueIdentifier).unwrap();
        let attributes = server.ok(
            OWNER,
            V2_1,
            &item(
                "GetAttributes",
                &format!(
                    "{}{}",
                    uid_xml(&again),
                    r#"<AttributeReference type="Enumeration" value="CryptographicUsageMask"/>"#
                ),
            ),
        );
        let mask = find(&attributes, Tag::CryptographicUsageMask).map(show).unwrap_or_default();
        assert!(mask.contains(expected), "{object_type}: {mask}");
    }
}
