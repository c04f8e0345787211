//! Key Format Type PKCS#12 (1.4 §4.11 Get, §3.45 PKCS#12 Friendly Name, Table 330; 2.1 §6.1.19
//! Get, §4.39, Bad Password): Get of a private key as a container with its certificate chain,
//! found through the Public Key Link, the public key's PKCS#12 Certificate Link and each
//! certificate's Certificate Link, protected by the Secret Data password the key's PKCS#12
//! Password Link names; Register of a container. Containers are opened and made here with
//! keyward-crypto's PKCS#12 functions, which are checked against openssl in their own tests.

mod support;

use keyward_crypto::formats::{read_pkcs12, write_pkcs12};
use keyward_ttlv::KmipVersion::{self, V1_4, V2_1};
use keyward_ttlv::Tag;
use keyward_ttlv::datetime::format_seconds;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, PublicKeyData};
use support::*;

const OWNER: &str = "alice";
const PASSWORD: &str = "pkcs12 pass";

/// A leaf key and its chain (leaf, intermediate, root), ECDSA P-256; with the leaf's SPKI.
struct Chain {
    key: Vec<u8>,
    spki: Vec<u8>,
    certificates: Vec<Vec<u8>>,
}

fn chain() -> Chain {
    let alg = &rcgen::PKCS_ECDSA_P256_SHA256;
    let ca = |name: &str| {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
    };
    let root_key = KeyPair::generate_for(alg).unwrap();
    let root_params = ca("root");
    let root = root_params.self_signed(&root_key).unwrap();
    let inter_key = KeyPair::generate_for(alg).unwrap();
    let inter_params = ca("intermediate");
    let inter = inter_params.signed_by(&inter_key, &Issuer::new(root_params, &root_key)).unwrap();
    let leaf_key = KeyPair::generate_for(alg).unwrap();
    let mut leaf_params = CertificateParams::new(vec!["client.example".into()]).unwrap();
    leaf_params.distinguished_name.push(DnType::CommonName, "leaf");
    let leaf = leaf_params.signed_by(&leaf_key, &Issuer::new(inter_params, &inter_key)).unwrap();
    Chain {
        key: leaf_key.serialize_der(),
        spki: leaf_key.subject_public_key_info(),
        certificates: vec![leaf.der().to_vec(), inter.der().to_vec(), root.der().to_vec()],
    }
}

fn attr(version: KmipVersion, name: &str, tag: &str, inner: &str) -> String {
    if version.is_1x() {
        format!(
            r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue{inner}</AttributeValue></Attribute>"#
        )
    } else {
        format!("<{tag}{inner}</{tag}>")
    }
}

fn link(version: KmipVersion, link_type: &str, uid: &str) -> String {
    attr(
        version,
        "Link",
        "Link",
        &format!(
            r#"><LinkType type="Enumeration" value="{link_type}"/><LinkedObjectIdentifier type="TextString" value="{uid}"/>"#
        ),
    )
}

