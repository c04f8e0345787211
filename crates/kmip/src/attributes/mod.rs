//! Typed attributes, and the rules the specification gives each of them.
//!
//! One table below lists every attribute of KMIP 1.0 to 2.1: its value type and who may set,
//! change or remove it (from the "Attribute Rules" tables of 1.4 §3 and 2.1 §4). The variant is
//! named after the attribute's tag, so the dictionary supplies its tag, its 1.x Attribute Name
//! ("Cryptographic Usage Mask") and the versions it exists in.
//!
//! How attributes travel, as 1.x Attribute structures or 2.x tagged items, is in [`wire`].

mod values;
pub mod wire;

pub use values::*;
pub use wire::{AttributeRef, Attributes, IndexedAttribute, VendorAttribute};

use keyward_ttlv::enums::{
    CertificateType, CryptographicAlgorithm, DigitalSignatureAlgorithm, KeyFormatType, NISTKeyType, ObjectType,
    OpaqueDataType, ProtectionLevel, State,
};
use keyward_ttlv::masks::{CryptographicUsageMask, ProtectionStorageMask};
use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::codec::{Bytes, Codec, Cx, DateTime, Interval};
use crate::error::ModelResult;

/// What a client may do with an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Rules {
    /// An object may have several instances.
    pub multiple: bool,
    /// A client may give it when it creates or registers an object.
    pub client_sets: bool,
    /// A client may add it to an existing object (Add Attribute, 2.x Set Attribute).
    pub client_adds: bool,
    /// A client may change it (Modify Attribute; some only in some states).
    pub client_modifies: bool,
    /// A client may delete it.
    pub client_deletes: bool,
}

/// Flags of the table, read left to right: multiple, set, add, modify, delete.
macro_rules! rules {
    ($($flag:ident)*) => {{
        #[allow(unused_mut)]
        let mut rules = Rules::default();
        $( rules!(@set rules $flag); )*
        rules
    }};
    (@set $r:ident multi) => { $r.multiple = true };
    (@set $r:ident set) => { $r.client_sets = true };
    (@set $r:ident add) => { $r.client_adds = true };
    (@set $r:ident modify) => { $r.client_modifies = true };
    (@set $r:ident delete) => { $r.client_deletes = true };
}

