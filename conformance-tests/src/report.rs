//! The runner's output: a line per file, a table per version and profile, the totals, and the
//! same as JSON for machines.

use std::collections::BTreeMap;

use crate::run::{CaseResult, Outcome};

/// One line for a file; with `verbose`, a failure is followed by the response received.
pub fn line(result: &CaseResult, root: &std::path::Path, verbose: bool) -> String {
    let name = result.path.strip_prefix(root).unwrap_or(&result.path).display();
    match &result.outcome {
        Outcome::Pass => format!("PASS  {name}"),
        Outcome::Fail { message, difference, response } if verbose => {
            format!("FAIL  {name}: message {message}: {difference}\n{response}")
        }
        Outcome::Fail { message, difference, .. } => format!("FAIL  {name}: message {message}: {difference}"),
        Outcome::Error(error) => format!("ERROR {name}: {error}"),
    }
}

#[derive(Default, Clone, Copy)]
struct Counts {
    passed: usize,
    total: usize,
}

/// The table, as Markdown: one row per version and profile, mandatory and optional counts.
pub fn table(results: &[CaseResult]) -> String {
    let mut rows: BTreeMap<(String, String), (Counts, Counts)> = BTreeMap::new();
    for result in results {
        let row = rows.entry((result.version.clone(), result.profile.clone())).or_default();
        let counts = if result.mandatory { &mut row.0 } else { &mut row.1 };
        counts.total += 1;
        if result.outcome == Outcome::Pass {
            counts.passed += 1;
        }
    }
    let cell = |c: Counts| if c.total == 0 { "–".to_string() } else { format!("{}/{}", c.passed, c.total) };
    let mut out = String::from("| version | profile | mandatory | optional |\n| --- | --- | --- | --- |\n");
    for ((version, profile), (mandatory, optional)) in &rows {
        out.push_str(&format!("| {version} | {profile} | {} | {} |\n", cell(*mandatory), cell(*optional)));
    }
    out
}

/// `N passed, N failed` (errors count as failures).
pub fn totals(results: &[CaseResult]) -> String {
    let passed = results.iter().filter(|r| r.outcome == Outcome::Pass).count();
    format!("{passed} passed, {} failed", results.len() - passed)
}

/// Everything, as JSON.
pub fn json(results: &[CaseResult], root: &std::path::Path) -> String {
    let cases: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let (status, detail) = match &r.outcome {
                Outcome::Pass => ("pass", serde_json::Value::Null),
                Outcome::Fail { message, difference, .. } => {
                    ("fail", serde_json::json!({ "message": message, "difference": difference }))
                }
                Outcome::Error(error) => ("error", serde_json::json!(error)),
            };
            serde_json::json!({
                "file": r.path.strip_prefix(root).unwrap_or(&r.path).display().to_string(),
                "version": r.version,
                "profile": r.profile,
                "mandatory": r.mandatory,
                "status": status,
                "detail": detail,
            })
        })
        .collect();
    let passed = results.iter().filter(|r| r.outcome == Outcome::Pass).count();
    serde_json::to_string_pretty(
        &serde_json::json!({ "passed": passed, "failed": results.len() - passed, "cases": cases }),
    )
    .unwrap_or_default()
}

/// The line of a Markdown page below which [`markdown_page`] writes the results.
pub const GENERATED_MARKER: &str = "<!-- Everything below this line is written by keyward-conformance --report. -->";

/// The results as the lower part of a Markdown page: the command, the table, the totals, and each
/// case that did not pass with its first difference.
pub fn markdown(results: &[CaseResult], root: &std::path::Path, command: &str) -> String {
    let mut out = format!("{GENERATED_MARKER}\n\n## Results\n\nProduced by:\n\n```sh\n{command}\n```\n\n");
    out.push_str(&table(results));
    out.push_str(&format!("\n**{}**\n\n### Cases that do not pass\n\n", totals(results)));
    for result in results.iter().filter(|r| r.outcome != Outcome::Pass) {
        let name = result.path.strip_prefix(root).unwrap_or(&result.path).display();
        let why = match &result.outcome {
            Outcome::Fail { message, difference, .. } => format!("message {message}: {difference}"),
            Outcome::Error(error) => error.clone(),
            Outcome::Pass => continue,
        };
        let why: String = why.chars().take(200).collect::<String>().replace('|', "\\|");
        out.push_str(&format!("- `{name}`: {why}\n"));
    }
    out
}

/// Replaces what follows the marker in an existing page (or appends it).
pub fn update_page(page: &str, generated: &str) -> String {
    let kept = page.split(GENERATED_MARKER).next().unwrap_or(page).trim_end();
    format!("{kept}\n\n{generated}")
}
