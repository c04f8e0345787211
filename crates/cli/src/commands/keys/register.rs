//! `keys register`: a key, secret or certificate from a file, handed to the server.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use keyward_kmip::Bytes;
use keyward_kmip::enums::{CertificateType, CryptographicAlgorithm, KeyFormatType, SecretDataType};
use keyward_kmip::objects::{
    Certificate, KeyBlock, KeyMaterial, KeyValue, ManagedObject, PrivateKey, PublicKey, SecretData, SymmetricKey,
};
use rustls::pki_types::pem::SectionKind;

use super::create::{SymmetricAlgorithm, naming, new_object};
use super::usage::{self, Usage};
use crate::commands::client_error::CliError;
use crate::commands::connection::ClientOptions;
use crate::commands::local_files;
use crate::commands::output::Output;
use crate::commands::pem_text;

/// What the file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RegisterType {
    /// A symmetric key, raw bytes.
    Symmetric,
    /// Secret Data (a password or seed), raw bytes.
    Secret,
    PrivateKey,
    PublicKey,
    /// An X.509 certificate.
    Certificate,
}

/// How the file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Raw,
    /// PEM; the block's label says which DER form is inside.
    Pem,
    /// DER: PKCS#8 for a private key, SubjectPublicKeyInfo for a public key, the certificate.
    Der,
    Pkcs1,
    Pkcs8,
    X509,
    Sec1,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// What the file holds.
    #[arg(long = "type", value_enum)]
    object_type: RegisterType,
    /// The file to read.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// The file's format (default: PEM when it looks like PEM; else raw for symmetric keys and
    /// secrets, DER for the others).
    #[arg(long, value_enum)]
    format: Option<InputFormat>,
    /// A symmetric key's algorithm.
    #[arg(long, value_enum, default_value = "aes")]
    algorithm: SymmetricAlgorithm,
    /// A name, unique among this client's objects.
    #[arg(long)]
    name: Option<String>,
    /// An object group.
    #[arg(long)]
    group: Option<String>,
    /// What the object may do, comma-separated (default: encrypt,decrypt for a symmetric key, sign
    /// for a private key, verify for a public key).
    #[arg(long, value_enum, value_delimiter = ',')]
    usage: Vec<Usage>,
    /// Activate the object at once.
    #[arg(long)]
    activate: bool,
}

fn key_block(format: KeyFormatType, material: &[u8], algorithm: Option<CryptographicAlgorithm>) -> KeyBlock {
    let bits = algorithm.map(|_| i32::try_from(material.len() * 8).unwrap_or(i32::MAX));
    KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(Bytes::new(material)),
            attributes: Vec::new(),
        }),
        // The server reads an asymmetric key's algorithm and length from the key itself.
        cryptographic_algorithm: algorithm,
        cryptographic_length: bits,
        key_wrapping_data: None,
    }
}

fn usage(message: &str) -> CliError {
    CliError::Usage(message.to_string())
}

