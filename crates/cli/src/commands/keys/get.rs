//! `keys get UID`: an object's key material (or certificate) into a file, or to a pipe. Never on a
//! terminal unless asked with --force.

use std::path::PathBuf;

use clap::Args;
use keyward_kmip::Tag;
use keyward_kmip::attributes::{Attribute, AttributeRef};
use keyward_kmip::enums::{KeyFormatType, ObjectType};
use serde_json::json;
use zeroize::Zeroizing;

use super::key_formats::{GetFormat, object_bytes};
use crate::commands::client_error::CliError;
use crate::commands::connection::{ClientOptions, with_session};
use crate::commands::local_files::{self, Exposure};
use crate::commands::output::Output;
use crate::commands::pem_text;

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The object's unique identifier.
    uid: String,
    /// The format (default: as stored).
    #[arg(long, value_enum)]
    format: Option<GetFormat>,
    /// The file to write (mode 0600); without it the bytes go to stdout, which must not be a
    /// terminal (public keys and certificates excepted).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write key material to stdout even when it is a terminal.
    #[arg(long)]
    force: bool,
}

pub fn run(options: &ClientOptions, output: Output, args: GetArgs) -> Result<(), CliError> {
    if output.json && args.out.is_none() {
        return Err(CliError::Usage("with --json, give --out FILE: stdout carries the JSON result".into()));
    }
    let uid = args.uid;
    let format = args.format;
    let fetched = with_session(options, async |session| {
        let failed = |e| CliError::from_session(e, Some(&uid));
        let object_type = match format {
            // PEM depends on what the object is: ask first.
            Some(GetFormat::Pem) => session
                .get_attributes(&uid, vec![AttributeRef::Standard(Tag::ObjectType)])
                .await
                .map_err(failed)?
                .into_iter()
                .find_map(|a| if let Attribute::ObjectType(t) = a { Some(t) } else { None }),
            _ => None,
        };
        let requested = format.map(|f| f.requested(object_type)).transpose()?.flatten();
        session.get(&uid, requested).await.map_err(failed)
    })?;
    let stored_format = fetched.object.key_block().map(|block| block.key_format_type);
    let der = object_bytes(&fetched.object)?;
    let bytes: Zeroizing<Vec<u8>> = match format {
        Some(GetFormat::Pem) => {
            let label = GetFormat::pem_label(fetched.object_type)?;
            Zeroizing::new(pem_text::encode(label, der).as_bytes().to_vec())
        }
        _ => Zeroizing::new(der.to_vec()),
    };
    let format_name = match format {
        Some(GetFormat::Pem) => "PEM".to_string(),
        _ => stored_format.map_or_else(|| "-".into(), |f: KeyFormatType| keyward_client::session::enum_name(f)),
    };
    match &args.out {
        Some(path) => local_files::write(path, &bytes, Exposure::Secret)?,
        // A public key or a certificate may be shown anywhere; anything else only on request.
        None => local_files::write_secret_to_stdout(&bytes, args.force || is_public(fetched.object_type))?,
    }
    if let Some(path) = &args.out {
        let human = format!("wrote {} bytes ({format_name}) to {}", bytes.len(), path.display());
        output.print(
            &human,
            json!({
                "unique_identifier": fetched.unique_identifier,
                "object_type": keyward_client::session::enum_name(fetched.object_type),
                "format": format_name,
                "out": path.display().to_string(),
                "bytes": bytes.len(),
            }),
        );
    }
    Ok(())
}

/// Objects whose value is no secret.
fn is_public(object_type: ObjectType) -> bool {
    matches!(object_type, ObjectType::PublicKey | ObjectType::Certificate)
}
