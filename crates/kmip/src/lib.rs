//! keyward-kmip
