//! Server rotation policies: how the server rotates objects whose clients cannot ask it to. KMIP
//! 1.x and 2.0 have no Rotate attributes (they are 2.1's, §4.48-4.54), so an operator says which
//! objects rotate, and how, here: one object, the members of an Object Group, or the objects whose
//! Name matches a pattern.
//!
//! Policies are kept as store settings (`rotation/policy/<id>`, JSON) and may also come from the
//! configuration; the two are merged, the configuration's read-only.

use serde::{Deserialize, Deserializer, Serialize};

/// The prefix of the store settings holding policies.
pub const SETTING_PREFIX: &str = "rotation/policy/";

/// The longest duration a KMIP Interval can carry, a 32-bit unsigned count of seconds (2.1
/// §10.1.2), and so the longest interval, offset or grace a policy may give.
pub const MAX_SECONDS: u64 = u32::MAX as u64;

/// One rotation policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationPolicy {
    /// The operator's name for it: letters, digits, `-`, `_` and `.`.
    pub id: String,
    /// Which objects it rotates: exactly one of `object`, `object_group`, `name_pattern`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_group: Option<String>,
    /// A Name pattern: `*` any run of characters, `?` one character, anything else itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_pattern: Option<String>,
    /// From the object's Initial Date (or its last Rotate Date) to its rotation, in seconds (or
    /// text: `90d`, `12h`, `30m`, `2s`).
    #[serde(deserialize_with = "seconds")]
    pub interval: u64,
    /// The Offset of the Re-key: from the new key's Initial Date to its Activation Date.
    #[serde(default, deserialize_with = "optional_seconds", skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// What becomes of the replaced key.
    #[serde(default)]
    pub replaced: ReplacedKey,
}

/// What a rotation does to the key it replaces. By default nothing: it keeps its state and dates
/// (an Active key stays Active until its own Deactivation Date), as after a client's Re-key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplacedKey {
    /// Kept Active this long, then Deactivated: its Deactivation Date becomes the rotation time
    /// plus this (an earlier Deactivation Date it already has is kept). Deactivated keys still
    /// decrypt and verify.
    #[serde(default, deserialize_with = "optional_seconds", skip_serializing_if = "Option::is_none")]
    pub grace: Option<u64>,
    /// Its Protect Stop Date becomes the rotation time: from then on it may no longer protect
    /// (encrypt, sign) under a strict client, only process (decrypt, verify).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect_stop: bool,
    /// Revoked at once with reason Superseded (2.1 §11.48), which deactivates it. Not with a
    /// grace period.
    #[serde(default, skip_serializing_if = "is_false")]
    pub revoke: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Which objects a policy rotates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector<'p> {
    Object(&'p str),
    ObjectGroup(&'p str),
    NamePattern(&'p str),
}

impl Selector<'_> {
    /// The more precise selector wins when several policies match an object.
    pub fn precedence(&self) -> u8 {
        match self {
            Selector::Object(_) => 0,
            Selector::ObjectGroup(_) => 1,
            Selector::NamePattern(_) => 2,
        }
    }
}

/// A policy the server refuses, and why.
#[derive(Debug, thiserror::Error)]
#[error("rotation policy: {0}")]
pub struct PolicyError(pub String);

impl RotationPolicy {
    /// What it selects; a valid policy selects exactly one way.
    pub fn selector(&self) -> Selector<'_> {
        match (&self.object, &self.object_group, &self.name_pattern) {
            (Some(uid), _, _) => Selector::Object(uid),
            (None, Some(group), _) => Selector::ObjectGroup(group),
            (None, None, Some(pattern)) => Selector::NamePattern(pattern),
            // `validate` refuses a policy without a selector; such a one selects nothing.
            (None, None, None) => Selector::NamePattern(""),
        }
    }

    /// The store setting's key.
    pub fn setting_key(&self) -> String {
        format!("{SETTING_PREFIX}{}", self.id)
    }

    /// Checks what no rotation could carry out.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self.id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !id_ok {
            return Err(PolicyError(format!("id {:?}: 1 to 64 letters, digits, '-', '_' or '.'", self.id)));
        }
        let selectors = [&self.object, &self.object_group, &self.name_pattern].iter().filter(|s| s.is_some()).count();
        if selectors != 1 {
            return Err(PolicyError("give exactly one of object, object_group, name_pattern".into()));
        }
        if [&self.object, &self.object_group, &self.name_pattern].iter().any(|s| s.as_deref() == Some("")) {
            return Err(PolicyError("an empty object, object_group or name_pattern selects nothing".into()));
        }
        if self.interval == 0 || self.interval > MAX_SECONDS {
            return Err(PolicyError(format!("interval: 1 to {MAX_SECONDS} seconds")));
        }
        let too_long = |value: Option<u64>| value.is_some_and(|v| v > MAX_SECONDS);
        if too_long(self.offset) || too_long(self.replaced.grace) {
            return Err(PolicyError(format!("offset and grace: at most {MAX_SECONDS} seconds")));
        }
        if self.replaced.revoke && self.replaced.grace.is_some() {
            return Err(PolicyError(
                "revoke deactivates the replaced key at once, so it cannot have a grace period too".into(),
            ));
        }
        Ok(())
    }
}

