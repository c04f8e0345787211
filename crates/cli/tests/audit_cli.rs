//! `keyward audit verify` and `keyward audit show` on the trail a real `keyward serve` wrote.

mod common;

use common::*;
use keyward_kmip::attributes::{Attribute, Attributes};
use keyward_kmip::enums::{CryptographicAlgorithm, ObjectType, ResultStatus};
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_server::pki::ADMIN;
use keyward_ttlv::KmipVersion;

fn create() -> RequestPayload {
    RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(128),
        ]),
        protection_storage_masks: None,
    })
}

fn get(uid: &str) -> RequestPayload {
    RequestPayload::Get(GetRequest::of(uid))
}

/// Creates a key; its identifier.
async fn created(client: &keyward_client::Client) -> String {
    let created = call(client, KmipVersion::V2_1, vec![create()]).await;
    let Some(ResponsePayload::Create(created)) = &created.batch_items[0].payload else { panic!("{created:?}") };
    created.unique_identifier.clone()
}

#[test]
fn verify_and_show_the_trail_of_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let uid = runtime.block_on(async {
        let client = client_of(serving.address, &data_dir, ADMIN);
        let uid = created(&client).await;
        let got = call(&client, KmipVersion::V1_4, vec![get(&uid), get("no-such-key")]).await;
        assert_eq!(got.batch_items[0].result_status, ResultStatus::Success);
        uid
    });
    assert!(serving.terminate().success());
    let data = data_dir.to_str().unwrap();
    let audit_dir = data_dir.join("audit");
    let trail = audit_dir.to_str().unwrap();

    let verified = keyward(&["audit", "verify", "--data-dir", data]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    let out = text(&verified.stdout);
    assert!(out.contains("verified") && out.contains("3 request record(s)") && out.contains("MACs checked"), "{out}");
    let chain_only = keyward(&["audit", "verify", trail]);
    assert!(chain_only.status.success(), "{}", text(&chain_only.stderr));
    assert!(text(&chain_only.stdout).contains("MACs not checked"), "{}", text(&chain_only.stdout));

    let creates = keyward(&["audit", "show", "--data-dir", data, "--operation", "create"]);
    let lines: Vec<String> = text(&creates.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(&format!("-> {uid}")) && lines[0].contains(" admin "), "{lines:?}");
    let of_object = keyward(&["audit", "show", trail, "--object", &uid, "--json"]);
    let records: Vec<serde_json::Value> =
        text(&of_object.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let operations: Vec<&str> = records.iter().map(|r| r["operation"].as_str().unwrap()).collect();
    assert_eq!(operations, ["Create", "Get"]);
    let nobody = keyward(&["audit", "show", trail, "--identity", "nobody"]);
    assert!(nobody.status.success() && nobody.stdout.is_empty());
    let none_yet = keyward(&["audit", "show", trail, "--until", "2000-01-01"]);
    assert!(none_yet.stdout.is_empty());
    let failed = keyward(&["audit", "show", trail, "--since", "2000-01-01T00:00:00Z", "--operation", "GET"]);
    assert!(text(&failed.stdout).contains("OperationFailed (ItemNotFound) no-such-key"), "{}", text(&failed.stdout));

    // Two lines swapped: verify fails, names the place, exits 1.
    let file = audit_dir.join("audit-00000001.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&file).unwrap().lines().map(str::to_string).collect();
    lines.swap(1, 2);
    std::fs::write(&file, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let broken = keyward(&["audit", "verify", "--data-dir", data]);
    assert_eq!(broken.status.code(), Some(1));
    let error = text(&broken.stderr);
    assert!(error.contains("audit trail broken") && error.contains("audit-00000001.jsonl line 2 (seq 3)"), "{error}");
}

#[test]
fn management_calls_are_on_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let uid = runtime.block_on(created(&client_of(serving.address, &data_dir, ADMIN)));
    let profile = data_dir.join("pki/admin-profile.toml");
    let server = serving.address.to_string();
    let admin = |args: &[&str]| {
        let mut all = vec!["--profile", profile.to_str().unwrap(), "--server", &server];
        all.extend_from_slice(args);
        keyward(&all)
    };
    let granted = admin(&["grants", "add", "--object", &uid, "--to", "backup-01", "--operations", "get"]);
    assert!(granted.status.success(), "{}", text(&granted.stderr));
    let backup = dir.path().join("backup.kwb");
    let backed_up = admin(&["backup", "create", "--out", backup.to_str().unwrap()]);
    assert!(backed_up.status.success(), "{}", text(&backed_up.stderr));
    let refused = admin(&["grants", "add", "--object", "no-such-key", "--to", "backup-01", "--operations", "get"]);
    assert!(!refused.status.success());
    assert!(serving.terminate().success());

    let data = data_dir.to_str().unwrap();
    let shown = keyward(&["audit", "show", "--data-dir", data, "--json"]);
    let records: Vec<serde_json::Value> =
        text(&shown.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let management: Vec<(&str, &str, Vec<&str>)> = records
        .iter()
        .filter(|r| r["transport"] == "management")
        .map(|r| {
            assert_eq!(r["identity"], ADMIN, "{r}");
            assert!(r["fingerprint"].is_string(), "{r}");
            let inputs =
                r["inputs"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
            (r["operation"].as_str().unwrap(), r["status"].as_str().unwrap(), inputs)
        })
        .collect();
    assert!(management.contains(&("POST /v1/grants", "Success", vec![uid.as_str()])), "{management:?}");
    assert!(management.contains(&("GET /v1/backup", "Success", vec![])), "{management:?}");
    assert!(management.contains(&("POST /v1/grants", "OperationFailed", vec!["no-such-key"])), "{management:?}");
    let verified = keyward(&["audit", "verify", "--data-dir", data]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
}
