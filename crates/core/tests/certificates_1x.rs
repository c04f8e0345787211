//! Certificates as each version describes them (1.0 §3.8–3.11, 1.1 and 1.2 §3.8–3.16), and the
//! server's own issuing CA for Certify and Re-certify requests that name none (1.4 §4.7, §4.8).

mod support;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use keyward_core::{Dispatcher, IssuingCa, Policy, Services};
use keyward_crypto::certificates::{ChainValidity, NameAttribute, describe_certificate, validate_chain};
use keyward_store::MemoryStore;
use keyward_ttlv::KmipVersion::{self, V1_0, V1_1, V1_2, V1_3, V1_4, V2_1};
use keyward_ttlv::Tag;
use support::*;
use zeroize::Zeroizing;

const OWNER: &str = "alice";

fn server_with(issuing_ca: IssuingCa) -> Server {
    let clock = Arc::new(TestClock(AtomicI64::new(NOW)));
    let policy = Policy { administrators: vec!["admin".into()], issuing_ca, ..Policy::default() };
    let services = Services {
        store: Arc::new(MemoryStore::new(keyward_core::record_schema::schema())),
        policy,
        clock: clock.clone(),
    };
    Server { dispatcher: Dispatcher::new(services), clock }
}

/// A self-signed CA made by rcgen: its certificate and PKCS#8 key (DER).
fn rcgen_ca(common_name: &str) -> (Vec<u8>, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::OrganizationName, "Keyward Test");
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    (params.self_signed(&key).unwrap().der().to_vec(), key.serialize_der())
}

fn register_certificate_1x(server: &Server, version: KmipVersion, der: &[u8]) -> String {
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="Certificate"/><TemplateAttribute/>
        <Certificate><CertificateType type="Enumeration" value="X_509"/><CertificateValue type="ByteString" value="{}"/></Certificate>"#,
        hex::encode(der)
    );
    text(&server.ok(OWNER, version, &item("Register", &payload)), Tag::UniqueIdentifier).unwrap()
}

fn attribute_list(server: &Server, version: KmipVersion, uid: &str) -> Vec<String> {
    texts(&server.ok(OWNER, version, &item("GetAttributeList", &uid_xml(uid))), Tag::AttributeName)
}

/// 1.0 to 1.2 clients see Certificate Identifier, Subject and Issuer, derived from the
/// certificate, whichever version registered it; 1.0 clients see no Cryptographic Algorithm or
/// Length on a certificate, nor the X.509 forms 1.1 added; 1.3 and 1.4 clients see the X.509 forms.
#[test]
fn certificates_carry_the_attributes_of_the_request_version() {
    let server = server_with(IssuingCa::None);
    let (der, _) = rcgen_ca("Shown CA");
    let legacy = ["Certificate Type", "Certificate Identifier", "Certificate Subject", "Certificate Issuer"];
    let x509 = ["X.509 Certificate Identifier", "X.509 Certificate Subject", "X.509 Certificate Issuer"];
    for registered_in in [V1_0, V1_4] {
        let uid = register_certificate_1x(&server, registered_in, &der);
        let v10 = attribute_list(&server, V1_0, &uid);
        for name in legacy {
            assert!(v10.contains(&name.to_string()), "1.0 lacks {name}: {v10:?}");
        }
        for absent in ["Cryptographic Algorithm", "Cryptographic Length", "Certificate Length"] {
            assert!(!v10.contains(&absent.to_string()), "1.0 shows {absent}: {v10:?}");
        }
        for version in [V1_1, V1_2] {
            let list = attribute_list(&server, version, &uid);
            for name in legacy.iter().chain(&x509).chain(&["Cryptographic Algorithm"]) {
                assert!(list.contains(&name.to_string()), "{version} lacks {name}: {list:?}");
            }
        }
        for version in [V1_3, V1_4] {
            let list = attribute_list(&server, version, &uid);
            assert!(list.contains(&"X.509 Certificate Identifier".to_string()), "{list:?}");
            assert!(!list.contains(&"Certificate Identifier".to_string()), "{version}: {list:?}");
        }
        // The values, from the certificate: the issuer's name and the serial number.
        let payload = server.ok(OWNER, V1_0, &item("GetAttributes", &uid_xml(&uid)));
        let identifier = attribute_xml(&payload, "Certificate Identifier").expect("Certificate Identifier");
        assert!(identifier.contains("CN=Shown CA"), "{identifier}");
        assert!(attribute_xml(&payload, "Certificate Subject").unwrap().contains("CN=Shown CA"));
        assert!(attribute_xml(&payload, "Cryptographic Algorithm").is_none(), "{}", show(&payload));
    }
}

