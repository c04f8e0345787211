//! Known-answer tests (RFC 8032), cross-checks between aws-lc-rs and the `rsa` crate, round
//! trips and failure cases for [`super`].

use std::sync::OnceLock;

use super::*;
use crate::CryptoError;
use crate::formats::{self, PrivateKeyFormat, PublicKeyFormat};
use crate::hash::hash;
use crate::test_util::h;

/// One key pair per algorithm, generated once for the whole test run (RSA generation is slow).
fn pair(spec: KeyPairSpec) -> &'static (PrivateKey, PublicKey) {
    static RSA2048: OnceLock<(PrivateKey, PublicKey)> = OnceLock::new();
    static RSA1024: OnceLock<(PrivateKey, PublicKey)> = OnceLock::new();
    static P256: OnceLock<(PrivateKey, PublicKey)> = OnceLock::new();
    static P384: OnceLock<(PrivateKey, PublicKey)> = OnceLock::new();
    static P521: OnceLock<(PrivateKey, PublicKey)> = OnceLock::new();
    static K256: OnceLock<(PrivateKey, PublicKey)> = OnceLock::new();
    static ED: OnceLock<(PrivateKey, PublicKey)> = OnceLock::new();
    let cell = match spec {
        KeyPairSpec::Rsa { bits: 2048 } => &RSA2048,
        KeyPairSpec::Rsa { bits: 1024 } => &RSA1024,
        KeyPairSpec::Ec(Curve::P256) => &P256,
        KeyPairSpec::Ec(Curve::P384) => &P384,
        KeyPairSpec::Ec(Curve::P521) => &P521,
        KeyPairSpec::Ec(Curve::Secp256k1) => &K256,
        KeyPairSpec::Ed25519 => &ED,
        other => panic!("no cached pair for {other:?}"),
    };
    cell.get_or_init(|| {
        let kp = generate_key_pair(spec).unwrap();
        (PrivateKey::from_pkcs8(&kp.private_key).unwrap(), PublicKey::from_spki(&kp.public_key).unwrap())
    })
}

/// RFC 8032 §7.1, TEST 1 to TEST 3: secret key, public key, message, signature.
const RFC8032: [(&str, &str, &str, &str); 3] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b\
         d25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c\
         387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc659\
         4a7c15e9716ed28dc027beceea1ec40a",
    ),
];

#[test]
fn ed25519_matches_rfc_8032_tests_1_to_3() {
    for (secret, public, message, signature) in RFC8032 {
        let key = PrivateKey::from_der(&h(secret), PrivateKeyFormat::Raw(KeyAlgorithm::Ed25519)).unwrap();
        let public_key = key.public_key().unwrap();
        assert_eq!(
            formats::public_key_from_spki(public_key.spki_der(), PublicKeyFormat::Raw(KeyAlgorithm::Ed25519)).unwrap(),
            h(public)
        );
        assert_eq!(sign(&key, SignatureScheme::Ed25519, &h(message)).unwrap(), h(signature));
        let from_raw = PublicKey::from_der(&h(public), PublicKeyFormat::Raw(KeyAlgorithm::Ed25519)).unwrap();
        verify(&from_raw, SignatureScheme::Ed25519, &h(message), &h(signature)).unwrap();
        let mut bad = h(signature);
        bad[10] ^= 1;
        assert_eq!(
            verify(&from_raw, SignatureScheme::Ed25519, &h(message), &bad),
            Err(CryptoError::VerificationFailed)
        );
    }
}

