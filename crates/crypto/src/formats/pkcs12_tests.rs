//! PKCS#12 round trips with known passwords, and interoperation with the `openssl pkcs12` command
//! in both directions (skipped, with a message, where openssl is not installed).

use std::path::Path;
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair as RcgenKey};

use super::*;

/// A root CA, an intermediate it signs and a leaf the intermediate signs, ECDSA P-256; returns
/// the leaf's PKCS#8 key and the chain, leaf first.
fn chain() -> (Vec<u8>, Vec<Vec<u8>>) {
    let alg = &rcgen::PKCS_ECDSA_P256_SHA256;
    let ca_params = |name: &str| {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
    };
    let root_key = RcgenKey::generate_for(alg).unwrap();
    let root_params = ca_params("pkcs12 test root");
    let root = root_params.self_signed(&root_key).unwrap();
    let root_issuer = Issuer::new(root_params, &root_key);
    let inter_key = RcgenKey::generate_for(alg).unwrap();
    let inter_params = ca_params("pkcs12 test intermediate");
    let inter = inter_params.signed_by(&inter_key, &root_issuer).unwrap();
    let inter_issuer = Issuer::new(inter_params, &inter_key);
    let leaf_key = RcgenKey::generate_for(alg).unwrap();
    let mut leaf_params = CertificateParams::new(vec!["client.example".to_string()]).unwrap();
    leaf_params.distinguished_name.push(DnType::CommonName, "pkcs12 test leaf");
    let leaf = leaf_params.signed_by(&leaf_key, &inter_issuer).unwrap();
    (leaf_key.serialize_der(), vec![leaf.der().to_vec(), inter.der().to_vec(), root.der().to_vec()])
}

#[test]
fn a_container_opens_with_its_password_and_gives_back_the_key_and_chain() {
    let (key, certificates) = chain();
    let container = write_pkcs12(&key, &certificates, "alias", "correct horse").unwrap();
    let opened = read_pkcs12(&container, "correct horse", None).unwrap();
    assert_eq!(*opened.private_key, key);
    assert_eq!(opened.chain, certificates);
    assert_eq!(opened.friendly_name.as_deref(), Some("alias"));
    // By name, ignoring case (RFC 7292: caseIgnoreMatch).
    assert_eq!(read_pkcs12(&container, "correct horse", Some("ALIAS")).unwrap().chain.len(), 3);
    assert!(matches!(read_pkcs12(&container, "correct horse", Some("other")), Err(CryptoError::InvalidInput(_))));
    assert!(matches!(read_pkcs12(&container, "wrong", None), Err(CryptoError::VerificationFailed)));
    assert!(matches!(read_pkcs12(b"not a container", "x", None), Err(CryptoError::InvalidInput(_))));
}

#[test]
fn a_key_without_certificates_and_an_empty_password_round_trip() {
    let (key, _) = chain();
    let container = write_pkcs12(&key, &[], "solo", "").unwrap();
    let opened = read_pkcs12(&container, "", None).unwrap();
    assert_eq!(*opened.private_key, key);
    assert!(opened.chain.is_empty());
    assert!(matches!(write_pkcs12(b"junk", &[], "x", "p"), Err(CryptoError::InvalidKey(_))));
}

/// The openssl command, or None (and a message) where it is not installed.
fn openssl() -> Option<Command> {
    match Command::new("openssl").arg("version").output() {
        Ok(out) if out.status.success() => Some(Command::new("openssl")),
        _ => {
            eprintln!("skipped: no openssl command to check PKCS#12 interoperation against");
            None
        }
    }
}

fn der_to_pem(label: &str, der: &[u8], path: &Path) {
    let mut pem = format!("-----BEGIN {label}-----\n");
    let encoded = base64(der);
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    std::fs::write(path, pem).unwrap();
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("keyward-pkcs12-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn openssl_reads_what_we_write() {
    let Some(mut openssl) = openssl() else { return };
    let (key, certificates) = chain();
    let dir = temp_dir("out");
    let p12 = dir.join("ours.p12");
    std::fs::write(&p12, write_pkcs12(&key, &certificates, "alias", "s3cret pass").unwrap()).unwrap();
    let out = openssl
        .args(["pkcs12", "-in"])
        .arg(&p12)
        .args(["-passin", "pass:s3cret pass", "-nodes", "-info"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "openssl refused our container: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 3, "{text}");
    assert!(text.contains("BEGIN PRIVATE KEY"), "{text}");
    assert!(text.contains("friendlyName: alias"), "{text}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn we_read_what_openssl_writes() {
    let Some(mut openssl) = openssl() else { return };
    let (key, certificates) = chain();
    let dir = temp_dir("in");
    der_to_pem("PRIVATE KEY", &key, &dir.join("key.pem"));
    der_to_pem("CERTIFICATE", &certificates[0], &dir.join("leaf.pem"));
    let mut cas = Vec::new();
    for (i, der) in certificates[1..].iter().enumerate() {
        let path = dir.join(format!("ca{i}.pem"));
        der_to_pem("CERTIFICATE", der, &path);
        cas.push(std::fs::read_to_string(path).unwrap());
    }
    std::fs::write(dir.join("cas.pem"), cas.concat()).unwrap();
    let p12 = dir.join("theirs.p12");
    let out = openssl
        .args(["pkcs12", "-export", "-inkey"])
        .arg(dir.join("key.pem"))
        .arg("-in")
        .arg(dir.join("leaf.pem"))
        .arg("-certfile")
        .arg(dir.join("cas.pem"))
        .args(["-name", "From OpenSSL", "-passout", "pass:their password", "-out"])
        .arg(&p12)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl pkcs12 -export: {}", String::from_utf8_lossy(&out.stderr));
    let container = std::fs::read(&p12).unwrap();
    let opened = read_pkcs12(&container, "their password", Some("from openssl")).unwrap();
    assert_eq!(*opened.private_key, key);
    assert_eq!(opened.chain, certificates);
    assert!(matches!(read_pkcs12(&container, "not theirs", None), Err(CryptoError::VerificationFailed)));
    std::fs::remove_dir_all(dir).ok();
}
