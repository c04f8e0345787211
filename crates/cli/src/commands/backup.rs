//! `keyward backup create|verify|restore`: online backups of a running server through the
//! management API, checked and restored offline. docs/operations/backup.md has the procedure.
//!
//! - `create` saves the stream of `GET /v1/backup` to `--out` (written as `--out.partial`, mode
//!   0600, renamed once whole and checked), optionally sealed under a passphrase.
//! - `verify` checks a file's structure and SHA-256 (no key needed); with `--kek` it also
//!   restores into a scratch directory, checks that the store's key sealed the backup, and opens
//!   every record.
//! - `restore` writes a sled store's backup into an empty data directory, a PostgreSQL store's
//!   into an empty database (`--to-url`); the server then starts on it with the KEK the backup
//!   was made under.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keyward_crypto::passphrase_envelope::{self, DEFAULT_ITERATIONS, SealingWriter};
use keyward_store::backup::Backup;
use keyward_store::{FileKekSource, Kek, ObjectStore, PostgresOptions, PostgresStore, SledStore};
use serde_json::json;
use zeroize::Zeroizing;

use super::client_error::CliError;
use super::connection::{ClientOptions, with_management};

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    command: BackupCommand,
}

#[derive(Debug, Subcommand)]
enum BackupCommand {
    /// Take a consistent backup of a running server (administrator) and save it.
    Create {
        /// The file to write (refused if it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Also seal the file under the passphrase in this file (its first line).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Check a backup file: structure and checksum; with --kek, every record opens.
    Verify {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The KEK file of the server the backup comes from.
        #[arg(long, value_name = "FILE")]
        kek: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Restore a backup: a sled store's into an empty data directory (the server stopped), a
    /// PostgreSQL store's into an empty database.
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The data directory to restore a sled store's backup into.
        #[arg(long, value_name = "DIR", conflicts_with = "to_url", required_unless_present = "to_url")]
        data_dir: Option<PathBuf>,
        /// The database to restore a PostgreSQL store's backup into (postgres://...).
        #[arg(long, value_name = "URL")]
        to_url: Option<String>,
        /// The CA certificates (PEM) the database's certificate must chain to: TLS to it.
        #[arg(long, value_name = "FILE", requires = "to_url")]
        to_ca: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
}

pub fn run(options: &ClientOptions, args: BackupArgs) -> Result<(), CliError> {
    match args.command {
        BackupCommand::Create { out, passphrase_file } => create(options, &out, passphrase_file.as_deref()),
        BackupCommand::Verify { from, kek, passphrase_file } => {
            verify(options, &from, kek.as_deref(), passphrase_file.as_deref())
        }
        BackupCommand::Restore { from, data_dir, to_url, to_ca, passphrase_file } => {
            let target = match (data_dir, to_url) {
                (Some(dir), _) => Target::DataDir(dir),
                (None, Some(url)) => Target::Database { url, ca: to_ca },
                (None, None) => return Err(CliError::Usage("give --data-dir or --to-url".into())),
            };
            restore(options, &from, &target, passphrase_file.as_deref())
        }
    }
}

fn create(options: &ClientOptions, out: &Path, passphrase_file: Option<&Path>) -> Result<(), CliError> {
    if out.exists() {
        return Err(CliError::Usage(format!("{} exists; choose another --out", out.display())));
    }
    let passphrase = passphrase_file.map(read_passphrase).transpose()?;
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    let file = create_private(&partial)?;
    let progress = progress_bar();
    let mut sink = match &passphrase {
        Some(passphrase) => Sink::Sealed(Box::new(
            SealingWriter::new(BufWriter::new(file), passphrase.as_bytes(), DEFAULT_ITERATIONS)
                .map_err(|error| CliError::connect(format!("cannot seal the backup: {error}"), None))?,
        )),
        None => Sink::Plain(BufWriter::new(file)),
    };
    let mut local_error = None;
    let downloaded = with_management(options, async |client| {
        let mut write = |chunk: &[u8]| {
            progress.inc(chunk.len() as u64);
            sink.writer().write_all(chunk).inspect_err(|error| local_error = Some(error.to_string()))
        };
        client.download("/v1/backup", &mut write).await.map_err(CliError::from_management)
    });
    progress.finish_and_clear();
    let finished = downloaded.and_then(|bytes| {
        sink.finish().map_err(|error| CliError::io(&partial, error))?;
        Ok(bytes)
    });
    let bytes = match finished {
        Ok(bytes) => bytes,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(match local_error {
                Some(local) => CliError::io(&partial, std::io::Error::other(local)),
                None => error,
            });
        }
    };
    // Read back before it takes its name: a backup that does not check is not a backup.
    let backup = match load(&partial, passphrase.as_ref().map(|p| p.as_str())) {
        Ok(backup) => backup,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, out).map_err(|error| CliError::io(out, error))?;
    report(options, "written", out, &backup, bytes);
    Ok(())
}

/// Where the backup's bytes go: the file, or the passphrase envelope around it.
enum Sink {
    Plain(BufWriter<File>),
    Sealed(Box<SealingWriter<BufWriter<File>>>),
}

impl Sink {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Plain(file) => file,
            Sink::Sealed(sealed) => sealed.as_mut(),
        }
    }

    /// Closes the file whole: the envelope's last chunk, then the data on disk.
    fn finish(self) -> std::io::Result<()> {
        let file = match self {
            Sink::Plain(file) => file,
            Sink::Sealed(sealed) => sealed.finish()?,
        };
        file.into_inner().map_err(|error| error.into_error())?.sync_all()
    }
}

