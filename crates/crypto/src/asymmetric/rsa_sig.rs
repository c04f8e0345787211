//! The aws-lc-rs side of RSA signatures: which of its algorithms serves a scheme, if any.
//!
//! aws-lc-rs takes PSS salt lengths only as `&'static` algorithm values, so the tables below hold
//! one value per salt length from 0 to [`MAX_TABLE_SALT`] for each hash, built at compile time.

use aws_lc_rs::rsa::RsaPssSaltLength;
use aws_lc_rs::signature::{self as sig, RsaParameters, RsaSignatureEncoding};

use super::SignatureScheme;
use crate::hash::HashAlgorithm;

/// The largest PSS salt (in bytes) aws-lc-rs is used for; longer salts go to the `rsa` crate.
pub(super) const MAX_TABLE_SALT: usize = 64;
const TABLE: usize = MAX_TABLE_SALT + 1;

macro_rules! salt_table {
    ($name:ident, $ty:ty, $base:path) => {
        static $name: [$ty; TABLE] = {
            let mut table = [$base; TABLE];
            let mut i = 0;
            while i < TABLE {
                table[i] = $base.with_pss_salt_length(RsaPssSaltLength::Custom(i as u16));
                i += 1;
            }
            table
        };
    };
}

salt_table!(SIGN_PSS_256, RsaSignatureEncoding, sig::RSA_PSS_SHA256);
salt_table!(SIGN_PSS_384, RsaSignatureEncoding, sig::RSA_PSS_SHA384);
salt_table!(SIGN_PSS_512, RsaSignatureEncoding, sig::RSA_PSS_SHA512);
salt_table!(VERIFY_PSS_256, RsaParameters, sig::RSA_PSS_2048_8192_SHA256);
salt_table!(VERIFY_PSS_384, RsaParameters, sig::RSA_PSS_2048_8192_SHA384);
salt_table!(VERIFY_PSS_512, RsaParameters, sig::RSA_PSS_2048_8192_SHA512);

/// The aws-lc-rs signing encoding for `scheme`, if it has one (the key is 2048–8192 bits, which
/// the caller has checked by holding it in aws-lc).
pub(super) fn signing(scheme: SignatureScheme) -> Option<&'static RsaSignatureEncoding> {
    match scheme {
        SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256) => Some(&sig::RSA_PKCS1_SHA256),
        SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha384) => Some(&sig::RSA_PKCS1_SHA384),
        SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha512) => Some(&sig::RSA_PKCS1_SHA512),
        SignatureScheme::RsaPss { hash, salt_len } => {
            let (default, table) = match hash {
                HashAlgorithm::Sha256 => (&sig::RSA_PSS_SHA256, &SIGN_PSS_256),
                HashAlgorithm::Sha384 => (&sig::RSA_PSS_SHA384, &SIGN_PSS_384),
                HashAlgorithm::Sha512 => (&sig::RSA_PSS_SHA512, &SIGN_PSS_512),
                _ => return None,
            };
            with_salt(hash, salt_len, default, table)
        }
        _ => None,
    }
}

/// The aws-lc-rs verification parameters for `scheme` and a key of `bits`, if it has them.
pub(super) fn verification(scheme: SignatureScheme, bits: u32) -> Option<&'static RsaParameters> {
    let modern = (2048..=8192).contains(&bits);
    let legacy = (1024..=8192).contains(&bits);
    match scheme {
        SignatureScheme::RsaPkcs1v15(hash) => match hash {
            HashAlgorithm::Sha1 if legacy => Some(&sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
            HashAlgorithm::Sha256 if modern => Some(&sig::RSA_PKCS1_2048_8192_SHA256),
            HashAlgorithm::Sha256 if legacy => Some(&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
            HashAlgorithm::Sha384 if modern => Some(&sig::RSA_PKCS1_2048_8192_SHA384),
            HashAlgorithm::Sha512 if modern => Some(&sig::RSA_PKCS1_2048_8192_SHA512),
            HashAlgorithm::Sha512 if legacy => Some(&sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
            _ => None,
        },
        SignatureScheme::RsaPss { hash, salt_len } if modern => {
            let (default, table) = match hash {
                HashAlgorithm::Sha256 => (&sig::RSA_PSS_2048_8192_SHA256, &VERIFY_PSS_256),
                HashAlgorithm::Sha384 => (&sig::RSA_PSS_2048_8192_SHA384, &VERIFY_PSS_384),
                HashAlgorithm::Sha512 => (&sig::RSA_PSS_2048_8192_SHA512, &VERIFY_PSS_512),
                _ => return None,
            };
            with_salt(hash, salt_len, default, table)
        }
        _ => None,
    }
}

/// The PSS algorithm for a salt length: aws-lc-rs's own value for a salt of the hash's length (or
/// none given), else the table's entry (none beyond [`MAX_TABLE_SALT`]).
fn with_salt<T>(
    hash: HashAlgorithm,
    salt_len: Option<usize>,
    default: &'static T,
    table: &'static [T; TABLE],
) -> Option<&'static T> {
    match salt_len {
        None => Some(default),
        Some(n) if n == hash.output_len() => Some(default),
        Some(n) => table.get(n),
    }
}
