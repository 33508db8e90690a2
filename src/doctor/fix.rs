//! The one place doctor writes. Rules only describe a repair; this module applies it.
//! Every repair is safe (the build means the same afterwards, or fails where it
//! failed before only on Windows or in Docker) and reversible (a new file, added
//! lines, a line-ending change: `git diff` shows all of it). Existing files keep their
//! permissions (scripts stay executable); a file to create is never overwritten.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use crate::doctor::finding::Finding;
use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Write a file that does not exist yet.
    Create { path: String, contents: String },
    /// Add lines at the end of a file (creating it if needed). At the end, because in
    /// .dockerignore and .gitattributes the last matching line wins: a line that is
    /// already there earlier may be overridden by a later one.
    Append { path: String, lines: Vec<String> },
    /// Turn every CRLF into LF.
    CrlfToLf { path: String },
    /// Insert one line after line `line` (1-based) of the file as it is now.
    InsertAfter {
        path: String,
        line: usize,
        text: String,
    },
}

impl Fix {
    pub fn path(&self) -> &str {
        match self {
            Fix::Create { path, .. }
            | Fix::Append { path, .. }
            | Fix::CrlfToLf { path }
            | Fix::InsertAfter { path, .. } => path,
        }
    }

    /// Creation first, then line endings, inserts (bottom up, so line numbers hold),
    /// and appends last.
    fn order(&self) -> (u8, std::cmp::Reverse<usize>) {
        match self {
            Fix::Create { .. } => (0, std::cmp::Reverse(0)),
            Fix::CrlfToLf { .. } => (1, std::cmp::Reverse(0)),
            Fix::InsertAfter { line, .. } => (2, std::cmp::Reverse(*line)),
            Fix::Append { .. } => (3, std::cmp::Reverse(0)),
        }
    }
}

/// Applies the repairs the findings carry. Returns one line per file changed, saying
/// what changed, in path order.
pub fn apply(root: &Path, findings: &[Finding]) -> Result<Vec<String>, Error> {
    let mut by_file: BTreeMap<&str, Vec<&Fix>> = BTreeMap::new();
    for fix in findings
        .iter()
        .filter_map(|finding| finding.repair.as_ref())
    {
        let fixes = by_file.entry(fix.path()).or_default();
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    }
    let mut changes = Vec::new();
    for (path, mut fixes) in by_file {
        fixes.sort_by_key(|fix| fix.order());
        if let Some(change) = apply_to_file(root, path, &fixes)? {
            changes.push(change);
        }
    }
    Ok(changes)
}

fn apply_to_file(root: &Path, path: &str, fixes: &[&Fix]) -> Result<Option<String>, Error> {
    let absolute = root.join(path);
    let original = match fs::read(&absolute) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(Error::io("read", &absolute)(error)),
    };
    let mut bytes = original.clone().unwrap_or_default();
    let mut notes: Vec<String> = Vec::new();
    let mut appended: Vec<String> = Vec::new();
    for fix in fixes {
        match fix {
            Fix::Create { contents, .. } => {
                if original.is_none() {
                    bytes = contents.as_bytes().to_vec();
                    notes.push("wrote it".to_string());
                }
            }
            Fix::CrlfToLf { .. } => {
                let count = bytes.windows(2).filter(|pair| pair == b"\r\n").count();
                if count > 0 {
                    bytes = crlf_to_lf(&bytes);
                    notes.push(format!("converted {count} CRLF line endings to LF"));
                }
            }
            Fix::InsertAfter { line, text, .. } => {
                bytes = insert_after(&bytes, *line, text);
                notes.push(format!("added `{text}` after line {line}"));
            }
            Fix::Append { lines, .. } => {
                for line in lines {
                    if !appended.contains(line) {
                        appended.push(line.clone());
                    }
                }
            }
        }
    }
    if !appended.is_empty() {
        append(&mut bytes, &appended);
        let quoted: Vec<String> = appended
            .iter()
            .filter(|line| !line.starts_with('#'))
            .map(|line| format!("`{line}`"))
            .collect();
        notes.push(format!("added {} at the end", quoted.join(", ")));
    }
    if original.as_deref() == Some(bytes.as_slice()) || notes.is_empty() {
        return Ok(None);
    }
    write(&absolute, &bytes, original.is_none())?;
    Ok(Some(format!("{path}: {}", notes.join("; "))))
}

fn write(path: &Path, bytes: &[u8], create: bool) -> Result<(), Error> {
    if create {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(Error::io("create", path))?;
        file.write_all(bytes).map_err(Error::io("write", path))
    } else {
        // In place, so the file keeps its permissions (an executable script stays one).
        fs::write(path, bytes).map_err(Error::io("write", path))
    }
}

fn crlf_to_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The file's own line ending, so an insert does not mix them.
fn newline_of(bytes: &[u8]) -> &'static [u8] {
    if bytes.windows(2).any(|pair| pair == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    }
}

fn insert_after(bytes: &[u8], line: usize, text: &str) -> Vec<u8> {
    let newline = newline_of(bytes);
    let mut out = Vec::with_capacity(bytes.len() + text.len() + 2);
    let mut seen = 0;
    let mut inserted = false;
    for (i, byte) in bytes.iter().enumerate() {
        out.push(*byte);
        if *byte == b'\n' {
            seen += 1;
            if seen == line && !inserted {
                out.extend_from_slice(text.as_bytes());
                out.extend_from_slice(newline);
                inserted = true;
            }
        }
        if i + 1 == bytes.len() && !inserted && seen + 1 == line {
            // The line is the last one and has no newline.
            out.extend_from_slice(newline);
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(newline);
            inserted = true;
        }
    }
    if !inserted {
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(newline);
    }
    out
}

/// Adds the lines at the end, after a line break if the file lacks a final one.
fn append(bytes: &mut Vec<u8>, lines: &[String]) {
    let newline = newline_of(bytes);
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.extend_from_slice(newline);
    }
    for line in lines {
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(newline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings() {
        assert_eq!(crlf_to_lf(b"a\r\nb\rc\r\n"), b"a\nb\rc\n");
    }

    #[test]
    fn inserts_keep_the_file_line_ending() {
        assert_eq!(
            insert_after(b"FROM a\nRUN b\n", 1, "ENV X=0"),
            b"FROM a\nENV X=0\nRUN b\n"
        );
        assert_eq!(
            insert_after(b"FROM a\r\nRUN b\r\n", 1, "ENV X=0"),
            b"FROM a\r\nENV X=0\r\nRUN b\r\n"
        );
        assert_eq!(insert_after(b"FROM a", 1, "ENV X=0"), b"FROM a\nENV X=0\n");
    }

    #[test]
    fn appends_at_the_end_where_the_last_line_wins() {
        let mut bytes = b".git\n!.git".to_vec();
        append(&mut bytes, &[".git".to_string()]);
        assert_eq!(bytes, b".git\n!.git\n.git\n");
        let mut bytes = b"a\r\n".to_vec();
        append(&mut bytes, &["b".to_string()]);
        assert_eq!(bytes, b"a\r\nb\r\n");
    }
}
