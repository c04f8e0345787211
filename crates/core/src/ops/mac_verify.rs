//! MAC Verify (2.1 §6.1.33, 1.4 §4.34): checks a MAC with a symmetric key, over data in one
//! request or in several (1.3 and later). A MAC that does not match is an answer, Validity
//! Indicator Invalid; the comparison takes the same time wherever the MACs differ.

use keyward_crypto::mac::{self, MacState};
use keyward_kmip::enums::ValidityIndicator;
use keyward_kmip::payloads::mac_verify::{MacVerifyRequest, MacVerifyResponse};

use crate::context::Context;
use crate::crypto::key_use::KeyInUse;
use crate::crypto::multipart::{self, Part};
use crate::crypto::{failure, validity};
use crate::error::{OpError, OpResult};
use crate::usage::Use;

pub(crate) fn run(cx: &mut Context<'_>, request: &MacVerifyRequest) -> OpResult<MacVerifyResponse> {
    let part = Part::of(request.init_indicator, request.final_indicator, request.correlation_value.as_ref())?;
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    let given_tag = request.mac_data.as_ref().map(|t| t.as_slice().to_vec());
    if part.continues() {
        let mut stream = multipart::take::<MacVerifyStream>(cx, &part)?;
        let reference = multipart::stream_key(cx, request.unique_identifier.as_ref(), &stream.key)?;
        let key = KeyInUse::load(cx, Some(&reference), None, Use::MAC_VERIFY)?;
        cx.set_placeholder(Some(key.uid().to_string()));
        stream.state.update(&data).map_err(failure)?;
        if given_tag.is_some() {
            stream.tag = given_tag;
        }
        if part.ends() {
            let tag = stream.tag.ok_or_else(missing_mac)?;
            return Ok(response(key.uid(), Some(validity(stream.state.verify(&tag))?)));
        }
        let correlation = multipart::keep(cx, &part, *stream)?;
        return Ok(MacVerifyResponse { correlation_value: Some(correlation), ..undecided(cx, key.uid()) });
    }
    let given = request.cryptographic_parameters.as_ref();
    let key = KeyInUse::load(cx, request.unique_identifier.as_ref(), given, Use::MAC_VERIFY)?;
    let (algorithm, secret) = key.mac_key()?;
    cx.set_placeholder(Some(key.uid().to_string()));
    if part == Part::Whole {
        let tag = given_tag.ok_or_else(missing_mac)?;
        let outcome = mac::verify_mac(algorithm, &secret, &data, &tag);
        return Ok(response(key.uid(), Some(validity(outcome)?)));
    }
    let mut state = MacState::new(algorithm, &secret).map_err(failure)?;
    state.update(&data).map_err(failure)?;
    let stream = MacVerifyStream { key: key.uid().to_string(), state, tag: given_tag };
    let correlation = multipart::keep(cx, &part, stream)?;
    Ok(MacVerifyResponse { correlation_value: Some(correlation), ..undecided(cx, key.uid()) })
}

fn missing_mac() -> OpError {
    OpError::MissingData("the MAC Data".into())
}

fn response(uid: &str, validity: Option<ValidityIndicator>) -> MacVerifyResponse {
    MacVerifyResponse { unique_identifier: uid.to_string(), validity_indicator: validity, correlation_value: None }
}

/// The answer to a part before the last: Unknown for 1.x, which requires a Validity Indicator in
/// every response; nothing for 2.x, which gives it with the final answer only.
fn undecided(cx: &Context<'_>, uid: &str) -> MacVerifyResponse {
    response(uid, cx.version.is_1x().then_some(ValidityIndicator::Unknown))
}

/// A MAC verification waiting for its next part; the MAC, when the first part gave it.
struct MacVerifyStream {
    key: String,
    state: MacState,
    tag: Option<Vec<u8>>,
}
