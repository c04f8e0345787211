//! Tenants and roles over real TLS: a second client CA mapped to tenant `acme`, whose clients are
//! named `acme/...`; a custodian by OU and an auditor by identity, given by `[access]` rules at the
//! handshake. The management API says who each is; KMIP enforces it.

use keyward_client::{ClientCredentials, Connection, ManagementClient};
use keyward_kmip::enums::{ResultReason, ResultStatus};
use keyward_kmip::message::{RequestMessage, ResponseMessage};
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::get_attributes::GetAttributesRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_server::config::access::{RoleRule, TenantConfig};
use keyward_server::identity::CertificateField;
use keyward_ttlv::KmipVersion;
use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair};

use crate::common::TestServer;

struct TenantCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn tenant_ca() -> TenantCa {
    let mut params = CertificateParams::default();
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, "Acme clients CA");
    params.distinguished_name = subject;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    TenantCa { pem, issuer: Issuer::new(params, key) }
}

/// A client certificate of the tenant's CA, with the server's CA to trust it back.
fn credentials(server: &TestServer, ca: &TenantCa, cn: &str, ou: &str) -> ClientCredentials {
    let mut params = CertificateParams::default();
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, cn);
    subject.push(DnType::OrganizationalUnitName, ou);
    params.distinguished_name = subject;
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate().unwrap();
    let certificate = params.signed_by(&key, &ca.issuer).unwrap();
    let server_ca = std::fs::read(server.pki.ca_cert()).unwrap();
    ClientCredentials::from_pem(&server_ca, certificate.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap()
}

async fn send(connection: &mut Connection, payload: RequestPayload) -> ResponseMessage {
    let message = RequestMessage::new(KmipVersion::V2_1, vec![payload]);
    let mut out = keyward_ttlv::Encoder::new();
    message.encode(&mut out);
    let bytes = connection.call(out.as_bytes()).await.unwrap().to_vec();
    crate::common::decode_response(&bytes)
}

fn get(uid: &str) -> RequestPayload {
    RequestPayload::Get(GetRequest::of(uid))
}

fn get_attributes(uid: &str) -> RequestPayload {
    RequestPayload::GetAttributes(GetAttributesRequest {
        unique_identifier: Some(uid.into()),
        attribute_reference: Vec::new(),
    })
}

fn create() -> RequestPayload {
    use keyward_kmip::attributes::{Attribute, Attributes};
    use keyward_kmip::enums::{CryptographicAlgorithm, ObjectType};
    RequestPayload::Create(keyward_kmip::payloads::create::CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
        ]),
        protection_storage_masks: None,
    })
}

