//! How the client commands fail: each failure has an exit status scripts can rely on, a sentence
//! for a person, and a JSON object for a script (`--json`), both on stderr.
//!
//! | status | meaning |
//! | --- | --- |
//! | 0 | success |
//! | 1 | the server refused or failed a KMIP operation or a management request |
//! | 2 | usage: a flag or argument is wrong or missing (clap exits with 2 for its own findings too) |
//! | 3 | cannot connect: address, TLS, credentials, profile, or an answer that is not KMIP |
//! | 4 | a local file cannot be read or written |
//! | 5 | a signature or MAC did not verify |

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use keyward_client::session::enum_name;
use keyward_client::{ClientError, OperationError, SessionError};
use keyward_kmip::enums::{Operation, ResultReason};
use serde_json::{Value, json};

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{error}")]
    Kmip { error: OperationError, hint: Option<String> },
    #[error("{0}")]
    Usage(String),
    #[error("{message}")]
    Connect { message: String, hint: Option<String> },
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{0}")]
    NotVerified(String),
    /// The management API refused or failed a request (HTTP `status`).
    #[error("the server refused: {message}")]
    Management { status: u16, message: String },
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Kmip { .. } | CliError::Management { .. } => 1,
            CliError::Usage(_) => 2,
            CliError::Connect { .. } => 3,
            CliError::Io { .. } => 4,
            CliError::NotVerified(_) => 5,
        }
    }

    pub fn io(path: &Path, error: std::io::Error) -> CliError {
        CliError::Io { path: path.to_path_buf(), error }
    }

    pub fn connect(message: impl Into<String>, hint: Option<&str>) -> CliError {
        CliError::Connect { message: message.into(), hint: hint.map(str::to_string) }
    }

    /// A failed call on the object `uid` (when the call named one), with what to do about it.
    pub fn from_session(error: SessionError, uid: Option<&str>) -> CliError {
        match error {
            SessionError::Failed(error) => {
                let hint = hint_for(&error, uid.unwrap_or("UID"));
                CliError::Kmip { error, hint }
            }
            SessionError::Transport(error) => transport(error),
            other => CliError::connect(other.to_string(), None),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            CliError::Kmip { .. } => "kmip",
            CliError::Usage(_) => "usage",
            CliError::Connect { .. } => "connection",
            CliError::Io { .. } => "io",
            CliError::NotVerified(_) => "verification",
            CliError::Management { .. } => "management",
        }
    }

    fn hint(&self) -> Option<&str> {
        match self {
            CliError::Kmip { hint, .. } | CliError::Connect { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }

    /// The error as a script reads it; the field names are part of the interface (docs/cli.md).
    pub fn to_json(&self) -> Value {
        let mut error = json!({
            "exit_code": self.exit_code(),
            "kind": self.kind(),
            "message": self.to_string(),
            "hint": self.hint(),
        });
        match self {
            CliError::Kmip { error: failed, .. } => {
                error["operation"] = json!(failed.operation.map(enum_name));
                error["result_status"] = json!(enum_name(failed.status));
                error["result_reason"] = json!(failed.reason.map(enum_name));
                error["result_message"] = json!(failed.message);
            }
            CliError::Io { path, .. } => error["path"] = json!(path.display().to_string()),
            CliError::Management { status, .. } => error["http_status"] = json!(status),
            _ => {}
        }
        json!({ "error": error })
    }
}

impl From<SessionError> for CliError {
    fn from(error: SessionError) -> CliError {
        CliError::from_session(error, None)
    }
}

impl CliError {
    /// A failed management call: a refusal keeps its status, anything else is a connection
    /// failure.
    pub fn from_management(error: ClientError) -> CliError {
        match error {
            ClientError::HttpStatus { status, text } => CliError::Management { status, message: text },
            other => transport(other),
        }
    }
}

/// Transport failures, with the likely cause. A server that refuses the client's certificate
/// under TLS 1.3 says so only after the handshake, so a connection closed at the first answer is
/// most often that.
fn transport(error: ClientError) -> CliError {
    let hint = match &error {
        ClientError::Connect { .. } => Some("check --server (HOST:PORT) and that the server is running"),
        ClientError::Handshake { .. } => {
            Some("check --ca (the CA that signed the server's certificate) and --server-name (a name it carries)")
        }
        ClientError::Closed | ClientError::Frame(_) | ClientError::Send(_) => {
            Some("the server closed the connection: check that it trusts the CA of --cert and --key")
        }
        ClientError::Credentials(_) | ClientError::Tls(_) => Some("check --ca, --cert and --key (PEM files)"),
        _ => None,
    };
    CliError::connect(error.to_string(), hint)
}

/// What to do about a refusal, for the reasons an operator can act on.
fn hint_for(error: &OperationError, uid: &str) -> Option<String> {
    let applies_protection = matches!(
        error.operation,
        Some(
            Operation::Encrypt
                | Operation::Decrypt
                | Operation::Sign
                | Operation::SignatureVerify
                | Operation::MAC
                | Operation::MACVerify
        )
    );
    let reason = error.reason?;
    let hint = match reason {
        ResultReason::ItemNotFound | ResultReason::ObjectNotFound => {
            "check the identifier with: keyward keys list".to_string()
        }
        ResultReason::WrongKeyLifecycleState if error.operation == Some(Operation::Destroy) => {
            format!("an Active key cannot be destroyed; revoke it first: keyward keys revoke {uid}")
        }
        ResultReason::WrongKeyLifecycleState if applies_protection => {
            format!("the key must be Active; activate it first: keyward keys activate {uid}")
        }
        ResultReason::PermissionDenied if applies_protection => format!(
            "if the key is not Active yet, activate it first: keyward keys activate {uid}; otherwise use the \
             certificate of its owner"
        ),
        ResultReason::PermissionDenied | ResultReason::NotAuthorised => {
            "this client's identity may not do this: use the certificate of the object's owner or of an \
             administrator"
                .to_string()
        }
        ResultReason::IncompatibleCryptographicUsageMask => {
            "the key's usage mask does not allow this operation (keyward keys show UID): use a key made for it, \
             or create or register one with --usage"
                .to_string()
        }
        ResultReason::NonUniqueNameAttribute => "another of your objects has that name: choose another --name".into(),
        ResultReason::KeyFormatTypeNotSupported => "the key cannot be handed out in that --format".into(),
        ResultReason::ObjectDestroyed => "the object was destroyed; its key material is gone".into(),
        _ => return None,
    };
    Some(hint)
}

/// The client commands, as the first word after the options names them.
const CLIENT_COMMANDS: [&str; 6] = ["keys", "encrypt", "decrypt", "sign", "verify", "mac"];

/// What to do with arguments clap refused: for a client command given `--json`, the usage error as
/// a JSON object on stderr with exit status 2; otherwise clap's own report (help and version
/// included, which are not errors).
pub fn parse_failure(error: clap::Error) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The values of options are not told apart from words here: a client command's name anywhere
    // will do, since JSON is only asked for by scripts of the client commands.
    let client = args.iter().any(|arg| CLIENT_COMMANDS.contains(&arg.as_str()));
    if !(error.use_stderr() && client && args.iter().any(|arg| arg == "--json")) {
        error.exit()
    }
    // clap's report is its finding, a blank line, then the usage and a pointer to --help.
    let report = error.to_string();
    let finding: Vec<&str> = report.lines().take_while(|line| !line.trim().is_empty()).map(str::trim).collect();
    let usage = CliError::Usage(finding.join(" ").trim_start_matches("error: ").to_string());
    eprintln!("{}", usage.to_json());
    ExitCode::from(usage.exit_code())
}

