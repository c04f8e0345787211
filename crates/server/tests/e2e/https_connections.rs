//! KMIP over HTTPS, the connections: keep-alive, pipelining, half-closed connections, the idle
//! timeout (which is not the read timeout), and the stop that answers requests in progress.

use std::time::{Duration, Instant};

use keyward_client::Encoding;

use crate::common::{PATIENCE, TestServer, assert_discover_versions_answer, discover_versions};
use crate::raw_http::{RawHttps, post_head};

/// Discover Versions as a whole HTTP request.
fn discover_versions_post() -> Vec<u8> {
    let request = discover_versions();
    [post_head("application/octet-stream", request.len()), request].concat()
}

#[tokio::test]
async fn several_requests_on_one_connection() {
    let server = TestServer::start_https().await;
    let mut connection = server.https_client().connect().await.unwrap();
    // The client makes one connection and never another: each answer came on it.
    for _ in 0..20 {
        let reply = connection.post(Encoding::Ttlv, &discover_versions()).await.unwrap();
        assert_discover_versions_answer(&reply.body);
    }
    connection.close().await;

    // Two requests sent back to back are answered in order.
    let mut connection = RawHttps::connect(&server).await;
    connection.send(&[discover_versions_post(), discover_versions_post()].concat()).await;
    for _ in 0..2 {
        let response = connection.response().await.expect("an answer");
        assert_eq!(response.status, 200);
        assert_discover_versions_answer(&response.body);
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout_not_the_read_timeout() {
    let idle_timeout = Duration::from_millis(800);
    let server = TestServer::start_https_with(|config| {
        config.limits.idle_timeout = idle_timeout;
        config.limits.read_timeout = Duration::from_millis(150);
    })
    .await;
    let mut connection = RawHttps::connect(&server).await;
    connection.send(&discover_versions_post()).await;
    assert_eq!(connection.response().await.expect("an answer").status, 200);
    // Idle for longer than a request may take to arrive, and still open.
    tokio::time::sleep(Duration::from_millis(400)).await;
    connection.send(&discover_versions_post()).await;
    assert_eq!(connection.response().await.expect("an answer after a pause").status, 200);
    let started = Instant::now();
    assert!(connection.is_closed_by_server().await);
    let waited = started.elapsed();
    assert!(waited >= idle_timeout / 2 && waited < idle_timeout * 10, "closed after {waited:?}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn stopping_answers_the_request_in_progress_and_closes_idle_connections() {
    let mut server = TestServer::start_https().await;
    let mut idle = RawHttps::connect(&server).await;
    idle.send(&discover_versions_post()).await;
    assert_eq!(idle.response().await.expect("an answer").status, 200);
    // A request whose header has arrived, and half its body.
    let mut busy = RawHttps::connect(&server).await;
    let request = discover_versions_post();
    let (first_part, rest) = request.split_at(request.len() - 20);
    busy.send(first_part).await;
    // Let the server see the header before the stop.
    tokio::time::sleep(Duration::from_millis(100)).await;

    server.request_stop();
    assert!(idle.is_closed_by_server().await, "the idle connection is closed at once");
    // Nobody new gets in.
    let client = server.https_client();
    let deadline = Instant::now() + PATIENCE;
    while client.connect().await.is_ok() {
        assert!(Instant::now() < deadline, "the server still accepts connections");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The request in progress is finished and answered; then its connection closes too.
    assert!(!server.is_finished(), "the server stopped before answering the request in progress");
    busy.send(rest).await;
    let response = busy.response().await.expect("the request in progress is answered");
    assert_eq!(response.status, 200);
    assert_discover_versions_answer(&response.body);
    assert!(busy.is_closed_by_server().await);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_client_that_stops_sending_after_its_request_still_gets_the_answer() {
    let server = TestServer::start_https().await;
    let mut connection = RawHttps::connect(&server).await;
    connection.send(&discover_versions_post()).await;
    connection.finish_sending().await;
    let response = connection.response().await.expect("an answer");
    assert_eq!(response.status, 200);
    assert_discover_versions_answer(&response.body);
    assert!(connection.is_closed_by_server().await);
    server.stop().await.unwrap();
}