fn simple(version: KmipVersion, name: &str, tag: &str, kind: &str, value: &str) -> String {
    if version.is_1x() {
        format!(
            r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue type="{kind}" value="{value}"/></Attribute>"#
        )
    } else {
        format!(r#"<{tag} type="{kind}" value="{value}"/>"#)
    }
}

fn active(version: KmipVersion) -> String {
    simple(version, "Activation Date", "ActivationDate", "DateTime", &format_seconds(NOW - 3600))
}

fn register(server: &Server, version: KmipVersion, object_type: &str, attributes: &str, object: &str) -> String {
    let payload = server.ok(OWNER, version, &register_item(version, object_type, attributes, object));
    text(&payload, Tag::UniqueIdentifier).expect("an identifier")
}

fn register_item(version: KmipVersion, object_type: &str, attributes: &str, object: &str) -> String {
    item(
        "Register",
        &format!(
            r#"<ObjectType type="Enumeration" value="{object_type}"/>{}{object}"#,
            versioned_attributes(version, attributes)
        ),
    )
}

fn key_block(format: &str, material: &[u8]) -> String {
    format!(
        r#"<KeyBlock><KeyFormatType type="Enumeration" value="{format}"/><KeyValue><KeyMaterial type="ByteString" value="{}"/></KeyValue></KeyBlock>"#,
        hex::encode(material)
    )
}

fn password(server: &Server, version: KmipVersion, secret: &str) -> String {
    let object = format!(
        r#"<SecretData><SecretDataType type="Enumeration" value="Password"/>{}</SecretData>"#,
        key_block("Opaque", secret.as_bytes())
    );
    register(server, version, "SecretData", &active(version), &object)
}

fn certificate(server: &Server, version: KmipVersion, der: &[u8], issuer: Option<&str>) -> String {
    let object = format!(
        r#"<Certificate><CertificateType type="Enumeration" value="X_509"/><CertificateValue type="ByteString" value="{}"/></Certificate>"#,
        hex::encode(der)
    );
    let links = issuer.map(|uid| link(version, "CertificateLink", uid)).unwrap_or_default();
    register(server, version, "Certificate", &links, &object)
}

fn get_pkcs12(uid: &str) -> String {
    item("Get", &format!(r#"{}<KeyFormatType type="Enumeration" value="PKCS_12"/>"#, uid_xml(uid)))
}

/// The reason a Key Format Type PKCS#12 request fails for its password: Bad Password in 2.x,
/// Invalid Field in 1.4.
fn bad_password(version: KmipVersion) -> &'static str {
    if version.is_1x() { "InvalidField" } else { "BadPassword" }
}

/// The objects of a key whose certificate chain the server holds: root, intermediate and leaf
/// certificates linked to their issuers, the public key linked to the leaf, the private key linked
/// to the public key and to a password. Returns (private key uid, public key uid, chain).
fn stored_chain(server: &Server, version: KmipVersion) -> (String, String, Chain) {
    stored_chain_linked(server, version, "PKCS_12CertificateLink")
}

/// As [`stored_chain`], the public key naming its certificate with a Link of `certificate_link`.
fn stored_chain_linked(server: &Server, version: KmipVersion, certificate_link: &str) -> (String, String, Chain) {
    let chain = chain();
    let root = certificate(server, version, &chain.certificates[2], None);
    let inter = certificate(server, version, &chain.certificates[1], Some(&root));
    let leaf = certificate(server, version, &chain.certificates[0], Some(&inter));
    let public = register(
        server,
        version,
        "PublicKey",
        &link(version, certificate_link, &leaf),
        &format!("<PublicKey>{}</PublicKey>", key_block("X_509", &chain.spki)),
    );
    let secret = password(server, version, PASSWORD);
    let attributes =
        format!("{}{}", link(version, "PublicKeyLink", &public), link(version, "PKCS_12PasswordLink", &secret));
    let private = register(
        server,
        version,
        "PrivateKey",
        &attributes,
        &format!("<PrivateKey>{}</PrivateKey>", key_block("PKCS_8", &chain.key)),
    );
    (private, public, chain)
}

#[test]
fn get_in_pkcs12_gives_the_key_and_its_chain_under_the_linked_password() {
    for version in [V1_4, V2_1] {
        let server = Server::new();
        let (private, _, chain) = stored_chain(&server, version);
        let payload = server.ok(OWNER, version, &get_pkcs12(&private));
        let container = bytes(&payload, Tag::KeyMaterial).unwrap_or_else(|| panic!("{version}: {}", show(&payload)));
        let opened = read_pkcs12(&container, PASSWORD, None).expect("the container opens with the linked password");
        assert_eq!(*opened.private_key, chain.key, "{version}");
        assert_eq!(opened.chain, chain.certificates, "{version}: the base certificate, then each issuer");
        // Without a PKCS#12 Friendly Name the server uses "alias" (1.4 §3.45).
        assert_eq!(opened.friendly_name.as_deref(), Some("alias"), "{version}");
        assert!(read_pkcs12(&container, "another password", None).is_err());
        // Export (1.4 and 2.x) hands out the same form.
        let exported = server.ok(
            OWNER,
            version,
            &item("Export", &format!(r#"{}<KeyFormatType type="Enumeration" value="PKCS_12"/>"#, uid_xml(&private))),
        );
        let container = bytes(&exported, Tag::KeyMaterial).unwrap_or_else(|| panic!("{version}: {}", show(&exported)));
        assert_eq!(read_pkcs12(&container, PASSWORD, None).unwrap().chain, chain.certificates, "{version}");
        // The key's own format is unchanged.
        let plain = server.ok(OWNER, version, &on("Get", Some(&private)));
        assert_eq!(bytes(&plain, Tag::KeyMaterial), Some(chain.key.clone()), "{version}");
    }
}

#[test]
fn the_public_keys_certificate_link_leads_to_the_chain_too() {
    // 1.4 §4.11 names the public key's Certificate Link; 2.x its PKCS#12 Certificate Link.
    let server = Server::new();
    let (private, _, chain) = stored_chain_linked(&server, V1_4, "CertificateLink");
    let payload = server.ok(OWNER, V1_4, &get_pkcs12(&private));
    let container = bytes(&payload, Tag::KeyMaterial).expect("a container");
    assert_eq!(read_pkcs12(&container, PASSWORD, None).unwrap().chain, chain.certificates);
}

#[test]
fn the_friendly_name_attribute_names_the_key_in_the_container() {
    let server = Server::new();
    let (private, _, _) = stored_chain(&server, V2_1);
    let name = simple(V2_1, "PKCS#12 Friendly Name", "PKCS_12FriendlyName", "TextString", "backup signer");
    server.ok(OWNER, V2_1, &item("AddAttribute", &format!("{}<NewAttribute>{name}</NewAttribute>", uid_xml(&private))));
    let payload = server.ok(OWNER, V2_1, &get_pkcs12(&private));
    let container = bytes(&payload, Tag::KeyMaterial).expect("a container");
    assert_eq!(read_pkcs12(&container, PASSWORD, None).unwrap().friendly_name.as_deref(), Some("backup signer"));
}

#[test]
fn the_password_link_must_name_one_active_password() {
    for version in [V1_4, V2_1] {
        let server = Server::new();
        let chain = chain();
        let private_key = format!("<PrivateKey>{}</PrivateKey>", key_block("PKCS_8", &chain.key));
        // No link at all.
        let unlinked = register(&server, version, "PrivateKey", "", &private_key);
        assert_eq!(server.fails(OWNER, version, &get_pkcs12(&unlinked)), bad_password(version), "{version}");
        // Two links.
        let (a, b) = (password(&server, version, "a"), password(&server, version, "b"));
        let two = format!("{}{}", link(version, "PKCS_12PasswordLink", &a), link(version, "PKCS_12PasswordLink", &b));
        let twice = register(&server, version, "PrivateKey", &two, &private_key);
        assert_eq!(server.fails(OWNER, version, &get_pkcs12(&twice)), bad_password(version), "{version}");
        // A link to Secret Data that is not Active (no Activation Date: Pre-Active).
        let object = format!(
            r#"<SecretData><SecretDataType type="Enumeration" value="Password"/>{}</SecretData>"#,
            key_block("Opaque", b"dormant")
        );
        let dormant = register(&server, version, "SecretData", "", &object);
        let linked =
            register(&server, version, "PrivateKey", &link(version, "PKCS_12PasswordLink", &dormant), &private_key);
        assert_eq!(server.fails(OWNER, version, &get_pkcs12(&linked)), bad_password(version), "{version}");
        // A key that is not a private key has no PKCS#12 form.
        let public = register(
            &server,
            version,
            "PublicKey",
            "",
            &format!("<PublicKey>{}</PublicKey>", key_block("X_509", &chain.spki)),
        );
        assert_eq!(server.fails(OWNER, version, &get_pkcs12(&public)), "KeyFormatTypeNotSupported", "{version}");
    }
}

#[test]
fn two_certificate_chains_are_an_error() {
    let server = Server::new();
    let (private, public, chain) = stored_chain(&server, V1_4);
    let other = certificate(&server, V1_4, &chain.certificates[0], None);
    server.ok(
        OWNER,
        V1_4,
        &item("AddAttribute", &format!("{}{}", uid_xml(&public), link(V1_4, "PKCS_12CertificateLink", &other))),
    );
    assert_eq!(server.fails(OWNER, V1_4, &get_pkcs12(&private)), "IllegalOperation");
}

#[test]
fn register_of_a_container_stores_the_key_and_its_certificates() {
    for version in [V1_4, V2_1] {
        let server = Server::new();
        let chain = chain();
        let container = write_pkcs12(&chain.key, &chain.certificates, "imported key", PASSWORD).unwrap();
        let secret = password(&server, version, PASSWORD);
        let object = format!("<PrivateKey>{}</PrivateKey>", key_block("PKCS_12", &container));
        let private = register(&server, version, "PrivateKey", &link(version, "PKCS_12PasswordLink", &secret), &object);

        // The key is stored as the PKCS#8 the container held, with the friendly name found.
        let plain = server.ok(OWNER, version, &on("Get", Some(&private)));
        assert_eq!(bytes(&plain, Tag::KeyMaterial), Some(chain.key.clone()), "{version}: {}", show(&plain));
        assert!(show(&plain).contains("PKCS_8"), "{version}: {}", show(&plain));
        let name_selector = if version.is_1x() {
            r#"<AttributeName type="TextString" value="PKCS#12 Friendly Name"/>"#.to_string()
        } else {
            r#"<AttributeReference type="Enumeration" value="PKCS_12FriendlyName"/>"#.to_string()
        };
        let attributes =
            server.ok(OWNER, version, &item("GetAttributes", &format!("{}{name_selector}", uid_xml(&private))));
        assert_eq!(
            text(&attributes, Tag::AttributeValue).or_else(|| text(&attributes, Tag::PKCS_12FriendlyName)).as_deref(),
            Some("imported key"),
            "{version}"
        );

        // The certificates are kept: a Get in PKCS#12 gives the same chain back.
        let again = server.ok(OWNER, version, &get_pkcs12(&private));
        let reopened = read_pkcs12(&bytes(&again, Tag::KeyMaterial).unwrap(), PASSWORD, None).unwrap();
        assert_eq!(*reopened.private_key, chain.key, "{version}");
        assert_eq!(reopened.chain, chain.certificates, "{version}");
        assert_eq!(reopened.friendly_name.as_deref(), Some("imported key"), "{version}");
        let certificates = server.ok(
            OWNER,
            version,
            &item(
                "Locate",
                &versioned_attributes(
                    version,
                    &simple(version, "Object Type", "ObjectType", "Enumeration", "Certificate"),
                ),
            ),
        );
        assert_eq!(texts(&certificates, Tag::UniqueIdentifier).len(), 3, "{version}");

        // A wrong password, or none, is refused.
        let wrong = password(&server, version, "not the password");
        let refused = register_item(version, "PrivateKey", &link(version, "PKCS_12PasswordLink", &wrong), &object);
        assert_eq!(server.fails(OWNER, version, &refused), bad_password(version), "{version}");
        let unlinked = register_item(version, "PrivateKey", "", &object);
        assert_eq!(server.fails(OWNER, version, &unlinked), bad_password(version), "{version}");
    }
}
