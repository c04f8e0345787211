//! The `[algorithms]` table of keyward.toml: which algorithms and key sizes the server makes keys
//! of and protects data with. The policy itself is keyward-core's ([`AlgorithmPolicy`]); this
//! reads it from names an operator writes ("AES", "3DES", "HMAC-SHA256", "P-256", "SHA-256": the
//! specification's names of the enumeration values, in any case) and refuses a name it does not
//! know, as every other setting does.

use std::collections::BTreeMap;

use keyward_core::AlgorithmPolicy;
use keyward_ttlv::KmipEnum;
use keyward_ttlv::enums::CryptographicAlgorithm;
use serde::Deserialize;

use crate::config::ConfigError;

/// The table as written. A key left out keeps its default; a key given replaces its default
/// entirely (a `[algorithms.symmetric]` table lists every symmetric algorithm allowed).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlgorithmsConfig {
    /// RSA modulus sizes, in bits.
    pub rsa_sizes: Vec<i32>,
    /// Elliptic curves, by name ("P-256", "CURVE25519").
    pub curves: Vec<String>,
    /// Symmetric and other algorithms, by name, each with its allowed key lengths in bits; an
    /// empty list allows any length.
    pub symmetric: BTreeMap<String, Vec<i32>>,
    /// Hashes a signature may be made with, by name ("SHA-256").
    pub signature_hashes: Vec<String>,
    /// The shortest HMAC key, in bits.
    pub min_mac_key_bits: i32,
}

impl Default for AlgorithmsConfig {
    /// keyward-core's default policy, written back as names.
    fn default() -> AlgorithmsConfig {
        let policy = AlgorithmPolicy::default();
        AlgorithmsConfig {
            rsa_sizes: policy.rsa_sizes,
            curves: policy.curves.into_iter().map(name_of).collect(),
            symmetric: policy.symmetric.into_iter().map(|(a, lengths)| (name_of(a), lengths)).collect(),
            signature_hashes: policy.signature_hashes.into_iter().map(name_of).collect(),
            min_mac_key_bits: policy.min_mac_key_bits,
        }
    }
}

impl AlgorithmsConfig {
    /// The policy these names describe; an unknown name or a size that cannot be is an error.
    pub fn policy(&self) -> Result<AlgorithmPolicy, ConfigError> {
        if let Some(bits) = self.rsa_sizes.iter().find(|b| **b < 512 || **b > 16_384) {
            return Err(invalid(format!("rsa_sizes: {bits} is not an RSA modulus size")));
        }
        let mut symmetric = Vec::new();
        for (name, lengths) in &self.symmetric {
            if let Some(bits) = lengths.iter().find(|b| **b <= 0) {
                return Err(invalid(format!("symmetric: {name} = {bits} is not a key length")));
            }
            symmetric.push((value_of::<CryptographicAlgorithm>("symmetric", name)?, lengths.clone()));
        }
        Ok(AlgorithmPolicy {
            rsa_sizes: self.rsa_sizes.clone(),
            curves: self.curves.iter().map(|n| value_of("curves", n)).collect::<Result<_, _>>()?,
            symmetric,
            signature_hashes: self
                .signature_hashes
                .iter()
                .map(|n| value_of("signature_hashes", n))
                .collect::<Result<_, _>>()?,
            min_mac_key_bits: self.min_mac_key_bits,
        })
    }
}

fn invalid(message: String) -> ConfigError {
    ConfigError::Invalid(format!("algorithms: {message}"))
}

/// The specification's name of a value (its newest name, when a version renamed it).
fn name_of<T: KmipEnum>(value: T) -> String {
    let rows = T::DEF.values.iter().filter(|d| d.value == value.value());
    rows.last().map_or_else(|| format!("{:#x}", value.value()), |d| d.name.to_string())
}

/// The value a name (the specification's, or its CamelCase form, in any case) stands for.
fn value_of<T: KmipEnum>(key: &str, name: &str) -> Result<T, ConfigError> {
    let wanted = name.trim();
    T::DEF
        .values
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(wanted) || d.camel.eq_ignore_ascii_case(wanted))
        .map(|d| T::from_value(d.value))
        .ok_or_else(|| invalid(format!("{key}: {name:?} is not a {} the specification names", T::DEF.name)))
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::enums::{HashingAlgorithm, RecommendedCurve};

    use super::*;

    #[test]
    fn the_default_is_core_s_default() {
        let mut parsed = AlgorithmsConfig::default().policy().unwrap();
        let mut default = AlgorithmPolicy::default();
        // The table is a map: its order is the names', not core's.
        parsed.symmetric.sort_by_key(|(a, _)| a.value());
        default.symmetric.sort_by_key(|(a, _)| a.value());
        assert_eq!(parsed, default);
    }

    #[test]
    fn names_are_the_specification_s() {
        let config = AlgorithmsConfig {
            curves: vec!["p-256".into(), "CURVE25519".into()],
            symmetric: BTreeMap::from([("3DES".into(), vec![168]), ("HMAC-SHA256".into(), vec![])]),
            signature_hashes: vec!["SHA-1".into(), "SHA3-256".into()],
            ..AlgorithmsConfig::default()
        };
        let policy = config.policy().unwrap();
        assert_eq!(policy.curves, [RecommendedCurve::P_256, RecommendedCurve::CURVE25519]);
        assert_eq!(policy.symmetric[0], (CryptographicAlgorithm::DES3, vec![168]));
        assert_eq!(policy.signature_hashes, [HashingAlgorithm::SHA_1, HashingAlgorithm::SHA3_256]);
    }

    #[test]
    fn the_table_is_read_from_keyward_toml() {
        use crate::config::ServerConfig;
        let config = ServerConfig::from_toml("[algorithms]\nrsa_sizes = [1024, 2048]\n").unwrap();
        let policy = config.algorithms.policy().unwrap();
        assert_eq!(policy.rsa_sizes, [1024, 2048]);
        assert_eq!(policy.curves, AlgorithmPolicy::default().curves, "a key left out keeps its default");
        assert!(ServerConfig::from_toml("[algorithms]\nrsa_size = [1024]\n").is_err(), "a misspelt key");
        assert!(ServerConfig::from_toml("[algorithms.symmetric]\nAESS = []\n").is_err(), "an unknown algorithm");
    }

    #[test]
    fn unknown_names_and_sizes_are_refused() {
        let bad_curve = AlgorithmsConfig { curves: vec!["P-999".into()], ..AlgorithmsConfig::default() };
        assert!(bad_curve.policy().is_err());
        let bad_size = AlgorithmsConfig { rsa_sizes: vec![0], ..AlgorithmsConfig::default() };
        assert!(bad_size.policy().is_err());
        let bad_length =
            AlgorithmsConfig { symmetric: BTreeMap::from([("AES".into(), vec![-128])]), ..AlgorithmsConfig::default() };
        assert!(bad_length.policy().is_err());
    }
}
