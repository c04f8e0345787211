//! The test PostgreSQL server (scripts/postgres-test-server): a new database for a test.

use keyward_kmip::attributes::{Attribute, Name};
use keyward_kmip::enums::CryptographicAlgorithm;

/// The variable scripts/test sets to the test server's URL.
pub const URL_VARIABLE: &str = "KEYWARD_TEST_POSTGRES_URL";

/// A new, empty database `name` on the test server at `server`; its URL.
pub fn fresh_database(runtime: &tokio::runtime::Runtime, server: &str, name: &str) -> String {
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    });
    keyward_store::postgres_database_url(server, name)
}

/// An AES-256 key's attributes, with a Name.
pub fn aes_named(name: &str) -> Vec<Attribute> {
    vec![
        Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
        Attribute::CryptographicLength(256),
        Attribute::Name(Name::text(name)),
    ]
}
