//! Known-answer tests from published vectors, round trips and failure cases for [`super`].

use super::*;
use crate::test_util::h;

/// The four-block plaintext of NIST SP 800-38A Appendix F.
const SP800_38A_PLAIN: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                               30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const KEY_128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const KEY_192: &str = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
const KEY_256: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
const IV_38A: &str = "000102030405060708090a0b0c0d0e0f";
const CTR_38A: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/// Encrypts with `cipher` one-shot and in parts of every size from 1 to 33 bytes, checks each
/// against `ct`, and decrypts both ways back.
fn check(cipher: Cipher, key: &str, iv: &str, pt: &str, ct: &str) {
    let (key, iv, pt, ct) = (h(key), h(iv), h(pt), h(ct));
    let enc = encrypt(cipher, &key, &iv, &[], &pt).unwrap();
    assert_eq!(enc.ciphertext, ct, "{cipher:?} encrypt");
    assert_eq!(*decrypt(cipher, &key, &iv, &[], &ct, None).unwrap(), pt, "{cipher:?} decrypt");
    for part in 1..=33 {
        assert_eq!(stream(Direction::Encrypt, cipher, &key, &iv, &pt, part), ct, "{cipher:?} stream {part}");
        assert_eq!(stream(Direction::Decrypt, cipher, &key, &iv, &ct, part), pt, "{cipher:?} stream {part}");
    }
}

fn stream(direction: Direction, cipher: Cipher, key: &[u8], iv: &[u8], data: &[u8], part: usize) -> Vec<u8> {
    let mut s = CipherStream::new(direction, cipher, key, iv, &[]).unwrap();
    let mut out = Vec::new();
    for chunk in data.chunks(part) {
        out.extend_from_slice(&s.update(chunk).unwrap());
    }
    out.extend_from_slice(&s.finish(None).unwrap().data);
    out
}

#[test]
fn aes_ecb_matches_sp_800_38a_f1() {
    // F.1.1 (AES-128), F.1.3 (AES-192), F.1.5 (AES-256), encryption; F.1.2/4/6 are the inverse.
    let cases = [
        (
            KEY_128,
            "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4",
        ),
        (
            KEY_192,
            "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eefef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e",
        ),
        (
            KEY_256,
            "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7",
        ),
    ];
    for (key, ct) in cases {
        check(Cipher::AesEcb(Padding::None), key, "", SP800_38A_PLAIN, ct);
    }
}

#[test]
fn aes_cbc_matches_sp_800_38a_f2() {
    // F.2.1, F.2.3, F.2.5.
    let cases = [
        (
            KEY_128,
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
        ),
        (
            KEY_192,
            "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd",
        ),
        (
            KEY_256,
            "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
        ),
    ];
    for (key, ct) in cases {
        check(Cipher::AesCbc(Padding::None), key, IV_38A, SP800_38A_PLAIN, ct);
    }
}

#[test]
fn aes_ctr_matches_sp_800_38a_f5() {
    // F.5.1, F.5.3, F.5.5.
    let cases = [
        (
            KEY_128,
            "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
        ),
        (
            KEY_192,
            "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e941e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
        ),
        (
            KEY_256,
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
        ),
    ];
    for (key, ct) in cases {
        check(Cipher::AesCtr, key, CTR_38A, SP800_38A_PLAIN, ct);
        // CTR is a stream mode: any prefix encrypts to the same prefix.
        let pt = h(SP800_38A_PLAIN);
        let enc = encrypt(Cipher::AesCtr, &h(key), &h(CTR_38A), &[], &pt[..37]).unwrap();
        assert_eq!(enc.ciphertext, h(ct)[..37]);
    }
}

#[test]
fn aes_cfb128_and_ofb_match_sp_800_38a_f3_f4() {
    // F.3.13 (CFB128-AES128.Encrypt) and F.4.1 (OFB-AES128.Encrypt).
    check(
        Cipher::AesCfb128,
        KEY_128,
        IV_38A,
        SP800_38A_PLAIN,
        "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6",
    );
    check(
        Cipher::AesOfb,
        KEY_128,
        IV_38A,
        SP800_38A_PLAIN,
        "3b3fd92eb72dad20333449f8e83cfb4a7789508d16918f03f53c52dac54ed8259740051e9c5fecf64344f7a82260edcc304c6528f659c77866a510d9c1d6ae5e",
    );
}

