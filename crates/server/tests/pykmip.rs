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
