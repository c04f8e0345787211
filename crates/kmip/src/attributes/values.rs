//! The structured values of attributes (KMIP 2.1 §4, 1.4 §3). Primitive-valued attributes use
//! `String`, `i32`, `bool`, `DateTime`, `Interval` or a dictionary enumeration directly.

use keyward_ttlv::enums::{
    AlternativeNameType, BlockCipherMode, DRBGAlgorithm, FIPS186Variation, HashingAlgorithm, KeyFormatType,
    KeyRoleType, KeyValueLocationType, LinkType, MaskGenerator, NameType, PaddingMethod, RNGAlgorithm,
    RecommendedCurve, RevocationReasonCode, RotateNameType, UsageLimitsUnit,
};
use keyward_ttlv::enums::{CryptographicAlgorithm, DigitalSignatureAlgorithm};

use crate::codec::Bytes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    /// A name of an object: its text and how to read it (2.1 §4.32).
    pub struct Name {
        name_value: one String = NameValue,
        name_type: one NameType = NameType,
    }
}

impl Name {
    pub fn text(value: impl Into<String>) -> Name {
        Name { name_value: value.into(), name_type: NameType::UninterpretedTextString }
    }
}

kmip_struct! {
    /// The name of a set of objects rotated one from another (2.1 §4.53, Table 135): a structure
    /// like Name's, with tags of its own. Not unique: every generation of a rotated key has it.
    pub struct RotateName {
        rotate_name_value: one String = RotateNameValue,
        rotate_name_type: one RotateNameType = RotateNameType,
    }
}

impl RotateName {
    pub fn text(value: impl Into<String>) -> RotateName {
        RotateName { rotate_name_value: value.into(), rotate_name_type: RotateNameType::UninterpretedTextString }
    }
}

kmip_struct! {
    /// How an object is to be used in cryptographic operations (2.1 §4.16). The default has
    /// every field absent.
    #[derive(Default)]
    pub struct CryptographicParameters {
        block_cipher_mode: opt BlockCipherMode = BlockCipherMode,
        padding_method: opt PaddingMethod = PaddingMethod,
        hashing_algorithm: opt HashingAlgorithm = HashingAlgorithm,
        key_role_type: opt KeyRoleType = KeyRoleType,
        digital_signature_algorithm: opt DigitalSignatureAlgorithm = DigitalSignatureAlgorithm,
        cryptographic_algorithm: opt CryptographicAlgorithm = CryptographicAlgorithm,
        random_iv: opt bool = RandomIV,
        iv_length: opt i32 = IVLength,
        tag_length: opt i32 = TagLength,
        fixed_field_length: opt i32 = FixedFieldLength,
        invocation_field_length: opt i32 = InvocationFieldLength,
        counter_length: opt i32 = CounterLength,
        initial_counter_value: opt i32 = InitialCounterValue,
        salt_length: opt i32 = SaltLength,
        mask_generator: opt MaskGenerator = MaskGenerator,
        mask_generator_hashing_algorithm: opt HashingAlgorithm = MaskGeneratorHashingAlgorithm,
        p_source: opt Bytes = PSource,
        trailer_field: opt i32 = TrailerField,
    }
}

kmip_struct! {
    /// Parameters for generating key pairs (2.1 §4.14).
    pub struct CryptographicDomainParameters {
        qlength: opt i32 = Qlength,
        recommended_curve: opt RecommendedCurve = RecommendedCurve,
    }
}

kmip_struct! {
    /// A digest of the object's value (2.1 §4.21).
    pub struct Digest {
        hashing_algorithm: one HashingAlgorithm = HashingAlgorithm,
        digest_value: opt Bytes = DigestValue,
        /// KMIP 1.1 and later.
        key_format_type: opt KeyFormatType = KeyFormatType @ V1_1,
    }
}

kmip_struct! {
    /// A link to another object (2.1 §4.31).
    pub struct Link {
        link_type: one LinkType = LinkType,
        linked_object_identifier: one UniqueIdentifierRef = LinkedObjectIdentifier,
    }
}