#[test]
fn every_key_type_is_generated_and_described() {
    let cases = [
        (KeyPairSpec::Rsa { bits: 2048 }, KeyAlgorithm::Rsa, 2048),
        (KeyPairSpec::Ec(Curve::P256), KeyAlgorithm::Ec(Curve::P256), 256),
        (KeyPairSpec::Ec(Curve::P384), KeyAlgorithm::Ec(Curve::P384), 384),
        (KeyPairSpec::Ec(Curve::P521), KeyAlgorithm::Ec(Curve::P521), 521),
        (KeyPairSpec::Ec(Curve::Secp256k1), KeyAlgorithm::Ec(Curve::Secp256k1), 256),
        (KeyPairSpec::Ed25519, KeyAlgorithm::Ed25519, 255),
        (KeyPairSpec::X25519, KeyAlgorithm::X25519, 255),
    ];
    for (spec, algorithm, bits) in cases {
        let kp = generate_key_pair(spec).unwrap();
        let private = PrivateKey::from_pkcs8(&kp.private_key).unwrap();
        assert_eq!((private.algorithm(), private.bits()), (algorithm, bits), "{spec:?}");
        let public = PublicKey::from_spki(&kp.public_key).unwrap();
        assert_eq!((public.algorithm(), public.bits()), (algorithm, bits), "{spec:?}");
        assert_eq!(private.public_key().unwrap(), public, "{spec:?}");
    }
}

#[test]
fn larger_rsa_keys_are_generated() {
    for bits in [3072, 4096] {
        let kp = generate_key_pair(KeyPairSpec::Rsa { bits }).unwrap();
        let key = PrivateKey::from_pkcs8(&kp.private_key).unwrap();
        assert_eq!(key.bits(), bits);
        // e = 65537.
        assert_eq!(formats::rsa_public_components(&kp.public_key).unwrap().e, vec![1, 0, 1]);
        let sig = sign(&key, SignatureScheme::RsaPss { hash: HashAlgorithm::Sha384, salt_len: None }, b"m").unwrap();
        assert_eq!(sig.len(), bits as usize / 8);
    }
    assert!(matches!(generate_key_pair(KeyPairSpec::Rsa { bits: 1000 }), Err(CryptoError::Unsupported(_))));
}

fn all_rsa_schemes() -> Vec<SignatureScheme> {
    let mut v: Vec<SignatureScheme> = [
        HashAlgorithm::Sha1,
        HashAlgorithm::Sha224,
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ]
    .into_iter()
    .map(SignatureScheme::RsaPkcs1v15)
    .collect();
    for hash in [
        HashAlgorithm::Sha1,
        HashAlgorithm::Sha224,
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ] {
        for salt_len in [None, Some(0), Some(20), Some(100)] {
            v.push(SignatureScheme::RsaPss { hash, salt_len });
        }
    }
    v
}

#[test]
fn rsa_signatures_round_trip_for_every_hash_padding_and_salt() {
    for bits in [2048, 1024] {
        let (key, public) = pair(KeyPairSpec::Rsa { bits });
        for scheme in all_rsa_schemes() {
            if let SignatureScheme::RsaPss { hash, salt_len } = scheme
                && salt_len.unwrap_or(hash.output_len()) + hash.output_len() + 2 > bits as usize / 8
            {
                continue; // too long a salt for the key (RFC 8017 §9.1.1), checked below
            }
            let msg = b"KMIP sign request data";
            let sig = sign(key, scheme, msg).unwrap_or_else(|e| panic!("{bits} {scheme:?}: {e}"));
            assert_eq!(sig.len(), bits as usize / 8, "{scheme:?}");
            verify(public, scheme, msg, &sig).unwrap_or_else(|e| panic!("{bits} {scheme:?}: {e}"));
            assert_eq!(verify(public, scheme, b"other data", &sig), Err(CryptoError::VerificationFailed), "{scheme:?}");
            let digest = hash(super::sign::scheme_hash(scheme).unwrap(), msg);
            verify_digest(public, scheme, &digest, &sig).unwrap();
            let sig2 = sign_digest(key, scheme, &digest).unwrap();
            verify(public, scheme, msg, &sig2).unwrap();
        }
    }
    let (key, _) = pair(KeyPairSpec::Rsa { bits: 1024 });
    let too_long = SignatureScheme::RsaPss { hash: HashAlgorithm::Sha512, salt_len: Some(100) };
    assert!(matches!(sign(key, too_long, b"m"), Err(CryptoError::InvalidInput(_))));
}

