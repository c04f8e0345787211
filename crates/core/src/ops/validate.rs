//! Validate (2.1 §6.1.57, 1.4 §4.24): is a certificate chain valid at a date (now by default)?
//!
//! The chain is the certificates of the request and the managed certificates it names, in any
//! order: the server orders them from the leaf (the certificate no other one was issued by) up to
//! the root by matching issuers with subjects. The policy, which the specification leaves to the
//! server, is rustls-webpki's path validation (signatures, validity periods, CA constraints) with
//! the last certificate of the chain as the trust anchor; a lone certificate is valid when it is a
//! self-signed root whose signature and dates hold. A chain that is not one (a gap, a fork) is
//! Invalid; one whose signatures this server cannot check is Unknown.
//!
//! The chain's length is the client's to choose, so it is capped at [`MAX_CHAIN_LEN`] (a longer
//! one is Invalid Field, in Validate's error table: 2.1 §6.1.57.1), and ordering is linear in it:
//! each certificate's issuer is looked up by name once.

use std::collections::HashMap;

use keyward_crypto::certificates::{ChainValidity, certificate_der, describe_certificate, validate_chain};
use keyward_kmip::enums::ValidityIndicator;
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::payloads::validate::{ValidateRequest, ValidateResponse};

use crate::context::Context;
use crate::crypto::failure;
use crate::error::{OpError, OpResult};
use crate::ops::readable;

/// The most certificates a chain may hold. Public PKIs use three or four, deep private ones a few
/// more; the policy is the server's to set (2.1 §6.1.57).
pub const MAX_CHAIN_LEN: usize = 16;

pub(crate) fn run(cx: &mut Context<'_>, request: &ValidateRequest) -> OpResult<ValidateResponse> {
    let given = request.certificate.len().saturating_add(request.unique_identifier.len());
    if given > MAX_CHAIN_LEN {
        return Err(OpError::InvalidField(format!("a chain of {given} certificates (at most {MAX_CHAIN_LEN})")));
    }
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
    Ok(order(&names).map(|chain| chain.into_iter().map(|i| certificates[i].clone()).collect()))
}

/// Orders certificates given as (subject, issuer) names: the indexes from leaf to root, or `None`
/// when they are not one chain (no single leaf, a fork, a gap, a loop).
fn order<N: AsRef<[u8]>>(names: &[(N, N)]) -> Option<Vec<usize>> {
    let mut by_subject: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (index, (subject, _)) in names.iter().enumerate() {
        by_subject.entry(subject.as_ref()).or_default().push(index);
    }
    let self_signed = |i: usize| names[i].0.as_ref() == names[i].1.as_ref();
    // A certificate's possible issuers: the others whose subject is its issuer.
    let parents = |child: usize| -> &[usize] {
        if self_signed(child) {
            return &[];
        }
        by_subject.get(names[child].1.as_ref()).map_or(&[], Vec::as_slice)
    };
    let mut issued_something = vec![false; names.len()];
    for child in 0..names.len() {
        for &parent in parents(child).iter().filter(|&&parent| parent != child) {
            issued_something[parent] = true;
        }
    }
    // The leaf: the one certificate that issued none of the others.
    let mut leaves = (0..names.len()).filter(|&i| !issued_something[i]);
    let (Some(leaf), None) = (leaves.next(), leaves.next()) else { return None };
    let mut in_chain = vec![false; names.len()];
    in_chain[leaf] = true;
    let mut chain = vec![leaf];
    while chain.len() < names.len() {
        let last = chain[chain.len() - 1];
        let mut next = parents(last).iter().copied().filter(|&p| p != last && !in_chain[p]);
        let (Some(parent), None) = (next.next(), next.next()) else { return None };
        in_chain[parent] = true;
        chain.push(parent);
    }
    Some(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_a_shuffled_chain_from_leaf_to_root() {
        let names = [("ca", "root"), ("root", "root"), ("leaf", "ca")];
        assert_eq!(order(&names), Some(vec![2, 0, 1]));
        assert_eq!(order(&[("root", "root")]), Some(vec![0]));
    }

    #[test]
    fn refuses_forks_and_gaps() {
        // Two leaves issued by one CA.
        assert_eq!(order(&[("a", "ca"), ("b", "ca"), ("ca", "ca")]), None);
        // A leaf whose issuer is missing, beside an unrelated root.
        assert_eq!(order(&[("leaf", "ca"), ("root", "root")]), None);
    }

    #[test]
    fn a_long_chain_is_ordered_in_one_pass() {
        // 10,000 certificates, shuffled by reversal: cubic ordering would take minutes.
        let names: Vec<(String, String)> =
            (0..10_000).rev().map(|i| (format!("c{i}"), format!("c{}", if i == 0 { 0 } else { i - 1 }))).collect();
        let chain = order(&names).unwrap();
        assert_eq!(chain.first(), Some(&0));
        assert_eq!(chain.last(), Some(&9_999));
    }
}
