//! PKCS#11 (2.0 §6.1.36, 2.1 §6.1.37): a PKCS#11 function performed by the server on its own
//! module, through the relay of `pkcs11_relay` (which says what is relayed and why).

use keyward_kmip::Bytes;
use keyward_kmip::enums::{Operation, PKCS_11Function, PKCS_11ReturnCode};
use keyward_kmip::payloads::pkcs11::{Pkcs11Function, Pkcs11Request, Pkcs11Response};

use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::pkcs11_relay::{MAX_SESSIONS_PER_CLIENT, SessionRefusal};

/// The interface name PKCS#11 3.0 gives its default interface (§5.2 C_GetInterface).
const DEFAULT_INTERFACE: &str = "PKCS 11";

pub(crate) fn run(cx: &mut Context<'_>, request: &Pkcs11Request) -> OpResult<Pkcs11Response> {
    let relay = cx.pkcs11.ok_or(OpError::OperationNotSupported(Operation::PKCS_11))?;
    if let Some(interface) = request.pkcs11_interface.as_deref().filter(|name| *name != DEFAULT_INTERFACE) {
        return Err(OpError::Pkcs11InvalidInterface(interface.to_string()));
    }
    let function = match request.pkcs11_function {
        Pkcs11Function::Standard(function) => function,
        Pkcs11Function::Vendor(number) => return Err(OpError::Pkcs11InvalidFunction(format!("{number:#x} (vendor)"))),
    };
    let correlation = request.correlation_value.as_ref().map(|value| value.as_slice());
    let mut response = Pkcs11Response {
        pkcs11_interface: None,
        pkcs11_function: request.pkcs11_function,
        correlation_value: None,
        pkcs11_output_parameters: None,
        pkcs11_return_code: PKCS_11ReturnCode::OK,
    };
    match function {
        PKCS_11Function::C_Initialize => match relay.open(cx.client) {
            Ok(opened) => response.correlation_value = Some(Bytes::new(opened)),
            Err(SessionRefusal::TooMany) => {
                return Err(OpError::StreamLimit(format!(
                    "at most {MAX_SESSIONS_PER_CLIENT} PKCS#11 sessions per client are open at once: C_Finalize one"
                )));
            }
            Err(SessionRefusal::NoRandomness) => response.pkcs11_return_code = PKCS_11ReturnCode::GENERAL_ERROR,
        },
        PKCS_11Function::C_Finalize => {
            if !relay.close(cx.client, correlation) {
                response.pkcs11_return_code = PKCS_11ReturnCode::CRYPTOKI_NOT_INITIALIZED;
            }
        }
        PKCS_11Function::C_GetInfo if !relay.is_open(cx.client, correlation) => {
            response.pkcs11_return_code = PKCS_11ReturnCode::CRYPTOKI_NOT_INITIALIZED;
        }
        PKCS_11Function::C_GetInfo => match relay.module.info() {
            Ok(info) => response.pkcs11_output_parameters = Some(Bytes::new(info.encode())),
            Err(code) => response.pkcs11_return_code = PKCS_11ReturnCode(code),
        },
        _ => response.pkcs11_return_code = PKCS_11ReturnCode::FUNCTION_NOT_SUPPORTED,
    }
    Ok(response)
}