#[test]
fn aws_lc_and_the_rsa_crate_agree_on_pkcs1_signatures() {
    // PKCS#1 v1.5 signatures are deterministic: two implementations must produce the same bytes.
    let (key, public) = pair(KeyPairSpec::Rsa { bits: 2048 });
    for hash_alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512] {
        let scheme = SignatureScheme::RsaPkcs1v15(hash_alg);
        let digest = hash(hash_alg, b"cross-check");
        let aws = sign(key, scheme, b"cross-check").unwrap();
        let rust = super::legacy_rsa::sign_digest(key.pkcs8_der(), scheme, &digest).unwrap();
        assert_eq!(aws, rust, "{hash_alg:?}");
        super::legacy_rsa::verify_digest(public.spki_der(), scheme, &digest, &aws).unwrap();
    }
    // PSS is randomized; each side verifies the other's signatures, salt lengths included.
    for salt_len in [None, Some(0), Some(48)] {
        let scheme = SignatureScheme::RsaPss { hash: HashAlgorithm::Sha384, salt_len };
        let digest = hash(HashAlgorithm::Sha384, b"pss");
        let aws = sign(key, scheme, b"pss").unwrap();
        super::legacy_rsa::verify_digest(public.spki_der(), scheme, &digest, &aws).unwrap();
        let rust = super::legacy_rsa::sign_digest(key.pkcs8_der(), scheme, &digest).unwrap();
        verify(public, scheme, b"pss", &rust).unwrap();
        // A signature made with another salt length does not verify.
        let other = SignatureScheme::RsaPss { hash: HashAlgorithm::Sha384, salt_len: Some(10) };
        assert_eq!(verify(public, other, b"pss", &aws), Err(CryptoError::VerificationFailed));
    }
}

#[test]
fn ecdsa_round_trips_on_every_curve_with_every_hash() {
    let hashes = [
        HashAlgorithm::Sha224,
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
        HashAlgorithm::Sha3_256,
    ];
    for curve in [Curve::P256, Curve::P384, Curve::P521, Curve::Secp256k1] {
        let (key, public) = pair(KeyPairSpec::Ec(curve));
        for hash_alg in hashes {
            let scheme = SignatureScheme::Ecdsa(hash_alg);
            let sig = sign(key, scheme, b"ecdsa message").unwrap();
            // DER: SEQUENCE { INTEGER r, INTEGER s }.
            assert_eq!(sig[0], 0x30, "{curve:?} {hash_alg:?}");
            verify(public, scheme, b"ecdsa message", &sig).unwrap();
            assert_eq!(verify(public, scheme, b"other", &sig), Err(CryptoError::VerificationFailed));
            let digest = hash(hash_alg, b"ecdsa message");
            verify_digest(public, scheme, &digest, &sig).unwrap();
            let sig2 = sign_digest(key, scheme, &digest).unwrap();
            verify(public, scheme, b"ecdsa message", &sig2).unwrap();
        }
    }
}

#[test]
fn mixed_curve_and_hash_signatures_verify_with_aws_lc_hashing_itself() {
    // Our digest conversion (see ecdsa.rs) against aws-lc's own verifiers for these pairs.
    for (curve, hash_alg) in [
        (Curve::P256, HashAlgorithm::Sha384),
        (Curve::P256, HashAlgorithm::Sha512),
        (Curve::P384, HashAlgorithm::Sha256),
        (Curve::P384, HashAlgorithm::Sha512),
        (Curve::P521, HashAlgorithm::Sha256),
        (Curve::P521, HashAlgorithm::Sha384),
    ] {
        let (key, public) = pair(KeyPairSpec::Ec(curve));
        let sig = sign(key, SignatureScheme::Ecdsa(hash_alg), b"mixed").unwrap();
        let native = super::ecdsa::native_verifier(curve, hash_alg).unwrap();
        aws_lc_rs::signature::UnparsedPublicKey::new(native, public.spki_der())
            .verify(b"mixed", &sig)
            .unwrap_or_else(|_| panic!("{curve:?} {hash_alg:?}"));
    }
}

