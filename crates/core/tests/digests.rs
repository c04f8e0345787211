//! The Digest attribute of keys in every Key Format Type, in every version (1.0 §3.17, 1.1 to 1.4
//! §3.17, 2.0 and 2.1 §4.21 and §4.26): SHA-256 over the Key Material's bytes, or over the TTLV
//! encoding of the Key Material structure for the Transparent formats. 1.x keeps one digest, in
//! the format the key was registered in; 2.x one in the default format of 2.1 Table 81 and one in
//! the assigned format when that is another.

mod support;

use keyward_ttlv::KmipVersion::{self, V1_0, V1_4, V2_1};
use keyward_ttlv::{Item, Tag, Value, xml};
use support::*;

const OWNER: &str = "alice";

fn byte_string(item: &Item) -> Vec<u8> {
    match &item.value {
        Value::ByteString(bytes) => bytes.to_vec(),
        other => panic!("not a byte string: {other:?}"),
    }
}

fn enumeration_name(item: &Item) -> String {
    match &item.value {
        Value::Enumeration(v) => item
            .tag
            .def()
            .and_then(|d| d.enumeration())
            .and_then(|e| e.value_def(*v))
            .map_or(v.to_string(), |d| d.camel.to_string()),
        other => panic!("not an enumeration: {other:?}"),
    }
}

fn sha256(data: &[u8]) -> Vec<u8> {
    keyward_crypto::sha256(data).to_vec()
}

/// What a digest must be computed over: the bytes of a Byte String Key Material, the TTLV
/// encoding of a structure.
fn digest_of_material(key_material: &Item) -> Vec<u8> {
    match &key_material.value {
        Value::ByteString(bytes) => sha256(bytes),
        Value::Structure(_) => sha256(&key_material.to_ttlv()),
        other => panic!("Key Material is {other:?}"),
    }
}

/// The Key Format Type (absent in 1.0) and value of every Digest of the object, in the order the
/// server returns them.
fn digests(server: &Server, version: KmipVersion, uid: &str) -> Vec<(Option<String>, Vec<u8>)> {
    let name = if version.is_1x() {
        r#"<AttributeName type="TextString" value="Digest"/>"#
    } else {
        r#"<AttributeReference type="Enumeration" value="Digest"/>"#
    };
    let payload = server.ok(OWNER, version, &item("GetAttributes", &format!("{}{name}", uid_xml(uid))));
    let mut found = Vec::new();
    collect_digests(&payload, &mut found);
    found
}

fn collect_digests(item: &Item, found: &mut Vec<(Option<String>, Vec<u8>)>) {
    if let Some(value) = item.child(Tag::DigestValue) {
        found.push((item.child(Tag::KeyFormatType).map(enumeration_name), byte_string(value)));
        return;
    }
    for child in item.children() {
        collect_digests(child, found);
    }
}

/// Registers `<object_type>` holding `key_block` (XML) in `version`; returns its identifier.
fn register(server: &Server, version: KmipVersion, object_type: &str, key_block: &str, mask: &str) -> String {
    let attributes = if version.is_1x() {
        format!(
            r#"<TemplateAttribute><Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/>
            <AttributeValue type="Integer" value="{mask}"/></Attribute></TemplateAttribute>"#
        )
    } else {
        format!(r#"<Attributes><CryptographicUsageMask type="Integer" value="{mask}"/></Attributes>"#)
    };
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="{object_type}"/>{attributes}<{object_type}>{key_block}</{object_type}>"#
    );
    text(&server.ok(OWNER, version, &item("Register", &payload)), Tag::UniqueIdentifier).expect("an identifier")
}

