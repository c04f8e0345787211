//! The Python interpreter the tests that drive PyKMIP use, shared by path (`#[path]`) between
//! crates/server/tests/pykmip.rs and crates/cli/tests/examples.rs so that both pin one PyKMIP and
//! fill one virtual environment: `KEYWARD_PYKMIP_PYTHON`, or `<target>/pykmip-venv` made from PyPI
//! on first use. Both including crates sit two folders below the workspace.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The PyKMIP release the tests are written against.
const PYKMIP: &str = "pykmip==0.11.0";

/// The workspace's root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A Python interpreter with PyKMIP installed (made once, whichever test asks first).
pub fn python() -> PathBuf {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(install).clone()
}

fn install() -> PathBuf {
    if let Some(python) = std::env::var_os("KEYWARD_PYKMIP_PYTHON") {
        return PathBuf::from(python);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), PathBuf::from);
    let venv = target.join("pykmip-venv");
    let python = venv.join("bin/python");
    let installed = Command::new(&python).args(["-c", "import kmip"]).status().is_ok_and(|s| s.success());
    if !installed {
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().expect("python3 runs");
        assert!(made.success(), "python3 -m venv failed");
        let pip = Command::new(venv.join("bin/pip")).args(["install", "--quiet", PYKMIP]).status().expect("pip runs");
        assert!(pip.success(), "pip install {PYKMIP} failed");
    }
    python
}
