//! Durable Creates from several threads at once against a sled store, each waiting for its
//! commit as a server connection does, for profiling the write path:
//! `target/release/examples/create_loop THREADS CREATES_PER_THREAD`, under `perf record -g` or
//! `valgrind --tool=callgrind` (one thread).

use std::sync::Arc;

use keyward_core::{ClientIdentity, Dispatcher, Policy, Services, SystemClock};
use keyward_kmip::attributes::{Attribute, Attributes};
use keyward_kmip::enums::{CryptographicAlgorithm, ObjectType};
use keyward_kmip::message::RequestMessage;
use keyward_kmip::payloads::RequestPayload;
use keyward_kmip::payloads::create::CreateRequest;
use keyward_store::{Kek, SledStore};
use keyward_ttlv::{Encoder, KmipVersion, Limits};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u32>().ok());
    let threads = args.next().flatten().unwrap_or(16);
    let rounds = args.next().flatten().unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(
        SledStore::open(dir.path(), &Kek::from_bytes([7; 32]), keyward_core::record_schema::schema()).expect("a store"),
    );
    let dispatcher = Dispatcher::new(Services { store, policy: Policy::default(), clock: Arc::new(SystemClock) });
    let create = RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes::new(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
        ]),
        protection_storage_masks: None,
    });
    let request = Arc::new(RequestMessage::new(KmipVersion::V2_1, vec![create]).to_bytes());
    let start = std::time::Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (dispatcher, request) = (dispatcher.clone(), Arc::clone(&request));
            std::thread::spawn(move || {
                let client = ClientIdentity::new("bench");
                let mut out = Encoder::new();
                for _ in 0..rounds {
                    if let Some(ticket) = dispatcher.handle(&client, &request, &Limits::default(), &mut out) {
                        ticket.wait().expect("durable");
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a worker");
    }
    let elapsed = start.elapsed();
    let total = f64::from(threads * rounds);
    eprintln!(
        "{threads} threads: {:.0} creates/s, {:?} per create",
        total / elapsed.as_secs_f64(),
        elapsed / (threads * rounds)
    );
}
