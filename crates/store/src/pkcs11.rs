//! A KEK in a PKCS#11 token (an HSM, SoftHSM2): a non-extractable, sensitive AES-256 key that
//! wraps the keyring inside the token with CKM_AES_GCM (PKCS#11 v3.0 Current Mechanisms, AES-GCM:
//! a 96-bit IV, the associated data and a 128-bit tag given by the caller). The token is used when the store opens
//! (one unwrap of the keyring) and when the KEK rotates; records are sealed in memory with the
//! data key, so nothing on the path of a request waits for the token.
//!
//! The KEK of version N is the secret key with `CKA_LABEL` = the configured key label and
//! `CKA_ID` = N in ASCII decimal ("1", "2"...). The server makes it (`C_GenerateKey`, token object,
//! `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`) when a new store or a rotation needs it; an operator may
//! make version 1 beforehand with the token's own tools.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use crate::kek::{KekSource, KeyEncryptionKey};
use crate::{StoreError, StoreResult};

const IV_LEN: usize = 12;
const TAG_BITS: u64 = 128;

/// Where the KEK is: a module, a token, a PIN, a key label.
#[derive(Clone)]
pub struct Pkcs11Settings {
    pub module: PathBuf,
    pub token_label: String,
    pub pin: Zeroizing<String>,
    pub key_label: String,
}

impl std::fmt::Debug for Pkcs11Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Settings")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("key_label", &self.key_label)
            .finish_non_exhaustive()
    }
}

/// A PKCS#11 module, loaded and initialized once for the process and kept: C_Initialize is
/// called once, by one thread (PKCS#11 3.0 §5.4). SoftHSM2 crashed when two threads called it at
/// once (two servers of one process starting together, as the tests do, or the KEK source and
/// the server's module). A module initialized by other code of the process is taken as it is.
pub fn open_module(path: &Path) -> Result<Pkcs11, CkError> {
    static MODULES: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());
    let mut modules = MODULES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, context)) = modules.iter().find(|(loaded, _)| loaded == path) {
        return Ok(context.clone());
    }
    let context = Pkcs11::new(path)?;
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(error) => return Err(error),
    }
    modules.push((path.to_path_buf(), context.clone()));
    Ok(context)
}

/// KEKs in a PKCS#11 token: one logged-in session, held while the source lives.
pub struct Pkcs11KekSource {
    settings: Pkcs11Settings,
    session: std::sync::Arc<Mutex<Session>>,
}

impl Pkcs11KekSource {
    /// Loads the module, finds the token by its label and logs in. Every failure says which of
    /// these it was.
    pub fn open(settings: Pkcs11Settings) -> StoreResult<Pkcs11KekSource> {
        let module = &settings.module;
        let unavailable = |what: String| StoreError::KekUnavailable(format!("PKCS#11 ({}): {what}", module.display()));
        if !Path::new(module).exists() {
            return Err(unavailable("the module file does not exist".into()));
        }
        let context =
            open_module(Path::new(module)).map_err(|e| unavailable(format!("the module does not load: {e}")))?;
        let slots = context.get_slots_with_token().map_err(|e| unavailable(format!("no slot list: {e}")))?;
        let mut labels = Vec::new();
        let mut found = None;
        for slot in slots {
            let Ok(info) = context.get_token_info(slot) else { continue };
            let label = info.label().trim_end().to_string();
            if label == settings.token_label {
                found = Some(slot);
                break;
            }
            labels.push(label);
        }
        let slot = found.ok_or_else(|| {
            unavailable(format!(
                "no token labelled {:?} (tokens present: {})",
                settings.token_label,
                if labels.is_empty() { "none".to_string() } else { format!("{labels:?}") }
            ))
        })?;
        let session = context.open_rw_session(slot).map_err(|e| unavailable(format!("C_OpenSession failed: {e}")))?;
        let pin = AuthPin::from(settings.pin.as_str());
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
                return Err(unavailable(format!(
                    "the PIN for token {:?} is wrong (CKR_PIN_INCORRECT)",
                    settings.token_label
                )));
            }
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
                return Err(unavailable(format!("the user PIN of token {:?} is locked", settings.token_label)));
            }
            Err(e) => return Err(unavailable(format!("C_Login failed: {e}"))),
        }
        Ok(Pkcs11KekSource { settings, session: std::sync::Arc::new(Mutex::new(session)) })
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn template(&self, version: u32) -> Vec<Attribute> {
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Label(self.settings.key_label.as_bytes().to_vec()),
            Attribute::Id(version.to_string().into_bytes()),
        ]
    }

    fn find(&self, version: u32) -> StoreResult<Option<ObjectHandle>> {
        let found = self.session().find_objects(&self.template(version)).map_err(|e| self.error("C_FindObjects", e))?;
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(StoreError::KekUnavailable(format!(
                "{} keys in the token are {}: keep one",
                found.len(),
                self.describe(version)
            ))),
        }
    }

    fn error(&self, function: &str, error: CkError) -> StoreError {
        StoreError::KekUnavailable(format!(
            "PKCS#11 {function} on token {:?} failed: {error}",
            self.settings.token_label
        ))
    }

    /// Whether the key of `version` is sensitive and was never extractable, and whether the token
    /// refuses to give out its value.
    #[cfg(test)]
    pub(crate) fn is_locked_in(&self, version: u32) -> StoreResult<bool> {
        use cryptoki::object::AttributeType;
        let handle = self.find(version)?.ok_or_else(|| StoreError::KekUnavailable("no key".into()))?;
        let session = self.session();
        let flags = session
            .get_attributes(
                handle,
                &[AttributeType::Sensitive, AttributeType::Extractable, AttributeType::NeverExtractable],
            )
            .map_err(|e| self.error("C_GetAttributeValue", e))?;
        let locked = flags.iter().all(|a| match a {
            Attribute::Sensitive(v) | Attribute::NeverExtractable(v) => *v,
            Attribute::Extractable(v) => !*v,
            _ => false,
        });
        let value = session.get_attributes(handle, &[AttributeType::Value]).unwrap_or_default();
        Ok(locked && flags.len() == 3 && !value.iter().any(|a| matches!(a, Attribute::Value(_))))
    }

    fn kek(&self, handle: ObjectHandle) -> Box<dyn KeyEncryptionKey> {
        Box::new(Pkcs11Kek { session: std::sync::Arc::clone(&self.session), handle })
    }
}