/// The Key Block of the key in `format`, as a 1.4 Get gives it (no attributes in the Key Value,
/// so that every version can register it again).
fn key_block(server: &Server, uid: &str, format: &str) -> Item {
    let request = format!(r#"{}<KeyFormatType type="Enumeration" value="{format}"/>"#, uid_xml(uid));
    let payload = server.ok(OWNER, V1_4, &item("Get", &request));
    find(&payload, Tag::KeyBlock).expect("a key block").clone()
}

fn material(block: &Item) -> &Item {
    find(block, Tag::KeyMaterial).expect("key material")
}

/// What a version's Key Format Type field says: nothing in 1.0, whose Digest has no such field.
fn format_in(version: KmipVersion, format: &str) -> Option<String> {
    (version != V1_0).then(|| format.to_string())
}

const AES_KEY: &str = "000102030405060708090a0b0c0d0e0f";

fn transparent_aes_block() -> String {
    format!(
        r#"<KeyBlock><KeyFormatType type="Enumeration" value="TransparentSymmetricKey"/>
        <KeyValue><KeyMaterial><Key type="ByteString" value="{AES_KEY}"/></KeyMaterial></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/></KeyBlock>"#
    )
}

#[test]
fn a_transparent_symmetric_key_is_digested_over_its_ttlv_key_material() {
    let key = hex::decode(AES_KEY).unwrap();
    let transparent = Item::structure(Tag::KeyMaterial, vec![Item::bytes(Tag::Key, key.clone())]);
    let over_ttlv = sha256(&transparent.to_ttlv());
    // The TTLV of the structure, spelled out: tag 42 00 43, type 01, length 24; Key: tag 42 00 3F,
    // type 08, length 16, the key.
    let mut spelled = hex::decode("42004301000000184200 3f0800000010".replace(' ', "")).unwrap();
    spelled.extend_from_slice(&key);
    assert_eq!(over_ttlv, sha256(&spelled));
    for version in KmipVersion::ALL {
        let server = Server::new();
        let uid = register(&server, version, "SymmetricKey", &transparent_aes_block(), "Encrypt Decrypt");
        let expected = if version.is_1x() {
            vec![(format_in(version, "TransparentSymmetricKey"), over_ttlv.clone())]
        } else {
            // 2.x: the default format of a symmetric key is Raw (Table 81), then the assigned one.
            vec![(Some("Raw".into()), sha256(&key)), (Some("TransparentSymmetricKey".into()), over_ttlv.clone())]
        };
        assert_eq!(digests(&server, version, &uid), expected, "KMIP {version}");
    }
}

#[test]
fn a_raw_symmetric_key_has_one_digest_over_its_bytes() {
    let key = hex::decode(AES_KEY).unwrap();
    let block = format!(
        r#"<KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
        <KeyValue><KeyMaterial type="ByteString" value="{AES_KEY}"/></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/></KeyBlock>"#
    );
    for version in KmipVersion::ALL {
        let server = Server::new();
        let uid = register(&server, version, "SymmetricKey", &block, "Encrypt Decrypt");
        assert_eq!(digests(&server, version, &uid), vec![(format_in(version, "Raw"), sha256(&key))], "KMIP {version}");
    }
}

/// An RSA pair made by the server, from which the tests take the key in every format.
fn rsa_pair(server: &Server) -> (String, String) {
    let payload = r#"<CommonAttributes><CryptographicAlgorithm type="Enumeration" value="RSA"/>
        <CryptographicLength type="Integer" value="2048"/></CommonAttributes>
        <PrivateKeyAttributes><CryptographicUsageMask type="Integer" value="Sign"/></PrivateKeyAttributes>
        <PublicKeyAttributes><CryptographicUsageMask type="Integer" value="Verify"/></PublicKeyAttributes>"#;
    let response = server.ok(OWNER, V2_1, &item("CreateKeyPair", payload));
    (
        text(&response, Tag::PrivateKeyUniqueIdentifier).expect("a private key"),
        text(&response, Tag::PublicKeyUniqueIdentifier).expect("a public key"),
    )
}

/// Registers the key in `format` in every version and checks its digests: in 1.x the one of the
/// registered format; in 2.x the one of PKCS#1 (the default for RSA) and, for another format,
/// that one too.
fn check_registered_rsa(server: &Server, uid: &str, object_type: &str, format: &str, mask: &str) {
    let block = key_block(server, uid, format);
    let registered = digest_of_material(material(&block));
    let pkcs1 = digest_of_material(material(&key_block(server, uid, "PKCS_1")));
    for version in KmipVersion::ALL {
        let copy = register(server, version, object_type, &xml::to_string(&block), mask);
        let mut expected = Vec::new();
        if !version.is_1x() && format != "PKCS_1" {
            expected.push((Some("PKCS_1".to_string()), pkcs1.clone()));
        }
        expected.push((format_in(version, format), registered.clone()));
        assert_eq!(digests(server, version, &copy), expected, "{object_type} in {format}, KMIP {version}");
    }
}

#[test]
fn rsa_private_keys_are_digested_in_the_format_they_were_registered_in() {
    let server = Server::new();
    let (private, _) = rsa_pair(&server);
    for format in ["PKCS_1", "PKCS_8", "TransparentRSAPrivateKey"] {
        check_registered_rsa(&server, &private, "PrivateKey", format, "Sign");
    }
}

#[test]
fn rsa_public_keys_are_digested_in_the_format_they_were_registered_in() {
    let server = Server::new();
    let (_, public) = rsa_pair(&server);
    for format in ["PKCS_1", "X_509", "TransparentRSAPublicKey"] {
        check_registered_rsa(&server, &public, "PublicKey", format, "Verify");
    }
}

#[test]
fn a_generated_ec_pair_has_the_default_transparent_digest_in_2_x() {
    let server = Server::new();
    let payload = r#"<CommonAttributes><CryptographicAlgorithm type="Enumeration" value="EC"/>
        <CryptographicDomainParameters><RecommendedCurve type="Enumeration" value="P_256"/></CryptographicDomainParameters>
        </CommonAttributes>
        <PrivateKeyAttributes><CryptographicUsageMask type="Integer" value="Sign"/></PrivateKeyAttributes>
        <PublicKeyAttributes><CryptographicUsageMask type="Integer" value="Verify"/></PublicKeyAttributes>"#;
    let response = server.ok(OWNER, V2_1, &item("CreateKeyPair", payload));
    let private = text(&response, Tag::PrivateKeyUniqueIdentifier).unwrap();
    let public = text(&response, Tag::PublicKeyUniqueIdentifier).unwrap();
    for (uid, default, assigned) in
        [(&private, "TransparentECPrivateKey", "ECPrivateKey"), (&public, "TransparentECPublicKey", "X_509")]
    {
        let expected = [default, assigned]
            .map(|format| (Some(format.to_string()), digest_of_material(material(&key_block(&server, uid, format)))))
            .to_vec();
        assert_eq!(digests(&server, V2_1, uid), expected, "{uid}");
    }
}

#[test]
fn a_generated_key_in_1_x_has_one_digest_in_the_format_it_is_served_in() {
    let server = Server::new();
    let payload = r#"<CommonTemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="RSA"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="2048"/></Attribute>
        </CommonTemplateAttribute>"#;
    let response = server.ok(OWNER, V1_4, &item("CreateKeyPair", payload));
    let private = text(&response, Tag::PrivateKeyUniqueIdentifier).unwrap();
    let stored = server.ok(OWNER, V1_4, &item("Get", &uid_xml(&private)));
    let format = enumeration_name(find(&stored, Tag::KeyFormatType).unwrap());
    let expected = vec![(Some(format), digest_of_material(find(&stored, Tag::KeyMaterial).unwrap()))];
    assert_eq!(digests(&server, V1_4, &private), expected);
}

#[test]
fn opaque_secret_data_has_its_default_raw_digest_in_2_x() {
    let secret = b"password";
    let block = format!(
        r#"<SecretDataType type="Enumeration" value="Password"/><KeyBlock><KeyFormatType type="Enumeration" value="Opaque"/>
        <KeyValue><KeyMaterial type="ByteString" value="{}"/></KeyValue></KeyBlock>"#,
        hex::encode(secret)
    );
    for version in KmipVersion::ALL {
        let server = Server::new();
        let uid = register(&server, version, "SecretData", &block, "DeriveKey");
        let mut expected = Vec::new();
        if !version.is_1x() {
            // 2.1 Table 81: Secret Data is Raw by default; the bytes are the same.
            expected.push((Some("Raw".to_string()), sha256(secret)));
        }
        expected.push((format_in(version, "Opaque"), sha256(secret)));
        assert_eq!(digests(&server, version, &uid), expected, "KMIP {version}");
    }
    // The default format is one the server produces.
    let server = Server::new();
    let uid = register(&server, V2_1, "SecretData", &block, "DeriveKey");
    let request = format!(r#"{}<KeyFormatType type="Enumeration" value="Raw"/>"#, uid_xml(&uid));
    let payload = server.ok(OWNER, V2_1, &item("Get", &request));
    assert_eq!(enumeration_name(find(&payload, Tag::KeyFormatType).unwrap()), "Raw");
    assert_eq!(byte_string(find(&payload, Tag::KeyMaterial).unwrap()), secret.to_vec());
}