fn verify(options: &ClientOptions, from: &Path, kek: Option<&Path>, passphrase: Option<&Path>) -> Result<(), CliError> {
    let passphrase = passphrase.map(read_passphrase).transpose()?;
    let backup = load(from, passphrase.as_ref().map(|p| p.as_str()))?;
    let mut checked = "structure and SHA-256";
    if let Some(kek_path) = kek {
        let failed = |what: String| CliError::NotVerified(format!("{}: {what}", from.display()));
        if backup.manifest.backend == keyward_store::POSTGRES_BACKEND {
            // The rows open with the keyring the backup carries; no database needed.
            let source = FileKekSource::new(kek_path);
            keyward_store::verify_postgres_backup(&backup, &source, &keyward_core::record_schema::schema())
                .map_err(|error| failed(error.to_string()))?;
            return verified(options, from, &backup, "structure, SHA-256, the store's seal and every record");
        }
        let kek =
            Kek::load(kek_path).map_err(|error| CliError::io(kek_path, std::io::Error::other(error.to_string())))?;
        let scratch = tempfile::tempdir().map_err(|error| CliError::io(Path::new("temporary directory"), error))?;
        SledStore::restore(scratch.path(), &backup).map_err(|error| failed(error.to_string()))?;
        let store = SledStore::open(scratch.path(), &kek, keyward_core::record_schema::schema())
            .map_err(|error| failed(error.to_string()))?;
        store.check_backup_seal(&backup).map_err(|error| failed(error.to_string()))?;
        for uid in store.candidates(&[]).map_err(|error| failed(error.to_string()))? {
            store.get(&uid).map_err(|error| failed(format!("object {uid}: {error}")))?;
        }
        store.settings("").map_err(|error| failed(error.to_string()))?;
        checked = "structure, SHA-256, the store's seal and every record";
    }
    verified(options, from, &backup, checked)
}

fn verified(options: &ClientOptions, from: &Path, backup: &Backup, checked: &str) -> Result<(), CliError> {
    if options.json {
        println!("{}", json!({ "verified": true, "checked": checked, "manifest": backup.manifest }));
    } else {
        println!("{}: verified ({checked})", from.display());
        print_manifest(backup);
    }
    Ok(())
}

/// Where a backup is restored.
enum Target {
    DataDir(PathBuf),
    Database { url: String, ca: Option<PathBuf> },
}

