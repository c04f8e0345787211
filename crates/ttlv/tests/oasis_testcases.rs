//! Every message of every OASIS test case converts XML -> TTLV -> XML and XML -> JSON -> TTLV with
//! identical TTLV. The test walks the whole tree and fails on any file it cannot read.
//!
//! The test cases live in `../shared/kmip-testcases` beside the project (override with
//! `KMIP_TESTCASES`); they are OASIS documents, not carried in the repository. Without them the
//! test fails naming the path, unless `KEYWARD_SKIP_OASIS` is set (scripts/test sets it when it
//! finds none, and says so).

use std::path::{Path, PathBuf};

use keyward_ttlv::{Limits, decode, json, xml};

fn testcase_root() -> Option<PathBuf> {
    let root = match std::env::var_os("KMIP_TESTCASES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kmip-testcases"),
    };
    if root.is_dir() {
        return Some(root);
    }
    if std::env::var_os("KEYWARD_SKIP_OASIS").is_some() {
        eprintln!("skipped: no OASIS test cases at {} (KEYWARD_SKIP_OASIS is set)", root.display());
        return None;
    }
    panic!(
        "the OASIS KMIP test cases are not at {}: put the profile test cases there (vX.Y/{{mandatory,optional}}/*.xml) \
         or set KMIP_TESTCASES to their directory",
        root.display()
    );
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            xml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.push(path);
        }
    }
}

/// The test cases hold placeholders for values only a live run knows (`$NOW-3600`, `$DATA_0`).
/// Text String placeholders are valid text; Date-Time and Byte String ones are given fixed values.
fn fill_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let Some(start) = line.find("value=\"$") else {
            out.push_str(line);
            continue;
        };
        let value_start = start + "value=\"".len();
        let value_end = value_start + line[value_start..].find('"').expect("closing quote");
        let placeholder = &line[value_start..value_end];
        let replacement = if line.contains("type=\"DateTime\"") {
            let offset: i64 = placeholder.strip_prefix("$NOW").and_then(|o| o.parse().ok()).unwrap_or(0);
            keyward_ttlv::datetime::format_seconds(1_700_000_000 + offset)
        } else if line.contains("type=\"ByteString\"") {
            "00112233".to_string()
        } else {
            placeholder.to_string()
        };
        out.push_str(&line[..value_start]);
        out.push_str(&replacement);
        out.push_str(&line[value_end..]);
    }
    out
}

#[test]
fn every_oasis_message_round_trips_through_ttlv_xml_and_json() {
    let Some(root) = testcase_root() else { return };
    let mut files = Vec::new();
    xml_files(&root, &mut files);
    files.sort();
    assert!(files.len() >= 393, "expected the 393 OASIS test cases under {}, found {}", root.display(), files.len());

    let limits = Limits::default();
    let mut failures = Vec::new();
    let mut messages = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let items = match xml::parse_items(&fill_placeholders(&text)) {
            Ok(items) if !items.is_empty() => items,
            Ok(_) => {
                failures.push(format!("{}: no messages", file.display()));
                continue;
            }
            Err(e) => {
                failures.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        for (index, item) in items.iter().enumerate() {
            messages += 1;
            let ttlv = item.to_ttlv();
            let check = || -> Result<(), String> {
                let decoded = decode(&ttlv, &limits).map_err(|e| format!("TTLV does not decode: {e}"))?;
                let as_xml = xml::to_string(&decoded.to_owned_item());
                let again = xml::from_str(&as_xml).map_err(|e| format!("written XML does not read: {e}\n{as_xml}"))?;
                if again.to_ttlv() != ttlv {
                    return Err(format!("XML -> TTLV -> XML changed the message:\n{as_xml}"));
                }
                let as_json = json::to_string(item);
                let from_json = json::from_str(&as_json).map_err(|e| format!("written JSON does not read: {e}"))?;
                if from_json.to_ttlv() != ttlv {
                    return Err(format!("XML -> JSON -> TTLV changed the message:\n{as_json}"));
                }
                Ok(())
            };
            if let Err(e) = check() {
                failures.push(format!("{} message {index}: {e}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} files failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    assert!(messages > 1000, "only {messages} messages read");
}
