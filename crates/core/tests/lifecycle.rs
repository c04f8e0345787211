//! The managed-object lifecycle through the dispatcher, in KMIP 1.0, 1.2, 1.4, 2.0 and 2.1.

mod support;

use keyward_ttlv::KmipVersion::{self, V1_0, V1_2, V1_4, V2_0, V2_1};
use keyward_ttlv::Tag;
use support::*;

fn create(server: &Server, version: KmipVersion, name: &str) -> String {
    let item = if version.is_1x() { create_aes_1x(name) } else { create_aes_2x(name) };
    let payload = server.ok("alice", version, &item);
    text(&payload, Tag::UniqueIdentifier).expect("Create returns the identifier")
}

fn state_of(server: &Server, version: KmipVersion, uid: &str) -> String {
    let request = if version.is_1x() {
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="GetAttributes"/><RequestPayload><UniqueIdentifier type="TextString" value="{uid}"/><AttributeName type="TextString" value="State"/></RequestPayload></BatchItem>"#
        )
    } else {
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="GetAttributes"/><RequestPayload><UniqueIdentifier type="TextString" value="{uid}"/><AttributeReference type="Enumeration" value="State"/></RequestPayload></BatchItem>"#
        )
    };
    let payload = server.ok("alice", version, &request);
    attribute_xml(&payload, "State").expect("the State attribute")
}

fn full_lifecycle(version: KmipVersion) {
    let server = Server::new();
    let uid = create(&server, version, &format!("key-{version}"));
    assert!(state_of(&server, version, &uid).contains("PreActive"));

    server.ok("alice", version, &on("Activate", Some(&uid)));
    assert!(state_of(&server, version, &uid).contains("\"Active\""));

    // An Active key cannot be destroyed; the reason depends on the version (2.0 answers as 1.x).
    let refusal = server.fails("alice", version, &on("Destroy", Some(&uid)));
    assert_eq!(refusal, if version < KmipVersion::V2_1 { "PermissionDenied" } else { "WrongKeyLifecycleState" });

    server.ok("alice", version, &revoke(&uid, "KeyCompromise"));
    assert!(state_of(&server, version, &uid).contains("Compromised"));
    server.ok("alice", version, &on("Destroy", Some(&uid)));
    assert!(state_of(&server, version, &uid).contains("DestroyedCompromised"));

    // The metadata stays; the key does not.
    let gone = server.fails("alice", version, &on("Get", Some(&uid)));
    assert_eq!(gone, if version.is_1x() { "ItemNotFound" } else { "ObjectDestroyed" });
}

#[test]
fn lifecycle_1_0() {
    full_lifecycle(V1_0);
}

#[test]
fn lifecycle_1_2() {
    full_lifecycle(V1_2);
}

#[test]
fn lifecycle_1_4() {
    full_lifecycle(V1_4);
}

#[test]
fn lifecycle_2_0() {
    full_lifecycle(V2_0);
}

#[test]
fn lifecycle_2_1() {
    full_lifecycle(V2_1);
}

#[test]
fn revocation_without_compromise_deactivates() {
    let server = Server::new();
    let uid = create(&server, V1_4, "k");
    server.ok("alice", V1_4, &on("Activate", Some(&uid)));
    server.ok("alice", V1_4, &revoke(&uid, "CessationOfOperation"));
    assert!(state_of(&server, V1_4, &uid).contains("Deactivated"));
    server.ok("alice", V1_4, &on("Destroy", Some(&uid)));
    assert!(state_of(&server, V1_4, &uid).contains("\"Destroyed\""));
}

#[test]
fn activation_and_deactivation_dates_take_effect_when_they_arrive() {
    let server = Server::new();
    let item = format!(
        r#"<BatchItem><Operation type="Enumeration" value="Create"/><RequestPayload>
        <ObjectType type="Enumeration" value="SymmetricKey"/>
        <Attributes>
          <CryptographicAlgorithm type="Enumeration" value="AES"/>
          <CryptographicLength type="Integer" value="128"/>
          <ActivationDate type="DateTime" value="{}"/>
          <DeactivationDate type="DateTime" value="{}"/>
        </Attributes></RequestPayload></BatchItem>"#,
        keyward_ttlv::datetime::format_seconds(NOW + 60),
        keyward_ttlv::datetime::format_seconds(NOW + 120)
    );
    let uid = text(&server.ok("alice", V2_1, &item), Tag::UniqueIdentifier).unwrap();
    assert!(state_of(&server, V2_1, &uid).contains("PreActive"));
    server.advance(60);
    assert!(state_of(&server, V2_1, &uid).contains("\"Active\""));
    server.advance(60);
    assert!(state_of(&server, V2_1, &uid).contains("Deactivated"));
}

#[test]
fn an_activation_date_in_the_past_creates_an_active_key() {
    let server = Server::new();
    let item = format!(
        r#"<BatchItem><Operation type="Enumeration" value="Create"/><RequestPayload>
        <ObjectType type="Enumeration" value="SymmetricKey"/>
        <Attributes><CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="256"/>
        <ActivationDate type="DateTime" value="{}"/></Attributes></RequestPayload></BatchItem>"#,
        keyward_ttlv::datetime::format_seconds(NOW - 3600)
    );
    let uid = text(&server.ok("alice", V2_1, &item), Tag::UniqueIdentifier).unwrap();
    assert!(state_of(&server, V2_1, &uid).contains("\"Active\""));
}

#[test]
fn a_1_0_client_sees_only_1_0_attributes() {
    let server = Server::new();
    let uid = create(&server, V1_0, "old");
    let all = format!(
        r#"<BatchItem><Operation type="Enumeration" value="GetAttributes"/><RequestPayload><UniqueIdentifier type="TextString" value="{uid}"/></RequestPayload></BatchItem>"#
    );
    // `send` checks every tag, value and attribute name against KMIP 1.0.
    let payload = server.ok("alice", V1_0, &all);
    let names = texts(&payload, Tag::AttributeName);
    assert!(names.contains(&"Digest".to_string()) && names.contains(&"Initial Date".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n == "Fresh" || n == "Original Creation Date" || n == "Sensitive"), "{names:?}");
    let v14 = server.ok("alice", V1_4, &all);
    assert!(texts(&v14, Tag::AttributeName).contains(&"Fresh".to_string()));
}

#[test]
fn generated_keys_record_their_random_number_generator() {
    let server = Server::new();
    let uid = create(&server, V1_4, "rng");
    let ask = format!(
        r#"<BatchItem><Operation type="Enumeration" value="GetAttributes"/><RequestPayload><UniqueIdentifier type="TextString" value="{uid}"/><AttributeName type="TextString" value="Random Number Generator"/></RequestPayload></BatchItem>"#
    );
    let payload = server.ok("alice", V1_4, &ask);
    assert!(show(&payload).contains("RNGAlgorithm"), "{}", show(&payload));
}
