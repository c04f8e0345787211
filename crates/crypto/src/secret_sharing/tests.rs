//! Joining known parts (computed apart, with a plain reference implementation of each field and
//! fixed coefficients), the properties of split-then-join over random secrets and subsets, and
//! the refusals.

use proptest::prelude::*;

use super::*;
use crate::test_util::h;

/// Every subset of `k` of the indices 0..n, in lexicographic order.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    if n < k {
        return Vec::new();
    }
    let mut with_last: Vec<Vec<usize>> = subsets(n - 1, k - 1);
    for s in &mut with_last {
        s.push(n - 1);
    }
    let mut all = subsets(n - 1, k);
    all.extend(with_last);
    all
}

fn pick<'a>(parts: &'a [Zeroizing<Vec<u8>>], indices: &[usize]) -> Vec<(u8, &'a [u8])> {
    indices.iter().map(|i| (u8::try_from(i + 1).unwrap(), parts[*i].as_slice())).collect()
}

fn poly1305_prime() -> Vec<u8> {
    // 2^130 − 5.
    h("03fffffffffffffffffffffffffffffffb")
}

#[test]
fn known_gf256_parts_join() {
    // Secret {2a ff}; byte 0 on 2a + 07x + 11x^2, byte 1 on ff + 80x + 01x^2.
    let parts = [h("3c7e"), h("60e0"), h("7661"), h("3dd9")];
    for subset in subsets(4, 3) {
        let shares: Vec<(u8, &[u8])> = subset.iter().map(|i| (*i as u8 + 1, parts[*i].as_slice())).collect();
        assert_eq!(join(&Method::Gf256, &shares, 3).unwrap().as_slice(), h("2aff"), "{subset:?}");
    }
}

#[test]
fn known_gf65536_parts_join_with_an_odd_last_byte() {
    // Secret {12 34 56}: the piece (12, 34) on (12,34) + (ab,cd)x + (01,00)x^2, the last byte in
    // the GF(2^8) subfield on 56 + 9a x + fe x^2.
    let parts = [h("b8f932"), h("5bb5ac"), h("f178c8"), h("982d71")];
    for subset in subsets(4, 3) {
        let shares: Vec<(u8, &[u8])> = subset.iter().map(|i| (*i as u8 + 1, parts[*i].as_slice())).collect();
        assert_eq!(join(&Method::Gf65536, &shares, 3).unwrap().as_slice(), h("123456"), "{subset:?}");
    }
}

#[test]
fn known_prime_field_parts_join() {
    // p = 2^130 − 5, secret 00 01 .. 0f, f(x) = s + (2^129 + 12345)x + 987654321987654321x^2.
    let field = PrimeField::new(&poly1305_prime()).unwrap();
    let method = Method::Prime { field, secret_len: 16 };
    let parts = [
        h("02000102030405060715bde46a8b0150f9"),
        h("0000010203040506073edc738907ddb94a"),
        h("0200010203040506078364b76682a246f8"),
        h("000001020304050607e356b002fb4efa0d"),
    ];
    for subset in subsets(4, 3) {
        let shares: Vec<(u8, &[u8])> = subset.iter().map(|i| (*i as u8 + 1, parts[*i].as_slice())).collect();
        assert_eq!(join(&method, &shares, 3).unwrap().as_slice(), h("000102030405060708090a0b0c0d0e0f"), "{subset:?}");
    }
}

#[test]
fn primes_are_told_from_composites() {
    assert!(PrimeField::new(&poly1305_prime()).is_ok());
    // 2^127 − 1 and 2^521 − 1 (Mersenne primes); P-256's field prime.
    let mersenne_127 = h("7fffffffffffffffffffffffffffffff");
    assert!(PrimeField::new(&mersenne_127).is_ok());
    let mut mersenne_521 = vec![0xffu8; 66];
    mersenne_521[0] = 0x01;
    assert!(PrimeField::new(&mersenne_521).is_ok());
    assert!(PrimeField::new(&h("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")).is_ok());
    // Leading zero bytes are allowed (a Big Integer is padded to 8 bytes).
    assert!(PrimeField::new(&h("00000000000001010101")).is_err()); // 0x10101 = 3 · 21931
    assert!(PrimeField::new(&h("0000000000010001")).is_ok()); // 65537
    assert!(PrimeField::new(&h("0101")).is_ok()); // 257, the smallest above 2^8
    assert!(PrimeField::new(&[251]).is_err()); // a prime, but no secret fits below it
    // 2^130 − 3 is divisible by 5 (2^4 ≡ 1 mod 5, so 2^130 ≡ 4); 2^128 + 1 = 274177 · ...;
    // a Carmichael number; an even number; zero, one, nothing.
    assert!(PrimeField::new(&h("03fffffffffffffffffffffffffffffffd")).is_err());
    assert!(PrimeField::new(&h("0100000000000000000000000000000001")).is_err());
    assert!(PrimeField::new(&561u32.to_be_bytes()).is_err());
    assert!(PrimeField::new(&h("03fffffffffffffffffffffffffffffffc")).is_err());
    assert!(PrimeField::new(&[0]).is_err());
    assert!(PrimeField::new(&[1]).is_err());
    assert!(PrimeField::new(&[]).is_err());
    // Bigger than the largest accepted.
    assert!(PrimeField::new(&vec![0xff; 2000]).is_err());
}

