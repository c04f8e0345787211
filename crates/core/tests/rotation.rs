//! Automatic rotation (2.1 §4.48-4.54) and server policies, driven through the dispatcher with a
//! fixed clock: when an object is due, that a rotation is Re-key / Re-key Key Pair with the Rotate
//! attributes maintained, that Locate by Rotate Name and Rotate Latest finds the current key, and
//! that a rotation happens once however often it is asked for.

mod support;

use keyward_core::rotation::{Outcome, RotationPolicy, Schedule, Source, rotate};
use keyward_ttlv::KmipVersion::{V1_4, V2_0, V2_1};
use keyward_ttlv::{Item, Tag, Value};
use support::*;

const OWNER: &str = "alice";

fn rotating_key(server: &Server, name: &str, interval: u32, extra: &str) -> String {
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes>
        <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="256"/>
        <CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/>
        <RotateAutomatic type="Boolean" value="true"/><RotateInterval type="Interval" value="{interval}"/>
        <RotateName><RotateNameValue type="TextString" value="{name}"/><RotateNameType type="Enumeration" value="UninterpretedTextString"/></RotateName>
        {extra}</Attributes>"#
    );
    text(&server.ok(OWNER, V2_1, &item("Create", &payload)), Tag::UniqueIdentifier).expect("an identifier")
}

fn locate_latest(server: &Server, name: &str) -> Vec<String> {
    let payload = format!(
        r#"<Attributes><RotateName><RotateNameValue type="TextString" value="{name}"/><RotateNameType type="Enumeration" value="UninterpretedTextString"/></RotateName>
        <RotateLatest type="Boolean" value="true"/></Attributes>"#
    );
    texts(&server.ok(OWNER, V2_1, &item("Locate", &payload)), Tag::UniqueIdentifier)
}

fn attributes(server: &Server, uid: &str) -> Item {
    server.ok(OWNER, V2_1, &item("GetAttributes", &uid_xml(uid)))
}

fn integer(item: &Item, tag: Tag) -> Option<i32> {
    find(item, tag).and_then(|i| if let Value::Integer(v) = i.value { Some(v) } else { None })
}

fn boolean(item: &Item, tag: Tag) -> Option<bool> {
    find(item, tag).and_then(|i| if let Value::Boolean(v) = i.value { Some(v) } else { None })
}

fn linked(item: &Item, link_type: &str) -> Option<String> {
    item.children().iter().flat_map(|c| c.children()).filter(|c| c.tag == Tag::Link).find_map(|link| {
        let kind = link.child(Tag::LinkType)?;
        let Value::Enumeration(v) = kind.value else { return None };
        let name = Tag::LinkType.def()?.enumeration()?.value_def(v)?.camel;
        (name == link_type).then(|| text(link, Tag::LinkedObjectIdentifier)).flatten()
    })
}

fn now(server: &Server) -> i64 {
    server.clock.0.load(std::sync::atomic::Ordering::SeqCst)
}

fn rotate_now(server: &Server, uid: &str, policies: &[RotationPolicy]) -> Option<String> {
    match rotate(server.dispatcher.services(), uid, policies, now(server)).expect("rotation runs") {
        Outcome::Rotated(rotation, ticket) => {
            ticket.wait().expect("durable");
            Some(rotation.replacement)
        }
        Outcome::NotDue => None,
    }
}

