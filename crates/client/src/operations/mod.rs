//! The typed calls of a [`Session`](crate::Session), one module per family: creating and
//! registering objects, finding and reading them, their lifecycle, and the cryptographic
//! operations. Each call has a request builder of its own (a plain function, tested without a
//! server) and a method that sends it and reads the answer.

pub mod crypto;
pub mod lifecycle;
pub mod lookup;
pub mod objects;

pub use crypto::{CipherInput, Encrypted, PartOutput, Step, VerifyPart};
pub use lookup::{LocateFilter, Located};
pub use objects::KeyPairIds;