kmip_struct! {
    /// How much an object may be used (2.1 §4.59).
    pub struct UsageLimits {
        usage_limits_total: one i64 = UsageLimitsTotal,
        usage_limits_count: opt i64 = UsageLimitsCount,
        usage_limits_unit: one UsageLimitsUnit = UsageLimitsUnit,
    }
}

kmip_struct! {
    /// Why an object was revoked (2.1 §4.47).
    pub struct RevocationReason {
        revocation_reason_code: one RevocationReasonCode = RevocationReasonCode,
        revocation_message: opt String = RevocationMessage,
    }
}

kmip_struct! {
    /// A name the object has in an application's namespace (2.1 §4.4).
    pub struct ApplicationSpecificInformation {
        application_namespace: one String = ApplicationNamespace,
        application_data: opt String = ApplicationData,
    }
}

kmip_struct! {
    /// Another name for the object, such as a serial number or a URI (2.1 §4.2).
    pub struct AlternativeName {
        alternative_name_value: one String = AlternativeNameValue,
        alternative_name_type: one AlternativeNameType = AlternativeNameType,
    }
}

kmip_struct! {
    /// Where a key value not held by the server can be found (2.1 §4.27).
    pub struct KeyValueLocation {
        key_value_location_value: one String = KeyValueLocationValue,
        key_value_location_type: one KeyValueLocationType = KeyValueLocationType,
    }
}

kmip_struct! {
    /// The issuer and serial number of an X.509 certificate (2.1 §4.61).
    pub struct X509CertificateIdentifier {
        issuer_distinguished_name: one Bytes = IssuerDistinguishedName,
        certificate_serial_number: one Bytes = CertificateSerialNumber,
    }
}

kmip_struct! {
    /// The subject of an X.509 certificate (2.1 §4.63).
    pub struct X509CertificateSubject {
        subject_distinguished_name: one Bytes = SubjectDistinguishedName,
        subject_alternative_name: many Bytes = SubjectAlternativeName,
    }
}

kmip_struct! {
    /// The issuer of an X.509 certificate (2.1 §4.62).
    pub struct X509CertificateIssuer {
        issuer_distinguished_name: one Bytes = IssuerDistinguishedName,
        issuer_alternative_name: many Bytes = IssuerAlternativeName,
    }
}

kmip_struct! {
    /// KMIP 1.0's certificate identifier, deprecated since 1.1 (1.4 §3.13).
    pub struct CertificateIdentifier {
        issuer: one String = Issuer,
        serial_number: opt String = SerialNumber,
    }
}

kmip_struct! {
    /// KMIP 1.0's certificate subject, deprecated since 1.1 (1.4 §3.14).
    pub struct CertificateSubject {
        certificate_subject_distinguished_name: one String = CertificateSubjectDistinguishedName,
        certificate_subject_alternative_name: many String = CertificateSubjectAlternativeName,
    }
}

kmip_struct! {
    /// KMIP 1.0's certificate issuer, deprecated since 1.1 (1.4 §3.15).
    pub struct CertificateIssuer {
        certificate_issuer_distinguished_name: one String = CertificateIssuerDistinguishedName,
        certificate_issuer_alternative_name: many String = CertificateIssuerAlternativeName,
    }
}

kmip_struct! {
    /// The random number generator that made an object (2.1 §4.46, the RNG Parameters structure).
    pub struct RngParameters {
        rng_algorithm: one RNGAlgorithm = RNGAlgorithm,
        cryptographic_algorithm: opt CryptographicAlgorithm = CryptographicAlgorithm,
        cryptographic_length: opt i32 = CryptographicLength,
        hashing_algorithm: opt HashingAlgorithm = HashingAlgorithm,
        drbg_algorithm: opt DRBGAlgorithm = DRBGAlgorithm,
        recommended_curve: opt RecommendedCurve = RecommendedCurve,
        fips186_variation: opt FIPS186Variation = FIPS186Variation,
        prediction_resistance: opt bool = PredictionResistance,
    }
}
