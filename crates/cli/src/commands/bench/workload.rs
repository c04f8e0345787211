//! The request messages of each workload, encoded once before the load starts. Each connection
//! then sends the same bytes again and again; the only field that must differ between requests,
//! the IV of an Encrypt (AES-GCM must never see a nonce twice under one key), is patched in
//! place at offsets found once, when the message is built.

use keyward_kmip::enums::Operation;
use keyward_kmip::{KmipVersion, Tag};
use keyward_ttlv::{HEADER_LEN, ItemRef};

use super::args::Op;
use super::requests::{self, GCM_IV_LENGTH};
use super::response::Expect;

/// The objects the requests name, made by the setup (or stand-ins of the same sizes, for the echo
/// server and for a setup step the server refused).
#[derive(Clone, Debug)]
pub struct Fixtures {
    /// An AES-256 key, active when the workload encrypts.
    pub key_uid: String,
    /// Its Name, for Locate.
    pub key_name: String,
    /// A ciphertext of the key, for Decrypt.
    pub ciphertext: Ciphertext,
    /// The private key of an RSA key pair, for Sign.
    pub signing_key_uid: String,
}

#[derive(Clone, Debug)]
pub struct Ciphertext {
    pub data: Vec<u8>,
    pub iv: Vec<u8>,
    pub tag: Vec<u8>,
}

impl Fixtures {
    /// Stand-ins with the sizes of real ones: a UUID's 36 characters (Keyward's identifiers), and
    /// a GCM ciphertext of `payload_size` bytes with its IV and tag.
    pub fn stand_ins(payload_size: usize, name: &str) -> Fixtures {
        let uid = "00000000-0000-4000-8000-000000000000".to_string();
        Fixtures {
            key_uid: uid.clone(),
            key_name: name.to_string(),
            ciphertext: Ciphertext { data: data(payload_size), iv: vec![0; GCM_IV_LENGTH], tag: vec![0; 16] },
            signing_key_uid: uid,
        }
    }
}

/// Bytes to encrypt or sign. Their value does not matter, only their number.
pub fn data(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

/// One encoded request message.
#[derive(Clone, Debug)]
pub struct Message {
    pub bytes: Vec<u8>,
    /// Its batch items.
    pub operations: usize,
    /// Where its IVs start: each request gets new ones.
    pub iv_offsets: Vec<usize>,
}

/// What every connection sends, and how.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Sent in turn (Mix has three); each connection starts at another one.
    pub messages: Vec<Message>,
    pub expect: Expect,
    /// Connect: a new connection (TLS handshake included) for every request.
    pub connection_per_request: bool,
    /// Connect: resume the TLS session of an earlier connection.
    pub resume: bool,
}

impl Workload {
    pub fn build(
        op: Op,
        version: KmipVersion,
        batch_size: usize,
        payload_size: usize,
        fixtures: &Fixtures,
    ) -> Workload {
        let payload = data(payload_size);
        let marker_iv = [0u8; GCM_IV_LENGTH];
        let key = fixtures.key_uid.as_str();
        let batch = |make: &dyn Fn() -> keyward_kmip::payloads::RequestPayload| {
            let bytes = requests::message(version, (0..batch_size).map(|_| make()).collect());
            Message::new(bytes, batch_size)
        };
        let create = || requests::create_aes_256(None);
        let get = || requests::get(key);
        let encrypt = || requests::encrypt(key, &payload, &marker_iv);
        let messages = match op {
            Op::Discover | Op::Connect => vec![batch(&requests::discover_versions)],
            Op::Create => vec![batch(&create)],
            Op::Get => vec![batch(&get)],
            Op::GetAttributes => vec![batch(&|| requests::get_attributes(key))],
            Op::Locate => vec![batch(&|| requests::locate_by_name(&fixtures.key_name))],
            Op::Encrypt => vec![batch(&encrypt)],
            Op::Decrypt => {
                let Ciphertext { data, iv, tag } = &fixtures.ciphertext;
                vec![batch(&|| requests::decrypt(key, data, iv, tag))]
            }
            Op::Sign => vec![batch(&|| requests::sign(&fixtures.signing_key_uid, &payload))],
            Op::Mix => vec![batch(&create), batch(&get), batch(&encrypt)],
        };
        Workload { messages, expect: Expect::Response, connection_per_request: op == Op::Connect, resume: false }
    }
}