impl KekSource for Pkcs11KekSource {
    fn open(&self, version: u32) -> StoreResult<Box<dyn KeyEncryptionKey>> {
        match self.find(version)? {
            Some(handle) => Ok(self.kek(handle)),
            None => Err(StoreError::KekUnavailable(format!("no key in the token is {}", self.describe(version)))),
        }
    }

    fn create(&self, version: u32) -> StoreResult<Box<dyn KeyEncryptionKey>> {
        if let Some(handle) = self.find(version)? {
            return Ok(self.kek(handle));
        }
        let mut template = self.template(version);
        template.extend([
            Attribute::ValueLen(32.into()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ]);
        let handle = self
            .session()
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(|e| self.error("C_GenerateKey", e))?;
        tracing::info!(version, key = %self.describe(version), "generated a new key-encryption key in the token");
        Ok(self.kek(handle))
    }

    fn describe(&self, version: u32) -> String {
        format!(
            "token {:?}, key label {:?}, id {:?} (module {})",
            self.settings.token_label,
            self.settings.key_label,
            version.to_string(),
            self.settings.module.display()
        )
    }

    fn kind(&self) -> &'static str {
        "pkcs11"
    }
}

/// One KEK version in the token.
struct Pkcs11Kek {
    session: std::sync::Arc<Mutex<Session>>,
    handle: ObjectHandle,
}

impl KeyEncryptionKey for Pkcs11Kek {
    fn wrap(&self, plaintext: &[u8], context: &[u8]) -> StoreResult<Vec<u8>> {
        let mut iv = [0u8; IV_LEN];
        getrandom::fill(&mut iv).map_err(|e| StoreError::Backend(format!("no randomness: {e}")))?;
        let mut params_iv = iv;
        let params = GcmParams::new(&mut params_iv, context, TAG_BITS.into())
            .map_err(|e| StoreError::Backend(format!("GCM parameters: {e}")))?;
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let ciphertext = session
            .encrypt(&Mechanism::AesGcm(params), self.handle, plaintext)
            .map_err(|e| StoreError::KekUnavailable(format!("PKCS#11 C_Encrypt with the KEK failed: {e}")))?;
        Ok([iv.as_slice(), &ciphertext].concat())
    }

    fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
        let (iv, ciphertext) = wrapped
            .split_first_chunk::<IV_LEN>()
            .ok_or_else(|| StoreError::Corrupt("wrapped value too short".into()))?;
        let mut iv = *iv;
        let params = GcmParams::new(&mut iv, context, TAG_BITS.into())
            .map_err(|e| StoreError::Backend(format!("GCM parameters: {e}")))?;
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        session
            .decrypt(&Mechanism::AesGcm(params), self.handle, ciphertext)
            .map(Zeroizing::new)
            // A tag that does not verify (CKR_ENCRYPTED_DATA_INVALID and kin): another key.
            .map_err(|_| StoreError::Corrupt("authentication tag mismatch".into()))
    }
}