#[test]
fn a_prime_field_must_exceed_the_secret() {
    let field = PrimeField::new(&h("7fffffffffffffffffffffffffffffff")).unwrap();
    assert_eq!(field.max_secret_len(), 15);
    let method = Method::Prime { field, secret_len: 16 };
    assert!(split(&method, &[0xff; 16], 2, 3).is_err());
    let field = PrimeField::new(&poly1305_prime()).unwrap();
    let method = Method::Prime { field, secret_len: 16 };
    let parts = split(&method, &[0xff; 16], 2, 3).unwrap();
    assert!(parts.iter().all(|p| p.len() == 17));
    assert_eq!(join(&method, &pick(&parts, &[0, 2]), 2).unwrap().as_slice(), [0xff; 16]);
}

#[test]
fn counts_and_parts_are_checked() {
    for (threshold, parts) in [(1, 3), (0, 3), (4, 3), (2, 1), (2, 256), (300, 300)] {
        assert!(split(&Method::Gf256, b"secret", threshold, parts).is_err(), "{threshold} of {parts}");
    }
    assert!(split(&Method::Gf256, b"", 2, 3).is_err());
    assert!(split(&Method::Gf256, &[1; MAX_SECRET_LEN + 1], 2, 3).is_err());
    assert!(split(&Method::Gf256, &[1; MAX_SECRET_LEN], 2, 3).is_ok());
    assert!(split(&Method::Gf256, b"secret", 255, 255).is_ok());
    let parts = split(&Method::Gf256, b"secret", 2, 3).unwrap();
    // Duplicate or zero identifiers, parts of different lengths, nothing at all.
    assert!(join(&Method::Gf256, &[(1, &parts[0]), (1, &parts[0])], 2).is_err());
    assert!(join(&Method::Gf256, &[(0, &parts[0]), (1, &parts[0])], 2).is_err());
    assert!(join(&Method::Gf256, &[(1, &parts[0]), (2, &parts[1][..3])], 2).is_err());
    assert!(join(&Method::Gf256, &[], 2).is_err());
    let field = PrimeField::new(&poly1305_prime()).unwrap();
    let method = Method::Prime { field, secret_len: 16 };
    let parts = split(&method, &[7; 16], 2, 3).unwrap();
    assert!(join(&method, &[(1, &parts[0]), (1, &parts[1])], 2).is_err());
    assert!(join(&method, &[(1, &parts[0][1..]), (2, &parts[1][1..])], 2).is_err());
    // A value not below p.
    let too_big = h("03fffffffffffffffffffffffffffffffb");
    assert!(join(&method, &[(1, &too_big), (2, &parts[1])], 2).is_err());
}

