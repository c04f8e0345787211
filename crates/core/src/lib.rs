//! keyward-core
