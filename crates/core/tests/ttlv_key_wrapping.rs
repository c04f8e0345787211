//! Key wrapping with the TTLV Encoding Option (1.1 to 1.4 §2.1.4 to §2.1.6, 2.1 §2.1.4 to §2.1.8):
//! what is wrapped is the TTLV encoding of the Key Value structure, the Key Material with the
//! attributes the Key Wrapping Specification names (1.x: Attribute structures, with the Attribute
//! Index of an instance other than the first; 2.x: one Attributes structure). The expected bytes
//! are built here from the TTLV rules (§9.1: tag, type, length, value padded to 8 bytes) and
//! wrapped with RFC 3394 AES Key Wrap, independently of the server's encoder.

mod support;

use keyward_crypto::hash::HashAlgorithm;
use keyward_crypto::mac::{MacAlgorithm, mac};
use keyward_crypto::symmetric::{KeyWrap, wrap_key};
use keyward_ttlv::KmipVersion::{self, V1_4, V2_1};
use keyward_ttlv::Tag;
use keyward_ttlv::datetime::format_seconds;
use support::*;

const OWNER: &str = "alice";
const KEK: &str = "000102030405060708090a0b0c0d0e0f";
const KEY: &str = "00112233445566778899aabbccddeeff";

// ---- TTLV built by hand -----------------------------------------------------------------------

fn ttlv(tag: u32, item_type: u8, value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_be_bytes()[1..].to_vec();
    out.push(item_type);
    out.extend(u32::try_from(value.len()).unwrap().to_be_bytes());
    out.extend(value);
    out.resize(out.len() + (8 - value.len() % 8) % 8, 0);
    out
}
fn structure(tag: u32, children: &[Vec<u8>]) -> Vec<u8> {
    ttlv(tag, 0x01, &children.concat())
}
fn integer(tag: u32, value: i32) -> Vec<u8> {
    ttlv(tag, 0x02, &value.to_be_bytes())
}
fn enumeration(tag: u32, value: u32) -> Vec<u8> {
    ttlv(tag, 0x05, &value.to_be_bytes())
}
fn byte_string(tag: u32, value: &[u8]) -> Vec<u8> {
    ttlv(tag, 0x08, value)
}
fn text_string(tag: u32, value: &str) -> Vec<u8> {
    ttlv(tag, 0x07, value.as_bytes())
}

const KEY_VALUE: u32 = 0x420045;
const KEY_MATERIAL: u32 = 0x420043;
const ATTRIBUTE: u32 = 0x420008;
const ATTRIBUTE_NAME: u32 = 0x42000A;
const ATTRIBUTE_INDEX: u32 = 0x420009;
const ATTRIBUTE_VALUE: u32 = 0x42000B;
const ATTRIBUTES: u32 = 0x420125;
const USAGE_MASK: u32 = 0x42002C;
const NAME_VALUE: u32 = 0x420055;
const NAME_TYPE: u32 = 0x420054;
/// Cryptographic Usage Mask Encrypt (1.4 §9.1.3.3.1): not the default mask of a registered key.
const ENCRYPT: i32 = 0x04;

/// A 1.x Key Value: the material, the usage mask, and a Name per entry (the first of index 0).
fn key_value_1x(names: &[&str]) -> Vec<u8> {
    let mut children = vec![
        byte_string(KEY_MATERIAL, &hex::decode(KEY).unwrap()),
        structure(
            ATTRIBUTE,
            &[text_string(ATTRIBUTE_NAME, "Cryptographic Usage Mask"), integer(ATTRIBUTE_VALUE, ENCRYPT)],
        ),
    ];
    for (index, name) in names.iter().enumerate() {
        let mut fields = vec![text_string(ATTRIBUTE_NAME, "Name")];
        if index > 0 {
            fields.push(integer(ATTRIBUTE_INDEX, i32::try_from(index).unwrap()));
        }
        // Name Type Uninterpreted Text String (1.4 §9.1.3.2.11).
        fields.push(structure(ATTRIBUTE_VALUE, &[text_string(NAME_VALUE, name), enumeration(NAME_TYPE, 1)]));
        children.push(structure(ATTRIBUTE, &fields));
    }
    structure(KEY_VALUE, &children)
}

