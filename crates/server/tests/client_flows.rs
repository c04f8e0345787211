//! The KMIP flows of real clients, replayed over mutual TLS against a real server: one test per
//! guide in docs/clients/. Each test sends what its product sends (the KMIP version, the
//! operations in their order, the attributes it sets) and checks the answers the product depends
//! on. The facts behind each flow, and how sure they are, are in the guide the test names.
//!
//! Every response is checked against the dictionary of the request's version first: a client of
//! KMIP 1.0 must never receive a tag, attribute or enumeration value that 1.0 does not define.

#[path = "e2e/common.rs"]
#[allow(dead_code)]
mod common;

use std::collections::BTreeSet;

use common::TestServer;
use keyward_client::{Client, ClientCredentials, Connection};
use keyward_kmip::UniqueIdentifierRef;
use keyward_kmip::attributes::{
    Attribute, AttributeRef, Attributes, CryptographicParameters, IndexedAttribute, Name, RevocationReason,
    VendorAttribute,
};
use keyward_kmip::codec::{Bytes, DateTime, Raw};
use keyward_kmip::enums::{
    BlockCipherMode, CredentialType, CryptographicAlgorithm, KeyFormatType, ObjectType, Operation, PaddingMethod,
    QueryFunction, ResultReason, ResultStatus, RevocationReasonCode, SecretDataType, State,
};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::message::{Authentication, Credential, ProtocolVersion, RequestMessage, ResponseMessage};
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SecretData, SymmetricKey};
use keyward_kmip::payloads::add_attribute::AddAttributeRequest;
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::create_key_pair::CreateKeyPairRequest;
use keyward_kmip::payloads::decrypt::DecryptRequest;
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_kmip::payloads::encrypt::EncryptRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::get_attribute_list::GetAttributeListRequest;
use keyward_kmip::payloads::get_attributes::{GetAttributesRequest, GetAttributesResponse};
use keyward_kmip::payloads::lifecycle::{ActivateRequest, DestroyRequest};
use keyward_kmip::payloads::locate::LocateRequest;
use keyward_kmip::payloads::modify_attribute::ModifyAttributeRequest;
use keyward_kmip::payloads::query::QueryRequest;
use keyward_kmip::payloads::register::RegisterRequest;
use keyward_kmip::payloads::revoke::RevokeRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_ttlv::KmipVersion::{self, V1_0, V1_1, V1_2, V1_4, V2_0};
use keyward_ttlv::{Item, Limits, Tag, Value};

// ---------------------------------------------------------------------------------------------
// Sending and reading

/// A client of its own, as the guides recommend: one certificate per product, issued from the
/// development CA the way `keyward pki issue-client NAME` does it.
fn client_named(server: &TestServer, name: &str) -> Client {
    let files = server.pki.issue_client(name).unwrap();
    let credentials = ClientCredentials::from_pem_files(&server.pki.ca_cert(), &files.cert, &files.key).unwrap();
    Client::new(server.address, "localhost", &credentials).unwrap()
}

/// Decodes a response after checking that it speaks the request's version, and only it.
fn read_response(bytes: &[u8], version: KmipVersion) -> ResponseMessage {
    let item = keyward_ttlv::decode_owned(bytes, &Limits::default()).expect("a TTLV response");
    let problems = keyward_ttlv::version_check::check(&item, version);
    assert!(problems.is_empty(), "the response uses what KMIP {version} does not define: {problems:#?}");
    let response = ResponseMessage::from_bytes(bytes).expect("a response message");
    assert_eq!(response.header.protocol_version, ProtocolVersion::of(version), "answered in another version");
    response
}

/// Sends a message on an open connection (clients that keep one).
async fn on(connection: &mut Connection, message: RequestMessage) -> ResponseMessage {
    let answer = connection.call(&message.to_bytes()).await.unwrap();
    read_response(answer, message.version)
}

/// Sends a message on a connection of its own (clients that connect for every request).
async fn once(client: &Client, message: RequestMessage) -> ResponseMessage {
    let answer = client.call_once(&message.to_bytes()).await.unwrap();
    read_response(&answer, message.version)
}

fn message(version: KmipVersion, payloads: Vec<RequestPayload>) -> RequestMessage {
    RequestMessage::new(version, payloads)
}

/// The payload of a batch item that must have succeeded.
fn succeeded(response: &ResponseMessage, index: usize) -> &ResponsePayload {
    let item = &response.batch_items[index];
    assert_eq!(item.result_status, ResultStatus::Success, "{:?}: {:?}", item.operation, item.result_message);
    item.payload.as_ref().expect("a successful item carries a payload")
}

/// The result reason of a batch item that must have failed.
fn failed(response: &ResponseMessage, index: usize) -> ResultReason {
    let item = &response.batch_items[index];
    assert_eq!(item.result_status, ResultStatus::OperationFailed, "{item:?}");
    item.result_reason.expect("a failure carries a reason")
}

/// The response payload of one operation, or a panic naming what came instead.
macro_rules! answer {
    ($response:expr, $index:expr, $variant:ident) => {
        match succeeded(&$response, $index) {
            ResponsePayload::$variant(payload) => payload,
            other => panic!("expected a {} response, got {other:?}", stringify!($variant)),
        }
    };
    ($response:expr, $variant:ident) => {
        answer!($response, 0, $variant)
    };
}

// ---------------------------------------------------------------------------------------------
// Requests, as the clients build them

fn uid(id: &str) -> Option<UniqueIdentifierRef> {
    Some(UniqueIdentifierRef::from(id))
}

fn name(text: &str) -> Attribute {
    Attribute::Name(Name::text(text))
}

