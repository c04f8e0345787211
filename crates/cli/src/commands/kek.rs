//! `keyward kek status` and `keyward kek rotate`: the server's key-encryption key, through the
//! management API (administrators only).

use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::client_error::CliError;
use super::connection::{ClientOptions, with_management};
use super::output::Output;

#[derive(Debug, Args)]
pub struct KekArgs {
    #[command(subcommand)]
    pub command: KekCommand,
}

#[derive(Debug, Subcommand)]
pub enum KekCommand {
    /// The KEK versions the store knows (which one is needed, which may be destroyed) and the
    /// progress of a re-seal.
    Status,
    /// Make a new KEK (a file beside the old one, or a key in the token) and wrap the store's
    /// keyring under it; the old KEK is then needed for nothing.
    Rotate {
        /// Also make a new data key and re-seal every record under it, in the background.
        #[arg(long)]
        new_data_key: bool,
        /// Wait for the re-seal to finish (polling the status every second).
        #[arg(long)]
        wait: bool,
    },
}

pub fn run(options: &ClientOptions, args: KekArgs) -> Result<(), CliError> {
    let answer = match args.command {
        KekCommand::Status => with_management(options, async |client| {
            client.call("GET", "/v1/kek/status", None).await.map_err(CliError::from_management)
        })?,
        KekCommand::Rotate { new_data_key, wait } => with_management(options, async |client| {
            let body = json!({ "new_data_key": new_data_key });
            let mut status =
                client.call("POST", "/v1/kek/rotate", Some(&body)).await.map_err(CliError::from_management)?;
            while wait && status["reseal"].is_object() {
                if let Some(error) = status["reseal"]["error"].as_str() {
                    return Err(CliError::Management { status: 500, message: format!("the re-seal failed: {error}") });
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                status = client.call("GET", "/v1/kek/status", None).await.map_err(CliError::from_management)?;
            }
            Ok(status)
        })?,
    };
    Output { json: options.json }.print(&describe(&answer), answer);
    Ok(())
}

/// The status for a person.
fn describe(status: &Value) -> String {
    let mut out = format!(
        "source: {}\nactive KEK version: {}\ndata key generation: {}\n",
        status["source"].as_str().unwrap_or("?"),
        status["active_version"],
        status["data_key_generation"]
    );
    if status["data_key_derived_from_kek"] == Value::Bool(true) {
        out.push_str(
            "  (a store made before keyrings: its data key derives from the KEK; the next rotation makes a \
             new one and re-seals every record)\n",
        );
    }
    for version in status["versions"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  version {} ({}): {}\n    {}\n",
            version["version"],
            version["state"].as_str().unwrap_or("?"),
            version["meaning"].as_str().unwrap_or(""),
            version["location"].as_str().unwrap_or("")
        ));
    }
    match status["reseal"].as_object() {
        None => out.push_str("re-seal: none (every record is sealed under the current data key)\n"),
        Some(reseal) => out.push_str(&format!(
            "re-seal: from generations {} to {}, {} objects done, {}{}\n",
            reseal.get("from_generations").unwrap_or(&Value::Null),
            status["data_key_generation"],
            reseal.get("objects_done").unwrap_or(&Value::Null),
            if reseal.get("running").and_then(Value::as_bool) == Some(true) { "running" } else { "not running" },
            reseal.get("error").and_then(Value::as_str).map(|e| format!(" (failed: {e})")).unwrap_or_default()
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_reads_for_a_person() {
        let status = json!({
            "source": "file", "active_version": 2, "data_key_generation": 2,
            "versions": [
                {"version": 1, "state": "retiring", "meaning": "not needed to open the store", "location": "/d/kek"},
                {"version": 2, "state": "active", "meaning": "needed", "location": "/d/kek.v2"}
            ],
            "reseal": {"from_generations": [1], "objects_done": 10, "running": true, "error": null}
        });
        let text = describe(&status);
        assert!(text.contains("version 1 (retiring)") && text.contains("/d/kek.v2"), "{text}");
        assert!(text.contains("from generations [1] to 2, 10 objects done, running"), "{text}");
    }
}
