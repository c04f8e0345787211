//! Certificates: CAs and requests made with rcgen (independently of the code under test), issued
//! with ours, checked by x509-parser and webpki.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair as RcgenKey, KeyUsagePurpose};
use rustls_pki_types::PrivatePkcs8KeyDer;

use super::*;
use crate::CryptoError;
use crate::asymmetric::{Curve, KeyAlgorithm, KeyPairSpec, generate_key_pair};

const Y2020: i64 = 1_577_836_800; // 2020-01-01T00:00:00Z
const Y2030: i64 = 1_893_456_000; // 2030-01-01T00:00:00Z
const NOW: i64 = 1_800_000_000; // 2027-01-15

/// A self-signed CA made by rcgen: its DER certificate and PKCS#8 key.
fn rcgen_ca(alg: &'static rcgen::SignatureAlgorithm, pkcs8: Option<Vec<u8>>) -> (Vec<u8>, Vec<u8>) {
    let key = match pkcs8 {
        Some(der) => RcgenKey::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(der), alg).unwrap(),
        None => RcgenKey::generate_for(alg).unwrap(),
    };
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CountryName, "FR");
    params.distinguished_name.push(DnType::OrganizationName, "Keyward Test");
    params.distinguished_name.push(DnType::CommonName, "Keyward Test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), key.serialize_der())
}