fn usage(masks: &[CryptographicUsageMask]) -> Attribute {
    Attribute::CryptographicUsageMask(CryptographicUsageMask(masks.iter().fold(0, |all, mask| all | mask.0)))
}

/// A 1.x custom attribute ("x-...") with a text value.
fn custom(full_name: &str, text: &str) -> Attribute {
    let value = Value::TextString(text.to_string());
    Attribute::Vendor(VendorAttribute::from_custom_name(full_name, value).expect("an x- name"))
}

fn custom_ref(full_name: &str) -> AttributeRef {
    AttributeRef::from_name(full_name).unwrap()
}

fn create_aes(bits: i32, mut attributes: Vec<Attribute>) -> RequestPayload {
    attributes.splice(
        0..0,
        [Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES), Attribute::CryptographicLength(bits)],
    );
    RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(attributes),
        protection_storage_masks: None,
    })
}

fn register(object: ManagedObject, attributes: Vec<Attribute>) -> RequestPayload {
    RequestPayload::Register(RegisterRequest {
        object_type: object.object_type(),
        attributes: Attributes::new(attributes),
        object: Some(object),
        protection_storage_masks: None,
    })
}

fn plain_key_block(format: KeyFormatType, material: &[u8], aes_bits: Option<i32>) -> KeyBlock {
    KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(Bytes::new(material)), attributes: vec![] }),
        cryptographic_algorithm: aes_bits.map(|_| CryptographicAlgorithm::AES),
        cryptographic_length: aes_bits,
        key_wrapping_data: None,
    }
}

fn aes_key(material: &[u8]) -> ManagedObject {
    let bits = i32::try_from(material.len() * 8).unwrap();
    ManagedObject::SymmetricKey(SymmetricKey { key_block: plain_key_block(KeyFormatType::Raw, material, Some(bits)) })
}

fn secret(kind: SecretDataType, format: KeyFormatType, material: &[u8]) -> ManagedObject {
    ManagedObject::SecretData(SecretData { secret_data_type: kind, key_block: plain_key_block(format, material, None) })
}

fn get(id: &str) -> RequestPayload {
    RequestPayload::Get(GetRequest {
        unique_identifier: uid(id),
        key_format_type: None,
        key_wrap_type: None,
        key_compression_type: None,
        key_wrapping_specification: None,
    })
}

fn get_attributes(id: &str, names: Vec<AttributeRef>) -> RequestPayload {
    RequestPayload::GetAttributes(GetAttributesRequest { unique_identifier: uid(id), attribute_reference: names })
}

fn state_only(id: &str) -> RequestPayload {
    get_attributes(id, vec![AttributeRef::Standard(Tag::State)])
}

fn activate(id: &str) -> RequestPayload {
    RequestPayload::Activate(ActivateRequest { unique_identifier: uid(id) })
}

fn revoke(id: &str, code: RevocationReasonCode, text: Option<&str>) -> RequestPayload {
    RequestPayload::Revoke(RevokeRequest {
        unique_identifier: uid(id),
        revocation_reason: RevocationReason {
            revocation_reason_code: code,
            revocation_message: text.map(str::to_string),
        },
        compromise_occurrence_date: None,
    })
}

fn destroy(id: &str) -> RequestPayload {
    RequestPayload::Destroy(DestroyRequest { unique_identifier: uid(id) })
}

fn locate(attributes: Vec<Attribute>, maximum_items: Option<i32>, offset_items: Option<i32>) -> RequestPayload {
    RequestPayload::Locate(LocateRequest {
        maximum_items,
        offset_items,
        storage_status_mask: None,
        object_group_member: None,
        attributes: Attributes::new(attributes),
    })
}

fn query(functions: &[QueryFunction]) -> RequestPayload {
    RequestPayload::Query(QueryRequest { query_function: functions.to_vec(), object_groups: None })
}

fn discover_versions() -> RequestPayload {
    RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() })
}

fn created(response: &ResponseMessage) -> String {
    answer!(response, Create).unique_identifier.clone()
}

fn registered(response: &ResponseMessage) -> String {
    answer!(response, Register).unique_identifier.clone()
}

fn located(response: &ResponseMessage) -> Vec<String> {
    answer!(response, Locate).unique_identifier.clone()
}

/// The plain key material of a Get response.
fn material(response: &ResponseMessage) -> Vec<u8> {
    let object = &answer!(response, Get).object;
    match object.key_block().and_then(|block| block.key_value.as_ref()) {
        Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(bytes), .. }) => bytes.as_slice().to_vec(),
        other => panic!("no plain key material: {other:?}"),
    }
}

fn state_of(attributes: &GetAttributesResponse) -> Option<State> {
    attributes.attribute.iter().find_map(|a| match a.attribute {
        Attribute::State(state) => Some(state),
        _ => None,
    })
}

fn text_of(attributes: &GetAttributesResponse, full_name: &str) -> Option<String> {
    let wanted = custom_ref(full_name);
    attributes.attribute.iter().find_map(|a| match &a.attribute {
        Attribute::Vendor(v) if wanted.matches(&a.attribute) => match &v.value {
            Value::TextString(text) => Some(text.clone()),
            _ => None,
        },
        _ => None,
    })
}

fn names_of(attributes: &GetAttributesResponse) -> Vec<String> {
    attributes
        .attribute
        .iter()
        .filter_map(|a| match &a.attribute {
            Attribute::Name(name) => Some(name.name_value.clone()),
            _ => None,
        })
        .collect()
}

/// Key material that differs from test to test without a random number generator.
fn material_of(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_mul(31).wrapping_add(u8::try_from(i % 256).unwrap())).collect()
}

