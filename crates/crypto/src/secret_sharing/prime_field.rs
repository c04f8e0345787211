//! Shamir's scheme in GF(p), the Polynomial Sharing Prime Field method: "secret sharing is
//! performed in the field GF(Prime Field Size), represented as integers, where Prime Field Size is
//! a prime bigger than 2^L" (1.4 §2.2.5, 2.1 §13.1), L being the bits of the secret.
//!
//! The whole secret is one integer (its bytes big-endian), the constant term of one polynomial of
//! degree threshold − 1 whose other coefficients are uniform in [0, p). The specification gives no
//! byte layout for a part; here a part's Key Material is its value y < p as an unsigned big-endian
//! integer of exactly as many bytes as p has (leading zeros kept, so every part has one length),
//! and the joined secret is written back in the number of bytes the caller says the secret has.
//!
//! Arithmetic is crypto-bigint's Montgomery form, constant-time in the values. The prime is the
//! client's, so it is tested: Baillie-PSW (crypto-primes; no composite is known to pass it) and
//! then Miller-Rabin with [`MILLER_RABIN_ROUNDS`] random bases, each of which a composite passes
//! with probability at most 1/4 whoever chose it.

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, NonZero, Odd, Resize};
use crypto_primes::hazmat::{MillerRabin, Primality};
use crypto_primes::{Flavor, is_prime};
use zeroize::{Zeroize, Zeroizing};

use crate::random::random_key;
use crate::{CryptoError, CryptoResult};

/// Random-base Miller-Rabin rounds after Baillie-PSW: with them alone a composite would pass with
/// probability at most 4^-32 = 2^-64.
pub const MILLER_RABIN_ROUNDS: usize = 32;

/// The largest Prime Field Size accepted, in bits: enough for a secret of 4,096 bits (any
/// symmetric key), small enough that testing the prime takes under two seconds (a 4,423-bit prime:
/// 1.7 s in a release build here; the test grows with the cube of the size).
pub const MAX_PRIME_BITS: u32 = 4_096 + 64;

/// GF(p) for a prime p checked by [`PrimeField::new`].
#[derive(Clone, Debug)]
pub struct PrimeField {
    modulus: Odd<BoxedUint>,
    params: BoxedMontyParams,
    /// The bytes of p, hence of every part.
    width: usize,
}

impl PrimeField {
    /// The field of the prime `prime`, an unsigned big-endian integer (leading zero bytes allowed).
    /// Anything that is not a prime of 9 to [`MAX_PRIME_BITS`] bits is refused.
    pub fn new(prime: &[u8]) -> CryptoResult<PrimeField> {
        let first = prime.iter().position(|b| *b != 0).unwrap_or(prime.len());
        let magnitude = &prime[first..];
        if magnitude.is_empty() || magnitude.len() * 8 > MAX_PRIME_BITS as usize + 8 {
            return Err(CryptoError::input(format!(
                "the Prime Field Size must be a prime of at most {MAX_PRIME_BITS} bits"
            )));
        }
        let value = BoxedUint::from_be_slice_vartime(magnitude);
        if value.bit_width_vartime() > MAX_PRIME_BITS {
            return Err(CryptoError::input(format!(
                "the Prime Field Size must be a prime of at most {MAX_PRIME_BITS} bits"
            )));
        }
        // p > 2^L and a secret has at least 8 bits, so p > 256; then the x of every part (1 to
        // 255) is a distinct nonzero element.
        if value.bit_width_vartime() < 9 {
            return Err(CryptoError::input("the Prime Field Size must be bigger than 2^8"));
        }
        let modulus =
            Odd::new(value).into_option().ok_or_else(|| CryptoError::input("the Prime Field Size is not a prime"))?;
        if !is_probable_prime(&modulus)? {
            return Err(CryptoError::input("the Prime Field Size is not a prime"));
        }
        let params = BoxedMontyParams::new_vartime(modulus.clone());
        Ok(PrimeField { modulus, params, width: magnitude.len() })
    }

    /// The bits of p.
    pub fn bits(&self) -> u32 {
        self.modulus.as_ref().bit_width_vartime()
    }

    /// The bytes of p, which every part has.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The largest secret, in bytes, this field can share: p > 2^(8·len).
    pub fn max_secret_len(&self) -> usize {
        // p is odd and above 256, so p > 2^(8·len) exactly when bits(p) > 8·len.
        (self.bits() as usize - 1) / 8
    }

