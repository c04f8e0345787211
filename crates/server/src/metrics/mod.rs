//! The server's metrics: one explicit Prometheus registry per server, no global state.
//!
//! The sans-I/O crates report through hooks they were given at construction: keyward-store's
//! [`StoreObserver`] (cache, commits, flushes) and keyward-core's [`DispatchObserver`] (every batch
//! item's outcome). [`Metrics`] implements both and the transport's own counters (connections,
//! handshakes, request durations), and renders the lot in the Prometheus text format for the
//! metrics listener. docs/operations/monitoring.md lists every metric.
//!
//! Layout: `labels` maps operations and results to label values and dense slots; `kmip`, `store`
//! and `transport` hold the metrics of each part.

mod kmip;
mod labels;
mod store;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use keyward_core::observer::DispatchObserver;
use keyward_store::StoreObserver;
use keyward_ttlv::enums::Operation;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::server::Transport;
use kmip::KmipMetrics;
use store::StoreMetrics;
use transport::TransportMetrics;
pub(crate) use transport::{HandshakeFailure, OpenConnection};

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Everything the server counts. Cheap to clone: the clones share the counters.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    kmip: Arc<KmipMetrics>,
    store: Arc<StoreMetrics>,
    transport: TransportMetrics,
    audit: AuditCounters,
}

/// The audit trail's counters: records made durable, and records that could not be written
/// (refused or dropped). Cheap to clone: the clones share the counters.
#[derive(Clone, Debug, Default)]
pub struct AuditCounters {
    written: Counter<u64>,
    failures: Counter<u64>,
}

impl AuditCounters {
    pub(crate) fn written(&self, records: u64) {
        self.written.inc_by(records);
    }

    pub(crate) fn failed(&self, records: u64) {
        self.failures.inc_by(records);
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        registry.register(
            "keyward_build",
            "The running Keyward's version (the value is always 1)",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        let kmip = Arc::new(KmipMetrics::register(&mut registry));
        let store = Arc::new(StoreMetrics::register(&mut registry));
        let transport = TransportMetrics::register(&mut registry);
        // Registered now so that dashboards and alerts can be written before the features
        // exist; they stay 0 until then. The features will keep a handle here when they come.
        registry.register(
            "keyward_key_rotations",
            "Scheduled key rotations run (none yet: rotation is not implemented)",
            Counter::<u64>::default(),
        );
        let audit = AuditCounters::default();
        registry.register(
            "keyward_audit_records",
            "Audit records (request items and checkpoints) written and fsynced",
            audit.written.clone(),
        );
        registry.register(
            "keyward_audit_failures",
            "Audit records that could not be written (their requests refused, or the records dropped when failing open)",
            audit.failures.clone(),
        );
        Metrics { inner: Arc::new(Inner { registry, kmip, store, transport, audit }) }
    }

    /// The hook to open the store with ([`keyward_store::SledOptions::observer`]).
    pub fn store_observer(&self) -> Arc<dyn StoreObserver> {
        Arc::clone(&self.inner.store) as Arc<dyn StoreObserver>
    }

    /// The hook to build the dispatcher with ([`keyward_core::Dispatcher::with_observer`]).
    pub fn dispatch_observer(&self) -> Arc<dyn DispatchObserver> {
        Arc::clone(&self.inner.kmip) as Arc<dyn DispatchObserver>
    }

    /// The counters to open the audit trail with.
    pub fn audit_counters(&self) -> AuditCounters {
        self.inner.audit.clone()
    }

    /// Every metric in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut text = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail, and the registry holds only metrics whose encoders
        // do not either; an error would leave a truncated page, which a scrape reports.
        if let Err(error) = prometheus_text::encode(&mut text, &self.inner.registry) {
            tracing::error!(%error, "rendering the metrics failed");
        }
        text
    }

    /// A KMIP message was answered, `elapsed` after it was read whole.
    pub(crate) fn request_answered(&self, operation: Option<Operation>, elapsed: Duration) {
        self.inner.kmip.request_answered(operation, elapsed);
    }

    pub(crate) fn connection_opened(&self, listener: Transport) -> OpenConnection {
        self.inner.transport.opened(listener)
    }

    pub(crate) fn connection_refused(&self) {
        self.inner.transport.refused();
    }