// ---------------------------------------------------------------------------------------------
// The flows

/// vCenter's Unique Batch Item IDs in the capture: "QLKC" and a counter from 1 in each message,
/// eight bytes, on every request but Discover Versions.
fn vcenter_batch_id(counter: u8) -> [u8; 8] {
    [b'Q', b'L', b'K', b'C', counter, 0, 0, 0]
}

/// A KMIP 1.1 request as vCenter numbers its batch items.
fn vcenter_message(payloads: Vec<RequestPayload>) -> RequestMessage {
    let mut request = message(V1_1, payloads);
    for (counter, item) in (1u8..).zip(request.batch_items.iter_mut()) {
        item.as_mut().unwrap().unique_batch_item_id = Some(Bytes::new(vcenter_batch_id(counter)));
    }
    request
}

/// Sends a vCenter request on a connection of its own; every answer carries back its item's ID.
async fn vcenter_call(vcenter: &Client, request: RequestMessage) -> ResponseMessage {
    let response = once(vcenter, request).await;
    for (counter, item) in (1u8..).zip(&response.batch_items) {
        assert_eq!(item.unique_batch_item_id.as_ref().map(Bytes::as_slice), Some(&vcenter_batch_id(counter)[..]));
    }
    response
}

/// docs/clients/vmware-vsphere.md. vCenter as a Standard Key Provider client, KMIP 1.1, from a
/// capture published by Cosmian (crate/server/src/tests/ttlv_tests/integrations/vmware.rs) and
/// ../shared/interop-notes.md item 6: Discover Versions with an empty payload, Query Server
/// Information, Create of an AES-256 key for Encrypt and Decrypt (no Name, no Activate), Get
/// Attributes of a custom attribute the key does not have yet, one batch of three Add Attribute
/// with 8-byte Unique Batch Item IDs and no Batch Order Option, Get. vCenter may open a
/// connection per request.
#[tokio::test]
async fn vmware_vsphere_standard_key_provider() {
    let server = TestServer::start().await;
    let vcenter = client_named(&server, "vcenter");

    let versions = once(&vcenter, message(V1_1, vec![discover_versions()])).await;
    assert!(answer!(versions, DiscoverVersions).protocol_version.contains(&ProtocolVersion::of(V1_1)));
    let server_information = || query(&[QueryFunction::QueryServerInformation]);
    let info = vcenter_call(&vcenter, vcenter_message(vec![server_information()])).await;
    assert!(answer!(info, Query).vendor_identification.is_some(), "vCenter shows the vendor it finds");
    // With a User name and Password filled in, vCenter sends them as a credential: Keyward
    // identifies clients by certificate and leaves the credential unread.
    let mut with_password = vcenter_message(vec![server_information()]);
    let login = Value::Structure(vec![Item::text(Tag::Username, "vcenter"), Item::text(Tag::Password, "secret")]);
    with_password.header.authentication = Some(Authentication {
        credential: vec![Credential {
            credential_type: CredentialType::UsernameAndPassword,
            credential_value: Raw(login),
        }],
    });
    answer!(vcenter_call(&vcenter, with_password).await, Query);

    let create = create_aes(256, vec![usage(&[CryptographicUsageMask::Encrypt, CryptographicUsageMask::Decrypt])]);
    let key = created(&vcenter_call(&vcenter, vcenter_message(vec![create])).await);

    // The key has no x-Product_Version yet: success with no attribute, not an error.
    let product_version = || get_attributes(&key, vec![custom_ref("x-Product_Version")]);
    let absent = vcenter_call(&vcenter, vcenter_message(vec![product_version()])).await;
    assert!(answer!(absent, GetAttributes).attribute.is_empty());

    let tags =
        [("x-Product_Version", "7.0.3 build-19480866"), ("x-Vendor", "VMware, Inc."), ("x-Product", "VMware vSphere")];
    let adds = tags
        .iter()
        .map(|(n, v)| {
            RequestPayload::AddAttribute(AddAttributeRequest {
                unique_identifier: uid(&key),
                new_attribute: IndexedAttribute::new(custom(n, v)),
            })
        })
        .collect();
    let added = vcenter_call(&vcenter, vcenter_message(adds)).await;
    assert_eq!(added.batch_items.len(), 3);
    for index in 0..3 {
        let echo = answer!(added, index, AddAttribute);
        assert!(echo.attribute.is_some(), "a 1.x Add Attribute response echoes the attribute");
    }

    let present = vcenter_call(&vcenter, vcenter_message(vec![product_version()])).await;
    assert_eq!(text_of(answer!(present, GetAttributes), "x-Product_Version").as_deref(), Some(tags[0].1));

    let fetched = vcenter_call(&vcenter, vcenter_message(vec![get(&key)])).await;
    assert_eq!(material(&fetched).len(), 32);
    assert_eq!(answer!(fetched, Get).object_type, ObjectType::SymmetricKey);
    server.stop().await.unwrap();
}

/// A certificate like the one vCenter makes for itself when the KMS is told to trust "the
/// vCenter certificate" or a CSR from vCenter: RSA, and no Extended Key Usage extension at all,
/// which the PyKMIP server refused (PyKMIP issues #234, #402). Signed here by the server's CA, as
/// an operator would put vCenter's CA into `ca`.
fn vcenter_own_certificate(server: &TestServer, common_name: &str) -> Client {
    let read = |path: std::path::PathBuf| std::fs::read_to_string(path).unwrap();
    let ca_key = rcgen::KeyPair::from_pem(&read(server.pki.ca_key())).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&read(server.pki.ca_cert()), ca_key).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, common_name);
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature, rcgen::KeyUsagePurpose::KeyEncipherment];
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
    let certificate = params.signed_by(&key, &issuer).unwrap();
    let ca = read(server.pki.ca_cert());
    let credentials =
        ClientCredentials::from_pem(ca.as_bytes(), certificate.pem().as_bytes(), key.serialize_pem().as_bytes())
            .unwrap();
    Client::new(server.address, "localhost", &credentials).unwrap()
}

