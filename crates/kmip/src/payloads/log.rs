//! Log (2.1 §6.1.29; KMIP 2.x): a message for the server's log.

use crate::kmip_struct;

kmip_struct! {
    pub struct LogRequest {
        log_message: one String = LogMessage,
    }
}

kmip_struct! {
    pub struct LogResponse {}
}