impl Message {
    fn new(bytes: Vec<u8>, operations: usize) -> Message {
        let mut iv_offsets = Vec::new();
        // The message was encoded here a moment ago, so it decodes; if it did not, it would have no
        // IV to patch either.
        if let Ok(root) = keyward_ttlv::decode(&bytes, &super::response::limits()) {
            find_ivs(root, &mut iv_offsets);
        }
        Message { bytes, operations, iv_offsets }
    }
}

/// The value offsets of the IV/Counter/Nonce items of the Encrypt batch items. (Decrypt items
/// carry one too, which must stay the one their ciphertext was made with.)
fn find_ivs(root: ItemRef<'_>, offsets: &mut Vec<usize>) {
    for item in root.children().filter(|child| child.tag() == Tag::BatchItem) {
        if item.child(Tag::Operation).and_then(|operation| operation.as_enumeration()) != Some(Operation::Encrypt.0) {
            continue;
        }
        if let Some(iv) = item.child(Tag::RequestPayload).and_then(|payload| payload.child(Tag::IVCounterNonce))
            && iv.raw_value().len() == GCM_IV_LENGTH
        {
            offsets.push(iv.offset() + HEADER_LEN);
        }
    }
}

/// Makes each request's IVs unique: the connection's number, then a count of its requests. Under
/// one key no two requests of a run share an IV, whatever the number of connections.
pub struct IvSequence {
    connection: u32,
    next: u64,
}

impl IvSequence {
    pub fn new(connection: u32) -> IvSequence {
        IvSequence { connection, next: 0 }
    }

    pub fn patch(&mut self, message: &mut Message) {
        for &offset in &message.iv_offsets {
            let Some(iv) = message.bytes.get_mut(offset..offset + GCM_IV_LENGTH) else { continue };
            iv[..4].copy_from_slice(&self.connection.to_be_bytes());
            iv[4..].copy_from_slice(&self.next.to_be_bytes());
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::message::RequestMessage;
    use keyward_kmip::payloads::RequestPayload;

    use super::*;

    fn fixtures() -> Fixtures {
        Fixtures::stand_ins(100, "bench-key")
    }

    fn decode(message: &Message) -> RequestMessage {
        let root = keyward_ttlv::decode(&message.bytes, &keyward_ttlv::Limits::default()).unwrap();
        RequestMessage::decode(root).unwrap()
    }

    #[test]
    fn encrypt_batches_get_a_new_iv_per_item_and_request() {
        let workload = Workload::build(Op::Encrypt, KmipVersion::V2_1, 3, 100, &fixtures());
        let mut message = workload.messages[0].clone();
        assert_eq!(message.iv_offsets.len(), 3);
        let mut ivs = IvSequence::new(7);
        ivs.patch(&mut message);
        ivs.patch(&mut message);
        let request = decode(&message);
        let seen: Vec<Vec<u8>> = request
            .batch_items
            .iter()
            .map(|item| match &item.as_ref().unwrap().payload {
                RequestPayload::Encrypt(encrypt) => encrypt.iv_counter_nonce.as_ref().unwrap().as_slice().to_vec(),
                other => panic!("{other:?}"),
            })
            .collect();
        let expected: Vec<Vec<u8>> =
            (3u64..6).map(|n| [7u32.to_be_bytes().as_slice(), &n.to_be_bytes()].concat()).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn decrypt_keeps_the_iv_of_its_ciphertext() {
        let workload = Workload::build(Op::Decrypt, KmipVersion::V1_4, 2, 100, &fixtures());
        assert!(workload.messages[0].iv_offsets.is_empty());
    }

    #[test]
    fn mix_turns_through_create_get_and_encrypt() {
        let workload = Workload::build(Op::Mix, KmipVersion::V1_4, 1, 16, &fixtures());
        let operations: Vec<_> =
            workload.messages.iter().map(|m| decode(m).batch_items[0].as_ref().unwrap().operation).collect();
        assert_eq!(operations, [Operation::Create, Operation::Get, Operation::Encrypt]);
    }

    #[test]
    fn batched_items_have_ids_and_go_on_after_a_failure() {
        let workload = Workload::build(Op::Get, KmipVersion::V1_4, 4, 0, &fixtures());
        let request = decode(&workload.messages[0]);
        assert_eq!(request.header.batch_count, 4);
        assert!(request.batch_items.iter().all(|item| item.as_ref().unwrap().unique_batch_item_id.is_some()));
        assert!(request.header.batch_error_continuation_option.is_some());
    }
}
