//! Requests on connections: in order on one connection, one per connection, and what happens to
//! input that is not a request, while well-behaved clients carry on.

use std::time::{Duration, Instant};

use keyward_client::{ClientError, Connection};
use keyward_ttlv::{Item, Tag};

use crate::common::{PATIENCE, TestServer, assert_discover_versions_answer, assert_invalid_message, discover_versions};

#[tokio::test]
async fn several_requests_on_one_connection() {
    let server = TestServer::start().await;
    let mut connection = server.client().connect().await.unwrap();
    for _ in 0..20 {
        assert_discover_versions_answer(connection.call(&discover_versions()).await.unwrap());
    }
    // Two requests sent back to back are answered in order.
    let two = [discover_versions(), discover_versions()].concat();
    connection.send(&two).await.unwrap();
    assert_discover_versions_answer(connection.receive().await.unwrap());
    assert_discover_versions_answer(connection.receive().await.unwrap());
    connection.close().await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn one_request_per_connection() {
    let server = TestServer::start().await;
    let client = server.client();
    for _ in 0..10 {
        assert_discover_versions_answer(&client.call_once(&discover_versions()).await.unwrap());
    }
    server.stop().await.unwrap();
}

/// The server closes the connection without answering.
async fn assert_closed_without_answer(connection: &mut Connection) {
    let outcome = tokio::time::timeout(PATIENCE, connection.receive()).await.expect("the server closes the connection");
    match outcome {
        Err(ClientError::Closed) => {}
        Err(ClientError::Frame(error)) => panic!("partial answer: {error}"),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(answer) => panic!("unexpected answer of {} bytes", answer.len()),
    }
}

#[tokio::test]
async fn garbage_closes_the_connection() {
    let server = TestServer::start().await;
    let mut connection = server.client().connect().await.unwrap();
    // Neither a KMIP message (0x42...) nor an HTTP request for the management API (a method's
    // letter; crates/cli/tests/management_cli.rs covers those).
    connection.send(b"\x00\x01 not a message at all\r\n\r\n").await.unwrap();
    assert_closed_without_answer(&mut connection).await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_oversized_length_closes_the_connection_before_the_body() {
    let server = TestServer::start_with(|config| config.limits.max_message_size = 64 * 1024).await;
    let mut connection = server.client().connect().await.unwrap();
    // A Request Message announcing 1 MiB, of which nothing follows: the server must not wait for it.
    let header = [0x42, 0x00, 0x78, 0x01, 0x00, 0x10, 0x00, 0x00];
    connection.send(&header).await.unwrap();
    assert_closed_without_answer(&mut connection).await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_truncated_message_followed_by_a_close_is_harmless() {
    let server = TestServer::start().await;
    let request = discover_versions();
    let mut connection = server.client().connect().await.unwrap();
    connection.send(&request[..request.len() / 2]).await.unwrap();
    connection.close().await;
    assert_discover_versions_answer(&server.client().call_once(&request).await.unwrap());
    server.stop().await.unwrap();
}

/// A well-framed request message whose body holds an item of an unknown type (0x0F).
fn unknown_item_type() -> Vec<u8> {
    let mut message = Item::structure(Tag::RequestMessage, vec![Item::integer(Tag::BatchCount, 1)]).to_ttlv();
    // The Batch Count's type byte is the 12th byte (after the 8-byte structure header and 3 tag bytes).
    message[11] = 0x0F;
    message
}

/// A request message with a tag KMIP does not define among its fields.
fn unknown_tag() -> Vec<u8> {
    let header = Item::structure(
        Tag::RequestHeader,
        vec![
            Item::structure(
                Tag::ProtocolVersion,
                vec![Item::integer(Tag::ProtocolVersionMajor, 1), Item::integer(Tag::ProtocolVersionMinor, 4)],
            ),
            Item::integer(Tag::BatchCount, 1),
        ],
    );
    let item = Item::structure(
        Tag::BatchItem,
        vec![Item::enumeration(Tag::Operation, 0x1E), Item::structure(Tag::RequestPayload, vec![])],
    );
    Item::structure(Tag::RequestMessage, vec![header, item, Item::integer(Tag(0x42FFF0), 7)]).to_ttlv()
}

#[tokio::test]
async fn a_malformed_body_gets_an_invalid_message_answer_and_the_connection_goes_on() {
    let server = TestServer::start().await;
    let mut connection = server.client().connect().await.unwrap();
    for bad in [unknown_item_type(), unknown_tag()] {
        assert_invalid_message(connection.call(&bad).await.unwrap());
        assert_discover_versions_answer(connection.call(&discover_versions()).await.unwrap());
    }
    connection.close().await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_client_that_never_finishes_its_message_is_closed_after_the_read_timeout() {
    let read_timeout = Duration::from_millis(300);
    let server = TestServer::start_with(|config| config.limits.read_timeout = read_timeout).await;
    let mut connection = server.client().connect().await.unwrap();
    let started = Instant::now();
    connection.send(&discover_versions()[..12]).await.unwrap();
    assert_closed_without_answer(&mut connection).await;
    let waited = started.elapsed();
    assert!(waited >= read_timeout, "closed after {waited:?}");
    assert!(waited < read_timeout * 10, "closed only after {waited:?}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let server = TestServer::start_with(|config| config.limits.idle_timeout = Duration::from_millis(300)).await;
    let mut connection = server.client().connect().await.unwrap();
    assert_discover_versions_answer(connection.call(&discover_versions()).await.unwrap());
    assert_closed_without_answer(&mut connection).await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_at_once() {
    let server = TestServer::start_with(|config| config.limits.max_connections = 2).await;
    let client = server.client();
    let mut first = client.connect().await.unwrap();
    let mut second = client.connect().await.unwrap();
    assert_discover_versions_answer(first.call(&discover_versions()).await.unwrap());
    match client.connect().await {
        Err(_) => {}
        Ok(mut third) => assert!(third.call(&discover_versions()).await.is_err(), "a third connection was served"),
    }
    assert_discover_versions_answer(second.call(&discover_versions()).await.unwrap());
    // A freed slot is taken by the next client.
    first.close().await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(answer) = client.call_once(&discover_versions()).await {
            assert_discover_versions_answer(&answer);
            break;
        }
        assert!(Instant::now() < deadline, "the freed slot was never reused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await.unwrap();
}

/// Every kind of bad client at once, while a good client keeps working on its connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_clients_do_not_disturb_the_others() {
    let server = TestServer::start_with(|config| config.limits.read_timeout = Duration::from_millis(500)).await;
    let client = server.client();
    let mut good = client.connect().await.unwrap();
    let busy_client = async {
        let started = Instant::now();
        let mut answered = 0;
        while started.elapsed() < Duration::from_millis(1500) {
            assert_discover_versions_answer(good.call(&discover_versions()).await.unwrap());
            answered += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        answered
    };
    let bad_clients = async {
        let request = discover_versions();
        let mut garbage = client.connect().await.unwrap();
        garbage.send(&[0xFF; 64]).await.unwrap();
        let mut oversized = client.connect().await.unwrap();
        oversized.send(&[0x42, 0x00, 0x78, 0x01, 0x7F, 0xFF, 0xFF, 0xF8]).await.unwrap();
        let mut truncated = client.connect().await.unwrap();
        truncated.send(&request[..20]).await.unwrap();
        truncated.close().await;
        let mut slow = client.connect().await.unwrap();
        slow.send(&request[..9]).await.unwrap();
        let mut invalid = client.connect().await.unwrap();
        assert_invalid_message(invalid.call(&unknown_tag()).await.unwrap());
        // A plain TCP client that never starts the handshake.
        let silent = tokio::net::TcpStream::connect(server.address).await.unwrap();
        for connection in [&mut garbage, &mut oversized, &mut slow] {
            assert_closed_without_answer(connection).await;
        }
        drop(silent);
    };
    let (answered, ()) = tokio::join!(busy_client, bad_clients);
    assert!(answered > 10, "the good client was answered only {answered} times");
    good.close().await;
    server.stop().await.unwrap();
}
