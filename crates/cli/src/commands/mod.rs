//! The subcommands of `keyward`, one module each. Every subcommand returns its own error type;
//! [`finish`] turns the outcome into the process exit status. The client commands (`keys`,
//! `encrypt`, `decrypt`, `sign`, `verify`, `mac`) share `connection`, `output` and `client_error`,
//! which gives them exit statuses of their own (docs/cli.md).

pub mod audit;
pub mod backup;
pub mod bench;
pub mod client_error;
pub mod cluster;
pub mod connection;
pub mod crypto_ops;
pub mod dev_profile;
mod file_modes;
pub mod grants;
pub mod identity;
pub mod kek;
pub mod keys;
pub mod local_files;
pub mod output;
pub mod pem_text;
pub mod pki;
pub mod profile;
pub mod rotation;
pub mod serve;
pub mod store;
pub mod ttlv;

use std::fmt::Display;
use std::process::ExitCode;

/// Prints a failed command's error to stderr and maps the outcome to an exit status: 0 on success,
/// 1 on failure. (Usage errors never get here: clap exits with 2 for them.)
pub fn finish<E: Display>(outcome: Result<(), E>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("keyward: {error}");
            ExitCode::FAILURE
        }
    }
}
