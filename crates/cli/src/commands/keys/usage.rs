//! `--usage`: the Cryptographic Usage Mask of a new object, when the server's default (Encrypt and
//! Decrypt for AES, MAC Generate and MAC Verify for HMAC, Sign and Verify for key pairs) is not
//! what the key is for.

use clap::ValueEnum;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::masks::CryptographicUsageMask;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Usage {
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    WrapKey,
    UnwrapKey,
    MacGenerate,
    MacVerify,
    DeriveKey,
    KeyAgreement,
}

impl Usage {
    fn bit(self) -> CryptographicUsageMask {
        match self {
            Usage::Encrypt => CryptographicUsageMask::Encrypt,
            Usage::Decrypt => CryptographicUsageMask::Decrypt,
            Usage::Sign => CryptographicUsageMask::Sign,
            Usage::Verify => CryptographicUsageMask::Verify,
            Usage::WrapKey => CryptographicUsageMask::WrapKey,
            Usage::UnwrapKey => CryptographicUsageMask::UnwrapKey,
            Usage::MacGenerate => CryptographicUsageMask::MACGenerate,
            Usage::MacVerify => CryptographicUsageMask::MACVerify,
            Usage::DeriveKey => CryptographicUsageMask::DeriveKey,
            Usage::KeyAgreement => CryptographicUsageMask::KeyAgreement,
        }
    }
}

/// The usage mask attribute of the uses given; none given leaves the choice to the server.
pub fn mask(uses: &[Usage]) -> Option<Attribute> {
    let (first, rest) = uses.split_first()?;
    let mask = rest.iter().fold(first.bit(), |mask, usage| mask | usage.bit());
    Some(Attribute::CryptographicUsageMask(mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_add_up_to_one_mask() {
        assert_eq!(mask(&[]), None);
        let both = CryptographicUsageMask::Encrypt | CryptographicUsageMask::MACGenerate;
        assert_eq!(mask(&[Usage::Encrypt, Usage::MacGenerate]), Some(Attribute::CryptographicUsageMask(both)));
    }
}
