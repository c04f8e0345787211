//! End-to-end tests: a real server on loopback, real TLS, the crate's own clients.

mod asynchronous;
mod audit;
mod common;
mod handshake_flood;
mod header_flood;
mod https_connections;
mod https_messages;
mod https_refusals;
mod issuing_ca;
mod metrics;
mod operations;
mod raw_http;
mod refused_inputs;
mod requests;
mod response_budget;
mod shutdown;
mod tenants;
mod tls;
