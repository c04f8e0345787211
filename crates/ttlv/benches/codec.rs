//! The TTLV codec on realistic messages: strict decoding (alone, with a walk over every value, and
//! into an owned tree), encoding into a reused buffer, and the XML and JSON encodings.
//!
//! Run with `cargo bench -p keyward-ttlv --bench codec`; docs/performance.md has the figures.

use std::hint::black_box;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime};
use keyward_ttlv::{Encoder, Item, ItemRef, Limits, ValueRef, decode, decode_owned, json, xml};

// The messages live with the examples, so that `decode_loop` counts instructions on the same bytes.
#[path = "../examples/common/messages.rs"]
mod messages;

/// Reads every value of an item and of everything inside it, as a server handling the request
/// would; returns the number of items so the work cannot be optimized away.
fn walk(item: ItemRef<'_>) -> usize {
    match item.value() {
        ValueRef::Structure(children) => 1 + children.map(walk).sum::<usize>(),
        value => {
            black_box(value);
            1
        }
    }
}

fn bench_ttlv(group: &mut BenchmarkGroup<'_, WallTime>, item: &Item) {
    let wire = item.to_ttlv();
    let limits = Limits::default();
    group.throughput(Throughput::Bytes(wire.len() as u64));

    group.bench_function("decode", |b| b.iter(|| decode(black_box(&wire), &limits).map(black_box)));
    group.bench_function("decode + walk", |b| {
        b.iter(|| decode(black_box(&wire), &limits).map(|root| black_box(walk(root))))
    });
    group.bench_function("decode_owned", |b| b.iter(|| decode_owned(black_box(&wire), &limits).map(black_box)));

    // A server keeps one encoder per connection; clearing it (which zeroizes the previous message)
    // is part of the cost of every response.
    let mut encoder = Encoder::with_capacity(wire.len());
    group.bench_function("encode", |b| {
        b.iter(|| {
            encoder.clear();
            encoder.item(black_box(item));
            black_box(encoder.as_bytes().len())
        })
    });
}

fn bench_text_encodings(group: &mut BenchmarkGroup<'_, WallTime>, item: &Item) {
    let xml_text = xml::to_string(item);
    group.throughput(Throughput::Bytes(xml_text.len() as u64));
    group.bench_function("xml to_string", |b| b.iter(|| xml::to_string(black_box(item))));
    group.bench_function("xml from_str", |b| b.iter(|| xml::from_str(black_box(&xml_text)).map(black_box)));

    let json_text = json::to_string(item);
    group.throughput(Throughput::Bytes(json_text.len() as u64));
    group.bench_function("json to_string", |b| b.iter(|| json::to_string(black_box(item))));
    group.bench_function("json from_str", |b| b.iter(|| json::from_str(black_box(&json_text)).map(black_box)));
}

fn codec(c: &mut Criterion) {
    let messages = [
        ("create request", messages::create_request()),
        ("get response", messages::get_response()),
        ("locate response", messages::locate_response()),
    ];
    for (name, item) in &messages {
        let mut group = c.benchmark_group(*name);
        bench_ttlv(&mut group, item);
        if *name == "create request" {
            bench_text_encodings(&mut group, item);
        }
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
