//! Encrypt (2.1 §6.1.17, 1.4 §4.29): data encrypted under a symmetric key (AES in ECB, CBC, CTR,
//! CFB, OFB, XTS or GCM, Triple DES, ChaCha20, ChaCha20-Poly1305) or an RSA public key (OAEP,
//! PKCS#1 v1.5), in one request or, for symmetric keys, in several (1.3 and later).
//!
//! The IV is the client's, or the server's when the parameters ask for a Random IV or the mode
//! needs one and none was given; a server IV is returned in the response. Authenticated modes
//! return their tag with the last part; they need KMIP 1.4, which added the tag to the protocol.

use keyward_crypto::asymmetric::{self, PublicKey};
use keyward_crypto::symmetric::{self, CipherStream, Direction};
use keyward_kmip::Bytes;
use keyward_kmip::enums::{Data as DataKind, ObjectType};
use keyward_kmip::payloads::encrypt::{EncryptRequest, EncryptResponse};

use crate::context::Context;
use crate::crypto::aead::{self, AeadSetup, SealingStream};
use crate::crypto::key_use::{self, KeyInUse, Usage};
use crate::crypto::material::{public_key_spki, symmetric_key};
use crate::crypto::multipart::{self, Part, StreamSetup};
use crate::crypto::parameters::effective;
use crate::crypto::{failure, mapping};
use crate::error::{OpError, OpResult};
use crate::usage::Use;

pub(crate) fn run(cx: &mut Context<'_>, request: &EncryptRequest) -> OpResult<EncryptResponse> {
    let part = Part::of(request.init_indicator, request.final_indicator, request.correlation_value.as_ref())?;
    if part.continues() {
        return continue_stream(cx, request, part);
    }
    let given = request.cryptographic_parameters.as_ref();
    let mut key = KeyInUse::load(cx, request.unique_identifier.as_ref(), given, Use::ENCRYPT)?;
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    key_use::allocate(cx, &mut key, Use::ENCRYPT, Usage { bytes: data.len(), starts: true })?;
    cx.set_placeholder(Some(key.uid().to_string()));
    match key.object()?.object_type() {
        ObjectType::SymmetricKey => start_symmetric(cx, &key, request, part, &data),
        ObjectType::PublicKey | ObjectType::Certificate if part == Part::Whole => {
            let public = PublicKey::from_spki(&public_key_spki(key.object()?)?).map_err(failure)?;
            let padding = mapping::rsa_encryption_padding(&key.parameters)?;
            let ciphertext = asymmetric::rsa_encrypt(&public, padding, &data).map_err(failure)?;
            Ok(response(cx, key.uid(), ciphertext))
        }
        ObjectType::PublicKey | ObjectType::Certificate => {
            Err(OpError::FeatureNotSupported("RSA encryption takes its data in one part".into()))
        }
        other => Err(OpError::IllegalOperation(format!("a {other:?} does not encrypt"))),
    }
}

/// A whole symmetric encryption, or the first part of one.
fn start_symmetric(
    cx: &mut Context<'_>,
    key: &KeyInUse,
    request: &EncryptRequest,
    part: Part,
    data: &[u8],
) -> OpResult<EncryptResponse> {
    let secret = symmetric_key(key.object()?)?;
    let parameters = &key.parameters;
    let cipher = mapping::symmetric_cipher(parameters)?;
    let given_iv = request.iv_counter_nonce.as_ref().map(Bytes::as_slice);
    let (iv, generated) = mapping::encryption_iv(cipher, given_iv, parameters)?;
    let run_iv = mapping::cipher_iv(cipher, &iv, parameters)?;
    let aad = request.authenticated_encryption_additional_data.as_ref().map_or(&[][..], Bytes::as_slice);
    let mut response = if cipher.is_aead() {
        aead::needs_tag_field(cx.version)?;
        let setup = AeadSetup { cipher, tag_len: mapping::tag_length(parameters)?, key: &secret, iv: &run_iv, aad };
        if part == Part::Whole {
            let (ciphertext, tag) = aead::seal(setup, data)?;
            EncryptResponse {
                authenticated_encryption_tag: Some(Bytes::new(tag)),
                ..response(cx, key.uid(), ciphertext)
            }
        } else {
            let mut stream = SealingStream::new(setup)?;
            let ciphertext = stream.update(data)?;
            let sealing = Sealing::Authenticated(Box::new(stream));
            first_part(
                cx,
                key,
                &part,
                StreamSetup { parameters: parameters.clone(), iv: iv.clone() },
                sealing,
                ciphertext,
            )?
        }
    } else if part == Part::Whole {
        let ciphertext = symmetric::encrypt(cipher, &secret, &run_iv, aad, data).map_err(failure)?.ciphertext;
        response(cx, key.uid(), ciphertext)
    } else {
        let mut stream = CipherStream::new(Direction::Encrypt, cipher, &secret, &run_iv, aad).map_err(failure)?;
        let ciphertext = stream.update(data).map_err(failure)?.to_vec();
        let setup = StreamSetup { parameters: parameters.clone(), iv: iv.clone() };
        first_part(cx, key, &part, setup, Sealing::Plain(Box::new(stream)), ciphertext)?
    };
    response.iv_counter_nonce = generated.then(|| Bytes::new(iv));
    Ok(response)
}

