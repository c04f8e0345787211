//! Shamir's threshold secret sharing for the KMIP Polynomial Sharing split key methods (1.4
//! §2.2.5, 2.1 §2.8 and §13.1; Split Key Method 2, 3 and 4): a secret is split into `parts` parts
//! such that any `threshold` of them recover it and fewer say nothing about it. Part i (1 to 255)
//! is the value at x = i of random polynomials whose constant terms are the secret; the
//! Key Part Identifier is that x.
//!
//! | method | field | a part's bytes |
//! | --- | --- | --- |
//! | [`Method::Gf256`] (Polynomial Sharing GF(2^8)) | [`gf256`] | one byte per byte of the secret |
//! | [`Method::Gf65536`] (Polynomial Sharing GF(2^16)) | [`gf65536`] | two bytes (u, v) per two bytes of the secret |
//! | [`Method::Prime`] (Polynomial Sharing Prime Field) | [`prime_field`] | y < p, big-endian, as many bytes as p |
//!
//! Choices where the specification is silent or unclear:
//!
//! - **Which GF(2^8).** KMIP 1.0 to 1.4 §2.2.5 define GF(2^8) as GF(2)[x]/(x^8 + x^4 + x^3 + x + 1),
//!   the field of FIPS 197; 2.0 and 2.1 §13.1 keep the reference to FIPS 197 ("in a format
//!   consistent with [FIPS197]", multiplication as FIPS 197 §4.1 and 4.2) but print
//!   "285 - x8+x4+x3+x2+1" (0x11D). The two 2.x statements disagree with each other; a split key
//!   object records no field polynomial, and parts made by a client of one version must join for a
//!   client of another. So every version uses the FIPS 197 polynomial 0x11B. (y^2 + y + {3A} is
//!   irreducible over either field, so the GF(2^16) construction does not decide it.)
//! - **Polynomial Sharing GF(2^8)** (added in 1.2) has no text beyond its name. It is done as the
//!   GF(2^16) clause does it, piecewise: each byte of the secret is shared on its own in GF(2^8),
//!   and a part is the concatenation of the shares of all bytes.
//! - **GF(2^16) and a secret of an odd number of bytes.** The clause cuts the secret into pieces
//!   of 16 bits and says nothing of a last piece of 8. That piece is taken as the element 0·y + v
//!   of the GF(2^8) subfield, with random coefficients from the subfield too; since every x is in
//!   the subfield (u = 0), so is its share, written as the one byte v. A part is thus always as
//!   long as the secret, and joining needs no other length.
//! - **The GF(2^16) product.** The clause's formula for the product is misprinted (see
//!   [`gf65536`]); the field is GF(2^8)[y]/(y^2 + y + m) as the clause defines it, and its inverse
//!   formula holds.
//! - **The prime field's layout** is in [`prime_field`].
//!
//! Every coefficient comes from the system generator ([`crate::random`]); secrets, coefficients
//! and parts are held in [`Zeroizing`] buffers. Arithmetic on secret values is constant-time:
//! masks instead of tables in GF(2^8) and GF(2^16), crypto-bigint's Montgomery form in GF(p).
//! Only public values (Key Part Identifiers, the prime) go through variable-time code: the
//! Lagrange denominators, the primality test.

pub mod gf256;
pub mod gf65536;
mod polynomial;
pub mod prime_field;
#[cfg(test)]
mod tests;

use zeroize::Zeroizing;

use crate::{CryptoError, CryptoResult};
pub use prime_field::PrimeField;

/// The most parts a secret is split into: Key Part Identifiers are the x of the field, and in
/// GF(2^8) there are 255 nonzero ones.
pub const MAX_PARTS: usize = 255;

/// The longest secret shared, in bytes: 32,768 bits, four times the largest key Create makes. The
/// work grows with length × parts × threshold (up to 255 × 255 field products a byte), and this
/// bounds it to seconds.
pub const MAX_SECRET_LEN: usize = 4_096;

