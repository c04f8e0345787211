//! RNG Seed (2.1 §6.1.50, 1.4 §4.36; KMIP 1.2 and later): seed material for the server's generator.

use crate::kmip_struct;
use crate::payloads::common::DataRef;

kmip_struct! {
    pub struct RngSeedRequest {
        data: one DataRef = Data,
    }
}

kmip_struct! {
    pub struct RngSeedResponse {
        /// How many of the bytes were used.
        data_length: one i32 = DataLength,
    }
}
