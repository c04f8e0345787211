//! Shamir's scheme over a binary field (GF(2^8), GF(2^16)), piece by piece: the secret is cut
//! into pieces of `F::WIDTH` bytes, each piece is the constant term of its own random polynomial
//! of degree threshold − 1, and a part's bytes are the values of those polynomials at the part's
//! x, concatenated in the secret's order (1.4 §2.2.5, 2.1 §13.1: "the concatenation of the
//! corresponding shares of all pieces of the secret").

use core::ops::{Add, Mul};

use zeroize::{Zeroize, Zeroizing};

use crate::random::random_key;
use crate::{CryptoError, CryptoResult};

/// A finite field of characteristic 2 whose elements are stored in `WIDTH` bytes.
pub trait Field: Copy + Default + Eq + Zeroize + Add<Output = Self> + Mul<Output = Self> {
    /// The bytes of a full piece of the secret.
    const WIDTH: usize;
    fn zero() -> Self;
    fn one() -> Self;
    /// The multiplicative inverse (only asked of nonzero, public values here).
    fn inverse(self) -> Self;
    /// The x of the part with this Key Part Identifier.
    fn from_part(identifier: u8) -> Self;
    /// The element a piece (of `WIDTH` bytes, or fewer for the last one) stands for.
    fn read(piece: &[u8]) -> Self;
    /// Appends the element as a piece of `width` bytes.
    fn write(self, width: usize, out: &mut Vec<u8>);
}

/// The value at `x` of the polynomial with these coefficients (constant term first), by Horner.
fn evaluate<F: Field>(coefficients: &[F], x: F) -> F {
    coefficients.iter().rev().fold(F::zero(), |acc, c| acc * x + *c)
}

/// The parts 1 to `parts` of `secret`, `threshold` of which recover it.
pub fn split<F: Field>(secret: &[u8], threshold: usize, parts: usize) -> CryptoResult<Vec<Zeroizing<Vec<u8>>>> {
    let mut shares: Vec<Zeroizing<Vec<u8>>> =
        (0..parts).map(|_| Zeroizing::new(Vec::with_capacity(secret.len()))).collect();
    // Coefficient c (1..threshold) of the piece at `offset` is random[(c − 1)·len + offset..]:
    // one draw from the system generator for the whole split.
    let random = random_key(secret.len() * (threshold - 1))?;
    let mut coefficients: Zeroizing<Vec<F>> = Zeroizing::new(vec![F::zero(); threshold]);
    for (index, piece) in secret.chunks(F::WIDTH).enumerate() {
        let offset = index * F::WIDTH;
        let width = piece.len();
        coefficients[0] = F::read(piece);
        for (c, coefficient) in coefficients.iter_mut().enumerate().skip(1) {
            let start = (c - 1) * secret.len() + offset;
            *coefficient = F::read(&random[start..start + width]);
        }
        for (index, share) in shares.iter_mut().enumerate() {
            // parts ≤ 255 (checked by the caller), so index + 1 fits.
            let x = F::from_part(u8::try_from(index + 1).unwrap_or(u8::MAX));
            let mut y = evaluate(&coefficients, x);
            y.write(width, share);
            y.zeroize();
        }
    }
    Ok(shares)
}

/// The Lagrange weights at `point` of the points `xs`: f(point) = Σ weight_i · y_i. The x are
/// public (Key Part Identifiers), so nothing here is secret.
fn weights_at<F: Field>(point: F, xs: &[F]) -> Vec<F> {
    xs.iter()
        .enumerate()
        .map(|(i, xi)| {
            let (numerator, denominator) = xs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                // (point − x_j) / (x_i − x_j), and minus is plus in characteristic 2.
                .fold((F::one(), F::one()), |(n, d), (_, xj)| (n * (point + *xj), d * (*xi + *xj)));
            numerator * denominator.inverse()
        })
        .collect()
}

/// The value at `point` of the polynomials through `shares`, piece by piece.
fn interpolate<F: Field>(point: F, shares: &[(u8, &[u8])], len: usize) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let xs: Vec<F> = shares.iter().map(|(x, _)| F::from_part(*x)).collect();
    let weights = weights_at(point, &xs);
    let mut value = Zeroizing::new(Vec::with_capacity(len));
    let mut offset = 0;
    while offset < len {
        let width = F::WIDTH.min(len - offset);
        let mut piece = F::zero();
        for ((_, bytes), weight) in shares.iter().zip(&weights) {
            let y = bytes.get(offset..offset + width).ok_or_else(|| CryptoError::input("a part is too short"))?;
            piece = piece + *weight * F::read(y);
        }
        piece.write(width, &mut value);
        piece.zeroize();
        offset += width;
    }
    Ok(value)
}

/// The secret the parts `(Key Part Identifier, bytes)` recover: the first `threshold` parts give
/// it, and every further part must lie on the same polynomials (else the parts are of different
/// splits). The identifiers must be distinct and nonzero.
pub fn join<F: Field>(shares: &[(u8, &[u8])], threshold: usize) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let len = super::common_length(shares)?;
    let (basis, further) = shares.split_at(threshold.clamp(1, shares.len()));
    for (x, given) in further {
        let expected = interpolate::<F>(F::from_part(*x), basis, len)?;
        if !super::same_bytes(&expected, given) {
            return Err(super::different_splits());
        }
    }
    interpolate::<F>(F::zero(), basis, len)
}
