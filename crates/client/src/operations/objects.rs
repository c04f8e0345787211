//! Create, Create Key Pair, Register and Re-key: the calls that make new objects.

use keyward_kmip::Interval;
use keyward_kmip::attributes::{Attribute, Attributes};
use keyward_kmip::enums::{ObjectType, Operation};
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::payloads::create::CreateRequest;
use keyward_kmip::payloads::create_key_pair::CreateKeyPairRequest;
use keyward_kmip::payloads::re_key::ReKeyRequest;
use keyward_kmip::payloads::register::RegisterRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};

use crate::session::{Session, SessionError, unexpected};

/// The identifiers of a new key pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPairIds {
    pub private_key: String,
    pub public_key: String,
}

/// Create of an object the server generates (a symmetric key, or Secret Data in 2.x).
pub fn create_request(object_type: ObjectType, attributes: Vec<Attribute>) -> RequestPayload {
    RequestPayload::Create(CreateRequest {
        object_type,
        attributes: Attributes::new(attributes),
        protection_storage_masks: None,
    })
}

/// Create Key Pair with attributes for both keys and for each.
pub fn create_key_pair_request(
    common: Vec<Attribute>,
    private: Vec<Attribute>,
    public: Vec<Attribute>,
) -> RequestPayload {
    let some = |attributes: Vec<Attribute>| (!attributes.is_empty()).then(|| Attributes::new(attributes));
    RequestPayload::CreateKeyPair(CreateKeyPairRequest {
        // KMIP 1.x requires the common template; an empty one is harmless in 2.x too.
        common_attributes: Some(Attributes::new(common)),
        private_key_attributes: some(private),
        public_key_attributes: some(public),
        common_protection_storage_masks: None,
        private_protection_storage_masks: None,
        public_protection_storage_masks: None,
    })
}

/// Register of an object the client made.
pub fn register_request(object: ManagedObject, attributes: Vec<Attribute>) -> RequestPayload {
    RequestPayload::Register(RegisterRequest {
        object_type: object.object_type(),
        attributes: Attributes::new(attributes),
        object: Some(object),
        protection_storage_masks: None,
    })
}

/// Re-key; `offset` is the time from the replacement's Initial Date to its Activation Date.
pub fn re_key_request(uid: &str, offset: Option<Interval>) -> RequestPayload {
    RequestPayload::ReKey(ReKeyRequest {
        unique_identifier: Some(uid.into()),
        offset,
        attributes: None,
        protection_storage_masks: None,
    })
}

impl Session {
    /// Creates an object the server generates; returns its identifier.
    pub async fn create(
        &mut self,
        object_type: ObjectType,
        attributes: Vec<Attribute>,
    ) -> Result<String, SessionError> {
        match self.call(create_request(object_type, attributes)).await? {
            ResponsePayload::Create(response) => Ok(response.unique_identifier),
            _ => Err(unexpected(Operation::Create)),
        }
    }

    /// Creates a symmetric key from its attributes (algorithm, length, name...).
    pub async fn create_symmetric_key(&mut self, attributes: Vec<Attribute>) -> Result<String, SessionError> {
        self.create(ObjectType::SymmetricKey, attributes).await
    }

    /// Creates a key pair.
    pub async fn create_key_pair(
        &mut self,
        common: Vec<Attribute>,
        private: Vec<Attribute>,
        public: Vec<Attribute>,
    ) -> Result<KeyPairIds, SessionError> {
        match self.call(create_key_pair_request(common, private, public)).await? {
            ResponsePayload::CreateKeyPair(response) => Ok(KeyPairIds {
                private_key: response.private_key_unique_identifier,
                public_key: response.public_key_unique_identifier,
            }),
            _ => Err(unexpected(Operation::CreateKeyPair)),
        }
    }

    /// Registers an object; returns its identifier.
    pub async fn register(
        &mut self,
        object: ManagedObject,
        attributes: Vec<Attribute>,
    ) -> Result<String, SessionError> {
        match self.call(register_request(object, attributes)).await? {
            ResponsePayload::Register(response) => Ok(response.unique_identifier),
            _ => Err(unexpected(Operation::Register)),
        }
    }

    /// Replaces a symmetric key with a new one; returns the new key's identifier.
    pub async fn re_key(&mut self, uid: &str, offset: Option<Interval>) -> Result<String, SessionError> {
        match self.call(re_key_request(uid, offset)).await? {
            ResponsePayload::ReKey(response) => Ok(response.unique_identifier),
            _ => Err(unexpected(Operation::ReKey)),
        }
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::enums::CryptographicAlgorithm;

    use super::*;

    #[test]
    fn a_key_pair_request_leaves_out_empty_halves_but_keeps_the_common_template() {
        let common = vec![Attribute::CryptographicAlgorithm(CryptographicAlgorithm::EC)];
        let RequestPayload::CreateKeyPair(request) = create_key_pair_request(common, Vec::new(), Vec::new()) else {
            panic!("not a Create Key Pair");
        };
        assert_eq!(request.common_attributes.map(|a| a.attributes.len()), Some(1));
        assert_eq!(request.private_key_attributes, None);
        assert_eq!(request.public_key_attributes, None);
    }

    #[test]
    fn re_key_carries_the_offset() {
        let RequestPayload::ReKey(request) = re_key_request("key-1", Some(Interval(3600))) else {
            panic!("not a Re-key");
        };
        assert_eq!(request.unique_identifier, Some("key-1".into()));
        assert_eq!(request.offset, Some(Interval(3600)));
    }
}
