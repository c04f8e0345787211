//! Automatic rotation (KMIP 2.1 §4.48-4.54, and server policies for the clients of older
//! versions), without I/O: which objects are due ([`due`]), the queue of due times ([`schedule`]),
//! the policies ([`policy`]) and one rotation as one atomic commit ([`rotate`]). The server's timer
//! task calls these; nothing here keeps time or state of its own beyond the queue, which is
//! rebuilt from the store at start.

pub mod due;
pub mod policy;
pub mod rotate;
pub mod schedule;

pub(crate) use due::rotate_generation;
pub use due::{Rule, Source, next_rotation, rule_for};
pub use policy::{PolicyError, ReplacedKey, RotationPolicy, Selector};
pub use rotate::{Outcome, Rotation, rotate};
pub use schedule::{Entry, Schedule};

/// Told which objects the dispatcher's commits changed, so that the rotation queue can look at
/// them again. `watches` is asked before a commit, for each object in it, on the request's thread:
/// it must be quick (a look at the attributes in memory) and never block; `changed` is told the
/// identifiers of the watched ones once the commit is accepted.
pub trait ChangeListener: Send + Sync {
    fn watches(&self, object: &keyward_store::StoredObject) -> bool;
    fn changed(&self, unique_identifiers: Vec<String>);
}
