//! The structures a Query response describes a server (or client) with: KMIP 2.1 §7.5, 7.11,
//! 7.13, 7.22, 7.31, 7.32, 7.37, 7.41 and 1.4 §2.1.9, 2.1.19-2.1.21. The RNG Parameters are
//! `crate::attributes::RngParameters`.

use keyward_ttlv::enums::{
    DestroyAction, ItemType, ObjectType, ProfileName, RNGMode, ShreddingAlgorithm, UnwrapMode, ValidationAuthorityType,
    ValidationType,
};
use keyward_ttlv::{Encoder, Item, ItemRef, ItemType as WireType, Tag, ValueRef};

use crate::attributes::Attributes;
use crate::codec::{Codec, Cx, expect_structure, field, wrong_type};
use crate::error::ModelResult;
use crate::kmip_struct;
use crate::payloads::common::{ObjectGroups, ObjectTypes};

/// Facts about the server (2.1 §7.37). KMIP 1.x leaves the content to the vendor; 2.x names
/// the fields below and allows vendor-specific items besides. Items under other tags are kept
/// in `vendor_specific`, in any version, and written back after the named fields.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ServerInformation {
    pub server_name: Option<String>,
    pub server_serial_number: Option<String>,
    pub server_version: Option<String>,
    pub server_load: Option<String>,
    pub product_name: Option<String>,
    pub build_level: Option<String>,
    pub build_date: Option<String>,
    pub cluster_info: Option<String>,
    pub alternate_failover_endpoints: Vec<String>,
    pub vendor_specific: Vec<Item>,
}

impl Codec for ServerInformation {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut info = ServerInformation::default();
        let parent = item.tag();
        for child in item.children() {
            match child.tag() {
                Tag::ServerName => field::set_once(&mut info.server_name, parent, child, cx)?,
                Tag::ServerSerialNumber => field::set_once(&mut info.server_serial_number, parent, child, cx)?,
                Tag::ServerVersion => field::set_once(&mut info.server_version, parent, child, cx)?,
                Tag::ServerLoad => field::set_once(&mut info.server_load, parent, child, cx)?,
                Tag::ProductName => field::set_once(&mut info.product_name, parent, child, cx)?,
                Tag::BuildLevel => field::set_once(&mut info.build_level, parent, child, cx)?,
                Tag::BuildDate => field::set_once(&mut info.build_date, parent, child, cx)?,
                Tag::ClusterInfo => field::set_once(&mut info.cluster_info, parent, child, cx)?,
                Tag::AlternateFailoverEndpoints => info.alternate_failover_endpoints.push(String::decode(child, cx)?),
                _ => info.vendor_specific.push(child.to_owned_item()),
            }
        }
        Ok(info)
    }

    /// The named fields exist from KMIP 2.0 on and are left out of 1.x messages.
    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        field::encode_opt(&self.server_name, Tag::ServerName, out, cx);
        field::encode_opt(&self.server_serial_number, Tag::ServerSerialNumber, out, cx);
        field::encode_opt(&self.server_version, Tag::ServerVersion, out, cx);
        field::encode_opt(&self.server_load, Tag::ServerLoad, out, cx);
        field::encode_opt(&self.product_name, Tag::ProductName, out, cx);
        field::encode_opt(&self.build_level, Tag::BuildLevel, out, cx);
        field::encode_opt(&self.build_date, Tag::BuildDate, out, cx);
        field::encode_opt(&self.cluster_info, Tag::ClusterInfo, out, cx);
        field::encode_all(&self.alternate_failover_endpoints, Tag::AlternateFailoverEndpoints, out, cx);
        for item in &self.vendor_specific {
            out.item(item);
        }
        out.end(open);
    }
}

/// The item type of an extension: an Integer in 1.x (1.4 §2.1.9), an Item Type enumeration in
/// 2.x (2.1 §7.13). Either is read; the form of the message's version is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtensionType(pub ItemType);

impl Codec for ExtensionType {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::Enumeration(value) => Ok(ExtensionType(ItemType(value))),
            ValueRef::Integer(value) => Ok(ExtensionType(ItemType(value as u32))),
            _ => Err(wrong_type(item, WireType::Enumeration)),
        }
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        if cx.is_1x() {
            out.integer(tag, self.0.0 as i32);
        } else {
            out.enumeration(tag, self.0.0);
        }
    }
}

kmip_struct! {
    /// An extension (a tag in the 0x54XXXX range) the server supports (2.1 §7.13, 1.4 §2.1.9;
    /// KMIP 1.1 and later; the fields after Extension Type are 2.x).
    pub struct ExtensionInformation {
        extension_name: one String = ExtensionName,
        extension_tag: opt i32 = ExtensionTag,
        extension_type: opt ExtensionType = ExtensionType,
        extension_enumeration: opt i32 = ExtensionEnumeration,
        extension_attribute: opt bool = ExtensionAttribute,
        extension_parent_structure_tag: opt i32 = ExtensionParentStructureTag,
        extension_description: opt String = ExtensionDescription,
    }
}

kmip_struct! {
    /// The version of a profile (2.1 §7.32; KMIP 2.0 and later).
    pub struct ProfileVersion {
        profile_version_major: one i32 = ProfileVersionMajor,
        profile_version_minor: one i32 = ProfileVersionMinor,
    }
}

