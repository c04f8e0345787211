//! Automatic rotation end to end, on the `keyward` binary with `[rotation] check_interval = "1s"`:
//! a KMIP 2.1 client's key with Rotate Automatic rotates on its own, across a restart, once per
//! due time; a 1.x client's key (PyKMIP's) rotates by a server policy on its Object Group; the
//! policies and the schedule through `keyward rotation`.

mod common;

#[path = "../../../conformance-tests/pykmip/python.rs"]
mod pykmip_python;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use keyward_kmip::UniqueIdentifierRef;
use keyward_kmip::attributes::{Attribute, Attributes, Name, RotateName};
use keyward_kmip::enums::{CryptographicAlgorithm, LinkType, ObjectType, ResultStatus};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::get_attributes::GetAttributesRequest;
use keyward_kmip::payloads::locate::LocateRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_kmip::{Interval, message::ResponseMessage};
use keyward_server::pki::ADMIN;
use keyward_ttlv::KmipVersion::{self, V1_4, V2_1};

const CONFIG: &str = "[rotation]\ncheck_interval = \"1s\"\n";

fn serve_rotating(data_dir: &Path) -> Serving {
    std::fs::create_dir_all(data_dir.parent().unwrap()).unwrap();
    let config = data_dir.parent().unwrap().join("keyward.toml");
    std::fs::write(&config, CONFIG).unwrap();
    start_with(data_dir, &["--config", config.to_str().unwrap()])
}

fn only_payload(response: ResponseMessage) -> ResponsePayload {
    let item = response.batch_items.into_iter().next().expect("one batch item");
    assert_eq!(item.result_status, ResultStatus::Success, "{:?}", item.result_message);
    item.payload.expect("a payload")
}

async fn kmip(serving: &Serving, data_dir: &Path, version: KmipVersion, payload: RequestPayload) -> ResponsePayload {
    let client = client_of(serving.address, data_dir, ADMIN);
    only_payload(call(&client, version, vec![payload]).await)
}

fn rotate_name(name: &str) -> Attribute {
    Attribute::RotateName(RotateName::text(name))
}

async fn locate(serving: &Serving, data_dir: &Path, version: KmipVersion, filter: Vec<Attribute>) -> Vec<String> {
    let request = LocateRequest { attributes: Attributes::new(filter), ..LocateRequest::default() };
    match kmip(serving, data_dir, version, RequestPayload::Locate(request)).await {
        ResponsePayload::Locate(found) => found.unique_identifier,
        other => panic!("{other:?}"),
    }
}

async fn attributes_of(serving: &Serving, data_dir: &Path, version: KmipVersion, uid: &str) -> Vec<Attribute> {
    let request = GetAttributesRequest {
        unique_identifier: Some(UniqueIdentifierRef::Text(uid.into())),
        attribute_reference: Vec::new(),
    };
    match kmip(serving, data_dir, version, RequestPayload::GetAttributes(request)).await {
        ResponsePayload::GetAttributes(found) => found.attribute.into_iter().map(|a| a.attribute).collect(),
        other => panic!("{other:?}"),
    }
}

fn link(attributes: &[Attribute], link_type: LinkType) -> Option<String> {
    attributes.iter().find_map(|a| match a {
        Attribute::Link(l) if l.link_type == link_type => match &l.linked_object_identifier {
            UniqueIdentifierRef::Text(uid) => Some(uid.clone()),
            _ => None,
        },
        _ => None,
    })
}

fn generation(attributes: &[Attribute]) -> Option<i32> {
    attributes.iter().find_map(|a| if let Attribute::RotateGeneration(g) = a { Some(*g) } else { None })
}

