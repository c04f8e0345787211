//! MAC (2.1 §6.1.32, 1.4 §4.33): a message authentication code (HMAC over SHA-1, SHA-2 or SHA-3,
//! AES-CMAC) computed with a symmetric key, over data in one request or in several (1.3 and
//! later). The algorithm comes from the parameters and the key: see
//! [`crate::crypto::mapping::mac_algorithm`].

use keyward_crypto::mac::{self, MacState};
use keyward_kmip::enums::Data as DataKind;
use keyward_kmip::payloads::mac::{MacRequest, MacResponse};

use crate::context::Context;
use crate::crypto::failure;
use crate::crypto::key_use::{self, KeyInUse, Usage};
use crate::crypto::multipart::{self, Part};
use crate::error::OpResult;
use crate::usage::Use;

pub(crate) fn run(cx: &mut Context<'_>, request: &MacRequest) -> OpResult<MacResponse> {
    let part = Part::of(request.init_indicator, request.final_indicator, request.correlation_value.as_ref())?;
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    if part.continues() {
        let mut stream = multipart::take::<MacStream>(cx, &part)?;
        let reference = multipart::stream_key(cx, request.unique_identifier.as_ref(), &stream.key)?;
        let mut key = KeyInUse::load(cx, Some(&reference), None, Use::MAC_GENERATE)?;
        key_use::allocate(cx, &mut key, Use::MAC_GENERATE, Usage { bytes: data.len(), starts: false })?;
        cx.set_placeholder(Some(key.uid().to_string()));
        stream.state.update(&data).map_err(failure)?;
        if part.ends() {
            let tag = stream.state.finish().map_err(failure)?;
            return Ok(response(cx, key.uid(), Some(tag)));
        }
        let correlation = multipart::keep(cx, &part, *stream)?;
        return Ok(MacResponse { correlation_value: Some(correlation), ..response(cx, key.uid(), None) });
    }
    let given = request.cryptographic_parameters.as_ref();
    let mut key = KeyInUse::load(cx, request.unique_identifier.as_ref(), given, Use::MAC_GENERATE)?;
    let (algorithm, secret) = key.mac_key()?;
    key_use::allocate(cx, &mut key, Use::MAC_GENERATE, Usage { bytes: data.len(), starts: true })?;
    cx.set_placeholder(Some(key.uid().to_string()));
    if part == Part::Whole {
        let tag = mac::mac(algorithm, &secret, &data).map_err(failure)?;
        return Ok(response(cx, key.uid(), Some(tag)));
    }
    let mut state = MacState::new(algorithm, &secret).map_err(failure)?;
    state.update(&data).map_err(failure)?;
    let correlation = multipart::keep(cx, &part, MacStream { key: key.uid().to_string(), state })?;
    Ok(MacResponse { correlation_value: Some(correlation), ..response(cx, key.uid(), None) })
}

fn response(cx: &mut Context<'_>, uid: &str, tag: Option<Vec<u8>>) -> MacResponse {
    MacResponse {
        unique_identifier: uid.to_string(),
        mac_data: tag.and_then(|t| cx.data_output(DataKind::MACMACData, t)),
        correlation_value: None,
    }
}

/// A MAC waiting for its next part.
struct MacStream {
    key: String,
    state: MacState,
}
