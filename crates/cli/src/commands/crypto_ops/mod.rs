//! The cryptographic commands: `encrypt`, `decrypt`, `sign`, `verify` and `mac`. The key never
//! leaves the server; the data goes to it and the result comes back.

mod chunks;
mod cipher;
mod container;
mod mac;
mod pending_file;
mod signature;

use clap::Args;

use super::client_error::CliError;
use super::connection::ClientOptions;

pub use cipher::CipherArgs;
pub use mac::MacArgs;
pub use signature::{SignArgs, VerifyArgs};

/// A cryptographic command with its own `--json` (also accepted before the command).
#[derive(Debug, Args)]
pub struct CryptoArgs<T: Args> {
    /// Print results, and errors (on stderr), as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub args: T,
}

pub fn encrypt(options: &ClientOptions, args: CryptoArgs<CipherArgs>) -> Result<(), CliError> {
    cipher::encrypt(options, options.output(args.json), args.args)
}

pub fn decrypt(options: &ClientOptions, args: CryptoArgs<CipherArgs>) -> Result<(), CliError> {
    cipher::decrypt(options, options.output(args.json), args.args)
}

pub fn sign(options: &ClientOptions, args: CryptoArgs<SignArgs>) -> Result<(), CliError> {
    signature::sign(options, options.output(args.json), args.args)
}

pub fn verify(options: &ClientOptions, args: CryptoArgs<VerifyArgs>) -> Result<(), CliError> {
    signature::verify(options, options.output(args.json), args.args)
}

pub fn mac(options: &ClientOptions, args: CryptoArgs<MacArgs>) -> Result<(), CliError> {
    mac::run(options, options.output(args.json), args.args)
}
