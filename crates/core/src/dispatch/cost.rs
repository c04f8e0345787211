//! Which requests may cost more than a few microseconds, told from item headers alone (the whole
//! decode comes later, in `Dispatcher::handle`). Such a request runs on the blocking pool, where it
//! holds up no other connection; every other one runs on its connection's task, since handing it
//! to another thread and back would cost more than the work.
//!
//! A request may take long when one of its items:
//! - is an operation whose cost is high or grows with what the server holds or what the client
//!   sends: key-pair generation, private-key operations, certification, password-based
//!   derivation, chain validation;
//! - is a Locate that does not name the object: its candidates may be every object of the client.
//!   One with a Name (unique per owner, so a handful of candidates from the index) runs in place:
//!   sent to the blocking pool, Locate by Name went from 82,000 to 47,000 requests a second at 16
//!   connections (docs/performance.md);
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
    // A Poll runs the operation it names (see `asynchronous`), which was deferred for its cost.
    Operation::Poll,
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
    if operation == Operation::Locate {
        return !names_the_object(payload);
    }
    let data = payload.into_iter().flat_map(peek::children).find(|child| child.header.tag == Tag::Data);
    match data.map(|data| data.value.len()) {
        Some(len) if len >= LARGE_DATA => true,
        Some(len) => operation == Operation::Decrypt && could_be_rsa_ciphertext(len),
        None => false,
    }
}

/// Whether a Locate's payload filters on a Name: in 2.x a Name in its Attributes, in 1.x an
/// Attribute whose Attribute Name is "Name".
fn names_the_object(payload: Option<&[u8]>) -> bool {
    payload.into_iter().flat_map(peek::children).any(|child| match child.header.tag {
        Tag::Attributes => peek::children(child.item).any(|attribute| attribute.header.tag == Tag::Name),
        Tag::Attribute => peek::children(child.item)
            .any(|field| field.header.tag == Tag::AttributeName && field.value == b"Name".as_slice()),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::{Encoder, KmipVersion};

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

    /// A Locate request: by Name in 1.x or 2.x, or by Object Type alone.
    fn locate(by_name: Option<KmipVersion>) -> Vec<u8> {
        let mut out = Encoder::new();
        let root = out.begin(Tag::RequestMessage);
        let item = out.begin(Tag::BatchItem);
        out.enumeration(Tag::Operation, Operation::Locate.0);
        let payload = out.begin(Tag::RequestPayload);
        match by_name {
            Some(KmipVersion::V2_1) => {
                let attributes = out.begin(Tag::Attributes);
                let name = out.begin(Tag::Name);
                out.text(Tag::NameValue, "k");
                out.end(name);
                out.end(attributes);
            }
            Some(_) => {
                let attribute = out.begin(Tag::Attribute);
                out.text(Tag::AttributeName, "Name");
                out.end(attribute);
            }
            None => {
                let attribute = out.begin(Tag::Attribute);
                out.text(Tag::AttributeName, "Object Type");
                out.end(attribute);
            }
        }
        out.end(payload);
        out.end(item);
        out.end(root);
        out.as_bytes().to_vec()
    }

    #[test]
    fn a_locate_by_name_runs_in_place_any_other_may_take_long() {
        assert!(!may_take_long(&locate(Some(KmipVersion::V2_1))));
        assert!(!may_take_long(&locate(Some(KmipVersion::V1_4))));
        assert!(may_take_long(&locate(None)));
    }

    #[test]
    fn validate_may_take_long() {
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
