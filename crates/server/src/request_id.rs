//! Request ids: every KMIP request gets one, carried by the span its log lines are written in, so
//! that the lines of one request can be picked out of a busy log (`jq 'select(.span.request_id ==
//! "…")'`).
//!
//! An id is the server's instance tag (random at start, so that ids from two servers or two runs
//! do not collide in a shared log) and a sequence number: `4f1c09d2-1234`. Taking one is an atomic
//! add; it is formatted only if a log line is written.
//!
//! A span is not free: tracing-subscriber registers it and formats its fields as it is made, about
//! half a microsecond, 4 % of a Get's server CPU (measured). So a request gets its span up front
//! only when debug lines are on somewhere (`log_level` or `RUST_LOG` enables `debug` for some
//! target): those are written for every request, by any crate. Otherwise a request writes a line
//! only when something goes wrong, and [`Request::log`] makes the span for that line, with the same
//! id. Either way every line the transport writes for a request carries its id.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use keyward_ttlv::enums::Operation;
use tracing::Span;
use tracing::level_filters::LevelFilter;

/// Hands out the ids of one server.
pub(crate) struct RequestIds {
    instance: u32,
    next: AtomicU64,
}

impl RequestIds {
    pub(crate) fn new() -> RequestIds {
        // The standard library's randomly keyed hasher is random enough for a tag that only has to
        // differ between runs, without a dependency for it.
        let random = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        RequestIds { instance: (random >> 32) as u32 ^ random as u32, next: AtomicU64::new(1) }
    }

    pub(crate) fn next(&self) -> RequestId {
        RequestId { instance: self.instance, number: self.next.fetch_add(1, Ordering::Relaxed) }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequestId {
    instance: u32,
    number: u64,
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}-{}", self.instance, self.number)
    }
}

/// A request's id, and its span when debug lines are on.
pub(crate) struct Request {
    id: RequestId,
    span: Span,
}

impl Request {
    pub(crate) fn start(ids: &RequestIds) -> Request {
        let id = ids.next();
        let span = if LevelFilter::current() >= LevelFilter::DEBUG { span(id) } else { Span::none() };
        Request { id, span }
    }

    /// The span to run the request in (a disabled one unless debug lines are on).
    pub(crate) fn span(&self) -> Span {
        self.span.clone()
    }

    /// Writes the lines of `log` in the request's span, made for them if the request has none.
    pub(crate) fn log(&self, log: impl FnOnce()) {
        if self.span.is_none() { span(self.id).in_scope(log) } else { self.span.in_scope(log) }
    }
}

/// The span of one request, a child of its connection's.
fn span(id: RequestId) -> Span {
    tracing::info_span!("request", request_id = %id)
}

/// The debug line that ends a request's lines: which operation (by its KMIP name), and how long.
pub(crate) fn answered(operation: Option<Operation>, elapsed: Duration) {
    match operation {
        Some(operation) => tracing::debug!(?operation, ?elapsed, "request answered"),
        None => tracing::debug!(?elapsed, "request answered"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sequential_within_a_server_and_tagged_by_it() {
        let ids = RequestIds::new();
        let (first, second) = (ids.next(), ids.next());
        assert_ne!(first, second);
        let (a, b) = (first.to_string(), second.to_string());
        assert_eq!(a.split_once('-').unwrap().0, b.split_once('-').unwrap().0);
        assert!(a.ends_with("-1") && b.ends_with("-2"), "{a} {b}");
        assert_eq!(a.split_once('-').unwrap().0.len(), 8);
    }
}
