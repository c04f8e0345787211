//! Re-key and the lifecycle dates in every version (1.0 §4.4 Table 116, 1.4 §4.4 and Table 331,
//! 2.1 §6.1.46 Table 303): every date of the replacement computed from the Offset, the existing key
//! left in the state its own dates give, an Offset refused with the dates it computes or without
//! an Activation Date to move them from, and an object that cannot be re-keyed; a key whose
//! Deactivation Date has passed is Deactivated when read, and Obtain Lease (1.4 §4.17, 2.1
//! §6.1.35) gives it no lease.

mod support;

use keyward_ttlv::KmipVersion::{self, V2_1};
use keyward_ttlv::{Item, Tag, Value};
use support::*;

const OWNER: &str = "alice";

/// The 1.x attribute name and 2.x tag of each date.
const DATES: [(&str, &str, Tag); 4] = [
    ("Activation Date", "ActivationDate", Tag::ActivationDate),
    ("Process Start Date", "ProcessStartDate", Tag::ProcessStartDate),
    ("Protect Stop Date", "ProtectStopDate", Tag::ProtectStopDate),
    ("Deactivation Date", "DeactivationDate", Tag::DeactivationDate),
];

fn date_attribute(version: KmipVersion, tag: Tag, seconds: i64) -> String {
    let (name, camel, _) = DATES.iter().find(|d| d.2 == tag).expect("a lifecycle date");
    versioned_date(version, name, camel, seconds)
}

/// An AES key with the given dates.
fn create(server: &Server, version: KmipVersion, dates: &[(Tag, i64)]) -> String {
    let common = if version.is_1x() {
        r#"<Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="128"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Encrypt Decrypt"/></Attribute>"#
    } else {
        r#"<CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/>
        <CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/>"#
    };
    let dates: String = dates.iter().map(|(tag, seconds)| date_attribute(version, *tag, *seconds)).collect();
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/>{}"#,
        versioned_attributes(version, &format!("{common}{dates}"))
    );
    text(&server.ok(OWNER, version, &item("Create", &payload)), Tag::UniqueIdentifier).expect("an identifier")
}

fn re_key(uid: &str, offset: Option<u32>, extra: &str) -> String {
    let offset = offset.map_or(String::new(), |o| format!(r#"<Offset type="Interval" value="{o}"/>"#));
    item("ReKey", &format!("{}{offset}{extra}", uid_xml(uid)))
}

fn date_value(item: &Item, tag: Tag) -> Option<i64> {
    if item.tag == tag
        && let Value::DateTime(seconds) = item.value
    {
        return Some(seconds);
    }
    item.children().iter().find_map(|c| date_value(c, tag))
}

/// The object's four dates and Initial Date, and its State, as Get Attributes reports them.
struct Seen {
    dates: Vec<Option<i64>>,
    initial: Option<i64>,
    state: String,
}

fn seen(server: &Server, version: KmipVersion, uid: &str) -> Seen {
    let payload = server.ok(OWNER, version, &item("GetAttributes", &uid_xml(uid)));
    let state = attribute_xml(&payload, "State").unwrap_or_default();
    let state = ["PreActive", "\"Active\"", "Deactivated", "Compromised", "Destroyed"]
        .iter()
        .find(|s| state.contains(*s))
        .map_or(state.clone(), |s| s.trim_matches('"').to_string());
    let date = |name: &str, tag: Tag| {
        if version.is_1x() {
            // 1.x: the value sits in the Attribute Value beside the Attribute Name.
            payload
                .children()
                .iter()
                .find(|a| a.tag == Tag::Attribute && text(a, Tag::AttributeName).as_deref() == Some(name))
                .and_then(|a| date_value(a, Tag::AttributeValue))
        } else {
            date_value(&payload, tag)
        }
    };
    Seen {
        dates: DATES.iter().map(|(name, _, tag)| date(name, *tag)).collect(),
        initial: date("Initial Date", Tag::InitialDate),
        state,
    }
}

#[test]
fn an_offset_moves_every_date_of_the_replacement_and_the_existing_key_keeps_its_own() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let (activation, start, stop, deactivation) = (NOW, NOW + 100, NOW + 1000, NOW + 2000);
        let existing = create(
            &server,
            version,
            &[
                (Tag::ActivationDate, activation),
                (Tag::ProcessStartDate, start),
                (Tag::ProtectStopDate, stop),
                (Tag::DeactivationDate, deactivation),
            ],
        );
        server.advance(500);
        let offset = 3600;
        let replacement = text(&server.ok(OWNER, version, &re_key(&existing, Some(offset), "")), Tag::UniqueIdentifier)
            .expect("the replacement");

        // 1.0 Table 116, 2.1 Table 303: AT2 = IT2 + Offset, the others move by AT2 - AT1.
        let it2 = NOW + 500;
        let at2 = it2 + i64::from(offset);
        let shift = at2 - activation;
        let new = seen(&server, version, &replacement);
        assert_eq!(new.initial, Some(it2), "{version}");
        assert_eq!(
            new.dates,
            vec![Some(at2), Some(start + shift), Some(stop + shift), Some(deactivation + shift)],
            "{version}"
        );
        assert_eq!(new.state, "PreActive", "{version}");

        // The existing key keeps its dates, and the state they give.
        let old = seen(&server, version, &existing);
        assert_eq!(old.dates, vec![Some(activation), Some(start), Some(stop), Some(deactivation)], "{version}");
        assert_eq!(old.state, "Active", "{version}");

        // Its Deactivation Date passes: it reads as Deactivated; the replacement is still waiting.
        server.advance(deactivation - it2);
        assert_eq!(seen(&server, version, &existing).state, "Deactivated", "{version}");
        assert_eq!(seen(&server, version, &replacement).state, "PreActive", "{version}");
        server.advance(at2 - deactivation);
        assert_eq!(seen(&server, version, &replacement).state, "Active", "{version}");
    }
}

