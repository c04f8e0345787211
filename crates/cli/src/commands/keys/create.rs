//! `keys create` and `keys create-pair`: keys the server generates.

use clap::{Args, ValueEnum};
use keyward_client::Session;
use keyward_kmip::attributes::{Attribute, CryptographicDomainParameters, Name};
use keyward_kmip::enums::{CryptographicAlgorithm, RecommendedCurve};
use serde_json::json;

use super::usage::{self, Usage};
use crate::commands::client_error::CliError;
use crate::commands::connection::{ClientOptions, with_session};
use crate::commands::output::Output;

/// The symmetric algorithms the server generates keys for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SymmetricAlgorithm {
    Aes,
    #[value(name = "3des")]
    TripleDes,
    HmacSha1,
    HmacSha224,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl SymmetricAlgorithm {
    pub fn kmip(self) -> CryptographicAlgorithm {
        match self {
            SymmetricAlgorithm::Aes => CryptographicAlgorithm::AES,
            SymmetricAlgorithm::TripleDes => CryptographicAlgorithm::DES3,
            SymmetricAlgorithm::HmacSha1 => CryptographicAlgorithm::HMAC_SHA1,
            SymmetricAlgorithm::HmacSha224 => CryptographicAlgorithm::HMAC_SHA224,
            SymmetricAlgorithm::HmacSha256 => CryptographicAlgorithm::HMAC_SHA256,
            SymmetricAlgorithm::HmacSha384 => CryptographicAlgorithm::HMAC_SHA384,
            SymmetricAlgorithm::HmacSha512 => CryptographicAlgorithm::HMAC_SHA512,
        }
    }

    /// The length when none is given: AES-256; for the others the server has a default.
    fn default_length(self) -> Option<i32> {
        (self == SymmetricAlgorithm::Aes).then_some(256)
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The algorithm (the server gives AES keys Encrypt and Decrypt, HMAC keys MAC Generate and
    /// MAC Verify).
    #[arg(long, value_enum, default_value = "aes")]
    algorithm: SymmetricAlgorithm,
    /// The length in bits (AES: 128, 192 or 256; default 256).
    #[arg(long, value_name = "BITS")]
    length: Option<i32>,
    /// A name, unique among this client's objects.
    #[arg(long)]
    name: Option<String>,
    /// An object group, to find the key by later (keys list --group).
    #[arg(long)]
    group: Option<String>,
    /// What the key may do, comma-separated (default: the server's choice for the algorithm).
    #[arg(long, value_enum, value_delimiter = ',')]
    usage: Vec<Usage>,
    /// Activate the key at once (otherwise it is Pre-Active and cannot protect data yet).
    #[arg(long)]
    activate: bool,
}

/// The attributes every new object may carry: its name and group.
pub fn naming(name: &Option<String>, group: &Option<String>) -> Vec<Attribute> {
    let mut attributes = Vec::new();
    if let Some(name) = name {
        attributes.push(Attribute::Name(Name::text(name.clone())));
    }
    if let Some(group) = group {
        attributes.push(Attribute::ObjectGroup(group.clone()));
    }
    attributes
}

pub fn create(options: &ClientOptions, output: Output, args: CreateArgs) -> Result<(), CliError> {
    let mut attributes = vec![Attribute::CryptographicAlgorithm(args.algorithm.kmip())];
    if let Some(length) = args.length.or(args.algorithm.default_length()) {
        attributes.push(Attribute::CryptographicLength(length));
    }
    attributes.extend(naming(&args.name, &args.group));
    attributes.extend(usage::mask(&args.usage));
    new_object(options, output, args.activate, async |session| Ok(session.create_symmetric_key(attributes).await?))
}

/// Makes one object with `make` (a Create or a Register) in a session, activates it when
/// `activate` says so, and prints its identifier.
pub fn new_object(
    options: &ClientOptions,
    output: Output,
    activate: bool,
    make: impl AsyncFnOnce(&mut Session) -> Result<String, CliError>,
) -> Result<(), CliError> {
    let uid = with_session(options, async |session| {
        let uid = make(session).await?;
        if activate {
            session.activate(&uid).await.map_err(|e| CliError::from_session(e, Some(&uid)))?;
        }
        Ok(uid)
    })?;
    output.print(&uid, json!({ "unique_identifier": uid, "active": activate }));
    Ok(())
}

/// The kinds of key pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PairAlgorithm {
    Rsa,
    Ec,
    Ed25519,
}

/// The curves of `--curve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Curve {
    P256,
    P384,
    P521,
    Secp256k1,
}

impl Curve {
    fn kmip(self) -> RecommendedCurve {
        match self {
            Curve::P256 => RecommendedCurve::P_256,
            Curve::P384 => RecommendedCurve::P_384,
            Curve::P521 => RecommendedCurve::P_521,
            Curve::Secp256k1 => RecommendedCurve::SECP256K1,
        }
    }
}

#[derive(Debug, Args)]
pub struct CreatePairArgs {
    /// The kind of pair.
    #[arg(long, value_enum)]
    algorithm: PairAlgorithm,
    /// RSA: the modulus length (2048, 3072, 4096, 8192; default 2048). EC: 256, 384 or 521.
    #[arg(long, value_name = "BITS")]
    length: Option<i32>,
    /// EC: the curve (default P-256).
    #[arg(long, value_enum)]
    curve: Option<Curve>,
    /// A name: the private key gets NAME, the public key NAME.pub.
    #[arg(long)]
    name: Option<String>,
    /// An object group for both keys.
    #[arg(long)]
    group: Option<String>,
    /// Activate both keys at once.
    #[arg(long)]
    activate: bool,
}

pub fn create_pair(options: &ClientOptions, output: Output, args: CreatePairArgs) -> Result<(), CliError> {
    if args.curve.is_some() && args.algorithm != PairAlgorithm::Ec {
        return Err(CliError::Usage("--curve applies to --algorithm ec only".into()));
    }
    let algorithm = match args.algorithm {
        PairAlgorithm::Rsa => CryptographicAlgorithm::RSA,
        PairAlgorithm::Ec => CryptographicAlgorithm::EC,
        PairAlgorithm::Ed25519 => CryptographicAlgorithm::Ed25519,
    };
    let mut common = vec![Attribute::CryptographicAlgorithm(algorithm)];
    if let Some(length) = args.length {
        common.push(Attribute::CryptographicLength(length));
    }
    if let Some(curve) = args.curve {
        common.push(Attribute::CryptographicDomainParameters(CryptographicDomainParameters {
            qlength: None,
            recommended_curve: Some(curve.kmip()),
        }));
    }
    common.extend(naming(&None, &args.group));
    // Names are unique per owner, so the two halves cannot share one.
    let private = naming(&args.name, &None);
    let public = naming(&args.name.as_ref().map(|name| format!("{name}.pub")), &None);
    let ids = with_session(options, async |session| {
        let ids = session.create_key_pair(common, private, public).await?;
        if args.activate {
            for uid in [&ids.private_key, &ids.public_key] {
                session.activate(uid).await.map_err(|e| CliError::from_session(e, Some(uid)))?;
            }
        }
        Ok(ids)
    })?;
    let human = format!("private key  {}\npublic key   {}", ids.private_key, ids.public_key);
    output.print(
        &human,
        json!({ "private_key": ids.private_key, "public_key": ids.public_key, "active": args.activate }),
    );
    Ok(())
}
