//! Who may hold a connection while it is still in its TLS handshake.
//!
//! A connection that has not authenticated costs the server a file descriptor and a task, and
//! anyone who can reach the port can open one. So handshakes have a pool of their own
//! (`max_handshakes`), apart from the `max_connections` slots of authenticated clients, and each
//! peer address may hold at most `max_handshakes_per_peer` of them.
//!
//! A full pool does not refuse the newcomer: it evicts the oldest handshake of the peer that holds
//! the most, and a peer at its own limit evicts its own oldest. A peer that floods the port with
//! silent connections therefore only ever pushes out its own (or those of a peer holding even
//! more), while a real client, whose handshake takes a few milliseconds, gets through even from
//! the same address as the flood (a NAT, or every test on 127.0.0.1): it is the newest, and the
//! silent connections are older. Refusing instead would hand the port to whoever connects first.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::metrics::OpenConnection;

/// The handshakes in progress, by peer address.
pub(crate) struct HandshakeGate {
    state: Mutex<State>,
    max_total: usize,
    max_per_peer: usize,
}

#[derive(Default)]
struct State {
    next_id: u64,
    total: usize,
    /// Each peer's handshakes, oldest first. Dropping an entry's sender tells its connection it
    /// was evicted.
    by_peer: HashMap<IpAddr, VecDeque<(u64, oneshot::Sender<()>)>>,
}

/// A connection's place among the handshakes in progress; dropping it gives the place back.
pub(crate) struct HandshakeTicket {
    gate: Arc<HandshakeGate>,
    peer: IpAddr,
    id: u64,
    evicted: oneshot::Receiver<()>,
}

impl HandshakeGate {
    pub(crate) fn new(max_total: usize, max_per_peer: usize) -> Arc<HandshakeGate> {
        Arc::new(HandshakeGate { state: Mutex::default(), max_total, max_per_peer })
    }

    /// Admits a new connection from `peer`, evicting an older handshake when a limit is reached.
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> HandshakeTicket {
        let (sender, evicted) = oneshot::channel();
        // A panic while holding the lock leaves the counts consistent (every change below is a
        // single step), so a poisoned lock is still usable.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.by_peer.get(&peer).is_some_and(|queue| queue.len() >= self.max_per_peer) {
            state.evict_oldest_of(peer);
        }
        if state.total >= self.max_total
            && let Some(heaviest) = state.heaviest_peer()
        {
            state.evict_oldest_of(heaviest);
        }
        let id = state.next_id;
        state.next_id += 1;
        state.total += 1;
        state.by_peer.entry(peer).or_default().push_back((id, sender));
        drop(state);
        HandshakeTicket { gate: Arc::clone(self), peer, id, evicted }
    }

    /// How many handshakes are in progress.
    #[cfg(test)]
    fn in_progress(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

impl State {
    fn evict_oldest_of(&mut self, peer: IpAddr) {
        if let Some(queue) = self.by_peer.get_mut(&peer) {
            if queue.pop_front().is_some() {
                self.total -= 1;
            }
            if queue.is_empty() {
                self.by_peer.remove(&peer);
            }
        }
    }

    fn heaviest_peer(&self) -> Option<IpAddr> {
        self.by_peer.iter().max_by_key(|(_, queue)| queue.len()).map(|(peer, _)| *peer)
    }
}

impl HandshakeTicket {
    /// Completes when a newer connection has taken this one's place.
    pub(crate) async fn evicted(&mut self) {
        let _ = (&mut self.evicted).await;
    }
}

impl Drop for HandshakeTicket {
    fn drop(&mut self) {
        let mut state = self.gate.state.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(queue) = state.by_peer.get_mut(&self.peer) else { return };
        let Some(position) = queue.iter().position(|(id, _)| *id == self.id) else { return };
        queue.remove(position);
        if queue.is_empty() {
            state.by_peer.remove(&self.peer);
        }
        state.total -= 1;
    }
}

/// A connection's place: among the handshakes until it authenticates, then among the
/// `max_connections` authenticated ones; and its count in the metrics. All are given back when the
/// connection's task ends and drops it.
pub(crate) struct Slot {
    handshake: Option<HandshakeTicket>,
    permit: Option<OwnedSemaphorePermit>,
    connections: Arc<Semaphore>,
    _open: Option<OpenConnection>,
}

impl Slot {
    pub(crate) fn new(handshake: HandshakeTicket, connections: Arc<Semaphore>, open: Option<OpenConnection>) -> Slot {
        Slot { handshake: Some(handshake), permit: None, connections, _open: open }
    }

    /// Completes when the connection, still in its handshake, was evicted by a newer one; never
    /// once it has authenticated.
    pub(crate) async fn evicted(&mut self) {
        match &mut self.handshake {
            Some(ticket) => ticket.evicted().await,
            None => std::future::pending().await,
        }
    }

    /// Trades the handshake's place for one among the authenticated connections. `false` when
    /// `max_connections` are already open: the connection must then close.
    pub(crate) fn authenticated(&mut self) -> bool {
        self.handshake = None;
        match Arc::clone(&self.connections).try_acquire_owned() {
            Ok(permit) => {
                self.permit = Some(permit);
                true
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    fn is_evicted(ticket: &mut HandshakeTicket) -> bool {
        let mut waiting = pin!(ticket.evicted());
        matches!(waiting.as_mut().poll(&mut Context::from_waker(Waker::noop())), Poll::Ready(()))
    }

    #[test]
    fn a_peer_at_its_limit_evicts_its_own_oldest() {
        let gate = HandshakeGate::new(10, 2);
        let flood: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let mut bystander = gate.admit(other);
        let mut first = gate.admit(flood);
        let mut second = gate.admit(flood);
        let mut third = gate.admit(flood);
        assert!(is_evicted(&mut first));
        assert!(!is_evicted(&mut second) && !is_evicted(&mut third) && !is_evicted(&mut bystander));
        assert_eq!(gate.in_progress(), 3);
    }

    #[test]
    fn a_full_pool_evicts_from_the_peer_holding_the_most() {
        let gate = HandshakeGate::new(3, 3);
        let flood: IpAddr = "192.0.2.1".parse().unwrap();
        let mut bystander = gate.admit("192.0.2.2".parse().unwrap());
        let mut first = gate.admit(flood);
        let mut second = gate.admit(flood);
        let mut newcomer = gate.admit("192.0.2.3".parse().unwrap());
        assert!(is_evicted(&mut first));
        assert!(!is_evicted(&mut bystander) && !is_evicted(&mut second) && !is_evicted(&mut newcomer));
        assert_eq!(gate.in_progress(), 3);
        drop((bystander, second, newcomer));
        assert_eq!(gate.in_progress(), 0);
    }
}