/// docs/clients/vmware-vsphere.md, the trust step done the other way: Keyward trusts a certificate
/// vCenter made itself. It has no Extended Key Usage, which restricts nothing (RFC 5280
/// §4.2.1.12 limits only certificates that carry the extension); Keyward accepts it and names the
/// client by its common name. That is another
/// identity than a certificate Keyward issued, so keys made under one are not the other's.
#[tokio::test]
async fn vmware_vsphere_with_vcenter_own_certificate() {
    let server = TestServer::start().await;
    let vcenter = vcenter_own_certificate(&server, "vcenter-01.example.com");
    let create = create_aes(256, vec![usage(&[CryptographicUsageMask::Encrypt, CryptographicUsageMask::Decrypt])]);
    let key = created(&vcenter_call(&vcenter, vcenter_message(vec![create])).await);
    assert_eq!(material(&vcenter_call(&vcenter, vcenter_message(vec![get(&key)])).await).len(), 32);

    let issued = client_named(&server, "vcenter");
    let denied = vcenter_call(&issued, vcenter_message(vec![get(&key)])).await;
    // Another identity's key does not exist for this one (1.1: Item Not Found).
    assert_eq!(failed(&denied, 0), ResultReason::ItemNotFound);
    server.stop().await.unwrap();
}

/// docs/clients/netapp-ontap.md. ONTAP's external key manager in KMIP 1.x. Confirmed: it sends
/// about sixteen `x-NETAPP-*` custom attributes with text values, x-NETAPP-ClusterName among them
/// (PyKMIP issue #489). Not confirmed: whether it creates or registers its keys, the exact minor
/// version, and the names of the other attributes (those below are illustrative). So the flow is
/// run in 1.0, 1.2 and 1.4: Create with the custom attributes, Locate by two of them, Get, Get
/// Attributes of them by name.
#[tokio::test]
async fn netapp_ontap_external_key_manager() {
    let server = TestServer::start().await;
    let ontap = client_named(&server, "ontap-cluster-1");
    let mut connection = ontap.connect().await.unwrap();
    for version in [V1_0, V1_2, V1_4] {
        let key_id = format!("0000000000000000020000000000000{}", version.minor());
        let mut attributes = vec![custom("x-NETAPP-ClusterName", "cluster-1"), custom("x-NETAPP-KeyId", &key_id)];
        attributes.extend((0..14).map(|i| custom(&format!("x-NETAPP-Attribute{i}"), "value")));
        let key = created(&on(&mut connection, message(version, vec![create_aes(256, attributes)])).await);
        // Another cluster's key, which the Locate must not return.
        let other =
            create_aes(256, vec![custom("x-NETAPP-ClusterName", "cluster-2"), custom("x-NETAPP-KeyId", &key_id)]);
        on(&mut connection, message(version, vec![other])).await;

        let wanted = vec![custom("x-NETAPP-ClusterName", "cluster-1"), custom("x-NETAPP-KeyId", &key_id)];
        let found = on(&mut connection, message(version, vec![locate(wanted, None, None)])).await;
        assert_eq!(located(&found), vec![key.clone()], "{version}");

        assert_eq!(material(&on(&mut connection, message(version, vec![get(&key)])).await).len(), 32);
        let names = vec![custom_ref("x-NETAPP-ClusterName"), custom_ref("x-NETAPP-KeyId")];
        let read = on(&mut connection, message(version, vec![get_attributes(&key, names)])).await;
        let read = answer!(read, GetAttributes);
        assert_eq!(text_of(read, "x-NETAPP-ClusterName").as_deref(), Some("cluster-1"));
        assert_eq!(text_of(read, "x-NETAPP-KeyId"), Some(key_id));
    }
    server.stop().await.unwrap();
}