#[test]
fn without_an_offset_the_dates_are_copied_and_the_state_follows_them() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let existing = create(&server, version, &[(Tag::ActivationDate, NOW), (Tag::DeactivationDate, NOW + 60)]);
        server.advance(120);
        assert_eq!(seen(&server, version, &existing).state, "Deactivated", "{version}");
        let replacement = text(&server.ok(OWNER, version, &re_key(&existing, None, "")), Tag::UniqueIdentifier)
            .expect("the replacement");
        let new = seen(&server, version, &replacement);
        assert_eq!(new.dates, vec![Some(NOW), None, None, Some(NOW + 60)], "{version}");
        // Both dates have passed: "Set based on attributes values, such as dates".
        assert_eq!(new.state, "Deactivated", "{version}");
    }
}

#[test]
fn an_offset_with_the_dates_it_computes_or_without_an_activation_date_is_refused() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let dated = create(&server, version, &[(Tag::ActivationDate, NOW)]);
        // 1.4 Table 331: "Offset field is not permitted to be specified at the same time as any
        // of the Activation Date, Process Start Date, Protect Stop Date, or Deactivation Date".
        for (_, _, tag) in DATES {
            let with_date =
                re_key(&dated, Some(60), &versioned_attributes(version, &date_attribute(version, tag, NOW + 5)));
            assert_eq!(server.fails(OWNER, version, &with_date), "InvalidMessage", "{tag} in {version}");
        }

        // "An offset cannot be used to specify new Process Start, Protect Stop and/or Deactivation
        // Date attribute values since no Activation Date has been specified for the existing key":
        // Illegal Operation in 1.x; 2.x has no such reason and answers Invalid Field.
        let undated = create(&server, version, &[(Tag::DeactivationDate, NOW + 600)]);
        let refused = if version.is_1x() { "IllegalOperation" } else { "InvalidField" };
        assert_eq!(server.fails(OWNER, version, &re_key(&undated, Some(60), "")), refused, "{version}");

        // Without any date the Offset gives the Activation Date alone.
        let bare = create(&server, version, &[]);
        let replacement = text(&server.ok(OWNER, version, &re_key(&bare, Some(60), "")), Tag::UniqueIdentifier)
            .expect("the replacement");
        assert_eq!(seen(&server, version, &replacement).dates, vec![Some(NOW + 60), None, None, None], "{version}");
    }
}

