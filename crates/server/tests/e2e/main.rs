//! End-to-end tests: a real server on loopback, real TLS, the crate's own client.

mod common;
mod operations;
mod requests;
mod shutdown;
mod tls;
