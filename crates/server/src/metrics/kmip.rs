//! The KMIP request metrics: a counter per operation and result, counted per batch item by the
//! dispatcher, and a duration histogram per operation, timed per message by the transports.
//!
//! Each (operation, result) counter and each operation's histogram is looked up in its family
//! once, the first time it is used, and kept in a slot found by arithmetic: the per-item cost is
//! an atomic load and an atomic add (the histogram's, a short uncontended lock), with no string
//! and no map on the way. Series appear as they are first used, so `/metrics` lists the
//! operations clients use, not all 59 times 80 results.

use std::sync::OnceLock;
use std::time::Duration;

use keyward_core::observer::DispatchObserver;
use keyward_ttlv::enums::{Operation, ResultReason, ResultStatus};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::labels::{OperationSlots, ResultSlots};

/// Bucket bounds of request durations, in seconds: a Get answers in tens of microseconds, a
/// durable Create in a fraction of a millisecond, an RSA key pair in tens of milliseconds.
const REQUEST_BUCKETS: [f64; 16] =
    [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

type RequestLabels = [(&'static str, &'static str); 2];
type OperationLabel = [(&'static str, &'static str); 1];
type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

pub(super) struct KmipMetrics {
    operations: OperationSlots,
    results: ResultSlots,
    requests: Family<RequestLabels, Counter>,
    /// `operations.len() * results.len()` handles into `requests`.
    request_handles: Box<[OnceLock<Counter>]>,
    durations: HistogramFamily<OperationLabel>,
    /// One handle into `durations` per operation slot.
    duration_handles: Box<[OnceLock<Histogram>]>,
}

fn request_histogram() -> Histogram {
    Histogram::new(REQUEST_BUCKETS)
}

impl KmipMetrics {
    pub(super) fn register(registry: &mut Registry) -> KmipMetrics {
        let operations = OperationSlots::new();
        let results = ResultSlots::new();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "keyward_kmip_requests",
            "KMIP batch items answered, by operation and result (Success, a Result Reason, OperationUndone)",
            requests.clone(),
        );
        let durations = HistogramFamily::<OperationLabel>::new_with_constructor(request_histogram as fn() -> Histogram);
        registry.register(
            "keyward_kmip_request_duration_seconds",
            "Time from a KMIP request read whole to its response sent (changes durable first), by operation",
            durations.clone(),
        );
        let request_handles = (0..operations.len() * results.len()).map(|_| OnceLock::new()).collect();
        let duration_handles = (0..operations.len()).map(|_| OnceLock::new()).collect();
        KmipMetrics { operations, results, requests, request_handles, durations, duration_handles }
    }

    /// A message was answered `elapsed` after it was read whole.
    pub(super) fn request_answered(&self, operation: Option<Operation>, elapsed: Duration) {
        let slot = self.operations.slot(operation);
        let Some(handle) = self.duration_handles.get(slot) else { return };
        let histogram =
            handle.get_or_init(|| self.durations.get_or_create_owned(&[("operation", self.operations.name(slot))]));
        histogram.observe(elapsed.as_secs_f64());
    }
}

impl DispatchObserver for KmipMetrics {
    fn item_answered(&self, operation: Option<Operation>, status: ResultStatus, reason: Option<ResultReason>) {
        let operation = self.operations.slot(operation);
        let result = self.results.slot(status, reason);
        let Some(handle) = self.request_handles.get(operation * self.results.len() + result) else { return };
        let counter = handle.get_or_init(|| {
            let labels = [("operation", self.operations.name(operation)), ("result", self.results.name(result))];
            self.requests.get_or_create_owned(&labels)
        });
        counter.inc();
    }
}
