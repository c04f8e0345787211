//! The audit trail end to end (issue 14, "Audit"): after a scripted sequence over TLS the trail
//! holds one record per answered batch item with the right fields and no key material,
//! plaintext or ciphertext, and verifies; a trail that cannot be written refuses the server's
//! start, or, when it fails later, the requests.

use std::path::{Path, PathBuf};

use keyward_client::Connection;
use keyward_kmip::UniqueIdentifierRef;
use keyward_kmip::attributes::{Attribute, Attributes, CryptographicParameters, RevocationReason};
use keyward_kmip::codec::Bytes;
use keyward_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, KeyFormatType, ObjectType, PaddingMethod, ResultReason, ResultStatus,
    RevocationReasonCode,
};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::message::{RequestMessage, ResponseMessage};
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SymmetricKey};
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::encrypt::EncryptRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::lifecycle::{ActivateRequest, DestroyRequest};
use keyward_kmip::payloads::register::RegisterRequest;
use keyward_kmip::payloads::revoke::RevokeRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_server::audit::{Record, mac_key_from_files, verify};
use keyward_server::config::FailMode;
use keyward_server::pki::{ADMIN, DevPki};
use keyward_server::{ServerConfig, ServerError};
use keyward_ttlv::KmipVersion::{V1_4, V2_1};

use crate::common::TestServer;

const KEY: [u8; 32] = [0x5c; 32];
const PLAINTEXT: [u8; 48] = [0xa7; 48];

fn register_key() -> RequestPayload {
    let block = KeyBlock {
        key_format_type: KeyFormatType::Raw,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(Bytes::new(KEY)), attributes: vec![] }),
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        cryptographic_length: Some(256),
        key_wrapping_data: None,
    };
    let usage = CryptographicUsageMask(CryptographicUsageMask::Encrypt.0 | CryptographicUsageMask::Decrypt.0);
    RequestPayload::Register(RegisterRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![Attribute::CryptographicUsageMask(usage)]),
        object: Some(ManagedObject::SymmetricKey(SymmetricKey { key_block: block })),
        protection_storage_masks: None,
    })
}

fn create_key() -> RequestPayload {
    RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
        ]),
        protection_storage_masks: None,
    })
}

fn get(uid: Option<&str>) -> RequestPayload {
    RequestPayload::Get(GetRequest {
        unique_identifier: uid.map(UniqueIdentifierRef::from),
        key_format_type: None,
        key_wrap_type: None,
        key_compression_type: None,
        key_wrapping_specification: None,
    })
}

fn encrypt(uid: &str) -> RequestPayload {
    RequestPayload::Encrypt(EncryptRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: Some(CryptographicParameters {
            block_cipher_mode: Some(BlockCipherMode::CBC),
            padding_method: Some(PaddingMethod::PKCS5),
            cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
            random_iv: Some(true),
            ..CryptographicParameters::default()
        }),
        data: Some(Bytes::new(PLAINTEXT).into()),
        iv_counter_nonce: None,
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
        authenticated_encryption_additional_data: None,
    })
}

fn revoke(uid: &str) -> RequestPayload {
    RequestPayload::Revoke(RevokeRequest {
        unique_identifier: Some(uid.into()),
        revocation_reason: RevocationReason {
            revocation_reason_code: RevocationReasonCode::CessationOfOperation,
            revocation_message: None,
        },
        compromise_occurrence_date: None,
    })
}

async fn send(connection: &mut Connection, message: RequestMessage) -> ResponseMessage {
    let response = connection.call(&message.to_bytes()).await.unwrap();
    ResponseMessage::from_bytes(response).unwrap()
}

fn data_dir(server: &TestServer) -> PathBuf {
    server.pki.dir().parent().unwrap().to_path_buf()
}

fn records(dir: &Path) -> Vec<Record> {
    keyward_server::audit::trail_files(dir)
        .unwrap()
        .iter()
        .flat_map(|file| std::fs::read_to_string(file).unwrap().lines().map(str::to_string).collect::<Vec<_>>())
        .map(|line| serde_json::from_str(&line).unwrap())
        .collect()
}

fn fingerprint_of(pem_file: &Path) -> String {
    let pem = std::fs::read(pem_file).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&pem.contents))
}

