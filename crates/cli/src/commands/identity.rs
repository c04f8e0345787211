//! `keyward identity`: who the server takes this client for (the identity its certificate maps
//! to) and with which rights, through the management API. The first thing to check when a
//! certificate does not get the access it should.

use clap::Args;
use serde_json::Value;

use super::client_error::CliError;
use super::connection::{ClientOptions, with_management};

#[derive(Debug, Args)]
pub struct IdentityArgs {}

pub fn run(options: &ClientOptions, _args: IdentityArgs) -> Result<(), CliError> {
    let answer = with_management(options, async |client| {
        client.call("GET", "/v1/identity", None).await.map_err(CliError::from_management)
    })?;
    if options.json {
        println!("{answer}");
        return Ok(());
    }
    let Value::Object(fields) = answer else {
        return Err(CliError::connect("the server's answer is not an object", None));
    };
    for (name, value) in fields {
        let value = match value {
            Value::String(text) => text,
            other => other.to_string(),
        };
        println!("{name}: {value}");
    }
    Ok(())
}