#[test]
fn pkcs7_padding_adds_a_block_that_unpadded_encryption_confirms() {
    // The padded ciphertext of the F.2.1 message is F.2.1's ciphertext followed by the encryption
    // of a full block of 0x10 chained on the last ciphertext block.
    let pt = h(SP800_38A_PLAIN);
    for (cipher, nopad, iv) in [
        (Cipher::AesCbc(Padding::Pkcs7), Cipher::AesCbc(Padding::None), h(IV_38A)),
        (Cipher::AesEcb(Padding::Pkcs7), Cipher::AesEcb(Padding::None), vec![]),
    ] {
        let padded = encrypt(cipher, &h(KEY_128), &iv, &[], &pt).unwrap().ciphertext;
        let mut with_pad = pt.clone();
        with_pad.extend_from_slice(&[16u8; 16]);
        assert_eq!(padded, encrypt(nopad, &h(KEY_128), &iv, &[], &with_pad).unwrap().ciphertext);
        for len in [0usize, 1, 15, 16, 17, 63] {
            let ct = encrypt(cipher, &h(KEY_128), &iv, &[], &pt[..len]).unwrap().ciphertext;
            assert_eq!(ct.len(), (len / 16 + 1) * 16);
            assert_eq!(*decrypt(cipher, &h(KEY_128), &iv, &[], &ct, None).unwrap(), pt[..len]);
            for part in [1usize, 5, 16, 40] {
                assert_eq!(stream(Direction::Encrypt, cipher, &h(KEY_128), &iv, &pt[..len], part), ct);
                assert_eq!(stream(Direction::Decrypt, cipher, &h(KEY_128), &iv, &ct, part), pt[..len]);
            }
        }
    }
}

#[test]
fn bad_padding_fails_verification() {
    let key = h(KEY_128);
    let iv = h(IV_38A);
    let cipher = Cipher::AesCbc(Padding::Pkcs7);
    let mut ct = encrypt(cipher, &key, &iv, &[], b"fifteen bytes!!").unwrap().ciphertext;
    // Flipping a bit of the IV's last byte flips the padding byte of the only block.
    let mut bad_iv = iv.clone();
    bad_iv[15] ^= 0x01;
    assert_eq!(decrypt(cipher, &key, &bad_iv, &[], &ct, None), Err(CryptoError::VerificationFailed));
    let mut s = CipherStream::new(Direction::Decrypt, cipher, &key, &bad_iv, &[]).unwrap();
    let _ = s.update(&ct).unwrap();
    assert_eq!(s.finish(None).unwrap_err(), CryptoError::VerificationFailed);
    ct.pop();
    assert!(matches!(decrypt(cipher, &key, &iv, &[], &ct, None), Err(CryptoError::InvalidInput(_))));
}

#[test]
fn unpadded_modes_refuse_partial_blocks() {
    let key = h(KEY_128);
    assert!(matches!(
        encrypt(Cipher::AesCbc(Padding::None), &key, &h(IV_38A), &[], &[0; 17]),
        Err(CryptoError::InvalidInput(_))
    ));
    let mut s = CipherStream::new(Direction::Encrypt, Cipher::AesEcb(Padding::None), &key, &[], &[]).unwrap();
    assert_eq!(s.update(&[0; 20]).unwrap().len(), 16);
    assert!(matches!(s.finish(None), Err(CryptoError::InvalidInput(_))));
}

#[test]
fn ivs_are_checked_and_generated() {
    let key = h(KEY_128);
    assert_eq!(encrypt(Cipher::AesCbc(Padding::Pkcs7), &key, &[], &[], b"x"), Err(CryptoError::MissingIv));
    assert!(matches!(
        encrypt(Cipher::AesCbc(Padding::Pkcs7), &key, &[0; 12], &[], b"x"),
        Err(CryptoError::InvalidInput(_))
    ));
    assert!(matches!(
        encrypt(Cipher::AesEcb(Padding::Pkcs7), &key, &[0; 16], &[], b"x"),
        Err(CryptoError::InvalidInput(_))
    ));
    for cipher in [
        Cipher::AesGcm { tag_len: 16 },
        Cipher::AesCbc(Padding::Pkcs7),
        Cipher::AesCtr,
        Cipher::AesXts,
        Cipher::TripleDesCbc(Padding::Pkcs7),
        Cipher::ChaCha20 { initial_counter: 0 },
        Cipher::ChaCha20Poly1305,
        Cipher::AesEcb(Padding::None),
    ] {
        let a = generate_iv(cipher).unwrap();
        assert_eq!(a.len(), iv_len(cipher), "{cipher:?}");
        if !a.is_empty() {
            assert_ne!(a, generate_iv(cipher).unwrap());
        }
    }
}

