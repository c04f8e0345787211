//! `keyward audit`: checking and reading the server's audit trail (docs/security/audit.md).
//!
//! `verify` checks the hash chain, the sequence, the checkpoints' MACs and the head file, and
//! names the first bad record; without the key's sources (`--data-dir` and `--kek`, or the
//! server's `--config`, which also reaches a PostgreSQL store or a PKCS#11 KEK) it checks the chain
//! only and says so. `show` prints the request records that match its filters, of one trail or
//! of several nodes' merged by time (`merge`).

use std::path::{Path, PathBuf};

mod merge;

use clap::{Args, Subcommand};
use keyward_server::ServerConfig;
use keyward_server::audit::{self, AuditMacKey, Record};

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    action: AuditAction,
}

#[derive(Debug, Subcommand)]
enum AuditAction {
    /// Check an audit file or directory; name the first bad record (exit status 1).
    Verify(VerifyArgs),
    /// Print the records of an audit file or directory, filtered.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// An audit directory or one audit-NNNNNNNN.jsonl file [default: <data-dir>/audit].
    path: Option<PathBuf>,
    /// The key-encryption key file [default: <data-dir>/kek]: with the store's keyring it gives
    /// the key that checks the checkpoints' MACs.
    #[arg(long, value_name = "FILE")]
    kek: Option<PathBuf>,
    /// The server's data directory: its keyring (opened by the KEK) checks the MACs, and its
    /// trail (<DIR>/audit) is checked when no PATH is given. With PATH a directory named `audit`
    /// and --kek, its parent.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The server's configuration file: its store (sled or PostgreSQL) and KEK (a file or a
    /// PKCS#11 token) give the key that checks the MACs, and its trail is checked when no PATH is
    /// given.
    #[arg(long, short, value_name = "FILE", conflicts_with = "kek")]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// Audit directories or audit-NNNNNNNN.jsonl files [default: <data-dir>/audit]. Several (the
    /// nodes of a cluster) are merged by time, each record marked with its trail.
    path: Vec<PathBuf>,
    /// The server's data directory [default: ./keyward-data]; repeated, several nodes' trails.
    #[arg(long, value_name = "DIR", conflicts_with = "path")]
    data_dir: Vec<PathBuf>,
    /// Only records involving this Unique Identifier (as input or output).
    #[arg(long, value_name = "UID")]
    object: Option<String>,
    /// Only records of this client identity.
    #[arg(long, value_name = "NAME")]
    identity: Option<String>,
    /// Only records of this operation (Get, get, re-key, ...).
    #[arg(long, value_name = "OP")]
    operation: Option<String>,
    /// Only records at or after this UTC time (RFC 3339: 2026-12-05, 2026-12-05T20:30:00Z).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Only records before this UTC time (same format).
    #[arg(long, value_name = "T")]
    until: Option<String>,
    /// Print the matching records as JSON Lines, as stored.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{0}")]
    Key(String),
    #[error("audit trail broken: {0}")]
    Broken(#[from] audit::Broken),
    #[error("cannot read {path}: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("{path} line {line}: not an audit record: {error}")]
    Record { path: PathBuf, line: usize, error: serde_json::Error },
    #[error("{0}")]
    Usage(String),
}

pub fn run(args: AuditArgs) -> Result<(), AuditError> {
    match args.action {
        AuditAction::Verify(args) => verify(args),
        AuditAction::Show(args) => show(args),
    }
}

fn default_trail(path: Option<PathBuf>, data_dir: Option<&Path>) -> PathBuf {
    path.unwrap_or_else(|| {
        let data_dir = data_dir.map_or_else(|| ServerConfig::default().data_dir, Path::to_path_buf);
        ServerConfig { data_dir: data_dir.clone(), ..ServerConfig::default() }.audit.directory(&data_dir)
    })
}

/// The configuration `--config` names, with `--data-dir` over its data directory.
fn server_config(args: &VerifyArgs) -> Result<Option<ServerConfig>, AuditError> {
    let Some(path) = &args.config else { return Ok(None) };
    let mut config = ServerConfig::load(path).map_err(|e| AuditError::Key(format!("{}: {e}", path.display())))?;
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    Ok(Some(config))
}

fn verify(args: VerifyArgs) -> Result<(), AuditError> {
    let key = mac_key(&args)?;
    let configured = server_config(&args)?;
    if args.path.is_none() && args.data_dir.is_none() && configured.is_none() {
        return Err(AuditError::Usage("give the trail's PATH, --data-dir or --config".into()));
    }
    let path = match (&args.path, &configured) {
        (None, Some(config)) => config.audit.directory(&config.data_dir),
        _ => default_trail(args.path, args.data_dir.as_deref()),
    };
    let verified = audit::verify(&path, key.as_ref())?;
    let seqs = match (verified.first_seq, verified.last_seq) {
        (Some(first), Some(last)) => format!("seq {first} to {last}"),
        _ => "no records".into(),
    };
    println!(
        "{}: verified: {} file(s), {} request record(s), {} checkpoint(s), {seqs}; {}",
        path.display(),
        verified.files,
        verified.records,
        verified.checkpoints,
        if verified.macs_checked { "checkpoint and head MACs checked" } else { "hash chain only" }
    );
    for note in &verified.notes {
        println!("note: {note}");
    }
    Ok(())
}

/// The checkpoint key, when the arguments name a store (its keyring holds the key's secret,
/// wrapped by the KEK); `None` for a check of the chain only.
fn mac_key(args: &VerifyArgs) -> Result<Option<AuditMacKey>, AuditError> {
    if let Some(config) = server_config(args)? {
        return keyward_server::audit_key(&config).map(Some).map_err(|e| AuditError::Key(e.to_string()));
    }
    let trail_parent = || {
        let path = args.path.as_deref()?;
        (path.is_dir() && path.file_name()? == "audit").then(|| path.parent().map(Path::to_path_buf)).flatten()
    };
    let data_dir = match (&args.data_dir, &args.kek) {
        (Some(dir), _) => dir.clone(),
        (None, Some(_)) => trail_parent().ok_or_else(|| {
            AuditError::Usage("--kek needs the store's --data-dir (its keyring derives the checkpoint key)".into())
        })?,
        (None, None) => return Ok(None),
    };
    let kek = args.kek.clone().unwrap_or_else(|| data_dir.join("kek"));
    audit::mac_key_from_files(&data_dir, &kek).map(Some).map_err(AuditError::Key)
}

/// The filters of `show`.
struct Filter {
    object: Option<String>,
    identity: Option<String>,
    operation: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

/// An operation's name reduced to compare: lowercase letters and digits.
fn squash(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// A time bound as text comparable with the records' RFC 3339 UTC times.
fn bound(text: Option<String>, flag: &str) -> Result<Option<String>, AuditError> {
    let Some(text) = text else { return Ok(None) };
    let trimmed = text.trim_end_matches('Z');
    let shape_ok = trimmed.len() >= 4
        && trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | 'T' | ':' | '.'))
        && trimmed.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    if !shape_ok {
        return Err(AuditError::Usage(format!("{flag}: {text:?} is not an RFC 3339 UTC time (2026-12-05T20:30:00Z)")));
    }
    Ok(Some(trimmed.to_string()))
}

impl Filter {
    fn matches(&self, record: &Record) -> bool {
        let time = record.time.trim_end_matches('Z');
        !record.is_checkpoint()
            && self.object.as_ref().is_none_or(|uid| record.inputs.contains(uid) || record.outputs.contains(uid))
            && self.identity.as_ref().is_none_or(|name| record.identity.as_ref() == Some(name))
            && self.operation.as_ref().is_none_or(|op| record.operation.as_deref().map(squash) == Some(squash(op)))
            && self.since.as_ref().is_none_or(|since| time >= since.as_str())
            && self.until.as_ref().is_none_or(|until| time < until.as_str())
    }
}

fn show(args: ShowArgs) -> Result<(), AuditError> {
    let filter = Filter {
        object: args.object,
        identity: args.identity,
        operation: args.operation,
        since: bound(args.since, "--since")?,
        until: bound(args.until, "--until")?,
    };
    let paths: Vec<(PathBuf, String)> = match (args.path.is_empty(), args.data_dir.is_empty()) {
        (false, _) => args.path.iter().map(|p| (p.clone(), p.display().to_string())).collect(),
        (true, false) => {
            args.data_dir.iter().map(|dir| (default_trail(None, Some(dir)), dir.display().to_string())).collect()
        }
        (true, true) => vec![(default_trail(None, None), String::new())],
    };
    let several = paths.len() > 1;
    let mut trails =
        paths.into_iter().map(|(path, label)| merge::Trail::open(&path, label)).collect::<Result<Vec<_>, _>>()?;
    let labels: Vec<String> = trails.iter().map(|t| t.label.clone()).collect();
    merge::merged(&mut trails, |index, record, line| {
        if !filter.matches(record) {
            return Ok(());
        }
        match (args.json, several) {
            (true, false) => println!("{line}"),
            (true, true) => println!("{{\"trail\":{},\"record\":{line}}}", serde_json::json!(labels[index])),
            (false, false) => println!("{}", describe(record)),
            (false, true) => println!("[{}] {}", labels[index], describe(record)),
        }
        Ok(())
    })
}

/// One line for a person: when, who, what, on which objects, with what result.
fn describe(record: &Record) -> String {
    let dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".into());
    let result = match &record.reason {
        Some(reason) => format!("{} ({reason})", dash(&record.status)),
        None => dash(&record.status),
    };
    let mut objects = record.inputs.join(",");
    if !record.outputs.is_empty() {
        objects = format!("{objects} -> {}", record.outputs.join(","));
        if record.outputs_omitted > 0 {
            objects.push_str(&format!(" (+{} more)", record.outputs_omitted));
        }
    }
    let commit = record.commit.map(|n| format!(" (commit {n})")).unwrap_or_default();
    format!(
        "{} #{} {} [{}] {} {} {} {}{commit}",
        record.time,
        record.seq,
        dash(&record.identity),
        dash(&record.peer),
        dash(&record.version),
        record.operation.as_deref().unwrap_or("(unreadable message)"),
        result,
        if objects.is_empty() { "-".into() } else { objects }
    )
}
