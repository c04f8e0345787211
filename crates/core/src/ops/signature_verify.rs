//! Signature Verify (2.1 §6.1.56, 1.4 §4.32): checks a signature with a public key or the key of a
//! certificate, over data, a digest (Digested Data, 1.4 and later) or data given in several parts
//! (1.3 and later). A signature that does not verify is an answer, Validity Indicator Invalid; the
//! operation fails only when it cannot be performed.

use keyward_crypto::CryptoResult;
use keyward_crypto::asymmetric::{self, PublicKey, SignatureScheme, SignatureStream};
use keyward_kmip::enums::{ObjectType, ValidityIndicator};
use keyward_kmip::payloads::signature_verify::{SignatureVerifyRequest, SignatureVerifyResponse};

use crate::context::Context;
use crate::crypto::key_use::KeyInUse;
use crate::crypto::material::public_key_spki;
use crate::crypto::multipart::{self, Part};
use crate::crypto::{failure, mapping, validity};
use crate::error::{OpError, OpResult};
use crate::usage::Use;

pub(crate) fn run(cx: &mut Context<'_>, request: &SignatureVerifyRequest) -> OpResult<SignatureVerifyResponse> {
    let part = Part::of(request.init_indicator, request.final_indicator, request.correlation_value.as_ref())?;
    if part.continues() {
        return continue_stream(cx, request, part);
    }
    let given = request.cryptographic_parameters.as_ref();
    let key = KeyInUse::load(cx, request.unique_identifier.as_ref(), given, Use::VERIFY)?;
    let public = public_key(&key)?;
    let schemes = candidate_schemes(mapping::signature_scheme(public.algorithm(), &key.parameters)?, &public);
    cx.set_placeholder(Some(key.uid().to_string()));
    let signature = request.signature_data.as_ref().map(|s| s.as_slice().to_vec());
    if let Some(digest) = &request.digested_data {
        if request.data.is_some() || part != Part::Whole {
            return Err(OpError::InvalidField("Digested Data comes alone, in a single part".into()));
        }
        let signature = signature.ok_or_else(missing_signature)?;
        let outcome =
            first_valid(schemes.iter().map(|s| asymmetric::verify_digest(&public, *s, digest.as_slice(), &signature)));
        return Ok(response(key.uid(), Some(outcome?)));
    }
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    if part == Part::Whole {
        let signature = signature.ok_or_else(missing_signature)?;
        let outcome = first_valid(schemes.iter().map(|s| asymmetric::verify(&public, *s, &data, &signature)));
        return Ok(response(key.uid(), Some(outcome?)));
    }
    let mut streams: Vec<SignatureStream> = schemes.into_iter().map(SignatureStream::new).collect();
    for stream in &mut streams {
        stream.update(&data).map_err(failure)?;
    }
    let buffered = streams.iter().map(SignatureStream::buffered).sum();
    let stream = VerifyStream { key: key.uid().to_string(), streams, signature };
    let correlation = multipart::keep_buffered(cx, &part, stream, buffered)?;
    Ok(SignatureVerifyResponse { correlation_value: Some(correlation), ..undecided(cx, key.uid()) })
}

/// A part after the first; the signature comes with the last part, or came with the first.
fn continue_stream(
    cx: &mut Context<'_>,
    request: &SignatureVerifyRequest,
    part: Part,
) -> OpResult<SignatureVerifyResponse> {
    if request.digested_data.is_some() {
        return Err(OpError::InvalidField("Digested Data comes alone, in a single part".into()));
    }
    let mut stream = multipart::take::<VerifyStream>(cx, &part)?;
    let reference = multipart::stream_key(cx, request.unique_identifier.as_ref(), &stream.key)?;
    let key = KeyInUse::load(cx, Some(&reference), None, Use::VERIFY)?;
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    cx.set_placeholder(Some(key.uid().to_string()));
    for scheme_stream in &mut stream.streams {
        scheme_stream.update(&data).map_err(failure)?;
    }
    if let Some(signature) = &request.signature_data {
        stream.signature = Some(signature.as_slice().to_vec());
    }
    if part.ends() {
        let signature = stream.signature.ok_or_else(missing_signature)?;
        let public = public_key(&key)?;
        let outcome = first_valid(stream.streams.into_iter().map(|s| s.verify(&public, &signature)));
        return Ok(response(key.uid(), Some(outcome?)));
    }
    let buffered = stream.streams.iter().map(SignatureStream::buffered).sum();
    let correlation = multipart::keep_buffered(cx, &part, *stream, buffered)?;
    Ok(SignatureVerifyResponse { correlation_value: Some(correlation), ..undecided(cx, key.uid()) })
}

/// The public key of a Public Key or a Certificate.
fn public_key(key: &KeyInUse) -> OpResult<PublicKey> {
    let object = key.object()?;
    match object.object_type() {
        ObjectType::PublicKey | ObjectType::Certificate => {
            PublicKey::from_spki(&public_key_spki(object)?).map_err(failure)
        }
        other => Err(OpError::IllegalOperation(format!("a {other:?} does not verify signatures"))),
    }
}

/// The schemes a signature is checked against. A PSS signature whose parameters give no Salt
/// Length may have been made with a salt of the hash's length (RFC 8017's recommendation, and
/// what this server signs with) or of the longest length the key allows (OpenSSL's default,
/// with which the signatures of the OASIS cases CS-AC-M-2 were made): either verifies, as
/// OpenSSL's own verification accepts any salt length then. Every other scheme is taken as it
/// is.
fn candidate_schemes(scheme: SignatureScheme, public: &PublicKey) -> Vec<SignatureScheme> {
    match scheme {
        SignatureScheme::RsaPss { hash, salt_len: None } => {
            // RFC 8017 §9.1.1: emLen = ceil((modBits - 1) / 8) ≥ hLen + sLen + 2.
            let em_len = usize::try_from(public.bits()).unwrap_or(0).saturating_sub(1).div_ceil(8);
            let longest = em_len.saturating_sub(hash.output_len() + 2);
            let mut schemes = vec![scheme];
            if longest > hash.output_len() {
                schemes.push(SignatureScheme::RsaPss { hash, salt_len: Some(longest) });
            }
            schemes
        }
        other => vec![other],
    }
}

/// Valid when one of the verifications succeeds, Invalid when all of them find the signature
/// wrong; any other failure stands.
fn first_valid(outcomes: impl Iterator<Item = CryptoResult<()>>) -> OpResult<ValidityIndicator> {
    for outcome in outcomes {
        if validity(outcome)? == ValidityIndicator::Valid {
            return Ok(ValidityIndicator::Valid);
        }
    }
    Ok(ValidityIndicator::Invalid)
}

fn missing_signature() -> OpError {
    OpError::MissingData("the Signature Data".into())
}

fn response(uid: &str, validity: Option<ValidityIndicator>) -> SignatureVerifyResponse {
    SignatureVerifyResponse {
        unique_identifier: uid.to_string(),
        validity_indicator: validity,
        data: None,
        correlation_value: None,
    }
}

/// The answer to a part before the last: 1.x requires a Validity Indicator in every response,
/// and it can only be Unknown yet; 2.x gives one with the final answer only.
fn undecided(cx: &Context<'_>, uid: &str) -> SignatureVerifyResponse {
    response(uid, cx.version.is_1x().then_some(ValidityIndicator::Unknown))
}

/// A verification waiting for its next part: a stream for each candidate scheme, and the
/// signature, when the first part gave it.
struct VerifyStream {
    key: String,
    streams: Vec<SignatureStream>,
    signature: Option<Vec<u8>>,
}