#[test]
fn ctr_counter_blocks_put_the_counter_after_the_nonce() {
    assert_eq!(ctr_counter_block(&[0xaa; 12], 1).unwrap().to_vec(), h("aaaaaaaaaaaaaaaaaaaaaaaa00000001"));
    assert_eq!(ctr_counter_block(&[0xaa; 8], 0x0102).unwrap().to_vec(), h("aaaaaaaaaaaaaaaa0000000000000102"));
    assert_eq!(ctr_counter_block(&h(CTR_38A), 0).unwrap().to_vec(), h(CTR_38A));
    assert!(ctr_counter_block(&[0; 15], 0x100).is_err());
    assert!(ctr_counter_block(&[0; 17], 0).is_err());
    // The counter carries across the whole block: the block after ...ff is ...00 with a carry.
    let key = h(KEY_128);
    let two = encrypt(Cipher::AesCtr, &key, &ctr_counter_block(&[0; 8], u64::MAX).unwrap(), &[], &[0; 32]).unwrap();
    let second = encrypt(Cipher::AesCtr, &key, &h("00000000000000010000000000000000"), &[], &[0; 16]).unwrap();
    assert_eq!(two.ciphertext[16..], second.ciphertext[..]);
}

/// GCM test cases from McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B
/// (the GCM specification NIST adopted in SP 800-38D): key, IV, plaintext, AAD, ciphertext, tag.
fn gcm_cases() -> Vec<(&'static str, &'static str, &'static str, &'static str, &'static str, &'static str)> {
    let p64 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    let p60 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    let aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    let iv96 = "cafebabefacedbaddecaf888";
    let iv64 = "cafebabefacedbad";
    let iv480 = "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b";
    vec![
        // Test cases 1–6: AES-128.
        (
            "00000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "",
            "",
            "58e2fccefa7e3061367f1d57a4e7455a",
        ),
        (
            "00000000000000000000000000000000",
            "000000000000000000000000",
            "00000000000000000000000000000000",
            "",
            "0388dace60b6a392f328c2b971b2fe78",
            "ab6e47d42cec13bdf53a67b21257bddf",
        ),
        (
            "feffe9928665731c6d6a8f9467308308",
            iv96,
            p64,
            "",
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
            "4d5c2af327cd64a62cf35abd2ba6fab4",
        ),
        (
            "feffe9928665731c6d6a8f9467308308",
            iv96,
            p60,
            aad,
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47",
        ),
        (
            "feffe9928665731c6d6a8f9467308308",
            iv64,
            p60,
            aad,
            "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
            "3612d2e79e3b0785561be14aaca2fccb",
        ),
        (
            "feffe9928665731c6d6a8f9467308308",
            iv480,
            p60,
            aad,
            "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
            "619cc5aefffe0bfa462af43c1699d050",
        ),
        // Test cases 7–12: AES-192.
        (
            "000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "",
            "",
            "cd33b28ac773f74ba00ed1f312572435",
        ),
        (
            "000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "00000000000000000000000000000000",
            "",
            "98e7247c07f0fe411c267e4384b0f600",
            "2ff58d80033927ab8ef4d4587514f0fb",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c",
            iv96,
            p64,
            "",
            "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256",
            "9924a7c8587336bfb118024db8674a14",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c",
            iv96,
            p60,
            aad,
            "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
            "2519498e80f1478f37ba55bd6d27618c",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c",
            iv64,
            p60,
            aad,
            "0f10f599ae14a154ed24b36e25324db8c566632ef2bbb34f8347280fc4507057fddc29df9a471f75c66541d4d4dad1c9e93a19a58e8b473fa0f062f7",
            "65dcc57fcf623a24094fcca40d3533f8",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c",
            iv480,
            p60,
            aad,
            "d27e88681ce3243c4830165a8fdcf9ff1de9a1d8e6b447ef6ef7b79828666e4581e79012af34ddd9e2f037589b292db3e67c036745fa22e7e9b7373b",
            "dcf566ff291c25bbb8568fc3d376a6d9",
        ),
        // Test cases 13–18: AES-256.
        (
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "",
            "",
            "530f8afbc74536b9a963b4f1c4cb738b",
        ),
        (
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "00000000000000000000000000000000",
            "",
            "cea7403d4d606b6e074ec5d3baf39d18",
            "d0d1c8a799996bf0265b98b5d48ab919",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            iv96,
            p64,
            "",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
            "b094dac5d93471bdec1a502270e3cc6c",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            iv96,
            p60,
            aad,
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            iv64,
            p60,
            aad,
            "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
            "3a337dbf46a792c45e454913fe2ea8f2",
        ),
        (
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            iv480,
            p60,
            aad,
            "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf40fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
            "a44a8266ee1c8eb0c8b5d4cf5ae9f19a",
        ),
    ]
}

