//! What one connection records, and the totals of all of them.
//!
//! Latencies go into an HdrHistogram per connection (microseconds, three significant digits, up to
//! a minute): recording costs a few nanoseconds and no allocation, memory stays constant however
//! long the run, and the connections' histograms merge exactly at the end.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::response::{Failure, Findings};

/// The slowest latency recorded as itself; slower ones are recorded as this.
const MAX_LATENCY_MICROS: u64 = 60_000_000;

/// How often a failure happened, and the first Result Message that came with it.
#[derive(Clone, Debug, Default)]
pub struct FailureCount {
    pub count: u64,
    pub example: Option<String>,
}

/// The measurements of one connection (or, merged, of all).
pub struct Recorder {
    /// Per request message, in microseconds. Counts of u32 keep a histogram at 70 KB.
    latency: Histogram<u32>,
    pub requests: u64,
    pub operations: u64,
    pub failures: BTreeMap<Failure, FailureCount>,
    /// Objects the bench created, to destroy afterwards; collected during the warm-up too.
    pub created: Vec<String>,
    /// When the last measured response arrived: the end of the measured time.
    pub last_response: Option<Instant>,
    /// False during the warm-up: responses then count for nothing but the objects they created.
    pub measuring: bool,
}

impl Recorder {
    pub fn new() -> Recorder {
        let latency =
            Histogram::new_with_bounds(1, MAX_LATENCY_MICROS, 3).expect("constant bounds: 1 ≤ low, high ≥ 2 × low");
        Recorder {
            latency,
            requests: 0,
            operations: 0,
            failures: BTreeMap::new(),
            created: Vec::new(),
            last_response: None,
            measuring: false,
        }
    }

    /// A request answered (or failed) after `latency`, carrying `operations` operations.
    pub fn answered(&mut self, latency: Duration, operations: usize, at: Instant) {
        if !self.measuring {
            return;
        }
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).clamp(1, MAX_LATENCY_MICROS);
        self.latency.saturating_record(micros);
        self.requests += 1;
        self.operations += operations as u64;
        self.last_response = Some(at);
    }

    /// A request that got no usable response: its operations count as failed, not as answered.
    pub fn lost(&mut self, failure: Failure, operations: usize) {
        if self.measuring {
            let entry = self.failures.entry(failure).or_default();
            entry.count += operations as u64;
        }
    }

    /// Adds another connection's measurements to these.
    pub fn merge(&mut self, other: Recorder) {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        self.requests += other.requests;
        self.operations += other.operations;
        for (failure, count) in other.failures {
            let entry = self.failures.entry(failure).or_default();
            entry.count += count.count;
            if entry.example.is_none() {
                entry.example = count.example;
            }
        }
        self.created.extend(other.created);
        self.last_response = self.last_response.max(other.last_response);
    }

    pub fn failed_operations(&self) -> u64 {
        self.failures.values().map(|f| f.count).sum()
    }

    pub fn latency(&self) -> Latency {
        let at = |quantile: f64| micros_to_ms(self.latency.value_at_quantile(quantile));
        Latency {
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            p999_ms: at(0.999),
            max_ms: micros_to_ms(self.latency.max()),
            mean_ms: self.latency.mean() / 1000.0,
        }
    }
}

impl Findings for Recorder {
    fn failed(&mut self, failure: Failure, message: Option<&str>) {
        if !self.measuring {
            return;
        }
        let entry = self.failures.entry(failure).or_default();
        entry.count += 1;
        if entry.example.is_none() {
            entry.example = message.map(str::to_string);
        }
    }

    fn created(&mut self, uid: &str) {
        self.created.push(uid.to_string());
    }
}

/// Latency percentiles of request messages, in milliseconds.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

fn micros_to_ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_connections_and_ignores_the_warm_up() {
        let now = Instant::now();
        let mut first = Recorder::new();
        first.answered(Duration::from_millis(5), 1, now);
        first.failed(Failure::Reason(1), Some("not measured"));
        first.created("warm-up-key");
        first.measuring = true;
        for _ in 0..99 {
            first.answered(Duration::from_micros(100), 2, now);
        }
        first.failed(Failure::Reason(1), Some("first"));
        let mut second = Recorder::new();
        second.measuring = true;
        second.answered(Duration::from_millis(20), 2, now);
        second.failed(Failure::Reason(1), Some("second"));
        first.merge(second);

        assert_eq!((first.requests, first.operations), (100, 200));
        assert_eq!(first.failed_operations(), 2);
        assert_eq!(first.failures[&Failure::Reason(1)].example.as_deref(), Some("first"));
        assert_eq!(first.created, ["warm-up-key"]);
        let latency = first.latency();
        assert_eq!(latency.p50_ms, 0.1);
        assert!((19.9..=20.1).contains(&latency.max_ms), "{latency:?}");
    }
}
