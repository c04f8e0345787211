//! Encrypt, Decrypt, Sign, Signature Verify, MAC and MAC Verify, each in one part. The key stays
//! on the server; only data, IVs, tags, signatures and MACs travel.

use keyward_kmip::Bytes;
use keyward_kmip::attributes::CryptographicParameters;
use keyward_kmip::enums::{Operation, ValidityIndicator};
use keyward_kmip::payloads::decrypt::DecryptRequest;
use keyward_kmip::payloads::encrypt::EncryptRequest;
use keyward_kmip::payloads::mac::MacRequest;
use keyward_kmip::payloads::mac_verify::MacVerifyRequest;
use keyward_kmip::payloads::sign::SignRequest;
use keyward_kmip::payloads::signature_verify::SignatureVerifyRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};

use crate::session::{Session, SessionError, unexpected};

/// The input of Encrypt or Decrypt besides the key and the parameters.
#[derive(Clone, Copy, Debug, Default)]
pub struct CipherInput<'a> {
    /// The plaintext (Encrypt) or the ciphertext (Decrypt).
    pub data: &'a [u8],
    /// The IV, counter or nonce; for Encrypt, absent lets the server make a fresh one.
    pub iv: Option<&'a [u8]>,
    /// Additional authenticated data (GCM, ChaCha20-Poly1305).
    pub aad: Option<&'a [u8]>,
    /// The authentication tag to check (Decrypt only).
    pub tag: Option<&'a [u8]>,
}

/// What Encrypt returns: the ciphertext, the IV the server made (when it made one), and the tag of
/// an authenticated mode.
#[derive(Clone, Debug, PartialEq)]
pub struct Encrypted {
    pub data: Bytes,
    pub iv: Option<Bytes>,
    pub tag: Option<Bytes>,
}

/// Where a request sits in a multi-part operation (KMIP 1.3 and later): the data of a large file
/// goes in several requests, tied by the Correlation Value the first answer returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    /// The first part: the server starts a stream (Init Indicator).
    First,
    /// A later part of the stream with this Correlation Value; `last` ends it (Final Indicator).
    Next { correlation: &'a [u8], last: bool },
}

impl Step<'_> {
    /// The Correlation Value, Init Indicator and Final Indicator of a request.
    fn fields(step: Option<Step<'_>>) -> (Option<Bytes>, Option<bool>, Option<bool>) {
        match step {
            None => (None, None, None),
            Some(Step::First) => (None, Some(true), None),
            Some(Step::Next { correlation, last }) => (Some(Bytes::new(correlation)), None, last.then_some(true)),
        }
    }
}

/// The answer to one part of a streamed verification: the verdict comes with the last part.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyPart {
    pub validity: Option<ValidityIndicator>,
    pub correlation: Option<Bytes>,
}

/// The answer to one part: the output so far (a streamed authenticated decryption gives it all
/// with the last part), the IV the server made and the tag (Encrypt), and the Correlation Value
/// of the stream for the next part.
#[derive(Clone, Debug, PartialEq)]
pub struct PartOutput {
    pub data: Option<Bytes>,
    pub iv: Option<Bytes>,
    pub tag: Option<Bytes>,
    pub correlation: Option<Bytes>,
}

fn bytes(value: Option<&[u8]>) -> Option<Bytes> {
    value.map(Bytes::new)
}

pub fn encrypt_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    input: CipherInput<'_>,
) -> RequestPayload {
    encrypt_part_request(uid, parameters, input, None)
}

/// Encrypt of a whole (`step` None) or of one part of a stream.
pub fn encrypt_part_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    input: CipherInput<'_>,
    step: Option<Step<'_>>,
) -> RequestPayload {
    let (correlation_value, init_indicator, final_indicator) = Step::fields(step);
    RequestPayload::Encrypt(EncryptRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: parameters,
        data: Some(Bytes::new(input.data).into()),
        iv_counter_nonce: bytes(input.iv),
        correlation_value,
        init_indicator,
        final_indicator,
        authenticated_encryption_additional_data: bytes(input.aad),
    })
}

pub fn decrypt_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    input: CipherInput<'_>,
) -> RequestPayload {
    decrypt_part_request(uid, parameters, input, None)
}