/// docs/clients/mongodb.md, MongoDB's KMIP client library (libmongocrypt, kms-message
/// src/kms_kmip_request.c), which client-side field level encryption and Queryable Encryption
/// use: Register a 96-byte Secret Data of type Seed (Key Format Type Opaque, Cryptographic Usage
/// Mask 0), Activate and Get, all in KMIP 1.0; in the "delegated" mode instead a 1.2 Create of an
/// AES-256 key for Encrypt and Decrypt, then 1.2 Encrypt and Decrypt with AES-CBC and PKCS5
/// padding, the server making the IV.
#[tokio::test]
async fn mongodb_libmongocrypt() {
    let server = TestServer::start().await;
    let mongodb = client_named(&server, "mongodb-app");

    let cmk = material_of(96, 7);
    let master = secret(SecretDataType::Seed, KeyFormatType::Opaque, &cmk);
    let register = register(master, vec![usage(&[])]);
    let id = registered(&once(&mongodb, message(V1_0, vec![register])).await);
    answer!(once(&mongodb, message(V1_0, vec![activate(&id)])).await, Activate);
    let fetched = once(&mongodb, message(V1_0, vec![get(&id)])).await;
    assert_eq!(material(&fetched), cmk);
    let ManagedObject::SecretData(data) = &answer!(fetched, Get).object else { panic!("not Secret Data") };
    assert_eq!(data.secret_data_type, SecretDataType::Seed);

    // Delegated: the key never leaves the server.
    let create = create_aes(256, vec![usage(&[CryptographicUsageMask::Encrypt, CryptographicUsageMask::Decrypt])]);
    let key = created(&once(&mongodb, message(V1_2, vec![create])).await);
    let cbc = |random_iv: Option<bool>| CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::CBC),
        padding_method: Some(PaddingMethod::PKCS5),
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        random_iv,
        ..CryptographicParameters::default()
    };
    let dek = material_of(96, 9);
    let encrypt = RequestPayload::Encrypt(EncryptRequest {
        unique_identifier: uid(&key),
        cryptographic_parameters: Some(cbc(Some(true))),
        data: Some(Bytes::new(dek.clone()).into()),
        iv_counter_nonce: None,
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
        authenticated_encryption_additional_data: None,
    });
    // A key must be Active before it encrypts (KMIP 1.4 §3.22); a Pre-Active one is refused with
    // Permission Denied (Table 353).
    let too_early = once(&mongodb, message(V1_2, vec![encrypt.clone()])).await;
    assert_eq!(failed(&too_early, 0), ResultReason::PermissionDenied);
    answer!(once(&mongodb, message(V1_0, vec![activate(&key)])).await, Activate);
    let sealed = once(&mongodb, message(V1_2, vec![encrypt])).await;
    let sealed = answer!(sealed, Encrypt);
    let iv = sealed.iv_counter_nonce.clone().expect("the server returns the IV it made");
    assert_eq!(iv.as_slice().len(), 16);
    let ciphertext = sealed.data.clone().expect("ciphertext");
    assert_eq!(ciphertext.as_slice().len(), 112, "96 bytes and a block of PKCS5 padding");
    let decrypt = RequestPayload::Decrypt(DecryptRequest {
        unique_identifier: uid(&key),
        cryptographic_parameters: Some(cbc(None)),
        data: Some(ciphertext.into()),
        iv_counter_nonce: Some(iv),
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
        authenticated_encryption_additional_data: None,
        authenticated_encryption_tag: None,
    });
    let opened = once(&mongodb, message(V1_2, vec![decrypt])).await;
    assert_eq!(answer!(opened, Decrypt).data.as_ref().map(Bytes::as_slice), Some(&dek[..]));
    server.stop().await.unwrap();
}

/// docs/clients/mongodb.md, the database's own encryption at rest in Percona Server for MongoDB:
/// KMIP 1.0 (Cosmian issue #687), a master key generated by mongod and registered as a symmetric
/// key without Name or Object Group (percona-server-mongodb PR #1039), Pre-Active until mongod
/// activates it (activateKeys, on by default), then its State polled every keyStatePollingSeconds
/// (900 by default); a key that is not Active stops the node (PSMDB-1283). The attributes of the
/// Register beyond algorithm and length are not confirmed.
#[tokio::test]
async fn percona_server_for_mongodb() {
    let server = TestServer::start().await;
    let mongod = client_named(&server, "mongod-rs0-0");
    let mut connection = mongod.connect().await.unwrap();

    let master = material_of(32, 3);
    let register = register(
        aes_key(&master),
        vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
            usage(&[CryptographicUsageMask::Encrypt, CryptographicUsageMask::Decrypt]),
        ],
    );
    let id = registered(&on(&mut connection, message(V1_0, vec![register])).await);
    let polled = on(&mut connection, message(V1_0, vec![state_only(&id)])).await;
    assert_eq!(state_of(answer!(polled, GetAttributes)), Some(State::PreActive));
    answer!(on(&mut connection, message(V1_0, vec![activate(&id)])).await, Activate);
    let polled = on(&mut connection, message(V1_0, vec![state_only(&id)])).await;
    assert_eq!(state_of(answer!(polled, GetAttributes)), Some(State::Active));
    // At every start, by the identifier mongod keeps in its keystore.
    assert_eq!(material(&on(&mut connection, message(V1_0, vec![get(&id)])).await), master);

    // All attributes, in 1.0: nothing of 1.1 and later (Fresh broke this client, Cosmian #687).
    let all = on(&mut connection, message(V1_0, vec![get_attributes(&id, vec![])])).await;
    let all = answer!(all, GetAttributes);
    assert!(!all.attribute.iter().any(|a| matches!(a.attribute, Attribute::Fresh(_))));

    // An operator revokes the key: the next poll sees it, and mongod would stop.
    let revoked = revoke(&id, RevocationReasonCode::KeyCompromise, None);
    answer!(on(&mut connection, message(V1_0, vec![revoked])).await, Revoke);
    let polled = on(&mut connection, message(V1_0, vec![state_only(&id)])).await;
    assert_eq!(state_of(answer!(polled, GetAttributes)), Some(State::Compromised));
    server.stop().await.unwrap();
}

/// The version of a Locate as libkmip writes it: a KMIP 1.0 header over a payload that may hold
/// Offset Items, a field of 1.3 and later.
fn libkmip_locate(attributes: Vec<Attribute>, offset: i32) -> RequestMessage {
    let payload = locate(attributes, Some(16), (offset > 0).then_some(offset));
    let mut locate = message(V1_4, vec![payload]);
    locate.header.protocol_version = ProtocolVersion::of(V1_0);
    locate.header.maximum_response_size = Some(8192);
    locate.header.time_stamp = Some(DateTime::now());
    locate
}

