use super::*;
use crate::test_util::h;

const SHA: [HashAlgorithm; 4] =
    [HashAlgorithm::Sha224, HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512];

/// RFC 4231 §4.2–§4.8: key, data, then HMAC-SHA-224, -256, -384, -512. Test case 5 is truncated
/// to 128 bits in the RFC and is checked separately.
fn rfc4231() -> Vec<(Vec<u8>, Vec<u8>, [&'static str; 4])> {
    vec![
        (
            vec![0x0b; 20],
            b"Hi There".to_vec(),
            [
                "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
                "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4\
                 be9d914eeb61f1702e696c203a126854",
            ],
        ),
        (
            b"Jefe".to_vec(),
            b"what do ya want for nothing?".to_vec(),
            [
                "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd\
                 caeab1a34d4a6b4b636e070a38bce737",
            ],
        ),
        (
            vec![0xaa; 20],
            vec![0xdd; 50],
            [
                "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea",
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
                "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
                "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807\
                 b946a337bee8942674278859e13292fb",
            ],
        ),
        (
            (1u8..=25).collect(),
            vec![0xcd; 50],
            [
                "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a",
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
                "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
                "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063\
                 a5f19741120c4f2de2adebeb10a298dd",
            ],
        ),
        (
            vec![0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            [
                "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
                "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e52\
                 95e64f73f63f0aec8b915a985d786598",
            ],
        ),
        (
            vec![0xaa; 131],
            b"This is a test using a larger than block-size key and a larger than block-size data. The key needs \
              to be hashed before being used by the HMAC algorithm."
                .to_vec(),
            [
                "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
                "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15\
                 134676fb6de0446065c97440fa8c6a58",
            ],
        ),
    ]
}

#[test]
fn hmac_sha2_matches_rfc_4231() {
    for (i, (key, data, tags)) in rfc4231().into_iter().enumerate() {
        for (hash, tag) in SHA.iter().zip(tags) {
            let alg = MacAlgorithm::Hmac(*hash);
            assert_eq!(mac(alg, &key, &data).unwrap(), h(tag), "case {i} {hash:?}");
            verify_mac(alg, &key, &data, &h(tag)).unwrap();
        }
    }
}

#[test]
fn truncated_hmac_matches_rfc_4231_case_5() {
    // RFC 4231 §4.6: the MACs truncated to 128 bits.
    let key = [0x0c; 20];
    let data = b"Test With Truncation";
    let tags = [
        "0e2aea68a90c8d37c988bcdb9fca6fa8",
        "a3b6167473100ee06e0c796c2955552b",
        "3abf34c3503b2a23a46efc619baef897",
        "415fad6271580a531d4179bc891d87a6",
    ];
    for (hash, tag) in SHA.iter().zip(tags) {
        let alg = MacAlgorithm::Hmac(*hash);
        assert_eq!(&mac(alg, &key, data).unwrap()[..16], &h(tag)[..]);
        verify_mac(alg, &key, data, &h(tag)).unwrap();
    }
}

#[test]
fn hmac_sha1_matches_rfc_2202() {
    // RFC 2202 §3, test cases 1, 2, 3 and 6.
    let alg = MacAlgorithm::Hmac(HashAlgorithm::Sha1);
    let cases: [(Vec<u8>, Vec<u8>, &str); 4] = [
        (vec![0x0b; 20], b"Hi There".to_vec(), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec(), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        (vec![0xaa; 20], vec![0xdd; 50], "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        (
            vec![0xaa; 80],
            b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112",
        ),
    ];
    for (key, data, tag) in cases {
        assert_eq!(mac(alg, &key, &data).unwrap(), h(tag));
    }
}

/// The four messages of NIST SP 800-38B Appendix D (the SP 800-38A plaintext, cut to 0, 16, 40
/// and 64 bytes).
fn cmac_message(len: usize) -> Vec<u8> {
    let full = h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                  30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
    full[..len].to_vec()
}

#[test]
fn cmac_matches_sp_800_38b_appendix_d() {
    // SP 800-38B Appendix D.1 (AES-128), D.2 (AES-192), D.3 (AES-256), examples 1–12.
    let cases = [
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            [
                "bb1d6929e95937287fa37d129b756746",
                "070a16b46b4d4144f79bdd9dd04a287c",
                "dfa66747de9ae63030ca32611497c827",
                "51f0bebf7e3b9d92fc49741779363cfe",
            ],
        ),
        (
            "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
            [
                "d17ddf46adaacde531cac483de7a9367",
                "9e99a7bf31e710900662f65e617c5184",
                "8a1de5be2eb31aad089a82e6ee908b0e",
                "a1d5df0eed790f794d77589659f39a11",
            ],
        ),
        (
            "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
            [
                "028962f61b7bf89efc6b551f4667d983",
                "28a7023f452e8f82bd4bf28d8c37c35c",
                "aaf3d8f1de5640c232f5b169b9c911e6",
                "e1992190549f6ed5696a2c056c315410",
            ],
        ),
    ];
    for (key, tags) in cases {
        for (len, tag) in [0usize, 16, 40, 64].into_iter().zip(tags) {
            let msg = cmac_message(len);
            assert_eq!(mac(MacAlgorithm::CmacAes, &h(key), &msg).unwrap(), h(tag), "key {key} len {len}");
            verify_mac(MacAlgorithm::CmacAes, &h(key), &msg, &h(tag)).unwrap();
        }
    }
}

#[test]
fn streaming_equals_one_shot() {
    let data: Vec<u8> = (0..777u32).map(|i| (i % 251) as u8).collect();
    let algs = [
        MacAlgorithm::Hmac(HashAlgorithm::Sha1),
        MacAlgorithm::Hmac(HashAlgorithm::Sha256),
        MacAlgorithm::Hmac(HashAlgorithm::Sha512_256),
        MacAlgorithm::Hmac(HashAlgorithm::Sha3_224),
        MacAlgorithm::Hmac(HashAlgorithm::Sha3_512),
        MacAlgorithm::CmacAes,
    ];
    for alg in algs {
        let key = [7u8; 32];
        let mut state = MacState::new(alg, &key).unwrap();
        for part in data.chunks(50) {
            state.update(part).unwrap();
        }
        assert_eq!(state.finish().unwrap(), mac(alg, &key, &data).unwrap(), "{alg:?}");
    }
}

#[test]
fn hmac_sha3_follows_the_rfc_2104_construction() {
    // No SHA-3 HMAC vectors are inlined; check the RustCrypto HMAC against the definition
    // H((K ^ opad) || H((K ^ ipad) || m)) built on our SHA-3 digests (block sizes from FIPS 202).
    use crate::hash::hash;
    for (alg, block) in [
        (HashAlgorithm::Sha3_224, 144),
        (HashAlgorithm::Sha3_256, 136),
        (HashAlgorithm::Sha3_384, 104),
        (HashAlgorithm::Sha3_512, 72),
    ] {
        let key = b"key".to_vec();
        let msg = b"The quick brown fox jumps over the lazy dog";
        let mut k = key.clone();
        k.resize(block, 0);
        let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).chain(msg.iter().copied()).collect();
        let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).chain(hash(alg, &inner)).collect();
        assert_eq!(mac(MacAlgorithm::Hmac(alg), &key, msg).unwrap(), hash(alg, &outer), "{alg:?}");
    }
}

