//! `keys activate`, `revoke`, `destroy` and `rekey`: moving an object through its lifecycle.

use clap::{Args, ValueEnum};
use keyward_kmip::Interval;
use keyward_kmip::enums::RevocationReasonCode;
use serde_json::json;

use crate::commands::client_error::CliError;
use crate::commands::connection::{ClientOptions, with_session};
use crate::commands::output::Output;

#[derive(Debug, Args)]
pub struct UidArgs {
    /// The object's unique identifier.
    uid: String,
}

/// The reasons of Revoke (KMIP 2.1 §11.28).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Reason {
    Unspecified,
    Compromised,
    CaCompromised,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    PrivilegeWithdrawn,
}

impl Reason {
    fn kmip(self) -> RevocationReasonCode {
        match self {
            Reason::Unspecified => RevocationReasonCode::Unspecified,
            Reason::Compromised => RevocationReasonCode::KeyCompromise,
            Reason::CaCompromised => RevocationReasonCode::CACompromise,
            Reason::AffiliationChanged => RevocationReasonCode::AffiliationChanged,
            Reason::Superseded => RevocationReasonCode::Superseded,
            Reason::CessationOfOperation => RevocationReasonCode::CessationOfOperation,
            Reason::PrivilegeWithdrawn => RevocationReasonCode::PrivilegeWithdrawn,
        }
    }
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The object's unique identifier.
    uid: String,
    /// Why: a compromise moves the object to Compromised; any other reason deactivates it.
    #[arg(long, value_enum, default_value = "cessation-of-operation")]
    reason: Reason,
    /// A note kept with the revocation.
    #[arg(long)]
    message: Option<String>,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// The symmetric key to replace.
    uid: String,
    /// Seconds from the new key's creation to its activation (default: it takes the old key's
    /// dates as they are).
    #[arg(long, value_name = "SECONDS")]
    offset: Option<u32>,
}

/// Prints what was done to which object.
fn done(output: Output, uid: &str, operation: &str, human: &str) {
    output.print(human, json!({ "unique_identifier": uid, "operation": operation }));
}

pub fn activate(options: &ClientOptions, output: Output, args: UidArgs) -> Result<(), CliError> {
    let uid = args.uid;
    with_session(options, async |session| {
        session.activate(&uid).await.map_err(|e| CliError::from_session(e, Some(&uid)))
    })?;
    done(output, &uid, "activate", &format!("activated {uid}"));
    Ok(())
}

pub fn revoke(options: &ClientOptions, output: Output, args: RevokeArgs) -> Result<(), CliError> {
    let uid = args.uid;
    let code = args.reason.kmip();
    with_session(options, async |session| {
        session.revoke(&uid, code, args.message).await.map_err(|e| CliError::from_session(e, Some(&uid)))
    })?;
    done(output, &uid, "revoke", &format!("revoked {uid}"));
    Ok(())
}

pub fn destroy(options: &ClientOptions, output: Output, args: UidArgs) -> Result<(), CliError> {
    let uid = args.uid;
    with_session(options, async |session| {
        session.destroy(&uid).await.map_err(|e| CliError::from_session(e, Some(&uid)))
    })?;
    done(output, &uid, "destroy", &format!("destroyed {uid}"));
    Ok(())
}

pub fn rekey(options: &ClientOptions, output: Output, args: RekeyArgs) -> Result<(), CliError> {
    let uid = args.uid;
    let offset = args.offset.map(Interval);
    let replacement = with_session(options, async |session| {
        session.re_key(&uid, offset).await.map_err(|e| CliError::from_session(e, Some(&uid)))
    })?;
    output.print(&replacement, json!({ "unique_identifier": uid, "replacement": replacement }));
    Ok(())
}
