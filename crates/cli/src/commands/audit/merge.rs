//! `keyward audit show` over several nodes' trails (a cluster on PostgreSQL: each node writes its
//! own, docs/security/audit.md): the trails read side by side, each in its own order (its
//! sequence numbers), merged by the records' times. Nodes' clocks are assumed in step (NTP); a
//! tie keeps the order the trails were given in.

use std::fs::File;
use std::io::{BufRead, BufReader, Lines};
use std::path::PathBuf;

use keyward_server::audit::{self, Record};

use super::AuditError;

/// One node's trail, read a line at a time.
pub(super) struct Trail {
    pub(super) label: String,
    files: std::vec::IntoIter<PathBuf>,
    open: Option<(PathBuf, usize, Lines<BufReader<File>>)>,
}

impl Trail {
    /// The trail at `path` (a directory or one file), named `label` in merged output.
    pub(super) fn open(path: &std::path::Path, label: String) -> Result<Trail, AuditError> {
        let files = audit::trail_files(path).map_err(|error| AuditError::Read { path: path.to_path_buf(), error })?;
        Ok(Trail { label, files: files.into_iter(), open: None })
    }

    /// The next record and its line as stored.
    fn next(&mut self) -> Result<Option<(Record, String)>, AuditError> {
        loop {
            if let Some((path, number, lines)) = &mut self.open {
                match lines.next() {
                    Some(line) => {
                        *number += 1;
                        let line = line.map_err(|error| AuditError::Read { path: path.clone(), error })?;
                        let record = serde_json::from_str(&line).map_err(|error| AuditError::Record {
                            path: path.clone(),
                            line: *number,
                            error,
                        })?;
                        return Ok(Some((record, line)));
                    }
                    None => self.open = None,
                }
            }
            let Some(path) = self.files.next() else { return Ok(None) };
            let file = File::open(&path).map_err(|error| AuditError::Read { path: path.clone(), error })?;
            self.open = Some((path, 0, BufReader::new(file).lines()));
        }
    }
}

/// Calls `each` with every record of `trails` (and the index of its trail), each trail in its own
/// order, the trails merged by time.
pub(super) fn merged(
    trails: &mut [Trail],
    mut each: impl FnMut(usize, &Record, &str) -> Result<(), AuditError>,
) -> Result<(), AuditError> {
    let mut heads = Vec::with_capacity(trails.len());
    for trail in trails.iter_mut() {
        heads.push(trail.next()?);
    }
    loop {
        // A handful of trails: the earliest head by a scan; the first trail wins a tie.
        let earliest = heads
            .iter()
            .enumerate()
            .filter_map(|(index, head)| head.as_ref().map(|(record, _)| (record.time.as_str(), index)))
            .min()
            .map(|(_, index)| index);
        let Some(index) = earliest else { return Ok(()) };
        if let Some((record, line)) = heads[index].take() {
            each(index, &record, &line)?;
        }
        heads[index] = trails[index].next()?;
    }
}
