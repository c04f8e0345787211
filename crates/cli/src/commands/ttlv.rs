//! `keyward ttlv`: converts KMIP messages between their wire form (TTLV, binary or hex) and the
//! forms people read and write (an indented text dump, the KMIP XML and JSON encodings).

mod decode;
mod encode;
mod error;
mod hex_text;
mod render;
mod streams;

use clap::{Args, Subcommand};

pub use error::TtlvError;

#[derive(Debug, Args)]
pub struct TtlvArgs {
    #[command(subcommand)]
    action: TtlvAction,
}

#[derive(Debug, Subcommand)]
enum TtlvAction {
    /// Decode TTLV messages strictly and print them as text, XML or JSON.
    Decode(decode::DecodeArgs),
    /// Encode items written in XML or JSON as TTLV.
    Encode(encode::EncodeArgs),
}

pub fn run(args: TtlvArgs) -> Result<(), TtlvError> {
    match args.action {
        TtlvAction::Decode(args) => decode::run(args),
        TtlvAction::Encode(args) => encode::run(args),
    }
}