fn restore(options: &ClientOptions, from: &Path, target: &Target, passphrase: Option<&Path>) -> Result<(), CliError> {
    let passphrase = passphrase.map(read_passphrase).transpose()?;
    let backup = load(from, passphrase.as_ref().map(|p| p.as_str()))?;
    let is_postgres = backup.manifest.backend == keyward_store::POSTGRES_BACKEND;
    let into = match target {
        Target::DataDir(_) if is_postgres => {
            return Err(CliError::Usage(
                "this is a backup of a PostgreSQL store: restore it into an empty database with --to-url".into(),
            ));
        }
        Target::DataDir(data_dir) => {
            SledStore::restore(data_dir, &backup).map_err(|error| CliError::Usage(error.to_string()))?;
            data_dir.display().to_string()
        }
        Target::Database { .. } if !is_postgres => {
            return Err(CliError::Usage(format!(
                "this is a backup of a {} store: restore it into a data directory with --data-dir (then `keyward \
                 store migrate` moves it into PostgreSQL)",
                backup.manifest.backend
            )));
        }
        Target::Database { url, ca } => {
            let tls_ca_pem = ca.as_deref().map(|ca| std::fs::read(ca).map_err(|e| CliError::io(ca, e))).transpose()?;
            let options = PostgresOptions { tls_ca_pem, ..PostgresOptions::new(keyward_core::record_schema::schema()) };
            PostgresStore::restore(url, &options, &backup).map_err(|error| CliError::Usage(error.to_string()))?;
            // The URL may hold a password: only where it points is said.
            keyward_server::config::store::DatabaseUrl(url.clone()).redacted()
        }
    };
    if options.json {
        println!("{}", json!({ "restored": true, "into": into, "manifest": backup.manifest }));
    } else {
        println!("Restored {} objects and {} settings into {into}.", backup.manifest.objects, backup.manifest.settings);
        println!("Start the server on it with the KEK the backup was made under.");
    }
    Ok(())
}

/// Reads a backup file, opening the passphrase envelope when it has one.
fn load(path: &Path, passphrase: Option<&str>) -> Result<Backup, CliError> {
    let mut file = BufReader::new(File::open(path).map_err(|error| CliError::io(path, error))?);
    let mut start = [0u8; 8];
    let read = file.read(&mut start).map_err(|error| CliError::io(path, error))?;
    let not_verified = |what: String| CliError::NotVerified(format!("{}: {what}", path.display()));
    let reopened = BufReader::new(File::open(path).map_err(|error| CliError::io(path, error))?);
    if passphrase_envelope::is_sealed(&start[..read]) {
        let Some(passphrase) = passphrase else {
            return Err(CliError::Usage(format!(
                "{} is sealed under a passphrase: give --passphrase-file",
                path.display()
            )));
        };
        let opened = passphrase_envelope::open(reopened, passphrase.as_bytes())
            .map_err(|error| not_verified(format!("the passphrase envelope does not open ({error})")))?;
        return Backup::read(opened.as_slice()).map_err(|error| not_verified(error.to_string()));
    }
    Backup::read(reopened).map_err(|error| not_verified(error.to_string()))
}

fn read_passphrase(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| CliError::io(path, error))?);
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(CliError::Usage(format!("{}: the passphrase is empty", path.display())));
    }
    Ok(Zeroizing::new(line))
}

fn create_private(path: &Path) -> Result<File, CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|error| CliError::io(path, error))
}

fn progress_bar() -> ProgressBar {
    // indicatif draws nothing when standard error is not a terminal.
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec} {elapsed}") {
        bar.set_style(style);
    }
    bar
}

fn report(options: &ClientOptions, what: &str, path: &Path, backup: &Backup, bytes: u64) {
    if options.json {
        println!("{}", json!({ what: path.display().to_string(), "bytes": bytes, "manifest": backup.manifest }));
    } else {
        println!("Backup {what} to {} ({bytes} bytes received), checked.", path.display());
        print_manifest(backup);
    }
}

fn print_manifest(backup: &Backup) {
    let manifest = &backup.manifest;
    println!("  objects   {}", manifest.objects);
    println!("  settings  {}", manifest.settings);
    println!("  created   {} (seconds since the epoch)", manifest.created);
    println!("  server    Keyward {} ({})", manifest.server_version, manifest.backend);
}
