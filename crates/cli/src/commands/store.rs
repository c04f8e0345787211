//! `keyward store`: the store of a stopped server, checked or compacted.
//!
//! - `verify` reads every record and setting, checks its tag, header and identifier, and compares
//!   the store with its watermark (what it acknowledged). Exit status 1 and each problem named on
//!   standard error when anything is wrong. `--accept` then records the store's state as what it
//!   acknowledged: for a store restored or repaired on purpose (refused when a record is damaged).
//! - `compact` rewrites the store so that only the current value of each record is in its files:
//!   the sealed key material of destroyed objects is gone (docs/operations/store.md).
//!
//! Both load the KEK as `keyward serve` does (never create it), from `--config` and `--data-dir`.
//! - `migrate` moves a stopped store between sled and PostgreSQL, checked (`store/migrate.rs`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use keyward_server::{ConfigError, Maintenance, ServerConfig, ServerError};

mod migrate;

#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    action: StoreAction,
}

#[derive(Debug, Subcommand)]
enum StoreAction {
    /// Read and check every record of a stopped server's store; exit 1 on any problem.
    Verify(VerifyArgs),
    /// Rewrite a stopped server's store so that no file keeps earlier values (destroyed keys).
    Compact(Location),
    /// Move a store between a data directory (sled) and a PostgreSQL database, checked.
    Migrate(migrate::MigrateArgs),
}

/// Where the store and its KEK are.
#[derive(Debug, Args)]
struct Location {
    /// The data directory [default: the configuration's, else ./keyward-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The server's configuration file, for its data directory, KEK and cache size.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    #[command(flatten)]
    location: Location,
    /// Once every record reads back, record the store as it is as what it acknowledged (after a
    /// deliberate restore); a store missing acknowledged commits then opens.
    #[arg(long)]
    accept: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreCommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("the store in {0} has problems (listed above)")]
    Problems(String),
    #[error("{0}")]
    Migrate(String),
}

pub fn run(args: StoreArgs) -> Result<(), StoreCommandError> {
    match args.action {
        StoreAction::Verify(args) => verify(args),
        StoreAction::Compact(location) => compact(location),
        StoreAction::Migrate(args) => migrate::migrate(args).map_err(StoreCommandError::Migrate),
    }
}

impl Location {
    fn config(&self) -> Result<ServerConfig, ConfigError> {
        let mut config = match &self.config {
            Some(path) => ServerConfig::load(path)?,
            None => ServerConfig::default(),
        };
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        Ok(config)
    }
}

fn verify(args: VerifyArgs) -> Result<(), StoreCommandError> {
    let config = args.location.config()?;
    let action = if args.accept { Maintenance::Accept } else { Maintenance::Verify };
    let report = match keyward_server::verify_store(&config, action) {
        Ok(report) => report,
        // So damaged that it does not open: that is the finding.
        Err(ServerError::Damaged { what, .. }) => {
            eprintln!("damaged: {what}");
            return Err(StoreCommandError::Problems(config.data_dir.display().to_string()));
        }
        Err(error) => return Err(error.into()),
    };
    println!("store        {}", config.data_dir.display());
    println!("objects      {}", report.objects);
    println!("settings     {}", report.settings);
    let show = |n: Option<u64>| n.map_or_else(|| "none".to_string(), |n| n.to_string());
    println!("flushes      {} in the store, {} acknowledged", show(report.flushes), show(report.acknowledged_flushes));
    for problem in &report.damaged_records {
        eprintln!("damaged: {problem}");
    }
    if report.damaged_count > report.damaged_records.len() as u64 {
        eprintln!("damaged: ... {} records in all", report.damaged_count);
    }
    if let Some(shortfall) = &report.shortfall {
        eprintln!("missing: {shortfall}");
    }
    if args.accept {
        println!("accepted: the store's state is now what it acknowledged");
        return Ok(());
    }
    if !report.is_clean() {
        return Err(StoreCommandError::Problems(config.data_dir.display().to_string()));
    }
    println!("ok: every record reads back and nothing acknowledged is missing");
    Ok(())
}

fn compact(location: Location) -> Result<(), StoreCommandError> {
    let config = location.config()?;
    let report = keyward_server::compact_store(&config)?;
    println!("store        {}", config.data_dir.display());
    println!("objects      {}", report.objects);
    println!("settings     {}", report.settings);
    println!("size         {} bytes before, {} after", report.bytes_before, report.bytes_after);
    println!("ok: only the current value of each record remains in the store's files");
    Ok(())
}
