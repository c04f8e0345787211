//! What the dispatcher tells an observer about the batch items it answers, for the server's
//! metrics.
//!
//! keyward-core knows no exporter: the transport passes a [`DispatchObserver`] in
//! ([`Dispatcher::with_observer`](crate::Dispatcher::with_observer)), a no-op unless it does. It
//! is called once per batch item, on the request's thread, so an implementation must cost a few
//! atomic operations: no lock held long, no allocation, no lookup by name.

use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};

/// Receives the outcome of every batch item. The method has an empty default.
pub trait DispatchObserver: Send + Sync {
    /// A batch item was answered. `operation` is `None` for an item (or a whole message) that
    /// could not be read far enough to know it; `reason` is set for failures.
    fn item_answered(&self, operation: Option<Operation>, status: ResultStatus, reason: Option<ResultReason>) {
        let _ = (operation, status, reason);
    }
}

/// The observer of a dispatcher nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl DispatchObserver for NoObserver {}
