//! Which requests may cost more than a few microseconds, told from item headers alone (the whole
//! decode comes later, in `Dispatcher::handle`). Such a request runs on the blocking pool, where it
//! holds up no other connection; every other one runs on its connection's task, since handing it
//! to another thread and back would cost more than the work.
//!
//! A request may take long when one of its items:
//! - is an operation whose cost is high or grows with what the server holds or what the client
//!   sends: key-pair generation, private-key operations, certification, password-based
//!   derivation, chain validation, Locate (its candidates may be every object of the client);
//! - is a Decrypt whose Data has the size of an RSA ciphertext (a multiple of 64 bytes from 128 to
//!   2,048: moduli of 1,024 to 16,384 bits in 512-bit steps). Whether the key is an RSA key would
//!   take a store lookup; a symmetric ciphertext of such a size only pays for a thread hand-off;
//! - carries Data of [`LARGE_DATA`] bytes or more: hashing, encrypting or MACing it takes time in
//!   proportion;
//! - has no Operation this code can read (the decode will say what is wrong).

use keyward_kmip::enums::Operation;
use keyward_ttlv::{ItemType, Tag, peek};

/// Operations that may take milliseconds of CPU, or time growing with the store.
const SLOW_OPERATIONS: &[Operation] = &[
    Operation::CreateKeyPair,
    Operation::ReKeyKeyPair,
    Operation::Certify,
    Operation::ReCertify,
    Operation::Validate,
    Operation::Sign,
    Operation::SignatureVerify,
    Operation::DeriveKey,
    Operation::CreateSplitKey,
    Operation::JoinSplitKey,
    Operation::Import,
    Operation::Export,
    Operation::Register,
    Operation::Locate,
];

/// Data from this size on is worked on away from the connection's task: at about 1 GB/s for AES
/// or SHA-256, 64 KiB is some 60 microseconds, ten quick requests' worth.
pub const LARGE_DATA: usize = 64 * 1024;

/// The RSA ciphertext sizes: one modulus long, 1,024 to 16,384 bits in steps of 512.
fn could_be_rsa_ciphertext(len: usize) -> bool {
    (128..=2048).contains(&len) && len.is_multiple_of(64)
}

pub(super) fn may_take_long(request: &[u8]) -> bool {
    peek::children(request).filter(|item| item.header.tag == Tag::BatchItem).any(|item| item_may_take_long(item.item))
}

fn item_may_take_long(item: &[u8]) -> bool {
    let (mut operation, mut payload) = (None, None);
    for child in peek::children(item) {
        match (child.header.tag, child.header.item_type) {
            (Tag::Operation, ItemType::Enumeration) => {
                operation = <[u8; 4]>::try_from(child.value).ok().map(|value| Operation(u32::from_be_bytes(value)));
            }
            (Tag::RequestPayload, _) => payload = Some(child.item),
            _ => {}
        }
    }
    let Some(operation) = operation else { return true };
    if SLOW_OPERATIONS.contains(&operation) {
        return true;
    }
    let data = payload.into_iter().flat_map(peek::children).find(|child| child.header.tag == Tag::Data);
    match data.map(|data| data.value.len()) {
        Some(len) if len >= LARGE_DATA => true,
        Some(len) => operation == Operation::Decrypt && could_be_rsa_ciphertext(len),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::Encoder;

    use super::*;

    /// A request message of one batch item: the operation and, when given, Data in its payload.
    fn request(operation: Operation, data: Option<usize>) -> Vec<u8> {
        let mut out = Encoder::new();
        let root = out.begin(Tag::RequestMessage);
        let item = out.begin(Tag::BatchItem);
        out.enumeration(Tag::Operation, operation.0);
        let payload = out.begin(Tag::RequestPayload);
        out.text(Tag::UniqueIdentifier, "1");
        if let Some(len) = data {
            out.bytes(Tag::Data, &vec![0; len]);
        }
        out.end(payload);
        out.end(item);
        out.end(root);
        out.as_bytes().to_vec()
    }

    #[test]
    fn locate_and_validate_may_take_long() {
        assert!(may_take_long(&request(Operation::Locate, None)));
        assert!(may_take_long(&request(Operation::Validate, None)));
        assert!(!may_take_long(&request(Operation::Get, None)));
    }

    #[test]
    fn a_decrypt_the_size_of_an_rsa_ciphertext_may_take_long() {
        for rsa in [128, 256, 384, 512, 1024] {
            assert!(may_take_long(&request(Operation::Decrypt, Some(rsa))), "{rsa}");
        }
        // AES-GCM of a short message, AES-CBC of 48 bytes.
        assert!(!may_take_long(&request(Operation::Decrypt, Some(44))));
        assert!(!may_take_long(&request(Operation::Decrypt, Some(48))));
        assert!(!may_take_long(&request(Operation::Encrypt, Some(256))));
    }

    #[test]
    fn large_data_may_take_long_whatever_the_operation() {
        assert!(may_take_long(&request(Operation::Hash, Some(LARGE_DATA))));
        assert!(may_take_long(&request(Operation::Encrypt, Some(LARGE_DATA))));
        assert!(!may_take_long(&request(Operation::Hash, Some(LARGE_DATA - 1))));
    }
}