/// A polynomial sharing method and its field.
#[derive(Clone, Debug)]
pub enum Method {
    /// Polynomial Sharing GF(2^8).
    Gf256,
    /// Polynomial Sharing GF(2^16).
    Gf65536,
    /// Polynomial Sharing Prime Field, for a secret of `secret_len` bytes.
    Prime { field: PrimeField, secret_len: usize },
}

/// The parts 1 to `parts` of `secret`, any `threshold` of which recover it (2 ≤ threshold ≤ parts
/// ≤ [`MAX_PARTS`]); part i is the share at x = i.
pub fn split(method: &Method, secret: &[u8], threshold: usize, parts: usize) -> CryptoResult<Vec<Zeroizing<Vec<u8>>>> {
    check_counts(threshold, parts)?;
    if secret.is_empty() || secret.len() > MAX_SECRET_LEN {
        return Err(CryptoError::input(format!("a secret of 1 to {MAX_SECRET_LEN} bytes is split")));
    }
    match method {
        Method::Gf256 => polynomial::split::<gf256::Gf256>(secret, threshold, parts),
        Method::Gf65536 => polynomial::split::<gf65536::Gf65536>(secret, threshold, parts),
        Method::Prime { field, secret_len } => {
            if *secret_len != secret.len() {
                return Err(CryptoError::input("the secret is not of the length given"));
            }
            field.split(secret, threshold, parts)
        }
    }
}

/// The secret that the parts `(Key Part Identifier, bytes)` of a split with this `threshold`
/// recover. The first `threshold` parts give it; each further part is checked to lie on the same
/// polynomials, so that parts of different splits are refused when there are more than needed.
/// The caller checks that there are at least `threshold` parts: fewer give a wrong value, not an
/// error, since nothing in a part tells.
pub fn join(method: &Method, shares: &[(u8, &[u8])], threshold: usize) -> CryptoResult<Zeroizing<Vec<u8>>> {
    match method {
        Method::Gf256 => polynomial::join::<gf256::Gf256>(shares, threshold),
        Method::Gf65536 => polynomial::join::<gf65536::Gf65536>(shares, threshold),
        Method::Prime { field, secret_len } => field.join(shares, threshold, *secret_len),
    }
}

/// Whether a part computed from others is the part given, without stopping at the first
/// difference.
fn same_bytes(expected: &[u8], given: &[u8]) -> bool {
    expected.len() == given.len() && expected.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn different_splits() -> CryptoError {
    CryptoError::input("the parts are not of one split: a part is not on the others' polynomial")
}

fn check_counts(threshold: usize, parts: usize) -> CryptoResult<()> {
    if !(2..=MAX_PARTS).contains(&parts) {
        return Err(CryptoError::input(format!("a secret is split into 2 to {MAX_PARTS} parts")));
    }
    if !(2..=parts).contains(&threshold) {
        return Err(CryptoError::input("the threshold must be at least 2 and at most the number of parts"));
    }
    Ok(())
}

/// The length the parts share, after checking that there is at least one, that their identifiers
/// are distinct and nonzero, and that they are all equally long.
fn common_length(shares: &[(u8, &[u8])]) -> CryptoResult<usize> {
    let (_, first) = shares.first().ok_or_else(|| CryptoError::input("no parts to join"))?;
    let mut seen = [false; 256];
    for (x, bytes) in shares {
        if *x == 0 {
            return Err(CryptoError::input("Key Part Identifiers start at 1"));
        }
        if std::mem::replace(&mut seen[usize::from(*x)], true) {
            return Err(CryptoError::input(format!("two parts have the Key Part Identifier {x}")));
        }
        if bytes.len() != first.len() {
            return Err(CryptoError::input("the parts are of different lengths"));
        }
    }
    if first.is_empty() || first.len() > MAX_SECRET_LEN {
        return Err(CryptoError::input(format!("parts of 1 to {MAX_SECRET_LEN} bytes are joined")));
    }
    Ok(first.len())
}
