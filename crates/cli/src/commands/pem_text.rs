//! PEM for the client commands: reading the first block of a file, and writing DER as PEM
//! (RFC 7468: base64 in lines of 64 characters between BEGIN and END lines).

use rustls::pki_types::pem::{PemObject, SectionKind};
use zeroize::Zeroizing;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// True when the bytes look like PEM text rather than DER or raw bytes.
pub fn looks_like_pem(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    bytes[start..].starts_with(b"-----BEGIN ")
}

/// The first PEM block: its kind and its DER bytes (zeroized on drop: it may be a private key).
pub fn first_block(bytes: &[u8]) -> Option<(SectionKind, Zeroizing<Vec<u8>>)> {
    <(SectionKind, Vec<u8>)>::from_pem_slice(bytes).ok().map(|(kind, der)| (kind, Zeroizing::new(der)))
}

/// `der` as a PEM block labelled `label` ("PRIVATE KEY", "PUBLIC KEY", "CERTIFICATE").
pub fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let encoded = base64(der);
    let mut text = Zeroizing::new(String::with_capacity(encoded.len() + encoded.len() / 64 + 64));
    text.push_str(&format!("-----BEGIN {label}-----\n"));
    for line in encoded.as_bytes().chunks(64) {
        // The alphabet is ASCII, so every chunk is valid UTF-8.
        text.push_str(std::str::from_utf8(line).unwrap_or_default());
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

fn base64(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(3) * 4));
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [n >> 18, n >> 12, n >> 6, n].map(|s| char::from(ALPHABET[(s & 63) as usize]));
        let kept = chunk.len() + 1;
        for (index, c) in sextets.into_iter().enumerate() {
            out.push(if index < kept { c } else { '=' });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_as_rfc_4648_says() {
        for (input, expected) in
            [(&b""[..], ""), (b"f", "Zg=="), (b"fo", "Zm8="), (b"foo", "Zm9v"), (b"foobar", "Zm9vYmFy")]
        {
            assert_eq!(&*base64(input), expected);
        }
    }

    #[test]
    fn pem_written_reads_back() {
        let der: Vec<u8> = (0..=255).collect();
        let pem = encode("PRIVATE KEY", &der);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pem.lines().all(|line| line.len() <= 64 || line.starts_with("-----")));
        assert!(looks_like_pem(pem.as_bytes()));
        let (kind, back) = first_block(pem.as_bytes()).unwrap();
        assert_eq!(kind, SectionKind::PrivateKey);
        assert_eq!(*back, der);
        assert!(!looks_like_pem(&der));
    }
}
