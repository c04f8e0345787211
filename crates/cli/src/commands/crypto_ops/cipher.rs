//! `keyward encrypt` and `keyward decrypt`: a file through the server's Encrypt or Decrypt with a
//! symmetric key, in one part (the file must fit in one KMIP message).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use keyward_client::CipherInput;
use keyward_kmip::attributes::CryptographicParameters;
use keyward_kmip::enums::{BlockCipherMode, PaddingMethod};
use serde_json::json;
use zeroize::Zeroizing;

use super::container::Sealed;
use crate::commands::client_error::CliError;
use crate::commands::connection::{ClientOptions, with_session};
use crate::commands::local_files::{self, Exposure};
use crate::commands::output::Output;

/// The tag length asked for, and assumed when raw GCM output is read back.
pub const GCM_TAG_LENGTH: usize = 16;

/// The block cipher modes offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Authenticated: a 12-byte nonce and a 16-byte tag.
    Gcm,
    /// With PKCS#7 padding.
    Cbc,
    /// Counter mode: a 16-byte initial counter block.
    Ctr,
}

impl Mode {
    fn parameters(self) -> CryptographicParameters {
        let mut parameters = CryptographicParameters::default();
        match self {
            Mode::Gcm => {
                parameters.block_cipher_mode = Some(BlockCipherMode::GCM);
                parameters.tag_length = Some(GCM_TAG_LENGTH as i32);
            }
            Mode::Cbc => {
                parameters.block_cipher_mode = Some(BlockCipherMode::CBC);
                parameters.padding_method = Some(PaddingMethod::PKCS5);
            }
            Mode::Ctr => parameters.block_cipher_mode = Some(BlockCipherMode::CTR),
        }
        parameters
    }
}

#[derive(Debug, Args)]
pub struct CipherArgs {
    /// The symmetric key's unique identifier.
    #[arg(long, value_name = "UID")]
    key: String,
    /// The file to read: the plaintext (encrypt), or what encrypt wrote (decrypt).
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// The file to write (decrypt creates it mode 0600).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The mode (decrypt: read from the file unless --iv-file is given).
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Raw form: the IV in a file of its own (encrypt writes it, decrypt reads it) and the
    /// ciphertext, with GCM's 16-byte tag at its end, alone in --out / --in.
    #[arg(long, value_name = "FILE")]
    iv_file: Option<PathBuf>,
    /// Additional authenticated data (GCM), needed again to decrypt.
    #[arg(long, value_name = "FILE")]
    aad: Option<PathBuf>,
}

pub fn encrypt(options: &ClientOptions, output: Output, args: CipherArgs) -> Result<(), CliError> {
    let mode = args.mode.unwrap_or(Mode::Gcm);
    let plaintext = local_files::read(&args.input)?;
    let aad = args.aad.as_deref().map(local_files::read).transpose()?;
    let uid = args.key;
    let encrypted = with_session(options, async |session| {
        let input = CipherInput { data: &plaintext, aad: aad.as_deref().map(|a| &a[..]), ..CipherInput::default() };
        session.encrypt(&uid, Some(mode.parameters()), input).await.map_err(|e| CliError::from_session(e, Some(&uid)))
    })?;
    let iv = encrypted.iv.as_ref().map(|iv| iv.as_slice().to_vec()).unwrap_or_default();
    let tag = encrypted.tag.as_ref().map(|tag| tag.as_slice().to_vec()).unwrap_or_default();
    let form = match &args.iv_file {
        Some(iv_file) => {
            local_files::write(iv_file, &iv, Exposure::Public)?;
            local_files::write(&args.out, &[encrypted.data.as_slice(), &tag].concat(), Exposure::Public)?;
            "raw"
        }
        None => {
            let sealed = Sealed { mode, iv, tag, ciphertext: encrypted.data.as_slice().to_vec() };
            let bytes = sealed.to_bytes().map_err(|e| CliError::Usage(e.to_string()))?;
            local_files::write(&args.out, &bytes, Exposure::Public)?;
            "kwe1"
        }
    };
    let human = format!("encrypted {} bytes to {}", plaintext.len(), args.out.display());
    output.print(
        &human,
        json!({
            "unique_identifier": uid,
            "out": args.out.display().to_string(),
            "format": form,
            "mode": format!("{mode:?}").to_uppercase(),
            "iv_file": args.iv_file.as_ref().map(|p| p.display().to_string()),
        }),
    );
    Ok(())
}

pub fn decrypt(options: &ClientOptions, output: Output, args: CipherArgs) -> Result<(), CliError> {
    let contents = local_files::read(&args.input)?;
    let sealed = match &args.iv_file {
        Some(iv_file) => {
            let mode = args.mode.unwrap_or(Mode::Gcm);
            let iv = local_files::read(iv_file)?.to_vec();
            let tag_len = if mode == Mode::Gcm { GCM_TAG_LENGTH } else { 0 };
            let split = contents
                .len()
                .checked_sub(tag_len)
                .ok_or_else(|| CliError::Usage("the input is shorter than a GCM tag".into()))?;
            let (ciphertext, tag) = contents.split_at(split);
            Sealed { mode, iv, tag: tag.to_vec(), ciphertext: ciphertext.to_vec() }
        }
        None => {
            let sealed = Sealed::from_bytes(&contents).map_err(|e| CliError::Usage(e.to_string()))?;
            if args.mode.is_some_and(|mode| mode != sealed.mode) {
                return Err(CliError::Usage(format!(
                    "the file was encrypted with {:?}, not {:?}",
                    sealed.mode, args.mode
                )));
            }
            sealed
        }
    };
    let aad = args.aad.as_deref().map(local_files::read).transpose()?;
    let uid = args.key;
    let plaintext = with_session(options, async |session| {
        let input = CipherInput {
            data: &sealed.ciphertext,
            iv: (!sealed.iv.is_empty()).then_some(&sealed.iv[..]),
            aad: aad.as_deref().map(|a| &a[..]),
            tag: (!sealed.tag.is_empty()).then_some(&sealed.tag[..]),
        };
        session
            .decrypt(&uid, Some(sealed.mode.parameters()), input)
            .await
            .map_err(|e| CliError::from_session(e, Some(&uid)))
    })?;
    let plaintext = Zeroizing::new(plaintext.as_slice().to_vec());
    local_files::write(&args.out, &plaintext, Exposure::Secret)?;
    let human = format!("decrypted {} bytes to {}", plaintext.len(), args.out.display());
    output.print(
        &human,
        json!({ "unique_identifier": uid, "out": args.out.display().to_string(), "bytes": plaintext.len() }),
    );
    Ok(())
}
