//! `keyward store migrate`: moves a stopped single node's store (sled, in a data directory) into
//! a PostgreSQL database, or a database's store back into a data directory, and checks the copy
//! (every object and setting read back from both and compared). The servers on both stay stopped
//! meanwhile. docs/operations/high-availability.md has the procedure.
//!
//! Each store has its own keyring (its data and index keys), wrapped by the KEK: records and
//! settings are opened with the source's keyring and sealed again under the target's, which the
//! target makes when it is created, wrapped by the same KEK files (version 1: `--kek`).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keyward_store::migrate::copy_store;
use keyward_store::{FileKekSource, KekSource, PostgresOptions, PostgresStore, SledOptions, SledStore};

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The data directory to copy from (its server stopped).
    #[arg(long, value_name = "DIR")]
    from_data_dir: Option<PathBuf>,
    /// The database to copy from (postgres://...; its servers stopped).
    #[arg(long, value_name = "URL")]
    from_url: Option<String>,
    /// The data directory to copy into: new or empty.
    #[arg(long, value_name = "DIR")]
    to_data_dir: Option<PathBuf>,
    /// The database to copy into: new or empty (the schema is created).
    #[arg(long, value_name = "URL")]
    to_url: Option<String>,
    /// The KEK file of the store (both sides use it; a rotated KEK's versions are beside it,
    /// `<FILE>.vN`); by default the source data directory's `kek`. Required when copying from a
    /// database. The target's new keyring is wrapped by this file's KEK (version 1).
    #[arg(long, value_name = "FILE")]
    kek: Option<PathBuf>,
    /// The CA certificates (PEM) of the database server: TLS to the database, required.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
}

pub(super) fn migrate(args: MigrateArgs) -> Result<(), String> {
    if args.from_data_dir.is_some() == args.from_url.is_some() {
        return Err("give one of --from-data-dir and --from-url".into());
    }
    if args.to_data_dir.is_some() == args.to_url.is_some() {
        return Err("give one of --to-data-dir and --to-url".into());
    }
    let kek_path = match (&args.kek, &args.from_data_dir) {
        (Some(kek), _) => kek.clone(),
        (None, Some(dir)) => dir.join("kek"),
        (None, None) => return Err("--kek FILE: the store's KEK file (copying from a database)".into()),
    };
    // A new KEK is never made here: the target's keyring is wrapped by the KEK the source has.
    if !kek_path.exists() {
        return Err(format!("the KEK file {} is missing", kek_path.display()));
    }
    let kek: Arc<dyn KekSource> = Arc::new(FileKekSource::new(&kek_path));
    // A one-off copy takes no lease among the nodes: it only reads, or creates objects.
    let options = PostgresOptions {
        tls_ca_pem: args.ca.as_ref().map(std::fs::read).transpose().map_err(|e| format!("--ca: {e}"))?,
        cache: false,
        ..PostgresOptions::new(keyward_core::record_schema::schema())
    };
    let open_sled = |dir: &PathBuf| {
        SledStore::open_with_source(dir, Arc::clone(&kek), &SledOptions::new(keyward_core::record_schema::schema()))
            .map_err(|e| format!("{}: {e}", dir.display()))
    };
    let open_postgres =
        |url: &String| PostgresStore::connect_with_source(url, Arc::clone(&kek), &options).map_err(|e| e.to_string());
    let source: Box<dyn keyward_store::ObjectStore> = match (&args.from_data_dir, &args.from_url) {
        (Some(dir), _) => {
            if !dir.join("objects.sled").exists() {
                return Err(format!("{} holds no store", dir.display()));
            }
            Box::new(open_sled(dir)?)
        }
        (None, Some(url)) => Box::new(open_postgres(url)?),
        (None, None) => return Err("--from-data-dir or --from-url".into()),
    };
    let target: Box<dyn keyward_store::ObjectStore> = match (&args.to_data_dir, &args.to_url) {
        (Some(dir), _) => {
            if dir.join("objects.sled").exists() {
                return Err(format!("{} holds a store already: give a new or empty directory", dir.display()));
            }
            Box::new(open_sled(dir)?)
        }
        (None, Some(url)) => Box::new(open_postgres(url)?),
        (None, None) => return Err("--to-data-dir or --to-url".into()),
    };
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} objects").unwrap_or(ProgressStyle::default_bar()));
    let copied = copy_store(&*source, &*target, &mut |done, all| {
        bar.set_length(all as u64);
        bar.set_position(done as u64);
    })
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    println!(
        "copied and checked: {} objects, {} settings (the target opens with the KEK {})",
        copied.objects,
        copied.settings,
        kek_path.display()
    );
    Ok(())
}
