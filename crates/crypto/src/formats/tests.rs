//! Round trips of every conversion, known answers (RFC 8032, RFC 7748) and refusals.

use super::*;
use crate::asymmetric::{KeyPairSpec, generate_key_pair};
use crate::test_util::h;

#[test]
fn rsa_private_formats_round_trip() {
    let kp = generate_key_pair(KeyPairSpec::Rsa { bits: 2048 }).unwrap();
    let pkcs1 = private_key_from_pkcs8(&kp.private_key, PrivateKeyFormat::Pkcs1).unwrap();
    assert_eq!(pkcs1[0], 0x30);
    let pkcs8 = private_key_to_pkcs8(&pkcs1, PrivateKeyFormat::Pkcs1).unwrap();
    assert_eq!(*private_key_from_pkcs8(&pkcs8, PrivateKeyFormat::Pkcs1).unwrap(), *pkcs1);
    assert_eq!(*convert_private_key(&pkcs1, PrivateKeyFormat::Pkcs1, PrivateKeyFormat::Pkcs1).unwrap(), *pkcs1);

    let c = rsa_private_components(&kp.private_key).unwrap();
    assert_eq!(super::rsa::modulus_bits(&c.n), 2048);
    let rebuilt = rsa_private_from_components(&c).unwrap();
    assert_eq!(rsa_private_components(&rebuilt).unwrap(), c);
    // Leading zeros on input are fine.
    let mut padded = c.clone();
    padded.d.insert(0, 0);
    assert_eq!(rsa_private_components(&rsa_private_from_components(&padded).unwrap()).unwrap(), c);
    // Inconsistent components are refused.
    let mut bad = c.clone();
    let last = bad.dp.len() - 1;
    bad.dp[last] ^= 2;
    assert!(matches!(rsa_private_from_components(&bad), Err(CryptoError::InvalidKey(_))));
    assert_eq!(
        describe_private_key(&pkcs1, PrivateKeyFormat::Pkcs1).unwrap(),
        KeyInfo { algorithm: KeyAlgorithm::Rsa, bits: 2048 }
    );
}

#[test]
fn rsa_public_formats_round_trip() {
    let kp = generate_key_pair(KeyPairSpec::Rsa { bits: 2048 }).unwrap();
    let pkcs1 = public_key_from_spki(&kp.public_key, PublicKeyFormat::Pkcs1).unwrap();
    assert_eq!(public_key_to_spki(&pkcs1, PublicKeyFormat::Pkcs1).unwrap(), kp.public_key);
    let c = rsa_public_components(&kp.public_key).unwrap();
    assert_eq!(rsa_public_from_components(&c).unwrap(), kp.public_key);
    assert_eq!(public_key_of(&kp.private_key).unwrap(), kp.public_key);
    assert_eq!(describe_public_key(&pkcs1, PublicKeyFormat::Pkcs1).unwrap().bits, 2048);
    assert!(rsa_public_from_components(&RsaPublicComponents { n: c.n.clone(), e: vec![2] }).is_err());
}

#[test]
fn small_rsa_keys_are_checked_by_the_rsa_crate() {
    let kp = generate_key_pair(KeyPairSpec::Rsa { bits: 1024 }).unwrap();
    let c = rsa_private_components(&kp.private_key).unwrap();
    rsa_private_from_components(&c).unwrap();
    let mut bad = c.clone();
    bad.d[3] ^= 1;
    assert!(matches!(rsa_private_from_components(&bad), Err(CryptoError::InvalidKey(_))));
    assert_eq!(describe_public_key(&kp.public_key, PublicKeyFormat::Spki).unwrap().bits, 1024);
}

#[test]
fn ec_formats_round_trip_on_every_curve() {
    for curve in [Curve::P256, Curve::P384, Curve::P521, Curve::Secp256k1] {
        let kp = generate_key_pair(KeyPairSpec::Ec(curve)).unwrap();
        let raw = PrivateKeyFormat::Raw(KeyAlgorithm::Ec(curve));
        let sec1 = private_key_from_pkcs8(&kp.private_key, PrivateKeyFormat::Sec1).unwrap();
        let d = private_key_from_pkcs8(&kp.private_key, raw).unwrap();
        assert_eq!(d.len(), curve.scalar_len());
        // SEC1 → PKCS#8 and the raw scalar → PKCS#8 give the same key, public point included
        // (recomputed by aws-lc for the raw scalar).
        let from_sec1 = private_key_to_pkcs8(&sec1, PrivateKeyFormat::Sec1).unwrap();
        let from_raw = private_key_to_pkcs8(&d, raw).unwrap();
        assert_eq!(*private_key_from_pkcs8(&from_sec1, raw).unwrap(), *d);
        assert_eq!(public_key_of(&from_raw).unwrap(), kp.public_key);
        assert_eq!(*convert_private_key(&d, raw, PrivateKeyFormat::Sec1).unwrap(), *sec1);

        let q = public_key_from_spki(&kp.public_key, PublicKeyFormat::Raw(KeyAlgorithm::Ec(curve))).unwrap();
        assert_eq!(q[0], 0x04, "uncompressed point");
        assert_eq!(q.len(), 1 + 2 * curve.scalar_len());
        assert_eq!(public_key_to_spki(&q, PublicKeyFormat::Raw(KeyAlgorithm::Ec(curve))).unwrap(), kp.public_key);
        let info = describe_private_key(&sec1, PrivateKeyFormat::Sec1).unwrap();
        assert_eq!((info.curve(), info.bits), (Some(curve), curve.bits()));
    }
}

