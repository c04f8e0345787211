//! Group commit: many writers, one fsync.
//!
//! A writer applies its changes in memory, then asks for durability and gets a ticket numbered
//! after every commit before it. One flusher thread loops: it takes the highest number asked for,
//! flushes the database (which makes every change applied before the flush began durable), and
//! completes every ticket up to that number. Concurrent commits thus share flushes, and no request
//! is acknowledged before its data is on disk. A ticket can be waited for by blocking or awaited
//! as a future, so the store does not depend on an async runtime.
//!
//! Reads never outrun durability. A writer reserves its number *before* its changes become visible
//! (to the cache or the database) and marks it applied after; the flusher only flushes a prefix of
//! numbers that are all applied. A reader, after its reads, asks for a fence: a ticket for every
//! number reserved so far. Whatever it saw was reserved before it saw it, so once the fence
//! completes it is on disk: a client never encrypts under a key that a power cut then erases.
//! When nothing is pending the fence is two atomic loads.
//!
//! A failed flush fails the tickets it was to complete, and only those: the numbers it covered
//! are remembered as failed, and later flushes go on. The store, told by its flush function, makes
//! what the failed commits wrote invisible (sled: reopened from disk) and then calls
//! [`GroupCommit::recovered`]: every number not durable by then is failed too (its writes went to
//! the database that was dropped), and fences taken after it no longer see the old failures. A
//! fence taken before it fails if it covers a failed number: its reader may have seen that commit.
//!
//! The [`StoreObserver`] hears how long each group flush took and, when a ticket completes, how
//! long its commit took to become durable.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::observer::StoreObserver;
use crate::{StoreError, StoreResult};

#[derive(Default)]
struct State {
    /// The highest number reserved by a writer (its changes may be visible).
    reserved: u64,
    /// Every number up to this one is applied (or abandoned): a flush covers them.
    applied: u64,
    /// Numbers applied out of order, above `applied`.
    applied_ahead: BTreeSet<u64>,
    /// Every ticket up to this number is durable.
    durable: u64,
    /// The numbers whose flush failed, as ranges `(first, last, why)`, in order; adjacent
    /// failures merge, so this grows with outages, not with commits.
    failures: Vec<(u64, u64, String)>,
    /// Failures at or below this number are history for fences taken now: the store recovered
    /// from them (see [`GroupCommit::recovered`]).
    floor: u64,
    /// Async waiters, with the number they wait for.
    wakers: Vec<(u64, Waker)>,
    stopping: bool,
}

/// The shared state of a store's group commit.
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    /// Wakes the flusher when there is work.
    work: Condvar,
    /// Wakes blocked waiters when a flush completes.
    done: Condvar,
    observer: Arc<dyn StoreObserver>,
    /// Copies of `reserved` and `durable` (written under the lock), so that a read fence with
    /// nothing pending takes no lock.
    reserved: AtomicU64,
    durable: AtomicU64,
    /// Set while a failure above `floor` is remembered: a fence then takes the slow path.
    failed: AtomicBool,
    /// A copy of `floor`: every number up to it was settled by a recovery.
    settled: AtomicU64,
}