fn create_pair(server: &Server) -> String {
    let payload = r#"<CommonAttributes>
        <CryptographicAlgorithm type="Enumeration" value="ECDSA"/>
        <CryptographicDomainParameters><RecommendedCurve type="Enumeration" value="P_256"/></CryptographicDomainParameters>
        </CommonAttributes>
        <PrivateKeyAttributes><CryptographicUsageMask type="Integer" value="Sign"/></PrivateKeyAttributes>
        <PublicKeyAttributes><CryptographicUsageMask type="Integer" value="Verify"/></PublicKeyAttributes>"#;
    text(&server.ok(OWNER, V2_1, &item("CreateKeyPair", payload)), Tag::PublicKeyUniqueIdentifier).unwrap()
}

fn certify_without_parent(server: &Server, public: &str, cn: &str) -> String {
    let payload = format!(
        r#"{}<Attributes><CertificateSubjectCN type="TextString" value="{cn}"/></Attributes>"#,
        uid_xml(public)
    );
    text(&server.ok(OWNER, V2_1, &item("Certify", &payload)), Tag::UniqueIdentifier).unwrap()
}

fn certificate_der(server: &Server, client: &str, uid: &str) -> Vec<u8> {
    bytes(&server.ok(client, V2_1, &item("Get", &uid_xml(uid))), Tag::CertificateValue).expect("a certificate")
}

/// Without a Parent Link, a managed issuing CA is made on first use and signs every such request,
/// Certify and Re-certify alike; clients cannot read its key, administrators see its certificate.
#[test]
fn certify_without_a_parent_uses_the_managed_issuing_ca() {
    let server = server_with(IssuingCa::Managed);
    let first = certify_without_parent(&server, &create_pair(&server), "first");
    let second = certify_without_parent(&server, &create_pair(&server), "second");
    let ca_uid = "keyward-issuing-ca-certificate";
    let ca = certificate_der(&server, "admin", ca_uid);
    let ca_info = describe_certificate(&ca).unwrap();
    assert!(ca_info.is_ca);
    assert_eq!(ca_info.subject.values(NameAttribute::CommonName), ["Keyward issuing CA"]);
    for uid in [&first, &second] {
        let leaf = certificate_der(&server, OWNER, uid);
        assert_eq!(describe_certificate(&leaf).unwrap().issuer.der, ca_info.subject.der);
        assert_eq!(validate_chain(&[&leaf, &ca], NOW + 10).unwrap(), ChainValidity::Valid, "one CA for both");
    }
    let links = show(&server.ok(OWNER, V2_1, &item("GetAttributes", &uid_xml(&first))));
    assert!(links.contains("ParentLink") && links.contains(ca_uid), "{links}");
    assert_eq!(server.fails(OWNER, V2_1, &item("Get", &uid_xml("keyward-issuing-ca-private-key"))), "ObjectNotFound");
    let extract = item("Get", &uid_xml("keyward-issuing-ca-private-key"));
    assert_ne!(server.fails("admin", V2_1, &extract), "ObjectNotFound", "the key exists but never leaves");

    let renewed = text(&server.ok(OWNER, V2_1, &item("ReCertify", &uid_xml(&first))), Tag::UniqueIdentifier).unwrap();
    let leaf = certificate_der(&server, OWNER, &renewed);
    assert_eq!(validate_chain(&[&leaf, &ca], NOW + 10).unwrap(), ChainValidity::Valid);
}

/// A configured CA signs requests that name none; without any, the client must name one.
#[test]
fn certify_without_a_parent_uses_the_configured_ca_or_needs_one() {
    let (ca, key) = rcgen_ca("Configured CA");
    let server = server_with(IssuingCa::Configured { certificate: ca.clone(), private_key: Zeroizing::new(key) });
    let uid = certify_without_parent(&server, &create_pair(&server), "leaf");
    let leaf = certificate_der(&server, OWNER, &uid);
    assert_eq!(describe_certificate(&leaf).unwrap().issuer.values(NameAttribute::CommonName), ["Configured CA"]);
    assert_eq!(validate_chain(&[&leaf, &ca], NOW + 10).unwrap(), ChainValidity::Valid);

    let server = server_with(IssuingCa::None);
    let payload = format!(
        r#"{}<Attributes><CertificateSubjectCN type="TextString" value="x"/></Attributes>"#,
        uid_xml(&create_pair(&server))
    );
    assert_eq!(server.fails(OWNER, V2_1, &item("Certify", &payload)), "MissingData");
}