#[test]
fn aes_gcm_matches_the_gcm_specification_test_cases() {
    for (i, (k, iv, p, a, c, t)) in gcm_cases().into_iter().enumerate() {
        let case = i + 1;
        let cipher = Cipher::AesGcm { tag_len: 16 };
        let enc = encrypt(cipher, &h(k), &h(iv), &h(a), &h(p)).unwrap();
        assert_eq!(enc.ciphertext, h(c), "test case {case}");
        assert_eq!(enc.tag, Some(h(t)), "test case {case}");
        assert_eq!(*decrypt(cipher, &h(k), &h(iv), &h(a), &h(c), Some(&h(t))).unwrap(), h(p), "test case {case}");
        // Truncated tags are the leading bytes of the full tag, and verify as such.
        for tag_len in [4usize, 8, 12, 13, 14, 15] {
            let cipher = Cipher::AesGcm { tag_len };
            let short = encrypt(cipher, &h(k), &h(iv), &h(a), &h(p)).unwrap().tag.unwrap();
            assert_eq!(short, h(t)[..tag_len], "test case {case} tag {tag_len}");
            assert_eq!(*decrypt(cipher, &h(k), &h(iv), &h(a), &h(c), Some(&short)).unwrap(), h(p));
            let mut bad = short.clone();
            bad[0] ^= 1;
            assert_eq!(decrypt(cipher, &h(k), &h(iv), &h(a), &h(c), Some(&bad)), Err(CryptoError::VerificationFailed));
        }
        // Streaming: the AAD is given up front, the data in parts.
        let mut s = CipherStream::new(Direction::Encrypt, cipher, &h(k), &h(iv), &h(a)).unwrap();
        for part in h(p).chunks(7) {
            assert!(s.update(part).unwrap().is_empty());
        }
        let out = s.finish(None).unwrap();
        assert_eq!((out.data.to_vec(), out.tag), (h(c), Some(h(t))));
        let mut s = CipherStream::new(Direction::Decrypt, cipher, &h(k), &h(iv), &h(a)).unwrap();
        s.update(&h(c)).unwrap();
        assert_eq!(*s.finish(Some(&h(t))).unwrap().data, h(p));
    }
}

#[test]
fn gcm_rejects_tampering_and_bad_parameters() {
    let (k, iv, p, a, c, t) = gcm_cases()[3];
    let cipher = Cipher::AesGcm { tag_len: 16 };
    let mut bad_c = h(c);
    bad_c[0] ^= 1;
    assert_eq!(decrypt(cipher, &h(k), &h(iv), &h(a), &bad_c, Some(&h(t))), Err(CryptoError::VerificationFailed));
    assert_eq!(decrypt(cipher, &h(k), &h(iv), b"other aad", &h(c), Some(&h(t))), Err(CryptoError::VerificationFailed));
    let mut other_key = h(k);
    other_key[0] ^= 1;
    assert_eq!(decrypt(cipher, &other_key, &h(iv), &h(a), &h(c), Some(&h(t))), Err(CryptoError::VerificationFailed));
    let mut s = CipherStream::new(Direction::Decrypt, cipher, &h(k), &h(iv), &h(a)).unwrap();
    s.update(&bad_c).unwrap();
    assert_eq!(s.finish(Some(&h(t))).unwrap_err(), CryptoError::VerificationFailed);
    assert!(matches!(decrypt(cipher, &h(k), &h(iv), &h(a), &h(c), None), Err(CryptoError::InvalidInput(_))));
    assert!(matches!(
        encrypt(Cipher::AesGcm { tag_len: 10 }, &h(k), &h(iv), &[], &h(p)),
        Err(CryptoError::Unsupported(_))
    ));
    assert!(matches!(encrypt(cipher, &h(k), &[0; 17], &[], &h(p)), Err(CryptoError::Unsupported(_))));
    assert_eq!(encrypt(cipher, &h(k), &[], &[], &h(p)), Err(CryptoError::MissingIv));
    assert!(matches!(encrypt(cipher, &[0; 20], &h(iv), &[], &h(p)), Err(CryptoError::InvalidKey(_))));
    assert!(matches!(
        CipherStream::new(Direction::Encrypt, cipher, &[0; 20], &h(iv), &[]),
        Err(CryptoError::InvalidKey(_))
    ));
    assert!(matches!(
        encrypt(Cipher::AesCbc(Padding::Pkcs7), &h(k), &[0; 16], b"aad", b""),
        Err(CryptoError::InvalidInput(_))
    ));
}

