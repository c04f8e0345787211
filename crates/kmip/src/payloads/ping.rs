//! Ping (2.1 §6.1.36; KMIP 2.1): a no-op that shows the server is there.

use crate::kmip_struct;

kmip_struct! {
    pub struct PingRequest {}
}

kmip_struct! {
    pub struct PingResponse {}
}
