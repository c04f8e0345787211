//! Authenticated clients that announce the largest message and send nothing more cost the server
//! little (issue 16): the frame reader grows its buffer as the body arrives instead of reserving
//! the announced length, so 128 such headers hold kilobytes, not 128 times `max_message_size`.

use std::time::Duration;

use crate::common::{TestServer, assert_discover_versions_answer, discover_versions};

const CONNECTIONS: usize = 128;

/// The most the flood may add to the process's resident memory (the server and the clients share
/// the process, so the clients' TLS state counts too): 128 buffers of the announced 4 MiB would
/// be 512 MiB.
const MOST_GROWTH: u64 = 64 * 1024 * 1024;

/// The process's resident set, from /proc/self/status (Linux), in bytes.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).expect("a VmRSS line");
    let kib: u64 = line.trim_start_matches("VmRSS:").trim().trim_end_matches("kB").trim().parse().expect("a number");
    kib * 1024
}

/// A TTLV header: the Request Message tag, a Structure, and `length` bytes announced.
fn header_announcing(length: usize) -> [u8; 8] {
    let length = u32::try_from(length).expect("a message limit fits a TTLV length");
    let mut header = [0x42, 0x00, 0x78, 0x01, 0, 0, 0, 0];
    header[4..].copy_from_slice(&length.to_be_bytes());
    header
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_announcing_the_largest_message_cost_little() {
    let server = TestServer::start().await;
    let max_message_size = keyward_server::limits::LimitsConfig::default().max_message_size;
    let client = server.client();
    let mut flood = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let mut connection = client.connect().await.unwrap();
        // One request first, so that each connection is authenticated and past its handshake.
        assert_discover_versions_answer(connection.call(&discover_versions()).await.unwrap());
        flood.push(connection);
    }
    let before = resident_bytes();
    let header = header_announcing(max_message_size - 8);
    for connection in &mut flood {
        connection.send(&header).await.unwrap();
    }
    // Let every connection's task read its header and wait for the body.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = resident_bytes();
    let growth = after.saturating_sub(before);
    assert!(growth < MOST_GROWTH, "resident memory grew by {growth} bytes ({before} -> {after})");

    for connection in flood {
        connection.close().await;
    }
    assert_discover_versions_answer(&client.call_once(&discover_versions()).await.unwrap());
    server.stop().await.unwrap();
}