    fn precision(&self) -> u32 {
        self.modulus.as_ref().bits_precision()
    }

    /// `bytes` (big-endian) as an element, refused unless below p.
    fn element(&self, bytes: &[u8]) -> CryptoResult<Zeroizing<BoxedMontyForm>> {
        let value = Zeroizing::new(
            BoxedUint::from_be_slice(bytes, self.precision())
                .map_err(|_| CryptoError::input("a value longer than p"))?,
        );
        if *value >= *self.modulus.as_ref() {
            return Err(CryptoError::input("a part's value is not below the Prime Field Size"));
        }
        Ok(Zeroizing::new(BoxedMontyForm::new((*value).clone(), &self.params)))
    }

    /// A uniform element, by rejection: draw as many bits as p has until the draw is below p
    /// (fewer than two draws on average).
    fn random_element(&self) -> CryptoResult<Zeroizing<BoxedMontyForm>> {
        let top_bits = self.bits() % 8;
        loop {
            let mut draw = random_key(self.width)?;
            if top_bits != 0 {
                draw[0] &= (1u8 << top_bits) - 1;
            }
            match self.element(&draw) {
                Ok(element) => return Ok(element),
                Err(_) => continue,
            }
        }
    }

    fn small(&self, value: u8) -> BoxedMontyForm {
        BoxedMontyForm::new(BoxedUint::from(u64::from(value)).resize(self.precision()), &self.params)
    }

    /// `element` as an unsigned big-endian integer of `len` bytes (refused if it does not fit).
    fn bytes(&self, element: &BoxedMontyForm, len: usize) -> CryptoResult<Zeroizing<Vec<u8>>> {
        let value = Zeroizing::new(element.retrieve());
        if value.bit_width_vartime() as usize > len * 8 {
            return Err(CryptoError::input(format!("the parts do not join into a secret of {len} bytes")));
        }
        let full = Zeroizing::new(value.to_be_bytes());
        let mut out = Zeroizing::new(vec![0u8; len]);
        let copied = full.len().min(len);
        out[len - copied..].copy_from_slice(&full[full.len() - copied..]);
        Ok(out)
    }

    /// The parts 1 to `parts` of `secret`, `threshold` of which recover it; each has
    /// [`PrimeField::width`] bytes.
    pub fn split(&self, secret: &[u8], threshold: usize, parts: usize) -> CryptoResult<Vec<Zeroizing<Vec<u8>>>> {
        if secret.len() > self.max_secret_len() {
            return Err(CryptoError::input(format!(
                "the Prime Field Size ({} bits) must be bigger than 2^{}, the secret's size",
                self.bits(),
                secret.len() * 8
            )));
        }
        let mut coefficients = Vec::with_capacity(threshold);
        coefficients.push(self.element(secret)?);
        for _ in 1..threshold {
            coefficients.push(self.random_element()?);
        }
        let mut shares = Vec::with_capacity(parts);
        for index in 1..=parts {
            let x = self.small(u8::try_from(index).unwrap_or(u8::MAX));
            // Horner: ((a_{k−1}·x + a_{k−2})·x + …)·x + a_0.
            let mut y = Zeroizing::new(BoxedMontyForm::zero(&self.params));
            for coefficient in coefficients.iter().rev() {
                let next = &*y * &x + &**coefficient;
                y.zeroize();
                *y = next;
            }
            shares.push(self.bytes(&y, self.width)?);
        }
        Ok(shares)
    }

    /// What interpolating through `shares` needs whatever the point: the x, the y and the inverses
    /// of the Lagrange denominators Π (x_i − x_j) over j ≠ i (k inversions once, not per point).
    fn basis(&self, shares: &[(u8, &[u8])]) -> CryptoResult<Basis> {
        let xs: Vec<BoxedMontyForm> = shares.iter().map(|(x, _)| self.small(*x)).collect();
        let mut inverse_denominators = Vec::with_capacity(xs.len());
        for (i, xi) in xs.iter().enumerate() {
            let mut denominator = BoxedMontyForm::one(&self.params);
            for (_, xj) in xs.iter().enumerate().filter(|(j, _)| *j != i) {
                denominator *= xi.clone() - xj;
            }
            // The x are public, so a variable-time inversion reveals nothing.
            let inverse = denominator
                .invert_vartime()
                .into_option()
                .ok_or_else(|| CryptoError::input("two parts have the same identifier"))?;
            inverse_denominators.push(inverse);
        }
        let ys = shares.iter().map(|(_, bytes)| self.element(bytes)).collect::<CryptoResult<Vec<_>>>()?;
        Ok(Basis { xs, inverse_denominators, ys })
    }

