//! Two `keyward serve` nodes on one PostgreSQL database (issue 13): a key created on node A is
//! Get-able, Locate-able and usable on node B at once; a Revoke on B stops Encrypt on A at once;
//! concurrent Creates of one Name on A and B let exactly one win; after kill -9 of A under load,
//! B serves every key A acknowledged, and A restarts into the cluster.
//!
//! Needs a PostgreSQL server: `scripts/test` starts one (scripts/postgres-test-server) and sets
//! KEYWARD_TEST_POSTGRES_URL; without it the test says so loudly and does nothing.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::postgres::{URL_VARIABLE, aes_named, fresh_database};
use common::*;
use keyward_client::{CipherInput, LocateFilter, Session};
use keyward_kmip::attributes::CryptographicParameters;
use keyward_kmip::enums::{BlockCipherMode, QueryFunction, RevocationReasonCode};
use keyward_kmip::payloads::query::QueryRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_ttlv::KmipVersion;

/// What two nodes on a new database start from: its URL, a directory for each node (A's made),
/// and their configuration (TLS to the database when scripts/postgres-test-server made a CA, as
/// it does).
struct Nodes {
    runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    dir_a: std::path::PathBuf,
    dir_b: std::path::PathBuf,
    config: std::path::PathBuf,
    url: String,
}