impl GroupCommit {
    /// Starts the flusher thread, which calls `flush` for each group. Join the handle after
    /// [`GroupCommit::stop`] to be sure the thread (and what `flush` holds) is gone.
    pub(crate) fn start(
        flush: impl FnMut() -> Result<(), String> + Send + 'static,
        observer: Arc<dyn StoreObserver>,
    ) -> (Arc<GroupCommit>, JoinHandle<()>) {
        let shared = Arc::new(GroupCommit {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            done: Condvar::new(),
            observer,
            reserved: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            settled: AtomicU64::new(0),
        });
        let flusher = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("keyward-flusher".into())
            .spawn(move || flusher.run(flush))
            .expect("spawning the flusher thread");
        (shared, handle)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the counters inconsistent; carry on.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn run(&self, mut flush: impl FnMut() -> Result<(), String>) {
        loop {
            let target = {
                let mut state = self.lock();
                while state.applied == state.durable && !state.stopping {
                    state = self.work.wait(state).unwrap_or_else(|p| p.into_inner());
                }
                if state.stopping && state.applied == state.durable {
                    return;
                }
                state.applied
            };
            let result = flush();
            let mut state = self.lock();
            if let Err(error) = result {
                tracing::error!(%error, "flushing the store failed: the commits of this flush are not acknowledged");
                let first = state.durable + 1;
                // Nothing left to fail when a recovery has settled these numbers already.
                if first <= target {
                    Self::fail(&mut state, first, target, error);
                    self.failed.store(true, Ordering::Release);
                }
            }
            state.durable = state.durable.max(target);
            self.complete(state);
        }
    }

    /// Remembers that the numbers `first..=last` failed.
    fn fail(state: &mut State, first: u64, last: u64, why: String) {
        if first > last {
            return;
        }
        match state.failures.last_mut() {
            Some((_, end, _)) if *end + 1 >= first => *end = (*end).max(last),
            _ => state.failures.push((first, last, why)),
        }
    }

    /// The store made what failed invisible (it reopened from disk): every number reserved so far
    /// and not yet durable failed with it, as its changes were in what was dropped (a writer still
    /// to apply its changes must abandon them: [`Reservation::settled`] says so, whether or not
    /// the store takes changes again by then). Fences taken from now on ignore failures up to here.
    pub(crate) fn recovered(&self, why: &str) {
        let mut state = self.lock();
        let (first, last) = (state.durable + 1, state.reserved);
        Self::fail(&mut state, first, last, why.to_string());
        state.durable = state.durable.max(last);
        state.applied = state.applied.max(last);
        state.applied_ahead.retain(|n| *n > last);
        state.floor = last;
        self.settled.store(last, Ordering::Release);
        self.failed.store(false, Ordering::Release);
        self.complete(state);
    }

    /// Publishes `durable` and wakes whoever it completes.
    fn complete(&self, mut state: MutexGuard<'_, State>) {
        let durable = state.durable;
        self.durable.store(durable, Ordering::Release);
        let (ready, waiting): (Vec<_>, Vec<_>) =
            std::mem::take(&mut state.wakers).into_iter().partition(|(n, _)| *n <= durable);
        state.wakers = waiting;
        drop(state);
        self.done.notify_all();
        for (_, waker) in ready {
            waker.wake();
        }
    }

    /// Reserves a number for changes about to become visible; call it before applying them.
    /// The reservation must be ended ([`Reservation::applied`], or dropped when the changes
    /// failed) or no later flush can complete.
    pub(crate) fn reserve(self: &Arc<GroupCommit>) -> Reservation {
        let mut state = self.lock();
        state.reserved += 1;
        let number = state.reserved;
        self.reserved.store(number, Ordering::Release);
        drop(state);
        Reservation { group: Arc::clone(self), number, since: Instant::now(), ended: false }
    }

    fn end(&self, number: u64) {
        let mut state = self.lock();
        if number <= state.applied {
            // Settled already by a recovery.
            return;
        }
        state.applied_ahead.insert(number);
        let before = state.applied;
        loop {
            let next = state.applied + 1;
            if !state.applied_ahead.remove(&next) {
                break;
            }
            state.applied = next;
        }
        let advanced = state.applied > before;
        drop(state);
        if advanced {
            self.work.notify_one();
        }
    }

    /// A ticket for everything reserved so far: what a reader may have seen. Ready at once when
    /// it is all durable already (two atomic loads, no lock).
    /// Every number up to this one is durable.
    pub(crate) fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    pub(crate) fn fence(self: &Arc<GroupCommit>) -> CommitTicket {
        let number = self.reserved.load(Ordering::Acquire);
        if self.durable.load(Ordering::Acquire) >= number && !self.failed.load(Ordering::Acquire) {
            return CommitTicket::ready();
        }
        // A reader waiting for others' commits is not a commit: the observer does not time it. The
        // number and the floor are read together: a recovery in between must not hide a failure
        // from this reader.
        let (number, floor) = {
            let state = self.lock();
            (state.reserved.max(number), state.floor)
        };
        CommitTicket {
            inner: Some(Waiting { group: Arc::clone(self), number, since: None, fence_floor: Some(floor) }),
            order: None,
        }
    }

    /// A ticket for everything applied before this call (a flush with nothing of its own).
    pub(crate) fn ticket(self: &Arc<GroupCommit>, since: Instant) -> CommitTicket {
        let mut reservation = self.reserve();
        reservation.since = since;
        reservation.applied()
    }

    /// Stops the flusher after it has flushed what was asked.
    pub(crate) fn stop(&self) {
        self.lock().stopping = true;
        self.work.notify_one();
    }

    /// How a ticket ended, once it has: a commit fails when its own number failed; a fence when
    /// any number it covers (above the floor it was taken at) did.
    fn outcome(state: &State, waiting: &Waiting) -> Option<StoreResult<()>> {
        let number = waiting.number;
        if state.durable < number {
            return None;
        }
        let covered = |first: u64, last: u64| match waiting.fence_floor {
            Some(floor) => first <= number && last > floor,
            None => first <= number && number <= last,
        };
        Some(match state.failures.iter().rev().find(|(first, last, _)| covered(*first, *last)) {
            Some((_, _, error)) => Err(StoreError::Durability(error.clone())),
            None => Ok(()),
        })
    }
}

/// A writer's place in the order of commits, from before its changes are visible until they are
/// applied. Dropped without [`Reservation::applied`] (the changes failed), it is ended all the
/// same, so that later flushes are not held up.
pub(crate) struct Reservation {
    group: Arc<GroupCommit>,
    number: u64,
    since: Instant,
    ended: bool,
}

impl Reservation {
    /// True when a recovery settled this number as failed after it was reserved: the writer
    /// must abandon its changes.
    pub(crate) fn settled(&self) -> bool {
        self.number <= self.group.settled.load(Ordering::Acquire)
    }