#[tokio::test]
async fn one_record_per_item_with_its_fields_and_no_secrets() {
    let server = TestServer::start().await;
    let data = data_dir(&server);
    let mut connection = server.client().connect().await.unwrap();

    // Register, then Activate and Get through the ID Placeholder.
    let registered =
        send(&mut connection, RequestMessage::new(V1_4, vec![register_key(), activate(), get(None)])).await;
    let uid = match &registered.batch_items[0].payload {
        Some(ResponsePayload::Register(r)) => r.unique_identifier.clone(),
        other => panic!("{other:?}"),
    };
    let Some(ResponsePayload::Get(got)) = &registered.batch_items[2].payload else { panic!("{registered:?}") };
    let returned = match got.object.key_block().and_then(|block| block.key_value.as_ref()) {
        Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(bytes), .. }) => bytes.as_slice().to_vec(),
        other => panic!("no plain key material: {other:?}"),
    };
    assert_eq!(returned, KEY, "the Get returned the key");
    let sealed = send(&mut connection, RequestMessage::new(V2_1, vec![encrypt(&uid)])).await;
    let Some(ResponsePayload::Encrypt(sealed)) = &sealed.batch_items[0].payload else { panic!("{sealed:?}") };
    let ciphertext = sealed.data.clone().unwrap().as_slice().to_vec();
    let missing = send(&mut connection, RequestMessage::new(V1_4, vec![get(Some("no-such-key"))])).await;
    assert_eq!(missing.batch_items[0].result_reason, Some(ResultReason::ItemNotFound));
    let garbage = connection.call(&[0x42, 0, 0x78, 0x01, 0, 0, 0, 0]).await.unwrap().to_vec();
    crate::common::assert_invalid_message(&garbage);
    let created = send(&mut connection, RequestMessage::new(V2_1, vec![create_key()])).await;
    let Some(ResponsePayload::Create(created)) = &created.batch_items[0].payload else { panic!("{created:?}") };
    let new_uid = created.unique_identifier.clone();
    let gone = send(&mut connection, RequestMessage::new(V1_4, vec![revoke(&uid), destroy(&uid)])).await;
    assert!(gone.batch_items.iter().all(|i| i.result_status == ResultStatus::Success), "{gone:?}");
    drop(connection);
    let admin_cert = server.pki.client(ADMIN).cert;
    let _kept = server.stop_keeping_data().await;

    let audit = data.join("audit");
    let key = mac_key_from_files(&data, &data.join("kek")).unwrap();
    let verified = verify(&audit, Some(&key)).unwrap();
    assert!(verified.notes.is_empty(), "{:?}", verified.notes);
    let all = records(&audit);
    assert!(all.first().unwrap().is_checkpoint() && all.last().unwrap().is_checkpoint(), "start and shutdown");
    let requests: Vec<&Record> = all.iter().filter(|r| !r.is_checkpoint()).collect();
    let summary: Vec<(Option<&str>, Option<&str>, Option<&str>)> =
        requests.iter().map(|r| (r.operation.as_deref(), r.status.as_deref(), r.version.as_deref())).collect();
    assert_eq!(
        summary,
        [
            (Some("Register"), Some("Success"), Some("1.4")),
            (Some("Activate"), Some("Success"), Some("1.4")),
            (Some("Get"), Some("Success"), Some("1.4")),
            (Some("Encrypt"), Some("Success"), Some("2.1")),
            (Some("Get"), Some("OperationFailed"), Some("1.4")),
            (None, Some("OperationFailed"), Some("1.0")),
            (Some("Create"), Some("Success"), Some("2.1")),
            (Some("Revoke"), Some("Success"), Some("1.4")),
            (Some("Destroy"), Some("Success"), Some("1.4")),
        ]
    );
    let fingerprint = fingerprint_of(&admin_cert);
    for record in &requests {
        assert_eq!(record.identity.as_deref(), Some(ADMIN));
        assert_eq!(record.fingerprint.as_deref(), Some(fingerprint.as_str()));
        assert!(record.peer.as_deref().is_some_and(|p| p.starts_with("127.0.0.1:")), "{record:?}");
        assert_eq!(record.transport.as_deref(), Some("kmip"));
    }
    let uids = |r: &Record| (r.inputs.clone(), r.outputs.clone());
    assert_eq!(uids(requests[0]), (vec![], vec![uid.clone()]), "Register: its new object");
    assert_eq!(uids(requests[1]), (vec![uid.clone()], vec![]), "Activate: the placeholder resolved");
    assert_eq!(uids(requests[2]), (vec![uid.clone()], vec![]), "Get: the placeholder resolved");
    assert_eq!(uids(requests[3]), (vec![uid.clone()], vec![]));
    assert_eq!(uids(requests[4]), (vec!["no-such-key".to_string()], vec![]));
    assert_eq!(requests[4].reason.as_deref(), Some("ItemNotFound"));
    assert_eq!(requests[5].reason.as_deref(), Some("InvalidMessage"));
    assert_eq!(uids(requests[6]), (vec![], vec![new_uid]));
    assert_eq!(uids(requests[8]), (vec![uid.clone()], vec![]));

    let text: String = keyward_server::audit::trail_files(&audit)
        .unwrap()
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<String>()
        .to_lowercase();
    for secret in [&KEY[..], &PLAINTEXT[..], &ciphertext[..]] {
        assert!(!text.contains(&hex::encode(secret)), "a secret is in the trail");
        assert!(!text.contains(&hex::encode(&secret[..8])), "part of a secret is in the trail");
    }
}