#[tokio::test]
async fn a_tenant_ca_names_its_clients_and_rules_give_them_roles() {
    let dir = tempfile::tempdir().unwrap();
    let ca = tenant_ca();
    let ca_file = dir.path().join("acme-ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let server = TestServer::start_with(|config| {
        config.access.tenants = vec![TenantConfig { name: "acme".into(), ca: ca_file.clone() }];
        config.access.roles = vec![
            RoleRule {
                role: "custodian".into(),
                identity: None,
                field: Some(CertificateField::OrganizationalUnit),
                value: Some("key-custodians".into()),
                tenant: Some("acme".into()),
            },
            RoleRule {
                role: "auditor".into(),
                identity: Some("acme/audit".into()),
                field: None,
                value: None,
                tenant: None,
            },
        ];
    })
    .await;
    let app = credentials(&server, &ca, "app", "apps");
    let ops = credentials(&server, &ca, "ops", "key-custodians");
    let audit = credentials(&server, &ca, "audit", "audit");

    let who =
        |credentials: &ClientCredentials| ManagementClient::new(server.address, "localhost", credentials).unwrap();
    let me = who(&ops).call("GET", "/v1/identity", None).await.unwrap();
    assert_eq!(
        (me["identity"].as_str(), me["role"].as_str(), me["tenant"].as_str()),
        (Some("acme/ops"), Some("custodian"), Some("acme"))
    );
    let me = who(&app).call("GET", "/v1/identity", None).await.unwrap();
    assert_eq!((me["identity"].as_str(), me["role"].as_str()), (Some("acme/app"), Some("client")));
    assert_eq!(who(&audit).call("GET", "/v1/identity", None).await.unwrap()["role"], "auditor");

    let connect = |credentials: &ClientCredentials| {
        keyward_client::Client::new(server.address, "localhost", credentials).unwrap()
    };
    let (app_credentials, ops_credentials, audit_credentials) = (app, ops, audit);
    let mut app = connect(&app_credentials).connect().await.unwrap();
    let created = send(&mut app, create()).await;
    let Some(ResponsePayload::Create(created)) = &created.batch_items[0].payload else { panic!("{created:?}") };
    let uid = created.unique_identifier.clone();

    // The custodian of acme manages acme's keys; the auditor reads their metadata only.
    let mut ops = connect(&ops_credentials).connect().await.unwrap();
    assert_eq!(send(&mut ops, get(&uid)).await.batch_items[0].result_status, ResultStatus::Success);
    let mut audit = connect(&audit_credentials).connect().await.unwrap();
    assert_eq!(send(&mut audit, get_attributes(&uid)).await.batch_items[0].result_status, ResultStatus::Success);
    let refused = send(&mut audit, get(&uid)).await;
    assert_eq!(refused.batch_items[0].result_reason, Some(ResultReason::PermissionDenied));
    // Grants through the API: the custodian grants on its tenant's key; the auditor grants
    // nothing; a client cannot grant on a key that is not its own (it does not exist for it).
    let grant = |to: &str| serde_json::json!({"object": uid, "to": to, "operations": ["get-attributes"]});
    let added = who(&ops_credentials).call("POST", "/v1/grants", Some(&grant("partner"))).await.unwrap();
    assert_eq!(added["grant"]["granted_by"], "acme/ops", "{added}");
    let refused = who(&audit_credentials).call("POST", "/v1/grants", Some(&grant("x"))).await.unwrap_err();
    assert!(matches!(refused, keyward_client::ClientError::HttpStatus { status: 403, .. }), "{refused}");
    let files = server.pki.issue_client("stranger").unwrap();
    let stranger = ClientCredentials::from_pem_files(&server.pki.ca_cert(), &files.cert, &files.key).unwrap();
    let missing = who(&stranger).call("POST", "/v1/grants", Some(&grant("stranger"))).await.unwrap_err();
    assert!(matches!(missing, keyward_client::ClientError::HttpStatus { status: 404, .. }), "{missing}");
    let unknown = serde_json::json!({"object": uid, "to": "p", "operations": ["fly"]});
    let bad = who(&ops_credentials).call("POST", "/v1/grants", Some(&unknown)).await.unwrap_err();
    assert!(matches!(bad, keyward_client::ClientError::HttpStatus { status: 400, .. }), "{bad}");
    // The owner sees the grant on its key; the stranger sees none.
    let listed = who(&app_credentials).call("GET", &format!("/v1/grants?object={uid}"), None).await.unwrap();
    assert_eq!(listed["grants"][0]["to"], "partner", "{listed}");
    let listed = who(&stranger).call("GET", "/v1/grants", None).await.unwrap();
    assert_eq!(listed["grants"], serde_json::json!([]), "{listed}");

    // A client of the default tenant does not see it.
    let files = server.pki.issue_client("outsider").unwrap();
    let outsider = ClientCredentials::from_pem_files(&server.pki.ca_cert(), &files.cert, &files.key).unwrap();
    let mut outsider = connect(&outsider).connect().await.unwrap();
    assert_eq!(send(&mut outsider, get(&uid)).await.batch_items[0].result_reason, Some(ResultReason::ObjectNotFound));
    server.stop().await.unwrap();
}