/// Decrypt of a whole (`step` None) or of one part of a stream.
pub fn decrypt_part_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    input: CipherInput<'_>,
    step: Option<Step<'_>>,
) -> RequestPayload {
    let (correlation_value, init_indicator, final_indicator) = Step::fields(step);
    RequestPayload::Decrypt(DecryptRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: parameters,
        data: Some(Bytes::new(input.data).into()),
        iv_counter_nonce: bytes(input.iv),
        correlation_value,
        init_indicator,
        final_indicator,
        authenticated_encryption_additional_data: bytes(input.aad),
        authenticated_encryption_tag: bytes(input.tag),
    })
}

pub fn sign_request(uid: &str, parameters: Option<CryptographicParameters>, data: &[u8]) -> RequestPayload {
    sign_part_request(uid, parameters, data, None)
}

/// Sign of a whole (`step` None) or of one part of a stream.
pub fn sign_part_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
    step: Option<Step<'_>>,
) -> RequestPayload {
    let (correlation_value, init_indicator, final_indicator) = Step::fields(step);
    RequestPayload::Sign(SignRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: parameters,
        data: Some(Bytes::new(data).into()),
        digested_data: None,
        correlation_value,
        init_indicator,
        final_indicator,
    })
}

pub fn signature_verify_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
    signature: &[u8],
) -> RequestPayload {
    signature_verify_part_request(uid, parameters, data, Some(signature), None)
}

/// Signature Verify of a whole or of one part; the signature goes with the last part.
pub fn signature_verify_part_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
    signature: Option<&[u8]>,
    step: Option<Step<'_>>,
) -> RequestPayload {
    let (correlation_value, init_indicator, final_indicator) = Step::fields(step);
    RequestPayload::SignatureVerify(SignatureVerifyRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: parameters,
        data: Some(Bytes::new(data).into()),
        digested_data: None,
        signature_data: bytes(signature),
        correlation_value,
        init_indicator,
        final_indicator,
    })
}

pub fn mac_request(uid: &str, parameters: Option<CryptographicParameters>, data: &[u8]) -> RequestPayload {
    mac_part_request(uid, parameters, data, None)
}

/// MAC of a whole or of one part.
pub fn mac_part_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
    step: Option<Step<'_>>,
) -> RequestPayload {
    let (correlation_value, init_indicator, final_indicator) = Step::fields(step);
    RequestPayload::Mac(MacRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: parameters,
        data: Some(Bytes::new(data).into()),
        correlation_value,
        init_indicator,
        final_indicator,
    })
}

pub fn mac_verify_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
    mac: &[u8],
) -> RequestPayload {
    mac_verify_part_request(uid, parameters, data, Some(mac), None)
}

/// MAC Verify of a whole or of one part; the MAC goes with the last part.
pub fn mac_verify_part_request(
    uid: &str,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
    mac: Option<&[u8]>,
    step: Option<Step<'_>>,
) -> RequestPayload {
    let (correlation_value, init_indicator, final_indicator) = Step::fields(step);
    RequestPayload::MacVerify(MacVerifyRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: parameters,
        data: Some(Bytes::new(data).into()),
        mac_data: bytes(mac),
        correlation_value,
        init_indicator,
        final_indicator,
    })
}

/// A single-part answer must carry its output; KMIP makes it optional only for streamed parts.
fn required(value: Option<Bytes>, operation: Operation, field: &str) -> Result<Bytes, SessionError> {
    value.ok_or_else(|| {
        SessionError::Unexpected(format!("{} answered without {field}", crate::session::enum_name(operation)))
    })
}

impl Session {
    pub async fn encrypt(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        input: CipherInput<'_>,
    ) -> Result<Encrypted, SessionError> {
        match self.call(encrypt_request(uid, parameters, input)).await? {
            ResponsePayload::Encrypt(response) => Ok(Encrypted {
                data: required(response.data, Operation::Encrypt, "Data")?,
                iv: response.iv_counter_nonce,
                tag: response.authenticated_encryption_tag,
            }),
            _ => Err(unexpected(Operation::Encrypt)),
        }
    }