/// The answer to a first part: its ciphertext (if any) and the Correlation Value of the stream.
fn first_part(
    cx: &mut Context<'_>,
    key: &KeyInUse,
    part: &Part,
    setup: StreamSetup,
    sealing: Sealing,
    ciphertext: Vec<u8>,
) -> OpResult<EncryptResponse> {
    let buffered = sealing.buffered();
    let stream = EncryptStream { key: key.uid().to_string(), setup, sealing };
    let correlation = multipart::keep_buffered(cx, part, stream, buffered)?;
    Ok(EncryptResponse { correlation_value: Some(correlation), ..part_response(cx, key.uid(), part, ciphertext) })
}

/// A part after the first.
fn continue_stream(cx: &mut Context<'_>, request: &EncryptRequest, part: Part) -> OpResult<EncryptResponse> {
    let mut stream = multipart::take::<EncryptStream>(cx, &part)?;
    let reference = multipart::stream_key(cx, request.unique_identifier.as_ref(), &stream.key)?;
    let mut key = KeyInUse::load(cx, Some(&reference), None, Use::ENCRYPT)?;
    let repeated = request.cryptographic_parameters.as_ref().map(|given| effective(Some(given), &key.stored));
    multipart::check_continuation(
        &stream.setup,
        repeated.as_ref(),
        request.iv_counter_nonce.as_ref(),
        request.authenticated_encryption_additional_data.as_ref(),
    )?;
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    key_use::allocate(cx, &mut key, Use::ENCRYPT, Usage { bytes: data.len(), starts: false })?;
    cx.set_placeholder(Some(key.uid().to_string()));
    if part.ends() {
        let (ciphertext, tag) = stream.sealing.finish(&data)?;
        let response = part_response(cx, key.uid(), &part, ciphertext);
        Ok(EncryptResponse { authenticated_encryption_tag: tag.map(Bytes::new), ..response })
    } else {
        let ciphertext = stream.sealing.update(&data)?;
        let buffered = stream.sealing.buffered();
        let correlation = multipart::keep_buffered(cx, &part, *stream, buffered)?;
        Ok(EncryptResponse { correlation_value: Some(correlation), ..part_response(cx, key.uid(), &part, ciphertext) })
    }
}

fn response(cx: &mut Context<'_>, uid: &str, ciphertext: Vec<u8>) -> EncryptResponse {
    EncryptResponse {
        unique_identifier: uid.to_string(),
        data: cx.data_output(DataKind::Encrypt, ciphertext),
        iv_counter_nonce: None,
        correlation_value: None,
        authenticated_encryption_tag: None,
    }
}

/// The response to a part of a stream: Data only when the part produced some (see
/// `multipart::part_output`).
fn part_response(cx: &mut Context<'_>, uid: &str, part: &Part, ciphertext: Vec<u8>) -> EncryptResponse {
    let whole = response(cx, uid, ciphertext);
    EncryptResponse { data: multipart::part_output(part, whole.data.clone()), ..whole }
}

/// An encryption waiting for its next part.
struct EncryptStream {
    key: String,
    setup: StreamSetup,
    sealing: Sealing,
}

enum Sealing {
    Plain(Box<CipherStream>),
    Authenticated(Box<SealingStream>),
}

impl Sealing {
    /// The data held until the end, which counts against the client's share of the streams.
    fn buffered(&self) -> usize {
        match self {
            Sealing::Plain(_) => 0,
            Sealing::Authenticated(stream) => stream.buffered(),
        }
    }

    fn update(&mut self, data: &[u8]) -> OpResult<Vec<u8>> {
        match self {
            Sealing::Plain(stream) => Ok(stream.update(data).map_err(failure)?.to_vec()),
            Sealing::Authenticated(stream) => stream.update(data),
        }
    }

    /// The ciphertext of the last part, and the tag of an authenticated mode.
    fn finish(self, data: &[u8]) -> OpResult<(Vec<u8>, Option<Vec<u8>>)> {
        match self {
            Sealing::Plain(mut stream) => {
                let mut ciphertext = stream.update(data).map_err(failure)?.to_vec();
                ciphertext.extend_from_slice(&stream.finish(None).map_err(failure)?.data);
                Ok((ciphertext, None))
            }
            Sealing::Authenticated(stream) => {
                let (ciphertext, tag) = stream.finish(data)?;
                Ok((ciphertext, Some(tag)))
            }
        }
    }
}
