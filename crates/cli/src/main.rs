//! The `keyward` command line. This file only parses arguments and hands each subcommand to its
//! module under `commands`, which does the work and reports its own errors.

/// jemalloc rather than the system's allocator: less CPU for the store's many short-lived node
/// copies and less memory per idle connection (measured in docs/performance.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keyward, a KMIP server, and the tools that come with it.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the KMIP server (on embedded defaults and a development PKI without --config).
    Serve(commands::serve::ServeArgs),
    /// Manage the development PKI: issue client certificates.
    Pki(commands::pki::PkiArgs),
    /// Decode and encode KMIP TTLV messages (binary or hex, to and from text, XML and JSON).
    Ttlv(commands::ttlv::TtlvArgs),
    /// Load a KMIP server with standard requests and measure it (or the mutual-TLS echo ceiling).
    // Boxed: the bench's options are many times the size of the others'.
    Bench(Box<commands::bench::BenchArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => commands::finish(commands::serve::run(args)),
        Command::Pki(args) => commands::finish(commands::pki::run(args)),
        Command::Ttlv(args) => commands::finish(commands::ttlv::run(args)),
        Command::Bench(args) => commands::finish(commands::bench::run(*args)),
    }
}
