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
/// workspace. They are OASIS documents, not ours, so the repository does not carry them.
pub fn default_root() -> PathBuf {
    match std::env::var_os("KMIP_TESTCASES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/kmip-testcases"),
    }
}

/// Set by `scripts/test` when it finds no test cases, so that a clone with nothing beside it still
/// runs every other test; the script says loudly what it left out.
pub const SKIP_VARIABLE: &str = "KEYWARD_SKIP_OASIS";

/// The test cases' root for a test that needs them: `None` when they are absent and
/// [`SKIP_VARIABLE`] is set; absent otherwise, a panic that names the path and how to get them.
pub fn required_root() -> Option<PathBuf> {
    let root = default_root();
    if root.is_dir() {
        return Some(root);
    }
    if std::env::var_os(SKIP_VARIABLE).is_some() {
        eprintln!("skipped: no OASIS test cases at {} ({SKIP_VARIABLE} is set)", root.display());
        return None;
    }
    panic!("{}", missing_message(&root));
}

/// What to tell someone whose test cases are not where they were looked for.
pub fn missing_message(root: &Path) -> String {
    format!(
        "the OASIS KMIP test cases are not at {}: put the profile test cases there \
         (vX.Y/{{mandatory,optional}}/*.xml, as the OASIS KMIP Technical Committee publishes them with the \
         KMIP Profiles), or set KMIP_TESTCASES to their directory; scripts/test skips the tests that need \
         them when it finds none",
        root.display()
    )
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
    crate::placeholders::rewrite_values(text, |item_type, placeholder| Ok(fill(item_type, placeholder)))
        .unwrap_or_else(|e| e)
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

/// Whether a message of a test case is sent or expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Request,
    Response,
}

/// The messages of a test case as text, placeholders untouched, in file order.
pub fn raw_messages(text: &str) -> Vec<(Direction, String)> {
    let mut messages = Vec::new();
    let mut rest = text;
    loop {
        let request = rest.find("<RequestMessage");
        let response = rest.find("<ResponseMessage");
        let (start, direction, end_tag) = match (request, response) {
            (Some(q), Some(p)) if q < p => (q, Direction::Request, "</RequestMessage>"),
            (Some(q), None) => (q, Direction::Request, "</RequestMessage>"),
            (_, Some(p)) => (p, Direction::Response, "</ResponseMessage>"),
            (None, None) => break,
        };
        let Some(length) = rest[start..].find(end_tag) else { break };
        let end = start + length + end_tag.len();
        messages.push((direction, rest[start..end].to_string()));
        rest = &rest[end..];
    }
    messages
}

/// The profile of a test case, from its file name: `SKLC-M-1-14.xml` is SKLC, `CS-BC-M-GCM-1-21.xml`
/// is CS-BC.
pub fn profile_of(path: &Path) -> String {
    let name = stem(path);
    let cut = marker(name).map_or(name.len(), |(at, _)| at);
    name[..cut].to_string()
}

/// True for a mandatory test case (`-M-` in its name, or `_M_`).
pub fn is_mandatory(path: &Path) -> bool {
    marker(stem(path)).is_some_and(|(_, mandatory)| mandatory)
}

/// The test cases of one profile in one directory build on each other (SASED-M-3 finds what
/// SASED-M-2 registered), so they run in their numeric order against one server; each such
/// sequence gets a fresh server, so that no other profile's objects are in its way. Names are
/// grouped whatever separates their parts: `TC-SKLC-M-2-12` follows `TC_SKLC_M_1_12`.
pub fn sequences(files: &[PathBuf]) -> Vec<Vec<&PathBuf>> {
    let key = |path: &PathBuf| {
        let number = sequence_number(path).unwrap_or(0);
        let profile = profile_of(path).replace('_', "-");
        (path.parent().map(Path::to_path_buf), profile, is_mandatory(path), number, path.clone())
    };
    let mut sorted: Vec<&PathBuf> = files.iter().collect();
    sorted.sort_by_key(|p| key(p));
    let mut groups: Vec<Vec<&PathBuf>> = Vec::new();
    for file in sorted {
        let same = groups.last().and_then(|g| g.first()).is_some_and(|first| {
            let (a, b) = (key(first), key(file));
            (a.0, a.1, a.2) == (b.0, b.1, b.2)
        });
        match groups.last_mut() {
            Some(group) if same => group.push(file),
            _ => groups.push(vec![file]),
        }
    }
    groups
}