/// The object the file holds, in the format given or guessed.
fn object(args: &RegisterArgs, contents: &[u8]) -> Result<ManagedObject, CliError> {
    let format = args.format.unwrap_or(if pem_text::looks_like_pem(contents) {
        InputFormat::Pem
    } else {
        match args.object_type {
            RegisterType::Symmetric | RegisterType::Secret => InputFormat::Raw,
            _ => InputFormat::Der,
        }
    });
    // A PEM block is decoded to DER and its label stands for the format.
    let decoded;
    let (der, format) = if format == InputFormat::Pem {
        let (kind, der) = pem_text::first_block(contents).ok_or_else(|| usage("no PEM block found in the file"))?;
        decoded = der;
        // The label says what the block is, so it must agree with --type.
        let (holds, format) = match kind {
            SectionKind::PrivateKey => (RegisterType::PrivateKey, InputFormat::Pkcs8),
            SectionKind::RsaPrivateKey => (RegisterType::PrivateKey, InputFormat::Pkcs1),
            SectionKind::EcPrivateKey => (RegisterType::PrivateKey, InputFormat::Sec1),
            SectionKind::PublicKey => (RegisterType::PublicKey, InputFormat::X509),
            SectionKind::Certificate => (RegisterType::Certificate, InputFormat::Der),
            _ => return Err(usage("the PEM block is not a key or a certificate")),
        };
        if holds != args.object_type {
            let name = |t: RegisterType| t.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
            return Err(CliError::Usage(format!(
                "the PEM block holds a {}, not a {} (--type)",
                name(holds),
                name(args.object_type)
            )));
        }
        (&decoded[..], format)
    } else {
        (contents, format)
    };
    let wrong = || usage("that --format does not fit that --type (see keyward keys register --help)");
    Ok(match (args.object_type, format) {
        (RegisterType::Symmetric, InputFormat::Raw) => ManagedObject::SymmetricKey(SymmetricKey {
            key_block: key_block(KeyFormatType::Raw, der, Some(args.algorithm.kmip())),
        }),
        (RegisterType::Secret, InputFormat::Raw) => ManagedObject::SecretData(SecretData {
            secret_data_type: SecretDataType::Password,
            key_block: key_block(KeyFormatType::Opaque, der, None),
        }),
        (RegisterType::Certificate, InputFormat::Der | InputFormat::X509) => ManagedObject::Certificate(Certificate {
            certificate_type: CertificateType::X_509,
            certificate_value: Bytes::new(der),
        }),
        (RegisterType::PrivateKey, InputFormat::Der | InputFormat::Pkcs8 | InputFormat::Pkcs1 | InputFormat::Sec1) => {
            let kmip_format = match format {
                InputFormat::Pkcs1 => KeyFormatType::PKCS_1,
                InputFormat::Sec1 => KeyFormatType::ECPrivateKey,
                _ => KeyFormatType::PKCS_8,
            };
            ManagedObject::PrivateKey(PrivateKey { key_block: key_block(kmip_format, der, None) })
        }
        (RegisterType::PublicKey, InputFormat::Der | InputFormat::X509 | InputFormat::Pkcs1) => {
            let kmip_format = if format == InputFormat::Pkcs1 { KeyFormatType::PKCS_1 } else { KeyFormatType::X_509 };
            ManagedObject::PublicKey(PublicKey { key_block: key_block(kmip_format, der, None) })
        }
        _ => return Err(wrong()),
    })
}

/// A registered key pair half gets no usage mask from the server, which then refuses every use of
/// it: the CLI gives each half the use its kind is for.
fn default_usage(object_type: RegisterType) -> Option<keyward_kmip::attributes::Attribute> {
    match object_type {
        RegisterType::PrivateKey => usage::mask(&[Usage::Sign]),
        RegisterType::PublicKey => usage::mask(&[Usage::Verify]),
        _ => None,
    }
}

pub fn run(options: &ClientOptions, output: Output, args: RegisterArgs) -> Result<(), CliError> {
    let contents = local_files::read(&args.input)?;
    let object = object(&args, &contents)?;
    let mut attributes = naming(&args.name, &args.group);
    attributes.extend(usage::mask(&args.usage).or_else(|| default_usage(args.object_type)));
    new_object(options, output, args.activate, async |session| Ok(session.register(object, attributes).await?))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: RegisterArgs,
    }

    fn args(list: &[&str]) -> RegisterArgs {
        Wrapper::parse_from(std::iter::once("register").chain(list.iter().copied())).args
    }

    #[test]
    fn a_raw_symmetric_key_gets_its_algorithm_and_length() {
        let key = object(&args(&["--type", "symmetric", "--in", "k"]), &[7; 32]).unwrap();
        let block = key.key_block().unwrap();
        assert_eq!(block.key_format_type, KeyFormatType::Raw);
        assert_eq!(block.cryptographic_algorithm, Some(CryptographicAlgorithm::AES));
        assert_eq!(block.cryptographic_length, Some(256));
    }

    #[test]
    fn a_pem_label_names_the_format() {
        let pem = pem_text::encode("RSA PRIVATE KEY", &[1, 2, 3]);
        let key = object(&args(&["--type", "private-key", "--in", "k"]), pem.as_bytes()).unwrap();
        assert_eq!(key.key_block().unwrap().key_format_type, KeyFormatType::PKCS_1);
        let wrong = object(&args(&["--type", "public-key", "--in", "k"]), pem.as_bytes());
        assert!(matches!(wrong, Err(CliError::Usage(_))));
    }
}
