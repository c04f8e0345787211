//! The access matrix: every operation the dispatcher has, run by each role on objects it owns, is
//! granted (with the operation's right, or with another one), or neither; and by the custodian,
//! auditor and administrator on objects of their tenant and of another. Generated from the
//! dispatcher's operation list: an operation added without a row here fails the test.
//!
//! Only the access decision is judged, from the answer: Object Not Found naming the object is
//! "hidden", Permission Denied from the access check is "denied", anything else (success, or the
//! operation's own refusal of a payload made only to reach the check) is "passed". The rows whose
//! payload could not reach the check would show "passed" for another's object and fail.

mod support;

use keyward_core::access::{Grant, GrantTarget, Right, Role, right_of};
use keyward_core::{ClientIdentity, Dispatcher, Policy, Services};
use keyward_kmip::enums::Operation;
use keyward_store::MemoryStore;
use keyward_ttlv::KmipVersion::V2_1;
use keyward_ttlv::{Encoder, Item, Limits, Tag};
use std::sync::Arc;
use support::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Passed,
    Denied,
    Hidden,
}

struct Matrix {
    dispatcher: Dispatcher,
}

const ALICE: &str = "acme/alice";
const BOB: &str = "acme/bob";
const EVE: &str = "umbrella/eve";

fn who(name: &str, role: Role) -> ClientIdentity {
    ClientIdentity::with_role(name, role)
}

impl Matrix {
    fn new() -> Matrix {
        let mut policy = Policy { algorithms: legacy_algorithms(), ..Policy::default() };
        policy.access.tenants = vec!["acme".into(), "umbrella".into()];
        let services = Services {
            store: Arc::new(MemoryStore::new(keyward_core::record_schema::schema())),
            policy,
            clock: Arc::new(TestClock(std::sync::atomic::AtomicI64::new(NOW))),
        };
        Matrix { dispatcher: Dispatcher::new(services) }
    }

    fn send(&self, client: &ClientIdentity, items: &[&str]) -> Item {
        let request = request_message(V2_1, "", items);
        let mut out = Encoder::new();
        if let Some(ticket) = self.dispatcher.handle(client, &request.to_ttlv(), &Limits::default(), &mut out) {
            ticket.wait().unwrap();
        }
        keyward_ttlv::decode_owned(out.as_bytes(), &Limits::default()).unwrap()
    }

