//! The dispatcher in process, without TLS: what one request costs the server's CPU, from TTLV
//! bytes in to TTLV bytes out, over the in-memory store (no disk) and the sled store (sealed,
//! flushed on commit).

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use keyward_core::{ClientIdentity, Dispatcher, Policy, Services, SystemClock};
use keyward_kmip::attributes::{Attribute, Attributes, Name};
use keyward_kmip::enums::{CryptographicAlgorithm, ObjectType};
use keyward_kmip::message::{RequestMessage, ResponseMessage};
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::ResponsePayload;
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::locate::LocateRequest;
use keyward_store::{Kek, MemoryStore, ObjectStore, SledStore};
use keyward_ttlv::{Encoder, KmipVersion, Limits};

fn dispatcher(store: Arc<dyn ObjectStore>) -> Dispatcher {
    Dispatcher::new(Services { store, policy: Policy::default(), clock: Arc::new(SystemClock) })
}

fn create(name: Option<&str>) -> RequestPayload {
    let mut attributes =
        vec![Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES), Attribute::CryptographicLength(256)];
    attributes.extend(name.map(|n| Attribute::Name(Name::text(n))));
    RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(attributes),
        protection_storage_masks: None,
    })
}

fn request(payload: RequestPayload) -> Vec<u8> {
    RequestMessage::new(KmipVersion::V2_1, vec![payload]).to_bytes()
}

/// Runs a request and waits for its commit.
fn call(dispatcher: &Dispatcher, client: &ClientIdentity, bytes: &[u8], out: &mut Encoder) {
    if let Some(ticket) = dispatcher.handle(client, bytes, &Limits::default(), out) {
        ticket.wait().expect("durable");
    }
}

fn created_uid(dispatcher: &Dispatcher, client: &ClientIdentity, name: &str) -> String {
    let mut out = Encoder::new();
    call(dispatcher, client, &request(create(Some(name))), &mut out);
    let response = ResponseMessage::from_bytes(out.as_bytes()).expect("a response");
    match &response.batch_items[0].payload {
        Some(ResponsePayload::Create(created)) => created.unique_identifier.clone(),
        other => panic!("no Create response: {other:?}"),
    }
}

fn bench(c: &mut Criterion) {
    let client = ClientIdentity::new("bench");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let stores: Vec<(&str, Arc<dyn ObjectStore>)> = vec![
        ("memory", Arc::new(MemoryStore::new(keyward_core::record_schema::schema()))),
        (
            "sled",
            Arc::new(
                SledStore::open(dir.path(), &Kek::from_bytes([7; 32]), keyward_core::record_schema::schema())
                    .expect("a store"),
            ),
        ),
    ];
    for (label, store) in stores {
        let dispatcher = dispatcher(store);
        let uid = created_uid(&dispatcher, &client, &format!("bench-key-{label}"));
        for i in 0..200 {
            created_uid(&dispatcher, &client, &format!("{label}-filler-{i}"));
        }
        let discover = request(RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: vec![] }));
        let get = request(RequestPayload::Get(GetRequest::of(uid.as_str())));
        let locate = request(RequestPayload::Locate(LocateRequest {
            maximum_items: None,
            offset_items: None,
            storage_status_mask: None,
            object_group_member: None,
            attributes: Attributes::new(vec![Attribute::Name(Name::text(format!("bench-key-{label}")))]),
        }));
        let create_unnamed = request(create(None));
        let mut group = c.benchmark_group(format!("dispatcher/{label}"));
        let mut out = Encoder::with_capacity(4096);
        group.bench_function("discover_versions", |b| b.iter(|| call(&dispatcher, &client, &discover, &mut out)));
        group.bench_function("get", |b| b.iter(|| call(&dispatcher, &client, &get, &mut out)));
        group.bench_function("locate_by_name", |b| b.iter(|| call(&dispatcher, &client, &locate, &mut out)));
        group.bench_function("create_durable", |b| b.iter(|| call(&dispatcher, &client, &create_unnamed, &mut out)));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
