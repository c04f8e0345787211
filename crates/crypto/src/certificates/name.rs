//! Distinguished names: the attributes KMIP knows by name, read from and written to DER.

use der::asn1::{Any, Ia5StringRef, ObjectIdentifier as Oid, PrintableStringRef, Utf8StringRef};
use der::{Decode, Encode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::{CryptoError, CryptoResult};

/// A name attribute KMIP's X.509 Certificate Subject / Issuer fields have a place for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameAttribute {
    CommonName,
    Organization,
    OrganizationalUnit,
    Email,
    Country,
    State,
    Locality,
    Uid,
    SerialNumber,
    Title,
    DomainComponent,
    DnQualifier,
}

impl NameAttribute {
    const ALL: [NameAttribute; 12] = [
        NameAttribute::CommonName,
        NameAttribute::Organization,
        NameAttribute::OrganizationalUnit,
        NameAttribute::Email,
        NameAttribute::Country,
        NameAttribute::State,
        NameAttribute::Locality,
        NameAttribute::Uid,
        NameAttribute::SerialNumber,
        NameAttribute::Title,
        NameAttribute::DomainComponent,
        NameAttribute::DnQualifier,
    ];

    /// The attribute type's OID (X.520, PKCS#9 emailAddress, RFC 4519 uid and dc).
    pub fn oid(self) -> Oid {
        match self {
            NameAttribute::CommonName => Oid::new_unwrap("2.5.4.3"),
            NameAttribute::SerialNumber => Oid::new_unwrap("2.5.4.5"),
            NameAttribute::Country => Oid::new_unwrap("2.5.4.6"),
            NameAttribute::Locality => Oid::new_unwrap("2.5.4.7"),
            NameAttribute::State => Oid::new_unwrap("2.5.4.8"),
            NameAttribute::Organization => Oid::new_unwrap("2.5.4.10"),
            NameAttribute::OrganizationalUnit => Oid::new_unwrap("2.5.4.11"),
            NameAttribute::Title => Oid::new_unwrap("2.5.4.12"),
            NameAttribute::DnQualifier => Oid::new_unwrap("2.5.4.46"),
            NameAttribute::Email => Oid::new_unwrap("1.2.840.113549.1.9.1"),
            NameAttribute::Uid => Oid::new_unwrap("0.9.2342.19200300.100.1.1"),
            NameAttribute::DomainComponent => Oid::new_unwrap("0.9.2342.19200300.100.1.25"),
        }
    }

    /// The attribute an OID names, if it is one of ours.
    pub fn from_oid(oid: &Oid) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.oid() == *oid)
    }

    /// The string type RFC 5280 wants: PrintableString for country, serial number and DN
    /// qualifier, IA5String for email and domain components, UTF8String otherwise.
    fn string_tag(self) -> Tag {
        match self {
            NameAttribute::Country | NameAttribute::SerialNumber | NameAttribute::DnQualifier => Tag::PrintableString,
            NameAttribute::Email | NameAttribute::DomainComponent => Tag::Ia5String,
            _ => Tag::Utf8String,
        }
    }
}

/// One attribute of a name, in the order it appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameEntry {
    /// The attribute, when it is one KMIP names.
    pub attribute: Option<NameAttribute>,
    /// The attribute type's OID in dotted form.
    pub oid: String,
    /// The value as text; values that are not strings are given in hex.
    pub value: String,
}

/// A distinguished name: its DER encoding (KMIP 1.x X.509 Certificate Subject / Issuer Distinguished
/// Name is this byte string) and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinguishedName {
    pub der: Vec<u8>,
    pub entries: Vec<NameEntry>,
}

impl DistinguishedName {
    /// The values of one attribute, in order (a name may hold several, e.g. DC).
    pub fn values(&self, attribute: NameAttribute) -> Vec<&str> {
        self.entries.iter().filter(|e| e.attribute == Some(attribute)).map(|e| e.value.as_str()).collect()
    }

    /// Reads a DER-encoded Name.
    pub fn from_der(der: &[u8]) -> CryptoResult<Self> {
        let name = Name::from_der(der).map_err(|e| CryptoError::input(format!("not a DER Name: {e}")))?;
        let entries = name
            .iter()
            .map(|atv| NameEntry {
                attribute: NameAttribute::from_oid(&atv.oid),
                oid: atv.oid.to_string(),
                value: text_of(&atv.value),
            })
            .collect();
        Ok(DistinguishedName { der: der.to_vec(), entries })
    }

    /// Builds a Name from attributes, one per RDN, in the order given.
    pub fn from_attributes(attributes: &[(NameAttribute, &str)]) -> CryptoResult<Self> {
        let bad = |e: der::Error| CryptoError::input(format!("name attribute: {e}"));
        let mut rdns = RdnSequence::default();
        for (attribute, value) in attributes {
            let value: Any = match attribute.string_tag() {
                Tag::PrintableString => Any::encode_from(&PrintableStringRef::new(value).map_err(bad)?),
                Tag::Ia5String => Any::encode_from(&Ia5StringRef::new(value).map_err(bad)?),
                _ => Any::encode_from(&Utf8StringRef::new(value).map_err(bad)?),
            }
            .map_err(bad)?;
            let atv = AttributeTypeAndValue { oid: attribute.oid(), value };
            rdns.push(RelativeDistinguishedName::try_from(vec![atv]).map_err(bad)?);
        }
        let der = rdns.to_der().map_err(bad)?;
        Self::from_der(&der)
    }

    pub(super) fn to_name(&self) -> CryptoResult<Name> {
        Name::from_der(&self.der).map_err(|e| CryptoError::input(format!("not a DER Name: {e}")))
    }
}

fn text_of(value: &Any) -> String {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString | Tag::VisibleString => {
            String::from_utf8_lossy(value.value()).into_owned()
        }
        Tag::BmpString => {
            let units: Vec<u16> =
                value.value().chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect();
            String::from_utf16_lossy(&units)
        }
        _ => value.value().iter().map(|b| format!("{b:02x}")).collect(),
    }
}