    /// A fresh active AES key of `owner`, in Object Group `group` when given.
    fn key(&self, owner: &str, group: Option<&str>) -> String {
        let group = group.map_or(String::new(), |g| format!(r#"<ObjectGroup type="TextString" value="{g}"/>"#));
        let create = item(
            "Create",
            &format!(
                r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes>
                <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="256"/>
                <CryptographicUsageMask type="Integer" value="Encrypt Decrypt MACGenerate DeriveKey"/>{group}</Attributes>"#
            ),
        );
        let response = self.send(&who(owner, Role::Client), &[&create]);
        let batch = batch_items(&response);
        assert_eq!(status(batch[0]), "Success", "{}", show(&response));
        let uid = text(batch[0], Tag::UniqueIdentifier).unwrap();
        self.send(&who(owner, Role::Client), &[&on("Activate", Some(&uid))]);
        uid
    }

    fn grant(&self, target: GrantTarget, to: &str, by: &str, rights: &[Right]) {
        let services = self.dispatcher.services();
        let granted_by = services.policy.access.authority_of(&who(by, Role::Client), Role::Client);
        let grant = Grant { target, grantee: to.into(), rights: rights.to_vec(), granted_by };
        let (_, ticket) = services.policy.access.grants.add(&*services.store, grant).unwrap();
        ticket.wait().unwrap();
    }

    /// What `client` sees of `uid` when it runs `operation` on it.
    fn seen(&self, client: &ClientIdentity, operation: Operation, uid: &str) -> Seen {
        if operation == Operation::Locate {
            let response = self.send(client, &[&item("Locate", "")]);
            let batch = batch_items(&response);
            return match status(batch[0]).as_str() {
                "Success" if texts(batch[0], Tag::UniqueIdentifier).contains(&uid.to_string()) => Seen::Passed,
                "Success" => Seen::Hidden,
                _ => Seen::Denied,
            };
        }
        let request = payload(operation, uid);
        let response = self.send(client, &[&request]);
        let batch = batch_items(&response);
        let message = text(batch[0], Tag::ResultMessage).unwrap_or_default();
        match (status(batch[0]).as_str(), reason(batch[0]).as_str()) {
            ("OperationFailed", "ObjectNotFound") if message.contains(uid) => Seen::Hidden,
            ("OperationFailed", "PermissionDenied")
                if message.contains("is not granted") || message.contains("role may not") =>
            {
                Seen::Denied
            }
            _ => Seen::Passed,
        }
    }
}

/// A request of `operation` naming `uid`, made to reach the access check (not to succeed).
fn payload(operation: Operation, uid: &str) -> String {
    let u = uid_xml(uid);
    let data = r#"<Data type="ByteString" value="00112233445566778899aabbccddeeff"/>"#;
    let (name, fields) = match operation {
        Operation::Get => ("Get", u),
        Operation::Export => ("Export", u),
        Operation::ObtainLease => ("ObtainLease", u),
        Operation::GetUsageAllocation => {
            ("GetUsageAllocation", format!(r#"{u}<UsageLimitsCount type="LongInteger" value="1"/>"#))
        }
        Operation::CreateSplitKey => (
            "CreateSplitKey",
            format!(
                r#"<ObjectType type="Enumeration" value="SplitKey"/>{u}<SplitKeyParts type="Integer" value="2"/>
                <SplitKeyThreshold type="Integer" value="2"/><SplitKeyMethod type="Enumeration" value="XOR"/><Attributes/>"#
            ),
        ),
        Operation::JoinSplitKey => {
            ("JoinSplitKey", format!(r#"<ObjectType type="Enumeration" value="SymmetricKey"/>{u}"#))
        }
        Operation::GetAttributes => ("GetAttributes", u),
        Operation::GetAttributeList => ("GetAttributeList", u),
        Operation::Check => ("Check", u),
        Operation::AddAttribute => (
            "AddAttribute",
            format!(r#"{u}<NewAttribute><ObjectGroup type="TextString" value="added"/></NewAttribute>"#),
        ),
        Operation::ModifyAttribute => (
            "ModifyAttribute",
            format!(r#"{u}<NewAttribute><ContactInformation type="TextString" value="x"/></NewAttribute>"#),
        ),
        Operation::DeleteAttribute => (
            "DeleteAttribute",
            format!(r#"{u}<CurrentAttribute><ContactInformation type="TextString" value="x"/></CurrentAttribute>"#),
        ),
        Operation::SetAttribute => (
            "SetAttribute",
            format!(r#"{u}<NewAttribute><ContactInformation type="TextString" value="x"/></NewAttribute>"#),
        ),
        Operation::AdjustAttribute => (
            "AdjustAttribute",
            format!(
                r#"{u}<AttributeReference type="Enumeration" value="ActivationDate"/><AdjustmentType type="Enumeration" value="Increment"/>"#
            ),
        ),
        Operation::Activate => ("Activate", u),
        Operation::Revoke => (
            "Revoke",
            format!(
                r#"{u}<RevocationReason><RevocationReasonCode type="Enumeration" value="CessationOfOperation"/></RevocationReason>"#
            ),
        ),
        Operation::Destroy => ("Destroy", u),
        Operation::Archive => ("Archive", u),
        Operation::Recover => ("Recover", u),
        Operation::ReKey => ("ReKey", u),
        Operation::ReKeyKeyPair => {
            ("ReKeyKeyPair", format!(r#"<PrivateKeyUniqueIdentifier type="TextString" value="{uid}"/>"#))
        }
        Operation::ReCertify => ("ReCertify", u),
        // The object is the issuer (Parent Link) and the subject: Certify reads the issuer first.
        Operation::Certify => (
            "Certify",
            format!(
                r#"{u}<Attributes><Link><LinkType type="Enumeration" value="ParentLink"/>
                <LinkedObjectIdentifier type="TextString" value="{uid}"/></Link></Attributes>"#
            ),
        ),
        Operation::Validate => ("Validate", u),
        Operation::Encrypt => ("Encrypt", format!("{u}{data}")),
        Operation::Decrypt => ("Decrypt", format!("{u}{data}")),
        Operation::Sign => ("Sign", format!("{u}{data}")),
        Operation::SignatureVerify => {
            ("SignatureVerify", format!(r#"{u}{data}<SignatureData type="ByteString" value="00"/>"#))
        }
        Operation::MAC => ("MAC", format!("{u}{data}")),
        Operation::MACVerify => ("MACVerify", format!(r#"{u}{data}<MACData type="ByteString" value="00"/>"#)),
        Operation::DeriveKey => (
            "DeriveKey",
            format!(
                r#"<ObjectType type="Enumeration" value="SymmetricKey"/>{u}<DerivationMethod type="Enumeration" value="HASH"/>
                <DerivationParameters><CryptographicParameters><HashingAlgorithm type="Enumeration" value="SHA_256"/></CryptographicParameters></DerivationParameters>
                <Attributes><CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/></Attributes>"#
            ),
        ),
        Operation::Import => (
            "Import",
            format!(
                r#"{u}<ObjectType type="Enumeration" value="SymmetricKey"/><ReplaceExisting type="Boolean" value="true"/>
                <SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
                <KeyValue><KeyMaterial type="ByteString" value="00112233445566778899aabbccddeeff"/></KeyValue>
                <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/></KeyBlock></SymmetricKey>"#
            ),
        ),
        other => panic!("no row for {other:?}: add one (an operation that names an object) to the matrix"),
    };
    item(name, &fields)
}

/// Requests of the operations that name no existing object: what an auditor may not run is
/// refused by role, the rest reach the operation.
fn objectless(operation: Operation) -> Option<String> {
    let data = r#"<Data type="ByteString" value="00112233"/>"#;
    Some(match operation {
        Operation::Create => create_aes_2x("matrix-created"),
        Operation::Register => item(
            "Register",
            r#"<ObjectType type="Enumeration" value="SecretData"/><Attributes/>
            <SecretData><SecretDataType type="Enumeration" value="Password"/><KeyBlock><KeyFormatType type="Enumeration" value="Opaque"/>
            <KeyValue><KeyMaterial type="ByteString" value="70617373"/></KeyValue></KeyBlock></SecretData>"#,
        ),
        Operation::CreateKeyPair => item(
            "CreateKeyPair",
            r#"<CommonAttributes><CryptographicAlgorithm type="Enumeration" value="RSA"/><CryptographicLength type="Integer" value="2048"/></CommonAttributes>
            <PrivateKeyAttributes><CryptographicUsageMask type="Integer" value="Sign"/></PrivateKeyAttributes>
            <PublicKeyAttributes><CryptographicUsageMask type="Integer" value="Verify"/></PublicKeyAttributes>"#,
        ),
        Operation::Query => item("Query", r#"<QueryFunction type="Enumeration" value="QueryOperations"/>"#),
        Operation::DiscoverVersions => item("DiscoverVersions", ""),
        Operation::Log => item("Log", r#"<LogMessage type="TextString" value="matrix"/>"#),
        Operation::Ping => item("Ping", ""),
        // Relayed to the server's PKCS#11 module (none here: Operation Not Supported, not a role's refusal).
        Operation::PKCS_11 => item("PKCS_11", r#"<PKCS_11Function type="Enumeration" value="C_Initialize"/>"#),
        Operation::Interop => item(
            "Interop",
            r#"<InteropFunction type="Enumeration" value="Begin"/><InteropIdentifier type="TextString" value="m"/>"#,
        ),
        Operation::RNGRetrieve => item("RNGRetrieve", r#"<DataLength type="Integer" value="16"/>"#),
        Operation::RNGSeed => item("RNGSeed", data),
        Operation::Hash => item(
            "Hash",
            &format!(
                r#"<CryptographicParameters><HashingAlgorithm type="Enumeration" value="SHA_256"/></CryptographicParameters>{data}"#
            ),
        ),
        Operation::Poll => item("Poll", r#"<AsynchronousCorrelationValue type="ByteString" value="00"/>"#),
        Operation::Cancel => item("Cancel", r#"<AsynchronousCorrelationValue type="ByteString" value="00"/>"#),
        _ => return None,
    })
}

/// Another right than `right`, to grant and see it refused.
fn another(right: Right) -> Right {
    if right == Right::GetAttributes { Right::Encrypt } else { Right::GetAttributes }
}

#[test]
fn every_operation_by_role_and_relation_to_the_object() {
    let matrix = Matrix::new();
    let bob = who(BOB, Role::Client);
    let custodian = who("acme/ops", Role::Custodian);
    let auditor = who("acme/audit", Role::Auditor);
    let admin = who("root", Role::Administrator);
    let mut failures = Vec::new();
    let mut check = |operation: Operation, case: &str, seen: Seen, expected: Seen| {
        if seen != expected {
            failures.push(format!("{operation:?} {case}: {seen:?}, expected {expected:?}"));
        }
    };
    for &operation in keyward_core::supported_operations() {
        if let Some(request) = objectless(operation) {
            for client in [&bob, &custodian, &auditor, &admin] {
                let response = matrix.send(client, &[&request]);
                let batch = batch_items(&response);
                let message = text(batch[0], Tag::ResultMessage).unwrap_or_default();
                let refused = reason(batch[0]) == "PermissionDenied" && message.contains("role may not");
                let expected = client.role == Role::Auditor
                    && !matches!(operation, Operation::Query | Operation::DiscoverVersions | Operation::Ping);
                let seen = if refused { Seen::Denied } else { Seen::Passed };
                let expected = if expected { Seen::Denied } else { Seen::Passed };
                check(operation, &format!("by the {:?}", client.role), seen, expected);
            }
            continue;
        }
        let right = right_of(operation).unwrap_or_else(|| panic!("{operation:?} names objects but has no right"));
        let metadata = matches!(right, Right::GetAttributes | Right::Locate);

        // A client: its own, granted (directly and through a group), granted otherwise, neither.
        let own = matrix.key(BOB, None);
        check(operation, "client, own", matrix.seen(&bob, operation, &own), Seen::Passed);
        let granted = matrix.key(ALICE, None);
        matrix.grant(GrantTarget::Object(granted.clone()), BOB, ALICE, &[right]);
        check(operation, "client, granted", matrix.seen(&bob, operation, &granted), Seen::Passed);
        let group = format!("group-{operation:?}");
        let member = matrix.key(ALICE, Some(&group));
        matrix.grant(GrantTarget::Group(group.clone()), BOB, ALICE, &[right]);
        check(operation, "client, granted by group", matrix.seen(&bob, operation, &member), Seen::Passed);
        let otherwise = matrix.key(ALICE, None);
        matrix.grant(GrantTarget::Object(otherwise.clone()), BOB, ALICE, &[another(right)]);
        let expected = if operation == Operation::Locate { Seen::Hidden } else { Seen::Denied };
        check(operation, "client, granted another right", matrix.seen(&bob, operation, &otherwise), expected);
        let others = matrix.key(ALICE, None);
        check(operation, "client, another's", matrix.seen(&bob, operation, &others), Seen::Hidden);
        // A group grant by someone who does not manage the member reaches nothing.
        let foreign = matrix.key(EVE, Some(&group));
        check(operation, "client, group member of another owner", matrix.seen(&bob, operation, &foreign), Seen::Hidden);

        // The tenant roles, in their tenant and outside it; the administrator everywhere.
        let tenants = matrix.key(ALICE, None);
        check(operation, "custodian, its tenant", matrix.seen(&custodian, operation, &tenants), Seen::Passed);
        let outside = matrix.key(EVE, None);
        check(operation, "custodian, another tenant", matrix.seen(&custodian, operation, &outside), Seen::Hidden);
        let tenants = matrix.key(ALICE, None);
        let expected = if metadata { Seen::Passed } else { Seen::Denied };
        check(operation, "auditor, its tenant", matrix.seen(&auditor, operation, &tenants), expected);
        let outside = matrix.key(EVE, None);
        let expected = if metadata { Seen::Hidden } else { Seen::Denied };
        check(operation, "auditor, another tenant", matrix.seen(&auditor, operation, &outside), expected);
        let anyones = matrix.key(EVE, None);
        check(operation, "administrator", matrix.seen(&admin, operation, &anyones), Seen::Passed);
    }
    assert!(failures.is_empty(), "{} cells differ:\n{}", failures.len(), failures.join("\n"));
}
