//! The algorithm policy (`keyward_core::AlgorithmPolicy`): the default refuses to make keys
//! NIST SP 800-131A Rev. 2 retired and to protect data with them, yet lets a registered legacy
//! key decrypt; a policy that allows them (RSA-1024 for the 1.x profiles) makes them. Refusals
//! answer the reasons the error tables give: Invalid Field for a key the server will not make
//! (1.4 Tables 328, 329, 331; 2.1 §6.1.8.1, §6.1.9.1, §6.1.46.1, §6.1.14.1), Permission Denied
//! for a key that may not protect (1.4 Tables 353, 355, 357), and for a signature hash,
//! Unsupported Cryptographic Parameters in 2.x and Invalid Field in 1.x.

mod support;

use keyward_core::AlgorithmPolicy;
use keyward_kmip::enums::CryptographicAlgorithm;
use keyward_ttlv::KmipVersion::{self, V1_0, V1_4, V2_1};
use keyward_ttlv::Tag;
use support::*;

const OWNER: &str = "alice";
const ACTIVE: &str = r#"<ActivationDate type="DateTime" value="2023-01-01T00:00:00Z"/>"#;

/// SP 800-67 Rev. 1, appendix B: three-key TDEA in ECB.
const TDEA_KEY: &str = "0123456789abcdef23456789abcdef01456789abcdef0123";
const TDEA_PLAIN: &str = "54686520717566636b2062726f776e20666f78206a756d70";
const TDEA_CIPHER: &str = "a826fd8ce53b855fcce21c8112256fe668d5c05dd9b6b900";

fn ecb() -> &'static str {
    r#"<CryptographicParameters><BlockCipherMode type="Enumeration" value="ECB"/></CryptographicParameters>"#
}

/// A 1.x Create Key Pair of an RSA pair of `bits`.
fn rsa_pair_1x(bits: u32) -> String {
    format!(
        r#"<CommonTemplateAttribute>
          <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="RSA"/></Attribute>
          <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="{bits}"/></Attribute>
        </CommonTemplateAttribute>
        <PrivateKeyTemplateAttribute><Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Sign"/></Attribute></PrivateKeyTemplateAttribute>
        <PublicKeyTemplateAttribute><Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Verify"/></Attribute></PublicKeyTemplateAttribute>"#
    )
}

/// A 2.x Create Key Pair of an RSA pair of `bits`, both keys Active.
fn rsa_pair_2x(bits: u32) -> String {
    format!(
        r#"<CommonAttributes><CryptographicAlgorithm type="Enumeration" value="RSA"/><CryptographicLength type="Integer" value="{bits}"/>{ACTIVE}</CommonAttributes>
        <PrivateKeyAttributes><CryptographicUsageMask type="Integer" value="Sign"/></PrivateKeyAttributes>
        <PublicKeyAttributes><CryptographicUsageMask type="Integer" value="Verify"/></PublicKeyAttributes>"#
    )
}

/// A 2.x Create of a symmetric key.
fn create_2x(algorithm: &str, bits: u32) -> String {
    item(
        "Create",
        &format!(
            r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes>
            <CryptographicAlgorithm type="Enumeration" value="{algorithm}"/><CryptographicLength type="Integer" value="{bits}"/>
            </Attributes>"#
        ),
    )
}

/// A 1.x Create of a symmetric key.
fn create_1x(algorithm: &str, bits: u32) -> String {
    item(
        "Create",
        &format!(
            r#"<ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>
            <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="{algorithm}"/></Attribute>
            <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="{bits}"/></Attribute>
            </TemplateAttribute>"#
        ),
    )
}

/// Registers an Active Triple DES key (2.x) that may encrypt and decrypt.
fn register_tdea(server: &Server) -> String {
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/>
        <Attributes><CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/>{ACTIVE}</Attributes>
        <SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
        <KeyValue><KeyMaterial type="ByteString" value="{TDEA_KEY}"/></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="DES3"/><CryptographicLength type="Integer" value="168"/>
        </KeyBlock></SymmetricKey>"#
    );
    text(&server.ok(OWNER, V2_1, &item("Register", &payload)), Tag::UniqueIdentifier).expect("an identifier")
}