/// Reports a client command's outcome and turns it into the exit status.
pub fn finish(outcome: Result<(), CliError>, json_errors: bool) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if json_errors {
                eprintln!("{}", error.to_json());
            } else {
                eprintln!("keyward: {error}");
                if let Some(hint) = error.hint() {
                    eprintln!("hint: {hint}");
                }
            }
            ExitCode::from(error.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::enums::ResultStatus;

    use super::*;

    fn refused(operation: Operation, reason: ResultReason) -> CliError {
        let error = OperationError {
            operation: Some(operation),
            status: ResultStatus::OperationFailed,
            reason: Some(reason),
            message: Some("because".into()),
        };
        CliError::from_session(SessionError::Failed(error), Some("key-7"))
    }

    #[test]
    fn an_encrypt_under_a_key_not_yet_active_says_to_activate_it() {
        let error = refused(Operation::Encrypt, ResultReason::WrongKeyLifecycleState);
        assert_eq!(error.exit_code(), 1);
        assert!(error.hint().is_some_and(|h| h.contains("keyward keys activate key-7")), "{:?}", error.hint());
        let json = error.to_json();
        assert_eq!(json["error"]["result_reason"], "Wrong Key Lifecycle State");
        assert_eq!(json["error"]["operation"], "Encrypt");
        assert_eq!(json["error"]["result_message"], "because");
    }

    #[test]
    fn an_unknown_identifier_points_at_the_list() {
        let error = refused(Operation::Get, ResultReason::ItemNotFound);
        assert!(error.to_string().contains("Item Not Found"));
        assert!(error.hint().is_some_and(|h| h.contains("keyward keys list")));
    }

    #[test]
    fn each_kind_has_its_exit_status() {
        let io = CliError::io(Path::new("in.bin"), std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(io.exit_code(), 4);
        assert_eq!(io.to_json()["error"]["path"], "in.bin");
        assert_eq!(CliError::Usage("x".into()).exit_code(), 2);
        assert_eq!(CliError::connect("x", None).exit_code(), 3);
        assert_eq!(CliError::NotVerified("x".into()).exit_code(), 5);
    }
}
