//! The derivation methods of Derive Key (2.1 §6.1.14, §7.12; 1.4 §4.6), over keyward-crypto's
//! KDFs:
//!
//! | method | key | data | PRF / hash (Cryptographic Parameters) |
//! | --- | --- | --- | --- |
//! | PBKDF2 | the password | (unused) | HMAC over the Hashing Algorithm, SHA-1 by default (PKCS#5) |
//! | HKDF | the input key material | the info | the Hashing Algorithm, SHA-256 by default (2.1 §7.12) |
//! | NIST800-108-C | the key | Label ‖ 0x00 ‖ Context: the whole fixed input, as given | HMAC over the Hashing Algorithm, else the key's HMAC algorithm |
//! | HMAC | the key | the message | the key's HMAC algorithm (parameters ignored, §7.12), else the Hashing Algorithm |
//! | HASH | (unused when data is given) | hashed, else the key is | the Hashing Algorithm, required |
//! | AWS Signature Version 4 | the secret access key | Date, Region, Service | HMAC-SHA256 |
//!
//! A derived value longer than the method produces (HMAC, HASH) is refused, as 1.4 §4.6 requires.
//! ENCRYPT and the feedback and double-pipeline modes of SP 800-108 are not offered.

use keyward_crypto::hash::HashAlgorithm;
use keyward_crypto::kdf;
use keyward_crypto::mac::{MacAlgorithm, mac};
use keyward_kmip::attributes::CryptographicParameters;
use keyward_kmip::enums::{CryptographicAlgorithm, DerivationMethod};
use zeroize::Zeroizing;

use super::{failure, mapping};
use crate::error::{OpError, OpResult};

/// What a derivation works on.
pub struct Inputs<'a> {
    /// The value of the first object named: a key or a secret.
    pub key: &'a [u8],
    /// The algorithm of that object, for the methods whose PRF it names.
    pub key_algorithm: Option<CryptographicAlgorithm>,
    /// The Derivation Data (several for AWS Signature Version 4), or a Secret Data object's value.
    pub data: Vec<Zeroizing<Vec<u8>>>,
    pub parameters: CryptographicParameters,
    pub salt: Option<&'a [u8]>,
    pub iteration_count: Option<i32>,
}

impl Inputs<'_> {
    fn one_data(&self, method: DerivationMethod) -> OpResult<Option<&[u8]>> {
        match self.data.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => Err(OpError::InvalidField(format!("{method:?} takes one Derivation Data"))),
        }
    }

    fn required_data(&self, method: DerivationMethod) -> OpResult<&[u8]> {
        self.one_data(method)?.ok_or_else(|| OpError::MissingData(format!("{method:?} needs Derivation Data")))
    }

    fn named_hash(&self) -> OpResult<Option<HashAlgorithm>> {
        self.parameters.hashing_algorithm.map(mapping::hash_algorithm).transpose()
    }

    /// The hash of an HMAC PRF: the parameters' Hashing Algorithm, else the key's algorithm.
    fn prf_hash(&self, method: DerivationMethod) -> OpResult<HashAlgorithm> {
        let from_key = self.key_algorithm.and_then(mapping::hmac_hash);
        self.named_hash()?
            .or(from_key)
            .ok_or_else(|| OpError::MissingData(format!("{method:?} needs a Hashing Algorithm or an HMAC key")))
    }
}

/// Derives `length` bytes by `method`.
pub fn derive(method: DerivationMethod, inputs: &Inputs<'_>, length: usize) -> OpResult<Zeroizing<Vec<u8>>> {
    match method {
        DerivationMethod::PBKDF2 => {
            let salt = inputs.salt.ok_or_else(|| OpError::MissingData("PBKDF2 needs a Salt".into()))?;
            let iterations = inputs
                .iteration_count
                .and_then(|c| u32::try_from(c).ok())
                .filter(|c| *c > 0)
                .ok_or_else(|| OpError::InvalidField("PBKDF2 needs a positive Iteration Count".into()))?;
            let prf = inputs.named_hash()?.unwrap_or(HashAlgorithm::Sha1);
            kdf::pbkdf2(prf, inputs.key, salt, iterations, length).map_err(failure)
        }
        DerivationMethod::HKDF => {
            let hash = inputs.named_hash()?.unwrap_or(HashAlgorithm::Sha256);
            let info = inputs.one_data(method)?.unwrap_or_default();
            kdf::hkdf(hash, inputs.key, inputs.salt.unwrap_or_default(), info, length).map_err(failure)
        }
        DerivationMethod::NIST800_108_C => {
            let fixed = inputs.required_data(method)?;
            kdf::sp800_108_counter_hmac_fixed(inputs.prf_hash(method)?, inputs.key, fixed, length).map_err(failure)
        }
        DerivationMethod::HMAC => {
            // §7.12: with HMAC the key's own attributes name the PRF.
            let from_key = inputs.key_algorithm.and_then(mapping::hmac_hash);
            let hash = match from_key {
                Some(hash) => hash,
                None => inputs.prf_hash(method)?,
            };
            let tag = mac(MacAlgorithm::Hmac(hash), inputs.key, inputs.required_data(method)?).map_err(failure)?;
            truncated(Zeroizing::new(tag), length, method)
        }
        DerivationMethod::HASH => {
            let hash = inputs
                .named_hash()?
                .ok_or_else(|| OpError::MissingData("HASH derivation needs a Hashing Algorithm".into()))?;
            let input = inputs.one_data(method)?.unwrap_or(inputs.key);
            truncated(kdf::derive_by_hash(hash, input), length, method)
        }
        DerivationMethod::AWSSignatureVersion4 => truncated(aws_signing_key(inputs)?, length, method),
        other => Err(OpError::FeatureNotSupported(format!("the derivation method {other:?}"))),
    }
}

fn truncated(mut output: Zeroizing<Vec<u8>>, length: usize, method: DerivationMethod) -> OpResult<Zeroizing<Vec<u8>>> {
    if length > output.len() {
        return Err(OpError::InvalidField(format!("{method:?} gives at most {} bytes", output.len())));
    }
    output.truncate(length);
    Ok(output)
}

/// The signing key of AWS Signature Version 4: HMAC-SHA256 chained over the Date, Region and
/// Service from "AWS4" and the secret, then over "aws4_request".
fn aws_signing_key(inputs: &Inputs<'_>) -> OpResult<Zeroizing<Vec<u8>>> {
    let [date, region, service] = inputs.data.as_slice() else {
        return Err(OpError::InvalidField("AWS Signature Version 4 takes the Date, Region and Service".into()));
    };
    let hmac = |key: &[u8], data: &[u8]| mac(MacAlgorithm::Hmac(HashAlgorithm::Sha256), key, data).map(Zeroizing::new);
    let mut secret = Zeroizing::new(b"AWS4".to_vec());
    secret.extend_from_slice(inputs.key);
    let mut key = hmac(&secret, date).map_err(failure)?;
    for step in [region.as_slice(), service.as_slice(), b"aws4_request".as_slice()] {
        key = hmac(&key, step).map_err(failure)?;
    }
    Ok(key)
}
