//! RNG Retrieve (2.1 §6.1.49, 1.4 §4.35; KMIP 1.2 and later): random bytes from the server.

use crate::codec::Bytes;
use crate::kmip_struct;

kmip_struct! {
    pub struct RngRetrieveRequest {
        /// How many bytes.
        data_length: one i32 = DataLength,
    }
}

kmip_struct! {
    pub struct RngRetrieveResponse {
        data: one Bytes = Data,
    }
}
