//! `keyward keys`: managing keys and secrets on a KMIP server. One file per family of
//! subcommands; every one opens a session with the shared connection options, does its calls and
//! prints a table or JSON.

mod attribute_text;
mod create;
mod get;
mod key_formats;
mod lifecycle;
mod list;
mod register;
mod show;
mod usage;

use clap::{Args, Subcommand};

use super::client_error::CliError;
use super::connection::ClientOptions;

#[derive(Debug, Args)]
pub struct KeysArgs {
    /// Print results, and errors (on stderr), as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a symmetric key on the server; prints its identifier.
    Create(create::CreateArgs),
    /// Create a key pair on the server; prints both identifiers.
    CreatePair(create::CreatePairArgs),
    /// Register a key, secret or certificate read from a file; prints its identifier.
    Register(register::RegisterArgs),
    /// List the objects this client may see, newest first, with filters and paging.
    List(list::ListArgs),
    /// Show an object's attributes.
    Show(show::ShowArgs),
    /// Fetch an object's key material (or certificate) into a file.
    Get(get::GetArgs),
    /// Activate an object: from Pre-Active to Active.
    Activate(lifecycle::UidArgs),
    /// Revoke an object, for a reason.
    Revoke(lifecycle::RevokeArgs),
    /// Destroy an object's key material (revoke an Active key first).
    Destroy(lifecycle::UidArgs),
    /// Replace a symmetric key with a new one (Re-key); prints the new identifier.
    Rekey(lifecycle::RekeyArgs),
}

impl KeysArgs {
    /// Whether errors are to be written as JSON.
    pub fn json(&self) -> bool {
        self.json
    }
}

pub fn run(options: &ClientOptions, args: KeysArgs) -> Result<(), CliError> {
    let output = options.output(args.json);
    match args.command {
        KeysCommand::Create(args) => create::create(options, output, args),
        KeysCommand::CreatePair(args) => create::create_pair(options, output, args),
        KeysCommand::Register(args) => register::run(options, output, args),
        KeysCommand::List(args) => list::run(options, output, args),
        KeysCommand::Show(args) => show::run(options, output, args),
        KeysCommand::Get(args) => get::run(options, output, args),
        KeysCommand::Activate(args) => lifecycle::activate(options, output, args),
        KeysCommand::Revoke(args) => lifecycle::revoke(options, output, args),
        KeysCommand::Destroy(args) => lifecycle::destroy(options, output, args),
        KeysCommand::Rekey(args) => lifecycle::rekey(options, output, args),
    }
}