    /// One part of a streamed encryption.
    pub async fn encrypt_part(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        input: CipherInput<'_>,
        step: Step<'_>,
    ) -> Result<PartOutput, SessionError> {
        match self.call(encrypt_part_request(uid, parameters, input, Some(step))).await? {
            ResponsePayload::Encrypt(response) => Ok(PartOutput {
                data: response.data,
                iv: response.iv_counter_nonce,
                tag: response.authenticated_encryption_tag,
                correlation: response.correlation_value,
            }),
            _ => Err(unexpected(Operation::Encrypt)),
        }
    }

    /// One part of a streamed decryption.
    pub async fn decrypt_part(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        input: CipherInput<'_>,
        step: Step<'_>,
    ) -> Result<PartOutput, SessionError> {
        match self.call(decrypt_part_request(uid, parameters, input, Some(step))).await? {
            ResponsePayload::Decrypt(response) => {
                Ok(PartOutput { data: response.data, iv: None, tag: None, correlation: response.correlation_value })
            }
            _ => Err(unexpected(Operation::Decrypt)),
        }
    }

    /// One part of a streamed signature: the signature comes with the last part.
    pub async fn sign_part(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        data: &[u8],
        step: Step<'_>,
    ) -> Result<PartOutput, SessionError> {
        match self.call(sign_part_request(uid, parameters, data, Some(step))).await? {
            ResponsePayload::Sign(response) => Ok(PartOutput {
                data: response.signature_data,
                iv: None,
                tag: None,
                correlation: response.correlation_value,
            }),
            _ => Err(unexpected(Operation::Sign)),
        }
    }

    /// One part of a streamed Signature Verify; give the signature with the last part.
    pub async fn signature_verify_part(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        data: &[u8],
        signature: Option<&[u8]>,
        step: Step<'_>,
    ) -> Result<VerifyPart, SessionError> {
        match self.call(signature_verify_part_request(uid, parameters, data, signature, Some(step))).await? {
            ResponsePayload::SignatureVerify(response) => {
                Ok(VerifyPart { validity: response.validity_indicator, correlation: response.correlation_value })
            }
            _ => Err(unexpected(Operation::SignatureVerify)),
        }
    }

    /// One part of a streamed MAC: the MAC comes with the last part.
    pub async fn mac_part(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        data: &[u8],
        step: Step<'_>,
    ) -> Result<PartOutput, SessionError> {
        match self.call(mac_part_request(uid, parameters, data, Some(step))).await? {
            ResponsePayload::Mac(response) => {
                Ok(PartOutput { data: response.mac_data, iv: None, tag: None, correlation: response.correlation_value })
            }
            _ => Err(unexpected(Operation::MAC)),
        }
    }

    /// One part of a streamed MAC Verify; give the MAC with the last part.
    pub async fn mac_verify_part(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        data: &[u8],
        mac: Option<&[u8]>,
        step: Step<'_>,
    ) -> Result<VerifyPart, SessionError> {
        match self.call(mac_verify_part_request(uid, parameters, data, mac, Some(step))).await? {
            ResponsePayload::MacVerify(response) => {
                Ok(VerifyPart { validity: response.validity_indicator, correlation: response.correlation_value })
            }
            _ => Err(unexpected(Operation::MACVerify)),
        }
    }

    /// The plaintext (zeroized when dropped).
    pub async fn decrypt(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        input: CipherInput<'_>,
    ) -> Result<Bytes, SessionError> {
        match self.call(decrypt_request(uid, parameters, input)).await? {
            ResponsePayload::Decrypt(response) => required(response.data, Operation::Decrypt, "Data"),
            _ => Err(unexpected(Operation::Decrypt)),
        }
    }

    pub async fn sign(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        data: &[u8],
    ) -> Result<Bytes, SessionError> {
        match self.call(sign_request(uid, parameters, data)).await? {
            ResponsePayload::Sign(response) => required(response.signature_data, Operation::Sign, "Signature Data"),
            _ => Err(unexpected(Operation::Sign)),
        }
    }

