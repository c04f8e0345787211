//! `keyward encrypt` and `keyward decrypt`: a file through the server's Encrypt or Decrypt with a
//! symmetric key. A file of up to [`PART_SIZE`] bytes goes in one request; a larger one in parts
//! of that size (KMIP 1.3 streaming), read and written as it goes.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use keyward_client::{CipherInput, SessionError, Step};
use keyward_kmip::Bytes;
use keyward_kmip::attributes::CryptographicParameters;
use keyward_kmip::enums::{BlockCipherMode, PaddingMethod};
use serde_json::json;

use super::chunks::{self, Chunks, PART_SIZE, no_correlation, streamed};
use super::container::{Header, MAX_HEADER};
use super::pending_file::PendingFile;
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

/// Where `encrypt` writes: the KWE1 file (header first, the tag filled in at the end), or the raw
/// ciphertext with the IV in a file of its own and the tag appended.
struct Sink {
    out: PendingFile,
    iv_file: Option<PathBuf>,
    mode: Mode,
    tag_offset: Option<u64>,
}

impl Sink {
    fn tag_len(&self) -> usize {
        if self.mode == Mode::Gcm { GCM_TAG_LENGTH } else { 0 }
    }

    /// Called once the IV is known, before any ciphertext.
    fn start(&mut self, iv: Option<&Bytes>) -> Result<(), CliError> {
        let iv = iv.map(|iv| iv.as_slice().to_vec()).unwrap_or_default();
        match &self.iv_file {
            Some(path) => local_files::write(path, &iv, Exposure::Public),
            None => {
                let header = Header { mode: self.mode, iv, tag: vec![0; self.tag_len()] };
                self.tag_offset = Some(header.tag_offset());
                let bytes = header.to_bytes().map_err(|e| CliError::Usage(e.to_string()))?;
                self.out.append(&bytes)
            }
        }
    }

    fn finish(mut self, tag: Option<Bytes>) -> Result<(), CliError> {
        let tag = tag.map(|tag| tag.as_slice().to_vec()).unwrap_or_default();
        if tag.len() != self.tag_len() {
            let message = format!("the server returned a tag of {} bytes, not {}", tag.len(), self.tag_len());
            return Err(CliError::from(SessionError::Unexpected(message)));
        }
        match self.tag_offset {
            Some(offset) => self.out.patch(offset, &tag)?,
            None => self.out.append(&tag)?,
        }
        self.out.commit()
    }
}