#[test]
fn re_key_key_pair_refuses_an_offset_with_a_deactivation_date() {
    let server = Server::new();
    let payload = r#"<CommonAttributes><CryptographicAlgorithm type="Enumeration" value="EC"/>
        <CryptographicDomainParameters><RecommendedCurve type="Enumeration" value="P_256"/></CryptographicDomainParameters></CommonAttributes>"#;
    let response = server.ok(OWNER, V2_1, &item("CreateKeyPair", payload));
    let private = text(&response, Tag::PrivateKeyUniqueIdentifier).unwrap();
    let request = item(
        "ReKeyKeyPair",
        &format!(
            r#"<PrivateKeyUniqueIdentifier type="TextString" value="{private}"/><Offset type="Interval" value="60"/>
            <CommonAttributes>{}</CommonAttributes>"#,
            date_attribute(V2_1, Tag::DeactivationDate, NOW + 600)
        ),
    );
    // 1.4 Table 332: Invalid Message.
    assert_eq!(server.fails(OWNER, V2_1, &request), "InvalidMessage");
}

fn lease(server: &Server, version: KmipVersion, uid: &str) -> Result<u32, String> {
    let request = item("ObtainLease", &uid_xml(uid));
    let response = server.send(OWNER, version, "", &[&request]);
    let batch = batch_items(&response);
    if status(batch[0]) != "Success" {
        return Err(reason(batch[0]));
    }
    match batch[0].child(Tag::ResponsePayload).and_then(|p| p.child(Tag::LeaseTime)).map(|l| &l.value) {
        Some(Value::Interval(seconds)) => Ok(*seconds),
        other => panic!("no Lease Time: {other:?}"),
    }
}

#[test]
fn a_lease_ends_at_the_deactivation_date_and_none_is_issued_after_it() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let pre_active = create(&server, version, &[]);
        assert_eq!(lease(&server, version, &pre_active), Err("PermissionDenied".into()), "{version}");
        server.ok(OWNER, version, &on("Activate", Some(&pre_active)));
        // The server's default lease, an hour; never zero, which would mean "without any limit".
        assert_eq!(lease(&server, version, &pre_active), Ok(3600), "{version}");

        let ending = create(&server, version, &[(Tag::ActivationDate, NOW), (Tag::DeactivationDate, NOW + 600)]);
        assert_eq!(lease(&server, version, &ending), Ok(600), "{version}");
        server.advance(599);
        assert_eq!(lease(&server, version, &ending), Ok(1), "{version}");
        server.advance(1);
        assert_eq!(seen(&server, version, &ending).state, "Deactivated", "{version}");
        // 1.4 Table 344: a lease the server will not issue is Permission Denied.
        assert_eq!(lease(&server, version, &ending), Err("PermissionDenied".into()), "{version}");
    }
}

#[test]
fn what_cannot_be_re_keyed_is_refused_with_the_tables_reasons() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        // A destroyed key: "The Key Value is not present on the server" (1.2 Table 294 and
        // later); 1.0 and 1.1 know no such reason: "not able to be re-keyed", Permission Denied.
        let destroyed = create(&server, version, &[]);
        server.ok(OWNER, version, &on("Destroy", Some(&destroyed)));
        let gone = if version >= KmipVersion::V1_2 { "KeyValueNotPresent" } else { "PermissionDenied" };
        assert_eq!(server.fails(OWNER, version, &re_key(&destroyed, None, "")), gone, "{version}");

        // Not a symmetric key: Permission Denied in 1.x (1.4 Table 331), Invalid Object Type in
        // 2.x (2.1 Table 307).
        let mask = if version.is_1x() {
            r#"<Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="DeriveKey"/></Attribute>"#
        } else {
            r#"<CryptographicUsageMask type="Integer" value="DeriveKey"/>"#
        };
        let secret = format!(
            r#"<ObjectType type="Enumeration" value="SecretData"/>{}
            <SecretData><SecretDataType type="Enumeration" value="Password"/><KeyBlock><KeyFormatType type="Enumeration" value="Opaque"/>
            <KeyValue><KeyMaterial type="ByteString" value="70617373776f7264"/></KeyValue></KeyBlock></SecretData>"#,
            versioned_attributes(version, mask)
        );
        let uid = text(&server.ok(OWNER, version, &item("Register", &secret)), Tag::UniqueIdentifier).unwrap();
        let not_a_key = if version.is_1x() { "PermissionDenied" } else { "InvalidObjectType" };
        assert_eq!(server.fails(OWNER, version, &re_key(&uid, None, "")), not_a_key, "{version}");
    }
}
