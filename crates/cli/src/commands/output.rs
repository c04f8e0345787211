//! What client commands print on success: aligned columns for a person, or one JSON document for a
//! script (`--json`), always on stdout.

use serde_json::Value;

/// How results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `human` for a person or `json` for a script.
    pub fn print(&self, human: &str, json: Value) {
        if self.json {
            println!("{json}");
        } else if !human.is_empty() {
            println!("{}", human.trim_end_matches('\n'));
        }
    }
}

/// Columns padded to their widest cell, a header first; the last column is not padded, so lines
/// carry no trailing blanks.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (column, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(column) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (column, cell) in cells.into_iter().enumerate() {
            text.push_str(cell);
            if column < last {
                let pad = widths.get(column).copied().unwrap_or(0).saturating_sub(cell.chars().count()) + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text.push('\n');
        text
    };
    let mut text = line(header.to_vec());
    for row in rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_without_trailing_blanks() {
        let rows = vec![vec!["a-long-id".to_string(), "x".into()], vec!["b".into(), "yy".into()]];
        assert_eq!(table(&["ID", "NAME"], &rows), "ID         NAME\na-long-id  x\nb          yy\n");
    }
}