    /// Whether the signature is valid: `Valid`, `Invalid`, or `Unknown` when the server cannot
    /// tell. A signature that does not verify is an answer, not an error.
    pub async fn signature_verify(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        data: &[u8],
        signature: &[u8],
    ) -> Result<ValidityIndicator, SessionError> {
        match self.call(signature_verify_request(uid, parameters, data, signature)).await? {
            ResponsePayload::SignatureVerify(response) => response.validity_indicator.ok_or_else(|| {
                SessionError::Unexpected("Signature Verify answered without a Validity Indicator".into())
            }),
            _ => Err(unexpected(Operation::SignatureVerify)),
        }
    }

    pub async fn mac(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        data: &[u8],
    ) -> Result<Bytes, SessionError> {
        match self.call(mac_request(uid, parameters, data)).await? {
            ResponsePayload::Mac(response) => required(response.mac_data, Operation::MAC, "MAC Data"),
            _ => Err(unexpected(Operation::MAC)),
        }
    }

    /// Whether the MAC is valid (see [`Session::signature_verify`]).
    pub async fn mac_verify(
        &mut self,
        uid: &str,
        parameters: Option<CryptographicParameters>,
        data: &[u8],
        mac: &[u8],
    ) -> Result<ValidityIndicator, SessionError> {
        match self.call(mac_verify_request(uid, parameters, data, mac)).await? {
            ResponsePayload::MacVerify(response) => response
                .validity_indicator
                .ok_or_else(|| SessionError::Unexpected("MAC Verify answered without a Validity Indicator".into())),
            _ => Err(unexpected(Operation::MACVerify)),
        }
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::enums::BlockCipherMode;

    use super::*;

    #[test]
    fn encrypt_lets_the_server_make_the_iv_unless_one_is_given() {
        let gcm = CryptographicParameters { block_cipher_mode: Some(BlockCipherMode::GCM), ..Default::default() };
        let input = CipherInput { data: b"plain", aad: Some(b"header"), ..CipherInput::default() };
        let RequestPayload::Encrypt(request) = encrypt_request("key-1", Some(gcm), input) else { panic!() };
        assert_eq!(request.iv_counter_nonce, None);
        assert_eq!(request.data.as_ref().and_then(|d| d.as_bytes()), Some(&b"plain"[..]));
        assert_eq!(request.authenticated_encryption_additional_data, Some(Bytes::new(*b"header")));
    }

    #[test]
    fn decrypt_carries_the_iv_and_the_tag() {
        let input = CipherInput { data: b"secret", iv: Some(&[1; 12]), aad: None, tag: Some(&[2; 16]) };
        let RequestPayload::Decrypt(request) = decrypt_request("key-1", None, input) else { panic!() };
        assert_eq!(request.iv_counter_nonce, Some(Bytes::new([1; 12])));
        assert_eq!(request.authenticated_encryption_tag, Some(Bytes::new([2; 16])));
    }

    #[test]
    fn parts_carry_their_indicators_and_correlation_value() {
        let input = CipherInput { data: b"part", ..CipherInput::default() };
        let RequestPayload::Encrypt(first) = encrypt_part_request("k", None, input, Some(Step::First)) else {
            panic!()
        };
        assert_eq!((first.init_indicator, first.final_indicator, first.correlation_value), (Some(true), None, None));
        let last = Step::Next { correlation: b"c-1", last: true };
        let RequestPayload::Decrypt(last) = decrypt_part_request("k", None, input, Some(last)) else { panic!() };
        assert_eq!((last.init_indicator, last.final_indicator), (None, Some(true)));
        assert_eq!(last.correlation_value, Some(Bytes::new(*b"c-1")));
        let RequestPayload::Encrypt(whole) = encrypt_request("k", None, input) else { panic!() };
        assert_eq!((whole.init_indicator, whole.final_indicator, whole.correlation_value), (None, None, None));
    }

    #[test]
    fn verification_requests_carry_what_is_checked() {
        let RequestPayload::SignatureVerify(request) = signature_verify_request("pub-1", None, b"data", b"sig") else {
            panic!()
        };
        assert_eq!(request.signature_data, Some(Bytes::new(*b"sig")));
        let RequestPayload::MacVerify(request) = mac_verify_request("mac-1", None, b"data", b"mac") else { panic!() };
        assert_eq!(request.mac_data, Some(Bytes::new(*b"mac")));
    }
}