#[test]
fn a_key_with_rotate_automatic_is_due_interval_after_its_initial_date_and_rotates_once() {
    let server = Server::new();
    let old = rotating_key(&server, "payments", 2, "");
    let store = server.dispatcher.services().store.as_ref();
    let schedule = Schedule::build(store, &[], now(&server)).unwrap();
    let entry = schedule.entry(&old).expect("scheduled");
    assert_eq!((entry.due, &entry.source), (NOW + 2, &Source::Attributes));
    assert!(schedule.due(NOW + 1).is_empty());
    assert_eq!(schedule.due(NOW + 2), std::slice::from_ref(&old));

    // Not yet due: nothing happens.
    server.advance(1);
    assert_eq!(rotate_now(&server, &old, &[]), None);
    server.advance(1);
    let new = rotate_now(&server, &old, &[]).expect("rotated when due");
    // Asked again (a second scheduler, a retry after a crash): nothing.
    assert_eq!(rotate_now(&server, &old, &[]), None);
    server.advance(100);
    assert_eq!(rotate_now(&server, &old, &[]), None, "the replaced key never rotates again");

    assert_eq!(locate_latest(&server, "payments"), std::slice::from_ref(&new));
    let new_attributes = attributes(&server, &new);
    assert_eq!(integer(&new_attributes, Tag::RotateGeneration), Some(1));
    assert_eq!(boolean(&new_attributes, Tag::RotateLatest), Some(true));
    assert_eq!(boolean(&new_attributes, Tag::RotateAutomatic), Some(true), "inherited");
    assert_eq!(text(&new_attributes, Tag::RotateNameValue).as_deref(), Some("payments"));
    assert_eq!(linked(&new_attributes, "ReplacedObjectLink").as_deref(), Some(old.as_str()));
    let old_attributes = attributes(&server, &old);
    assert_eq!(boolean(&old_attributes, Tag::RotateLatest), Some(false));
    assert_eq!(linked(&old_attributes, "ReplacementObjectLink").as_deref(), Some(new.as_str()));

    // The new generation is due an interval after its own rotation (late: one rotation, not 50).
    let schedule = Schedule::build(store, &[], now(&server)).unwrap();
    assert_eq!(
        schedule.entries().map(|e| (e.unique_identifier.clone(), e.due)).collect::<Vec<_>>(),
        [(new.clone(), NOW + 2 + 2)]
    );
    let third = rotate_now(&server, &new, &[]).expect("overdue: rotates at once");
    assert_eq!(rotate_now(&server, &third, &[]), None, "due two seconds after its own rotation");
    assert_eq!(integer(&attributes(&server, &third), Tag::RotateGeneration), Some(2));
    assert_eq!(locate_latest(&server, "payments"), [third]);
}

