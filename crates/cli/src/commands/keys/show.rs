//! `keys show UID`: every attribute of an object.

use clap::Args;
use serde_json::json;

use super::attribute_text;
use crate::commands::client_error::CliError;
use crate::commands::connection::{ClientOptions, with_session};
use crate::commands::output::{Output, table};

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The object's unique identifier.
    uid: String,
}

pub fn run(options: &ClientOptions, output: Output, args: ShowArgs) -> Result<(), CliError> {
    let uid = args.uid;
    let attributes = with_session(options, async |session| {
        session.get_attributes(&uid, Vec::new()).await.map_err(|e| CliError::from_session(e, Some(&uid)))
    })?;
    let pairs: Vec<(String, String)> =
        attributes.iter().map(|a| (attribute_text::name(a), attribute_text::value(a))).collect();
    let rows: Vec<Vec<String>> = pairs.iter().map(|(name, value)| vec![name.clone(), value.clone()]).collect();
    let json_attributes: Vec<_> = pairs.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect();
    output.print(
        &table(&["ATTRIBUTE", "VALUE"], &rows),
        json!({ "unique_identifier": uid, "attributes": json_attributes }),
    );
    Ok(())
}