#[test]
fn gcm_accepts_every_listed_iv_length() {
    let key = [3u8; 32];
    for len in (1..=16).chain([20, 24, 32, 48, 60, 64, 128]) {
        assert!(gcm_iv_len_supported(len));
        let iv = vec![9u8; len];
        for tag_len in [16, 12, 8] {
            let cipher = Cipher::AesGcm { tag_len };
            let enc = encrypt(cipher, &key, &iv, b"aad", b"some plaintext").unwrap();
            let dec = decrypt(cipher, &key, &iv, b"aad", &enc.ciphertext, enc.tag.as_deref()).unwrap();
            assert_eq!(*dec, b"some plaintext");
        }
    }
}

#[test]
fn aes_xts_matches_ieee_1619_annex_b() {
    // IEEE Std 1619-2007 Annex B: vectors 2 and 3 (32-byte data units), and vector 15 (a 17-byte
    // data unit, ciphertext stealing). The tweak is the data unit number, 128-bit little-endian.
    let cases = [
        (
            "1111111111111111111111111111111122222222222222222222222222222222",
            "33333333330000000000000000000000",
            "4444444444444444444444444444444444444444444444444444444444444444",
            "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0",
        ),
        (
            "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f022222222222222222222222222222222",
            "33333333330000000000000000000000",
            "4444444444444444444444444444444444444444444444444444444444444444",
            "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89",
        ),
        (
            "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0",
            "9a785634120000000000000000000000",
            "000102030405060708090a0b0c0d0e0f10",
            "6c1625db4671522d3d7599601de7ca09ed",
        ),
    ];
    for (key, tweak, pt, ct) in cases {
        check(Cipher::AesXts, key, tweak, pt, ct);
    }
}

#[test]
fn aes_xts_refuses_short_data_and_equal_key_halves() {
    let key: Vec<u8> = (0..64).collect();
    assert!(matches!(encrypt(Cipher::AesXts, &key, &[0; 16], &[], &[0; 15]), Err(CryptoError::InvalidInput(_))));
    assert!(matches!(encrypt(Cipher::AesXts, &[7; 32], &[0; 16], &[], &[0; 16]), Err(CryptoError::InvalidKey(_))));
    let ct = encrypt(Cipher::AesXts, &key, &[1; 16], &[], &[5; 100]).unwrap().ciphertext;
    assert_eq!(*decrypt(Cipher::AesXts, &key, &[1; 16], &[], &ct, None).unwrap(), vec![5; 100]);
}

#[test]
fn triple_des_matches_sp_800_67_and_cavp() {
    // SP 800-67 Rev. 1 Appendix B example (3-key TDEA, ECB): "The qufck brown fox jump".
    check(
        Cipher::TripleDesEcb(Padding::None),
        "0123456789abcdef23456789abcdef01456789abcdef0123",
        "",
        "5468652071756663 6b2062726f776e20 666f78206a756d70",
        "a826fd8ce53b855f cce21c8112256fe6 68d5c05dd9b6b900",
    );
    // CAVP tdesmmt, TECBMMT3.rsp [ENCRYPT] COUNT = 3.
    check(
        Cipher::TripleDesEcb(Padding::None),
        "2c29202c10797985efc252b3da378a89e9a7f88c98c73b1c",
        "",
        "4058771b9c808e6935650f97db27e9e69641fcc5e7bc7fa551a29f0918b669dc",
        "9438d7b8b2057a624a4071de46c986a3393da868a29647041418cb946a51d368",
    );
    // CAVP tdesmmt, TCBCMMT3.rsp [ENCRYPT] COUNT = 1.
    check(
        Cipher::TripleDesCbc(Padding::None),
        "6d0d67da68ab166d1f43c7204c4c2aa4c81a528515f1dff2",
        "68e63a07b22e33eb",
        "4346c4e81380626fa0b2776d30a4fc05",
        "5274be183f5dfb6b018f22b322f0392d",
    );
}