#[test]
fn the_rotate_offset_is_the_offset_of_the_re_key() {
    let server = Server::new();
    let old = rotating_key(&server, "offset", 10, r#"<RotateOffset type="Interval" value="30"/>"#);
    server.advance(10);
    let new = rotate_now(&server, &old, &[]).unwrap();
    let dates = attributes(&server, &new);
    let activation = find(&dates, Tag::ActivationDate).map(|d| d.value.clone());
    assert_eq!(activation, Some(Value::DateTime(NOW + 10 + 30)));
}

#[test]
fn without_an_interval_or_when_revoked_nothing_rotates() {
    let server = Server::new();
    let payload = r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes>
        <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/>
        <RotateAutomatic type="Boolean" value="true"/></Attributes>"#;
    let no_interval = text(&server.ok(OWNER, V2_1, &item("Create", payload)), Tag::UniqueIdentifier).unwrap();
    let revoked = rotating_key(&server, "r", 5, "");
    server.ok(OWNER, V2_1, &item("Activate", &uid_xml(&revoked)));
    server.ok(OWNER, V2_1, &revoke(&revoked, "CessationOfOperation"));
    server.advance(1_000);
    let store = server.dispatcher.services().store.as_ref();
    assert!(Schedule::build(store, &[], now(&server)).unwrap().is_empty());
    assert_eq!(rotate_now(&server, &no_interval, &[]), None);
    assert_eq!(rotate_now(&server, &revoked, &[]), None);
}

#[test]
fn the_rotate_attributes_are_2_1_only_and_the_server_maintains_its_own() {
    let server = Server::new();
    // A 2.0 client cannot send them: the tags do not exist in 2.0.
    let payload = r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes>
        <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/>
        <RotateAutomatic type="Boolean" value="true"/></Attributes>"#;
    assert_ne!(server.fails(OWNER, V2_0, &item("Create", payload)), "");
    // A 2.1 client cannot set the server's own.
    for own in [
        r#"<RotateGeneration type="Integer" value="5"/>"#,
        r#"<RotateLatest type="Boolean" value="true"/>"#,
        r#"<RotateDate type="DateTime" value="2020-01-01T00:00:00Z"/>"#,
    ] {
        let payload = format!(
            r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes>
            <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/>{own}</Attributes>"#
        );
        assert_ne!(server.fails(OWNER, V2_1, &item("Create", &payload)), "", "{own}");
    }
    // Nor change Rotate Interval once set (2.1 Table 132: not modifiable by the client).
    let uid = rotating_key(&server, "fixed", 60, "");
    let modify =
        format!(r#"{}<NewAttribute><RotateInterval type="Interval" value="1"/></NewAttribute>"#, uid_xml(&uid));
    assert_ne!(server.fails(OWNER, V2_1, &item("ModifyAttribute", &modify)), "");
}

#[test]
fn a_clients_re_key_of_a_rotated_set_counts_a_generation() {
    let server = Server::new();
    let old = rotating_key(&server, "manual", 3_600, "");
    let new = text(&server.ok(OWNER, V2_1, &item("ReKey", &uid_xml(&old))), Tag::UniqueIdentifier).unwrap();
    assert_eq!(integer(&attributes(&server, &new), Tag::RotateGeneration), Some(1));
    assert_eq!(locate_latest(&server, "manual"), std::slice::from_ref(&new));
    // The replaced key is out of the schedule.
    assert_eq!(rotate_now(&server, &old, &[]), None);
}

fn group_policy(group: &str, extra: &str) -> RotationPolicy {
    serde_json::from_str(&format!(r#"{{"id":"p-{group}","object_group":"{group}","interval":60{extra}}}"#)).unwrap()
}

fn create_1x_in_group(server: &Server, group: &str) -> String {
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>
          <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
          <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="256"/></Attribute>
          <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Encrypt Decrypt"/></Attribute>
          <Attribute><AttributeName type="TextString" value="Object Group"/><AttributeValue type="TextString" value="{group}"/></Attribute>
          <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="{group}-key"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>
        </TemplateAttribute>"#
    );
    text(&server.ok(OWNER, V1_4, &item("Create", &payload)), Tag::UniqueIdentifier).unwrap()
}

#[test]
fn a_policy_on_an_object_group_rotates_a_1x_clients_key_and_settles_the_old_one() {
    let server = Server::new();
    let old = create_1x_in_group(&server, "backup");
    server.ok(OWNER, V1_4, &item("Activate", &uid_xml(&old)));
    let other = create_1x_in_group(&server, "elsewhere");
    let policies = [group_policy("backup", r#","replaced":{"grace":3600,"protect_stop":true}"#)];
    let store = server.dispatcher.services().store.as_ref();
    let schedule = Schedule::build(store, &policies, now(&server)).unwrap();
    assert_eq!(schedule.entries().map(|e| e.unique_identifier.clone()).collect::<Vec<_>>(), std::slice::from_ref(&old));
    assert_eq!(schedule.entry(&old).unwrap().source, Source::Policy("p-backup".into()));
    assert_eq!(rotate_now(&server, &other, &policies), None);

    server.advance(60);
    let new = rotate_now(&server, &old, &policies).expect("due by the policy");
    assert_eq!(rotate_now(&server, &old, &policies), None);
    // The 1.x client finds the new key by its Name, in its group.
    let locate = r#"<Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="backup-key"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>"#;
    assert_eq!(
        texts(&server.ok(OWNER, V1_4, &item("Locate", locate)), Tag::UniqueIdentifier),
        std::slice::from_ref(&new)
    );
    // The replaced key: Active for the grace period, then Deactivated; no longer protecting.
    let old_attributes = attributes(&server, &old);
    assert_eq!(
        find(&old_attributes, Tag::DeactivationDate).map(|d| d.value.clone()),
        Some(Value::DateTime(NOW + 60 + 3600))
    );
    assert_eq!(find(&old_attributes, Tag::ProtectStopDate).map(|d| d.value.clone()), Some(Value::DateTime(NOW + 60)));
    // The new key stays in the group, so the policy rotates it in turn.
    let schedule = Schedule::build(store, &policies, now(&server)).unwrap();
    assert_eq!(schedule.entry(&new).map(|e| e.due), Some(NOW + 60 + 60));
}

#[test]
fn a_policy_may_revoke_the_replaced_key() {
    let server = Server::new();
    let old = create_1x_in_group(&server, "strict");
    server.ok(OWNER, V1_4, &item("Activate", &uid_xml(&old)));
    let policies = [group_policy("strict", r#","replaced":{"revoke":true}"#)];
    server.advance(60);
    rotate_now(&server, &old, &policies).unwrap();
    let old_attributes = attributes(&server, &old);
    assert!(show(&old_attributes).contains(r#"<State type="Enumeration" value="Deactivated"/>"#));
    assert!(show(&old_attributes).contains(r#"value="Superseded""#));
}

#[test]
fn concurrent_rotations_of_one_key_make_one_new_key() {
    let server = std::sync::Arc::new(Server::new());
    let old = rotating_key(&server, "race", 1, "");
    server.advance(1);
    let rotated: Vec<Option<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| rotate_now(&server, &old, &[]))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let made: Vec<&String> = rotated.iter().flatten().collect();
    assert_eq!(made.len(), 1, "{rotated:?}");
    assert_eq!(locate_latest(&server, "race"), [made[0].clone()]);
    let all = r#"<Attributes><RotateName><RotateNameValue type="TextString" value="race"/><RotateNameType type="Enumeration" value="UninterpretedTextString"/></RotateName></Attributes>"#;
    assert_eq!(texts(&server.ok(OWNER, V2_1, &item("Locate", all)), Tag::UniqueIdentifier).len(), 2);
}

#[test]
fn attributes_win_over_policies_and_the_precise_policy_over_the_broad() {
    let server = Server::new();
    let uid = create_1x_in_group(&server, "g");
    let by_object: RotationPolicy =
        serde_json::from_str(&format!(r#"{{"id":"z-one","object":"{uid}","interval":10}}"#)).unwrap();
    let by_name: RotationPolicy =
        serde_json::from_str(r#"{"id":"a-names","name_pattern":"g-*","interval":20}"#).unwrap();
    let policies = [by_name.clone(), group_policy("g", ""), by_object];
    let store = server.dispatcher.services().store.as_ref();
    let schedule = Schedule::build(store, &policies, now(&server)).unwrap();
    assert_eq!(
        schedule.entry(&uid).map(|e| (e.due, e.source.clone())),
        Some((NOW + 10, Source::Policy("z-one".into())))
    );
    let schedule = Schedule::build(store, &[by_name], now(&server)).unwrap();
    assert_eq!(schedule.entry(&uid).map(|e| e.due), Some(NOW + 20));
}

/// Records what the dispatcher reports.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl keyward_core::rotation::ChangeListener for Recorder {
    fn watches(&self, object: &keyward_store::StoredObject) -> bool {
        keyward_core::rotation::due::may_rotate(object, &[])
    }
    fn changed(&self, unique_identifiers: Vec<String>) {
        self.0.lock().unwrap().extend(unique_identifiers);
    }
}

#[test]
fn the_dispatcher_reports_the_commits_of_objects_that_may_rotate_and_only_those() {
    let mut server = Server::new();
    let recorder = std::sync::Arc::new(Recorder::default());
    server.dispatcher = server.dispatcher.clone().with_change_listener(recorder.clone());
    let plain = text(&server.ok(OWNER, V2_1, &create_aes_2x("plain")), Tag::UniqueIdentifier).unwrap();
    assert!(recorder.0.lock().unwrap().is_empty(), "an ordinary Create is not reported");
    let rotating = rotating_key(&server, "watched", 60, "");
    assert_eq!(*recorder.0.lock().unwrap(), std::slice::from_ref(&rotating));
    // A client adds Rotate Automatic and an interval to a key created long ago: reported, and due
    // at once (its Initial Date plus the interval has passed).
    server.advance(3_600);
    let add =
        |attribute: &str| item("AddAttribute", &format!("{}<NewAttribute>{attribute}</NewAttribute>", uid_xml(&plain)));
    server.ok(OWNER, V2_1, &add(r#"<RotateInterval type="Interval" value="60"/>"#));
    server.ok(OWNER, V2_1, &add(r#"<RotateAutomatic type="Boolean" value="true"/>"#));
    assert_eq!(recorder.0.lock().unwrap().last(), Some(&plain));
    let new = rotate_now(&server, &plain, &[]).expect("overdue once it rotates");
    assert_ne!(new, plain);
}

/// A certificate with Rotate Automatic is renewed by Re-certify (2.1 §4.48: "as the object
/// requires"): the same key and subject, from the server's issuing CA, linked both ways.
#[test]
fn a_certificate_rotates_by_re_certify() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicI64;
    let clock = Arc::new(TestClock(AtomicI64::new(NOW)));
    let policy = keyward_core::Policy { issuing_ca: keyward_core::IssuingCa::Managed, ..Default::default() };
    let services = keyward_core::Services {
        store: Arc::new(keyward_store::MemoryStore::new(keyward_core::record_schema::schema())),
        policy,
        clock: clock.clone(),
    };
    let server = Server { dispatcher: keyward_core::Dispatcher::new(services), clock };
    let pair = r#"<CommonAttributes>
        <CryptographicAlgorithm type="Enumeration" value="ECDSA"/>
        <CryptographicDomainParameters><RecommendedCurve type="Enumeration" value="P_256"/></CryptographicDomainParameters>
        </CommonAttributes>
        <PrivateKeyAttributes><CryptographicUsageMask type="Integer" value="Sign"/></PrivateKeyAttributes>
        <PublicKeyAttributes><CryptographicUsageMask type="Integer" value="Verify"/></PublicKeyAttributes>"#;
    let public = text(&server.ok(OWNER, V2_1, &item("CreateKeyPair", pair)), Tag::PublicKeyUniqueIdentifier).unwrap();
    let certify = format!(
        r#"{}<Attributes><CertificateSubjectCN type="TextString" value="web-01"/>
        <RotateAutomatic type="Boolean" value="true"/><RotateInterval type="Interval" value="5"/>
        <RotateName><RotateNameValue type="TextString" value="web-cert"/><RotateNameType type="Enumeration" value="UninterpretedTextString"/></RotateName>
        </Attributes>"#,
        uid_xml(&public)
    );
    let old = text(&server.ok(OWNER, V2_1, &item("Certify", &certify)), Tag::UniqueIdentifier).unwrap();
    server.advance(5);
    let rotation = match rotate(server.dispatcher.services(), &old, &[], now(&server)).expect("rotation runs") {
        Outcome::Rotated(rotation, ticket) => {
            ticket.wait().unwrap();
            rotation
        }
        Outcome::NotDue => panic!("a certificate with Rotate Automatic is due"),
    };
    assert_eq!(rotation.operation, keyward_kmip::enums::Operation::ReCertify);
    let new = rotation.replacement;
    assert_eq!(locate_latest(&server, "web-cert"), std::slice::from_ref(&new));
    let new_attributes = attributes(&server, &new);
    assert_eq!(linked(&new_attributes, "ReplacedObjectLink").as_deref(), Some(old.as_str()));
    assert_eq!(linked(&new_attributes, "PublicKeyLink").as_deref(), Some(public.as_str()), "the same key");
    assert_eq!(integer(&new_attributes, Tag::RotateGeneration), Some(1));
    let der = |uid: &str| bytes(&server.ok(OWNER, V2_1, &item("Get", &uid_xml(uid))), Tag::CertificateValue).unwrap();
    let (old_cert, new_cert) = (
        keyward_crypto::certificates::describe_certificate(&der(&old)).unwrap(),
        keyward_crypto::certificates::describe_certificate(&der(&new)).unwrap(),
    );
    assert_eq!(old_cert.subject.der, new_cert.subject.der);
    assert_ne!(der(&old), der(&new));
    assert_eq!(rotate_now(&server, &old, &[]), None, "once");
}
