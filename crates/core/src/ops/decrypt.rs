//! Decrypt (2.1 §6.1.11, 1.4 §4.30): data decrypted under a symmetric key (the modes of
//! [`super::encrypt`]) or an RSA private key (OAEP, PKCS#1 v1.5), in one request or, for symmetric
//! keys, in several (1.3 and later).
//!
//! A Deactivated or Compromised key still decrypts (2.1 §4.57: it may process protected data).
//! An authenticated mode checks its tag over the whole message before any plaintext leaves: in a
//! multi-part decryption the plaintext comes with the last part. The tag may be given with the
//! first part (as 2.1 §6.1.11 asks) or with the last.

use keyward_crypto::asymmetric::{self, PrivateKey};
use keyward_crypto::symmetric::{CipherStream, Direction};
use keyward_kmip::Bytes;
use keyward_kmip::enums::{Data as DataKind, ObjectType};
use keyward_kmip::payloads::decrypt::{DecryptRequest, DecryptResponse};
use zeroize::Zeroizing;

use crate::context::Context;
use crate::crypto::aead::{self, AeadSetup, OpeningStream};
use crate::crypto::key_use::KeyInUse;
use crate::crypto::material::{private_key_pkcs8, symmetric_key};
use crate::crypto::multipart::{self, Part, StreamSetup};
use crate::crypto::parameters::effective;
use crate::crypto::{failure, mapping};
use crate::error::{OpError, OpResult};
use crate::usage::Use;

pub(crate) fn run(cx: &mut Context<'_>, request: &DecryptRequest) -> OpResult<DecryptResponse> {
    let part = Part::of(request.init_indicator, request.final_indicator, request.correlation_value.as_ref())?;
    if part.continues() {
        return continue_stream(cx, request, part);
    }
    let given = request.cryptographic_parameters.as_ref();
    let key = KeyInUse::load(cx, request.unique_identifier.as_ref(), given, Use::DECRYPT)?;
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    cx.set_placeholder(Some(key.uid().to_string()));
    match key.object()?.object_type() {
        ObjectType::SymmetricKey => start_symmetric(cx, &key, request, part, &data),
        ObjectType::PrivateKey if part == Part::Whole => {
            let private = PrivateKey::from_pkcs8(&private_key_pkcs8(key.object()?)?).map_err(failure)?;
            let padding = mapping::rsa_encryption_padding(&key.parameters)?;
            let plaintext = asymmetric::rsa_decrypt(&private, padding, &data).map_err(failure)?;
            Ok(response(cx, key.uid(), plaintext))
        }
        ObjectType::PrivateKey => Err(OpError::FeatureNotSupported("RSA decryption takes its data in one part".into())),
        other => Err(OpError::IllegalOperation(format!("a {other:?} does not decrypt"))),
    }
}

/// A whole symmetric decryption, or the first part of one.
fn start_symmetric(
    cx: &mut Context<'_>,
    key: &KeyInUse,
    request: &DecryptRequest,
    part: Part,
    data: &[u8],
) -> OpResult<DecryptResponse> {
    let secret = symmetric_key(key.object()?)?;
    let parameters = &key.parameters;
    let cipher = mapping::symmetric_cipher(parameters)?;
    // No IV is made up here: a mode that needs one and lacks it fails (Missing IV).
    let given_iv = request.iv_counter_nonce.as_ref().map_or(&[][..], Bytes::as_slice);
    let iv = mapping::cipher_iv(cipher, given_iv, parameters)?;
    let aad = request.authenticated_encryption_additional_data.as_ref().map_or(&[][..], Bytes::as_slice);
    let tag = request.authenticated_encryption_tag.as_ref().map(|t| t.as_slice().to_vec());
    if cipher.is_aead() {
        aead::needs_tag_field(cx.version)?;
        let setup = AeadSetup { cipher, tag_len: mapping::tag_length(parameters)?, key: &secret, iv: &iv, aad };
        if part == Part::Whole {
            let tag = tag.ok_or_else(|| OpError::MissingData("the Authenticated Encryption Tag".into()))?;
            let plaintext = aead::open(setup, data, &tag)?;
            return Ok(response(cx, key.uid(), plaintext));
        }
        let mut stream = OpeningStream::new(setup)?;
        stream.update(data)?;
        let opening = Opening::Authenticated { stream: Box::new(stream), tag };
        let setup = StreamSetup { parameters: parameters.clone(), iv: given_iv.to_vec() };
        return first_part(cx, key.uid(), &part, setup, opening, Zeroizing::new(Vec::new()));
    }
    if tag.is_some() {
        return Err(OpError::InvalidField(format!("{cipher:?} takes no Authenticated Encryption Tag")));
    }
    let mut stream = CipherStream::new(Direction::Decrypt, cipher, &secret, &iv, aad).map_err(failure)?;
    let mut plaintext = stream.update(data).map_err(failure)?;
    if part == Part::Whole {
        plaintext.extend_from_slice(&stream.finish(None).map_err(failure)?.data);
        return Ok(response(cx, key.uid(), plaintext));
    }
    let setup = StreamSetup { parameters: parameters.clone(), iv: given_iv.to_vec() };
    first_part(cx, key.uid(), &part, setup, Opening::Plain(Box::new(stream)), plaintext)
}

