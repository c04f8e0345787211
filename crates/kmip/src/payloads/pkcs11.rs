//! PKCS#11 (2.1 §6.1.37; KMIP 2.x): a PKCS#11 function call carried over KMIP, its parameters
//! encoded as the KMIP PKCS#11 profile says.

use keyward_ttlv::enums::{PKCS_11Function, PKCS_11ReturnCode};
use keyward_ttlv::{Encoder, ItemRef, ItemType, Tag, ValueRef};

use crate::codec::{Bytes, Codec, Cx, wrong_type};
use crate::error::ModelResult;
use crate::kmip_struct;

/// A PKCS#11 function (2.1 §7.26): one PKCS#11 defines (an Enumeration), or a vendor's (an Integer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pkcs11Function {
    Standard(PKCS_11Function),
    Vendor(i32),
}

impl Codec for Pkcs11Function {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::Enumeration(value) => Ok(Pkcs11Function::Standard(PKCS_11Function(value))),
            ValueRef::Integer(value) => Ok(Pkcs11Function::Vendor(value)),
            _ => Err(wrong_type(item, ItemType::Enumeration)),
        }
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        match self {
            Pkcs11Function::Standard(function) => out.enumeration(tag, function.0),
            Pkcs11Function::Vendor(function) => out.integer(tag, *function),
        }
    }
}

kmip_struct! {
    pub struct Pkcs11Request {
        /// Absent: the default PKCS#11 3.0 interface.
        pkcs11_interface: opt String = PKCS_11Interface,
        pkcs11_function: one Pkcs11Function = PKCS_11Function,
        /// Returned to the server if an earlier response gave one.
        correlation_value: opt Bytes = CorrelationValue,
        pkcs11_input_parameters: opt Bytes = PKCS_11InputParameters,
    }
}

kmip_struct! {
    pub struct Pkcs11Response {
        pkcs11_interface: opt String = PKCS_11Interface,
        pkcs11_function: one Pkcs11Function = PKCS_11Function,
        /// To be returned in the next request.
        correlation_value: opt Bytes = CorrelationValue,
        pkcs11_output_parameters: opt Bytes = PKCS_11OutputParameters,
        /// The CK_RV of the call.
        pkcs11_return_code: one PKCS_11ReturnCode = PKCS_11ReturnCode,
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::V2_1;

    use super::*;
    use crate::payloads::test_support::assert_wire_form;

    #[test]
    fn a_vendor_function_is_an_integer() {
        let request = Pkcs11Request {
            pkcs11_interface: None,
            pkcs11_function: Pkcs11Function::Vendor(0x1234),
            correlation_value: None,
            pkcs11_input_parameters: Some(Bytes::new([0x01])),
        };
        let xml = r#"<RequestPayload>
            <PKCS_11Function type="Integer" value="4660"/>
            <PKCS_11InputParameters type="ByteString" value="01"/>
        </RequestPayload>"#;
        assert_wire_form(&request, xml, V2_1);
    }
}
