//! Create Split Key and Join Split Key with polynomial sharing (Shamir) in GF(2^8), GF(2^16) and a
//! prime field, in KMIP 1.2, 1.4 and 2.1: any threshold of the parts joins into the key that was
//! split, fewer do not, and parts that do not belong together are refused with the Result Reason
//! the specification names (1.4 §11.39, §11.40).

mod support;

use keyward_ttlv::KmipVersion::{self, V1_2, V1_4, V2_1};
use keyward_ttlv::{Item, Tag, Value};
use support::*;

const OWNER: &str = "alice";

/// 2^130 − 5 as a Big Integer (24 bytes: a multiple of 8, sign bit clear).
const P130: &str = "0000000000000003fffffffffffffffffffffffffffffffb";
/// 2^127 − 1: a prime, but not above 2^128.
const P127: &str = "000000000000000000000000000000007fffffffffffffffffffffffffffffff";
/// 2^521 − 1.
fn p521() -> String {
    format!("00000000000001{}", "ff".repeat(65))
}

fn integer(item: &Item, tag: Tag) -> Option<i32> {
    if item.tag == tag
        && let Value::Integer(i) = &item.value
    {
        return Some(*i);
    }
    item.children().iter().find_map(|c| integer(c, tag))
}

fn big_integer(item: &Item, tag: Tag) -> Option<Vec<u8>> {
    if item.tag == tag
        && let Value::BigInteger(b) = &item.value
    {
        return Some(b.to_vec());
    }
    item.children().iter().find_map(|c| big_integer(c, tag))
}

fn key_material(server: &Server, version: KmipVersion, uid: &str) -> Vec<u8> {
    bytes(&server.ok(OWNER, version, &item("Get", &uid_xml(uid))), Tag::KeyMaterial).expect("key material")
}

/// A new AES-256 key, made in `version`.
fn create_aes(server: &Server, version: KmipVersion, name: &str) -> String {
    let request = if version.is_1x() { create_aes_1x(name) } else { create_aes_2x(name) };
    let response = server.send(OWNER, version, "", &[&request]);
    text(&response, Tag::UniqueIdentifier).expect("a key")
}