fn on_key(operation: &str, uid: &str, fields: &str) -> String {
    item(operation, &format!("{}{fields}", uid_xml(uid)))
}

#[test]
fn rsa_1024_pairs_are_made_only_when_the_policy_allows_them() {
    let server = Server::new();
    for version in [V1_0, V1_4] {
        assert_eq!(server.fails(OWNER, version, &item("CreateKeyPair", &rsa_pair_1x(1024))), "InvalidField");
    }
    assert_eq!(server.fails(OWNER, V2_1, &item("CreateKeyPair", &rsa_pair_2x(1024))), "InvalidField");

    let mut algorithms = AlgorithmPolicy::default();
    algorithms.rsa_sizes.push(1024);
    let profiles = Server::with_algorithms(algorithms);
    for version in [V1_0, V1_4] {
        let payload = profiles.ok(OWNER, version, &item("CreateKeyPair", &rsa_pair_1x(1024)));
        assert!(text(&payload, Tag::PrivateKeyUniqueIdentifier).is_some(), "{}", show(&payload));
    }
}

#[test]
fn retired_symmetric_keys_are_not_made() {
    let server = Server::new();
    // Triple DES (SP 800-131A Rev. 2 §2: encryption disallowed after 2023), in 1.x and 2.x.
    assert_eq!(server.fails(OWNER, V1_4, &create_1x("DES3", 168)), "InvalidField");
    assert_eq!(server.fails(OWNER, V2_1, &create_2x("DES3", 168)), "InvalidField");
    // An HMAC key under 112 bits (SP 800-131A Rev. 2 §10).
    assert_eq!(server.fails(OWNER, V2_1, &create_2x("HMAC_SHA256", 64)), "InvalidField");
    server.ok(OWNER, V2_1, &create_2x("HMAC_SHA256", 256));
    server.ok(OWNER, V1_4, &create_1x("AES", 128));

    // An operator who allows AES-256 alone.
    let mut algorithms = AlgorithmPolicy::default();
    algorithms.symmetric.retain(|(a, _)| *a != CryptographicAlgorithm::AES);
    algorithms.symmetric.push((CryptographicAlgorithm::AES, vec![256]));
    let strict = Server::with_algorithms(algorithms);
    assert_eq!(strict.fails(OWNER, V1_4, &create_1x("AES", 128)), "InvalidField");
    strict.ok(OWNER, V1_4, &create_1x("AES", 256));
}

