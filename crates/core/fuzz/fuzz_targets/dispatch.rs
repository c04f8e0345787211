//! Arbitrary bytes through `Dispatcher::handle` on an in-memory store, as the server's transports
//! call it. It must never panic, and it must always answer with a TTLV Response Message.
//!
//! One dispatcher per process, built once, so that objects created by one input are there for the
//! next ones (the fuzzer then reaches Get, Encrypt, Revoke... on objects that exist). The first
//! byte chooses the client: an odd byte is the administrator, an even one an ordinary client; the
//! rest is the request.

#![no_main]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock};

use keyward_core::{ClientIdentity, Clock, Dispatcher, Policy, Services};
use keyward_store::MemoryStore;
use keyward_ttlv::{Encoder, Limits, Tag, decode};
use libfuzzer_sys::fuzz_target;

/// 2023-11-14T22:13:20Z, the `$NOW` of the seed corpus; advanced by a second each time it is read, so
/// that time-dependent paths (activation dates, usage limits) move.
const NOW: i64 = 1_700_000_000;

struct FuzzClock(AtomicI64);

impl Clock for FuzzClock {
    fn now(&self) -> i64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

static DISPATCHER: LazyLock<Dispatcher> = LazyLock::new(|| {
    let policy = Policy { administrators: vec!["admin".into()], ..Policy::default() };
    let clock = Arc::new(FuzzClock(AtomicI64::new(NOW)));
    Dispatcher::new(Services { store: Arc::new(MemoryStore::new(keyward_core::record_schema::schema())), policy, clock })
});

static ADMIN: LazyLock<ClientIdentity> = LazyLock::new(|| ClientIdentity::new("admin"));
static CLIENT: LazyLock<ClientIdentity> = LazyLock::new(|| ClientIdentity::new("alice"));

fuzz_target!(|data: &[u8]| {
    let Some((&who, request)) = data.split_first() else { return };
    let client = if who & 1 == 1 { &*ADMIN } else { &*CLIENT };
    let limits = Limits::default();
    let mut out = Encoder::new();
    if let Some(ticket) = DISPATCHER.handle(client, request, &limits, &mut out) {
        ticket.wait().expect("the memory store commits");
    }
    let response = decode(out.as_bytes(), &limits).expect("the response is valid TTLV");
    assert_eq!(response.tag(), Tag::ResponseMessage, "the answer is a Response Message");
});
