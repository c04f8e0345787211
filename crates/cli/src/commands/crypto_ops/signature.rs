//! `keyward sign` and `keyward verify`: signatures made and checked by the server with a key pair's
//! private and public key.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use keyward_client::{PartOutput, SessionError, Step, VerifyPart};
use keyward_kmip::Bytes;
use keyward_kmip::attributes::CryptographicParameters;
use keyward_kmip::enums::{HashingAlgorithm, PaddingMethod, ValidityIndicator};
use serde_json::json;

use super::chunks::{self, Chunks, in_parts, streamed};
use crate::commands::client_error::CliError;
use crate::commands::connection::{ClientOptions, with_session};
use crate::commands::local_files::{self, Exposure};
use crate::commands::output::Output;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// What the signature scheme leaves open: the server picks by the key (RSA PKCS#1 v1.5, ECDSA with
/// the curve's hash, Ed25519), and these flags change it.
#[derive(Debug, Args)]
pub struct SchemeArgs {
    /// The hash (default: SHA-256 for RSA, the curve's for ECDSA; Ed25519 takes none).
    #[arg(long, value_enum)]
    hash: Option<Hash>,
    /// RSA: PSS padding instead of PKCS#1 v1.5.
    #[arg(long)]
    pss: bool,
}

impl SchemeArgs {
    fn parameters(&self) -> Option<CryptographicParameters> {
        if self.hash.is_none() && !self.pss {
            return None;
        }
        Some(CryptographicParameters {
            hashing_algorithm: self.hash.map(|hash| match hash {
                Hash::Sha256 => HashingAlgorithm::SHA_256,
                Hash::Sha384 => HashingAlgorithm::SHA_384,
                Hash::Sha512 => HashingAlgorithm::SHA_512,
            }),
            padding_method: self.pss.then_some(PaddingMethod::PSS),
            ..CryptographicParameters::default()
        })
    }
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The private key's unique identifier.
    #[arg(long, value_name = "UID")]
    key: String,
    /// The file to sign.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Where to write the signature; without it, it is printed in hex.
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,
    #[command(flatten)]
    scheme: SchemeArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The public key's unique identifier.
    #[arg(long, value_name = "UID")]
    key: String,
    /// The file that was signed.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// The signature to check (as `keyward sign --signature` wrote it).
    #[arg(long, value_name = "FILE")]
    signature: PathBuf,
    #[command(flatten)]
    scheme: SchemeArgs,
}

/// A signature, or MAC, that the last part of a stream must carry.
pub(super) fn required_output(output: Option<Bytes>, what: &str) -> Result<Bytes, CliError> {
    output.ok_or_else(|| CliError::from(SessionError::Unexpected(format!("the last part answered without its {what}"))))
}

/// The verdict the last part of a streamed verification (signature or MAC) must carry.
pub(super) fn required_validity(last: VerifyPart) -> Result<ValidityIndicator, CliError> {
    last.validity.ok_or_else(|| CliError::from(SessionError::Unexpected("no Validity Indicator".into())))
}

pub fn sign(options: &ClientOptions, output: Output, args: SignArgs) -> Result<(), CliError> {
    let (file, size) = chunks::open(&args.input)?;
    let uid = args.key;
    let parameters = args.scheme.parameters();
    let signature = with_session(options, async |session| {
        let fail = |error| CliError::from_session(error, Some(&uid));
        let mut chunks = Chunks::new(file, &args.input, size);
        if !streamed(session, size) {
            let data = chunks.next(usize::MAX)?;
            return session.sign(&uid, parameters, &data).await.map_err(fail);
        }
        let send = async |data: &[u8], step: Step<'_>, _last: bool| {
            session.sign_part(&uid, parameters.clone(), data, step).await.map_err(fail)
        };
        let last = in_parts(&mut chunks, send, |part: &mut PartOutput| part.correlation.take()).await?;
        required_output(last.data, "signature")
    })?;
    let hex = hex::encode(signature.as_slice());
    match &args.signature {
        Some(path) => {
            local_files::write(path, signature.as_slice(), Exposure::Public)?;
            let human = format!("wrote a {}-byte signature to {}", signature.as_slice().len(), path.display());
            output.print(
                &human,
                json!({ "unique_identifier": uid, "signature_file": path.display().to_string(), "signature": hex }),
            );
        }
        None => output.print(&hex, json!({ "unique_identifier": uid, "signature": hex })),
    }
    Ok(())
}

pub fn verify(options: &ClientOptions, output: Output, args: VerifyArgs) -> Result<(), CliError> {
    let (file, size) = chunks::open(&args.input)?;
    let signature = local_files::read(&args.signature)?;
    let uid = args.key;
    let parameters = args.scheme.parameters();
    let validity = with_session(options, async |session| {
        let fail = |error| CliError::from_session(error, Some(&uid));
        let mut chunks = Chunks::new(file, &args.input, size);
        if !streamed(session, size) {
            let data = chunks.next(usize::MAX)?;
            return session.signature_verify(&uid, parameters, &data, &signature).await.map_err(fail);
        }
        let send = async |data: &[u8], step: Step<'_>, last: bool| {
            let signature = last.then_some(&signature[..]);
            session.signature_verify_part(&uid, parameters.clone(), data, signature, step).await.map_err(fail)
        };
        let last = in_parts(&mut chunks, send, |part: &mut VerifyPart| part.correlation.take()).await?;
        required_validity(last)
    })?;
    report_validity(output, &uid, validity, "signature")
}

/// Valid prints and succeeds; Invalid and Unknown fail with exit status 5.
pub fn report_validity(output: Output, uid: &str, validity: ValidityIndicator, what: &str) -> Result<(), CliError> {
    match validity {
        ValidityIndicator::Valid => {
            output.print(&format!("{what} valid"), json!({ "unique_identifier": uid, "valid": true }));
            Ok(())
        }
        ValidityIndicator::Invalid => Err(CliError::NotVerified(format!("the {what} is not valid for key {uid}"))),
        _ => Err(CliError::NotVerified(format!("the server could not tell whether the {what} is valid"))),
    }
}
