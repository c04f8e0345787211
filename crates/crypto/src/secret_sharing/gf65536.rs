//! GF(2^16) as the KMIP specification builds it (1.4 §2.2.5, 2.1 §13.1): the quadratic extension
//! GF(2^8)[y]/(y^2 + y + m) with m = x^5 + x^4 + x^3 + x = {3A}, an element being uy + v with u, v
//! in GF(2^8) (see [`super::gf256`]), written as the byte pair (u, v).
//!
//! The product follows from y^2 = y + m (characteristic 2):
//! (ry + s)(uy + v) = ((r + s)(u + v) + sv)y + (ru·m + sv).
//! The specification prints the constant term as "ru + svm"; that formula has no identity element
//! and is not associative, and it contradicts the inverse the same clause gives,
//! (uy + v)^-1 = u·d^-1·y + (u + v)·d^-1 with d = (u + v)v + m·u^2, which the product above
//! satisfies. So the product above is the one implemented, and the clause's inverse with it.
//! Both are built on the constant-time GF(2^8) operations and branch on nothing secret.
//!
//! The elements with u = 0 are GF(2^8) itself (a subfield): Key Part Identifiers (1 to 255) are
//! such elements, which `secret_sharing` uses for a secret of an odd number of bytes.

use core::ops::{Add, Mul};

use zeroize::Zeroize;

use super::gf256::Gf256;
use super::polynomial::Field;

/// m = {3A}, the constant of y^2 + y + m.
const M: Gf256 = Gf256(0x3A);

/// An element uy + v of GF(2^16).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Zeroize)]
pub struct Gf65536 {
    pub u: Gf256,
    pub v: Gf256,
}

impl Gf65536 {
    pub fn new(u: u8, v: u8) -> Gf65536 {
        Gf65536 { u: Gf256(u), v: Gf256(v) }
    }

    /// The inverse by the clause's formula; zero (which has none) gives zero.
    pub fn inverse(self) -> Gf65536 {
        let (u, v) = (self.u, self.v);
        let d = (u + v) * v + M * u * u;
        let d_inverse = d.inverse();
        Gf65536 { u: u * d_inverse, v: (u + v) * d_inverse }
    }
}

impl Add for Gf65536 {
    type Output = Gf65536;

    fn add(self, other: Gf65536) -> Gf65536 {
        Gf65536 { u: self.u + other.u, v: self.v + other.v }
    }
}

impl Mul for Gf65536 {
    type Output = Gf65536;

    /// The product (see the module doc for the formula).
    fn mul(self, other: Gf65536) -> Gf65536 {
        let (r, s, u, v) = (self.u, self.v, other.u, other.v);
        let sv = s * v;
        Gf65536 { u: (r + s) * (u + v) + sv, v: r * u * M + sv }
    }
}

impl Field for Gf65536 {
    const WIDTH: usize = 2;

    fn zero() -> Self {
        Gf65536::new(0, 0)
    }

    fn one() -> Self {
        Gf65536::new(0, 1)
    }

    fn inverse(self) -> Self {
        Gf65536::inverse(self)
    }

    fn from_part(identifier: u8) -> Self {
        Gf65536::new(0, identifier)
    }

    /// Two bytes are (u, v); a single byte (the last piece of an odd-length secret) is v, the
    /// element of the GF(2^8) subfield.
    fn read(piece: &[u8]) -> Self {
        match piece {
            [u, v, ..] => Gf65536::new(*u, *v),
            [v] => Gf65536::new(0, *v),
            [] => Gf65536::zero(),
        }
    }

    fn write(self, width: usize, out: &mut Vec<u8>) {
        if width >= 2 {
            out.push(self.u.0);
        }
        out.push(self.v.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y_is_a_root_of_y2_plus_y_plus_m() {
        let y = Gf65536::new(1, 0);
        let m = Gf65536::new(0, 0x3A);
        assert_eq!(y * y + y + m, Gf65536::zero());
    }

    #[test]
    fn known_products() {
        // (y)(y) = y + m; (y + 1)(y) = y^2 + y = m; {02}{03} in the subfield = {06}.
        assert_eq!(Gf65536::new(1, 0) * Gf65536::new(1, 0), Gf65536::new(1, 0x3A));
        assert_eq!(Gf65536::new(1, 1) * Gf65536::new(1, 0), Gf65536::new(0, 0x3A));
        assert_eq!(Gf65536::new(0, 2) * Gf65536::new(0, 3), Gf65536::new(0, 6));
        // FIPS 197's {57}{83} = {c1} holds in the subfield too.
        assert_eq!(Gf65536::new(0, 0x57) * Gf65536::new(0, 0x83), Gf65536::new(0, 0xC1));
        // (y + {02})({03}y + {01}) = {03}y^2 + ({01} + {06})y + {02} = {03}(y + m) + {07}y + {02}
        //   = {04}y + ({03}{3A} + {02}); {03}{3A} = {3A} ^ {74} = {4E}, so {4C}.
        assert_eq!(Gf65536::new(1, 2) * Gf65536::new(3, 1), Gf65536::new(4, 0x4C));
    }

    #[test]
    fn the_identity_is_one_and_every_nonzero_element_has_an_inverse() {
        for u in 0..=255u8 {
            for v in 0..=255u8 {
                let a = Gf65536::new(u, v);
                assert_eq!(a * Gf65536::one(), a);
                if u != 0 || v != 0 {
                    assert_eq!(a * a.inverse(), Gf65536::one(), "({u:#04x}, {v:#04x})");
                }
            }
        }
    }

    #[test]
    fn multiplication_is_associative_and_distributive_on_a_sample() {
        let sample: Vec<Gf65536> = (0..40u16)
            .map(|i| Gf65536::new((i.wrapping_mul(97) >> 3) as u8, (i.wrapping_mul(31) ^ 0x5A) as u8))
            .collect();
        for a in &sample {
            for b in &sample {
                for c in sample.iter().step_by(7) {
                    assert_eq!(*a * *b * *c, *a * (*b * *c));
                    assert_eq!(*a * (*b + *c), *a * *b + *a * *c);
                }
            }
        }
    }
}