/// The number of a test case within its profile: the last number before the version
/// (`SASED-M-3-14` is 3, `CS-BC-M-GCM-1-14` is 1), whatever separates the parts.
pub fn sequence_number(path: &Path) -> Option<u32> {
    let mut parts = stem(path).rsplit(is_separator);
    parts.next();
    parts.next().and_then(|n| n.parse().ok())
}

fn stem(path: &Path) -> &str {
    path.file_stem().and_then(|s| s.to_str()).unwrap_or_default()
}

/// Test-case names separate their parts with `-` (the OASIS profiles' files) or `_` (other suites).
fn is_separator(c: char) -> bool {
    c == '-' || c == '_'
}

/// Where the mandatory/optional marker (`M` or `O`, a part of its own) starts in a name, and
/// whether it is `M`.
fn marker(name: &str) -> Option<(usize, bool)> {
    let mut start = 0;
    for part in name.split(is_separator) {
        if start > 0 && (part == "M" || part == "O") {
            return Some((start - 1, part == "M"));
        }
        start += part.len() + 1;
    }
    None
}

/// The KMIP version of a test case, from its directory (`v1.4/...`) or the two digits at the end
/// of its name (`-14.xml`).
pub fn version_of(path: &Path) -> String {
    for component in path.components().rev() {
        if let Some(version) = component.as_os_str().to_str().and_then(|c| c.strip_prefix('v'))
            && version.parse::<f32>().is_ok()
        {
            return version.to_string();
        }
    }
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let digits: String = name.rsplit(is_separator).next().unwrap_or_default().chars().collect();
    match digits.as_bytes() {
        [major, minor] => format!("{}.{}", *major as char, *minor as char),
        _ => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_whatever_separates_their_parts() {
        for (name, profile, mandatory, number, version) in [
            ("v1.4/mandatory/SASED-M-3-14.xml", "SASED", true, Some(3), "1.4"),
            ("CS-BC-M-GCM-1-14.xml", "CS-BC", true, Some(1), "1.4"),
            ("SUITEB_128-M-1-14.xml", "SUITEB_128", true, Some(1), "1.4"),
            ("TC_SKLC_O_2_12.xml", "TC_SKLC", false, Some(2), "1.2"),
            ("OMOS-O-1-14.xml", "OMOS", false, Some(1), "1.4"),
        ] {
            let path = Path::new(name);
            assert_eq!(profile_of(path), profile, "{name}");
            assert_eq!(is_mandatory(path), mandatory, "{name}");
            assert_eq!(sequence_number(path), number, "{name}");
            assert_eq!(version_of(path), version, "{name}");
        }
    }

    #[test]
    fn a_sequence_shares_one_server_whatever_its_separators() {
        let files: Vec<PathBuf> = [
            "v1.2/TC_SKLC_M_3_12.xml",
            "v1.2/TC-SKLC-M-1-12.xml",
            "v1.2/TC_SKLC_M-2-12.xml",
            "v1.2/TC_SKLC_O_1_12.xml",
            "v1.2/TC_AKLC_M_1_12.xml",
            "v1.3/TC_SKLC_M_1_13.xml",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let groups: Vec<Vec<String>> = sequences(&files)
            .into_iter()
            .map(|g| g.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect())
            .collect();
        assert!(
            groups.contains(&vec![
                "TC-SKLC-M-1-12.xml".into(),
                "TC_SKLC_M-2-12.xml".into(),
                "TC_SKLC_M_3_12.xml".into()
            ]),
            "{groups:?}"
        );
        assert_eq!(groups.len(), 4, "optional, another profile and another directory apart: {groups:?}");
    }
}
