//! Sign (2.1 §6.1.55, 1.4 §4.31): a signature by a private key (RSA PKCS#1 v1.5 or PSS, ECDSA,
//! Ed25519) over data, over a digest the client computed (Digested Data, 1.4 and later), or over
//! data given in several parts (1.3 and later). The scheme comes from the parameters and the key:
//! see [`crate::crypto::mapping::signature_scheme`].

use keyward_crypto::asymmetric::{self, PrivateKey, SignatureStream};
use keyward_kmip::enums::{Data as DataKind, ObjectType};
use keyward_kmip::payloads::sign::{SignRequest, SignResponse};

use crate::context::Context;
use crate::crypto::key_use::{self, KeyInUse, Usage};
use crate::crypto::material::private_key_pkcs8;
use crate::crypto::multipart::{self, Part};
use crate::crypto::{failure, mapping};
use crate::error::{OpError, OpResult};
use crate::usage::Use;

pub(crate) fn run(cx: &mut Context<'_>, request: &SignRequest) -> OpResult<SignResponse> {
    let part = Part::of(request.init_indicator, request.final_indicator, request.correlation_value.as_ref())?;
    if part.continues() {
        return continue_stream(cx, request, part);
    }
    let given = request.cryptographic_parameters.as_ref();
    let mut key = KeyInUse::load(cx, request.unique_identifier.as_ref(), given, Use::SIGN)?;
    // Checked when a signature starts; its later parts carry no parameters of their own.
    crate::algorithm_policy::allow_signature(cx, &key.parameters)?;
    let private = private_key(&key)?;
    let scheme = mapping::signature_scheme(private.algorithm(), &key.parameters)?;
    cx.set_placeholder(Some(key.uid().to_string()));
    if let Some(digest) = &request.digested_data {
        if request.data.is_some() || part != Part::Whole {
            return Err(OpError::InvalidField("Digested Data comes alone, in a single part".into()));
        }
        key_use::allocate(cx, &mut key, Use::SIGN, Usage { bytes: digest.as_slice().len(), starts: true })?;
        let signature = asymmetric::sign_digest(&private, scheme, digest.as_slice()).map_err(failure)?;
        return Ok(response(cx, key.uid(), Some(signature)));
    }
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    key_use::allocate(cx, &mut key, Use::SIGN, Usage { bytes: data.len(), starts: true })?;
    if part == Part::Whole {
        let signature = asymmetric::sign(&private, scheme, &data).map_err(failure)?;
        return Ok(response(cx, key.uid(), Some(signature)));
    }
    let mut stream = SignatureStream::new(scheme);
    stream.update(&data).map_err(failure)?;
    let buffered = stream.buffered();
    let correlation = multipart::keep_buffered(cx, &part, SignStream { key: key.uid().to_string(), stream }, buffered)?;
    Ok(SignResponse { correlation_value: Some(correlation), ..response(cx, key.uid(), None) })
}

/// A part after the first.
fn continue_stream(cx: &mut Context<'_>, request: &SignRequest, part: Part) -> OpResult<SignResponse> {
    if request.digested_data.is_some() {
        return Err(OpError::InvalidField("Digested Data comes alone, in a single part".into()));
    }
    let mut stream = multipart::take::<SignStream>(cx, &part)?;
    let reference = multipart::stream_key(cx, request.unique_identifier.as_ref(), &stream.key)?;
    let mut key = KeyInUse::load(cx, Some(&reference), None, Use::SIGN)?;
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    key_use::allocate(cx, &mut key, Use::SIGN, Usage { bytes: data.len(), starts: false })?;
    cx.set_placeholder(Some(key.uid().to_string()));
    stream.stream.update(&data).map_err(failure)?;
    if part.ends() {
        let signature = stream.stream.sign(&private_key(&key)?).map_err(failure)?;
        return Ok(response(cx, key.uid(), Some(signature)));
    }
    let buffered = stream.stream.buffered();
    let correlation = multipart::keep_buffered(cx, &part, *stream, buffered)?;
    Ok(SignResponse { correlation_value: Some(correlation), ..response(cx, key.uid(), None) })
}

/// The private key of a Private Key object.
fn private_key(key: &KeyInUse) -> OpResult<PrivateKey> {
    let object = key.object()?;
    if object.object_type() != ObjectType::PrivateKey {
        return Err(OpError::IllegalOperation(format!("a {:?} does not sign", object.object_type())));
    }
    PrivateKey::from_pkcs8(&private_key_pkcs8(object)?).map_err(failure)
}

fn response(cx: &mut Context<'_>, uid: &str, signature: Option<Vec<u8>>) -> SignResponse {
    SignResponse {
        unique_identifier: uid.to_string(),
        signature_data: signature.and_then(|s| cx.data_output(DataKind::SignSignatureData, s)),
        correlation_value: None,
    }
}

/// A signature waiting for its next part. The key is not kept: it is read again at the end.
struct SignStream {
    key: String,
    stream: SignatureStream,
}
