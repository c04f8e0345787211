//! The PKCS#11 operation (KMIP 2.0 §6.1.36, 2.1 §6.1.37): the server performs a PKCS#11 function
//! for the client, on the PKCS#11 module it is configured with (the one holding its root of
//! trust, when the store's KEK lives in an HSM).
//!
//! The module is the server's, not the client's. So the relay is deliberately narrow:
//!
//! - **Library life.** A client's C_Initialize opens a *relay session* and answers the Correlation
//!   Value the client sends back afterwards (2.1 Table 274: "Server defined Byte String that the
//!   client must provide in the next request"); its C_Finalize closes that session. Neither
//!   reaches the module, which the server initialized once and keeps (PKCS#11 3.0 §5.4: a second
//!   C_Initialize in one process fails, and a C_Finalize would pull the root key from under the
//!   store). A Correlation Value belongs to the client that opened it; another client's, or one
//!   already closed, answers CKR_CRYPTOKI_NOT_INITIALIZED, as a module does before C_Initialize.
//! - **Functions.** Only the general-purpose information function, C_GetInfo, is relayed. Every
//!   other standard function answers CKR_FUNCTION_NOT_SUPPORTED (a valid CK_RV for any function,
//!   PKCS#11 3.0 §5.1): slots, sessions, logins and keys of the server's token are not the
//!   client's to use. A vendor-defined function (an Integer) is PKCS#11 Invalid Function.
//! - **Interface.** Only the default interface (absent, or "PKCS 11") is offered; another name is
//!   PKCS#11 Invalid Interface (2.1 Table 275).
//!
//! Output parameters are encoded as the PKCS#11 profile's test cases show for CK_INFO: each field
//! in order, CK_VERSION as two bytes, the character fields padded with spaces to their fixed
//! length (32), CK_FLAGS as eight bytes big-endian (KMIP's byte order; always zero for CK_INFO).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::ClientIdentity;

/// The most relay sessions one client may hold open: a client that initializes without ever
/// finalizing cannot grow the server's memory.
pub const MAX_SESSIONS_PER_CLIENT: usize = 16;
/// The length of a Correlation Value: random, so a client cannot guess another's.
const CORRELATION_LEN: usize = 16;

/// What the server's PKCS#11 module says about itself (CK_INFO, PKCS#11 3.0 §3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    pub cryptoki_version: (u8, u8),
    pub manufacturer_id: String,
    pub flags: u64,
    pub library_description: String,
    pub library_version: (u8, u8),
}

impl ModuleInfo {
    /// CK_INFO as PKCS#11 Output Parameters (see the module comment).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(76);
        out.extend_from_slice(&[self.cryptoki_version.0, self.cryptoki_version.1]);
        out.extend_from_slice(&padded(&self.manufacturer_id));
        out.extend_from_slice(&self.flags.to_be_bytes());
        out.extend_from_slice(&padded(&self.library_description));
        out.extend_from_slice(&[self.library_version.0, self.library_version.1]);
        out
    }
}

/// A CK_UTF8CHAR[32] field: the text cut to 32 bytes (at a character boundary) and padded with
/// spaces, as PKCS#11 pads its own.
fn padded(text: &str) -> [u8; 32] {
    let mut field = [b' '; 32];
    let mut end = text.len().min(32);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    field[..end].copy_from_slice(&text.as_bytes()[..end]);
    field
}

/// The server's PKCS#11 module, as the transport loaded it (keyward-server, on cryptoki).
pub trait Pkcs11Module: Send + Sync {
    /// C_GetInfo; an error is the module's CK_RV.
    fn info(&self) -> Result<ModuleInfo, u32>;
}

/// The module and the clients' relay sessions.
pub struct Pkcs11Relay {
    pub(crate) module: Arc<dyn Pkcs11Module>,
    /// Correlation Value -> the client that opened it.
    sessions: Mutex<HashMap<Vec<u8>, String>>,
}

/// Why a relay session could not be opened.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SessionRefusal {
    TooMany,
    NoRandomness,
}

impl Pkcs11Relay {
    pub fn new(module: Arc<dyn Pkcs11Module>) -> Pkcs11Relay {
        Pkcs11Relay { module, sessions: Mutex::new(HashMap::new()) }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, String>> {
        // Nothing is left half-changed under this lock by a panic: carry on.
        self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// C_Initialize: a new relay session of `client`, named by the returned Correlation Value.
    pub(crate) fn open(&self, client: &ClientIdentity) -> Result<Vec<u8>, SessionRefusal> {
        let mut sessions = self.sessions();
        if sessions.values().filter(|owner| **owner == client.name).count() >= MAX_SESSIONS_PER_CLIENT {
            return Err(SessionRefusal::TooMany);
        }
        let correlation = keyward_crypto::random_bytes(CORRELATION_LEN).map_err(|_| SessionRefusal::NoRandomness)?;
        sessions.insert(correlation.clone(), client.name.clone());
        Ok(correlation)
    }

    /// True when `correlation` is a session `client` opened and has not closed.
    pub(crate) fn is_open(&self, client: &ClientIdentity, correlation: Option<&[u8]>) -> bool {
        correlation.is_some_and(|c| self.sessions().get(c).is_some_and(|owner| *owner == client.name))
    }

    /// C_Finalize: closes the session; false when it was not `client`'s open session.
    pub(crate) fn close(&self, client: &ClientIdentity, correlation: Option<&[u8]>) -> bool {
        let Some(correlation) = correlation else { return false };
        let mut sessions = self.sessions();
        if sessions.get(correlation).is_some_and(|owner| *owner == client.name) {
            sessions.remove(correlation);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Pkcs11Module for Fixed {
        fn info(&self) -> Result<ModuleInfo, u32> {
            Ok(ModuleInfo {
                cryptoki_version: (2, 40),
                manufacturer_id: "TEST      Pty Ltd".into(),
                flags: 0,
                library_description: "TEST".into(),
                library_version: (1, 0),
            })
        }
    }

    /// The CK_INFO of the profile's test case PKCS11-M-1 (a module of "TEST Pty Ltd"), encoded
    /// field by field.
    #[test]
    fn ck_info_is_encoded_as_the_profile_shows() {
        let expected = "022854455354202020202020507479204c7464202020202020202020202020202020000000000000000054455354202020202020202020202020202020202020202020202020202020200100";
        assert_eq!(hex::encode(Fixed.info().unwrap().encode()), expected);
        assert_eq!(padded("é".repeat(20).as_str()).len(), 32, "cut at a character boundary");
    }

    #[test]
    fn sessions_belong_to_their_client_and_are_bounded() {
        let relay = Pkcs11Relay::new(Arc::new(Fixed));
        let (alice, bob) = (ClientIdentity::new("alice"), ClientIdentity::new("bob"));
        let session = relay.open(&alice).unwrap();
        assert!(relay.is_open(&alice, Some(&session)));
        assert!(!relay.is_open(&bob, Some(&session)));
        assert!(!relay.close(&bob, Some(&session)));
        assert!(relay.close(&alice, Some(&session)));
        assert!(!relay.is_open(&alice, Some(&session)));
        for _ in 0..MAX_SESSIONS_PER_CLIENT {
            relay.open(&alice).unwrap();
        }
        assert_eq!(relay.open(&alice), Err(SessionRefusal::TooMany));
        relay.open(&bob).unwrap();
    }
}