/// True when `name` matches `pattern` (`*` any run, `?` one character). Iterative, with one
/// backtrack point: linear in practice and never exponential whatever the pattern.
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(c) if *c == '?' || *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Parses a duration: a whole number of seconds, or a number with a unit `s`, `m`, `h` or `d`.
pub fn parse_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(seconds);
    }
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let unit = match unit.trim() {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    number.checked_mul(unit)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SecondsText {
    Number(u64),
    Text(String),
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    match SecondsText::deserialize(deserializer)? {
        SecondsText::Number(seconds) => Ok(seconds),
        SecondsText::Text(text) => parse_seconds(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not a duration such as \"90d\", \"12h\", \"30s\""))
        }),
    }
}

fn optional_seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    seconds(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> RotationPolicy {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_policy_reads_durations_as_numbers_or_text() {
        let p =
            policy(r#"{"id":"g","object_group":"backup","interval":"90d","offset":3600,"replaced":{"grace":"7d"}}"#);
        assert_eq!((p.interval, p.offset, p.replaced.grace), (90 * 86_400, Some(3_600), Some(7 * 86_400)));
        assert_eq!(p.selector(), Selector::ObjectGroup("backup"));
        p.validate().unwrap();
        let back: RotationPolicy = serde_json::from_slice(&serde_json::to_vec(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn a_policy_selects_exactly_one_way_and_can_be_carried_out() {
        let base = r#""interval":60"#;
        for bad in [
            format!(r#"{{"id":"x",{base}}}"#),
            format!(r#"{{"id":"x","object":"u","object_group":"g",{base}}}"#),
            format!(r#"{{"id":"bad id","object":"u",{base}}}"#),
            r#"{"id":"x","object":"u","interval":0}"#.to_string(),
            r#"{"id":"x","object":"u","interval":99999999999}"#.to_string(),
            format!(r#"{{"id":"x","object":"u",{base},"replaced":{{"grace":5,"revoke":true}}}}"#),
        ] {
            assert!(policy(&bad).validate().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<RotationPolicy>(r#"{"id":"x","object":"u","interval":"soon"}"#).is_err());
        assert!(serde_json::from_str::<RotationPolicy>(r#"{"id":"x","object":"u","interval":1,"extra":1}"#).is_err());
    }

    #[test]
    fn name_patterns_match_like_shell_globs() {
        assert!(matches_pattern("db-*", "db-orders"));
        assert!(matches_pattern("db-*-key", "db-a-b-key"));
        assert!(matches_pattern("?b", "ab"));
        assert!(matches_pattern("*", ""));
        assert!(!matches_pattern("db-*", "web-db-1"));
        assert!(!matches_pattern("?b", "abb"));
        assert!(!matches_pattern("a*b", "acbd"));
        // No exponential backtracking.
        assert!(!matches_pattern(&"*a".repeat(50), &"a".repeat(49)));
    }

    #[test]
    fn durations_take_units_up_to_days() {
        assert_eq!(parse_seconds("2"), Some(2));
        assert_eq!(parse_seconds("2s"), Some(2));
        assert_eq!(parse_seconds("5m"), Some(300));
        assert_eq!(parse_seconds("1d"), Some(86_400));
        assert_eq!(parse_seconds("1w"), None);
        assert_eq!(parse_seconds("-1s"), None);
    }
}