/// The attributes of a request in `version`: a 1.x Template-Attribute or 2.x Attributes.
fn attributes(version: KmipVersion, algorithm: &str, bits: Option<u32>) -> String {
    let length = |bits: u32| {
        if version.is_1x() {
            format!(
                r#"<Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="{bits}"/></Attribute>"#
            )
        } else {
            format!(r#"<CryptographicLength type="Integer" value="{bits}"/>"#)
        }
    };
    let length = bits.map(length).unwrap_or_default();
    if version.is_1x() {
        format!(
            r#"<TemplateAttribute><Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="{algorithm}"/></Attribute>{length}</TemplateAttribute>"#
        )
    } else {
        format!(r#"<Attributes><CryptographicAlgorithm type="Enumeration" value="{algorithm}"/>{length}</Attributes>"#)
    }
}

/// A Create Split Key request: of the key `uid`, or of a new AES key of `bits` when `uid` is None.
fn create_split(
    version: KmipVersion,
    uid: Option<&str>,
    method: &str,
    parts: i32,
    threshold: i32,
    prime: Option<&str>,
    bits: u32,
) -> String {
    let uid = uid.map(uid_xml).unwrap_or_default();
    let prime = prime.map(|p| format!(r#"<PrimeFieldSize type="BigInteger" value="{p}"/>"#)).unwrap_or_default();
    item(
        "CreateSplitKey",
        &format!(
            r#"<ObjectType type="Enumeration" value="SplitKey"/>{uid}
            <SplitKeyParts type="Integer" value="{parts}"/><SplitKeyThreshold type="Integer" value="{threshold}"/>
            <SplitKeyMethod type="Enumeration" value="{method}"/>{prime}{}"#,
            attributes(version, "AES", Some(bits))
        ),
    )
}

fn join(object_type: &str, uids: &[&String]) -> String {
    let uids: String = uids.iter().map(|u| uid_xml(u)).collect();
    item("JoinSplitKey", &format!(r#"<ObjectType type="Enumeration" value="{object_type}"/>{uids}"#))
}

/// Joins the parts at `indices` (0-based) into a Symmetric Key and returns its key material.
fn joined(server: &Server, version: KmipVersion, parts: &[String], indices: &[usize]) -> Vec<u8> {
    let chosen: Vec<&String> = indices.iter().map(|i| &parts[*i]).collect();
    let uid = text(&server.ok(OWNER, version, &join("SymmetricKey", &chosen)), Tag::UniqueIdentifier).unwrap();
    key_material(server, version, &uid)
}

#[test]
fn gf2_8_five_parts_threshold_three_in_1_2_1_4_and_2_1() {
    let server = Server::new();
    for version in [V1_2, V1_4, V2_1] {
        let key = create_aes(&server, version, &format!("to split in {version}"));
        let original = key_material(&server, version, &key);
        let response =
            server.ok(OWNER, version, &create_split(version, Some(&key), "PolynomialSharingGF2_8", 5, 3, None, 256));
        let parts = texts(&response, Tag::UniqueIdentifier);
        assert_eq!(parts.len(), 5, "{version}");
        for (index, part) in parts.iter().enumerate() {
            let got = server.ok(OWNER, version, &item("Get", &uid_xml(part)));
            assert_eq!(integer(&got, Tag::KeyPartIdentifier), Some(index as i32 + 1), "{version}");
            assert_eq!(integer(&got, Tag::SplitKeyThreshold), Some(3));
            assert_eq!(integer(&got, Tag::SplitKeyParts), Some(5));
            let share = bytes(&got, Tag::KeyMaterial).unwrap();
            assert_eq!(share.len(), 32, "a GF(2^8) part is as long as the key");
            assert_ne!(share, original);
        }
        assert_eq!(joined(&server, version, &parts, &[0, 2, 4]), original, "parts 1, 3, 5 in {version}");
        assert_eq!(joined(&server, version, &parts, &[1, 2, 3]), original, "parts 2, 3, 4 in {version}");
        assert_eq!(joined(&server, version, &parts, &[4, 0, 3, 1]), original, "four parts in any order");
        let two = join("SymmetricKey", &[&parts[0], &parts[3]]);
        assert_eq!(server.fails(OWNER, version, &two), "CryptographicFailure", "{version}");
    }
}

#[test]
fn gf2_16_splits_a_new_key_and_any_pair_of_parts_joins_it() {
    let server = Server::new();
    let response = server.ok(OWNER, V2_1, &create_split(V2_1, None, "PolynomialSharingGF2_16", 4, 2, None, 128));
    let parts = texts(&response, Tag::UniqueIdentifier);
    assert_eq!(parts.len(), 4);
    let reference = joined(&server, V2_1, &parts, &[0, 1]);
    assert_eq!(reference.len(), 16);
    for pair in [[0, 2], [0, 3], [1, 2], [1, 3], [2, 3]] {
        assert_eq!(joined(&server, V2_1, &parts, &pair), reference, "{pair:?}");
    }
    assert_eq!(joined(&server, V2_1, &parts, &[3, 2, 1, 0]), reference);
    // The joined key is an AES-128 key.
    let uid = text(&server.ok(OWNER, V2_1, &join("SymmetricKey", &[&parts[0], &parts[1]])), Tag::UniqueIdentifier);
    let got = server.ok(OWNER, V2_1, &item("Get", &uid_xml(&uid.unwrap())));
    assert_eq!(integer(&got, Tag::CryptographicLength), Some(128));
}

#[test]
fn gf2_16_splits_a_key_of_an_odd_number_of_bytes() {
    let server = Server::new();
    let key_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    let register = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/>
        <Attributes><CryptographicUsageMask type="Integer" value="MACGenerate"/></Attributes>
        <SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
        <KeyValue><KeyMaterial type="ByteString" value="{key_hex}"/></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="HMAC_SHA256"/><CryptographicLength type="Integer" value="264"/>
        </KeyBlock></SymmetricKey>"#
    );
    let key = text(&server.ok(OWNER, V2_1, &item("Register", &register)), Tag::UniqueIdentifier).unwrap();
    let request = create_split(V2_1, Some(&key), "PolynomialSharingGF2_16", 3, 2, None, 264);
    let parts = texts(&server.ok(OWNER, V2_1, &request), Tag::UniqueIdentifier);
    assert_eq!(key_material(&server, V2_1, &parts[0]).len(), 33);
    assert_eq!(hex(&joined(&server, V2_1, &parts, &[2, 0])), key_hex);
}

#[test]
fn a_prime_field_split_carries_its_prime_and_joins() {
    let server = Server::new();
    for version in [V1_4, V2_1] {
        let key = create_aes(&server, version, &format!("prime field {version}"));
        let original = key_material(&server, version, &key);
        let request = create_split(version, Some(&key), "PolynomialSharingPrimeField", 5, 3, Some(&p521()), 256);
        let parts = texts(&server.ok(OWNER, version, &request), Tag::UniqueIdentifier);
        let got = server.ok(OWNER, version, &item("Get", &uid_xml(&parts[1])));
        let prime = big_integer(&got, Tag::PrimeFieldSize).expect("the part carries the Prime Field Size");
        assert_eq!(prime.iter().skip_while(|b| **b == 0).count(), 66);
        assert_eq!(bytes(&got, Tag::KeyMaterial).unwrap().len(), 66, "a value below p, as many bytes as p");
        assert_eq!(joined(&server, version, &parts, &[0, 2, 4]), original, "{version}");
        assert_eq!(joined(&server, version, &parts, &[3, 1, 2]), original, "{version}");
        let two = join("SymmetricKey", &[&parts[0], &parts[1]]);
        assert_eq!(server.fails(OWNER, version, &two), "CryptographicFailure");
    }
    // A 128-bit key in the field of 2^130 − 5.
    let request = create_split(V2_1, None, "PolynomialSharingPrimeField", 3, 2, Some(P130), 128);
    let parts = texts(&server.ok(OWNER, V2_1, &request), Tag::UniqueIdentifier);
    let key = joined(&server, V2_1, &parts, &[0, 1]);
    assert_eq!(key.len(), 16);
    assert_eq!(joined(&server, V2_1, &parts, &[1, 2]), key);
}

#[test]
fn a_triple_des_key_keeps_its_24_bytes_through_a_prime_field() {
    // Its Cryptographic Length (168) leaves out the parity bits: joining must still give 24 bytes.
    // The default algorithm policy makes no Triple DES keys.
    let server = Server::with_algorithms(legacy_algorithms());
    let create = item(
        "Create",
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes>
        <CryptographicAlgorithm type="Enumeration" value="DES3"/><CryptographicLength type="Integer" value="168"/>
        <CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/></Attributes>"#,
    );
    let key = text(&server.ok(OWNER, V2_1, &create), Tag::UniqueIdentifier).unwrap();
    let original = key_material(&server, V2_1, &key);
    assert_eq!(original.len(), 24);
    let request = create_split(V2_1, Some(&key), "PolynomialSharingPrimeField", 3, 2, Some(&p521()), 168);
    let parts = texts(&server.ok(OWNER, V2_1, &request), Tag::UniqueIdentifier);
    assert_eq!(joined(&server, V2_1, &parts, &[2, 1]), original);
}

#[test]
fn the_prime_must_be_given_be_prime_and_exceed_the_key() {
    let server = Server::new();
    let method = "PolynomialSharingPrimeField";
    for version in [V1_2, V2_1] {
        let absent = create_split(version, None, method, 3, 2, None, 128);
        assert_eq!(server.fails(OWNER, version, &absent), "InvalidField");
        // 2^130 − 3 is divisible by 5.
        let composite = create_split(version, None, method, 3, 2, Some(&P130.replace("fb", "fd")), 128);
        assert_eq!(server.fails(OWNER, version, &composite), "InvalidField");
        let too_small = create_split(version, None, method, 3, 2, Some(P127), 128);
        assert_eq!(server.fails(OWNER, version, &too_small), "InvalidField");
    }
}

#[test]
fn counts_out_of_range_are_invalid_fields() {
    let server = Server::new();
    for version in [V1_2, V1_4, V2_1] {
        for (parts, threshold) in [(3, 4), (3, 1), (3, 0), (1, 1), (256, 2), (3, -1)] {
            let request = create_split(version, None, "PolynomialSharingGF2_8", parts, threshold, None, 128);
            assert_eq!(server.fails(OWNER, version, &request), "InvalidField", "{threshold} of {parts} in {version}");
        }
        // XOR: every part is needed.
        let request = create_split(version, None, "XOR", 3, 2, None, 128);
        assert_eq!(server.fails(OWNER, version, &request), "InvalidField");
    }
}

#[test]
fn parts_that_do_not_belong_together_are_refused() {
    let server = Server::new();
    let split = |method: &str, parts: i32, threshold: i32| {
        let request = create_split(V2_1, None, method, parts, threshold, None, 128);
        texts(&server.ok(OWNER, V2_1, &request), Tag::UniqueIdentifier)
    };
    let a = split("PolynomialSharingGF2_8", 5, 3);
    let b = split("PolynomialSharingGF2_8", 5, 2);
    let c = split("PolynomialSharingGF2_16", 5, 3);
    let d = split("PolynomialSharingGF2_8", 4, 3);
    let twin = split("PolynomialSharingGF2_8", 5, 3);
    for version in [V1_4, V2_1] {
        // Another threshold, another method, another number of parts.
        for other in [&b[1], &c[1], &d[1]] {
            let request = join("SymmetricKey", &[&a[0], other, &a[2]]);
            assert_eq!(server.fails(OWNER, version, &request), "InvalidField", "{version}");
        }
        // A split like the first: with more parts than the threshold, the extra one is checked
        // against the others (with exactly the threshold nothing could tell).
        let request = join("SymmetricKey", &[&a[0], &a[1], &a[2], &twin[3]]);
        assert_eq!(server.fails(OWNER, version, &request), "InvalidField", "{version}");
        // The same part twice.
        let request = join("SymmetricKey", &[&a[0], &a[2], &a[0]]);
        assert_eq!(server.fails(OWNER, version, &request), "InvalidField");
        // Something that is not a part.
        let key = create_aes(&server, version, &format!("not a part {version}"));
        let request = join("SymmetricKey", &[&a[0], &a[1], &key]);
        assert_ne!(server.fails(OWNER, version, &request), "");
    }
    // Different prime fields.
    let request = |prime: &str| create_split(V2_1, None, "PolynomialSharingPrimeField", 3, 2, Some(prime), 128);
    let e = texts(&server.ok(OWNER, V2_1, &request(P130)), Tag::UniqueIdentifier);
    let f = texts(&server.ok(OWNER, V2_1, &request(&p521())), Tag::UniqueIdentifier);
    assert_eq!(server.fails(OWNER, V2_1, &join("SymmetricKey", &[&e[0], &f[1]])), "InvalidField");
}

#[test]
fn parts_join_into_secret_data_too() {
    let server = Server::new();
    let key = create_aes(&server, V2_1, "secret");
    let original = key_material(&server, V2_1, &key);
    let request = create_split(V2_1, Some(&key), "PolynomialSharingGF2_8", 3, 2, None, 256);
    let parts = texts(&server.ok(OWNER, V2_1, &request), Tag::UniqueIdentifier);
    let response = server.ok(OWNER, V2_1, &join("SecretData", &[&parts[2], &parts[0]]));
    let uid = text(&response, Tag::UniqueIdentifier).unwrap();
    assert_eq!(key_material(&server, V2_1, &uid), original);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Split Key registered by a client (2.1), made elsewhere.
fn register_part(server: &Server, fields: &str, material: &str) -> String {
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SplitKey"/><Attributes/>
        <SplitKey>{fields}<KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
        <KeyValue><KeyMaterial type="ByteString" value="{material}"/></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="16"/>
        </KeyBlock></SplitKey>"#
    );
    text(&server.ok(OWNER, V2_1, &item("Register", &payload)), Tag::UniqueIdentifier).unwrap()
}

fn part_fields(parts: i32, identifier: i32, threshold: i32, method: &str, prime: &str) -> String {
    let prime = if prime.is_empty() {
        String::new()
    } else {
        format!(r#"<PrimeFieldSize type="BigInteger" value="{prime}"/>"#)
    };
    format!(
        r#"<SplitKeyParts type="Integer" value="{parts}"/><KeyPartIdentifier type="Integer" value="{identifier}"/>
        <SplitKeyThreshold type="Integer" value="{threshold}"/><SplitKeyMethod type="Enumeration" value="{method}"/>{prime}"#
    )
}

#[test]
fn registered_parts_made_elsewhere_join() {
    // Made by a reference implementation apart from Keyward's (keyward-crypto's secret_sharing
    // known-answer test): the secret 2a ff, each byte on its own polynomial of degree 2 in the
    // FIPS 197 field, evaluated at 1 to 4.
    let server = Server::new();
    let gf8 = "PolynomialSharingGF2_8";
    let parts: Vec<String> = [(1, "3c7e"), (2, "60e0"), (3, "7661"), (4, "3dd9")]
        .iter()
        .map(|(x, y)| register_part(&server, &part_fields(4, *x, 3, gf8, ""), y))
        .collect();
    for chosen in [[0, 1, 2], [1, 2, 3], [3, 0, 2]] {
        let uids: Vec<&String> = chosen.iter().map(|i| &parts[*i]).collect();
        let uid = text(&server.ok(OWNER, V2_1, &join("SecretData", &uids)), Tag::UniqueIdentifier).unwrap();
        assert_eq!(hex(&key_material(&server, V2_1, &uid)), "2aff", "{chosen:?}");
    }
}

#[test]
fn malformed_registered_parts_are_refused_without_harm() {
    let server = Server::new();
    let gf8 = "PolynomialSharingGF2_8";
    let prime_method = "PolynomialSharingPrimeField";
    let good = register_part(&server, &part_fields(3, 1, 2, gf8, ""), "0102");
    let cases: [(String, &str); 8] = [
        (part_fields(3, 0, 2, gf8, ""), "0304"),    // Key Part Identifier 0
        (part_fields(3, 4, 2, gf8, ""), "0304"),    // above Split Key Parts
        (part_fields(3, -2, 2, gf8, ""), "0304"),   // negative
        (part_fields(3, 2, 2, gf8, ""), "030405"),  // another length
        (part_fields(1000, 2, 2, gf8, ""), "0304"), // too many parts
        (part_fields(3, 2, 0, gf8, ""), "0304"),    // no threshold
        (part_fields(3, 2, 2, "XOR", ""), "0304"),  // another method
        (part_fields(3, 2, 2, "PolynomialSharingGF2_16", ""), "0304"),
    ];
    for (fields, material) in &cases {
        let other = register_part(&server, fields, material);
        let reason = server.fails(OWNER, V2_1, &join("SecretData", &[&good, &other]));
        assert_eq!(reason, "InvalidField", "{fields}");
        let reason = server.fails(OWNER, V1_4, &join("SecretData", &[&other, &good]));
        assert!(["InvalidField", "CryptographicFailure"].contains(&reason.as_str()), "{fields}: {reason}");
    }
    // Prime field parts: no prime, a negative one, a composite one, values not below p, values
    // longer than p.
    for (prime, material) in [
        ("", "0102"),
        ("ffffffffffffff01", "0102"),
        ("0000000000000103", "0102"),
        ("0000000000000101", "ffff"),
        ("0000000000000101", "000102"),
    ] {
        let one = register_part(&server, &part_fields(3, 1, 2, prime_method, prime), material);
        let two = register_part(&server, &part_fields(3, 2, 2, prime_method, prime), material);
        let reason = server.fails(OWNER, V2_1, &join("SecretData", &[&one, &two]));
        assert_eq!(reason, "InvalidField", "{prime} {material}");
    }
}
