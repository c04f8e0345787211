//! GF(2^8) as FIPS 197 §4 defines it: bytes as polynomials over GF(2) modulo
//! x^8 + x^4 + x^3 + x + 1 (0x11B). KMIP 1.0–1.4 §2.2.5 name this polynomial for the field under
//! Polynomial Sharing GF(2^16); 2.0 and 2.1 §13.1 cite FIPS 197 as well but print
//! x^8 + x^4 + x^3 + x^2 + 1 (285) next to it. The module doc of `secret_sharing` says why 0x11B
//! is used for every version.
//!
//! Constant time: multiplication is shift-and-add over the eight bits of one operand, each step
//! selected with an all-ones or all-zeros mask instead of a branch, and the reduction likewise; no
//! log/antilog tables, whose lookups would be indexed by secret bytes. Inversion is the fixed
//! power a^254 (a^(2^8 − 2)), the same sequence of operations for every input.

use core::ops::{Add, Mul};

use zeroize::Zeroize;

use super::polynomial::Field;

/// The low eight bits of the reduction polynomial x^8 + x^4 + x^3 + x + 1.
const REDUCTION: u8 = 0x1B;

/// An element of GF(2^8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Zeroize)]
pub struct Gf256(pub u8);

/// All ones when `bit` (0 or 1) is 1, else zero.
fn mask(bit: u8) -> u8 {
    0u8.wrapping_sub(bit & 1)
}

impl Add for Gf256 {
    type Output = Gf256;

    /// Addition (and subtraction) is XOR.
    #[allow(clippy::suspicious_arithmetic_impl, reason = "addition in characteristic 2 is XOR")]
    fn add(self, other: Gf256) -> Gf256 {
        Gf256(self.0 ^ other.0)
    }
}

impl Mul for Gf256 {
    type Output = Gf256;

    /// The product, by shift-and-add with masks (see the module doc).
    fn mul(self, other: Gf256) -> Gf256 {
        let mut a = self.0;
        let mut product = 0u8;
        for i in 0..8 {
            product ^= a & mask(other.0 >> i);
            // a·x: shift, and reduce when a bit fell off the top.
            a = (a << 1) ^ (REDUCTION & mask(a >> 7));
        }
        Gf256(product)
    }
}

impl Gf256 {
    /// The multiplicative inverse, a^254; zero (which has none) gives zero.
    pub fn inverse(self) -> Gf256 {
        // 254 = 0b1111_1110: square-and-multiply over a fixed exponent.
        let mut result = Gf256(1);
        for bit in (0..8).rev() {
            result = result * result;
            if (254u8 >> bit) & 1 == 1 {
                result = result * self;
            }
        }
        result
    }
}

impl Field for Gf256 {
    const WIDTH: usize = 1;

    fn zero() -> Self {
        Gf256(0)
    }

    fn one() -> Self {
        Gf256(1)
    }

    fn inverse(self) -> Self {
        Gf256::inverse(self)
    }

    fn from_part(identifier: u8) -> Self {
        Gf256(identifier)
    }

    fn read(piece: &[u8]) -> Self {
        Gf256(piece.first().copied().unwrap_or(0))
    }

    fn write(self, _width: usize, out: &mut Vec<u8>) {
        out.push(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips_197_products() {
        // FIPS 197 §4.2: {57} • {83} = {c1}; §4.2.1: {57} • {13} = {fe}, and the xtime chain.
        assert_eq!(Gf256(0x57) * Gf256(0x83), Gf256(0xC1));
        assert_eq!(Gf256(0x57) * Gf256(0x13), Gf256(0xFE));
        assert_eq!(Gf256(0x57) * Gf256(0x02), Gf256(0xAE));
        assert_eq!(Gf256(0x57) * Gf256(0x04), Gf256(0x47));
        assert_eq!(Gf256(0x57) * Gf256(0x08), Gf256(0x8E));
        assert_eq!(Gf256(0x57) * Gf256(0x10), Gf256(0x07));
    }

    #[test]
    fn known_inverses() {
        // The AES S-box is built on these inverses: {53}^-1 = {ca}, {01}^-1 = {01}.
        assert_eq!(Gf256(0x53).inverse(), Gf256(0xCA));
        assert_eq!(Gf256(0x01).inverse(), Gf256(0x01));
        assert_eq!(Gf256(0x00).inverse(), Gf256(0x00));
    }

    #[test]
    fn every_nonzero_element_times_its_inverse_is_one() {
        for a in 1..=255u8 {
            assert_eq!(Gf256(a) * Gf256(a).inverse(), Gf256(1), "{a:#04x}");
        }
    }

    #[test]
    fn multiplication_matches_a_carry_less_reference() {
        // A plain, branching reference: carry-less product, then reduction modulo 0x11B.
        fn reference(a: u8, b: u8) -> u8 {
            let mut wide = 0u16;
            for i in 0..8 {
                if (b >> i) & 1 == 1 {
                    wide ^= u16::from(a) << i;
                }
            }
            for bit in (8..16).rev() {
                if (wide >> bit) & 1 == 1 {
                    wide ^= 0x11B << (bit - 8);
                }
            }
            wide as u8
        }
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!((Gf256(a) * Gf256(b)).0, reference(a, b));
            }
        }
    }
}
