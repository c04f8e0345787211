//! `keyward rotation`: the server's rotation policies and its rotation schedule, through the
//! management API (docs/operations/rotation.md).
//!
//! - `keyward rotation policies list`
//! - `keyward rotation policies add --id ID (--object UID | --group NAME | --name-pattern GLOB)
//!   --interval 90d [--offset 1h] [--grace 7d] [--protect-stop] [--revoke]`
//! - `keyward rotation policies remove ID`
//! - `keyward rotation schedule [--object UID]`

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::client_error::CliError;
use super::connection::{ClientOptions, with_management};
use super::output::table;

#[derive(Debug, Args)]
pub struct RotationArgs {
    #[command(subcommand)]
    command: RotationCommand,
}

#[derive(Debug, Subcommand)]
enum RotationCommand {
    /// List, add or remove the server's rotation policies (administrators).
    Policies(PoliciesArgs),
    /// The next rotation of every object that rotates (your own; an administrator sees all).
    Schedule(ScheduleArgs),
}

#[derive(Debug, Args)]
struct PoliciesArgs {
    #[command(subcommand)]
    command: PoliciesCommand,
}

#[derive(Debug, Subcommand)]
enum PoliciesCommand {
    /// Every policy, with where it comes from (configuration file or API).
    List,
    /// Add a policy.
    Add(AddArgs),
    /// Remove a policy added through the API.
    Remove {
        /// The policy's id.
        id: String,
    },
}

#[derive(Debug, Args)]
struct AddArgs {
    /// The policy's name: letters, digits, '-', '_' or '.'.
    #[arg(long)]
    id: String,
    /// Rotate this one object.
    #[arg(long, group = "selector", required_unless_present_any = ["group", "name_pattern"])]
    object: Option<String>,
    /// Rotate the members of this Object Group.
    #[arg(long, group = "selector")]
    group: Option<String>,
    /// Rotate the objects with a Name matching this pattern (`*` and `?`).
    #[arg(long, group = "selector")]
    name_pattern: Option<String>,
    /// From an object's Initial Date (or last rotation) to its rotation: seconds, or 90d, 12h, 30m, 2s.
    #[arg(long)]
    interval: String,
    /// The new key's Activation Date, this long after its creation (the Re-key's Offset).
    #[arg(long)]
    offset: Option<String>,
    /// Keep the replaced key Active this long, then Deactivate it.
    #[arg(long)]
    grace: Option<String>,
    /// Give the replaced key a Protect Stop Date of the rotation time.
    #[arg(long)]
    protect_stop: bool,
    /// Revoke the replaced key (reason Superseded) at rotation.
    #[arg(long, conflicts_with = "grace")]
    revoke: bool,
}

#[derive(Debug, Args)]
struct ScheduleArgs {
    /// Only this object.
    #[arg(long)]
    object: Option<String>,
}

pub fn run(options: &ClientOptions, args: RotationArgs) -> Result<(), CliError> {
    match args.command {
        RotationCommand::Policies(PoliciesArgs { command: PoliciesCommand::List }) => {
            let answer = call(options, "GET", "/v1/rotation/policies".into(), None)?;
            print(options, &answer, policies_table)
        }
        RotationCommand::Policies(PoliciesArgs { command: PoliciesCommand::Add(add) }) => {
            let policy = policy_json(&add);
            let answer = call(options, "POST", "/v1/rotation/policies".into(), Some(policy))?;
            print(options, &answer, |_| format!("added rotation policy {}", add.id))
        }
        RotationCommand::Policies(PoliciesArgs { command: PoliciesCommand::Remove { id } }) => {
            let answer = call(options, "DELETE", format!("/v1/rotation/policies/{id}"), None)?;
            print(options, &answer, |_| format!("removed rotation policy {id}"))
        }
        RotationCommand::Schedule(ScheduleArgs { object }) => {
            let path = match &object {
                Some(uid) => format!("/v1/rotation/schedule?object={uid}"),
                None => "/v1/rotation/schedule".into(),
            };
            let answer = call(options, "GET", path, None)?;
            print(options, &answer, schedule_table)
        }
    }
}

fn call(options: &ClientOptions, method: &str, path: String, body: Option<Value>) -> Result<Value, CliError> {
    with_management(options, async |client| {
        client.call(method, &path, body.as_ref()).await.map_err(CliError::from_management)
    })
}

fn print(options: &ClientOptions, answer: &Value, human: impl FnOnce(&Value) -> String) -> Result<(), CliError> {
    if options.json {
        println!("{answer}");
    } else {
        println!("{}", human(answer).trim_end_matches('\n'));
    }
    Ok(())
}

/// The policy as the API takes it: durations are sent as written, and checked by the server.
fn policy_json(add: &AddArgs) -> Value {
    let mut policy = json!({ "id": add.id, "interval": add.interval });
    let fields = [
        ("object", &add.object),
        ("object_group", &add.group),
        ("name_pattern", &add.name_pattern),
        ("offset", &add.offset),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            policy[name] = json!(value);
        }
    }
    let mut replaced = json!({});
    if let Some(grace) = &add.grace {
        replaced["grace"] = json!(grace);
    }
    if add.protect_stop {
        replaced["protect_stop"] = json!(true);
    }
    if add.revoke {
        replaced["revoke"] = json!(true);
    }
    policy["replaced"] = replaced;
    policy
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn policies_table(answer: &Value) -> String {
    let policies = answer["policies"].as_array().cloned().unwrap_or_default();
    if policies.is_empty() {
        return "no rotation policies".into();
    }
    let rows: Vec<Vec<String>> = policies
        .iter()
        .map(|p| {
            let selects = ["object", "object_group", "name_pattern"]
                .iter()
                .find_map(|k| p.get(*k).map(|v| format!("{k}={}", cell(v))))
                .unwrap_or_default();
            let replaced = p.get("replaced").filter(|r| r.as_object().is_some_and(|o| !o.is_empty()));
            vec![
                cell(&p["id"]),
                selects,
                cell(&p["interval"]),
                cell(&p["offset"]),
                replaced.map(Value::to_string).unwrap_or_default(),
                cell(&p["origin"]),
            ]
        })
        .collect();
    table(&["ID", "SELECTS", "INTERVAL (s)", "OFFSET (s)", "REPLACED KEY", "ORIGIN"], &rows)
}

fn schedule_table(answer: &Value) -> String {
    let rows: Vec<Vec<String>> = answer["schedule"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let overdue = if e["overdue"] == json!(true) { " (due)" } else { "" };
            vec![
                cell(&e["object"]),
                format!("{}{overdue}", cell(&e["next_rotation"])),
                cell(&e["source"]),
                cell(&e["owner"]),
            ]
        })
        .collect();
    if rows.is_empty() {
        return "nothing rotates".into();
    }
    table(&["OBJECT", "NEXT ROTATION", "BY", "OWNER"], &rows)
}