    /// The value at `point` of the polynomial through the basis, by Lagrange:
    /// Σ y_i · Π (point − x_j) / (x_i − x_j) over j ≠ i, the numerators from prefix and suffix
    /// products.
    fn evaluate(&self, basis: &Basis, point: &BoxedMontyForm) -> Zeroizing<BoxedMontyForm> {
        let k = basis.xs.len();
        let differences: Vec<BoxedMontyForm> = basis.xs.iter().map(|x| point.clone() - x).collect();
        // suffix[i] = Π differences[i..]; the prefix is carried along the sum.
        let mut suffix = vec![BoxedMontyForm::one(&self.params); k + 1];
        for i in (0..k).rev() {
            suffix[i] = &suffix[i + 1] * &differences[i];
        }
        let mut prefix = BoxedMontyForm::one(&self.params);
        let mut value = Zeroizing::new(BoxedMontyForm::zero(&self.params));
        for i in 0..k {
            let weight = &(&prefix * &suffix[i + 1]) * &basis.inverse_denominators[i];
            let term = Zeroizing::new(&*basis.ys[i] * &weight);
            let next = &*value + &*term;
            value.zeroize();
            *value = next;
            prefix *= &differences[i];
        }
        value
    }

    /// The secret of `secret_len` bytes the parts `(Key Part Identifier, bytes)` recover: the
    /// first `threshold` give it, and every further part must lie on the same polynomial. The
    /// identifiers must be distinct and nonzero.
    pub fn join(
        &self,
        shares: &[(u8, &[u8])],
        threshold: usize,
        secret_len: usize,
    ) -> CryptoResult<Zeroizing<Vec<u8>>> {
        let len = super::common_length(shares)?;
        if len != self.width {
            return Err(CryptoError::input("a part's length is not the Prime Field Size's"));
        }
        if secret_len > self.max_secret_len() {
            return Err(CryptoError::input("the secret is longer than the Prime Field Size allows"));
        }
        let (first, further) = shares.split_at(threshold.clamp(1, shares.len()));
        let basis = self.basis(first)?;
        for (x, given) in further {
            let expected = self.evaluate(&basis, &self.small(*x));
            if !super::same_bytes(&self.bytes(&expected, self.width)?, given) {
                return Err(super::different_splits());
            }
        }
        let secret = self.evaluate(&basis, &BoxedMontyForm::zero(&self.params));
        self.bytes(&secret, secret_len)
    }
}

/// The first threshold parts of a join, ready to interpolate through.
struct Basis {
    xs: Vec<BoxedMontyForm>,
    inverse_denominators: Vec<BoxedMontyForm>,
    ys: Vec<Zeroizing<BoxedMontyForm>>,
}

/// Baillie-PSW, then [`MILLER_RABIN_ROUNDS`] Miller-Rabin rounds with random bases in [2, p − 2].
fn is_probable_prime(candidate: &Odd<BoxedUint>) -> CryptoResult<bool> {
    let value = candidate.as_ref();
    if !is_prime(Flavor::Any, value) {
        return Ok(false);
    }
    let test = MillerRabin::new(candidate.clone());
    let bytes = value.bit_width_vartime().div_ceil(8) as usize;
    let precision = value.bits_precision();
    let two = BoxedUint::from(2u64).resize(precision);
    let span = value.wrapping_sub(BoxedUint::from(3u64).resize(precision)); // bases 2..=p−2
    let span = NonZero::new(span).into_option().ok_or_else(|| CryptoError::failed("no Miller-Rabin base"))?;
    for _ in 0..MILLER_RABIN_ROUNDS {
        let draw = crate::random::random_bytes(bytes + 8)?;
        // 64 extra bits make the bias of the reduction negligible; the base is public.
        let wide = BoxedUint::from_be_slice_vartime(&draw);
        let base = wide.rem_vartime(&span).wrapping_add(&two);
        if let Primality::Composite = test.test(&base) {
            return Ok(false);
        }
    }
    Ok(true)
}