/// [`Nodes`] on a database named after `prefix`; `None` (said loudly) without a test server.
fn nodes(prefix: &str, what: &str) -> Option<Nodes> {
    let Ok(server) = std::env::var(URL_VARIABLE) else {
        eprintln!(
            "!!!! SKIPPED: {URL_VARIABLE} is not set, so {what} were NOT tested. \
             scripts/test starts a server (scripts/postgres-test-server) and sets it."
        );
        return None;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = fresh_database(&runtime, &server, &format!("{prefix}_{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    let ca = std::env::var("KEYWARD_TEST_POSTGRES_CA").ok();
    let config = node_config(dir.path(), &url, ca.as_deref());
    Some(Nodes { runtime, dir, dir_a, dir_b, config, url })
}

/// The configuration of a node on the database at `url`, over TLS when the test server's CA is
/// given.
fn node_config(dir: &Path, url: &str, ca: Option<&str>) -> std::path::PathBuf {
    let path = dir.join("keyward.toml");
    let mut text = String::from(
        "[cluster]\ninfo = \"test cluster\"\nfailover_endpoints = [\"kms-a.test:5696\", \"kms-b.test:5696\"]\n",
    );
    text.push_str(&format!("[store]\nbackend = \"postgres\"\nurl = \"{url}\"\npool_size = 8\n"));
    if let Some(ca) = ca {
        text.push_str(&format!("ca = \"{ca}\"\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// How many of the nodes' connections to the database are (TLS, clear).
fn connections_by_tls(runtime: &tokio::runtime::Runtime, url: &str) -> (i64, i64) {
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl)
                 FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                 WHERE a.application_name = 'keyward' AND a.datname = current_database()",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    })
}

/// Node B, started with a copy of node A's KEK and development PKI (what an operator gives a new
/// node) in a directory of its own.
fn second_node(dir_a: &Path, dir_b: &Path, config: &Path) -> Serving {
    std::fs::create_dir_all(dir_b).unwrap();
    std::fs::copy(dir_a.join("kek"), dir_b.join("kek")).unwrap();
    copy_dir(&dir_a.join("pki"), &dir_b.join("pki"));
    start_with(dir_b, &["--config", config.to_str().unwrap()])
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

#[test]
fn two_nodes_on_one_database_share_keys_names_and_a_crash() {
    let Some(Nodes { runtime, dir: _dir, dir_a, dir_b, config, url }) = nodes("cluster", "two nodes on PostgreSQL")
    else {
        return;
    };
    let node_a = start_with(&dir_a, &["--config", config.to_str().unwrap()]);
    // Node B without A's KEK: refused, and the KEK it made for the attempt is gone again.
    std::fs::create_dir_all(&dir_b).unwrap();
    let (dir_b_text, config_text) = (dir_b.to_str().unwrap(), config.to_str().unwrap());
    let refused = keyward(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "off",
        "--data-dir",
        dir_b_text,
        "--config",
        config_text,
    ]);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("copy their KEK file"), "{}", text(&refused.stderr));
    assert!(!dir_b.join("kek").exists(), "a refused start left a KEK behind");
    let _ = std::fs::remove_dir_all(dir_b.join("pki"));
    // Node B: the same KEK and PKI (what an operator copies to a new node), its own directory.
    std::fs::copy(dir_a.join("kek"), dir_b.join("kek")).unwrap();
    copy_dir(&dir_a.join("pki"), &dir_b.join("pki"));
    let node_b = start_with(&dir_b, &["--config", config.to_str().unwrap()]);
    assert!(!dir_a.join("objects.sled").exists(), "node A opened sled instead of PostgreSQL");
    assert!(node_b.banner.contains("Store: PostgreSQL at postgres://…@127.0.0.1"), "{}", node_b.banner);

    let client_a = client_of(node_a.address, &dir_a, "admin");
    let client_b = client_of(node_b.address, &dir_a, "admin");
    // Query Server Information (2.x) names the cluster and the nodes to fail over to.
    let query = RequestPayload::Query(QueryRequest {
        query_function: vec![QueryFunction::QueryServerInformation],
        object_groups: None,
    });
    let answered = runtime.block_on(call(&client_b, KmipVersion::V2_1, vec![query]));
    let Some(ResponsePayload::Query(info)) = &answered.batch_items[0].payload else {
        panic!("no Query answer: {answered:?}")
    };
    let info = info.server_information.as_ref().expect("Server Information in 2.1");
    assert_eq!(info.cluster_info.as_deref(), Some("test cluster"));
    assert_eq!(info.alternate_failover_endpoints, ["kms-a.test:5696", "kms-b.test:5696"]);
    runtime.block_on(async {
        let mut a = Session::open(&client_a).await.unwrap();
        let mut b = Session::open(&client_b).await.unwrap();
        let uid = a.create_symmetric_key(aes_named("made-on-a")).await.unwrap();
        let on_a = a.get(&uid, None).await.unwrap();
        let on_b = b.get(&uid, None).await.unwrap();
        assert_eq!(format!("{:?}", on_b.object), format!("{:?}", on_a.object), "B serves A's key");
        let filter = LocateFilter { name: Some("made-on-a".into()), ..LocateFilter::default() };
        assert_eq!(b.locate(&filter).await.unwrap().unique_identifiers, std::slice::from_ref(&uid));
        // Activated on B, used on A; revoked on B, refused on A at once.
        b.activate(&uid).await.unwrap();
        let gcm = CryptographicParameters { block_cipher_mode: Some(BlockCipherMode::GCM), ..Default::default() };
        let input = CipherInput { data: b"data", ..CipherInput::default() };
        a.encrypt(&uid, Some(gcm.clone()), input).await.unwrap();
        b.revoke(&uid, RevocationReasonCode::CessationOfOperation, None).await.unwrap();
        let refused = a.encrypt(&uid, Some(gcm), input).await.unwrap_err();
        assert!(refused.operation_error().is_some(), "A encrypted with a key B revoked: {refused:?}");
        // And the other way round.
        let uid_b = b.create_symmetric_key(aes_named("made-on-b")).await.unwrap();
        let filter = LocateFilter { name: Some("made-on-b".into()), ..LocateFilter::default() };
        assert_eq!(a.locate(&filter).await.unwrap().unique_identifiers, [uid_b]);
        a.close().await;
        b.close().await;
    });

    if std::env::var("KEYWARD_TEST_POSTGRES_CA").is_ok() {
        let (tls, clear) = connections_by_tls(&runtime, &url);
        assert!(tls > 0 && clear == 0, "the nodes' connections: {tls} over TLS, {clear} in clear");
    } else {
        eprintln!("!!!! KEYWARD_TEST_POSTGRES_CA is not set: the nodes talked to the database in clear.");
    }

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

    // kill -9 of A while a client creates keys on it: B serves every key A acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let load = {
        let (client, acknowledged) = (client_a.clone(), Arc::clone(&acknowledged));
        runtime.spawn(async move {
            let Ok(mut session) = Session::open(&client).await else { return };
            for n in 0.. {
                match session.create_symmetric_key(aes_named(&format!("load-{n}"))).await {
                    Ok(uid) => acknowledged.lock().unwrap().push(uid),
                    Err(_) => return,
                }
            }
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    let mut node_a = node_a;
    node_a.child.kill().unwrap();
    node_a.child.wait().unwrap();
    runtime.block_on(load).unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 5, "only {} keys created under load", acknowledged.len());
    runtime.block_on(async {
        let mut b = Session::open(&client_b).await.unwrap();
        for uid in &acknowledged {
            b.get(uid, None).await.unwrap_or_else(|e| panic!("{uid}, acknowledged by A, not on B: {e}"));
        }
        b.close().await;
    });
    // A restarts into the cluster and serves what was created meanwhile on B.
    let node_a = start_with(&dir_a, &["--config", config.to_str().unwrap()]);
    let client_a = client_of(node_a.address, &dir_a, "admin");
    runtime.block_on(async {
        let mut b = Session::open(&client_b).await.unwrap();
        let uid = b.create_symmetric_key(aes_named("after-the-crash")).await.unwrap();
        b.close().await;
        let mut a = Session::open(&client_a).await.unwrap();
        a.get(&uid, None).await.unwrap();
        a.get(acknowledged.last().unwrap(), None).await.unwrap();
        a.close().await;
    });
    assert!(node_a.terminate().success());
    assert!(node_b.terminate().success());
}

/// `keyward store migrate`: a single node's sled store moves into PostgreSQL, a node on the
/// database serves its keys, and the database's store moves back into a new data directory.
#[test]
fn a_single_node_store_migrates_into_postgres_and_back() {
    let Ok(server) = std::env::var(URL_VARIABLE) else {
        eprintln!("!!!! SKIPPED: {URL_VARIABLE} is not set, so `keyward store migrate` was NOT tested.");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = fresh_database(&runtime, &server, &format!("migrate_{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let node = start(&data_dir);
    let client = client_of(node.address, &data_dir, "admin");
    let uids = runtime.block_on(async {
        let mut session = Session::open(&client).await.unwrap();
        let mut uids = Vec::new();
        for n in 0..3 {
            uids.push(session.create_symmetric_key(aes_named(&format!("migrated-{n}"))).await.unwrap());
        }
        session.close().await;
        uids
    });
    assert!(node.terminate().success());

    let ca = std::env::var("KEYWARD_TEST_POSTGRES_CA").ok();
    let mut args = vec!["store", "migrate", "--from-data-dir", data_dir.to_str().unwrap(), "--to-url", &url];
    if let Some(ca) = &ca {
        args.extend(["--ca", ca]);
    }
    let migrated = keyward(&args);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    assert!(text(&migrated.stdout).contains("copied and checked: 3 objects"), "{}", text(&migrated.stdout));
    // Again into the same database: refused, it is not empty.
    assert!(!keyward(&args).status.success());

    // The same data directory (its KEK and PKI) now on the database.
    let config = node_config(dir.path(), &url, ca.as_deref());
    let node = start_with(&data_dir, &["--config", config.to_str().unwrap()]);
    let client = client_of(node.address, &data_dir, "admin");
    runtime.block_on(async {
        let mut session = Session::open(&client).await.unwrap();
        for uid in &uids {
            session.get(uid, None).await.unwrap();
        }
        let filter = LocateFilter { name: Some("migrated-1".into()), ..LocateFilter::default() };
        assert_eq!(session.locate(&filter).await.unwrap().unique_identifiers, std::slice::from_ref(&uids[1]));
        session.close().await;
    });
    assert!(node.terminate().success());

    let back = dir.path().join("back");
    let kek = data_dir.join("kek");
    let mut args = vec!["store", "migrate", "--from-url", &url, "--to-data-dir", back.to_str().unwrap()];
    args.extend(["--kek", kek.to_str().unwrap()]);
    if let Some(ca) = &ca {
        args.extend(["--ca", ca]);
    }
    let migrated = keyward(&args);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    assert!(text(&migrated.stdout).contains("copied and checked: 3 objects"), "{}", text(&migrated.stdout));
}

/// A grant made or removed through one node holds on the other at once: each node reads the
/// grants again when another changed them (core `access::grants`, the epoch).
#[test]
fn grants_changed_on_one_node_hold_on_the_other_at_once() {
    let Some(Nodes { runtime, dir: _dir, dir_a, dir_b, config, .. }) = nodes("grants", "grants across nodes") else {
        return;
    };
    let node_a = start_with(&dir_a, &["--config", config.to_str().unwrap()]);
    std::fs::create_dir_all(&dir_b).unwrap();
    std::fs::copy(dir_a.join("kek"), dir_b.join("kek")).unwrap();
    let issued = keyward(&["pki", "issue-client", "bob", "--data-dir", dir_a.to_str().unwrap()]);
    assert!(issued.status.success(), "{}", text(&issued.stderr));
    copy_dir(&dir_a.join("pki"), &dir_b.join("pki"));
    let node_b = start_with(&dir_b, &["--config", config.to_str().unwrap()]);

    let admin_a = client_of(node_a.address, &dir_a, "admin");
    let bob_b = client_of(node_b.address, &dir_a, "bob");
    let uid = runtime.block_on(async {
        let mut admin = Session::open(&admin_a).await.unwrap();
        admin.create_symmetric_key(aes_named("shared-across-nodes")).await.unwrap()
    });
    let profile = dir_a.join("pki/admin-profile.toml");
    let at_a = node_a.address.to_string();
    let grants = |args: &[&str]| {
        let mut all = vec!["--profile", profile.to_str().unwrap(), "--server", &at_a, "grants"];
        all.extend_from_slice(args);
        let output = keyward(&all);
        assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
    };
    let bob_gets = || runtime.block_on(async { Session::open(&bob_b).await.unwrap().get(&uid, None).await.is_ok() });
    assert!(!bob_gets(), "no grant yet");
    grants(&["add", "--object", &uid, "--to", "bob", "--operations", "get"]);
    assert!(bob_gets(), "granted through A, honoured by B at once");
    // Both nodes hold a lease on their caches; the one asked is marked.
    let status = keyward(&["--profile", profile.to_str().unwrap(), "--server", &at_a, "--json", "cluster", "status"]);
    assert!(status.status.success(), "{}", text(&status.stderr));
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let nodes = status["nodes"].as_array().unwrap();
    assert_eq!(nodes.iter().filter(|n| n["live"] == true).count(), 2, "{status}");
    assert_eq!(nodes.iter().filter(|n| n["this_node"] == true).count(), 1, "{status}");
    assert_eq!(status["cluster_info"], "test cluster");
    grants(&["remove", "--object", &uid, "--to", "bob"]);
    assert!(!bob_gets(), "removed through A, refused by B at once");
    assert!(node_a.terminate().success());
    assert!(node_b.terminate().success());
    // Each node's audit trail checks with the key of the database's keyring, through --config.
    for node in [&dir_a, &dir_b] {
        let verified =
            keyward(&["audit", "verify", "--config", config.to_str().unwrap(), "--data-dir", node.to_str().unwrap()]);
        assert!(verified.status.success(), "{}", text(&verified.stderr));
        assert!(text(&verified.stdout).contains("checkpoint and head MACs checked"), "{}", text(&verified.stdout));
    }
    // The two trails read as one: the key's records from both nodes, each marked with its node,
    // in time order (A's Create first, then B's Gets).
    let (a, b) = (dir_a.to_str().unwrap(), dir_b.to_str().unwrap());
    let shown = keyward(&["audit", "show", "--data-dir", a, "--data-dir", b, "--object", &uid, "--json"]);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let lines: Vec<serde_json::Value> =
        text(&shown.stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let of = |node: &str| lines.iter().filter(|l| l["trail"] == node).count();
    assert!(of(a) >= 1 && of(b) >= 3, "{lines:?}");
    assert_eq!(lines[0]["trail"], a, "{lines:?}");
    assert_eq!(lines[0]["record"]["operation"], "Create", "{lines:?}");
    // The Create changed an object: its record has the commit's number in the cluster's order
    // (so has the first Get, which made the key no longer Fresh); the refused Gets have none.
    assert!(lines[0]["record"]["commit"].as_u64().is_some_and(|n| n > 0), "{lines:?}");
    let refused = lines.iter().filter(|l| l["record"]["status"] != "Success").collect::<Vec<_>>();
    assert!(!refused.is_empty() && refused.iter().all(|l| l["record"]["commit"].is_null()), "{lines:?}");
    let times: Vec<&str> = lines.iter().map(|l| l["record"]["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
}

/// `keyward backup create` against either node takes the whole cluster's store (keys created
/// through both), `backup verify --kek` opens every record without a database, and `backup
/// restore --to-url` writes it into an empty database that a new node then serves.
#[test]
fn a_backup_through_any_node_restores_the_whole_cluster_into_a_new_database() {
    let Some(Nodes { runtime, dir, dir_a, dir_b, config, .. }) = nodes("backup", "backups of the postgres store")
    else {
        return;
    };
    let node_a = start_with(&dir_a, &["--config", config.to_str().unwrap()]);
    let node_b = second_node(&dir_a, &dir_b, &config);
    let (admin_a, admin_b) = (client_of(node_a.address, &dir_a, "admin"), client_of(node_b.address, &dir_a, "admin"));
    let (on_a, on_b) = runtime.block_on(async {
        let on_a = Session::open(&admin_a).await.unwrap().create_symmetric_key(aes_named("made-on-a")).await.unwrap();
        let on_b = Session::open(&admin_b).await.unwrap().create_symmetric_key(aes_named("made-on-b")).await.unwrap();
        (on_a, on_b)
    });

    let file = dir.path().join("cluster.kwbackup");
    let created = keyward(&[
        "--profile",
        dir_a.join("pki/admin-profile.toml").to_str().unwrap(),
        "--server",
        &node_b.address.to_string(),
        "backup",
        "create",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(node_a.terminate().success());
    assert!(node_b.terminate().success());
    let kek = dir_a.join("kek");
    let verified = keyward(&["backup", "verify", "--from", file.to_str().unwrap(), "--kek", kek.to_str().unwrap()]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(text(&verified.stdout).contains("every record"), "{}", text(&verified.stdout));
    let into_dir = keyward(&["backup", "restore", "--from", file.to_str().unwrap(), "--data-dir", "/nonexistent"]);
    assert!(!into_dir.status.success() && text(&into_dir.stderr).contains("--to-url"), "{}", text(&into_dir.stderr));

    let server = std::env::var(URL_VARIABLE).unwrap();
    let target = fresh_database(&runtime, &server, &format!("restored_{}", std::process::id()));
    let mut restore = vec!["backup", "restore", "--from", file.to_str().unwrap(), "--to-url", &target];
    let ca = std::env::var("KEYWARD_TEST_POSTGRES_CA").ok();
    if let Some(ca) = &ca {
        restore.extend(["--to-ca", ca.as_str()]);
    }
    let restored = keyward(&restore);
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    assert!(text(&restored.stdout).contains("Restored 2 objects"), "{}", text(&restored.stdout));

    let dir_c = dir.path().join("c");
    std::fs::create_dir_all(&dir_c).unwrap();
    std::fs::copy(&kek, dir_c.join("kek")).unwrap();
    copy_dir(&dir_a.join("pki"), &dir_c.join("pki"));
    let config_c = node_config(&dir_c, &target, ca.as_deref());
    let node_c = start_with(&dir_c, &["--config", config_c.to_str().unwrap()]);
    let admin_c = client_of(node_c.address, &dir_a, "admin");
    runtime.block_on(async {
        let mut session = Session::open(&admin_c).await.unwrap();
        for uid in [&on_a, &on_b] {
            session.get(uid, None).await.unwrap();
        }
    });
    assert!(node_c.terminate().success());
}

/// `keyward kek rotate --new-data-key` through one node of two, each with its own copy of the KEK
/// file: both nodes switch to the new data key while serving, every key made through either node
/// before and after opens on both, and the other node drops the old data key without the new KEK
/// version's file, which it needs only at its next start.
#[test]
fn a_new_data_key_through_one_node_reaches_the_other_and_every_key_moves_to_it() {
    let Some(Nodes { runtime, dir: _dir, dir_a, dir_b, config, .. }) =
        nodes("new_data_key", "a new data key on two nodes")
    else {
        return;
    };
    let node_a = start_with(&dir_a, &["--config", config.to_str().unwrap()]);
    let node_b = second_node(&dir_a, &dir_b, &config);
    let (client_a, client_b) = (client_of(node_a.address, &dir_a, "admin"), client_of(node_b.address, &dir_a, "admin"));
    let create = |client: &keyward_client::Client, name: String| {
        runtime.block_on(async {
            Session::open(client).await.unwrap().create_symmetric_key(aes_named(&name)).await.unwrap()
        })
    };
    let mut keys: Vec<String> =
        (0..20).map(|i| create(if i % 2 == 0 { &client_a } else { &client_b }, format!("k{i}"))).collect();

    let profile = dir_a.join("pki/admin-profile.toml");
    let kek = |node: &Serving, args: &[&str]| {
        let at = node.address.to_string();
        let mut all = vec!["--profile", profile.to_str().unwrap(), "--server", &at, "kek"];
        all.extend_from_slice(args);
        let output = keyward(&all);
        assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
        text(&output.stdout)
    };
    let rotated = kek(&node_a, &["rotate", "--new-data-key", "--wait"]);
    assert!(rotated.contains("data key generation: 2") && rotated.contains("re-seal: none"), "{rotated}");
    // B follows: the new data key, and the old one dropped (it has no kek.v2, and needs none).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut on_b = kek(&node_b, &["status"]);
    while !on_b.contains("re-seal: none") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        on_b = kek(&node_b, &["status"]);
    }
    assert!(on_b.contains("data key generation: 2") && on_b.contains("re-seal: none"), "{on_b}");
    assert!(!dir_b.join("kek.v2").exists());
    keys.push(create(&client_b, "made-on-b-after".into()));
    keys.push(create(&client_a, "made-on-a-after".into()));
    let all_served = |client: &keyward_client::Client| {
        runtime.block_on(async {
            let mut session = Session::open(client).await.unwrap();
            for uid in &keys {
                session.get(uid, None).await.unwrap_or_else(|e| panic!("{uid}: {e:?}"));
            }
        })
    };
    all_served(&client_a);
    all_served(&client_b);
    // B restarts with the new KEK version copied to it, as the operations guide says, and serves
    // every key from the database (its cache is new).
    assert!(node_b.terminate().success());
    std::fs::copy(dir_a.join("kek.v2"), dir_b.join("kek.v2")).unwrap();
    let node_b = start_with(&dir_b, &["--config", config.to_str().unwrap()]);
    all_served(&client_of(node_b.address, &dir_a, "admin"));
    assert!(node_a.terminate().success());
    assert!(node_b.terminate().success());
}
