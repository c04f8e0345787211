//! When an object is due for rotation, from its stored attributes and the server's policies alone:
//! nothing else is kept, so a restart loses nothing and a rotation missed while the server was
//! down is simply overdue, and runs at the next check.
//!
//! - An object rotates by its own attributes when it has Rotate Automatic True and a Rotate
//!   Interval above zero (2.1 §4.48, §4.51); its Rotate Offset is the Re-key's Offset (§4.54).
//!   Otherwise the most precise server policy that selects it applies (object, then Object Group,
//!   then Name pattern; among equals the first by id).
//! - It is due when the server time reaches its last Rotate Date, or its Initial Date when it has
//!   none, plus the interval (§4.51: "when the difference between the Initial Date of the Managed
//!   Object and the current server time reaches or exceeds this value"). A rotation's new object
//!   has both dates at the rotation's time, so its own interval starts then; however late a
//!   rotation ran, it runs once, not once per missed interval.
//! - Only the current generation rotates: an object that has been replaced (a Replacement Object
//!   Link, 2.1 §4.32 Table 57) or is not the latest (Rotate Latest False, §4.52) never does again.
//!   This is what makes a rotation happen once: it writes both marks on the old object in the same
//!   commit that inserts the new one.
//! - Only keys the server can re-key: a symmetric key (Re-key) or a private key (Re-key Key Pair,
//!   which replaces its public key with it), Pre-Active or Active, with its key value. Public keys
//!   rotate with their private key. Certificates are not rotated (Re-certify needs the issuer's
//!   key and a request the server does not have).

use keyward_kmip::attributes::{Attribute, Name};
use keyward_kmip::enums::{LinkType, State};
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::{DateTime, Interval};
use keyward_store::StoredObject;

use super::policy::{ReplacedKey, RotationPolicy, Selector, matches_pattern};
use crate::attributes::find;
use crate::lifecycle::effective_state;

/// Where an object's rotation rule comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Its own Rotate Automatic and Rotate Interval (KMIP 2.1).
    Attributes,
    /// The server policy of this id.
    Policy(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Attributes => f.write_str("attributes"),
            Source::Policy(id) => write!(f, "policy {id}"),
        }
    }
}

/// How an object rotates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub interval: u32,
    pub offset: Option<Interval>,
    pub replaced: ReplacedKey,
    pub source: Source,
}

fn rotate_automatic(object: &StoredObject) -> Option<bool> {
    find(object, |a| if let Attribute::RotateAutomatic(v) = a { Some(*v) } else { None })
}

fn rotate_interval(object: &StoredObject) -> Option<u32> {
    find(object, |a| if let Attribute::RotateInterval(v) = a { Some(v.0) } else { None })
}

pub(crate) fn rotate_latest(object: &StoredObject) -> Option<bool> {
    find(object, |a| if let Attribute::RotateLatest(v) = a { Some(*v) } else { None })
}

pub(crate) fn rotate_generation(object: &StoredObject) -> Option<i32> {
    find(object, |a| if let Attribute::RotateGeneration(v) = a { Some(*v) } else { None })
}

fn date(object: &StoredObject, select: fn(&Attribute) -> Option<DateTime>) -> Option<i64> {
    find(object, select).map(DateTime::seconds)
}

fn has_replacement(object: &StoredObject) -> bool {
    object
        .attributes
        .iter()
        .any(|a| matches!(&a.attribute, Attribute::Link(l) if l.link_type == LinkType::ReplacementObjectLink))
}

/// True when a policy's selector selects the object.
pub fn selects(selector: Selector<'_>, object: &StoredObject) -> bool {
    match selector {
        Selector::Object(uid) => object.unique_identifier == uid,
        Selector::ObjectGroup(group) => {
            object.attributes.iter().any(|a| matches!(&a.attribute, Attribute::ObjectGroup(g) if g == group))
        }
        Selector::NamePattern(pattern) => object.attributes.iter().any(
            |a| matches!(&a.attribute, Attribute::Name(Name { name_value, .. }) if matches_pattern(pattern, name_value)),
        ),
    }
}

