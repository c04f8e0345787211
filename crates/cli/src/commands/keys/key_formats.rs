//! Key formats on the command line: which KMIP Key Format Type a `--format` asks the server for,
//! and the bytes a managed object hands out.

use clap::ValueEnum;
use keyward_kmip::enums::{KeyFormatType, ObjectType};
use keyward_kmip::objects::{KeyMaterial, KeyValue, ManagedObject};

use crate::commands::client_error::CliError;

/// The formats of `keys get --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GetFormat {
    /// Raw bytes (symmetric keys, Curve25519 keys).
    Raw,
    /// PKCS#1 DER (RSA keys).
    Pkcs1,
    /// PKCS#8 DER (private keys).
    Pkcs8,
    /// X.509 SubjectPublicKeyInfo DER (public keys).
    X509,
    /// SEC 1 ECPrivateKey DER (EC private keys).
    Sec1,
    /// PEM: PKCS#8 for a private key, SubjectPublicKeyInfo for a public key, or the certificate.
    Pem,
}

impl GetFormat {
    /// The format to ask the server for, for an object of this type; PEM is DER the CLI armours.
    pub fn requested(self, object_type: Option<ObjectType>) -> Result<Option<KeyFormatType>, CliError> {
        Ok(Some(match self {
            GetFormat::Raw => KeyFormatType::Raw,
            GetFormat::Pkcs1 => KeyFormatType::PKCS_1,
            GetFormat::Pkcs8 => KeyFormatType::PKCS_8,
            GetFormat::X509 => KeyFormatType::X_509,
            GetFormat::Sec1 => KeyFormatType::ECPrivateKey,
            GetFormat::Pem => match object_type {
                Some(ObjectType::PrivateKey) => KeyFormatType::PKCS_8,
                Some(ObjectType::PublicKey) => KeyFormatType::X_509,
                Some(ObjectType::Certificate) => return Ok(None),
                _ => return Err(pem_refused()),
            },
        }))
    }

    /// The PEM label of an object of this type.
    pub fn pem_label(object_type: ObjectType) -> Result<&'static str, CliError> {
        match object_type {
            ObjectType::PrivateKey => Ok("PRIVATE KEY"),
            ObjectType::PublicKey => Ok("PUBLIC KEY"),
            ObjectType::Certificate => Ok("CERTIFICATE"),
            _ => Err(pem_refused()),
        }
    }
}

fn pem_refused() -> CliError {
    CliError::Usage("--format pem is for private keys, public keys and certificates; use --format raw".into())
}

/// The bytes an object hands out: its key material, certificate or opaque value.
pub fn object_bytes(object: &ManagedObject) -> Result<&[u8], CliError> {
    match object {
        ManagedObject::Certificate(certificate) => Ok(certificate.certificate_value.as_slice()),
        ManagedObject::OpaqueObject(opaque) => Ok(opaque.opaque_data_value.as_slice()),
        ManagedObject::CertificateRequest(request) => Ok(request.certificate_request_value.as_slice()),
        other => match other.key_block().and_then(|block| block.key_value.as_ref()) {
            Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(bytes), .. }) => Ok(bytes.as_slice()),
            Some(KeyValue::Wrapped(bytes)) => Ok(bytes.as_slice()),
            Some(KeyValue::Plain { key_material: KeyMaterial::Structure(_), .. }) => Err(CliError::Usage(
                "the key is held in a Transparent format, which this command does not write; ask for --format raw, \
                 pkcs1, pkcs8 or x509"
                    .into(),
            )),
            None => Err(CliError::Usage("the object carries no key value (it may have been destroyed)".into())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_asks_for_the_der_form_of_each_object_type() {
        assert_eq!(GetFormat::Pem.requested(Some(ObjectType::PrivateKey)).unwrap(), Some(KeyFormatType::PKCS_8));
        assert_eq!(GetFormat::Pem.requested(Some(ObjectType::PublicKey)).unwrap(), Some(KeyFormatType::X_509));
        assert_eq!(GetFormat::Pem.requested(Some(ObjectType::Certificate)).unwrap(), None);
        assert!(GetFormat::Pem.requested(Some(ObjectType::SymmetricKey)).is_err());
        assert_eq!(GetFormat::Raw.requested(None).unwrap(), Some(KeyFormatType::Raw));
    }
}
