//! Locate, Get and Get Attributes: finding objects and reading them.

use keyward_kmip::attributes::{Attribute, AttributeRef, Attributes, Name};
use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType, ObjectType, Operation, State};
use keyward_kmip::masks::StorageStatusMask;
use keyward_kmip::payloads::get::{GetRequest, GetResponse};
use keyward_kmip::payloads::get_attributes::GetAttributesRequest;
use keyward_kmip::payloads::locate::LocateRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};

use crate::session::{Session, SessionError, unexpected};

/// What Locate looks for (every given filter must match) and which page of the results to return.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocateFilter {
    pub name: Option<String>,
    pub object_group: Option<String>,
    pub object_type: Option<ObjectType>,
    pub state: Option<State>,
    pub algorithm: Option<CryptographicAlgorithm>,
    /// At most this many identifiers (Maximum Items).
    pub maximum_items: Option<i32>,
    /// Skip this many matches first (Offset Items, KMIP 1.3 and later).
    pub offset_items: Option<i32>,
    /// Search destroyed objects too (the Destroyed Storage bit of the Storage Status Mask, KMIP
    /// 2.0 and later); by default Locate searches on-line objects only.
    pub include_destroyed: bool,
}

/// What Locate found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Located {
    /// How many objects match in all, beyond the page returned (KMIP 1.3 and later servers say).
    pub located_items: Option<i32>,
    /// The page of identifiers, newest first on Keyward.
    pub unique_identifiers: Vec<String>,
}

pub fn locate_request(filter: &LocateFilter) -> RequestPayload {
    let mut attributes = Vec::new();
    if let Some(name) = &filter.name {
        attributes.push(Attribute::Name(Name::text(name.clone())));
    }
    if let Some(group) = &filter.object_group {
        attributes.push(Attribute::ObjectGroup(group.clone()));
    }
    if let Some(object_type) = filter.object_type {
        attributes.push(Attribute::ObjectType(object_type));
    }
    if let Some(state) = filter.state {
        attributes.push(Attribute::State(state));
    }
    if let Some(algorithm) = filter.algorithm {
        attributes.push(Attribute::CryptographicAlgorithm(algorithm));
    }
    RequestPayload::Locate(LocateRequest {
        maximum_items: filter.maximum_items,
        offset_items: filter.offset_items,
        storage_status_mask: filter
            .include_destroyed
            .then_some(StorageStatusMask::OnLineStorage | StorageStatusMask::DestroyedStorage),
        attributes: Attributes::new(attributes),
        ..LocateRequest::default()
    })
}

/// Get of an object as stored, or converted to `format`; never wrapped.
pub fn get_request(uid: &str, format: Option<KeyFormatType>) -> RequestPayload {
    RequestPayload::Get(GetRequest {
        unique_identifier: Some(uid.into()),
        key_format_type: format,
        key_wrap_type: None,
        key_compression_type: None,
        key_wrapping_specification: None,
    })
}

/// Get Attributes of those named; none named asks for all of them.
pub fn get_attributes_request(uid: &str, names: Vec<AttributeRef>) -> RequestPayload {
    RequestPayload::GetAttributes(GetAttributesRequest {
        unique_identifier: Some(uid.into()),
        attribute_reference: names,
    })
}

/// The attributes out of a Get Attributes answer.
pub fn attributes_of(payload: ResponsePayload) -> Result<Vec<Attribute>, SessionError> {
    match payload {
        ResponsePayload::GetAttributes(response) => Ok(response.attribute.into_iter().map(|a| a.attribute).collect()),
        _ => Err(unexpected(Operation::GetAttributes)),
    }
}

impl Session {
    /// The identifiers of the objects that match.
    pub async fn locate(&mut self, filter: &LocateFilter) -> Result<Located, SessionError> {
        match self.call(locate_request(filter)).await? {
            ResponsePayload::Locate(response) => {
                Ok(Located { located_items: response.located_items, unique_identifiers: response.unique_identifier })
            }
            _ => Err(unexpected(Operation::Locate)),
        }
    }

    /// An object with its key material, in the format asked (the stored one when `None`).
    pub async fn get(&mut self, uid: &str, format: Option<KeyFormatType>) -> Result<GetResponse, SessionError> {
        match self.call(get_request(uid, format)).await? {
            ResponsePayload::Get(response) => Ok(response),
            _ => Err(unexpected(Operation::Get)),
        }
    }

    /// The attributes of an object: those named, or all of them.
    pub async fn get_attributes(
        &mut self,
        uid: &str,
        names: Vec<AttributeRef>,
    ) -> Result<Vec<Attribute>, SessionError> {
        attributes_of(self.call(get_attributes_request(uid, names)).await?)
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::Tag;

    use super::*;

    #[test]
    fn every_filter_given_becomes_an_attribute_to_match_and_paging_is_kept() {
        let filter = LocateFilter {
            name: Some("backup".into()),
            object_group: Some("nightly".into()),
            object_type: Some(ObjectType::SymmetricKey),
            state: Some(State::Active),
            algorithm: None,
            maximum_items: Some(10),
            offset_items: Some(20),
            include_destroyed: true,
        };
        let RequestPayload::Locate(request) = locate_request(&filter) else { panic!("not a Locate") };
        let tags: Vec<Tag> = request.attributes.attributes.iter().map(Attribute::tag).collect();
        assert_eq!(tags, [Tag::Name, Tag::ObjectGroup, Tag::ObjectType, Tag::State]);
        assert_eq!((request.maximum_items, request.offset_items), (Some(10), Some(20)));
        assert_eq!(request.storage_status_mask, Some(StorageStatusMask(0b101)));
        let RequestPayload::Locate(everything) = locate_request(&LocateFilter::default()) else { panic!() };
        assert!(everything.attributes.attributes.is_empty());
        assert_eq!(everything.storage_status_mask, None);
    }

    #[test]
    fn get_asks_for_no_wrapping() {
        let RequestPayload::Get(request) = get_request("key-1", Some(KeyFormatType::PKCS_8)) else { panic!() };
        assert_eq!(request.key_format_type, Some(KeyFormatType::PKCS_8));
        assert_eq!(request.key_wrapping_specification, None);
        assert_eq!(request.key_wrap_type, None);
    }
}
