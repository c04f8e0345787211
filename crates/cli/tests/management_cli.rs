//! The management API on the KMIP port: the CLI reaches it with the profile `keyward serve`
//! writes, and KMIP keeps working on the same port beside it.

mod common;

use common::*;
use keyward_client::ManagementClient;
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_ttlv::KmipVersion;

#[test]
fn the_identity_command_answers_through_the_kmip_port() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let profile = data_dir.join("pki/admin-profile.toml");
    let output = keyward(&["--profile", profile.to_str().unwrap(), "--json", "identity"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["administrator"], true, "{answer}");
    assert!(answer["identity"].as_str().is_some_and(|name| !name.is_empty()));
    let output = keyward(&["--profile", profile.to_str().unwrap(), "identity"]);
    assert!(text(&output.stdout).contains("administrator: true"), "{}", text(&output.stdout));
    // A sled store is this server's alone: no other nodes.
    let output = keyward(&["--profile", profile.to_str().unwrap(), "--json", "cluster", "status"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((status["shared_store"].clone(), status["nodes"].clone()), (false.into(), serde_json::Value::Null));
    let output = keyward(&["--profile", profile.to_str().unwrap(), "cluster", "status"]);
    assert!(text(&output.stdout).contains("no other nodes"), "{}", text(&output.stdout));
    serving.terminate();
}

#[test]
fn unknown_routes_and_methods_are_refused_and_kmip_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let serving = start(&data_dir);
    let address = serving.address;
    keyward_server::pki::DevPki::of_data_dir(&data_dir).issue_client("someone").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let management = ManagementClient::new(address, "localhost", &credentials_of(&data_dir, "someone")).unwrap();
        let me = management.call("GET", "/v1/identity", None).await.unwrap();
        assert_eq!(me["identity"], "someone");
        assert_eq!(me["administrator"], false);
        let missing = management.call("GET", "/v1/nothing", None).await.unwrap_err();
        assert!(matches!(missing, keyward_client::ClientError::HttpStatus { status: 404, .. }), "{missing}");
        let wrong = management.call("DELETE", "/v1/identity", None).await.unwrap_err();
        assert!(matches!(wrong, keyward_client::ClientError::HttpStatus { status: 405, .. }), "{wrong}");
        // KMIP on the same port, from the same client.
        let client = client_of(address, &data_dir, "someone");
        let response = call(
            &client,
            KmipVersion::V2_1,
            vec![RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() })],
        )
        .await;
        assert_eq!(response.batch_items.len(), 1);
    });
    serving.terminate();
}
