//! Reading an OASIS test-case file: the sequence of request and expected response messages.

use std::path::{Path, PathBuf};

use keyward_ttlv::{Item, Tag, xml};

/// One test-case file.
#[derive(Debug)]
pub struct TestCase {
    pub path: PathBuf,
    /// The messages in file order: requests, each followed by its expected response.
    pub messages: Vec<Item>,
}

/// The root of the OASIS test cases: `KMIP_TESTCASES`, or `../shared/kmip-testcases` beside the
/// workspace.
pub fn default_root() -> PathBuf {
    match std::env::var_os("KMIP_TESTCASES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/kmip-testcases"),
    }
}

/// Every `.xml` file under `path` (or `path` itself), sorted.
pub fn find_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    collect(path, &mut files)?;
    files.sort();
    Ok(files)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            collect(&entry?.path(), out)?;
        }
    } else if path.extension().is_some_and(|e| e == "xml") {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// Reads a test-case file, with its placeholders replaced by `fill`.
pub fn load_with(path: &Path, fill: impl Fn(&str, &str) -> String) -> Result<TestCase, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let messages = xml::parse_items(&substitute(&text, fill)).map_err(|e| format!("{}: {e}", path.display()))?;
    if messages.is_empty() || messages.iter().any(|m| m.tag != Tag::RequestMessage && m.tag != Tag::ResponseMessage) {
        return Err(format!("{}: not a sequence of request and response messages", path.display()));
    }
    Ok(TestCase { path: path.to_path_buf(), messages })
}

/// Replaces each `value="$PLACEHOLDER"` by `fill(item type, placeholder)`.
pub fn substitute(text: &str, fill: impl Fn(&str, &str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let Some(start) = line.find("value=\"$") else {
            out.push_str(line);
            continue;
        };
        let value_start = start + "value=\"".len();
        let Some(length) = line[value_start..].find('"') else {
            out.push_str(line);
            continue;
        };
        let placeholder = &line[value_start..value_start + length];
        let item_type = line.split("type=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("TextString");
        out.push_str(&line[..value_start]);
        out.push_str(&fill(item_type, placeholder));
        out.push_str(&line[value_start + length..]);
    }
    out
}

/// Fixed stand-ins for placeholders, for tests that only read and write messages: a fixed time
/// for `$NOW±N`, bytes for Byte String placeholders, the placeholder text itself otherwise.
pub fn fixed_placeholder(item_type: &str, placeholder: &str) -> String {
    match item_type {
        "DateTime" => {
            let offset: i64 = placeholder.strip_prefix("$NOW").and_then(|o| o.parse().ok()).unwrap_or(0);
            keyward_ttlv::datetime::format_seconds(1_700_000_000 + offset)
        }
        "ByteString" => "00112233".to_string(),
        _ => placeholder.to_string(),
    }
}