    pub(crate) fn handshake_failed(&self, listener: Transport, failure: HandshakeFailure) {
        self.inner.transport.handshake_failed(listener, failure);
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::enums::{ResultReason, ResultStatus};

    use super::*;

    #[test]
    fn renders_what_was_counted_with_its_labels() {
        let metrics = Metrics::new();
        let kmip = metrics.dispatch_observer();
        kmip.item_answered(Some(Operation::Get), ResultStatus::Success, None);
        kmip.item_answered(Some(Operation::Get), ResultStatus::Success, None);
        kmip.item_answered(Some(Operation::Get), ResultStatus::OperationFailed, Some(ResultReason::ItemNotFound));
        kmip.item_answered(None, ResultStatus::OperationFailed, Some(ResultReason::InvalidMessage));
        metrics.request_answered(Some(Operation::Get), Duration::from_micros(70));
        let store = metrics.store_observer();
        store.cache_lookup(true);
        store.flushed(Duration::from_millis(2), Duration::from_millis(1));
        store.peers_waited(Duration::from_secs(3));
        let open = metrics.connection_opened(Transport::Ttlv);
        metrics.handshake_failed(Transport::Https, HandshakeFailure::Certificate);

        let text = metrics.render();
        for line in [
            "keyward_kmip_requests_total{operation=\"Get\",result=\"Success\"} 2",
            "keyward_kmip_requests_total{operation=\"Get\",result=\"ItemNotFound\"} 1",
            "keyward_kmip_requests_total{operation=\"Unknown\",result=\"InvalidMessage\"} 1",
            "keyward_kmip_request_duration_seconds_bucket{operation=\"Get\",le=\"0.0001\"} 1",
            "keyward_kmip_request_duration_seconds_count{operation=\"Get\"} 1",
            "keyward_store_cache_hits_total 1",
            "keyward_store_cache_misses_total 0",
            "keyward_store_fsync_seconds_count 1",
            "keyward_store_peer_wait_seconds_bucket{le=\"2.5\"} 0",
            "keyward_store_peer_wait_seconds_bucket{le=\"5\"} 1",
            "keyward_connections_open{listener=\"kmip\"} 1",
            "keyward_connections_open{listener=\"https\"} 0",
            "keyward_tls_handshake_failures_total{listener=\"https\",reason=\"certificate\"} 1",
            "keyward_key_rotations_total 0",
            "keyward_audit_records_total 0",
            "keyward_audit_failures_total 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} missing from:\n{text}");
        }
        let version = format!("keyward_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        assert!(text.contains(&version), "{text}");
        drop(open);
        assert!(metrics.render().contains("keyward_connections_open{listener=\"kmip\"} 0"));
    }

    /// What counting costs a Get, in nanoseconds: its batch item, its duration and its cache hit,
    /// on one thread and on two at once (the same counters, as two worker threads would).
    /// `cargo test --release -p keyward-server --lib -- --ignored --nocapture cost_of_counting`
    #[test]
    #[ignore = "a measurement, run by hand"]
    fn cost_of_counting_a_get() {
        const CALLS: u32 = 5_000_000;
        let metrics = Metrics::new();
        let run = |metrics: Metrics| {
            let (kmip, store) = (metrics.dispatch_observer(), metrics.store_observer());
            let started = std::time::Instant::now();
            for i in 0..CALLS {
                store.cache_lookup(true);
                kmip.item_answered(Some(Operation::Get), ResultStatus::Success, None);
                metrics.request_answered(Some(Operation::Get), Duration::from_nanos(40_000 + u64::from(i % 1000)));
            }
            started.elapsed().as_nanos() as f64 / f64::from(CALLS)
        };
        let alone = run(metrics.clone());
        let threads: Vec<_> = (0..2)
            .map(|_| {
                std::thread::spawn({
                    let metrics = metrics.clone();
                    move || run(metrics)
                })
            })
            .collect();
        let together: Vec<f64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        println!(
            "counting a Get: {alone:.1} ns on one thread; {:.1} and {:.1} ns on two at once",
            together[0], together[1]
        );
        assert!(metrics.render().contains(&format!("keyward_store_cache_hits_total {}", 3 * CALLS)));
    }

    #[test]
    fn two_servers_count_apart() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.store_observer().cache_lookup(false);
        assert!(a.render().contains("keyward_store_cache_misses_total 1"));
        assert!(b.render().contains("keyward_store_cache_misses_total 0"));
    }
}