    /// The changes are applied: the ticket completes when they are on disk.
    pub(crate) fn applied(mut self) -> CommitTicket {
        self.ended = true;
        self.group.end(self.number);
        CommitTicket {
            inner: Some(Waiting {
                group: Arc::clone(&self.group),
                number: self.number,
                since: Some(self.since),
                fence_floor: None,
            }),
            order: None,
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.ended {
            self.group.end(self.number);
        }
    }
}

/// Completes when a commit is on disk.
#[must_use = "a commit is only durable once its ticket completes"]
pub struct CommitTicket {
    inner: Option<Waiting>,
    /// Where the commit stands among every commit of a store several servers share (see
    /// [`CommitTicket::order`]).
    order: Option<u64>,
}

/// A ticket of a store that writes to disk.
struct Waiting {
    group: Arc<GroupCommit>,
    number: u64,
    /// When the commit was asked for, to tell the observer how long durability took; `None` for
    /// a read fence, which is no commit.
    since: Option<Instant>,
    /// For a fence, the floor when it was taken (see [`GroupCommit::recovered`]).
    fence_floor: Option<u64>,
}

impl Waiting {
    fn completed(&self, outcome: &StoreResult<()>) {
        if let (Ok(()), Some(since)) = (outcome, self.since) {
            self.group.observer.commit_durable(since.elapsed());
        }
    }
}

impl CommitTicket {
    /// A ticket for a store that is durable at once (the in-memory store, or nothing to write).
    pub fn ready() -> CommitTicket {
        CommitTicket { inner: None, order: None }
    }