fn request(key: SubjectKey<'_>, subject: Option<DistinguishedName>) -> CertificateRequest<'_> {
    CertificateRequest {
        subject_key: key,
        subject,
        not_before: Y2020,
        not_after: Y2030,
        serial_number: None,
        is_ca: false,
        subject_alt_names: vec![],
    }
}

#[test]
fn a_public_key_is_certified_by_an_ecdsa_ca() {
    let (ca_cert, ca_key) = rcgen_ca(&rcgen::PKCS_ECDSA_P256_SHA256, None);
    let subject_pair = generate_key_pair(KeyPairSpec::Rsa { bits: 2048 }).unwrap();
    let subject = DistinguishedName::from_attributes(&[
        (NameAttribute::Country, "FR"),
        (NameAttribute::Organization, "Acme"),
        (NameAttribute::OrganizationalUnit, "Storage"),
        (NameAttribute::CommonName, "array-01"),
        (NameAttribute::Email, "ops@example.com"),
    ])
    .unwrap();
    let mut req = request(SubjectKey::PublicKey(&subject_pair.public_key), Some(subject.clone()));
    req.serial_number = Some(vec![0x01, 0x02, 0x03]);
    req.subject_alt_names = vec![GeneralName::Dns("array-01.example.com".into()), GeneralName::Ip(vec![10, 0, 0, 7])];
    let issuer = Issuer { certificate: &ca_cert, private_key: &ca_key };
    let cert = issue_certificate(&req, &issuer).unwrap();

    let info = describe_certificate(&cert).unwrap();
    let ca_info = describe_certificate(&ca_cert).unwrap();
    assert_eq!(info.version, 3);
    assert_eq!(info.der_len, cert.len());
    assert_eq!(info.serial_number, vec![1, 2, 3]);
    assert_eq!(info.subject.der, subject.der);
    assert_eq!(info.subject.values(NameAttribute::CommonName), ["array-01"]);
    assert_eq!(info.subject.values(NameAttribute::Email), ["ops@example.com"]);
    assert_eq!(info.issuer.der, ca_info.subject.der, "issuer copied byte for byte");
    assert_eq!(info.issuer.values(NameAttribute::Organization), ["Keyward Test"]);
    assert_eq!((info.not_before, info.not_after), (Y2020, Y2030));
    assert_eq!(info.signature_algorithm, CertificateSignatureAlgorithm::EcdsaWithSha256);
    assert_eq!(info.spki_der, subject_pair.public_key);
    assert_eq!(info.public_key.map(|k| (k.algorithm, k.bits)), Some((KeyAlgorithm::Rsa, 2048)));
    assert_eq!(info.subject_alt_names, req.subject_alt_names);
    assert!(!info.is_ca);
    assert_eq!(ca_info.signature_algorithm, CertificateSignatureAlgorithm::EcdsaWithSha256);
    assert!(ca_info.is_ca);

    assert_eq!(validate_chain(&[&cert, &ca_cert], NOW).unwrap(), ChainValidity::Valid);
    assert!(matches!(validate_chain(&[&cert, &ca_cert], Y2030 + 10).unwrap(), ChainValidity::Invalid(_)));
    assert!(matches!(validate_chain(&[&cert, &ca_cert], Y2020 - 10).unwrap(), ChainValidity::Invalid(_)));
}

#[test]
fn a_csr_is_checked_and_certified_by_an_rsa_ca() {
    let ca_pkcs8 = generate_key_pair(KeyPairSpec::Rsa { bits: 2048 }).unwrap().private_key.to_vec();
    let (ca_cert, ca_key) = rcgen_ca(&rcgen::PKCS_RSA_SHA256, Some(ca_pkcs8));
    let leaf_key = RcgenKey::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let mut params = CertificateParams::new(vec!["client.example.com".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "kmip client");
    let csr = params.serialize_request(&leaf_key).unwrap();
    let csr_der = csr.der().to_vec();

    let csr_info = verify_csr(&csr_der).unwrap();
    assert_eq!(csr_info.subject.values(NameAttribute::CommonName), ["kmip client"]);
    assert_eq!(csr_info.subject_alt_names, vec![GeneralName::Dns("client.example.com".into())]);

    let cert = issue_certificate(
        &request(SubjectKey::Csr(&csr_der), None),
        &Issuer { certificate: &ca_cert, private_key: &ca_key },
    )
    .unwrap();
    let info = describe_certificate(&cert).unwrap();
    assert_eq!(info.subject.der, csr_info.subject.der);
    assert_eq!(info.signature_algorithm, CertificateSignatureAlgorithm::Sha256WithRsa);
    assert_eq!(info.public_key.map(|k| k.algorithm), Some(KeyAlgorithm::Ec(Curve::P384)));
    assert_eq!(info.subject_alt_names, csr_info.subject_alt_names);
    assert_eq!(validate_chain(&[&cert, &ca_cert], NOW).unwrap(), ChainValidity::Valid);

    // A request whose signature does not verify is refused.
    let mut bad = csr_der.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(verify_csr(&bad).unwrap_err(), CryptoError::VerificationFailed);
    assert!(
        issue_certificate(
            &request(SubjectKey::Csr(&bad), None),
            &Issuer { certificate: &ca_cert, private_key: &ca_key }
        )
        .is_err()
    );
}

#[test]
fn three_level_chains_with_repeated_name_attributes_validate() {
    let (root_cert, root_key) = rcgen_ca(&rcgen::PKCS_ED25519, None);
    // An intermediate whose name repeats DC, which must reach the leaf's issuer field unchanged.
    let inter = generate_key_pair(KeyPairSpec::Ec(Curve::P521)).unwrap();
    let inter_name = DistinguishedName::from_attributes(&[
        (NameAttribute::DomainComponent, "com"),
        (NameAttribute::DomainComponent, "example"),
        (NameAttribute::CommonName, "Issuing CA"),
    ])
    .unwrap();
    let mut req = request(SubjectKey::PublicKey(&inter.public_key), Some(inter_name.clone()));
    req.is_ca = true;
    let inter_cert = issue_certificate(&req, &Issuer { certificate: &root_cert, private_key: &root_key }).unwrap();
    assert_eq!(describe_certificate(&inter_cert).unwrap().signature_algorithm, CertificateSignatureAlgorithm::Ed25519);

    let leaf = generate_key_pair(KeyPairSpec::Ed25519).unwrap();
    let leaf_name = DistinguishedName::from_attributes(&[(NameAttribute::CommonName, "leaf")]).unwrap();
    let leaf_cert = issue_certificate(
        &request(SubjectKey::PublicKey(&leaf.public_key), Some(leaf_name)),
        &Issuer { certificate: &inter_cert, private_key: &inter.private_key },
    )
    .unwrap();
    let info = describe_certificate(&leaf_cert).unwrap();
    assert_eq!(info.issuer.values(NameAttribute::DomainComponent), ["com", "example"]);
    assert_eq!(info.signature_algorithm, CertificateSignatureAlgorithm::EcdsaWithSha512);

    assert_eq!(validate_chain(&[&leaf_cert, &inter_cert, &root_cert], NOW).unwrap(), ChainValidity::Valid);
    // Without the intermediate there is no path.
    assert!(matches!(validate_chain(&[&leaf_cert, &root_cert], NOW).unwrap(), ChainValidity::Invalid(_)));
    // A leaf is not a CA: nothing it issues validates.
    let leaf_issued = issue_certificate(
        &request(SubjectKey::PublicKey(&inter.public_key), Some(inter_name)),
        &Issuer { certificate: &leaf_cert, private_key: &leaf.private_key },
    )
    .unwrap();
    assert!(matches!(
        validate_chain(&[&leaf_issued, &leaf_cert, &inter_cert, &root_cert], NOW).unwrap(),
        ChainValidity::Invalid(_)
    ));
}

#[test]
fn tampered_certificates_do_not_validate() {
    let (ca_cert, ca_key) = rcgen_ca(&rcgen::PKCS_ECDSA_P384_SHA384, None);
    let leaf = generate_key_pair(KeyPairSpec::Ec(Curve::P256)).unwrap();
    let name = DistinguishedName::from_attributes(&[(NameAttribute::CommonName, "x")]).unwrap();
    let cert = issue_certificate(
        &request(SubjectKey::PublicKey(&leaf.public_key), Some(name)),
        &Issuer { certificate: &ca_cert, private_key: &ca_key },
    )
    .unwrap();
    let mut bad = cert.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1; // inside the signature
    assert!(matches!(validate_chain(&[&bad, &ca_cert], NOW).unwrap(), ChainValidity::Invalid(_)));
    let mut bad_root = ca_cert.clone();
    let last = bad_root.len() - 1;
    bad_root[last] ^= 1;
    assert!(matches!(validate_chain(&[&cert, &bad_root], NOW).unwrap(), ChainValidity::Invalid(_)));
    assert!(validate_chain(&[], NOW).is_err());
    assert!(validate_chain(&[b"not a certificate"], NOW).is_err());
}

#[test]
fn the_ca_key_must_match_the_ca_certificate() {
    let (ca_cert, _) = rcgen_ca(&rcgen::PKCS_ECDSA_P256_SHA256, None);
    let other = generate_key_pair(KeyPairSpec::Ec(Curve::P256)).unwrap();
    let subject = generate_key_pair(KeyPairSpec::Ed25519).unwrap();
    let name = DistinguishedName::from_attributes(&[(NameAttribute::CommonName, "x")]).unwrap();
    let err = issue_certificate(
        &request(SubjectKey::PublicKey(&subject.public_key), Some(name)),
        &Issuer { certificate: &ca_cert, private_key: &other.private_key },
    )
    .unwrap_err();
    assert!(matches!(err, CryptoError::InvalidKey(_)));
    assert!(
        issue_certificate(
            &request(SubjectKey::PublicKey(&subject.public_key), None),
            &Issuer { certificate: &ca_cert, private_key: &other.private_key }
        )
        .is_err()
    );
}

#[test]
fn pem_certificates_are_read_and_self_signed_roots_validate_alone() {
    let key = RcgenKey::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(vec!["root.example".to_string()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let pem = cert.pem();
    assert_eq!(certificate_der(pem.as_bytes()).unwrap(), cert.der().to_vec());
    let info = describe_certificate(pem.as_bytes()).unwrap();
    assert_eq!(info.der_len, cert.der().len());
    assert_eq!(info.subject_alt_names, vec![GeneralName::Dns("root.example".into())]);
    assert_eq!(validate_chain(&[pem.as_bytes()], NOW).unwrap(), ChainValidity::Valid);
    let key_pem = key.serialize_pem();
    assert!(certificate_der(key_pem.as_bytes()).is_err(), "a PRIVATE KEY block is not a certificate");
}

/// A self-signed CA of our own is a CA, names itself as issuer, validates alone, and issues
/// certificates that chain to it.
#[test]
fn a_self_signed_ca_is_a_root_that_issues() {
    let key = generate_key_pair(KeyPairSpec::Ec(Curve::P256)).unwrap();
    let name = DistinguishedName::from_attributes(&[(NameAttribute::CommonName, "Issuing CA")]).unwrap();
    let ca = self_signed_ca(&name, &key.private_key, Y2020, Y2030).unwrap();
    let info = describe_certificate(&ca).unwrap();
    assert!(info.is_ca);
    assert_eq!(info.subject.der, name.der);
    assert_eq!(info.issuer.der, name.der);
    assert_eq!((info.not_before, info.not_after), (Y2020, Y2030));
    assert_eq!(validate_chain(&[&ca], NOW).unwrap(), ChainValidity::Valid);

    let leaf_key = generate_key_pair(KeyPairSpec::Ec(Curve::P256)).unwrap();
    let leaf_name = DistinguishedName::from_attributes(&[(NameAttribute::CommonName, "leaf")]).unwrap();
    let issuer = Issuer { certificate: &ca, private_key: &key.private_key };
    let leaf =
        issue_certificate(&request(SubjectKey::PublicKey(&leaf_key.public_key), Some(leaf_name)), &issuer).unwrap();
    assert_eq!(validate_chain(&[&leaf, &ca], NOW).unwrap(), ChainValidity::Valid);
}