#[test]
fn schemes_must_suit_keys_and_digests_their_hash() {
    let (rsa_key, rsa_pub) = pair(KeyPairSpec::Rsa { bits: 2048 });
    let (ec_key, _) = pair(KeyPairSpec::Ec(Curve::P256));
    let (ed_key, ed_pub) = pair(KeyPairSpec::Ed25519);
    assert!(matches!(
        sign(rsa_key, SignatureScheme::Ecdsa(HashAlgorithm::Sha256), b"m"),
        Err(CryptoError::Unsupported(_))
    ));
    assert!(matches!(sign(ec_key, SignatureScheme::Ed25519, b"m"), Err(CryptoError::Unsupported(_))));
    assert!(matches!(sign_digest(ed_key, SignatureScheme::Ed25519, &[0; 32]), Err(CryptoError::Unsupported(_))));
    assert!(matches!(
        verify(ed_pub, SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256), b"m", &[0; 64]),
        Err(CryptoError::Unsupported(_))
    ));
    assert!(matches!(
        sign_digest(rsa_key, SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256), &[0; 20]),
        Err(CryptoError::InvalidInput(_))
    ));
    assert_eq!(
        verify(rsa_pub, SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256), b"m", &[0; 256]),
        Err(CryptoError::VerificationFailed)
    );
}

#[test]
fn streaming_signatures_equal_one_shot_ones() {
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 3) as u8).collect();
    let cases = [
        (KeyPairSpec::Rsa { bits: 2048 }, SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256)),
        (KeyPairSpec::Rsa { bits: 2048 }, SignatureScheme::RsaPss { hash: HashAlgorithm::Sha512, salt_len: None }),
        (KeyPairSpec::Ec(Curve::P384), SignatureScheme::Ecdsa(HashAlgorithm::Sha384)),
        (KeyPairSpec::Ed25519, SignatureScheme::Ed25519),
    ];
    for (spec, scheme) in cases {
        let (key, public) = pair(spec);
        let mut s = SignatureStream::new(scheme);
        for part in data.chunks(333) {
            s.update(part).unwrap();
        }
        let sig = s.sign(key).unwrap();
        verify(public, scheme, &data, &sig).unwrap();
        let mut v = SignatureStream::new(scheme);
        for part in data.chunks(1000) {
            v.update(part).unwrap();
        }
        v.verify(public, &sig).unwrap();
        let mut v = SignatureStream::new(scheme);
        v.update(&data[1..]).unwrap();
        assert_eq!(v.verify(public, &sig), Err(CryptoError::VerificationFailed), "{scheme:?}");
    }
    // Deterministic schemes give the very same bytes.
    let (key, _) = pair(KeyPairSpec::Ed25519);
    let mut s = SignatureStream::new(SignatureScheme::Ed25519);
    s.update(&data).unwrap();
    assert_eq!(s.sign(key).unwrap(), sign(key, SignatureScheme::Ed25519, &data).unwrap());
    fn send<T: Send>() {}
    send::<SignatureStream>();
}