/// The answer to a first part: what is ready of the plaintext, and the Correlation Value.
fn first_part(
    cx: &mut Context<'_>,
    uid: &str,
    part: &Part,
    setup: StreamSetup,
    opening: Opening,
    plaintext: Zeroizing<Vec<u8>>,
) -> OpResult<DecryptResponse> {
    let buffered = opening.buffered();
    let stream = DecryptStream { key: uid.to_string(), setup, opening };
    let correlation = multipart::keep_buffered(cx, part, stream, buffered)?;
    Ok(DecryptResponse { correlation_value: Some(correlation), ..part_response(cx, uid, part, plaintext) })
}

/// A part after the first.
fn continue_stream(cx: &mut Context<'_>, request: &DecryptRequest, part: Part) -> OpResult<DecryptResponse> {
    let mut stream = multipart::take::<DecryptStream>(cx, &part)?;
    let reference = multipart::stream_key(cx, request.unique_identifier.as_ref(), &stream.key)?;
    let key = KeyInUse::load(cx, Some(&reference), None, Use::DECRYPT)?;
    let repeated = request.cryptographic_parameters.as_ref().map(|given| effective(Some(given), &key.stored));
    multipart::check_continuation(
        &stream.setup,
        repeated.as_ref(),
        request.iv_counter_nonce.as_ref(),
        request.authenticated_encryption_additional_data.as_ref(),
    )?;
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    cx.set_placeholder(Some(key.uid().to_string()));
    if part.ends() {
        let tag = request.authenticated_encryption_tag.as_ref().map(Bytes::as_slice);
        let plaintext = stream.opening.finish(&data, tag)?;
        Ok(part_response(cx, key.uid(), &part, plaintext))
    } else {
        let plaintext = stream.opening.update(&data)?;
        let buffered = stream.opening.buffered();
        let correlation = multipart::keep_buffered(cx, &part, *stream, buffered)?;
        Ok(DecryptResponse { correlation_value: Some(correlation), ..part_response(cx, key.uid(), &part, plaintext) })
    }
}

/// The response to a part of a stream: Data only when the part produced some (see
/// `multipart::part_output`).
fn part_response(cx: &mut Context<'_>, uid: &str, part: &Part, plaintext: Zeroizing<Vec<u8>>) -> DecryptResponse {
    let whole = response(cx, uid, plaintext);
    DecryptResponse { data: multipart::part_output(part, whole.data.clone()), ..whole }
}

fn response(cx: &mut Context<'_>, uid: &str, plaintext: Zeroizing<Vec<u8>>) -> DecryptResponse {
    DecryptResponse {
        unique_identifier: uid.to_string(),
        data: cx.data_output(DataKind::Decrypt, plaintext),
        correlation_value: None,
    }
}

/// A decryption waiting for its next part.
struct DecryptStream {
    key: String,
    setup: StreamSetup,
    opening: Opening,
}

enum Opening {
    Plain(Box<CipherStream>),
    /// The tag, when the first part gave it.
    Authenticated {
        stream: Box<OpeningStream>,
        tag: Option<Vec<u8>>,
    },
}

impl Opening {
    /// The data held until the end, which counts against the client's share of the streams.
    fn buffered(&self) -> usize {
        match self {
            Opening::Plain(_) => 0,
            Opening::Authenticated { stream, .. } => stream.buffered(),
        }
    }

    fn update(&mut self, data: &[u8]) -> OpResult<Zeroizing<Vec<u8>>> {
        match self {
            Opening::Plain(stream) => stream.update(data).map_err(failure),
            Opening::Authenticated { stream, .. } => {
                stream.update(data)?;
                Ok(Zeroizing::new(Vec::new()))
            }
        }
    }

    /// The plaintext of the last part (all of it, for an authenticated mode).
    fn finish(self, data: &[u8], last_tag: Option<&[u8]>) -> OpResult<Zeroizing<Vec<u8>>> {
        match self {
            Opening::Plain(_) if last_tag.is_some() => {
                Err(OpError::InvalidField("this mode takes no Authenticated Encryption Tag".into()))
            }
            Opening::Plain(mut stream) => {
                let mut plaintext = stream.update(data).map_err(failure)?;
                plaintext.extend_from_slice(&stream.finish(None).map_err(failure)?.data);
                Ok(plaintext)
            }
            Opening::Authenticated { stream, tag } => {
                let tag = last_tag
                    .or(tag.as_deref())
                    .ok_or_else(|| OpError::MissingData("the Authenticated Encryption Tag".into()))?;
                stream.finish(data, tag)
            }
        }
    }
}