#[test]
fn two_key_triple_des_is_accepted_in_both_spellings() {
    let k16 = h("0123456789abcdef23456789abcdef01");
    let k24 = h("0123456789abcdef23456789abcdef010123456789abcdef");
    let iv = [1u8; 8];
    let cipher = Cipher::TripleDesCbc(Padding::Pkcs7);
    let a = encrypt(cipher, &k16, &iv, &[], b"legacy data").unwrap();
    let b = encrypt(cipher, &k24, &iv, &[], b"legacy data").unwrap();
    assert_eq!(a, b);
    assert_eq!(*decrypt(cipher, &k24, &iv, &[], &a.ciphertext, None).unwrap(), b"legacy data");
    for part in [1, 3, 8, 9] {
        assert_eq!(stream(Direction::Encrypt, cipher, &k16, &iv, b"legacy data", part), a.ciphertext);
    }
    assert!(matches!(encrypt(cipher, &[0; 20], &iv, &[], b"x"), Err(CryptoError::InvalidKey(_))));
}

#[test]
fn degenerate_triple_des_keys_a_client_registered_still_work_as_single_des() {
    // K1 = K2 = K3 is single DES, which aws-lc refuses; the classic DES known answer
    // (FIPS 81 appendix B: key 0123456789abcdef, "Now is t" gives 3fa40e8a984d4815) must come out.
    let single = h("0123456789abcdef0123456789abcdef0123456789abcdef");
    let ecb = Cipher::TripleDesEcb(Padding::None);
    let out = encrypt(ecb, &single, &[], &[], b"Now is t").unwrap();
    assert_eq!(hex::encode(&out.ciphertext), "3fa40e8a984d4815");
    assert_eq!(*decrypt(ecb, &single, &[], &[], &out.ciphertext, None).unwrap(), b"Now is t");
    // Two-key spelling, CBC with padding: a round trip.
    let cbc = Cipher::TripleDesCbc(Padding::Pkcs7);
    let two = h("0123456789abcdef0123456789abcdef");
    let out = encrypt(cbc, &two, &[7; 8], &[], b"legacy data").unwrap();
    assert_eq!(*decrypt(cbc, &two, &[7; 8], &[], &out.ciphertext, None).unwrap(), b"legacy data");
    // The weak key 0101...01 of CS-BC-M-4-12-3DES-13.
    let weak = [1u8; 24];
    let out = encrypt(ecb, &weak, &[], &[], &[0; 8]).unwrap();
    assert_eq!(*decrypt(ecb, &weak, &[], &[], &out.ciphertext, None).unwrap(), [0; 8]);
}

const SUNSCREEN: &[u8] =
    b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, \
sunscreen would be it.";

#[test]
fn chacha20_matches_rfc_8439_section_2_4_2() {
    let key: Vec<u8> = (0..32).collect();
    let nonce = h("000000000000004a00000000");
    let ct = "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b357\
              1639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736\
              5af90bbf74a35be6b40b8eedf2785e42874d";
    check(
        Cipher::ChaCha20 { initial_counter: 1 },
        &hex::encode(&key),
        &hex::encode(&nonce),
        &hex::encode(SUNSCREEN),
        ct,
    );
}

