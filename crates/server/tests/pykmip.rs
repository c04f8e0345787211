//! The real PyKMIP 0.11.0 client against a real server: every operation of PyKMIP's
//! ProxyKmipClient that the server implements, in PyKMIP's 1.x and 2.0 modes, over TLS 1.2 and
//! TLS 1.3 (conformance-tests/pykmip/test_pykmip.py).
//!
//! PyKMIP comes from PyPI into a virtual environment under the target directory, made on first
//! use (scripts/test makes it beforehand); `KEYWARD_PYKMIP_PYTHON` names another interpreter.

#[path = "e2e/common.rs"]
#[allow(dead_code)]
mod common;
#[path = "../../../conformance-tests/pykmip/python.rs"]
mod pykmip_python;

use std::process::Command;

use common::TestServer;
use keyward_server::pki::ADMIN;
use pykmip_python::{python, workspace};

async fn run_suite(server: &TestServer, kmip_version: &str, ssl_version: &str) {
    let admin = server.pki.client(ADMIN);
    let mut command = Command::new(python());
    command
        .args(["-m", "unittest", "discover", "-v", "-p", "test_*.py"])
        .current_dir(workspace().join("conformance-tests/pykmip"))
        .env("KEYWARD_HOST", server.address.ip().to_string())
        .env("KEYWARD_PORT", server.address.port().to_string())
        .env("KEYWARD_CA", server.pki.ca_cert())
        .env("KEYWARD_CERT", &admin.cert)
        .env("KEYWARD_KEY", &admin.key)
        .env("KEYWARD_KMIP_VERSION", kmip_version)
        .env("KEYWARD_SSL_VERSION", ssl_version);
    let output = tokio::task::spawn_blocking(move || command.output().expect("the PyKMIP suite runs")).await.unwrap();
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "PyKMIP in KMIP {kmip_version} over {ssl_version} failed:\n{report}");
    assert!(report.contains("OK"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pykmip_in_1x_mode_over_tls_1_2() {
    let server = TestServer::start().await;
    run_suite(&server, "1.2", "PROTOCOL_TLSv1_2").await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pykmip_in_1x_mode_over_tls_1_3() {
    let server = TestServer::start().await;
    run_suite(&server, "1.4", "PROTOCOL_TLS").await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pykmip_in_2_0_mode_over_tls_1_3() {
    let server = TestServer::start().await;
    run_suite(&server, "2.0", "PROTOCOL_TLS").await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pykmip_in_2_0_mode_over_tls_1_2() {
    let server = TestServer::start().await;
    run_suite(&server, "2.0", "PROTOCOL_TLSv1_2").await;
    server.stop().await.unwrap();
}

/// The suite against a server on the PostgreSQL store (issue 13), in PyKMIP's 1.x and 2.0 modes:
/// a new database on the test server (scripts/test starts one and sets KEYWARD_TEST_POSTGRES_URL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pykmip_on_the_postgres_store() {
    let Ok(server_url) = std::env::var("KEYWARD_TEST_POSTGRES_URL") else {
        eprintln!("!!!! SKIPPED: KEYWARD_TEST_POSTGRES_URL is not set, so PyKMIP on PostgreSQL was NOT tested.");
        return;
    };
    let name = format!("pykmip_{}", std::process::id());
    let (client, connection) = tokio_postgres::connect(&server_url, tokio_postgres::NoTls).await.unwrap();
    let driving = tokio::spawn(connection);
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    drop(client);
    let _ = driving.await;
    let url = keyward_store::postgres_database_url(&server_url, &name);
    let server = TestServer::start_with(|config| {
        config.store.backend = keyward_server::config::store::StoreBackend::Postgres;
        config.store.url = Some(keyward_server::config::store::DatabaseUrl(url));
    })
    .await;
    run_suite(&server, "1.2", "PROTOCOL_TLSv1_2").await;
    run_suite(&server, "2.0", "PROTOCOL_TLS").await;
    server.stop().await.unwrap();
}
