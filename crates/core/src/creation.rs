//! What every new object gets, whichever operation makes it (Create, Register, later Create Key
//! Pair, Derive Key, Re-key...): the attributes the client gave, checked against the rules, and
//! the attributes only the server sets.

use keyward_kmip::attributes::{Attribute, Attributes, IndexedAttribute, Link, Name};
use keyward_kmip::enums::{LinkType, ObjectType};
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::{DateTime, UniqueIdentifierRef};
use keyward_store::{IndexTerm, StoredObject};

use crate::attributes::{add, find, set};
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::lifecycle;

/// Checks the attributes a client gives for a new object: only attributes a client may set,
/// no server (`y-`) custom attributes, one instance of single-instance attributes.
pub fn check_client_attributes(attributes: &[Attribute]) -> OpResult<()> {
    for (position, attribute) in attributes.iter().enumerate() {
        let reference = attribute.reference();
        if !attribute.rules().client_sets {
            return Err(OpError::ReadOnlyAttribute(reference.name()));
        }
        let repeated = attributes[..position].iter().any(|earlier| reference.matches(earlier));
        if repeated && !attribute.rules().multiple {
            return Err(OpError::SingleValuedAttribute(reference.name()));
        }
    }
    Ok(())
}

/// Refuses a Name another live object of the same owner already has (1.4 §11.2: "Trying to create
/// a new object with the same Name attribute value as an existing object"). Destroyed objects
/// release their names, so a client can register a replacement under the old name.
pub fn check_name_unique(cx: &Context<'_>, name: &Name, except: Option<&str>) -> OpResult<()> {
    for uid in cx.candidates(vec![IndexTerm::name(&name.name_value)])? {
        if Some(uid.as_str()) == except {
            continue;
        }
        let Ok(other) = cx.load(&uid) else { continue };
        let destroyed = matches!(
            lifecycle::stored_state(&other),
            keyward_kmip::enums::State::Destroyed | keyward_kmip::enums::State::DestroyedCompromised
        );
        let same = other
            .attributes
            .iter()
            .any(|a| matches!(&a.attribute, Attribute::Name(n) if n.name_value == name.name_value));
        if same && !destroyed {
            return Err(OpError::NonUniqueName(name.name_value.clone()));
        }
    }
    Ok(())
}

/// Builds a new stored object: the client's attributes (checked), then what the server sets:
/// identifier, type, state, dates, digest, algorithm and length from the key block, and the
/// sensitivity flags.
pub fn new_object(
    cx: &Context<'_>,
    object: Option<ManagedObject>,
    object_type: ObjectType,
    client_attributes: Vec<Attribute>,
    generated_by_server: bool,
) -> OpResult<StoredObject> {
    check_client_attributes(&client_attributes)?;
    for attribute in &client_attributes {
        if let Attribute::Name(name) = attribute {
            check_name_unique(cx, name, None)?;
        }
    }
    let now = DateTime(cx.now);
    let unique_identifier = cx.new_unique_identifier();
    let mut stored = StoredObject {
        unique_identifier: unique_identifier.clone(),
        owner: cx.client.name.clone(),
        object: None,
        attributes: Vec::with_capacity(client_attributes.len() + 12),
        revision: 0,
    };
    stored.attributes.push(IndexedAttribute::new(Attribute::UniqueIdentifier(unique_identifier)));
    stored.attributes.push(IndexedAttribute::new(Attribute::ObjectType(object_type)));
    for attribute in client_attributes {
        // A client's Usage Limits Count is ignored: the count starts at the total.
        add(&mut stored, crate::usage_limits::from_client(attribute));
    }

    let activation = find(&stored, |a| if let Attribute::ActivationDate(d) = a { Some(*d) } else { None });
    set(&mut stored, Attribute::State(lifecycle::initial_state(activation, cx.now)));
    // "Set based on attributes values, such as dates" (2.1 Table 304): a replacement whose
    // Deactivation Date has passed too, copied from its predecessor, starts out Deactivated.
    lifecycle::refresh(&mut stored, cx.now);
    set(&mut stored, Attribute::InitialDate(now));
    set(&mut stored, Attribute::LastChangeDate(now));
    if generated_by_server {
        if find(&stored, |a| matches!(a, Attribute::OriginalCreationDate(_)).then_some(())).is_none() {
            set(&mut stored, Attribute::OriginalCreationDate(now));
        }
        set(&mut stored, Attribute::RandomNumberGenerator(server_rng()));
    }
    if let Some(managed) = &object {
        for digest in crate::digest::digests(managed, cx.version) {
            add(&mut stored, Attribute::Digest(digest));
        }
        if let Some(block) = managed.key_block() {
            set(&mut stored, Attribute::KeyFormatType(block.key_format_type));
            if let Some(algorithm) = block.cryptographic_algorithm {
                set(&mut stored, Attribute::CryptographicAlgorithm(algorithm));
            }
            if let Some(length) = block.cryptographic_length {
                set(&mut stored, Attribute::CryptographicLength(length));
            }
        }
    }
    if find(&stored, |a| matches!(a, Attribute::Fresh(_)).then_some(())).is_none() {
        set(&mut stored, Attribute::Fresh(true));
    }
    // Objects are kept in software (KMIP 2.x; 1.x clients do not see this attribute).
    if find(&stored, |a| matches!(a, Attribute::ProtectionStorageMask(_)).then_some(())).is_none() {
        set(&mut stored, Attribute::ProtectionStorageMask(keyward_kmip::masks::ProtectionStorageMask::Software));
    }
    let sensitive = find(&stored, |a| if let Attribute::Sensitive(s) = a { Some(*s) } else { None });
    let extractable = find(&stored, |a| if let Attribute::Extractable(e) = a { Some(*e) } else { None });
    set(&mut stored, Attribute::Sensitive(sensitive.unwrap_or(false)));
    set(&mut stored, Attribute::AlwaysSensitive(sensitive.unwrap_or(false)));
    set(&mut stored, Attribute::Extractable(extractable.unwrap_or(true)));
    set(&mut stored, Attribute::NeverExtractable(!extractable.unwrap_or(true)));
    check_quantum_safe(&stored)?;
    crate::operation_policy::record_creator(cx, &mut stored);
    stored.object = object;
    Ok(stored)
}

