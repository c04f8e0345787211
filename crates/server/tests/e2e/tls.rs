//! The TLS layer as clients meet it: protocol versions, the certificate each kind of client gets,
//! client authentication, session resumption.

use std::sync::Arc;

use keyward_client::pem;
use keyward_client::{ClientCredentials, ClientError};
use keyward_server::pki::{ADMIN, DevPki};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::CertificateDer;
use rustls::version::{TLS12, TLS13};
use rustls::{
    CipherSuite, HandshakeKind, ProtocolVersion, SignatureAlgorithm, SignatureScheme, SupportedProtocolVersion,
};

use crate::common::{TestServer, assert_discover_versions_answer, discover_versions};

async fn round_trip_over(version: &'static SupportedProtocolVersion, expected: ProtocolVersion) {
    let server = TestServer::start().await;
    let config = server.credentials().tls_config_with(keyward_server::tls::crypto_provider(), &[version]).unwrap();
    let mut connection = server.client_with(config).connect().await.unwrap();
    assert_eq!(connection.tls().protocol_version(), Some(expected));
    assert_discover_versions_answer(connection.call(&discover_versions()).await.unwrap());
    connection.close().await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn discover_versions_over_tls_1_2() {
    round_trip_over(&TLS12, ProtocolVersion::TLSv1_2).await;
}

#[tokio::test]
async fn discover_versions_over_tls_1_3() {
    round_trip_over(&TLS13, ProtocolVersion::TLSv1_3).await;
}

/// The server's end-entity certificate as the client received it.
async fn certificate_served(
    server: &TestServer,
    provider: CryptoProvider,
    version: &'static SupportedProtocolVersion,
) -> CertificateDer<'static> {
    let config = server.credentials().tls_config_with(Arc::new(provider), &[version]).unwrap();
    let mut connection = server.client_with(config).connect().await.unwrap();
    assert_discover_versions_answer(connection.call(&discover_versions()).await.unwrap());
    let certificate = connection.tls().peer_certificates().unwrap()[0].clone().into_owned();
    connection.close().await;
    certificate
}

fn first_certificate(path: &std::path::Path) -> CertificateDer<'static> {
    pem::certificates_from_file(path).unwrap().remove(0)
}

/// Our provider with only the TLS 1.2 suites of one signature algorithm.
fn tls12_suites_for(algorithm: SignatureAlgorithm) -> CryptoProvider {
    let wanted: &[CipherSuite] = match algorithm {
        SignatureAlgorithm::RSA => {
            &[CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
        }
        _ => &[
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ],
    };
    let mut provider = (*keyward_server::tls::crypto_provider()).clone();
    provider.cipher_suites.retain(|suite| wanted.contains(&suite.suite()));
    provider
}

/// Our provider offering only the signature schemes of one algorithm in its hello. (The chain is
/// still verified with every algorithm: the RSA certificate is signed by the ECDSA CA.)
fn signature_schemes_for(algorithm: SignatureAlgorithm) -> CryptoProvider {
    let mut provider = (*keyward_server::tls::crypto_provider()).clone();
    let all = provider.signature_verification_algorithms;
    let mapping: Vec<_> =
        all.mapping.iter().filter(|(scheme, _)| algorithm_of(*scheme) == Some(algorithm)).copied().collect();
    provider.signature_verification_algorithms =
        WebPkiSupportedAlgorithms { all: all.all, mapping: Vec::leak(mapping) };
    provider
}

fn algorithm_of(scheme: SignatureScheme) -> Option<SignatureAlgorithm> {
    use SignatureScheme::*;
    match scheme {
        RSA_PKCS1_SHA256 | RSA_PKCS1_SHA384 | RSA_PKCS1_SHA512 | RSA_PSS_SHA256 | RSA_PSS_SHA384 | RSA_PSS_SHA512 => {
            Some(SignatureAlgorithm::RSA)
        }
        ECDSA_NISTP256_SHA256 | ECDSA_NISTP384_SHA384 | ECDSA_NISTP521_SHA512 => Some(SignatureAlgorithm::ECDSA),
        _ => None,
    }
}

#[tokio::test]
async fn a_tls_1_2_client_gets_the_certificate_its_cipher_suites_can_use() {
    let server = TestServer::start().await;
    let rsa = first_certificate(&server.pki.rsa_server().cert);
    let ecdsa = first_certificate(&server.pki.ecdsa_server().cert);
    assert_eq!(certificate_served(&server, tls12_suites_for(SignatureAlgorithm::RSA), &TLS12).await, rsa);
    assert_eq!(certificate_served(&server, tls12_suites_for(SignatureAlgorithm::ECDSA), &TLS12).await, ecdsa);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_tls_1_3_client_gets_the_certificate_its_signature_schemes_can_verify() {
    let server = TestServer::start().await;
    let rsa = first_certificate(&server.pki.rsa_server().cert);
    let ecdsa = first_certificate(&server.pki.ecdsa_server().cert);
    assert_eq!(certificate_served(&server, signature_schemes_for(SignatureAlgorithm::RSA), &TLS13).await, rsa);
    assert_eq!(certificate_served(&server, signature_schemes_for(SignatureAlgorithm::ECDSA), &TLS13).await, ecdsa);
    // A client that can use both gets the ECDSA certificate.
    assert_eq!(certificate_served(&server, (*keyward_server::tls::crypto_provider()).clone(), &TLS13).await, ecdsa);
    server.stop().await.unwrap();
}

/// The handshake or the first exchange fails. In TLS 1.3 the client finishes its side of the
/// handshake before the server has checked its certificate, so the refusal can arrive with the
/// first read.
async fn assert_refused(server: &TestServer, config: rustls::ClientConfig) {
    match server.client_with(config).connect().await {
        Err(ClientError::Handshake { .. }) => {}
        Err(other) => panic!("unexpected error: {other}"),
        Ok(mut connection) => {
            let outcome = connection.call(&discover_versions()).await;
            assert!(outcome.is_err(), "a refused client got an answer");
        }
    }
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let server = TestServer::start().await;
    let credentials = server.credentials();
    for version in [&TLS12, &TLS13] {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(credentials.ca[0].clone()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(keyward_server::tls::crypto_provider())
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        assert_refused(&server, config).await;
    }
    // The server is unharmed.
    assert_discover_versions_answer(&server.client().call_once(&discover_versions()).await.unwrap());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_client_certificate_from_another_ca_is_refused() {
    let server = TestServer::start().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let other = DevPki::at(elsewhere.path());
    other.ensure().unwrap();
    let stranger = other.client(ADMIN);
    // It trusts our CA, but its certificate comes from its own.
    let credentials = ClientCredentials::from_pem_files(&server.pki.ca_cert(), &stranger.cert, &stranger.key).unwrap();
    for version in [&TLS12, &TLS13] {
        let config = credentials.tls_config_with(keyward_server::tls::crypto_provider(), &[version]).unwrap();
        assert_refused(&server, config).await;
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn sessions_are_resumed() {
    let server = TestServer::start().await;
    for version in [&TLS12, &TLS13] {
        let config = server.credentials().tls_config_with(keyward_server::tls::crypto_provider(), &[version]).unwrap();
        let client = server.client_with(config);
        let mut kinds = Vec::new();
        for _ in 0..2 {
            let mut connection = client.connect().await.unwrap();
            assert_discover_versions_answer(connection.call(&discover_versions()).await.unwrap());
            kinds.push(connection.tls().handshake_kind());
            connection.close().await;
        }
        assert_eq!(kinds[1], Some(HandshakeKind::Resumed), "{version:?}: {kinds:?}");
    }
    server.stop().await.unwrap();
}
