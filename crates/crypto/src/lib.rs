//! keyward-crypto