macro_rules! attributes {
    ($( $(#[$meta:meta])* $variant:ident ( $ty:ty ) [$($flag:ident)*]; )*) => {
        /// An attribute of a managed object, with its value. Variants are named after their tags,
        /// spelling included (`X_509CertificateIdentifier`).
        #[allow(non_camel_case_types)]
        #[derive(Clone, Debug, PartialEq)]
        pub enum Attribute {
            $( $(#[$meta])* $variant($ty), )*
            /// A vendor attribute (2.x), or a 1.x custom attribute (`x-` from clients, `y-` from
            /// servers), of any item type.
            Vendor(VendorAttribute),
        }

        impl Attribute {
            /// The tag of the attribute (`Tag::Attribute` for vendor attributes).
            pub fn tag(&self) -> Tag {
                match self {
                    $( Attribute::$variant(_) => Tag::$variant, )*
                    Attribute::Vendor(_) => Tag::Attribute,
                }
            }

            /// Decodes the value of the attribute with this tag; `None` when the tag is not an
            /// attribute.
            pub fn decode_value(tag: Tag, value: ItemRef<'_>, cx: &Cx) -> ModelResult<Option<Attribute>> {
                if is_rotation(tag) && !cx.has(tag) {
                    return Err(crate::error::ModelError::UnknownAttribute(format!(
                        "{} (KMIP 2.1 and later)", keyward_ttlv::dictionary::tag_def(tag).map_or("a rotation attribute", |d| d.name)
                    )));
                }
                Ok(Some(match tag {
                    $( Tag::$variant => Attribute::$variant(<$ty as Codec>::decode(value, cx)?), )*
                    _ => return Ok(None),
                }))
            }

            /// Encodes the value under `tag` (the attribute's own tag in 2.x, Attribute Value in a
            /// 1.x Attribute structure).
            pub fn encode_value(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
                match self {
                    $( Attribute::$variant(value) => value.encode(tag, out, cx), )*
                    Attribute::Vendor(vendor) => vendor.encode_value(tag, out),
                }
            }
        }

        /// The rules of the attribute with this tag; `None` when the tag is not an attribute.
        pub fn rules_for(tag: Tag) -> Option<Rules> {
            match tag {
                $( Tag::$variant => Some(rules!($($flag)*)), )*
                _ => None,
            }
        }

        /// Every attribute tag, in the order of the table.
        pub const ATTRIBUTE_TAGS: &[Tag] = &[ $( Tag::$variant, )* ];
    };
}

attributes! {
    UniqueIdentifier(String) [];
    Name(Name) [multi set add modify delete];
    ObjectType(ObjectType) [];
    CryptographicAlgorithm(CryptographicAlgorithm) [set];
    CryptographicLength(i32) [set];
    CryptographicParameters(CryptographicParameters) [multi set add modify delete];
    CryptographicDomainParameters(CryptographicDomainParameters) [set];
    CertificateType(CertificateType) [];
    CertificateLength(i32) [];
    /// KMIP 1.1 and later.
    X_509CertificateIdentifier(X509CertificateIdentifier) [];
    X_509CertificateSubject(X509CertificateSubject) [];
    X_509CertificateIssuer(X509CertificateIssuer) [];
    /// KMIP 1.0 (deprecated from 1.1, gone in 2.0).
    CertificateIdentifier(CertificateIdentifier) [];
    CertificateSubject(CertificateSubject) [];
    CertificateIssuer(CertificateIssuer) [];
    DigitalSignatureAlgorithm(DigitalSignatureAlgorithm) [multi];
    Digest(Digest) [multi];
    /// KMIP 1.x only; kept with the object and returned to 1.x clients.
    OperationPolicyName(String) [set add];
    CryptographicUsageMask(CryptographicUsageMask) [set add];
    LeaseTime(Interval) [];
    UsageLimits(UsageLimits) [set add modify delete];
    State(State) [];
    InitialDate(DateTime) [];
    ActivationDate(DateTime) [set add modify];
    ProcessStartDate(DateTime) [set add modify];
    ProtectStopDate(DateTime) [set add modify];
    DeactivationDate(DateTime) [set add modify];
    DestroyDate(DateTime) [];
    CompromiseOccurrenceDate(DateTime) [];
    CompromiseDate(DateTime) [];
    RevocationReason(RevocationReason) [];
    ArchiveDate(DateTime) [];
    ObjectGroup(String) [multi set add modify delete];
    Fresh(bool) [set add];
    Link(Link) [multi set add modify delete];
    ApplicationSpecificInformation(ApplicationSpecificInformation) [multi set add modify delete];
    ContactInformation(String) [set add modify delete];
    LastChangeDate(DateTime) [];
    AlternativeName(AlternativeName) [multi set add modify delete];
    KeyValuePresent(bool) [];
    KeyValueLocation(KeyValueLocation) [multi set add modify delete];
    OriginalCreationDate(DateTime) [set add];
    RandomNumberGenerator(RngParameters) [set add];
    PKCS_12FriendlyName(String) [set add modify delete];
    Description(String) [set add modify delete];
    Comment(String) [set add modify delete];
    Sensitive(bool) [set add modify];
    AlwaysSensitive(bool) [];
    Extractable(bool) [set add modify];
    NeverExtractable(bool) [];
    /// The fields of a certificate's subject and issuer (KMIP 1.4 and later).
    CertificateSubjectCN(String) [multi];
    CertificateSubjectO(String) [multi];
    CertificateSubjectOU(String) [multi];
    CertificateSubjectEmail(String) [multi];
    CertificateSubjectC(String) [multi];
    CertificateSubjectST(String) [multi];
    CertificateSubjectL(String) [multi];
    CertificateSubjectUID(String) [multi];
    CertificateSubjectSerialNumber(String) [multi];
    CertificateSubjectTitle(String) [multi];
    CertificateSubjectDC(String) [multi];
    CertificateSubjectDNQualifier(String) [multi];
    CertificateIssuerCN(String) [multi];
    CertificateIssuerO(String) [multi];
    CertificateIssuerOU(String) [multi];
    CertificateIssuerEmail(String) [multi];
    CertificateIssuerC(String) [multi];
    CertificateIssuerST(String) [multi];
    CertificateIssuerL(String) [multi];
    CertificateIssuerUID(String) [multi];
    CertificateIssuerSerialNumber(String) [multi];
    CertificateIssuerTitle(String) [multi];
    CertificateIssuerDC(String) [multi];
    CertificateIssuerDNQualifier(String) [multi];
    /// KMIP 2.0 and later.
    KeyFormatType(KeyFormatType) [];
    NISTKeyType(NISTKeyType) [set add modify delete];
    OpaqueDataType(OpaqueDataType) [set];
    ProtectionLevel(ProtectionLevel) [set add modify delete];
    ProtectionPeriod(Interval) [set add modify delete];
    ProtectionStorageMask(ProtectionStorageMask) [set];
    QuantumSafe(bool) [set add modify delete];
    ShortUniqueIdentifier(Bytes) [];
    /// KMIP 2.1 key rotation (§4.48-4.54). Rotate Automatic, Interval and Offset are "initially
    /// set by client or server", never modified or deleted by a client (Tables 126, 132, 138);
    /// Rotate Date, Generation and Latest are the server's (Tables 128, 130, 134); Rotate Name is
    /// the client's (Table 136).
    RotateAutomatic(bool) [set add];
    RotateDate(DateTime) [];
    RotateGeneration(i32) [];
    RotateInterval(Interval) [set add];
    RotateLatest(bool) [];
    RotateName(RotateName) [set add modify delete];
    RotateOffset(Interval) [set add];
}

/// The rotation attributes (2.1 §4.48-4.54): a client of an earlier version may not give them,
/// since the server acts on them (it rotates the object) and that client could never see or undo
/// them. Other attributes of a later version are still read as before.
fn is_rotation(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::RotateAutomatic
            | Tag::RotateDate
            | Tag::RotateGeneration
            | Tag::RotateInterval
            | Tag::RotateLatest
            | Tag::RotateName
            | Tag::RotateOffset
    )
}

/// True when the attribute of `tag` exists in the version of `cx`. The tag says so for every
/// attribute but Key Format Type: a field of the Key Block since 1.0, an attribute only since 2.0
/// (2.1 §4.26), which 1.x clients such as PyKMIP cannot read as one.
pub fn attribute_exists(tag: Tag, cx: &Cx) -> bool {
    cx.has(tag) && !(tag == Tag::KeyFormatType && cx.is_1x() && !cx.keep_all_fields)
}

impl Attribute {
    /// The rules of this attribute. Client (`x-`) custom and vendor attributes may be set, added,
    /// changed and deleted by clients, and have any number of instances; server (`y-`) ones none
    /// of that.
    pub fn rules(&self) -> Rules {
        match self {
            Attribute::Vendor(vendor) if vendor.is_server_custom() => Rules { multiple: true, ..Rules::default() },
            Attribute::Vendor(_) => Rules {
                multiple: true,
                client_sets: true,
                client_adds: true,
                client_modifies: true,
                client_deletes: true,
            },
            other => rules_for(other.tag()).unwrap_or_default(),
        }
    }

    /// The reference that names this attribute (its tag, or its vendor and name).
    pub fn reference(&self) -> AttributeRef {
        match self {
            Attribute::Vendor(vendor) => {
                AttributeRef::Vendor { vendor: vendor.vendor.clone(), name: vendor.name.clone() }
            }
            other => AttributeRef::Standard(other.tag()),
        }
    }
}
