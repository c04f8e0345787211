//! Stopping the server as SIGTERM does: requests in progress are answered, idle connections
//! closed, new ones refused, and the run ends cleanly.

use std::time::{Duration, Instant};

use keyward_client::ClientError;

use crate::common::{PATIENCE, TestServer, assert_discover_versions_answer, discover_versions};

#[tokio::test]
async fn stopping_answers_the_request_in_progress_and_closes_idle_connections() {
    let mut server = TestServer::start().await;
    let client = server.client();
    let mut idle = client.connect().await.unwrap();
    assert_discover_versions_answer(idle.call(&discover_versions()).await.unwrap());
    let mut busy = client.connect().await.unwrap();
    let request = discover_versions();
    let (first_half, second_half) = request.split_at(request.len() / 2);
    busy.send(first_half).await.unwrap();
    // Let the server see the start of the request before the stop.
    tokio::time::sleep(Duration::from_millis(100)).await;

    server.request_stop();
    // The idle connection is closed at once.
    let idle_end = tokio::time::timeout(PATIENCE, idle.receive()).await.expect("the idle connection is closed");
    assert!(matches!(idle_end, Err(ClientError::Closed)), "{:?}", idle_end.err());
    // Nobody new gets in.
    let deadline = Instant::now() + PATIENCE;
    while client.connect().await.is_ok() {
        assert!(Instant::now() < deadline, "the server still accepts connections");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The request in progress is finished and answered; then its connection closes too.
    assert!(!server.is_finished(), "the server stopped before answering the request in progress");
    busy.send(second_half).await.unwrap();
    assert_discover_versions_answer(busy.receive().await.unwrap());
    assert!(matches!(busy.receive().await, Err(ClientError::Closed)));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_request_that_never_completes_is_cut_after_the_grace_period() {
    let mut server = TestServer::start_with(|config| {
        config.limits.read_timeout = Duration::from_secs(60);
        config.limits.shutdown_grace = Duration::from_millis(300);
    })
    .await;
    let mut stuck = server.client().connect().await.unwrap();
    stuck.send(&discover_versions()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.request_stop();
    server.stop().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "the stop took {:?}", started.elapsed());
    assert!(stuck.receive().await.is_err());
}
