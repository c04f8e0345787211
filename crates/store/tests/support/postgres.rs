//! The test server of the postgres store's tests, and a fresh database on it per store.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

pub const URL_VARIABLE: &str = "KEYWARD_TEST_POSTGRES_URL";

/// The server's URL, or None (with a loud message) when the test command did not start one.
pub fn server() -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "!!!! SKIPPED: {URL_VARIABLE} is not set, so the postgres store was NOT tested. \
                 scripts/test starts a server (scripts/postgres-test-server) and sets it."
            );
            None
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn connect(url: &str) -> (tokio::runtime::Runtime, tokio_postgres::Client) {
    let runtime = runtime();
    let client = runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client
    });
    (runtime, client)
}

/// A new, empty database on the server; its URL.
pub fn fresh_database(server: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("contract_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    let (runtime, client) = connect(server);
    runtime.block_on(client.batch_execute(&format!("CREATE DATABASE {name}"))).unwrap();
    keyward_store::postgres_database_url(server, &name)
}

pub fn execute(url: &str, sql: &str) {
    let (runtime, client) = connect(url);
    runtime.block_on(client.batch_execute(sql)).unwrap();
}

pub fn query_text(url: &str, sql: &str) -> String {
    let (runtime, client) = connect(url);
    runtime.block_on(client.query_one(sql, &[])).unwrap().get(0)
}

/// Every value of every table of ours, as bytes.
pub fn everything(url: &str) -> Vec<u8> {
    let (runtime, client) = connect(url);
    let mut all = Vec::new();
    for table in [
        "keyward_meta",
        "objects",
        "object_terms",
        "name_claims",
        "settings",
        "schema_migrations",
        "keyring",
        "kek_versions",
    ] {
        // Each row as its text form, bytea in hexadecimal, and the raw bytea columns.
        let rows = runtime
            .block_on(client.query(&format!("SELECT t::text, convert_to(t::text, 'UTF8') FROM {table} t"), &[]))
            .unwrap();
        for row in rows {
            all.extend_from_slice(row.get::<_, String>(0).as_bytes());
            all.extend(row.get::<_, Vec<u8>>(1));
        }
    }
    for (table, column) in [
        ("objects", "sealed"),
        ("objects", "index_keys"),
        ("settings", "sealed"),
        ("keyring", "wrapped"),
        ("kek_versions", "check_value"),
    ] {
        let rows = runtime.block_on(client.query(&format!("SELECT {column} FROM {table}"), &[])).unwrap();
        for row in rows {
            all.extend(row.get::<_, Vec<u8>>(0));
        }
    }
    all
}
