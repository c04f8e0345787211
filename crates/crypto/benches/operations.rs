//! Cost of the operations a KMIP server runs most: AES-256-GCM encryption of a small and a
//! page-sized message, and one signature each with RSA-2048 (PSS and PKCS#1 v1.5), ECDSA P-256
//! and Ed25519. Keys are generated and parsed once, outside the measured loops.
//!
//! ```sh
//! cargo bench -p keyward-crypto --bench operations
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keyward_crypto::asymmetric::{Curve, KeyPairSpec, PrivateKey, SignatureScheme, generate_key_pair, sign};
use keyward_crypto::hash::HashAlgorithm;
use keyward_crypto::symmetric::{Cipher, encrypt};

fn aes_gcm(c: &mut Criterion) {
    let key = [0x42u8; 32];
    let iv = [0x24u8; 12];
    let mut group = c.benchmark_group("aes-256-gcm encrypt");
    for len in [64usize, 4096] {
        let data = vec![0x5au8; len];
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(format!("{len} B"), |b| {
            b.iter(|| encrypt(Cipher::AesGcm { tag_len: 16 }, &key, &iv, &[], black_box(&data)).expect("encrypt"))
        });
    }
    group.finish();
}

fn key(spec: KeyPairSpec) -> PrivateKey {
    let pair = generate_key_pair(spec).expect("key generation");
    PrivateKey::from_pkcs8(&pair.private_key).expect("key")
}

fn signatures(c: &mut Criterion) {
    let message = [0x11u8; 32];
    let rsa = key(KeyPairSpec::Rsa { bits: 2048 });
    let p256 = key(KeyPairSpec::Ec(Curve::P256));
    let ed = key(KeyPairSpec::Ed25519);
    let mut group = c.benchmark_group("sign 32 B");
    let cases = [
        ("rsa-2048 pss sha-256", &rsa, SignatureScheme::RsaPss { hash: HashAlgorithm::Sha256, salt_len: None }),
        ("rsa-2048 pkcs1v15 sha-256", &rsa, SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256)),
        ("ecdsa p-256 sha-256", &p256, SignatureScheme::Ecdsa(HashAlgorithm::Sha256)),
        ("ed25519", &ed, SignatureScheme::Ed25519),
    ];
    for (name, key, scheme) in cases {
        group.bench_function(name, |b| b.iter(|| sign(key, scheme, black_box(&message)).expect("sign")));
    }
    group.finish();
}

criterion_group!(benches, aes_gcm, signatures);
criterion_main!(benches);
