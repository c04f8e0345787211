//! Runs the same Get many times against a sled store, for profiling with callgrind:
//! `valgrind --tool=callgrind target/release/examples/get_loop`.

use std::sync::Arc;

use keyward_core::{ClientIdentity, Dispatcher, Policy, Services, SystemClock};
use keyward_kmip::attributes::{Attribute, Attributes};
use keyward_kmip::enums::{CryptographicAlgorithm, ObjectType};
use keyward_kmip::message::{RequestMessage, ResponseMessage};
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::get::GetRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_store::{Kek, SledStore};
use keyward_ttlv::{Encoder, KmipVersion, Limits};

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(
        SledStore::open(dir.path(), &Kek::from_bytes([7; 32]), keyward_core::record_schema::schema()).expect("a store"),
    );
    let dispatcher = Dispatcher::new(Services { store, policy: Policy::default(), clock: Arc::new(SystemClock) });
    let client = ClientIdentity::new("bench");
    let create = RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
        ]),
        protection_storage_masks: None,
    });
    let mut out = Encoder::new();
    let request = RequestMessage::new(KmipVersion::V2_1, vec![create]).to_bytes();
    if let Some(ticket) = dispatcher.handle(&client, &request, &Limits::default(), &mut out) {
        ticket.wait().expect("durable");
    }
    let Ok(response) = ResponseMessage::from_bytes(out.as_bytes()) else { return };
    let Some(ResponsePayload::Create(created)) = &response.batch_items[0].payload else { return };
    let get = RequestMessage::new(
        KmipVersion::V2_1,
        vec![RequestPayload::Get(GetRequest::of(created.unique_identifier.as_str()))],
    )
    .to_bytes();
    let rounds: u32 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        if let Some(ticket) = dispatcher.handle(&client, &get, &Limits::default(), &mut out) {
            ticket.wait().expect("durable");
        }
    }
    eprintln!("{:?} per Get", start.elapsed() / rounds);
}
