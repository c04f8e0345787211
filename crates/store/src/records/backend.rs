//! What a backend of the record layer does: keep values under keys, durably, and nothing more.
//!
//! A record's value is the layer's business (its clear [`super::header::Header`] then the sealed
//! record): the backend never decodes, seals or indexes anything. It gives the layer:
//! - reads of one record or setting, and scans of the records in identifier order from a cursor
//!   (the layer rebuilds its index from the headers);
//! - one atomic write of a batch of records, each conditional: a new record goes in only if its
//!   identifier is free, a change only if the record is still the one the layer read (its
//!   revision). The layer also serializes the writers of an object and checks the Name claims
//!   under its locks, so a backend one process owns needs no more;
//! - a flush that makes every write so far durable, which the layer's group commit calls for each
//!   group; and, after a flush failed, a reopen from what is durable and a probe of whether the
//!   medium takes writes again.

use std::ops::ControlFlow;

use super::Loaded;
use crate::StoreResult;

/// What a scan calls with each record (identifier, stored value), until it answers `Break`.
pub(crate) type Visit<'a> = dyn FnMut(&str, &[u8]) -> StoreResult<ControlFlow<()>> + 'a;

/// One record of a commit, ready to write.
pub(crate) struct RecordWrite<'a> {
    pub(crate) unique_identifier: &'a str,
    /// The stored value this write replaces, as read; `None`: a new record, written only if no
    /// record has this identifier. Otherwise [`crate::StoreError::Conflict`], and nothing of the
    /// batch is written.
    pub(crate) replaces: Option<&'a [u8]>,
    /// The clear header followed by the sealed record.
    pub(crate) value: &'a [u8],
}

/// The storage under a [`super::RecordStore`].
pub(crate) trait RecordBackend: Send + Sync + 'static {
    /// A value as the backend hands it out (sled's shared buffers, without a copy).
    type Value: AsRef<[u8]>;

    /// The record stored under `unique_identifier`.
    fn get(&self, unique_identifier: &str) -> StoreResult<Option<Self::Value>>;

    /// A number greater than every one handed out before, across restarts: a new object's
    /// creation sequence (listings are newest first).
    fn next_sequence(&self) -> StoreResult<u64>;

    /// Writes every record of `writes`, or none of them.
    fn write(&self, writes: &[RecordWrite<'_>]) -> StoreResult<()>;

    /// Calls `visit` with each record whose identifier sorts after `after` (all of them for
    /// `None`), in identifier order, until it says to stop.
    fn scan(&self, after: Option<&str>, visit: &mut Visit<'_>) -> StoreResult<()>;

    /// A sealed setting of the server's (see [`crate::ObjectStore::setting`]).
    fn setting(&self, key: &str) -> StoreResult<Option<Self::Value>>;

    /// Every setting whose key starts with `prefix`, in key order.
    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Self::Value)>>;

    /// Writes (or, with `None`, deletes) a sealed setting.
    fn put_setting(&self, key: &str, sealed: Option<&[u8]>) -> StoreResult<()>;

    /// Makes every write made before the call durable. A failure: the layer refuses changes
    /// and brings the backend back with [`RecordBackend::reopen`].
    fn flush(&self) -> Result<(), String>;

    /// After a failed flush: drops what was written and not flushed, and opens again from what
    /// is durable (checking that it holds what was acknowledged); returns the index of what it
    /// holds, read as it opens ([`super::Loaded::add`], or [`super::load`] for a backend whose
    /// open reads nothing). No other call runs meanwhile.
    fn reopen(&self) -> StoreResult<Loaded>;

    /// Whether the medium takes writes again (after a failed flush).
    fn probe(&self) -> std::io::Result<()>;

    /// Where the records are, for an operator's message.
    fn location(&self) -> String;
}