#[test]
fn chacha20_poly1305_matches_rfc_8439_section_2_8_2() {
    let key: Vec<u8> = (0x80..=0x9f).collect();
    let nonce = h("070000004041424344454647");
    let aad = h("50515253c0c1c2c3c4c5c6c7");
    let ct = h("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b\
                1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc\
                3ff4def08e4b7a9de576d26586cec64b6116");
    let tag = h("1ae10b594f09e26a7e902ecbd0600691");
    let enc = encrypt(Cipher::ChaCha20Poly1305, &key, &nonce, &aad, SUNSCREEN).unwrap();
    assert_eq!(enc.ciphertext, ct);
    assert_eq!(enc.tag, Some(tag.clone()));
    assert_eq!(*decrypt(Cipher::ChaCha20Poly1305, &key, &nonce, &aad, &ct, Some(&tag)).unwrap(), SUNSCREEN);
    let mut bad = tag.clone();
    bad[15] ^= 0x40;
    assert_eq!(
        decrypt(Cipher::ChaCha20Poly1305, &key, &nonce, &aad, &ct, Some(&bad)),
        Err(CryptoError::VerificationFailed)
    );
    let mut s = CipherStream::new(Direction::Encrypt, Cipher::ChaCha20Poly1305, &key, &nonce, &aad).unwrap();
    for part in SUNSCREEN.chunks(10) {
        s.update(part).unwrap();
    }
    assert_eq!(s.finish(None).unwrap().tag, Some(tag));
}

#[test]
fn key_wrap_is_reachable_as_a_cipher() {
    let kek = h("000102030405060708090A0B0C0D0E0F");
    let data = h("00112233445566778899AABBCCDDEEFF");
    let cipher = Cipher::AesKeyWrap(KeyWrap::Rfc3394);
    let enc = encrypt(cipher, &kek, &[], &[], &data).unwrap();
    assert_eq!(enc.ciphertext, h("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"));
    assert_eq!(*decrypt(cipher, &kek, &[], &[], &enc.ciphertext, None).unwrap(), data);
    assert_eq!(stream(Direction::Decrypt, cipher, &kek, &[], &enc.ciphertext, 5), data);
}

#[test]
fn every_mode_round_trips_with_a_random_key_and_iv() {
    let ciphers = [
        (Cipher::AesGcm { tag_len: 16 }, 32),
        (Cipher::AesGcm { tag_len: 12 }, 16),
        (Cipher::AesCbc(Padding::Pkcs7), 24),
        (Cipher::AesEcb(Padding::Pkcs7), 16),
        (Cipher::AesCtr, 32),
        (Cipher::AesCfb128, 16),
        (Cipher::AesOfb, 32),
        (Cipher::AesXts, 64),
        (Cipher::TripleDesCbc(Padding::Pkcs7), 24),
        (Cipher::TripleDesEcb(Padding::Pkcs7), 16),
        (Cipher::ChaCha20 { initial_counter: 7 }, 32),
        (Cipher::ChaCha20Poly1305, 32),
    ];
    let msg: Vec<u8> = (0..1000u32).map(|i| (i * 13) as u8).collect();
    for (cipher, key_len) in ciphers {
        let key = crate::random::random_key(key_len).unwrap();
        let iv = generate_iv(cipher).unwrap();
        let enc = encrypt(cipher, &key, &iv, &[], &msg).unwrap();
        assert_ne!(enc.ciphertext[..32], msg[..32], "{cipher:?}");
        assert_eq!(*decrypt(cipher, &key, &iv, &[], &enc.ciphertext, enc.tag.as_deref()).unwrap(), msg, "{cipher:?}");
        // A wrong key never gives the plaintext back.
        let mut other = key.to_vec();
        other[1] ^= 0x55;
        let wrong = decrypt(cipher, &other, &iv, &[], &enc.ciphertext, enc.tag.as_deref());
        assert!(wrong.map(|p| *p != msg).unwrap_or(true), "{cipher:?}");
    }
}

#[test]
fn streams_are_send() {
    fn send<T: Send>() {}
    send::<CipherStream>();
}

#[test]
fn buffered_streams_are_capped() {
    let mut s = CipherStream::new(Direction::Encrypt, Cipher::AesGcm { tag_len: 16 }, &[0; 16], &[0; 12], &[]).unwrap();
    s.update(&vec![0; MAX_BUFFERED_LEN]).unwrap();
    assert!(matches!(s.update(&[0]), Err(CryptoError::InvalidInput(_))));
}

#[test]
fn a_tag_is_only_taken_when_decrypting_an_aead() {
    let s = CipherStream::new(Direction::Encrypt, Cipher::AesGcm { tag_len: 16 }, &[0; 16], &[0; 12], &[]).unwrap();
    assert!(matches!(s.finish(Some(&[0; 16])), Err(CryptoError::InvalidInput(_))));
    let s = CipherStream::new(Direction::Decrypt, Cipher::AesCtr, &[0; 16], &[0; 16], &[]).unwrap();
    assert!(matches!(s.finish(Some(&[0; 16])), Err(CryptoError::InvalidInput(_))));
}