fn methods(secret_len: usize) -> Vec<Method> {
    // A prime just big enough: the smallest of 2^(8·len) + k is not needed, 2^521 − 1 fits all
    // secrets up to 65 bytes.
    let mut mersenne_521 = vec![0xffu8; 66];
    mersenne_521[0] = 0x01;
    let field = PrimeField::new(&mersenne_521).unwrap();
    vec![Method::Gf256, Method::Gf65536, Method::Prime { field, secret_len }]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any threshold of the n parts join into the secret, for every subset of that size.
    #[test]
    fn every_threshold_subset_recovers_the_secret(
        secret in proptest::collection::vec(any::<u8>(), 1..=40),
        n in 2usize..=6,
        k_offset in 0usize..5,
    ) {
        let k = 2 + k_offset % (n - 1);
        for method in methods(secret.len()) {
            let parts = split(&method, &secret, k, n).unwrap();
            for subset in subsets(n, k).into_iter().chain(std::iter::once((0..n).collect())) {
                let joined = join(&method, &pick(&parts, &subset), k).unwrap();
                prop_assert_eq!(joined.as_slice(), secret.as_slice(), "{:?} {:?}", method, subset);
            }
        }
    }

    /// Fewer than the threshold do not determine the secret: for GF(2^8), k − 1 parts are
    /// consistent with every value of a byte of the secret (there is a completion of the parts
    /// into k that joins into any chosen value), and the parts of two different secrets cannot be
    /// told apart by their first k − 1 parts' distribution; checked here by completing.
    #[test]
    fn fewer_than_the_threshold_leave_every_secret_possible(
        secret in any::<u8>(),
        n in 3usize..=6,
        k_offset in 0usize..4,
        target in any::<u8>(),
    ) {
        let k = 2 + k_offset % (n - 1);
        let parts = split(&Method::Gf256, &[secret], k, n).unwrap();
        // The first k − 1 parts plus a forged part k: some value of it makes any target.
        let known: Vec<(u8, &[u8])> = pick(&parts, &(0..k - 1).collect::<Vec<_>>());
        let forged = (0..=255u8).find(|y| {
            let mut shares = known.clone();
            let forged_part = [*y];
            shares.push((u8::try_from(k).unwrap(), &forged_part));
            join(&Method::Gf256, &shares, k).unwrap().as_slice() == [target]
        });
        prop_assert!(forged.is_some());
    }

    /// Joining from fewer parts than the threshold gives a wrong value (an error only by chance
    /// never: nothing in a part tells), almost never the secret.
    #[test]
    fn parts_of_a_32_byte_key_below_the_threshold_do_not_give_it(
        secret in proptest::collection::vec(any::<u8>(), 32),
        n in 3usize..=6,
    ) {
        for method in methods(32) {
            let parts = split(&method, &secret, n, n).unwrap();
            let joined = join(&method, &pick(&parts, &(0..n - 1).collect::<Vec<_>>()), n);
            if let Ok(joined) = joined {
                prop_assert_ne!(joined.as_slice(), secret.as_slice());
            }
        }
    }
}

#[test]
fn every_subset_of_five_parts_with_threshold_three() {
    let secret = h("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    for method in methods(secret.len()) {
        let parts = split(&method, &secret, 3, 5).unwrap();
        assert_eq!(parts.len(), 5);
        for k in 3..=5 {
            for subset in subsets(5, k) {
                assert_eq!(
                    join(&method, &pick(&parts, &subset), 3).unwrap().as_slice(),
                    secret,
                    "{method:?} {subset:?}"
                );
            }
        }
        for subset in subsets(5, 2) {
            let joined = join(&method, &pick(&parts, &subset), 3);
            assert!(joined.map(|j| j.as_slice() != secret).unwrap_or(true), "{method:?} {subset:?}");
        }
    }
}

#[test]
fn parts_look_nothing_like_the_secret_and_differ_between_splits() {
    let secret = [0u8; 32];
    let a = split(&Method::Gf65536, &secret, 2, 3).unwrap();
    let b = split(&Method::Gf65536, &secret, 2, 3).unwrap();
    assert!(a.iter().all(|p| p.as_slice() != secret));
    assert_ne!(a[0].as_slice(), b[0].as_slice());
}

#[test]
fn a_part_of_another_split_is_caught_when_there_are_more_than_the_threshold() {
    let secret = h("00112233445566778899aabbccddeeff");
    for method in methods(secret.len()) {
        let a = split(&method, &secret, 2, 4).unwrap();
        let b = split(&method, &secret, 2, 4).unwrap();
        // Parts 1 and 2 of one split, part 3 of another: two give a value, the third disagrees.
        let mixed = [(1u8, a[0].as_slice()), (2, a[1].as_slice()), (3, b[2].as_slice())];
        assert!(join(&method, &mixed, 2).is_err(), "{method:?}");
        let consistent = [(1u8, a[0].as_slice()), (2, a[1].as_slice()), (3, a[2].as_slice()), (4, a[3].as_slice())];
        assert_eq!(join(&method, &consistent, 2).unwrap().as_slice(), secret);
    }
}
