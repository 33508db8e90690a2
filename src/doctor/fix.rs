//! The one place doctor writes. Rules only describe a repair; this module applies it.
//! Every repair is safe (the build means the same afterwards, or fails where it
//! failed before only on Windows or in Docker; `safe_fix` withholds what it cannot
//! prove) and reversible (a new file, added lines, a line-ending change: `git diff`
//! shows all of it). Writes are atomic: a full disk or a crash leaves each file either
//! as it was or fully fixed. Existing files keep their permissions (scripts stay
//! executable); a file to create is never overwritten.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
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

/// One file's planned change: its bytes now (None: it does not exist yet) and after,
/// and what changed, in words. Planned before anything is written, so the whole set
/// can be checked (`--verify`) and undone byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Relative to the project, `/`-separated.
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Vec<u8>,
    /// `path: what changed`, as `--fix` prints it.
    pub summary: String,
}

/// What `write` did: the files changed, in order, and the error that stopped it (the
/// file it names is unchanged).
#[derive(Debug)]
pub struct Written {
    pub changes: Vec<String>,
    pub failure: Option<Error>,
}

/// The changes the findings' repairs make, one per file, in path order; nothing is
/// written.
pub fn plan(root: &Path, findings: &[Finding]) -> Result<Vec<Change>, Error> {
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
        if let Some(change) = plan_file(root, path, &fixes)? {
            changes.push(change);
        }
    }
    Ok(changes)
}

/// Writes the changes in order, each atomically; stops at the first that fails.
pub fn write(root: &Path, changes: &[Change]) -> Written {
    let mut written = Written {
        changes: Vec::new(),
        failure: None,
    };
    for change in changes {
        let path = root.join(&change.path);
        if let Err(source) = replace(&path, &change.after, change.before.is_none()) {
            written.failure = Some(Error::FixNotWritten {
                path,
                source,
                written: written.changes.clone(),
            });
            break;
        }
        written.changes.push(change.summary.clone());
    }
    written
}

/// Puts back what `write` changed, byte for byte: the old bytes of changed files, and
/// no trace of created ones. Goes on past a failure; returns the files it could not
/// restore, with why.
pub fn restore(root: &Path, changes: &[Change]) -> Vec<String> {
    let mut failed = Vec::new();
    for change in changes.iter().rev() {
        let path = root.join(&change.path);
        let result = match &change.before {
            Some(bytes) => replace(&path, bytes, false),
            None => match fs::remove_file(&path) {
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
        };
        if let Err(error) = result {
            failed.push(format!("{}: {error}", change.path));
        }
    }
    failed
}

fn plan_file(root: &Path, path: &str, fixes: &[&Fix]) -> Result<Option<Change>, Error> {
    let absolute = root.join(path);
    let original = match fs::read(&absolute) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
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
    Ok(Some(Change {
        path: path.to_string(),
        before: original,
        after: bytes,
        summary: format!("{path}: {}", notes.join("; ")),
    }))
}

/// The new bytes of a fix applied alone to `current` (None: the file does not exist):
/// what the file will say, for checking a repair before it is written.
pub fn applied(fix: &Fix, current: Option<&[u8]>) -> Vec<u8> {
    let mut bytes = current.unwrap_or_default().to_vec();
    match fix {
        Fix::Create { contents, .. } => {
            if current.is_none() {
                bytes = contents.as_bytes().to_vec();
            }
        }
        Fix::CrlfToLf { .. } => bytes = crlf_to_lf(&bytes),
        Fix::InsertAfter { line, text, .. } => bytes = insert_after(&bytes, *line, text),
        Fix::Append { lines, .. } => append(&mut bytes, lines),
    }
    bytes
}

/// Replaces (or creates) `path` with `bytes` so that it is never half-written: the
/// bytes go to a temporary file beside it, which gets the file's permissions (and
/// owner, where allowed), is flushed to disk, then renamed over it. On any failure the
/// temporary file is removed and `path` is as it was. A file to create is never
/// overwritten.
fn replace(path: &Path, bytes: &[u8], create: bool) -> io::Result<()> {
    replace_with(path, create, |file| file.write_all(bytes))
}

fn replace_with(
    path: &Path,
    create: bool,
    fill: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let original = if create {
        None
    } else {
        Some(fs::metadata(path)?)
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".scaffold-fix-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    fill(temp.as_file_mut())?;
    keep_mode_and_owner(temp.as_file(), original.as_ref())?;
    temp.as_file().sync_all()?;
    if create {
        temp.persist_noclobber(path).map_err(|error| error.error)?;
    } else {
        temp.persist(path).map_err(|error| error.error)?;
    }
    // The rename itself survives a power cut once the folder is flushed; where a
    // folder cannot be opened for that (Windows), the rename is still atomic.
    if let Ok(folder) = fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// The replaced file's permissions and owner; a new file gets the usual `rw-r--r--`
/// (tempfile makes it private to the user).
fn keep_mode_and_owner(file: &fs::File, original: Option<&fs::Metadata>) -> io::Result<()> {
    match original {
        Some(metadata) => {
            file.set_permissions(metadata.permissions())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                // Only root may give a file away; anyone else already owns it.
                let _ = std::os::unix::fs::fchown(file, Some(metadata.uid()), Some(metadata.gid()));
            }
            Ok(())
        }
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(fs::Permissions::from_mode(0o644))?;
            }
            Ok(())
        }
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

    #[test]
    fn a_failed_write_leaves_the_original_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Dockerfile");
        fs::write(&path, b"FROM alpine\r\nENV A=1\r\n").unwrap();
        let result = replace_with(&path, false, |file| {
            file.write_all(b"FROM alpine\nEN")?;
            Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no space left on device",
            ))
        });
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::StorageFull);
        assert_eq!(fs::read(&path).unwrap(), b"FROM alpine\r\nENV A=1\r\n");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["Dockerfile"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_created_one_is_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("run.sh");
        fs::write(&script, b"#!/bin/sh\r\n").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o750)).unwrap();
        replace(&script, b"#!/bin/sh\n", false).unwrap();
        assert_eq!(fs::read(&script).unwrap(), b"#!/bin/sh\n");
        assert_eq!(
            fs::metadata(&script).unwrap().permissions().mode() & 0o777,
            0o750
        );
        let created = dir.path().join(".dockerignore");
        replace(&created, b".git\n", true).unwrap();
        assert_eq!(
            fs::metadata(&created).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert!(replace(&created, b"other\n", true).is_err());
        assert_eq!(fs::read(&created).unwrap(), b".git\n");
    }

    #[test]
    fn restore_puts_back_every_byte_and_removes_created_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.sh"), b"echo\r\n").unwrap();
        let changes = vec![
            Change {
                path: ".dockerignore".into(),
                before: None,
                after: b".git\n".to_vec(),
                summary: String::new(),
            },
            Change {
                path: "a.sh".into(),
                before: Some(b"echo\r\n".to_vec()),
                after: b"echo\n".to_vec(),
                summary: String::new(),
            },
        ];
        assert!(write(dir.path(), &changes).failure.is_none());
        assert_eq!(fs::read(dir.path().join("a.sh")).unwrap(), b"echo\n");
        assert!(restore(dir.path(), &changes).is_empty());
        assert_eq!(fs::read(dir.path().join("a.sh")).unwrap(), b"echo\r\n");
        assert!(!dir.path().join(".dockerignore").exists());
    }
}
