//! Validate (2.1 §6.1.57, 1.4 §4.24): is a certificate chain valid at a date (now by default)?
//!
//! The chain is the certificates of the request and the managed certificates it names, in any
//! order: the server orders them from the leaf (the certificate no other one was issued by) up to
//! the root by matching issuers with subjects. The policy, which the specification leaves to the
//! server, is rustls-webpki's path validation (signatures, validity periods, CA constraints) with
//! the last certificate of the chain as the trust anchor; a lone certificate is valid when it is a
//! self-signed root whose signature and dates hold. A chain that is not one (a gap, a fork) is
//! Invalid; one whose signatures this server cannot check is Unknown.

use keyward_crypto::certificates::{ChainValidity, certificate_der, describe_certificate, validate_chain};
use keyward_kmip::enums::ValidityIndicator;
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::payloads::validate::{ValidateRequest, ValidateResponse};

use crate::context::Context;
use crate::crypto::failure;
use crate::error::{OpError, OpResult};
use crate::ops::readable;

pub(crate) fn run(cx: &mut Context<'_>, request: &ValidateRequest) -> OpResult<ValidateResponse> {
    let mut certificates: Vec<Vec<u8>> = Vec::new();
    for certificate in &request.certificate {
        certificates.push(certificate_der(certificate.certificate_value.as_slice()).map_err(failure)?);
    }
    for reference in &request.unique_identifier {
        let stored = cx.load_ref(Some(reference))?;
        match readable(&stored)? {
            ManagedObject::Certificate(certificate) => {
                certificates.push(certificate_der(certificate.certificate_value.as_slice()).map_err(failure)?);
            }
            other => {
                return Err(OpError::IllegalOperation(format!(
                    "Validate takes certificates, not a {:?}",
                    other.object_type()
                )));
            }
        }
    }
    if certificates.is_empty() {
        return Err(OpError::MissingData("Validate needs a certificate chain".into()));
    }
    let at = request.validity_date.map_or(cx.now, |d| d.seconds());
    let validity_indicator = match ordered(&certificates)? {
        Some(chain) => {
            let chain: Vec<&[u8]> = chain.iter().map(|c| c.as_slice()).collect();
            match validate_chain(&chain, at).map_err(failure)? {
                ChainValidity::Valid => ValidityIndicator::Valid,
                ChainValidity::Invalid(_) => ValidityIndicator::Invalid,
                ChainValidity::Unknown(_) => ValidityIndicator::Unknown,
            }
        }
        None => ValidityIndicator::Invalid,
    };
    Ok(ValidateResponse { validity_indicator })
}

/// The certificates from leaf to root, or `None` when they do not form one chain.
fn ordered(certificates: &[Vec<u8>]) -> OpResult<Option<Vec<Vec<u8>>>> {
    let names = certificates
        .iter()
        .map(|der| describe_certificate(der).map(|info| (info.subject.der, info.issuer.der)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(failure)?;
    let self_signed = |i: usize| names[i].0 == names[i].1;
    let issued_by =
        |child: usize, parent: usize| child != parent && !self_signed(child) && names[child].1 == names[parent].0;
    // The leaf: a certificate that issued none of the others.
    let leaves: Vec<usize> =
        (0..certificates.len()).filter(|&i| !(0..certificates.len()).any(|child| issued_by(child, i))).collect();
    let [leaf] = leaves.as_slice() else { return Ok(None) };
    let mut chain = vec![*leaf];
    while chain.len() < certificates.len() {
        let last = chain[chain.len() - 1];
        let parents: Vec<usize> =
            (0..certificates.len()).filter(|&p| issued_by(last, p) && !chain.contains(&p)).collect();
        let [parent] = parents.as_slice() else { return Ok(None) };
        chain.push(*parent);
    }
    Ok(Some(chain.into_iter().map(|i| certificates[i].clone()).collect()))
}