#[test]
fn a_wrong_tag_or_key_fails_verification() {
    let alg = MacAlgorithm::Hmac(HashAlgorithm::Sha256);
    let mut tag = mac(alg, b"key", b"data").unwrap();
    assert_eq!(verify_mac(alg, b"other key", b"data", &tag), Err(CryptoError::VerificationFailed));
    tag[31] ^= 1;
    assert_eq!(verify_mac(alg, b"key", b"data", &tag), Err(CryptoError::VerificationFailed));
    let cmac_tag = mac(MacAlgorithm::CmacAes, &[1; 16], b"data").unwrap();
    assert_eq!(verify_mac(MacAlgorithm::CmacAes, &[2; 16], b"data", &cmac_tag), Err(CryptoError::VerificationFailed));
}

#[test]
fn bad_lengths_are_input_errors() {
    let alg = MacAlgorithm::Hmac(HashAlgorithm::Sha256);
    assert!(matches!(verify_mac(alg, b"k", b"d", &[0; 3]), Err(CryptoError::InvalidInput(_))));
    assert!(matches!(verify_mac(alg, b"k", b"d", &[0; 33]), Err(CryptoError::InvalidInput(_))));
    assert!(matches!(mac(MacAlgorithm::CmacAes, &[0; 15], b"d"), Err(CryptoError::InvalidKey(_))));
}

#[test]
fn states_can_be_sent_between_threads() {
    fn send<T: Send>() {}
    send::<MacState>();
}
