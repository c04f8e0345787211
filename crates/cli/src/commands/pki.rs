//! `keyward pki`: the development PKI that `keyward serve` creates when no certificates are
//! configured. `issue-client` makes another client certificate from its CA.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use keyward_server::pki::{self, DevPki, PkiError};
use keyward_server::{DEFAULT_PORT, ServerConfig};

#[derive(Debug, Args)]
pub struct PkiArgs {
    #[command(subcommand)]
    action: PkiAction,
}

#[derive(Debug, Subcommand)]
enum PkiAction {
    /// Issue a client certificate and key from the development CA (created first if missing).
    IssueClient(IssueClientArgs),
}

#[derive(Debug, Args)]
struct IssueClientArgs {
    /// The client's name: the subject common name of its certificate, hence its identity.
    name: String,
    /// The data directory whose development PKI issues the certificate [default: ./keyward-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

pub fn run(args: PkiArgs) -> Result<(), PkiError> {
    match args.action {
        PkiAction::IssueClient(args) => issue_client(args),
    }
}

fn issue_client(args: IssueClientArgs) -> Result<(), PkiError> {
    let data_dir = args.data_dir.unwrap_or_else(|| ServerConfig::default().data_dir);
    let dev = DevPki::of_data_dir(&data_dir);
    let files = dev.issue_client(&args.name)?;
    println!("Issued a client certificate for {:?} from the development CA:", args.name);
    println!("  certificate   {}", pki::absolute(&files.cert).display());
    println!("  key           {}", pki::absolute(&files.key).display());
    println!("  CA            {}", pki::absolute(&dev.ca_cert()).display());
    println!();
    println!("With the default identity source (common-name) the client is {:?}; list it under", args.name);
    println!("`administrators` to let it manage every object.");
    println!();
    println!("PyKMIP client configuration (pykmip.conf), for a server on this machine:");
    println!();
    print!("{}", pki::pykmip_conf("127.0.0.1", DEFAULT_PORT, &dev.ca_cert(), &files));
    Ok(())
}
