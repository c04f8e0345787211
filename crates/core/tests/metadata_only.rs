//! Keys registered without their value (1.2 to 1.4 §3.41 Key Value Present and §3.42 Key Value
//! Location; 2.0 and 2.1 §4.28 and §4.27): the Key Block has no Key Value, the server creates
//! Key Value Present (false), the client may say where the key is; Get hands the object out as it
//! was registered, Locate filters on Key Value Present, and every use of the absent key answers
//! Key Value Not Present.

mod support;

use keyward_ttlv::KmipVersion::{self, V1_1, V1_2, V1_4, V2_0, V2_1};
use keyward_ttlv::datetime::format_seconds;
use keyward_ttlv::{Item, Tag};
use support::*;

const OWNER: &str = "alice";
const LOCATION: &str = "pkcs11:token=vault;object=backup-key-7";

/// An attribute in `version`'s form: (1.x name, 2.x tag, value XML with its type, or fields).
fn attribute(version: KmipVersion, name: &str, tag: &str, kind: &str, value: &str) -> String {
    match (version.is_1x(), kind) {
        (true, "Structure") => format!(
            r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue>{value}</AttributeValue></Attribute>"#
        ),
        (true, _) => format!(
            r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue type="{kind}" value="{value}"/></Attribute>"#
        ),
        (false, "Structure") => format!("<{tag}>{value}</{tag}>"),
        (false, _) => format!(r#"<{tag} type="{kind}" value="{value}"/>"#),
    }
}

fn location(version: KmipVersion) -> String {
    attribute(
        version,
        "Key Value Location",
        "KeyValueLocation",
        "Structure",
        &format!(
            r#"<KeyValueLocationValue type="TextString" value="{LOCATION}"/><KeyValueLocationType type="Enumeration" value="URI"/>"#
        ),
    )
}

fn active_and_usable(version: KmipVersion) -> String {
    let activation = format_seconds(NOW - 3600);
    format!(
        "{}{}",
        attribute(
            version,
            "Cryptographic Usage Mask",
            "CryptographicUsageMask",
            "Integer",
            "Encrypt Decrypt MACGenerate WrapKey"
        ),
        attribute(version, "Activation Date", "ActivationDate", "DateTime", &activation)
    )
}

/// A Register of `object` (XML) as `object_type` with the attributes (XML); the whole batch item.
fn register_item(version: KmipVersion, object_type: &str, attributes: &str, object: &str) -> String {
    item(
        "Register",
        &format!(
            r#"<ObjectType type="Enumeration" value="{object_type}"/>{}{object}"#,
            versioned_attributes(version, attributes)
        ),
    )
}

/// An AES-256 Symmetric Key whose Key Block has no Key Value.
const WITHOUT_VALUE: &str = r#"<SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
    <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="256"/>
    </KeyBlock></SymmetricKey>"#;

/// An AES-256 Symmetric Key with its value.
const WITH_VALUE: &str = r#"<SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
    <KeyValue><KeyMaterial type="ByteString" value="000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"/></KeyValue>
    <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="256"/>
    </KeyBlock></SymmetricKey>"#;

fn register(server: &Server, version: KmipVersion, attributes: &str, object: &str) -> String {
    let payload = server.ok(OWNER, version, &register_item(version, "SymmetricKey", attributes, object));
    text(&payload, Tag::UniqueIdentifier).expect("Register returns the identifier")
}

fn get_attribute(server: &Server, version: KmipVersion, uid: &str, name: &str, tag: &str) -> Option<String> {
    let selector = if version.is_1x() {
        format!(r#"<AttributeName type="TextString" value="{name}"/>"#)
    } else {
        format!(r#"<AttributeReference type="Enumeration" value="{tag}"/>"#)
    };
    let payload = server.ok(OWNER, version, &item("GetAttributes", &format!("{}{selector}", uid_xml(uid))));
    attribute_xml(&payload, name)
}

fn locate(server: &Server, version: KmipVersion, present: bool) -> Vec<String> {
    let filter = attribute(version, "Key Value Present", "KeyValuePresent", "Boolean", &present.to_string());
    let payload = server.ok(OWNER, version, &item("Locate", &versioned_attributes(version, &filter)));
    texts(&payload, Tag::UniqueIdentifier)
}

fn wrapping_under(wrapping_key: &str) -> String {
    format!(
        r#"<KeyWrappingSpecification><WrappingMethod type="Enumeration" value="Encrypt"/>
        <EncryptionKeyInformation>{}</EncryptionKeyInformation></KeyWrappingSpecification>"#,
        uid_xml(wrapping_key)
    )
}

#[test]
fn a_key_registered_without_its_value_keeps_its_metadata_and_location() {
    for version in [V1_2, V1_4, V2_0, V2_1] {
        let server = Server::new();
        let uid =
            register(&server, version, &format!("{}{}", active_and_usable(version), location(version)), WITHOUT_VALUE);

        let present = get_attribute(&server, version, &uid, "Key Value Present", "KeyValuePresent")
            .unwrap_or_else(|| panic!("{version}: the server creates Key Value Present"));
        assert!(present.contains(r#"value="false""#), "{version}: {present}");
        let where_it_is = get_attribute(&server, version, &uid, "Key Value Location", "KeyValueLocation")
            .unwrap_or_else(|| panic!("{version}: the Key Value Location is kept"));
        assert!(where_it_is.contains(LOCATION) && where_it_is.contains("URI"), "{version}: {where_it_is}");

        // Get returns the object as registered: a Key Block that describes the key, no value.
        let got = server.ok(OWNER, version, &on("Get", Some(&uid)));
        let block = find(&got, Tag::KeyBlock).unwrap_or_else(|| panic!("{version}: {}", show(&got)));
        assert!(block.child(Tag::KeyValue).is_none(), "{version}: {}", show(&got));
        assert!(block.child(Tag::CryptographicAlgorithm).is_some(), "{version}: {}", show(&got));
        // Asking for no other form than the stored one is still the stored object.
        let raw = server.ok(
            OWNER,
            version,
            &item("Get", &format!(r#"{}<KeyFormatType type="Enumeration" value="Raw"/>"#, uid_xml(&uid))),
        );
        assert!(find(&raw, Tag::KeyValue).is_none(), "{version}: {}", show(&raw));
    }
}

#[test]
fn locate_filters_on_key_value_present() {
    for version in [V1_2, V1_4, V2_1] {
        let server = Server::new();
        let absent = register(&server, version, &location(version), WITHOUT_VALUE);
        let present = register(&server, version, "", WITH_VALUE);
        assert_eq!(locate(&server, version, false), vec![absent.clone()], "{version}");
        // A key that has its value carries no Key Value Present, yet it is the one whose value is
        // present.
        assert_eq!(locate(&server, version, true), vec![present.clone()], "{version}");
    }
}

#[test]
fn every_use_of_the_absent_key_is_key_value_not_present() {
    for version in [V1_2, V1_4, V2_0, V2_1] {
        let server = Server::new();
        let absent = register(&server, version, &active_and_usable(version), WITHOUT_VALUE);
        let usable = register(&server, version, &active_and_usable(version), WITH_VALUE);
        let block = r#"<CryptographicParameters><BlockCipherMode type="Enumeration" value="ECB"/></CryptographicParameters>
            <Data type="ByteString" value="00112233445566778899aabbccddeeff"/>"#;
        let uses: Vec<(&str, String)> = vec![
            ("Encrypt", item("Encrypt", &format!("{}{block}", uid_xml(&absent)))),
            ("Decrypt", item("Decrypt", &format!("{}{block}", uid_xml(&absent)))),
            (
                "MAC",
                item(
                    "MAC",
                    &format!(
                        r#"{}<CryptographicParameters><CryptographicAlgorithm type="Enumeration" value="HMAC_SHA256"/></CryptographicParameters><Data type="ByteString" value="00"/>"#,
                        uid_xml(&absent)
                    ),
                ),
            ),
            (
                "Get in another format",
                item(
                    "Get",
                    &format!(
                        r#"{}<KeyFormatType type="Enumeration" value="TransparentSymmetricKey"/>"#,
                        uid_xml(&absent)
                    ),
                ),
            ),
            ("Get wrapped", item("Get", &format!("{}{}", uid_xml(&absent), wrapping_under(&usable)))),
            ("Get wrapped under it", item("Get", &format!("{}{}", uid_xml(&usable), wrapping_under(&absent)))),
            ("Re-key", on("ReKey", Some(&absent))),
        ];
        for (what, request) in uses {
            assert_eq!(server.fails(OWNER, version, &request), "KeyValueNotPresent", "{version}: {what}");
        }
        // The key with its value works as before.
        server.ok(OWNER, version, &item("Encrypt", &format!("{}{block}", uid_xml(&usable))));
    }
}

#[test]
fn key_value_present_is_the_servers_and_applies_to_keys_that_have_a_secret() {
    let server = Server::new();
    // "It SHALL NOT be specified by the client in a Register request" (1.2 §3.41).
    let stated =
        format!("{}{}", location(V1_4), attribute(V1_4, "Key Value Present", "KeyValuePresent", "Boolean", "false"));
    let reason = server.fails(OWNER, V1_4, &register_item(V1_4, "SymmetricKey", &stated, WITHOUT_VALUE));
    assert_ne!(reason, "", "refused with a reason");
    // Nor can it be changed afterwards.
    let uid = register(&server, V1_4, &location(V1_4), WITHOUT_VALUE);
    let modify = item(
        "ModifyAttribute",
        &format!("{}{}", uid_xml(&uid), attribute(V1_4, "Key Value Present", "KeyValuePresent", "Boolean", "true")),
    );
    server.fails(OWNER, V1_4, &modify);

    // A Public Key is not among the objects Key Value Present applies to (1.2 Table 131).
    let public = r#"<PublicKey><KeyBlock><KeyFormatType type="Enumeration" value="X_509"/>
        <CryptographicAlgorithm type="Enumeration" value="RSA"/><CryptographicLength type="Integer" value="2048"/>
        </KeyBlock></PublicKey>"#;
    server.fails(OWNER, V1_4, &register_item(V1_4, "PublicKey", "", public));
    // Before 1.2 a Key Block has its Key Value (1.0 and 1.1 Table 7).
    server.fails(OWNER, V1_1, &register_item(V1_1, "SymmetricKey", "", WITHOUT_VALUE));
}

#[test]
fn secret_data_and_private_keys_may_come_without_their_value() {
    let server = Server::new();
    let secret = r#"<SecretData><SecretDataType type="Enumeration" value="Password"/><KeyBlock>
        <KeyFormatType type="Enumeration" value="Opaque"/></KeyBlock></SecretData>"#;
    let payload = server.ok(OWNER, V2_1, &register_item(V2_1, "SecretData", &location(V2_1), secret));
    let uid = text(&payload, Tag::UniqueIdentifier).expect("an identifier");
    let got: Item = server.ok(OWNER, V2_1, &on("Get", Some(&uid)));
    assert!(find(&got, Tag::KeyBlock).is_some() && find(&got, Tag::KeyValue).is_none(), "{}", show(&got));

    let private = r#"<PrivateKey><KeyBlock><KeyFormatType type="Enumeration" value="PKCS_8"/>
        <CryptographicAlgorithm type="Enumeration" value="RSA"/><CryptographicLength type="Integer" value="2048"/>
        </KeyBlock></PrivateKey>"#;
    let mask = attribute(V1_4, "Cryptographic Usage Mask", "CryptographicUsageMask", "Integer", "Sign");
    let payload = server.ok(OWNER, V1_4, &register_item(V1_4, "PrivateKey", &mask, private));
    let uid = text(&payload, Tag::UniqueIdentifier).expect("an identifier");
    let sign = item(
        "Sign",
        &format!(
            r#"{}<CryptographicParameters><PaddingMethod type="Enumeration" value="PSS"/><HashingAlgorithm type="Enumeration" value="SHA_256"/><CryptographicAlgorithm type="Enumeration" value="RSA"/></CryptographicParameters><Data type="ByteString" value="00"/>"#,
            uid_xml(&uid)
        ),
    );
    assert_eq!(server.fails(OWNER, V1_4, &sign), "KeyValueNotPresent");
}