/// True for the objects automatic rotation applies to at all (see the module's notes).
pub fn rotatable(object: &StoredObject, now: i64) -> bool {
    let key = matches!(object.object, Some(ManagedObject::SymmetricKey(_) | ManagedObject::PrivateKey(_)));
    let live = matches!(effective_state(object, now), State::PreActive | State::Active);
    key && live && !has_replacement(object) && rotate_latest(object) != Some(false)
}

/// The rule by which the object rotates, if any.
pub fn rule_for(object: &StoredObject, policies: &[RotationPolicy], now: i64) -> Option<Rule> {
    if !rotatable(object, now) {
        return None;
    }
    if rotate_automatic(object) == Some(true)
        && let Some(interval) = rotate_interval(object).filter(|i| *i > 0)
    {
        let offset = find(object, |a| if let Attribute::RotateOffset(v) = a { Some(*v) } else { None });
        return Some(Rule { interval, offset, replaced: ReplacedKey::default(), source: Source::Attributes });
    }
    let policy = policies
        .iter()
        .filter(|p| selects(p.selector(), object))
        .min_by(|a, b| (a.selector().precedence(), &a.id).cmp(&(b.selector().precedence(), &b.id)))?;
    Some(Rule {
        interval: u32::try_from(policy.interval).unwrap_or(u32::MAX),
        offset: policy.offset.map(|o| Interval(u32::try_from(o).unwrap_or(u32::MAX))),
        replaced: policy.replaced.clone(),
        source: Source::Policy(policy.id.clone()),
    })
}

/// When the object is due under `rule`: its last Rotate Date (else its Initial Date) plus the
/// interval. `None` for an object without either date, which the server never makes.
pub fn due_at(object: &StoredObject, rule: &Rule) -> Option<i64> {
    let rotated = date(object, |a| if let Attribute::RotateDate(d) = a { Some(*d) } else { None });
    let initial = date(object, |a| if let Attribute::InitialDate(d) = a { Some(*d) } else { None });
    let base = rotated.or(initial)?;
    Some(base.saturating_add(i64::from(rule.interval)))
}

/// The object's rule and due time, if it rotates.
pub fn next_rotation(object: &StoredObject, policies: &[RotationPolicy], now: i64) -> Option<(Rule, i64)> {
    let rule = rule_for(object, policies, now)?;
    let due = due_at(object, &rule)?;
    Some((rule, due))
}

/// True when the object may rotate, judged on its attributes alone without the lifecycle: it has
/// Rotate Automatic True, or a policy selects it. What the queue must look at again after the
/// object changed.
pub fn may_rotate(object: &StoredObject, policies: &[RotationPolicy]) -> bool {
    rotate_automatic(object) == Some(true) || policies.iter().any(|policy| selects(policy.selector(), object))
}

