//! The transport's metrics: connections open, accepted and refused, and failed TLS handshakes by
//! cause. Every series is created up front (a handful): a dashboard sees zeros, not gaps.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::server::Transport;

/// The KMIP listeners, as the `listener` label names them, in the order of their discriminants.
const LISTENERS: [(Transport, &str); 2] = [(Transport::Ttlv, "kmip"), (Transport::Https, "https")];

/// Why a TLS handshake did not give an authenticated client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HandshakeFailure {
    /// The client's certificate was refused (untrusted, expired, revoked) or missing.
    Certificate = 0,
    /// The certificate was valid but carried no identity under the configured rule.
    NoIdentity = 1,
    /// The handshake did not complete within `handshake_timeout`, or a newer connection took its
    /// place among `max_handshakes` (an unfinished handshake either way).
    Timeout = 2,
    /// The peer closed the connection during the handshake (a port probe, a health check).
    Closed = 3,
    /// Anything else: a protocol version, cipher suite or message the server refused.
    Protocol = 4,
}

const FAILURES: [(HandshakeFailure, &str); 5] = [
    (HandshakeFailure::Certificate, "certificate"),
    (HandshakeFailure::NoIdentity, "no_identity"),
    (HandshakeFailure::Timeout, "timeout"),
    (HandshakeFailure::Closed, "closed"),
    (HandshakeFailure::Protocol, "protocol"),
];

type Labels = Vec<(&'static str, &'static str)>;

pub(super) struct TransportMetrics {
    open: [Gauge; 2],
    accepted: [Counter; 2],
    refused: Counter,
    handshake_failures: [[Counter; 5]; 2],
}

impl TransportMetrics {
    pub(super) fn register(registry: &mut Registry) -> TransportMetrics {
        let open = Family::<Labels, Gauge>::default();
        let accepted = Family::<Labels, Counter>::default();
        let failures = Family::<Labels, Counter>::default();
        let refused = Counter::default();
        registry.register("keyward_connections_open", "KMIP connections open, by listener", open.clone());
        registry.register("keyward_connections_accepted", "KMIP connections accepted, by listener", accepted.clone());
        registry.register(
            "keyward_connections_refused",
            "KMIP connections closed at once because max_connections were open",
            refused.clone(),
        );
        registry.register(
            "keyward_tls_handshake_failures",
            "TLS handshakes that gave no authenticated client, by listener and reason",
            failures.clone(),
        );
        let listener = |index: usize| vec![("listener", LISTENERS[index].1)];
        TransportMetrics {
            open: [0, 1].map(|l| open.get_or_create_owned(&listener(l))),
            accepted: [0, 1].map(|l| accepted.get_or_create_owned(&listener(l))),
            refused,
            handshake_failures: [0, 1].map(|listener| {
                FAILURES.map(|(_, reason)| {
                    failures.get_or_create_owned(&vec![("listener", LISTENERS[listener].1), ("reason", reason)])
                })
            }),
        }
    }

    /// Counts a connection accepted and open until the returned guard is dropped.
    pub(super) fn opened(&self, listener: Transport) -> OpenConnection {
        self.accepted[listener as usize].inc();
        let open = self.open[listener as usize].clone();
        open.inc();
        OpenConnection(open)
    }

    pub(super) fn refused(&self) {
        self.refused.inc();
    }

    pub(super) fn handshake_failed(&self, listener: Transport, failure: HandshakeFailure) {
        self.handshake_failures[listener as usize][failure as usize].inc();
    }
}

/// A connection counted as open; uncounted when dropped (the connection's task has ended).
pub(crate) struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_tables_follow_the_enums() {
        for (index, (listener, _)) in LISTENERS.iter().enumerate() {
            assert_eq!(*listener as usize, index);
        }
        for (index, (failure, _)) in FAILURES.iter().enumerate() {
            assert_eq!(*failure as usize, index);
        }
    }
}
