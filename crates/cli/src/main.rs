//! The `keyward` command line. This file only parses arguments and hands each subcommand to its
//! module under `commands`, which does the work and reports its own errors.

/// jemalloc rather than the system's allocator: less CPU for the store's many short-lived node
/// copies and less memory per idle connection (measured in docs/performance.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commands::client_error::finish as client_finish;
use commands::crypto_ops::{self, CipherArgs, CryptoArgs, MacArgs, SignArgs, VerifyArgs};

/// Keyward, a KMIP server, and the tools that come with it.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, about)]
struct Cli {
    /// Where the client commands connect, with what credentials, and whether they print JSON.
    #[command(flatten)]
    client: commands::connection::ClientOptions,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the KMIP server (on embedded defaults and a development PKI without --config).
    Serve(commands::serve::ServeArgs),
    /// Manage the development PKI: issue client certificates.
    Pki(commands::pki::PkiArgs),
    /// Work on a stopped server's store: check (verify), compact, or move it between a data
    /// directory and PostgreSQL (migrate).
    Store(commands::store::StoreArgs),
    /// Decode and encode KMIP TTLV messages (binary or hex, to and from text, XML and JSON).
    Ttlv(commands::ttlv::TtlvArgs),
    /// Load a KMIP server with standard requests and measure it (or the mutual-TLS echo ceiling).
    // Boxed: the bench's options are many times the size of the others'.
    Bench(Box<commands::bench::BenchArgs>),
    /// Manage keys on a KMIP server: create, register, list, show, get, activate, revoke, destroy, rekey.
    Keys(commands::keys::KeysArgs),
    /// Encrypt a file with a symmetric key held by the server.
    Encrypt(CryptoArgs<CipherArgs>),
    /// Decrypt a file written by `keyward encrypt`.
    Decrypt(CryptoArgs<CipherArgs>),
    /// Sign a file with a private key held by the server.
    Sign(CryptoArgs<SignArgs>),
    /// Verify a signature with a public key held by the server (exit status 5 when invalid).
    Verify(CryptoArgs<VerifyArgs>),
    /// Compute (or, with --verify, check) a MAC with a key held by the server.
    Mac(CryptoArgs<MacArgs>),
    /// Back up a running server (administrator), check a backup, restore one into a data directory.
    Backup(commands::backup::BackupArgs),
    /// Show who the server takes this client for, and with which rights (management API).
    Identity(commands::identity::IdentityArgs),
    /// Grant, list and remove access to objects and Object Groups for other identities.
    Grants(commands::grants::GrantsArgs),
    /// Automatic rotation: the server's rotation policies and schedule (management API).
    Rotation(commands::rotation::RotationArgs),
    /// The server's key-encryption key: status and rotation (management API, administrators).
    Kek(commands::kek::KekArgs),
    /// The nodes that share the server's store, with their leases (management API, administrators).
    Cluster(commands::cluster::ClusterArgs),
    /// Check the server's audit trail (verify) and read it (show).
    Audit(commands::audit::AuditArgs),
}

impl Command {
    /// The commands that talk to a KMIP server as a client, for which the connection flags count.
    fn is_client(&self) -> bool {
        !matches!(
            self,
            Command::Serve(_)
                | Command::Pki(_)
                | Command::Ttlv(_)
                | Command::Bench(_)
                | Command::Store(_)
                | Command::Audit(_)
        )
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A script that asked for JSON gets its usage errors in JSON too.
        Err(error) => return commands::client_error::parse_failure(error),
    };
    let client = cli.client;
    if client.any_connection_flag() && !cli.command.is_client() {
        eprintln!(
            "keyward: --server, --server-name, --ca, --cert, --key and --profile before the command are for the client commands"
        );
        return ExitCode::from(2);
    }
    let json = client.json;
    match cli.command {
        Command::Serve(args) => commands::finish(commands::serve::run(args)),
        Command::Pki(args) => commands::finish(commands::pki::run(args)),
        Command::Store(args) => commands::finish(commands::store::run(args)),
        Command::Ttlv(args) => commands::finish(commands::ttlv::run(args)),
        Command::Audit(args) => commands::finish(commands::audit::run(args)),
        Command::Bench(args) => commands::finish(commands::bench::run(*args)),
        Command::Keys(args) => {
            let json = json || args.json();
            client_finish(commands::keys::run(&client, args), json)
        }
        Command::Encrypt(args) => client_finish(crypto_ops::encrypt(&client, args), json),
        Command::Decrypt(args) => client_finish(crypto_ops::decrypt(&client, args), json),
        Command::Sign(args) => client_finish(crypto_ops::sign(&client, args), json),
        Command::Verify(args) => client_finish(crypto_ops::verify(&client, args), json),
        Command::Mac(args) => client_finish(crypto_ops::mac(&client, args), json),
        Command::Backup(args) => client_finish(commands::backup::run(&client, args), json),
        Command::Identity(args) => client_finish(commands::identity::run(&client, args), json),
        Command::Grants(args) => client_finish(commands::grants::run(&client, args), json),
        Command::Rotation(args) => client_finish(commands::rotation::run(&client, args), json),
        Command::Kek(args) => client_finish(commands::kek::run(&client, args), json),
        Command::Cluster(args) => client_finish(commands::cluster::run(&client, args), json),
    }
}
