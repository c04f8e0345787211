//! KMIP over HTTPS, what is refused: clients without a certificate, requests that are not KMIP
//! requests, bodies too large or too slow, headers too slow, connections beyond the limit the two
//! listeners share, oversized headers, HTTP/2.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_client::Encoding;
use rustls::pki_types::ServerName;
use rustls::version::{TLS12, TLS13};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::common::{PATIENCE, TestServer, assert_discover_versions_answer, discover_versions};
use crate::raw_http::{RawHttps, post_head};

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let server = TestServer::start_https().await;
    let credentials = server.credentials();
    for version in [&TLS12, &TLS13] {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(credentials.ca[0].clone()).unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(keyward_server::tls::crypto_provider())
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        // TLS 1.3 clients finish their side of the handshake first: the refusal may come with
        // the request.
        let outcome = server.https_client_with(config).post(Encoding::Ttlv, &discover_versions()).await;
        assert!(outcome.is_err(), "{version:?}: a client without a certificate was answered");
    }
    // The server is unharmed.
    let reply = server.https_client().post(Encoding::Ttlv, &discover_versions()).await.unwrap();
    assert_discover_versions_answer(&reply.body);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn what_is_not_a_kmip_request_is_refused_with_its_status() {
    let server = TestServer::start_https().await;
    let client = server.https_client();
    let request = discover_versions();
    let cases = [
        ("GET", "/kmip", Some("application/octet-stream"), 405),
        ("PUT", "/kmip", Some("application/json"), 405),
        ("POST", "/", Some("application/octet-stream"), 404),
        ("POST", "/kmip/v2", Some("application/octet-stream"), 404),
        ("GET", "/favicon.ico", None, 404),
        ("POST", "/kmip", Some("text/plain"), 415),
        ("POST", "/kmip", Some("application/jsonx"), 415),
        ("POST", "/kmip", None, 415),
    ];
    for (method, path, content_type, status) in cases {
        let mut connection = client.connect().await.unwrap();
        let reply = connection.send(method, path, content_type, &request).await.unwrap();
        assert_eq!(reply.status, status, "{method} {path} {content_type:?}");
        assert_eq!(reply.content_type.as_deref(), Some("text/plain; charset=utf-8"));
        connection.close().await;
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_refused_method_names_the_allowed_one_and_keeps_the_connection() {
    let server = TestServer::start_https().await;
    let mut connection = RawHttps::connect(&server).await;
    connection.send(b"GET /kmip HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    let refused = connection.response().await.expect("an answer");
    assert_eq!(refused.status, 405);
    assert_eq!(refused.header("Allow"), Some("POST"));
    let request = discover_versions();
    connection.send(&[post_head("application/octet-stream", request.len()), request].concat()).await;
    let answered = connection.response().await.expect("an answer on the same connection");
    assert_eq!(answered.status, 200);
    assert_discover_versions_answer(&answered.body);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_it_is_read() {
    let server = TestServer::start_https_with(|config| {
        config.limits.max_message_size = 1024;
        config.limits.read_timeout = Duration::from_secs(60);
    })
    .await;
    // The head announces a megabyte; not a byte of it is sent, and the answer comes at once.
    let mut connection = RawHttps::connect(&server).await;
    let started = Instant::now();
    connection.send(&post_head("application/octet-stream", 1_000_000)).await;
    let refused = connection.response().await.expect("an answer");
    assert_eq!(refused.status, 413, "{refused:?}");
    assert_eq!(refused.header("Connection"), Some("close"));
    assert!(started.elapsed() < Duration::from_secs(5), "answered after {:?}", started.elapsed());
    assert!(connection.is_closed_by_server().await);

    // A chunked body announces nothing: it is read up to the limit, and no further.
    let mut connection = RawHttps::connect(&server).await;
    let head = "POST /kmip HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    connection.send(format!("{head}800\r\n{}\r\n", "x".repeat(0x800)).as_bytes()).await;
    let refused = connection.response().await.expect("an answer");
    assert_eq!(refused.status, 413, "{refused:?}");
    assert!(connection.is_closed_by_server().await);

    // Within the limit, the same server answers.
    let reply = server.https_client().post(Encoding::Ttlv, &discover_versions()).await.unwrap();
    assert_discover_versions_answer(&reply.body);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused() {
    let read_timeout = Duration::from_millis(300);
    let server = TestServer::start_https_with(|config| config.limits.read_timeout = read_timeout).await;
    let mut connection = RawHttps::connect(&server).await;
    let request = discover_versions();
    let started = Instant::now();
    connection.send(&[post_head("application/octet-stream", request.len()), request[..10].to_vec()].concat()).await;
    let refused = connection.response().await.expect("an answer");
    let waited = started.elapsed();
    assert_eq!(refused.status, 408, "{refused:?}");
    assert!(waited >= read_timeout && waited < read_timeout * 10, "refused after {waited:?}");
    assert!(connection.is_closed_by_server().await);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_header_that_does_not_arrive_in_time_closes_the_connection() {
    let read_timeout = Duration::from_millis(300);
    let server = TestServer::start_https_with(|config| config.limits.read_timeout = read_timeout).await;
    let mut connection = RawHttps::connect(&server).await;
    let started = Instant::now();
    connection.send(b"POST /kmip HTTP/1.1\r\nHost: loc").await;
    assert!(connection.response().await.is_none(), "a half-sent header was answered");
    let waited = started.elapsed();
    assert!(waited >= read_timeout && waited < read_timeout * 10, "closed after {waited:?}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_connection_limit_is_shared_with_the_kmip_port() {
    let server = TestServer::start_https_with(|config| config.limits.max_connections = 2).await;
    let mut over_tls = server.client().connect().await.unwrap();
    assert_discover_versions_answer(over_tls.call(&discover_versions()).await.unwrap());
    let mut over_https = server.https_client().connect().await.unwrap();
    assert_discover_versions_answer(&over_https.post(Encoding::Ttlv, &discover_versions()).await.unwrap().body);

    // Both slots are taken: a third connection is refused on either port.
    let third = server.https_client().post(Encoding::Ttlv, &discover_versions()).await;
    assert!(third.is_err(), "a third connection was served over HTTPS");
    assert!(server.client().call_once(&discover_versions()).await.is_err(), "a third connection was served");

    // A slot freed on one port is taken on the other.
    over_tls.close().await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(reply) = server.https_client().post(Encoding::Ttlv, &discover_versions()).await {
            assert_discover_versions_answer(&reply.body);
            break;
        }
        assert!(Instant::now() < deadline, "the freed slot was never reused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    over_https.close().await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn http2_is_not_offered() {
    let server = TestServer::start_https().await;
    let with_alpn = |protocols: &[&[u8]]| {
        let mut config = server.credentials().tls_config().unwrap();
        config.alpn_protocols = protocols.iter().map(|protocol| protocol.to_vec()).collect();
        Arc::new(config)
    };
    let connect = |config: Arc<rustls::ClientConfig>| async {
        let tcp = TcpStream::connect(server.https_address()).await.unwrap();
        TlsConnector::from(config).connect(ServerName::try_from("localhost").unwrap(), tcp).await
    };
    let both = connect(with_alpn(&[b"h2", b"http/1.1"])).await.unwrap();
    assert_eq!(both.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert!(connect(with_alpn(&[b"h2"])).await.is_err(), "an HTTP/2-only client was accepted");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn oversized_headers_are_refused() {
    let server = TestServer::start_https().await;
    let mut connection = RawHttps::connect(&server).await;
    let long = "a".repeat(20 * 1024);
    connection.send(format!("POST /kmip HTTP/1.1\r\nHost: localhost\r\nX-Padding: {long}\r\n\r\n").as_bytes()).await;
    let refused = connection.response().await.expect("an answer");
    assert_eq!(refused.status, 431, "{refused:?}");
    assert!(connection.is_closed_by_server().await);
    server.stop().await.unwrap();
}
