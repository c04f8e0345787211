//! Decodes the Create request of the codec benchmark over and over, for counting instructions with
//! callgrind: unlike time, the count does not depend on what else the machine is doing.
//!
//! ```text
//! cargo build --release -p keyward-ttlv --example decode_loop
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/decode-0.out target/release/examples/decode_loop 0
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/decode-10000.out target/release/examples/decode_loop 10000
//! ```
//!
//! The difference between the two totals, divided by 10,000, is the cost of one decode: the run with
//! no iteration counts everything else (start-up, building and encoding the message).

use std::hint::black_box;
use std::process::ExitCode;

use keyward_ttlv::{Limits, decode};

#[path = "common/messages.rs"]
mod messages;

fn main() -> ExitCode {
    let argument = std::env::args().nth(1);
    let iterations: u32 = match argument.as_deref().map(str::parse).unwrap_or(Ok(10_000)) {
        Ok(iterations) => iterations,
        Err(error) => {
            eprintln!("decode_loop: the iteration count must be a whole number: {error}");
            return ExitCode::from(2);
        }
    };
    let wire = messages::create_request().to_ttlv();
    let limits = Limits::default();
    for _ in 0..iterations {
        if let Err(error) = decode(black_box(&wire), &limits).map(black_box) {
            eprintln!("decode_loop: the request does not decode: {error}");
            return ExitCode::FAILURE;
        }
    }
    println!("decoded a {}-byte Create request {iterations} times", wire.len());
    ExitCode::SUCCESS
}
