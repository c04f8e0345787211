//! `keyward mac`: a MAC made (or checked, with --verify) by the server with an HMAC key (or an AES
//! key allowed to MAC, for CMAC).

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use keyward_client::{PartOutput, Step, VerifyPart};

use super::chunks::{self, Chunks, in_parts, streamed};
use super::signature::{report_validity, required_output, required_validity};
use crate::commands::client_error::CliError;
use crate::commands::connection::{ClientOptions, with_session};
use crate::commands::local_files::{self, Exposure};
use crate::commands::output::Output;

#[derive(Debug, Args)]
pub struct MacArgs {
    /// The key's unique identifier.
    #[arg(long, value_name = "UID")]
    key: String,
    /// The file to MAC.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Where to write the MAC; without it (and without --verify), it is printed in hex.
    #[arg(long, value_name = "FILE", conflicts_with = "verify")]
    out: Option<PathBuf>,
    /// Check this MAC instead of making one (exit status 5 when it does not match).
    #[arg(long, value_name = "FILE")]
    verify: Option<PathBuf>,
}

pub fn run(options: &ClientOptions, output: Output, args: MacArgs) -> Result<(), CliError> {
    let (file, size) = chunks::open(&args.input)?;
    let uid = args.key;
    if let Some(path) = &args.verify {
        let mac = local_files::read(path)?;
        let validity = with_session(options, async |session| {
            let fail = |error| CliError::from_session(error, Some(&uid));
            let mut chunks = Chunks::new(file, &args.input, size);
            if !streamed(session, size) {
                let data = chunks.next(usize::MAX)?;
                return session.mac_verify(&uid, None, &data, &mac).await.map_err(fail);
            }
            let send = async |data: &[u8], step: Step<'_>, last: bool| {
                session.mac_verify_part(&uid, None, data, last.then_some(&mac[..]), step).await.map_err(fail)
            };
            let last = in_parts(&mut chunks, send, |part: &mut VerifyPart| part.correlation.take()).await?;
            required_validity(last)
        })?;
        return report_validity(output, &uid, validity, "MAC");
    }
    let mac = with_session(options, async |session| {
        let fail = |error| CliError::from_session(error, Some(&uid));
        let mut chunks = Chunks::new(file, &args.input, size);
        if !streamed(session, size) {
            let data = chunks.next(usize::MAX)?;
            return session.mac(&uid, None, &data).await.map_err(fail);
        }
        let send = async |data: &[u8], step: Step<'_>, _last: bool| {
            session.mac_part(&uid, None, data, step).await.map_err(fail)
        };
        let last = in_parts(&mut chunks, send, |part: &mut PartOutput| part.correlation.take()).await?;
        required_output(last.data, "MAC")
    })?;
    let hex = hex::encode(mac.as_slice());
    match &args.out {
        Some(path) => {
            local_files::write(path, mac.as_slice(), Exposure::Public)?;
            let human = format!("wrote a {}-byte MAC to {}", mac.as_slice().len(), path.display());
            output.print(&human, json!({ "unique_identifier": uid, "out": path.display().to_string(), "mac": hex }));
        }
        None => output.print(&hex, json!({ "unique_identifier": uid, "mac": hex })),
    }
    Ok(())
}