#[test]
fn rsa_encryption_round_trips_with_every_padding() {
    for bits in [2048, 1024] {
        let (key, public) = pair(KeyPairSpec::Rsa { bits });
        let hashes = [HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512];
        for hash_alg in hashes {
            for mgf1_hash in [HashAlgorithm::Sha1, hash_alg] {
                for label in [&b""[..], b"P Source label"] {
                    if bits == 1024 && matches!(hash_alg, HashAlgorithm::Sha384 | HashAlgorithm::Sha512) {
                        continue; // 2 × hLen + 2 bytes of overhead leave under 31 bytes in 128
                    }
                    let padding = RsaEncryptionPadding::Oaep { hash: hash_alg, mgf1_hash, label };
                    let ct = rsa_encrypt(public, padding, b"a 32-byte AES key goes here....").unwrap();
                    assert_eq!(ct.len(), bits as usize / 8);
                    assert_eq!(*rsa_decrypt(key, padding, &ct).unwrap(), b"a 32-byte AES key goes here....");
                    let wrong_label = RsaEncryptionPadding::Oaep { hash: hash_alg, mgf1_hash, label: b"other" };
                    assert_eq!(rsa_decrypt(key, wrong_label, &ct), Err(CryptoError::VerificationFailed));
                }
            }
        }
        let ct = rsa_encrypt(public, RsaEncryptionPadding::Pkcs1v15, b"secret").unwrap();
        assert_eq!(*rsa_decrypt(key, RsaEncryptionPadding::Pkcs1v15, &ct).unwrap(), b"secret");
        let mut bad = ct.clone();
        bad[5] ^= 1;
        assert!(rsa_decrypt(key, RsaEncryptionPadding::Pkcs1v15, &bad).map(|p| *p != b"secret").unwrap_or(true));
        assert!(matches!(
            rsa_encrypt(public, RsaEncryptionPadding::Pkcs1v15, &vec![0; 300]),
            Err(CryptoError::InvalidInput(_))
        ));
    }
}

#[test]
fn oaep_interoperates_between_aws_lc_and_the_rsa_crate() {
    let (key, public) = pair(KeyPairSpec::Rsa { bits: 2048 });
    let h256 = HashAlgorithm::Sha256;
    let aws_ct =
        rsa_encrypt(public, RsaEncryptionPadding::Oaep { hash: h256, mgf1_hash: h256, label: b"L" }, b"k").unwrap();
    let rust = super::legacy_rsa::oaep_decrypt(key.pkcs8_der(), h256, h256, b"L", &aws_ct).unwrap();
    assert_eq!(*rust, b"k");
    let rust_ct = super::legacy_rsa::oaep_encrypt(public.spki_der(), h256, h256, b"", b"k2").unwrap();
    let padding = RsaEncryptionPadding::Oaep { hash: h256, mgf1_hash: h256, label: b"" };
    assert_eq!(*rsa_decrypt(key, padding, &rust_ct).unwrap(), b"k2");
}

#[test]
fn ec_and_ed_keys_refuse_rsa_encryption() {
    let (_, public) = pair(KeyPairSpec::Ec(Curve::P256));
    assert!(matches!(rsa_encrypt(public, RsaEncryptionPadding::Pkcs1v15, b"x"), Err(CryptoError::Unsupported(_))));
}

#[test]
fn keys_load_from_every_format() {
    let (key, public) = pair(KeyPairSpec::Ec(Curve::P256));
    let sec1 = formats::private_key_from_pkcs8(key.pkcs8_der(), PrivateKeyFormat::Sec1).unwrap();
    let again = PrivateKey::from_der(&sec1, PrivateKeyFormat::Sec1).unwrap();
    let sig = sign(&again, SignatureScheme::Ecdsa(HashAlgorithm::Sha256), b"x").unwrap();
    verify(public, SignatureScheme::Ecdsa(HashAlgorithm::Sha256), b"x", &sig).unwrap();
    let (rsa_key, rsa_pub) = pair(KeyPairSpec::Rsa { bits: 2048 });
    let pkcs1 = formats::public_key_from_spki(rsa_pub.spki_der(), PublicKeyFormat::Pkcs1).unwrap();
    let from_pkcs1 = PublicKey::from_der(&pkcs1, PublicKeyFormat::Pkcs1).unwrap();
    let sig = sign(rsa_key, SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256), b"x").unwrap();
    verify(&from_pkcs1, SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256), b"x", &sig).unwrap();
}
