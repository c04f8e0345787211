//! The PKCS#11 module the server loads (`[pkcs11] module`), through the `cryptoki` crate: the
//! library is opened and initialized once for the process (OS locking: every connection thread
//! may call it), and offered to the dispatcher for the PKCS#11 operation (keyward-core's
//! `pkcs11_relay` says what it relays). cryptoki holds the FFI; this file has no `unsafe`.

use std::path::{Path, PathBuf};

use cryptoki::context::Pkcs11;
use keyward_core::pkcs11_relay::{ModuleInfo, Pkcs11Module};

/// PKCS#11's CKR_GENERAL_ERROR, answered when the module fails in a way cryptoki does not name
/// by its CK_RV.
const CKR_GENERAL_ERROR: u32 = 0x05;

/// A loaded and initialized module.
pub struct CryptokiModule {
    context: Pkcs11,
    path: PathBuf,
}

/// Why the module could not be loaded: the server refuses to start.
#[derive(Debug, thiserror::Error)]
#[error("PKCS#11 module {path}: {error}")]
pub struct ModuleError {
    path: PathBuf,
    error: String,
}

impl CryptokiModule {
    pub fn load(path: &Path) -> Result<CryptokiModule, ModuleError> {
        let failed = |error: cryptoki::error::Error| ModuleError { path: path.to_path_buf(), error: error.to_string() };
        // The KEK source (keyward-store's PKCS#11 KEK) may have initialized the same module in
        // this process already: one library, one initialization, by one thread at a time.
        let context = keyward_store::pkcs11::open_module(path).map_err(failed)?;
        Ok(CryptokiModule { context, path: path.to_path_buf() })
    }
}

impl Pkcs11Module for CryptokiModule {
    fn info(&self) -> Result<ModuleInfo, u32> {
        let info = self.context.get_library_info().map_err(|error| {
            tracing::warn!(module = %self.path.display(), %error, "C_GetInfo failed");
            CKR_GENERAL_ERROR
        })?;
        let (cryptoki, library) = (info.cryptoki_version(), info.library_version());
        Ok(ModuleInfo {
            cryptoki_version: (cryptoki.major(), cryptoki.minor()),
            manufacturer_id: info.manufacturer_id().to_string(),
            // CK_INFO's flags are reserved and zero (PKCS#11 3.0 §3.1); cryptoki does not expose them.
            flags: 0,
            library_description: info.library_description().to_string(),
            library_version: (library.major(), library.minor()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SoftHSM2's module, where the test command installs it (Debian's path).
    pub(crate) const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";

    #[test]
    fn softhsm_answers_its_info() {
        if !Path::new(SOFTHSM).exists() {
            eprintln!("SKIPPED: {SOFTHSM} is not installed (scripts/test installs softhsm2)");
            return;
        }
        let module = CryptokiModule::load(Path::new(SOFTHSM)).unwrap();
        let info = module.info().unwrap();
        assert!(info.manufacturer_id.contains("SoftHSM"), "{info:?}");
        assert_eq!(info.encode().len(), 76);
    }

    #[test]
    fn a_missing_module_is_a_clear_error() {
        let error = CryptokiModule::load(Path::new("/nonexistent/libnothing.so")).err().unwrap();
        assert!(error.to_string().contains("/nonexistent/libnothing.so"), "{error}");
    }
}
