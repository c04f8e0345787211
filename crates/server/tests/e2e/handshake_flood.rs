//! Unauthenticated connections cannot lock clients out (issue 16): connections in their TLS
//! handshake have a pool of their own, apart from `max_connections`, and a newcomer evicts the
//! oldest handshake of the address holding the most, so a flood of silent connections from the
//! very address a real client uses (127.0.0.1 here) does not keep that client out.

use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::common::{TestServer, assert_discover_versions_answer, discover_versions};

/// More silent connections than `max_handshakes` and `max_connections` together would hold.
const SILENT: usize = 1_100;

/// Raises the soft limit on open files towards the hard one: the test holds the silent
/// connections' client ends and the server's ends in one process. Returns the limit in force.
fn raise_open_file_limit(wanted: u64) -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= wanted {
        return current;
    }
    let raised = limit.maximum.map_or(wanted, |maximum| maximum.min(wanted));
    match setrlimit(Resource::Nofile, Rlimit { current: Some(raised), maximum: limit.maximum }) {
        Ok(()) => raised,
        Err(_) => current,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_do_not_lock_clients_out() {
    let limit = raise_open_file_limit(4 * SILENT as u64);
    // Each silent connection takes a descriptor on both sides (the server's are given back as they
    // are evicted); keep a margin for the store, the runtime and the real clients.
    let silent_count = SILENT.min(usize::try_from(limit / 2).unwrap_or(SILENT).saturating_sub(200));
    let server = TestServer::start_with(|config| {
        // Only eviction can make room: the silent connections would outlast the test.
        // The other limits are the defaults.
        config.limits.handshake_timeout = Duration::from_secs(120);
    })
    .await;
    let max_handshakes = keyward_server::limits::LimitsConfig::default().max_handshakes;
    assert!(silent_count > max_handshakes, "too few descriptors ({limit}) to make the point");

    let mut silent = Vec::with_capacity(silent_count);
    for _ in 0..silent_count {
        silent.push(TcpStream::connect(server.address).await.unwrap());
    }

    // Real clients, one after another and then several at once, are all served at once.
    let client = server.client();
    let started = Instant::now();
    for _ in 0..20 {
        assert_discover_versions_answer(&client.call_once(&discover_versions()).await.unwrap());
    }
    let together: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.call_once(&discover_versions()).await })
        })
        .collect();
    for answer in together {
        assert_discover_versions_answer(&answer.await.unwrap().unwrap());
    }
    assert!(started.elapsed() < Duration::from_secs(20), "clients waited {:?}", started.elapsed());
    drop(silent);
    server.stop().await.unwrap();
}