fn activate() -> RequestPayload {
    RequestPayload::Activate(ActivateRequest { unique_identifier: None })
}

fn destroy(uid: &str) -> RequestPayload {
    RequestPayload::Destroy(DestroyRequest { unique_identifier: Some(uid.into()) })
}

/// A configuration whose audit directory cannot be created (a regular file is in its path).
fn unwritable(dir: &Path, fail_mode: FailMode) -> ServerConfig {
    let blocker = dir.join("not-a-directory");
    std::fs::write(&blocker, b"").unwrap();
    let mut config =
        ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), data_dir: dir.join("data"), ..ServerConfig::default() };
    config.audit.directory = Some(blocker.join("audit"));
    config.audit.fail_mode = fail_mode;
    DevPki::adopt(&mut config).unwrap();
    config
}

#[tokio::test]
async fn an_unwritable_trail_stops_the_start_unless_failing_open() {
    let dir = tempfile::tempdir().unwrap();
    let error = keyward_server::open_dispatcher(&unwritable(dir.path(), FailMode::Closed)).err().unwrap();
    assert!(matches!(error, ServerError::Audit(_)), "{error}");
    assert!(error.to_string().contains("fail_mode"), "{error}");

    let dir = tempfile::tempdir().unwrap();
    let config = unwritable(dir.path(), FailMode::Open);
    let dispatcher = keyward_server::open_dispatcher(&config).unwrap();
    let server = keyward_server::Server::bind(&config, dispatcher).await.unwrap();
    let address = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let pki = DevPki::of_data_dir(&config.data_dir);
    let admin = pki.client(ADMIN);
    let credentials =
        keyward_client::ClientCredentials::from_pem_files(&pki.ca_cert(), &admin.cert, &admin.key).unwrap();
    let client = keyward_client::Client::new(address, "localhost", &credentials).unwrap();
    let mut connection = client.connect().await.unwrap();
    let created = send(&mut connection, RequestMessage::new(V2_1, vec![create_key()])).await;
    assert_eq!(created.batch_items[0].result_status, ResultStatus::Success, "failing open serves");
    drop(connection);
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

/// The trail fails while the server runs (its next file is /dev/full, which refuses every
/// write): from then on changes are refused with General Failure, and so are reads.
#[tokio::test]
async fn a_trail_failing_later_refuses_changes() {
    let server = TestServer::start_with(|config| config.audit.rotate_size = 4096).await;
    let audit = data_dir(&server).join("audit");
    std::os::unix::fs::symlink("/dev/full", audit.join("audit-00000002.jsonl")).unwrap();
    let mut connection = server.client().connect().await.unwrap();
    let mut refused = None;
    for attempt in 0..200 {
        let response = send(&mut connection, RequestMessage::new(V2_1, vec![create_key()])).await;
        let item = &response.batch_items[0];
        if item.result_status != ResultStatus::Success {
            refused = Some((attempt, item.result_reason));
            break;
        }
    }
    let (attempt, reason) = refused.expect("a change is refused once the trail cannot be written");
    assert!(attempt > 3, "the first changes were recorded");
    assert_eq!(reason, Some(ResultReason::GeneralFailure));
    let again = send(&mut connection, RequestMessage::new(V2_1, vec![create_key()])).await;
    assert_eq!(again.batch_items[0].result_reason, Some(ResultReason::GeneralFailure), "{again:?}");
    let read = send(&mut connection, RequestMessage::new(V1_4, vec![get(Some("any"))])).await;
    assert_eq!(read.batch_items[0].result_reason, Some(ResultReason::GeneralFailure), "{read:?}");
    drop(connection);
    let _ = server.stop().await;
}
