//! Reading the input (a file or standard input) and writing the output (standard output).

use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use super::error::{InputProblem, TtlvError};

/// The bytes of the input, with the name that error messages give it.
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads the whole of `file`, or of standard input when it is absent or `-`.
pub fn read_input(file: Option<&Path>) -> Result<Input, TtlvError> {
    match file.filter(|path| path.as_os_str() != "-") {
        Some(path) => {
            let name = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| InputProblem::Read(e).of(&name))?;
            Ok(Input { name, bytes })
        }
        None => {
            let name = "<stdin>".to_string();
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes).map_err(|e| InputProblem::Read(e).of(&name))?;
            Ok(Input { name, bytes })
        }
    }
}

pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Writes everything to standard output. A reader that went away (`keyward ttlv decode | head`)
/// is not an error: it has what it wanted.
pub fn write_output(bytes: &[u8]) -> Result<(), TtlvError> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(TtlvError::Write),
    }
}
