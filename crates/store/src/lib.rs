//! keyward-store