/// libkmip's Locate loop (kmippp `op_locate_by_group`): pages of 16 at growing offsets; without
/// Located Items (absent in 1.0) it stops at the first empty page.
async fn libkmip_locate_all(connection: &mut Connection, attributes: Vec<Attribute>) -> Vec<String> {
    let (mut found, mut all) = (Vec::new(), 1usize);
    while found.len() < all {
        let offset = i32::try_from(found.len()).unwrap();
        let answer = connection.call(&libkmip_locate(attributes.clone(), offset).to_bytes()).await.unwrap();
        let page = located(&read_response(answer, V1_0));
        all = if page.is_empty() { all - 1 } else { all + page.len() };
        found.extend(page);
    }
    found
}

/// docs/clients/mysql.md, Percona Server for MySQL's component_keyring_kmip (its kmippp and
/// libkmip sources, components/keyrings/keyring_kmip): a key stored by the server is registered
/// in KMIP 1.4 as an AES key (usage Encrypt and Decrypt, Name = the keyring's key id, Object Group
/// when configured), a secret as Secret Data of type Password, each then activated; at start-up
/// the component locates every symmetric key of its group in 1.0 pages of 16 and reads each one's
/// value and Name; removing a key revokes it (reason Unspecified) and destroys it.
#[tokio::test]
async fn mysql_component_keyring_kmip() {
    let server = TestServer::start().await;
    let mysql = client_named(&server, "mysql-prod-1");
    let mut connection = mysql.connect().await.unwrap();
    let group = || Attribute::ObjectGroup("mysql-prod".to_string());
    let mask = || usage(&[CryptographicUsageMask::Encrypt, CryptographicUsageMask::Decrypt]);

    // More keys than one page holds, to run the paging.
    let mut stored = Vec::new();
    for n in 0..20u8 {
        let key_id = format!("INNODBKey-5c3e-{n}");
        let attributes = vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
            mask(),
            name(&key_id),
            group(),
        ];
        let id = registered(
            &on(&mut connection, message(V1_4, vec![register(aes_key(&material_of(32, n)), attributes)])).await,
        );
        answer!(on(&mut connection, message(V1_0, vec![activate(&id)])).await, Activate);
        stored.push((id, key_id, material_of(32, n)));
    }
    let password = secret(SecretDataType::Password, KeyFormatType::Opaque, b"replication-secret");
    let secret_mask =
        usage(&[CryptographicUsageMask::Encrypt, CryptographicUsageMask::Decrypt, CryptographicUsageMask::Export]);
    let secret_id = registered(
        &on(&mut connection, message(V1_4, vec![register(password, vec![secret_mask, name("mysql_secret"), group()])]))
            .await,
    );
    answer!(on(&mut connection, message(V1_0, vec![activate(&secret_id)])).await, Activate);

    // Start-up: every symmetric key of the group, then each one's value and Name.
    let filter = vec![Attribute::ObjectType(ObjectType::SymmetricKey), group()];
    let mut found = libkmip_locate_all(&mut connection, filter).await;
    found.sort();
    let mut expected: Vec<_> = stored.iter().map(|(id, ..)| id.clone()).collect();
    expected.sort();
    assert_eq!(found, expected, "every key once, and not the Secret Data");
    for (id, key_id, key) in &stored {
        assert_eq!(&material(&on(&mut connection, message(V1_0, vec![get(id)])).await), key);
        let named =
            on(&mut connection, message(V1_0, vec![get_attributes(id, vec![AttributeRef::Standard(Tag::Name)])])).await;
        assert_eq!(names_of(answer!(named, GetAttributes)), vec![key_id.clone()]);
    }

    // Removing a key.
    let (id, ..) = &stored[0];
    let removal = revoke(id, RevocationReasonCode::Unspecified, Some("Deleting the key"));
    answer!(on(&mut connection, message(V1_0, vec![removal])).await, Revoke);
    answer!(on(&mut connection, message(V1_0, vec![destroy(id)])).await, Destroy);
    server.stop().await.unwrap();
}

/// docs/clients/mysql.md, MySQL Enterprise Edition's component_keyring_kmip: KMIP 1.1, key
/// material generated by the server (MySQL Reference Manual, "Using the component_keyring_kmip
/// KMIP Component"). The exact operations are not published; this is the shape that statement
/// implies: Create named by the keyring's key id, Activate, Locate by Name, Get.
#[tokio::test]
async fn mysql_enterprise_keyring_kmip() {
    let server = TestServer::start().await;
    let mysql = client_named(&server, "mysql-enterprise-1");
    let mut connection = mysql.connect().await.unwrap();
    let key_id = "INNODBKey-0ac1-1";
    let create =
        create_aes(256, vec![usage(&[CryptographicUsageMask::Encrypt, CryptographicUsageMask::Decrypt]), name(key_id)]);
    let id = created(&on(&mut connection, message(V1_1, vec![create])).await);
    answer!(on(&mut connection, message(V1_1, vec![activate(&id)])).await, Activate);
    let found = on(&mut connection, message(V1_1, vec![locate(vec![name(key_id)], None, None)])).await;
    assert_eq!(located(&found), vec![id.clone()]);
    assert_eq!(material(&on(&mut connection, message(V1_1, vec![get(&id)])).await).len(), 32);
    server.stop().await.unwrap();
}

