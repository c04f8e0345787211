//! The OASIS KMIP test cases: reading them, and running them against a server.

pub mod testcase;