pub fn encrypt(options: &ClientOptions, output: Output, args: CipherArgs) -> Result<(), CliError> {
    let mode = args.mode.unwrap_or(Mode::Gcm);
    let (file, size) = chunks::open(&args.input)?;
    let aad = args.aad.as_deref().map(local_files::read).transpose()?;
    let out = PendingFile::create(&args.out, Exposure::Public)?;
    let mut sink = Sink { out, iv_file: args.iv_file.clone(), mode, tag_offset: None };
    let uid = args.key;
    let tag = with_session(options, async |session| {
        let fail = |error| CliError::from_session(error, Some(&uid));
        let parameters = Some(mode.parameters());
        let aad = aad.as_deref().map(|aad| &aad[..]);
        let mut chunks = Chunks::new(file, &args.input, size);
        if !streamed(session, size) {
            let data = chunks.next(usize::MAX)?;
            let input = CipherInput { data: &data, aad, ..CipherInput::default() };
            let sealed = session.encrypt(&uid, parameters, input).await.map_err(fail)?;
            sink.start(sealed.iv.as_ref())?;
            sink.out.append(sealed.data.as_slice())?;
            return Ok(sealed.tag);
        }
        let first = chunks.next(PART_SIZE)?;
        let input = CipherInput { data: &first, aad, ..CipherInput::default() };
        let mut part = session.encrypt_part(&uid, parameters.clone(), input, Step::First).await.map_err(fail)?;
        sink.start(part.iv.as_ref())?;
        loop {
            if let Some(data) = &part.data {
                sink.out.append(data.as_slice())?;
            }
            if chunks.remaining() == 0 {
                return Ok(part.tag);
            }
            let correlation = part.correlation.take().ok_or_else(no_correlation)?;
            let data = chunks.next(PART_SIZE)?;
            let step = Step::Next { correlation: correlation.as_slice(), last: chunks.remaining() == 0 };
            let input = CipherInput { data: &data, ..CipherInput::default() };
            part = session.encrypt_part(&uid, parameters.clone(), input, step).await.map_err(fail)?;
        }
    })?;
    sink.finish(tag)?;
    let form = if args.iv_file.is_some() { "raw" } else { "kwe1" };
    let human = format!("encrypted {size} bytes to {}", args.out.display());
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

/// What `decrypt` reads before the ciphertext: the mode, IV and tag, and how many ciphertext
/// bytes follow. Leaves the file at the first ciphertext byte.
struct Source {
    mode: Mode,
    iv: Vec<u8>,
    tag: Vec<u8>,
    len: u64,
}

impl Source {
    fn read(file: &mut File, size: u64, args: &CipherArgs) -> Result<Source, CliError> {
        let failed = |error| CliError::io(&args.input, error);
        match &args.iv_file {
            // Raw: the IV apart, and GCM's tag in the last bytes.
            Some(iv_file) => {
                let mode = args.mode.unwrap_or(Mode::Gcm);
                let iv = local_files::read(iv_file)?.to_vec();
                let tag_len = if mode == Mode::Gcm { GCM_TAG_LENGTH } else { 0 };
                let len = size
                    .checked_sub(tag_len as u64)
                    .ok_or_else(|| CliError::Usage("the input is shorter than a GCM tag".into()))?;
                let mut tag = vec![0; tag_len];
                file.seek(SeekFrom::Start(len)).map_err(failed)?;
                file.read_exact(&mut tag).map_err(failed)?;
                file.seek(SeekFrom::Start(0)).map_err(failed)?;
                Ok(Source { mode, iv, tag, len })
            }
            None => {
                let mut head = Vec::new();
                file.by_ref().take(MAX_HEADER as u64).read_to_end(&mut head).map_err(failed)?;
                let (header, header_len) = Header::parse(&head).map_err(|e| CliError::Usage(e.to_string()))?;
                if let Some(mode) = args.mode.filter(|mode| *mode != header.mode) {
                    let message = format!("the file was encrypted with {:?}, not {mode:?}", header.mode);
                    return Err(CliError::Usage(message));
                }
                file.seek(SeekFrom::Start(header_len as u64)).map_err(failed)?;
                Ok(Source { mode: header.mode, iv: header.iv, tag: header.tag, len: size - header_len as u64 })
            }
        }
    }
}

pub fn decrypt(options: &ClientOptions, output: Output, args: CipherArgs) -> Result<(), CliError> {
    let (mut file, size) = chunks::open(&args.input)?;
    let source = Source::read(&mut file, size, &args)?;
    let aad = args.aad.as_deref().map(local_files::read).transpose()?;
    let mut out = PendingFile::create(&args.out, Exposure::Secret)?;
    let uid = args.key;
    let written = with_session(options, async |session| {
        let fail = |error| CliError::from_session(error, Some(&uid));
        let parameters = Some(source.mode.parameters());
        let iv = (!source.iv.is_empty()).then_some(&source.iv[..]);
        let tag = (!source.tag.is_empty()).then_some(&source.tag[..]);
        let aad = aad.as_deref().map(|aad| &aad[..]);
        let mut chunks = Chunks::new(file, &args.input, source.len);
        if !streamed(session, source.len) {
            let data = chunks.next(usize::MAX)?;
            let input = CipherInput { data: &data, iv, aad, tag };
            let plaintext = session.decrypt(&uid, parameters, input).await.map_err(fail)?;
            out.append(plaintext.as_slice())?;
            return Ok(plaintext.as_slice().len() as u64);
        }
        let first = chunks.next(PART_SIZE)?;
        let input = CipherInput { data: &first, iv, aad, tag: None };
        let mut part = session.decrypt_part(&uid, parameters.clone(), input, Step::First).await.map_err(fail)?;
        let mut written = 0;
        loop {
            // An authenticated mode gives the whole plaintext with the last part, once the tag
            // is checked; the others give each part's plaintext as it comes.
            if let Some(data) = &part.data {
                out.append(data.as_slice())?;
                written += data.as_slice().len() as u64;
            }
            if chunks.remaining() == 0 {
                return Ok(written);
            }
            let correlation = part.correlation.take().ok_or_else(no_correlation)?;
            let data = chunks.next(PART_SIZE)?;
            let last = chunks.remaining() == 0;
            let input = CipherInput { data: &data, tag: if last { tag } else { None }, ..CipherInput::default() };
            let step = Step::Next { correlation: correlation.as_slice(), last };
            part = session.decrypt_part(&uid, parameters.clone(), input, step).await.map_err(fail)?;
        }
    })?;
    out.commit()?;
    let human = format!("decrypted {written} bytes to {}", args.out.display());
    output.print(&human, json!({ "unique_identifier": uid, "out": args.out.display().to_string(), "bytes": written }));
    Ok(())
}