/// docs/clients/postgresql-pg-tde.md. Percona's pg_tde through libkmip, from a capture published
/// by Cosmian (crate/server/src/tests/ttlv_tests/integrations/postgres.rs): a principal key made
/// by PostgreSQL and registered in KMIP 1.4 (AES-128, usage Encrypt and Decrypt, a Name, Maximum
/// Response Size 8192 and a Time Stamp in the header), found again with a 1.0 Locate by Object
/// Type and Name (Maximum Items 16) and read with a 1.0 Get. No Activate is sent.
#[tokio::test]
async fn postgresql_pg_tde() {
    let server = TestServer::start().await;
    let postgres = client_named(&server, "pg-cluster-main");
    let mut connection = postgres.connect().await.unwrap();
    let principal = material_of(16, 5);
    let attributes = vec![
        Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
        Attribute::CryptographicLength(128),
        usage(&[CryptographicUsageMask::Encrypt, CryptographicUsageMask::Decrypt]),
        name("principal-key-main"),
    ];
    let mut register_message = message(V1_4, vec![register(aes_key(&principal), attributes.clone())]);
    register_message.header.maximum_response_size = Some(8192);
    register_message.header.time_stamp = Some(DateTime::now());
    let id = registered(&on(&mut connection, register_message).await);

    let filter = vec![Attribute::ObjectType(ObjectType::SymmetricKey), name("principal-key-main")];
    let mut find = message(V1_0, vec![locate(filter, Some(16), None)]);
    find.header.maximum_response_size = Some(8192);
    assert_eq!(located(&on(&mut connection, find).await), vec![id.clone()]);
    assert_eq!(material(&on(&mut connection, message(V1_0, vec![get(&id)])).await), principal);

    // Names are unique per client identity: a second key under the same name is refused (1.x:
    // Invalid Field). Give each PostgreSQL cluster its own key names or its own certificate.
    let again = on(&mut connection, message(V1_4, vec![register(aes_key(&material_of(16, 6)), attributes)])).await;
    assert_eq!(failed(&again, 0), ResultReason::InvalidField);
    server.stop().await.unwrap();
}

/// docs/clients/veeam.md. Veeam Backup & Replication 12 and later, KMIP 1.4, from Cosmian's
/// Veeam guide and regression test (integrations/veeam.rs): Locate an existing key, else Create
/// Key Pair (RSA-2048), Activate, Get the public key (kept by Veeam to encrypt), Get the private key
/// (to decrypt at restore), Destroy when the job is removed. Veeam's own decoder refuses any
/// Attribute inside a Key Value. Which attributes Veeam sets, and whether it revokes before
/// Destroy, are not confirmed.
#[tokio::test]
async fn veeam_backup_and_replication() {
    let server = TestServer::start().await;
    let veeam = client_named(&server, "veeam-br-01");
    let mut connection = veeam.connect().await.unwrap();
    let job = "veeam-job-7f2c";
    let found = on(&mut connection, message(V1_4, vec![locate(vec![name(job)], None, None)])).await;
    assert!(located(&found).is_empty());

    let pair = RequestPayload::CreateKeyPair(CreateKeyPairRequest {
        common_attributes: Some(Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::RSA),
            Attribute::CryptographicLength(2048),
        ])),
        private_key_attributes: Some(Attributes::new(vec![usage(&[CryptographicUsageMask::Decrypt]), name(job)])),
        public_key_attributes: Some(Attributes::new(vec![usage(&[CryptographicUsageMask::Encrypt])])),
        common_protection_storage_masks: None,
        private_protection_storage_masks: None,
        public_protection_storage_masks: None,
    });
    let made = on(&mut connection, message(V1_4, vec![pair])).await;
    let made = answer!(made, CreateKeyPair);
    let (private, public) = (made.private_key_unique_identifier.clone(), made.public_key_unique_identifier.clone());
    for id in [&private, &public] {
        answer!(on(&mut connection, message(V1_4, vec![activate(id)])).await, Activate);
    }
    assert_eq!(
        located(&on(&mut connection, message(V1_4, vec![locate(vec![name(job)], None, None)])).await),
        vec![private.clone()]
    );

    for id in [&public, &private] {
        let fetched = on(&mut connection, message(V1_4, vec![get(id)])).await;
        let block = answer!(fetched, Get).object.key_block().expect("a key block").clone();
        let Some(KeyValue::Plain { attributes, .. }) = &block.key_value else { panic!("no key value") };
        assert!(attributes.is_empty(), "Veeam refuses attributes inside a 1.x Key Value");
        assert_eq!(block.cryptographic_length, Some(2048));
    }

    // KMIP 1.4 §4.21 and Table 348: an Active key may not be destroyed; revoked first, it may.
    assert_eq!(
        failed(&on(&mut connection, message(V1_4, vec![destroy(&private)])).await, 0),
        ResultReason::PermissionDenied
    );
    for id in [&private, &public] {
        let removal = revoke(id, RevocationReasonCode::CessationOfOperation, None);
        answer!(on(&mut connection, message(V1_4, vec![removal, destroy(id)])).await, 1, Destroy);
    }
    server.stop().await.unwrap();
}