    /// The same ticket, saying where its commit stands among all the commits of the store.
    pub fn with_order(self, order: u64) -> CommitTicket {
        CommitTicket { order: Some(order), ..self }
    }

    /// On a store several servers share (PostgreSQL), the commit's number in one sequence of the
    /// whole cluster: a commit that began after another was acknowledged, on any node, has a
    /// greater number, and so does a commit that changed an object after another did. `None` on
    /// a store of one server, whose audit trail is in commit order already.
    pub fn order(&self) -> Option<u64> {
        self.order
    }

    /// True when there is nothing to wait for.
    pub fn is_ready(&self) -> bool {
        self.inner.is_none()
    }

    /// Blocks until the commit is durable.
    pub fn wait(self) -> StoreResult<()> {
        let Some(waiting) = self.inner else {
            return Ok(());
        };
        let mut state = waiting.group.lock();
        loop {
            if let Some(outcome) = GroupCommit::outcome(&state, &waiting) {
                drop(state);
                waiting.completed(&outcome);
                return outcome;
            }
            state = waiting.group.done.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Future for CommitTicket {
    type Output = StoreResult<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(waiting) = &self.inner else {
            return Poll::Ready(Ok(()));
        };
        let mut state = waiting.group.lock();
        match GroupCommit::outcome(&state, waiting) {
            Some(outcome) => {
                drop(state);
                waiting.completed(&outcome);
                Poll::Ready(outcome)
            }
            None => {
                state.wakers.push((waiting.number, cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

impl std::fmt::Debug for CommitTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Some(waiting) => write!(f, "CommitTicket({})", waiting.number),
            None => f.write_str("CommitTicket(ready)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::NoObserver;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use std::time::Duration;

    #[test]
    fn concurrent_commits_share_flushes() {
        let flushes = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&flushes);
        let (group, _) = GroupCommit::start(
            move || {
                counter.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                Ok(())
            },
            Arc::new(NoObserver),
        );
        let writers: Vec<_> = (0..32)
            .map(|_| {
                let group = Arc::clone(&group);
                std::thread::spawn(move || group.ticket(Instant::now()).wait())
            })
            .collect();
        for writer in writers {
            writer.join().unwrap().unwrap();
        }
        let count = flushes.load(Ordering::SeqCst);
        assert!((1..32).contains(&count), "32 commits took {count} flushes");
        group.stop();
    }

    #[test]
    fn a_failed_flush_fails_its_tickets() {
        let (group, _) = GroupCommit::start(|| Err("disk on fire".into()), Arc::new(NoObserver));
        assert!(matches!(group.ticket(Instant::now()).wait(), Err(StoreError::Durability(_))));
        group.stop();
    }

    /// A failure is not sticky: the flushes after it succeed and their tickets complete. A fence
    /// that covers the failed commit fails until the store says it recovered.
    #[test]
    fn a_failed_flush_fails_only_its_own_tickets() {
        let failing = Arc::new(AtomicBool::new(true));
        let switch = Arc::clone(&failing);
        let (group, _) = GroupCommit::start(
            move || if switch.load(Ordering::SeqCst) { Err("no space left on device".into()) } else { Ok(()) },
            Arc::new(NoObserver),
        );
        assert!(group.reserve().applied().wait().is_err());
        assert!(group.fence().wait().is_err(), "a reader may have seen the failed commit");
        failing.store(false, Ordering::SeqCst);
        group.reserve().applied().wait().unwrap();
        assert!(group.fence().wait().is_err(), "still covers the failed commit");
        group.recovered("reopened");
        assert!(group.fence().is_ready());
        group.reserve().applied().wait().unwrap();
        group.stop();
    }

    /// A recovery fails every commit not durable yet (its changes were dropped with the old
    /// database), and a fence taken before it.
    #[test]
    fn a_recovery_fails_what_is_not_durable() {
        let (group, open) = gated();
        let pending = group.reserve().applied();
        let fence = group.fence();
        let late = group.reserve();
        group.recovered("reopened");
        assert!(pending.wait().is_err());
        assert!(fence.wait().is_err());
        // A writer that reserved before the recovery learns that it must abandon its changes
        // (the store may take changes again by the time it looks), and doing so holds nothing up.
        assert!(late.settled());
        drop(late);
        let after = group.reserve();
        assert!(!after.settled());
        let after = after.applied();
        // One for the flush held back since before the recovery, one for this commit's.
        open.send(()).unwrap();
        open.send(()).unwrap();
        after.wait().unwrap();
        group.stop();
        let _ = open.send(());
    }

    /// A flusher that flushes only when told to, so that a test can hold a flush back.
    fn gated() -> (Arc<GroupCommit>, std::sync::mpsc::Sender<()>) {
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        let (group, _) = GroupCommit::start(
            move || {
                let _ = gate.lock().unwrap().recv();
                Ok(())
            },
            Arc::new(NoObserver),
        );
        (group, open)
    }

    #[test]
    fn a_fence_waits_for_what_was_reserved_before_it() {
        let (group, open) = gated();
        assert!(group.fence().is_ready(), "nothing pending: no wait");
        // A writer reserves, applies (its change is now visible) and gets a ticket.
        let ticket = group.reserve().applied();
        // A reader that saw the change fences: it must wait for the same flush.
        let fence = group.fence();
        assert!(!fence.is_ready());
        open.send(()).unwrap();
        ticket.wait().unwrap();
        fence.wait().unwrap();
        assert!(group.fence().is_ready());
        group.stop();
        let _ = open.send(());
    }

    #[test]
    fn a_flush_covers_only_what_is_applied() {
        let (group, open) = gated();
        let slow = group.reserve();
        let fast = group.reserve().applied();
        // The flusher may run, but number 2 cannot be durable while number 1 is still being
        // applied: its flush would not hold number 1's changes.
        open.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(group.lock().durable < 2);
        let slow = slow.applied();
        open.send(()).unwrap();
        slow.wait().unwrap();
        fast.wait().unwrap();
        group.stop();
        let _ = open.send(());
    }

    #[test]
    fn an_abandoned_reservation_holds_nothing_up() {
        let (group, _) = GroupCommit::start(|| Ok(()), Arc::new(NoObserver));
        drop(group.reserve());
        group.reserve().applied().wait().unwrap();
        assert!(group.fence().is_ready());
        group.stop();
    }

    /// Counts what the observer hears.
    #[derive(Default)]
    struct Durable(AtomicU32);

    impl StoreObserver for Durable {
        fn commit_durable(&self, elapsed: Duration) {
            assert!(elapsed >= Duration::from_millis(5), "{elapsed:?}");
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn the_observer_hears_each_durable_commit_once() {
        let observer = Arc::new(Durable::default());
        let (group, _) = GroupCommit::start(
            || {
                std::thread::sleep(Duration::from_millis(5));
                Ok(())
            },
            Arc::clone(&observer) as Arc<dyn StoreObserver>,
        );
        group.ticket(Instant::now()).wait().unwrap();
        let ticket = group.ticket(Instant::now());
        block_on(ticket).unwrap();
        assert_eq!(observer.0.load(Ordering::SeqCst), 2);
        // A read waiting for a commit in flight is no commit of its own.
        let reservation = group.reserve();
        let fence = group.fence();
        drop(reservation.applied());
        fence.wait().unwrap();
        assert_eq!(observer.0.load(Ordering::SeqCst), 2, "a fence was timed as a commit");
        group.stop();
    }

    /// Polls a future to its end on this thread (the store has no async runtime to lend).
    fn block_on<F: Future>(future: F) -> F::Output {
        struct ThreadWaker(std::thread::Thread);
        impl std::task::Wake for ThreadWaker {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            std::thread::park();
        }
    }
}