#[test]
fn a_registered_legacy_key_decrypts_but_neither_encrypts_nor_is_re_keyed() {
    let server = Server::new();
    let key = register_tdea(&server);
    let encrypt = on_key("Encrypt", &key, &format!(r#"{}<Data type="ByteString" value="{TDEA_PLAIN}"/>"#, ecb()));
    for version in [V1_4, V2_1] {
        assert_eq!(server.fails(OWNER, version, &encrypt), "PermissionDenied");
    }
    // Legacy use: what the key protected before stays readable.
    let decrypt = on_key("Decrypt", &key, &format!(r#"{}<Data type="ByteString" value="{TDEA_CIPHER}"/>"#, ecb()));
    let payload = server.ok(OWNER, V2_1, &decrypt);
    assert_eq!(bytes(&payload, Tag::Data).map(hex::encode).as_deref(), Some(TDEA_PLAIN));
    // Re-key would make a new Triple DES key.
    assert_eq!(server.fails(OWNER, V2_1, &on("ReKey", Some(&key))), "InvalidField");

    let legacy = Server::with_algorithms(legacy_algorithms());
    let key = register_tdea(&legacy);
    let payload = legacy.ok(
        OWNER,
        V2_1,
        &on_key("Encrypt", &key, &format!(r#"{}<Data type="ByteString" value="{TDEA_PLAIN}"/>"#, ecb())),
    );
    assert_eq!(bytes(&payload, Tag::Data).map(hex::encode).as_deref(), Some(TDEA_CIPHER));
}

/// Signs with these Cryptographic Parameters (XML fields) under `key`; the Result Reason, or
/// "Success".
fn sign_with(server: &Server, version: KmipVersion, key: &str, fields: &str) -> String {
    let request = on_key(
        "Sign",
        key,
        &format!(
            r#"<CryptographicParameters>{fields}</CryptographicParameters><Data type="ByteString" value="616263"/>"#
        ),
    );
    let response = server.send(OWNER, version, "", &[&request]);
    let batch = batch_items(&response);
    if status(batch[0]) == "Success" { "Success".into() } else { reason(batch[0]) }
}

#[test]
fn signatures_over_sha_1_or_md5_are_refused() {
    let server = Server::new();
    let payload = server.ok(OWNER, V2_1, &item("CreateKeyPair", &rsa_pair_2x(2048)));
    let private = text(&payload, Tag::PrivateKeyUniqueIdentifier).expect("a private key");
    let pkcs1 = |hash: &str| {
        format!(
            r#"<PaddingMethod type="Enumeration" value="PKCS1V1_5"/><HashingAlgorithm type="Enumeration" value="{hash}"/>"#
        )
    };
    assert_eq!(sign_with(&server, V2_1, &private, &pkcs1("SHA_256")), "Success");
    assert_eq!(sign_with(&server, V2_1, &private, &pkcs1("SHA_1")), "UnsupportedCryptographicParameters");
    assert_eq!(sign_with(&server, V1_4, &private, &pkcs1("SHA_1")), "InvalidField");
    assert_eq!(sign_with(&server, V2_1, &private, &pkcs1("MD5")), "UnsupportedCryptographicParameters");
    // The hash named inside a Digital Signature Algorithm counts as well.
    let sha1_with_rsa = r#"<DigitalSignatureAlgorithm type="Enumeration" value="SHA_1WithRSAEncryption"/>"#;
    assert_eq!(sign_with(&server, V2_1, &private, sha1_with_rsa), "UnsupportedCryptographicParameters");
}

#[test]
fn derived_keys_follow_the_policy() {
    let server = Server::new();
    let secret = format!(
        r#"<ObjectType type="Enumeration" value="SecretData"/>
        <Attributes><CryptographicUsageMask type="Integer" value="DeriveKey"/>{ACTIVE}</Attributes>
        <SecretData><SecretDataType type="Enumeration" value="Password"/><KeyBlock><KeyFormatType type="Enumeration" value="Opaque"/>
        <KeyValue><KeyMaterial type="ByteString" value="70617373776f7264"/></KeyValue></KeyBlock></SecretData>"#
    );
    let password = text(&server.ok(OWNER, V2_1, &item("Register", &secret)), Tag::UniqueIdentifier).unwrap();
    let derive = |algorithm: &str, bits: u32| {
        item(
            "DeriveKey",
            &format!(
                r#"<ObjectType type="Enumeration" value="SymmetricKey"/>{}
                <DerivationMethod type="Enumeration" value="PBKDF2"/>
                <DerivationParameters><CryptographicParameters><HashingAlgorithm type="Enumeration" value="SHA_256"/></CryptographicParameters>
                <Salt type="ByteString" value="73616c74"/><IterationCount type="Integer" value="1"/></DerivationParameters>
                <Attributes><CryptographicAlgorithm type="Enumeration" value="{algorithm}"/><CryptographicLength type="Integer" value="{bits}"/></Attributes>"#,
                uid_xml(&password)
            ),
        )
    };
    assert_eq!(server.fails(OWNER, V2_1, &derive("DES3", 192)), "InvalidField");
    server.ok(OWNER, V2_1, &derive("AES", 256));
}