/// docs/clients/synology-dsm.md. DSM 7.2 with a remote KMIP server as its encryption key vault,
/// KMIP 1.2, one TLS connection per operation (../shared/interop-notes.md items 2, 3 and 15;
/// Cosmian issues #796 and #820 and its synology_dsm.rs): Discover Versions, Query, Locate by
/// Name, Register Secret Data (Password) with Operation Policy Name "default" under a temporary
/// Name, Modify Attribute of Name index 0 (whose 1.x response must echo the attribute), Locate,
/// Activate, Get Attribute List, Get Attributes, Get; Revoke and Destroy when the volume goes.
#[tokio::test]
async fn synology_dsm_key_vault() {
    let server = TestServer::start().await;
    let dsm = client_named(&server, "dsm-nas-01");
    let volume = "3f1c9d2e-8a7b-4c6d-9e0f-1a2b3c4d5e6f";

    once(&dsm, message(V1_2, vec![discover_versions()])).await;
    for functions in [
        [QueryFunction::QueryOperations, QueryFunction::QueryObjects],
        [QueryFunction::QueryServerInformation, QueryFunction::QueryApplicationNamespaces],
        [QueryFunction::QueryExtensionList, QueryFunction::QueryExtensionMap],
    ] {
        let answered = once(&dsm, message(V1_2, vec![query(&functions)])).await;
        if functions[0] == QueryFunction::QueryOperations {
            let operations = &answer!(answered, Query).operation;
            for needed in [
                Operation::Register,
                Operation::Locate,
                Operation::ModifyAttribute,
                Operation::Activate,
                Operation::Get,
            ] {
                assert!(operations.contains(&needed), "{needed:?} missing from Query Operations");
            }
        }
    }
    let by_name = || locate(vec![name(volume)], None, None);
    assert!(located(&once(&dsm, message(V1_2, vec![by_name()])).await).is_empty());

    let key = material_of(32, 11);
    let attributes = vec![
        usage(&[CryptographicUsageMask::Verify]),
        Attribute::OperationPolicyName("default".to_string()),
        // Reported to be a SHA-512 value before the rename.
        name(&"5e".repeat(64)),
    ];
    let id = registered(
        &once(
            &dsm,
            message(V1_2, vec![register(secret(SecretDataType::Password, KeyFormatType::Opaque, &key), attributes)]),
        )
        .await,
    );
    let rename = RequestPayload::ModifyAttribute(ModifyAttributeRequest {
        unique_identifier: uid(&id),
        current_attribute: None,
        new_attribute: IndexedAttribute { index: 0, attribute: name(volume) },
    });
    let renamed = once(&dsm, message(V1_2, vec![rename])).await;
    let echoed = answer!(renamed, ModifyAttribute).attribute.clone().expect("the 1.x response echoes the attribute");
    assert_eq!(echoed.attribute, name(volume));
    assert_eq!(located(&once(&dsm, message(V1_2, vec![by_name()])).await), vec![id.clone()]);
    answer!(once(&dsm, message(V1_2, vec![activate(&id)])).await, Activate);

    let listed = once(
        &dsm,
        message(V1_2, vec![RequestPayload::GetAttributeList(GetAttributeListRequest { unique_identifier: uid(&id) })]),
    )
    .await;
    assert!(
        answer!(listed, GetAttributeList)
            .attribute_reference
            .contains(&AttributeRef::Standard(Tag::OperationPolicyName))
    );
    let all = once(&dsm, message(V1_2, vec![get_attributes(&id, vec![])])).await;
    let all = answer!(all, GetAttributes);
    assert!(all.attribute.iter().any(|a| a.attribute == Attribute::OperationPolicyName("default".to_string())));
    assert_eq!(state_of(all), Some(State::Active));
    assert_eq!(material(&once(&dsm, message(V1_2, vec![get(&id)])).await), key);

    answer!(
        once(&dsm, message(V1_2, vec![revoke(&id, RevocationReasonCode::CessationOfOperation, None)])).await,
        Revoke
    );
    answer!(once(&dsm, message(V1_2, vec![destroy(&id)])).await, Destroy);
    server.stop().await.unwrap();
}

/// docs/clients/pykmip.md. What PyKMIP 0.11 meets in its 2.0 mode (../shared/interop-notes.md,
/// "Added 2026-12"; the real client runs in crates/server/tests/pykmip.rs): a Get Attributes
/// without names returns Original Creation Date, which KMIP requires on objects the server made
/// and which PyKMIP's 2.0 attribute factory cannot read; asking by name (as PyKMIP's own
/// reference with an empty Vendor Identification) returns only what was named. In 1.x mode the
/// full answer is fine.
#[tokio::test]
async fn pykmip_2_0_attributes() {
    let server = TestServer::start().await;
    let pykmip = client_named(&server, "pykmip-app");
    let mut connection = pykmip.connect().await.unwrap();
    let create = create_aes(
        256,
        vec![name("pykmip-key"), usage(&[CryptographicUsageMask::Encrypt, CryptographicUsageMask::Decrypt])],
    );
    let id = created(&on(&mut connection, message(V2_0, vec![create])).await);

    let full = on(&mut connection, message(V2_0, vec![get_attributes(&id, vec![])])).await;
    let has_original_creation_date = |r: &GetAttributesResponse| {
        r.attribute.iter().any(|a| matches!(a.attribute, Attribute::OriginalCreationDate(_)))
    };
    assert!(has_original_creation_date(answer!(full, GetAttributes)), "the attribute PyKMIP 0.11 cannot read in 2.0");

    let wanted = ["Cryptographic Length", "Name", "State", "Unique Identifier", "Digest", "Initial Date"];
    let references =
        wanted.iter().map(|n| AttributeRef::Vendor { vendor: String::new(), name: n.to_string() }).collect();
    let named = on(&mut connection, message(V2_0, vec![get_attributes(&id, references)])).await;
    let named = answer!(named, GetAttributes);
    assert!(!has_original_creation_date(named));
    let returned: BTreeSet<Tag> = named.attribute.iter().map(|a| a.attribute.tag()).collect();
    let expected =
        [Tag::CryptographicLength, Tag::Name, Tag::State, Tag::UniqueIdentifier, Tag::Digest, Tag::InitialDate];
    assert_eq!(returned, BTreeSet::from(expected), "what was named, and only that");

    let full_1x = on(&mut connection, message(V1_2, vec![get_attributes(&id, vec![])])).await;
    assert!(has_original_creation_date(answer!(full_1x, GetAttributes)));
    server.stop().await.unwrap();
}
