//! A `keyward serve` node on PostgreSQL while the database restarts under load (issue 13): the
//! node answers errors meanwhile, recovers without a restart of its own, and loses nothing it
//! acknowledged.
//!
//! Restarts the test server of scripts/postgres-test-server (KEYWARD_TEST_POSTGRES_DIR), so it
//! is a test binary of its own: cargo runs test binaries one after the other, and no other test
//! sees the restart. Without the variables it says so loudly and does nothing.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::postgres::{aes_named, fresh_database};
use common::*;
use keyward_client::Session;

#[test]
fn a_node_recovers_from_a_database_restart_under_load_and_loses_nothing() {
    let (Ok(server), Ok(server_dir)) =
        (std::env::var("KEYWARD_TEST_POSTGRES_URL"), std::env::var("KEYWARD_TEST_POSTGRES_DIR"))
    else {
        eprintln!(
            "!!!! SKIPPED: KEYWARD_TEST_POSTGRES_URL and KEYWARD_TEST_POSTGRES_DIR are not set, so a \
             database restart under load was NOT tested. scripts/test sets them."
        );
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = fresh_database(&runtime, &server, &format!("restart_{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("keyward.toml");
    std::fs::write(&config, format!("[store]\nbackend = \"postgres\"\nurl = \"{url}\"\n")).unwrap();
    let node = start_with(&data_dir, &["--config", config.to_str().unwrap()]);
    let client = client_of(node.address, &data_dir, "admin");

    // Clients create keys without pause, each on its own connection, through the restart.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicUsize::new(0));
    let loading = Arc::new(AtomicBool::new(true));
    let loads: Vec<_> = (0..4)
        .map(|worker| {
            let (client, acknowledged, failed, loading) =
                (client.clone(), Arc::clone(&acknowledged), Arc::clone(&failed), Arc::clone(&loading));
            runtime.spawn(async move {
                let mut n = 0;
                while loading.load(Ordering::SeqCst) {
                    n += 1;
                    let created = match Session::open(&client).await {
                        Ok(mut session) => {
                            let created = session.create_symmetric_key(aes_named(&format!("w{worker}-{n}"))).await;
                            session.close().await;
                            created.map_err(|e| e.to_string())
                        }
                        Err(error) => Err(error.to_string()),
                    };
                    match created {
                        Ok(uid) => acknowledged.lock().unwrap().push(uid),
                        Err(_) => {
                            failed.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1000));
    let before = acknowledged.lock().unwrap().len();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres-test-server");
    let restarted = Command::new(script).args(["restart", &server_dir]).status().unwrap();
    assert!(restarted.success(), "the database did not restart");
    // The node recovers on its own: creates succeed again soon after the database is back.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < before + 20 {
        assert!(Instant::now() < deadline, "no recovery: {} acknowledged", acknowledged.lock().unwrap().len());
        std::thread::sleep(Duration::from_millis(50));
    }
    loading.store(false, Ordering::SeqCst);
    for load in loads {
        runtime.block_on(load).unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!(
        "{} keys acknowledged ({before} before the restart), {} creates failed while the database was away",
        acknowledged.len(),
        failed.load(Ordering::SeqCst)
    );
    // Every acknowledged key is there.
    runtime.block_on(async {
        let mut session = Session::open(&client).await.unwrap();
        for uid in &acknowledged {
            session.get(uid, None).await.unwrap_or_else(|e| panic!("{uid} was acknowledged and is lost: {e}"));
        }
        session.close().await;
    });
    assert!(node.terminate().success());
}