/// Waits until Locate by `filter` finds one object other than `old`.
async fn wait_for_replacement(
    serving: &Serving,
    data_dir: &Path,
    version: KmipVersion,
    filter: Vec<Attribute>,
    old: &str,
) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let found = locate(serving, data_dir, version, filter.clone()).await;
        if let [one] = found.as_slice()
            && one != old
        {
            return one.clone();
        }
        assert!(Instant::now() < deadline, "no rotation of {old} within {PATIENCE:?}: {found:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `keyward --json ARGS` with the development administrator's profile, at the server's address of
/// the moment (a restarted server has another port than the profile's).
fn keyward_json(serving: &Serving, data_dir: &Path, args: &[&str]) -> serde_json::Value {
    let profile = data_dir.join("pki/admin-profile.toml");
    let server = serving.address.to_string();
    let mut all = vec!["--profile", profile.to_str().unwrap(), "--server", &server, "--json"];
    all.extend_from_slice(args);
    let output = keyward(&all);
    assert!(output.status.success(), "keyward {args:?}: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_2_1_key_with_rotate_automatic_rotates_across_a_restart_once_per_due_time() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let serving = serve_rotating(&data_dir);
    let name = "e2e-rotated";
    let latest = vec![rotate_name(name), Attribute::RotateLatest(true)];
    let first = runtime.block_on(async {
        let create = CreateRequest {
            object_type: ObjectType::SymmetricKey,
            attributes: Attributes::new(vec![
                Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
                Attribute::CryptographicLength(256),
                Attribute::CryptographicUsageMask(CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt),
                Attribute::RotateAutomatic(true),
                Attribute::RotateInterval(Interval(2)),
                rotate_name(name),
            ]),
            protection_storage_masks: None,
        };
        match kmip(&serving, &data_dir, V2_1, RequestPayload::Create(create)).await {
            ResponsePayload::Create(created) => created.unique_identifier,
            other => panic!("{other:?}"),
        }
    });
    // Scheduled two seconds after its creation.
    let schedule = keyward_json(&serving, &data_dir, &["rotation", "schedule", "--object", &first]);
    assert_eq!(schedule["schedule"][0]["object"], first.as_str(), "{schedule}");
    assert_eq!(schedule["schedule"][0]["source"], "attributes", "{schedule}");
    // Down before it is due, and for longer than the interval: the rotation must not be lost.
    serving.terminate();
    std::thread::sleep(Duration::from_secs(3));
    let serving = serve_rotating(&data_dir);
    let second = runtime.block_on(wait_for_replacement(&serving, &data_dir, V2_1, latest.clone(), &first));
    let attributes = runtime.block_on(attributes_of(&serving, &data_dir, V2_1, &second));
    assert_eq!(generation(&attributes), Some(1), "{attributes:?}");
    assert_eq!(link(&attributes, LinkType::ReplacedObjectLink).as_deref(), Some(first.as_str()));
    // Restarted again while the next generation falls due.
    serving.terminate();
    let serving = serve_rotating(&data_dir);
    let third = runtime.block_on(wait_for_replacement(&serving, &data_dir, V2_1, latest.clone(), &second));
    serving.terminate();

    // Nothing was done twice: the set is one chain, one object per generation, one latest.
    let serving = serve_rotating(&data_dir);
    runtime.block_on(async {
        let all = locate(&serving, &data_dir, V2_1, vec![rotate_name(name)]).await;
        let mut generations = Vec::new();
        let mut latest_count = 0;
        for uid in &all {
            let attributes = attributes_of(&serving, &data_dir, V2_1, uid).await;
            generations.push(generation(&attributes).unwrap_or(0));
            latest_count += usize::from(attributes.contains(&Attribute::RotateLatest(true)));
            if let Some(replaced) = link(&attributes, LinkType::ReplacedObjectLink) {
                let before = attributes_of(&serving, &data_dir, V2_1, &replaced).await;
                assert_eq!(link(&before, LinkType::ReplacementObjectLink).as_deref(), Some(uid.as_str()));
                assert_eq!(generation(&before).unwrap_or(0) + 1, generation(&attributes).unwrap());
            }
        }
        generations.sort_unstable();
        let expected: Vec<i32> = (0..i32::try_from(all.len()).unwrap()).collect();
        assert_eq!(generations, expected, "one object per generation");
        assert_eq!(latest_count, 1);
        assert!(all.contains(&third));
    });
    serving.terminate();

    // Each rotation is in the audit trail once, as a Re-key by the scheduler, old in, new out;
    // and the trail checks with its MACs.
    let data = data_dir.to_str().unwrap();
    let shown = keyward(&["audit", "show", "--data-dir", data, "--identity", "keyward-rotation-scheduler", "--json"]);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let records: Vec<serde_json::Value> =
        text(&shown.stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let pairs: Vec<(String, String)> = records
        .iter()
        .map(|r| {
            assert_eq!(r["operation"], "ReKey", "{r}");
            assert_eq!(r["transport"], "rotation", "{r}");
            (r["inputs"][0].as_str().unwrap().to_string(), r["outputs"][0].as_str().unwrap().to_string())
        })
        .collect();
    assert!(pairs.contains(&(first.clone(), second.clone())), "{pairs:?}");
    assert!(pairs.contains(&(second.clone(), third.clone())), "{pairs:?}");
    let mut replaced: Vec<&String> = pairs.iter().map(|(old, _)| old).collect();
    replaced.sort();
    replaced.dedup();
    assert_eq!(replaced.len(), pairs.len(), "a rotation recorded twice: {pairs:?}");
    let verified = keyward(&["audit", "verify", "--data-dir", data]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    assert!(text(&verified.stdout).contains("checkpoint and head MACs checked"), "{}", text(&verified.stdout));
}

#[test]
fn policies_through_the_cli_rotate_a_pykmip_clients_key_by_its_object_group() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = serve_rotating(&data_dir);
    let added = keyward_json(
        &serving,
        &data_dir,
        &[
            "rotation",
            "policies",
            "add",
            "--id",
            "pykmip-group",
            "--group",
            "pykmip-rotated",
            "--interval",
            "2s",
            "--grace",
            "1h",
        ],
    );
    assert_eq!(added["policy"]["interval"], 2, "{added}");
    let listed = keyward_json(&serving, &data_dir, &["rotation", "policies", "list"]);
    assert_eq!(listed["policies"][0]["id"], "pykmip-group", "{listed}");
    assert_eq!(listed["policies"][0]["origin"], "api", "{listed}");
    // The table for a person.
    let profile = data_dir.join("pki/admin-profile.toml");
    let table = keyward(&["--profile", profile.to_str().unwrap(), "rotation", "policies", "list"]);
    assert!(text(&table.stdout).contains("object_group=pykmip-rotated"), "{}", text(&table.stdout));

    // PyKMIP in KMIP 1.2 creates a key in the group and waits for Locate by its Name to find a new one.
    let name = format!("pykmip-rotated-{}", std::process::id());
    let output = run_pykmip(&serving, &data_dir, &name);
    let report: serde_json::Value =
        serde_json::from_str(output.lines().last().unwrap_or("")).unwrap_or_else(|_| panic!("{output}"));
    let (old, new) = (report["old"].as_str().unwrap().to_string(), report["new"].as_str().unwrap().to_string());
    assert_ne!(old, new);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // As the 1.4 client sees it: the new key has the name and the group, linked to the old one.
        assert_eq!(
            locate(&serving, &data_dir, V1_4, vec![Attribute::Name(Name::text(&name))]).await,
            std::slice::from_ref(&new)
        );
        let attributes = attributes_of(&serving, &data_dir, V1_4, &new).await;
        assert_eq!(link(&attributes, LinkType::ReplacedObjectLink).as_deref(), Some(old.as_str()));
        assert!(attributes.contains(&Attribute::ObjectGroup("pykmip-rotated".into())));
        assert!(
            !attributes.iter().any(|a| matches!(a, Attribute::RotateGeneration(_))),
            "2.1 attributes hidden from 1.4"
        );
        let before = attributes_of(&serving, &data_dir, V1_4, &old).await;
        assert_eq!(link(&before, LinkType::ReplacementObjectLink).as_deref(), Some(new.as_str()));
        assert!(
            before.iter().any(|a| matches!(a, Attribute::DeactivationDate(_))),
            "grace period: a Deactivation Date"
        );
    });
    let schedule = keyward_json(&serving, &data_dir, &["rotation", "schedule"]);
    let rows = schedule["schedule"].as_array().unwrap();
    assert!(
        rows.iter().all(|row| row["object"] != old.as_str()),
        "the replaced key is out of the schedule: {schedule}"
    );
    assert!(rows.iter().any(|row| row["source"] == "policy pykmip-group"), "{schedule}");

    // The policy is kept in the store: still there after a restart.
    serving.terminate();
    let serving = serve_rotating(&data_dir);
    let listed = keyward_json(&serving, &data_dir, &["rotation", "policies", "list"]);
    assert_eq!(listed["policies"][0]["id"], "pykmip-group", "{listed}");
    let removed = keyward_json(&serving, &data_dir, &["rotation", "policies", "remove", "pykmip-group"]);
    assert_eq!(removed["removed"], "pykmip-group");
    let listed = keyward_json(&serving, &data_dir, &["rotation", "policies", "list"]);
    assert_eq!(listed["policies"], serde_json::json!([]), "{listed}");
    serving.terminate();
}

fn run_pykmip(serving: &Serving, data_dir: &Path, name: &str) -> String {
    let pki = keyward_server::pki::DevPki::of_data_dir(data_dir);
    let admin = pki.client(ADMIN);
    let output = std::process::Command::new(pykmip_python::python())
        .arg("rotation_by_policy.py")
        .current_dir(pykmip_python::workspace().join("conformance-tests/pykmip"))
        .env("KEYWARD_HOST", serving.address.ip().to_string())
        .env("KEYWARD_PORT", serving.address.port().to_string())
        .env("KEYWARD_CA", pki.ca_cert())
        .env("KEYWARD_CERT", &admin.cert)
        .env("KEYWARD_KEY", &admin.key)
        .env("KEYWARD_KMIP_VERSION", "1.2")
        .env("KEYWARD_SSL_VERSION", "PROTOCOL_TLSv1_2")
        .env("KEYWARD_ROTATION_GROUP", "pykmip-rotated")
        .env("KEYWARD_ROTATION_NAME", name)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "PyKMIP:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

#[test]
fn policies_are_an_administrators_and_the_configurations_stay() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(dir.path()).unwrap();
    let config = dir.path().join("keyward.toml");
    let file_policy = "[[rotation.policy]]\nid = \"from-file\"\nname_pattern = \"nightly-*\"\ninterval = \"1d\"\n";
    std::fs::write(&config, format!("{CONFIG}{file_policy}")).unwrap();
    let serving = start_with(&data_dir, &["--config", config.to_str().unwrap()]);
    keyward_server::pki::DevPki::of_data_dir(&data_dir).issue_client("someone").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let admin =
            keyward_client::ManagementClient::new(serving.address, "localhost", &credentials_of(&data_dir, ADMIN))
                .unwrap();
        let someone =
            keyward_client::ManagementClient::new(serving.address, "localhost", &credentials_of(&data_dir, "someone"))
                .unwrap();
        let status = |result: Result<serde_json::Value, keyward_client::ClientError>| match result {
            Err(keyward_client::ClientError::HttpStatus { status, .. }) => status,
            other => panic!("{other:?}"),
        };
        let policy = serde_json::json!({ "id": "mine", "object_group": "g", "interval": 60 });
        assert_eq!(status(someone.call("GET", "/v1/rotation/policies", None).await), 403);
        assert_eq!(status(someone.call("POST", "/v1/rotation/policies", Some(&policy)).await), 403);
        assert_eq!(status(someone.call("DELETE", "/v1/rotation/policies/from-file", None).await), 403);
        let listed = admin.call("GET", "/v1/rotation/policies", None).await.unwrap();
        assert_eq!(listed["policies"][0]["origin"], "configuration", "{listed}");
        assert_eq!(status(admin.call("DELETE", "/v1/rotation/policies/from-file", None).await), 409);
        let same_id = serde_json::json!({ "id": "from-file", "object": "x", "interval": 60 });
        assert_eq!(status(admin.call("POST", "/v1/rotation/policies", Some(&same_id)).await), 409);
        let no_selector = serde_json::json!({ "id": "bad", "interval": 60 });
        assert_eq!(status(admin.call("POST", "/v1/rotation/policies", Some(&no_selector)).await), 400);
        assert_eq!(status(admin.call("DELETE", "/v1/rotation/policies/nothing", None).await), 404);
        assert_eq!(status(admin.call("PUT", "/v1/rotation/schedule", None).await), 405);

        // A client's own key shows in its schedule; an administrator sees it too.
        let create = CreateRequest {
            object_type: ObjectType::SymmetricKey,
            attributes: Attributes::new(vec![
                Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
                Attribute::CryptographicLength(128),
                Attribute::Name(Name::text("nightly-1")),
            ]),
            protection_storage_masks: None,
        };
        let client = client_of(serving.address, &data_dir, "someone");
        let created = match only_payload(call(&client, KmipVersion::V1_4, vec![RequestPayload::Create(create)]).await) {
            ResponsePayload::Create(created) => created.unique_identifier,
            other => panic!("{other:?}"),
        };
        let own = someone.call("GET", "/v1/rotation/schedule", None).await.unwrap();
        assert_eq!(own["schedule"][0]["object"], created.as_str(), "{own}");
        assert_eq!(own["schedule"][0]["source"], "policy from-file", "{own}");
        assert_eq!(own["check_interval_seconds"], 1);
        let all = admin.call("GET", "/v1/rotation/schedule?object=nothing", None).await.unwrap();
        assert_eq!(all["schedule"], serde_json::json!([]));
        let all = admin.call("GET", &format!("/v1/rotation/schedule?object={created}"), None).await.unwrap();
        assert_eq!(all["schedule"][0]["owner"], "someone", "{all}");
    });
    // The CLI shows the administrator the other client's key too.
    let admin_only = keyward_json(&serving, &data_dir, &["rotation", "schedule"]);
    assert_eq!(admin_only["schedule"].as_array().map(Vec::len), Some(1));
    serving.terminate();
}