/// Refuses an object its client requires to be Quantum Safe (2.1 §4.45) when its algorithm is not.
/// Grover's search halves the strength of a symmetric key against a quantum computer, so only keys
/// of 256 bits or more keep 128 bits of security; RSA, DSA, DH and elliptic curves fall to Shor's
/// algorithm whatever their size. Objects without a Cryptographic Algorithm (opaque data, secrets)
/// say nothing the server could check, and are taken as the client describes them.
fn check_quantum_safe(stored: &StoredObject) -> OpResult<()> {
    use keyward_kmip::enums::CryptographicAlgorithm as A;
    if find(stored, |a| if let Attribute::QuantumSafe(q) = a { Some(*q) } else { None }) != Some(true) {
        return Ok(());
    }
    let Some(algorithm) = find(stored, |a| if let Attribute::CryptographicAlgorithm(x) = a { Some(*x) } else { None })
    else {
        return Ok(());
    };
    let length = find(stored, |a| if let Attribute::CryptographicLength(x) = a { Some(*x) } else { None });
    let post_quantum = [A::XMSS, A::SPHINCS_256, A::McEliece, A::McEliece_6960119, A::McEliece_8192128];
    let classical_asymmetric =
        [A::RSA, A::DSA, A::ECDSA, A::DH, A::ECDH, A::ECMQV, A::EC, A::Ed25519, A::Ed448, A::SM2, A::GOSTR34_10_2012];
    let safe = if post_quantum.contains(&algorithm) {
        true
    } else if classical_asymmetric.contains(&algorithm) {
        false
    } else {
        length.is_some_and(|bits| bits >= 256)
    };
    if safe {
        Ok(())
    } else {
        Err(OpError::GeneralFailure(format!("{algorithm:?} of {} bits is not quantum safe", length.unwrap_or(0))))
    }
}

/// The attributes of one key of a pair (Create Key Pair, Re-key Key Pair): the common attributes,
/// then the key's own, which take precedence for single-instance attributes; multi-instance
/// attributes are the union of both (2.1 §6.1.9, 1.4 §4.2). 1.x templates are expanded first, so
/// the order of precedence is the one 1.4 §4.2 lists.
pub fn key_pair_attributes(
    cx: &Context<'_>,
    common: Option<&Attributes>,
    own: Option<&Attributes>,
) -> OpResult<Vec<Attribute>> {
    let common = match common {
        Some(common) => expand_templates(cx, common)?,
        None => Vec::new(),
    };
    let own = match own {
        Some(own) => expand_templates(cx, own)?,
        None => Vec::new(),
    };
    Ok(crate::attributes::overlay(common, own))
}

