//! One AES-256 key's life on a Keyward server, from Rust: Create, Activate, Encrypt, Decrypt,
//! Revoke and Destroy over mutual TLS, with the `keyward-client` crate's typed calls (a
//! [`Session`]) and `keyward-kmip`'s attributes.
//!
//! ```sh
//! keyward serve                                           # in another terminal, same directory
//! cargo run -p keyward-client --example rust-client
//! ```
//!
//! The environment says where the server is and which certificates to use; the defaults are what
//! `keyward serve` creates in `./keyward-data` on first start:
//!
//! | variable | default |
//! | --- | --- |
//! | `KEYWARD_ADDRESS` | `127.0.0.1:5696` |
//! | `KEYWARD_SERVER_NAME` | `localhost` (a name the server's certificate holds) |
//! | `KEYWARD_CA` | `keyward-data/pki/ca.pem` |
//! | `KEYWARD_CERT` | `keyward-data/pki/clients/admin.pem` |
//! | `KEYWARD_KEY` | `keyward-data/pki/clients/admin.key` |

use std::error::Error;
use std::path::PathBuf;

use keyward_client::{CipherInput, Client, ClientCredentials, Session};
use keyward_kmip::attributes::{Attribute, CryptographicParameters};
use keyward_kmip::enums::{BlockCipherMode, CryptographicAlgorithm, RevocationReasonCode};
use keyward_kmip::masks::CryptographicUsageMask;

fn setting(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let credentials = ClientCredentials::from_pem_files(
        &PathBuf::from(setting("KEYWARD_CA", "keyward-data/pki/ca.pem")),
        &PathBuf::from(setting("KEYWARD_CERT", "keyward-data/pki/clients/admin.pem")),
        &PathBuf::from(setting("KEYWARD_KEY", "keyward-data/pki/clients/admin.key")),
    )?;
    let address = setting("KEYWARD_ADDRESS", "127.0.0.1:5696").parse()?;
    let client = Client::new(address, &setting("KEYWARD_SERVER_NAME", "localhost"), &credentials)?;
    // One connection for the whole session. Opening it asks the server which KMIP versions it
    // speaks (Discover Versions) and uses the newest both sides know.
    let mut session = Session::open(&client).await?;
    println!("connected to {address} in KMIP {}", session.version());

    let usage = CryptographicUsageMask(CryptographicUsageMask::Encrypt.0 | CryptographicUsageMask::Decrypt.0);
    let uid = session
        .create_symmetric_key(vec![
            Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
            Attribute::CryptographicLength(256),
            Attribute::CryptographicUsageMask(usage),
        ])
        .await?;
    println!("created   {uid}");

    // A new key is Pre-Active; Encrypt is refused until it is Active.
    session.activate(&uid).await?;
    println!("activated {uid}");

    // AES-GCM. No IV is sent, so the server draws a fresh nonce and returns it with the tag.
    let gcm = CryptographicParameters {
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        block_cipher_mode: Some(BlockCipherMode::GCM),
        random_iv: Some(true),
        tag_length: Some(16),
        ..CryptographicParameters::default()
    };
    let message = b"The quick brown fox jumps over the lazy dog";
    let encrypted =
        session.encrypt(&uid, Some(gcm.clone()), CipherInput { data: message, ..CipherInput::default() }).await?;
    let (Some(nonce), Some(tag)) = (&encrypted.iv, &encrypted.tag) else {
        return Err("Encrypt answered without the nonce or the tag".into());
    };
    println!(
        "encrypted {} bytes into {} (nonce {})",
        message.len(),
        encrypted.data.as_slice().len(),
        hex(nonce.as_slice())
    );

    let input = CipherInput {
        data: encrypted.data.as_slice(),
        iv: Some(nonce.as_slice()),
        tag: Some(tag.as_slice()),
        ..CipherInput::default()
    };
    let plaintext = session.decrypt(&uid, Some(gcm), input).await?;
    if plaintext.as_slice() != message {
        return Err("the decrypted text differs from the message".into());
    }
    println!("decrypted {:?}", String::from_utf8_lossy(plaintext.as_slice()));

    // An Active key cannot be destroyed: revoke it first, which also ends its use.
    session.revoke(&uid, RevocationReasonCode::CessationOfOperation, None).await?;
    session.destroy(&uid).await?;
    println!("destroyed {uid}");
    session.close().await;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
