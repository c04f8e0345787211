//! Two `keyward serve` nodes on one PostgreSQL database (issue 13): a key created on node A is
//! Get-able and Locate-able on node B at once, and concurrent Creates of one Name on A and B let
//! exactly one win.
//!
//! Needs a PostgreSQL server: `scripts/test` starts one (scripts/postgres-test-server) and sets
//! KEYWARD_TEST_POSTGRES_URL; without it the test says so loudly and does nothing.

mod common;

use std::path::Path;

use common::*;
use keyward_client::{LocateFilter, Session};
use keyward_kmip::attributes::{Attribute, Name};
use keyward_kmip::enums::CryptographicAlgorithm;

const URL_VARIABLE: &str = "KEYWARD_TEST_POSTGRES_URL";

/// A new, empty database on the test server; its URL.
fn fresh_database(runtime: &tokio::runtime::Runtime, server: &str, name: &str) -> String {
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    });
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let (host, _) = base.rsplit_once('/').unwrap();
    query.map_or_else(|| format!("{host}/{name}"), |query| format!("{host}/{name}?{query}"))
}

/// The configuration of a node on the database at `url`.
fn node_config(dir: &Path, url: &str) -> std::path::PathBuf {
    let path = dir.join("keyward.toml");
    std::fs::write(&path, format!("[store]\nbackend = \"postgres\"\nurl = \"{url}\"\npool_size = 8\n")).unwrap();
    path
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn aes_named(name: &str) -> Vec<Attribute> {
    vec![
        Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
        Attribute::CryptographicLength(256),
        Attribute::Name(Name::text(name)),
    ]
}

#[test]
fn two_nodes_on_one_database_share_keys_and_names() {
    let Ok(server) = std::env::var(URL_VARIABLE) else {
        eprintln!(
            "!!!! SKIPPED: {URL_VARIABLE} is not set, so two nodes on PostgreSQL were NOT tested. \
             scripts/test starts a server (scripts/postgres-test-server) and sets it."
        );
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = fresh_database(&runtime, &server, &format!("cluster_{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    let config = node_config(dir.path(), &url);
    let node_a = start_with(&dir_a, &["--config", config.to_str().unwrap()]);
    // Node B: the same KEK and PKI (what an operator copies to a new node), its own directory.
    std::fs::create_dir_all(&dir_b).unwrap();
    std::fs::copy(dir_a.join("kek"), dir_b.join("kek")).unwrap();
    copy_dir(&dir_a.join("pki"), &dir_b.join("pki"));
    let node_b = start_with(&dir_b, &["--config", config.to_str().unwrap()]);
    assert!(!dir_a.join("objects.sled").exists(), "node A opened sled instead of PostgreSQL");
    assert!(node_b.banner.contains("Store: PostgreSQL at postgres://…@127.0.0.1"), "{}", node_b.banner);

    let client_a = client_of(node_a.address, &dir_a, "admin");
    let client_b = client_of(node_b.address, &dir_a, "admin");
    runtime.block_on(async {
        let mut a = Session::open(&client_a).await.unwrap();
        let mut b = Session::open(&client_b).await.unwrap();
        let uid = a.create_symmetric_key(aes_named("made-on-a")).await.unwrap();
        let on_a = a.get(&uid, None).await.unwrap();
        let on_b = b.get(&uid, None).await.unwrap();
        assert_eq!(format!("{:?}", on_b.object), format!("{:?}", on_a.object), "B serves A's key");
        let filter = LocateFilter { name: Some("made-on-a".into()), ..LocateFilter::default() };
        assert_eq!(b.locate(&filter).await.unwrap().unique_identifiers, std::slice::from_ref(&uid));
        // And the other way round.
        let uid_b = b.create_symmetric_key(aes_named("made-on-b")).await.unwrap();
        let filter = LocateFilter { name: Some("made-on-b".into()), ..LocateFilter::default() };
        assert_eq!(a.locate(&filter).await.unwrap().unique_identifiers, [uid_b]);
        a.close().await;
        b.close().await;
    });

    // The same Name created on both nodes at once, round after round: exactly one wins.
    for round in 0..10 {
        let name = format!("contested-{round}");
        let (on_a, on_b) = runtime.block_on(async {
            let create = |client: keyward_client::Client, name: String| async move {
                let mut session = Session::open(&client).await.unwrap();
                let created = session.create_symmetric_key(aes_named(&name)).await;
                session.close().await;
                created
            };
            tokio::join!(create(client_a.clone(), name.clone()), create(client_b.clone(), name.clone()))
        });
        let winners = usize::from(on_a.is_ok()) + usize::from(on_b.is_ok());
        assert_eq!(winners, 1, "round {round}: A {on_a:?}, B {on_b:?}");
        let loser = on_a.err().or(on_b.err()).unwrap();
        let reason = loser.operation_error().map(|e| e.reason_name());
        assert_eq!(reason.as_deref(), Some("Non Unique Name Attribute"), "round {round}: {loser:?}");
        runtime.block_on(async {
            let mut session = Session::open(&client_b).await.unwrap();
            let filter = LocateFilter { name: Some(name.clone()), ..LocateFilter::default() };
            assert_eq!(session.locate(&filter).await.unwrap().unique_identifiers.len(), 1, "round {round}");
            session.close().await;
        });
    }
    assert!(node_a.terminate().success());
    assert!(node_b.terminate().success());
}