#[cfg(test)]
pub(crate) mod tests {
    use keyward_kmip::Bytes;
    use keyward_kmip::attributes::{IndexedAttribute, Link};
    use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType};
    use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, SymmetricKey};
    use keyward_kmip::{UniqueIdentifierRef, attributes::Attribute as A};

    use super::*;

    pub(crate) const T: i64 = 1_700_000_000;

    /// An Active AES key created at `T`, with `attributes` besides.
    pub(crate) fn key(attributes: Vec<Attribute>) -> StoredObject {
        let block = KeyBlock {
            key_format_type: KeyFormatType::Raw,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain {
                key_material: KeyMaterial::Bytes(Bytes(vec![7; 16].into())),
                attributes: vec![],
            }),
            cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
            cryptographic_length: Some(128),
            key_wrapping_data: None,
        };
        let mut all = vec![A::State(State::Active), A::InitialDate(DateTime(T))];
        all.extend(attributes);
        StoredObject {
            unique_identifier: "k".into(),
            owner: "o".into(),
            object: Some(ManagedObject::SymmetricKey(SymmetricKey { key_block: block })),
            attributes: all.into_iter().map(IndexedAttribute::new).collect(),
            revision: 1,
        }
    }

    pub(crate) fn automatic(interval: u32) -> Vec<Attribute> {
        vec![A::RotateAutomatic(true), A::RotateInterval(Interval(interval))]
    }

    fn policy(json: &str) -> RotationPolicy {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn due_an_interval_after_the_initial_date_or_the_last_rotate_date() {
        assert_eq!(next_rotation(&key(automatic(60)), &[], T).map(|(_, due)| due), Some(T + 60));
        let mut rotated = automatic(60);
        rotated.push(A::RotateDate(DateTime(T + 1_000)));
        assert_eq!(next_rotation(&key(rotated), &[], T).map(|(_, due)| due), Some(T + 1_060));
        // Overdue is still due: once, at the next check.
        let (rule, due) = next_rotation(&key(automatic(60)), &[], T + 1_000_000).unwrap();
        assert_eq!((due, rule.source), (T + 60, Source::Attributes));
    }

    #[test]
    fn no_rotation_without_true_and_an_interval() {
        assert!(rule_for(&key(vec![A::RotateAutomatic(true)]), &[], T).is_none());
        assert!(rule_for(&key(automatic(0)), &[], T).is_none());
        assert!(rule_for(&key(vec![A::RotateAutomatic(false), A::RotateInterval(Interval(5))]), &[], T).is_none());
        assert!(rule_for(&key(vec![A::RotateInterval(Interval(5))]), &[], T).is_none());
    }

    #[test]
    fn only_the_live_latest_key_rotates() {
        let mut replaced = automatic(5);
        replaced.push(A::Link(Link {
            link_type: LinkType::ReplacementObjectLink,
            linked_object_identifier: UniqueIdentifierRef::Text("next".into()),
        }));
        assert!(rule_for(&key(replaced), &[], T).is_none());
        let mut not_latest = automatic(5);
        not_latest.push(A::RotateLatest(false));
        assert!(rule_for(&key(not_latest), &[], T).is_none());
        let mut deactivating = automatic(5);
        deactivating.push(A::DeactivationDate(DateTime(T + 10)));
        assert!(rule_for(&key(deactivating.clone()), &[], T + 9).is_some());
        assert!(rule_for(&key(deactivating), &[], T + 10).is_none(), "Deactivated by its date");
        let mut destroyed = key(automatic(5));
        destroyed.object = None;
        assert!(rule_for(&destroyed, &[], T).is_none());
    }

    #[test]
    fn a_policy_applies_when_the_attributes_do_not() {
        let group = policy(r#"{"id":"g","object_group":"backup","interval":30,"offset":5}"#);
        let member = key(vec![A::ObjectGroup("backup".into())]);
        let (rule, due) = next_rotation(&member, std::slice::from_ref(&group), T).unwrap();
        assert_eq!((due, rule.offset, rule.source), (T + 30, Some(Interval(5)), Source::Policy("g".into())));
        assert!(next_rotation(&key(vec![]), std::slice::from_ref(&group), T).is_none());
        let mut both = automatic(60);
        both.push(A::ObjectGroup("backup".into()));
        assert_eq!(next_rotation(&key(both), &[group], T).map(|(r, _)| r.source), Some(Source::Attributes));
    }

    #[test]
    fn may_rotate_is_judged_on_the_attributes_alone() {
        let names = policy(r#"{"id":"n","name_pattern":"db-*","interval":30}"#);
        assert!(may_rotate(&key(vec![A::Name(Name::text("db-1"))]), std::slice::from_ref(&names)));
        assert!(!may_rotate(&key(vec![A::Name(Name::text("web-1"))]), std::slice::from_ref(&names)));
        assert!(may_rotate(&key(automatic(1)), &[]));
    }
}