/// Refuses attributes that would give both keys of a pair the same Name. 1.4 §4.2 and 2.1
/// §6.1.9 count Name among the "attributes not common to both keys", for the Private and Public
/// Key attributes; a Name in the common attributes (or the same Name in both) would make the
/// second key clash with the first, and the client should hear that, not that some other object
/// holds the name.
pub fn check_names_apart(private: &[Attribute], public: &[Attribute]) -> OpResult<()> {
    for attribute in private {
        if let Attribute::Name(name) = attribute
            && public.iter().any(|other| matches!(other, Attribute::Name(n) if n.name_value == name.name_value))
        {
            return Err(OpError::NameForBothKeys(name.name_value.clone()));
        }
    }
    Ok(())
}

/// Adds a Link of `link_type` to the object `uid`.
pub fn add_link(stored: &mut StoredObject, link_type: LinkType, uid: &str) {
    let link = Link { link_type, linked_object_identifier: UniqueIdentifierRef::Text(uid.to_string()) };
    add(stored, Attribute::Link(link));
}

/// The identifier the first Link of `link_type` points at.
pub fn linked(stored: &StoredObject, link_type: LinkType) -> Option<String> {
    find(stored, |a| match a {
        Attribute::Link(link) if link.link_type == link_type => match &link.linked_object_identifier {
            UniqueIdentifierRef::Text(uid) => Some(uid.clone()),
            _ => None,
        },
        _ => None,
    })
}

/// The generator of server-made keys: aws-lc's CTR_DRBG over AES-256 (NIST SP 800-90A), reseeded
/// from the operating system, which is what the Random Number Generator attribute records.
pub fn server_rng() -> keyward_kmip::attributes::RngParameters {
    use keyward_kmip::enums::{CryptographicAlgorithm, DRBGAlgorithm, RNGAlgorithm};
    keyward_kmip::attributes::RngParameters {
        rng_algorithm: RNGAlgorithm::DRBG,
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        cryptographic_length: Some(256),
        hashing_algorithm: None,
        drbg_algorithm: Some(DRBGAlgorithm::CTR),
        recommended_curve: None,
        fips186_variation: None,
        prediction_resistance: Some(true),
    }
}

/// The generator of RNG Retrieve and RNG Seed: HMAC_DRBG with SHA-256 (SP 800-90A §10.1.2,
/// keyward_crypto::random::SeededGenerator), instantiated from the system generator.
pub fn retrieve_rng() -> keyward_kmip::attributes::RngParameters {
    use keyward_kmip::enums::{DRBGAlgorithm, HashingAlgorithm, RNGAlgorithm};
    keyward_kmip::attributes::RngParameters {
        rng_algorithm: RNGAlgorithm::DRBG,
        cryptographic_algorithm: None,
        cryptographic_length: None,
        hashing_algorithm: Some(HashingAlgorithm::SHA_256),
        drbg_algorithm: Some(DRBGAlgorithm::HMAC),
        recommended_curve: None,
        fips186_variation: None,
        // Fresh system entropy is additional input to every Generate, not a reseed from the entropy
        // source before each (SP 800-90A §8.8): not prediction resistance in the standard's sense.
        prediction_resistance: Some(false),
    }
}

/// Expands a 1.x Template-Attribute: the attributes of the Template objects it names (in order),
/// then its own attributes, which win over a template's for single-instance attributes.
pub fn expand_templates(
    cx: &Context<'_>,
    attributes: &keyward_kmip::attributes::Attributes,
) -> OpResult<Vec<Attribute>> {
    let mut expanded: Vec<Attribute> = Vec::new();
    for name in &attributes.templates {
        let template = find_template(cx, name)?;
        for attribute in template {
            expanded.push(attribute);
        }
    }
    for attribute in &attributes.attributes {
        if !attribute.rules().multiple {
            let reference = attribute.reference();
            expanded.retain(|a| !reference.matches(a));
        }
        expanded.push(attribute.clone());
    }
    Ok(expanded)
}

fn find_template(cx: &Context<'_>, name: &Name) -> OpResult<Vec<Attribute>> {
    for uid in cx.candidates(vec![IndexTerm::name(&name.name_value)])? {
        let Ok(object) = cx.load(&uid) else { continue };
        if let Some(ManagedObject::Template(template)) = &object.object {
            // A template's own Name names the template, not the objects made from it.
            return Ok(template
                .attributes
                .iter()
                .map(|a| a.attribute.clone())
                .filter(|a| !matches!(a, Attribute::Name(_)))
                .collect());
        }
    }
    Err(OpError::TemplateNotFound(name.name_value.clone()))
}