/// A 2.x Key Value: the material and an Attributes structure holding the usage mask.
fn key_value_2x() -> Vec<u8> {
    structure(
        KEY_VALUE,
        &[
            byte_string(KEY_MATERIAL, &hex::decode(KEY).unwrap()),
            structure(ATTRIBUTES, &[integer(USAGE_MASK, ENCRYPT)]),
        ],
    )
}

fn rfc3394(plain: &[u8]) -> Vec<u8> {
    wrap_key(KeyWrap::Rfc3394, &hex::decode(KEK).unwrap(), plain).unwrap()
}

// ---- Requests ---------------------------------------------------------------------------------

fn attribute(version: KmipVersion, name: &str, tag: &str, kind: &str, value: &str) -> String {
    if version.is_1x() {
        format!(
            r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue type="{kind}" value="{value}"/></Attribute>"#
        )
    } else {
        format!(r#"<{tag} type="{kind}" value="{value}"/>"#)
    }
}

fn name(version: KmipVersion, value: &str) -> String {
    let fields = format!(
        r#"<NameValue type="TextString" value="{value}"/><NameType type="Enumeration" value="UninterpretedTextString"/>"#
    );
    if version.is_1x() {
        format!(
            r#"<Attribute><AttributeName type="TextString" value="Name"/><AttributeValue>{fields}</AttributeValue></Attribute>"#
        )
    } else {
        format!("<Name>{fields}</Name>")
    }
}

const KEY_WRAP: &str =
    r#"<CryptographicParameters><BlockCipherMode type="Enumeration" value="NISTKeyWrap"/></CryptographicParameters>"#;

fn register(server: &Server, version: KmipVersion, object_type: &str, attributes: &str, object: &str) -> String {
    let request = item(
        "Register",
        &format!(
            r#"<ObjectType type="Enumeration" value="{object_type}"/>{}{object}"#,
            versioned_attributes(version, attributes)
        ),
    );
    text(&server.ok(OWNER, version, &request), Tag::UniqueIdentifier).expect("an identifier")
}

fn aes_block(hex_key: &str) -> String {
    format!(
        r#"<SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/><KeyValue><KeyMaterial type="ByteString" value="{hex_key}"/></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/></KeyBlock></SymmetricKey>"#
    )
}

fn kek(server: &Server, version: KmipVersion) -> String {
    let attributes = format!(
        "{}{}{}",
        attribute(version, "Cryptographic Usage Mask", "CryptographicUsageMask", "Integer", "WrapKey UnwrapKey"),
        attribute(version, "Activation Date", "ActivationDate", "DateTime", &format_seconds(NOW - 3600)),
        if version.is_1x() {
            r#"<Attribute><AttributeName type="TextString" value="Cryptographic Parameters"/><AttributeValue><BlockCipherMode type="Enumeration" value="NISTKeyWrap"/></AttributeValue></Attribute>"#
                .to_string()
        } else {
            KEY_WRAP.to_string()
        }
    );
    register(server, version, "SymmetricKey", &attributes, &aes_block(KEK))
}

fn wrapping_specification(kek: &str, names: &[&str]) -> String {
    let names: String = names.iter().map(|n| format!(r#"<AttributeName type="TextString" value="{n}"/>"#)).collect();
    format!(
        r#"<KeyWrappingSpecification><WrappingMethod type="Enumeration" value="Encrypt"/>
        <EncryptionKeyInformation>{}{KEY_WRAP}</EncryptionKeyInformation>{names}
        <EncodingOption type="Enumeration" value="TTLVEncoding"/></KeyWrappingSpecification>"#,
        uid_xml(kek)
    )
}

/// A Symmetric Key whose Key Value is `wrapped` (Byte String) under `kek` with TTLV Encoding.
fn wrapped_block(kek: &str, wrapped: &[u8]) -> String {
    format!(
        r#"<SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
        <KeyValue type="ByteString" value="{}"/>
        <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/>
        <KeyWrappingData><WrappingMethod type="Enumeration" value="Encrypt"/>
        <EncryptionKeyInformation>{}{KEY_WRAP}</EncryptionKeyInformation>
        <EncodingOption type="Enumeration" value="TTLVEncoding"/></KeyWrappingData></KeyBlock></SymmetricKey>"#,
        hex::encode(wrapped),
        uid_xml(kek)
    )
}

fn usage_mask(server: &Server, version: KmipVersion, uid: &str) -> String {
    let selector = if version.is_1x() {
        r#"<AttributeName type="TextString" value="Cryptographic Usage Mask"/>"#
    } else {
        r#"<AttributeReference type="Enumeration" value="CryptographicUsageMask"/>"#
    };
    let payload = server.ok(OWNER, version, &item("GetAttributes", &format!("{}{selector}", uid_xml(uid))));
    show(&payload)
}

// ---- Tests ------------------------------------------------------------------------------------

#[test]
fn get_wraps_the_ttlv_key_value_with_the_named_attributes_byte_for_byte() {
    // 1.4: Attribute structures, the second Name with its Attribute Index.
    let server = Server::new();
    let kek_uid = kek(&server, V1_4);
    let attributes = format!(
        "{}{}{}",
        attribute(V1_4, "Cryptographic Usage Mask", "", "Integer", "Encrypt"),
        name(V1_4, "wrapped-a"),
        name(V1_4, "wrapped-b")
    );
    let key = register(&server, V1_4, "SymmetricKey", &attributes, &aes_block(KEY));
    let request =
        format!("{}{}", uid_xml(&key), wrapping_specification(&kek_uid, &["Cryptographic Usage Mask", "Name"]));
    let got = server.ok(OWNER, V1_4, &item("Get", &request));
    let expected = key_value_1x(&["wrapped-a", "wrapped-b"]);
    assert_eq!(expected.len() % 8, 0);
    assert_eq!(bytes(&got, Tag::KeyValue), Some(rfc3394(&expected)), "1.4: {}", show(&got));

    // 2.1: one Attributes structure.
    let server = Server::new();
    let kek_uid = kek(&server, V2_1);
    let mask = attribute(V2_1, "", "CryptographicUsageMask", "Integer", "Encrypt");
    let key = register(&server, V2_1, "SymmetricKey", &mask, &aes_block(KEY));
    let request = format!("{}{}", uid_xml(&key), wrapping_specification(&kek_uid, &["Cryptographic Usage Mask"]));
    let got = server.ok(OWNER, V2_1, &item("Get", &request));
    assert_eq!(bytes(&got, Tag::KeyValue), Some(rfc3394(&key_value_2x())), "2.1: {}", show(&got));
}

#[test]
fn a_registered_wrapped_key_value_gives_its_material_and_attributes() {
    // 1.4: a Key Value built and wrapped by the client, carrying a usage mask and two names.
    let server = Server::new();
    let kek_uid = kek(&server, V1_4);
    let wrapped = rfc3394(&key_value_1x(&["carried-a", "carried-b"]));
    let uid = register(&server, V1_4, "SymmetricKey", "", &wrapped_block(&kek_uid, &wrapped));
    let plain = server.ok(OWNER, V1_4, &on("Get", Some(&uid)));
    assert_eq!(bytes(&plain, Tag::KeyMaterial), Some(hex::decode(KEY).unwrap()), "{}", show(&plain));
    assert!(usage_mask(&server, V1_4, &uid).contains(r#"value="Encrypt""#), "{}", usage_mask(&server, V1_4, &uid));
    for carried in ["carried-a", "carried-b"] {
        let located = server.ok(OWNER, V1_4, &item("Locate", &versioned_attributes(V1_4, &name(V1_4, carried))));
        assert_eq!(texts(&located, Tag::UniqueIdentifier), vec![uid.clone()], "{carried}");
    }

    // 2.1: the request's own attributes take precedence over those carried.
    let server = Server::new();
    let kek_uid = kek(&server, V2_1);
    let wrapped = rfc3394(&key_value_2x());
    let carried = register(&server, V2_1, "SymmetricKey", "", &wrapped_block(&kek_uid, &wrapped));
    assert!(
        usage_mask(&server, V2_1, &carried).contains(r#"value="Encrypt""#),
        "{}",
        usage_mask(&server, V2_1, &carried)
    );
    let stated = attribute(V2_1, "", "CryptographicUsageMask", "Integer", "Decrypt");
    let overridden = register(&server, V2_1, "SymmetricKey", &stated, &wrapped_block(&kek_uid, &wrapped));
    let mask = usage_mask(&server, V2_1, &overridden);
    assert!(mask.contains(r#"value="Decrypt""#) && !mask.contains("Encrypt"), "{mask}");

    // Wrapped bytes that are not a Key Value structure are an Encoding Option Error.
    let not_ttlv = rfc3394(&hex::decode(format!("{KEY}{KEY}")).unwrap());
    let refused = item(
        "Register",
        &format!(
            r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes/>{}"#,
            wrapped_block(&kek_uid, &not_ttlv)
        ),
    );
    assert_eq!(server.fails(OWNER, V2_1, &refused), "EncodingOptionError");
}

#[test]
fn a_maced_key_value_may_come_as_the_structure_itself() {
    let server = Server::new();
    let mac_key_hex = "4a656665";
    let mac_attributes = format!(
        "{}{}",
        attribute(V2_1, "", "CryptographicUsageMask", "Integer", "MACGenerate MACVerify"),
        attribute(V2_1, "", "ActivationDate", "DateTime", &format_seconds(NOW - 3600))
    );
    let mac_key = register(
        &server,
        V2_1,
        "SymmetricKey",
        &mac_attributes,
        &format!(
            r#"<SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/><KeyValue><KeyMaterial type="ByteString" value="{mac_key_hex}"/></KeyValue>
            <CryptographicAlgorithm type="Enumeration" value="HMAC_SHA256"/><CryptographicLength type="Integer" value="32"/></KeyBlock></SymmetricKey>"#
        ),
    );
    // The MAC is over the TTLV encoding of the Key Value structure (2.1 §2.1.5).
    let tag =
        mac(MacAlgorithm::Hmac(HashAlgorithm::Sha256), &hex::decode(mac_key_hex).unwrap(), &key_value_2x()).unwrap();
    let block = |tag: &[u8]| {
        format!(
            r#"<SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
            <KeyValue><KeyMaterial type="ByteString" value="{KEY}"/><Attributes><CryptographicUsageMask type="Integer" value="Encrypt"/></Attributes></KeyValue>
            <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/>
            <KeyWrappingData><WrappingMethod type="Enumeration" value="MACSign"/>
            <MACSignatureKeyInformation>{}</MACSignatureKeyInformation><MACSignature type="ByteString" value="{}"/>
            </KeyWrappingData></KeyBlock></SymmetricKey>"#,
            uid_xml(&mac_key),
            hex::encode(tag)
        )
    };
    let uid = register(&server, V2_1, "SymmetricKey", "", &block(&tag));
    let plain = server.ok(OWNER, V2_1, &on("Get", Some(&uid)));
    assert_eq!(bytes(&plain, Tag::KeyMaterial), Some(hex::decode(KEY).unwrap()));
    assert!(usage_mask(&server, V2_1, &uid).contains(r#"value="Encrypt""#));
    let mut tampered = tag.clone();
    tampered[0] ^= 1;
    let refused = item(
        "Register",
        &format!(r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes/>{}"#, block(&tampered)),
    );
    assert_eq!(server.fails(OWNER, V2_1, &refused), "CryptographicFailure");

    // The server's own MAC-only wrapping gives that same MAC over the same bytes.
    let spec = format!(
        r#"<KeyWrappingSpecification><WrappingMethod type="Enumeration" value="MACSign"/>
        <MACSignatureKeyInformation>{}</MACSignatureKeyInformation>
        <AttributeName type="TextString" value="Cryptographic Usage Mask"/></KeyWrappingSpecification>"#,
        uid_xml(&mac_key)
    );
    let got = server.ok(OWNER, V2_1, &item("Get", &format!("{}{spec}", uid_xml(&uid))));
    assert_eq!(bytes(&got, Tag::KeyValue), Some(key_value_2x()), "{}", show(&got));
    assert_eq!(bytes(&got, Tag::MACSignature), Some(tag));
}