#[test]
fn ec_inputs_are_validated() {
    let raw = PrivateKeyFormat::Raw(KeyAlgorithm::Ec(Curve::P256));
    assert!(private_key_to_pkcs8(&[0; 32], raw).is_err(), "zero scalar");
    assert!(private_key_to_pkcs8(&[0xff; 32], raw).is_err(), "scalar above the order");
    assert!(private_key_to_pkcs8(&[1; 33], raw).is_err(), "too long");
    let mut point = vec![4u8];
    point.extend_from_slice(&[1; 64]);
    assert!(
        public_key_to_spki(&point, PublicKeyFormat::Raw(KeyAlgorithm::Ec(Curve::P256))).is_err(),
        "not on the curve"
    );
}

#[test]
fn ed25519_formats_match_rfc_8032_test_1() {
    let seed = h("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let public = h("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    let raw = PrivateKeyFormat::Raw(KeyAlgorithm::Ed25519);
    let pkcs8 = private_key_to_pkcs8(&seed, raw).unwrap();
    // RFC 8410 §7: a v1 OneAsymmetricKey holding CurvePrivateKey ::= OCTET STRING.
    assert_eq!(*pkcs8, [h("302e020100300506032b657004220420"), seed.clone()].concat());
    assert_eq!(*private_key_from_pkcs8(&pkcs8, raw).unwrap(), seed);
    let spki = public_key_of(&pkcs8).unwrap();
    assert_eq!(spki, [h("302a300506032b6570032100"), public.clone()].concat());
    assert_eq!(public_key_from_spki(&spki, PublicKeyFormat::Raw(KeyAlgorithm::Ed25519)).unwrap(), public);
    assert_eq!(public_key_to_spki(&public, PublicKeyFormat::Raw(KeyAlgorithm::Ed25519)).unwrap(), spki);
    assert_eq!(describe_public_key(&spki, PublicKeyFormat::Spki).unwrap().algorithm, KeyAlgorithm::Ed25519);
}

#[test]
fn x25519_public_key_matches_rfc_7748() {
    // RFC 7748 §6.1: Alice's private key and public key.
    let private = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let public = h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    let raw = PrivateKeyFormat::Raw(KeyAlgorithm::X25519);
    let pkcs8 = private_key_to_pkcs8(&private, raw).unwrap();
    assert_eq!(*pkcs8, [h("302e020100300506032b656e04220420"), private.clone()].concat());
    assert_eq!(*private_key_from_pkcs8(&pkcs8, raw).unwrap(), private);
    let spki = public_key_of(&pkcs8).unwrap();
    assert_eq!(public_key_from_spki(&spki, PublicKeyFormat::Raw(KeyAlgorithm::X25519)).unwrap(), public);
    assert_eq!(public_key_to_spki(&public, PublicKeyFormat::Raw(KeyAlgorithm::X25519)).unwrap(), spki);
}

#[test]
fn impossible_conversions_are_key_format_not_supported() {
    let ec = generate_key_pair(KeyPairSpec::Ec(Curve::P256)).unwrap();
    let rsa = generate_key_pair(KeyPairSpec::Rsa { bits: 2048 }).unwrap();
    let ed = generate_key_pair(KeyPairSpec::Ed25519).unwrap();
    let not_supported = |r: CryptoResult<Zeroizing<Vec<u8>>>| matches!(r, Err(CryptoError::KeyFormatNotSupported(_)));
    assert!(not_supported(private_key_from_pkcs8(&ec.private_key, PrivateKeyFormat::Pkcs1)));
    assert!(not_supported(private_key_from_pkcs8(&rsa.private_key, PrivateKeyFormat::Sec1)));
    assert!(not_supported(private_key_from_pkcs8(&rsa.private_key, PrivateKeyFormat::Raw(KeyAlgorithm::Rsa))));
    assert!(not_supported(private_key_from_pkcs8(&ed.private_key, PrivateKeyFormat::Raw(KeyAlgorithm::X25519))));
    assert!(not_supported(private_key_from_pkcs8(
        &ec.private_key,
        PrivateKeyFormat::Raw(KeyAlgorithm::Ec(Curve::P384))
    )));
    assert!(matches!(
        public_key_from_spki(&ec.public_key, PublicKeyFormat::Pkcs1),
        Err(CryptoError::KeyFormatNotSupported(_))
    ));
    assert!(matches!(rsa_private_components(&ec.private_key), Err(CryptoError::KeyFormatNotSupported(_))));
    assert!(matches!(
        public_key_to_spki(&[0; 10], PublicKeyFormat::Raw(KeyAlgorithm::Rsa)),
        Err(CryptoError::KeyFormatNotSupported(_))
    ));
}

#[test]
fn garbage_is_an_invalid_key() {
    for format in [PrivateKeyFormat::Pkcs1, PrivateKeyFormat::Pkcs8, PrivateKeyFormat::Sec1] {
        assert!(
            matches!(private_key_to_pkcs8(b"\x30\x03\x02\x01\x00", format), Err(CryptoError::InvalidKey(_))),
            "{format:?}"
        );
    }
    assert!(matches!(public_key_to_spki(b"nonsense", PublicKeyFormat::Spki), Err(CryptoError::InvalidKey(_))));
}
