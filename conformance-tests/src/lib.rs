//! The OASIS KMIP test cases: reading them, running them against a server, comparing what it
//! answers with what they expect, and reporting.

pub mod compare;
#[cfg(feature = "in-process")]
pub mod in_process;
pub mod placeholders;
pub mod report;
pub mod run;
pub mod testcase;
pub mod tolerances;