kmip_struct! {
    /// A profile the server supports, and where (2.1 §7.31, 1.4 §2.1.19; KMIP 1.3 and later).
    pub struct ProfileInformation {
        profile_name: one ProfileName = ProfileName,
        /// KMIP 2.0 and later.
        profile_version: opt ProfileVersion = ProfileVersion,
        server_uri: opt String = ServerURI,
        server_port: opt i32 = ServerPort,
    }
}

kmip_struct! {
    /// A formal validation the server claims, such as FIPS 140 (2.1 §7.41, 1.4 §2.1.20; KMIP
    /// 1.3 and later).
    pub struct ValidationInformation {
        validation_authority_type: one ValidationAuthorityType = ValidationAuthorityType,
        validation_authority_country: opt String = ValidationAuthorityCountry,
        validation_authority_uri: opt String = ValidationAuthorityURI,
        validation_version_major: one i32 = ValidationVersionMajor,
        validation_version_minor: opt i32 = ValidationVersionMinor,
        validation_type: one ValidationType = ValidationType,
        validation_level: one i32 = ValidationLevel,
        validation_certificate_identifier: opt String = ValidationCertificateIdentifier,
        validation_certificate_uri: opt String = ValidationCertificateURI,
        validation_vendor_uri: opt String = ValidationVendorURI,
        validation_profile: many String = ValidationProfile,
    }
}

kmip_struct! {
    /// What the server can do (2.1 §7.5, 1.4 §2.1.21; KMIP 1.3 and later; the batch
    /// capabilities are 1.4, Quantum Safe 2.0).
    pub struct CapabilityInformation {
        streaming_capability: opt bool = StreamingCapability,
        asynchronous_capability: opt bool = AsynchronousCapability,
        attestation_capability: opt bool = AttestationCapability,
        batch_undo_capability: opt bool = BatchUndoCapability,
        batch_continue_capability: opt bool = BatchContinueCapability,
        unwrap_mode: opt UnwrapMode = UnwrapMode,
        destroy_action: opt DestroyAction = DestroyAction,
        shredding_algorithm: opt ShreddingAlgorithm = ShreddingAlgorithm,
        rng_mode: opt RNGMode = RNGMode,
        quantum_safe_capability: opt bool = QuantumSafeCapability,
    }
}

kmip_struct! {
    /// The attributes the server gives objects of some types when the client does not (2.1
    /// §7.22; KMIP 2.0 and later). 2.0 names one Object Type; 2.1 may name several in Object
    /// Types instead, and restrict the defaults to some Object Groups.
    pub struct ObjectDefaults {
        object_type: opt ObjectType = ObjectType,
        object_types: opt ObjectTypes = ObjectTypes,
        attributes: one Attributes = Attributes,
        object_groups: opt ObjectGroups = ObjectGroups,
    }
}

kmip_struct! {
    /// The server's defaults (2.1 §7.11; KMIP 2.0 and later).
    pub struct DefaultsInformation {
        object_defaults: many ObjectDefaults = ObjectDefaults,
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_4, V2_1};
    use keyward_ttlv::Value;

    use super::*;
    use crate::payloads::test_support::{assert_encodes_to, assert_wire_form};

    fn server_information() -> ServerInformation {
        ServerInformation {
            product_name: Some("Keyward".into()),
            alternate_failover_endpoints: vec!["kms2:5696".into()],
            vendor_specific: vec![Item::new(Tag(0x54_0001), Value::TextString("lab".into()))],
            ..ServerInformation::default()
        }
    }

    #[test]
    fn server_information_names_its_fields_in_2x_and_keeps_vendor_items_in_every_version() {
        let v21 = r#"<ServerInformation>
            <ProductName type="TextString" value="Keyward"/>
            <AlternateFailoverEndpoints type="TextString" value="kms2:5696"/>
            <TTLV tag="0x540001" type="TextString" value="lab"/>
        </ServerInformation>"#;
        let v14 = r#"<ServerInformation>
            <TTLV tag="0x540001" type="TextString" value="lab"/>
        </ServerInformation>"#;
        assert_wire_form(&server_information(), v21, V2_1);
        assert_encodes_to(&server_information(), v14, V1_4);
    }

    #[test]
    fn extension_type_is_an_integer_in_1x_and_an_item_type_in_2x() {
        let extension = ExtensionInformation {
            extension_name: "Lab Note".into(),
            extension_tag: Some(0x54_0001),
            extension_type: Some(ExtensionType(ItemType::TextString)),
            extension_enumeration: None,
            extension_attribute: Some(false),
            extension_parent_structure_tag: None,
            extension_description: None,
        };
        let v14 = r#"<ExtensionInformation>
            <ExtensionName type="TextString" value="Lab Note"/>
            <ExtensionTag type="Integer" value="5505025"/>
            <ExtensionType type="Integer" value="7"/>
        </ExtensionInformation>"#;
        let v21 = r#"<ExtensionInformation>
            <ExtensionName type="TextString" value="Lab Note"/>
            <ExtensionTag type="Integer" value="5505025"/>
            <ExtensionType type="Enumeration" value="TextString"/>
            <ExtensionAttribute type="Boolean" value="false"/>
        </ExtensionInformation>"#;
        assert_encodes_to(&extension, v14, V1_4);
        assert_wire_form(&extension, v21, V2_1);
    }
}
