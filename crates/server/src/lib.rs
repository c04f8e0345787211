//! keyward-server
